"""Kinesis and DynamoDB streams through event source mappings (reference §2.3, scenarios 11–12)."""

import pytest

from core import model
from tests.helpers import (
    edge,
    fn_node,
    metric,
    node,
    run,
    run_recording_batches,
    scenario,
    workload,
)


def kinesis_flow(esm_props=None, shards=2, duration=0.2, sim_s=900, rate=20, poison_at=100, dest=False,
                 stream_props=None, keys=("a", "b", "c", "d"), kind="KinesisStream"):
    sprops = {"ShardCount": shards, **(stream_props or {})} if kind == "KinesisStream" else {}
    nodes = [node("ks", kind, sprops, {"StreamShards": shards} if kind == "DynamoDBTable" else None),
             node("esm", "EventSourceMapping", {"BatchSize": 100, **(esm_props or {})}),
             fn_node("fn", duration, {"Timeout": 60})]
    edges = [edge("ks", "esm", "poll"), edge("esm", "fn", "poll")]
    if dest:
        nodes.append(node("dest", "SQSQueue"))
        edges.append(edge("esm", "dest", "on_failure"))
    wl = [workload("w", "ks", {"process": "constant", "rate": rate},
                   [{"payload": {"ok": 1}, "partition_keys": list(keys)}])]
    if poison_at is not None:
        wl.append(workload("bad", "ks", {"process": "burst", "count": 1, "at": poison_at},
                           [{"payload": {"bad": 1}, "poison": True, "partition_keys": [keys[0]]}]))
    return scenario(nodes, edges, wl, duration=sim_s, period=10)


def shard_of(key, shards):
    import zlib
    return zlib.crc32(key.encode()) % shards


def test_poison_record_blocks_only_its_shard_and_iterator_age_grows():
    sim = run(kinesis_flow(sim_s=900))
    poller = sim.components["esm"].poller
    blocked = shard_of("a", 2)
    lanes = {lane.shard: lane for lane in poller.lanes}
    assert any(ev.tmpl.poison for ev in lanes[blocked].work[0])
    # the blocked shard still holds its backlog; the other shard is drained
    assert len(lanes[blocked].recs) > 1000
    assert len(lanes[1 - blocked].recs) < 50
    age = sim.series("esm", "IteratorAge", "max")
    assert age[-4:].max() > 700  # retries back off up to 30 s apart
    # the whole batch is retried again and again (throttles aside, all are function errors)
    assert metric(sim, "fn", "Errors") > 20
    assert sim.acct.dead_lettered == 0 and sim.acct.dropped == 0


def test_maximum_record_age_releases_the_shard():
    """Records older than MaximumRecordAgeInSeconds are discarded instead of being sent to the function
    (AWS Lambda Developer Guide, Kinesis event source mapping parameters): no record the function gets
    is older than 60 s, and the blocked shard's backlog is discarded rather than waiting."""
    from core.engine.simulation import Simulation

    sim = Simulation(kinesis_flow({"MaximumRecordAgeInSeconds": 60}, sim_s=900))
    ages = [t - ev.t0 for t, evs in run_recording_batches(sim) for ev in evs]
    assert max(ages) <= 60.0
    assert max(ages) > 55.0  # the blocked shard's records do reach the limit
    assert dict(sim.acct.dropped_by_reason) == {"record_age_exceeded": 36}
    poller = sim.components["esm"].poller
    assert all(len(lane.recs) < 50 for lane in poller.lanes)


def test_bisect_reaches_the_single_bad_record_and_discards_it_after_three_attempts():
    sim = run(kinesis_flow({"MaximumRetryAttempts": 2, "BisectBatchOnFunctionError": True}, dest=True, rate=200))
    assert sim.acct.dead_lettered == 1
    assert metric(sim, "esm", "OnFailureDestinationDeliveredEventCount") == 1
    assert metric(sim, "dest", "NumberOfMessagesSent") == 1
    # bisect halves the failing batch down to the poison record alone, which is then tried exactly
    # 3 times (MaximumRetryAttempts 2) before it goes to the on-failure destination
    from core.engine.simulation import Simulation

    sim2 = Simulation(kinesis_flow({"MaximumRetryAttempts": 2, "BisectBatchOnFunctionError": True}, dest=True,
                                   rate=200))
    with_poison = [len(evs) for _, evs in run_recording_batches(sim2) if any(ev.tmpl.poison for ev in evs)]
    assert with_poison == [28, 14, 7, 4, 2, 1, 1, 1]
    assert sum(1 for (n, w, c), k in sim.why.items() if n == "esm" and w == "dead_letter") == 1
    poller = sim.components["esm"].poller
    assert all(len(lane.recs) < 100 for lane in poller.lanes)


@pytest.mark.parametrize("kind, info", [("KinesisStream", "KinesisBatchInfo"), ("DynamoDBTable", "DDBStreamBatchInfo")])
def test_on_failure_destination_gets_a_metadata_record_not_the_poison_record(kind, info):
    # The destination queue receives one record describing the discarded batch (reference §2.3
    # "OnFailure record shape"), with no record data: a function reading that queue does not fail on it.
    import json

    from core.engine.simulation import Simulation

    sc = kinesis_flow({"MaximumRetryAttempts": 2, "BisectBatchOnFunctionError": True}, dest=True, rate=200,
                      kind=kind, sim_s=300)
    d = sc.to_dict()
    d["nodes"] += [{"id": "dest-esm", "kind": "EventSourceMapping"},
                   {"id": "handler", "kind": "Function", "properties": {"Timeout": 10},
                    "behavior": {"Duration": {"dist": "const", "value": 0.1}, "ColdStart": None}}]
    d["edges"] += [{"from": "dest", "to": "dest-esm", "role": "poll"}, {"from": "dest-esm", "to": "handler", "role": "poll"}]
    sim = Simulation(model.from_dict(d))
    got = [ev.tmpl for _, evs in run_recording_batches(sim, "handler") for ev in evs]
    assert len(got) == 1 and not got[0].poison
    rec = got[0].payload
    assert rec["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert rec["requestContext"]["approximateInvokeCount"] == 3
    assert rec[info]["batchSize"] == 1 and rec[info]["startSequenceNumber"] == rec[info]["endSequenceNumber"]
    assert "data" not in json.dumps(rec) and "payload" not in rec
    assert metric(sim, "handler", "Invocations") == 1 and metric(sim, "handler", "Errors") == 0


def test_retries_exhausted_without_destination_drops_the_batch():
    sim = run(kinesis_flow({"MaximumRetryAttempts": 1}, rate=5))
    reasons = sim.acct.dropped_by_reason
    assert reasons["retries_exhausted"] >= 1
    assert sim.acct.dead_lettered == 0


def test_partial_batch_response_checkpoints_at_the_lowest_failed_record():
    sim = run(kinesis_flow({"FunctionResponseTypes": ["ReportBatchItemFailures"], "MaximumRetryAttempts": 0},
                           rate=50))
    # the function reports the poison record; Lambda keeps the records before it and, with no retry
    # left, discards the poison record and everything after it in that batch: here the batch of 8
    # had the poison record 7th, so exactly 2 records are dropped
    assert dict(sim.acct.dropped_by_reason) == {"retries_exhausted": 2}
    assert metric(sim, "fn", "Errors") == 0


def test_partial_batch_response_with_bisect_retries_the_rest_as_one_batch():
    # With both on, AWS "bisects at the returned sequence number and retries only the remaining
    # records": the rest is one batch (not halved again); when MaximumRetryAttempts runs out it is
    # discarded together, in one on-failure record.
    from core.engine.simulation import Simulation

    sc = kinesis_flow({"FunctionResponseTypes": ["ReportBatchItemFailures"], "MaximumRetryAttempts": 2,
                       "BisectBatchOnFunctionError": True, "MaximumBatchingWindowInSeconds": 5},
                      shards=1, rate=20, poison_at=102.5, dest=True, keys=("k0",), sim_s=200)
    sim = Simulation(sc)
    sizes = [len(evs) for _, evs in run_recording_batches(sim) if any(ev.tmpl.poison for ev in evs)]
    assert sizes[0] == 100 and sizes[1:] == [sizes[1]] * 2 and sizes[1] < 100
    assert sim.acct.dead_lettered == sizes[1]
    assert metric(sim, "dest", "NumberOfMessagesSent") == 1


def test_parallelization_factor_multiplies_concurrency_per_shard():
    keys = tuple(f"k{i}" for i in range(64))
    sim = run(kinesis_flow({"ParallelizationFactor": 5}, shards=2, duration=2.0, rate=400, poison_at=None,
                           keys=keys, sim_s=120))
    assert metric(sim, "esm", "Concurrency", "max") == 10
    sim1 = run(kinesis_flow({"ParallelizationFactor": 1}, shards=2, duration=2.0, rate=400, poison_at=None,
                            keys=keys, sim_s=120))
    assert metric(sim1, "esm", "Concurrency", "max") == 2


def test_records_without_partition_keys_use_every_parallel_batch_of_their_shard():
    # A record with no partition key counts as one with its own random key: it may go to any of its
    # shard's ParallelizationFactor batches, so concurrency still reaches shards × factor.
    sc = kinesis_flow({"ParallelizationFactor": 4}, shards=2, duration=2.0, rate=200, poison_at=None, sim_s=120)
    d = sc.to_dict()
    del d["workloads"][0]["events"][0]["partition_keys"]
    sim = run(model.from_dict(d))
    assert metric(sim, "esm", "Concurrency", "max") == 8


def test_a_shard_blocked_for_ten_hours_keeps_retrying():
    # Default MaximumRetryAttempts (-1): the batch is retried, 30 s apart once backed off, until the
    # record expires (24 h). More than 1,024 retries must not overflow the back-off (2.0 ** 1024).
    sc = kinesis_flow(shards=1, rate=0.01, poison_at=10, sim_s=36_000)
    sim = run(sc)
    assert metric(sim, "fn", "Errors") > 1_100
    assert sim.acct.dropped == 0 and sim.acct.pending == sim.acct.created


def test_backoff_doubles_up_to_its_cap_for_any_attempt_count():
    from core.components.base import backoff

    assert [backoff(n, 30.0) for n in (1, 2, 3, 5, 6, 7)] == [1.0, 2.0, 4.0, 16.0, 30.0, 30.0]
    assert backoff(5_000, 30.0) == 30.0 and backoff(2, 300.0, base=1.5) == 3.0


@pytest.mark.parametrize("kind, size, per_batch", [("KinesisStream", 1_000_000, 4), ("DynamoDBTable", 400_000, 15)])
def test_stream_batches_stop_short_of_the_6_mb_invoke_payload(kind, size, per_batch):
    # 100 large records at once and BatchSize 100: each invoke stays under 6 MB (Kinesis data is
    # base64 in the payload: 1 MB records take 1.33 MB), so batches are smaller than BatchSize.
    from core.engine.simulation import Simulation

    sc = kinesis_flow(shards=1, poison_at=None, sim_s=200, kind=kind)
    d = sc.to_dict()
    d["workloads"] = [{"id": "big", "target": "ks", "arrivals": {"process": "burst", "count": 100, "at": 1},
                       "events": [{"payload": {"x": 1}, "size_bytes": size, "partition_keys": ["a"]}]}]
    sizes = [len(evs) for _, evs in run_recording_batches(Simulation(model.from_dict(d)))]
    assert max(sizes) == per_batch and sum(sizes) == 100


def test_records_of_a_key_are_processed_in_order():
    from core.engine.simulation import Simulation

    sim = Simulation(kinesis_flow({"ParallelizationFactor": 3, "BatchSize": 7}, rate=100, poison_at=None,
                                  sim_s=120, keys=tuple(f"k{i}" for i in range(20))))
    fn = sim.components["fn"]
    seen: dict[str, list[int]] = {}
    real = fn.invoke

    def spy(t, payload, *a, **k):
        inv = real(t, payload, *a, **k)
        if inv is not None:
            for ev in payload:
                seen.setdefault(ev.key, []).append(ev.seq)
        return inv

    fn.invoke = spy
    sim.run()
    assert len(seen) == 20
    for seqs in seen.values():
        assert seqs == sorted(seqs)
    assert sum(map(len, seen.values())) == sim.acct.succeeded + sim.acct.pending - len(
        [e for lane in sim.components["esm"].poller.lanes for e in lane.recs])


def test_stream_retention_expires_unread_records():
    sc = kinesis_flow({"Enabled": False}, rate=1, poison_at=None, sim_s=25 * 3600)
    sc2 = model.from_dict({**sc.to_dict(), "simulation": {"DurationSeconds": 25 * 3600, "MetricPeriodSeconds": 600}})
    sim = run(sc2)
    # everything older than 24 h has expired
    assert sim.acct.dropped_by_reason["retention_expired"] == pytest.approx(3600, abs=650)


def test_latest_skips_records_written_before_the_mapping_and_trim_horizon_reads_them():
    def flow(pos):
        sc = kinesis_flow({"StartingPosition": pos}, rate=10, poison_at=None, sim_s=200)
        d = sc.to_dict()
        d["nodes"][1]["behavior"] = {"CreatedAt": 100}
        return model.from_dict(d)
    latest = run(flow("LATEST"))
    trim = run(flow("TRIM_HORIZON"))
    assert metric(latest, "esm", "PolledEventCount") == pytest.approx(1000, abs=20)
    assert metric(trim, "esm", "PolledEventCount") == pytest.approx(2000, abs=20)


def test_dynamodb_stream_filter_on_typed_attributes():
    sc = kinesis_flow({"FilterCriteria": {"Filters": [{"Pattern": '{"dynamodb": {"NewImage": {"ok": {"N": ["1"]}}}}'}]}},
                      kind="DynamoDBTable", poison_at=None, rate=10, sim_s=60)
    d = sc.to_dict()
    d["workloads"][0]["events"] = [{"weight": 1, "payload": {"id": "1", "ok": 1}},
                                   {"weight": 1, "payload": {"id": "2", "ok": 2}}]
    sim = run(model.from_dict(d))
    polled = metric(sim, "esm", "PolledEventCount")
    assert metric(sim, "esm", "FilteredOutEventCount") == pytest.approx(polled / 2, rel=0.15)
    assert sim.acct.filtered == metric(sim, "esm", "FilteredOutEventCount")


def test_dynamodb_polls_four_times_a_second():
    sc = kinesis_flow(kind="DynamoDBTable", poison_at=None, rate=1, sim_s=10, duration=0.01, shards=1)
    sim = run(sc)
    iterator = sim.summary()["nodes"]["esm"]["metrics"]["IteratorAge"]
    assert iterator["max"] <= 0.25 + 1e-9
