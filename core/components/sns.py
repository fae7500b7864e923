"""SNS topics: fan-out to every subscription whose filter policy matches."""

from __future__ import annotations

from core.components.base import Component
from core.engine.events import Ev
from core.records import sns_parts


class SNSTopic(Component):
    kind = "SNSTopic"

    def __init__(self, sim, node):
        self.c_pub = self.c_deliv = self.c_filt = 0
        self.published = 0  # all periods, for cost
        self.gen = 0
        super().__init__(sim, node)

    def configure(self, node) -> None:
        super().configure(node)
        self.fifo = bool(node.properties.get("FifoTopic", False))

    def wire(self) -> None:
        from core.filters import compile_sns_filter_policy

        self.subs = []
        for comp, p in self.out("invoke") + self.out("deliver"):
            pol = p.get("FilterPolicy")
            scope = p.get("FilterPolicyScope", "MessageAttributes")
            pred = compile_sns_filter_policy(pol, scope) if pol else None
            self.subs.append((comp, pred, scope, len(self.subs)))

    def rewire(self) -> None:
        self.gen += 1  # filter results cached on templates belong to the old filters
        self.wire()

    def has_consumers(self) -> bool:
        return bool(self.subs)

    def _match(self, ev: Ev, pred, scope, i) -> bool:
        if pred is None:
            return True
        cache = ev.tmpl.cache
        key = (self.id, self.gen, i)
        ok = cache.get(key)
        if ok is None:
            msg, attrs = sns_parts(ev.tmpl.payload)
            if scope == "MessageBody":
                ok = isinstance(msg, dict) and pred(msg)
            else:
                ok = pred(attrs)
            cache[key] = ok
        return ok

    def accept(self, t: float, ev: Ev) -> None:
        self.c_pub += 1
        self.published += 1
        hit = [comp for comp, pred, scope, i in self.subs if self._match(ev, pred, scope, i)]
        self.c_deliv += len(hit)
        self.c_filt += len(self.subs) - len(hit)
        self.note(ev, t, f"published → {len(hit)} of {len(self.subs)} subscriptions")
        self.dispatch(t, ev, hit)

    def park(self, t: float, ev: Ev) -> None:
        self.c_pub += 1
        self.published += 1

    def flush(self, k: int, b: float, length: float) -> None:
        m = self.m
        m.counter("NumberOfMessagesPublished", k, self.c_pub)
        m.counter("NumberOfNotificationsDelivered", k, self.c_deliv)
        m.counter("NumberOfNotificationsFilteredOut", k, self.c_filt)
        self.c_pub = self.c_deliv = self.c_filt = 0

    def cost_items(self, pricing: dict, elapsed: float) -> dict[str, float]:
        return {"publishes": self.published * pricing["sns"]["publish"]}
