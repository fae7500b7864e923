"""Export a scenario as an AWS SAM template that imports back to the same design.

Functions become `AWS::Serverless::Function` with placeholder inline code and their
triggers as SAM `Events` (SQS / Kinesis / DynamoDB with every mapping property, S3, SNS,
EventBridgeRule, Schedule, Api / HttpApi); queues, topics, streams, tables and buckets
are plain CloudFormation resources. What CloudFormation cannot hold — behaviour,
positions, workloads, `emits` / `calls` edges, dependencies, ids that are not
alphanumeric, and the ids SAM gives generated resources — is kept under
`Metadata.Triggerscope`, so import → export → import is lossless.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

from core import catalog
from core.catalog import get_path
from core.model import Node, Scenario
from core.templates.common import (
    META_FORMAT,
    META_KEY,
    SAM_TRANSFORM,
    is_logical_id,
    sanitize_id,
)
from core.templates.yaml_cfn import dump_yaml

RUNTIME = "python3.12"
HANDLER = "index.handler"
INLINE_CODE = (
    "import json\n"
    "\n"
    "\n"
    "def handler(event, context):\n"
    "    # Placeholder exported by Triggerscope: replace with the function's code.\n"
    "    return {\"statusCode\": 200, \"body\": json.dumps({\"ok\": True}), \"batchItemFailures\": []}\n"
)

# SAM pull-event properties that are valid for each source (others stay in Metadata)
_SQS_EVENT = ("BatchSize", "MaximumBatchingWindowInSeconds", "Enabled", "FilterCriteria",
              "FunctionResponseTypes", "ScalingConfig.MaximumConcurrency")
_STREAM_EVENT = ("BatchSize", "MaximumBatchingWindowInSeconds", "Enabled", "FilterCriteria",
                 "FunctionResponseTypes", "ParallelizationFactor", "MaximumRetryAttempts",
                 "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError", "StartingPosition",
                 "TumblingWindowInSeconds")

_EMIT_ENV = {"SQSQueue": "QUEUE_URL", "SNSTopic": "TOPIC_ARN", "KinesisStream": "STREAM_NAME",
             "S3Bucket": "BUCKET_NAME", "DynamoDBTable": "TABLE_NAME", "EventBridgeRule": "EVENT_BUS_NAME"}


def export_template(scenario: Scenario) -> str:
    """SAM template (YAML) for the design."""
    return dump_yaml(build_template(scenario))


def export_file(scenario: Scenario, path: str | os.PathLike) -> None:
    """Write export_template(scenario) to `path` atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(export_template(scenario), encoding="utf-8")
    tmp.replace(path)


def build_template(scenario: Scenario) -> dict:
    return _Exporter(scenario).build()


def _ref(lid: str) -> dict:
    return {"Ref": lid}


def _arn(lid: str) -> dict:
    return {"Fn::GetAtt": [lid, "Arn"]}


class _Exporter:
    def __init__(self, scenario: Scenario):
        self.sc = scenario
        self.nodes: dict[str, Node] = {n.id: n for n in scenario.nodes}
        self.res: dict[str, dict] = {}
        self.meta_nodes: dict[str, dict] = {}
        self.meta_edges: list[dict] = []
        self.edge_props_left: list[dict] = []
        self.edge_placeholders: list[dict] = []
        self.extra_nodes: list[dict] = []
        self.ids: dict[str, str] = {}  # generated logical id → node id
        self.destinations: dict[str, str] = {}
        self.written: dict[str, set[str]] = {nid: set() for nid in self.nodes}
        self.placeholders: dict[str, dict[str, Any]] = {}
        self.lid: dict[str, str] = {}
        self.queue_policies: dict[str, list[dict]] = {}
        self.topic_policies: dict[str, list[dict]] = {}
        self.bucket_depends: dict[str, list[str]] = {}
        self.edges_done: set[int] = set()
        self.json_forms: dict[str, dict[str, Any]] = {}
        self.edge_json_forms: list[dict] = []
        self._assign_ids()

    # -- ids ----------------------------------------------------------------------------
    def _assign_ids(self) -> None:
        taken: set[str] = set()
        for n in self.sc.nodes:
            lid = n.id if is_logical_id(n.id) and not n.id[0].isdigit() else sanitize_id(n.id)
            if lid[0].isdigit():
                lid = "N" + lid
            base, i = lid, 2
            while lid in taken or lid in ("ServerlessRestApi", "ServerlessHttpApi"):
                lid = f"{base}{i}"
                i += 1
            taken.add(lid)
            self.lid[n.id] = lid
        self.taken = taken

    def unique(self, base: str) -> str:
        lid, i = base[:240], 2
        while lid in self.taken or lid in self.res:
            lid = f"{base[:236]}{i}"
            i += 1
        self.taken.add(lid)
        return lid

    def kind(self, nid: str) -> str:
        return self.nodes[nid].kind

    def prop(self, nid: str, path: str) -> Any:
        return get_path(self.nodes[nid].properties, path)

    def put(self, nid: str, path: str, dest: dict, dest_path: str | None = None) -> Any:
        """Copy a node property into a template dict, marking it written."""
        v = self.prop(nid, path)
        if v is None:
            return None
        out = _cfn_form(path, v)
        if out != v:
            self.json_forms.setdefault(nid, {})[path] = copy.deepcopy(v)
        _set(dest, dest_path or path, out)
        self.written[nid].add(path)
        return v

    def placeholder(self, nid: str, path: str, dest: dict, value: Any, dest_path: str | None = None) -> None:
        """Write `path` from the node, or a required stand-in that import drops again."""
        if self.put(nid, path, dest, dest_path) is None:
            _set(dest, dest_path or path, copy.deepcopy(value))
            self.placeholders.setdefault(nid, {})[path] = value

    def edges(self, role: str | None = None, src: str | None = None, dst: str | None = None):
        for i, e in enumerate(self.sc.edges):
            if (role is None or e.role == role) and (src is None or e.source == src) \
                    and (dst is None or e.target == dst) and e.source in self.nodes and e.target in self.nodes:
                yield i, e

    def keep_edge(self, i: int) -> None:
        """An edge CloudFormation cannot express: kept in Metadata."""
        e = self.sc.edges[i]
        self.meta_edges.append(e.model_dump(mode="json", by_alias=True, exclude_none=True))
        self.edges_done.add(i)

    def edge_value(self, e, path: str) -> Any:
        v = get_path(e.properties, path)
        out = _cfn_form(path, v)
        if out != v:
            self.edge_json_forms.append({"from": e.source, "to": e.target, "role": e.role, "path": path,
                                         "value": copy.deepcopy(v)})
        return out

    def edge_done(self, i: int, written: set[str], placeholders: dict[str, Any] | None = None) -> None:
        e = self.sc.edges[i]
        self.edges_done.add(i)
        left = {p: v for p, v in _leaves(e.properties, _edge_paths(e.role)).items() if p not in written}
        if left:
            self.edge_props_left.append({"from": e.source, "to": e.target, "role": e.role, "properties": left})
        for p, v in (placeholders or {}).items():
            self.edge_placeholders.append({"from": e.source, "to": e.target, "role": e.role, "path": p, "value": v})

    # -- build ------------------------------------------------------------------------------
    def build(self) -> dict:
        exportable = {"Function", "SQSQueue", "SNSTopic", "KinesisStream", "DynamoDBTable", "S3Bucket",
                      "EventBridgeRule", "Schedule", "ApiGateway", "EventSourceMapping"}
        self.esm_ok = {nid for nid, n in self.nodes.items() if n.kind == "EventSourceMapping" and self._esm_parts(nid)}
        for nid, n in self.nodes.items():
            if n.kind not in exportable or (n.kind == "EventSourceMapping" and nid not in self.esm_ok):
                self.extra_nodes.append(n.model_dump(mode="json", by_alias=True, exclude_none=True))
        for nid, n in self.nodes.items():
            k = n.kind
            if k == "SQSQueue":
                self.queue(nid)
            elif k == "SNSTopic":
                self.topic(nid)
            elif k == "KinesisStream":
                self.stream(nid)
            elif k == "DynamoDBTable":
                self.table(nid)
            elif k == "S3Bucket":
                self.bucket(nid)
            elif k == "ApiGateway":
                self.api(nid)
            elif k == "Function":
                self.function(nid)
        for nid, n in self.nodes.items():
            if n.kind in ("EventBridgeRule", "Schedule"):
                self.rule(nid)
        for nid, n in self.nodes.items():
            if n.kind == "Function":
                self.function_events(nid)
        for nid, n in self.nodes.items():
            if n.kind == "SNSTopic":
                self.topic_subscriptions(nid)
            elif n.kind == "S3Bucket":
                self.bucket_notifications(nid)
        self.policies()
        for i, _e in enumerate(self.sc.edges):
            if i not in self.edges_done:
                self.keep_edge(i)
        return self.document()

    def resource(self, nid: str, rtype: str, props: dict) -> dict:
        lid = self.lid[nid]
        r: dict[str, Any] = {"Type": rtype}
        if lid != nid:
            r["Metadata"] = {META_KEY: {"id": nid}}
        r["Properties"] = props
        self.res[lid] = r
        return r

    # queues, topics, streams, tables, buckets
    def queue(self, nid: str) -> None:
        p: dict = {}
        for f in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds"):
            self.put(nid, f, p)
        if self.prop(nid, "FifoQueue") is True:
            self.put(nid, "FifoQueue", p)
            p["QueueName"] = {"Fn::Sub": "${AWS::StackName}-" + self.lid[nid] + ".fifo"}
        rd = list(self.edges("redrive", src=nid))
        if len(rd) == 1:
            i, e = rd[0]
            pol: dict = {"deadLetterTargetArn": _arn(self.lid[e.target])}
            self.placeholder(nid, "RedrivePolicy.maxReceiveCount", pol, 10, "maxReceiveCount")
            p["RedrivePolicy"] = pol
            self.edge_done(i, set())
        self.resource(nid, "AWS::SQS::Queue", p)

    def topic(self, nid: str) -> None:
        p: dict = {}
        if self.prop(nid, "FifoTopic") is True:
            self.put(nid, "FifoTopic", p)
            p["TopicName"] = {"Fn::Sub": "${AWS::StackName}-" + self.lid[nid] + ".fifo"}
        self.resource(nid, "AWS::SNS::Topic", p)

    def stream(self, nid: str) -> None:
        p: dict = {}
        self.placeholder(nid, "ShardCount", p, 1)
        self.put(nid, "RetentionPeriodHours", p)
        self.resource(nid, "AWS::Kinesis::Stream", p)

    def table(self, nid: str) -> None:
        p: dict = {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        }
        spec: dict = {}
        self.placeholder(nid, "StreamSpecification.StreamViewType", spec, "NEW_AND_OLD_IMAGES", "StreamViewType")
        p["StreamSpecification"] = spec
        self.resource(nid, "AWS::DynamoDB::Table", p)

    def bucket(self, nid: str) -> None:
        self.resource(nid, "AWS::S3::Bucket", {})

    def api(self, nid: str) -> None:
        http = self.prop(nid, "Type") == "HTTP"
        if self.prop(nid, "Type") is None:
            self.placeholders.setdefault(nid, {})["Type"] = "REST"
        else:
            self.written[nid].add("Type")
        p: dict = {}
        throttle: dict = {}
        for f in ("ThrottlingRateLimit", "ThrottlingBurstLimit"):
            self.put(nid, f, throttle)
        if http:
            if throttle:
                p["DefaultRouteSettings"] = throttle
            self.resource(nid, "AWS::Serverless::HttpApi", p)
        else:
            p["StageName"] = "Prod"
            if throttle:
                p["MethodSettings"] = [{"ResourcePath": "/*", "HttpMethod": "*", **throttle}]
            self.resource(nid, "AWS::Serverless::Api", p)

    # functions
    def function_ref(self, nid: str) -> dict:
        """How other resources invoke a function: its alias when it has provisioned concurrency."""
        lid = self.lid[nid]
        pc = self.prop(nid, "ProvisionedConcurrentExecutions")
        if isinstance(pc, int) and pc > 0:
            return {"Ref": f"{lid}.Alias"}
        return _arn(lid)

    def function(self, nid: str) -> None:
        p: dict = {"Runtime": RUNTIME, "Handler": HANDLER, "InlineCode": INLINE_CODE}
        for f in ("MemorySize", "Timeout", "Architectures", "EphemeralStorage.Size", "ReservedConcurrentExecutions"):
            self.put(nid, f, p)
        pc = self.prop(nid, "ProvisionedConcurrentExecutions")
        if isinstance(pc, int) and not isinstance(pc, bool) and pc > 0:
            p["AutoPublishAlias"] = "live"
            self.put(nid, "ProvisionedConcurrentExecutions", p,
                     "ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions")
        dlq = list(self.edges("dlq", src=nid))
        if len(dlq) == 1:
            i, e = dlq[0]
            tl = self.lid[e.target]
            if self.kind(e.target) == "SQSQueue":
                p["DeadLetterQueue"] = {"Type": "SQS", "TargetArn": _arn(tl)}
            else:
                p["DeadLetterQueue"] = {"Type": "SNS", "TargetArn": _ref(tl)}
            self.edge_done(i, set())
        eic: dict = {}
        for f in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
            self.put(nid, f"EventInvokeConfig.{f}", eic, f)
        dc: dict = {}
        for role, key in (("on_success", "OnSuccess"), ("on_failure", "OnFailure")):
            es = list(self.edges(role, src=nid))
            if len(es) != 1:
                continue
            i, e = es[0]
            d = self.destination(nid, e.target, role)
            if d is not None:
                dc[key] = d
                self.edge_done(i, set())
        if dc:
            eic["DestinationConfig"] = dc
        if eic:
            p["EventInvokeConfig"] = eic
        emits = [(i, e) for i, e in self.edges("emits", src=nid)]
        env: dict = {}
        policies: list = []
        for _i, e in emits:
            tl = self.lid[e.target]
            k = self.kind(e.target)
            var = f"{sanitize_id(e.target).upper()}_{_EMIT_ENV.get(k, 'TARGET')}"
            if k == "SQSQueue":
                env[var] = _ref(tl)
                policies.append({"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": [tl, "QueueName"]}}})
            elif k == "SNSTopic":
                env[var] = _ref(tl)
                policies.append({"SNSPublishMessagePolicy": {"TopicName": {"Fn::GetAtt": [tl, "TopicName"]}}})
            elif k == "KinesisStream":
                env[var] = _ref(tl)
                policies.append({"KinesisCrudPolicy": {"StreamName": _ref(tl)}})
            elif k == "DynamoDBTable":
                env[var] = _ref(tl)
                policies.append({"DynamoDBWritePolicy": {"TableName": _ref(tl)}})
            elif k == "EventBridgeRule":
                env[var] = "default"
                if {"EventBridgePutEventsPolicy": {"EventBusName": "default"}} not in policies:
                    policies.append({"EventBridgePutEventsPolicy": {"EventBusName": "default"}})
            elif k == "S3Bucket" and not any(True for _ in self.edges("invoke", src=e.target)):
                # (a bucket that invokes functions would make a dependency cycle with this role)
                env[var] = _ref(tl)
                policies.append({"S3WritePolicy": {"BucketName": _ref(tl)}})
        if env:
            p["Environment"] = {"Variables": env}
        if policies:
            p["Policies"] = policies
        self.resource(nid, "AWS::Serverless::Function", p)

    def destination(self, fn: str, target: str, role: str) -> dict | None:
        tl = self.lid[target]
        k = self.kind(target)
        if k == "SQSQueue":
            return {"Type": "SQS", "Destination": _arn(tl)}
        if k == "SNSTopic":
            return {"Type": "SNS", "Destination": _ref(tl)}
        if k == "Function":
            return {"Type": "Lambda", "Destination": _arn(tl)}
        if k == "S3Bucket" and role == "on_failure":
            return {"Type": "S3Bucket", "Destination": _arn(tl)}
        if k == "EventBridgeRule":
            self.destinations[f"{fn}.{role}"] = target
            return {"Type": "EventBridge", "Destination": {
                "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"}}
        return None

    def _esm_parts(self, nid: str) -> tuple[str, str] | None:
        srcs = [e.source for _, e in self.edges("poll", dst=nid)]
        fns = [e.target for _, e in self.edges("poll", src=nid)]
        if len(srcs) == 1 and len(fns) == 1 and self.kind(srcs[0]) in ("SQSQueue", "KinesisStream", "DynamoDBTable") \
                and self.kind(fns[0]) == "Function":
            return srcs[0], fns[0]
        return None

    def function_events(self, fn: str) -> None:
        lid = self.lid[fn]
        events: dict = {}

        def key_for(base: str) -> str:
            k = sanitize_id(base)
            k = k if not k[0].isdigit() else "E" + k
            cand, i = k, 2
            while cand in events or (lid + cand) in self.taken or (lid + cand) in self.res:
                cand = f"{k}{i}"
                i += 1
            self.taken.add(lid + cand)
            return cand

        # pull sources: one event per event source mapping
        for esm in sorted(self.esm_ok):
            src, f = self._esm_parts(esm)
            if f != fn:
                continue
            sk = self.kind(src)
            ev: dict = {}
            if sk == "SQSQueue":
                etype, allowed = "SQS", _SQS_EVENT
                ev["Queue"] = _arn(self.lid[src])
            else:
                etype, allowed = ("Kinesis" if sk == "KinesisStream" else "DynamoDB"), _STREAM_EVENT
                ev["Stream"] = _arn(self.lid[src]) if sk == "KinesisStream" else \
                    {"Fn::GetAtt": [self.lid[src], "StreamArn"]}
            for path in allowed:
                if path == "StartingPosition":
                    self.placeholder(esm, path, ev, "LATEST")
                else:
                    self.put(esm, path, ev)
            if sk != "SQSQueue":
                of = list(self.edges("on_failure", src=esm))
                if len(of) == 1:
                    i, e = of[0]
                    tk = self.kind(e.target)
                    tl = self.lid[e.target]
                    if tk == "SQSQueue":
                        ev["DestinationConfig"] = {"OnFailure": {"Type": "SQS", "Destination": _arn(tl)}}
                    elif tk == "SNSTopic":
                        ev["DestinationConfig"] = {"OnFailure": {"Type": "SNS", "Destination": _ref(tl)}}
                    else:
                        ev["DestinationConfig"] = {"OnFailure": {"Destination": _arn(tl)}}
                    self.edge_done(i, set())
            key = key_for(self.lid[esm])
            events[key] = {"Type": etype, "Properties": ev}
            self.ids[lid + key] = esm
            for i, _e in list(self.edges("poll", dst=esm)) + list(self.edges("poll", src=esm)):
                self.edge_done(i, set())
        # push sources
        for i, e in self.edges("invoke", dst=fn):
            src = e.source
            sk = self.kind(src)
            sl = self.lid[src]
            written: set[str] = set()
            ph: dict[str, Any] = {}
            if sk == "S3Bucket":
                ev = {"Bucket": _ref(sl)}
                evs = e.properties.get("Events")
                if evs:
                    ev["Events"] = copy.deepcopy(evs)
                    written.add("Events")
                else:
                    ev["Events"] = ["s3:ObjectCreated:*"]
                    ph["Events"] = ["s3:ObjectCreated:*"]
                rules = get_path(e.properties, "Filter.S3Key.Rules")
                if rules is not None:
                    ev["Filter"] = {"S3Key": {"Rules": copy.deepcopy(rules)}}
                    written.add("Filter.S3Key.Rules")
                events[key_for(f"{sl}Event")] = {"Type": "S3", "Properties": ev}
            elif sk == "SNSTopic":
                ev = {"Topic": _ref(sl)}
                for f in ("FilterPolicy", "FilterPolicyScope"):
                    if e.properties.get(f) is not None:
                        ev[f] = self.edge_value(e, f)
                        written.add(f)
                events[key_for(f"{sl}Event")] = {"Type": "SNS", "Properties": ev}
            elif sk == "ApiGateway":
                http = self.prop(src, "Type") == "HTTP"
                ev = {"ApiId" if http else "RestApiId": _ref(sl), "Path": f"/{lid.lower()}", "Method": "ANY"
                      if http else "any"}
                t = self.prop(src, "IntegrationTimeoutMillis")
                if t is not None:
                    ev["TimeoutInMillis"] = t
                    self.written[src].add("IntegrationTimeoutMillis")
                events[key_for(f"{sl}Event")] = {"Type": "HttpApi" if http else "Api", "Properties": ev}
            elif sk in ("EventBridgeRule", "Schedule") and src in self.sam_rules:
                ev = {}
                if sk == "Schedule":
                    self.placeholder(src, "ScheduleExpression", ev, "rate(1 minute)", "Schedule")
                    if self.prop(src, "Input") is not None:
                        ev["Input"] = json.dumps(self.prop(src, "Input"))
                        self.written[src].add("Input")
                else:
                    self.placeholder(src, "EventPattern", ev, {"source": ["triggerscope.placeholder"]}, "Pattern")
                if sk == "Schedule":
                    self.put(src, "State", ev)
                # An EventBridgeRule event is only here when ENABLED (sam_rules), SAM's default: State
                # stays in Metadata. SAM accepts State on this event (aws-sam-translator's
                # EventBridgeRule.property_types; SAM developer guide, "EventBridgeRule"), but
                # cfn-lint >= 1.55's SAM schema rejects it (E3002 'State' was unexpected).
                key = key_for(sl)
                events[key] = {"Type": "Schedule" if sk == "Schedule" else "EventBridgeRule", "Properties": ev}
                self.ids[lid + key] = src
            else:
                continue
            self.edge_done(i, written, ph)
        if events:
            self.res[lid]["Properties"]["Events"] = events

    # rules and schedules
    @property
    def sam_rules(self) -> set[str]:
        if not hasattr(self, "_sam_rules"):
            out = set()
            for nid, n in self.nodes.items():
                if n.kind not in ("EventBridgeRule", "Schedule"):
                    continue
                outs = [e for _, e in self.edges(src=nid)]
                # a disabled rule is written as an AWS::Events::Rule with its State (see function_events)
                disabled = n.kind == "EventBridgeRule" and self.prop(nid, "State") not in (None, "ENABLED")
                if len(outs) == 1 and outs[0].role == "invoke" and self.kind(outs[0].target) == "Function" \
                        and outs[0].target in self.lid and not disabled:
                    out.add(nid)
            self._sam_rules = out
        return self._sam_rules

    def rule(self, nid: str) -> None:
        if nid in self.sam_rules:
            return  # written as a SAM event of its function
        lid = self.lid[nid]
        p: dict = {}
        sched = self.kind(nid) == "Schedule"
        if sched:
            self.placeholder(nid, "ScheduleExpression", p, "rate(1 minute)")
        else:
            self.placeholder(nid, "EventPattern", p, {"source": ["triggerscope.placeholder"]})
        self.put(nid, "State", p)
        targets = []
        for i, e in self.edges(src=nid):
            tk = self.kind(e.target)
            tl = self.lid[e.target]
            t: dict = {"Id": f"Target{len(targets) + 1}"}
            if e.role == "invoke" and tk == "Function":
                t["Arn"] = self.function_ref(e.target)
                perm = self.unique(f"{lid}{tl}Permission")
                self.res[perm] = {"Type": "AWS::Lambda::Permission", "Properties": {
                    "Action": "lambda:InvokeFunction", "FunctionName": self.function_ref(e.target),
                    "Principal": "events.amazonaws.com", "SourceArn": _arn(lid)}}
            elif e.role == "deliver" and tk == "SQSQueue":
                t["Arn"] = _arn(tl)
                self.queue_policies.setdefault(e.target, []).append(
                    _statement("events.amazonaws.com", "sqs:SendMessage", _arn(tl), {"ArnEquals": {"aws:SourceArn": _arn(lid)}}))
            elif e.role == "deliver" and tk == "SNSTopic":
                t["Arn"] = _ref(tl)
                self.topic_policies.setdefault(e.target, []).append(
                    _statement("events.amazonaws.com", "sns:Publish", _ref(tl), {"ArnEquals": {"aws:SourceArn": _arn(lid)}}))
            else:
                continue
            if sched and self.prop(nid, "Input") is not None:
                t["Input"] = json.dumps(self.prop(nid, "Input"))
            targets.append(t)
            self.edge_done(i, set())
        if sched and self.prop(nid, "Input") is not None and targets:
            self.written[nid].add("Input")
        if targets:
            p["Targets"] = targets
        self.resource(nid, "AWS::Events::Rule", p)

    def topic_subscriptions(self, nid: str) -> None:
        tl = self.lid[nid]
        for i, e in self.edges("deliver", src=nid):
            if self.kind(e.target) != "SQSQueue":
                continue
            ql = self.lid[e.target]
            p: dict = {"Protocol": "sqs", "TopicArn": _ref(tl), "Endpoint": _arn(ql)}
            written = set()
            for f in ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery"):
                if e.properties.get(f) is not None:
                    p[f] = self.edge_value(e, f)
                    written.add(f)
            sub = self.unique(f"{tl}To{ql}Subscription")
            self.res[sub] = {"Type": "AWS::SNS::Subscription", "Properties": p}
            self.queue_policies.setdefault(e.target, []).append(
                _statement("sns.amazonaws.com", "sqs:SendMessage", _arn(ql), {"ArnEquals": {"aws:SourceArn": _ref(tl)}}))
            self.edge_done(i, written)

    def bucket_notifications(self, nid: str) -> None:
        bl = self.lid[nid]
        nc: dict = {}
        for i, e in self.edges("deliver", src=nid):
            tk = self.kind(e.target)
            tl = self.lid[e.target]
            if tk not in ("SQSQueue", "SNSTopic"):
                continue
            evs = e.properties.get("Events")
            ph = {}
            written = set()
            if evs:
                written.add("Events")
            else:
                evs = ["s3:ObjectCreated:*"]
                ph["Events"] = evs
            rules = get_path(e.properties, "Filter.S3Key.Rules")
            if rules is not None:
                written.add("Filter.S3Key.Rules")
            for ev in (evs if isinstance(evs, list) else [evs]):
                c: dict = {"Event": ev}
                if rules is not None:
                    c["Filter"] = {"S3Key": {"Rules": copy.deepcopy(rules)}}
                if tk == "SQSQueue":
                    c["Queue"] = _arn(tl)
                    nc.setdefault("QueueConfigurations", []).append(c)
                else:
                    c["Topic"] = _ref(tl)
                    nc.setdefault("TopicConfigurations", []).append(c)
            cond = {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
            if tk == "SQSQueue":
                self.queue_policies.setdefault(e.target, []).append(_statement("s3.amazonaws.com", "sqs:SendMessage", _arn(tl), cond))
                self.bucket_depends.setdefault(nid, []).append(e.target)
            else:
                self.topic_policies.setdefault(e.target, []).append(_statement("s3.amazonaws.com", "sns:Publish", _ref(tl), cond))
                self.bucket_depends.setdefault(nid, []).append(e.target)
            self.edge_done(i, written, ph)
        if nc:
            self.res[bl]["Properties"]["NotificationConfiguration"] = nc

    def policies(self) -> None:
        pol_ids: dict[str, str] = {}
        for q, stmts in self.queue_policies.items():
            ql = self.lid[q]
            pid = self.unique(f"{ql}Policy")
            pol_ids[q] = pid
            self.res[pid] = {"Type": "AWS::SQS::QueuePolicy", "Properties": {
                "Queues": [_ref(ql)], "PolicyDocument": {"Version": "2012-10-17", "Statement": _dedupe(stmts)}}}
        for t, stmts in self.topic_policies.items():
            tl = self.lid[t]
            pid = self.unique(f"{tl}Policy")
            pol_ids[t] = pid
            self.res[pid] = {"Type": "AWS::SNS::TopicPolicy", "Properties": {
                "Topics": [_ref(tl)], "PolicyDocument": {"Version": "2012-10-17", "Statement": _dedupe(stmts)}}}
        for b, targets in self.bucket_depends.items():
            deps = sorted({pol_ids[t] for t in targets if t in pol_ids})
            if deps:
                self.res[self.lid[b]]["DependsOn"] = deps

    # -- metadata and the document ------------------------------------------------------------
    def document(self) -> dict:
        for nid, n in self.nodes.items():
            m: dict[str, Any] = {"behavior": copy.deepcopy(n.behavior)}
            if n.position is not None:
                m["position"] = [float(n.position[0]), float(n.position[1])]
            if n.description is not None:
                m["description"] = n.description
            if any(x.get("id") == nid for x in self.extra_nodes):
                self.meta_nodes[nid] = m
                continue
            left = {p: v for p, v in _leaves(n.properties, _node_paths(n.kind)).items() if p not in self.written[nid]}
            if left:
                m["properties"] = left
            if self.placeholders.get(nid):
                m["placeholders"] = self.placeholders[nid]
            if self.json_forms.get(nid):
                m["json_forms"] = self.json_forms[nid]
            self.meta_nodes[nid] = m
        meta: dict[str, Any] = {
            "format": META_FORMAT,
            "name": self.sc.name,
        }
        if self.sc.description is not None:
            meta["description"] = self.sc.description
        meta["account"] = self.sc.account.model_dump(mode="json")
        meta["simulation"] = self.sc.simulation.model_dump(mode="json")
        if self.ids:
            meta["ids"] = dict(sorted(self.ids.items()))
        if self.destinations:
            meta["destinations"] = self.destinations
        meta["nodes"] = self.meta_nodes
        if self.extra_nodes:
            meta["extra_nodes"] = self.extra_nodes
        if self.meta_edges:
            meta["edges"] = self.meta_edges
        if self.edge_props_left:
            meta["edge_properties"] = self.edge_props_left
        if self.edge_placeholders:
            meta["edge_placeholders"] = self.edge_placeholders
        if self.edge_json_forms:
            meta["edge_json_forms"] = self.edge_json_forms
        meta["workloads"] = [w.model_dump(mode="json", by_alias=True, exclude_none=True) for w in self.sc.workloads]
        desc = self.sc.name if not self.sc.description else f"{self.sc.name} — {self.sc.description}"
        for r in self.res.values():
            if r.get("Properties") == {}:
                del r["Properties"]
        return {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Transform": SAM_TRANSFORM,
            "Description": f"{desc} (exported by Triggerscope)"[:1024],
            # JSON text: CloudFormation Metadata may not hold floats or nulls (cfn-lint E4002)
            "Metadata": {META_KEY: json.dumps(meta, indent=1, ensure_ascii=False) + "\n"},
            "Resources": self.res,
        }


# -- helpers -----------------------------------------------------------------------------------


def _set(d: dict, path: str, value: Any) -> None:
    parts = path.split(".")
    cur = d
    for part in parts[:-1]:
        cur = cur.setdefault(part, {})
    cur[parts[-1]] = value


def _cfn_form(path: str, v: Any) -> Any:
    """The shape CloudFormation wants: filter patterns as JSON text, event patterns as objects."""
    if path == "FilterCriteria" and isinstance(v, dict) and isinstance(v.get("Filters"), list):
        out = copy.deepcopy(v)
        for f in out["Filters"]:
            if isinstance(f, dict) and not isinstance(f.get("Pattern"), str) and f.get("Pattern") is not None:
                f["Pattern"] = json.dumps(f["Pattern"], separators=(",", ":"))
        return out
    if path in ("EventPattern", "FilterPolicy") and isinstance(v, str):
        try:
            return json.loads(v)
        except ValueError:
            return v
    return copy.deepcopy(v)


def _statement(service: str, action: str, resource: Any, condition: dict) -> dict:
    return {"Effect": "Allow", "Principal": {"Service": service}, "Action": action,
            "Resource": resource, "Condition": condition}


def _dedupe(stmts: list[dict]) -> list[dict]:
    out: list[dict] = []
    for s in stmts:
        if s not in out:
            out.append(s)
    return out


def _node_paths(kind: str) -> set[str]:
    return {f.path for f in catalog.fields_for(kind) if f.section == "properties"}


def _edge_paths(role: str) -> set[str]:
    return {f.path for f in catalog.EDGE_FIELDS.get(role, ())}


def _leaves(props: dict, known: set[str], prefix: str = "") -> dict[str, Any]:
    """Dotted paths → values: stop at catalog paths, non-dicts and empty dicts."""
    out: dict[str, Any] = {}
    for k, v in props.items():
        path = f"{prefix}{k}"
        if path in known or not isinstance(v, dict) or not v:
            if v is not None:
                out[path] = copy.deepcopy(v)
        else:
            out.update(_leaves(v, known, path + "."))
    return out
