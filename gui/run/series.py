"""Plot-ready readings of a running Simulation: what each dashboard chart shows, flow per edge
and live badge values. Pure numpy over `core`, no widgets, so the dashboard, the canvas overlay
and the exports show the same numbers.

A `Track` fills a preallocated buffer incrementally: each refresh reads only the metric periods
flushed since the last one, so the cost per frame does not grow with the length of the run.
Metrics drawn as the engine records them are read in place, without a buffer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from core.engine.simulation import Simulation

# One colour per outcome, everywhere (charts, why panel, report).
OUTCOME_COLOURS = {
    "succeeded": "#1E8E3E",
    "failed": "#D13438",
    "throttled": "#E8710A",
    "filtered": "#8C97A3",
    "dead-lettered": "#8C4FFF",
    "dropped": "#1D1D1D",
    "created": "#6E9BEF",
}
# Outcome label → accounting key (SPEC §3); "throttled" is not an outcome but Lambda's Throttles.
OUTCOMES = [
    ("succeeded", "succeeded"),
    ("failed", "failed_to_caller"),
    ("throttled", None),
    ("filtered", "filtered"),
    ("dead-lettered", "dead_lettered"),
    ("dropped", "dropped"),
]
# Distinct colours for per-entity lines (functions, queues); none is an outcome colour.
ENTITY_COLOURS = ["#1565C0", "#00897B", "#AD1457", "#9C6B00", "#5A6B86", "#4D7C0F"]
LIMIT_GREY = "#2B3A4A"
MAX_ENTITIES = 3  # functions or queues per chart; beyond, a chart says "+N more: select a node"

Reader = Callable[[Simulation, int, int], np.ndarray]


@dataclass(eq=False)
class Track:
    """One line of a chart. `read(sim, lo, hi)` returns its values for metric periods [lo, hi)."""

    key: str
    label: str
    colour: str
    read: Reader
    style: str = "solid"  # solid | dash | dot | dashdot
    limit: bool = False  # a configured limit, drawn as a reference line
    group: str | None = None  # key of the line this limit belongs to (one legend entry for both)
    buf: np.ndarray | None = field(default=None, repr=False)
    k: int = 0

    def update(self, sim: Simulation) -> np.ndarray:
        """The values of every flushed period (a view; refreshed incrementally)."""
        direct = getattr(self.read, "direct", None)
        if direct is not None:  # a metric as the engine stores it: no copy needed
            self.buf = direct(sim)
            self.k = sim.k
            return self.buf[: sim.k]
        if self.buf is None or len(self.buf) != sim.n_periods:
            self.buf = np.full(sim.n_periods, np.nan)
            self.k = 0
        if sim.k > self.k:
            self.buf[self.k:sim.k] = self.read(sim, self.k, sim.k)
            self.k = sim.k
        return self.buf[: sim.k]

    def values(self) -> np.ndarray:
        return self.buf[: self.k] if self.buf is not None else np.zeros(0)


@dataclass(eq=False)
class ChartSpec:
    """One dashboard chart: title, y-axis label and unit, and its tracks."""

    key: str
    title: str
    y_label: str
    unit: str
    tracks: list[Track]
    note: str = ""  # shown under the title ("+3 more functions: select a node")
    help: str = ""  # tooltip: what the chart shows and how it is computed


# --- readers -----------------------------------------------------------------------------------


def lengths(sim: Simulation, lo: int, hi: int) -> np.ndarray:
    """Seconds in each of the periods [lo, hi) (the last one may be shorter)."""
    starts = np.arange(lo, hi) * sim.period
    return np.minimum(starts + sim.period, sim.duration) - starts


def metric(node: str, name: str, stat: str) -> Reader:
    """A metric statistic as the engine records it (read in place, not copied)."""

    def read(sim: Simulation, lo: int, hi: int) -> np.ndarray:
        return sim.series(node, name, stat)[lo:hi]

    read.direct = lambda sim: sim.series(node, name, stat)
    return read


def sum_rate(nodes: list[str], name: str) -> Reader:
    def read(sim: Simulation, lo: int, hi: int) -> np.ndarray:
        total = np.zeros(hi - lo)
        for n in nodes:
            total += sim.series(n, name, "sum")[lo:hi]
        return total / lengths(sim, lo, hi)

    return read


def sum_metric(nodes: list[str], name: str, stat: str) -> Reader:
    def read(sim: Simulation, lo: int, hi: int) -> np.ndarray:
        total = np.zeros(hi - lo)
        for n in nodes:
            total += sim.series(n, name, stat)[lo:hi]
        return total

    return read


def outcome_rate(outcome: str) -> Reader:
    def read(sim: Simulation, lo: int, hi: int) -> np.ndarray:
        cum = sim.outcome_series(outcome, cumulative=True)
        prev = cum[lo - 1] if lo > 0 else 0.0
        return np.diff(cum[lo:hi], prepend=prev) / lengths(sim, lo, hi)

    return read


def dist_stat(node: str, name: str, stat: str) -> Reader:
    """A distribution statistic, NaN in periods without samples (a gap, not a false zero)."""

    def read(sim: Simulation, lo: int, hi: int) -> np.ndarray:
        v = sim.series(node, name, stat)[lo:hi].copy()
        v[sim.series(node, name, "count")[lo:hi] == 0] = np.nan
        return v

    return read


def live(value: Callable[[Simulation], float | None]) -> Reader:
    """A configured value (a limit) sampled when its periods are read: edits show as steps."""

    def read(sim: Simulation, lo: int, hi: int) -> np.ndarray:
        v = value(sim)
        return np.full(hi - lo, np.nan if v is None else float(v))

    return read


def cost_read(sim: Simulation, lo: int, hi: int) -> np.ndarray:
    return sim.cost_series()[lo:hi]


cost_read.direct = lambda sim: sim.cost_series()


# --- topology ------------------------------------------------------------------------------------


@dataclass
class Topology:
    """The node ids each chart needs, in scenario order."""

    functions: list[str]
    queues: list[str]  # SQS queues that are worked (polled), or not a failure target
    dlqs: list[str]  # SQS queues that receive failures (redrive, DLQ, on-failure)
    streams_esms: list[str]  # event source mappings reading a Kinesis or DynamoDB stream
    esms_of: dict[str, list[str]]  # function → the event source mappings that invoke it
    apis: list[str]

    @classmethod
    def of(cls, sim: Simulation) -> Topology:
        sc = sim.scenario
        kinds = {n.id: n.kind for n in sc.nodes}
        failure_targets = {e.target for e in sc.edges if e.role in ("redrive", "dlq", "on_failure")}
        polled = {e.source for e in sc.edges if e.role == "poll" and kinds.get(e.source) == "SQSQueue"}
        sqs = [n.id for n in sc.nodes if n.kind == "SQSQueue"]
        esm_src = {e.target: e.source for e in sc.edges if e.role == "poll" and kinds.get(e.target) == "EventSourceMapping"}
        esms_of: dict[str, list[str]] = {}
        for e in sc.edges:
            if e.role == "poll" and kinds.get(e.source) == "EventSourceMapping":
                esms_of.setdefault(e.target, []).append(e.source)
        return cls(
            functions=[n.id for n in sc.nodes if n.kind == "Function"],
            queues=[q for q in sqs if q in polled or q not in failure_targets],
            dlqs=[q for q in sqs if q in failure_targets],
            streams_esms=[m for m, s in esm_src.items() if kinds.get(s) in ("KinesisStream", "DynamoDBTable")],
            esms_of=esms_of,
            apis=[n.id for n in sc.nodes if n.kind == "ApiGateway"],
        )


def _more(shown: list[str], all_: list[str], what: str) -> str:
    extra = len(all_) - len(shown)
    return f"+{extra} more {what}: select a node to see its metrics" if extra > 0 else ""


def _reserved(fn_id: str) -> Callable[[Simulation], float | None]:
    return lambda sim: sim.components[fn_id].reserved


def _max_conc(esm_id: str) -> Callable[[Simulation], float | None]:
    return lambda sim: sim.components[esm_id].max_concurrency


def _quota(sim: Simulation) -> float:
    return sim.pool.quota


def charts_for(sim: Simulation) -> list[ChartSpec]:
    """The dashboard's charts for this simulation's design (charts with nothing to show are left out)."""
    topo = Topology.of(sim)
    out: list[ChartSpec] = []

    tracks = [Track("created", "created", OUTCOME_COLOURS["created"], outcome_rate("created"),
                    style="dash")]
    for label, key in OUTCOMES:
        reader = outcome_rate(key) if key else sum_rate(topo.functions, "Throttles")
        tracks.append(Track(label, label, OUTCOME_COLOURS[label], reader))
    out.append(ChartSpec("throughput", "Throughput by outcome", "rate", "events/s", tracks,
                         help="Event instances reaching each outcome per second (SPEC §3 accounting); "
                              "throttled = Lambda Throttles of all functions."))

    fns = topo.functions[:MAX_ENTITIES]
    tracks = []
    if len(topo.functions) > 1:
        tracks.append(Track("account-used", "all functions", LIMIT_GREY,
                            sum_metric(topo.functions, "ConcurrentExecutions", "max")))
    tracks.append(Track("account-limit", "account limit", LIMIT_GREY, live(_quota), style="dash", limit=True))
    for i, f in enumerate(fns):
        c = ENTITY_COLOURS[i % len(ENTITY_COLOURS)]
        tracks.append(Track(f"{f}.conc", f, c, metric(f, "ConcurrentExecutions", "max")))
        tracks.append(Track(f"{f}.reserved", f"{f} reserved", c, live(_reserved(f)), style="dash", limit=True,
                            group=f"{f}.conc"))
        esms = topo.esms_of.get(f, [])
        for m in esms:
            label = f"{m} MaximumConcurrency" if len(esms) > 1 else "MaximumConcurrency"
            tracks.append(Track(f"{m}.maxconc", label, c, live(_max_conc(m)), style="dot", limit=True,
                                group=f"{f}.conc"))
    out.append(ChartSpec("concurrency", "Concurrency vs limits", "concurrency", "count", tracks,
                         note=_more(fns, topo.functions, "functions"),
                         help="ConcurrentExecutions (maximum per period) against the account limit, "
                              "reserved concurrency and ScalingConfig.MaximumConcurrency."))

    tracks = [Track("throttles", "throttles", OUTCOME_COLOURS["throttled"], sum_rate(topo.functions, "Throttles")),
              Track("errors", "errors", OUTCOME_COLOURS["failed"], sum_rate(topo.functions, "Errors"))]
    if topo.apis:
        tracks.append(Track("api-5xx", "API 5XX", "#8A1C1F", sum_rate(topo.apis, "5XXError"), style="dash"))
        tracks.append(Track("api-4xx", "API 4XX (429)", "#B85C00", sum_rate(topo.apis, "4XXError"), style="dot"))
    out.append(ChartSpec("throttles", "Throttles and errors", "rate", "per s", tracks,
                         help="Lambda Throttles and Errors of all functions per second"
                              + (", and API Gateway 4XX/5XX responses." if topo.apis else ".")))

    if topo.queues:
        qs = topo.queues[:MAX_ENTITIES]
        tracks = []
        for i, q in enumerate(qs):
            c = ENTITY_COLOURS[i % len(ENTITY_COLOURS)]
            tracks.append(Track(f"{q}.visible", f"{q} visible", c, metric(q, "ApproximateNumberOfMessagesVisible", "max")))
            if len(qs) > 2:
                continue  # many queues: the backlog lines alone stay readable
            tracks.append(Track(f"{q}.inflight", f"{q} in flight", c,
                                metric(q, "ApproximateNumberOfMessagesNotVisible", "max"), style="dash"))
        out.append(ChartSpec("backlog", "Queue backlog", "messages", "count", tracks,
                             note=_more(qs, topo.queues, "queues"),
                             help="ApproximateNumberOfMessagesVisible (backlog) and NotVisible (in flight), maximum per period."))
        tracks = [Track(f"{q}.age", q, ENTITY_COLOURS[i % len(ENTITY_COLOURS)],
                        metric(q, "ApproximateAgeOfOldestMessage", "max")) for i, q in enumerate(qs)]
        out.append(ChartSpec("age", "Age of oldest message", "age", "s", tracks,
                             note=_more(qs, topo.queues, "queues"),
                             help="ApproximateAgeOfOldestMessage, maximum per period."))

    if topo.streams_esms:
        ms = topo.streams_esms[:MAX_ENTITIES]
        tracks = [Track(f"{m}.iter", m, ENTITY_COLOURS[i % len(ENTITY_COLOURS)], dist_stat(m, "IteratorAge", "max"))
                  for i, m in enumerate(ms)]
        out.append(ChartSpec("iterator", "Stream iterator age", "age", "s", tracks,
                             note=_more(ms, topo.streams_esms, "mappings"),
                             help="IteratorAge of each stream event source mapping, maximum per period."))

    tracks = []
    one = len(fns) == 1
    for i, f in enumerate(fns):
        c = ENTITY_COLOURS[i % len(ENTITY_COLOURS)]
        name = "" if one else f"{f} "
        tracks.append(Track(f"{f}.p99", f"{name}p99", c, dist_stat(f, "Duration", "p99")))
        if one:
            tracks.append(Track(f"{f}.p90", "p90", c, dist_stat(f, "Duration", "p90"), style="dash"))
        tracks.append(Track(f"{f}.p50", f"{name}p50", c, dist_stat(f, "Duration", "p50"), style="dot"))
    out.append(ChartSpec("duration", "Duration percentiles" + (f" · {fns[0]}" if one else ""), "duration", "s",
                         tracks, note=_more(fns, topo.functions, "functions"),
                         help="Lambda Duration percentiles per period (periods without invocations are gaps)."))

    if topo.dlqs:
        ds = topo.dlqs[:MAX_ENTITIES]
        tracks = [Track(f"{d}.depth", d, ["#8C4FFF", "#B0369C", "#5A6B86", "#9C6B00"][i % 4],
                        metric(d, "ApproximateNumberOfMessagesVisible", "max")) for i, d in enumerate(ds)]
        out.append(ChartSpec("dlq", "DLQ depth", "messages", "count", tracks,
                             note=_more(ds, topo.dlqs, "DLQs"),
                             help="Messages waiting in dead-letter queues (ApproximateNumberOfMessagesVisible)."))

    if sim.track_cost:
        out.append(ChartSpec("cost", "Running cost", "cost", "USD",
                             [Track("cost", "total", "#1F4FB8", cost_read)],
                             help="Cumulative cost at list prices (requests, GB-seconds, SQS requests, …)."))
    return out


# --- flow per edge (canvas overlay) ---------------------------------------------------------------

# What arrives at a node of each kind (the fallback measure of an edge's flow).
INFLOW = {
    "SQSQueue": "NumberOfMessagesSent",
    "SNSTopic": "NumberOfMessagesPublished",
    "Function": "Invocations",
    "EventSourceMapping": "PolledEventCount",
    "KinesisStream": "IncomingRecords",
    "DynamoDBTable": "IncomingRecords",
    "EventBridgeRule": "MatchedEvents",
    "Schedule": "Invocations",
    "Dependency": "Requests",
    "S3Bucket": "EventNotifications",
    "ApiGateway": "Count",
}
ASYNC_ROLES = {"invoke", "dlq", "on_failure", "on_success"}


def edge_counter(sim: Simulation, source: str, target: str, role: str) -> tuple[str, str, int]:
    """(node, counter, share) measuring the flow of an edge: the counter's rate divided by `share`
    (the number of edges that feed the same counter)."""
    kinds = {n.id: n.kind for n in sim.scenario.nodes}
    sk, tk = kinds.get(source), kinds.get(target)
    if role == "poll" and tk == "EventSourceMapping":
        return target, "PolledEventCount", 1
    if role == "poll" and sk == "EventSourceMapping":
        return source, "InvokedEventCount", 1
    if role == "invoke" and sk == "ApiGateway":
        return source, "Count", 1
    if role == "invoke" and sk == "Schedule":
        return source, "Invocations", 1
    ins = sum(1 for e in sim.scenario.edges if e.target == target and e.role != "poll")
    name = INFLOW.get(tk or "", "")
    if tk == "Function" and role in ASYNC_ROLES:
        name = "AsyncEventsReceived"
        ins = sum(1 for e in sim.scenario.edges if e.target == target and e.role in ASYNC_ROLES
                  and kinds.get(e.source) != "ApiGateway")
    return target, name, max(1, ins)


def window_rate(sim: Simulation, node: str, name: str, lo: int, hi: int) -> float:
    """Mean rate (per second) of a counter over periods [lo, hi); the last period when lo >= hi."""
    if not name or name not in sim.metrics[node].types or sim.k == 0:
        return 0.0
    if lo >= hi:
        lo, hi = sim.k - 1, sim.k
    v = sim.series(node, name, "sum")[lo:hi]
    secs = min(hi * sim.period, sim.duration) - lo * sim.period
    return float(v.sum()) / secs if secs > 0 else 0.0


def fmt_count(v: float) -> str:
    """12, 1.2k, 34k, 1.2M: compact, for badges and ticks."""
    a = abs(v)
    if a >= 1e9:
        return f"{v / 1e9:.3g}G"
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e4:
        return f"{v / 1e3:.0f}k"
    if a >= 1e3:
        return f"{v / 1e3:.1f}k"
    if a >= 100 or float(v).is_integer():
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    return f"{v:.2g}"


def fmt_rate(v: float) -> str:
    """A rate to two significant digits (0.5, 12, 120, 1.2k): steady enough to read while it moves."""
    if v >= 1000:
        return fmt_count(float(f"{v:.2g}"))
    if v >= 10:
        return f"{float(f'{v:.2g}'):.0f}"
    return f"{v:.1f}".rstrip("0").rstrip(".") if v >= 0.1 else f"{v:.2g}"


def fmt_age(v: float) -> str:
    """An age on a badge, to two significant digits (820 ms, 45 s, 3.3 min, 1.2 h)."""
    if v != v:
        return "–"
    if v < 1:
        return f"{float(f'{v * 1000:.2g}'):.0f} ms"
    if v < 60:
        return f"{float(f'{v:.2g}'):g} s"
    if v < 3600:
        return f"{float(f'{v / 60:.2g}'):g} min"
    return f"{float(f'{v / 3600:.2g}'):g} h"


def fmt_seconds(v: float) -> str:
    """Durations for people: 850 ms, 4.2 s, 3 min 20 s, 2 h 05 min."""
    if v != v:  # NaN
        return "–"
    if v < 1:
        return f"{v * 1000:.0f} ms"
    if v < 60:
        return f"{v:.3g} s"
    if v < 3600:
        m, s = divmod(int(round(v)), 60)
        return f"{m} min {s:02d} s"
    h, rem = divmod(int(round(v)), 3600)
    return f"{h} h {rem // 60:02d} min"


def fmt_clock(t: float) -> str:
    """Simulated time as m:ss or h:mm:ss."""
    t = max(0.0, float(t))
    h, rem = divmod(int(t), 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
