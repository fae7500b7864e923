"""SQS queues and their event source mappings (reference §2.2, canonical scenarios 7–10, 13)."""

from itertools import pairwise

import pytest

from core import model, validate
from tests.helpers import (
    edge,
    fn_node,
    journey_steps,
    metric,
    node,
    run,
    run_recording_batches,
    scenario,
    workload,
)


def sqs_flow(q_props=None, esm_props=None, fn_props=None, duration=0.1, events=None, arrivals=None,
             dlq=True, sim_s=600, account=None, **fnb):
    nodes = [node("q", "SQSQueue", {"VisibilityTimeout": 60, **(q_props or {})}),
             node("esm", "EventSourceMapping", esm_props or {}),
             fn_node("fn", duration, {"Timeout": 10, **(fn_props or {})}, **fnb)]
    edges = [edge("q", "esm", "poll"), edge("esm", "fn", "poll")]
    if dlq:
        nodes.append(node("dlq", "SQSQueue"))
        edges.append(edge("q", "dlq", "redrive"))
        nodes[0]["properties"].setdefault("RedrivePolicy", {"maxReceiveCount": 5})
    w = workload("w", "q", arrivals or {"process": "burst", "count": 1, "at": 1}, events)
    return scenario(nodes, edges, [w], duration=sim_s, account=account)


def test_always_failing_message_is_received_five_times_then_redriven():
    sim = run(sqs_flow(events=[{"payload": {"a": 1}, "poison": True}]))
    steps = journey_steps(sim)
    invoked = [t for t, _, w in steps if w.startswith("invoked")]
    assert invoked == pytest.approx([1.0, 61.0, 121.0, 181.0, 241.0])
    assert metric(sim, "fn", "Invocations") == 5
    assert metric(sim, "dlq", "NumberOfMessagesSent") == 1
    assert metric(sim, "q", "NumberOfMessagesReceived") == 5
    assert sim.acct.dead_lettered == 1
    # the move happens on the receive after the fifth, at 301 s
    assert [t for t, _, w in steps if w.startswith("moved to DLQ")] == pytest.approx([301.0])


def test_function_async_settings_do_not_apply_to_polled_invocations():
    sc = sqs_flow(fn_props={"EventInvokeConfig": {"MaximumRetryAttempts": 0}},
                  events=[{"poison": True}])
    d = sc.to_dict()
    d["nodes"].append({"id": "fn-dlq", "kind": "SQSQueue"})
    d["edges"].append({"from": "fn", "to": "fn-dlq", "role": "dlq"})
    sim = run(model.from_dict(d))
    assert metric(sim, "fn", "Invocations") == 5
    assert metric(sim, "fn-dlq", "NumberOfMessagesSent") == 0


def batch_of_ten(report: bool):
    esm = {"BatchSize": 10, "MaximumBatchingWindowInSeconds": 1}
    if report:
        esm["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
    events = [{"weight": 1, "payload": {"n": 1}}]
    sc = sqs_flow(esm_props=esm, events=events, arrivals={"process": "burst", "count": 9, "at": 1}, sim_s=100)
    d = sc.to_dict()
    d["workloads"].append({"id": "bad", "target": "q", "arrivals": {"process": "burst", "count": 1, "at": 1},
                           "events": [{"payload": {"n": 0}, "poison": True}]})
    return model.from_dict(d)


def test_partial_batch_response_returns_only_the_failed_message():
    sim = run(batch_of_ten(report=True))
    q = sim.summary()["nodes"]["q"]["metrics"]
    assert metric(sim, "esm", "InvokedEventCount") == 10 + 1  # first batch, then the bad one again
    assert q["NumberOfMessagesDeleted"]["sum"] == 9
    assert q["NumberOfMessagesReceived"]["sum"] == 11
    assert metric(sim, "fn", "Errors") == 0  # the handler reported, it did not throw


def test_without_partial_batch_response_the_whole_batch_returns():
    sim = run(batch_of_ten(report=False))
    q = sim.summary()["nodes"]["q"]["metrics"]
    assert q["NumberOfMessagesDeleted"]["sum"] == 0
    assert q["NumberOfMessagesReceived"]["sum"] == 20  # all ten received again after the VT
    assert metric(sim, "esm", "FailedInvokeEventCount") == 20


def test_batching_window_waits_for_messages_before_invoking():
    sc = sqs_flow(esm_props={"BatchSize": 100, "MaximumBatchingWindowInSeconds": 5},
                  arrivals={"process": "constant", "rate": 10}, sim_s=21, dlq=False)
    sim = run(sc)
    # the window opens at the first message (0.1 s) and closes 5 s later with ~50 messages
    assert metric(sim, "fn", "Invocations") == 4
    assert metric(sim, "esm", "InvokedEventCount") >= 150


def test_batch_size_caps_each_invocation():
    sc = sqs_flow(esm_props={"BatchSize": 10}, arrivals={"process": "burst", "count": 95, "at": 0}, dlq=False)
    sim = run(sc)
    assert metric(sim, "fn", "Invocations") == 10
    assert sim.acct.succeeded == 95


def test_poller_ramps_from_5_by_300_per_minute_to_1250():
    sc = sqs_flow(esm_props={"BatchSize": 1}, duration=2.0, dlq=False, sim_s=300,
                  arrivals={"process": "burst", "count": 250_000, "at": 0},
                  account={"ConcurrentExecutions": 3000})
    sim = run(sc)
    conc = sim.series("esm", "Concurrency", "max")
    assert conc[0] <= 10
    assert conc[60] == pytest.approx(5 + 300, abs=10)
    assert conc[120] == pytest.approx(605, abs=10)
    plateau = int((conc >= 1250).argmax())
    assert 230 <= plateau <= 260  # about four minutes in
    assert conc.max() == 1250


def test_maximum_concurrency_caps_the_poller():
    sc = sqs_flow(esm_props={"BatchSize": 1, "ScalingConfig": {"MaximumConcurrency": 40}}, duration=2.0,
                  dlq=False, sim_s=120, arrivals={"process": "burst", "count": 20_000, "at": 0})
    sim = run(sc)
    assert metric(sim, "esm", "Concurrency", "max") == 40
    assert metric(sim, "fn", "Throttles") == 0


def test_reserved_concurrency_below_poller_concurrency_throttles_and_backs_off():
    sc = sqs_flow(esm_props={"BatchSize": 1}, fn_props={"ReservedConcurrentExecutions": 20}, duration=2.0,
                  dlq=False, sim_s=120, arrivals={"process": "burst", "count": 20_000, "at": 0})
    sim = run(sc)
    assert metric(sim, "fn", "Throttles") > 0
    assert metric(sim, "fn", "ConcurrentExecutions", "max") == 20
    assert any(w == "retry" and "throttled" in c for (_, w, c) in sim.why)


def test_throttled_batch_is_released_at_visibility_timeout_and_counts_a_receive():
    # reserved 0 disables the function: every batch is throttled until its VT expires
    sc = sqs_flow(q_props={"VisibilityTimeout": 30}, fn_props={"ReservedConcurrentExecutions": 0, "Timeout": 5},
                  sim_s=200)
    sim = run(sc)
    assert metric(sim, "fn", "Invocations") == 0
    assert metric(sim, "dlq", "NumberOfMessagesSent") == 1  # 5 throttled receives, moved on the 6th
    assert metric(sim, "q", "NumberOfMessagesReceived") == 5


def test_filter_deletes_non_matching_messages_without_invoking():
    pattern = '{"body": {"priority": ["high"]}}'
    events = [{"weight": 0.9, "payload": {"priority": "low"}}, {"weight": 0.1, "payload": {"priority": "high"}}]
    sc = sqs_flow(esm_props={"FilterCriteria": {"Filters": [{"Pattern": pattern}]}}, events=events,
                  arrivals={"process": "poisson", "rate": 100, "end": 290}, sim_s=300, dlq=False)
    sim = run(sc)
    polled = metric(sim, "esm", "PolledEventCount")
    filtered = metric(sim, "esm", "FilteredOutEventCount")
    assert filtered / polled == pytest.approx(0.9, abs=0.01)
    assert sim.acct.filtered == filtered
    assert metric(sim, "esm", "InvokedEventCount") == polled - filtered
    assert metric(sim, "q", "NumberOfMessagesDeleted") == polled


def test_retention_expiry_drops_unconsumed_messages():
    sc = sqs_flow(q_props={"MessageRetentionPeriod": 60}, esm_props={"Enabled": False},
                  arrivals={"process": "burst", "count": 5, "at": 0}, dlq=False, sim_s=120)
    sim = run(sc)
    assert sim.acct.dropped_by_reason == {"retention_expired": 5}


def test_delay_seconds_postpones_visibility():
    sc = sqs_flow(q_props={"DelaySeconds": 30}, dlq=False)
    sim = run(sc)
    invoked = [t for t, _, w in journey_steps(sim) if w.startswith("invoked")]
    assert invoked == pytest.approx([31.0])


def test_fifo_keeps_order_and_one_batch_in_flight_per_group():
    """FIFO: each batch holds one message group, a group's messages are received in send order, and a
    group has at most one batch in flight (AWS, "Using Lambda with Amazon SQS", FIFO queues)."""
    from core.engine.simulation import Simulation

    events = [{"payload": {"x": 1}, "message_groups": ["g1", "g2"]}]
    sc = sqs_flow(q_props={"FifoQueue": True}, esm_props={"BatchSize": 5}, duration=1.0, dlq=False,
                  events=events, arrivals={"process": "burst", "count": 40, "at": 0}, sim_s=60)
    sim = Simulation(sc)
    seen = [(t, [(ev.id, ev.group) for ev in evs]) for t, evs in run_recording_batches(sim)]
    by_group: dict = {}
    for t, batch in seen:
        groups = {g for _, g in batch}
        assert len(groups) == 1, f"batch at {t} mixes groups {groups}"
        by_group.setdefault(groups.pop(), []).append((t, [i for i, _ in batch]))
    assert len(by_group) == 2
    for batches in by_group.values():
        ids = [i for _, b in batches for i in b]
        assert ids == sorted(ids) and len(ids) == len(set(ids))  # send order, each once
        starts = [t for t, _ in batches]
        # one batch in flight per group: the next starts only after the 1 s invocation ended
        assert all(b - a >= 1.0 - 1e-9 for a, b in pairwise(starts))
    assert sum(len(b) for _, b in seen) == 40
    assert metric(sim, "esm", "Concurrency", "max") == 2
    assert sim.acct.succeeded == 40


def test_fifo_failure_blocks_its_group_until_redrive():
    """A FIFO group stays blocked behind a failing message: none of the group's later messages is
    received until that one is moved to the DLQ, after maxReceiveCount (5) receives, each one
    VisibilityTimeout (30 s) apart (AWS, "Using Lambda with Amazon SQS": in a FIFO queue a failed
    message blocks its group until it succeeds or is redriven)."""
    from core.engine.simulation import Simulation

    events = [{"weight": 1, "payload": {"ok": 1}, "message_groups": ["g1"]}]
    sc = sqs_flow(q_props={"FifoQueue": True, "VisibilityTimeout": 30}, esm_props={"BatchSize": 1}, events=events,
                  arrivals={"process": "burst", "count": 3, "at": 10}, sim_s=400)
    d = sc.to_dict()
    d["nodes"][3]["properties"] = {"FifoQueue": True}
    d["workloads"].append({"id": "bad", "target": "q", "arrivals": {"process": "burst", "count": 1, "at": 5},
                           "events": [{"payload": {"bad": 1}, "poison": True, "message_groups": ["g1"]}]})
    sim = Simulation(model.from_dict(d))
    seen = [(t, [ev.id for ev in evs]) for t, evs in run_recording_batches(sim)]
    # the poison message (sent first, at 5 s: id 0) five times, 30 s apart; it moves to the DLQ on the
    # receive at 155 s, and only then the group's three good messages (sent at 10 s), one at a time
    assert seen == [(5.0, [0]), (35.0, [0]), (65.0, [0]), (95.0, [0]), (125.0, [0]),
                    (155.0, [1]), (155.1, [2]), (155.2, [3])]
    redriven = [t for t, _, w in journey_steps(sim, 0) if w.startswith("moved to DLQ")]
    assert redriven == [155.0] and min(t for t, ids in seen if ids != [0]) >= redriven[0]
    assert metric(sim, "dlq", "NumberOfMessagesSent") == 1
    assert sim.acct.succeeded == 3


def fifo_batches(q_props=None, esm_props=None, poison_first=False, sim_s=100, error_rate=0.0):
    """A FIFO flow with five messages of one group sent at t=1 (or a poison one at t=0.5, alone in its
    first batch, and four at t=1), and the batches the function is invoked with, as lists of event ids
    (ids are in send order)."""
    from core.engine.simulation import Simulation

    events = [{"payload": {"ok": 1}, "message_groups": ["g1"]}]
    sc = sqs_flow(q_props={"FifoQueue": True, "VisibilityTimeout": 30, **(q_props or {})},
                  esm_props={"BatchSize": 10, **(esm_props or {})}, events=events,
                  arrivals={"process": "burst", "count": 4 if poison_first else 5, "at": 1}, sim_s=sim_s,
                  error_rate=error_rate)
    d = sc.to_dict()
    d["nodes"][3]["properties"] = {"FifoQueue": True}
    d["nodes"][0]["properties"]["RedrivePolicy"] = {"maxReceiveCount": 3}
    if poison_first:
        d["workloads"].insert(0, {"id": "bad", "target": "q", "arrivals": {"process": "burst", "count": 1, "at": 0.5},
                                  "events": [{"payload": {"bad": 1}, "poison": True, "message_groups": ["g1"]}]})
    sim = Simulation(model.from_dict(d))
    return sim, [(t, [ev.id for ev in evs]) for t, evs in run_recording_batches(sim)]


def test_fifo_failed_batch_returns_in_send_order():
    # A failed batch's messages become visible again one by one; the group keeps its send order.
    _, seen = fifo_batches(error_rate=1.0)
    assert [ids for _, ids in seen] == [[0, 1, 2, 3, 4]] * 3
    assert [t for t, _ in seen] == pytest.approx([1.0, 31.0, 61.0])


def test_fifo_partial_batch_response_returns_the_failed_message_and_all_after_it():
    # FIFO + ReportBatchItemFailures: the handler stops at the first failure and reports it and every
    # message after it, so the group's later messages are only processed after the poison one is redriven.
    sim, seen = fifo_batches(esm_props={"FunctionResponseTypes": ["ReportBatchItemFailures"]}, poison_first=True)
    # the poison message alone, then with the four behind it (all returned), then — once it moved to the
    # DLQ on its fourth receive (maxReceiveCount 3) — the four alone
    assert seen == [(0.5, [0]), (30.5, [0, 1, 2, 3, 4]), (60.5, [0, 1, 2, 3, 4]), (90.5, [1, 2, 3, 4])]
    assert sim.acct.dead_lettered == 1 and sim.acct.succeeded == 4
    assert metric(sim, "q", "NumberOfMessagesDeleted") == 4


def test_fifo_messages_expire_after_retention_without_being_received():
    # Retention applies to a FIFO queue's waiting messages too: here a disabled mapping never
    # receives them, and they are dropped 60 s after their send.
    sc = sqs_flow(q_props={"FifoQueue": True, "MessageRetentionPeriod": 60}, esm_props={"Enabled": False},
                  events=[{"payload": {"ok": 1}, "message_groups": ["g1", "g2"]}], dlq=False,
                  arrivals={"process": "burst", "count": 5, "at": 1}, sim_s=120)
    sim = run(sc)
    assert sim.acct.dropped == 5 and sim.acct.dropped_by_reason == {"retention_expired": 5}
    assert sim.series("q", "ApproximateNumberOfMessagesVisible", "max")[62:].max() == 0


def test_receive_calls_are_billed_for_the_messages_returned_not_the_batch_size_asked():
    # With a batching window the poller asks for up to BatchSize − what it holds on every poll; each
    # ReceiveMessage call returns at most 10, so the calls are one per message trickling in (999 here)
    # whatever the BatchSize — not BatchSize / 10 per poll.
    calls = {}
    for batch in (100, 10_000):
        sc = sqs_flow(esm_props={"BatchSize": batch, "MaximumBatchingWindowInSeconds": 5}, dlq=False,
                      arrivals={"process": "constant", "rate": 10, "start": 0.05}, sim_s=100)
        sim = run(sc)
        calls[batch] = sim.components["q"].receives
        assert metric(sim, "q", "NumberOfMessagesReceived") == 999
    assert calls[100] == calls[10_000]
    assert 999 <= calls[100] <= 1010


def test_validation_rejects_function_timeout_above_visibility_timeout():
    sc = sqs_flow(q_props={"VisibilityTimeout": 30}, fn_props={"Timeout": 60})
    errs = validate.errors(sc)
    assert any("VisibilityTimeout" in p.message and "Timeout 60" in p.message for p in errs)


def test_validation_rejects_fifo_batch_size_above_10_and_big_batches_without_window():
    sc = sqs_flow(q_props={"FifoQueue": True}, esm_props={"BatchSize": 20}, dlq=False)
    assert any("FIFO" in p.message for p in validate.errors(sc))
    sc = sqs_flow(esm_props={"BatchSize": 100}, dlq=False)
    assert any("MaximumBatchingWindowInSeconds" in p.message for p in validate.errors(sc))


def test_hand_overs_counted_before_a_mid_run_mapping_edit_match_a_full_poll():
    # Messages handed to an idle poller are counted once (SQSQueue.taken) and settled into the
    # sent, received, receive-call and invoked counts when read. Across an edit to the mapping in
    # the middle of a period (to batches of 20 with a window: no more hand-overs), every per-period
    # series and the cost must match a run whose traced messages all take the full poll.
    from core.engine.simulation import Simulation

    def run_with_edit(trace_all):
        sc = sqs_flow(esm_props={"BatchSize": 10}, duration={"dist": "exp", "mean": 0.2}, sim_s=200,
                      arrivals={"process": "poisson", "rate": 150})
        sim = Simulation(sc)
        if trace_all:
            sim.acct.journey_every, sim.acct.journey_limit = 1, 10**9
        sim.advance(100.5)  # mid-period: hand-overs of this period are not settled yet
        d = sc.to_dict()
        # 20 per batch from now on (with a window, as AWS requires)
        d["nodes"][1]["properties"].update({"BatchSize": 20, "MaximumBatchingWindowInSeconds": 1})
        sim.update(model.from_dict(d))
        sim.run()
        series = {(n, m): sim.series(n, m).tolist() for n, m in (
            ("q", "NumberOfMessagesSent"), ("q", "NumberOfMessagesReceived"),
            ("esm", "PolledEventCount"), ("esm", "InvokedEventCount"), ("esm", "DeletedEventCount"))}
        return series, sim.cost()

    fast_series, fast_cost = run_with_edit(False)
    traced_series, traced_cost = run_with_edit(True)
    assert sum(fast_series[("q", "NumberOfMessagesSent")]) > 25_000
    assert fast_series == traced_series
    assert fast_cost == traced_cost


@pytest.mark.parametrize("reserved", [None, 20])
def test_direct_hand_over_to_idle_pollers_matches_a_full_poll(reserved):
    # A message sent to an idle poller is handed over without a queue round trip, and one
    # sent while every batch is busy just waits (SQSQueue.accept). Traced messages (journeys)
    # always take the full poll, so tracing every message must not change a single figure.
    fn_props = {"ReservedConcurrentExecutions": reserved} if reserved else {}
    events = [{"weight": 0.99, "payload": {"ok": 1}}, {"weight": 0.01, "payload": {"bad": 1}, "poison": True}]

    def summary(trace_all):
        sc = sqs_flow({"RedrivePolicy": {"maxReceiveCount": 2}}, fn_props=fn_props,
                      duration={"dist": "exp", "mean": 0.2}, events=events, sim_s=240,
                      arrivals={"process": "poisson", "rate": 150})
        from core.engine.simulation import Simulation

        sim = Simulation(sc)
        if trace_all:
            sim.acct.journey_every, sim.acct.journey_limit = 1, 10**9
        sim.run()
        s = sim.summary()
        s.pop("engine")
        return s, len(sim.acct.journeys)

    fast, n_fast = summary(False)
    traced, n_traced = summary(True)
    assert n_traced == fast["accounting"]["created"] > 30_000 and n_fast == 200
    assert traced == fast
    esm = fast["nodes"]["esm"]["metrics"]
    assert esm["FailedInvokeEventCount"]["sum"] > 0 and fast["accounting"]["dead_lettered"] > 0
    if reserved:
        assert fast["nodes"]["fn"]["metrics"]["Throttles"]["sum"] > 0


@pytest.mark.parametrize(("size", "invocations"), [(100, 1), (1_000_000, 2), (1_048_576, 2)])
def test_six_mb_invoke_payload_cap_splits_a_batch(size, invocations):
    # Ten messages sent at once fill one batch of 10, unless the batch would pass Lambda's
    # 6 MB invoke payload (with 500 bytes of record metadata each): 1 MB messages split 6 + 4,
    # 1 MiB ones (SQS's largest) 5 + 5.
    sc = sqs_flow(events=[{"payload": {"x": 1}, "size_bytes": size}],
                  arrivals={"process": "burst", "count": 10, "at": 1}, sim_s=60)
    sim = run(sc)
    assert metric(sim, "fn", "Invocations") == invocations
    assert metric(sim, "esm", "DeletedEventCount") == 10


def test_batching_window_closes_early_when_the_payload_reaches_6_mb():
    # 1 MB messages once a second, BatchSize 100, a 20 s window: the batch is invoked when the 7th
    # message takes it past 6 MB (at t = 7), not when the window closes (t = 21).
    from core.engine.simulation import Simulation

    sc = sqs_flow(esm_props={"BatchSize": 100, "MaximumBatchingWindowInSeconds": 20}, dlq=False,
                  events=[{"payload": {"x": 1}, "size_bytes": 1_000_000}], arrivals={"process": "constant", "rate": 1},
                  sim_s=10)
    seen = [(t, len(evs)) for t, evs in run_recording_batches(Simulation(sc))]
    assert seen and seen[0][0] == pytest.approx(7.0)
    assert sum(n for _, n in seen) == 7 and max(n for _, n in seen) == 6


def test_a_split_batch_never_runs_past_maximum_concurrency():
    # 100 messages of 1 MB, BatchSize 100 with a window, MaximumConcurrency 2: each batch is cut at
    # 6 MB; a cut-off piece with no free batch goes back to the queue as if never received.
    sc = sqs_flow(esm_props={"BatchSize": 100, "MaximumBatchingWindowInSeconds": 1, "ScalingConfig": {"MaximumConcurrency": 2}},
                  events=[{"payload": {"x": 1}, "size_bytes": 1_000_000}], duration=10.0,
                  arrivals={"process": "burst", "count": 100, "at": 1}, sim_s=300)
    sim = run(sc)
    assert metric(sim, "esm", "Concurrency", "max") == 2
    assert metric(sim, "fn", "ConcurrentExecutions", "max") == 2
    assert sim.acct.succeeded == 100 and sim.acct.dead_lettered == 0
    assert metric(sim, "q", "NumberOfMessagesReceived") == 100  # each received once, for its batch


def test_fifo_messages_given_back_unreceived_free_their_group():
    # The messages cut off a batch with no batch free for them go back as if never received: a FIFO
    # group with none of its messages left in flight is unlocked, and they come back in send order.
    from core.engine.simulation import Simulation

    sc = sqs_flow(q_props={"FifoQueue": True}, esm_props={"Enabled": False}, dlq=False,
                  events=[{"payload": {"ok": 1}, "message_groups": ["g1"]}],
                  arrivals={"process": "burst", "count": 2, "at": 1}, sim_s=10)
    d = sc.to_dict()
    d["workloads"].append({"id": "w2", "target": "q", "arrivals": {"process": "burst", "count": 2, "at": 1.5},
                           "events": [{"payload": {"ok": 2}, "message_groups": ["g2"]}]})
    sim = Simulation(model.from_dict(d))
    sim.advance(2.0)
    q = sim.components["q"]
    first = q.receive(2.0, 10)
    assert [ev.group for ev in first] == ["g1", "g1", "g2", "g2"]
    q.unreceive(2.0, first[2:])  # all of g2: nothing of it is left in flight
    again = q.receive(2.0, 10)  # g1 is still in flight; g2 is free again
    assert [ev.id for ev in again] == [ev.id for ev in first[2:]] and [ev.rc for ev in again] == [1, 1]


def test_validation_rejects_sqs_messages_over_1_mib():
    sc = sqs_flow(events=[{"payload": {"x": 1}, "size_bytes": 2_000_000}])
    errs = validate.errors(sc)
    assert any(p.path == "$.workloads[0].events[0]" and "1 MiB" in p.message for p in errs)
    assert not validate.errors(sqs_flow(events=[{"payload": {"x": 1}, "size_bytes": 1_048_576}]))


def _all_series(sim):
    return {(nid, key): arr[: sim.k].tolist() for nid, m in sim.metrics.items() for key, arr in m._data.items()}


def _busy_flow(extra_workload=None, fn_props=None, poison=0.03, esm_props=None):
    # Enough traffic to throttle at reserved concurrency 15 and fail now and then, so the
    # mapping's scaling (which reads its batches started and failed) is exercised.
    events = [{"weight": 1 - poison, "payload": {"ok": 1}}, {"weight": poison, "payload": {"bad": 1}, "poison": True}]
    sc = sqs_flow({"RedrivePolicy": {"maxReceiveCount": 2}}, esm_props=esm_props,
                  fn_props={"ReservedConcurrentExecutions": 15, **(fn_props or {})},
                  duration={"dist": "exp", "mean": 0.1}, events=events, sim_s=180,
                  arrivals={"process": "poisson", "rate": 120})
    d = sc.to_dict()
    d["nodes"].append(fn_node("other", 0.05))
    d["workloads"].append(extra_workload or workload("w2", "other", {"process": "poisson", "rate": 20},
                                                     InvocationType="RequestResponse"))
    return model.from_dict(d)


def _counting(monkeypatch):
    from core.engine.simulation import Simulation

    monkeypatch.setattr(Simulation, "sole_invoker", lambda self, fn_id: None)


@pytest.mark.parametrize("kw", [{}, {"poison": 0.45, "esm_props": {"BatchSize": 1}}], ids=["throttled", "half-failing"])
def test_a_mapping_that_alone_invokes_its_function_shares_its_concurrency(monkeypatch, kw):
    # The mapping's Concurrency and its batches started are then read off the function
    # (SqsPoller.exclusive); every figure must be the one the mapping counts itself. With
    # nearly half the batches failing, the scaling's "mostly failing" test reads that count.
    sim = run(_busy_flow(**kw))
    assert sim.components["esm"].poller.exclusive
    assert sim.series("esm", "Concurrency", "avg").tolist() == sim.series("fn", "ConcurrentExecutions", "avg").tolist()
    assert metric(sim, "fn", "Throttles") > 0 and metric(sim, "esm", "FailedInvokeEventCount") > 0
    mirrored = _all_series(sim)
    _counting(monkeypatch)
    counted = run(_busy_flow(**kw))
    assert not counted.components["esm"].poller.exclusive
    assert _all_series(counted) == mirrored


def test_a_function_also_invoked_elsewhere_keeps_the_mappings_own_concurrency():
    sc = _busy_flow(workload("w2", "fn", {"process": "poisson", "rate": 20}, InvocationType="RequestResponse"),
                    fn_props={"ReservedConcurrentExecutions": 40})
    sim = run(sc)
    assert not sim.components["esm"].poller.exclusive
    esm = sim.series("esm", "Concurrency", "avg")
    fn = sim.series("fn", "ConcurrentExecutions", "avg")
    assert (esm <= fn + 1e-9).all() and esm.sum() < fn.sum()


def test_an_edit_that_invokes_the_function_elsewhere_hands_the_counts_over(monkeypatch):
    # Mid-run, a second workload is pointed at the mapping's function: from then on the
    # mapping counts its own batches, starting from the function's figures.
    def run_with_edit():
        from core.engine.simulation import Simulation

        sim = Simulation(_busy_flow())
        sim.advance(60.5)
        d = sim.scenario.to_dict()
        d["workloads"][1]["target"] = "fn"
        sim.update(model.from_dict(d), "w2 → fn")
        sim.run()
        return sim

    sim = run_with_edit()
    assert not sim.components["esm"].poller.exclusive and sim.components["esm"].conc_of is None
    esm = sim.series("esm", "Concurrency", "avg")
    fn = sim.series("fn", "ConcurrentExecutions", "avg")
    assert esm[:60].tolist() == fn[:60].tolist() and esm[100:].sum() < fn[100:].sum()
    edited = _all_series(sim)
    _counting(monkeypatch)
    assert _all_series(run_with_edit()) == edited
