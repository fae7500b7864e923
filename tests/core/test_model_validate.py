"""The scenario file model and its validation (SPEC §1)."""

import json

import pytest

from core import model, validate
from tests.helpers import edge, fn_node, node, scenario, workload

SPEC_EXAMPLE = {
    "format": "triggerscope/1",
    "name": "Orders pipeline",
    "account": {"ConcurrentExecutions": 1000, "ScalingRatePer10Seconds": 1000, "Region": "us-east-1"},
    "simulation": {"DurationSeconds": 600, "Seed": 42, "MetricPeriodSeconds": 1},
    "nodes": [
        {"id": "orders", "kind": "SQSQueue", "properties": {"VisibilityTimeout": 60, "RedrivePolicy": {"maxReceiveCount": 5}}, "position": [0, 0]},
        {"id": "orders-esm", "kind": "EventSourceMapping", "properties": {"BatchSize": 10, "ScalingConfig": {"MaximumConcurrency": 50}}},
        {"id": "worker", "kind": "Function", "properties": {"MemorySize": 512, "Timeout": 10, "ReservedConcurrentExecutions": 100},
         "behavior": {"Duration": {"dist": "lognormal", "median": 0.2, "p99": 1.5}, "ErrorRate": 0.01}},
        {"id": "orders-dlq", "kind": "SQSQueue"},
    ],
    "edges": [
        {"from": "orders", "to": "orders-esm", "role": "poll"},
        {"from": "orders-esm", "to": "worker", "role": "poll"},
        {"from": "orders", "to": "orders-dlq", "role": "redrive"},
    ],
    "workloads": [
        {"id": "checkout", "target": "orders", "arrivals": {"process": "poisson", "rate": 200},
         "events": [{"weight": 0.99, "payload": {"type": "order"}}, {"weight": 0.01, "payload": {"type": "bad"}, "poison": True}]}
    ],
}


def test_spec_example_loads_validates_and_round_trips(tmp_path):
    sc = model.from_dict(SPEC_EXAMPLE)
    assert validate.errors(sc) == []
    path = tmp_path / "s.json"
    model.save(sc, path)
    again = model.load(path)
    assert again.to_dict() == sc.to_dict()
    assert json.loads(path.read_text())["edges"][0] == {"from": "orders", "to": "orders-esm", "role": "poll", "properties": {}}


def test_scenarios_pickle_for_worker_processes():
    import pickle

    sc = model.from_dict(SPEC_EXAMPLE)
    assert pickle.loads(pickle.dumps(sc)).to_dict() == sc.to_dict()


@pytest.mark.parametrize(("text", "path", "words"), [
    ("{", "$", "not valid JSON"),
    ("[]", "$", "JSON object"),
    ('{"format": "triggerscope/9"}', "$.format", "unsupported format"),
    ('{"nodes": [{"id": "a", "kind": "Lambda"}]}', "$.nodes[0].kind", "Input should be"),
    ('{"nodes": [{"id": "a", "kind": "Function", "colour": 1}]}', "$.nodes[0].colour", "unknown field"),
    ('{"workloads": [{"id": "w", "target": "a", "arrivals": {"process": "poisson", "rate": -1}}]}',
     "$.workloads[0].arrivals.rate", "greater than or equal"),
])
def test_malformed_files_name_the_json_path(text, path, words):
    with pytest.raises(model.ScenarioError) as e:
        model.loads(text, "f.json")
    paths = [p for p, _ in e.value.problems]
    assert path in paths
    assert any(words in m for _, m in e.value.problems)


def test_missing_file_is_a_scenario_error(tmp_path):
    with pytest.raises(model.ScenarioError):
        model.load(tmp_path / "nope.json")


def test_set_overrides_node_workload_and_account_values():
    sc = model.from_dict(SPEC_EXAMPLE)
    sc2 = model.apply_sets(sc, ["worker.properties.ReservedConcurrentExecutions=50", "checkout.arrivals.rate=400",
                                "account.ConcurrentExecutions=2000", "worker.behavior.Duration={\"dist\":\"const\",\"value\":1}"])
    assert sc2.node("worker").properties["ReservedConcurrentExecutions"] == 50
    assert sc2.workloads[0].arrivals.rate == 400
    assert sc2.account.ConcurrentExecutions == 2000
    assert sc2.node("worker").behavior["Duration"] == {"dist": "const", "value": 1}
    assert sc.node("worker").properties["ReservedConcurrentExecutions"] == 100  # original untouched
    with pytest.raises(model.ScenarioError):
        model.apply_sets(sc, ["nobody.properties.X=1"])


def errors_of(sc):
    return [(p.path, p.message) for p in validate.errors(sc)]


def test_ranges_are_aws_ranges():
    sc = scenario([fn_node("f", 0.1, {"Timeout": 901, "MemorySize": 64, "EventInvokeConfig": {"MaximumRetryAttempts": 3}})])
    paths = [p for p, _ in errors_of(sc)]
    assert "$.nodes[0].properties.Timeout" in paths
    assert "$.nodes[0].properties.MemorySize" in paths
    assert "$.nodes[0].properties.EventInvokeConfig.MaximumRetryAttempts" in paths


def test_minus_one_is_allowed_where_aws_allows_it():
    sc = scenario([node("k", "KinesisStream"), node("e", "EventSourceMapping", {"MaximumRetryAttempts": -1,
                   "MaximumRecordAgeInSeconds": -1}), fn_node("f")],
                  [edge("k", "e", "poll"), edge("e", "f", "poll")])
    assert errors_of(sc) == []
    sc = scenario([node("k", "KinesisStream"), node("e", "EventSourceMapping", {"MaximumRecordAgeInSeconds": 30}),
                   fn_node("f")], [edge("k", "e", "poll"), edge("e", "f", "poll")])
    assert any("MaximumRecordAgeInSeconds" in p for p, _ in errors_of(sc))


def test_graph_rules():
    sc = scenario([node("a", "S3Bucket"), fn_node("f"), node("q", "SQSQueue"), node("e", "EventSourceMapping")],
                  [edge("a", "q", "poll"), edge("f", "a", "invoke"), edge("e", "f", "poll"), edge("f", "zz", "dlq")])
    msgs = " | ".join(m for _, m in errors_of(sc))
    assert "S3Bucket cannot have a 'poll' edge" in msgs
    assert "a Function cannot have a 'invoke' edge" in msgs
    assert "needs exactly one queue or stream" in msgs
    assert "no node with id 'zz'" in msgs


def test_duplicate_ids_and_bad_workload_targets():
    sc = scenario([fn_node("f"), fn_node("f"), node("e", "EventSourceMapping")], [],
                  [workload("w", "e", {"process": "poisson", "rate": 1}), workload("f", "f", {"process": "poisson"})])
    msgs = " | ".join(m for _, m in errors_of(sc))
    assert "duplicate node id 'f'" in msgs
    assert "cannot send events to a EventSourceMapping" in msgs
    assert "needs a rate or a profile" in msgs


def test_reserved_concurrency_must_leave_100_unreserved():
    sc = scenario([fn_node("a", 0.1, {"ReservedConcurrentExecutions": 600}),
                   fn_node("b", 0.1, {"ReservedConcurrentExecutions": 350})])
    assert any("at most 900 can be reserved" in m for _, m in errors_of(sc))


def test_bad_patterns_schedules_and_filter_rules_are_rejected_with_reasons():
    sc = scenario([node("r", "EventBridgeRule", {"EventPattern": {"source": "aws.ec2"}}),
                   node("s", "Schedule", {"ScheduleExpression": "rate(5 minute)"}),
                   node("b", "S3Bucket"), fn_node("f")],
                  [edge("b", "f", "invoke", {"Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "a"},
                                                                             {"Name": "prefix", "Value": "b"}]}}})])
    paths = [p for p, _ in errors_of(sc)]
    assert "$.nodes[0].properties.EventPattern" in paths
    assert "$.nodes[1].properties.ScheduleExpression" in paths
    assert "$.edges[0].properties.Filter.S3Key.Rules" in paths


def test_design_warnings_flag_risky_but_legal_designs():
    sc = scenario([node("q", "SQSQueue", {"VisibilityTimeout": 30}),
                   node("e", "EventSourceMapping", {"ScalingConfig": {"MaximumConcurrency": 200}}),
                   fn_node("f", 0.1, {"Timeout": 10, "ReservedConcurrentExecutions": 50}),
                   node("b", "S3Bucket"), fn_node("g"),
                   node("k", "KinesisStream"), node("e2", "EventSourceMapping"), fn_node("h")],
                  [edge("q", "e", "poll"), edge("e", "f", "poll"), edge("b", "g", "invoke"),
                   edge("k", "e2", "poll"), edge("e2", "h", "poll")])
    warns = [p.message for p in validate.problems(sc) if p.severity == "warning"]
    text = " | ".join(warns)
    assert "below 6 × f's Timeout" in text
    assert "MaximumConcurrency 200 is above f's reserved concurrency 50" in text
    assert "no DLQ or on-failure destination" in text
    assert "unlimited retries and no MaximumRecordAgeInSeconds" in text
    assert "has no redrive policy" in text


def test_role_for_lists_the_choices_the_canvas_offers():
    assert validate.role_for("S3Bucket", "Function") == ["invoke"]
    assert set(validate.role_for("Function", "SQSQueue")) == {"dlq", "on_failure", "on_success", "emits"}
    assert validate.role_for("Dependency", "Function") == []
