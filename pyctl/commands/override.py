"""`pyctl override set|remove|list`: the kill switch from a shell (docs/reference/gate.md).
The work is in pyctl.gate (set_override, remove_override, list_overrides)."""
from __future__ import annotations

import getpass

import click

from pyctl.commands import database_url
from pyctl.dsn import connect
from pyctl.errors import PyctlError
from pyctl.gate import OVERRIDE_TYPES, company_exists, list_overrides, remove_override, set_override
from pyctl.output import echo_data, format_option, table_lines


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
@format_option()
def set_command(company, override_type, company_opt, type_opt, reason, actor, tier_cap, expires_at, expires_in,
                fmt):
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
    echo_data(fmt, {"override_id": oid, "company_unique_id": company, "override_type": otype, "tier_cap": tier_cap,
                    "expires_at": expires_at, "reason": reason, "actor": actor},
              [f"override set: {otype}{cap} on {company}{until}, by {actor}", f"override_id: {oid}"])


@command.command("remove")
@_change_options("removes")
@format_option()
def remove_command(company, override_type, company_opt, type_opt, reason, actor, fmt):
    """Remove COMPANY's active override of TYPE."""
    company = _company(company, company_opt)
    otype = _type(override_type, type_opt)
    with connect(database_url(), autocommit=True) as conn:
        n = remove_override(conn, company, otype, reason, actor)
    said = (f"override removed: {otype} on {company}, by {actor}" if n
            else f"no active {otype} override on {company}: nothing removed")
    echo_data(fmt, {"company_unique_id": company, "override_type": otype, "removed": n, "reason": reason,
                    "actor": actor}, [said, f"removed: {n}"])


#: the columns of `override list` as text (--format json adds the ids, creation and removal times)
LIST_COLUMNS = ["company_unique_id", "override_type", "tier_cap", "state", "expires_at", "created_by", "reason"]
LIST_HEADERS = ["company", "type", "cap", "state", "expires", "by", "reason"]


@command.command("list")
@click.argument("company", required=False)
@click.option("--company", "company_opt", default=None, help="only this company (instead of the COMPANY argument)")
@click.option("--all", "include_all", is_flag=True, help="also removed and expired overrides")
@format_option(json_alias=True)
def list_command(company, company_opt, include_all, fmt):
    """List active overrides (of COMPANY, or all companies), newest first."""
    company = _company(company, company_opt) if (company or company_opt) else None
    with connect(database_url(), autocommit=True) as conn:
        rows = list_overrides(conn, company, include_all)
        if company is not None and not rows and not company_exists(conn, company):
            raise PyctlError(f"OG002: company {company!r} is not in cl.company_identity | hint: check the id; "
                             "`pyctl override list` without COMPANY lists every company's overrides")
    if fmt == "json" or rows:
        echo_data(fmt, rows, lambda: table_lines(rows, LIST_COLUMNS, headers=LIST_HEADERS)
                  + [f"{len(rows)} override(s)"])
        return
    click.echo("no " + ("" if include_all else "active ") + "overrides" + (f" for {company}" if company else ""))
