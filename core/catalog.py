"""What each node kind accepts: AWS property names, defaults, units, ranges and help.

One table serves validation, the inspector in the app and template import/export.
Defaults are AWS's (reference/lambda-semantics.md); `behavior` fields are the
simulation's own and say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.model import Node


@dataclass(frozen=True)
class Field:
    """One configurable field. `path` is dotted inside `properties` or `behavior`."""

    path: str
    type: str  # int, float, bool, str, enum, dist, json
    default: Any = None
    min: float | None = None
    max: float | None = None
    unit: str = ""
    help: str = ""
    choices: tuple[Any, ...] = ()
    section: str = "properties"  # or "behavior"
    allowed: tuple[Any, ...] = ()  # extra single values allowed outside [min, max] (e.g. -1)


def P(path, type, default=None, min=None, max=None, unit="", help="", choices=(), allowed=()):
    return Field(path, type, default, min, max, unit, help, tuple(choices), "properties", tuple(allowed))


def B(path, type, default=None, min=None, max=None, unit="", help="", choices=()):
    return Field(path, type, default, min, max, unit, help, tuple(choices), "behavior")


DEFAULT_DURATION = {"dist": "lognormal", "median": 0.1, "p99": 0.5}
DEFAULT_COLD_START = {"dist": "lognormal", "median": 0.25, "p99": 1.0}
DEFAULT_IDLE = {"dist": "uniform", "low": 300.0, "high": 900.0}

FIELDS: dict[str, tuple[Field, ...]] = {
    "ApiGateway": (
        P("Type", "enum", "REST", choices=("REST", "HTTP"), help="REST API (v1) or HTTP API (v2)"),
        P("IntegrationTimeoutMillis", "int", 29000, 50, 900000, "ms",
          "API Gateway answers 504 after this; REST default 29 s, HTTP max 30 s"),
        P("ThrottlingRateLimit", "float", 10000.0, 0, 1e7, "req/s", "stage steady-state rate limit"),
        P("ThrottlingBurstLimit", "int", 5000, 0, 1e7, "requests", "stage token-bucket burst"),
    ),
    "S3Bucket": (),
    "SNSTopic": (
        P("FifoTopic", "bool", False, help="FIFO topic (not a valid Lambda destination)"),
    ),
    "EventBridgeRule": (
        P("EventPattern", "json", None, help="event pattern the rule matches (EventBridge syntax)"),
        P("State", "enum", "ENABLED", choices=("ENABLED", "DISABLED"), help="disabled rules match nothing"),
    ),
    "Schedule": (
        P("ScheduleExpression", "str", "rate(1 minute)", help="rate(N unit) or cron(min h dom mon dow yr), UTC"),
        P("State", "enum", "ENABLED", choices=("ENABLED", "DISABLED"), help="disabled schedules fire nothing"),
        P("Input", "json", None, help="payload delivered with each scheduled event"),
    ),
    "SQSQueue": (
        P("VisibilityTimeout", "int", 30, 0, 43200, "s", "how long a received message stays hidden"),
        P("MessageRetentionPeriod", "int", 345600, 60, 1209600, "s", "messages older than this are deleted (default 4 days)"),
        P("DelaySeconds", "int", 0, 0, 900, "s", "delivery delay for new messages"),
        P("FifoQueue", "bool", False, help="FIFO queue: order per message group"),
        P("RedrivePolicy.maxReceiveCount", "int", None, 1, 1000, "receives",
          "after this many receives a message moves to the redrive DLQ"),
    ),
    "KinesisStream": (
        P("ShardCount", "int", 1, 1, 10000, "shards", "each shard is read by one poller per ParallelizationFactor"),
        P("RetentionPeriodHours", "int", 24, 24, 8760, "h", "records older than this expire"),
    ),
    "DynamoDBTable": (
        P("StreamSpecification.StreamViewType", "enum", "NEW_AND_OLD_IMAGES",
          choices=("KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"), help="what each stream record holds"),
        B("StreamShards", "int", 1, 1, 10000, "shards", "simulation: number of stream shards"),
    ),
    "EventSourceMapping": (
        P("BatchSize", "int", None, 1, 10000, "records", "records per invocation (SQS 10, streams 100)"),
        P("MaximumBatchingWindowInSeconds", "int", 0, 0, 300, "s", "wait up to this long to fill a batch"),
        P("ParallelizationFactor", "int", 1, 1, 10, "", "streams: concurrent batches per shard"),
        P("MaximumRetryAttempts", "int", -1, 0, 10000, "retries", "streams: -1 retries until the record expires", allowed=(-1,)),
        P("MaximumRecordAgeInSeconds", "int", -1, 60, 604800, "s", "streams: -1 keeps records until retention", allowed=(-1,)),
        P("BisectBatchOnFunctionError", "bool", False, help="streams: split a failing batch in two and retry the halves"),
        P("FunctionResponseTypes", "json", [], help='["ReportBatchItemFailures"] enables partial batch responses'),
        P("ScalingConfig.MaximumConcurrency", "int", None, 2, 1000, "invocations", "SQS: cap on concurrent invocations"),
        P("FilterCriteria", "json", None, help='{"Filters": [{"Pattern": "..."}]} — up to 5, OR-ed'),
        P("StartingPosition", "enum", "LATEST", choices=("LATEST", "TRIM_HORIZON"), help="streams: where reading starts"),
        P("Enabled", "bool", True, help="false pauses polling"),
        P("DestinationConfig.OnFailure.Destination", "str", None, help="streams: set by an on_failure edge"),
        P("TumblingWindowInSeconds", "int", None, 0, 900, "s", "streams: tumbling window (not simulated)"),
    ),
    "Function": (
        P("MemorySize", "int", 128, 128, 10240, "MB", "memory; CPU and price scale with it"),
        P("Timeout", "int", 3, 1, 900, "s", "an invocation running longer fails and is billed to the timeout"),
        P("Architectures", "json", ["x86_64"], help='["x86_64"] or ["arm64"] (arm64 is cheaper)'),
        P("EphemeralStorage.Size", "int", 512, 512, 10240, "MB", "/tmp size; above 512 MB is billed"),
        P("ReservedConcurrentExecutions", "int", None, 0, 10_000_000, "", "floor and ceiling on concurrency; 0 disables"),
        P("ProvisionedConcurrentExecutions", "int", 0, 0, 10_000_000, "", "pre-initialised environments (no cold start)"),
        P("EventInvokeConfig.MaximumRetryAttempts", "int", 2, 0, 2, "retries", "async: retries after a function error"),
        P("EventInvokeConfig.MaximumEventAgeInSeconds", "int", 21600, 60, 21600, "s", "async: events older than this are discarded"),
        B("Duration", "dist", DEFAULT_DURATION, unit="s", help="simulation: handler run time"),
        B("ErrorRate", "float", 0.0, 0.0, 1.0, "", "simulation: share of invocations that throw"),
        B("ColdStart", "dist", DEFAULT_COLD_START, unit="s", help="simulation: init duration of a new environment (null: none)"),
        B("IdleTimeout", "dist", DEFAULT_IDLE, unit="s", help="simulation: idle time before an environment is reclaimed"),
    ),
    "Dependency": (
        B("MaxConcurrentRequests", "int", None, 1, 10_000_000, "requests", "simulation: requests beyond this are rejected"),
        B("Latency", "dist", {"dist": "const", "value": 0.0}, unit="s", help="simulation: added to each invocation that calls it"),
        B("ErrorRate", "float", 0.0, 0.0, 1.0, "", "simulation: share of requests that fail"),
    ),
}

EDGE_FIELDS: dict[str, tuple[Field, ...]] = {
    "invoke": (
        P("Events", "json", None, help='S3: event types, e.g. ["s3:ObjectCreated:*"]'),
        P("Filter.S3Key.Rules", "json", None, help='S3: [{"Name": "prefix", "Value": "in/"}]'),
        P("FilterPolicy", "json", None, help="SNS: subscription filter policy"),
        P("FilterPolicyScope", "enum", "MessageAttributes", choices=("MessageAttributes", "MessageBody"), help="SNS: what the policy matches"),
    ),
    "deliver": (
        P("Events", "json", None, help='S3: event types, e.g. ["s3:ObjectCreated:*"]'),
        P("Filter.S3Key.Rules", "json", None, help='S3: [{"Name": "prefix", "Value": "in/"}]'),
        P("FilterPolicy", "json", None, help="SNS: subscription filter policy"),
        P("FilterPolicyScope", "enum", "MessageAttributes", choices=("MessageAttributes", "MessageBody"), help="SNS: what the policy matches"),
        P("RawMessageDelivery", "bool", False, help="SNS → SQS: deliver the raw message"),
    ),
    "emits": (
        P("PerInvocation", "float", 1.0, 0, 10000, "events", "events the code publishes per successful invocation"),
    ),
}


def fields_for(kind: str) -> tuple[Field, ...]:
    return FIELDS.get(kind, ())


def field(kind: str, path: str, section: str = "properties") -> Field | None:
    for f in FIELDS.get(kind, ()):
        if f.path == path and f.section == section:
            return f
    return None


def get_path(d: dict, path: str, default: Any = None) -> Any:
    cur: Any = d
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return default
        cur = cur[part]
    return cur


def set_path(d: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    cur = d
    for part in parts[:-1]:
        nxt = cur.get(part)
        if not isinstance(nxt, dict):
            nxt = cur[part] = {}
        cur = nxt
    if value is None:
        cur.pop(parts[-1], None)
    else:
        cur[parts[-1]] = value


def prop(node: Node, path: str) -> Any:
    """A node property with AWS's default when unset."""
    v = get_path(node.properties, path)
    if v is not None:
        return v
    f = field(node.kind, path)
    return f.default if f else None


def behav(node: Node, path: str) -> Any:
    """A behaviour value; an explicit null stays null (e.g. ColdStart: null = none)."""
    if path in node.behavior:
        return node.behavior[path]
    f = field(node.kind, path, "behavior")
    return f.default if f else None


def esm_default_batch_size(source_kind: str) -> int:
    """AWS's BatchSize default: 10 for SQS, 100 for streams."""
    return 10 if source_kind == "SQSQueue" else 100
