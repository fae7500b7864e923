"""Stepping a run in slices and editing it while paused (what the app's live view relies on)."""

import pytest

from core import model
from core.engine.simulation import Simulation
from tests.helpers import edge, fn_node, node, scenario, workload


def backlog_flow():
    return scenario(
        [node("q", "SQSQueue", {"VisibilityTimeout": 60}), node("esm", "EventSourceMapping", {"BatchSize": 10}),
         fn_node("fn", 1.0, {"Timeout": 10, "ReservedConcurrentExecutions": 5})],
        [edge("q", "esm", "poll"), edge("esm", "fn", "poll")],
        [workload("w", "q", {"process": "poisson", "rate": 100})], duration=600, period=10)


def test_slices_give_the_same_result_as_one_run():
    a = Simulation(backlog_flow()).run().summary()
    sim = Simulation(backlog_flow())
    while not sim.finished:
        sim.advance_for(0.005)
    b = sim.summary()
    for s in (a, b):
        s["engine"].pop("wall_s")
    assert a == b


def test_raising_reserved_concurrency_mid_run_drains_the_backlog_from_that_moment():
    base = Simulation(backlog_flow())
    base.advance(300)
    edited = Simulation(backlog_flow())
    edited.advance(300)
    assert edited.series("q", "ApproximateNumberOfMessagesVisible", "avg").tolist() == \
        base.series("q", "ApproximateNumberOfMessagesVisible", "avg").tolist()
    new = model.apply_set(edited.scenario, "fn.properties.ReservedConcurrentExecutions", 200)
    edited.update(new, "reserved 5 → 200")
    base.run()
    edited.run()
    assert edited.marks == [(300.0, "reserved 5 → 200")]
    vis_base = base.series("q", "ApproximateNumberOfMessagesVisible", "avg")
    vis_edit = edited.series("q", "ApproximateNumberOfMessagesVisible", "avg")
    assert vis_edit[:30].tolist() == vis_base[:30].tolist()  # identical before the edit
    assert vis_base[-1] > 10_000 and vis_edit[-1] < 100  # drained after it


def test_graph_changes_need_a_reset():
    sim = Simulation(backlog_flow())
    sim.advance(10)
    d = sim.scenario.to_dict()
    d["nodes"].append({"id": "extra", "kind": "SQSQueue"})
    with pytest.raises(ValueError, match="reset"):
        sim.update(model.from_dict(d))


def test_outcome_and_cost_series_for_live_charts():
    sim = Simulation(backlog_flow(), track_cost=True)
    sim.advance(100)
    assert sim.k == 10
    assert sim.outcome_series("succeeded").sum() == sim.acct.succeeded  # advanced to a period boundary
    assert sim.outcome_series("created", cumulative=True)[-1] == sim.acct.created
    cost = sim.cost_series()
    assert (cost[1:] >= cost[:-1]).all() and cost[-1] > 0


def test_traffic_edits_apply_from_the_current_time():
    sim = Simulation(backlog_flow())
    sim.advance(100)
    created_before = sim.acct.created
    sim.update(model.apply_set(sim.scenario, "w.arrivals.rate", 10), "rate 100 → 10")
    sim.advance(200)
    per_period = sim.outcome_series("created")
    assert per_period[:10].mean() == pytest.approx(1000, rel=0.1)  # 100/s × 10 s periods
    assert per_period[10:20].mean() == pytest.approx(100, rel=0.2)
    assert sim.acct.created - created_before == pytest.approx(1000, rel=0.15)


def test_filter_policy_edits_apply_from_the_current_time():
    from tests.helpers import run as _run  # noqa: F401

    sc = scenario([node("t", "SNSTopic"), fn_node("a", 0.01)],
                  [edge("t", "a", "invoke", {"FilterPolicy": {"k": ["x"]}})],
                  [workload("w", "t", {"process": "constant", "rate": 10},
                            [{"payload": {"Message": "m", "MessageAttributes": {"k": "y"}}}])], duration=60, period=10)
    sim = Simulation(sc)
    sim.advance(30)
    assert sim.acct.filtered == sim.acct.created
    d = sim.scenario.to_dict()
    d["edges"][0]["properties"]["FilterPolicy"] = {"k": ["y"]}
    sim.update(model.from_dict(d), "filter")
    sim.run()
    assert sim.acct.filtered == pytest.approx(300, abs=1)
    assert sim.acct.succeeded == pytest.approx(300, abs=2)


@pytest.mark.parametrize("pause", [40.0, 40.965, 41.0])
def test_duration_edit_keeps_the_invocations_and_billing_so_far(pause):
    # Functions count and bill invocations from their chunk of duration draws (4,096 per
    # chunk); an edit that replaces the chunk must keep what was handed out, including at
    # the moment the chunk has just run out (the 4,096th arrival is at 40.96 s).
    def flow():
        return scenario([node("api", "ApiGateway"), fn_node("fn", 0.05)], [edge("api", "fn", "invoke")],
                        [workload("w", "api", {"process": "constant", "rate": 100})], duration=60, period=10)

    sim = Simulation(flow())
    sim.advance(pause)
    sim.update(model.apply_set(sim.scenario, "fn.behavior.Duration", {"dist": "const", "value": 0.2}), "slower")
    sim.run()
    s = sim.summary()
    assert s["nodes"]["fn"]["metrics"]["Invocations"]["sum"] == s["accounting"]["created"] == 5999  # none throttled
    n_before = sum(1 for i in range(1, 6001) if i / 100 < pause)
    billed_ms = n_before * 50 + (s["accounting"]["created"] - n_before) * 200
    assert sim.components["fn"].billed_ms_od() == billed_ms
