"""Cost on hand-computed cases (reference §6 and its worked example)."""

import pytest

from tests.helpers import edge, fn_node, node, run, scenario, workload


def test_reference_worked_example_x86_and_arm():
    # 1 M invocations × 200 ms × 512 MB: $1.67 duration + $0.20 requests = $1.87 (Arm: $1.53).
    # A tenth of it here (100,000 invocations) to keep the suite fast.
    for arch, expected in (("x86_64", 1.86667), ("arm64", 1.53334)):
        fn = fn_node("fn", 0.2, {"MemorySize": 512, "Architectures": [arch]})
        w = workload("w", "fn", {"process": "constant", "rate": 1000}, InvocationType="RequestResponse")
        sim = run(scenario([fn], [], [w], duration=100.0005, period=10, account={"ConcurrentExecutions": 1000}))
        assert sim.acct.created == 100_000
        assert sim.cost()["by_node"]["fn"] == pytest.approx(expected / 10, rel=1e-6)


def test_duration_is_billed_per_started_millisecond():
    fn = fn_node("fn", 0.0101, {"MemorySize": 1024})
    w = workload("w", "fn", {"process": "burst", "count": 1, "at": 0}, InvocationType="RequestResponse")
    sim = run(scenario([fn], [], [w]))
    assert sim.cost()["items"]["fn"]["duration"] == pytest.approx(0.011 * 0.0000166667)


def test_ephemeral_storage_above_512_mb_is_billed():
    fn = fn_node("fn", 10.0, {"MemorySize": 1024, "EphemeralStorage": {"Size": 2560}, "Timeout": 60})
    w = workload("w", "fn", {"process": "burst", "count": 1, "at": 0}, InvocationType="RequestResponse")
    sim = run(scenario([fn], [], [w]))
    assert sim.cost()["items"]["fn"]["ephemeral_storage"] == pytest.approx(2.0 * 10.0 * 0.0000000309)


def test_filtered_messages_cost_queue_requests_but_no_lambda():
    q = node("q", "SQSQueue", {"VisibilityTimeout": 60})
    esm = node("esm", "EventSourceMapping", {"BatchSize": 10, "FilterCriteria": {
        "Filters": [{"Pattern": '{"body": {"keep": [true]}}'}]}})
    fn = fn_node("fn", 0.1)
    w = workload("w", "q", {"process": "burst", "count": 100, "at": 0}, [{"payload": {"keep": False}}])
    sim = run(scenario([q, esm, fn], [edge("q", "esm", "poll"), edge("esm", "fn", "poll")], [w]))
    assert sim.acct.filtered == 100
    assert "fn" not in sim.cost()["by_node"]
    assert sim.cost()["items"]["q"]["requests"] > 0


def test_sns_and_eventbridge_requests_are_priced():
    topic = node("topic", "SNSTopic")
    rule = node("rule", "EventBridgeRule")
    fn = fn_node("fn", 0.1)
    w1 = workload("w1", "topic", {"process": "burst", "count": 1000, "at": 0})
    w2 = workload("w2", "rule", {"process": "burst", "count": 1000, "at": 0})
    sim = run(scenario([topic, rule, fn], [edge("topic", "fn", "invoke"), edge("rule", "fn", "invoke")], [w1, w2],
                       account={"ConcurrentExecutions": 5000}))
    by = sim.cost()["by_node"]
    assert by["topic"] == pytest.approx(1000 * 0.0000005)
    assert by["rule"] == pytest.approx(1000 * 0.000001)
