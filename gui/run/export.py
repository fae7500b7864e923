"""Run exports: the charts as PNG, every time series as one CSV, and a self-contained HTML run
report (summary table, charts as base64 PNG, the accounting identity, cost, causes, edits).
"""

from __future__ import annotations

import base64
import csv
import html
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QApplication, QWidget

from core.engine.events import OUTCOMES
from core.engine.metrics import stats_of
from core.engine.simulation import Simulation
from core.report import HEADLINES
from gui.run.series import OUTCOME_COLOURS, fmt_clock, fmt_seconds

IDENTITY = ("succeeded", "failed_to_caller", "filtered", "dead_lettered", "dropped", "forwarded", "pending")


def grab(widget: QWidget) -> QPixmap:
    """Render a widget (shown or not) after pending layout work, so text is not stale."""
    app = QApplication.instance()
    if app is not None:
        app.processEvents()
    return widget.grab()


def png_bytes(pixmap: QPixmap) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    pixmap.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def export_png(widget: QWidget, path: str | Path) -> Path:
    path = Path(path)
    if not grab(widget).save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return path


def series_columns(sim: Simulation) -> list[tuple[str, object]]:
    """(column name, array of length k) for every series of the run, in a stable order."""
    k = sim.k
    cols: list[tuple[str, object]] = []
    for o in ("created",) + OUTCOMES:
        cols.append((f"events.{o}", sim.outcome_series(o)))
    if sim.track_cost:
        cols.append(("cost.total_usd", sim.cost_series()))
    for nid, m in sim.metrics.items():
        for name, typ in m.types.items():
            for st in stats_of(typ):
                cols.append((f"{nid}.{name}.{st}", m.series(name, st, k)))
    return cols


def export_csv(sim: Simulation, path: str | Path) -> Path:
    """One row per metric period: its start time, then `events.*`, `cost.*` and `NODE.Metric.stat`."""
    path = Path(path)
    cols = series_columns(sim)
    times = sim.times()
    lengths = sim.period_lengths()
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["t_s", "period_s"] + [c for c, _ in cols])
        for i, t in enumerate(times):
            w.writerow([f"{t:g}", f"{lengths[i]:g}"] + [_cell(arr[i]) for _, arr in cols])
    return path


def _cell(v) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:.6g}"


def _num(v) -> str:
    if isinstance(v, float) and not v.is_integer():
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.1f}"
    return f"{int(v):,}"


_CSS = """
body { font: 14px/1.45 -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif; color: #1D2733; margin: 28px auto;
       max-width: 1180px; padding: 0 18px; }
h1 { font-size: 22px; margin-bottom: 2px; } h2 { font-size: 16px; margin-top: 30px; border-bottom: 1px solid #D9DEE5;
     padding-bottom: 4px; }
.meta { color: #66727F; }
table { border-collapse: collapse; margin: 8px 0; } td, th { padding: 4px 12px 4px 0; text-align: left; }
th { color: #66727F; font-weight: 600; border-bottom: 1px solid #D9DEE5; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.ok { color: #1E8E3E; font-weight: 600; } .bad { color: #D13438; font-weight: 600; }
.identity { font-family: 'DejaVu Sans Mono', monospace; background: #F4F5F7; padding: 8px 10px; border-radius: 4px; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 12px; }
.charts img { width: 100%; border: 1px solid #D9DEE5; border-radius: 4px; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 5px; margin-right: 6px; }
"""

_OUTCOME_LABEL = {"succeeded": "succeeded", "failed_to_caller": "failed", "filtered": "filtered",
                  "dead_lettered": "dead-lettered", "dropped": "dropped", "forwarded": "forwarded",
                  "pending": "pending", "created": "created"}


def report_html(sim: Simulation, charts: list[tuple[str, bytes]], marks: list[tuple[float, str]] | None = None) -> str:
    """The run report as one HTML document; `charts` are (title, PNG bytes)."""
    s = sim.summary()
    a = s["accounting"]
    e = html.escape
    out = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(s['scenario'])} — run report</title>",
           f"<style>{_CSS}</style></head><body>"]
    out.append(f"<h1>{e(s['scenario'])}</h1>")
    out.append(f"<p class='meta'>Run report · seed {s['seed']} · {fmt_clock(s['duration_s'])} simulated "
               f"({s['duration_s']:g} s of {sim.duration:g} s) · metric period {sim.period:g} s · "
               f"{s['engine']['events_processed']:,} engine events in {s['engine']['wall_s']:.2f} s · "
               f"generated {datetime.now().strftime('%Y-%m-%d %H:%M')}</p>")

    # Summary: outcomes and the accounting identity.
    out.append("<h2>Events by outcome</h2><table><tr><th>Outcome</th><th>Events</th><th>Share of created</th></tr>")
    created = a["created"] or 1
    for key in ("created",) + IDENTITY:
        colour = OUTCOME_COLOURS.get(_OUTCOME_LABEL[key], "#8C97A3")
        share = "" if key == "created" else f"{100.0 * a[key] / created:.1f}%"
        out.append(f"<tr><td><span class='dot' style='background:{colour}'></span>{_OUTCOME_LABEL[key]}</td>"
                   f"<td class='n'>{a[key]:,}</td><td class='n'>{share}</td></tr>")
    for reason, n in sorted(a.get("dropped_by_reason", {}).items()):
        out.append(f"<tr><td>&nbsp;&nbsp;&nbsp;dropped: {e(reason)}</td><td class='n'>{n:,}</td><td></td></tr>")
    out.append("</table>")
    total = sum(a[k] for k in IDENTITY)
    holds = total == a["created"]
    terms = " + ".join(f"{k} {a[k]:,}" for k in IDENTITY)
    out.append(f"<p class='identity'>created {a['created']:,} = {terms} = {total:,} "
               f"<span class='{'ok' if holds else 'bad'}'>{'✓ holds' if holds else '✗ does not hold'}</span></p>")

    if charts:
        out.append("<h2>Charts</h2><div class='charts'>")
        for title, png in charts:
            b64 = base64.b64encode(png).decode("ascii")
            out.append(f"<figure style='margin:0'><img alt='{e(title)}' src='data:image/png;base64,{b64}'></figure>")
        out.append("</div>")

    if marks:
        out.append("<h2>Edits applied during the run</h2><table><tr><th>Simulated time</th><th>Edit</th></tr>")
        for t, label in marks:
            out.append(f"<tr><td>{fmt_clock(t)} ({t:g} s)</td><td>{e(label)}</td></tr>")
        out.append("</table>")

    out.append("<h2>Nodes</h2><table><tr><th>Node</th><th>Kind</th><th>Key metrics (run-wide)</th></tr>")
    for nid, n in s["nodes"].items():
        cells = []
        for metric, stat in HEADLINES.get(n["kind"], []):
            v = n["metrics"].get(metric, {}).get(stat)
            if v is None:
                continue
            timed = stat != "sum" and (metric in ("Duration", "IteratorAge", "Latency", "AsyncEventAge",
                                                  "ApproximateAgeOfOldestMessage"))
            val = fmt_seconds(float(v)) if timed else _num(v)
            cells.append(f"{metric}{'' if stat == 'sum' else ' ' + stat} <b>{val}</b>")
        out.append(f"<tr><td><b>{e(nid)}</b></td><td>{e(n['kind'])}</td><td>{' · '.join(cells)}</td></tr>")
    out.append("</table>")

    why = s.get("why") or []
    if why:
        out.append("<h2>Why: throttles, retries, drops, dead letters and errors by cause</h2>"
                   "<table><tr><th>Node</th><th>What</th><th>Cause</th><th>Count</th></tr>")
        for w in sorted(why, key=lambda w: -w["count"]):
            out.append(f"<tr><td>{e(w['node'])}</td><td>{e(w['what'].replace('_', ' '))}</td>"
                       f"<td>{e(w['cause'])}</td><td class='n'>{w['count']:,}</td></tr>")
        out.append("</table>")

    c = s["cost"]
    out.append(f"<h2>Cost</h2><p><b>${c['total_usd']:.4f}</b> at list prices ({e(str(c.get('region')))}, "
               f"as of {e(str(c.get('pricing_as_of')))}).</p><table><tr><th>Node</th><th>Item</th><th>USD</th></tr>")
    for nid, v in sorted(c["by_node"].items(), key=lambda kv: -kv[1]):
        out.append(f"<tr><td><b>{e(nid)}</b></td><td></td><td class='n'>${v:.4f}</td></tr>")
        for item, usd in sorted(c.get("items", {}).get(nid, {}).items(), key=lambda kv: -kv[1]):
            if usd:
                out.append(f"<tr><td></td><td>{e(item.replace('_', ' '))}</td><td class='n'>${usd:.6f}</td></tr>")
    out.append("</table></body></html>")
    return "\n".join(out)


def export_html(sim: Simulation, path: str | Path, charts: list[tuple[str, bytes]],
                marks: list[tuple[float, str]] | None = None) -> Path:
    path = Path(path)
    path.write_text(report_html(sim, charts, marks), encoding="utf-8")
    return path
