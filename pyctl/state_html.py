"""`pyctl state --format html`: the LIVE SYSTEM STATE document
(pyctl.state_document) as one self-contained HTML page: inline CSS, inline
SVG charts, no script and no network access. It reads well from a phone
(about 360 px wide) to a desktop: tables scroll sideways inside their card,
and the hourly gate chart is drawn twice (columns for wide screens, rows for
narrow ones; CSS shows one).
"""
from __future__ import annotations

import html
import math
import re
from datetime import datetime, timedelta
from typing import Any

from pyctl.state_document import (TITLE, Badge, Bullets, Chart, Code, Document, Para, Sub, Table, document)
from pyctl.state import DISPOSITIONS, escalation_matrix

CSS = """
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --card:#fff; --bg:#f6f8fa; --accent:#0969da; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin:0; background:var(--bg); color:var(--fg); line-height:1.45;
       font:15px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 20px 16px 40px; }
header.top { background:#0d1117; color:#f0f6fc; padding: 22px 16px; }
header.top .inner { max-width:1080px; margin:0 auto; }
header.top h1 { margin:0 0 6px; font-size:26px; letter-spacing:.04em; }
header.top dl { display:flex; flex-wrap:wrap; gap:4px 22px; margin:10px 0 0; font-size:14px; color:#c9d1d9; }
header.top dt { font-weight:600; color:#f0f6fc; } header.top dd { margin:0 0 0 6px; }
header.top .kv { display:flex; }
nav.toc { display:flex; flex-wrap:wrap; gap:6px; margin: 0 0 18px; }
nav.toc a { font-size:12.5px; text-decoration:none; color:var(--accent); background:#fff; border:1px solid var(--line);
            border-radius:999px; padding:3px 10px; white-space:nowrap; }
section.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:16px 18px;
               margin: 0 0 18px; }
h2 { font-size:17px; letter-spacing:.05em; margin:0 0 12px; padding-left:10px; border-left:4px solid var(--accent); }
h3 { font-size:15px; margin:20px 0 8px; } h4 { font-size:14px; margin:16px 0 6px; color:var(--muted); }
p { margin: 6px 0 10px; }
code { font: 12.5px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background:#eff2f5;
       border-radius:4px; padding:1px 4px; overflow-wrap:anywhere; }
pre { background:#0d1117; color:#e6edf3; border-radius:8px; padding:12px 14px; overflow-x:auto; margin:8px 0 12px; }
pre code { background:none; color:inherit; padding:0; font-size:12.5px; overflow-wrap:normal; }
.scroll { overflow-x:auto; margin: 6px 0 12px; border:1px solid var(--line); border-radius:8px; }
table { border-collapse:collapse; width:100%; font-size:13.5px; }
th, td { text-align:left; padding:6px 10px; border-bottom:1px solid #eaeef2; vertical-align:top;
         overflow-wrap:break-word; }
th { background:#f6f8fa; font-weight:600; white-space:nowrap; }
tr:last-child td { border-bottom:none; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; white-space:nowrap; }
.badge { display:inline-block; border-radius:999px; padding:1px 9px; font-size:12px; font-weight:600;
         white-space:nowrap; border:1px solid transparent; }
.badge.ok { background:#dafbe1; color:#116329; border-color:#aceebb; }
.badge.warn { background:#fff8c5; color:#7d4e00; border-color:#f5e0a0; }
.badge.bad { background:#ffebe9; color:#a40e26; border-color:#ffcecb; }
.badge.idle { background:#eff2f5; color:#59636e; border-color:#d1d9e0; }
header.top .badge { font-size:13px; white-space:normal; }
ul { margin:6px 0 10px; padding-left:22px; }
figure { margin: 8px 0 18px; }
figcaption { font-weight:600; font-size:14px; margin: 0 0 8px; }
svg { display:block; width:100%; height:auto; }
svg text { font-family: -apple-system, "Segoe UI", Roboto, Arial, sans-serif; fill:#1f2328; }
.chart-narrow { max-width: 440px; }
.legend { display:flex; flex-wrap:wrap; gap:4px 14px; list-style:none; padding:0; margin:8px 0 0; font-size:12.5px; }
.legend i { display:inline-block; width:11px; height:11px; border-radius:2px; margin-right:5px; vertical-align:-1px; }
.only-narrow { display:none; }
details { border:1px solid var(--line); border-radius:8px; margin:8px 0; background:#fbfcfd; }
details > summary { cursor:pointer; padding:8px 12px; font-weight:600; font-size:14px; }
details[open] > summary { border-bottom:1px solid var(--line); }
details > :not(summary) { margin-left:12px; margin-right:12px; }
h3.details-head { margin-top:22px; }
td:first-child { min-width: 9em; }
.empty { color:var(--muted); font-style:italic; }
footer { text-align:center; color:var(--muted); font-size:12.5px; margin-top:24px; letter-spacing:.05em; }
@media (max-width: 640px) {
  body { font-size:14.5px; }
  main { padding: 14px 10px 30px; }
  header.top { padding: 16px 12px; } header.top h1 { font-size:21px; }
  section.card { padding: 12px 12px; border-radius:8px; }
  table { font-size:12.5px; } th, td { padding:5px 7px; }
  .only-wide { display:none; } .only-narrow { display:block; }
  table.stack thead { display:none; }
  table.stack tr { display:block; padding:6px 0; border-bottom:1px solid #eaeef2; }
  table.stack tr:last-child { border-bottom:none; }
  table.stack td { display:flex; gap:10px; border:none; padding:2px 10px; text-align:left; white-space:normal; }
  table.stack td::before { content: attr(data-label); flex:0 0 34%; color:var(--muted); font-size:12px;
                           overflow-wrap:anywhere; }
  table.stack td > span { min-width:0; flex:1 1 auto; }
  td:first-child { min-width:0; }
  .badge { white-space:normal; overflow-wrap:anywhere; }
}
"""

TIER_COLOURS = {-1: "#cf222e", 0: "#8c959f", 1: "#54aeff", 2: "#0969da", 3: "#1a7f37"}
LEVEL_COLOURS = ["#afb8c1", "#d4a72c", "#e16f24", "#cf222e"]
CLEARED_COLOUR = "#2da44e"
#: the same colour for a block reason in every report (others get the spare ones)
REASON_COLOURS = {"ELIGIBILITY_CHECK_FAILED": "#cf222e", "CAMPAIGN_NOT_ACTIVE": "#6e7781",
                  "COMPANY_INELIGIBLE": "#953800", "INELIGIBLE_TIER": "#d4a72c", "MARKETING_DISABLED": "#bf3989",
                  "BLOCKING_OVERRIDE": "#8250df", "OPTED_OUT": "#1b7c83", "TIER_BELOW_CAMPAIGN_MINIMUM": "#e16f24"}
SPARE_COLOURS = ["#0969da", "#57606a", "#7d4e00", "#a40e26"]

_NUM = re.compile(r"^-?[\d,]+(\.\d+)?( %)?$|^n/a$|^-$")


def esc(v: Any) -> str:
    return html.escape(str(v), quote=True)


def inline(text: str) -> str:
    """Escape, then `code` and **bold**."""
    out = esc(text)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", out)


def badge(b: Badge) -> str:
    return f'<span class="badge {b.level}">{esc(b.text)}</span>'


def cell(v: Any) -> str:
    return badge(v) if isinstance(v, Badge) else inline(str(v))


def _anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def table(t: Table) -> str:
    numeric = [bool(t.rows) and all(not isinstance(r[i], Badge) and _NUM.match(str(r[i])) for r in t.rows)
               for i in range(len(t.header))]
    head = "".join(f'<th{" class=num" if numeric[i] else ""}>{esc(h)}</th>' for i, h in enumerate(t.header))
    body = "".join("<tr>" + "".join(f'<td{" class=num" if numeric[i] else ""} data-label="{esc(t.header[i])}">'
                                    f"<span>{cell(c)}</span></td>" for i, c in enumerate(r)) + "</tr>" for r in t.rows)
    # three columns or more: on a phone each row becomes a small card (see CSS)
    stack = ' class="stack"' if len(t.header) >= 3 else ""
    return f'<div class="scroll"><table{stack}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _legend(items: list[tuple[str, str]]) -> str:
    return '<ul class="legend">' + "".join(f'<li><i style="background:{c}"></i>{esc(label)}</li>'
                                          for label, c in items) + "</ul>"


# ------------------------------------------------------------------ charts
def _tier_chart(data: list[dict]) -> str:
    """One bar per effective tier, its name above it and its count at the right."""
    rows = sorted(data, key=lambda d: d["tier"])
    top = max((d["companies"] for d in rows), default=0) or 1
    w, right, row = 360, 92, 40
    bar_w = w - right
    h = row * len(rows) + 4
    parts = [f'<svg viewBox="0 0 {w} {h}" role="img" aria-label="companies by effective tier">',
             "<title>Companies by effective tier</title>"]
    for i, d in enumerate(rows):
        y = row * i
        length = max(2.0, bar_w * d["companies"] / top) if d["companies"] else 0
        pct = d.get("pct")
        parts += [
            f'<text x="0" y="{y + 13}" font-size="12.5"><tspan font-weight="700">Tier {d["tier"]}</tspan>'
            f'<tspan fill="#59636e"> · {esc(d["label"])}</tspan></text>',
            f'<rect x="0" y="{y + 18}" width="{bar_w - 8}" height="16" rx="3" fill="#eff2f5"/>',
            f'<rect x="0" y="{y + 18}" width="{min(length, bar_w - 8):.1f}" height="16" rx="3" '
            f'fill="{TIER_COLOURS.get(d["tier"], "#0969da")}"/>',
            f'<text x="{w}" y="{y + 31}" font-size="12.5" text-anchor="end">{d["companies"]:,}'
            + (f" · {float(pct):.1f}%" if pct is not None else "") + "</text>"]
    parts.append("</svg>")
    return f'<div class="chart-narrow">{"".join(parts)}</div>'


def _parse_hour(v: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(v)).replace(minute=0, second=0, microsecond=0)
    except ValueError:
        return None


def _hours(data: list[dict], now: Any = None) -> tuple[list[datetime], list[str], dict]:
    """The 24 hour starts of the window (oldest first, hours without checks
    included), the verdicts (CLEARED first, then by volume) and
    {(hour, verdict): attempts}."""
    cells: dict[tuple[datetime, str], int] = {}
    totals: dict[str, int] = {}
    for d in data:
        hour = _parse_hour(d["hour_start"])
        if hour is None:
            continue
        cells[(hour, d["verdict"])] = cells.get((hour, d["verdict"]), 0) + int(d["attempts"])
        totals[d["verdict"]] = totals.get(d["verdict"], 0) + int(d["attempts"])
    # the window ends with the hour the report was made in
    last = _parse_hour(now) or max((h for h, _v in cells), default=None)
    if last is None:
        return [], [], {}
    hours = [last - timedelta(hours=23 - k) for k in range(24)]
    verdicts = sorted(totals, key=lambda v: (v != "CLEARED", -totals[v], v))
    return hours, verdicts, cells


def _nice_top(n: int) -> tuple[float, float]:
    """An axis maximum at or above n and its tick step (1, 2 or 5 times a power of ten; 4 ticks or so)."""
    if n <= 0:
        return 4.0, 1.0
    raw = n / 4
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    return step * math.ceil(n / step), step


def _verdict_colours(verdicts: list[str]) -> dict[str, str]:
    out = {"CLEARED": CLEARED_COLOUR}
    others = sorted(v for v in verdicts if v != "CLEARED" and v not in REASON_COLOURS)
    out.update({r: SPARE_COLOURS[i % len(SPARE_COLOURS)] for i, r in enumerate(others)})
    out.update({v: REASON_COLOURS[v] for v in verdicts if v in REASON_COLOURS})
    return out


def _hour_label(hour: datetime) -> str:
    return hour.strftime("%H:%M")


def _gate_chart(spec: dict) -> str:
    data = spec.get("rows") or []
    if not data:
        return '<p class="empty">No gate checks in the last 24 hours.</p>'
    hours, verdicts, cells = _hours(data, spec.get("now"))
    if not hours:
        return '<p class="empty">No gate checks in the last 24 hours.</p>'
    colours = _verdict_colours(verdicts)
    totals = {h: sum(cells.get((h, v), 0) for v in verdicts) for h in hours}
    top, tick = _nice_top(max(totals.values()))

    # wide: one column per hour
    w, h, left, bottom, top_pad = 720, 250, 44, 26, 10
    plot_w, plot_h = w - left - 6, h - bottom - top_pad
    step = plot_w / max(len(hours), 1)
    wide = [f'<svg viewBox="0 0 {w} {h}" role="img" aria-label="gate verdicts per hour">',
            "<title>Gate verdicts per hour</title>"]
    for k in range(int(round(top / tick)) + 1):
        value = tick * k
        y = top_pad + plot_h - plot_h * value / top
        wide += [f'<line x1="{left}" x2="{w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eaeef2"/>',
                 f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end" fill="#59636e">'
                 f'{value:,.0f}</text>']
    for i, hour in enumerate(hours):
        x = left + step * i + step * 0.12
        y = top_pad + plot_h
        for v in verdicts:
            n = cells.get((hour, v), 0)
            if not n:
                continue
            bh = plot_h * n / top
            y -= bh
            wide.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{step * 0.76:.1f}" height="{bh:.1f}" '
                        f'fill="{colours[v]}"><title>{esc(_hour_label(hour))} {esc(v)}: {n:,}</title></rect>')
        if i % 3 == 2:
            wide.append(f'<text x="{x + step * 0.38:.1f}" y="{h - 8}" font-size="11" text-anchor="middle" '
                        f'fill="#59636e">{esc(_hour_label(hour))}</text>')
    wide.append("</svg>")

    # narrow: one row per hour
    nw, row = 360, 19
    nh = row * len(hours) + 6
    bar_x, bar_w = 44, 360 - 44 - 52
    narrow = [f'<svg viewBox="0 0 {nw} {nh}" role="img" aria-label="gate verdicts per hour">',
              "<title>Gate verdicts per hour</title>"]
    for i, hour in enumerate(hours):
        y = 3 + row * i
        narrow.append(f'<text x="0" y="{y + 12}" font-size="11" fill="#59636e">{esc(_hour_label(hour))}</text>')
        x = bar_x
        for v in verdicts:
            n = cells.get((hour, v), 0)
            if not n:
                continue
            bw = bar_w * n / top
            narrow.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{bw:.1f}" height="13" fill="{colours[v]}">'
                          f'<title>{esc(v)}: {n:,}</title></rect>')
            x += bw
        narrow.append(f'<text x="{nw}" y="{y + 12}" font-size="11" text-anchor="end">{totals[hour]:,}</text>')
    narrow.append("</svg>")
    legend = _legend([(v, colours[v]) for v in verdicts])
    return (f'<div class="only-wide">{"".join(wide)}</div><div class="only-narrow">{"".join(narrow)}</div>'
            + legend)


def _errors_chart(data: list[dict]) -> str:
    m = escalation_matrix(data)
    top = max((sum(v) for v in m.values()), default=0) or 1
    w, label_w, right = 360, 80, 52
    bar_w = w - label_w - right
    h = 28 * len(m) + 6
    parts = [f'<svg viewBox="0 0 {w} {h}" role="img" aria-label="errors by disposition and escalation">',
             "<title>Governed errors by disposition and escalation level</title>"]
    for i, d in enumerate(DISPOSITIONS if set(m) <= set(DISPOSITIONS) else sorted(m)):
        y = 4 + 28 * i
        parts.append(f'<text x="0" y="{y + 14}" font-size="12" font-weight="600">{esc(d)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 2}" width="{bar_w}" height="17" rx="3" fill="#f6f8fa"/>')
        x = label_w
        for level, n in enumerate(m.get(d, [0, 0, 0, 0])):
            if not n:
                continue
            bw = max(1.5, bar_w * n / top)
            parts.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{bw:.1f}" height="17" fill="{LEVEL_COLOURS[level]}">'
                         f'<title>{esc(d)}, escalation level {level}: {n:,}</title></rect>')
            x += bw
        parts.append(f'<text x="{w}" y="{y + 14}" font-size="12" text-anchor="end">{sum(m.get(d, [])):,}</text>')
    parts.append("</svg>")
    legend = _legend([(f"escalation level {k}" + (" (none)" if k == 0 else ""), c)
                      for k, c in enumerate(LEVEL_COLOURS)])
    return f'<div class="chart-narrow">{"".join(parts)}{legend}</div>'


CHARTS = {"tiers": _tier_chart, "gate": _gate_chart, "errors": _errors_chart}


def chart(c: Chart) -> str:
    return f"<figure><figcaption>{esc(c.title)}</figcaption>{CHARTS[c.kind](c.data)}</figure>"


# ------------------------------------------------------------------ page
def blocks(items: list, level: int) -> str:
    out = []
    for b in items:
        if isinstance(b, Para):
            out.append(f"<p>{inline(b.text)}</p>")
        elif isinstance(b, Table):
            out.append(table(b))
        elif isinstance(b, Code):
            out.append(f"<pre><code>{esc(b.text)}</code></pre>")
        elif isinstance(b, Bullets):
            out.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in b.items) + "</ul>")
        elif isinstance(b, Chart):
            out.append(chart(b))
        elif isinstance(b, Sub) and b.folded:
            out.append(f"<details><summary>{inline(b.title)}</summary>{blocks(b.blocks, level + 1)}</details>")
        elif isinstance(b, Sub):
            tag = f"h{min(level + 1, 6)}"
            out.append(f"<{tag}>{inline(b.title)}</{tag}>" + blocks(b.blocks, level + 1))
    return "".join(out)


def page(doc: Document) -> str:
    meta = "".join(f'<div class="kv"><dt>{esc(k)}:</dt><dd>{esc(v)}</dd></div>' for k, v in doc.header)
    meta += f'<div class="kv"><dt>Status:</dt><dd>{badge(doc.status)}</dd></div>'
    toc = "".join(f'<a href="#{_anchor(s.title)}">{esc(s.title)}</a>' for s in doc.sections)
    body = "".join(f'<section class="card" id="{_anchor(s.title)}"><h2>{esc(s.title)}</h2>{blocks(s.blocks, 2)}'
                   "</section>" for s in doc.sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(TITLE)}</title><style>{CSS}</style></head><body>"
            f'<header class="top"><div class="inner"><h1>{esc(TITLE)}</h1><dl>{meta}</dl></div></header>'
            f'<main><nav class="toc">{toc}</nav>{body}<footer>END OF {esc(TITLE)}</footer></main>'
            "</body></html>\n")


def render_html(state: dict) -> str:
    return page(document(state))


__all__ = ["render_html", "page"]
