"""`pyctl override set|remove|list`: the kill switch from a shell (SPEC §5, §14).
The work is in pyctl.gate (set_override, remove_override, list_overrides)."""
from __future__ import annotations

import getpass
import json

import click

from pyctl.commands import database_url
from pyctl.dsn import connect
from pyctl.errors import PyctlError
from pyctl.gate import OVERRIDE_TYPES, list_overrides, remove_override, set_override


def _default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name: the actor must then be given
        return ""


def _company(arg: str | None, opt: str | None) -> str:
    if arg and opt and arg != opt:
        raise PyctlError(f"company given twice ({arg} and {opt})")
    value = arg or opt
    if value is None:
        raise PyctlError("a company_unique_id is required (COMPANY or --company)")
    return value


def _type(type_arg: str | None, type_opt: str | None) -> str:
    if type_arg and type_opt and type_arg != type_opt:
        raise PyctlError(f"override type given twice ({type_arg} and {type_opt})")
    value = type_arg or type_opt
    if not value:
        raise PyctlError(f"an override type is required: one of {', '.join(OVERRIDE_TYPES)}")
    return value


@click.group("override")
def command():
    """The kill switch: set, remove and list manual overrides
    (BLOCK_OUTREACH, BLOCK_EMAIL, BLOCK_PHONE, FORCE_TIER)."""


def _change_options(verb: str):
    """What every kill-switch change takes: COMPANY and TYPE (as arguments,
    or as --company/--type), --reason and --actor."""
    options = [
        click.argument("company", required=False),
        click.argument("override_type", metavar="TYPE", required=False),
        click.option("--company", "company_opt", default=None, help="company_unique_id (instead of the COMPANY argument)"),
        click.option("--type", "type_opt", default=None, help="override type (instead of the TYPE argument)"),
        click.option("--reason", required=True, help="why (required, not blank)"),
        click.option("--actor", default=_default_actor, show_default="your login name", help=f"who {verb} it"),
    ]

    def decorate(fn):
        for option in reversed(options):  # as if stacked in this order
            fn = option(fn)
        return fn
    return decorate


@command.command("set")
@_change_options("sets")
@click.option("--tier-cap", "--cap", "tier_cap", type=int, default=None, help="FORCE_TIER only: the cap, -1..3")
@click.option("--expires-at", "--expires", "expires_at", default=None,
              help="when it stops applying (a timestamp PostgreSQL understands); default: until removed")
@click.option("--expires-in", "expires_in", default=None, help="or: an interval from now, e.g. '2 days'")
def set_command(company, override_type, company_opt, type_opt, reason, actor, tier_cap, expires_at, expires_in):
    """Set an override for COMPANY (replacing an active one of the same TYPE)."""
    company = _company(company, company_opt)
    otype = _type(override_type, type_opt)
    if expires_at and expires_in:
        raise PyctlError("give --expires-at or --expires-in, not both")
    with connect(database_url(), autocommit=True) as conn:
        if expires_in:
            expires_at = conn.execute("SELECT now() + %s::interval", (expires_in,)).fetchone()[0]
        oid = set_override(conn, company, otype, reason, actor, tier_cap, expires_at)
    cap = f" (tier cap {tier_cap})" if tier_cap is not None else ""
    until = f" until {expires_at}" if expires_at else ""
    click.echo(f"override set: {otype}{cap} on {company}{until}, by {actor}")
    click.echo(f"override_id: {oid}")


@command.command("remove")
@_change_options("removes")
def remove_command(company, override_type, company_opt, type_opt, reason, actor):
    """Remove COMPANY's active override of TYPE."""
    company = _company(company, company_opt)
    otype = _type(override_type, type_opt)
    with connect(database_url(), autocommit=True) as conn:
        n = remove_override(conn, company, otype, reason, actor)
    if n:
        click.echo(f"override removed: {otype} on {company}, by {actor}")
    else:
        click.echo(f"no active {otype} override on {company}: nothing removed")
    click.echo(f"removed: {n}")


def _fmt(v) -> str:
    return "-" if v is None else str(v)


@command.command("list")
@click.argument("company", required=False)
@click.option("--company", "company_opt", default=None, help="only this company (instead of the COMPANY argument)")
@click.option("--all", "include_all", is_flag=True, help="also removed and expired overrides")
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def list_command(company, company_opt, include_all, as_json):
    """List active overrides (of COMPANY, or all companies)."""
    company = company or company_opt
    with connect(database_url(), autocommit=True) as conn:
        rows = list_overrides(conn, company, include_all)
    if as_json:
        click.echo(json.dumps(rows, default=str, indent=2))
        return
    if not rows:
        click.echo("no " + ("" if include_all else "active ") + "overrides" + (f" for {company}" if company else ""))
        return
    cols = ["company_unique_id", "override_type", "tier_cap", "state", "expires_at", "created_by", "created_at",
            "reason", "override_id"]
    table = [cols] + [[_fmt(r[c]) for c in cols] for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
    for n, row in enumerate(table):
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))
    click.echo(f"{len(rows)} override(s)")
