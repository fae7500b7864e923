"""Asynchronous invocation rules (reference §1.2, canonical scenarios 1–4)."""

from itertools import pairwise

import pytest

from tests.helpers import edge, fn_node, journey_steps, metric, node, run, scenario, workload


def async_flow(fn_props=None, duration=0.5, poison=True, sinks=("dlq",), count=1, sim_s=900, **fnb):
    nodes = [node("bucket", "S3Bucket"), fn_node("fn", duration, fn_props, **fnb)]
    edges = [edge("bucket", "fn", "invoke")]
    for role in sinks:
        nodes.append(node(f"{role}-q", "SQSQueue"))
        edges.append(edge("fn", f"{role}-q", role))
    w = workload("w", "bucket", {"process": "burst", "count": count, "at": 0},
                 [{"payload": {"key": "a.jpg"}, "poison": poison}])
    return scenario(nodes, edges, [w], duration=sim_s)


def invoke_times(sim):
    return [t for t, n, w in journey_steps(sim) if w.startswith("invoked")]


def test_always_failing_event_is_tried_three_times_then_dead_lettered():
    sim = run(async_flow())
    assert invoke_times(sim) == pytest.approx([0.0, 60.5, 181.0])
    assert metric(sim, "fn", "Invocations") == 3
    assert metric(sim, "fn", "Errors") == 3
    assert metric(sim, "fn", "AsyncEventsReceived") == 1
    assert metric(sim, "fn", "AsyncEventsDropped") == 1
    assert metric(sim, "dlq-q", "NumberOfMessagesSent") == 1
    assert sim.acct.dead_lettered == 1 and sim.acct.pending == 0


def test_zero_retries_invokes_once_then_goes_to_the_failure_sink():
    sim = run(async_flow({"EventInvokeConfig": {"MaximumRetryAttempts": 0}}))
    assert metric(sim, "fn", "Invocations") == 1
    assert metric(sim, "dlq-q", "NumberOfMessagesSent") == 1


def test_one_retry_setting_gives_two_attempts_a_minute_apart():
    sim = run(async_flow({"EventInvokeConfig": {"MaximumRetryAttempts": 1}}))
    assert invoke_times(sim) == pytest.approx([0.0, 60.5])


def test_reserved_concurrency_zero_sends_straight_to_dlq_without_invoking():
    sim = run(async_flow({"ReservedConcurrentExecutions": 0}, poison=False))
    assert metric(sim, "fn", "Invocations") == 0
    assert metric(sim, "fn", "AsyncEventsDropped") == 1
    assert metric(sim, "dlq-q", "NumberOfMessagesSent") == 1
    assert sim.acct.dead_lettered == 1


def test_failed_event_without_sinks_is_dropped_with_reason():
    sim = run(async_flow(sinks=()))
    assert sim.acct.dropped_by_reason == {"retries_exhausted": 1}


def test_dlq_and_on_failure_destination_both_receive_the_failure():
    sim = run(async_flow(sinks=("dlq", "on_failure")))
    assert metric(sim, "dlq-q", "NumberOfMessagesSent") == 1
    assert metric(sim, "on_failure-q", "NumberOfMessagesSent") == 1
    assert sim.acct.dead_lettered == 1


def test_on_success_destination_receives_successes_only():
    sc = async_flow(sinks=("on_success",), poison=False, count=5)
    sim = run(sc)
    assert metric(sim, "on_success-q", "NumberOfMessagesSent") == 5
    assert sim.acct.succeeded == 5


def test_fifo_destination_is_a_delivery_failure():
    sc = async_flow(sinks=("on_failure",))
    d = sc.to_dict()
    d["nodes"][2]["properties"] = {"FifoQueue": True}
    from core import model
    sim = run(model.from_dict(d))
    assert metric(sim, "fn", "DestinationDeliveryFailures") == 1
    assert sim.acct.dropped_by_reason == {"retries_exhausted": 1}


def always_throttled(max_age):
    """Two async events at t=0 on a function with reserved concurrency 1: the first holds it for 900 s,
    so the second is throttled until its MaximumEventAgeInSeconds, then dead-lettered."""
    nodes = [node("bucket", "S3Bucket"),
             fn_node("fn", 900, {"ReservedConcurrentExecutions": 1, "Timeout": 900,
                                  "EventInvokeConfig": {"MaximumEventAgeInSeconds": max_age}}),
             node("dlq-q", "SQSQueue")]
    edges = [edge("bucket", "fn", "invoke"), edge("fn", "dlq-q", "dlq")]
    w = workload("w", "bucket", {"process": "burst", "count": 2, "at": 0})
    return scenario(nodes, edges, [w], duration=1000)


def test_throttled_event_retries_with_backoff_until_max_event_age():
    # Canonical scenario 4 in small: the function is always throttled (reserved 1 held
    # by a long invocation), the second event waits out its MaximumEventAgeInSeconds.
    sim = run(always_throttled(max_age=600))
    thr = metric(sim, "fn", "Throttles")
    # backoff doubles from 1 s (jittered 50–100 %) and is capped at 300 s: about 10 tries in 600 s
    assert 6 <= thr <= 14
    assert sim.acct.dead_lettered == 1
    assert ("fn", "dead_letter", "max event age") in sim.why
    # throttles never used the retry count: the event was invoked zero times
    assert metric(sim, "fn", "Invocations") == 1


def test_throttle_retries_double_from_one_second_within_the_jitter_band_and_stop_growing_at_five_minutes():
    """Lambda retries a throttled asynchronous event with exponential back-off from about 1 s up to
    5 minutes, until MaximumEventAgeInSeconds (AWS Lambda Developer Guide, "How Lambda handles errors
    and retries with asynchronous invocation"). With full-to-half jitter, the k-th gap lies in
    [0.5, 1] x min(2^(k-1), 300) s."""
    sim = run(always_throttled(max_age=900), journey_every=1)
    steps = journey_steps(sim, 1)  # the second event: event 0 holds the only slot for 900 s
    tries = [t for t, _, w in steps if w.startswith("throttled")]
    gaps = [b - a for a, b in pairwise(tries)]
    assert len(gaps) >= 10
    for k, gap in enumerate(gaps, start=1):
        base = min(2.0 ** (k - 1), 300.0)
        assert 0.5 * base <= gap <= base, (k, gap)
    assert sum(1 for k in range(len(gaps)) if 2.0 ** k >= 300) >= 2  # the cap was reached and held
    assert [w for _, _, w in steps[-2:]] == ["maximum event age exceeded", "sent to DLQ dlq-q"]
    assert steps[-1][0] == pytest.approx(900.0)


def test_async_event_age_metric_grows_with_retries():
    sim = run(async_flow())
    age = sim.summary()["nodes"]["fn"]["metrics"]["AsyncEventAge"]
    assert age["max"] == pytest.approx(181.0)
    assert age["count"] == 3


def test_random_errors_retry_and_mostly_succeed():
    sc = async_flow(poison=False, count=2000, sinks=("dlq",), error_rate=0.2, sim_s=1200)
    sim = run(sc)
    # Two retries (Lambda's default MaximumRetryAttempts): P(all three attempts fail) = 0.2^3 = 0.8 %,
    # 16 ± 4 of 2,000 events
    assert 4 <= sim.acct.dead_lettered <= 28
    assert sim.acct.succeeded + sim.acct.dead_lettered == 2000
    # every error but an event's last one is retried once: invocations = events + errors - dead letters
    inv, err = metric(sim, "fn", "Invocations"), metric(sim, "fn", "Errors")
    assert inv == 2000 + err - sim.acct.dead_lettered
    # each attempt fails with probability 0.2, retries included: 2,000 x (0.2 + 0.04 + 0.008) = 496
    # errors (sd 24), and the error ratio over all attempts within 4 sd (0.008) of 0.2
    assert abs(err - 496) <= 4 * 24.4
    assert abs(err / inv - 0.2) <= 4 * (0.2 * 0.8 / inv) ** 0.5
