"""Reserved, provisioned and account concurrency; cold starts and idle reclaim (reference §4–5)."""

import pytest

from tests.helpers import edge, fn_node, metric, node, run, scenario, workload

COLD = {"dist": "const", "value": 0.5}


def direct(fn, count=1, at=0.0, extra_nodes=(), extra_workloads=(), sim_s=60, account=None, spread=0.0):
    w = workload("w", fn["id"], {"process": "burst", "count": count, "at": at, "spread": spread},
                 InvocationType="RequestResponse")
    return scenario([fn, *extra_nodes], [], [w, *extra_workloads], duration=sim_s, account=account)


def test_reserved_concurrency_is_a_hard_ceiling():
    sim = run(direct(fn_node("fn", 2.0, {"ReservedConcurrentExecutions": 10}), count=25))
    assert metric(sim, "fn", "Invocations") == 10
    assert metric(sim, "fn", "Throttles") == 15
    assert metric(sim, "fn", "ConcurrentExecutions", "max") == 10
    assert ("fn", "throttle", "reserved concurrency") in sim.why


def test_unreserved_functions_share_the_account_pool_less_reservations():
    # account 300: 'big' reserves 150, so the unreserved pool holds 150.
    big = fn_node("big", 2.0, {"ReservedConcurrentExecutions": 150})
    small = fn_node("small", 2.0)
    w2 = workload("w2", "small", {"process": "burst", "count": 400, "at": 0}, InvocationType="RequestResponse")
    sim = run(scenario([big, small], [], [w2], account={"ConcurrentExecutions": 300}))
    assert metric(sim, "small", "Invocations") == 150
    assert ("small", "throttle", "account concurrency") in sim.why


def test_cold_start_on_new_environments_only():
    fn = fn_node("fn", 1.0, cold=COLD)
    sim = run(direct(fn, count=3))
    assert metric(sim, "fn", "ColdStarts") == 3
    assert sim.summary()["nodes"]["fn"]["metrics"]["InitDuration"]["avg"] == pytest.approx(0.5)
    # a later request finds a warm environment
    w = workload("later", "fn", {"process": "burst", "count": 3, "at": 10}, InvocationType="RequestResponse")
    sim = run(direct(fn, count=3, extra_workloads=[w]))
    assert metric(sim, "fn", "ColdStarts") == 3
    assert metric(sim, "fn", "Invocations") == 6


def test_init_time_is_billed_and_counts_toward_concurrency():
    fn = fn_node("fn", 1.0, {"MemorySize": 1024}, cold=COLD)
    sim = run(direct(fn, count=1))
    assert sim.cost()["items"]["fn"]["duration"] == pytest.approx(1.5 * 0.0000166667)
    conc = sim.series("fn", "ConcurrentExecutions", "avg")
    assert conc[0] == pytest.approx(1.0) and conc[1] == pytest.approx(0.5)


def test_init_is_billed_once_per_environment_and_warm_invocations_pay_only_their_duration():
    """Since 1 August 2025 the INIT phase is billed like invoke duration (AWS Compute Blog, "AWS Lambda
    standardizes billing for INIT phase"): a cold invocation pays init + duration, a warm one on the
    same environment only its duration; GB-seconds scale with MemorySize."""
    fn = fn_node("fn", 1.0, {"MemorySize": 512}, cold=COLD)
    warm = [workload(f"w{t}", "fn", {"process": "burst", "count": 1, "at": t}, InvocationType="RequestResponse")
            for t in (10, 20)]
    sim = run(direct(fn, count=1, extra_workloads=warm))
    assert metric(sim, "fn", "ColdStarts") == 1 and metric(sim, "fn", "Invocations") == 3
    assert sim.cost()["items"]["fn"]["duration"] == pytest.approx((0.5 + 3 * 1.0) * 0.5 * 0.0000166667)


def test_idle_environment_is_reclaimed_after_idle_timeout():
    fn = fn_node("fn", 1.0, cold=COLD, IdleTimeout={"dist": "const", "value": 300})
    early = workload("early", "fn", {"process": "burst", "count": 1, "at": 200}, InvocationType="RequestResponse")
    late = workload("late", "fn", {"process": "burst", "count": 1, "at": 900}, InvocationType="RequestResponse")
    sim = run(direct(fn, count=1, extra_workloads=[early, late], sim_s=1000))
    # t=0 cold; t=200 warm (idle 198.5 s < 300); t=900 cold again (idle ~698 s)
    assert metric(sim, "fn", "ColdStarts") == 2


def test_provisioned_concurrency_has_no_cold_start_and_counts_spillover():
    fn = fn_node("fn", 2.0, {"ProvisionedConcurrentExecutions": 5}, cold=COLD)
    sim = run(direct(fn, count=8))
    assert metric(sim, "fn", "ColdStarts") == 3
    assert metric(sim, "fn", "ProvisionedConcurrencyInvocations") == 5
    assert metric(sim, "fn", "ProvisionedConcurrencySpilloverInvocations") == 3


def test_provisioned_concurrency_is_billed_for_allocated_time_in_5_minute_blocks():
    fn = fn_node("fn", 1.0, {"ProvisionedConcurrentExecutions": 2, "MemorySize": 2048})
    sim = run(direct(fn, count=1, sim_s=400))
    items = sim.cost()["items"]["fn"]
    # 400 s rounds up to 600 s; 2 environments × 2 GB × 600 s × $0.0000041667
    assert items["provisioned_concurrency"] == pytest.approx(2 * 2 * 600 * 0.0000041667)
    assert items["provisioned_duration"] == pytest.approx(1.0 * 2 * 0.0000097222)
    assert items["duration"] == 0


@pytest.mark.parametrize("sim_s, billed_s", [(60, 300), (300, 300), (301, 600), (900, 900)])
def test_provisioned_concurrency_billing_rounds_up_to_whole_5_minute_blocks(sim_s, billed_s):
    """Provisioned concurrency is billed for the time it is configured, rounded up to the nearest
    5 minutes (AWS Lambda pricing page, "Provisioned Concurrency"), however little it is used."""
    fn = fn_node("fn", 1.0, {"ProvisionedConcurrentExecutions": 3, "MemorySize": 1024})
    sim = run(direct(fn, count=0, sim_s=sim_s))
    assert sim.cost()["items"]["fn"]["provisioned_concurrency"] == pytest.approx(3 * 1 * billed_s * 0.0000041667)


def test_provisioned_concurrency_of_unreserved_function_is_claimed_from_the_pool():
    pc = fn_node("pc", 1.0, {"ProvisionedConcurrentExecutions": 100})
    other = fn_node("other", 2.0)
    w = workload("w2", "other", {"process": "burst", "count": 500, "at": 0}, InvocationType="RequestResponse")
    sim = run(scenario([pc, other], [], [w], account={"ConcurrentExecutions": 400}))
    assert metric(sim, "other", "Invocations") == 300


def test_scaling_tokens_refill_continuously():
    fn = fn_node("fn", 100.0, {"Timeout": 900})
    sim = run(direct(fn, count=1500, spread=2.0, sim_s=10, account={"ConcurrentExecutions": 5000}))
    # 1,000 at once, then 100/s refill over the 2 s spread: about 1,200 started
    inv = metric(sim, "fn", "Invocations")
    assert 1150 <= inv <= 1210
    assert ("fn", "throttle", "scaling rate") in sim.why


def test_account_scaling_rate_setting_is_honoured():
    fn = fn_node("fn", 100.0, {"Timeout": 900})
    sim = run(direct(fn, count=600, sim_s=5, account={"ConcurrentExecutions": 5000, "ScalingRatePer10Seconds": 500}))
    assert metric(sim, "fn", "Invocations") == 500


def test_dependency_rejects_beyond_its_capacity_and_fails_the_invocation():
    fn = fn_node("fn", 1.0, {"Timeout": 30})
    db = node("db", "Dependency", behavior={"MaxConcurrentRequests": 3, "Latency": {"dist": "const", "value": 0.5}})
    w = workload("w", "fn", {"process": "burst", "count": 5, "at": 0}, InvocationType="RequestResponse")
    sim = run(scenario([fn, db], [edge("fn", "db", "calls")], [w]))
    assert metric(sim, "db", "Rejected") == 2
    assert metric(sim, "db", "ConcurrentRequests", "max") == 3
    assert metric(sim, "fn", "Errors") == 2
    assert metric(sim, "fn", "Duration", "max") == pytest.approx(1.5)
    assert sim.acct.failed_to_caller == 2 and sim.acct.succeeded == 3


def test_emits_creates_new_instances_downstream():
    fn = fn_node("fn", 0.1)
    q = node("out", "SQSQueue")
    w = workload("w", "fn", {"process": "burst", "count": 10, "at": 0}, InvocationType="RequestResponse")
    sim = run(scenario([fn, q], [edge("fn", "out", "emits", {"PerInvocation": 3})], [w]))
    assert metric(sim, "out", "NumberOfMessagesSent") == 30
    assert sim.acct.created == 40 and sim.acct.pending == 30


def test_recursive_loop_is_stopped_after_16_hops():
    fn = fn_node("fn", 0.1)
    topic = node("topic", "SNSTopic")
    w = workload("w", "topic", {"process": "burst", "count": 1, "at": 0})
    sim = run(scenario([fn, topic], [edge("topic", "fn", "invoke"), edge("fn", "topic", "emits")], [w]))
    assert metric(sim, "fn", "Invocations") == 16
    assert metric(sim, "fn", "RecursiveInvocationsDropped") == 1
    assert sim.acct.dropped_by_reason == {"recursive_loop": 1}
