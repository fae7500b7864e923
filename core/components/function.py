"""Lambda functions: concurrency limits, execution environments, cold starts and billing.

`invoke()` is the one door every invocation model uses (sync, async, event source
mappings); it either starts the invocation or returns the throttle cause. The async
path (Lambda's internal queue, retries, DLQ, destinations) is in `async_invoke.py`.
"""

from __future__ import annotations

import math
from heapq import heappush
from math import ceil
from typing import Any

import numpy as np

from core.catalog import behav, prop
from core.components.base import Component, close_level
from core.engine.events import Ev
from core.engine.rand import Sampler, Uniform, as_dist

RECURSION_LIMIT = 16  # Lambda stops a request chain after about 16 invocations


def billed_ms(seconds: float) -> int:
    """Lambda bills duration rounded up to the millisecond."""
    return ceil(seconds * 1000.0 - 1e-9)


class AccountPool:
    """The Region's concurrency shared by functions without reserved concurrency."""

    __slots__ = ("quota", "cap", "used")

    def __init__(self, quota: int, claimed: int):
        self.quota = quota
        # Reserved concurrency and the provisioned environments of unreserved functions
        # are claimed whether busy or not (ClaimedAccountConcurrency).
        self.cap = max(0, quota - claimed)
        self.used = 0


class Inv:
    """One running invocation. Each function reuses finished ones (`Function.spare`): a
    caller must not keep an Inv after its `on_result`."""

    __slots__ = ("payload", "caller", "tag", "t0", "init", "dur", "err", "pc", "deps", "end")

    def __init__(self, payload, caller, tag, t0, init, dur, err, pc, deps):
        self.payload = payload
        self.caller = caller
        self.tag = tag
        self.t0 = t0
        self.init = init
        self.dur = dur
        self.err = err
        self.pc = pc
        self.deps = deps
        self.end = t0 + init + dur

    @property
    def ok(self) -> bool:
        return self.err is None


class Function(Component):
    kind = "Function"
    consumes_records = True
    # What invocations and their period's metrics touch lives in slots (see base.Component).
    __slots__ = (
        "conc", "pc_busy", "warm", "tokens", "tok_t", "scale_cap", "scale_rate", "reserved", "pc",
        "pool", "timeout", "err_rate", "u", "deps", "emits", "heap", "seq", "complete_cb", "spare",
        "c_err", "c_thr", "c_cold", "c_spill", "c_pcinv", "c_recursive", "last_throttle", "inv_mark",
        "d_dur", "d_init", "g_s", "g_max", "conc_mirrors", "dur", "cold", "idle", "dur_buf", "dur_n",
        "dur_cum", "draws_done", "draw_ms_done", "ms_adjust", "billed_ms_pc", "idle_buf",
    )

    def __init__(self, sim, node):
        self.conc = 0
        self.pc_busy = 0
        self.warm: list[float] = []  # idle environments' reclaim deadlines (LIFO reuse)
        self.tokens = float(sim.scenario.account.ScalingRatePer10Seconds)
        self.tok_t = 0.0
        # metric accumulators for the current period
        self.c_err = self.c_thr = self.c_cold = 0
        self.c_spill = self.c_pcinv = self.c_recursive = 0
        self.inv_mark = 0  # invocations() at the start of the current period
        self.last_throttle = ""
        self.d_dur: list[float] = []
        self.d_init: list[float] = []
        self.g_s = 0.0  # the concurrency gauge's area is g_s + conc * now (see base.Gauge)
        self.g_max = 0
        self.conc_mirrors: list = []  # metrics of mappings whose Concurrency is this gauge (SqsPoller)
        # Duration draws, one per invocation: they also count and bill invocations in bulk
        # (see _refill_dur). The chunk being handed out is dur_buf (popped from its end).
        self.dur_buf: list[float] | None = None
        self.dur_n = 0  # size of that chunk when drawn
        self.dur_cum = [0]  # dur_cum[i]: billed ms of the chunk's first i draws
        self.draws_done = 0  # draws handed out from earlier chunks
        self.draw_ms_done = 0  # and their billed ms
        self.ms_adjust = 0  # on-demand ms billed beyond the plain draws (_bill_odd)
        self.billed_ms_pc = 0  # execution on provisioned environments
        self.u = Uniform(sim.rng(node.id, "coin"))
        super().__init__(sim, node)
        self.schedule = self.kernel.schedule
        self.heap = self.kernel._heap
        self.seq = self.kernel._seq
        self.complete_cb = self._complete  # bound once: the hot path schedules it per invocation
        self.spare: list[Inv] = []  # finished invocations, reused instead of allocating
        from core.components.async_invoke import AsyncQueue

        self.async_q = AsyncQueue(self)

    def configure(self, node) -> None:
        super().configure(node)
        sim = self.sim
        self.memory = int(prop(node, "MemorySize"))
        self.timeout = float(prop(node, "Timeout"))
        arch = prop(node, "Architectures") or ["x86_64"]
        self.arch = "arm64" if "arm64" in arch else "x86_64"
        self.ephemeral = int(prop(node, "EphemeralStorage.Size") or 512)
        rc = node.properties.get("ReservedConcurrentExecutions")
        self.reserved = None if rc is None else int(rc)
        self.pc = int(prop(node, "ProvisionedConcurrentExecutions") or 0)
        self.max_retries = int(prop(node, "EventInvokeConfig.MaximumRetryAttempts"))
        self.max_age = float(prop(node, "EventInvokeConfig.MaximumEventAgeInSeconds"))
        self.err_rate = float(behav(node, "ErrorRate") or 0.0)
        # Keep a sampler (and its place in the random stream) when its distribution is unchanged.
        self.dur = self._sampler("dur", behav(node, "Duration"), "duration")
        self.cold = self._sampler("cold", behav(node, "ColdStart"), "coldstart")
        self.idle = self._sampler("idle", behav(node, "IdleTimeout"), "idle")
        if self.dur_buf is None or self.dur is not getattr(self, "_dur_seen", None):
            if self.dur_n:  # draws were handed out from the chunk being dropped
                self._fold_draws()
            self.dur_buf, self.dur_n, self.dur_cum = [], 0, [0]
        if getattr(self, "idle_buf", None) is None or self.idle is not getattr(self, "_idle_seen", None):
            self.idle_buf = []
        self._dur_seen, self._idle_seen = self.dur, self.idle
        self.scale_cap = float(sim.scenario.account.ScalingRatePer10Seconds)
        self.scale_rate = self.scale_cap / 10.0

    def _sampler(self, attr: str, value, stream_name: str) -> Sampler:
        dist = as_dist(value)
        old = getattr(self, attr, None)
        if old is not None and old.dist == dist:
            return old
        return Sampler(dist, self.sim.rng(self.id, stream_name))

    def wire(self) -> None:
        self.deps = [c for c, _ in self.out("calls")]
        self.emits = [(c, float(p.get("PerInvocation", 1.0))) for c, p in self.out("emits")]
        self.pool: AccountPool = self.sim.pool
        self.async_q.wire()

    # -- the invocation door ------------------------------------------------------------
    def invoke(self, t: float, payload: Any, caller, tag: Any = None, poison: bool = False,
               report: bool = False) -> Inv | None:
        """Start an invocation now and return it, or None when throttled (`last_throttle` says why).

        `poison`: the payload holds a poison record, so the handler fails — unless
        `report` (ReportBatchItemFailures) lets it return the failed items instead.
        `caller.on_result(t, inv)` is called when it ends.
        """
        reserved = self.reserved
        if reserved is not None and self.conc >= reserved:
            return self._throttle(t, "reserved concurrency is 0" if reserved == 0 else "reserved concurrency")
        pc = self.pc
        if pc and self.pc_busy < pc:
            self.pc_busy += 1
            is_pc = odd = True
            init = 0.0
            self.c_pcinv += 1
        else:
            is_pc = False
            if reserved is None:
                pool = self.pool
                if pool.used >= pool.cap:
                    return self._throttle(t, "account concurrency")
                pool.used += 1
            warm = self.warm
            if warm and warm.pop() > t:
                init = 0.0  # the most recently used idle environment (LIFO) is still warm
                odd = False  # billed as its duration draw alone (see _bill_odd)
            else:
                odd = True
                init = self._environment(t)
                if init is None:
                    if reserved is None:
                        self.pool.used -= 1
                    return self._throttle(t, "scaling rate")
            if pc:
                self.c_spill += 1
        # concurrency gauge (time-weighted, as base.Gauge.add)
        c = self.conc + 1
        self.conc = c
        self.g_s -= t
        if c > self.g_max:
            self.g_max = c

        buf = self.dur_buf
        d = d0 = buf.pop() if buf else self._refill_dur()
        err = None
        held = None
        if self.deps:
            odd = True
            held = []
            for dep in self.deps:
                if not dep.acquire(t):
                    err = "dependency saturated"
                    break
                held.append(dep)
                d += dep.latency.next()
                if dep.err_rate and dep.u.next() < dep.err_rate:
                    err = "dependency error"
        if err is None:
            if poison and not report:
                err = "poison record"
            elif self.err_rate and self.u.next() < self.err_rate:
                err = "function error"
        if d > self.timeout:
            d = self.timeout
            err = "timeout"
            odd = True
        if err is not None:
            self.c_err += 1
            self.why("error", err)
        if odd:
            self._bill_odd(d0, init, d, is_pc)
        spare = self.spare
        if spare:
            inv = spare.pop()
            inv.payload = payload
            inv.caller = caller
            inv.tag = tag
            inv.t0 = t
            inv.init = init
            inv.dur = d
            inv.err = err
            inv.pc = is_pc
            inv.deps = held
            end = inv.end = t + init + d
        else:
            inv = Inv(payload, caller, tag, t, init, d, err, is_pc, held)
            end = inv.end
        heappush(self.heap, (end, next(self.seq), self.complete_cb, inv))
        return inv

    def _environment(self, t: float) -> float | None:
        """Once the newest idle environment was reclaimed: an older one still warm (init 0),
        else a new one (its init duration, a cold start), or None when the scaling rate
        (1,000 new environments per 10 s, refilled continuously) has no token left."""
        warm = self.warm
        while warm:
            if warm.pop() > t:
                return 0.0
        tok = self.tokens + (t - self.tok_t) * self.scale_rate
        if tok > self.scale_cap:
            tok = self.scale_cap
        self.tok_t = t
        if tok < 1.0:
            self.tokens = tok
            return None
        self.tokens = tok - 1.0
        init = self.cold.next()
        self.c_cold += 1
        self.d_init.append(init)
        return init

    def _refill_dur(self) -> float:
        self._fold_draws()
        a = self.dur.take_array()
        # What each draw bills when it is an invocation's whole billed time (billed_ms, in bulk).
        ms = np.ceil(a * 1000.0 - 1e-9).astype(np.int64)
        self.dur_cum = [0] + np.cumsum(ms).tolist()
        self.dur_n = len(a)
        buf = self.dur_buf = a.tolist()
        return buf.pop()

    def _fold_draws(self) -> None:
        """Add the draws handed out from the current chunk to the totals (it is being replaced)."""
        n, k = self.dur_n, len(self.dur_buf)
        self.draws_done += n - k
        self.draw_ms_done += self.dur_cum[n] - self.dur_cum[k]

    def _bill_odd(self, d0: float, init: float, d: float, is_pc: bool) -> None:
        """Bill an invocation whose billed time is not its duration draw alone (a cold start's
        init, dependency latency, a timeout) or that ran on a provisioned environment."""
        drawn = billed_ms(d0)
        ms = billed_ms(init + d)
        if is_pc:
            self.ms_adjust -= drawn
            self.billed_ms_pc += ms
        else:
            self.ms_adjust += ms - drawn

    def invocations(self) -> int:
        """Invocations started so far (each took one duration draw)."""
        return self.draws_done + self.dur_n - len(self.dur_buf)

    def billed_ms_od(self) -> int:
        """On-demand billed ms so far (init + duration, each invocation rounded up to the ms)."""
        return self.draw_ms_done + self.dur_cum[self.dur_n] - self.dur_cum[len(self.dur_buf)] + self.ms_adjust

    def _refill_idle(self) -> float:
        self.idle_buf = self.idle.take()
        return self.idle_buf.pop()

    def _throttle(self, t: float, cause: str) -> None:
        self.c_thr += 1
        self.last_throttle = cause
        self.why("throttle", cause)
        return None

    def _complete(self, t: float, inv: Inv) -> None:
        self.conc -= 1
        self.g_s += t
        if inv.pc:
            self.pc_busy -= 1
        else:
            buf = self.idle_buf
            self.warm.append(t + (buf.pop() if buf else self._refill_idle()))
            if self.reserved is None:
                self.pool.used -= 1
        if inv.deps:
            for dep in inv.deps:
                dep.release(t)
        self.d_dur.append(inv.dur)
        if self.emits and inv.err is None:
            self._emit(t, inv.payload)
        inv.caller.on_result(t, inv)
        self.spare.append(inv)

    def _emit(self, t: float, payload) -> None:
        first = payload[0] if isinstance(payload, list) else payload
        for comp, per in self.emits:
            n = int(per)
            frac = per - n
            if frac and self.u.next() < frac:
                n += 1
            for _ in range(n):
                ev = self.acct.new(t, first.tmpl, first.key, first.group, first.depth + 1, origin=self.id)
                comp.accept(t, ev)

    def loop_guard(self, t: float, ev: Ev) -> bool:
        """True when the event's request chain is too long: Lambda's recursion guard drops it."""
        if ev.depth >= RECURSION_LIMIT:
            self.c_recursive += 1
            self.why("drop", "recursive loop")
            self.note(ev, t, "dropped by recursive loop detection")
            self.acct.drop(ev, "recursive_loop")
            return True
        return False

    # -- async and sink entry points ------------------------------------------------------
    def accept(self, t: float, ev: Ev) -> None:
        """An asynchronous invocation (S3, SNS, EventBridge, a destination …)."""
        self.async_q.enqueue(t, ev)

    # -- reporting -----------------------------------------------------------------------
    def limit(self) -> float:
        if self.reserved is not None:
            return self.reserved
        return self.pool.cap + self.pc

    def flush(self, k: int, b: float, length: float) -> None:
        m = self.m
        n = self.invocations()
        m.counter("Invocations", k, n - self.inv_mark)
        self.inv_mark = n
        m.counter("Errors", k, self.c_err)
        m.counter("Throttles", k, self.c_thr)
        m.counter("ColdStarts", k, self.c_cold)
        m.counter("ProvisionedConcurrencySpilloverInvocations", k, self.c_spill)
        m.counter("ProvisionedConcurrencyInvocations", k, self.c_pcinv)
        m.counter("RecursiveInvocationsDropped", k, self.c_recursive)
        q = self.async_q
        m.counter("AsyncEventsReceived", k, q.c_recv)
        m.counter("AsyncEventsDropped", k, q.c_drop)
        m.counter("DeadLetterErrors", k, q.c_dlq_err)
        m.counter("DestinationDeliveryFailures", k, q.c_dest_fail)
        m.dist("Duration", k, self.d_dur)
        m.dist("InitDuration", k, self.d_init)
        m.dist("AsyncEventAge", k, q.d_age)
        avg, self.g_s = close_level(self.g_s, self.conc, b, length)
        m.gauge("ConcurrentExecutions", k, avg, self.g_max)
        for mm in self.conc_mirrors:
            mm.gauge("Concurrency", k, avg, self.g_max)
        self.g_max = self.conc
        self.c_err = self.c_thr = self.c_cold = 0
        self.c_spill = self.c_pcinv = self.c_recursive = 0
        q.c_recv = q.c_drop = q.c_dlq_err = q.c_dest_fail = 0
        self.d_dur = []
        self.d_init = []
        q.d_age = []

    def held(self) -> list[Ev]:
        # Running invocations are found through the kernel's schedule (see Simulation.audit).
        return self.async_q.held()

    def cost_items(self, pricing: dict, elapsed: float) -> dict[str, float]:
        lam = pricing["lambda"]
        gb = self.memory / 1024.0
        rates = lam["duration_gb_s"][self.arch]
        pcr = lam["provisioned"][self.arch]
        items = {
            "requests": self.invocations() * lam["request"],
            "duration": self.billed_ms_od() / 1000.0 * gb * rates,
        }
        if self.pc:
            # Provisioned time is billed in 5-minute blocks, rounded up.
            blocks = math.ceil(elapsed / 300.0 - 1e-9) * 300.0
            items["provisioned_concurrency"] = self.pc * gb * blocks * pcr["allocated_gb_s"]
            items["provisioned_duration"] = self.billed_ms_pc / 1000.0 * gb * pcr["execution_gb_s"]
        if self.ephemeral > 512:
            total_s = (self.billed_ms_od() + self.billed_ms_pc) / 1000.0
            items["ephemeral_storage"] = (self.ephemeral - 512) / 1024.0 * total_s * lam["ephemeral_gb_s"]
        return items
