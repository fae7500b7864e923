"""Import a SAM or CloudFormation template as a Triggerscope scenario.

SAM templates are first expanded by AWS's own translator (`core.templates.sam`); the
resulting CloudFormation is then mapped resource by resource:

| CloudFormation | scenario |
|---|---|
| AWS::Lambda::Function (+ Alias/Version provisioned concurrency, EventInvokeConfig) | `Function`, `dlq` / `on_success` / `on_failure` edges |
| AWS::SQS::Queue | `SQSQueue`, `redrive` edge to the RedrivePolicy's deadLetterTargetArn |
| AWS::SNS::Topic, AWS::SNS::Subscription, Topic.Subscription | `SNSTopic`, `invoke` (lambda) / `deliver` (sqs) edges |
| AWS::Kinesis::Stream | `KinesisStream` |
| AWS::DynamoDB::Table with StreamSpecification | `DynamoDBTable` |
| AWS::Events::Rule | `EventBridgeRule`, or `Schedule` when it has a ScheduleExpression |
| AWS::Scheduler::Schedule | `Schedule` |
| AWS::Lambda::EventSourceMapping | `EventSourceMapping` with `poll` edges, `on_failure` edge |
| AWS::ApiGateway::RestApi, AWS::ApiGatewayV2::Api | `ApiGateway` (REST / HTTP), `invoke` edges |
| AWS::S3::Bucket NotificationConfiguration | `S3Bucket`, `invoke` / `deliver` edges |

Everything else is listed in `ImportResult.skipped` with the reason. Behaviour that a
template cannot know (durations, error rates, traffic) gets defaults the report names.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx

from core import catalog
from core.catalog import get_path, set_path
from core.model import FORMAT, Scenario, ScenarioError, from_dict
from core.templates import samples
from core.templates.common import (
    API_RATE,
    DEFAULT_FUNCTION_BEHAVIOR,
    META_KEY,
    PSEUDO,
    SAM_TRANSFORM,
    SOURCE_RATE,
    TemplateError,
    is_logical_id,
    sanitize_id,
)
from core.templates.intrinsics import NOVALUE, Resolver, Target, Unresolved, getatt_parts
from core.templates.sam import expand, transforms
from core.templates.yaml_cfn import LoadError, load_with_lines


@dataclass
class ImportResult:
    """A scenario built from a template, and what happened on the way."""

    scenario: Scenario
    report: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str, str]] = field(default_factory=list)


class _Unres:
    def __repr__(self) -> str:
        return "<unresolved>"


_UNRES = _Unres()

# AWS service (ARN) → node kind, for references to things outside the template
_SERVICE_KIND = {
    "sqs": "SQSQueue",
    "sns": "SNSTopic",
    "kinesis": "KinesisStream",
    "dynamodb": "DynamoDBTable",
    "lambda": "Function",
    "s3": "S3Bucket",
}

_FUNCTION_FIELDS = ("MemorySize", "Timeout", "Architectures", "EphemeralStorage.Size",
                    "ReservedConcurrentExecutions")
_QUEUE_FIELDS = ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "FifoQueue")
_ESM_FIELDS = ("BatchSize", "MaximumBatchingWindowInSeconds", "ParallelizationFactor",
               "MaximumRetryAttempts", "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError",
               "FunctionResponseTypes", "ScalingConfig.MaximumConcurrency", "FilterCriteria",
               "StartingPosition", "Enabled", "TumblingWindowInSeconds")
_ESM_IGNORED = ("StartingPositionTimestamp", "MetricsConfig", "ProvisionedPollerConfig",
                "KmsKeyArn", "Queues", "Topics", "SourceAccessConfigurations",
                "SelfManagedEventSource", "AmazonManagedKafkaEventSourceConfig",
                "SelfManagedKafkaEventSourceConfig", "DocumentDBEventSourceConfig",
                "LoggingConfig")

# Resource types that take no part in the flow, with the reason given in the report.
_NO_ROLE = {
    "AWS::IAM::Role": "IAM role: permissions are not simulated",
    "AWS::IAM::Policy": "IAM policy: permissions are not simulated",
    "AWS::IAM::ManagedPolicy": "IAM policy: permissions are not simulated",
    "AWS::IAM::InstanceProfile": "IAM: permissions are not simulated",
    "AWS::Lambda::Permission": "resource-based permission: used only to find which API calls which function",
    "AWS::Lambda::LayerVersion": "layer: code packaging, not part of the flow",
    "AWS::Lambda::LayerVersionPermission": "layer permission: not part of the flow",
    "AWS::Lambda::Url": "function URL: synchronous HTTPS caller, not simulated (model it as an HTTP API to load the function)",
    "AWS::Logs::LogGroup": "log group: not part of the flow",
    "AWS::Logs::SubscriptionFilter": "CloudWatch Logs subscription: trigger source not simulated",
    "AWS::Logs::MetricFilter": "metric filter: monitoring, not part of the flow",
    "AWS::CloudWatch::Alarm": "alarm: monitoring, not part of the flow",
    "AWS::CloudWatch::Dashboard": "dashboard: monitoring, not part of the flow",
    "AWS::SQS::QueuePolicy": "queue policy: permissions are not simulated",
    "AWS::SNS::TopicPolicy": "topic policy: permissions are not simulated",
    "AWS::S3::BucketPolicy": "bucket policy: permissions are not simulated",
    "AWS::Events::EventBus": "event bus: the rules on it are mapped",
    "AWS::Events::EventBusPolicy": "event bus policy: permissions are not simulated",
    "AWS::Events::Archive": "event archive: not part of the flow",
    "AWS::Events::Connection": "API destination connection: not simulated",
    "AWS::Events::ApiDestination": "API destination: not simulated",
    "AWS::Scheduler::ScheduleGroup": "schedule group: the schedules in it are mapped",
    "AWS::ApiGateway::Deployment": "API deployment: not part of the flow",
    "AWS::ApiGateway::Stage": "API stage: its throttling settings are folded into the API",
    "AWS::ApiGateway::Resource": "API resource path: routes are not simulated",
    "AWS::ApiGateway::Method": "API method: used only to find which function the API calls",
    "AWS::ApiGateway::Account": "API Gateway account settings: not part of the flow",
    "AWS::ApiGateway::Authorizer": "authorizer: not simulated",
    "AWS::ApiGateway::ApiKey": "API key: not simulated",
    "AWS::ApiGateway::UsagePlan": "usage plan: not simulated",
    "AWS::ApiGateway::UsagePlanKey": "usage plan key: not simulated",
    "AWS::ApiGateway::DomainName": "custom domain: not part of the flow",
    "AWS::ApiGateway::BasePathMapping": "base path mapping: not part of the flow",
    "AWS::ApiGateway::GatewayResponse": "gateway response: not simulated",
    "AWS::ApiGateway::Model": "request model: not simulated",
    "AWS::ApiGateway::RequestValidator": "request validator: not simulated",
    "AWS::ApiGatewayV2::Stage": "API stage: its throttling settings are folded into the API",
    "AWS::ApiGatewayV2::Deployment": "API deployment: not part of the flow",
    "AWS::ApiGatewayV2::Route": "API route: routes are not simulated",
    "AWS::ApiGatewayV2::Integration": "API integration: used only to find which function the API calls",
    "AWS::ApiGatewayV2::Authorizer": "authorizer: not simulated",
    "AWS::ApiGatewayV2::DomainName": "custom domain: not part of the flow",
    "AWS::ApiGatewayV2::ApiMapping": "API mapping: not part of the flow",
    "AWS::Lambda::Version": "function version: folded into its function",
    "AWS::Lambda::Alias": "function alias: folded into its function",
    "AWS::Lambda::EventInvokeConfig": "async invoke configuration: folded into its function",
    "AWS::CodeDeploy::Application": "CodeDeploy: deployments are not simulated",
    "AWS::CodeDeploy::DeploymentGroup": "CodeDeploy: deployments are not simulated",
    "AWS::CloudFormation::Stack": "nested stack: its resources are not in this template",
    "AWS::CloudFormation::CustomResource": "custom resource: runs at deploy time, not part of the flow",
    "AWS::StepFunctions::StateMachine": "state machine: Step Functions are not simulated",
    "AWS::Pipes::Pipe": "EventBridge Pipe: not simulated",
    "AWS::KMS::Key": "KMS key: encryption is not simulated",
    "AWS::KMS::Alias": "KMS alias: encryption is not simulated",
    "AWS::SSM::Parameter": "SSM parameter: configuration, not part of the flow",
    "AWS::SecretsManager::Secret": "secret: configuration, not part of the flow",
    "AWS::IoT::TopicRule": "IoT rule: trigger source not simulated",
    "AWS::Cognito::UserPool": "Cognito user pool: trigger source not simulated",
    "AWS::Kinesis::StreamConsumer": "enhanced fan-out consumer: folded into its stream's mapping",
    "AWS::KinesisFirehose::DeliveryStream": "Firehose: not simulated",
    "AWS::ElasticLoadBalancingV2::TargetGroup": "load balancer target group: ALB callers are not simulated",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "load balancer: ALB callers are not simulated",
    "AWS::ElasticLoadBalancingV2::Listener": "load balancer listener: ALB callers are not simulated",
    "AWS::ElasticLoadBalancingV2::ListenerRule": "load balancer rule: ALB callers are not simulated",
}

_WRITE_ACTIONS = (
    "sqs:sendmessage", "sqs:sendmessagebatch", "sns:publish", "sns:publishbatch",
    "kinesis:putrecord", "kinesis:putrecords", "events:putevents", "s3:putobject",
    "dynamodb:putitem", "dynamodb:updateitem", "dynamodb:batchwriteitem",
    "dynamodb:deleteitem", "dynamodb:transactwriteitems",
)


def import_template(path_or_text: str | os.PathLike, *, name: str | None = None) -> ImportResult:
    """Read a SAM or CloudFormation template (YAML or JSON; a path or the text itself).

    Raises TemplateError naming the file, resource and line for a template that cannot
    be read; anything that can be read but not mapped is reported, not raised.
    """
    text, source, stem = _read(path_or_text)
    try:
        data, lines = load_with_lines(text)
    except LoadError as e:
        err = TemplateError(str(e), source=source)
        err.line = e.line
        raise err from None
    if not isinstance(data, dict):
        what = "nothing" if data is None else f"a {type(data).__name__}"
        raise TemplateError(f"not a CloudFormation or SAM template: the file holds {what}, "
                            "not a mapping with a Resources section", source=source)
    resources = data.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise TemplateError("not a CloudFormation or SAM template: it has no Resources section "
                            "(a template needs at least one resource)", source=source)
    for lid, r in resources.items():
        if isinstance(lid, str) and lid.startswith("Fn::ForEach"):
            continue
        if not isinstance(lid, str) or not is_logical_id(lid):
            raise TemplateError(f"logical id {lid!r} is not alphanumeric, as CloudFormation requires",
                                source=source, line=lines.get(str(lid)))
        if not isinstance(r, dict) or not isinstance(r.get("Type"), str):
            raise TemplateError("every resource needs a Type (for example AWS::SQS::Queue)",
                                source=source, logical_id=lid, line=lines.get(lid))
        if r.get("Properties") is not None and not isinstance(r["Properties"], dict):
            raise TemplateError("Properties must be a mapping", source=source, logical_id=lid,
                                path="Properties", line=lines.get(lid))
    meta_all = data.get("Metadata") if isinstance(data.get("Metadata"), dict) else {}
    meta = meta_all.get(META_KEY)
    _check_functions(resources, source, lines)
    pre: list[str] = []
    if isinstance(meta, str):
        try:
            meta = json.loads(meta)
        except ValueError as e:
            pre.append(f"Note: Metadata.{META_KEY} is not valid JSON ({e}); ignored.")
            meta = {}
    if not isinstance(meta, dict):
        meta = {}

    tfs = transforms(data)
    sam = SAM_TRANSFORM in tfs
    if not sam and any(isinstance(r, dict) and str(r.get("Type", "")).startswith("AWS::Serverless::")
                       for r in resources.values()):
        sam = True
        pre.append(f"Note: the template uses AWS::Serverless:: resources but has no Transform: {SAM_TRANSFORM}; "
                   "it was expanded as if it had (CloudFormation would reject it as written).")
    sam_notes: dict[str, str] = {}
    loops = [k for k in resources if isinstance(k, str) and k.startswith("Fn::ForEach")]
    work = data
    if loops:
        work = dict(data)
        work["Resources"] = {k: v for k, v in resources.items() if k not in loops}
    if sam:
        cfn, sam_notes = expand(work, source, lines)
    else:
        cfn = work
    if not loops:  # resources a loop would generate are not there to refer to
        _check_refs(cfn, source, lines)
    for t in tfs:
        if t != SAM_TRANSFORM:
            pre.append(f"Note: transform {t} was not applied; what it would generate is not imported.")
    if loops:
        pre.append("Note: Fn::ForEach loops (AWS::LanguageExtensions) are not expanded; their resources are not imported.")
    imp = _Importer(cfn, data, source, meta, lines, sam, sam_notes)
    imp.pre = pre
    return imp.run(name or _meta_str(meta, "name") or _describe(data) or stem)


_KNOWN_FN = {"Fn::Base64", "Fn::Cidr", "Fn::FindInMap", "Fn::GetAtt", "Fn::GetAZs", "Fn::ImportValue",
             "Fn::Join", "Fn::Select", "Fn::Split", "Fn::Sub", "Fn::Transform", "Fn::If", "Fn::Equals",
             "Fn::And", "Fn::Or", "Fn::Not", "Fn::Length", "Fn::ToJsonString", "Fn::GetParam"}


def _walk_intrinsics(v: Any, path: str):
    """(name, argument, path) of every intrinsic function call inside `v`."""
    if isinstance(v, dict):
        if len(v) == 1:
            (k, arg), = v.items()
            if isinstance(k, str) and (k == "Ref" or k.startswith("Fn::")):
                yield k, arg, path
        for k, x in v.items():
            yield from _walk_intrinsics(x, f"{path}.{k}" if path else str(k))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            yield from _walk_intrinsics(x, f"{path}[{i}]")


def _check_functions(resources: dict, source: str, lines: dict[str, int]) -> None:
    """CloudFormation rejects unknown intrinsic functions; so do we, naming the place."""
    for lid, r in resources.items():
        if not isinstance(r, dict):
            continue
        for name, _arg, path in _walk_intrinsics(r, ""):
            if name.startswith("Fn::") and name not in _KNOWN_FN and not name.startswith("Fn::ForEach"):
                raise TemplateError(f"unsupported intrinsic function {name} (CloudFormation knows "
                                    "Fn::Sub, Fn::GetAtt, Fn::Join, Fn::If …)", source=source,
                                    logical_id=lid, path=path, line=lines.get(lid))


def _check_refs(cfn: dict, source: str, lines: dict[str, int]) -> None:
    """A Ref to nothing is a template CloudFormation cannot deploy: say where it is."""
    resources = cfn.get("Resources") or {}
    params = cfn.get("Parameters") if isinstance(cfn.get("Parameters"), dict) else {}
    known = set(resources) | set(params) | set(PSEUDO) | {"AWS::NoValue"}
    for lid, r in resources.items():
        if not isinstance(r, dict):
            continue
        for name, arg, path in _walk_intrinsics(r.get("Properties"), "Properties"):
            if name == "Ref" and isinstance(arg, str) and arg not in known and arg.split(".")[0] not in resources:
                raise TemplateError(f"Ref {arg} names no resource, parameter or pseudo parameter",
                                    source=source, logical_id=lid, path=path, line=lines.get(lid))
            if name == "Fn::GetAtt" and (isinstance(arg, str) or (isinstance(arg, list) and arg and isinstance(arg[0], str))):
                target = getatt_parts(arg)[0]
                if target and target not in resources:
                    raise TemplateError(f"Fn::GetAtt refers to {target}, which is not a resource in the template",
                                        source=source, logical_id=lid, path=path, line=lines.get(lid))


def _meta_str(meta: dict, key: str) -> str | None:
    v = meta.get(key)
    return v if isinstance(v, str) and v else None


def _describe(data: dict) -> str | None:
    d = data.get("Description")
    if isinstance(d, str) and d.strip():
        first = d.strip().splitlines()[0].strip()
        return first[:80] or None
    return None


def _read(path_or_text: str | os.PathLike) -> tuple[str, str, str]:
    """(text, source name for messages, default scenario name)."""
    path: Path | None = None
    if isinstance(path_or_text, os.PathLike):
        path = Path(path_or_text)
    elif isinstance(path_or_text, str):
        s = path_or_text
        if "\n" not in s and len(s) < 4096 and s.strip() and not s.lstrip().startswith("{"):
            looks_like_yaml = ": " in s or s.rstrip().endswith(":")
            if os.path.exists(s) or s.lower().endswith((".yaml", ".yml", ".json", ".template", ".txt")) \
                    or not looks_like_yaml:
                path = Path(s)
    else:
        raise TemplateError(f"expected a path or template text, got {type(path_or_text).__name__}")
    if path is None:
        return str(path_or_text), "<template>", "Imported template"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TemplateError("file not found", source=str(path)) from None
    except UnicodeDecodeError:
        raise TemplateError("not a text file (a template is YAML or JSON text)", source=str(path)) from None
    except OSError as e:
        raise TemplateError(f"cannot read the file: {e.strerror or e}", source=str(path)) from None
    return text, str(path), path.stem


# -- the mapping ---------------------------------------------------------------------------


class _Importer:
    def __init__(self, cfn: dict, original: dict, source: str, meta: dict, lines: dict[str, int],
                 sam: bool, sam_notes: dict[str, str]):
        self.cfn = cfn
        self.original = original
        self.orig_res = original.get("Resources") or {}
        self.source = source
        self.meta = meta
        self.lines = lines
        self.sam = sam
        self.sam_notes = sam_notes
        self.res: dict[str, dict] = {k: v for k, v in (cfn.get("Resources") or {}).items()
                                     if isinstance(v, dict)}
        self.R = Resolver(cfn)
        self.pre: list[str] = []
        self.mapped: list[str] = []
        self.notes: list[str] = []
        self.assumed: list[str] = []
        self.skipped: list[tuple[str, str, str]] = []
        self.nodes: dict[str, dict] = {}
        self.lid_node: dict[str, str] = {}
        self.edges: list[dict] = []
        self._edge_keys: set[tuple[str, str, str]] = set()
        self.done: set[str] = set()
        self.rule_bus: dict[str, str] = {}  # node id → event bus key
        self.ids_meta: dict[str, str] = {}
        m = meta.get("ids")
        if isinstance(m, dict):
            self.ids_meta = {str(k): str(v) for k, v in m.items()}
        self.extra_nodes: set[str] = set()

    # -- helpers -------------------------------------------------------------------------
    def rtype(self, lid: str) -> str:
        return str(self.res.get(lid, {}).get("Type", ""))

    def props(self, lid: str) -> dict:
        p = self.res.get(lid, {}).get("Properties")
        return p if isinstance(p, dict) else {}

    def origin(self, lid: str) -> str:
        """' (generated by SAM from Fn event X)' for resources SAM made, else ''."""
        if not self.sam or lid in self.orig_res:
            return ""
        if lid in ("ServerlessRestApi", "ServerlessHttpApi"):
            return " (generated by SAM for the functions' implicit API)"
        best = ""
        for olid, r in self.orig_res.items():
            if isinstance(r, dict) and str(r.get("Type", "")).startswith("AWS::Serverless::") \
                    and lid.startswith(olid) and len(olid) > len(best):
                best = olid
        if not best:
            return " (generated by SAM)"
        rest = lid[len(best):]
        events = (self.orig_res[best].get("Properties") or {}).get("Events") or {}
        ev = max((k for k in events if isinstance(k, str) and rest.startswith(k)), key=len, default="")
        return f" (generated by SAM from {best}" + (f" event {ev})" if ev else ")")

    def _id_for(self, lid: str) -> str:
        if lid in self.ids_meta:
            return self.ids_meta[lid]
        md = self.res.get(lid, {}).get("Metadata")
        if isinstance(md, dict) and isinstance(md.get(META_KEY), dict):
            v = md[META_KEY].get("id")
            if isinstance(v, str) and v:
                return v
        md = self.orig_res.get(lid, {}).get("Metadata") if isinstance(self.orig_res.get(lid), dict) else None
        if isinstance(md, dict) and isinstance(md.get(META_KEY), dict):
            v = md[META_KEY].get("id")
            if isinstance(v, str) and v:
                return v
        return lid

    def add_node(self, lid: str | None, kind: str, properties: dict | None = None,
                 nid: str | None = None) -> str:
        nid = nid or self._id_for(lid or "Node")
        base, i = nid, 2
        while nid in self.nodes:
            nid = f"{base}{i}"
            i += 1
        self.nodes[nid] = {"id": nid, "kind": kind,
                           "properties": properties if properties is not None else {}, "behavior": {}}
        if lid:
            self.lid_node[lid] = nid
            self.done.add(lid)
        return nid

    def add_edge(self, src: str, dst: str, role: str, properties: dict | None = None) -> bool:
        key = (src, dst, role)
        if key in self._edge_keys:
            # merge (S3 configurations with several events to one target)
            for e in self.edges:
                if (e["from"], e["to"], e["role"]) == key and properties:
                    ev = properties.get("Events")
                    if ev and isinstance(e["properties"].get("Events"), list):
                        for x in ev:
                            if x not in e["properties"]["Events"]:
                                e["properties"]["Events"].append(x)
            return False
        self._edge_keys.add(key)
        self.edges.append({"from": src, "to": dst, "role": role, "properties": properties or {}})
        return True

    def skip(self, lid: str, reason: str) -> None:
        self.done.add(lid)
        self.skipped.append((lid, self.rtype(lid) or str(self.orig_res.get(lid, {}).get("Type", "")), reason))

    def resolve(self, v: Any, path: str, bad: dict[str, str]) -> Any:
        """Resolve leniently: unresolvable leaves become _UNRES and their reason goes in `bad`."""
        if isinstance(v, dict):
            if len(v) == 1:
                (k, arg), = v.items()
                if k == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
                    return self.resolve(self.R.pick_if(arg), path, bad)
                if k == "Ref" or k == "Condition" or k.startswith("Fn::"):
                    try:
                        return self.R.value(v)
                    except Unresolved as e:
                        bad[path] = str(e)
                        return _UNRES
            out = {}
            for key, x in v.items():
                y = self.resolve(x, f"{path}.{key}" if path else str(key), bad)
                if y is not NOVALUE:
                    out[key] = y
            return out
        if isinstance(v, list):
            out_l = []
            for i, x in enumerate(v):
                y = self.resolve(x, f"{path}[{i}]", bad)
                if y is not NOVALUE:
                    out_l.append(y)
            return out_l
        return v

    def take(self, lid: str, kind: str, src: dict, bad: dict, cfn_path: str, dest: dict,
             prop_path: str | None = None, field_kind: str | None = None) -> Any:
        """Copy one property into `dest` with the catalog's type; report what cannot be read."""
        prop_path = prop_path or cfn_path
        v = _dig(src, cfn_path)
        if v is None:
            return None
        where = f"{self.lid_node.get(lid, lid)}.{prop_path}"
        if v is _UNRES or _has_unres(v):
            reason = _reason(bad, cfn_path)
            f = catalog.field(field_kind or kind, prop_path)
            dflt = f" ({f.default})" if f is not None and f.default is not None else ""
            self.notes.append(f"Unresolved: {where}: {reason}; AWS's default{dflt} used.")
            return None
        f = catalog.field(field_kind or kind, prop_path)
        ok, val = _coerce(f.type if f else "json", v)
        if not ok:
            self.notes.append(f"Unresolved: {where}: {v!r} is not a valid {f.type if f else 'value'}; AWS's default used.")
            return None
        set_path(dest, prop_path, val)
        return val

    # -- resolving references to nodes ----------------------------------------------------------
    def function_lid(self, lid: str, seen: set | None = None) -> str | None:
        """The AWS::Lambda::Function behind a function, alias or version logical id."""
        t = self.rtype(lid)
        if t == "AWS::Lambda::Function":
            return lid
        if t in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
            seen = seen or set()
            if lid in seen:
                return None
            seen.add(lid)
            tg = self.R.target(self.props(lid).get("FunctionName"))
            if tg and tg.logical_id:
                return self.function_lid(tg.logical_id, seen)
        return None

    def node_for(self, value: Any, kinds: tuple[str, ...], context: str) -> str | None:
        """The node `value` points at, among `kinds`; a placeholder for an outside resource."""
        tg = self.R.target(value)
        if tg is None:
            return None
        return self.node_for_target(tg, kinds, context)

    def node_for_target(self, tg: Target, kinds: tuple[str, ...], context: str) -> str | None:
        if tg.logical_id:
            lid = tg.logical_id
            t = self.rtype(lid)
            if t in ("AWS::Lambda::Alias", "AWS::Lambda::Version", "AWS::Lambda::Function"):
                fl = self.function_lid(lid)
                return self.lid_node.get(fl) if fl and "Function" in kinds else None
            if t == "AWS::Kinesis::StreamConsumer":
                stg = self.R.target(self.props(lid).get("StreamARN"))
                if stg:
                    nid = self.node_for_target(stg, kinds, context)
                    if nid:
                        self.notes.append(f"Note: {context} reads through enhanced fan-out consumer {lid}; "
                                          "its dedicated throughput is not simulated.")
                    return nid
                return None
            if t in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable") and "DynamoDBTable" in kinds:
                return self.lid_node.get(lid) or self.table_node(lid, forced=True)
            if t == "AWS::S3::Bucket" and "S3Bucket" in kinds:
                return self.lid_node.get(lid) or self.add_node(lid, "S3Bucket")
            nid = self.lid_node.get(lid)
            if nid and self.nodes[nid]["kind"] in kinds:
                return nid
            return None
        kind = _SERVICE_KIND.get(tg.service or "")
        if kind is None and tg.service:
            return None  # an ARN of a service Triggerscope does not simulate (states, firehose …)
        if kind is None:
            if len(kinds) == 1:
                kind = kinds[0]
            else:
                kind = _guess_kind(tg.external or "", kinds)
        if kind not in kinds or not tg.external:
            return None
        return self.placeholder(tg, kind, context)

    def placeholder(self, tg: Target, kind: str, context: str) -> str:
        hint = sanitize_id(tg.external or kind)
        for nid, n in self.nodes.items():
            if n.get("_ext") == (tg.arn or tg.param or tg.external) and n["kind"] == kind:
                return nid
        nid = self.add_node(None, kind, nid=hint)
        self.nodes[nid]["_ext"] = tg.arn or tg.param or tg.external
        what = f"parameter {tg.param}" if tg.param and not tg.arn else (tg.arn or tg.external)
        self.notes.append(f"Placeholder: {kind} {nid} stands for {what}, used by {context} but defined outside "
                          "this template; AWS's defaults assumed for it.")
        return nid

    # -- per-type mapping --------------------------------------------------------------------------
    def run(self, name: str) -> ImportResult:
        for lid, r in self.res.items():
            cond = r.get("Condition")
            if isinstance(cond, str):
                c = self.R.condition(cond)
                if c is False:
                    self.skip(lid, f"condition {cond} is false with the parameters' defaults")
                elif c is None:
                    self.notes.append(f"Note: condition {cond} of {lid} could not be evaluated; the resource is included.")
        # nodes first, so references resolve in any order
        for lid in list(self.res):
            if lid in self.done:
                continue
            t = self.rtype(lid)
            if t == "AWS::Lambda::Function":
                self.function(lid)
            elif t == "AWS::SQS::Queue":
                self.queue(lid)
            elif t == "AWS::SNS::Topic":
                self.topic(lid)
            elif t == "AWS::Kinesis::Stream":
                self.stream(lid)
            elif t in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
                self.table_node(lid)
            elif t == "AWS::Events::Rule":
                self.rule(lid)
            elif t == "AWS::Scheduler::Schedule":
                self.scheduler_schedule(lid)
            elif t in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"):
                self.api(lid)
        # then the relations
        for lid in list(self.res):
            t = self.rtype(lid)
            if lid in self.done and t not in ("AWS::Lambda::Function", "AWS::SQS::Queue", "AWS::SNS::Topic",
                                              "AWS::Events::Rule", "AWS::Scheduler::Schedule"):
                continue
            if any(s[0] == lid for s in self.skipped):
                continue
            if t == "AWS::Lambda::Function":
                self.function_edges(lid)
            elif t == "AWS::SQS::Queue":
                self.queue_edges(lid)
            elif t == "AWS::SNS::Topic":
                self.topic_edges(lid)
            elif t == "AWS::Events::Rule":
                self.rule_edges(lid)
            elif t == "AWS::Scheduler::Schedule":
                self.scheduler_edges(lid)
        for lid in list(self.res):
            if any(s[0] == lid for s in self.skipped):
                continue
            t = self.rtype(lid)
            if t == "AWS::Lambda::EventSourceMapping":
                self.esm(lid)
            elif t == "AWS::SNS::Subscription":
                self.subscription(lid)
            elif t in ("AWS::Lambda::Alias", "AWS::Lambda::Version"):
                self.alias(lid)
            elif t == "AWS::Lambda::EventInvokeConfig":
                self.event_invoke_config(lid)
            elif t == "AWS::S3::Bucket":
                self.bucket(lid)
        self.api_edges()
        for lid in list(self.res):
            if lid in self.done or any(s[0] == lid for s in self.skipped):
                continue
            self.other(lid)
        return self.finish(name)

    # functions
    def function(self, lid: str) -> None:
        p = self.props(lid)
        bad: dict[str, str] = {}
        rp = self.resolve(p, "", bad)
        props: dict = {}
        nid = self.add_node(lid, "Function", props)
        for f in _FUNCTION_FIELDS:
            self.take(lid, "Function", rp, bad, f, props)
        self.mapped.append(f"Mapped {lid} (AWS::Lambda::Function){self.origin(lid)} → Function {nid}.")
        if lid in self.sam_notes:
            self.notes.append(f"Note: {lid}: {self.sam_notes[lid]}.")
        if isinstance(rp.get("SnapStart"), dict) and rp["SnapStart"].get("ApplyOn") == "PublishedVersions":
            self.notes.append(f"Note: {nid} uses SnapStart; tune behavior.ColdStart to match.")

    def function_edges(self, lid: str) -> None:
        nid = self.lid_node.get(lid)
        if nid is None:
            return
        dlc = self.props(lid).get("DeadLetterConfig")
        if isinstance(dlc, dict) and dlc.get("TargetArn") is not None:
            dst = self.node_for(dlc["TargetArn"], ("SQSQueue", "SNSTopic"), f"{nid}'s DeadLetterConfig")
            if dst:
                self.add_edge(nid, dst, "dlq")
            else:
                self.notes.append(f"Unresolved: {nid}.DeadLetterConfig.TargetArn does not point at a queue or topic; no dlq edge.")

    def alias(self, lid: str) -> None:
        fl = self.function_lid(lid)
        fn = self.lid_node.get(fl) if fl else None
        kind = "alias" if self.rtype(lid) == "AWS::Lambda::Alias" else "version"
        if fn is None:
            self.skip(lid, f"function {kind} of a function outside this template")
            return
        bad: dict[str, str] = {}
        pcc = self.resolve(self.props(lid).get("ProvisionedConcurrencyConfig"), "ProvisionedConcurrencyConfig", bad)
        extra = ""
        if isinstance(pcc, dict) and pcc.get("ProvisionedConcurrentExecutions") is not None:
            v = pcc["ProvisionedConcurrentExecutions"]
            if v is _UNRES:
                self.notes.append(f"Unresolved: {fn}.ProvisionedConcurrentExecutions: "
                                  f"{_reason(bad, 'ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions')}; none assumed.")
            else:
                ok, n = _coerce("int", v)
                if ok:
                    props = self.nodes[fn]["properties"]
                    prev = props.get("ProvisionedConcurrentExecutions")
                    if prev is not None and prev != n:
                        self.notes.append(f"Note: {fn} has provisioned concurrency on several aliases/versions; "
                                          f"the largest ({max(prev, n)}) is used.")
                        n = max(prev, n)
                    props["ProvisionedConcurrentExecutions"] = n
                    extra = f" (ProvisionedConcurrentExecutions {n})"
        self.skip(lid, f"function {kind}: folded into {fn}{extra}")

    def event_invoke_config(self, lid: str) -> None:
        p = self.props(lid)
        fn = self.node_for(p.get("FunctionName"), ("Function",), f"EventInvokeConfig {lid}")
        if fn is None:
            self.skip(lid, "async invoke configuration of a function outside this template")
            return
        bad: dict[str, str] = {}
        rp = self.resolve(p, "", bad)
        props = self.nodes[fn]["properties"]
        if "EventInvokeConfig" in props:
            self.notes.append(f"Note: {fn} has several EventInvokeConfigs (one per qualifier); {lid} is used.")
        eic: dict = {}
        for f in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
            self.take(lid, "Function", rp, bad, f, eic, f"EventInvokeConfig.{f}")
        if eic:
            props.setdefault("EventInvokeConfig", {}).update(eic["EventInvokeConfig"])
        dc = p.get("DestinationConfig") if isinstance(p.get("DestinationConfig"), dict) else {}
        got = []
        for key, role in (("OnSuccess", "on_success"), ("OnFailure", "on_failure")):
            d = dc.get(key)
            if not isinstance(d, dict) or d.get("Destination") is None:
                continue
            dst = self.destination(fn, d["Destination"], role)
            if dst:
                self.add_edge(fn, dst, role)
                got.append(f"{role} → {dst}")
        self.skip(lid, f"async invoke configuration: folded into {fn}" + (f" ({', '.join(got)})" if got else ""))

    def destination(self, fn: str, value: Any, role: str) -> str | None:
        kinds = ("SQSQueue", "SNSTopic", "Function", "S3Bucket") if role == "on_failure" else \
            ("SQSQueue", "SNSTopic", "Function")
        tg = self.R.target(value)
        if tg is None:
            self.notes.append(f"Unresolved: {fn}'s {role} destination could not be worked out; no edge.")
            return None
        bus = None
        if tg.logical_id and self.rtype(tg.logical_id) == "AWS::Events::EventBus":
            bus = tg.logical_id
        elif tg.service == "events-bus":
            bus = tg.external if tg.external and tg.external != "default" else "default"
            bus = self.R.names.get(("events-bus", bus), bus)
        if bus is not None:
            return self.rule_on_bus(bus, fn, role)
        dst = self.node_for_target(tg, kinds, f"{fn}'s {role} destination")
        if dst is None:
            self.notes.append(f"Unresolved: {fn}'s {role} destination {tg.logical_id or tg.arn or tg.external} "
                              "is not a queue, topic, function or bucket Triggerscope simulates; no edge.")
        return dst

    def rule_on_bus(self, bus: str, fn: str, role: str) -> str | None:
        rules = [nid for nid, b in self.rule_bus.items() if b == bus]
        hint = (self.meta.get("destinations") or {}).get(f"{fn}.{role}") if isinstance(self.meta.get("destinations"), dict) else None
        if hint in rules:
            return hint
        if len(rules) > 1:
            lam = [r for r in rules if "Lambda Function Invocation Result" in json.dumps(
                self.nodes[r]["properties"].get("EventPattern") or {})]
            if len(lam) == 1:
                rules = lam
        if len(rules) == 1:
            return rules[0]
        self.notes.append(f"Unresolved: {fn}'s {role} destination is event bus {bus}; "
                          + ("no rule on it is in this template" if not rules else
                             f"{len(rules)} rules are on it ({', '.join(rules)})") + "; no edge.")
        return None

    # queues, topics, streams, tables
    def queue(self, lid: str) -> None:
        bad: dict[str, str] = {}
        rp = self.resolve(self.props(lid), "", bad)
        props: dict = {}
        nid = self.add_node(lid, "SQSQueue", props)
        for f in _QUEUE_FIELDS:
            self.take(lid, "SQSQueue", rp, bad, f, props)
        rd = rp.get("RedrivePolicy")
        if isinstance(rd, str):
            try:
                rd = json.loads(rd)
            except ValueError:
                self.notes.append(f"Unresolved: {nid}.RedrivePolicy is not valid JSON; ignored.")
                rd = None
        if isinstance(rd, dict):
            self.take(lid, "SQSQueue", {"RedrivePolicy": rd}, bad, "RedrivePolicy.maxReceiveCount", props)
        self.mapped.append(f"Mapped {lid} (AWS::SQS::Queue){self.origin(lid)} → SQSQueue {nid}.")

    def queue_edges(self, lid: str) -> None:
        nid = self.lid_node.get(lid)
        p = self.props(lid)
        rd = p.get("RedrivePolicy")
        if isinstance(rd, str):
            try:
                rd = json.loads(rd)
            except ValueError:
                rd = None
        if isinstance(rd, dict) and rd.get("deadLetterTargetArn") is not None:
            dst = self.node_for(rd["deadLetterTargetArn"], ("SQSQueue",), f"{nid}'s RedrivePolicy")
            if dst:
                self.add_edge(nid, dst, "redrive")
            else:
                self.notes.append(f"Unresolved: {nid}.RedrivePolicy.deadLetterTargetArn could not be worked out; no redrive edge.")

    def topic(self, lid: str) -> None:
        bad: dict[str, str] = {}
        rp = self.resolve(self.props(lid), "", bad)
        props: dict = {}
        nid = self.add_node(lid, "SNSTopic", props)
        self.take(lid, "SNSTopic", rp, bad, "FifoTopic", props)
        self.mapped.append(f"Mapped {lid} (AWS::SNS::Topic){self.origin(lid)} → SNSTopic {nid}.")

    def topic_edges(self, lid: str) -> None:
        nid = self.lid_node.get(lid)
        subs = self.props(lid).get("Subscription")
        if isinstance(subs, dict) and len(subs) == 1 and "Fn::If" in subs:
            subs = self.R.pick_if(subs["Fn::If"])
        if not isinstance(subs, list):
            return
        for i, s in enumerate(subs):
            if not isinstance(s, dict):
                continue
            self.subscribe(nid, s, f"{lid}.Subscription[{i}]")

    def subscribe(self, topic: str, p: dict, where: str) -> bool:
        bad: dict[str, str] = {}
        try:
            proto = str(self.R.value(p.get("Protocol", ""))).lower()
        except Unresolved as e:
            self.notes.append(f"Unresolved: {where}.Protocol: {e}; subscription not mapped.")
            return False
        if proto == "lambda":
            dst = self.node_for(p.get("Endpoint"), ("Function",), where)
            role = "invoke"
        elif proto == "sqs":
            dst = self.node_for(p.get("Endpoint"), ("SQSQueue",), where)
            role = "deliver"
        else:
            self.notes.append(f"Note: {where} delivers to a {proto or 'unknown'} endpoint, which Triggerscope does not simulate.")
            return False
        if dst is None:
            self.notes.append(f"Unresolved: {where}.Endpoint could not be worked out; no edge.")
            return False
        rp = self.resolve({k: p[k] for k in ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery") if k in p},
                          "", bad)
        eprops: dict = {}
        fp = rp.get("FilterPolicy")
        if isinstance(fp, str):
            try:
                fp = json.loads(fp)
            except ValueError:
                self.notes.append(f"Unresolved: {where}.FilterPolicy is not valid JSON; ignored.")
                fp = None
        if fp is _UNRES:
            self.notes.append(f"Unresolved: {where}.FilterPolicy: {_reason(bad, 'FilterPolicy')}; every message delivered.")
        elif fp is not None:
            eprops["FilterPolicy"] = fp
        if isinstance(rp.get("FilterPolicyScope"), str):
            eprops["FilterPolicyScope"] = rp["FilterPolicyScope"]
        if role == "deliver" and rp.get("RawMessageDelivery") is not None:
            ok, v = _coerce("bool", rp["RawMessageDelivery"])
            if ok:
                eprops["RawMessageDelivery"] = v
        for k in ("RedrivePolicy", "DeliveryPolicy"):
            if k in p:
                self.notes.append(f"Note: {where}.{k} (subscription-level redrive/retry) is not simulated.")
        self.add_edge(topic, dst, role, eprops)
        return True

    def subscription(self, lid: str) -> None:
        p = self.props(lid)
        topic = self.node_for(p.get("TopicArn"), ("SNSTopic",), f"subscription {lid}")
        if topic is None:
            self.skip(lid, "subscription to a topic that could not be worked out")
            return
        if self.subscribe(topic, p, lid):
            self.done.add(lid)
            e = self.edges[-1]
            self.mapped.append(f"Mapped {lid} (AWS::SNS::Subscription){self.origin(lid)} → edge {e['from']} → {e['to']} ({e['role']}).")
        else:
            self.skip(lid, "subscription with an endpoint Triggerscope does not simulate")

    def stream(self, lid: str) -> None:
        bad: dict[str, str] = {}
        rp = self.resolve(self.props(lid), "", bad)
        props: dict = {}
        nid = self.add_node(lid, "KinesisStream", props)
        mode = get_path(rp, "StreamModeDetails.StreamMode")
        if mode == "ON_DEMAND":
            self.notes.append(f"Note: {nid} is an on-demand stream; AWS adds shards as traffic grows, the simulation "
                              "uses ShardCount's default (1) — set ShardCount to the shards you expect.")
        else:
            self.take(lid, "KinesisStream", rp, bad, "ShardCount", props)
        self.take(lid, "KinesisStream", rp, bad, "RetentionPeriodHours", props)
        self.mapped.append(f"Mapped {lid} (AWS::Kinesis::Stream){self.origin(lid)} → KinesisStream {nid}.")

    def table_node(self, lid: str, forced: bool = False) -> str | None:
        if lid in self.lid_node:
            return self.lid_node[lid]
        bad: dict[str, str] = {}
        rp = self.resolve(self.props(lid), "", bad)
        spec = rp.get("StreamSpecification")
        if not isinstance(spec, dict) and not forced:
            return None  # decided in other(): skipped unless something reads its stream
        props: dict = {}
        nid = self.add_node(lid, "DynamoDBTable", props)
        if isinstance(spec, dict):
            self.take(lid, "DynamoDBTable", rp, bad, "StreamSpecification.StreamViewType", props)
        else:
            self.notes.append(f"Note: {nid} has no StreamSpecification but a mapping reads its stream; "
                              "AWS rejects that until the stream is enabled.")
        self.nodes[nid]["behavior"]["StreamShards"] = 1
        self.mapped.append(f"Mapped {lid} ({self.rtype(lid)}){self.origin(lid)} → DynamoDBTable {nid}.")
        return nid

    # rules and schedules
    def rule(self, lid: str) -> None:
        bad: dict[str, str] = {}
        p = self.props(lid)
        rp = self.resolve({k: v for k, v in p.items() if k != "Targets"}, "", bad)
        props: dict = {}
        if rp.get("ScheduleExpression") is not None:
            nid = self.add_node(lid, "Schedule", props)
            self.take(lid, "Schedule", rp, bad, "ScheduleExpression", props)
            kind = "Schedule"
        else:
            nid = self.add_node(lid, "EventBridgeRule", props)
            ep = rp.get("EventPattern")
            if isinstance(ep, str):
                try:
                    ep = json.loads(ep)
                except ValueError:
                    self.notes.append(f"Unresolved: {nid}.EventPattern is not valid JSON; ignored.")
                    ep = None
            if _has_unres(ep):
                self.notes.append(f"Unresolved: {nid}.EventPattern: {_reason(bad, 'EventPattern')}; "
                                  "the unresolved values are kept as text.")
                ep = _unres_to_text(ep)
            if ep is not None:
                props["EventPattern"] = ep
            kind = "EventBridgeRule"
            bus = rp.get("EventBusName")
            bus_key = "default"
            if isinstance(p.get("EventBusName"), dict):
                tg = self.R.target(p["EventBusName"])
                if tg and tg.logical_id:
                    bus_key = tg.logical_id
                elif tg and tg.external:
                    bus_key = self.R.names.get(("events-bus", tg.external), tg.external)
            elif isinstance(bus, str) and bus:
                name = bus.rsplit("/", 1)[-1] if bus.startswith("arn:") else bus
                bus_key = self.R.names.get(("events-bus", name), name)
            self.rule_bus[nid] = bus_key
            if bus_key != "default":
                self.notes.append(f"Note: {nid} listens on event bus {bus_key}.")
        st = rp.get("State")
        if isinstance(st, str):
            if st not in ("ENABLED", "DISABLED"):
                self.notes.append(f"Note: {nid}.State {st} is simulated as ENABLED.")
                st = "ENABLED"
            props["State"] = st
        self.mapped.append(f"Mapped {lid} (AWS::Events::Rule){self.origin(lid)} → {kind} {nid}.")

    def targets_to_edges(self, nid: str, targets: list, where: str) -> None:
        schedule = self.nodes[nid]["kind"] == "Schedule"
        inputs = []
        for i, t in enumerate(targets):
            if not isinstance(t, dict):
                continue
            tw = f"{where}[{i}]"
            tg = self.R.target(t.get("Arn"))
            if tg is None:
                self.notes.append(f"Unresolved: {tw}.Arn could not be worked out; no edge.")
                continue
            dst = self.node_for_target(tg, ("Function", "SQSQueue", "SNSTopic"), tw)
            if dst is None:
                what = tg.logical_id and self.rtype(tg.logical_id) or tg.service or "an unknown target"
                self.notes.append(f"Note: {tw} sends to {tg.logical_id or tg.arn or tg.external} ({what}), "
                                  "which Triggerscope does not simulate as a rule target.")
                continue
            role = "invoke" if self.nodes[dst]["kind"] == "Function" else "deliver"
            self.add_edge(nid, dst, role)
            if "Input" in t:
                try:
                    raw = self.R.value(t["Input"])
                    try:
                        inputs.append(json.loads(raw) if isinstance(raw, str) else raw)
                    except ValueError:
                        inputs.append(raw)
                except Unresolved as e:
                    self.notes.append(f"Unresolved: {tw}.Input: {e}.")
            for k in ("InputPath", "InputTransformer"):
                if k in t:
                    self.notes.append(f"Note: {tw}.{k} reshapes the event; not simulated.")
            for k in ("RetryPolicy", "DeadLetterConfig"):
                if k in t:
                    self.notes.append(f"Note: {tw}.{k} (EventBridge delivery retries) is not simulated.")
        if inputs:
            if schedule:
                self.nodes[nid]["properties"]["Input"] = inputs[0]
                if any(x != inputs[0] for x in inputs[1:]):
                    self.notes.append(f"Note: {nid}'s targets have different Inputs; the first is used for all.")
            else:
                self.notes.append(f"Note: {nid}'s targets replace the event with a constant Input; not simulated.")

    def rule_edges(self, lid: str) -> None:
        nid = self.lid_node.get(lid)
        targets = self.props(lid).get("Targets")
        if isinstance(targets, list):
            self.targets_to_edges(nid, targets, f"{lid}.Targets")
            if targets and not any(e["from"] == nid for e in self.edges):
                self.drop_node(lid, "rule whose targets Triggerscope does not simulate")

    def drop_node(self, lid: str, reason: str) -> None:
        """Undo a node that turned out to play no part (all its targets are unsupported)."""
        nid = self.lid_node.pop(lid)
        self.nodes.pop(nid, None)
        self.rule_bus.pop(nid, None)
        self.mapped = [m for m in self.mapped if not m.startswith(f"Mapped {lid} ")]
        self.skip(lid, reason)

    def scheduler_schedule(self, lid: str) -> None:
        bad: dict[str, str] = {}
        rp = self.resolve({k: v for k, v in self.props(lid).items() if k != "Target"}, "", bad)
        props: dict = {}
        nid = self.add_node(lid, "Schedule", props)
        self.take(lid, "Schedule", rp, bad, "ScheduleExpression", props)
        expr = props.get("ScheduleExpression")
        if isinstance(expr, str):
            m = re.match(r"^rate\(\s*(\d+)\s+(minute|hour|day)s?\s*\)$", expr)
            if m:
                n, unit = int(m.group(1)), m.group(2)
                fixed = f"rate({n} {unit}{'' if n == 1 else 's'})"
                if fixed != expr:
                    props["ScheduleExpression"] = fixed
                    self.notes.append(f"Note: {nid}.ScheduleExpression {expr} (which EventBridge Scheduler "
                                      f"accepts) is written {fixed}.")
            elif expr.startswith("at("):
                self.notes.append(f"Note: {nid} is a one-time schedule ({expr}); the simulation does not fire it.")
        if isinstance(rp.get("State"), str):
            self.take(lid, "Schedule", rp, bad, "State", props)
        if rp.get("ScheduleExpressionTimezone") not in (None, "UTC", "Etc/UTC"):
            self.notes.append(f"Note: {nid} runs in time zone {rp['ScheduleExpressionTimezone']}; the simulation uses UTC.")
        fw = get_path(rp, "FlexibleTimeWindow.Mode")
        if fw == "FLEXIBLE":
            self.notes.append(f"Note: {nid} has a flexible time window; it fires at the exact times in the simulation.")
        self.mapped.append(f"Mapped {lid} (AWS::Scheduler::Schedule){self.origin(lid)} → Schedule {nid}.")

    def scheduler_edges(self, lid: str) -> None:
        nid = self.lid_node.get(lid)
        t = self.props(lid).get("Target")
        if isinstance(t, dict):
            self.targets_to_edges(nid, [t], f"{lid}.Target")
            if not any(e["from"] == nid for e in self.edges):
                self.drop_node(lid, "schedule whose target Triggerscope does not simulate")

    # event source mappings
    def esm(self, lid: str) -> None:
        p = self.props(lid)
        bad: dict[str, str] = {}
        rp = self.resolve(p, "", bad)
        if "SelfManagedEventSource" in p:
            self.skip(lid, "event source mapping from a self-managed Kafka cluster: source not simulated")
            return
        src_tg = self.R.target(p.get("EventSourceArn"))
        if src_tg and src_tg.service in ("kafka", "mq", "rds", "docdb-elastic"):
            self.skip(lid, f"event source mapping from {src_tg.service}: source not simulated")
            return
        if src_tg and src_tg.logical_id and self.rtype(src_tg.logical_id) in (
                "AWS::MSK::Cluster", "AWS::AmazonMQ::Broker", "AWS::DocDB::DBCluster"):
            self.skip(lid, f"event source mapping from {self.rtype(src_tg.logical_id)}: source not simulated")
            return
        nid_hint = self._id_for(lid)
        if src_tg is not None and src_tg.logical_id is None and src_tg.service is None and src_tg.external:
            # a parameter without a default, or a name: guess from the mapping's settings
            guess = ("KinesisStream", "DynamoDBTable") if "StartingPosition" in p else ("SQSQueue",)
            kind = _guess_kind(src_tg.external, guess) if len(guess) > 1 else guess[0]
            src = self.placeholder(src_tg, kind, f"event source mapping {nid_hint}")
        else:
            src = self.node_for_target(src_tg, ("SQSQueue", "KinesisStream", "DynamoDBTable"),
                                       f"event source mapping {nid_hint}") if src_tg else None
        fn = self.node_for(p.get("FunctionName"), ("Function",), f"event source mapping {nid_hint}")
        if src is None or fn is None:
            missing = "its source" if src is None else "its function"
            self.skip(lid, f"event source mapping whose {missing} could not be worked out")
            return
        props: dict = {}
        nid = self.add_node(lid, "EventSourceMapping", props)
        for f in _ESM_FIELDS:
            self.take(lid, "EventSourceMapping", rp, bad, f, props)
        if props.get("StartingPosition") not in (None, "LATEST", "TRIM_HORIZON"):
            self.notes.append(f"Note: {nid}.StartingPosition {props['StartingPosition']} is simulated as LATEST.")
            props.pop("StartingPosition")
        for k in _ESM_IGNORED:
            if k in p:
                self.notes.append(f"Note: {nid}.{k} is not simulated.")
        self.add_edge(src, nid, "poll")
        self.add_edge(nid, fn, "poll")
        of = get_path(p, "DestinationConfig.OnFailure.Destination")
        if of is not None:
            if self.nodes[src]["kind"] == "SQSQueue":
                self.notes.append(f"Note: {nid} has an on-failure destination, which AWS ignores for SQS sources; not mapped.")
            else:
                dst = self.node_for(of, ("SQSQueue", "SNSTopic", "S3Bucket"), f"{nid}'s on-failure destination")
                if dst:
                    self.add_edge(nid, dst, "on_failure")
                else:
                    self.notes.append(f"Unresolved: {nid}.DestinationConfig.OnFailure.Destination could not be worked out; no edge.")
        self.mapped.append(f"Mapped {lid} (AWS::Lambda::EventSourceMapping){self.origin(lid)} → "
                           f"EventSourceMapping {nid}: {src} → {nid} → {fn}.")

    # S3
    def bucket(self, lid: str) -> None:
        p = self.props(lid)
        nc = p.get("NotificationConfiguration")
        if isinstance(nc, dict) and len(nc) == 1 and "Fn::If" in nc:
            nc = self.R.pick_if(nc["Fn::If"])
        nc = nc if isinstance(nc, dict) else {}
        found = []
        for key, item_key, kinds, role in (
                ("LambdaConfigurations", "Function", ("Function",), "invoke"),
                ("QueueConfigurations", "Queue", ("SQSQueue",), "deliver"),
                ("TopicConfigurations", "Topic", ("SNSTopic",), "deliver")):
            items = nc.get(key)
            if not isinstance(items, list):
                continue
            for i, c in enumerate(items):
                if not isinstance(c, dict):
                    continue
                where = f"{lid}.NotificationConfiguration.{key}[{i}]"
                dst = self.node_for(c.get(item_key), kinds, where)
                if dst is None:
                    self.notes.append(f"Unresolved: {where}.{item_key} could not be worked out; no edge.")
                    continue
                bad: dict[str, str] = {}
                rc = self.resolve({k: c[k] for k in ("Event", "Filter") if k in c}, "", bad)
                eprops: dict = {}
                ev = rc.get("Event")
                if isinstance(ev, str):
                    eprops["Events"] = [ev]
                rules = get_path(rc, "Filter.S3Key.Rules")
                if isinstance(rules, list) and rules:
                    if _has_unres(rules):
                        self.notes.append(f"Unresolved: {where}.Filter: {_reason(bad, 'Filter')}; no key filter assumed.")
                    else:
                        eprops["Filter"] = {"S3Key": {"Rules": rules}}
                found.append((dst, role, eprops))
        eb = get_path(nc, "EventBridgeConfiguration.EventBridgeEnabled")
        if not found and lid not in self.lid_node:
            if eb in (True, "true", "True"):
                self.skip(lid, "bucket sends its events to EventBridge; rules matching source aws.s3 are mapped as entry points")
            else:
                self.skip(lid, "bucket without event notifications to a function, queue or topic")
            return
        nid = self.lid_node.get(lid) or self.add_node(lid, "S3Bucket")
        # several configurations to one target differ only by event type or filter
        for dst, role, eprops in found:
            merged = False
            for e in self.edges:
                if (e["from"], e["to"], e["role"]) == (nid, dst, role) and \
                        e["properties"].get("Filter") == eprops.get("Filter"):
                    for x in eprops.get("Events", []):
                        e["properties"].setdefault("Events", [])
                        if x not in e["properties"]["Events"]:
                            e["properties"]["Events"].append(x)
                    merged = True
            if not merged:
                if (nid, dst, role) in self._edge_keys:
                    self.notes.append(f"Note: {lid} notifies {dst} with several different key filters; only the first is kept.")
                    continue
                self.add_edge(nid, dst, role, eprops)
        if eb in (True, "true", "True"):
            self.notes.append(f"Note: {nid} also sends its events to EventBridge.")
        self.mapped.append(f"Mapped {lid} (AWS::S3::Bucket){self.origin(lid)} → S3Bucket {nid}.")

    # API Gateway
    def api(self, lid: str) -> None:
        t = self.rtype(lid)
        p = self.props(lid)
        if t == "AWS::ApiGatewayV2::Api":
            try:
                proto = self.R.value(p.get("ProtocolType", "HTTP"))
            except Unresolved:
                proto = "HTTP"
            if str(proto).upper() == "WEBSOCKET":
                self.skip(lid, "WebSocket API: not simulated")
                return
            kind = "HTTP"
        else:
            kind = "REST"
        nid = self.add_node(lid, "ApiGateway", {"Type": kind})
        body = p.get("Body")
        if isinstance(body, dict) and "Fn::Transform" in body:
            self.notes.append(f"Note: {nid}'s OpenAPI definition is included from another file; "
                              "the routes in it are not imported (functions it calls get no edge).")
        if p.get("BodyS3Location") is not None or (lid in self.sam_notes and "definition" in self.sam_notes[lid]):
            self.notes.append(f"Note: {nid}'s OpenAPI definition is in a separate file; the routes in it are not imported.")
        self.mapped.append(f"Mapped {lid} ({t}){self.origin(lid)} → ApiGateway {nid} ({kind}).")

    def api_edges(self) -> None:
        apis = {lid: nid for lid, nid in self.lid_node.items() if self.nodes[nid]["kind"] == "ApiGateway"}
        if not apis:
            for lid in self.res:
                if self.rtype(lid) in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage"):
                    self.skip(lid, _NO_ROLE[self.rtype(lid)])
            return
        timeouts: dict[str, list[int]] = {}

        def connect(api_lid: str, fn: str | None, via: str) -> None:
            if fn is None:
                return
            self.add_edge(apis[api_lid], fn, "invoke")

        def integration(api_lid: str, uri: Any, timeout: Any, itype: Any, where: str) -> None:
            fn = None
            tg_lids = [lid for lid, _ in self.R.refs(uri)]
            for tl in tg_lids:
                fl = self.function_lid(tl)
                if fl and fl in self.lid_node:
                    fn = self.lid_node[fl]
                    break
            if fn is None:
                try:
                    s = self.R.sub(uri["Fn::Sub"], keep_refs=True) if isinstance(uri, dict) and "Fn::Sub" in uri \
                        else self.R.value(uri)
                except Unresolved:
                    s = None
                if isinstance(s, str) and ":lambda:path/" in s and "/functions/" in s:
                    farn = s.split("/functions/", 1)[1].rsplit("/invocations", 1)[0]
                    fn = self.node_for(farn, ("Function",), where)
                elif isinstance(s, str) and s:
                    svc = s.split(":")[4] if s.startswith("arn:") and len(s.split(":")) > 4 else s
                    self.notes.append(f"Note: {where} integrates {apis[api_lid]} directly with {svc}; "
                                      "non-Lambda integrations are not simulated.")
                    return
            if fn is not None:
                connect(api_lid, fn, where)
                try:
                    tv = self.R.value(timeout) if timeout is not None else None
                    ok, tms = _coerce("int", tv) if tv is not None else (False, None)
                    if ok:
                        timeouts.setdefault(api_lid, []).append(tms)
                except Unresolved:
                    pass

        def scan_body(api_lid: str, body: Any) -> None:
            if isinstance(body, dict):
                integ = body.get("x-amazon-apigateway-integration")
                if isinstance(integ, dict) and integ.get("uri") is not None:
                    integration(api_lid, integ.get("uri"), integ.get("timeoutInMillis"), integ.get("type"),
                                f"{api_lid} OpenAPI integration")
                for k, v in body.items():
                    if k != "x-amazon-apigateway-integration":
                        scan_body(api_lid, v)
            elif isinstance(body, list):
                for v in body:
                    scan_body(api_lid, v)

        for api_lid in apis:
            p = self.props(api_lid)
            scan_body(api_lid, p.get("Body"))
            if p.get("Target") is not None:  # HTTP API quick create
                fn = self.node_for(p["Target"], ("Function",), f"{api_lid}.Target")
                connect(api_lid, fn, f"{api_lid}.Target")
        for lid in self.res:
            t = self.rtype(lid)
            p = self.props(lid)
            if t == "AWS::ApiGateway::Method":
                tg = self.R.target(p.get("RestApiId"))
                integ = p.get("Integration") if isinstance(p.get("Integration"), dict) else {}
                if tg and tg.logical_id in apis and integ.get("Uri") is not None:
                    integration(tg.logical_id, integ["Uri"], integ.get("TimeoutInMillis"), integ.get("Type"), lid)
            elif t == "AWS::ApiGatewayV2::Integration":
                tg = self.R.target(p.get("ApiId"))
                if tg and tg.logical_id in apis and p.get("IntegrationUri") is not None:
                    integration(tg.logical_id, p["IntegrationUri"], p.get("TimeoutInMillis"), p.get("IntegrationType"), lid)
            elif t == "AWS::Lambda::Permission":
                try:
                    principal = str(self.R.value(p.get("Principal", "")))
                except Unresolved:
                    principal = ""
                if not principal.startswith("apigateway."):
                    continue
                fn = self.node_for(p.get("FunctionName"), ("Function",), f"permission {lid}")
                if fn is None:
                    continue
                hits = [rl for rl, _ in self.R.refs(p.get("SourceArn")) if rl in apis]
                if not hits and len(apis) == 1 and p.get("SourceArn") is None:
                    hits = list(apis)
                for h in hits:
                    connect(h, fn, lid)
        for lid in self.res:
            t = self.rtype(lid)
            if t not in ("AWS::ApiGateway::Stage", "AWS::ApiGatewayV2::Stage") or lid in self.done:
                continue
            p = self.props(lid)
            key = "RestApiId" if t == "AWS::ApiGateway::Stage" else "ApiId"
            tg = self.R.target(p.get(key))
            if not tg or tg.logical_id not in apis:
                continue
            nid = apis[tg.logical_id]
            bad: dict[str, str] = {}
            rp = self.resolve(p, "", bad)
            settings = None
            if t == "AWS::ApiGateway::Stage":
                for ms in rp.get("MethodSettings") or []:
                    if isinstance(ms, dict) and ms.get("ResourcePath", "/*") in ("/*", "/*/*") and ms.get("HttpMethod", "*") == "*":
                        settings = ms
            else:
                settings = rp.get("DefaultRouteSettings") if isinstance(rp.get("DefaultRouteSettings"), dict) else None
            if settings:
                for f in ("ThrottlingRateLimit", "ThrottlingBurstLimit"):
                    self.take(lid, "ApiGateway", settings, bad, f, self.nodes[nid]["properties"])
            self.skip(lid, f"API stage: folded into {nid}" + (" (throttling)" if settings else ""))
        for api_lid, ts in timeouts.items():
            nid = apis[api_lid]
            if ts:
                self.nodes[nid]["properties"]["IntegrationTimeoutMillis"] = max(ts)
                if len(set(ts)) > 1:
                    self.notes.append(f"Note: {nid}'s routes have different integration timeouts; the longest ({max(ts)} ms) is used.")
        for nid in apis.values():
            if not any(e["from"] == nid for e in self.edges):
                self.notes.append(f"Note: API {nid} calls no function found in this template; it gets no traffic.")

    # everything else
    def other(self, lid: str) -> None:
        t = self.rtype(lid)
        if t in ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"):
            self.skip(lid, "table without a stream: nothing flows out of it")
            return
        if t in _NO_ROLE:
            reason = _NO_ROLE[t]
            if t == "AWS::Lambda::Permission":
                reason = "resource-based permission: not part of the flow (triggers are read from their sources)"
            if lid in self.sam_notes:
                reason += f" — {self.sam_notes[lid]}"
            self.skip(lid, reason + self.origin(lid).replace(" (", " — ").rstrip(")"))
            return
        if t.startswith("Custom::"):
            self.skip(lid, "custom resource: runs at deploy time, not part of the flow")
            return
        if t.startswith("AWS::Serverless::"):
            self.skip(lid, f"{t} was not expanded")
            return
        self.skip(lid, f"{t}: plays no part in a Lambda trigger flow")

    def possible_emits(self) -> None:
        """Functions whose environment or IAM policies point at a queue, topic, stream …"""
        policies_by_role: dict[str, list] = {}
        for lid in self.res:
            t = self.rtype(lid)
            p = self.props(lid)
            if t == "AWS::IAM::Role":
                for pol in p.get("Policies") or []:
                    if isinstance(pol, dict):
                        policies_by_role.setdefault(lid, []).append(pol.get("PolicyDocument"))
            elif t in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
                for role in p.get("Roles") or []:
                    tg = self.R.target(role)
                    if tg and tg.logical_id:
                        policies_by_role.setdefault(tg.logical_id, []).append(p.get("PolicyDocument"))
        emit_kinds = ("SQSQueue", "SNSTopic", "KinesisStream", "S3Bucket", "DynamoDBTable", "EventBridgeRule")
        for flid, fn in list(self.lid_node.items()):
            if self.rtype(flid) != "AWS::Lambda::Function":
                continue
            p = self.props(flid)
            evidence: dict[str, list[str]] = {}
            env = get_path(p, "Environment.Variables")
            if isinstance(env, dict):
                for var, val in env.items():
                    for rl, _ in self.R.refs(val):
                        evidence.setdefault(rl, []).append(f"environment variable {var}")
            role = self.R.target(p.get("Role"))
            docs = policies_by_role.get(role.logical_id, []) if role and role.logical_id else []
            for doc in docs:
                stmts = doc.get("Statement") if isinstance(doc, dict) else None
                if isinstance(stmts, dict):
                    stmts = [stmts]
                for st in stmts or []:
                    if not isinstance(st, dict) or st.get("Effect", "Allow") != "Allow":
                        continue
                    acts = st.get("Action")
                    acts = [acts] if isinstance(acts, str) else (acts if isinstance(acts, list) else [])
                    writes = [a for a in acts if isinstance(a, str) and _is_write(a)]
                    if not writes:
                        continue
                    for rl, _ in self.R.refs(st.get("Resource")):
                        evidence.setdefault(rl, []).append(f"policy allows {writes[0]}")
            upstream = {e["from"] for e in self.edges if e["to"] == fn}
            esms = {e["from"] for e in self.edges if e["to"] == fn and e["role"] == "poll"}
            upstream |= {e["from"] for e in self.edges if e["to"] in esms}
            linked = {e["to"] for e in self.edges if e["from"] == fn}
            linked |= {e["to"] for e in self.edges if e["from"] in esms and e["role"] == "on_failure"}
            for rl, why in evidence.items():
                targets: list[str] = []
                if self.rtype(rl) == "AWS::Events::EventBus":
                    targets = [n for n, b in self.rule_bus.items() if b == rl]
                elif rl in self.lid_node and self.nodes[self.lid_node[rl]]["kind"] in emit_kinds:
                    targets = [self.lid_node[rl]]
                for tnode in targets:
                    if tnode in upstream or tnode in linked or tnode == fn:
                        continue
                    self.notes.append(f"Possible emits: {fn} may send to {tnode} ({'; '.join(sorted(set(why)))}); "
                                      f"add an emits edge {fn} → {tnode} if its code publishes there.")

    # -- metadata, behaviour, layout, workloads ----------------------------------------------------------
    def finish(self, name: str) -> ImportResult:
        meta = self.meta
        meta_nodes = meta.get("nodes") if isinstance(meta.get("nodes"), dict) else {}
        for n in meta.get("extra_nodes") or []:
            if isinstance(n, dict) and isinstance(n.get("id"), str) and n["id"] not in self.nodes:
                self.nodes[n["id"]] = {k: v for k, v in n.items()}
                self.nodes[n["id"]].setdefault("properties", {})
                self.nodes[n["id"]].setdefault("behavior", {})
                self.extra_nodes.add(n["id"])
        for nid, n in self.nodes.items():
            m = meta_nodes.get(nid) if isinstance(meta_nodes.get(nid), dict) else None
            if m is None:
                continue
            for path, v in (m.get("placeholders") or {}).items():
                if get_path(n["properties"], path) == v:
                    set_path(n["properties"], path, None)
                    _prune(n["properties"], path)
            for path, v in (m.get("properties") or {}).items():
                if get_path(n["properties"], path) is None:
                    set_path(n["properties"], path, v)
            if "behavior" in m and isinstance(m["behavior"], dict):
                n["behavior"] = m["behavior"]
                n["_meta_behavior"] = True
            if isinstance(m.get("position"), list) and len(m["position"]) == 2:
                n["position"] = m["position"]
            if isinstance(m.get("description"), str):
                n["description"] = m["description"]
            for path, v in (m.get("json_forms") or {}).items():
                if _same_json(get_path(n["properties"], path), v):
                    set_path(n["properties"], path, v)
        for e in meta.get("edges") or []:
            if isinstance(e, dict) and e.get("from") in self.nodes and e.get("to") in self.nodes \
                    and isinstance(e.get("role"), str):
                self.add_edge(e["from"], e["to"], e["role"], dict(e.get("properties") or {}))
        for key, action in (("edge_properties", "fill"), ("edge_json_forms", "form")):
            for ep in meta.get(key) or []:
                if not isinstance(ep, dict):
                    continue
                for e in self.edges:
                    if (e["from"], e["to"], e["role"]) != (ep.get("from"), ep.get("to"), ep.get("role")):
                        continue
                    if action == "fill":
                        for path, v in (ep.get("properties") or {}).items():
                            if get_path(e["properties"], path) is None:
                                set_path(e["properties"], path, v)
                    elif _same_json(get_path(e["properties"], str(ep.get("path"))), ep.get("value")):
                        set_path(e["properties"], str(ep["path"]), ep["value"])
        for ep in meta.get("edge_placeholders") or []:
            if not isinstance(ep, dict):
                continue
            for e in self.edges:
                if (e["from"], e["to"], e["role"]) == (ep.get("from"), ep.get("to"), ep.get("role")) \
                        and get_path(e["properties"], str(ep.get("path"))) == ep.get("value"):
                    set_path(e["properties"], str(ep["path"]), None)
                    _prune(e["properties"], str(ep["path"]))

        self.possible_emits()

        # behaviour the template cannot know
        fns = [nid for nid, n in self.nodes.items() if n["kind"] == "Function" and not n.get("_meta_behavior")
               and nid not in self.extra_nodes]
        for nid in fns:
            b = self.nodes[nid]["behavior"]
            for k, v in DEFAULT_FUNCTION_BEHAVIOR.items():
                b.setdefault(k, json.loads(json.dumps(v)))
        if fns:
            self.assumed.append(
                f"Assumed: {len(fns)} function(s) ({', '.join(fns)}) run for a lognormal duration "
                "(median 0.1 s, p99 0.5 s) and never fail — a template cannot say; tune "
                "behavior.Duration and behavior.ErrorRate.")
        tables = [nid for nid, n in self.nodes.items() if n["kind"] == "DynamoDBTable" and not n.get("_meta_behavior")]
        if tables:
            self.assumed.append(f"Assumed: DynamoDB stream(s) of {', '.join(tables)} have 1 shard (behavior.StreamShards).")

        if meta_nodes:  # the design's own node order
            rank = {nid: i for i, nid in enumerate(meta_nodes)}
            self.nodes = dict(sorted(self.nodes.items(), key=lambda kv: rank.get(kv[0], len(rank))))
        workloads = self.workloads(meta)
        self.layout()
        nodes_out = []
        for n in self.nodes.values():
            out = {k: v for k, v in n.items() if not k.startswith("_")}
            if not out.get("behavior"):
                out.pop("behavior", None)
            nodes_out.append(out)
        data: dict[str, Any] = {
            "format": FORMAT,
            "name": name,
            "nodes": nodes_out,
            "edges": self.edges,
            "workloads": workloads,
        }
        for k in ("description", "account", "simulation"):
            if k in meta:
                data[k] = meta[k]
        try:
            scenario = from_dict(data, self.source)
        except ScenarioError as e:
            raise TemplateError(f"the imported design is not a valid scenario: {e}", source=self.source) from None
        from core.validate import problems

        checks = [f"Check: {p}" for p in problems(scenario) if p.severity == "error"]
        n_res = len(self.res)
        head = (f"Imported {self.source}: {len(scenario.nodes)} nodes, {len(scenario.edges)} edges, "
                f"{len(scenario.workloads)} workloads from {n_res} CloudFormation resources"
                + (" (SAM template expanded with aws-sam-translator)" if self.sam else "") + ".")
        skipped_lines = [f"Skipped {lid} ({t}): {why}." for lid, t, why in self.skipped]
        assumptions = [f"Assumed: {a}." for a in self.R.assumptions]
        report = [head, *self.pre, *self.mapped, *skipped_lines, *self.assumed, *assumptions,
                  *self.notes, *checks]
        return ImportResult(scenario=scenario, report=report, skipped=list(self.skipped))

    def workloads(self, meta: dict) -> list[dict]:
        if isinstance(meta.get("workloads"), list):
            out = []
            for w in meta["workloads"]:
                if isinstance(w, dict) and w.get("target") in self.nodes:
                    out.append(w)
                elif isinstance(w, dict):
                    self.notes.append(f"Note: workload {w.get('id')} targets {w.get('target')}, which is no longer in the template; dropped.")
            return out
        incoming: dict[str, int] = {}
        outgoing: dict[str, int] = {}
        for e in self.edges:
            incoming[e["to"]] = incoming.get(e["to"], 0) + 1
            outgoing[e["from"]] = outgoing.get(e["from"], 0) + 1
        used = set(self.nodes)
        out = []
        for nid, n in self.nodes.items():
            kind = n["kind"]
            if kind in ("Schedule", "EventSourceMapping", "Function", "Dependency"):
                continue
            if incoming.get(nid) or not outgoing.get(nid):
                continue
            if kind == "ApiGateway":
                rate = API_RATE
            elif kind in ("SQSQueue", "KinesisStream", "DynamoDBTable", "S3Bucket", "SNSTopic", "EventBridgeRule"):
                rate = SOURCE_RATE
            else:
                continue
            wid = f"{nid}-traffic"
            i = 2
            while wid in used:
                wid = f"{nid}-traffic{i}"
                i += 1
            used.add(wid)
            w: dict[str, Any] = {"id": wid, "target": nid, "arrivals": {"process": "poisson", "rate": rate}}
            payloads, why = samples.payloads_for(n, self.nodes, self.edges)
            if payloads:
                w["events"] = [{"weight": 1.0, "payload": p} for p in payloads]
            if why:
                self.notes.append(f"Note: workload {wid}: {why}")
            out.append(w)
            self.assumed.append(f"Assumed: workload {wid} sends {rate:g} event/s (Poisson) into {nid}, "
                                "which nothing upstream feeds — set your real traffic.")
        for nid, n in self.nodes.items():
            if n["kind"] != "Function" or incoming.get(nid) or nid in self.extra_nodes or n.get("_ext"):
                continue
            wid = f"{nid}-traffic"
            i = 2
            while wid in used:
                wid = f"{nid}-traffic{i}"
                i += 1
            used.add(wid)
            asynchronous = any(e["from"] == nid and e["role"] in ("dlq", "on_failure", "on_success")
                               for e in self.edges) or "EventInvokeConfig" in n["properties"]
            out.append({"id": wid, "target": nid, "arrivals": {"process": "poisson", "rate": SOURCE_RATE},
                        "InvocationType": "Event" if asynchronous else "RequestResponse"})
            self.assumed.append(
                f"Assumed: nothing in the template triggers {nid}; workload {wid} invokes it directly "
                f"{'asynchronously' if asynchronous else 'synchronously'} at {SOURCE_RATE:g} event/s (Poisson)"
                + (" (it has async error handling configured)" if asynchronous else "") + ".")
        for nid, n in self.nodes.items():
            if n["kind"] == "Schedule" and outgoing.get(nid):
                self.assumed.append(f"Assumed: schedule {nid} generates its own events; no workload needed.")
        return out

    def layout(self) -> None:
        if all("position" in n for n in self.nodes.values()):
            return
        g = nx.DiGraph()
        g.add_nodes_from(self.nodes)
        for e in self.edges:
            if e["from"] in self.nodes and e["to"] in self.nodes:
                g.add_edge(e["from"], e["to"])
        cond = nx.condensation(g)
        order = {nid: i for i, nid in enumerate(self.nodes)}
        for gen, comps in enumerate(nx.topological_generations(cond)):
            members = sorted((m for c in comps for m in cond.nodes[c]["members"]), key=order.get)
            for idx, nid in enumerate(members):
                if "position" not in self.nodes[nid]:
                    self.nodes[nid]["position"] = [260.0 * gen, 140.0 * idx]


# -- small helpers -------------------------------------------------------------------------------


def _dig(d: Any, path: str) -> Any:
    cur = d
    for part in path.split("."):
        if cur is _UNRES:
            return _UNRES
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _has_unres(v: Any) -> bool:
    if v is _UNRES:
        return True
    if isinstance(v, dict):
        return any(_has_unres(x) for x in v.values())
    if isinstance(v, list):
        return any(_has_unres(x) for x in v)
    return False


def _unres_to_text(v: Any) -> Any:
    if v is _UNRES:
        return "<unresolved>"
    if isinstance(v, dict):
        return {k: _unres_to_text(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_unres_to_text(x) for x in v]
    return v


def _reason(bad: dict[str, str], path: str) -> str:
    for p, why in bad.items():
        if p == path or p.startswith(path + ".") or p.startswith(path + "[") or path.startswith(p + "."):
            return why
    return "cannot be worked out offline"


def _coerce(ftype: str, v: Any) -> tuple[bool, Any]:
    if ftype == "int":
        if isinstance(v, bool):
            return False, None
        if isinstance(v, int):
            return True, v
        if isinstance(v, float) and v.is_integer():
            return True, int(v)
        if isinstance(v, str):
            try:
                f = float(v.strip())
            except ValueError:
                return False, None
            return (True, int(f)) if f.is_integer() else (False, None)
        return False, None
    if ftype == "float":
        if isinstance(v, bool):
            return False, None
        if isinstance(v, int | float):
            return True, v
        if isinstance(v, str):
            try:
                f = float(v.strip())
            except ValueError:
                return False, None
            return True, int(f) if f.is_integer() else f
        return False, None
    if ftype == "bool":
        if isinstance(v, bool):
            return True, v
        if isinstance(v, str) and v.strip().lower() in ("true", "false"):
            return True, v.strip().lower() == "true"
        return False, None
    if ftype in ("enum", "str"):
        if isinstance(v, str):
            return True, v
        if isinstance(v, int | float) and not isinstance(v, bool):
            return True, str(v)
        return False, None
    return True, v


def _guess_kind(hint: str, kinds: tuple[str, ...]) -> str:
    h = hint.lower()
    for kind, words in (("DynamoDBTable", ("table", "dynamo", "ddb")),
                        ("KinesisStream", ("kinesis", "stream")),
                        ("SQSQueue", ("queue", "sqs", "dlq")),
                        ("SNSTopic", ("topic", "sns")),
                        ("Function", ("function", "lambda", "fn")),
                        ("S3Bucket", ("bucket", "s3"))):
        if kind in kinds and any(w in h for w in words):
            return kind
    return kinds[0]


def _is_write(action: str) -> bool:
    a = action.lower()
    if a in ("*",):
        return True
    if a.endswith(":*"):
        return a.split(":")[0] in ("sqs", "sns", "kinesis", "events", "s3", "dynamodb")
    return a in _WRITE_ACTIONS or any(a.startswith(w) for w in ("sqs:send", "sns:publish", "kinesis:put", "events:put"))


def _json_norm(v: Any) -> Any:
    if isinstance(v, str):
        try:
            parsed = json.loads(v)
        except ValueError:
            return v
        return _json_norm(parsed) if isinstance(parsed, dict | list) else v
    if isinstance(v, dict):
        return {k: _json_norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_json_norm(x) for x in v]
    return v


def _same_json(a: Any, b: Any) -> bool:
    return a is not None and _json_norm(a) == _json_norm(b)


def _prune(d: dict, path: str) -> None:
    """Remove empty dicts left along `path` after a value was removed."""
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        sub = get_path(d, ".".join(parts[:i]))
        if isinstance(sub, dict) and not sub:
            parent = get_path(d, ".".join(parts[:i - 1])) if i > 1 else d
            if isinstance(parent, dict):
                parent.pop(parts[i - 1], None)
