"""Metric buffers: per-period distribution stats, run-wide percentiles (exact, then histogram)."""

from __future__ import annotations

import numpy as np
import pytest

from core.engine import metrics
from core.engine.metrics import NodeMetrics


def _periods(seed: int, n_periods: int, per: int) -> list[list[float]]:
    rng = np.random.default_rng(seed)
    return [rng.lognormal(-1.5, 0.8, per).tolist() for _ in range(n_periods)]


def test_a_period_reports_numpy_statistics():
    m = NodeMetrics("fn", "Function", 3)
    values = _periods(1, 1, 1001)[0]
    m.dist("Duration", 1, values)
    a = np.asarray(values)
    assert m.series("Duration", "avg")[1] == pytest.approx(a.mean(), rel=1e-12)
    for stat, q in (("p50", 50), ("p90", 90), ("p99", 99)):
        assert m.series("Duration", stat)[1] == pytest.approx(np.percentile(a, q), rel=1e-12)
    assert m.series("Duration", "max")[1] == a.max()
    assert m.series("Duration", "count")[1] == 1001
    assert m.series("Duration", "count")[0] == 0  # periods without samples stay empty


def test_counters_left_at_zero_read_as_zero():
    m = NodeMetrics("fn", "Function", 4)
    m.counter("Invocations", 0, 5)
    m.counter("Invocations", 1, 0)
    m.counter("Invocations", 3, 2)
    assert m.series("Invocations", "sum").tolist() == [5, 0, 0, 2]


def test_run_wide_percentiles_are_exact_below_the_limit(monkeypatch):
    monkeypatch.setattr(metrics, "EXACT_LIMIT", 10_000)
    m = NodeMetrics("fn", "Function", 20)
    periods = _periods(2, 8, 1000)
    for k, v in enumerate(periods):
        m.dist("Duration", k, v)
    s = m.summary(8, np.ones(8))["Duration"]
    a = np.concatenate(periods)
    assert s["count"] == 8000
    assert s["p99"] == pytest.approx(np.percentile(a, 99), rel=1e-12)
    assert s["avg"] == pytest.approx(a.mean(), rel=1e-12)


@pytest.mark.parametrize("batch", [1, 2_500, 10**9])
def test_histogram_percentiles_do_not_depend_on_how_samples_are_batched(monkeypatch, batch):
    """Past EXACT_LIMIT samples are histogrammed in batches (HIST_BATCH); any batching,
    including samples still held at the end, gives the same run-wide percentiles, within the
    histogram's 0.1 % bin width of the exact ones."""
    monkeypatch.setattr(metrics, "EXACT_LIMIT", 3_000)
    periods = _periods(3, 30, 700)
    monkeypatch.setattr(metrics, "HIST_BATCH", 1)
    ref = NodeMetrics("fn", "Function", 30)
    for k, v in enumerate(periods):
        ref.dist("Duration", k, v)
    expect = ref.summary(30, np.ones(30))["Duration"]
    monkeypatch.setattr(metrics, "HIST_BATCH", batch)
    m = NodeMetrics("fn", "Function", 30)
    for k, v in enumerate(periods):
        m.dist("Duration", k, v)
    got = m.summary(30, np.ones(30))["Duration"]
    assert got == expect
    a = np.concatenate(periods)
    for stat, q in (("p50", 50), ("p90", 90), ("p99", 99)):
        assert got[stat] == pytest.approx(np.percentile(a, q), rel=2e-3)
    assert got["count"] == len(a)
    assert got["max"] == a.max()
