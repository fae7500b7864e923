"""SQS queues: visibility timeout, receive counts, redrive to a DLQ, retention, FIFO groups.

A queue only stores and hands out messages; the event source mapping's poller
(`sqs_poller.py`) decides when to receive and what to delete.
"""

from __future__ import annotations

import heapq
from collections import deque

from core.catalog import get_path, prop
from core.components.base import Component, Gauge, close_level
from core.engine.events import Ev


def api_calls(n: int) -> int:
    """ReceiveMessage and DeleteMessageBatch calls for n messages: at most 10 per call, and one for
    none (an empty receive is a call too). (Hot paths write it out as `1 if n <= 10 else
    -(-n // 10)`: a floor division is not specialized.)"""
    return 1 if n <= 10 else -(-n // 10)


def _insert_in_send_order(q: deque[Ev], ev: Ev) -> None:
    """Put a FIFO message that is visible again back at its place in its group's send order (a
    failed batch's messages return one by one: each goes before every message sent after it)."""
    key = (ev.sent, ev.id)
    for i, other in enumerate(q):
        if (other.sent, other.id) > key:
            q.insert(i, ev)
            return
    q.append(ev)


class SQSQueue(Component):
    kind = "SQSQueue"
    # What sends, receives and deletes touch lives in slots (see base.Component).
    __slots__ = (
        "fresh", "back", "n_visible", "vis_s", "vis_mx", "c_sent", "recv_total", "del_total", "taken",
        "receives", "deletes", "g_inv", "poller", "direct", "vt", "retention", "delay", "fifo",
        "max_receive", "dlq",
    )

    def __init__(self, sim, node):
        self.fresh: deque[Ev] = deque()  # visible, in send order
        self.back: list = []  # visible again after a failed receive: heap of (sent, id, ev)
        self.groups: dict[str, deque[Ev]] = {}  # FIFO: visible messages per group
        self.ready: deque[str] = deque()  # FIFO: groups with visible messages and none in flight
        self.locked: set[str] = set()  # FIFO: groups with messages in flight
        # Visible messages, a time-weighted level kept as base.Gauge keeps one (its area is
        # vis_s + n_visible * now), inlined: it changes for nearly every message.
        self.n_visible = 0
        self.vis_s = 0.0
        self.vis_mx = 0
        # FIFO: received messages by id (a group unlocks when none of its own is left). A
        # standard queue's in-flight messages are held by their batch or scheduled return.
        self.inflight: dict[int, Ev] = {}
        self.delayed: dict[int, Ev] = {}
        self.parked_first = None
        self.c_sent = 0
        # Received and deleted messages since the start, and their totals at the last flush: the
        # mapping that polls this queue reads its PolledEventCount and DeletedEventCount from these.
        self.recv_total = self.del_total = 0
        # Messages handed straight to an idle long poll (SqsPoller.take_sent), each sent, received
        # (one ReceiveMessage round) and invoked: counted once here; settle_takes() adds them to
        # those counts.
        self.taken = 0
        self.recv_mark = self.del_mark = 0
        self.sent_before = 0  # sends in flushed periods (cost adds c_sent)
        self.receives = self.deletes = 0  # API calls, for cost
        self.g_inv = Gauge()
        self.poller = None  # set by the event source mapping that polls this queue
        self.direct = None  # the poller, when sends may be handed to it directly (accept)
        super().__init__(sim, node)

    def configure(self, node) -> None:
        super().configure(node)
        self.vt = float(prop(node, "VisibilityTimeout"))
        self.retention = float(prop(node, "MessageRetentionPeriod"))
        self.delay = float(prop(node, "DelaySeconds") or 0)
        self.fifo = bool(prop(node, "FifoQueue"))
        mrc = get_path(node.properties, "RedrivePolicy.maxReceiveCount")
        self.max_receive = int(mrc) if mrc is not None else None
        self.refresh_direct()

    def refresh_direct(self) -> None:
        """Allow accept()'s direct paths for a standard queue without DelaySeconds whose
        poller has no filter or batching window (called when either is configured)."""
        p = self.poller
        self.direct = p if p is not None and p.direct and not self.delay and not self.fifo else None

    def wire(self) -> None:
        dl = self.out("redrive")
        self.dlq = dl[0][0] if dl else None

    def has_consumers(self) -> bool:
        return bool(self.out("poll"))

    # -- sending -----------------------------------------------------------------------
    def accept(self, t: float, ev: Ev) -> None:
        """SendMessage."""
        ev.sent = t
        if ev.j is None and self.direct is not None:
            # The two common cases, decided here rather than through a poll: this is per message.
            p = self.direct
            if t >= p.start_at and not p.polling:
                heap = p.heap
                if not heap or heap[0][0] > t:  # nothing else happens at this instant
                    if p.active < p.target:
                        if not self.n_visible:
                            p.take_sent(t, ev)  # an idle long poll returns it at once (counted there)
                            return
                    elif p.ticking:
                        # Every batch is busy: it waits (a poll now would find no room).
                        self.c_sent += 1
                        ev.rc = 0
                        n = self.n_visible = self.n_visible + 1
                        self.vis_s -= t
                        if n > self.vis_mx:
                            self.vis_mx = n
                        self.fresh.append(ev)
                        return
        self.c_sent += 1
        ev.rc = 0
        if ev.j is not None:
            self.note(ev, t, "sent to queue")
        if self.delay > 0:
            self.delayed[ev.id] = ev
            self.kernel.schedule(t + self.delay, self._undelay, ev)
            return
        self._make_visible(t, ev)

    def _undelay(self, t: float, ev: Ev) -> None:
        del self.delayed[ev.id]
        self._make_visible(t, ev)

    def park(self, t: float, ev: Ev) -> None:
        """A record kept in a queue nobody polls (a DLQ): counted, visible forever."""
        self.c_sent += 1
        if self.parked_first is None:
            self.parked_first = t
        self._vis_add(t, 1)

    def _vis_add(self, t: float, d: int) -> None:
        n = self.n_visible = self.n_visible + d
        self.vis_s -= d * t
        if n > self.vis_mx:
            self.vis_mx = n

    def _make_visible(self, t: float, ev: Ev, returned: bool = False) -> None:
        n = self.n_visible = self.n_visible + 1  # _vis_add, inlined: this runs for every message sent
        self.vis_s -= t
        if n > self.vis_mx:
            self.vis_mx = n
        if self.fifo:
            g = ev.group or "default"
            q = self.groups.get(g)
            if q is None:
                q = self.groups[g] = deque()
            if returned:
                _insert_in_send_order(q, ev)
            else:
                q.append(ev)
            if len(q) == 1 and g not in self.locked:
                self.ready.append(g)
        elif returned:
            heapq.heappush(self.back, (ev.sent, ev.id, ev))
        else:
            self.fresh.append(ev)
        poller = self.poller
        if poller is not None and not poller.poll_scheduled:
            poller.wake(t)

    # -- receiving ----------------------------------------------------------------------
    def receive(self, t: float, n: int) -> list[Ev]:
        """ReceiveMessage for up to n messages: oldest first; expired ones are dropped and
        ones past maxReceiveCount move to the DLQ on this receive, as SQS does."""
        out: list[Ev] = []
        if self.fifo:
            return self._receive_fifo(t, n)
        fresh, back = self.fresh, self.back
        limit = t - self.retention
        mr = self.max_receive
        vis = t + self.vt
        popped = 0
        if not back and fresh and fresh[0].sent >= limit:
            # Only messages never received, the oldest unexpired (so all are): up to n in
            # send order. A first receive never passes maxReceiveCount (at least 1).
            popped = len(fresh) if len(fresh) < n else n
            for _ in range(popped):
                ev = fresh.popleft()
                ev.rc = 1
                ev.vis = vis
                out.append(ev)
        while len(out) < n and (fresh or back):
            if back and (not fresh or back[0][0] <= fresh[0].sent):
                ev = heapq.heappop(back)[2]
            else:
                ev = fresh.popleft()
            popped += 1
            if ev.sent < limit:
                self._expire(t, ev)
                continue
            # _take, inlined for the common case: this runs for every message received
            rc = ev.rc = ev.rc + 1
            if mr is not None and rc > mr and self.dlq is not None:
                self._take(t, ev)
                continue
            ev.vis = vis
            out.append(ev)
        # The ReceiveMessage calls this took: one per 10 messages returned, one if none (api_calls,
        # inlined). A request for more is not billed for what was not there.
        k = len(out)
        self.receives += 1 if k <= 10 else -(-k // 10)
        if popped:
            self.n_visible -= popped  # _vis_add, inlined (a decrease leaves the maximum)
            self.vis_s += popped * t
        if k:
            self.recv_total += k
            g = self.g_inv
            g.s -= k * t
            v = g.value = g.value + k
            if v > g.mx:
                g.mx = v
        return out

    def _receive_fifo(self, t: float, n: int) -> list[Ev]:
        out: list[Ev] = []
        limit = t - self.retention
        # SQS FIFO returns messages of as few groups as it can, in order within each group.
        while len(out) < n and self.ready:
            g = self.ready[0]
            q = self.groups[g]
            while q and len(out) < n:
                ev = q.popleft()
                self._vis_add(t, -1)
                if ev.sent < limit:
                    self._expire(t, ev)
                    continue
                ev.rc += 1
                if self._take(t, ev):
                    out.append(ev)
                    self.locked.add(g)
            if not q or g in self.locked:
                self.ready.popleft()
        self.receives += api_calls(len(out))
        if out:
            self.g_inv.add(t, len(out))
        return out

    def _take(self, t: float, ev: Ev) -> bool:
        """Receive one message whose count `ev.rc` was just raised: False when it moves
        to the DLQ instead (the receive after maxReceiveCount)."""
        if self.max_receive is not None and ev.rc > self.max_receive and self.dlq is not None:
            self.note(ev, t, f"moved to DLQ {self.dlq.id} after {ev.rc - 1} receives")
            self.why("dead_letter", f"maxReceiveCount {self.max_receive} exceeded")
            self.acct.dead_letter(ev)
            self.dlq.sink(t, ev, self.id)
            return False
        self.recv_total += 1
        ev.vis = t + self.vt
        if self.fifo:
            self.inflight[ev.id] = ev
        return True

    def _expire(self, t: float, ev: Ev) -> None:
        self.note(ev, t, "expired (MessageRetentionPeriod)")
        self.why("drop", "message retention expired")
        self.acct.drop(ev, "retention_expired")

    def delete(self, t: float, ev: Ev) -> None:
        """DeleteMessage of a received message."""
        if self.fifo:
            del self.inflight[ev.id]
        self.g_inv.add(t, -1)
        self.del_total += 1
        self._unlock(t, ev)

    def delete_many(self, t: float, evs: list[Ev]) -> None:
        """DeleteMessageBatch of received messages."""
        k = len(evs)
        g = self.g_inv  # Gauge.add, inlined
        g.s += k * t
        g.value -= k
        self.del_total += k
        self.deletes += api_calls(k)
        if self.fifo:
            for ev in evs:
                del self.inflight[ev.id]
            for ev in evs:
                self._unlock(t, ev)

    def unreceive(self, t: float, evs: list[Ev]) -> None:
        """Received messages the poller has no batch for: visible again at once, as if never received
        (their receive does not count; the ReceiveMessage call stays billed)."""
        self.recv_total -= len(evs)
        self.g_inv.add(t, -len(evs))
        for ev in evs:
            ev.rc -= 1
            if self.fifo:
                del self.inflight[ev.id]
            self._make_visible(t, ev, returned=True)
            self._unlock(t, ev)  # FIFO: its group is free again if none of it is left in flight

    def release(self, t: float, ev: Ev, at: float | None = None) -> None:
        """A received message that was not deleted becomes visible again at its
        visibility deadline (or `at`)."""
        when = ev.vis if at is None else at
        if when > t:
            self.kernel.schedule(when, self._return, ev)
        else:
            self._return(t, ev)

    def _return(self, t: float, ev: Ev) -> None:
        if self.fifo:
            del self.inflight[ev.id]
        self.g_inv.add(t, -1)
        self.note(ev, t, "visible again")
        self._make_visible(t, ev, returned=True)
        self._unlock(t, ev)

    def _unlock(self, t: float, ev: Ev) -> None:
        if not self.fifo:
            return
        g = ev.group or "default"
        if g in self.locked and not any(
                (e.group or "default") == g for e in self.inflight.values()):
            self.locked.discard(g)
            if self.groups.get(g):
                self.ready.append(g)
                if self.poller is not None:
                    self.poller.wake(t)

    def oldest_age(self, t: float) -> float:
        oldest = None
        if self.fresh:
            oldest = self.fresh[0].sent
        if self.back and (oldest is None or self.back[0][0] < oldest):
            oldest = self.back[0][0]
        if self.fifo:
            for q in self.groups.values():
                if q and (oldest is None or q[0].sent < oldest):
                    oldest = q[0].sent
        if self.parked_first is not None and (oldest is None or self.parked_first < oldest):
            oldest = self.parked_first
        return 0.0 if oldest is None else max(0.0, t - oldest)

    def sweep(self, t: float) -> None:
        """Drop visible messages past retention (SQS deletes them whether or not polled)."""
        limit = t - self.retention
        while self.fresh and self.fresh[0].sent < limit:
            ev = self.fresh.popleft()
            self._vis_add(t, -1)
            self._expire(t, ev)
        while self.back and self.back[0][0] < limit:
            ev = heapq.heappop(self.back)[2]
            self._vis_add(t, -1)
            self._expire(t, ev)
        for q in self.groups.values():  # FIFO: each group is in send order
            while q and q[0].sent < limit:
                ev = q.popleft()
                self._vis_add(t, -1)
                self._expire(t, ev)

    def settle_takes(self) -> None:
        """Count the messages taken since the last call as sent, received (one ReceiveMessage
        round each) and invoked (take_sent uncounts a throttled one)."""
        n = self.taken
        if n:
            self.taken = 0
            self.c_sent += n
            self.recv_total += n
            p = self.poller
            self.receives += n  # one ReceiveMessage call each (it returned one message)
            p.esm.c_invoked += n

    def flush(self, k: int, b: float, length: float) -> None:
        self.settle_takes()
        self.sweep(b)
        m = self.m
        m.counter("NumberOfMessagesSent", k, self.c_sent)
        self.sent_before += self.c_sent
        m.counter("NumberOfMessagesReceived", k, self.recv_total - self.recv_mark)
        m.counter("NumberOfMessagesDeleted", k, self.del_total - self.del_mark)
        self.recv_mark, self.del_mark = self.recv_total, self.del_total
        avg, self.vis_s = close_level(self.vis_s, self.n_visible, b, length)
        m.gauge("ApproximateNumberOfMessagesVisible", k, avg, self.vis_mx)
        self.vis_mx = self.n_visible
        m.gauge("ApproximateNumberOfMessagesNotVisible", k, *self.g_inv.close(b, length))
        age = self.oldest_age(b)
        m.gauge("ApproximateAgeOfOldestMessage", k, age, age)
        self.c_sent = 0

    def held(self) -> list[Ev]:
        out = list(self.fresh) + [x[2] for x in self.back] + list(self.inflight.values())
        out += list(self.delayed.values())
        for q in self.groups.values():
            out.extend(q)
        return out

    def cost_items(self, pricing: dict, elapsed: float) -> dict[str, float]:
        p = pricing["sqs"]["fifo_request" if self.fifo else "standard_request"]
        self.settle_takes()
        items = {"requests": (self.sent_before + self.c_sent + self.receives + self.deletes) * p}
        if self.poller is not None:
            items["empty_receives"] = self.poller.empty_receives(elapsed) * p
        return items
