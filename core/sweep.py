"""What-if exploration (SPEC §2–3): parameter sweeps with replications and confidence
intervals, and the capacity finder, run in local worker processes or on a Dask cluster.

Every point of a sweep runs the same replication seeds (common random numbers), so the
differences between points are the design's, not the noise's. Runs are self-contained,
so they are shipped as (scenario, seed, duration) and come back as flat metric dicts.

Local workers are forkserver (spawn on Windows) processes: scripts that call `run_sweep`
need the usual `if __name__ == "__main__":` guard. Dask workers import `core.sweep`, so
triggerscope must be installed on every worker; replay CSVs must be readable there too.
Ctrl+C stops submitting, cancels what is pending, and keeps the finished points
(`triggerscope sweep` prints them and exits 130).
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import io
import itertools
import json
import math
import multiprocessing
import os
import queue
import re
import signal
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from core import model
from core.model import Scenario, ScenarioError

MAX_POINTS = 100_000
MAX_VALUES_PER_PARAMETER = 10_000
ACCOUNTING_FIELDS = ("created", "succeeded", "failed_to_caller", "filtered", "dead_lettered",
                     "dropped", "forwarded", "pending")
OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b or _close(a, b),
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b or _close(a, b),
    "==": lambda a, b: _close(a, b),
}


class SweepError(Exception):
    """A sweep or search could not run (no Dask, no scheduler, a run that crashed)."""


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


# --- statistics --------------------------------------------------------------------------


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for num in (m * (b - m) * x / ((a + m2 - 1) * (a + m2)),
                    -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(lbeta + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


@lru_cache(maxsize=256)
def t_quantile(p: float, df: int) -> float:
    """Student-t quantile for upper-tail probabilities p in (0.5, 1), e.g. t_quantile(0.975, 4)
    == 2.7764… (no scipy: bisection on the CDF through the incomplete beta function)."""
    if not 0.5 < p < 1.0 or df < 1:
        raise ValueError("t_quantile needs 0.5 < p < 1 and df >= 1")
    tail = 2.0 * (1.0 - p)  # two-sided tail mass beyond |t|
    lo, hi = 0.0, 1.0
    while _betainc(df / 2.0, 0.5, df / (df + hi * hi)) > tail:
        hi *= 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _betainc(df / 2.0, 0.5, df / (df + mid * mid)) > tail:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-12 * hi:
            break
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class Stat:
    """Mean and Student-t 95 % confidence interval of one metric over replications."""

    mean: float
    lo: float
    hi: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Stat:
        a = np.asarray(values, dtype=float)
        n = int(a.size)
        mean = float(a.sum() / n) if n else 0.0
        if n < 2:
            return cls(mean, mean, mean, n)
        sd = float(np.sqrt(((a - mean) ** 2).sum() / (n - 1)))
        half = t_quantile(0.975, n - 1) * sd / math.sqrt(n)
        return cls(mean, mean - half, mean + half, n)

    @property
    def half_width(self) -> float:
        return (self.hi - self.lo) / 2.0

    def as_json(self) -> dict[str, Any]:
        return {"mean": self.mean, "ci95": [self.lo, self.hi]}


# --- metric keys -------------------------------------------------------------------------


def flatten(summary: dict) -> dict[str, float]:
    """A run summary as flat `NODE.METRIC.STAT`, `accounting.FIELD`, `cost.total_usd` keys."""
    out: dict[str, float] = {}
    for nid, node in summary["nodes"].items():
        for metric, stats in node["metrics"].items():
            for stat, v in stats.items():
                out[f"{nid}.{metric}.{stat}"] = float(v)
    for k, v in summary["accounting"].items():
        if k == "dropped_by_reason":
            for reason, c in v.items():
                out[f"accounting.dropped_by_reason.{reason}"] = float(c)
        else:
            out[f"accounting.{k}"] = float(v)
    cost = summary["cost"]
    out["cost.total_usd"] = float(cost["total_usd"])
    for nid, v in cost.get("by_node", {}).items():
        out[f"cost.by_node.{nid}"] = float(v)
    return out


def metric_key_error(scenario: Scenario, key: str) -> str | None:
    """Why `key` is not a metric of this scenario, or None when it is."""
    from core.engine.metrics import METRICS, stats_of

    if key.startswith("accounting."):
        f = key[len("accounting."):]
        if f in ACCOUNTING_FIELDS or (f.startswith("dropped_by_reason.") and len(f) > 18):
            return None
        return f"unknown accounting field {f!r} (one of {', '.join(ACCOUNTING_FIELDS)})"
    if key.startswith("cost."):
        f = key[len("cost."):]
        if f == "total_usd":
            return None
        if f.startswith("by_node."):
            nid = f[len("by_node."):]
            if any(n.id == nid for n in scenario.nodes):
                return None
            return f"no node {nid!r}"
        return "cost keys are cost.total_usd and cost.by_node.NODE"
    parts = key.rsplit(".", 2)
    if len(parts) != 3:
        return "expected NODE.METRIC.STAT, accounting.FIELD or cost.total_usd"
    nid, metric, stat = parts
    node = next((n for n in scenario.nodes if n.id == nid), None)
    if node is None:
        return f"no node {nid!r}"
    types = METRICS.get(node.kind, {})
    if metric not in types:
        return f"a {node.kind} has no metric {metric!r} (it has {', '.join(types) or 'none'})"
    stats = stats_of(types[metric])
    if stat not in stats:
        return f"{metric} has no statistic {stat!r} (use {', '.join(stats)})"
    return None


def metric_keys(scenario: Scenario) -> list[str]:
    """Every metric key a run of this scenario reports, in summary order (for pickers)."""
    from core.engine.metrics import METRICS, stats_of

    keys = []
    for n in scenario.nodes:
        for metric, typ in METRICS.get(n.kind, {}).items():
            keys += [f"{n.id}.{metric}.{st}" for st in stats_of(typ)]
    keys += [f"accounting.{f}" for f in ACCOUNTING_FIELDS]
    keys.append("cost.total_usd")
    return keys


# --- the grid ----------------------------------------------------------------------------

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUM})\s*:\s*({_NUM})\s*(?::\s*({_NUM})\s*)?$")


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside JSON brackets or strings."""
    parts, depth, cur, quote, esc = [], 0, [], False, False
    for ch in text:
        if quote:
            cur.append(ch)
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                quote = False
            continue
        if ch == '"':
            quote = True
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts


def _num(text: str) -> int | float:
    """A number as written: `10` stays an int, `10.0`, `.5` and `1e3` are floats."""
    text = text.lstrip("+")
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return float(text)


def expand_range(start: float, stop: float, step: float) -> list[int | float]:
    """`start:stop:step`, stop included when the steps land on it; ints stay ints."""
    if step == 0:
        raise ValueError("step must not be 0")
    if (stop - start) * step < 0:
        raise ValueError(f"step {step:g} never gets from {start:g} to {stop:g}")
    n = int(math.floor((stop - start) / step + 1e-9)) + 1
    if n > MAX_VALUES_PER_PARAMETER:
        raise ValueError(f"{n} values is too many (at most {MAX_VALUES_PER_PARAMETER})")
    if all(isinstance(v, int) for v in (start, stop, step)):
        return [start + i * step for i in range(n)]
    return [float(f"{start + i * step:.12g}") for i in range(n)]


def parse_set(text: str) -> tuple[str, list[Any]]:
    """`NODE.PATH=V1,V2,…` or `NODE.PATH=START:STOP:STEP` → (path, values)."""
    path, eq, raw = text.partition("=")
    path = path.strip()
    if not eq or not path or "." not in path:
        raise ScenarioError([(text, "expected NODE.PATH=V1,V2,… or NODE.PATH=START:STOP:STEP")])
    m = _RANGE.match(raw)
    if m:
        start, stop = _num(m.group(1)), _num(m.group(2))
        step = _num(m.group(3)) if m.group(3) else 1
        try:
            return path, expand_range(start, stop, step)
        except ValueError as e:
            raise ScenarioError([(text, str(e))]) from None
    items = [s.strip() for s in _split_top_level(raw)]
    if any(s == "" for s in items):
        raise ScenarioError([(text, "empty value in the list")])
    return path, [model.parse_value(s) for s in items]


def plan_grid(sets: Iterable[str] | Sequence[tuple[str, Sequence[Any]]] | dict[str, Sequence[Any]]
              ) -> list[dict[str, Any]]:
    """The cartesian product of the parameters, first parameter slowest.

    >>> plan_grid(["fn.properties.MemorySize=128,256", "traffic.arrivals.rate=10:30:10"])[:2]
    [{'fn.properties.MemorySize': 128, 'traffic.arrivals.rate': 10}, {'fn.properties.MemorySize': 128, 'traffic.arrivals.rate': 20}]
    """
    if isinstance(sets, dict):
        params = [(p, list(v)) for p, v in sets.items()]
    else:
        params = [parse_set(s) if isinstance(s, str) else (s[0], list(s[1])) for s in sets]
    seen = set()
    for p, values in params:
        if p in seen:
            raise ScenarioError([(p, "set more than once")])
        if not values:
            raise ScenarioError([(p, "no values")])
        seen.add(p)
    n = math.prod(len(v) for _, v in params)
    if n > MAX_POINTS:
        raise ScenarioError([("--set", f"the grid has {n:,} points; at most {MAX_POINTS:,}")])
    paths = [p for p, _ in params]
    return [dict(zip(paths, combo, strict=True)) for combo in itertools.product(*(v for _, v in params))]


def replication_seeds(base_seed: int, replications: int) -> list[int]:
    """Replication r's seed, the same at every point (common random numbers). r = 0 is the
    scenario seed itself, so a one-replication sweep point reproduces `triggerscope run`."""
    seeds = [int(base_seed)]
    for r in range(1, replications):
        s = int(np.random.SeedSequence([int(base_seed), r]).generate_state(1, dtype=np.uint32)[0])
        seeds.append(s & 0x7FFFFFFF)
    return seeds


def variant(scenario: Scenario, point: dict[str, Any], option: str = "--set") -> Scenario:
    """The scenario with one grid point's values applied and validated (ScenarioError if not)."""
    from core import validate

    sc = scenario
    label = f"{option} " + ", ".join(f"{p}={json.dumps(v)}" for p, v in point.items())
    for p, v in point.items():
        try:
            sc = model.apply_set(sc, p, v)
        except ScenarioError as e:
            raise ScenarioError(e.problems, label) from None
    errs = validate.errors(sc)
    if errs:
        raise ScenarioError([(e.path, e.message) for e in errs], label)
    return sc


# --- running -----------------------------------------------------------------------------


def _run_task(scenario: Scenario, seed: int, duration: float | None) -> dict[str, float]:
    """One replication in a worker (module-level so processes and Dask can import it)."""
    from core.engine.simulation import run

    return flatten(run(scenario, seed=seed, duration=duration))


def _ignore_sigint() -> None:
    # Ctrl+C belongs to the parent, which cancels cleanly; workers must not die mid-task.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _mp_context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class _Backend:
    """Where runs execute: this process (workers=0), local processes, or a Dask cluster.
    `submit` returns a future with `add_done_callback` and `result`; `cancel` drops pending
    futures; `close(abort=True)` also stops runs in progress."""

    slots = 1
    label = "this process"

    def submit(self, *args) -> Any:
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(_run_task(*args))
        except Exception as e:  # reported by the caller, like a worker's failure
            fut.set_exception(e)
        return fut

    def cancel(self, futures: list) -> None:
        for f in futures:
            f.cancel()

    def close(self, abort: bool = False) -> None:
        pass


class _LocalBackend(_Backend):
    def __init__(self, workers: int):
        self.workers = workers
        self.slots = 2 * workers
        self.label = f"{workers} worker process{'es' if workers != 1 else ''}"
        self.pool = cf.ProcessPoolExecutor(workers, mp_context=_mp_context(), initializer=_ignore_sigint)

    def submit(self, *args) -> Any:
        return self.pool.submit(_run_task, *args)

    def close(self, abort: bool = False) -> None:
        if not abort:
            self.pool.shutdown(wait=True)
            return
        # Runs still going belong to unfinished points, which are discarded: stop them now
        # rather than wait (ProcessPoolExecutor has no public terminate before 3.14).
        procs = list((getattr(self.pool, "_processes", None) or {}).values())
        _quiet_broken_pool_thread()
        self.pool.shutdown(wait=False, cancel_futures=True)
        for p in procs:
            if p.is_alive():
                p.terminate()


def _quiet_broken_pool_thread() -> None:
    """On CPython 3.11 the executor's manager thread, seeing terminated workers, sets an
    exception on futures already cancelled and dies with InvalidStateError (fixed in later
    Pythons). Nothing is lost — those runs were abandoned on purpose — so keep it off stderr."""
    import threading

    previous = threading.excepthook
    if getattr(previous, "_triggerscope_quiet", False):
        return

    def hook(args):
        tb = args.exc_traceback
        files = []
        while tb is not None:
            files.append(tb.tb_frame.f_code.co_filename)
            tb = tb.tb_next
        if args.exc_type is cf.InvalidStateError and any("concurrent/futures/process" in f for f in files):
            return
        previous(args)

    hook._triggerscope_quiet = True
    threading.excepthook = hook


class _DaskBackend(_Backend):
    def __init__(self, scheduler: Any):
        try:
            from dask.distributed import Client
        except ImportError:
            raise SweepError("--scheduler needs Dask: pip install 'triggerscope[distributed]'") from None
        if hasattr(scheduler, "submit"):  # a Client the caller owns
            self.client, self.owned = scheduler, False
        else:
            try:
                self.client = Client(str(scheduler), timeout="10s", set_as_default=False)
            except (OSError, TimeoutError, ValueError) as e:
                raise SweepError(f"cannot connect to the Dask scheduler at {scheduler}: {e}") from None
            self.owned = True
        threads = sum(self.client.nthreads().values()) or 1
        self.slots = 2 * threads
        self.label = f"Dask at {self.client.scheduler.address} ({threads} worker threads)"
        self.prefix = f"triggerscope-{uuid.uuid4().hex[:8]}"
        self.count = 0

    def submit(self, *args) -> Any:
        # A unique key per run: identical (scenario, seed) pairs must still run, and results
        # are released on the cluster as soon as the caller drops the future.
        self.count += 1
        return self.client.submit(_run_task, *args, key=f"{self.prefix}-{self.count}", pure=False)

    def cancel(self, futures: list) -> None:
        if futures:
            self.client.cancel(futures)

    def close(self, abort: bool = False) -> None:
        if self.owned:
            self.client.close()


def _backend(workers: int | None, scheduler: Any) -> _Backend:
    if scheduler is not None:
        return _DaskBackend(scheduler)
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 0:
        raise SweepError("--workers must be 0 (this process) or more")
    if workers == 0:
        return _Backend()
    return _LocalBackend(workers)


def _stopper(cancel: Any) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if hasattr(cancel, "is_set"):
        return cancel.is_set
    return cancel


def _execute(backend: _Backend, tasks: Iterable[tuple[Any, Scenario, int]], duration: float | None,
             on_result: Callable[[Any, dict[str, float]], None], should_stop: Callable[[], bool],
             describe: Callable[[Any], str] = str) -> tuple[bool, bool]:
    """Run (key, scenario, seed) tasks, at most `backend.slots` in flight, in submission order
    as far as the backend allows. Returns (finished everything, interrupted by Ctrl+C); on a
    stop the pending runs are cancelled, and the caller closes the backend with abort=True."""
    done_q: queue.Queue = queue.Queue()
    it = iter(tasks)
    inflight: dict[Any, tuple[Any, int]] = {}
    exhausted = stopped = interrupted = False

    def fill() -> None:
        nonlocal exhausted
        while not exhausted and len(inflight) < backend.slots:
            task = next(it, None)
            if task is None:
                exhausted = True
                return
            key, sc, seed = task
            fut = backend.submit(sc, seed, duration)
            inflight[fut] = (key, seed)
            fut.add_done_callback(done_q.put)

    try:
        fill()
        while inflight:
            if should_stop():
                stopped = True
                break
            try:
                fut = done_q.get(timeout=0.1)
            except queue.Empty:
                continue
            key, seed = inflight.pop(fut)
            try:
                flat = fut.result()
            except Exception as e:
                hint = (" (is triggerscope installed on every Dask worker?)"
                        if isinstance(e, ModuleNotFoundError) else "")
                raise SweepError(f"a run failed ({describe(key)}, seed {seed}): "
                                 f"{type(e).__name__}: {e}{hint}") from e
            on_result(key, flat)
            fill()
    except KeyboardInterrupt:
        stopped = interrupted = True
    except BaseException:
        backend.cancel(list(inflight))
        raise
    if stopped:
        backend.cancel(list(inflight))
    return (not stopped), interrupted


# --- sweeps ------------------------------------------------------------------------------


@dataclass
class PointResult:
    """One grid point: its values, and every metric's values over the replications."""

    index: int
    set: dict[str, Any]
    runs: list[dict[str, float]]  # one flat metric dict per replication, in seed order

    def values(self, key: str) -> list[float]:
        return [r.get(key, 0.0) for r in self.runs]

    def stat(self, key: str) -> Stat:
        return Stat.of(self.values(key))

    def keys(self) -> list[str]:
        seen: dict[str, None] = {}
        for r in self.runs:
            seen.update(dict.fromkeys(r))
        return list(seen)

    def to_json(self, metrics: Sequence[str] | None = None) -> dict[str, Any]:
        keys = list(metrics) if metrics else self.keys()
        out: dict[str, Any] = {"set": dict(self.set), "metrics": {}, "accounting": {}, "cost": {}}
        for k in keys:
            s = self.stat(k).as_json()
            if k.startswith("accounting.dropped_by_reason."):
                out["accounting"].setdefault("dropped_by_reason", {})[k[29:]] = s
            elif k.startswith("accounting."):
                out["accounting"][k[11:]] = s
            elif k.startswith("cost.by_node."):
                out["cost"].setdefault("by_node", {})[k[13:]] = s
            elif k.startswith("cost."):
                out["cost"][k[5:]] = s
            else:
                out["metrics"][k] = s
        return out


@dataclass
class Progress:
    """Reported after every finished run; `point` is set when that run completed a point."""

    runs_done: int
    runs_total: int
    points_done: int
    points_total: int
    elapsed_s: float
    point: PointResult | None = None

    @property
    def eta_s(self) -> float | None:
        if not self.runs_done:
            return None
        return self.elapsed_s / self.runs_done * (self.runs_total - self.runs_done)


@dataclass
class SweepResult:
    scenario: str
    parameters: list[str]
    grid: list[dict[str, Any]]
    replications: int
    seeds: list[int]
    duration_s: float
    points: list[PointResult] = field(default_factory=list)  # finished points, in grid order
    cancelled: bool = False
    interrupted: bool = False
    elapsed_s: float = 0.0
    backend: str = ""

    @property
    def complete(self) -> bool:
        return len(self.points) == len(self.grid)

    def find(self, point: dict[str, Any]) -> PointResult | None:
        return next((p for p in self.points if p.set == point), None)

    def series(self, key: str) -> tuple[list[dict[str, Any]], list[Stat]]:
        return [p.set for p in self.points], [p.stat(key) for p in self.points]

    def to_json(self, metrics: Sequence[str] | None = None) -> dict[str, Any]:
        return {"format": "triggerscope-sweep/1", "scenario": self.scenario,
                "replications": self.replications, "seeds": self.seeds,
                "duration_s": self.duration_s, "parameters": self.parameters,
                "points_total": len(self.grid), "complete": self.complete,
                "points": [p.to_json(metrics) for p in self.points]}


def run_sweep(scenario: Scenario, grid: list[dict[str, Any]] | None = None, replications: int = 1,
              workers: int | None = None, scheduler: Any = None, metrics: Sequence[str] | None = None,
              on_progress: Callable[[Progress], None] | None = None, cancel: Any = None,
              seed: int | None = None, duration: float | None = None) -> SweepResult:
    """Run every grid point `replications` times and return the finished points.

    `workers`: local processes (None = all cores, 0 = this process); `scheduler`: a Dask
    scheduler address or Client instead. `cancel`: a threading.Event or a callable; when it
    fires (or on Ctrl+C) nothing more is submitted, pending runs are cancelled and the
    points already finished are returned with `cancelled=True`. `metrics` is only checked
    here (every key must exist); all metrics are kept. Raises ScenarioError for an invalid
    point, SweepError when runs cannot execute.
    """
    grid = [{}] if grid is None else grid
    if replications < 1:
        raise SweepError("--replications must be at least 1")
    if duration is not None and not duration > 0:
        raise SweepError("--duration must be positive")
    bad = [(k, msg) for k in (metrics or ()) if (msg := metric_key_error(scenario, k))]
    if bad:
        raise ScenarioError(bad, "--metric")
    variants = [variant(scenario, pt) for pt in grid]
    base = int(scenario.simulation.Seed if seed is None else seed)
    seeds = replication_seeds(base, replications)
    dur = float(scenario.simulation.DurationSeconds if duration is None else duration)
    result = SweepResult(scenario.name, list(grid[0]) if grid else [], grid, replications, seeds, dur)
    t0 = time.perf_counter()
    finished, ok, interrupted, result.backend = _run_points(
        variants, grid, seeds, duration, workers, scheduler, on_progress, cancel)
    result.points = [finished[i] for i in sorted(finished)]
    result.cancelled = not ok
    result.interrupted = interrupted
    result.elapsed_s = time.perf_counter() - t0
    return result


def run_variants(scenarios: Sequence[Scenario], replications: int = 1, workers: int | None = 0,
                 scheduler: Any = None, seed: int | None = None, duration: float | None = None,
                 on_progress: Callable[[Progress], None] | None = None, cancel: Any = None
                 ) -> list[PointResult | None]:
    """Run whole scenarios (e.g. variants A and B) on the same replication seeds, derived from
    the first scenario's seed unless `seed` is given; None marks a variant left unfinished."""
    if replications < 1:
        raise SweepError("replications must be at least 1")
    base = int(scenarios[0].simulation.Seed if seed is None else seed)
    seeds = replication_seeds(base, replications)
    labels = [{"variant": i} for i in range(len(scenarios))]
    finished, _, _, _ = _run_points(list(scenarios), labels, seeds, duration, workers, scheduler,
                                    on_progress, cancel)
    return [finished.get(i) for i in range(len(scenarios))]


def _run_points(variants: list[Scenario], sets: list[dict[str, Any]], seeds: list[int],
                duration: float | None, workers: int | None, scheduler: Any,
                on_progress: Callable[[Progress], None] | None, cancel: Any
                ) -> tuple[dict[int, PointResult], bool, bool, str]:
    """Run every (variant, seed); returns (finished points by index, finished all,
    interrupted by Ctrl+C, where it ran)."""
    reps = len(seeds)
    runs: dict[int, list[dict[str, float] | None]] = {}
    finished: dict[int, PointResult] = {}
    total = len(variants) * reps
    counter = [0]
    t0 = time.perf_counter()

    def on_result(key: tuple[int, int], flat: dict[str, float]) -> None:
        i, r = key
        slot = runs.setdefault(i, [None] * reps)
        slot[r] = flat
        counter[0] += 1
        pr = None
        if all(x is not None for x in slot):
            pr = finished[i] = PointResult(i, sets[i], slot)  # type: ignore[arg-type]
            del runs[i]
        if on_progress is not None:
            on_progress(Progress(counter[0], total, len(finished), len(variants),
                                 time.perf_counter() - t0, pr))

    tasks = (((i, r), variants[i], seeds[r]) for i in range(len(variants)) for r in range(reps))
    backend = _backend(workers, scheduler)
    ok = False
    try:
        ok, interrupted = _execute(backend, tasks, duration, on_result, _stopper(cancel),
                                   lambda k: f"{_describe(sets[k[0]])}, replication {k[1] + 1}")
    finally:
        backend.close(abort=not ok)
    return finished, ok, interrupted, backend.label


def _describe(point: dict[str, Any]) -> str:
    return ", ".join(f"{p}={json.dumps(v)}" for p, v in point.items()) or "the scenario"


# --- goals and the capacity finder -------------------------------------------------------

_GOAL = re.compile(r"^\s*(\S+?)\s*(<=|>=|==|<|>)\s*(\S+)\s*$")


@dataclass(frozen=True)
class Goal:
    """`METRIC OP VALUE`, e.g. `orders.ApproximateAgeOfOldestMessage.max < 60`."""

    key: str
    op: str
    value: float

    def __str__(self) -> str:
        return f"{self.key} {self.op} {self.value:g}"

    def met(self, observed: float) -> bool:
        return OPS[self.op](observed, self.value)

    def margin(self, observed: float) -> float:
        """Headroom: how far the observed value is on the good side (negative: missed)."""
        if self.op in ("<", "<="):
            return self.value - observed
        if self.op in (">", ">="):
            return observed - self.value
        return 0.0 - abs(observed - self.value)  # never -0.0


def parse_goal(text: str) -> Goal:
    """`"worker.Throttles.sum < 10"` → Goal (ValueError with the reason if malformed)."""
    m = _GOAL.match(text)
    if not m:
        raise ValueError(f"goal {text!r}: expected 'METRIC OP VALUE' with OP one of <, <=, >, >=, ==")
    key, op, raw = m.groups()
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"goal {text!r}: {raw!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"goal {text!r}: the value must be finite")
    return Goal(key, op, value)


def parse_vary(text: str) -> tuple[str, int | float, int | float]:
    """`NODE.PATH=LOW:HIGH` → (path, low, high)."""
    path, eq, raw = text.partition("=")
    path = path.strip()
    m = _RANGE.match(raw)
    if not eq or "." not in path or not m or m.group(3):
        raise ValueError(f"--vary {text!r}: expected NODE.PATH=LOW:HIGH")
    low, high = _num(m.group(1)), _num(m.group(2))
    if not low < high:
        raise ValueError(f"--vary {text!r}: LOW must be below HIGH")
    return path, low, high


@dataclass
class Probe:
    value: int | float
    point: PointResult
    met: bool


@dataclass
class FindResult:
    parameter: str
    low: int | float
    high: int | float
    goals: list[Goal]
    replications: int
    seeds: list[int]
    value: int | float | None = None  # smallest value meeting every goal (None: none found)
    below: Probe | None = None  # the largest value probed that misses a goal
    probes: list[Probe] = field(default_factory=list)  # in the order they were run
    cancelled: bool = False
    interrupted: bool = False
    scenario: str = ""
    elapsed_s: float = 0.0

    def probe(self, value: int | float) -> Probe | None:
        return next((p for p in self.probes if p.value == value), None)

    @property
    def answer(self) -> Probe | None:
        return self.probe(self.value) if self.value is not None else None

    @property
    def cost_usd(self) -> Stat | None:
        a = self.answer
        return a.point.stat("cost.total_usd") if a else None

    def goal_results(self, probe: Probe | None = None) -> list[dict[str, Any]]:
        probe = probe or self.answer or (self.probes[-1] if self.probes else None)
        out = []
        for g in self.goals:
            if probe is None:
                out.append({"goal": str(g), "met": None, "observed": None, "margin": None})
                continue
            s = probe.point.stat(g.key)
            out.append({"goal": str(g), "met": g.met(s.mean), "observed": s.as_json(),
                        "margin": g.margin(s.mean)})
        return out

    def to_json(self) -> dict[str, Any]:
        cost = self.cost_usd
        at_high = self.probe(self.high)
        return {"format": "triggerscope-find/1", "scenario": self.scenario, "parameter": self.parameter,
                "low": self.low, "high": self.high, "replications": self.replications,
                "seeds": self.seeds, "value": self.value,
                "goals": self.goal_results(self.answer or at_high),
                "below": ({"value": self.below.value, "met": self.below.met} if self.below else None),
                "cost_usd": cost.mean if cost else None,
                "cost_ci95": [cost.lo, cost.hi] if cost else None,
                "probes": [{"value": p.value, "met": p.met} for p in self.probes],
                "complete": not self.cancelled}


def find_capacity(scenario: Scenario, path: str, low: int | float, high: int | float,
                  goals: Sequence[Goal | str], replications: int = 3, workers: int | None = None,
                  scheduler: Any = None, seed: int | None = None, duration: float | None = None,
                  step: float | None = None, on_probe: Callable[[Probe], None] | None = None,
                  cancel: Any = None) -> FindResult:
    """The smallest value of `path` in [low, high] meeting every goal, by bisection.

    A goal is met when the mean over the replications (the same seeds at every value)
    satisfies it. Bisection assumes goals get easier as the value grows. Integers are
    searched exactly (the answer meets every goal and answer − 1 does not); floats until
    the bracket is narrower than `step` (default (high − low) / 1000).
    """
    goals = [parse_goal(g) if isinstance(g, str) else g for g in goals]
    if not goals:
        raise ValueError("at least one goal is needed")
    bad = [(str(g), msg) for g in goals if (msg := metric_key_error(scenario, g.key))]
    if bad:
        raise ScenarioError(bad, "--goal")
    if not low < high:
        raise ValueError("LOW must be below HIGH")
    integer = all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high))
    if step is None:
        step = 1 if integer else (high - low) / 1000.0
    base = int(scenario.simulation.Seed if seed is None else seed)
    seeds = replication_seeds(base, replications)
    res = FindResult(path, low, high, list(goals), replications, seeds, scenario=scenario.name)
    for v in (low, high):
        variant(scenario, {path: v}, "--vary")  # fail early on an invalid end of the range
    t0 = time.perf_counter()
    stop = _stopper(cancel)
    backend = _backend(workers, scheduler)

    def evaluate(values: list[int | float]) -> bool:
        got: dict[int, list] = {i: [None] * replications for i in range(len(values))}
        tasks = [((i, r), variant(scenario, {path: v}, "--vary"), seeds[r])
                 for i, v in enumerate(values) for r in range(replications)]

        def on_result(key, flat):
            got[key[0]][key[1]] = flat

        ok, interrupted = _execute(backend, tasks, duration, on_result, stop,
                                   lambda k: f"{path}={values[k[0]]}, replication {k[1] + 1}")
        res.interrupted = res.interrupted or interrupted
        if not ok:
            return False
        for i, v in enumerate(values):
            pt = PointResult(len(res.probes), {path: v}, got[i])
            pr = Probe(v, pt, all(g.met(pt.stat(g.key).mean) for g in goals))
            res.probes.append(pr)
            if on_probe is not None:
                on_probe(pr)
        return True

    aborted = True
    try:
        if not evaluate([low, high]):
            res.cancelled = True
        else:
            lo_p, hi_p = res.probe(low), res.probe(high)
            if lo_p.met:
                res.value = low
            elif hi_p.met:
                lo, hi = low, high
                while (hi - lo) > step and not res.cancelled:
                    mid = (lo + hi) // 2 if integer else float(f"{(lo + hi) / 2:.12g}")
                    if mid in (lo, hi):
                        break
                    if not evaluate([mid]):
                        res.cancelled = True
                        break
                    if res.probes[-1].met:
                        hi = mid
                    else:
                        lo = mid
                res.value = hi  # when cancelled: the best value proven so far
                res.below = res.probe(lo)
        aborted = res.cancelled
    finally:
        backend.close(abort=aborted)
    res.elapsed_s = time.perf_counter() - t0
    return res


# --- output ------------------------------------------------------------------------------


def fmt_num(v: float) -> str:
    if v == 0:
        return "0"
    if float(v).is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.4g}"


def fmt_stat(s: Stat) -> str:
    """`mean ±half-width` with the half-width to two significant figures."""
    if s.n < 2 or s.half_width == 0:
        return fmt_num(s.mean)
    h = s.half_width
    half = f"{h:,.0f}" if h >= 10 else f"{float(f'{h:.2g}'):g}"
    return f"{fmt_num(s.mean)} ±{half}"


def _fmt_value(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v)


def default_columns(result: SweepResult, limit: int = 8) -> list[str]:
    """Headline metrics that differ between points (the interesting ones), then cost."""
    from core.report import HEADLINES

    if not result.points:
        return ["cost.total_usd"]
    first = result.points[0]
    keys = set(first.keys())
    candidates: list[str] = []
    # Headline order per node, taken from the report's table of what matters per kind.
    heads = {(m, s) for lst in HEADLINES.values() for m, s in lst}
    for k in first.keys():
        if k.startswith(("accounting.", "cost.")):
            continue
        _, m, s = k.rsplit(".", 2)
        if (m, s) in heads:
            candidates.append(k)
    candidates += [f"accounting.{f}" for f in ("failed_to_caller", "dead_lettered", "dropped")
                   if f"accounting.{f}" in keys]

    def spread(k: str) -> float:
        means = [p.stat(k).mean for p in result.points]
        top = max(abs(m) for m in means)
        return (max(means) - min(means)) / top if top else 0.0

    ranked = sorted((k for k in candidates if spread(k) > 0), key=spread, reverse=True)
    if not ranked:  # a single point, or nothing moved: show what is non-zero
        ranked = [k for k in candidates if first.stat(k).mean != 0]
    keep = set(ranked[: limit - 1])
    return [k for k in candidates if k in keep] + ["cost.total_usd"]


def text_table(result: SweepResult, metrics: Sequence[str] | None = None) -> str:
    cols = list(metrics) if metrics else default_columns(result)
    rows = [[_fmt_value(p.set[q]) for q in result.parameters] + [fmt_stat(p.stat(k)) for k in cols]
            for p in result.points]
    head = list(result.parameters) + cols
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(head)]
    nparam = len(result.parameters)

    def line(cells: list[str]) -> str:
        out = []
        for i, c in enumerate(cells):
            out.append(c.ljust(widths[i]) if i < nparam else c.rjust(widths[i]))
        return "  ".join(out).rstrip()

    ci = " (mean ±95 % CI half-width)" if result.replications > 1 else ""
    seeds = ", ".join(map(str, result.seeds[:4])) + (", …" if len(result.seeds) > 4 else "")
    lines = [f"{result.scenario} — {len(result.points)}/{len(result.grid)} points × "
             f"{result.replications} replication{'s' if result.replications != 1 else ''} "
             f"(seeds {seeds}), {result.duration_s:g} s simulated each{ci}", ""]
    lines.append(line(head))
    lines.append(line(["─" * w for w in widths]))
    lines += [line(r) for r in rows]
    if not result.complete:
        lines.append("")
        lines.append(f"stopped early: {len(result.grid) - len(result.points)} points not run")
    return "\n".join(lines) + "\n"


def write_csv(result: SweepResult, path: str, metrics: Sequence[str] | None = None) -> None:
    """One row per finished point: the parameters, then mean, ci95_lo, ci95_hi per metric."""
    keys = list(metrics) if metrics else _all_keys(result)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(result.parameters + [f"{k}.{s}" for k in keys for s in ("mean", "ci95_lo", "ci95_hi")])
    for p in result.points:
        row = [_fmt_value(p.set[q]) for q in result.parameters]
        for k in keys:
            s = p.stat(k)
            row += [repr(s.mean), repr(s.lo), repr(s.hi)]
        w.writerow(row)
    with open(path, "w", newline="", encoding="utf-8") as f:
        f.write(buf.getvalue())


def _all_keys(result: SweepResult) -> list[str]:
    seen: dict[str, None] = {}
    for p in result.points:
        seen.update(dict.fromkeys(p.keys()))
    return list(seen)


def find_text(res: FindResult) -> str:
    lines = []
    cost = res.cost_usd
    if res.value is None:
        lines.append(f"No value of {res.parameter} in [{res.low}, {res.high}] meets every goal"
                     + (" (stopped early)" if res.cancelled else "") + ".")
        at = res.probe(res.high)
        if at:
            lines.append(f"At {res.high}:")
    else:
        lines.append(f"Smallest {res.parameter} meeting every goal: {res.value}"
                     + (f"  (replications {res.replications}, mean over seeds)" if res.replications > 1 else ""))
        at = res.answer
    if at:
        for g in res.goals:
            s = at.point.stat(g.key)
            ok = "met   " if g.met(s.mean) else "MISSED"
            ci = f" (95 % CI [{fmt_num(s.lo)}, {fmt_num(s.hi)}])" if s.n > 1 else ""
            lines.append(f"  {ok} {g}   observed {fmt_num(s.mean)}{ci}, margin {fmt_num(g.margin(s.mean))}")
    if res.value is not None:
        if res.below is not None:
            missed = [g for g in res.goals if not g.met(res.below.point.stat(g.key).mean)]
            detail = "; ".join(f"{g.key} = {fmt_num(res.below.point.stat(g.key).mean)}" for g in missed)
            lines.append(f"  below: {res.below.value} misses {detail}")
        else:
            lines.append(f"  below: {res.low} is the bottom of the range and already meets every goal;"
                         " lower LOW to look further")
        if cost is not None:
            ci = f" (95 % CI [{cost.lo:.4f}, {cost.hi:.4f}])" if cost.n > 1 else ""
            lines.append(f"  cost at {res.value}: ${cost.mean:.4f} per run{ci}")
    lines.append("  probes: " + ", ".join(f"{p.value} {'✓' if p.met else '✗'}" for p in res.probes))
    return "\n".join(lines) + "\n"


class _Bar:
    """A progress line on stderr when it is a terminal; one plain final line otherwise."""

    def __init__(self, stream: Any = None, what: str = "sweep"):
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.what = what
        self.last = 0.0
        self.width = 0

    def update(self, p: Progress) -> None:
        if not self.tty:
            return
        now = time.perf_counter()
        if now - self.last < 0.1 and p.runs_done < p.runs_total:
            return
        self.last = now
        frac = p.runs_done / max(1, p.runs_total)
        bar = "█" * int(frac * 24) + "·" * (24 - int(frac * 24))
        eta = p.eta_s
        rate = p.points_done / p.elapsed_s * 60 if p.elapsed_s > 0 else 0.0
        text = (f"\r{self.what} [{bar}] {p.points_done}/{p.points_total} points, "
                f"{p.runs_done}/{p.runs_total} runs, {rate:.0f} points/min"
                + (f", {_clock(eta)} left" if eta is not None and p.runs_done < p.runs_total else ""))
        pad = max(0, self.width - len(text))
        self.width = len(text)
        self.stream.write(text + " " * pad)
        self.stream.flush()

    def note(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + text.ljust(self.width) + "\n")
            self.width = 0
            self.stream.flush()

    def finish(self, text: str) -> None:
        if self.tty and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
        self.stream.write(text + "\n")
        self.stream.flush()


def _clock(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


# --- the commands --------------------------------------------------------------------------


def _fail(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 1


def _problems(e: ScenarioError) -> int:
    print(f"error: {e.source}:" if e.source else "error: invalid input:", file=sys.stderr)
    for path, msg in e.problems:
        print(f"  {path}: {msg}", file=sys.stderr)
    return 1


def _load(path: str, sets: Sequence[str] = ()) -> Scenario:
    from core import validate

    sc = model.load(path)
    if sets:
        sc = model.apply_sets(sc, list(sets))
    errs = validate.errors(sc)
    if errs:
        raise ScenarioError([(p.path, p.message) for p in errs], path)
    return sc


def main_sweep(ns) -> int:
    """`triggerscope sweep`: exit 0 done, 1 invalid input, 130 on Ctrl+C (finished points
    are still printed, and written to --csv)."""
    if ns.replications < 1:
        return _fail("--replications must be at least 1")
    if ns.duration is not None and not ns.duration > 0:
        return _fail("--duration must be positive")
    if ns.workers is not None and ns.workers < 0:
        return _fail("--workers must be 0 (run in this process) or more")
    try:
        grid = plan_grid(ns.set)
        sc = _load(ns.file)
    except ScenarioError as e:
        return _problems(e)
    bar = _Bar(what="sweep")
    try:
        res = run_sweep(sc, grid, ns.replications, workers=ns.workers, scheduler=ns.scheduler,
                        metrics=ns.metric or None, on_progress=bar.update, seed=ns.seed,
                        duration=ns.duration)
    except ScenarioError as e:
        return _problems(e)
    except SweepError as e:
        return _fail(str(e))
    state = "interrupted" if res.interrupted else ("stopped" if res.cancelled else "done")
    bar.finish(f"sweep {state}: {len(res.points)}/{len(grid)} points × {ns.replications} replication{'s' if ns.replications != 1 else ''} "
               f"in {res.elapsed_s:.1f} s on {res.backend}"
               + (f" ({len(res.points) / res.elapsed_s * 60:.0f} points/min)" if res.elapsed_s > 0 else ""))
    metrics = ns.metric or None
    if ns.csv:
        try:
            write_csv(res, ns.csv, metrics)
        except OSError as e:
            return _fail(f"cannot write {ns.csv}: {e.strerror or e}")
    if ns.json:
        json.dump(res.to_json(metrics), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(text_table(res, metrics))
    return 130 if res.interrupted else 0


def main_find(ns) -> int:
    """`triggerscope find`: exit 0 with an answer, 1 for invalid input or when no value in the
    range meets every goal, 130 on Ctrl+C (the bracket found so far is printed)."""
    if ns.replications < 1:
        return _fail("--replications must be at least 1")
    if ns.duration is not None and not ns.duration > 0:
        return _fail("--duration must be positive")
    if ns.workers is not None and ns.workers < 0:
        return _fail("--workers must be 0 (run in this process) or more")
    try:
        path, low, high = parse_vary(ns.vary)
        goals = [parse_goal(g) for g in ns.goal]
    except ValueError as e:
        return _fail(str(e))
    try:
        sc = _load(ns.file, ns.set)
    except ScenarioError as e:
        return _problems(e)
    bar = _Bar(what="find")

    def on_probe(p: Probe) -> None:
        bar.note(f"  {path} = {p.value}: {'meets every goal' if p.met else 'misses'}")

    try:
        res = find_capacity(sc, path, low, high, goals, ns.replications, workers=ns.workers,
                            scheduler=ns.scheduler, seed=ns.seed, duration=ns.duration,
                            on_probe=on_probe)
    except ScenarioError as e:
        return _problems(e)
    except (SweepError, ValueError) as e:
        return _fail(str(e))
    bar.finish(f"find {'interrupted' if res.interrupted else 'done'}: {len(res.probes)} values × "
               f"{ns.replications} replications in {res.elapsed_s:.1f} s")
    if ns.json:
        json.dump(res.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(find_text(res))
    if res.interrupted:
        return 130
    if res.value is None:
        if not ns.json:
            print(f"error: no value of {path} in [{low}, {high}] meets every goal", file=sys.stderr)
        return 1
    return 0
