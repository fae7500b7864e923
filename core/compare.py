"""A/B comparison of two designs on the same seeded traffic (common random numbers).

Both variants run the same replication seeds, so each metric's difference is measured
pairwise per seed: its confidence interval reflects the design change, not the noise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from core.model import Scenario
from core.sweep import PointResult, Progress, Stat, run_variants

_TOP_FIELDS = ("properties", "behavior")


def diff_scenarios(a: Scenario, b: Scenario) -> list[dict[str, Any]]:
    """What B changes relative to A, as `{"path", "a", "b"}` rows (`--set`-style paths for
    node and workload fields; `nodes`/`edges` rows for added or removed items).

    >>> diff_scenarios(a, apply_set(a, "fn.properties.MemorySize", 512))
    [{'path': 'fn.properties.MemorySize', 'a': 128, 'b': 512}]
    """
    da, db = a.to_dict(), b.to_dict()
    out: list[dict[str, Any]] = []
    for section in ("account", "simulation"):
        _walk(section, da.get(section, {}), db.get(section, {}), out)
    na = {n["id"]: n for n in da["nodes"]}
    nb = {n["id"]: n for n in db["nodes"]}
    for nid in na.keys() | nb.keys():
        if nid not in nb:
            out.append({"path": f"nodes.{nid}", "a": na[nid]["kind"], "b": None})
        elif nid not in na:
            out.append({"path": f"nodes.{nid}", "a": None, "b": nb[nid]["kind"]})
        else:
            for f in ("kind",) + _TOP_FIELDS:
                _walk(f"{nid}.{f}", na[nid].get(f, {} if f != "kind" else None),
                      nb[nid].get(f, {} if f != "kind" else None), out)
    wa = {w["id"]: w for w in da["workloads"]}
    wb = {w["id"]: w for w in db["workloads"]}
    for wid in wa.keys() | wb.keys():
        _walk(wid, wa.get(wid), wb.get(wid), out)
    ea = {(e["from"], e["to"], e["role"]) for e in da["edges"]}
    eb = {(e["from"], e["to"], e["role"]) for e in db["edges"]}
    for e in sorted(ea - eb):
        out.append({"path": f"edges.{e[0]}->{e[1]}", "a": e[2], "b": None})
    for e in sorted(eb - ea):
        out.append({"path": f"edges.{e[0]}->{e[1]}", "a": None, "b": e[2]})
    return sorted(out, key=lambda r: r["path"])


def _walk(path: str, a: Any, b: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a.keys() | b.keys():
            _walk(f"{path}.{k}", a.get(k), b.get(k), out)
    elif a != b:
        out.append({"path": path, "a": a, "b": b})


def differences(a: PointResult, b: PointResult, keys: Sequence[str] | None = None
                ) -> list[dict[str, Any]]:
    """Per metric: A and B (mean, 95 % CI), B − A with a paired 95 % CI, and the change in
    percent of A. Changed metrics first, largest relative change first."""
    if keys is None:
        seen: dict[str, None] = dict.fromkeys(a.keys())
        seen.update(dict.fromkeys(b.keys()))
        keys = list(seen)
    rows = []
    for k in keys:
        va, vb = a.values(k), b.values(k)
        sa, sb = Stat.of(va), Stat.of(vb)
        d = Stat.of([y - x for x, y in zip(va, vb, strict=True)])
        pct = (d.mean / abs(sa.mean) * 100.0) if sa.mean else (None if d.mean else 0.0)
        rows.append({"key": k, "a": sa.as_json(), "b": sb.as_json(), "delta": d.mean,
                     "delta_ci95": [d.lo, d.hi], "pct": pct,
                     "changed": any(x != y for x, y in zip(va, vb, strict=True))})

    def order(r: dict[str, Any]) -> tuple:
        size = float("inf") if r["pct"] is None else abs(r["pct"])
        return (not r["changed"], -size, r["key"])

    return sorted(rows, key=order)


def compare(scenario_a: Scenario, scenario_b: Scenario, seed: int | None = None,
            duration: float | None = None, replications: int = 1, workers: int | None = 0,
            scheduler: Any = None, keys: Sequence[str] | None = None,
            on_progress: Callable[[Progress], None] | None = None, cancel: Any = None
            ) -> dict[str, Any] | None:
    """Run A and B on the same seeds and return their differences (None if cancelled).

    `workers=0` runs in this process (two runs need no pool); see `core.sweep.run_sweep`
    for `workers`, `scheduler` and `cancel`.
    """
    a, b = run_variants([scenario_a, scenario_b], replications, workers, scheduler, seed, duration,
                        on_progress, cancel)
    if a is None or b is None:
        return None
    from core.sweep import replication_seeds

    base = int(scenario_a.simulation.Seed if seed is None else seed)
    return {
        "format": "triggerscope-compare/1",
        "a": scenario_a.name, "b": scenario_b.name,
        "seeds": replication_seeds(base, replications), "replications": replications,
        "duration_s": float(scenario_a.simulation.DurationSeconds if duration is None else duration),
        "changes": diff_scenarios(scenario_a, scenario_b),
        "metrics": differences(a, b, keys),
    }
