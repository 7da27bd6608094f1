"""`pyctl state`: the LIVE SYSTEM STATE report, computed from the
database (docs/operator-guide.md).

The figures come from `shq.fn_live_system_state()` (jsonb) plus a few
sections read with the caller's own rights (EXTRAS: the pg_cron job health,
hourly gate verdicts, errors by escalation, the guard catalogue). This module
lays them out as text and JSON; pyctl.state_document gives the seed's
document layout (Markdown) and pyctl.state_html the same document as one
HTML page. A section whose view does not exist (yet) shows "n/a"; on a
database that was never migrated every section is "n/a" and the report says so.
"""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import psycopg

from pyctl.dsn import connect, redact
from pyctl.output import table_lines
from pyctl.errors import format_db_error

FORMATS = ("text", "markdown", "json", "html")
NA = "n/a"

TIER_LABELS = {-1: "ineligible / blocked", 0: "in progress", 1: "marketing ready",
               2: "enrichment complete", 3: "campaign ready"}

#: (object, description) of the WHAT IS LIVE table, in the report's order
COMPONENTS = [
    ("outreach.hub_registry", "hub definitions"),
    ("outreach.company_hub_status", "which hubs are complete for which companies"),
    ("outreach.manual_overrides", "kill switch"),
    ("outreach.vw_sovereign_completion", "real-time completion status"),
    ("outreach.vw_marketing_eligibility", "tier computation"),
    ("outreach.vw_marketing_eligibility_with_overrides", "override-aware tiers: THE marketing eligibility source"),
    ("outreach.vw_tier_distribution", "tier breakdown"),
    ("outreach.bit_scores", "BIT intent scores"),
    ("shq.vw_promotion_readiness_summary", "promotion readiness by tier"),
    ("shq.vw_error_governance_summary", "governed errors by table and disposition"),
    ("shq.vw_governance_job_health", "error governance job health"),
    ("outreach.fn_safety_gate_check(text,text,text,text,boolean)", "marketing safety gate"),
    ("outreach.set_marketing_override(text,text,text,text,integer,timestamp with time zone)", "kill switch: set"),
    ("outreach.remove_marketing_override(text,text,text,text)", "kill switch: remove"),
    ("outreach.fn_evaluate_hub_statuses(uuid)", "set-based hub promotion"),
    ("outreach.fn_refresh_bit_scores(uuid[],timestamp with time zone)", "BIT score refresh"),
    ("shq.fn_run_error_governance_jobs()", "error governance jobs"),
    ("shq.fn_run_smoke_test(integer)", "smoke test"),
]


# ------------------------------------------------------------------ collect
def collect(dsn: str) -> dict:
    """The state document from the database (see shq.fn_live_system_state)."""
    with connect(dsn, autocommit=True, application_name="pyctl state") as conn:
        installed = conn.execute(
            "SELECT to_regprocedure('shq.fn_live_system_state()') IS NOT NULL").fetchone()[0]
        if not installed:
            return {"generated_at": conn.execute("SELECT now()").fetchone()[0].isoformat(),
                    "database": conn.execute("SELECT current_database()").fetchone()[0],
                    "server_version": conn.execute("SHOW server_version").fetchone()[0],
                    "not_migrated": True}
        state = conn.execute("SELECT shq.fn_live_system_state()").fetchone()[0]
        state.update(_extras(conn))
    state["dsn"] = redact(dsn)
    return state


#: sections read with the caller's own rights, after shq.fn_live_system_state():
#: key -> (object that must exist, query returning one jsonb value)
EXTRAS = {
    # pg_cron shows each role only its own jobs, and shq.fn_live_system_state()
    # runs as outreach_owner: read the job health as the caller, exactly as
    # `pyctl schedule --status` does, so that the two agree
    "job_health": ("shq.vw_governance_job_health", """
        SELECT jsonb_build_object(
                   'columns', (SELECT jsonb_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a
                                WHERE a.attrelid = 'shq.vw_governance_job_health'::regclass
                                  AND a.attnum > 0 AND NOT a.attisdropped),
                   'rows', (SELECT coalesce(jsonb_agg(to_jsonb(j) ORDER BY j.job_name), '[]'::jsonb)
                              FROM shq.vw_governance_job_health j))"""),
    "gate_verdicts_hourly": ("shq.vw_gate_verdicts_hourly", """
        SELECT coalesce(jsonb_agg(jsonb_build_object('hour_start', g.hour_start, 'verdict', g.verdict,
                                                     'attempts', g.attempts) ORDER BY g.hour_start, g.verdict), '[]')
          FROM shq.vw_gate_verdicts_hourly g"""),
    "errors_by_escalation": ("shq.vw_metrics_governed", """
        SELECT coalesce(jsonb_agg(to_jsonb(e) ORDER BY e.table_name, e.disposition, e.escalation_level), '[]')
          FROM shq.vw_metrics_governed e"""),
    "catalogue": ("shq.fn_governance_catalogue()", "SELECT shq.fn_governance_catalogue()"),
}


def _extras(conn) -> dict:
    """The EXTRAS sections: null when the object is missing, {"error": ...} when the query fails."""
    out: dict[str, Any] = {}
    for key, (obj, query) in EXTRAS.items():
        check = "to_regprocedure(%s)" if "(" in obj else "to_regclass(%s)"
        if conn.execute(f"SELECT {check} IS NULL", (obj,)).fetchone()[0]:
            out[key] = None
            continue
        try:
            with conn.transaction():
                out[key] = conn.execute(query).fetchone()[0]
        except psycopg.Error as e:
            out[key] = {"error": format_db_error(e)}
    return out


# ------------------------------------------------------------------ formatting
def fmt(v: Any) -> str:
    if v is None:
        return NA
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, (float, Decimal)):
        return f"{v:,.2f}"
    if isinstance(v, (list, tuple)):
        return ", ".join(fmt(x) for x in v) if v else "-"
    if isinstance(v, dict):
        return ", ".join(f"{k}={fmt(x)}" for k, x in v.items()) if v else "-"
    return str(v)


def _when(v: Any) -> str:
    if not v:
        return NA
    try:
        return datetime.fromisoformat(str(v)).strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    except ValueError:
        return str(v)


def _error(section: Any) -> str | None:
    if isinstance(section, dict) and set(section) == {"error"}:
        return f"error: {section['error']}"
    return None


class Section:
    """A titled block: key/value lines, a table, or a note."""

    def __init__(self, title: str):
        self.title = title
        self.pairs: list[tuple[str, str]] = []
        self.header: list[str] | None = None
        self.rows: list[list[str]] = []
        self.notes: list[str] = []

    def kv(self, key: str, value: Any) -> "Section":
        self.pairs.append((key, value if isinstance(value, str) else fmt(value)))
        return self

    def table(self, header: list[str], rows: list[list[Any]]) -> "Section":
        self.header = header
        self.rows = [[c if isinstance(c, str) else fmt(c) for c in r] for r in rows]
        return self

    def note(self, text: str) -> "Section":
        self.notes.append(text)
        return self


def _generic(section: Section, data: Any) -> Section:
    """A {columns, rows} view dump as a table (or n/a)."""
    if data is None:
        return section.note(f"{NA} (view not installed)")
    err = _error(data)
    if err:
        return section.note(err)
    cols = data.get("columns") or []
    rows = data.get("rows") or []
    if not rows:
        return section.note("no rows")
    return section.table(cols, [[_cell(r.get(c)) for c in cols] for r in rows])


def _cell(v: Any) -> Any:
    if isinstance(v, str) and len(v) >= 19 and v[4:5] == "-" and v[10:11] == "T":
        return _when(v)
    return v


def component_rows(state: dict) -> list[tuple[str, bool, str]]:
    """The WHAT IS LIVE components: (name, exists, description with its figures)."""
    objects = {o["object"]: o["live"] for o in state.get("objects") or []}
    counts = {c["table"]: c["rows"] for c in state.get("row_counts") or []}
    hubs = state.get("hubs") if isinstance(state.get("hubs"), list) else []
    overrides = state.get("overrides") if isinstance(state.get("overrides"), dict) else {}
    bit = state.get("bit") if isinstance(state.get("bit"), dict) else {}
    out = []
    for obj, desc in COMPONENTS:
        name = obj.split("(")[0] + ("()" if "(" in obj else "")
        extra = desc
        if obj == "outreach.hub_registry" and hubs:
            req = sum(1 for h in hubs if h.get("is_required"))
            extra = f"{len(hubs)} hubs registered ({req} required, {len(hubs) - req} optional)"
        elif obj == "outreach.company_hub_status":
            extra = f"{fmt(counts.get(obj))} rows ({fmt(state.get('hub_status_companies'))} companies)"
        elif obj == "outreach.manual_overrides":
            extra = f"kill switch, {fmt(overrides.get('active'))} active overrides"
        elif obj == "outreach.bit_scores":
            extra = f"BIT scores for {fmt(bit.get('scored_companies'))} companies"
        out.append((name, bool(objects.get(obj)), extra))
    return out


def sections(state: dict) -> list[Section]:
    """The report as sections, in their order."""
    out: list[Section] = []
    if state.get("not_migrated"):
        out.append(Section("WHAT IS LIVE").note(
            "nothing: the database is not migrated (run `pyctl migrate`); every figure is n/a"))
        for title in ("CURRENT STATE SNAPSHOT", "TIER DISTRIBUTION", "ACTIVE OVERRIDES", "BIT SCORES",
                      "SEND ATTEMPTS (LAST 24 H)", "ERROR GOVERNANCE", "JOB HEALTH", "SPINE ALIGNMENT"):
            out.append(Section(title).note(NA))
        return out

    objects = {o["object"]: o["live"] for o in state.get("objects") or []}
    counts = {c["table"]: c["rows"] for c in state.get("row_counts") or []}
    hubs = state.get("hubs") if isinstance(state.get("hubs"), list) else []
    companies = state.get("companies") if isinstance(state.get("companies"), dict) else {}
    overrides = state.get("overrides") if isinstance(state.get("overrides"), dict) else {}
    bit = state.get("bit") if isinstance(state.get("bit"), dict) else {}
    hsc = state.get("hub_status_companies")

    # ---------------------------------------------------------- what is live
    live = Section("WHAT IS LIVE")
    rows = [[name, "LIVE" if ok else "MISSING", extra] for name, ok, extra in component_rows(state)]
    for h in hubs:
        status = "LIVE" if (h.get("PASS") or 0) > 0 else "DEFERRED"
        rows.append([f"{h.get('hub_name')} hub ({h.get('hub_id')})", status,
                     f"{fmt(h.get('PASS'))} companies at PASS" + ("" if h.get("is_required") else " (optional)")])
    out.append(live.table(["component", "status", "description"], rows))

    # ---------------------------------------------------------- hubs
    hs = Section("HUB STATUS")
    if state.get("hubs") is None or _error(state.get("hubs")):
        hs.note(_error(state.get("hubs")) or NA)
    else:
        hs.table(["hub", "required", "PASS", "IN_PROGRESS", "FAIL", "BLOCKED", "rows"],
                 [[h["hub_id"], h["is_required"], h["PASS"], h["IN_PROGRESS"], h["FAIL"], h["BLOCKED"], h["rows"]]
                  for h in hubs])
    out.append(hs)

    # ---------------------------------------------------------- snapshot
    snap = Section("CURRENT STATE SNAPSHOT")
    completion = state.get("completion") if isinstance(state.get("completion"), dict) else None
    snap.kv("Total companies (CL)", companies.get("total"))
    snap.kv("  eligible / ineligible", f"{fmt(companies.get('eligible'))} / {fmt(companies.get('ineligible'))}")
    snap.kv("  bound to the spine", companies.get("bound"))
    snap.kv("Spine records (outreach.outreach)", counts.get("outreach.outreach"))
    snap.kv("Company targets", counts.get("outreach.company_target"))
    snap.kv("Hub status rows (company_hub_status)", counts.get("outreach.company_hub_status"))
    if completion is not None:
        for k in ("COMPLETE", "IN_PROGRESS", "BLOCKED"):
            snap.kv(f"Completion {k}", completion.get(k, 0))
    else:
        snap.kv("Completion", _error(state.get("completion")) or NA)
    tiers = state.get("tier_distribution")
    if isinstance(tiers, list):
        t1 = sum(t.get("companies") or 0 for t in tiers if (t.get("effective_tier") or 0) >= 1)
        total = sum(t.get("companies") or 0 for t in tiers)
        t0 = sum(t.get("companies") or 0 for t in tiers if t.get("effective_tier") == 0)
        snap.kv("Companies in the authoritative view", total)
        snap.kv("Companies at Tier 0", f"{fmt(t0)} ({_pct(t0, total)})")
        snap.kv("Companies at Tier 1+", f"{fmt(t1)} ({_pct(t1, total)})")
    snap.kv("Active overrides", overrides.get("active"))
    snap.kv("BIT scores computed", bit.get("scored_companies"))
    snap.kv("Avg BIT score", bit.get("avg_score"))
    out.append(snap)

    # ---------------------------------------------------------- tiers
    ts = Section("TIER DISTRIBUTION (effective tier)")
    if isinstance(tiers, list):
        ts.table(["tier", "meaning", "companies", "pct"],
                 [[t.get("effective_tier"), TIER_LABELS.get(t.get("effective_tier"), ""), t.get("companies"),
                   f"{fmt(t.get('pct'))} %"] for t in tiers])
        if not tiers:
            ts.note("no companies")
    else:
        ts.note(_error(tiers) or f"{NA} (outreach.vw_tier_distribution not installed)")
    out.append(ts)
    pr = state.get("promotion_readiness")
    if pr is not None:
        out.append(_generic(Section("PROMOTION READINESS"), pr))

    # ---------------------------------------------------------- overrides
    ov = Section("ACTIVE OVERRIDES (kill switch)")
    if state.get("overrides") is None or _error(state.get("overrides")):
        ov.note(_error(state.get("overrides")) or NA)
    else:
        ov.kv("Active overrides", overrides.get("active"))
        ov.kv("Companies with an active override", overrides.get("active_companies"))
        ov.kv("Expired (not removed)", overrides.get("expired"))
        ov.kv("Removed", overrides.get("removed"))
        by_type = overrides.get("by_type") or {}
        if by_type:
            ov.table(["override_type", "active"], [[k, by_type[k]] for k in sorted(by_type)])
    out.append(ov)

    # ---------------------------------------------------------- BIT
    bs = Section("BIT SCORES")
    if state.get("bit") is None or _error(state.get("bit")):
        bs.note(_error(state.get("bit")) or NA)
    else:
        bs.kv("Scored companies", bit.get("scored_companies"))
        bs.kv("Average score", bit.get("avg_score"))
        bs.kv("Highest score", bit.get("max_score"))
        bs.kv("Signals (all / last 180 days)",
              f"{fmt(bit.get('signals'))} / {fmt(bit.get('signals_last_180_days'))}")
        bs.kv("Last computed", _when(bit.get("last_computed_at")))
        dist = bit.get("by_score_tier") or {}
        scored = bit.get("scored_companies") or 0
        bs.table(["score_tier", "range", "companies", "pct"],
                 [[k, r, dist.get(k, 0), _pct(dist.get(k, 0), scored)]
                  for k, r in (("COLD", "0-24"), ("WARM", "25-49"), ("HOT", "50-74"), ("BURNING", "75+"))])
    out.append(bs)

    # ---------------------------------------------------------- campaigns and sends
    camp = state.get("campaigns")
    cs = Section("CAMPAIGNS")
    if not isinstance(camp, dict) or _error(camp):
        cs.note(_error(camp) or NA)
    else:
        by = camp.get("by_status") or {}
        cs.kv("Campaigns by status", ", ".join(f"{k} {fmt(by[k])}" for k in sorted(by)) or "none")
        cs.kv("Sequence steps", camp.get("sequences"))
        cs.kv("Sends in the last 24 h", camp.get("sends_last_24h"))
    out.append(cs)

    sa = state.get("send_attempts_24h")
    ss = Section("SEND ATTEMPTS (LAST 24 H)")
    if not isinstance(sa, dict) or _error(sa):
        ss.note(_error(sa) or NA)
    else:
        ss.kv("Gate checks", sa.get("attempts"))
        ss.kv("  cleared", sa.get("cleared"))
        ss.kv("  blocked", sa.get("blocked"))
        ss.kv("  dry runs", sa.get("dry_runs"))
        by = sa.get("blocked_by_reason") or {}
        if by:
            ss.table(["block_reason", "blocked attempts"],
                     [[k, by[k]] for k in sorted(by, key=lambda k: (-by[k], k))])
        else:
            ss.note("no blocked send attempts in the last 24 h")
    out.append(ss)

    # ---------------------------------------------------------- governance
    out.append(_generic(Section("ERROR GOVERNANCE"), state.get("error_governance")))
    out.append(_escalation_section(state.get("errors_by_escalation")))
    out.append(_job_health_section(state.get("job_health")))
    smoke = state.get("smoke_test")
    st = Section("LAST SMOKE TEST")
    if isinstance(smoke, dict) and not _error(smoke):
        st.kv("When", _when(smoke.get("occurred_at")))
        st.kv("By", smoke.get("actor"))
        st.kv("Companies checked / eligible", f"{fmt(smoke.get('checked'))} / {fmt(smoke.get('eligible'))}")
    else:
        st.note(_error(smoke) or "never run (pyctl smoke)")
    out.append(st)

    # ---------------------------------------------------------- alignment
    al = state.get("spine_alignment")
    sp = Section("SPINE ALIGNMENT")
    if not isinstance(al, dict) or _error(al):
        sp.note(_error(al) or NA)
    else:
        sp.kv("Spine records", al.get("spine_count"))
        sp.kv("CL companies with a bound outreach_id", al.get("cl_bound_count"))
        sp.kv("Spine rows CL does not bind", al.get("spine_without_cl"))
        sp.kv("CL bindings without a spine row", al.get("cl_without_spine"))
        sp.kv("Status", "ALIGNED" if al.get("is_aligned") else "NOT ALIGNED")
    out.append(sp)

    # ---------------------------------------------------------- row counts
    rc = Section("ROW COUNTS")
    rc.table(["table", "rows"], [[c["table"], c["rows"]] for c in state.get("row_counts") or []])
    out.append(rc)
    return out


#: what a job status that is not a run's outcome means (shq.vw_governance_job_health)
JOB_STATUS_NOTES = {
    "NEVER_RUN": "scheduled, no run yet",
    "NOT_SCHEDULED": "not registered in pg_cron (run `pyctl schedule`)",
    "NOT_VISIBLE": "scheduled by another role; pg_cron shows each role only its own jobs",
    "INACTIVE": "registered but switched off in pg_cron",
    "PG_CRON_NO_ACCESS": "cannot read pg_cron: this role has no USAGE on schema cron",
    "PG_CRON_NOT_LOADED": "cannot read pg_cron: not in shared_preload_libraries",
    "PG_CRON_OTHER_DATABASE": "cannot read pg_cron: it runs jobs from another database",
    "PG_CRON_NOT_INSTALLED": "cannot read pg_cron: extension not created here (`pyctl schedule`)",
}
JOB_COLUMNS = ["job_name", "schedule", "status", "last_run_at", "last_success_at", "last_failure_at", "failures",
               "overdue"]


def job_rows(data: Any) -> list[dict] | None:
    """The rows of the job health section (None when it is missing or failed)."""
    if not isinstance(data, dict) or _error(data):
        return None
    return list(data.get("rows") or [])


def _job_health_section(data: Any) -> Section:
    """JOB HEALTH: one row per pg_cron job, as the role running the report
    sees it (the same reading as `pyctl schedule --status`), and what the
    statuses that are not a run's outcome mean."""
    sec = Section("JOB HEALTH")
    rows = job_rows(data)
    if rows is None:
        return sec.note(_error(data) or f"{NA} (shq.vw_governance_job_health not installed)")
    if not rows:
        return sec.note("no governance jobs defined")
    sec.table(JOB_COLUMNS, [[_cell(r.get(c)) if c != "overdue" or r.get(c) is not None else "-" for c in JOB_COLUMNS]
                            for r in rows])
    seen = sorted({r.get("status") for r in rows if r.get("status") in JOB_STATUS_NOTES})
    for status in seen:
        note = JOB_STATUS_NOTES[status]
        if status == "NOT_VISIBLE":
            who = sorted({r.get("scheduled_as") for r in rows if r.get("status") == status and r.get("scheduled_as")})
            note += f" (scheduled as {', '.join(who)}: run the report as that role)" if who else ""
        sec.note(f"{status}: {note}")
    return sec


DISPOSITIONS = ("RETRY", "PARKED", "ARCHIVED", "IGNORE", "RESOLVED")


def escalation_matrix(rows: list[dict]) -> dict[str, list[int]]:
    """Errors of every governed table by disposition, then escalation level 0..3."""
    out = {d: [0, 0, 0, 0] for d in DISPOSITIONS}
    for r in rows:
        level = int(r.get("escalation_level") or 0)
        out.setdefault(str(r.get("disposition")), [0, 0, 0, 0])[min(max(level, 0), 3)] += int(r.get("errors") or 0)
    return out


def _escalation_section(data: Any) -> Section:
    sec = Section("ERRORS BY DISPOSITION AND ESCALATION")
    if not isinstance(data, list):
        return sec.note(_error(data) or f"{NA} (shq.vw_metrics_governed not installed)")
    m = escalation_matrix(data)
    return sec.table(["disposition", "level 0", "level 1", "level 2", "level 3", "total"],
                     [[d, *m[d], sum(m[d])] for d in m])


def _pct(n: Any, total: Any) -> str:
    if not total or n is None:
        return "0.0 %" if total == 0 else NA
    return f"{100.0 * n / total:.1f} %"


# ------------------------------------------------------------------ renderers
def _header_lines(state: dict) -> list[tuple[str, str]]:
    return [("Date", _when(state.get("generated_at"))), ("Database", str(state.get("database", NA))),
            ("Server", f"PostgreSQL {state.get('server_version', NA)}")]


def _text_table(header: list[str], rows: list[list[str]], indent: str = "  ") -> list[str]:
    right = [i for i in range(len(header)) if rows and all(_numeric(str(r[i])) for r in rows)]
    return table_lines(rows, header, indent=indent, right=right)


def _numeric(s: str) -> bool:
    t = s.replace(",", "").replace(".", "").replace(" %", "").replace("-", "")
    return t.isdigit() or s == NA


def render_text(state: dict) -> str:
    lines = ["LIVE SYSTEM STATE", "=" * 17]
    lines += [f"{k}: {v}" for k, v in _header_lines(state)]
    for s in sections(state):
        lines += ["", s.title, "-" * len(s.title)]
        if s.pairs:
            w = max(len(k) for k, _ in s.pairs)
            lines += [f"  {k.ljust(w)}  {v}" for k, v in s.pairs]
        if s.header:
            if s.pairs:
                lines.append("")
            lines += _text_table(s.header, s.rows)
        lines += [f"  {n}" for n in s.notes]
    lines += ["", "END OF LIVE SYSTEM STATE"]
    return "\n".join(lines) + "\n"


def render_json(state: dict) -> str:
    return json.dumps({"title": "LIVE SYSTEM STATE", **state}, indent=2, default=str) + "\n"


def render(state: dict, fmt_name: str = "text") -> str:
    if fmt_name == "text":
        return render_text(state)
    if fmt_name == "markdown":
        from pyctl.state_document import render_markdown
        return render_markdown(state)
    if fmt_name == "json":
        return render_json(state)
    if fmt_name == "html":
        from pyctl.state_html import render_html
        return render_html(state)
    raise ValueError(f"unknown format {fmt_name!r}; use one of {', '.join(FORMATS)}")


def state_report(dsn: str, fmt_name: str = "text") -> str:
    """Collect and render in one call."""
    return render(collect(dsn), fmt_name)


__all__ = ["FORMATS", "collect", "render", "render_text", "render_json", "sections", "state_report"]
