"""What the what-if tools can vary and plot: numeric fields per node, workload and account,
suggested value lists, and the unit of each metric key. No widgets here."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from core import catalog
from core.engine.metrics import DIST, GAUGE, METRICS
from core.model import Scenario

_WORKLOAD_FIELDS = (("arrivals.rate", "events/s", False), ("arrivals.count", "events", True),
                    ("arrivals.spread", "s", False))
_ACCOUNT_FIELDS = (("ConcurrentExecutions", "", True), ("ScalingRatePer10Seconds", "", True))


@dataclass(frozen=True)
class ParamChoice:
    """One numeric field a sweep or the capacity finder can vary (`path` is `--set` style)."""

    path: str
    label: str
    unit: str
    current: float | None
    integer: bool
    min: float | None = None
    max: float | None = None


def targets(scenario: Scenario) -> list[tuple[str, str]]:
    """(id, label) of everything with sweepable fields: nodes, workloads, the account."""
    out = [(n.id, f"{n.id} ({n.kind})") for n in scenario.nodes]
    out += [(w.id, f"{w.id} (workload)") for w in scenario.workloads]
    out.append(("account", "account"))
    return out


def numeric_fields(scenario: Scenario, target: str) -> list[ParamChoice]:
    """The numeric fields of one node, workload or the account, with their current values."""
    node = next((n for n in scenario.nodes if n.id == target), None)
    if node is not None:
        out = []
        for f in catalog.fields_for(node.kind):
            if f.type not in ("int", "float"):
                continue
            cur = catalog.prop(node, f.path) if f.section == "properties" else catalog.behav(node, f.path)
            cur = cur if isinstance(cur, int | float) and not isinstance(cur, bool) else None
            unit = f.unit
            out.append(ParamChoice(f"{node.id}.{f.section}.{f.path}", f"{f.path}" + (f" ({unit})" if unit else ""),
                                   unit, cur, f.type == "int", f.min, f.max))
        return out
    wl = next((w for w in scenario.workloads if w.id == target), None)
    if wl is not None:
        data = wl.model_dump()
        out = []
        for path, unit, integer in _WORKLOAD_FIELDS:
            cur = catalog.get_path(data, path)
            out.append(ParamChoice(f"{wl.id}.{path}", f"{path} ({unit})", unit, cur, integer, 0, None))
        return out
    if target == "account":
        acc = scenario.account
        return [ParamChoice(f"account.{name}", name, unit, getattr(acc, name), integer, 1, None)
                for name, unit, integer in _ACCOUNT_FIELDS]
    return []


def field_for(scenario: Scenario, path: str) -> ParamChoice | None:
    target = path.split(".", 1)[0]
    return next((c for c in numeric_fields(scenario, target) if c.path == path), None)


def _nice(x: float) -> float:
    if x <= 0:
        return 1.0
    e = 10 ** math.floor(math.log10(x))
    return next(m * e for m in (1, 2, 2.5, 5, 10) if m * e >= x)


def suggest_range(choice: ParamChoice, points: int = 8) -> tuple[float, float, float]:
    """(start, stop, step) of at most `points` values from a quarter to twice the current
    value, on round steps, inside the field's range."""
    cur = choice.current if choice.current not in (None, 0) else max(1.0, choice.min or 1.0)
    lo, hi = cur / 4, cur * 2
    if choice.path.endswith("ErrorRate"):
        lo, hi = 0.0, 0.2
    if choice.min is not None:
        lo = max(lo, choice.min)
    if choice.max is not None:
        hi = min(hi, choice.max)
    step = _nice((hi - lo) / max(1, points - 1))
    if choice.integer:
        step = max(1, int(round(step)))
    start = math.ceil(lo / step - 1e-9) * step
    stop = start + step * max(0, math.floor((hi - start) / step + 1e-9))
    if choice.integer:
        return int(start), int(stop), int(step)
    return float(f"{start:.6g}"), float(f"{stop:.6g}"), float(f"{step:.6g}")


def suggest_values(choice: ParamChoice, points: int = 8) -> str:
    """A `start:stop:step` text for the values box."""
    a, b, s = suggest_range(choice, points)
    return f"{a:g}:{b:g}:{s:g}"


def metric_unit(scenario: Scenario | None, key: str) -> str:
    """The unit of a metric key, for axis labels: s, USD, or a count noun."""
    if key.startswith("cost."):
        return "USD"
    if key.startswith("accounting."):
        return "events"
    parts = key.rsplit(".", 2)
    if len(parts) != 3:
        return ""
    nid, metric, stat = parts
    kind = None
    if scenario is not None:
        kind = next((n.kind for n in scenario.nodes if n.id == nid), None)
    typ = METRICS.get(kind, {}).get(metric) if kind else next(
        (t[metric] for t in METRICS.values() if metric in t), None)
    if typ == DIST and stat != "count":
        return "s"
    if metric == "ApproximateAgeOfOldestMessage":
        return "s"
    if typ == GAUGE:
        return {"ConcurrentExecutions": "executions", "Concurrency": "invocations",
                "ConcurrentRequests": "requests"}.get(metric, "messages")
    return "count"


def is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
