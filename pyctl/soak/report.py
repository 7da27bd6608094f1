"""The soak's report: one JSON document (format `pyctl-soak/1`, its fields
documented in docs/soak.md, rendered by the benchmarks page) and the text
`pyctl soak` prints."""
from __future__ import annotations

import datetime as dt
import platform

from pyctl.dsn import redact
from pyctl.soak.invariants import Verdict

FORMAT = "pyctl-soak/1"
#: violation lines printed per broken invariant (the JSON keeps up to MAX_SHOWN)
PRINTED = 10


def document(result, verdicts: list[Verdict], server_version: str | None = None) -> dict:
    """The JSON report of a checked run."""
    cfg = result.config
    figures = {v.name: v.figures for v in verdicts}
    ks = figures.get("kill_switch_bound", {})
    return {
        "format": FORMAT,
        "title": title(result),
        "ok": all(v.ok for v in verdicts),
        "started_at": dt.datetime.fromtimestamp(result.started_at, dt.timezone.utc).isoformat(timespec="seconds"),
        "seconds": round(result.seconds, 1),
        "setup_seconds": round(result.setup_seconds, 1),
        "clients": cfg.clients,
        "seed": cfg.seed,
        "crash_every": cfg.crash_every,
        "provider_timeout": cfg.provider_timeout,
        "judge_window": cfg.judge_window,
        "id_prefix": result.universe.prefix,
        "database": redact(result.dsn),
        "server_version": server_version,
        "machine": {"cpus": _cpus(), "python": platform.python_version()},
        "replay": cfg.replay_command(),
        "invariants": [v.to_json() for v in verdicts],
        "operations": figures.get("throughput", {}).get("operations", []),
        "faults": {
            "terminated_backends": result.terminated_backends,
            "statement_timeouts": result.statement_timeouts,
            "crashes": [{"at_seconds": c.at, "recovery_seconds": c.recovery_seconds, "seals": c.seals,
                         "error": c.error} for c in result.crashes],
        },
        "kill_switch": {k: ks.get(k) for k in ("changes", "bound_seconds", "max_wait_seconds", "p99_wait_seconds",
                                               "median_wait_seconds")},
    }


def title(result) -> str:
    """The run in a few words: the heading the benchmarks page gives the report."""
    cfg = result.config
    length = _counted(cfg.seconds / 60, "minute") if cfg.seconds % 60 == 0 else _counted(cfg.seconds, "second")
    return f"Soak: {_counted(cfg.clients, 'client')}, {length}, {_counted(len(result.crashes), 'crash')}, seed {cfg.seed}"


def _counted(n: float, noun: str) -> str:
    return f"{n:g} {noun}" + ("" if n == 1 else "es" if noun.endswith("sh") else "s")


def _cpus() -> int | None:
    import os

    return os.cpu_count()


def text(doc: dict) -> list[str]:
    """The lines `pyctl soak` prints."""
    lines = [f"SOAK {'PASSED' if doc['ok'] else 'FAILED'}: {doc['clients']} clients, {doc['seconds']}s, "
             f"seed {doc['seed']}, ids {doc['id_prefix']}*",
             f"  faults: {doc['faults']['terminated_backends']} backends terminated, "
             f"{doc['faults']['statement_timeouts']} statement timeouts, {len(doc['faults']['crashes'])} crashes"
             + "".join(f" ({c['at_seconds']}s: recovered in {c['recovery_seconds']}s)"
                       for c in doc["faults"]["crashes"])]
    lines.append("invariants:")
    for inv in doc["invariants"]:
        mark = "ok  " if inv["ok"] else "FAIL"
        lines.append(f"  {mark} {inv['number']} {inv['title']}" + _summary(inv))
        for v in inv["violations"][:PRINTED]:
            lines.append(f"         - {v}")
        if inv["violation_count"] > PRINTED:
            lines.append(f"         ... {inv['violation_count'] - PRINTED} more (see --json)")
    lines.append("throughput (acknowledged operations; latency of those, ms):")
    lines.append(f"  {'operation':<22} {'ok':>7} {'refused':>8} {'unknown':>8} {'per s':>7} {'median':>8} "
                 f"{'p99':>8} {'max':>8}")
    for o in doc["operations"]:
        lines.append(f"  {o['operation']:<22} {o['ok']:>7} {o['refused']:>8} {o['unknown']:>8} "
                     f"{_num(o['per_second']):>7} {_num(o['median_ms']):>8} {_num(o['p99_ms']):>8} "
                     f"{_num(o['max_ms']):>8}")
    lines.append(f"replay: {doc['replay']}  (on a database where {doc['id_prefix']}* is the next prefix: "
                 "a fresh one, or a copy of this one from before the run)")
    return lines


def _summary(inv: dict) -> str:
    f = inv["figures"]
    if inv["name"] == "no_unsafe_send":
        return (f" [{f.get('sends_judged')} sends and {f.get('unrecorded_provider_calls_judged')} unrecorded provider"
                f" calls judged; {f.get('judged_within_window')} within the {f.get('judge_window_seconds')}s window]")
    if inv["name"] == "kill_switch_bound":
        return (f" [max wait {f.get('max_wait_seconds')}s over {f.get('changes')} changes, "
                f"bound {f.get('bound_seconds')}s]")
    if inv["name"] == "seals_verify":
        return f" [{f.get('crash_recoveries_checked')} crash recoveries and the end]"
    if inv["name"] == "no_identity_fork":
        return f" [{f.get('companies')} companies, {f.get('acknowledged_mints')} mints]"
    if inv["name"] == "throughput":
        return f" [{f.get('acknowledged_per_second')} acknowledged operations/s]"
    return ""


def _num(v) -> str:
    return "-" if v is None else f"{v:g}"
