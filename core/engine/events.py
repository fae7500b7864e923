"""Event instances and their accounting (SPEC §3).

An instance is one unit of work moving through the flow. Each ends in exactly one
outcome; `pending` is what is still in flight when the run stops, so
`created == succeeded + failed_to_caller + filtered + dead_lettered + dropped + forwarded + pending`.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

OUTCOMES = ("succeeded", "failed_to_caller", "filtered", "dead_lettered", "dropped", "forwarded")


class EngineError(RuntimeError):
    """The engine broke one of its own invariants (a bug, never bad input)."""


class Template:
    """A workload's weighted payload template, shared by all its instances."""

    __slots__ = ("payload", "poison", "size", "index", "cache", "workload")

    def __init__(self, payload: Any, poison: bool, size: int, index: int, workload: str):
        self.payload = payload
        self.poison = poison
        self.size = payload_size(payload, size)
        self.index = index
        self.workload = workload
        self.cache: dict = {}  # filter results by filter identity: payloads are immutable


def payload_size(payload: Any, size_bytes: int | None = 0) -> int:
    """A payload's size in bytes: the template's size_bytes when given, else its JSON text's."""
    if size_bytes:
        return int(size_bytes)
    return len(payload.encode()) if isinstance(payload, str) else len(json.dumps(payload))


class Ev:
    """One event instance. Fields beyond the first few are used by whichever component holds it."""

    __slots__ = (
        "id", "t0", "tmpl", "key", "group", "done", "depth", "j",
        "t_enq", "tries", "thr", "rc", "sent", "seq", "vis",
    )

    # No __init__: `Ev()` is then CPython's cheapest construction. new_ev() fills the first eight
    # fields (WorkloadSource._arrive does the same inline: keep the two in step); the others are
    # set by whichever component holds the event, before use (kept unset here: hot path):
    # t_enq/tries/thr (async queue), rc/sent/vis (SQS), seq/sent (streams).


def new_ev(id: int, t0: float, tmpl: Template, key, group, depth: int, j) -> Ev:
    ev = Ev()
    ev.id = id
    ev.t0 = t0
    ev.tmpl = tmpl
    ev.key = key
    ev.group = group
    ev.done = False
    ev.depth = depth
    ev.j = j
    return ev


class Accounting:
    """Outcome counters plus the journeys of a sample of instances."""

    def __init__(self, journeys: int = 200, journey_every: int = 97):
        self.created = 0
        self.succeeded = 0
        self.failed_to_caller = 0
        self.filtered = 0
        self.dead_lettered = 0
        self.dropped = 0
        self.forwarded = 0
        self.dropped_by_reason: Counter[str] = Counter()
        self.journey_limit = journeys
        self.journey_every = journey_every
        self.journeys: list[tuple[int, list]] = []
        self.next_journey = 0 if journeys > 0 else -1  # id of the next instance to trace

    def new(self, t: float, tmpl: Template, key=None, group=None, depth: int = 0,
            origin: str = "") -> Ev:
        i = self.created
        self.created = i + 1
        if i != self.next_journey:
            return new_ev(i, t, tmpl, key, group, depth, None)
        j = [(t, origin, "created")]
        self.journeys.append((i, j))
        self.next_journey = i + self.journey_every if len(self.journeys) < self.journey_limit else -1
        return new_ev(i, t, tmpl, key, group, depth, j)

    def _done(self, ev: Ev) -> None:
        if ev.done:
            raise EngineError(f"event {ev.id} given a second outcome")
        ev.done = True

    def succeed(self, ev: Ev) -> None:
        self._done(ev)
        self.succeeded += 1

    def fail_to_caller(self, ev: Ev) -> None:
        self._done(ev)
        self.failed_to_caller += 1

    def filter(self, ev: Ev) -> None:
        self._done(ev)
        self.filtered += 1

    def dead_letter(self, ev: Ev) -> None:
        self._done(ev)
        self.dead_lettered += 1

    def drop(self, ev: Ev, reason: str) -> None:
        self._done(ev)
        self.dropped += 1
        self.dropped_by_reason[reason] += 1

    def forward(self, ev: Ev) -> None:
        self._done(ev)
        self.forwarded += 1

    @property
    def finished(self) -> int:
        return (self.succeeded + self.failed_to_caller + self.filtered + self.dead_lettered
                + self.dropped + self.forwarded)

    @property
    def pending(self) -> int:
        return self.created - self.finished

    def as_dict(self) -> dict:
        return {
            "created": self.created, "succeeded": self.succeeded,
            "failed_to_caller": self.failed_to_caller, "filtered": self.filtered,
            "dead_lettered": self.dead_lettered, "dropped": self.dropped,
            "dropped_by_reason": dict(sorted(self.dropped_by_reason.items())),
            "forwarded": self.forwarded, "pending": self.pending,
        }
