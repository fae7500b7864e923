"""Event source mappings: the poller between a queue or stream and one function.

The node keeps the ESM metrics and settings; the work is done by an SQS poller
(`sqs_poller.py`) or a stream poller (`streams.py`), chosen by the source's kind.
"""

from __future__ import annotations

from core.catalog import get_path, prop
from core.components.base import Component, Gauge
from core.engine.events import Ev


class EventSourceMapping(Component):
    kind = "EventSourceMapping"
    # The per-period counters live in slots (see base.Component).
    __slots__ = ("c_invoked", "c_failed", "c_polled", "c_deleted", "c_filtered", "c_dropped", "c_onfail")

    def __init__(self, sim, node):
        self.c_polled = self.c_filtered = self.c_invoked = self.c_failed = 0
        self.c_dropped = self.c_deleted = self.c_onfail = 0
        self.d_iter: list[float] = []
        self.g_conc = Gauge()
        self.conc_of = None  # the function whose ConcurrentExecutions is this mapping's Concurrency
        self.poller = None
        super().__init__(sim, node)

    def configure(self, node) -> None:
        super().configure(node)
        p = node.properties
        self.enabled = bool(prop(node, "Enabled"))
        self.batch_size_set = p.get("BatchSize")
        self.window = float(prop(node, "MaximumBatchingWindowInSeconds") or 0)
        self.parallelization = int(prop(node, "ParallelizationFactor") or 1)
        self.max_retries = int(prop(node, "MaximumRetryAttempts"))
        self.max_age = float(prop(node, "MaximumRecordAgeInSeconds"))
        self.bisect = bool(prop(node, "BisectBatchOnFunctionError"))
        self.report = "ReportBatchItemFailures" in (p.get("FunctionResponseTypes") or [])
        mc = get_path(p, "ScalingConfig.MaximumConcurrency")
        self.max_concurrency = int(mc) if mc is not None else None
        self.starting = prop(node, "StartingPosition")
        self.created_at = float(node.behavior.get("CreatedAt", 0.0) or 0.0)
        self.filter_spec = p.get("FilterCriteria")
        self.gen = getattr(self, "gen", -1) + 1  # cached filter results belong to one FilterCriteria
        if self.poller is not None:
            self.poller.configure()

    def wire(self) -> None:
        srcs = self.sim.in_nodes(self.id, "poll")
        fns = self.out("poll")
        self.source = self.sim.components[srcs[0]] if srcs else None
        self.fn = fns[0][0] if fns else None
        dest = self.out("on_failure")
        self.on_failure = dest[0][0] if dest else None
        if self.source is None or self.fn is None:
            return
        if self.source.kind == "SQSQueue":
            from core.components.sqs_poller import SqsPoller

            self.poller = SqsPoller(self)
        else:
            from core.components.streams import StreamPoller

            self.poller = StreamPoller(self)
        self.poller.configure()

    def start(self) -> None:
        if self.poller is not None:
            self.poller.start()

    def compile_filter(self, source: str):
        if not self.filter_spec:
            return None
        from core.filters import compile_filter_criteria

        return compile_filter_criteria(self.filter_spec, source)

    def flush(self, k: int, b: float, length: float) -> None:
        m = self.m
        if self.poller is not None:
            self.poller.settle_counts()
        m.counter("PolledEventCount", k, self.c_polled)
        m.counter("FilteredOutEventCount", k, self.c_filtered)
        m.counter("InvokedEventCount", k, self.c_invoked)
        m.counter("FailedInvokeEventCount", k, self.c_failed)
        m.counter("DroppedEventCount", k, self.c_dropped)
        m.counter("DeletedEventCount", k, self.c_deleted)
        m.counter("OnFailureDestinationDeliveredEventCount", k, self.c_onfail)
        m.dist("IteratorAge", k, self.d_iter)
        if self.conc_of is None:  # (otherwise the function writes it: Function.flush)
            m.gauge("Concurrency", k, *self.g_conc.close(b, length))
        self.c_polled = self.c_filtered = self.c_invoked = self.c_failed = 0
        self.c_dropped = self.c_deleted = self.c_onfail = 0
        self.d_iter = []
        if self.poller is not None:
            self.poller.on_flush(b)

    def concurrency(self) -> int:
        """Batches being processed now."""
        return self.conc_of.conc if self.conc_of is not None else int(self.g_conc.value)

    def held(self) -> list[Ev]:
        return self.poller.held() if self.poller is not None else []
