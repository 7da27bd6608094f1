"""`pyctl verify [--report FILE] [--audit] [--skip CHECK]`: see pyctl.verify."""
from pathlib import Path

import click

from pyctl.commands import database_url
from pyctl.errors import PyctlError
from pyctl.migrate import not_migrated
from pyctl.output import echo_data, format_option
from pyctl.verify import CHECKS, summary_lines, verify, write_report
from pyctl.resources import SQL_ROOT


@click.command("verify")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("verify-report.json"), show_default=True,
              help="where to write the JSON report (every check, what it found, what verify did to the server)")
@click.option("--audit", is_flag=True, help="also verify the audit seals (shq.fn_verify_audit_seals(); reads "
                                            "every sealed row) and the maintained eligibility rows "
                                            "(outreach.fn_company_eligibility_drift(); reads every company)")
@click.option("--skip", multiple=True, type=click.Choice(CHECKS), metavar="CHECK",
              help=f"leave out a check (repeatable): {', '.join(CHECKS)}")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=SQL_ROOT,
              show_default=True, help="the SQL sources: db/, functions/, triggers/, views/, pgtap_tests/")
@format_option()
def command(report_path, audit, skip, root, fmt):
    """Drift from the sources, security, mutation-guard and grants audits on
    the live database (read only), and the pgTAP suite and plpgsql_check in
    a scratch database migrated from the sources; non-zero exit on any
    failure. Use a direct connection, not a pooler."""
    dsn = database_url()
    why = not_migrated(dsn, root)
    if why:
        raise PyctlError(f"nothing to verify yet: {why}")
    report = verify(dsn, root, audit=audit, skip=tuple(skip),
                    echo=click.echo if fmt == "text" else (lambda line: click.echo(line, err=True)))
    write_report(report, report_path)
    echo_data(fmt, report, lambda: [*summary_lines(report), f"report: {report_path}"])
    if not report["ok"]:
        failures = sum(len(c["failures"]) for c in report["checks"].values())
        raise PyctlError(f"verify failed: {failures} problem(s), listed above and in {report_path}")
