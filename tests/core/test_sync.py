"""Synchronous invocation through API Gateway (reference §1.1, scenarios 5 and 6)."""

import pytest

from tests.helpers import edge, fn_node, journey_steps, metric, node, run, scenario, workload


def api_flow(fn_props=None, api_props=None, duration=0.1, arrivals=None, events=None, sim_s=60, account=None, **fnb):
    nodes = [node("api", "ApiGateway", api_props or {}), fn_node("fn", duration, fn_props, **fnb)]
    w = workload("w", "api", arrivals or {"process": "burst", "count": 1, "at": 0}, events)
    return scenario(nodes, [edge("api", "fn", "invoke")], [w], duration=sim_s, account=account)


def test_success_answers_200_with_latency_of_the_invocation():
    sim = run(api_flow(duration=0.25))
    m = sim.summary()["nodes"]["api"]["metrics"]
    assert m["Count"]["sum"] == 1 and m["5XXError"]["sum"] == 0
    assert m["Latency"]["max"] == pytest.approx(0.25)
    assert sim.acct.succeeded == 1


def test_function_error_is_a_502_and_never_retried():
    sim = run(api_flow(events=[{"poison": True}]))
    assert metric(sim, "api", "5XXError") == 1
    assert metric(sim, "fn", "Invocations") == 1
    assert sim.acct.failed_to_caller == 1
    assert any("502" in w for _, _, w in journey_steps(sim))


def test_lambda_throttle_is_an_immediate_500():
    sim = run(api_flow({"ReservedConcurrentExecutions": 1, "Timeout": 10}, duration=5.0,
                       arrivals={"process": "burst", "count": 3, "at": 0}))
    assert metric(sim, "fn", "Throttles") == 2
    assert metric(sim, "api", "5XXError") == 2
    assert sim.acct.failed_to_caller == 2 and sim.acct.succeeded == 1


def test_integration_timeout_answers_504_while_the_function_runs_on_and_is_billed():
    # Canonical scenario 6: REST API 29 s; function runs 40 s (Timeout 60).
    sim = run(api_flow({"Timeout": 60, "MemorySize": 1024}, duration=40.0, sim_s=100))
    steps = journey_steps(sim)
    t504 = [t for t, _, w in steps if w.startswith("504")]
    assert t504 == [pytest.approx(29.0)]
    assert metric(sim, "api", "5XXError") == 1
    assert sim.summary()["nodes"]["api"]["metrics"]["Latency"]["max"] == pytest.approx(29.0)
    assert metric(sim, "fn", "Duration", "max") == pytest.approx(40.0)
    items = sim.cost()["items"]["fn"]
    assert items["duration"] == pytest.approx(40.0 * 1.0 * 0.0000166667)


def test_http_api_default_integration_timeout_is_30_seconds():
    sim = run(api_flow({"Timeout": 60}, {"Type": "HTTP"}, duration=40.0, sim_s=100))
    assert sim.summary()["nodes"]["api"]["metrics"]["Latency"]["max"] == pytest.approx(30.0)


def test_function_timeout_is_an_error_billed_to_the_timeout():
    sim = run(api_flow({"Timeout": 2}, duration=5.0))
    assert metric(sim, "fn", "Errors") == 1
    assert metric(sim, "fn", "Duration", "max") == pytest.approx(2.0)
    assert sim.cost()["items"]["fn"]["duration"] == pytest.approx(2.0 * 0.125 * 0.0000166667)
    assert ("fn", "error", "timeout") in sim.why


def test_stage_throttle_answers_429_before_lambda():
    sim = run(api_flow(api_props={"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 5},
                       arrivals={"process": "burst", "count": 20, "at": 0}))
    assert metric(sim, "api", "4XXError") == 15
    assert metric(sim, "fn", "Invocations") == 5


def test_stage_throttle_keeps_accepting_its_rate_under_sustained_load():
    """API Gateway throttles with a token bucket: BurstLimit tokens at first, refilled at RateLimit per
    second (API Gateway Developer Guide, "Throttle requests to your REST APIs"). 20 rps for 60 s
    against RateLimit 10 / BurstLimit 5 accepts 5 + 10 x 59.9 = 604 and answers the rest 429."""
    sim = run(api_flow(api_props={"ThrottlingRateLimit": 10, "ThrottlingBurstLimit": 5}, duration=0.01,
                       arrivals={"process": "constant", "rate": 20, "end": 60}, sim_s=70))
    count, rejected = metric(sim, "api", "Count"), metric(sim, "api", "4XXError")
    assert count == 1199
    assert count - rejected == pytest.approx(604, abs=1)
    per_s = sim.series("fn", "Invocations", "sum")
    assert per_s[0] == pytest.approx(15, abs=1)  # the burst plus the first second's refill
    assert all(9 <= x <= 11 for x in per_s[1:60]) and per_s[1:60].sum() == pytest.approx(590, abs=1)


def test_burst_on_a_cold_function_is_limited_by_the_scaling_rate():
    # Canonical scenario 5: 5,000 simultaneous long requests, account 10,000, no reserved:
    # 1,000 environments at once, then 100 more per second.
    sim = run(api_flow({"Timeout": 900}, duration=600.0, account={"ConcurrentExecutions": 10000},
                       arrivals={"process": "burst", "count": 5000, "at": 0}, sim_s=1))
    assert metric(sim, "fn", "Invocations") == 1000
    assert metric(sim, "fn", "Throttles") == 4000
    assert metric(sim, "api", "5XXError") == 4000


def test_persistent_load_reaches_full_concurrency_after_scaling():
    arrivals = {"process": "constant", "rate": 1000}
    sim = run(api_flow({"Timeout": 900}, duration=5.0, account={"ConcurrentExecutions": 10000},
                       arrivals=arrivals, sim_s=60))
    conc = sim.series("fn", "ConcurrentExecutions", "max")
    # 5,000 needed (1,000/s × 5 s). Lambda's scaling rate (since 2023): 1,000 environments at once,
    # then 1,000 more every 10 s, i.e. +100/s (AWS Lambda Developer Guide, "Lambda scaling
    # behavior"). No period may go past that line, and the deterministic flow (constant arrivals,
    # constant duration) reaches 5,000 in the period starting at 45 s.
    for k, c in enumerate(conc):
        assert c <= 1000 + 100 * (k + 1), (k, c)
    assert conc[0] == 999 and conc[1] == 1199  # the first 1,000 at once, then the rate
    first_full = int((conc >= 5000).argmax())
    assert first_full == 45
