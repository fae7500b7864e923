"""What every component shares: its node, kernel, accounting, metrics and edges."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.engine.events import EngineError, Ev

if TYPE_CHECKING:
    from core.engine.simulation import Simulation
    from core.model import Node


class Gauge:
    """A time-weighted level (concurrency, queue depth): avg and max per metric period.

    The period's area under the level is `s + value * now`: a change by d at time t adds
    -d * t to s, so a change needs no time of the previous one (hot paths inline add())."""

    __slots__ = ("value", "s", "mx")

    def __init__(self, t: float = 0.0, value: float = 0):  # a count stays an int (faster to add to)
        self.value = value
        self.s = -value * t
        self.mx = value

    def add(self, t: float, delta: float) -> None:
        self.s -= delta * t
        v = self.value = self.value + delta
        if v > self.mx:
            self.mx = v

    def set(self, t: float, value: float) -> None:
        self.add(t, value - self.value)

    def close(self, b: float, length: float) -> tuple[float, float]:
        """End the period at b: return (avg, max) and start the next one."""
        v, mx = self.value, self.mx
        avg, self.s = close_level(self.s, v, b, length)
        self.mx = v
        return avg, mx


PAYLOAD_CAP = 6 * 1024 * 1024  # Lambda's invoke payload limit: an event source mapping's batch stays under it
RECORD_OVERHEAD = 500  # bytes of record metadata per message or record in a mapping's invoke payload


def backoff(attempt: int, cap: float, base: float = 1.0) -> float:
    """Exponential back-off after the `attempt`-th failure (1, 2, 3 …): base, 2 × base, 4 × base …
    up to `cap`. (The exponent stops growing once past the cap: 2.0 ** 1024 would overflow, and a
    shard blocked for a day retries that often.)"""
    if attempt > 64:
        return cap
    d = base * 2.0 ** (attempt - 1)
    return d if d < cap else cap


def close_level(s: float, value: float, b: float, length: float) -> tuple[float, float]:
    """For a level kept as a Gauge keeps one (area `s + value * now`): the average over the
    period ending at b (`length` seconds), and the `s` the next period starts from."""
    return ((s + value * b) / length if length > 0 else value), -value * b


class Component:
    """A node in the running simulation. Subclasses implement the AWS service's rules.

    A subclass with many attributes keeps the ones its per-event paths touch in `__slots__`:
    CPython specializes attribute access for slots, or for an instance dict of at most 30 keys
    (SHARED_KEYS_MAX_SIZE), and looks each access up in a dictionary beyond that (8 % of the SQS
    flow's instructions). tests/core/test_hot_paths.py keeps every instance dict within it.
    """

    kind = ""
    consumes_records = False  # True when a record delivered here becomes new work

    def __init__(self, sim: Simulation, node: Node):
        self.sim = sim
        self.id = node.id
        self.kernel = sim.kernel
        self.acct = sim.acct
        self.m = sim.metrics[node.id]
        self.configure(node)

    def configure(self, node: Node) -> None:
        """Read the node's properties; called again when the user edits them mid-run."""
        self.node = node

    def wire(self) -> None:
        """Resolve edges to other components (all components exist by now)."""

    def rewire(self) -> None:
        """Edge properties changed mid-run (filters): re-read what depends on them."""

    def start(self) -> None:
        """Schedule the first events (t = 0)."""

    def accept(self, t: float, ev: Ev) -> None:
        raise EngineError(f"{self.kind} {self.id!r} does not accept events")

    def has_consumers(self) -> bool:
        return self.consumes_records

    def sink(self, t: float, ev: Ev, origin: str) -> None:
        """A DLQ / destination record arrives (the original instance is already settled).

        Where it becomes new work (a consumed queue, a topic with subscribers, a function),
        a new instance is created; otherwise the record is only counted where it lands.
        """
        if self.has_consumers():
            new = self.acct.new(t, ev.tmpl, ev.key, ev.group, ev.depth + 1, origin=self.id)
            self.accept(t, new)
        else:
            self.park(t, ev)

    def park(self, t: float, ev: Ev) -> None:
        """Keep a record nobody consumes (a DLQ's contents): metrics only."""

    def flush(self, k: int, b: float, length: float) -> None:
        """Write period k (ending at b, `length` seconds long) into self.m."""

    def held(self) -> list[Ev]:
        """The instances this component holds right now (for audits, not hot paths)."""
        return []

    def cost_items(self, pricing: dict, elapsed: float) -> dict[str, float]:
        """USD by line item for what this node did so far."""
        return {}

    def dispatch(self, t: float, ev: Ev, targets: list) -> None:
        """Hand an instance to its matched targets: none → filtered, one → passed on,
        several → the parent is forwarded and each target gets a new instance."""
        if not targets:
            self.note(ev, t, "filtered out")
            self.acct.filter(ev)
        elif len(targets) == 1:
            targets[0].accept(t, ev)
        else:
            self.note(ev, t, f"fanned out to {len(targets)} targets")
            self.acct.forward(ev)
            new = self.acct.new
            for comp in targets:
                comp.accept(t, new(t, ev.tmpl, ev.key, ev.group, ev.depth, origin=self.id))

    # helpers ----------------------------------------------------------------------
    def note(self, ev: Ev, t: float, text: str) -> None:
        if ev.j is not None:
            ev.j.append((t, self.id, text))

    def why(self, what: str, cause: str, n: int = 1) -> None:
        self.sim.why[(self.id, what, cause)] += n

    def out(self, role: str) -> list[tuple[Any, dict]]:
        """(component, edge properties) for each outgoing edge of this role."""
        return self.sim.out_edges(self.id, role)
