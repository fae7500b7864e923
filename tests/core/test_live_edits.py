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
