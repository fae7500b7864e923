"""Lambda's internal queue for asynchronous invocations (S3, SNS, EventBridge, Invoke Event).

Function errors are retried MaximumRetryAttempts times, about 1 and 2 minutes after the
failure; throttles back off from 1 s doubling to 5 min without using that count; an
event older than MaximumEventAgeInSeconds is discarded. Failed events go to the DLQ
and/or the on-failure destination; successes to the on-success destination.
"""

from __future__ import annotations

from core.components.base import backoff
from core.engine.events import Ev

RETRY_DELAYS = (60.0, 120.0)  # after the 1st and 2nd function error (AWS: "about" 1 and 2 min)
THROTTLE_BASE, THROTTLE_CAP = 1.0, 300.0


class AsyncQueue:
    """The async queue of one function; acts as the caller of its invocations."""

    def __init__(self, fn):
        self.fn = fn
        self.kernel = fn.kernel
        self.acct = fn.acct
        self.waiting: dict[int, Ev] = {}  # events between attempts, by id
        self.c_recv = self.c_drop = self.c_dlq_err = self.c_dest_fail = 0
        self.d_age: list[float] = []
        self.u = fn.u

    def wire(self) -> None:
        fn = self.fn
        self.dlq = fn.out("dlq")
        self.on_failure = fn.out("on_failure")
        self.on_success = fn.out("on_success")

    def enqueue(self, t: float, ev: Ev) -> None:
        fn = self.fn
        self.c_recv += 1
        fn.note(ev, t, "queued for async invocation")
        if fn.loop_guard(t, ev):
            return
        ev.t_enq = t
        ev.tries = 0
        ev.thr = 0
        if fn.reserved == 0:
            # The documented way to disable a function: events go straight to the failure sinks.
            fn.c_thr += 1
            fn.why("throttle", "reserved concurrency is 0")
            self._fail(t, ev, "reserved concurrency is 0", "RetriesExhausted")
            return
        self._attempt(t, ev)

    def _attempt(self, t: float, ev: Ev) -> None:
        self.waiting.pop(ev.id, None)
        fn = self.fn
        if fn.invoke(t, ev, self, poison=ev.tmpl.poison) is not None:
            self.d_age.append(t - ev.t_enq)
            if ev.j is not None:
                ev.j.append((t, fn.id, "invoked" if ev.tries == 0 else f"invoked (retry {ev.tries})"))
            return
        # Throttled: back to the queue with exponential backoff (jittered), retry count untouched.
        cause = fn.last_throttle
        fn.note(ev, t, f"throttled ({cause})")
        ev.thr += 1
        cap = backoff(ev.thr, THROTTLE_CAP, THROTTLE_BASE)
        delay = cap * (0.5 + 0.5 * self.u.next())
        fn.why("retry", f"throttled: {cause}")
        self._later(t + delay, ev)

    def _later(self, when: float, ev: Ev) -> None:
        deadline = ev.t_enq + self.fn.max_age
        self.waiting[ev.id] = ev
        if when >= deadline:
            self.kernel.schedule(deadline, self._expire, ev)
        else:
            self.kernel.schedule(when, self._attempt, ev)

    def _expire(self, t: float, ev: Ev) -> None:
        self.waiting.pop(ev.id, None)
        self.fn.note(ev, t, "maximum event age exceeded")
        self._fail(t, ev, "max event age", "EventAgeExceeded")

    def on_result(self, t: float, inv) -> None:
        ev: Ev = inv.payload
        fn = self.fn
        if inv.err is None:
            fn.note(ev, t, "succeeded")
            self.acct.succeed(ev)
            for comp, _ in self.on_success:
                self._deliver(t, ev, comp, "on_success")
            return
        ev.tries += 1
        fn.note(ev, t, f"failed ({inv.err})")
        if ev.tries > fn.max_retries:
            self._fail(t, ev, inv.err, "RetriesExhausted")
            return
        delay = RETRY_DELAYS[min(ev.tries, len(RETRY_DELAYS)) - 1]
        fn.why("retry", inv.err)
        self._later(t + delay, ev)

    def _fail(self, t: float, ev: Ev, cause: str, condition: str) -> None:
        """Retries exhausted or too old: AsyncEventsDropped, then the DLQ and/or destination."""
        fn = self.fn
        self.c_drop += 1
        delivered = False
        for comp, _ in self.dlq:
            if getattr(comp, "fifo", False):
                self.c_dlq_err += 1
                fn.why("drop", "DLQ delivery failed (FIFO target)")
            else:
                comp.sink(t, ev, fn.id)
                delivered = True
                fn.note(ev, t, f"sent to DLQ {comp.id}")
        for comp, _ in self.on_failure:
            if self._deliver(t, ev, comp, "on_failure"):
                delivered = True
                fn.note(ev, t, f"sent to on-failure destination {comp.id} ({condition})")
        if delivered:
            fn.why("dead_letter", cause)
            self.acct.dead_letter(ev)
        else:
            reason = {"EventAgeExceeded": "max_event_age"}.get(condition, "retries_exhausted")
            if cause == "reserved concurrency is 0":
                reason = "reserved_concurrency_zero"
            fn.why("drop", cause)
            fn.note(ev, t, f"dropped ({reason})")
            self.acct.drop(ev, reason)

    def _deliver(self, t: float, ev: Ev, comp, role: str) -> bool:
        if getattr(comp, "fifo", False):
            self.c_dest_fail += 1
            self.fn.why("drop", f"{role} destination is FIFO (unsupported)")
            return False
        comp.sink(t, ev, self.fn.id)
        return True

    def held(self) -> list[Ev]:
        return list(self.waiting.values())
