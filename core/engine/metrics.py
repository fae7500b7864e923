"""Per-node metric time series, one value per MetricPeriodSeconds, in numpy buffers.

Components count in plain Python attributes during a period; at each period boundary
the simulation asks them to `flush`, which writes one row here. Memory therefore grows
with simulated time / period, never with the number of events.
"""

from __future__ import annotations

import math

import numpy as np

COUNTER, GAUGE, DIST = "counter", "gauge", "distribution"
DIST_STATS = ("avg", "p50", "p90", "p99", "max", "count")
EXACT_LIMIT = 200_000  # keep raw samples for exact percentiles up to this many per metric
HIST_BATCH = 50_000  # past it, histogram the samples this many at a time

# Global histogram for run-wide percentiles once samples exceed EXACT_LIMIT.
_H_LO, _H_RATIO, _H_BINS = 1e-6, 1.001, 27_700
_LOG_RATIO = math.log(_H_RATIO)

METRICS: dict[str, dict[str, str]] = {
    "Function": {
        "Invocations": COUNTER, "Errors": COUNTER, "Throttles": COUNTER, "Duration": DIST,
        "ConcurrentExecutions": GAUGE, "ColdStarts": COUNTER, "InitDuration": DIST,
        "AsyncEventsReceived": COUNTER, "AsyncEventAge": DIST, "AsyncEventsDropped": COUNTER,
        "DeadLetterErrors": COUNTER, "DestinationDeliveryFailures": COUNTER,
        "ProvisionedConcurrencySpilloverInvocations": COUNTER,
        "ProvisionedConcurrencyInvocations": COUNTER, "RecursiveInvocationsDropped": COUNTER,
    },
    "EventSourceMapping": {
        "PolledEventCount": COUNTER, "FilteredOutEventCount": COUNTER, "InvokedEventCount": COUNTER,
        "FailedInvokeEventCount": COUNTER, "DroppedEventCount": COUNTER, "DeletedEventCount": COUNTER,
        "OnFailureDestinationDeliveredEventCount": COUNTER, "IteratorAge": DIST, "Concurrency": GAUGE,
    },
    "SQSQueue": {
        "NumberOfMessagesSent": COUNTER, "NumberOfMessagesReceived": COUNTER,
        "NumberOfMessagesDeleted": COUNTER, "ApproximateNumberOfMessagesVisible": GAUGE,
        "ApproximateNumberOfMessagesNotVisible": GAUGE, "ApproximateAgeOfOldestMessage": GAUGE,
    },
    "KinesisStream": {"IncomingRecords": COUNTER, "IteratorAge": DIST},
    "DynamoDBTable": {"IncomingRecords": COUNTER, "IteratorAge": DIST},
    "ApiGateway": {"Count": COUNTER, "4XXError": COUNTER, "5XXError": COUNTER, "Latency": DIST},
    "SNSTopic": {
        "NumberOfMessagesPublished": COUNTER, "NumberOfNotificationsDelivered": COUNTER,
        "NumberOfNotificationsFilteredOut": COUNTER,
    },
    "EventBridgeRule": {"MatchedEvents": COUNTER, "Invocations": COUNTER},
    "Schedule": {"MatchedEvents": COUNTER, "Invocations": COUNTER},
    "S3Bucket": {"EventNotifications": COUNTER},
    "Dependency": {"Requests": COUNTER, "Rejected": COUNTER, "ConcurrentRequests": GAUGE},
}

def stats_of(kind: str) -> list[str]:
    return {COUNTER: ["sum"], GAUGE: ["avg", "max"], DIST: list(DIST_STATS)}[kind]


class NodeMetrics:
    """The time series of one node: `series(metric, stat)` is a numpy view."""

    def __init__(self, node_id: str, kind: str, n_periods: int):
        self.node_id = node_id
        self.kind = kind
        self.types = METRICS.get(kind, {})
        self._data: dict[tuple[str, str], np.ndarray] = {}
        for name, typ in self.types.items():
            for st in stats_of(typ):
                self._data[(name, st)] = np.zeros(n_periods)
        self._raw: dict[str, list] = {n: [] for n, t in self.types.items() if t == DIST}
        self._hist: dict[str, np.ndarray | None] = {n: None for n in self._raw}
        # Samples past EXACT_LIMIT wait here and go into the histogram HIST_BATCH at a time (one
        # histogram update per period costs more than the update's work at a typical period's size).
        self._hold: dict[str, list[np.ndarray]] = {n: [] for n in self._raw}
        self._dsum: dict[str, float] = {n: 0.0 for n in self._raw}
        self._dcount: dict[str, int] = {n: 0 for n in self._raw}
        self._dmax: dict[str, float] = {n: 0.0 for n in self._raw}

    # -- writing (at flush) ------------------------------------------------------
    def counter(self, name: str, k: int, value: float) -> None:
        if value:  # (the buffers start at zero)
            self._data[(name, "sum")][k] = value

    def gauge(self, name: str, k: int, avg: float, mx: float) -> None:
        self._data[(name, "avg")][k] = avg
        self._data[(name, "max")][k] = mx

    def dist(self, name: str, k: int, values: list[float]) -> None:
        """One period's samples: avg, p50/p90/p99 (linear interpolation, like numpy), max, count.

        numpy sorts (a period can hold thousands of samples); the few quantile lookups and
        the sum stay plain Python."""
        n = len(values)
        if not n:
            return
        total = sum(values)
        a = np.fromiter(values, dtype=float, count=n)
        a.sort()
        d = self._data
        d[(name, "avg")][k] = total / n
        for stat, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99)):
            pos = q * (n - 1)
            lo = int(pos)
            v = float(a[lo])
            if lo + 1 < n:
                v += (float(a[lo + 1]) - v) * (pos - lo)
            d[(name, stat)][k] = v
        mx = float(a[-1])
        d[(name, "max")][k] = mx
        d[(name, "count")][k] = n
        self._dsum[name] += total
        self._dcount[name] += n
        if mx > self._dmax[name]:
            self._dmax[name] = mx
        raw = self._raw[name]
        if raw is not None:
            raw.append(a)
            if self._dcount[name] > EXACT_LIMIT:
                self._hold[name] = raw
                self._raw[name] = None
                self._fold_hold(name)
        else:
            hold = self._hold[name]
            hold.append(a)
            if sum(len(x) for x in hold) >= HIST_BATCH:
                self._fold_hold(name)

    def _fold_hold(self, name: str) -> None:
        hold = self._hold[name]
        if hold:
            self._to_hist(name, np.concatenate(hold) if len(hold) > 1 else hold[0])
            self._hold[name] = []

    def _to_hist(self, name: str, a: np.ndarray) -> None:
        h = self._hist[name]
        if h is None:
            h = self._hist[name] = np.zeros(_H_BINS, dtype=np.int64)
        x = np.log(np.maximum(a, _H_LO) / _H_LO)
        x /= _LOG_RATIO
        idx = np.floor(x, out=x).astype(np.int64)
        idx += 1
        if a.min() <= 0:
            idx[a <= 0] = 0
        np.minimum(idx, _H_BINS - 1, out=idx)  # (np.clip's Python wrapper costs more than the work)
        # Count over the bins the samples span only: the histogram has ~28k bins.
        lo, hi = int(idx.min()), int(idx.max()) + 1
        h[lo:hi] += np.bincount(idx - lo, minlength=hi - lo)

    # -- reading ---------------------------------------------------------------------
    def series(self, name: str, stat: str, n: int | None = None) -> np.ndarray:
        arr = self._data[(name, stat)]
        return arr if n is None else arr[:n]

    def has(self, name: str) -> bool:
        return name in self.types

    def summary(self, n: int, lengths: np.ndarray) -> dict[str, dict[str, float]]:
        """Run-wide stats over the first n periods (`lengths` = each period's seconds)."""
        out: dict[str, dict[str, float]] = {}
        total = float(lengths[:n].sum()) or 1.0
        for name, typ in self.types.items():
            if typ == COUNTER:
                out[name] = {"sum": _num(self._data[(name, "sum")][:n].sum())}
            elif typ == GAUGE:
                avg = float((self._data[(name, "avg")][:n] * lengths[:n]).sum() / total)
                mx = float(self._data[(name, "max")][:n].max()) if n else 0.0
                out[name] = {"avg": avg, "max": _num(mx)}
            else:
                out[name] = self._dist_summary(name)
        return out

    def _dist_summary(self, name: str) -> dict[str, float]:
        c = self._dcount[name]
        if c == 0:
            return {"avg": 0.0, "p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0, "count": 0}
        raw = self._raw[name]
        if raw is not None:
            a = np.concatenate(raw)
            p50, p90, p99 = (float(x) for x in np.percentile(a, (50, 90, 99)))
        else:
            self._fold_hold(name)
            p50, p90, p99 = (self._hist_q(name, q) for q in (0.5, 0.9, 0.99))
        return {"avg": self._dsum[name] / c, "p50": p50, "p90": p90, "p99": p99,
                "max": self._dmax[name], "count": c}

    def _hist_q(self, name: str, q: float) -> float:
        h = self._hist[name]
        cum = np.cumsum(h)
        i = int(np.searchsorted(cum, q * cum[-1]))
        if i == 0:
            return 0.0
        lo = _H_LO * _H_RATIO ** (i - 1)
        return min(lo * math.sqrt(_H_RATIO), self._dmax[name])


def _num(x) -> float | int:
    x = float(x)
    return int(x) if x.is_integer() else x
