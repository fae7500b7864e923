"""API Gateway in front of a function: the synchronous caller.

Stage throttling answers 429 (4XX); Lambda's own throttle becomes 500, a function error
502, and an integration timeout 504 while the function runs on (REST proxy behaviour).
API Gateway never retries.
"""

from __future__ import annotations

from core.catalog import prop
from core.components.base import Component
from core.engine.events import EngineError, Ev

LATE = object()  # tag of an invocation already answered with 504


class ApiGateway(Component):
    kind = "ApiGateway"

    def __init__(self, sim, node):
        self.c_count = self.c_4xx = self.c_5xx = 0
        self.total = 0
        self.d_lat: list[float] = []
        self.tok_t = 0.0
        super().__init__(sim, node)
        self.tokens = float(self.burst)
        self.full_at = self._full_from(0.0)

    def configure(self, node) -> None:
        super().configure(node)
        self.api_type = prop(node, "Type")
        default_ms = 30000 if self.api_type == "HTTP" else 29000
        ms = node.properties.get("IntegrationTimeoutMillis", default_ms)
        self.itimeout = float(ms) / 1000.0
        self.rate = float(prop(node, "ThrottlingRateLimit"))
        self.burst = float(prop(node, "ThrottlingBurstLimit"))
        self.burst_less_one = self.burst - 1.0  # the bucket right after a full one admits a request
        self.one_token = self._refill_time(1.0)
        if hasattr(self, "tokens"):  # an edit mid-run
            self.full_at = self._full_from(self.tok_t)

    def _refill_time(self, missing: float) -> float:
        """Seconds after which `missing` tokens have surely come back (a margin covers
        rounding); never, if the bucket cannot admit at all."""
        if self.rate <= 0 or self.burst < 1.0:
            return float("inf")
        return missing / self.rate * (1 + 1e-7) + 1e-9

    def _full_from(self, t: float) -> float:
        """A time from which the stage's token bucket is surely full again, so accept() can
        skip the refill arithmetic."""
        return t + self._refill_time(max(0.0, self.burst - self.tokens))

    def wire(self) -> None:
        fns = self.out("invoke")
        self.fn = fns[0][0] if fns else None

    def accept(self, t: float, ev: Ev) -> None:
        self.c_count += 1
        if t >= self.full_at:
            # The bucket has refilled to its burst limit (the usual case): take one token.
            self.tokens = self.burst_less_one
            self.tok_t = t
            self.full_at = t + self.one_token
        else:
            tok = self.tokens + (t - self.tok_t) * self.rate
            if tok > self.burst:
                tok = self.burst
            self.tok_t = t
            if tok < 1.0:
                self.tokens = tok
                self.c_4xx += 1
                self.d_lat.append(0.0)
                self.why("throttle", "API stage throttle (429)")
                if ev.j is not None:
                    self.note(ev, t, "429 from API stage throttle")
                self.acct.fail_to_caller(ev)
                return
            self.tokens = tok - 1.0
            self.full_at = self._full_from(t)
        fn = self.fn
        inv = fn.invoke(t, ev, self, None, ev.tmpl.poison) if fn is not None else None
        if inv is None:
            self.c_5xx += 1
            self.d_lat.append(0.0)
            if ev.j is not None:
                self.note(ev, t, f"500: Lambda throttled ({fn.last_throttle})" if fn else "500: no integration")
            self.acct.fail_to_caller(ev)
            return
        if ev.j is not None:
            self.note(ev, t, "invoked synchronously" + (" (cold start)" if inv.init > 0 else ""))
        if inv.end - t > self.itimeout:
            inv.tag = LATE
            self.kernel.schedule(t + self.itimeout, self._timeout, inv)

    def _timeout(self, t: float, inv) -> None:
        ev = inv.payload
        self.c_5xx += 1
        self.d_lat.append(self.itimeout)
        self.why("error", "integration timeout (504)")
        self.note(ev, t, "504: integration timeout; the function keeps running")
        self.acct.fail_to_caller(ev)

    def on_result(self, t: float, inv) -> None:
        if inv.tag is LATE:
            return  # already answered 504
        ev = inv.payload
        self.d_lat.append(t - inv.t0)
        acct = self.acct
        if inv.err is None:
            if ev.j is not None:
                self.note(ev, t, "200")
            if ev.done:
                raise EngineError(f"event {ev.id} given a second outcome")
            ev.done = True
            acct.succeeded += 1
        else:
            self.c_5xx += 1
            self.note(ev, t, f"502: {inv.err}")
            acct.fail_to_caller(ev)

    def flush(self, k: int, b: float, length: float) -> None:
        m = self.m
        m.counter("Count", k, self.c_count)
        self.total += self.c_count
        m.counter("4XXError", k, self.c_4xx)
        m.counter("5XXError", k, self.c_5xx)
        m.dist("Latency", k, self.d_lat)
        self.c_count = self.c_4xx = self.c_5xx = 0
        self.d_lat = []

    def cost_items(self, pricing: dict, elapsed: float) -> dict[str, float]:
        p = pricing["apigateway"]["http" if self.api_type == "HTTP" else "rest"]
        return {"requests": (self.total + self.c_count) * p}

