"""Import of real-world templates, as a new user would try them.

The fixtures in tests/data/templates/real/ are public SAM / CloudFormation patterns
(aws-samples/serverless-patterns, aws/serverless-application-model examples,
christoferson/aws-cloudformation), each with its source noted at the top.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from core.templates import export_template, import_template
from core.validate import problems

REAL = Path(__file__).resolve().parents[1] / "data" / "templates" / "real"
FILES = sorted(REAL.glob("*.yaml"))

# What each template must give: node kinds, edges, and the properties worth pinning.
EXPECT: dict[str, dict] = {
    "sqs-lambda.yaml": {
        "nodes": {"MySqsQueue": "SQSQueue", "QueueConsumerFunction": "Function",
                  "QueueConsumerFunctionMySQSEvent": "EventSourceMapping"},
        "edges": {("MySqsQueue", "QueueConsumerFunctionMySQSEvent", "poll"),
                  ("QueueConsumerFunctionMySQSEvent", "QueueConsumerFunction", "poll")},
        "props": {"QueueConsumerFunctionMySQSEvent": {"BatchSize": 10},
                  "QueueConsumerFunction": {"MemorySize": 128, "Timeout": 3}},
    },
    "kinesis-lambda-error-handling.yaml": {
        "nodes": {"DataActivityKinesisStream": "KinesisStream", "AnomalyDataQueue": "SQSQueue",
                  "KinesisDataStreamProcessor": "Function",
                  "KinesisDataStreamProcessorDataActivityKinesisEvent": "EventSourceMapping"},
        "edges": {("DataActivityKinesisStream", "KinesisDataStreamProcessorDataActivityKinesisEvent", "poll"),
                  ("KinesisDataStreamProcessorDataActivityKinesisEvent", "KinesisDataStreamProcessor", "poll"),
                  ("KinesisDataStreamProcessorDataActivityKinesisEvent", "AnomalyDataQueue", "on_failure")},
        "props": {"DataActivityKinesisStream": {"ShardCount": 1, "RetentionPeriodHours": 25},
                  "KinesisDataStreamProcessorDataActivityKinesisEvent": {
                      "BatchSize": 5, "MaximumRetryAttempts": 5, "MaximumRecordAgeInSeconds": 3600,
                      "BisectBatchOnFunctionError": True, "StartingPosition": "TRIM_HORIZON"}},
    },
    "s3-lambda.yaml": {
        "nodes": {"SrcBucket": "S3Bucket", "CreateThumbnail": "Function"},
        "edges": {("SrcBucket", "CreateThumbnail", "invoke")},
        "edge_props": {("SrcBucket", "CreateThumbnail", "invoke"): {"Events": ["s3:ObjectCreated:*"]}},
    },
    "s3-sqs-lambda.yaml": {
        "nodes": {"SourceBucket": "S3Bucket", "ResizerQueue": "SQSQueue", "ResizerFunction": "Function",
                  "ResizerFunctionMySQSEvent": "EventSourceMapping"},
        "edges": {("SourceBucket", "ResizerQueue", "deliver"), ("ResizerQueue", "ResizerFunctionMySQSEvent", "poll"),
                  ("ResizerFunctionMySQSEvent", "ResizerFunction", "poll")},
        "edge_props": {("SourceBucket", "ResizerQueue", "deliver"): {
            "Events": ["s3:ObjectCreated:*"], "Filter": {"S3Key": {"Rules": [{"Name": "suffix", "Value": ".jpg"}]}}}},
        "skipped": {"DestinationBucket", "ResizerQueueQueuePolicy", "ResizerFunctionRole"},
    },
    "sns-sqs-lambda.yaml": {
        "nodes": {"SNSTopic": "SNSTopic", "MyQueueServerLessPattern": "SQSQueue", "LambdaFunction": "Function",
                  "EventSourceMapping": "EventSourceMapping"},
        "edges": {("SNSTopic", "MyQueueServerLessPattern", "deliver"),
                  ("MyQueueServerLessPattern", "EventSourceMapping", "poll"),
                  ("EventSourceMapping", "LambdaFunction", "poll")},
        "props": {"MyQueueServerLessPattern": {"VisibilityTimeout": 720},
                  "LambdaFunction": {"MemorySize": 512, "Timeout": 120}},
    },
    "eventbridge-lambda.yaml": {
        "nodes": {"ConsumerFunction": "Function", "ConsumerFunctionTrigger": "EventBridgeRule"},
        "edges": {("ConsumerFunctionTrigger", "ConsumerFunction", "invoke")},
        "props": {"ConsumerFunctionTrigger": {"EventPattern": {
            "source": ["custom.myApp"], "detail-type": ["transaction"], "detail": {"location": [{"prefix": "EUR-"}]}}}},
    },
    "eventbridge-schedule-to-lambda.yaml": {
        "nodes": {"MyFirstSchedule": "Schedule", "ScheduledLambdaFunction": "Function"},
        "edges": {("MyFirstSchedule", "ScheduledLambdaFunction", "invoke")},
        "props": {"MyFirstSchedule": {"ScheduleExpression": "rate(5 minutes)"}},
    },
    "eventbridge-sqs.yaml": {
        "nodes": {"EventRule": "EventBridgeRule", "MySqsQueue": "SQSQueue"},
        "edges": {("EventRule", "MySqsQueue", "deliver")},
        "props": {"EventRule": {"EventPattern": {"account": ["123456789012"], "source": ["demo.sqs"]}}},
    },
    "apigw-lambda-dynamodb.yaml": {
        "nodes": {"ServerlessRestApi": "ApiGateway", "LambdaFunction": "Function"},
        "edges": {("ServerlessRestApi", "LambdaFunction", "invoke")},
        "props": {"ServerlessRestApi": {"Type": "REST"}},
        "skipped": {"DynamoDBTable"},
    },
    "apigw-http-api-fifo-sqs-lambda-sns-sam.yaml": {
        "nodes": {"MyAPI": "ApiGateway", "MySQSQueue": "SQSQueue", "MyDeadLetterQueueForSQS": "SQSQueue",
                  "MySNSTopic": "SNSTopic", "MyLambdaFunction": "Function",
                  "MyLambdaFunctionMySQSTrigger": "EventSourceMapping"},
        "edges": {("MySQSQueue", "MyDeadLetterQueueForSQS", "redrive"),
                  ("MySQSQueue", "MyLambdaFunctionMySQSTrigger", "poll"),
                  ("MyLambdaFunctionMySQSTrigger", "MyLambdaFunction", "poll")},
        "props": {"MySQSQueue": {"VisibilityTimeout": 300, "FifoQueue": True, "RedrivePolicy": {"maxReceiveCount": 5}},
                  "MyAPI": {"Type": "HTTP"}},
        "report": ["included from another file", "Possible emits: MyLambdaFunction may send to MySNSTopic"],
    },
    "lambda-esm-sqs-filters-sam.yaml": {
        "nodes": {"EmsSqsFilterSnsTopic": "SNSTopic", "EsmSqsFilterQueueOr": "SQSQueue",
                  "EsmSqsFilterFunctionOrSQSEvent": "EventSourceMapping", "EsmSqsFilterFunctionOr": "Function"},
        "edges": {("EmsSqsFilterSnsTopic", "EsmSqsFilterQueueOr", "deliver"),
                  ("EsmSqsFilterQueueOr", "EsmSqsFilterFunctionOrSQSEvent", "poll")},
        "edge_props": {("EmsSqsFilterSnsTopic", "EsmSqsFilterQueueOr", "deliver"): {"RawMessageDelivery": True}},
        "props": {"EsmSqsFilterFunctionOr": {"Timeout": 3, "Architectures": ["arm64"]},
                  "EsmSqsFilterFunctionPrefixSQSEvent": {"BatchSize": 10, "FilterCriteria": {
                      "Filters": [{"Pattern": '{"body":{"region":[{"prefix":"us-"}]}}'}]}}},
    },
    "sam-function-lambda-event-destinations.yaml": {
        "nodes": {"EventDestinationLambda": "Function", "DestinationLambda": "Function",
                  "EventDestinationLambdaEventInvokeConfigOnFailureQueue": "SQSQueue",
                  "EventDestinationSQSSNSEventInvokeConfigOnFailureTopic": "SNSTopic"},
        "edges": {("EventDestinationLambda", "DestinationLambda", "on_success"),
                  ("EventDestinationLambda", "EventDestinationLambdaEventInvokeConfigOnFailureQueue", "on_failure"),
                  ("EventDestinationSQSSNS", "EventDestinationSQSSNSEventInvokeConfigOnFailureTopic", "on_failure")},
        "props": {"EventDestinationLambda": {"MemorySize": 1024, "EventInvokeConfig": {
            "MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 70}}},
        "skipped": {"SNSSubscription", "EventDestinationSQSSNSEventInvokeConfigOnSuccessQueue"},
    },
    "cfn-lambda-destination.yaml": {
        "nodes": {"LambdaFunction": "Function", "DeadLetterQueue": "SQSQueue",
                  "DestinationSuccessQueue": "SQSQueue", "DestinationFailureQueue": "SQSQueue"},
        "edges": {("LambdaFunction", "DeadLetterQueue", "dlq"), ("LambdaFunction", "DestinationSuccessQueue", "on_success"),
                  ("LambdaFunction", "DestinationFailureQueue", "on_failure")},
        "props": {"LambdaFunction": {"EventInvokeConfig": {"MaximumRetryAttempts": 1, "MaximumEventAgeInSeconds": 300}}},
    },
    "cfn-lambda-trigger-dynamodb.yaml": {
        "nodes": {"DynamoTable": "DynamoDBTable", "LambdaEventSourceMapping": "EventSourceMapping",
                  "LambdaFunction": "Function"},
        "edges": {("DynamoTable", "LambdaEventSourceMapping", "poll"), ("LambdaEventSourceMapping", "LambdaFunction", "poll")},
        "props": {"LambdaEventSourceMapping": {
            "BatchSize": 10, "MaximumBatchingWindowInSeconds": 1, "ParallelizationFactor": 1, "MaximumRetryAttempts": 2,
            "MaximumRecordAgeInSeconds": 60, "BisectBatchOnFunctionError": True,
            "FunctionResponseTypes": ["ReportBatchItemFailures"], "StartingPosition": "LATEST", "Enabled": True,
            "TumblingWindowInSeconds": 1},
            "DynamoTable": {"StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"}}},
    },
    "cfn-lambda-concurrency.yaml": {
        "nodes": {"LambdaFunction": "Function"},
        "edges": set(),
        "props": {"LambdaFunction": {"MemorySize": 128, "Timeout": 3, "EphemeralStorage": {"Size": 512},
                                     "ReservedConcurrentExecutions": 2, "ProvisionedConcurrentExecutions": 1}},
        "skipped": {"LambdaVersion1", "LambdaAliasDev", "LambdaExecutionRole", "LambdaLogGroup"},
    },
}


@pytest.fixture(scope="module")
def imported() -> dict:
    return {f.name: import_template(f) for f in FILES}


def test_the_real_world_set_is_a_representative_handful_with_sources():
    assert 8 <= len(FILES) <= 15
    assert set(EXPECT) == {f.name for f in FILES}
    for f in FILES:
        assert f.read_text(encoding="utf-8").startswith("# Source: https://github.com/"), f.name


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_real_template_maps_to_the_expected_flow(name, imported):
    r = imported[name]
    exp = EXPECT[name]
    kinds = {n.id: n.kind for n in r.scenario.nodes}
    for nid, kind in exp["nodes"].items():
        assert kinds.get(nid) == kind, (nid, kinds)
    edges = {(e.source, e.target, e.role): e.properties for e in r.scenario.edges}
    assert exp["edges"] <= set(edges), set(edges)
    for nid, props in exp.get("props", {}).items():
        assert r.scenario.node(nid).properties == props, nid
    for key, props in exp.get("edge_props", {}).items():
        assert edges[key] == props, key
    skipped = {s[0] for s in r.skipped}
    assert exp.get("skipped", set()) <= skipped
    for text in exp.get("report", []):
        assert any(text in x for x in r.report), text


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_real_template_imports_as_a_valid_design_with_nothing_silently_dropped(name, imported):
    r = imported[name]
    assert [str(p) for p in problems(r.scenario) if p.severity == "error"] == []
    accounted = {x.split()[1] for x in r.report if x.startswith("Mapped ")} | {s[0] for s in r.skipped}
    total = int(r.report[0].split(" from ")[1].split()[0])
    assert len(accounted) == total
    assert all(n.position is not None for n in r.scenario.nodes)


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_real_template_round_trips_through_export(name, imported):
    sc = imported[name].scenario
    back = import_template(export_template(sc)).scenario
    assert {n.id: n.model_dump() for n in back.nodes} == {n.id: n.model_dump() for n in sc.nodes}
    assert {(e.source, e.target, e.role): e.properties for e in back.edges} == \
        {(e.source, e.target, e.role): e.properties for e in sc.edges}
    assert back.to_dict()["workloads"] == sc.to_dict()["workloads"]


@pytest.mark.parametrize("name", ["sqs-lambda.yaml", "s3-sqs-lambda.yaml", "lambda-esm-sqs-filters-sam.yaml",
                                  "kinesis-lambda-error-handling.yaml", "cfn-lambda-trigger-dynamodb.yaml",
                                  "eventbridge-lambda.yaml", "apigw-lambda-dynamodb.yaml"])
def test_imported_real_template_simulates_with_traffic_reaching_every_function(name, imported):
    from core.engine.simulation import run

    summary = run(imported[name].scenario, duration=30)
    for nid, n in summary["nodes"].items():
        if n["kind"] == "Function":
            assert n["metrics"]["Invocations"]["sum"] > 0, nid
