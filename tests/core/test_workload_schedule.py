"""Traffic generation and schedule expressions."""

from datetime import UTC, datetime

import numpy as np
import pytest

from core.schedule import ScheduleError, parse_schedule
from tests.helpers import fn_node, run, scenario, workload


def arrivals(arr, sim_s=100, events=None, tmp=None):
    w = workload("w", "fn", arr, events, InvocationType="RequestResponse")
    sim = run(scenario([fn_node("fn", 0.001)], [], [w], duration=sim_s, period=1,
                       account={"ConcurrentExecutions": 100000}))
    return sim


def test_poisson_rate_and_interarrival_distribution():
    sim = arrivals({"process": "poisson", "rate": 50}, sim_s=2000)
    n = sim.acct.created
    assert n == pytest.approx(100_000, rel=0.01)
    per_s = sim.outcome_series("created")
    # Poisson counts: variance ≈ mean
    assert per_s.var() == pytest.approx(per_s.mean(), rel=0.1)


def test_constant_rate_is_evenly_spaced():
    sim = arrivals({"process": "constant", "rate": 4}, sim_s=10)
    assert sim.acct.created == 39  # 0.25 … 9.75
    assert set(sim.outcome_series("created")[1:]) == {4.0}


def test_step_profile_changes_rate():
    sim = arrivals({"process": "constant", "profile": [[0, 10], [50, 100]], "interpolate": "step"}, sim_s=100)
    per_s = sim.outcome_series("created")
    assert per_s[10:49].mean() == pytest.approx(10)
    assert per_s[51:99].mean() == pytest.approx(100)


def test_linear_profile_ramps():
    sim = arrivals({"process": "constant", "profile": [[0, 0], [100, 200]], "interpolate": "linear"}, sim_s=100)
    assert sim.acct.created == pytest.approx(10_000, abs=2)
    per_s = sim.outcome_series("created")
    assert per_s[25] == pytest.approx(51, abs=2) and per_s[75] == pytest.approx(151, abs=2)


def test_burst_and_spread():
    sim = arrivals({"process": "burst", "count": 100, "at": 5, "spread": 10}, sim_s=20)
    per_s = sim.outcome_series("created")
    assert per_s[:5].sum() == 0 and per_s[5:15].sum() == 100


def test_replay_reads_csv_timestamps(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("t\n1.5\n2.5\n2.5\n9\n")
    sim = arrivals({"process": "replay", "file": str(f)}, sim_s=10)
    assert sim.acct.created == 4
    assert list(sim.outcome_series("created")[[1, 2, 9]]) == [1.0, 2.0, 1.0]


def test_start_and_end_window_the_traffic():
    sim = arrivals({"process": "constant", "rate": 10, "start": 20, "end": 30}, sim_s=60)
    per_s = sim.outcome_series("created")
    assert per_s[:20].sum() == 0 and per_s[30:].sum() == 0
    assert sim.acct.created == pytest.approx(100, abs=1)


def test_weighted_payload_templates():
    events = [{"weight": 3, "payload": {"a": 1}}, {"weight": 1, "payload": {"b": 1}, "poison": True}]
    sim = arrivals({"process": "poisson", "rate": 100}, sim_s=200, events=events)
    share = sim.acct.failed_to_caller / sim.acct.created
    assert share == pytest.approx(0.25, abs=0.01)


@pytest.mark.parametrize(("expr", "period"), [("rate(1 minute)", 60), ("rate(5 minutes)", 300),
                                               ("rate(1 hour)", 3600), ("rate(2 days)", 172800)])
def test_rate_expressions(expr, period):
    assert parse_schedule(expr).period == period


START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize(("expr", "after", "expected"), [
    ("cron(0 10 * * ? *)", 0, 10 * 3600),
    ("cron(15 10 ? * MON-FRI *)", 11 * 3600, 86400 + 10 * 3600 + 900),
    ("cron(0/15 * * * ? *)", 0, 900),
    ("cron(0 18 ? * SAT *)", 0, 5 * 86400 + 18 * 3600),
    ("cron(0 8 1 * ? *)", 0, (27 * 86400) + 8 * 3600),  # Feb 1
    ("cron(0 0 L * ? *)", 0, 26 * 86400),  # Jan 31
    ("cron(0 12 ? * 6#2 *)", 0, 4 * 86400 + 12 * 3600),  # second Friday of Jan 2026: the 9th
])
def test_cron_expressions(expr, after, expected):
    assert parse_schedule(expr).next_after(after, START) == expected


@pytest.mark.parametrize("expr", ["rate(0 minutes)", "rate(5 minute)", "rate(1 minutes)", "cron(0 10 * * * *)",
                                  "cron(0 10 * *)", "cron(61 * * * ? *)", "every 5 minutes", 5])
def test_invalid_schedule_expressions_are_rejected(expr):
    with pytest.raises(ScheduleError):
        parse_schedule(expr)


def test_metric_periods_are_the_requested_length():
    sim = arrivals({"process": "constant", "rate": 10}, sim_s=25)
    assert len(sim.times()) == 25
    assert np.allclose(np.diff(sim.times()), 1.0)
