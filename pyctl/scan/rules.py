"""The rules of `pyctl scan`: code, name, severity, the CI check it belongs to
(the names of docs/scan.md), and the help that `pyctl scan --help`, the reports
and the docs print. The one list of them."""
from __future__ import annotations

from dataclasses import dataclass

#: severities, most severe first (the ViolationSeverity of the tool canon)
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")

#: the CI enforcement checks (and the mutation guard), in report order
CHECKS = ("check_illegal_writers", "check_banned_libraries", "check_banned_imports",
          "check_tool_registry_coverage", "check_done_state_contracts", "check_scan_itself")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: str
    check: str
    summary: str
    hint: str
    #: the tool-canon violation code (docs/reference/operations.md) the rule corresponds to, if any
    violation_code: str | None = None


RULES: tuple[Rule, ...] = (
    Rule("OGS101", "illegal-writer", "CRITICAL", "check_illegal_writers",
         "INSERT, UPDATE, DELETE, TRUNCATE, MERGE, COPY ... FROM, or a trigger disabled or dropped, "
         "on a table the database guards (sovereign, append-only, write-once identity), outside the "
         "sanctioned paths. The database refuses it at run time (OG005, OG004, OG003 or 42501).",
         "Call the table's sanctioned SQL function instead (SELECT outreach.fn_set_hub_status(...), "
         "SELECT outreach.set_marketing_override(...)), or move the code to a sanctioned path."),
    Rule("OGS102", "read-only-path-write", "HIGH", "check_illegal_writers",
         "A data-changing statement (INSERT, UPDATE, DELETE, TRUNCATE, MERGE, COPY ... FROM) on any "
         "table from a read-only path (by default spokes/, ctb/ui/, ops/, scripts/, src/, "
         "enrichment-hub/, integrations/).",
         "Read-only paths only read; move the write to the owning hub, or to a sanctioned SQL function."),
    Rule("OGS201", "banned-library", "CRITICAL", "check_banned_libraries",
         "A requirements file, pyproject.toml or lock file depends on a package of a vendor that "
         "shq.tool_registry bans (is_banned).",
         "Remove the dependency; use a registered tool instead.", "V-TOOL-002"),
    Rule("OGS202", "banned-import", "CRITICAL", "check_banned_imports",
         "A Python file imports a module of a vendor that shq.tool_registry bans.",
         "Remove the import; use a registered tool instead.", "V-TOOL-002"),
    Rule("OGS203", "banned-tool-call", "CRITICAL", "check_tool_registry_coverage",
         "A call to a banned vendor's API host, or a tool-canon guard call naming a banned tool.",
         "Use a registered, not banned, tool.", "V-TOOL-002"),
    Rule("OGS301", "unregistered-tool", "CRITICAL", "check_tool_registry_coverage",
         "Code uses a known vendor (SDK import or API host) that has no tool in shq.tool_registry, "
         "or a tool-canon guard call names a tool_id the registry does not have.",
         "Register the tool in shq.tool_registry (a migration) or stop calling it.", "V-TOOL-001"),
    Rule("OGS302", "tool-out-of-scope", "CRITICAL", "check_tool_registry_coverage",
         "A hub's code uses a vendor (SDK import, API host, or tool-canon guard call) whose registered "
         "tools do not list that hub in allowed_hubs.",
         "Call the vendor from a hub it is allowed for, or add the hub to the tool's allowed_hubs "
         "(a migration, reviewed).", "V-SCOPE-001"),
    Rule("OGS303", "tool-interaction-not-allowed", "HIGH", "check_tool_registry_coverage",
         "A tool-canon guard call asks for an interaction type that the tool's allowed_interactions "
         "does not list.",
         "Use an allowed interaction type, or change the registry (a migration, reviewed).", "V-TYPE-001"),
    Rule("OGS401", "done-definition-missing", "HIGH", "check_done_state_contracts",
         "A hub of outreach.hub_registry has no DONE definition: no row in the repository's "
         "DONE_STATE_DEFINITIONS.md (or no such document), or no DONE checker in the database "
         "(shq.hub_done_checkers).",
         "Add the hub's row to DONE_STATE_DEFINITIONS.md, naming its shq.fn_check_*_done checker."),
    Rule("OGS402", "done-definition-mismatch", "HIGH", "check_done_state_contracts",
         "DONE_STATE_DEFINITIONS.md disagrees with the database: an unknown hub, another checker than "
         "shq.hub_done_checkers names, a checker that does not exist, a hub listed twice, or a "
         "Required column that differs from outreach.hub_registry.is_required.",
         "Make the document say what the database enforces (pyctl scan --export-rules shows it)."),
    Rule("OGS901", "bad-suppression", "HIGH", "check_scan_itself",
         "A `pyctl: allow` comment without a reason after `--`, or naming an unknown rule. It "
         "suppresses nothing.",
         "Write `# pyctl: allow <RULE> -- <why this line is acceptable>`."),
    Rule("OGS902", "unparsable", "LOW", "check_scan_itself",
         "A file, or SQL passed to execute() that names a guarded table, could not be parsed, so it "
         "was not checked.",
         "Fix the syntax, or make the SQL a literal the scanner can read."),
)

BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}
BY_NAME: dict[str, Rule] = {r.name: r for r in RULES}


def lookup(code_or_name: str) -> Rule | None:
    """The rule with this code (OGS101) or name (illegal-writer), any case."""
    key = code_or_name.strip()
    return BY_CODE.get(key.upper()) or BY_NAME.get(key.lower())


def severity_rank(severity: str) -> int:
    """0 for CRITICAL ... 3 for LOW (lower is more severe)."""
    return SEVERITIES.index(severity.upper())


def at_or_above(severity: str, threshold: str) -> bool:
    """Is `severity` at least as severe as `threshold`?"""
    return severity_rank(severity) <= severity_rank(threshold)


def help_text() -> str:
    """Each rule in a few lines, for `pyctl scan --help` and the docs."""
    lines = []
    for r in RULES:
        code = f" ({r.violation_code})" if r.violation_code else ""
        lines.append(f"{r.code} {r.name} [{r.severity}]{code}: {r.summary} Fix: {r.hint}")
    return "\n\n".join(lines)
