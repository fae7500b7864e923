"""The records a function receives, in AWS's shapes (reference §8), built from payload templates.

Used for filtering in the engine (what a filter pattern is matched against) and by the
app's Event tab. Payloads are what the scenario's workloads say: an SQS `body`, a
Kinesis `data` object, a DynamoDB item, an S3 object key, an EventBridge `detail`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

ACCOUNT = "123456789012"
EPOCH = 1767571200.0  # simulated time 0 in the records' timestamps: 2026-01-05T00:00:00Z


def iso_time(t: float) -> str:
    """Simulated time `t` (seconds) as an ISO 8601 UTC timestamp with milliseconds."""
    return datetime.fromtimestamp(EPOCH + t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _arn(service: str, region: str, resource: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{resource}"


def body_text(payload: Any) -> str:
    """An SQS body / SNS message: strings as they are, anything else as JSON text."""
    return payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"))


def _uid(*parts: Any) -> str:
    return str(uuid.UUID(hashlib.md5(repr(parts).encode()).hexdigest()))


# -- DynamoDB typed attribute values ---------------------------------------------------
def to_attr(v: Any) -> dict:
    if v is None:
        return {"NULL": True}
    if isinstance(v, bool):
        return {"BOOL": v}
    if isinstance(v, int | float | Decimal):
        return {"N": str(v)}
    if isinstance(v, str):
        return {"S": v}
    if isinstance(v, list):
        return {"L": [to_attr(x) for x in v]}
    if isinstance(v, dict):
        return {"M": {k: to_attr(x) for k, x in v.items()}}
    return {"S": str(v)}


def to_item(d: dict) -> dict:
    return {k: to_attr(v) for k, v in d.items()}


def _is_typed(d: Any) -> bool:
    return isinstance(d, dict) and d and all(
        isinstance(v, dict) and len(v) == 1 and next(iter(v)) in
        ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS") for v in d.values())


# -- per-source records ------------------------------------------------------------------
def sqs_record(payload: Any, queue: str = "queue", region: str = "us-east-1", n: int = 0,
               receive_count: int = 1, group: str | None = None, sent_ms: int = 0) -> dict:
    body = body_text(payload)
    attrs = {
        "ApproximateReceiveCount": str(receive_count),
        "SentTimestamp": str(sent_ms),
        "SenderId": "AIDAIENQZJOLO23YVJ4VO",
        "ApproximateFirstReceiveTimestamp": str(sent_ms),
    }
    if group is not None:
        attrs.update({"SequenceNumber": str(18849496460467696128 + n), "MessageGroupId": group,
                      "MessageDeduplicationId": _uid(queue, n, "dedup")})
    return {
        "messageId": _uid(queue, n),
        "receiptHandle": base64.b64encode(f"{queue}:{n}".encode()).decode(),
        "body": body,
        "attributes": attrs,
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": _arn("sqs", region, queue),
        "awsRegion": region,
    }


def kinesis_record(payload: Any, stream: str = "stream", region: str = "us-east-1", n: int = 0,
                   key: str | None = None, shard: int = 0, arrival: float = 0.0) -> dict:
    data = base64.b64encode(body_text(payload).encode()).decode()
    seq = str(49590338271490256608559692538361571095921575989136588898 + n)
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": key or "1",
            "sequenceNumber": seq,
            "data": data,
            "approximateArrivalTimestamp": arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"shardId-{shard:012d}:{seq}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/lambda-role",
        "awsRegion": region,
        "eventSourceARN": _arn("kinesis", region, f"stream/{stream}"),
    }


def dynamodb_record(payload: Any, table: str = "table", region: str = "us-east-1", n: int = 0,
                    view: str = "NEW_AND_OLD_IMAGES", arrival: float = 0.0) -> dict:
    event_name = "INSERT"
    if isinstance(payload, dict) and ("NewImage" in payload or "Keys" in payload or "eventName" in payload):
        event_name = payload.get("eventName", "INSERT")
        new = payload.get("NewImage")
        old = payload.get("OldImage")
        keys = payload.get("Keys")
    else:
        new = payload if isinstance(payload, dict) else {"value": payload}
        old = None
        keys = None
    if new is not None and not _is_typed(new):
        new = to_item(new)
    if old is not None and not _is_typed(old):
        old = to_item(old)
    if keys is None:
        src = new or old or {}
        k = "id" if "id" in src else (next(iter(src)) if src else "id")
        keys = {k: src.get(k, {"S": str(n)})}
    elif not _is_typed(keys):
        keys = to_item(keys)
    ddb: dict[str, Any] = {
        "ApproximateCreationDateTime": int(arrival),
        "Keys": keys,
        "SequenceNumber": str(111 + n).rjust(21, "0"),
        "SizeBytes": len(json.dumps([keys, new, old])),
        "StreamViewType": view,
    }
    if new is not None and view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES") and event_name != "REMOVE":
        ddb["NewImage"] = new
    if old is not None and view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        ddb["OldImage"] = old
    return {
        "eventID": _uid(table, n)[:32].replace("-", ""),
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": ddb,
        "eventSourceARN": _arn("dynamodb", region, f"table/{table}/stream/2026-01-01T00:00:00.000"),
    }


def s3_key(payload: Any) -> str:
    if isinstance(payload, dict):
        return str(payload.get("key", "object"))
    return "object" if payload is None else str(payload)


def s3_event_name(payload: Any) -> str:
    if isinstance(payload, dict) and "eventName" in payload:
        return str(payload["eventName"]).removeprefix("s3:")
    return "ObjectCreated:Put"


def s3_record(payload: Any, bucket: str = "bucket", region: str = "us-east-1", n: int = 0) -> dict:
    size = payload.get("size", 1024) if isinstance(payload, dict) else 1024
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": "2026-01-05T00:00:00.000Z",
        "eventName": s3_event_name(payload),
        "userIdentity": {"principalId": "EXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "EXAMPLE123456789", "x-amz-id-2": "EXAMPLE123/abc"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "notification",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "EXAMPLE"},
                       "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": s3_key(payload), "size": size,
                       "eTag": hashlib.md5(s3_key(payload).encode()).hexdigest(),
                       "sequencer": f"{n:016X}"},
        },
    }


def sns_parts(payload: Any) -> tuple[Any, dict]:
    """(message, message attributes in SNS's {"Type","Value"} form) of an SNS payload."""
    if isinstance(payload, dict) and ("MessageAttributes" in payload or "Message" in payload):
        msg = payload.get("Message")
        attrs = payload.get("MessageAttributes") or {}
    else:
        msg, attrs = payload, {}
    norm = {}
    for k, v in attrs.items():
        if isinstance(v, dict) and "Type" in v:
            norm[k] = v
        elif isinstance(v, bool) or isinstance(v, str):
            norm[k] = {"Type": "String", "Value": str(v).lower() if isinstance(v, bool) else v}
        elif isinstance(v, int | float):
            norm[k] = {"Type": "Number", "Value": str(v)}
        elif isinstance(v, list):
            norm[k] = {"Type": "String.Array", "Value": json.dumps(v)}
        else:
            norm[k] = {"Type": "String", "Value": json.dumps(v)}
    return msg, norm


def sns_record(payload: Any, topic: str = "topic", region: str = "us-east-1", n: int = 0) -> dict:
    msg, attrs = sns_parts(payload)
    arn = _arn("sns", region, topic)
    return {
        "EventVersion": "1.0",
        "EventSubscriptionArn": f"{arn}:{_uid(topic, 'sub')}",
        "EventSource": "aws:sns",
        "Sns": {
            "SignatureVersion": "1",
            "Timestamp": "2026-01-05T00:00:00.000Z",
            "Signature": "EXAMPLE",
            "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService.pem",
            "MessageId": _uid(topic, n),
            "Message": body_text(msg),
            "MessageAttributes": attrs,
            "Type": "Notification",
            "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
            "TopicArn": arn,
            "Subject": None,
        },
    }


def eventbridge_event(payload: Any, rule: str = "rule", region: str = "us-east-1", n: int = 0,
                      scheduled: bool = False) -> dict:
    """The EventBridge envelope; a payload with source/detail-type/detail keys is an envelope."""
    env = {
        "version": "0",
        "id": _uid(rule, n),
        "detail-type": "Scheduled Event" if scheduled else "Event",
        "source": "aws.events" if scheduled else "custom.app",
        "account": ACCOUNT,
        "time": "2026-01-05T00:00:00Z",
        "region": region,
        "resources": [_arn("events", region, f"rule/{rule}")] if scheduled else [],
        "detail": {},
    }
    if isinstance(payload, dict) and ({"source", "detail-type", "detail"} & payload.keys()):
        env.update(payload)
    elif payload is not None:
        env["detail"] = payload
    return env


def apigw_event(payload: Any, api_type: str = "REST", n: int = 0) -> dict:
    body = None if payload is None else body_text(payload)
    if api_type == "HTTP":
        return {
            "version": "2.0", "routeKey": "POST /", "rawPath": "/", "rawQueryString": "",
            "headers": {"content-type": "application/json"},
            "requestContext": {"accountId": ACCOUNT, "apiId": "api", "domainName": "api.example.com",
                               "http": {"method": "POST", "path": "/", "protocol": "HTTP/1.1",
                                        "sourceIp": "127.0.0.1", "userAgent": "triggerscope"},
                               "requestId": _uid("api", n), "routeKey": "POST /", "stage": "$default",
                               "time": "05/Jan/2026:00:00:00 +0000", "timeEpoch": 1767571200000},
            "body": body, "isBase64Encoded": False,
        }
    return {
        "resource": "/", "path": "/", "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"}, "multiValueHeaders": {},
        "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"resourcePath": "/", "httpMethod": "POST", "requestId": _uid("api", n),
                           "stage": "prod", "identity": {"sourceIp": "127.0.0.1"}},
        "body": body, "isBase64Encoded": False,
    }


def event_for(source_kind: str, payloads: list[Any], name: str = "source", **kw) -> dict:
    """The whole event a function receives from this kind of source (the app's Event tab)."""
    if source_kind == "SQSQueue":
        return {"Records": [sqs_record(p, name, n=i) for i, p in enumerate(payloads)]}
    if source_kind == "KinesisStream":
        return {"Records": [kinesis_record(p, name, n=i) for i, p in enumerate(payloads)]}
    if source_kind == "DynamoDBTable":
        return {"Records": [dynamodb_record(p, name, n=i) for i, p in enumerate(payloads)]}
    if source_kind == "S3Bucket":
        return {"Records": [s3_record(payloads[0] if payloads else None, name)]}
    if source_kind == "SNSTopic":
        return {"Records": [sns_record(payloads[0] if payloads else None, name)]}
    if source_kind in ("EventBridgeRule", "Schedule"):
        return eventbridge_event(payloads[0] if payloads else None, name,
                                 scheduled=source_kind == "Schedule")
    if source_kind == "ApiGateway":
        return apigw_event(payloads[0] if payloads else None, kw.get("api_type", "REST"))
    return {"payload": payloads[0] if payloads else None}


def stream_failure_record(source_kind: str, stream: str, function: str, condition: str, invokes: int,
                          shard: int, batch: list[tuple[int, float]], t: float, records: list | None = None,
                          region: str = "us-east-1") -> dict:
    """What a Kinesis / DynamoDB stream mapping sends its on-failure destination when it discards a
    batch (reference §2.3): metadata only — `batch` is the (sequence number, arrival time) of each
    record — except that an S3 destination also gets the invocation payload (`records`)."""
    info = "KinesisBatchInfo" if source_kind == "KinesisStream" else "DDBStreamBatchInfo"
    arn = (_arn("kinesis", region, f"stream/{stream}") if source_kind == "KinesisStream"
           else _arn("dynamodb", region, f"table/{stream}/stream/2026-01-01T00:00:00.000"))
    base = 49590338271490256608559692538361571095921575989136588898
    out = {
        "requestContext": {"requestId": _uid("onfailure", stream, shard, batch[0][0], t),
                           "functionArn": _arn("lambda", region, f"function:{function}"),
                           "condition": condition, "approximateInvokeCount": invokes},
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": iso_time(t),
        info: {"shardId": f"shardId-{shard:012d}",
               "startSequenceNumber": str(base + batch[0][0]), "endSequenceNumber": str(base + batch[-1][0]),
               "approximateArrivalOfFirstRecord": iso_time(batch[0][1]),
               "approximateArrivalOfLastRecord": iso_time(batch[-1][1]),
               "batchSize": len(batch), "streamArn": arn},
    }
    if records is not None:
        out["payload"] = json.dumps({"Records": records})
    return out
