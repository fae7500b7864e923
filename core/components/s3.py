"""S3 event notifications: each object event is matched against every notification
(event types and prefix/suffix key rules) and pushed asynchronously to its targets."""

from __future__ import annotations

from core.catalog import get_path
from core.components.base import Component
from core.engine.events import Ev
from core.records import s3_event_name, s3_key


def _event_matches(patterns, name: str) -> bool:
    if not patterns:
        return True
    full = "s3:" + name
    for p in ([patterns] if isinstance(patterns, str) else patterns):
        if p.endswith("*") and full.startswith(p[:-1]) or p == full:
            return True
    return False


class S3Bucket(Component):
    kind = "S3Bucket"

    def __init__(self, sim, node):
        self.c_notify = 0
        self.gen = 0
        super().__init__(sim, node)

    def wire(self) -> None:
        from core.filters import s3_key_matches

        self.targets = []
        for comp, p in self.out("invoke") + self.out("deliver"):
            rules = get_path(p, "Filter.S3Key.Rules") or []
            events = p.get("Events")

            def match(payload, rules=rules, events=events):
                return _event_matches(events, s3_event_name(payload)) and s3_key_matches(rules, s3_key(payload))

            self.targets.append((comp, match, len(self.targets)))

    def rewire(self) -> None:
        self.gen += 1  # filter results cached on templates belong to the old filters
        self.wire()

    def has_consumers(self) -> bool:
        return False  # a failure record written to a bucket is stored, not processed

    def accept(self, t: float, ev: Ev) -> None:
        cache = ev.tmpl.cache
        hit = []
        for comp, match, i in self.targets:
            key = (self.id, self.gen, i)
            ok = cache.get(key)
            if ok is None:
                ok = cache[key] = match(ev.tmpl.payload)
            if ok:
                hit.append(comp)
        self.c_notify += len(hit)
        self.note(ev, t, f"object event → {len(hit)} notification(s)")
        self.dispatch(t, ev, hit)

    def flush(self, k: int, b: float, length: float) -> None:
        self.m.counter("EventNotifications", k, self.c_notify)
        self.c_notify = 0
