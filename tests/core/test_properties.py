"""Random valid graphs: the accounting identity and determinism always hold."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core import model, validate
from core.engine.simulation import Simulation

DIST = st.sampled_from([{"dist": "const", "value": 0.05}, {"dist": "exp", "mean": 0.2},
                        {"dist": "lognormal", "median": 0.1, "p99": 2.0}, {"dist": "uniform", "low": 0.0, "high": 4.0}])
ARRIVALS = st.sampled_from([
    {"process": "poisson", "rate": 20}, {"process": "constant", "rate": 5},
    {"process": "burst", "count": 50, "at": 3}, {"process": "poisson", "profile": [[0, 5], [20, 40]], "interpolate": "linear"},
])


@st.composite
def scenarios(draw):
    nodes, edges, workloads = [], [], []
    n_fn = draw(st.integers(1, 3))
    fns = []
    for i in range(n_fn):
        props = {"Timeout": draw(st.sampled_from([1, 3, 10])), "MemorySize": 256}
        if draw(st.booleans()):
            props["ReservedConcurrentExecutions"] = draw(st.integers(0, 20))
        if draw(st.booleans()):
            props["EventInvokeConfig"] = {"MaximumRetryAttempts": draw(st.integers(0, 2)),
                                          "MaximumEventAgeInSeconds": draw(st.sampled_from([60, 21600]))}
        beh = {"Duration": draw(DIST), "ErrorRate": draw(st.sampled_from([0.0, 0.1, 0.5])),
               "ColdStart": draw(st.sampled_from([None, {"dist": "const", "value": 0.3}]))}
        nodes.append({"id": f"f{i}", "kind": "Function", "properties": props, "behavior": beh})
        fns.append(f"f{i}")
        sink = draw(st.sampled_from([None, "dlq", "on_failure", "on_success"]))
        if sink:
            nodes.append({"id": f"s{i}", "kind": "SQSQueue"})
            edges.append({"from": f"f{i}", "to": f"s{i}", "role": sink})
        if draw(st.booleans()):
            nodes.append({"id": f"d{i}", "kind": "Dependency", "behavior": {"MaxConcurrentRequests": draw(st.integers(1, 5))}})
            edges.append({"from": f"f{i}", "to": f"d{i}", "role": "calls"})
    kinds = draw(st.lists(st.sampled_from(["ApiGateway", "S3Bucket", "SNSTopic", "EventBridgeRule", "SQSQueue",
                                           "KinesisStream", "DynamoDBTable", "Schedule"]), min_size=1, max_size=4))
    for j, kind in enumerate(kinds):
        sid = f"src{j}"
        fn = draw(st.sampled_from(fns))
        props = {}
        if kind == "SQSQueue":
            props = {"VisibilityTimeout": 10, "FifoQueue": draw(st.booleans())}
            if draw(st.booleans()):
                props["RedrivePolicy"] = {"maxReceiveCount": draw(st.integers(1, 3))}
                nodes.append({"id": f"{sid}-dlq", "kind": "SQSQueue", "properties": {"FifoQueue": props["FifoQueue"]}})
                edges.append({"from": sid, "to": f"{sid}-dlq", "role": "redrive"})
        if kind == "Schedule":
            props = {"ScheduleExpression": "rate(1 minute)"}
        if kind == "KinesisStream":
            props = {"ShardCount": draw(st.integers(1, 3))}
        nodes.append({"id": sid, "kind": kind, "properties": props})
        if kind in ("SQSQueue", "KinesisStream", "DynamoDBTable"):
            esm = {"BatchSize": draw(st.integers(1, 10))}
            if kind != "SQSQueue":
                esm.update({"MaximumRetryAttempts": draw(st.sampled_from([-1, 0, 2])),
                            "BisectBatchOnFunctionError": draw(st.booleans()),
                            "ParallelizationFactor": draw(st.integers(1, 3))})
            elif draw(st.booleans()):
                esm["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
            nodes.append({"id": f"{sid}-esm", "kind": "EventSourceMapping", "properties": esm})
            edges += [{"from": sid, "to": f"{sid}-esm", "role": "poll"}, {"from": f"{sid}-esm", "to": fn, "role": "poll"}]
        elif kind in ("SNSTopic", "S3Bucket"):
            for f in draw(st.lists(st.sampled_from(fns), min_size=1, max_size=len(fns), unique=True)):
                edges.append({"from": sid, "to": f, "role": "invoke"})
        else:
            edges.append({"from": sid, "to": fn, "role": "invoke"})
        if kind != "Schedule":
            events = [{"weight": 0.9, "payload": {"v": 1}, "partition_keys": 4, "message_groups": 3},
                      {"weight": 0.1, "payload": {"v": 0}, "poison": draw(st.booleans())}]
            workloads.append({"id": f"w{j}", "target": sid, "arrivals": draw(ARRIVALS), "events": events})
    if draw(st.booleans()):
        q = "emit-q"
        nodes.append({"id": q, "kind": "SQSQueue"})
        edges.append({"from": fns[0], "to": q, "role": "emits", "properties": {"PerInvocation": 1.5}})
    sc = model.from_dict({"format": "triggerscope/1", "name": "random",
                          "simulation": {"DurationSeconds": draw(st.sampled_from([30, 120])),
                                         "Seed": draw(st.integers(0, 1000)), "MetricPeriodSeconds": 5},
                          "account": {"ConcurrentExecutions": 200},
                          "nodes": nodes, "edges": edges, "workloads": workloads})
    return sc


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_accounting_identity_and_determinism_on_random_graphs(sc):
    assert validate.errors(sc) == [], validate.errors(sc)
    a = Simulation(sc).run()
    acct = a.acct
    assert acct.created == (acct.succeeded + acct.failed_to_caller + acct.filtered + acct.dead_lettered
                            + acct.dropped + acct.forwarded + acct.pending)
    assert acct.pending >= 0
    assert a.audit() == acct.pending
    assert sum(acct.dropped_by_reason.values()) == acct.dropped
    b = Simulation(sc).run()
    sa, sb = a.summary(), b.summary()
    sa["engine"].pop("wall_s"), sb["engine"].pop("wall_s")
    assert sa == sb
