"""Human-readable run summaries and CSV time series (the CLI's output formats)."""

from __future__ import annotations

import csv
from pathlib import Path

from core.engine.metrics import DIST, GAUGE, stats_of


def _fmt(v: float) -> str:
    if isinstance(v, int) or float(v).is_integer():
        return f"{int(v):,}"
    if abs(v) >= 100:
        return f"{v:,.1f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.4f}"


# The few numbers worth a glance per kind, in reading order.
HEADLINES = {
    "Function": [("Invocations", "sum"), ("Errors", "sum"), ("Throttles", "sum"),
                 ("ConcurrentExecutions", "max"), ("Duration", "p99"), ("ColdStarts", "sum"),
                 ("AsyncEventsDropped", "sum")],
    "EventSourceMapping": [("PolledEventCount", "sum"), ("InvokedEventCount", "sum"),
                           ("FilteredOutEventCount", "sum"), ("FailedInvokeEventCount", "sum"),
                           ("Concurrency", "max"), ("IteratorAge", "max")],
    "SQSQueue": [("NumberOfMessagesSent", "sum"), ("NumberOfMessagesDeleted", "sum"),
                 ("ApproximateNumberOfMessagesVisible", "max"), ("ApproximateAgeOfOldestMessage", "max")],
    "KinesisStream": [("IncomingRecords", "sum"), ("IteratorAge", "max")],
    "DynamoDBTable": [("IncomingRecords", "sum"), ("IteratorAge", "max")],
    "ApiGateway": [("Count", "sum"), ("4XXError", "sum"), ("5XXError", "sum"), ("Latency", "p99")],
    "SNSTopic": [("NumberOfMessagesPublished", "sum"), ("NumberOfNotificationsDelivered", "sum"),
                 ("NumberOfNotificationsFilteredOut", "sum")],
    "EventBridgeRule": [("MatchedEvents", "sum"), ("Invocations", "sum")],
    "Schedule": [("MatchedEvents", "sum"), ("Invocations", "sum")],
    "S3Bucket": [("EventNotifications", "sum")],
    "Dependency": [("Requests", "sum"), ("Rejected", "sum"), ("ConcurrentRequests", "max")],
}


def text_summary(summary: dict) -> str:
    lines = []
    a = summary["accounting"]
    lines.append(f"{summary['scenario']} — {summary['duration_s']:g} s simulated, seed {summary['seed']}, "
                 f"{summary['engine']['events_processed']:,} engine events in {summary['engine']['wall_s']:.2f} s")
    lines.append("")
    lines.append("Events")
    parts = [("created", a["created"]), ("succeeded", a["succeeded"]), ("failed to caller", a["failed_to_caller"]),
             ("filtered", a["filtered"]), ("dead-lettered", a["dead_lettered"]), ("dropped", a["dropped"]),
             ("forwarded", a["forwarded"]), ("pending", a["pending"])]
    for name, v in parts:
        lines.append(f"  {name:<18}{v:>14,}")
    for reason, v in a.get("dropped_by_reason", {}).items():
        lines.append(f"    dropped: {reason:<22}{v:>10,}")
    lines.append("")
    lines.append("Nodes")
    for nid, n in summary["nodes"].items():
        heads = HEADLINES.get(n["kind"], [])
        cells = []
        for metric, stat in heads:
            m = n["metrics"].get(metric, {})
            v = m.get(stat)
            if v is None or m.get("count", 1) == 0:  # e.g. IteratorAge of an SQS mapping
                continue
            unit = " s" if stat in ("p50", "p90", "p99", "avg", "max") and metric in (
                "Duration", "IteratorAge", "Latency", "ApproximateAgeOfOldestMessage", "AsyncEventAge") else ""
            label = metric if stat == "sum" else f"{metric} {stat}"
            cells.append(f"{label} {_fmt(v)}{unit}")
        lines.append(f"  {nid} ({n['kind']})")
        if cells:
            lines.append("      " + " · ".join(cells))
    why = summary.get("why") or []
    if why:
        lines.append("")
        lines.append("Why (throttles, retries, drops, dead letters by cause)")
        for w in sorted(why, key=lambda w: -w["count"])[:15]:
            lines.append(f"  {w['node']:<20} {w['what']:<12} {w['cause']:<44} {w['count']:>10,}")
    c = summary["cost"]
    lines.append("")
    lines.append(f"Cost  ${c['total_usd']:.4f} (list prices {c.get('region')}, as of {c.get('pricing_as_of')})")
    for nid, v in sorted(c["by_node"].items(), key=lambda kv: -kv[1]):
        lines.append(f"  {nid:<24} ${v:.4f}")
    return "\n".join(lines) + "\n"


def write_csv(sim, out_dir: str | Path) -> list[Path]:
    """One CSV per node: a row per metric period, a column per metric statistic."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    times = sim.times()
    written = []
    for nid, m in sim.metrics.items():
        cols = []
        for name, typ in m.types.items():
            for st in stats_of(typ):
                if typ == DIST and st == "count":
                    continue
                unit = "_s" if typ == DIST or name == "ApproximateAgeOfOldestMessage" else ""
                cols.append((f"{name}.{st}{unit}" if typ in (DIST, GAUGE) else name, m.series(name, st, sim.k)))
        path = out / f"{nid}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["t_s"] + [c for c, _ in cols])
            for i, t in enumerate(times):
                w.writerow([f"{t:g}"] + [_cell(arr[i]) for _, arr in cols])
        written.append(path)
    return written


def _cell(v: float) -> str:
    v = float(v)
    return str(int(v)) if v.is_integer() else f"{v:.6g}"
