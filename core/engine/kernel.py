"""The event kernel: a time-ordered heap of callbacks, and nothing about AWS.

Like SimPy's core, but callbacks instead of generators: `schedule(t, fn, arg)` and
`fn(t, arg)` is called when simulated time reaches `t`. Ties run in scheduling order.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heapify, heappop, heappush
from itertools import count
from typing import Any

LATE = 1 << 62


class _Stop(Exception):
    pass


def _stop(t: float, arg: Any) -> None:
    raise _Stop


class EmptySchedule(Exception):
    """`step()` was called with nothing scheduled."""


class Kernel:
    __slots__ = ("now", "_heap", "_seq", "events_processed", "schedule", "schedule_late")

    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list = []
        self._seq = count()
        self.events_processed = 0
        heap, seq = self._heap, self._seq

        def schedule(t: float, fn: Callable[[float, Any], None], arg: Any = None) -> None:
            """Call `fn(t, arg)` at simulated time `t` (never before now)."""
            heappush(heap, (t, next(seq), fn, arg))

        def schedule_late(t: float, fn: Callable[[float, Any], None], arg: Any = None) -> None:
            """Like schedule, but after every ordinary event at the same time `t` (e.g. a poll
            that should see a whole burst of simultaneous sends)."""
            heappush(heap, (t, LATE + next(seq), fn, arg))

        self.schedule = schedule
        self.schedule_late = schedule_late

    def peek(self) -> float:
        """Time of the next event, or infinity."""
        return self._heap[0][0] if self._heap else float("inf")

    def step(self) -> None:
        """Run the next event (a workload's arrival may run the arrivals that come before
        every other scheduled event with it)."""
        if not self._heap:
            raise EmptySchedule()
        c0, h0 = next(self._seq), len(self._heap)
        t, _, fn, arg = heappop(self._heap)
        self.now = t
        fn(t, arg)
        self._count(c0, h0)

    def _count(self, c0: int, h0: int) -> None:
        """Add the events run since `c0 = next(self._seq)` with `h0` entries in the heap:
        every event took a sequence number when scheduled (arrivals run back to back take
        one without entering the heap), so run = numbers taken - growth of the heap."""
        self.events_processed += next(self._seq) - c0 - 1 - (len(self._heap) - h0)

    def run_before(self, bound: float) -> None:
        """Run every event with time < bound, then set the clock to bound."""
        heap = self._heap
        pop = heappop
        c0, h0 = next(self._seq), len(heap)
        # A sentinel sorted before anything else at `bound` ends the loop by raising, so
        # the loop itself needs no per-event bound check (nor a counter: see _count).
        heappush(heap, (bound, -1, _stop, None))
        try:
            while True:
                t, _, fn, arg = pop(heap)
                fn(t, arg)
        except _Stop:
            pass
        self._count(c0, h0)
        if bound > self.now:
            self.now = bound

    def pending(self) -> list:
        """The scheduled (time, fn, arg) entries, for audits; not for hot paths."""
        return [(t, fn, arg) for t, _, fn, arg in self._heap]

    def run_some(self, bound: float, limit: int) -> bool:
        """Run at most `limit` events with time < bound; True when none are left before bound.
        (An arrival's back-to-back run counts as one towards the limit.)"""
        heap = self._heap
        pop = heappop
        c0, h0 = next(self._seq), len(heap)
        stop = (bound, -1, _stop, None)
        heappush(heap, stop)
        n = 0
        t = self.now
        try:
            while n < limit:
                t, _, fn, arg = pop(heap)
                n += 1
                fn(t, arg)
            if heap[0] is stop:
                heappop(heap)
                raise _Stop
        except _Stop:
            self._count(c0, h0)
            if bound > self.now:
                self.now = bound
            return True
        heap.remove(stop)  # the limit came first: take the sentinel out again
        heapify(heap)
        self._count(c0, h0)
        self.now = t
        return False
