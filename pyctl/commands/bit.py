"""`pyctl bit explain`: see pyctl.bit."""
import click

from pyctl.bit import explain_json, explain_lines, explain_score
from pyctl.commands import database_url
from pyctl.dsn import connect


@click.group("bit")
def command():
    """The BIT engine (buyer intent): explain a company's decayed score."""


@command.command("explain")
@click.argument("company")
@click.option("--as-of", "as_of", default=None, metavar="TIMESTAMP",
              help="explain the score as of this time (ISO timestamp; default now)")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def explain(company, as_of, fmt):
    """Why COMPANY (its company_unique_id, or outreach_id) has its BIT score:
    one line per signal counted (occurred at or before --as-of) with its base
    points, half-life, age, decay factor and contribution
    (outreach.fn_explain_bit_score). The contributions add up to the score
    before the cap of 100. Read-only."""
    with connect(database_url(), autocommit=True, application_name="pyctl bit") as conn:
        ex = explain_score(conn, company, as_of=as_of)
    if fmt == "json":
        click.echo(explain_json(ex))
    else:
        for line in explain_lines(ex):
            click.echo(line)
