"""The LIVE SYSTEM STATE as a document in its classic layout, computed from the
state that `pyctl.state.collect` read from the database: WHAT IS LIVE, WHAT IS
DEFERRED, WHAT IS FORBIDDEN, WHERE TRUTH LIVES, SANCTIONED WRITERS, CURRENT
STATE SNAPSHOT, MUTATION GUARD, SMOKE TEST, AUDIT TRAIL.

`document(state)` builds it from blocks (paragraphs, tables, code, bullet
lists, charts, subsections); `render_markdown` and `pyctl.state_html` lay the
same document out, so the two formats cannot disagree. Charts are drawn only
in HTML; their figures are in the tables next to them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pyctl import policy
from pyctl.state import (NA, TIER_LABELS, JOB_STATUS_NOTES, Section, _error, _header_lines, _pct, _when,
                         component_rows, fmt, job_rows, sections)

TITLE = "LIVE SYSTEM STATE"

#: the seed's section titles, in its order
SEED_SECTIONS = ("WHAT IS LIVE", "WHAT IS DEFERRED", "WHAT IS FORBIDDEN", "WHERE TRUTH LIVES", "SANCTIONED WRITERS",
                 "CURRENT STATE SNAPSHOT", "MUTATION GUARD", "SMOKE TEST", "AUDIT TRAIL")


# ------------------------------------------------------------------ blocks
@dataclass
class Badge:
    """A status cell: `level` is ok, warn, bad or idle (drives the emoji / colour)."""
    text: str
    level: str = "ok"

    EMOJI = {"ok": "✅", "warn": "⚠️", "bad": "❌", "idle": "⏸️"}

    def __str__(self) -> str:
        return f"{self.EMOJI[self.level]} {self.text}"


@dataclass
class Para:
    text: str                                   # `code` spans allowed


@dataclass
class Table:
    header: list[str]
    rows: list[list[Any]]                       # str, int, Badge ...


@dataclass
class Code:
    text: str
    lang: str = ""


@dataclass
class Bullets:
    items: list[str]


@dataclass
class Chart:
    kind: str                                   # tiers, gate, errors (see pyctl.state_html)
    title: str
    data: Any


@dataclass
class Sub:
    title: str
    blocks: list = field(default_factory=list)
    folded: bool = False                        # HTML: a <details> block, closed at first


@dataclass
class DocSection:
    title: str
    blocks: list = field(default_factory=list)


@dataclass
class Document:
    header: list[tuple[str, str]]
    status: Badge
    sections: list[DocSection]


# ------------------------------------------------------------------ helpers
def _dict(state: dict, key: str) -> dict:
    v = state.get(key)
    return v if isinstance(v, dict) and not _error(v) else {}


def _list(state: dict, key: str) -> list:
    v = state.get(key)
    return v if isinstance(v, list) else []


def _short(table: str) -> str:
    return table.split(".", 1)[-1]


_CONTRACT_REF = re.compile(r"\s*\((?:docs/)[^()]*(?:\([^()]*\)[^()]*)*\)")


def _comment(text: Any) -> str:
    """A COMMENT ON text for the report: without the pointers to the
    reference pages, which mean nothing in a report."""
    return _CONTRACT_REF.sub("", str(text or "")).strip()


def from_section(s: Section) -> Sub:
    """One of the report's detail sections (pyctl.state.sections) as a subsection."""
    blocks: list = []
    if s.pairs:
        blocks.append(Table(["Metric", "Value"], [[k.strip(), v] for k, v in s.pairs]))
    if s.header:
        blocks.append(Table(list(s.header), [list(r) for r in s.rows]))
    blocks += [Para(n) for n in s.notes]
    return Sub(s.title, blocks, folded=True)


def attention(state: dict) -> list[str]:
    """What an operator should look at now (drives the document's status)."""
    out = []
    al = _dict(state, "spine_alignment")
    if al and not al.get("is_aligned"):
        out.append("spine and CL are not aligned")
    cat = _dict(state, "catalogue")
    weak = [g["table"] for g in cat.get("guarded_tables") or [] if g.get("always_enabled") != g.get("guard_triggers")]
    if weak:
        out.append(f"guard triggers not ENABLE ALWAYS on {', '.join(weak)}")
    for j in job_rows(state.get("job_health")) or []:
        if j.get("status") == "FAILED":
            out.append(f"job {j.get('job_name')} failed")
        elif j.get("overdue"):
            out.append(f"job {j.get('job_name')} overdue")
    parked3 = sum(int(e.get("errors") or 0) for e in _list(state, "errors_by_escalation")
                  if e.get("disposition") == "PARKED" and str(e.get("escalation_level")) == "3")
    if parked3:
        out.append(f"{parked3:,} parked error{'s' if parked3 > 1 else ''} at escalation level 3")
    return out


# ------------------------------------------------------------------ the sections
def _what_is_live(state: dict) -> tuple[DocSection, DocSection]:
    hubs = _list(state, "hubs")
    rows = [[f"`{name}`", Badge("LIVE") if ok else Badge("MISSING", "bad"), extra]
            for name, ok, extra in component_rows(state)]
    deferred: list[list] = []
    for h in hubs:
        label = f"{h.get('hub_name')} hub (`{h.get('hub_id')}`)"
        opt = "" if h.get("is_required") else "optional hub; "
        if (h.get("PASS") or 0) > 0:
            rows.append([label, Badge("LIVE"), f"{opt}{fmt(h.get('PASS'))} of {fmt(h.get('rows'))} companies at PASS"])
        else:
            deferred.append([label, Badge("DEFERRED", "idle"),
                             f"{opt}no company has passed it yet ({fmt(h.get('IN_PROGRESS'))} IN_PROGRESS, "
                             f"{fmt(h.get('FAIL'))} FAIL, {fmt(h.get('BLOCKED'))} BLOCKED)"])
    jobs = job_rows(state.get("job_health"))
    for j in jobs or []:
        status = str(j.get("status"))
        label = f"pg_cron job `{j.get('job_name')}`"
        if status in ("SUCCEEDED", "NEVER_RUN", "RUNNING", "STARTING"):
            level = "warn" if j.get("overdue") else "ok"
            rows.append([label, Badge("LIVE" if level == "ok" else "OVERDUE", level),
                         f"{j.get('schedule')} (GMT); " + (JOB_STATUS_NOTES.get(status) or
                                                          f"last run {_when(j.get('last_run_at'))}: {status}")])
        elif status == "FAILED":
            rows.append([label, Badge("FAILING", "bad"), f"last run {_when(j.get('last_run_at'))} failed: "
                                                          f"{j.get('last_message') or ''}".strip()])
        else:
            deferred.append([label, Badge(status, "idle"), JOB_STATUS_NOTES.get(status, status)])
    live = DocSection("WHAT IS LIVE", [Table(["Component", "Status", "Description"], rows)])

    d = DocSection("WHAT IS DEFERRED")
    if deferred:
        d.blocks.append(Table(["Component", "Status", "Reason"], deferred))
    else:
        d.blocks.append(Para("Nothing is deferred: every hub has companies at PASS and every governance job runs."))
    req_deferred = [h for h in hubs if h.get("is_required") and not (h.get("PASS") or 0)]
    if req_deferred:
        d.blocks.append(Para("**Note:** hubs are initialized at `IN_PROGRESS` for every company target. No company "
                             "can reach Tier 1 until every required hub passes, so every company stays at Tier 0 "
                             "(or -1) while a required hub is deferred."))
    return live, d


def _from_catalogue(state: dict, title: str) -> tuple[dict, DocSection]:
    """The guard catalogue and a new section; the section says n/a when the catalogue is missing."""
    cat = _dict(state, "catalogue")
    sec = DocSection(title)
    if not cat:
        sec.blocks.append(Para(_error(state.get("catalogue")) or f"{NA} (shq.fn_governance_catalogue() not installed)"))
    return cat, sec


def _forbidden(state: dict) -> DocSection:
    cat, sec = _from_catalogue(state, "WHAT IS FORBIDDEN")
    if not cat:
        return sec
    guarded = cat.get("guarded_tables") or []
    names = lambda items: ", ".join(f"`{x}`" for x in items)  # noqa: E731
    rows = [
        [names(g["table"] for g in guarded if g.get("kind") == "sovereign"),
         "sovereign tables: written only by their sanctioned functions; any other write raises OG005"],
        [names(g["table"] for g in guarded if g.get("kind") != "sovereign"),
         "append-only tables: UPDATE, DELETE and TRUNCATE raise OG004; sealed in SHA-256 chains"],
        [names(v["view"] for v in cat.get("reader_views") or [] if v["view"].startswith("outreach.vw_")),
         "the tier, completion and eligibility logic: changed only by a reviewed migration (`pyctl migrate`)"],
    ]
    writers = [w["function"] + "()" for w in cat.get("sanctioned_writers") or []]
    if writers:
        rows.append([names(writers), "the sanctioned writers (SECURITY DEFINER, pinned search_path)"])
    sec.blocks += [Sub("DO NOT MODIFY without audit approval:", [Table(["Resource", "Reason"], rows)])]

    callers = {r for w in cat.get("sanctioned_writers") or [] for r in w.get("callers") or []}
    no_writes = [[f"`{r}`", "no write on a guarded table, no sanctioned writer: 42501"]
                 for r in policy.GROUP_ROLES if r != "outreach_owner" and r not in callers
                 and not policy.ALLOWED_TABLE_WRITES.get(r)]
    no_writes.append(["any role, writing a sovereign table directly", "mutation guard trigger: OG005"])
    no_writes.append(["any role, changing an append-only row", "append-only trigger: OG004"])
    no_writes.append(["DDL on a guarded table outside `pyctl migrate`", "DDL guard event trigger: OG010"])
    sec.blocks.append(Sub("NO WRITES allowed from:", [Table(["Path", "Enforcement"], no_writes)]))
    return sec


def _truth(state: dict) -> DocSection:
    cat, sec = _from_catalogue(state, "WHERE TRUTH LIVES")
    if not cat:
        return sec
    tables = [[f"`{g['table']}`", _comment(g.get("comment"))] for g in cat.get("guarded_tables") or []
              if g.get("kind") == "sovereign"]
    views = []
    for v in cat.get("reader_views") or []:
        name = f"`{v['view']}`"
        if v["view"] == "outreach.vw_marketing_eligibility_with_overrides":
            name += " (**THE** marketing eligibility source)"
        views.append([name, _comment(v.get("comment"))])
    sec.blocks += [
        Sub("Authoritative Tables", [Table(["Table", "Truth For"], tables)]),
        Sub("Authoritative Views", [Para("The views `outreach_reader` may read:"), Table(["View", "Truth For"], views)]),
        Sub("DO NOT read from:", [Bullets([
            "Raw hub tables directly for marketing decisions",
            "Any view without the `_with_overrides` suffix for production use",
            "Cached or derived tables that may be stale (the metric snapshots included)"])]),
    ]
    return sec


def _writers(state: dict) -> DocSection:
    cat, sec = _from_catalogue(state, "SANCTIONED WRITERS")
    if not cat:
        return sec
    sovereign = {g["table"] for g in cat.get("guarded_tables") or [] if g.get("kind") == "sovereign"}
    lines = []
    for w in cat.get("sanctioned_writers") or []:
        targets = [t for t in w.get("sanctions") or [] if t in sovereign]
        if not targets and w.get("sanctions"):
            targets = ["every sovereign table (the sanctioned cascade deletion)"]
        who = ", ".join(w.get("callers") or []) or "called by other writers only"
        lines.append((f"SQL: {w['function']}()", ", ".join(_short(t) if t in sovereign else t for t in targets), who))
    lines.append(("db/*.sql (pyctl migrate)", "schema changes only", "the deployer"))
    w1 = max(len(a) for a, _b, _c in lines)
    w2 = max(len(b) for _a, b, _c in lines)
    sec.blocks += [Para("Only these code paths may write to sovereign tables (callers: the roles granted EXECUTE):"),
                   Code("\n".join(f"{a.ljust(w1)}  → {b.ljust(w2)}  ({c})" for a, b, c in lines)),
                   Para("Everything else is READ-ONLY.")]
    return sec


def _snapshot(state: dict) -> DocSection:
    companies = _dict(state, "companies")
    counts = {c["table"]: c["rows"] for c in state.get("row_counts") or []}
    tiers = _list(state, "tier_distribution")
    overrides = _dict(state, "overrides")
    bit = _dict(state, "bit")
    sa = _dict(state, "send_attempts_24h")
    al = _dict(state, "spine_alignment")
    total = sum(t.get("companies") or 0 for t in tiers)
    t0 = sum(t.get("companies") or 0 for t in tiers if t.get("effective_tier") == 0)
    t1 = sum(t.get("companies") or 0 for t in tiers if (t.get("effective_tier") or 0) >= 1)
    blocking = sum(int(e.get("errors") or 0) for e in _list(state, "errors_by_escalation")
                   if e.get("disposition") in ("RETRY", "PARKED"))
    rows = [
        ["Total Companies", fmt(companies.get("total"))],
        ["Companies in the authoritative view", fmt(total)],
        ["Companies at Tier 0", f"{fmt(t0)} ({_pct(t0, total)})"],
        ["Companies at Tier 1+", f"{fmt(t1)} ({_pct(t1, total)})"],
        ["Hub status rows (company_hub_status)", fmt(counts.get("outreach.company_hub_status"))],
        ["Active Overrides", fmt(overrides.get("active"))],
        ["BIT Scores Computed", fmt(bit.get("scored_companies"))],
        ["Avg BIT Score", fmt(bit.get("avg_score"))],
        ["Gate checks, last 24 h (cleared / blocked)",
         f"{fmt(sa.get('attempts'))} ({fmt(sa.get('cleared'))} / {fmt(sa.get('blocked'))})"],
        ["Blocking errors (RETRY or PARKED)", fmt(blocking)],
        ["Spine / CL", ("ALIGNED" if al.get("is_aligned") else "NOT ALIGNED") if al else NA],
    ]
    sec = DocSection("CURRENT STATE SNAPSHOT", [Table(["Metric", "Value"], rows)])
    if tiers:
        sec.blocks.append(Chart("tiers", "Companies by effective tier", [
            {"tier": t.get("effective_tier"), "label": TIER_LABELS.get(t.get("effective_tier"), ""),
             "companies": t.get("companies") or 0, "pct": t.get("pct")} for t in tiers]))
    hourly = _list(state, "gate_verdicts_hourly")
    sec.blocks.append(Chart("gate", "Gate verdicts per hour, last 24 hours (dry runs left out)",
                            {"rows": hourly, "now": state.get("generated_at")}))
    esc = state.get("errors_by_escalation")
    if isinstance(esc, list):
        sec.blocks.append(Chart("errors", "Governed errors by disposition and escalation level", esc))
    sec.blocks.append(Para("**Details**"))
    details = {s.title: s for s in sections(state)}
    for title in ("TIER DISTRIBUTION (effective tier)", "HUB STATUS", "PROMOTION READINESS", "ACTIVE OVERRIDES (kill switch)",
                  "BIT SCORES", "CAMPAIGNS", "SEND ATTEMPTS (LAST 24 H)", "ERROR GOVERNANCE",
                  "ERRORS BY DISPOSITION AND ESCALATION", "JOB HEALTH", "SPINE ALIGNMENT", "ROW COUNTS"):
        if title in details:
            sec.blocks.append(from_section(details[title]))
    return sec


def _guard(state: dict) -> DocSection:
    cat = _dict(state, "catalogue")
    sec = DocSection("MUTATION GUARD", [
        Para("Check: `pyctl verify` runs the pgTAP suite, plpgsql_check over every function, the mutation-guard "
             "audit (every role that may write a guarded table or call a sanctioned writer, checked against the "
             "role policy) and the grants audit. It changes no data: run it before every deployment and on the "
             "live database."),
        Code("pyctl verify --report verify-report.json", "sh")])
    rows = []
    for g in cat.get("guarded_tables") or []:
        ok = g.get("always_enabled") == g.get("guard_triggers")
        rows.append([f"`{g['table']}`", g.get("kind"),
                     Badge(f"{g.get('always_enabled')}/{g.get('guard_triggers')} ENABLE ALWAYS", "ok" if ok else "bad")])
    if rows:
        sec.blocks.append(Sub("Guard triggers in this database", [Table(["Table", "Guard", "Triggers"], rows)]))
    return sec


def _smoke(state: dict) -> DocSection:
    smoke = state.get("smoke_test")
    sec = DocSection("SMOKE TEST", [
        Para("Command: `pyctl smoke` (`shq.fn_run_smoke_test(n)`). Validates the live pipeline end to end by:"),
        Bullets(["picking 5 random companies", "reading the completion and eligibility views",
                 "running the safety gate as a dry run", "logging one `SMOKE_TEST` row to `shq.audit_log`"]),
        Code("pyctl smoke", "sh")])
    if isinstance(smoke, dict) and not _error(smoke):
        sec.blocks.append(Table(["Last run", "By", "Companies checked", "Eligible"],
                                [[_when(smoke.get("occurred_at")), fmt(smoke.get("actor")), fmt(smoke.get("checked")),
                                  fmt(smoke.get("eligible"))]]))
    else:
        sec.blocks.append(Para(_error(smoke) or "Last run: never."))
    return sec


def _audit(state: dict) -> DocSection:
    cat = _dict(state, "catalogue")
    sec = DocSection("AUDIT TRAIL", [Para("All system actions are logged to `shq.audit_log` (append-only, sealed):")])
    events = cat.get("audit_events") or []
    if events:
        sec.blocks.append(Table(["Event", "Events", "Last"],
                                [[e["event_type"], fmt(e.get("events")), _when(e.get("last_at"))] for e in events]))
    else:
        sec.blocks.append(Para("No audit event yet." if cat else (_error(state.get("catalogue")) or NA)))
    seals = cat.get("seals") or []
    if seals:
        sec.blocks.append(Sub("Seal chain (tamper evidence)", [
            Para("`pyctl audit seal` (pg_cron: daily) seals every append-only table in SHA-256 chains; "
                 "`pyctl verify --audit` checks them."),
            Table(["Table", "Unsealed rows", "Oldest unsealed", "Last sealed"],
                  [[f"`{s['table_name']}`", fmt(s.get("unsealed_rows")), _when(s.get("oldest_unsealed_at")),
                    _when(s.get("last_sealed_at"))] for s in seals])]))
    return sec


def document(state: dict) -> Document:
    """The report in its classic layout."""
    header = _header_lines(state)
    if state.get("not_migrated"):
        sec = [DocSection(t, [Para(f"{NA}: the database is not migrated (run `pyctl migrate`)")]) for t in SEED_SECTIONS]
        return Document(header, Badge("NOT MIGRATED", "bad"), sec)
    todo = attention(state)
    status = Badge("LIVE, NEEDS ATTENTION: " + "; ".join(todo), "warn") if todo else Badge("LIVE")
    live, deferred = _what_is_live(state)
    return Document(header, status, [live, deferred, _forbidden(state), _truth(state), _writers(state),
                                     _snapshot(state), _guard(state), _smoke(state), _audit(state)])


# ------------------------------------------------------------------ markdown
def _md(v: Any) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def _md_blocks(blocks: list, level: int) -> list[str]:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Para):
            out += [b.text, ""]
        elif isinstance(b, Table):
            out.append("| " + " | ".join(_md(h) for h in b.header) + " |")
            out.append("|" + "|".join("---" for _ in b.header) + "|")
            out += ["| " + " | ".join(_md(c) for c in r) + " |" for r in b.rows]
            out.append("")
        elif isinstance(b, Code):
            out += [f"```{b.lang}", b.text, "```", ""]
        elif isinstance(b, Bullets):
            out += [f"- {i}" for i in b.items] + [""]
        elif isinstance(b, Sub):
            out += [f"{'#' * (level + 1)} {b.title}", ""] + _md_blocks(b.blocks, level + 1)
        # charts: HTML only (their figures are in the tables)
    return out


def render_markdown(state: dict) -> str:
    doc = document(state)
    lines = [f"# {TITLE}", ""]
    lines += [f"**{k}:** {v}  " for k, v in doc.header] + [f"**Status:** {doc.status}", ""]
    for s in doc.sections:
        lines += ["---", "", f"## {s.title}", ""] + _md_blocks(s.blocks, 2)
    lines += ["---", "", f"**END OF {TITLE}**"]
    return "\n".join(lines) + "\n"


__all__ = ["Badge", "Bullets", "Chart", "Code", "DocSection", "Document", "Para", "SEED_SECTIONS", "Sub", "Table",
           "attention", "document", "render_markdown"]
