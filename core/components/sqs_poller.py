"""The SQS poller of an event source mapping: batching, scaling and back-off.

Standard mode starts at 5 concurrent batches and, while a backlog persists, adds up to
300 per minute (5 per second here) to 1,250, or ScalingConfig.MaximumConcurrency.
Throttles and mostly-failing batches halve it (AWS documents a back-off, not its size).
A throttled batch is retried with back-off until its visibility timeout runs out, then
released; a failed batch's messages reappear after the visibility timeout;
ReportBatchItemFailures returns only the failed ones.
"""

from __future__ import annotations

from core.catalog import esm_default_batch_size
from core.components.base import PAYLOAD_CAP, RECORD_OVERHEAD, backoff
from core.engine.events import EngineError, Ev
from core.records import sqs_record

MAX_CONCURRENCY = 1250
START_CONCURRENCY = 5
SCALE_STEP = 5  # per second: 300 per minute
FLOOR = 2
LONG_POLL = 20.0


def _payload_bytes(evs: list[Ev]) -> int:
    return sum(ev.tmpl.size for ev in evs) + RECORD_OVERHEAD * len(evs)


class SqsPoller:
    __slots__ = (
        "esm", "q", "fn", "kernel", "acct", "heap", "target", "active", "open", "waiting",
        "poll_scheduled", "polling", "ticking", "t_thr", "t_inv", "t_err", "exclusive", "inv_mark",
        "recv_mark", "del_mark", "idle_time", "_last_idle_t", "batch_size", "cap", "filter", "report",
        "window", "start_at", "direct", "safe_batch", "open_bytes",
    )

    def __init__(self, esm):
        self.esm = esm
        self.q = esm.source
        self.fn = esm.fn
        self.kernel = esm.kernel
        self.acct = esm.acct
        self.q.poller = self
        self.target = START_CONCURRENCY
        self.active = 0  # batches being filled, invoked, or waiting to retry a throttle
        # A batch is the list of its messages (each poll hands out a new list).
        self.open: list[Ev] | None = None  # a batch filling during its batching window
        self.open_bytes = 0  # its invoke payload so far (it is invoked early on reaching 6 MB)
        self.waiting: dict[int, list[Ev]] = {}  # throttled batches waiting to retry, by id
        self.poll_scheduled = False
        self.polling = False
        self.heap = esm.kernel._heap
        self.ticking = False
        self.t_thr = self.t_inv = self.t_err = 0
        # While this mapping is the only thing that invokes its function, the mapping's
        # Concurrency is the function's ConcurrentExecutions and its batches started are the
        # function's invocations: the hot paths then count neither (see _count_started and
        # _stop_mirroring).
        self.exclusive = esm.sim.sole_invoker(self.fn.id) == esm.id
        self.inv_mark = self.fn.invocations()  # (exclusive) the function's count at the last tick
        if self.exclusive:
            esm.conc_of = self.fn
            self.fn.conc_mirrors.append(esm.m)
        self.recv_mark = self.q.recv_total  # the queue's totals when this period began (settle_counts)
        self.del_mark = self.q.del_total
        self.idle_time = 0.0  # poller-seconds spent long-polling an empty queue (billed receives)
        self._last_idle_t = 0.0

    def configure(self) -> None:
        esm = self.esm
        self.batch_size = int(esm.batch_size_set or esm_default_batch_size("SQSQueue"))
        cap = MAX_CONCURRENCY
        if esm.max_concurrency is not None:
            cap = min(cap, esm.max_concurrency)
        self.cap = cap
        self.target = min(self.target, cap)
        self.filter = esm.compile_filter("sqs")
        self.report = esm.report
        self.window = esm.window
        self.start_at = esm.created_at if esm.enabled else float("inf")
        # When a message sent to an idle poller can be handed over directly (take_sent).
        self.direct = esm.enabled and self.window <= 0 and self.filter is None
        # Batches up to this many messages cannot pass the 6 MB invoke payload cap.
        self.safe_batch = PAYLOAD_CAP // (esm.sim.largest_payload() + RECORD_OVERHEAD)
        self.q.refresh_direct()
        if self.exclusive and esm.sim.sole_invoker(self.fn.id) != esm.id:
            self._stop_mirroring()
        if esm.enabled:
            self.wake(esm.kernel.now)

    def _stop_mirroring(self) -> None:
        """An edit made something else invoke the function: count from now on, starting from the
        function's own figures (until now they were this mapping's too)."""
        fn, esm = self.fn, self.esm
        self.exclusive = False
        esm.conc_of = None
        fn.conc_mirrors.remove(esm.m)
        g = esm.g_conc
        g.value, g.s, g.mx = fn.conc, fn.g_s, fn.g_max
        self.t_inv = fn.invocations() - self.inv_mark

    def start(self) -> None:
        if self.esm.created_at > 0:
            self.kernel.schedule(self.esm.created_at, lambda t, _: self.wake(t), None)

    # -- polling ------------------------------------------------------------------------
    def wake(self, t: float) -> None:
        if not self.poll_scheduled and t >= self.start_at:
            heap = self.heap
            if heap and heap[0][0] <= t:
                # Other events happen at this same instant (a burst of sends): poll after
                # them all, so the batch sees every message sent "at once".
                self.poll_scheduled = True
                self.kernel.schedule_late(t, self._poll, None)
            elif not self.polling:
                self._poll_here(t)  # nothing else happens now: poll at once, no event needed
        if not self.ticking and self.esm.enabled:
            self._start_ticking(t)

    def _start_ticking(self, t: float) -> None:
        """Scale once a second from now on (see _tick; it stops when nothing is left to do)."""
        self.ticking = True
        self.kernel.schedule(t + 1.0, self._tick, None)

    def _poll_here(self, t: float) -> None:
        self.polling = True
        try:
            self._poll_now(t)
        finally:
            self.polling = False

    def _poll(self, t: float, _=None) -> None:
        self.poll_scheduled = False
        if self.polling or t < self.start_at:  # polling: a receive inside a poll made a message visible
            return  # again; start_at: the mapping was disabled by an edit since this poll was scheduled
        self._poll_here(t)

    def _poll_now(self, t: float) -> None:
        """Receive and invoke while there is room; callers have checked `start_at`."""
        q = self.q
        fifo = q.fifo
        # While a ReceiveMessage could return something (FIFO: a visible message in an
        # unlocked group), written out here rather than as a queue method: this is per message.
        while q.ready if fifo else q.n_visible > 0:
            b = self.open
            if b is not None:
                got = self._receive(t, self.batch_size - len(b))
                b.extend(got)
                if self.batch_size > self.safe_batch:  # (else the batch cannot reach 6 MB)
                    self.open_bytes += _payload_bytes(got)
                if len(b) >= self.batch_size or self.open_bytes >= PAYLOAD_CAP:
                    self.open = None
                    self._invoke_batch(t, b)
                    continue
                break
            if self.active >= self.target:
                break
            before = q.n_visible
            evs = self._receive(t, self.batch_size)
            if not evs:
                if q.n_visible == before:
                    break
                continue
            self.active += 1
            if self.window > 0 and len(evs) < self.batch_size:
                size = _payload_bytes(evs) if self.batch_size > self.safe_batch else 0
                if size < PAYLOAD_CAP:
                    self.open = evs
                    self.open_bytes = size
                    self.kernel.schedule(t + self.window, self._window_closed, evs)
                    break
            self._invoke_batch(t, evs)

    def take_sent(self, t: float, ev: Ev) -> None:
        """An idle poller's long poll returns the one message just sent to an otherwise empty
        queue: what the queue's receive and _poll_now would do, without the round trip.
        (SQSQueue.accept hands over only untraced messages: a traced one takes the full path.)"""
        q = self.q
        q.taken += 1  # sent, received and invoked (SQSQueue.settle_takes)
        if q.vis_mx < 1:  # visible for an instant (the queue was empty): only the maximum changes
            q.vis_mx = 1
        ev.rc = 1
        ev.vis = t + q.vt
        g = q.g_inv  # Gauge.add, inlined
        g.s -= t
        v = g.value = g.value + 1
        if v > g.mx:
            g.mx = v
        self.active += 1
        b = [ev]
        inv = self.fn.invoke(t, b, self, None, ev.tmpl.poison, self.report)
        if inv is None:
            self.esm.c_invoked -= 1  # not invoked (yet): see `taken`
            self._throttled(t, b, 0)
        elif not self.exclusive:  # _try's success path, inlined for an untraced batch of one
            self._count_started(t)
        if not self.ticking:  # as wake() does after a poll
            self._start_ticking(t)

    def _window_closed(self, t: float, b: list[Ev]) -> None:
        if self.open is b:
            self.open = None
            self._invoke_batch(t, b)

    def _receive(self, t: float, n: int) -> list[Ev]:
        evs = self.q.receive(t, n)
        flt = self.filter
        if flt is None or not evs:
            return evs
        return self._filter(t, evs)

    def _filter(self, t: float, evs: list[Ev]) -> list[Ev]:
        esm = self.esm
        flt = self.filter
        keep = []
        for ev in evs:
            cache = ev.tmpl.cache
            key = (esm.id, esm.gen)
            ok = cache.get(key)
            if ok is None:
                ok = cache[key] = bool(flt(sqs_record(ev.tmpl.payload)))
            if ok:
                keep.append(ev)
            else:
                # Lambda deletes messages that match no filter, without invoking.
                esm.c_filtered += 1
                esm.note(ev, t, "filtered out by the event source mapping (deleted)")
                self.q.delete(t, ev)
                self.q.deletes += 1
                self.acct.filter(ev)
        return keep

    def _invoke_batch(self, t: float, b: list[Ev]) -> None:
        if not b:
            self.active -= 1
            return
        if len(b) > self.safe_batch:
            self._cap_payload(t, b)
        self._try(t, b)

    def _cap_payload(self, t: float, b: list[Ev]) -> None:
        """The 6 MB invoke payload cap: split an oversized batch (b keeps what fits). The rest is
        another batch if the mapping has room for one; if not, it goes back to the queue untouched."""
        size = 0
        for i, ev in enumerate(b):
            size += ev.tmpl.size + RECORD_OVERHEAD
            if size > PAYLOAD_CAP and i > 0:
                rest = b[i:]
                del b[i:]
                if self.active < self.target:
                    self.active += 1
                    self._invoke_batch(t, rest)
                else:
                    self.q.unreceive(t, rest)
                break

    def _try(self, t: float, evs: list[Ev], tries: int = 0) -> None:
        """Invoke the function with a batch; `tries`: its throttled attempts so far."""
        if tries:
            self.waiting.pop(id(evs), None)
        poison = traced = False
        for ev in evs:
            if ev.tmpl.poison:
                poison = True
            if ev.j is not None:
                traced = True
        inv = self.fn.invoke(t, evs, self, None, poison, self.report)
        if inv is None:
            self._throttled(t, evs, tries)
            return
        self.esm.c_invoked += len(evs)
        if not self.exclusive:
            self._count_started(t)
        if traced:
            self._note_invoked(t, evs, inv)

    def _count_started(self, t: float) -> None:
        """Count a batch just started (unless the function's own figures are the mapping's)."""
        self.t_inv += 1
        self.esm.g_conc.add(t, 1)

    def _note_invoked(self, t: float, evs: list[Ev], inv) -> None:
        text = f"invoked {self.fn.id} in a batch of {len(evs)}" + (" (cold start)" if inv.init > 0 else "")
        for ev in evs:
            if ev.j is not None:  # a sampled journey
                ev.j.append((t, self.esm.id, text))

    def _throttled(self, t: float, evs: list[Ev], tries: int) -> None:
        """The function throttled the batch: retry it with back-off, or release it once its
        visibility timeout would run out first."""
        esm = self.esm
        self.t_thr += 1
        cause = self.fn.last_throttle
        tries += 1
        delay = backoff(tries, 30.0)
        deadline = min(ev.vis for ev in evs)
        if t + delay >= deadline:
            # The batch's visibility timeout ran out while throttled: release it.
            esm.why("retry", f"throttled until visibility timeout: {cause}")
            for ev in evs:
                esm.note(ev, t, f"throttled ({cause}); released at visibility timeout")
                self.q.release(t, ev)
            self.active -= 1
            return
        esm.why("retry", f"throttled: {cause}")
        self.waiting[id(evs)] = evs
        self.kernel.schedule(t + delay, self._retry, (evs, tries))

    def _retry(self, t: float, arg: tuple[list[Ev], int]) -> None:
        self._try(t, *arg)

    def on_result(self, t: float, inv) -> None:
        esm = self.esm
        q = self.q
        evs = inv.payload
        self.active -= 1
        if not self.exclusive:
            g = esm.g_conc  # Gauge.add, inlined
            g.s += t
            g.value -= 1
        failed = None
        done = evs
        if inv.err is not None:
            failed = evs
            done = None
            self.t_err += 1
            esm.why("retry", f"batch failed: {inv.err}")
        elif self.report:  # batchItemFailures: the poison records
            if q.fifo:
                # A FIFO handler stops at the first failure and reports it and every message after it.
                first = next((i for i, ev in enumerate(evs) if ev.tmpl.poison), None)
                if first is not None:
                    failed = evs[first:]
                    done = evs[:first] or None
            else:
                failed = [ev for ev in evs if ev.tmpl.poison]
                if failed:
                    done = [ev for ev in evs if not ev.tmpl.poison] or None
        if done is not None:
            k = len(done)
            if q.fifo:
                q.delete_many(t, done)
            else:  # DeleteMessageBatch (SQSQueue.delete_many for a standard queue, inlined)
                g = q.g_inv
                g.s += k * t
                g.value -= k
                q.del_total += k
                q.deletes += 1 if k <= 10 else -(-k // 10)  # api_calls(k), inlined
            for ev in done:
                if ev.j is not None:
                    esm.note(ev, t, "processed and deleted")
                if ev.done:  # Accounting.succeed, inlined
                    raise EngineError(f"event {ev.id} given a second outcome")
                ev.done = True
            self.acct.succeeded += k
        if failed:
            esm.c_failed += len(failed)
            for ev in failed:
                esm.note(ev, t, f"failed ({inv.err or 'reported in batchItemFailures'}); "
                         "visible again after the visibility timeout")
                q.release(t, ev)
        if q.fifo:
            if q.ready:
                self.wake(t)
            return
        if q.n_visible <= 0:  # (a short jump: CPython specializes only a compare that jumps near)
            return
        heap = self.heap
        if q.direct is not self or self.poll_scheduled or t < self.start_at \
                or self.active >= self.target or (heap and heap[0][0] <= t):
            self.wake(t)
            return
        # The room this batch left takes the next one at once: wake() and _poll_now's
        # first round, written out (this runs for most batches under load).
        evs = q.receive(t, self.batch_size)
        if evs:
            self.active += 1
            if len(evs) > self.safe_batch:
                self._cap_payload(t, evs)
            self._try(t, evs)
        if q.n_visible > 0:
            self._poll_here(t)  # the next rounds
        if not self.ticking:  # as wake() does after a poll
            self._start_ticking(t)

    # -- scaling ------------------------------------------------------------------------
    def _tick(self, t: float, _=None) -> None:
        q = self.q
        if self.exclusive:
            n = self.fn.invocations()
            self.t_inv = n - self.inv_mark
            self.inv_mark = n
        if self.t_thr:
            self.target = max(FLOOR, self.target // 2)
        elif self.t_inv and self.t_err * 2 > self.t_inv:
            self.target = max(FLOOR, self.target // 2)
        elif q.n_visible > 0:
            self.target = min(self.cap, self.target + SCALE_STEP)
        elif self.active < self.target:
            self.target = max(min(START_CONCURRENCY, self.cap), self.target - SCALE_STEP)
        self.t_thr = self.t_inv = self.t_err = 0
        idle = max(0, self.target - self.active) if q.n_visible == 0 else 0
        self.idle_time += idle * 1.0
        if q.n_visible > 0 or self.active > 0 or self.target > min(START_CONCURRENCY, self.cap):
            self.kernel.schedule(t + 1.0, self._tick, None)
            if q.n_visible > 0:
                self.wake(t)
        else:
            self.ticking = False
            self._last_idle_t = t

    def empty_receives(self, elapsed: float) -> float:
        """Billed long-poll receives that returned nothing (one per poller per 20 s)."""
        quiet = 0.0
        if not self.ticking:
            quiet = max(0.0, elapsed - self._last_idle_t) * min(START_CONCURRENCY, self.cap)
        return (self.idle_time + quiet) / LONG_POLL

    def settle_counts(self) -> None:
        """The period's PolledEventCount and DeletedEventCount, from the queue's totals: every
        message received from the queue is polled by this mapping (one per queue), and every one
        deleted was processed or filtered out by it."""
        esm, q = self.esm, self.q
        q.settle_takes()
        esm.c_polled = q.recv_total - self.recv_mark
        esm.c_deleted = q.del_total - self.del_mark - esm.c_filtered
        self.recv_mark, self.del_mark = q.recv_total, q.del_total

    def on_flush(self, b: float) -> None:
        pass

    def held(self) -> list[Ev]:
        out = []
        if self.open is not None:
            out.extend(self.open)
        for b in self.waiting.values():
            out.extend(b)
        return out
