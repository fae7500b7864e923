"""Scenario checks beyond the file's structure: graph rules (networkx), AWS ranges, design warnings.

`problems(scenario)` returns every error and warning with a JSON path and, where there
is one, the node or edge to select; the CLI prints errors, the app lists both.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
from pydantic import TypeAdapter, ValidationError

from core import catalog
from core.catalog import get_path, prop
from core.engine.events import payload_size
from core.model import Distribution, Node, Scenario

PUSH_SOURCES = ("S3Bucket", "SNSTopic", "EventBridgeRule", "Schedule")
POLLED = ("SQSQueue", "KinesisStream", "DynamoDBTable")
STREAMS = ("KinesisStream", "DynamoDBTable")
SQS_MAX_MESSAGE = 1024 * 1024  # bytes (256 KiB before 2025)

# (from kind, role) -> allowed target kinds
ALLOWED: dict[tuple[str, str], tuple[str, ...]] = {
    ("ApiGateway", "invoke"): ("Function",),
    **{(k, "invoke"): ("Function",) for k in PUSH_SOURCES},
    **{(k, "deliver"): ("SQSQueue", "SNSTopic") for k in PUSH_SOURCES},
    **{(k, "poll"): ("EventSourceMapping",) for k in POLLED},
    ("EventSourceMapping", "poll"): ("Function",),
    ("Function", "dlq"): ("SQSQueue", "SNSTopic"),
    ("SQSQueue", "redrive"): ("SQSQueue",),
    ("Function", "on_failure"): ("SQSQueue", "SNSTopic", "Function", "EventBridgeRule", "S3Bucket"),
    ("Function", "on_success"): ("SQSQueue", "SNSTopic", "Function", "EventBridgeRule"),
    ("EventSourceMapping", "on_failure"): ("SQSQueue", "SNSTopic", "S3Bucket"),
    ("Function", "emits"): ("SQSQueue", "SNSTopic", "EventBridgeRule", "KinesisStream", "S3Bucket", "DynamoDBTable"),
    ("Function", "calls"): ("Dependency",),
}

WORKLOAD_TARGETS = ("ApiGateway", "S3Bucket", "SNSTopic", "EventBridgeRule", "SQSQueue",
                    "KinesisStream", "DynamoDBTable", "Function")

_dist_adapter = TypeAdapter(Distribution)


@dataclass(frozen=True)
class Problem:
    path: str
    message: str
    severity: str = "error"  # or "warning"
    node: str | None = None
    edge: int | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def role_for(src_kind: str, dst_kind: str) -> list[str]:
    """Edge roles that may join these two kinds (the canvas asks when there are several)."""
    return [role for (k, role), targets in ALLOWED.items() if k == src_kind and dst_kind in targets]


def connection_error(src_kind: str, role: str, dst_kind: str) -> str | None:
    allowed = ALLOWED.get((src_kind, role))
    if allowed is None:
        roles = sorted({r for (k, r) in ALLOWED if k == src_kind})
        if not roles:
            return f"a {src_kind} has no outgoing edges"
        return f"a {src_kind} cannot have a {role!r} edge (allowed: {', '.join(roles)})"
    if dst_kind not in allowed:
        return f"a {role!r} edge from a {src_kind} must go to {' or '.join(allowed)}, not a {dst_kind}"
    return None


def graph(scenario: Scenario) -> nx.MultiDiGraph:
    """The scenario as a networkx multigraph; node attr `kind`, edge attr `role`, key = edge index."""
    g = nx.MultiDiGraph()
    for n in scenario.nodes:
        g.add_node(n.id, kind=n.kind)
    for i, e in enumerate(scenario.edges):
        if e.source in g and e.target in g:
            g.add_edge(e.source, e.target, key=i, role=e.role)
    return g


def _check_field(node: Node, f: catalog.Field, base: str, out: list[Problem]) -> None:
    section = node.properties if f.section == "properties" else node.behavior
    if f.section == "behavior":
        if f.path not in section:
            return
        v = section[f.path]
    else:
        v = get_path(section, f.path)
    if v is None:
        return
    path = f"{base}.{f.section}.{f.path}"
    if f.type in ("int", "float"):
        if isinstance(v, bool) or not isinstance(v, int | float):
            out.append(Problem(path, f"must be a number, got {v!r}", node=node.id))
            return
        if f.type == "int" and float(v) != int(v):
            out.append(Problem(path, f"must be a whole number, got {v}", node=node.id))
            return
        if v in f.allowed:
            return
        if (f.min is not None and v < f.min) or (f.max is not None and v > f.max):
            extra = f" or {', '.join(map(str, f.allowed))}" if f.allowed else ""
            out.append(Problem(path, f"{v} is outside AWS's range {f.min:g}–{f.max:g}{extra}", node=node.id))
    elif f.type == "bool":
        if not isinstance(v, bool):
            out.append(Problem(path, f"must be true or false, got {v!r}", node=node.id))
    elif f.type == "enum":
        if v not in f.choices:
            out.append(Problem(path, f"must be one of {', '.join(map(str, f.choices))}, got {v!r}", node=node.id))
    elif f.type == "str":
        if not isinstance(v, str):
            out.append(Problem(path, f"must be a string, got {v!r}", node=node.id))
    elif f.type == "dist":
        try:
            _dist_adapter.validate_python(v)
        except ValidationError as e:
            msg = e.errors()[0]["msg"]
            out.append(Problem(path, f"invalid distribution: {msg}", node=node.id))


def _check_patterns(scenario: Scenario, out: list[Problem]) -> None:
    from core import filters

    for i, n in enumerate(scenario.nodes):
        base = f"$.nodes[{i}]"
        if n.kind == "EventBridgeRule" and n.properties.get("EventPattern") is not None:
            try:
                filters.compile_pattern(n.properties["EventPattern"], "eventbridge")
            except ValueError as e:
                out.append(Problem(f"{base}.properties.EventPattern", str(e), node=n.id))
        if n.kind == "EventSourceMapping" and n.properties.get("FilterCriteria") is not None:
            src = _esm_source(scenario, n.id)
            source = {"SQSQueue": "sqs", "KinesisStream": "kinesis", "DynamoDBTable": "dynamodb"}.get(
                src.kind if src else "", "sqs")
            try:
                filters.compile_filter_criteria(n.properties["FilterCriteria"], source)
            except ValueError as e:
                out.append(Problem(f"{base}.properties.FilterCriteria", str(e), node=n.id))
    for j, e in enumerate(scenario.edges):
        p = e.properties
        base = f"$.edges[{j}].properties"
        if p.get("FilterPolicy") is not None:
            try:
                filters.compile_sns_filter_policy(p["FilterPolicy"], p.get("FilterPolicyScope", "MessageAttributes"))
            except ValueError as ex:
                out.append(Problem(f"{base}.FilterPolicy", str(ex), edge=j))
        rules = get_path(p, "Filter.S3Key.Rules")
        if rules is not None:
            try:
                filters.s3_key_matches(rules, "")
            except ValueError as ex:
                out.append(Problem(f"{base}.Filter.S3Key.Rules", str(ex), edge=j))


def _esm_source(scenario: Scenario, esm_id: str) -> Node | None:
    ids = {n.id: n for n in scenario.nodes}
    for e in scenario.edges:
        if e.role == "poll" and e.target == esm_id and e.source in ids:
            return ids[e.source]
    return None


def _esm_function(scenario: Scenario, esm_id: str) -> Node | None:
    ids = {n.id: n for n in scenario.nodes}
    for e in scenario.edges:
        if e.role == "poll" and e.source == esm_id and e.target in ids:
            return ids[e.target]
    return None


def problems(scenario: Scenario) -> list[Problem]:
    """Every error and warning, in file order."""
    out: list[Problem] = []
    ids: dict[str, Node] = {}
    node_index: dict[str, int] = {}
    for i, n in enumerate(scenario.nodes):
        if n.id in ids:
            out.append(Problem(f"$.nodes[{i}].id", f"duplicate node id {n.id!r}", node=n.id))
        ids[n.id] = n
        node_index.setdefault(n.id, i)
    wl_ids = set()
    for i, w in enumerate(scenario.workloads):
        if w.id in ids or w.id in wl_ids:
            out.append(Problem(f"$.workloads[{i}].id", f"duplicate id {w.id!r} (workload and node ids share one namespace)"))
        wl_ids.add(w.id)

    # Properties: types and AWS ranges.
    for i, n in enumerate(scenario.nodes):
        base = f"$.nodes[{i}]"
        known = {f.path.split(".")[0] for f in catalog.fields_for(n.kind) if f.section == "properties"}
        for key in n.properties:
            if key not in known:
                out.append(Problem(f"{base}.properties.{key}", f"{n.kind} has no property {key!r}", "warning", node=n.id))
        for f in catalog.fields_for(n.kind):
            _check_field(n, f, base, out)

    # Edges: references, allowed triples, duplicates.
    seen = set()
    for j, e in enumerate(scenario.edges):
        base = f"$.edges[{j}]"
        bad = False
        for end, ref in (("from", e.source), ("to", e.target)):
            if ref not in ids:
                out.append(Problem(f"{base}.{end}", f"no node with id {ref!r}", edge=j))
                bad = True
        if bad:
            continue
        if e.source == e.target:
            out.append(Problem(base, f"edge from {e.source!r} to itself", edge=j))
            continue
        msg = connection_error(ids[e.source].kind, e.role, ids[e.target].kind)
        if msg:
            out.append(Problem(f"{base}.role", f"{e.source} → {e.target}: {msg}", edge=j))
        if e.key in seen:
            out.append(Problem(base, f"duplicate edge {e.source} → {e.target} ({e.role})", edge=j))
        seen.add(e.key)
        if e.role == "emits":
            v = e.properties.get("PerInvocation", 1)
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0 or v > 10000:
                out.append(Problem(f"{base}.properties.PerInvocation", "must be a number from 0 to 10000", edge=j))

    g = graph(scenario)

    def out_edges(nid, role):
        return [(v, k) for _, v, k, r in g.out_edges(nid, keys=True, data="role") if r == role]

    def in_edges(nid, role):
        return [(u, k) for u, _, k, r in g.in_edges(nid, keys=True, data="role") if r == role]

    total_reserved = 0
    for i, n in enumerate(scenario.nodes):
        base = f"$.nodes[{i}]"
        if n.kind == "EventSourceMapping":
            srcs = in_edges(n.id, "poll")
            fns = out_edges(n.id, "poll")
            if len(srcs) != 1:
                out.append(Problem(base, f"event source mapping {n.id!r} needs exactly one queue or stream polling into it, has {len(srcs)}", node=n.id))
            if len(fns) != 1:
                out.append(Problem(base, f"event source mapping {n.id!r} needs exactly one function, has {len(fns)}", node=n.id))
            if len(out_edges(n.id, "on_failure")) > 1:
                out.append(Problem(base, "at most one on-failure destination", node=n.id))
            if srcs:
                src = ids[srcs[0][0]]
                _check_esm(scenario, n, src, ids[fns[0][0]] if len(fns) == 1 else None, base, out, out_edges)
        elif n.kind == "Function":
            for role in ("dlq", "on_failure", "on_success"):
                if len(out_edges(n.id, role)) > 1:
                    out.append(Problem(base, f"function {n.id!r} has more than one {role} edge", node=n.id))
            rc = n.properties.get("ReservedConcurrentExecutions")
            pc = n.properties.get("ProvisionedConcurrentExecutions") or 0
            if isinstance(rc, int) and not isinstance(rc, bool):
                total_reserved += rc
                if isinstance(pc, int) and pc > rc:
                    out.append(Problem(f"{base}.properties.ProvisionedConcurrentExecutions",
                                       f"provisioned concurrency {pc} exceeds reserved concurrency {rc}", node=n.id))
            if isinstance(pc, int) and pc > scenario.account.ConcurrentExecutions - 100:
                out.append(Problem(f"{base}.properties.ProvisionedConcurrentExecutions",
                                   f"provisioned concurrency {pc} exceeds the account's {scenario.account.ConcurrentExecutions} less the 100 kept unreserved", node=n.id))
        elif n.kind == "SQSQueue":
            rd = out_edges(n.id, "redrive")
            mrc = get_path(n.properties, "RedrivePolicy.maxReceiveCount")
            if len(rd) > 1:
                out.append(Problem(base, f"queue {n.id!r} has more than one redrive edge", node=n.id))
            if rd and mrc is None:
                out.append(Problem(f"{base}.properties.RedrivePolicy.maxReceiveCount",
                                   "a redrive edge needs RedrivePolicy.maxReceiveCount", node=n.id))
            if mrc is not None and not rd:
                out.append(Problem(f"{base}.properties.RedrivePolicy", "RedrivePolicy set but no redrive edge to a dead-letter queue", node=n.id))
            if rd and ids[rd[0][0]].properties.get("FifoQueue", False) != n.properties.get("FifoQueue", False):
                out.append(Problem(base, "a FIFO queue's dead-letter queue must be FIFO too (and standard for standard)", node=n.id))
            if len(out_edges(n.id, "poll")) > 1:
                out.append(Problem(base, f"queue {n.id!r} has several event source mappings; messages would be split between them (not simulated)", node=n.id))
        elif n.kind == "Schedule":
            from core.schedule import ScheduleError, parse_schedule

            try:
                parse_schedule(prop(n, "ScheduleExpression"))
            except ScheduleError as e:
                out.append(Problem(f"{base}.properties.ScheduleExpression", str(e), node=n.id))
        elif n.kind == "ApiGateway":
            t = n.properties.get("IntegrationTimeoutMillis")
            if n.properties.get("Type") == "HTTP" and isinstance(t, int) and t > 30000:
                out.append(Problem(f"{base}.properties.IntegrationTimeoutMillis",
                                   f"{t} ms: HTTP APIs allow at most 30000 ms", node=n.id))
            if len(out_edges(n.id, "invoke")) > 1:
                out.append(Problem(base, "an API with several functions: requests go to the first (routes are not simulated)", "warning", node=n.id))
        elif n.kind == "DynamoDBTable":
            if len(out_edges(n.id, "poll")) > 2:
                out.append(Problem(base, "more than two readers per DynamoDB stream shard throttle (AWS recommends at most two)", "warning", node=n.id))

    acc = scenario.account.ConcurrentExecutions
    if total_reserved > acc - 100:
        out.append(Problem("$.nodes", f"reserved concurrency totals {total_reserved}, but at most {acc - 100} "
                           f"can be reserved (account {acc} less the 100 kept unreserved)"))

    # Workloads.
    for i, w in enumerate(scenario.workloads):
        base = f"$.workloads[{i}]"
        t = ids.get(w.target)
        if t is None:
            out.append(Problem(f"{base}.target", f"no node with id {w.target!r}"))
        elif t.kind not in WORKLOAD_TARGETS:
            out.append(Problem(f"{base}.target", f"a workload cannot send events to a {t.kind}; pick a source, queue, stream or function", node=t.id))
        a = w.arrivals
        if a.process in ("poisson", "constant") and a.rate is None and a.profile is None:
            out.append(Problem(f"{base}.arrivals", f"a {a.process} process needs a rate or a profile"))
        if a.process == "profile" and a.profile is None:
            out.append(Problem(f"{base}.arrivals.profile", "a profile process needs profile [[t, rate], …]"))
        if a.process == "burst" and (a.count is None or a.at is None):
            out.append(Problem(f"{base}.arrivals", "a burst needs count and at"))
        if a.process == "replay" and a.file is None and a.times is None:
            out.append(Problem(f"{base}.arrivals", "a replay needs a CSV file (file) or inline times"))
        if a.process == "replay" and a.file is not None:
            from core.components.workload import ReplayError, read_replay

            try:
                read_replay(a.file, scenario.base_dir)
            except ReplayError as e:
                out.append(Problem(f"{base}.arrivals.file", str(e)))
        if a.end is not None and a.end < a.start:
            out.append(Problem(f"{base}.arrivals.end", "end is before start"))
        if sum(ev.weight for ev in w.events) <= 0:
            out.append(Problem(f"{base}.events", "event weights must add up to more than 0"))
        if t is not None and t.kind == "SQSQueue":
            for j, ev in enumerate(w.events):
                size = payload_size(ev.payload, ev.size_bytes)
                if size > SQS_MAX_MESSAGE:
                    out.append(Problem(f"{base}.events[{j}]", f"{size:,} bytes: an SQS message is at most "
                                       f"{SQS_MAX_MESSAGE:,} bytes (1 MiB)", node=t.id))

    _check_patterns(scenario, out)
    out.extend(design_warnings(scenario))
    return out


def _check_esm(scenario, n: Node, src: Node, fn: Node | None, base: str, out: list[Problem], out_edges) -> None:
    p = n.properties
    sqs = src.kind == "SQSQueue"
    fifo = sqs and bool(src.properties.get("FifoQueue", False))
    bs = p.get("BatchSize")
    win = p.get("MaximumBatchingWindowInSeconds", 0) or 0
    if sqs:
        for key in ("ParallelizationFactor", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds",
                    "BisectBatchOnFunctionError", "StartingPosition", "TumblingWindowInSeconds"):
            if key in p:
                out.append(Problem(f"{base}.properties.{key}", f"{key} applies to stream sources, not SQS", node=n.id))
        if out_edges(n.id, "on_failure"):
            out.append(Problem(base, "SQS event source mappings have no on-failure destination; use the queue's redrive policy", node=n.id))
        if isinstance(bs, int):
            if fifo and bs > 10:
                out.append(Problem(f"{base}.properties.BatchSize", f"{bs}: FIFO queues allow at most 10", node=n.id))
            elif bs > 10 and win < 1:
                out.append(Problem(f"{base}.properties.BatchSize",
                                   f"{bs}: a BatchSize above 10 needs MaximumBatchingWindowInSeconds of at least 1", node=n.id))
        if fifo and win:
            out.append(Problem(f"{base}.properties.MaximumBatchingWindowInSeconds",
                               "batching windows are not supported for FIFO queues", node=n.id))
        if fn is not None:
            vt = prop(src, "VisibilityTimeout")
            to = prop(fn, "Timeout")
            if isinstance(vt, int | float) and isinstance(to, int | float) and to > vt:
                out.append(Problem(f"{base}", f"function {fn.id!r} Timeout {to} s exceeds queue {src.id!r} "
                                   f"VisibilityTimeout {vt} s; AWS rejects this mapping", node=n.id))
    else:
        if "ScalingConfig" in p:
            out.append(Problem(f"{base}.properties.ScalingConfig", "ScalingConfig applies to SQS sources only", node=n.id))


def design_warnings(scenario: Scenario) -> list[Problem]:
    """Legal but risky designs, as an experienced reviewer would flag them."""
    out: list[Problem] = []
    ids = {n.id: n for n in scenario.nodes}
    idx = {n.id: i for i, n in enumerate(scenario.nodes)}
    roles_out: dict[str, set[str]] = {}
    roles_in: dict[str, set[str]] = {}
    for e in scenario.edges:
        roles_out.setdefault(e.source, set()).add(e.role)
        roles_in.setdefault(e.target, set()).add(e.role)
    for e in scenario.edges:
        if e.role != "poll" or e.source not in ids or e.target not in ids:
            continue
        esm = ids[e.target]
        if esm.kind != "EventSourceMapping":
            continue
        src = ids[e.source]
        fn = _esm_function(scenario, esm.id)
        base = f"$.nodes[{idx[esm.id]}]"
        if src.kind == "SQSQueue" and fn is not None:
            vt = prop(src, "VisibilityTimeout")
            to = prop(fn, "Timeout")
            win = prop(esm, "MaximumBatchingWindowInSeconds") or 0
            if isinstance(vt, int | float) and isinstance(to, int | float) and to <= vt < 6 * to + win:
                out.append(Problem(f"$.nodes[{idx[src.id]}].properties.VisibilityTimeout",
                                   f"VisibilityTimeout {vt} s is below 6 × {fn.id}'s Timeout ({6 * to + win:g} s) as AWS recommends; "
                                   "throttled batches may return and be received again", "warning", node=src.id))
            mc = get_path(esm.properties, "ScalingConfig.MaximumConcurrency")
            rc = fn.properties.get("ReservedConcurrentExecutions")
            if isinstance(mc, int) and isinstance(rc, int) and mc > rc:
                out.append(Problem(f"{base}.properties.ScalingConfig.MaximumConcurrency",
                                   f"MaximumConcurrency {mc} is above {fn.id}'s reserved concurrency {rc}: the poller will be throttled",
                                   "warning", node=esm.id))
            if "redrive" not in roles_out.get(src.id, set()):
                out.append(Problem(f"$.nodes[{idx[src.id]}]", f"queue {src.id!r} has no redrive policy: a poison message is retried until it expires",
                                   "warning", node=src.id))
        if src.kind in STREAMS:
            if prop(esm, "MaximumRetryAttempts") == -1 and prop(esm, "MaximumRecordAgeInSeconds") == -1:
                out.append(Problem(base, f"{esm.id}: unlimited retries and no MaximumRecordAgeInSeconds — one bad record blocks its shard until it expires",
                                   "warning", node=esm.id))
    for n in scenario.nodes:
        if n.kind != "Function":
            continue
        async_in = any(
            e.role in ("invoke",) and e.target == n.id and ids.get(e.source) and ids[e.source].kind in PUSH_SOURCES
            for e in scenario.edges
        ) or any(w.target == n.id and (w.InvocationType or "Event") == "Event" for w in scenario.workloads)
        if async_in and not ({"dlq", "on_failure"} & roles_out.get(n.id, set())):
            out.append(Problem(f"$.nodes[{idx[n.id]}]", f"function {n.id!r} is invoked asynchronously but has no DLQ or on-failure destination: failed events are lost",
                               "warning", node=n.id))
    return out


def errors(scenario: Scenario) -> list[Problem]:
    return [p for p in problems(scenario) if p.severity == "error"]


def esm_source(scenario: Scenario, esm_id: str) -> Node | None:
    """The queue or stream an event source mapping polls (None if not wired yet)."""
    return _esm_source(scenario, esm_id)


def esm_function(scenario: Scenario, esm_id: str) -> Node | None:
    """The function an event source mapping invokes (None if not wired yet)."""
    return _esm_function(scenario, esm_id)
