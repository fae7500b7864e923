"""Fidelity against queueing theory.

ApiGateway → Function with Poisson arrivals, exponential durations, no cold starts and
reserved concurrency c is an M/M/c/c loss system: the throttled share must match the
Erlang B formula, and average concurrency must obey Little's law.
"""

import pytest

from core.engine.simulation import Simulation
from tests.helpers import edge, node, scenario, workload


def erlang_b(c: int, a: float) -> float:
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def loss_system(c: int, load: float, duration: float, seed: int = 1, mean: float = 1.0) -> dict:
    sc = scenario(
        [node("api", "ApiGateway"),
         node("fn", "Function", {"ReservedConcurrentExecutions": c, "Timeout": 900},
              {"Duration": {"dist": "exp", "mean": mean}, "ColdStart": None})],
        [edge("api", "fn", "invoke")],
        [workload("w", "api", {"process": "poisson", "rate": load * c / mean})],
        duration=duration, seed=seed, period=60, account={"ConcurrentExecutions": 10000})
    return Simulation(sc).run().summary()["nodes"]["fn"]["metrics"]


# Durations are long enough for the estimate's own noise to sit well inside 3 %.
CASES = [
    (10, 0.8, 40_000), (10, 1.2, 10_000),
    (50, 0.8, 40_000), (50, 1.2, 4_000),
    (200, 1.2, 1_500),
]


@pytest.mark.parametrize(("c", "load", "duration"), CASES)
def test_throttled_share_matches_erlang_b(c, load, duration):
    m = loss_system(c, load, duration)
    inv, thr = m["Invocations"]["sum"], m["Throttles"]["sum"]
    expected = erlang_b(c, load * c)
    assert thr / (inv + thr) == pytest.approx(expected, rel=0.03)


@pytest.mark.slow
def test_throttled_share_matches_erlang_b_for_200_at_light_load():
    # B(200, 160) = 0.00028: rare blocking needs tens of millions of arrivals.
    m = loss_system(200, 0.8, 120_000, mean=1.0)
    inv, thr = m["Invocations"]["sum"], m["Throttles"]["sum"]
    assert thr / (inv + thr) == pytest.approx(erlang_b(200, 160.0), rel=0.03)


@pytest.mark.parametrize(("c", "load"), [(10, 0.8), (50, 1.2), (200, 0.8)])
def test_average_concurrency_obeys_littles_law(c, load):
    duration = 2_000
    m = loss_system(c, load, duration, seed=3)
    rate = m["Invocations"]["sum"] / duration
    assert m["ConcurrentExecutions"]["avg"] == pytest.approx(rate * m["Duration"]["avg"], rel=0.02)
    assert m["ConcurrentExecutions"]["max"] <= c
