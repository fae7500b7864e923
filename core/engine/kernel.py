"""The event kernel: a time-ordered heap of callbacks, and nothing about AWS.

Like SimPy's core, but callbacks instead of generators: `schedule(t, fn, arg)` and
`fn(t, arg)` is called when simulated time reaches `t`. Ties run in scheduling order.

Beside the heap, one slot `_slot[0]` may hold an entry due after the current instant: a
workload's next arrival goes there when it is free (WorkloadSource._arrive). An arrival is
nearly always due before most of a large heap, so pushing it would sift it to the top and
popping it would sift again; the loop compares the slot with the heap's top instead. While
an event runs, the slot never holds one for that same instant (a tie in time moves it into
the heap, which orders it by sequence number), so "does anything else happen now?" can
still be asked of the heap alone.
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
    __slots__ = ("now", "_heap", "_slot", "_seq", "events_processed", "schedule", "schedule_late")

    def __init__(self) -> None:
        self.now = 0.0
        self._heap: list = []
        self._slot: list = [None]  # [entry or None]: see the module's docstring
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

    def _next(self) -> tuple:
        """Take the next entry from the slot or the heap (a tie in time goes through the heap)."""
        heap, slot = self._heap, self._slot
        e = slot[0]
        if e is not None:
            if not heap or e[0] < heap[0][0]:
                slot[0] = None
                return e
            if e[0] == heap[0][0]:
                slot[0] = None
                heappush(heap, e)
        return heappop(heap)

    def peek(self) -> float:
        """Time of the next event, or infinity."""
        e = self._slot[0]
        t = self._heap[0][0] if self._heap else float("inf")
        return min(t, e[0]) if e is not None else t

    def step(self) -> None:
        """Run the next event (a workload's arrival may run the arrivals that come before
        every other scheduled event with it)."""
        if not self._heap and self._slot[0] is None:
            raise EmptySchedule()
        c0, h0 = next(self._seq), self._size()
        t, _, fn, arg = self._next()
        self.now = t
        fn(t, arg)
        self._count(c0, h0)

    def _size(self) -> int:
        return len(self._heap) + (self._slot[0] is not None)

    def _count(self, c0: int, h0: int) -> None:
        """Add the events run since `c0 = next(self._seq)` with `h0` entries scheduled:
        every event took a sequence number when scheduled (arrivals run back to back take
        one without being scheduled), so run = numbers taken - growth of the schedule."""
        self.events_processed += next(self._seq) - c0 - 1 - (self._size() - h0)

    def run_before(self, bound: float) -> None:
        """Run every event with time < bound, then set the clock to bound."""
        heap, slot = self._heap, self._slot
        pop = heappop
        c0, h0 = next(self._seq), self._size()
        # A sentinel sorted before anything else at `bound` ends the loop by raising, so
        # the loop itself needs no per-event bound check (nor a counter: see _count).
        heappush(heap, (bound, -1, _stop, None))
        try:
            while True:
                e = slot[0]
                if e is not None:
                    te = e[0]
                    th = heap[0][0]  # never empty: the sentinel is in it
                    if te < th:
                        slot[0] = None
                        t, _, fn, arg = e
                        fn(t, arg)
                        continue
                    if te == th:  # a tie in time: the heap orders it by sequence number
                        slot[0] = None
                        heappush(heap, e)
                t, _, fn, arg = pop(heap)
                fn(t, arg)
        except _Stop:
            pass
        self._count(c0, h0)
        if bound > self.now:
            self.now = bound

    def pending(self) -> list:
        """The scheduled (time, fn, arg) entries, for audits; not for hot paths."""
        entries = self._heap + ([self._slot[0]] if self._slot[0] is not None else [])
        return [(t, fn, arg) for t, _, fn, arg in entries]

    def run_some(self, bound: float, limit: int) -> bool:
        """Run at most `limit` events with time < bound; True when none are left before bound.
        (An arrival's back-to-back run counts as one towards the limit.)"""
        heap = self._heap
        c0, h0 = next(self._seq), self._size()
        stop = (bound, -1, _stop, None)
        heappush(heap, stop)
        t = self.now
        try:
            for _ in range(limit):
                t, _, fn, arg = self._next()
                fn(t, arg)
        except _Stop:  # the sentinel ran (and so left the heap): nothing before bound is left
            done = True
        else:
            heap.remove(stop)  # the limit came first: take the sentinel out again
            heapify(heap)
            done = self.peek() >= bound
        self._count(c0, h0)
        if done:
            self.now = max(self.now, bound)
        else:
            self.now = t
        return done
