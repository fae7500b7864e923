"""A downstream the function calls (database, third-party API) with a concurrency ceiling.

Each invocation holds one request on it for its whole run; requests beyond
MaxConcurrentRequests are rejected and fail the invocation — the "unlimited Lambda
concurrency overwhelms the database" pitfall.
"""

from __future__ import annotations

from core.catalog import behav
from core.components.base import Component, Gauge
from core.engine.rand import Sampler, Uniform, as_dist


class Dependency(Component):
    kind = "Dependency"

    def __init__(self, sim, node):
        self.inflight = 0
        self.c_req = self.c_rej = 0
        self.gauge = Gauge()
        self.u = Uniform(sim.rng(node.id, "coin"))
        super().__init__(sim, node)

    def configure(self, node) -> None:
        super().configure(node)
        mx = behav(node, "MaxConcurrentRequests")
        self.max = float("inf") if mx is None else int(mx)
        self.latency = Sampler(as_dist(behav(node, "Latency")), self.sim.rng(node.id, "latency"))
        self.err_rate = float(behav(node, "ErrorRate") or 0.0)

    def acquire(self, t: float) -> bool:
        self.c_req += 1
        if self.inflight >= self.max:
            self.c_rej += 1
            return False
        self.inflight += 1
        self.gauge.add(t, 1)
        return True

    def release(self, t: float) -> None:
        self.inflight -= 1
        self.gauge.add(t, -1)

    def flush(self, k: int, b: float, length: float) -> None:
        m = self.m
        m.counter("Requests", k, self.c_req)
        m.counter("Rejected", k, self.c_rej)
        m.gauge("ConcurrentRequests", k, *self.gauge.close(b, length))
        self.c_req = self.c_rej = 0
