"""Sample events for imported workloads: a payload that passes the entry point's filters.

An imported S3 bucket with a `.jpg` suffix rule, an EventBridge rule matching
`source: [custom.myApp]`, or a queue whose mapping filters on `body.region` would see
no traffic at all from an empty payload. `payload_for()` builds the simplest event that
the first filter accepts and checks it with the simulator's own matchers; when it cannot,
it says so and the workload keeps the default event.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from core import filters, records
from core.catalog import get_path

_ABSENT = object()


def build(pattern: Any) -> Any:
    """The simplest value a pattern (EventBridge / Lambda filter / SNS policy syntax) accepts."""
    if isinstance(pattern, dict):
        out: dict = {}
        if isinstance(pattern.get("$or"), list) and pattern["$or"]:
            first = build(pattern["$or"][0])
            if isinstance(first, dict):
                out.update(first)
        for k, v in pattern.items():
            if k == "$or":
                continue
            s = build(v)
            if s is not _ABSENT:
                out[k] = s
        return out
    if isinstance(pattern, list):
        for m in pattern:
            s = _matcher(m)
            if s is not _ABSENT:
                return s
        return _ABSENT
    return pattern


def _matcher(m: Any) -> Any:
    if m is None or isinstance(m, str | int | float | bool):
        return m
    if not isinstance(m, dict):
        return _ABSENT
    if "prefix" in m:
        v = m["prefix"]
        v = v.get("equals-ignore-case", "") if isinstance(v, dict) else v
        return f"{v}example"
    if "suffix" in m:
        v = m["suffix"]
        v = v.get("equals-ignore-case", "") if isinstance(v, dict) else v
        return f"example{v}"
    if "equals-ignore-case" in m:
        return m["equals-ignore-case"]
    if "wildcard" in m and isinstance(m["wildcard"], str):
        return m["wildcard"].replace("*", "x")
    if "anything-but" in m:
        ab = m["anything-but"]
        vals = ab if isinstance(ab, list) else [ab]
        if vals and all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals):
            return max(vals) + 1
        return "other-value"
    if "numeric" in m and isinstance(m["numeric"], list):
        ops = m["numeric"]
        lo = hi = None
        eq = None
        for i in range(0, len(ops) - 1, 2):
            op, n = ops[i], ops[i + 1]
            if not isinstance(n, int | float):
                return _ABSENT
            if op in (">", ">="):
                lo = (n, op == ">=")
            elif op in ("<", "<="):
                hi = (n, op == "<=")
            elif op == "=":
                eq = n
        if eq is not None:
            return eq
        if lo and hi:
            return (lo[0] + hi[0]) / 2
        if lo:
            return lo[0] if lo[1] else lo[0] + 1
        if hi:
            return hi[0] if hi[1] else hi[0] - 1
        return 0
    if "exists" in m:
        return "value" if m["exists"] else _ABSENT
    if "cidr" in m:
        try:
            net = ipaddress.ip_network(str(m["cidr"]), strict=False)
            return str(next(iter(net.hosts()), net.network_address))
        except ValueError:
            return _ABSENT
    return _ABSENT


def _loads(p: Any) -> Any:
    if isinstance(p, str):
        try:
            return json.loads(p)
        except ValueError:
            return None
    return p


def payloads_for(node: dict, nodes: dict[str, dict], edges: list[dict]) -> tuple[list[Any], str | None]:
    """([payload, …] or [], note or None) for a workload sent into `node`.

    Usually one payload; an SNS topic whose subscriptions filter differently gets one
    sample per filtered subscription, so every subscriber sees some traffic.
    """
    try:
        if node["kind"] == "SNSTopic":
            return _sns_payloads(node, nodes, edges)
        p, note = _payload_for(node, nodes, edges)
        return ([p] if p is not None else []), note
    except Exception as e:  # a pattern our builder or matcher cannot handle
        return [], f"no sample event could be built for {node['id']}'s filters ({e}); edit its events."


def _sns_payloads(node: dict, nodes: dict[str, dict], edges: list[dict]) -> tuple[list[Any], str | None]:
    nid = node["id"]
    out: list[Any] = []
    misses: list[str] = []
    for e in (e for e in edges if e["from"] == nid):
        policy = _loads(e["properties"].get("FilterPolicy"))
        if isinstance(policy, dict):
            scope = e["properties"].get("FilterPolicyScope", "MessageAttributes")
            sample = build(policy)
            payload = {"Message": sample} if scope == "MessageBody" else {"Message": {}, "MessageAttributes": sample}
            msg, attrs = records.sns_parts(payload)
            pred = filters.compile_sns_filter_policy(policy, scope)
            if pred(msg) if scope == "MessageBody" else pred(attrs):
                out.append(payload)
            else:
                misses.append(e["to"])
            continue
        target = nodes.get(e["to"])
        if e["role"] == "deliver" and target and target["kind"] == "SQSQueue":
            # the queue's own mapping filter sees the message as its body
            p, note = _payload_for(target, nodes, edges)
            if p is not None:
                out.append(p)
            elif note:
                misses.append(e["to"])
    uniq: list[Any] = []
    for p in out:
        if p not in uniq:
            uniq.append(p)
    note = None
    if misses:
        note = f"no sample message passes the filters towards {', '.join(misses)}; edit its events."
    elif len(uniq) > 1:
        note = f"{len(uniq)} sample messages, one per filtered subscriber of {nid}."
    return uniq, note


def _payload_for(node: dict, nodes: dict[str, dict], edges: list[dict]) -> tuple[Any, str | None]:
    nid, kind = node["id"], node["kind"]
    outs = [e for e in edges if e["from"] == nid]
    if kind == "S3Bucket":
        for e in outs:
            rules = get_path(e["properties"], "Filter.S3Key.Rules") or []
            events = e["properties"].get("Events") or []
            if not rules and all(str(x).startswith("s3:ObjectCreated:") for x in events):
                continue
            prefix = next((r.get("Value", "") for r in rules if str(r.get("Name", "")).lower() == "prefix"), "")
            suffix = next((r.get("Value", "") for r in rules if str(r.get("Name", "")).lower() == "suffix"), "")
            payload: dict[str, Any] = {"key": f"{prefix}example{suffix}"}
            if events:
                ev = str(events[0]).removeprefix("s3:")
                if ev.endswith("*"):
                    ev = ev[:-1] + {"ObjectCreated:": "Put", "ObjectRemoved:": "Delete"}.get(ev[:-1], "Put")
                payload["eventName"] = ev
            ok = filters.s3_key_matches(rules, payload["key"])
            return (payload, None) if ok else (None, f"no sample key passes {nid}'s filter; edit its events.")
        return None, None
    if kind == "SNSTopic":
        for e in outs:
            policy = _loads(e["properties"].get("FilterPolicy"))
            if not isinstance(policy, dict):
                continue
            scope = e["properties"].get("FilterPolicyScope", "MessageAttributes")
            sample = build(policy)
            if scope == "MessageBody":
                payload = {"Message": sample}
            else:
                payload = {"Message": {}, "MessageAttributes": sample}
            msg, attrs = records.sns_parts(payload)
            pred = filters.compile_sns_filter_policy(policy, scope)
            ok = pred(msg) if scope == "MessageBody" else pred(attrs)
            if ok:
                return payload, None
            return None, f"no sample message passes the filter policy {nid} → {e['to']}; edit its events."
        return None, None
    if kind == "EventBridgeRule":
        pattern = _loads(node["properties"].get("EventPattern"))
        if not isinstance(pattern, dict):
            return None, None
        sample = build(pattern)
        if not isinstance(sample, dict):
            return None, None
        if not ({"source", "detail-type", "detail"} & sample.keys()):
            sample["detail"] = {}
        if filters.matches(pattern, records.eventbridge_event(sample, nid), "eventbridge"):
            return sample, None
        return None, f"no sample event matches {nid}'s EventPattern; edit its events."
    if kind in ("SQSQueue", "KinesisStream", "DynamoDBTable"):
        for e in outs:
            if e["role"] != "poll" or e["to"] not in nodes:
                continue
            esm = nodes[e["to"]]
            fc = _loads(esm["properties"].get("FilterCriteria"))
            flist = fc.get("Filters") if isinstance(fc, dict) else None
            if not flist:
                continue
            source = {"SQSQueue": "sqs", "KinesisStream": "kinesis", "DynamoDBTable": "dynamodb"}[kind]
            pred = filters.compile_filter_criteria(fc, source)
            for f in flist:
                pattern = _loads(f.get("Pattern")) if isinstance(f, dict) else None
                if not isinstance(pattern, dict):
                    continue
                sample = build(pattern)
                if not isinstance(sample, dict):
                    continue
                if kind == "SQSQueue":
                    payload = sample.get("body", {})
                    record = records.sqs_record(payload, nid)
                elif kind == "KinesisStream":
                    payload = sample.get("data", {})
                    record = records.kinesis_record(payload, nid)
                else:
                    ddb = sample.get("dynamodb") if isinstance(sample.get("dynamodb"), dict) else {}
                    payload = {"eventName": sample.get("eventName", "INSERT"),
                               "NewImage": ddb.get("NewImage") or {"id": {"S": "1"}}}
                    if ddb.get("OldImage"):
                        payload["OldImage"] = ddb["OldImage"]
                    if ddb.get("Keys"):
                        payload["Keys"] = ddb["Keys"]
                    record = records.dynamodb_record(payload, nid)
                if pred is None or pred(record):
                    return payload, None
            return None, f"no sample record passes {esm['id']}'s FilterCriteria; edit its events."
        return None, None
    return None, None
