"""The Simulation: builds components from a scenario, advances time, keeps metrics.

Headless runs call `run()`; the app calls `advance(until)` or `advance_for(seconds)` in
slices and reads `series()` between them; `update(scenario)` applies property edits from
the current simulated time. Nothing here is global: a Simulation is self-contained.
"""

from __future__ import annotations

import gc
import json
import math
import time
from collections import Counter
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from core.engine.events import OUTCOMES, Accounting, EngineError, Ev
from core.engine.kernel import Kernel
from core.engine.metrics import NodeMetrics
from core.engine.rand import stream
from core.model import Scenario

MAX_PERIODS = 2_000_000
ASSETS = Path(__file__).resolve().parents[2] / "assets"


@lru_cache(maxsize=4)
def pricing(region: str = "us-east-1") -> dict:
    """The dated price table (assets/pricing); other Regions fall back to us-east-1's list prices."""
    path = ASSETS / "pricing" / f"{region}.json"
    if not path.exists():
        path = ASSETS / "pricing" / "us-east-1.json"
    return json.loads(path.read_text(encoding="utf-8"))


def component_classes() -> dict[str, type]:
    from core.components.api_gateway import ApiGateway
    from core.components.dependency import Dependency
    from core.components.esm import EventSourceMapping
    from core.components.eventbridge import EventBridgeRule, Schedule
    from core.components.function import Function
    from core.components.s3 import S3Bucket
    from core.components.sns import SNSTopic
    from core.components.sqs import SQSQueue
    from core.components.streams import DynamoDBTable, KinesisStream

    return {c.kind: c for c in (ApiGateway, Dependency, EventSourceMapping, EventBridgeRule, Schedule,
                                Function, S3Bucket, SNSTopic, SQSQueue, KinesisStream, DynamoDBTable)}


class Simulation:
    """One run of one scenario. `seed`/`duration` override the scenario's. The journeys of up to
    `journeys` event instances are traced, every `journey_every`-th one (1: each of the first ones)."""

    def __init__(self, scenario: Scenario, seed: int | None = None, duration: float | None = None,
                 journeys: int = 200, track_cost: bool = False, journey_every: int = 97):
        from core.components.function import AccountPool

        self.scenario = scenario
        self.seed = int(scenario.simulation.Seed if seed is None else seed)
        self.duration = float(scenario.simulation.DurationSeconds if duration is None else duration)
        self.period = float(scenario.simulation.MetricPeriodSeconds)
        n = math.ceil(self.duration / self.period - 1e-9)
        if n > MAX_PERIODS:
            raise ValueError(
                f"{n} metric periods is too many; raise simulation.MetricPeriodSeconds "
                f"to at least {self.duration / MAX_PERIODS:g}")
        self.n_periods = max(1, n)
        self.kernel = Kernel()
        self.acct = Accounting(journeys=journeys, journey_every=journey_every)
        self.why: Counter[tuple[str, str, str]] = Counter()
        self.k = 0  # periods flushed so far
        self.wall = 0.0
        self.marks: list[tuple[float, str]] = []  # (t, label) of edits applied mid-run
        self.metrics = {nd.id: NodeMetrics(nd.id, nd.kind, self.n_periods) for nd in scenario.nodes}
        # Cumulative outcome counts (and cost) at the end of each period, for live charts.
        self._outcomes = {o: np.zeros(self.n_periods) for o in OUTCOMES + ("created",)}
        self.track_cost = track_cost
        self._cost = np.zeros(self.n_periods) if track_cost else None
        self._edges: dict[tuple[str, str], list] = {}

        self.pool = AccountPool(scenario.account.ConcurrentExecutions, _claimed(scenario))

        classes = component_classes()
        self.components: dict[str, Any] = {}
        for nd in scenario.nodes:
            self.components[nd.id] = classes[nd.kind](self, nd)
        self._index_edges()
        for c in self.components.values():
            c.wire()
        self.sources = [self._source(w) for w in scenario.workloads]
        for c in self.components.values():
            c.start()
        for s in self.sources:
            s.start()

    def _index_edges(self) -> None:
        self._edges = {}
        for e in self.scenario.edges:
            if e.source in self.components and e.target in self.components:
                self._edges.setdefault((e.source, e.role), []).append(
                    (self.components[e.target], e.properties))

    def _source(self, w, start_at: float = 0.0):
        from core.components.workload import DirectCaller, WorkloadSource

        target = self.components[w.target]
        if target.kind == "Function" and w.InvocationType == "RequestResponse":
            target = DirectCaller(target)
        return WorkloadSource(self, w, target, start_at)

    # -- wiring helpers used by components ---------------------------------------------
    def rng(self, *names: str) -> np.random.Generator:
        return stream(self.seed, *names)

    def out_edges(self, node_id: str, role: str) -> list:
        return list(self._edges.get((node_id, role), ()))

    def in_nodes(self, node_id: str, role: str) -> list:
        return [src for (src, r), lst in self._edges.items() if r == role
                for c, _ in lst if c.id == node_id]

    def sole_invoker(self, fn_id: str) -> str | None:
        """The one node that invokes function `fn_id` (its only incoming edge), or None when
        several do or a workload invokes it directly."""
        if any(w.target == fn_id for w in self.scenario.workloads):
            return None
        srcs = {e.source for e in self.scenario.edges if e.target == fn_id}
        return srcs.pop() if len(srcs) == 1 else None

    def largest_payload(self) -> int:
        """Bytes of the largest payload any instance can carry (every instance reuses the
        template of a workload event or a schedule's Input)."""
        from core.engine.events import payload_size

        sizes = [payload_size(e.payload, e.size_bytes) for w in self.scenario.workloads for e in w.events]
        sizes += [payload_size(n.properties.get("Input"), 0) for n in self.scenario.nodes if n.kind == "Schedule"]
        return max(sizes, default=0)

    # -- time ------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.kernel.now

    @property
    def finished(self) -> bool:
        return self.k >= self.n_periods

    def _boundary(self, k: int) -> float:
        return min((k + 1) * self.period, self.duration)

    def _flush(self) -> None:
        k = self.k
        b = self._boundary(k)
        length = b - k * self.period
        for c in self.components.values():
            c.flush(k, b, length)
        acct = self.acct
        for o, arr in self._outcomes.items():
            arr[k] = getattr(acct, o)
        if self._cost is not None:
            self._cost[k] = self.cost()["total_usd"]
        self.k = k + 1

    def advance(self, until: float) -> None:
        """Simulate up to `until` (capped at the duration), flushing every finished period."""
        until = min(until, self.duration)
        t0 = time.perf_counter()
        kernel = self.kernel
        with _young_gc_relaxed():
            while self.k < self.n_periods:
                b = self._boundary(self.k)
                if b > until:
                    kernel.run_before(until)
                    break
                kernel.run_before(b)
                self._flush()
        self.wall += time.perf_counter() - t0

    def advance_for(self, wall_seconds: float, until: float | None = None, chunk: int = 2000) -> None:
        """Simulate for about `wall_seconds` of real time (the app's slices), never past `until`."""
        limit = self.duration if until is None else min(until, self.duration)
        deadline = time.perf_counter() + wall_seconds
        t0 = time.perf_counter()
        kernel = self.kernel
        with _young_gc_relaxed():
            while self.k < self.n_periods and kernel.now < limit:
                b = min(self._boundary(self.k), limit)
                if kernel.run_some(b, chunk):
                    if b >= self._boundary(self.k):
                        self._flush()
                if time.perf_counter() >= deadline:
                    break
        self.wall += time.perf_counter() - t0

    def run(self) -> Simulation:
        self.advance(self.duration)
        return self

    # -- edits while paused -------------------------------------------------------------------
    def update(self, scenario: Scenario, label: str = "edit") -> None:
        """Apply edits from now on: node properties and behaviour, edge properties (filters),
        workloads (traffic) and account settings. The graph itself must not change: new or
        removed nodes, edges or workloads need a reset."""
        old = {(n.id, n.kind) for n in self.scenario.nodes}
        new = {(n.id, n.kind) for n in scenario.nodes}
        if old != new or {e.key for e in self.scenario.edges} != {e.key for e in scenario.edges} \
                or [w.id for w in self.scenario.workloads] != [w.id for w in scenario.workloads]:
            raise ValueError("nodes, edges or workloads were added or removed: reset the run to apply a new graph")
        previous = self.scenario
        self.scenario = scenario
        self.pool.quota = scenario.account.ConcurrentExecutions
        self.pool.cap = max(0, scenario.account.ConcurrentExecutions - _claimed(scenario))
        for nd in scenario.nodes:
            self.components[nd.id].configure(nd)
        old_props = {e.key: e.properties for e in previous.edges}
        if any(old_props[e.key] != e.properties for e in scenario.edges):
            self._index_edges()
            for c in self.components.values():
                c.rewire()
        for i, (w_old, w_new) in enumerate(zip(previous.workloads, scenario.workloads, strict=True)):
            if w_old != w_new:
                self.sources[i].active = False
                self.sources[i] = self._source(w_new, start_at=self.now)
                self.sources[i].start()
        self.marks.append((self.now, label))

    # -- reading -----------------------------------------------------------------------------
    def times(self) -> np.ndarray:
        """Start time of each flushed period."""
        return np.arange(self.k) * self.period

    def series(self, node_id: str, metric: str, stat: str = "sum") -> np.ndarray:
        return self.metrics[node_id].series(metric, stat, self.k)

    def outcome_series(self, outcome: str, cumulative: bool = False) -> np.ndarray:
        """Instances reaching `outcome` (or created) in each flushed period."""
        arr = self._outcomes[outcome][: self.k]
        return arr.copy() if cumulative else np.diff(arr, prepend=0.0)

    def cost_series(self) -> np.ndarray:
        """Running total cost (USD) at the end of each period; needs track_cost=True."""
        if self._cost is None:
            raise ValueError("create the Simulation with track_cost=True")
        return self._cost[: self.k]

    def period_lengths(self) -> np.ndarray:
        starts = np.arange(self.n_periods) * self.period
        return np.minimum(starts + self.period, self.duration) - starts

    def cost(self) -> dict:
        elapsed = min(self.now, self.duration)
        prices = pricing(self.scenario.account.Region)
        by_node: dict[str, float] = {}
        items: dict[str, dict[str, float]] = {}
        for nid, c in self.components.items():
            its = c.cost_items(prices, elapsed)
            total = float(sum(its.values()))
            if its:
                items[nid] = {k: round(float(v), 12) for k, v in its.items()}
            if total:
                by_node[nid] = round(total, 12)
        return {"total_usd": round(sum(by_node.values()), 12), "by_node": by_node, "items": items,
                "pricing_as_of": prices.get("as_of"), "region": prices.get("region")}

    def summary(self) -> dict:
        lengths = self.period_lengths()
        nodes = {}
        for nid, m in self.metrics.items():
            nodes[nid] = {"kind": m.kind, "metrics": m.summary(self.k, lengths)}
        why = [{"node": n, "what": w, "cause": c, "count": cnt}
               for (n, w, c), cnt in sorted(self.why.items())]
        return {
            "format": "triggerscope-summary/1",
            "scenario": self.scenario.name,
            "seed": self.seed,
            "duration_s": float(min(self.now, self.duration)),
            "engine": {"events_processed": self.kernel.events_processed, "wall_s": round(self.wall, 4)},
            "accounting": self.acct.as_dict(),
            "nodes": nodes,
            "cost": self.cost(),
            "why": why,
        }

    def journeys(self) -> list[dict]:
        return [{"event": i, "steps": [{"t": t, "node": n, "what": w} for t, n, w in steps]}
                for i, steps in self.acct.journeys]

    def audit(self) -> int:
        """Count the instances components hold that have no outcome yet (tests compare it
        with `accounting.pending`)."""
        seen: dict[int, Ev] = {}
        for c in self.components.values():
            for ev in c.held():
                if ev.done:
                    raise EngineError(f"{c.id} holds event {ev.id} that already has an outcome")
                seen[ev.id] = ev
        for _, _, arg in self.kernel.pending():
            for ev in _evs(arg):
                if not ev.done:
                    seen[ev.id] = ev
        return len(seen)


def _claimed(scenario: Scenario) -> int:
    """Account concurrency unavailable to unreserved functions: every reservation, plus the
    provisioned environments of functions without one (ClaimedAccountConcurrency)."""
    total = 0
    for nd in scenario.nodes:
        if nd.kind != "Function":
            continue
        rc = nd.properties.get("ReservedConcurrentExecutions")
        total += int(rc) if rc is not None else int(nd.properties.get("ProvisionedConcurrentExecutions") or 0)
    return total


@contextmanager
def _young_gc_relaxed(threshold: int = 200_000):
    """Run with a higher young-generation GC threshold, then restore it.

    The engine allocates millions of short-lived, acyclic objects (instances, invocations,
    heap entries) that reference counting frees at once; CPython's default threshold of
    700 would run a cyclic collection every few hundred events for nothing."""
    old = gc.get_threshold()
    if old[0] >= threshold or old[0] == 0:
        yield
        return
    gc.set_threshold(threshold, *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)


def _evs(arg) -> list[Ev]:
    from core.components.function import Inv

    if isinstance(arg, Inv):
        arg = arg.payload
    if isinstance(arg, Ev):
        return [arg]
    if isinstance(arg, list | tuple):
        return [x for x in arg if isinstance(x, Ev)]
    return []


def run(scenario: Scenario, seed: int | None = None, duration: float | None = None) -> dict:
    """Run a scenario headless and return the SPEC §3 summary."""
    return Simulation(scenario, seed, duration).run().summary()
