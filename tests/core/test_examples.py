"""Every bundled example is valid, described, and runs with the accounting identity intact."""

import json
import pathlib

import pytest

from core import model, validate
from core.engine.simulation import Simulation

EXAMPLES = sorted((pathlib.Path(__file__).resolve().parents[2] / "assets" / "examples").glob("*.json"))


def test_the_issue_examples_are_bundled():
    names = {p.stem for p in EXAMPLES}
    assert {"s3-upload-dlq", "api-burst-throttle", "eventbridge-schedule", "sns-fanout-filter",
            "dependency-overload", "sqs-poison-redrive", "sqs-backlog-ramp", "kinesis-poison-blocking",
            "kinesis-bisect-onfailure", "sqs-filter-cost"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_is_valid_and_runs(path):
    sc = model.load(path)
    assert validate.errors(sc) == []
    assert json.loads(path.read_text())["description"]
    # a shortened run keeps the suite fast; the identity must hold at any stop
    sim = Simulation(sc, duration=min(sc.simulation.DurationSeconds, 90)).run()
    a = sim.acct
    assert a.created > 0
    assert a.created == a.finished + a.pending
    assert sim.audit() == a.pending


def test_scheduled_example_fires_every_minute_and_the_nightly_cron():
    sim = Simulation(model.load(next(p for p in EXAMPLES if p.stem == "eventbridge-schedule"))).run()
    s = sim.summary()["nodes"]
    assert s["every-minute"]["metrics"]["MatchedEvents"]["sum"] == 59  # 60 s … 3540 s
    assert s["nightly"]["metrics"]["MatchedEvents"]["sum"] == 1  # 00:30 UTC
