"""Sweep benchmark: points per minute with 1 and 2 local worker processes (and, on request,
a local Dask cluster); prints figures, asserts nothing.

    python tests/bench/bench_sweep.py                    # api-burst-throttle example, 120 s runs
    python tests/bench/bench_sweep.py --points 16 --duration 300 --workers 1 2 4
    python tests/bench/bench_sweep.py --dask             # also a 2-worker LocalCluster on loopback

Local figures include starting the worker processes (about a second), as a user pays it.

Each point is one run (one replication). The wall time includes starting the worker
processes, as a user of `triggerscope sweep` pays it. One in-process run and the load
average are printed first, so a speed-up below the worker count can be told apart from a
busy machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from core import model  # noqa: E402
from core.sweep import plan_grid, run_sweep  # noqa: E402

EXAMPLE = ROOT / "assets" / "examples" / "api-burst-throttle.json"


def fallback() -> model.Scenario:
    """An API → function scenario when the bundled example is missing."""
    return model.from_dict({
        "format": "triggerscope/1", "name": "API to function (bench)",
        "simulation": {"DurationSeconds": 120, "Seed": 1},
        "nodes": [{"id": "api", "kind": "ApiGateway"},
                  {"id": "checkout", "kind": "Function",
                   "properties": {"ReservedConcurrentExecutions": 100, "Timeout": 10},
                   "behavior": {"Duration": {"dist": "exp", "mean": 0.2}, "ColdStart": None}}],
        "edges": [{"from": "api", "to": "checkout", "role": "invoke"}],
        "workloads": [{"id": "traffic", "target": "api", "arrivals": {"process": "poisson", "rate": 400}}],
    })


def measure(sc: model.Scenario, grid: list[dict], duration: float, **where) -> tuple[float, float]:
    """(points per minute, wall seconds) of one sweep, worker start-up included."""
    t0 = time.perf_counter()
    res = run_sweep(sc, grid, replications=1, duration=duration, **where)
    wall = time.perf_counter() - t0
    return len(res.points) / wall * 60.0, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=8)
    ap.add_argument("--duration", type=float, default=120.0, help="simulated seconds per run")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--dask", action="store_true", help="also time a 2-worker Dask LocalCluster")
    args = ap.parse_args()

    if EXAMPLE.exists():
        sc, name = model.load(EXAMPLE), EXAMPLE.name
    else:
        sc, name = fallback(), "built-in API → function"
    fn = next(n for n in sc.nodes if n.kind == "Function")
    grid = plan_grid([f"{fn.id}.properties.ReservedConcurrentExecutions="
                      + ",".join(str(25 * (i + 1)) for i in range(args.points))])

    from core.engine.simulation import run

    t0 = time.perf_counter()
    one = run(sc, duration=args.duration)
    single = time.perf_counter() - t0
    print(f"scenario: {name}, {args.duration:g} s simulated per run, {len(grid)} points × 1 replication")
    print(f"one run in this process: {single:.2f} s wall, {one['engine']['events_processed']:,} engine events")
    print(f"cores: {os.cpu_count()}, load average: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print()
    print(f"{'backend':<28}{'wall s':>9}{'points/min':>12}")
    for w in args.workers:
        ppm, wall = measure(sc, grid, args.duration, workers=w)
        print(f"{f'{w} worker process' + ('es' if w != 1 else ''):<28}{wall:>9.1f}{ppm:>12.1f}")
    if args.dask:
        import logging

        from dask.distributed import LocalCluster

        # Workers log a heartbeat traceback when the cluster closes under them: noise here.
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster:
            ppm, wall = measure(sc, grid, args.duration, scheduler=cluster.scheduler_address)
        print(f"{'Dask LocalCluster, 2 workers':<28}{wall:>9.1f}{ppm:>12.1f}  (cluster start-up not included)")


if __name__ == "__main__":
    main()
