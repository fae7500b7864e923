"""The safe CloudFormation YAML loader and the YAML writer used by export."""

from __future__ import annotations

import pytest

from core.templates.yaml_cfn import LoadError, dump_yaml, load_text, load_with_lines


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("!Ref Queue", {"Ref": "Queue"}),
        ("!GetAtt Queue.Arn", {"Fn::GetAtt": ["Queue", "Arn"]}),
        ("!GetAtt [Queue, Arn]", {"Fn::GetAtt": ["Queue", "Arn"]}),
        ("!Sub 'arn:${AWS::Partition}:sqs:${Q}'", {"Fn::Sub": "arn:${AWS::Partition}:sqs:${Q}"}),
        ("!Sub ['${A}-x', {A: b}]", {"Fn::Sub": ["${A}-x", {"A": "b"}]}),
        ("!Join ['', [a, b]]", {"Fn::Join": ["", ["a", "b"]]}),
        ("!If [IsProd, 1, 2]", {"Fn::If": ["IsProd", 1, 2]}),
        ("!Select [0, [a, b]]", {"Fn::Select": [0, ["a", "b"]]}),
        ("!Split [',', 'a,b']", {"Fn::Split": [",", "a,b"]}),
        ("!FindInMap [M, K, V]", {"Fn::FindInMap": ["M", "K", "V"]}),
        ("!ImportValue shared-queue", {"Fn::ImportValue": "shared-queue"}),
        ("!Base64 hello", {"Fn::Base64": "hello"}),
        ("!Cidr [10.0.0.0/16, 4, 8]", {"Fn::Cidr": ["10.0.0.0/16", 4, 8]}),
        ("!GetAZs ''", {"Fn::GetAZs": ""}),
        ("!Equals [a, b]", {"Fn::Equals": ["a", "b"]}),
        ("!And [!Condition A, !Condition B]", {"Fn::And": [{"Condition": "A"}, {"Condition": "B"}]}),
        ("!Or [!Condition A, !Condition B]", {"Fn::Or": [{"Condition": "A"}, {"Condition": "B"}]}),
        ("!Not [!Condition A]", {"Fn::Not": [{"Condition": "A"}]}),
        ("!Condition IsProd", {"Condition": "IsProd"}),
    ],
)
def test_short_tags_load_as_long_form(text, expected):
    assert load_text(f"v: {text}\n") == {"v": expected}


def test_getatt_keeps_dots_inside_the_attribute():
    assert load_text("v: !GetAtt App.Outputs.QueueArn\n") == {"v": {"Fn::GetAtt": ["App", "Outputs.QueueArn"]}}


def test_nested_short_tags_load():
    data = load_text("v: !Base64 {'Fn::Sub': x}\nw: !Select [1, !Split [',', !Ref L]]\n")
    assert data == {"v": {"Fn::Base64": {"Fn::Sub": "x"}},
                    "w": {"Fn::Select": [1, {"Fn::Split": [",", {"Ref": "L"}]}]}}


def test_an_unquoted_template_version_stays_a_string():
    assert load_text("AWSTemplateFormatVersion: 2010-09-09\n") == {"AWSTemplateFormatVersion": "2010-09-09"}


def test_duplicate_keys_are_rejected_with_their_line():
    with pytest.raises(LoadError) as e:
        load_text("Resources:\n  A:\n    Type: X\n  A:\n    Type: Y\n")
    assert "duplicate key 'A'" in str(e.value)
    assert e.value.line == 4


def test_bad_yaml_names_line_and_column():
    with pytest.raises(LoadError) as e:
        load_text("Resources:\n  A:\n    Type: [unclosed\n")
    assert e.value.line is not None and "line" in str(e.value) and "column" in str(e.value)


def test_no_python_objects_are_ever_constructed():
    with pytest.raises(LoadError):
        load_text("v: !!python/object/apply:os.system ['echo hi']\n")


def test_json_loads_with_resource_lines():
    data, lines = load_with_lines('{\n "Resources": {\n  "Queue": {"Type": "AWS::SQS::Queue"}\n }\n}\n')
    assert data["Resources"]["Queue"]["Type"] == "AWS::SQS::Queue"
    assert lines == {"Queue": 3}


def test_broken_json_is_reported_as_json():
    with pytest.raises(LoadError) as e:
        load_text('{\n "Resources": {\n  "Queue": {"Type": "AWS::SQS::Queue",}\n }\n}\n')
    assert "not valid JSON" in str(e.value) and e.value.line == 3


def test_yaml_resource_lines_point_at_each_logical_id():
    _, lines = load_with_lines("Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n\n  Fn:\n    Type: X\n")
    assert lines == {"Queue": 2, "Fn": 5}


def test_dump_writes_short_tags_that_load_back_unchanged():
    data = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {
        "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]}},
        "Name": {"Fn::Sub": "${AWS::StackName}-q"},
        "Tags": [{"Key": "a", "Value": {"Ref": "AWS::Region"}}],
        "Odd": {"Fn::Join": ["", ["x", {"Ref": "Y"}]]},
        "Code": "line one\nline two\n"}}}}
    text = dump_yaml(data)
    assert "!GetAtt Dlq.Arn" in text and "!Ref AWS::Region" in text and "!Sub ${AWS::StackName}-q" in text
    assert load_text(text) == data
