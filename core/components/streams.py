"""Kinesis and DynamoDB streams, and the stream poller of an event source mapping.

Records go to a shard by partition key; each shard is read by ParallelizationFactor
lanes (keys hashed to lanes, order kept per key). A failing batch blocks its lane:
it is retried until it succeeds, MaximumRetryAttempts runs out, its records pass
MaximumRecordAgeInSeconds, or they expire from the stream — then it goes to the
on-failure destination (a metadata record) or is dropped. Bisect splits failing
batches without using the retry count; ReportBatchItemFailures checkpoints at the
lowest failed record.
"""

from __future__ import annotations

import zlib
from collections import deque

from core.catalog import behav, esm_default_batch_size, prop
from core.components.base import PAYLOAD_CAP, RECORD_OVERHEAD, Component, backoff
from core.engine.events import Ev, Template, new_ev
from core.records import dynamodb_record, kinesis_record, stream_failure_record

POLL_INTERVAL = {"KinesisStream": 1.0, "DynamoDBTable": 0.25}  # GetRecords per shard per second
RETRY_CAP = 30.0


def _hash(key) -> int:
    return zlib.crc32(str(key).encode())


class _Stream(Component):
    consumes_records = True

    def __init__(self, sim, node):
        self.c_in = 0
        self.d_iter: list[float] = []
        self.seq = 0
        self.orphans: deque[Ev] = deque()  # records nobody reads, kept until retention
        self.puts = 0
        self.readers: list = []
        self.rng_key = sim.rng(node.id, "keys")
        super().__init__(sim, node)

    def register(self, poller) -> None:
        self.readers.append(poller)

    def has_consumers(self) -> bool:
        return True

    def accept(self, t: float, ev: Ev) -> None:
        self.c_in += 1
        self.puts += 1
        self.seq += 1
        ev.seq = self.seq
        ev.sent = t
        if ev.key is None:
            shard = int(self.rng_key.integers(self.shards))
        else:
            shard = _hash(ev.key) % self.shards
        self.note(ev, t, f"written to shard {shard}")
        readers = self.readers
        if not readers:
            self.orphans.append(ev)
            return
        if len(readers) == 1:
            readers[0].push(t, ev, shard)
            return
        self.acct.forward(ev)
        for r in readers:
            new = self.acct.new(t, ev.tmpl, ev.key, ev.group, ev.depth, origin=self.id)
            new.seq = ev.seq
            new.sent = t
            r.push(t, new, shard)

    def flush(self, k: int, b: float, length: float) -> None:
        limit = b - self.retention
        while self.orphans and self.orphans[0].sent < limit:
            ev = self.orphans.popleft()
            self.why("drop", "record retention expired")
            self.acct.drop(ev, "retention_expired")
        self.m.counter("IncomingRecords", k, self.c_in)
        self.m.dist("IteratorAge", k, self.d_iter)
        self.c_in = 0
        self.d_iter = []

    def held(self) -> list[Ev]:
        return list(self.orphans)


class KinesisStream(_Stream):
    kind = "KinesisStream"
    source = "kinesis"

    def configure(self, node) -> None:
        super().configure(node)
        self.shards = int(prop(node, "ShardCount"))
        self.retention = float(prop(node, "RetentionPeriodHours")) * 3600.0

    def record(self, ev: Ev, shard: int) -> dict:
        return kinesis_record(ev.tmpl.payload, self.id, key=ev.key, shard=shard)

    def payload_bytes(self, size: int) -> int:
        """A record's share of an invoke payload, for a payload of `size` bytes (its data is base64)."""
        return -(-size // 3) * 4 + RECORD_OVERHEAD

    def cost_items(self, pricing: dict, elapsed: float) -> dict[str, float]:
        k = pricing["kinesis"]
        return {"shard_hours": self.shards * elapsed / 3600.0 * k["shard_hour"],
                "put_payload_units": self.puts * k["put_payload_unit"]}


class DynamoDBTable(_Stream):
    kind = "DynamoDBTable"
    source = "dynamodb"

    def configure(self, node) -> None:
        super().configure(node)
        self.shards = int(behav(node, "StreamShards") or 1)
        self.retention = 24 * 3600.0  # DynamoDB Streams keep records for 24 hours
        self.view = prop(node, "StreamSpecification.StreamViewType")

    def record(self, ev: Ev, shard: int) -> dict:
        return dynamodb_record(ev.tmpl.payload, self.id, view=self.view)

    def payload_bytes(self, size: int) -> int:
        """A record's share of an invoke payload, for an item of `size` bytes."""
        return size + RECORD_OVERHEAD


class Lane:
    """One ordered sub-stream of a shard, read by one batch at a time."""

    __slots__ = ("idx", "shard", "recs", "work", "busy", "polling", "tries", "thr", "window_at")

    def __init__(self, idx: int, shard: int):
        self.idx = idx
        self.shard = shard
        self.recs: deque[Ev] = deque()  # not yet taken into a batch
        self.work: list[list[Ev]] = []  # taken batch (or bisected halves), first is current
        self.busy = False  # an invocation or a retry timer is outstanding
        self.polling = False
        self.tries = 0
        self.thr = 0
        self.window_at = None


class StreamPoller:
    def __init__(self, esm):
        self.esm = esm
        self.stream: _Stream = esm.source
        self.fn = esm.fn
        self.kernel = esm.kernel
        self.acct = esm.acct
        self.stream.register(self)
        self.interval = POLL_INTERVAL[self.stream.kind]
        self.lanes: list[Lane] = []

    def configure(self) -> None:
        esm = self.esm
        self.batch_size = int(esm.batch_size_set or esm_default_batch_size(self.stream.kind))
        self.pf = esm.parallelization
        n = self.stream.shards * self.pf
        while len(self.lanes) < n:
            i = len(self.lanes)
            self.lanes.append(Lane(i, i // self.pf))
        self.filter = esm.compile_filter(self.stream.source)
        self.report = esm.report
        # Batches up to this many records cannot pass the 6 MB invoke payload cap (_take).
        self.safe_batch = PAYLOAD_CAP // self.stream.payload_bytes(esm.sim.largest_payload())
        if esm.enabled:
            for lane in self.lanes:
                if lane.recs or lane.work:
                    self._schedule_poll(self.kernel.now, lane)

    def start(self) -> None:
        if self.esm.created_at > 0:
            def wake(t, _):
                for lane in self.lanes:
                    if lane.recs:
                        self._schedule_poll(t, lane)
            self.kernel.schedule(self.esm.created_at, wake, None)

    def push(self, t: float, ev: Ev, shard: int) -> None:
        esm = self.esm
        if t < esm.created_at and esm.starting == "LATEST":
            # Written before the mapping existed: LATEST never reads it.
            self.stream.orphans.append(ev)
            return
        if self.pf == 1:
            sub = 0
        elif ev.key is None:  # a record of its own random key (see _Stream.accept): no order to keep
            sub = ev.seq % self.pf
        else:
            sub = zlib.adler32(str(ev.key).encode()) % self.pf
        lane = self.lanes[shard * self.pf + sub]
        lane.recs.append(ev)
        if not lane.busy and not lane.polling:
            self._schedule_poll(t, lane)
        elif lane.window_at is not None and len(lane.recs) >= self.batch_size and not lane.busy:
            self._schedule_poll(t, lane, now=True)

    def _schedule_poll(self, t: float, lane: Lane, now: bool = False) -> None:
        esm = self.esm
        if not esm.enabled or lane.busy:
            return
        start = max(t, esm.created_at)
        when = start if now else (int(start / self.interval) + 1) * self.interval
        lane.polling = True
        self.kernel.schedule(when, self._poll, lane)

    def _poll(self, t: float, lane: Lane) -> None:
        lane.polling = False
        if lane.busy or not self.esm.enabled:
            return
        if not lane.work:
            self._expire_head(t, lane)
            if not lane.recs:
                return
            w = self.esm.window
            if w > 0 and len(lane.recs) < self.batch_size:
                due = lane.recs[0].sent + w
                if t < due:
                    if lane.window_at != due:
                        lane.window_at = due
                        lane.polling = True
                        self.kernel.schedule(due, self._poll, lane)
                    return
            lane.window_at = None
            batch = self._take(t, lane)
            if not batch:
                if lane.recs:
                    self._schedule_poll(t, lane, now=True)
                return
            lane.work = [batch]
            lane.tries = 0
        self._invoke(t, lane)

    def _take(self, t: float, lane: Lane) -> list[Ev]:
        esm = self.esm
        recs = lane.recs
        batch: list[Ev] = []
        flt = self.filter
        # A batch stops at BatchSize, and short of 6 MB of invoke payload if it could reach that.
        sized = self.batch_size > self.safe_batch
        size = more = 0
        while recs and len(batch) < self.batch_size:
            if sized:
                more = self.stream.payload_bytes(recs[0].tmpl.size)
                if batch and size + more > PAYLOAD_CAP:
                    break
            ev = recs.popleft()
            esm.c_polled += 1
            if flt is not None:
                cache = ev.tmpl.cache
                key = (esm.id, esm.gen, ev.key) if self.stream.kind == "KinesisStream" else (esm.id, esm.gen)
                ok = cache.get(key)
                if ok is None:
                    ok = cache[key] = bool(flt(self.stream.record(ev, lane.shard)))
                if not ok:
                    # Skipped: the iterator moves past it, never billed.
                    esm.c_filtered += 1
                    esm.note(ev, t, "filtered out by the event source mapping (skipped)")
                    self.acct.filter(ev)
                    continue
            size += more
            batch.append(ev)
        return batch

    def _expire_head(self, t: float, lane: Lane) -> None:
        limit = t - self.stream.retention
        recs = lane.recs
        while recs and recs[0].sent < limit:
            ev = recs.popleft()
            self.esm.why("drop", "record retention expired")
            self.esm.note(ev, t, "expired from the stream before it was processed")
            self.esm.c_dropped += 1
            self.acct.drop(ev, "retention_expired")

    def _invoke(self, t: float, lane: Lane) -> None:
        esm = self.esm
        batch = lane.work[0]
        # Records past retention or MaximumRecordAgeInSeconds are discarded before invoking.
        expired = [ev for ev in batch if t - ev.sent > self.stream.retention]
        if expired:
            for ev in expired:
                esm.c_dropped += 1
                esm.why("drop", "record retention expired")
                esm.note(ev, t, "expired from the stream while its batch was retried")
                self.acct.drop(ev, "retention_expired")
            batch = [ev for ev in batch if t - ev.sent <= self.stream.retention]
        if esm.max_age >= 0:
            old = [ev for ev in batch if t - ev.sent > esm.max_age]
            if old:
                self._discard(t, old, "RecordAgeExpired", "record age", lane, lane.tries)
                batch = [ev for ev in batch if t - ev.sent <= esm.max_age]
        if len(batch) != len(lane.work[0]):
            if batch:
                lane.work[0] = batch
            else:
                lane.work.pop(0)
                lane.tries = 0
                self._next(t, lane)
                return
        poison = any(ev.tmpl.poison for ev in batch)
        inv = self.fn.invoke(t, batch, self, tag=lane, poison=poison, report=self.report)
        lane.busy = True
        if inv is None:
            # Throttles do not use MaximumRetryAttempts: retry until the records expire.
            cause = self.fn.last_throttle
            lane.thr += 1
            esm.why("retry", f"throttled: {cause}")
            delay = backoff(lane.thr, RETRY_CAP)
            self.kernel.schedule(t + delay, self._retry, lane)
            return
        lane.thr = 0
        esm.c_invoked += len(batch)
        esm.g_conc.add(t, 1)
        age = t - batch[-1].sent
        esm.d_iter.append(age)
        self.stream.d_iter.append(age)
        for ev in batch:
            if ev.j is not None:
                esm.note(ev, t, f"invoked {self.fn.id} in a batch of {len(batch)} (shard {lane.shard})")

    def _retry(self, t: float, lane: Lane) -> None:
        lane.busy = False
        if lane.work:
            self._invoke(t, lane)
        else:
            self._next(t, lane)

    def on_result(self, t: float, inv) -> None:
        esm = self.esm
        lane: Lane = inv.tag
        lane.busy = False
        esm.g_conc.add(t, -1)
        batch: list[Ev] = lane.work[0]
        if inv.err is None and self.report and any(ev.tmpl.poison for ev in batch):
            # Partial batch response: checkpoint at the lowest failed sequence number and retry the
            # records from there as one batch (with bisect on too, the batch is "bisected at the
            # returned sequence number" and only the rest is retried: no further halving).
            i = next(i for i, ev in enumerate(batch) if ev.tmpl.poison)
            for ev in batch[:i]:
                self._succeed(t, ev)
            rest = batch[i:]
            esm.c_failed += len(rest)
            lane.work[0] = rest
            esm.why("retry", "batch item failures reported")
            self._failed(t, lane, "reported batch item failure", split_ok=False)
            return
        if inv.err is None:
            for ev in batch:
                self._succeed(t, ev)
            lane.work.pop(0)
            lane.tries = 0
            self._next(t, lane)
            return
        esm.c_failed += len(batch)
        esm.why("retry", f"batch failed: {inv.err}")
        for ev in batch:
            esm.note(ev, t, f"batch failed ({inv.err})")
        self._failed(t, lane, inv.err, split_ok=True)

    def _failed(self, t: float, lane: Lane, cause: str, split_ok: bool) -> None:
        esm = self.esm
        batch = lane.work[0]
        if esm.bisect and split_ok and len(batch) > 1:
            # Split in two and retry the halves; splits do not use MaximumRetryAttempts.
            h = len(batch) // 2
            lane.work[0:1] = [batch[:h], batch[h:]]
            lane.tries = 0
            self._retry_later(t, lane, 0.0)
            return
        lane.tries += 1
        if esm.max_retries >= 0 and lane.tries > esm.max_retries:
            lane.work.pop(0)
            invokes, lane.tries = lane.tries, 0
            self._discard(t, batch, "RetryAttemptsExhausted", cause, lane, invokes)
            self._next(t, lane)
            return
        self._retry_later(t, lane, backoff(lane.tries, RETRY_CAP))

    def _retry_later(self, t: float, lane: Lane, delay: float) -> None:
        lane.busy = True
        self.kernel.schedule(t + delay, self._retry, lane)

    def _succeed(self, t: float, ev: Ev) -> None:
        if ev.j is not None:
            self.esm.note(ev, t, "processed")
        self.acct.succeed(ev)

    def _discard(self, t: float, evs: list[Ev], condition: str, cause: str, lane: Lane, invokes: int) -> None:
        """Give up on records: one metadata record to the on-failure destination, or drop."""
        esm = self.esm
        dest = esm.on_failure
        if dest is not None and not getattr(dest, "fifo", False):
            esm.c_onfail += len(evs)
            esm.why("dead_letter", f"{condition}: {cause}")
            for ev in evs:
                esm.note(ev, t, f"discarded ({condition}); batch info sent to {dest.id}")
                self.acct.dead_letter(ev)
            dest.sink(t, self._failure_record(t, evs, condition, lane, invokes, dest.kind == "S3Bucket"), esm.id)
            return
        if dest is not None:
            self.fn.async_q.c_dest_fail += 1
        esm.c_dropped += len(evs)
        esm.why("drop", f"{condition}: {cause}")
        reason = "record_age_exceeded" if condition == "RecordAgeExpired" else "retries_exhausted"
        for ev in evs:
            esm.note(ev, t, f"dropped ({condition})")
            self.acct.drop(ev, reason)

    def _failure_record(self, t: float, evs: list[Ev], condition: str, lane: Lane, invokes: int,
                        with_data: bool) -> Ev:
        """The on-failure record as an instance to hand to the destination's sink (which makes its
        own new instance of it where it becomes work): metadata, not the records — so never poison."""
        stream = self.stream
        records = [stream.record(ev, lane.shard) for ev in evs] if with_data else None
        payload = stream_failure_record(stream.kind, stream.id, self.fn.id, condition, invokes, lane.shard,
                                        [(ev.seq, ev.sent) for ev in evs], t, records)
        first = evs[0]
        return new_ev(first.id, t, Template(payload, False, 0, 0, self.esm.id), None, None, first.depth, None)

    def _next(self, t: float, lane: Lane) -> None:
        if lane.work:
            self._invoke(t, lane)
        elif lane.recs:
            # Back-to-back reads while records are available.
            self._poll(t, lane)

    def settle_counts(self) -> None:
        """(This poller counts as it goes.)"""

    def on_flush(self, b: float) -> None:
        for lane in self.lanes:
            if not lane.busy and not lane.work:
                self._expire_head(b, lane)

    def held(self) -> list[Ev]:
        out: list[Ev] = []
        for lane in self.lanes:
            out.extend(lane.recs)
            for w in lane.work:
                out.extend(w)
        return out
