"""Offline evaluation of intrinsic functions and reference finding."""

from __future__ import annotations

import pytest

from core.templates.intrinsics import NOVALUE, Resolver, Unresolved, parse_arn
from core.templates.samples import build

TEMPLATE = {
    "Parameters": {
        "Env": {"Type": "String", "Default": "prod"},
        "Size": {"Type": "Number", "Default": "64"},
        "Zones": {"Type": "CommaDelimitedList", "Default": "a, b"},
        "Secret": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/app/secret"},
        "NoDefault": {"Type": "String"},
        "QueueArn": {"Type": "String", "Default": "arn:aws:sqs:us-east-1:123456789012:orders"},
    },
    "Mappings": {"M": {"prod": {"Mem": 1024}}},
    "Conditions": {
        "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
        "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
        "Unknown": {"Fn::Equals": [{"Ref": "NoDefault"}, "x"]},
    },
    "Resources": {
        "Orders": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "orders"}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": {"Fn::Sub": "${AWS::StackName}-fn"}}},
        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "shop"}},
    },
}


@pytest.fixture
def r() -> Resolver:
    return Resolver(TEMPLATE)


def test_parameters_pseudo_parameters_and_mappings_resolve(r):
    assert r.value({"Ref": "Size"}) == 64
    assert r.value({"Ref": "Zones"}) == ["a", "b"]
    assert r.value({"Ref": "AWS::Region"}) == "us-east-1"
    assert r.value({"Fn::FindInMap": ["M", {"Ref": "Env"}, "Mem"]}) == 1024
    assert r.value({"Ref": "AWS::NoValue"}) is NOVALUE


def test_conditions_and_if_resolve_with_parameter_defaults(r):
    assert r.condition("IsProd") is True and r.condition("NotProd") is False
    assert r.value({"Fn::If": ["NotProd", 1, 2]}) == 2
    assert r.condition("Unknown") is None
    assert r.value({"Fn::If": ["Unknown", "yes", "no"]}) == "yes"
    assert r.assumptions == ["condition Unknown could not be evaluated; its true branch was used"]


def test_sub_join_select_split_resolve(r):
    assert r.value({"Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${Env}-q"}) == \
        "arn:aws:sqs:us-east-1:123456789012:prod-q"
    assert r.value({"Fn::Sub": ["${A}-${!Literal}", {"A": {"Ref": "Env"}}]}) == "prod-${Literal}"
    assert r.value({"Fn::Join": ["-", ["a", {"Ref": "Size"}]]}) == "a-64"
    assert r.value({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}) == "y"
    assert r.value({"a": {"Ref": "AWS::NoValue"}, "b": 1}) == {"b": 1}


@pytest.mark.parametrize(("expr", "reason"), [
    ({"Ref": "NoDefault"}, "parameter NoDefault has no Default"),
    ({"Ref": "Secret"}, "SSM Parameter Store"),
    ({"Fn::GetAtt": ["Orders", "Arn"]}, "only known after deployment"),
    ({"Fn::ImportValue": "x"}, "another stack"),
    ({"Ref": "Orders"}, "physical id of a resource"),
])
def test_what_only_deployment_knows_is_unresolved_with_a_reason(r, expr, reason):
    with pytest.raises(Unresolved, match=reason):
        r.value(expr)


def test_targets_are_found_through_ref_getatt_sub_and_physical_names(r):
    assert r.target({"Ref": "Orders"}).logical_id == "Orders"
    assert r.target({"Fn::GetAtt": ["Orders", "Arn"]}).logical_id == "Orders"
    assert r.target({"Fn::Sub": "${Orders.Arn}"}).logical_id == "Orders"
    assert r.target("arn:aws:sqs:us-east-1:123456789012:orders").logical_id == "Orders"
    assert r.target({"Ref": "QueueArn"}).logical_id == "Orders"  # parameter default names the queue
    assert r.target("arn:aws:lambda:us-east-1:123456789012:function:stack-fn:live").logical_id == "Fn"
    assert r.target({"Fn::Sub": "arn:aws:events:${AWS::Region}:${AWS::AccountId}:event-bus/shop"}).logical_id == "Bus"


def test_targets_outside_the_template_carry_a_hint(r):
    t = r.target("arn:aws:sns:us-east-1:123456789012:alerts")
    assert (t.logical_id, t.external, t.service) == (None, "alerts", "sns")
    t = r.target({"Ref": "NoDefault"})
    assert (t.external, t.param) == ("NoDefault", "NoDefault")


def test_refs_finds_every_resource_reference_deep(r):
    v = {"a": [{"Fn::Sub": ["${X}/${Orders.Arn}", {"X": {"Ref": "Fn"}}]}], "b": {"Fn::GetAtt": "Bus.Arn"}}
    assert r.refs(v) == [("Orders", "Arn"), ("Fn", None), ("Bus", "Arn")]


@pytest.mark.parametrize(("arn", "expected"), [
    ("arn:aws:sqs:us-east-1:1:q", ("sqs", "q")),
    ("https://sqs.us-east-1.amazonaws.com/1/q", ("sqs", "q")),
    ("arn:aws:kinesis:us-east-1:1:stream/s/consumer/c:1", ("kinesis", "s")),
    ("arn:aws:dynamodb:us-east-1:1:table/t/stream/2020", ("dynamodb", "t")),
    ("arn:aws:s3:::bucket/key", ("s3", "bucket")),
    ("arn:aws:events:us-east-1:1:event-bus/default", ("events-bus", "default")),
    ("not-an-arn", None),
])
def test_arns_are_parsed_to_service_and_name(arn, expected):
    assert parse_arn(arn) == expected


def test_sample_builder_satisfies_each_matcher():
    assert build({"a": ["x"], "b": [{"prefix": "p-"}], "c": [{"numeric": [">", 0, "<=", 5]}],
                  "d": [{"anything-but": ["x"]}], "e": [{"exists": True}], "f": [{"exists": False}],
                  "g": [{"cidr": "10.0.0.0/24"}], "h": [{"suffix": ".jpg"}]}) == \
        {"a": "x", "b": "p-example", "c": 2.5, "d": "other-value", "e": "value", "g": "10.0.0.1", "h": "example.jpg"}
