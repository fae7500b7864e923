"""EventBridge rules (pattern matching) and schedules (rate()/cron()), both pushing to targets."""

from __future__ import annotations

from core.catalog import prop
from core.components.base import Component
from core.engine.events import Ev, Template
from core.records import eventbridge_event
from core.schedule import parse_schedule, start_datetime


class _Targets(Component):
    """Shared by rules and schedules: targets, and the MatchedEvents/Invocations counters."""

    def __init__(self, sim, node):
        self.c_match = self.c_inv = 0
        super().__init__(sim, node)

    def wire(self) -> None:
        self.targets = [c for c, _ in self.out("invoke") + self.out("deliver")]

    def has_consumers(self) -> bool:
        return bool(self.targets)

    def flush(self, k: int, b: float, length: float) -> None:
        self.m.counter("MatchedEvents", k, self.c_match)
        self.m.counter("Invocations", k, self.c_inv)
        self.c_match = self.c_inv = 0


class EventBridgeRule(_Targets):
    kind = "EventBridgeRule"

    def __init__(self, sim, node):
        self.events_in = 0
        super().__init__(sim, node)

    def configure(self, node) -> None:
        super().configure(node)
        from core.filters import compile_pattern

        pat = node.properties.get("EventPattern")
        self.gen = getattr(self, "gen", -1) + 1  # cached match results belong to one pattern
        self.pred = compile_pattern(pat, "eventbridge") if pat is not None else None
        self.enabled = prop(node, "State") != "DISABLED"

    def accept(self, t: float, ev: Ev) -> None:
        self.events_in += 1
        ok = self.enabled
        if ok and self.pred is not None:
            cache = ev.tmpl.cache
            key = (self.id, self.gen)
            ok = cache.get(key)
            if ok is None:
                ok = cache[key] = bool(self.pred(eventbridge_event(ev.tmpl.payload, self.id)))
        if not ok:
            self.note(ev, t, "did not match the rule")
            self.acct.filter(ev)
            return
        self.c_match += 1
        self.c_inv += len(self.targets)
        self.note(ev, t, "matched")
        self.dispatch(t, ev, self.targets)

    def cost_items(self, pricing: dict, elapsed: float) -> dict[str, float]:
        # Custom events published to a bus are billed; AWS-service events are free.
        return {"events": self.events_in * pricing["eventbridge"]["custom_event"]}


class Schedule(_Targets):
    kind = "Schedule"

    def __init__(self, sim, node):
        self.fired = 0
        super().__init__(sim, node)

    def configure(self, node) -> None:
        super().configure(node)
        self.sched = parse_schedule(prop(node, "ScheduleExpression"))
        self.enabled = prop(node, "State") != "DISABLED"
        payload = node.properties.get("Input")
        self.tmpl = Template(payload, False, 0, 0, node.id)
        self.start_dt = start_datetime(self.sim.scenario.simulation.StartTime)

    def start(self) -> None:
        self._arm(0.0)

    def _arm(self, t: float) -> None:
        nxt = self.sched.next_after(t, self.start_dt)
        if nxt < float("inf"):
            self.kernel.schedule(nxt, self._fire, None)

    def _fire(self, t: float, _) -> None:
        self._arm(t)
        if not self.enabled:
            return
        self.fired += 1
        self.c_match += 1
        self.c_inv += len(self.targets)
        ev = self.acct.new(t, self.tmpl, origin=self.id)
        self.dispatch(t, ev, self.targets)

    def cost_items(self, pricing: dict, elapsed: float) -> dict[str, float]:
        return {"invocations": self.fired * pricing["eventbridge"]["scheduler_invocation"]}
