"""The pieces under the live run, without a window: what each chart plots, how lines are
thinned for the screen, how flows are measured, and the run controller's state machine."""

from __future__ import annotations

import numpy as np
import pytest

from core.engine.simulation import Simulation
from gui.run.controller import RunController, RunState
from gui.run.curve import breakpoints, peak_decimate, visible_slice
from gui.run.dashboard import nice_ceiling
from gui.run.series import (
    Topology,
    charts_for,
    edge_counter,
    fmt_age,
    fmt_clock,
    fmt_count,
    fmt_rate,
)
from tests.helpers import edge, node, scenario, workload


def pipeline(**kw):
    return scenario(
        [node("q", "SQSQueue", {"RedrivePolicy": {"maxReceiveCount": 2}}), node("m", "EventSourceMapping"),
         node("f", "Function", {"ReservedConcurrentExecutions": 4}), node("dlq", "SQSQueue"),
         node("s", "KinesisStream"), node("k", "EventSourceMapping"), node("g", "Function")],
        [edge("q", "m", "poll"), edge("m", "f", "poll"), edge("q", "dlq", "redrive"),
         edge("s", "k", "poll"), edge("k", "g", "poll")],
        [workload("w", "q", {"process": "poisson", "rate": 30}),
         workload("c", "s", {"process": "poisson", "rate": 10})], **kw)


# --- drawing helpers ------------------------------------------------------------------------------


def test_peak_decimation_keeps_every_bins_extremes():
    x = np.arange(10_000.0)
    y = np.sin(x / 50.0)
    y[4321] = 9.0  # a one-period spike must survive thinning
    xs, ys = peak_decimate(x, y, 400)
    assert xs.size <= 402
    assert ys.max() == 9.0 and ys.min() == pytest.approx(-1.0, abs=1e-3)
    assert np.all(np.diff(xs) >= 0)


def test_decimation_leaves_short_series_alone_and_keeps_gaps():
    x = np.arange(6.0)
    y = np.array([1.0, np.nan, 2.0, 3.0, np.nan, 4.0])
    xs, ys = peak_decimate(x, y, 400)
    assert xs is x and ys is y
    xs, ys = peak_decimate(np.arange(1000.0), np.full(1000, np.nan), 100)
    assert np.isnan(ys).all()


def test_a_limit_line_is_drawn_from_its_breakpoints():
    x = np.arange(8.0)
    y = np.array([np.nan, np.nan, 5, 5, 5, 50, 50, 50])
    xs, ys = breakpoints(x, y)
    assert xs.tolist() == [0, 1, 2, 4, 5, 7]
    assert ys[2:].tolist() == [5, 5, 50, 50] and np.isnan(ys[:2]).all()


def test_visible_slice_keeps_one_point_beyond_each_edge():
    x = np.arange(100.0)
    s = visible_slice(x, 10.5, 20.5)
    assert (s.start, s.stop) == (10, 22)
    assert visible_slice(np.zeros(0), 0, 1) == slice(0, 0)


@pytest.mark.parametrize("v, top", [(0, 1), (0.7, 1), (1, 1), (1.01, 2), (3.2, 5), (7, 10), (1234, 2000)])
def test_chart_tops_are_round_numbers(v, top):
    assert nice_ceiling(v) == top


def test_numbers_are_short_and_steady():
    assert [fmt_count(v) for v in (7, 12.5, 999, 1234, 45_678, 2_500_000)] == \
        ["7", "12.5", "999", "1.2k", "46k", "2.5M"]
    assert [fmt_rate(v) for v in (0.04, 0.5, 12.3, 123, 12_345)] == ["0.04", "0.5", "12", "120", "12k"]
    assert [fmt_age(v) for v in (0.25, 45.6, 199, 7200)] == ["250 ms", "46 s", "3.3 min", "2 h"]
    assert [fmt_clock(v) for v in (0, 65, 3725)] == ["0:00", "1:05", "1:02:05"]


# --- what the charts show ----------------------------------------------------------------------------


def test_charts_follow_the_design():
    sim = Simulation(pipeline(duration=20), track_cost=True)
    topo = Topology.of(sim)
    assert topo.queues == ["q"] and topo.dlqs == ["dlq"] and topo.streams_esms == ["k"]
    keys = [c.key for c in charts_for(sim)]
    assert keys == ["throughput", "concurrency", "throttles", "backlog", "age", "iterator", "duration",
                    "dlq", "cost"]
    no_queues = scenario([node("api", "ApiGateway"), node("fn", "Function")], [edge("api", "fn", "invoke")],
                         [workload("u", "api", {"process": "constant", "rate": 5})], duration=10)
    keys = [c.key for c in charts_for(Simulation(no_queues))]
    assert keys == ["throughput", "concurrency", "throttles", "duration"]


def test_outcome_rates_add_up_to_the_accounting():
    sim = Simulation(pipeline(duration=40), track_cost=True)
    sim.advance(40)
    charts = {c.key: c for c in charts_for(sim)}
    tracks = {t.key: t for t in charts["throughput"].tracks}
    for key, outcome in (("succeeded", "succeeded"), ("dead-lettered", "dead_lettered"), ("created", "created")):
        assert tracks[key].update(sim).sum() == pytest.approx(getattr(sim.acct, outcome))
    conc = {t.key: t for t in charts["concurrency"].tracks}
    assert set(conc["f.reserved"].update(sim)) == {4.0}
    assert np.isnan(conc["g.reserved"].update(sim)).all()  # no reserved concurrency: no line


def test_tracks_fill_incrementally():
    sim = Simulation(pipeline(duration=30))
    track = next(t for c in charts_for(sim) for t in c.tracks if t.key == "succeeded")
    sim.advance(10)
    first = track.update(sim).copy()
    sim.advance(30)
    again = track.update(sim)
    assert track.k == 30 and again.size == 30 and np.array_equal(again[:10], first)


def test_each_edge_is_measured_where_its_events_are_counted():
    sim = Simulation(pipeline(duration=5))
    assert edge_counter(sim, "q", "m", "poll") == ("m", "PolledEventCount", 1)
    assert edge_counter(sim, "m", "f", "poll") == ("m", "InvokedEventCount", 1)
    assert edge_counter(sim, "q", "dlq", "redrive") == ("dlq", "NumberOfMessagesSent", 1)


# --- the controller -----------------------------------------------------------------------------------


def test_moving_a_node_mid_run_is_not_an_edit(qtbot):
    sc = pipeline(duration=30)
    current = {"sc": sc}
    c = RunController(lambda: current["sc"].model_copy(deep=True))
    c.run_for(5)
    moved = sc.model_copy(deep=True)
    moved.nodes[0].position = (400.0, 300.0)
    current["sc"] = moved
    c.design_changed("Move q")
    assert c.sim.marks == [] and c.stale == "" and c.sim.now == 5


def test_a_design_with_problems_cannot_run_and_says_why(qtbot):
    bad = scenario([node("m", "EventSourceMapping")], duration=10)
    c = RunController(lambda: bad)
    assert c.sim is None and c.problems and not c.can_run()
    with qtbot.waitSignal(c.notice):
        c.run()
    assert c.state == RunState.READY


def test_slices_stop_at_the_step_boundary(qtbot):
    c = RunController(lambda: pipeline(duration=10, period=2.0))
    c.step()
    qtbot.waitUntil(lambda: c.state == RunState.PAUSED, timeout=10_000)
    assert c.sim.now == 2.0 and c.sim.k == 1
    c.run_to_end()
    assert c.state == RunState.FINISHED and c.sim.finished
