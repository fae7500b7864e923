"""Tests for core.filters, built from AWS's documentation examples and event-ruler's rules.

Cases marked "AWS-validated" reproduce behaviour recorded against real AWS (LocalStack's
snapshot-tested event-pattern suite); the rest follow the EventBridge, Lambda, SNS and S3 docs.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.filters import (
    MAX_FILTERS,
    InvalidPattern,
    compile_filter_criteria,
    compile_pattern,
    compile_sns_filter_policy,
    matches,
    s3_key_matches,
)

ROOT = Path(__file__).resolve().parents[2]

# The sample event of the EventBridge and event-ruler documentation.
EC2_EVENT = {
    "version": "0",
    "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "012345679012",
    "time": "2017-10-02T16:24:49Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.33",
        "instance-id": "i-000000aaaaaa00000",
        "state": "running",
    },
}


def field(value):
    """An event with one field "f" holding ``value``."""
    return {"f": value}


def leaf_matches(rule, value) -> bool:
    """Does the leaf ``rule`` (the list on a field) match an event whose "f" is ``value``?"""
    return matches({"f": rule}, field(value))


def reason_of(pattern, source="eventbridge") -> str:
    with pytest.raises(InvalidPattern) as info:
        compile_pattern(pattern, source)
    return info.value.reason


# ============================================================================================
# EventBridge: structure


class TestEventBridgeStructure:
    def test_documented_simple_pattern_matches_sample_event(self):
        pattern = {
            "detail-type": ["EC2 Instance State-change Notification"],
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
            "detail": {"state": ["initializing", "running"]},
        }
        assert matches(pattern, EC2_EVENT)

    def test_all_listed_fields_are_anded(self):
        assert not matches({"source": ["aws.ec2"], "region": ["eu-west-1"]}, EC2_EVENT)

    def test_values_in_a_leaf_are_ored(self):
        assert matches({"region": ["eu-west-1", "us-east-1"]}, EC2_EVENT)

    def test_unlisted_event_fields_are_ignored(self):
        assert matches({"source": ["aws.ec2"]}, EC2_EVENT)

    def test_string_match_is_case_sensitive(self):
        assert not matches({"source": ["AWS.EC2"]}, EC2_EVENT)

    def test_nested_object_pattern_matches_nested_field(self):
        assert matches({"detail": {"state": ["running"]}}, EC2_EVENT)
        assert not matches({"detail": {"state": ["stopped"]}}, EC2_EVENT)

    def test_field_missing_from_event_does_not_match(self):
        assert not matches({"detail": {"colour": ["red"]}}, EC2_EVENT)

    def test_event_array_matches_when_any_element_matches(self):
        # eb-event-patterns-arrays: the pattern's first item equals the event's second item.
        pattern = {"resources": [
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
            "arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f",
        ]}
        event = {"resources": [
            "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b",
            "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f",
        ]}
        assert matches(pattern, event)
        assert not matches(pattern, {"resources": ["arn:aws:s3:::bucket"]})

    def test_nested_event_arrays_are_crushed(self):
        assert matches({"a": ["x"]}, {"a": [["w"], ["x", "y"]]})

    def test_object_pattern_reaches_into_array_of_objects(self):
        event = {"employees": [{"firstName": "John"}, {"firstName": "Anna"}]}
        assert matches({"employees": {"firstName": ["Anna"]}}, event)

    def test_fields_from_different_array_elements_are_not_combined(self):
        # event-ruler README "JSON Array Matching": Anna/Jones spans two elements.
        event = {"employees": [
            {"firstName": "John", "lastName": "Doe"},
            {"firstName": "Anna", "lastName": "Smith"},
            {"firstName": "Peter", "lastName": "Jones"},
        ]}
        assert not matches({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}, event)
        assert matches({"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}, event)

    def test_large_arrays_keep_array_consistency(self, monkeypatch):
        import core.filters as filters

        calls = []
        real = filters._search_memo
        monkeypatch.setattr(filters, "_search_memo", lambda steps: calls.append(1) or real(steps))
        event = {"items": [{"sku": f"s{i}", "qty": i, "label": f"L{i}"} for i in range(60)],
                 "tags": [{"k": f"k{i}"} for i in range(60)]}
        base = {"sku": [{"prefix": "s"}], "qty": [7]}
        tags = {"k": [{"prefix": "k"}]}
        assert matches({"items": {**base, "label": ["L7"]}, "tags": tags}, event)
        assert not matches({"items": {**base, "label": ["L8"]}, "tags": tags}, event)
        assert len(calls) == 2  # both went through the memoised search

    def test_large_arrays_retry_a_field_after_an_inconsistent_choice(self):
        # "b" fails for the first 59 choices of "a" and succeeds for the last one; a search
        # that remembered the failure without the array choice would miss it.
        event = {"items": [{"a": f"x{i}", "b": "target" if i == 59 else "other"}
                           for i in range(60)],
                 "tags": [{"k": f"k{i}"} for i in range(60)]}
        pattern = {"items": {"a": [{"prefix": "x"}], "b": ["target"]},
                   "tags": {"k": [{"prefix": "k"}]}}
        assert matches(pattern, event)

    def test_leaf_pattern_does_not_match_object_value(self):
        assert not matches({"detail": ["running"]}, EC2_EVENT)

    def test_object_pattern_does_not_match_scalar_value(self):
        assert not matches({"source": {"name": ["aws.ec2"]}}, EC2_EVENT)

    def test_dotted_pattern_key_matches_nested_path(self):
        # AWS-validated (dot_joining_pattern): names are joined with "." before matching.
        assert matches({"detail.state": ["running"]}, EC2_EVENT)

    def test_dotted_event_key_matches_nested_pattern(self):
        # AWS-validated (dot_joining_event).
        assert matches({"detail": {"state": ["running"]}}, {"detail.state": "running"})

    def test_pattern_given_as_json_text(self):
        assert matches('{"detail": {"state": ["running"]}}', EC2_EVENT)

    def test_event_given_as_json_text(self):
        assert matches({"source": ["aws.ec2"]}, json.dumps(EC2_EVENT))

    def test_non_object_event_never_matches(self):
        assert not matches({"a": [{"exists": False}]}, ["not", "an", "object"])


# ============================================================================================
# EventBridge: exact values, null, empty


class TestExactValues:
    @pytest.mark.parametrize(("rule", "value", "expected"), [
        (["running"], "running", True),
        ([""], "", True),
        ([""], " ", False),
        ([300], 300, True),
        ([300], 300.0, True),
        ([300], "300", False),
        (["300"], 300, False),
        ([True], True, True),
        ([True], 1, False),
        ([1], True, False),
        ([False], False, True),
        ([None], None, True),
        ([None], "null", False),
        (["null"], None, False),
    ], ids=[
        "string", "empty-string", "empty-string-vs-space", "int", "int-vs-float",
        "number-vs-numeric-string", "string-vs-number", "true", "true-is-not-1", "1-is-not-true",
        "false", "null", "null-vs-string-null", "string-null-vs-null",
    ])
    def test_exact_value(self, rule, value, expected):
        assert leaf_matches(rule, value) is expected

    def test_eventbridge_compares_numbers_numerically(self):
        # 300 == 300.0 == 3.0e2 in EventBridge (event-ruler adds a numeric-equals matcher).
        assert matches('{"f": [3.0e2]}', field(300))
        assert matches('{"f": [300]}', '{"f": 3.0e2}')

    def test_number_outside_numeric_range_still_matches_its_own_text(self):
        # An AWS account number is beyond event-ruler's numeric range: literal match only.
        assert leaf_matches([123456789012345], 123456789012345)

    def test_null_pattern_does_not_match_missing_field(self):
        assert not matches({"f": [None]}, {"g": 1})

    def test_null_pattern_does_not_match_empty_array(self):
        # AWS-validated (arrays_empty_null_NEG).
        assert not matches({"resources": [None]}, {"resources": []})

    def test_exact_ip_rule_matches_other_spelling_of_same_address(self):
        # event-ruler turns IP-literal rule values into address ranges.
        assert leaf_matches(["2001:db8::1"], "2001:0db8:0:0:0:0:0:1")
        assert not leaf_matches(["2001:db8::1"], "2001:db8::2")


# ============================================================================================
# EventBridge: operators


class TestPrefixSuffixIgnoreCase:
    @pytest.mark.parametrize(("rule", "value", "expected"), [
        ([{"prefix": "2017-10-02"}], "2017-10-02T18:43:48Z", True),
        ([{"prefix": "2017-10-02"}], "2017-10-03T18:43:48Z", False),
        ([{"prefix": "12"}], 123, False),
        ([{"prefix": ""}], "anything", True),
        ([{"prefix": {"equals-ignore-case": "EventB"}}], "eventbridge", True),
        ([{"prefix": {"equals-ignore-case": "EventB"}}], "EVENTBRIDGE", True),
        ([{"prefix": {"equals-ignore-case": "EventB"}}], "sns", False),
        ([{"suffix": ".png"}], "image.png", True),
        ([{"suffix": ".png"}], "image.PNG", False),
        ([{"suffix": {"equals-ignore-case": ".png"}}], "image.PNG", True),
        ([{"suffix": {"equals-ignore-case": ".png"}}], "image.jpg", False),
        ([{"equals-ignore-case": "alice"}], "ALICE", True),
        ([{"equals-ignore-case": "alice"}], "alicia", False),
        ([{"equals-ignore-case": "5"}], 5, False),
        ([{"exactly": "x"}], "x", True),
    ], ids=[
        "prefix", "prefix-no-match", "prefix-ignores-numbers", "empty-prefix", "prefix-ic-lower",
        "prefix-ic-upper", "prefix-ic-no-match", "suffix", "suffix-is-case-sensitive",
        "suffix-ic", "suffix-ic-no-match", "equals-ignore-case", "equals-ignore-case-no-match",
        "equals-ignore-case-strings-only", "exactly",
    ])
    def test_string_operator(self, rule, value, expected):
        assert leaf_matches(rule, value) is expected


class TestAnythingBut:
    @pytest.mark.parametrize(("rule", "value", "expected"), [
        ([{"anything-but": "initializing"}], "running", True),
        ([{"anything-but": "initializing"}], "initializing", False),
        ([{"anything-but": ["stopped", "overloaded"]}], "running", True),
        ([{"anything-but": ["stopped", "overloaded"]}], "stopped", False),
        ([{"anything-but": 123}], 124, True),
        ([{"anything-but": 123}], 123, False),
        ([{"anything-but": 123}], 123.0, False),
        ([{"anything-but": [100, 200, 300]}], 301.8, True),
        ([{"anything-but": [100, 200, 300]}], 200, False),
        ([{"anything-but": 0}], 789, True),
        ([{"anything-but": 123}], "123", True),
        ([{"anything-but": "123"}], 123, True),
        ([{"anything-but": "initializing"}], None, True),
        ([{"anything-but": {"prefix": "init"}}], "running", True),
        ([{"anything-but": {"prefix": "init"}}], "initializing", False),
        ([{"anything-but": {"prefix": "init"}}], 12, True),
        ([{"anything-but": {"prefix": ["us-", "eu-"]}}], "eu-west-1", False),
        ([{"anything-but": {"prefix": ["us-", "eu-"]}}], "ap-south-1", True),
        ([{"anything-but": {"suffix": ".png"}}], "a.jpg", True),
        ([{"anything-but": {"suffix": ".png"}}], "a.png", False),
        ([{"anything-but": {"equals-ignore-case": "initializing"}}], "INITIALIZING", False),
        ([{"anything-but": {"equals-ignore-case": ["a", "b"]}}], "B", False),
        ([{"anything-but": {"equals-ignore-case": ["a", "b"]}}], "c", True),
        ([{"anything-but": {"wildcard": "*/lib/*"}}], "/usr/lib/x", False),
        ([{"anything-but": {"wildcard": "*/lib/*"}}], "/usr/bin/x", True),
        ([{"anything-but": {"wildcard": ["*/lib/*", "*/bin/*"]}}], "/usr/bin/x", False),
        ([{"anything-but": {"wildcard": "*/lib/*"}}], 5, True),
    ], ids=[
        "string", "string-excluded", "list", "list-excluded", "number", "number-excluded",
        "number-excluded-numerically", "number-list", "number-list-excluded", "zero",
        "numeric-rule-passes-strings", "string-rule-passes-numbers", "passes-null",
        "prefix", "prefix-excluded", "prefix-passes-numbers", "prefix-list-excluded",
        "prefix-list", "suffix", "suffix-excluded", "ignore-case-excluded",
        "ignore-case-list-excluded", "ignore-case-list", "wildcard-excluded", "wildcard",
        "wildcard-list-excluded", "wildcard-passes-numbers",
    ])
    def test_anything_but(self, rule, value, expected):
        assert leaf_matches(rule, value) is expected

    def test_anything_but_does_not_match_missing_field(self):
        # AWS-validated (content_anything_but_string_missing_NEG).
        assert not matches({"detail": {"state": [{"anything-but": "initializing"}]}},
                           {"detail": {}})

    def test_anything_but_on_event_array_matches_if_any_element_passes(self):
        assert leaf_matches([{"anything-but": "stopped"}], ["stopped", "pending"])
        assert not leaf_matches([{"anything-but": "stopped"}], ["stopped"])


class TestNumeric:
    @pytest.mark.parametrize(("rule", "value", "expected"), [
        ([">", 0, "<=", 5], 5, True),
        ([">", 0, "<=", 5], 0, False),
        ([">", 0, "<=", 5], 5.000001, False),
        ([">=", 0, "<", 5], 0, True),
        ([">=", 0, "<", 5], 5, False),
        (["<", 10], 3, True),
        (["<", 10], 10, False),
        (["<=", 10], 10, True),
        ([">", 10], 10.5, True),
        ([">=", 10], 9.99, False),
        (["=", 3.018e2], 301.8, True),
        (["=", 100], 100.0, True),
        (["=", 100], 101, False),
        ([">", -5], -4, True),
        ([">", 0], "5", False),
        ([">", 0], True, False),
        ([">", 0], None, False),
        ([">", 0], 6e9, False),
    ], ids=[
        "range-top-inclusive", "range-bottom-exclusive", "range-above-top",
        "range-bottom-inclusive", "range-top-exclusive", "lt", "lt-boundary", "le-boundary",
        "gt-float", "ge-below", "eq-exponent", "eq-int-float", "eq-no-match", "negative",
        "string-number-is-not-a-number", "bool-is-not-a-number", "null-is-not-a-number",
        "beyond-five-billion-is-not-comparable",
    ])
    def test_numeric(self, rule, value, expected):
        assert leaf_matches([{"numeric": rule}], value) is expected

    def test_documented_numeric_pattern_matches_sample_event(self):
        pattern = {"detail": {
            "c-count": [{"numeric": [">", 0, "<=", 5]}],
            "d-count": [{"numeric": ["<", 10]}],
            "x-limit": [{"numeric": ["=", 3.018e2]}],
        }}
        assert matches(pattern, EC2_EVENT)

    def test_numeric_ors_with_other_values_in_the_leaf(self):
        assert leaf_matches([{"numeric": [">", 100]}, "n/a"], "n/a")


class TestExists:
    @pytest.mark.parametrize(("flag", "event", "expected"), [
        (True, {"f": "x"}, True),
        (True, {"f": None}, True),
        (True, {"g": "x"}, False),
        (True, {"f": {"nested": 1}}, False),
        (True, {"f": []}, False),
        (True, {"f": [1]}, True),
        (False, {"g": "x"}, True),
        (False, {"f": "x"}, False),
        (False, {"f": None}, False),
        (False, {"f": {"nested": 1}}, True),
        (False, {"f": []}, True),
        (False, {}, True),
    ], ids=[
        "true-present", "true-null-is-present", "true-missing", "true-object-is-not-a-leaf",
        "true-empty-array-is-absent", "true-array", "false-missing", "false-present",
        "false-null-is-present", "false-object-is-not-a-leaf", "false-empty-array",
        "false-empty-event",
    ])
    def test_exists(self, flag, event, expected):
        assert matches({"f": [{"exists": flag}]}, event) is expected

    def test_exists_false_fails_if_any_array_element_has_the_field(self):
        event = {"a": [{"b": 1}, {"c": 2}]}
        assert not matches({"a": {"b": [{"exists": False}]}}, event)
        assert matches({"a": {"d": [{"exists": False}]}}, event)

    def test_exists_false_looks_only_at_the_element_that_matched(self):
        # Array-consistent: the element holding b=1 has no c, even though another has one.
        event = {"a": [{"b": 1}, {"c": 2}]}
        assert matches({"a": {"b": [1], "c": [{"exists": False}]}}, event)
        assert not matches({"a": {"c": [2], "d": [{"exists": True}]}}, event)

    def test_exists_false_matches_when_parent_is_missing(self):
        assert matches({"detail": {"c-count": [{"exists": False}]}}, {"source": "x"})

    def test_documented_exists_false_example(self):
        # eb-event-patterns-content-based-filtering: c-count is an object, not a leaf.
        event = {"detail": {"state": "running", "c-count": {"c1": 100}}}
        assert matches({"detail": {"c-count": [{"exists": False}]}}, event)

    def test_exists_false_or_value_in_same_leaf(self):
        # AWS-validated (or-exists-parent).
        pattern = {"dynamodb": {"NewImage": {"homemade": {"S": [
            {"anything-but": ["roses"]}, {"exists": False}]}}}}
        assert matches(pattern, {"dynamodb": {"NewImage": {"purchased": {"N": "789"}}}})
        assert not matches(pattern,
                           {"dynamodb": {"NewImage": {"homemade": {"S": "roses"}}}})


class TestWildcard:
    @pytest.mark.parametrize(("wildcard", "value", "expected"), [
        ("Simple*Service", "SimpleQueueService", True),
        ("Simple*Service", "SimpleService", True),
        ("Simple*Service", "SimpleQueueServices", False),
        ("arn:aws:events:us-east-1:*:event-bus/*",
         "arn:aws:events:us-east-1:123456789012:event-bus/myEventBus", True),
        ("arn:aws:events:us-east-1:*:event-bus/*",
         "arn:aws:events:us-west-2:123456789012:event-bus/myEventBus", False),
        ("*.png", "dir/a.png", True),
        ("dir/*", "dir/a\nb", True),
        ("a\\*b", "a*b", True),
        ("a\\*b", "axb", False),
        ("a\\\\b", "a\\b", True),
        ("\\**", "*anything", True),
        ("\\**", "anything", False),
        ("/Users/*/dir/dir/dir/dir/dir/doc.txt", "/Users/ls/dir/dir/dir/dir/dir/doc.txt", True),
    ], ids=[
        "middle", "empty-run", "anchored-at-end", "arn", "arn-other-region", "leading",
        "spans-newlines", "escaped-star-is-literal", "escaped-star-is-not-wildcard",
        "escaped-backslash", "escaped-star-then-wildcard", "escaped-star-required",
        "repeating-sequence-is-accepted",
    ])
    def test_wildcard(self, wildcard, value, expected):
        assert leaf_matches([{"wildcard": wildcard}], value) is expected

    def test_wildcard_matches_strings_only(self):
        assert not leaf_matches([{"wildcard": "*"}], 5)


class TestCidr:
    @pytest.mark.parametrize(("cidr", "value", "expected"), [
        ("10.0.0.0/24", "10.0.0.33", True),
        ("10.0.0.0/24", "10.0.0.255", True),
        ("10.0.0.0/24", "10.0.1.0", False),
        ("10.0.0.0/8", "10.255.1.2", True),
        ("10.0.0.7/24", "10.0.0.1", True),
        ("0.0.0.0/0", "192.168.1.1", True),
        ("2001:db8:1234:1a00::/64", "2001:db8:1234:1a00:9691:9503:25ad:1761", True),
        ("2001:db8:1234:1a00::/64", "2001:db8:1234:1a01::1", False),
        ("2001:db8::/32", "10.0.0.1", False),
        ("::/64", "10.0.0.1", False),
        ("::/64", "::a00:1", True),
        ("10.0.0.0/24", "not-an-ip", False),
        ("10.0.0.0/24", 123, False),
    ], ids=[
        "v4", "v4-last", "v4-outside", "v4-slash-8", "host-bits-ignored", "v4-everything",
        "v6", "v6-outside", "v4-address-vs-v6-block", "v4-address-vs-low-v6-block",
        "v6-low-address", "non-ip-string", "number",
    ])
    def test_cidr(self, cidr, value, expected):
        assert leaf_matches([{"cidr": cidr}], value) is expected

    def test_documented_cidr_pattern_matches_sample_event(self):
        assert matches({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, EC2_EVENT)


class TestOr:
    CLOUDWATCH = {"source": "aws.cloudwatch", "metricName": "CPUUtilization"}

    def test_normal_or(self):
        pattern = {"source": ["aws.cloudwatch"], "$or": [
            {"metricName": ["CPUUtilization", "ReadLatency"]},
            {"namespace": ["AWS/EC2", "AWS/ES"]},
        ]}
        assert matches(pattern, self.CLOUDWATCH)
        assert matches(pattern, {"source": "aws.cloudwatch", "namespace": "AWS/ES"})
        assert not matches(pattern, {"source": "aws.cloudwatch", "namespace": "AWS/S3"})
        assert not matches(pattern, {"source": "aws.ec2", "metricName": "CPUUtilization"})

    def test_or_branch_with_and_inside(self):
        pattern = {"source": ["aws.cloudwatch"], "$or": [
            {"metricName": ["CPUUtilization"]},
            {"metricType": ["MetricType"], "namespace": ["AWS/EC2"]},
        ]}
        assert matches(pattern, {"source": "aws.cloudwatch", "metricType": "MetricType",
                                 "namespace": "AWS/EC2"})
        assert not matches(pattern, {"source": "aws.cloudwatch", "metricType": "MetricType"})

    def test_parallel_or_at_nested_level(self):
        pattern = {
            "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
            "detail": {"$or": [{"source": ["aws.cloudwatch"]},
                               {"detail-type": ["CloudWatch Alarm State Change"]}]},
        }
        assert matches(pattern, {"namespace": "AWS/EC2",
                                 "detail": {"detail-type": "CloudWatch Alarm State Change"}})
        assert not matches(pattern, {"namespace": "AWS/EC2", "detail": {"source": "other"}})

    def test_nested_or_inside_or(self):
        pattern = {"source": ["aws.cloudwatch"], "$or": [
            {"metricName": ["CPUUtilization"]},
            {"namespace": ["AWS/EC2"], "$or": [{"metricId": [1234]}, {"spaceId": [1000]}]},
        ]}
        assert matches(pattern, {"source": "aws.cloudwatch", "namespace": "AWS/EC2",
                                 "spaceId": 1000})
        assert not matches(pattern, {"source": "aws.cloudwatch", "namespace": "AWS/EC2",
                                     "spaceId": 1})

    def test_or_with_exists(self):
        pattern = {"$or": [{"a": [{"exists": False}]}, {"b": ["x"]}]}
        assert matches(pattern, {"c": 1})
        assert matches(pattern, {"a": 1, "b": "x"})
        assert not matches(pattern, {"a": 1, "b": "y"})


# ============================================================================================
# Rejections


REJECTIONS = [
    # structure
    ({"source": "aws.ec2"}, '"source" must be an object or an array'),
    ({"int": 42}, '"int" must be an object or an array'),
    ({"source": None}, '"source" must be an object or an array'),
    ({"resources": []}, "Empty arrays are not allowed"),
    ({}, "Empty objects are not allowed"),
    ({"detail": {}}, "Empty objects are not allowed"),
    ({"a": [["nested"]]}, "Match value must be String, number, true, false, or null"),
    ({"a": [{}]}, "Match expression name not found"),
    ({"a": [{"Prefix": "x"}]}, "Unrecognized match type Prefix"),
    ({"my_key": [{"EXISTS": True}]}, "Unrecognized match type EXISTS"),
    ({"a": [{"NUMERIC": ["=", 5]}]}, "Unrecognized match type NUMERIC"),
    ({"a": [{"regex": "a.*"}]}, "Unrecognized match type regex"),
    ({"a": [{"prefix": "a", "suffix": "b"}]}, "Only one key allowed in match expression"),
    (["not", "a", "dict"], "Filter is not an object"),
    ("[1, 2]", "Filter is not an object"),
    ("{'bad': 'quotation'}", "Filter is not valid JSON"),
    ('{"not": closed mark"', "Filter is not valid JSON"),
    ('{"a": [NaN]}', "Filter is not valid JSON"),
    # string operators
    ({"time": [{"prefix": 123}]}, "prefix match pattern must be a string"),
    ({"time": [{"prefix": ["2022-07-13"]}]}, "prefix match pattern must be a string"),
    ({"a": [{"prefix": {"foo": "x"}}]}, "Unsupported prefix pattern: foo"),
    ({"a": [{"prefix": {}}]}, "Prefix expression name not found"),
    ({"a": [{"prefix": {"equals-ignore-case": 5}}]},
     "equals-ignore-case match pattern must be a string"),
    ({"FileName": [{"suffix": 123}]}, "suffix match pattern must be a string"),
    ({"FileName": [{"suffix": [".png"]}]}, "suffix match pattern must be a string"),
    ({"a": [{"suffix": {"foo": "x"}}]}, "Unsupported suffix pattern: foo"),
    ({"d": [{"equals-ignore-case": ["ec2"]}]}, "equals-ignore-case match pattern must be a string"),
    ({"d": [{"equals-ignore-case": {"prefix": "ec2"}}]},
     "equals-ignore-case match pattern must be a string"),
    ({"a": [{"exactly": 5}]}, "exact match pattern must be a string"),
    # anything-but
    ({"a": [{"anything-but": True}]},
     "Value of anything-but must be an array or single string/number value."),
    ({"a": [{"anything-but": None}]},
     "Value of anything-but must be an array or single string/number value."),
    ({"a": [{"anything-but": ["stopped", None]}]},
     "Inside anything but list, start|null|boolean is not supported."),
    ({"a": [{"anything-but": ["a", 1]}]}, "mixed type is not supported"),
    ({"a": [{"anything-but": []}]}, "mixed type is not supported"),
    ({"a": [{"anything-but": {}}]}, "Anything-But expression name not found"),
    ({"a": [{"anything-but": {"numeric": [">", 1]}}]}, "Unsupported anything-but pattern: numeric"),
    ({"a": [{"anything-but": {"prefix": ""}}]}, "Null prefix/suffix not allowed"),
    ({"a": [{"anything-but": {"suffix": ["", ".txt"]}}]}, "Null prefix/suffix not allowed"),
    ({"a": [{"anything-but": {"prefix": 123}}]}, "prefix/suffix match pattern must be a string"),
    ({"a": [{"anything-but": {"suffix": [123, ".txt"]}}]},
     "prefix/suffix match pattern must be a string"),
    ({"a": [{"anything-but": {"prefix": {"equals-ignore-case": "file"}}}]},
     "Value of anything-but must be an array or single string/number value."),
    ({"a": [{"anything-but": {"equals-ignore-case": 123}}]},
     "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."),
    ({"a": [{"anything-but": {"equals-ignore-case": [123, 456]}}]},
     "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."),
    ({"a": [{"anything-but": {"wildcard": 123}}]}, "wildcard match pattern must be a string"),
    ({"a": [{"anything-but": {"wildcard": [123, "*/dir/*"]}}]},
     "wildcard match pattern must be a string"),
    ({"a": [{"anything-but": 6e9}]}, "Value must be between -5.0E9 and 5.0E9, inclusive"),
    # numeric
    ({"a": [{"numeric": 5}]}, "Value of numeric must be an array."),
    ({"a": [{"numeric": []}]}, "Invalid member in numeric match: ]"),
    ({"a": [{"numeric": [5]}]}, "Invalid member in numeric match: 5"),
    ({"a": [{"numeric": ["!=", 5]}]}, "Unrecognized numeric range operator: !="),
    ({"a": [{"numeric": ["=", "5"]}]}, "Value of equals must be numeric"),
    ({"a": [{"numeric": [">", "5"]}]}, "Value of > must be numeric"),
    ({"a": [{"numeric": [">", 0, ">", 0]}]}, "Bad numeric range operator: >"),
    ({"a": [{"numeric": [">", 0, 5]}]}, "Bad value in numeric range: 5"),
    ({"a": [{"numeric": [">", 0, "<"]}]}, "Value of < must be numeric"),
    ({"a": [{"numeric": ["<", 5, ">", 1]}]}, "Too many elements in numeric expression"),
    ({"a": [{"numeric": ["=", 5, "<", 9]}]}, "Too many elements in numeric expression"),
    ({"a": [{"numeric": [">", 0, "<", 10, "<", 20]}]},
     "Too many terms in numeric range expression"),
    ({"a": [{"numeric": [">", 10, "<", 5]}]}, "Bottom must be less than top"),
    ({"a": [{"numeric": [">=", 5, "<=", 5]}]}, "Bottom must be less than top"),
    ({"a": [{"numeric": [">", 6e9]}]}, "Value must be between -5.0E9 and 5.0E9, inclusive"),
    ({"a": [{"numeric": [">", 0.0000001]}]}, "Only values upto 6 decimals are supported"),
    # exists
    ({"a": [{"exists": "true"}]}, "exists match pattern must be either true or false."),
    ({"a": [{"exists": 1}]}, "exists match pattern must be either true or false."),
    # cidr
    ({"ip": [{"cidr": ["bad-type"]}]}, "prefix match pattern must be a string"),
    ({"ip": [{"cidr": "10.0.0.0"}]}, "Malformed CIDR, one '/' required"),
    ({"ip": [{"cidr": "10.0.0.0/8/8"}]}, "Malformed CIDR, one '/' required"),
    ({"ip": [{"cidr": "10.0.0.0/abc"}]}, "Malformed CIDR, mask bits must be an integer"),
    ({"ip": [{"cidr": "10.0.0.0/1_0"}]}, "Malformed CIDR, mask bits must be an integer"),
    ({"ip": [{"cidr": "10.0.0.0/-1"}]}, "Malformed CIDR, mask bits must not be negative"),
    ({"ip": [{"cidr": "xx.11.xx/24"}]}, "Nonstandard IP address: xx.11.xx"),
    ({"ip": [{"cidr": "xxxx:db8:1234:1a00::/64"}]}, "Nonstandard IP address: xxxx:db8:1234:1a00::"),
    ({"ip": [{"cidr": "300.0.0.1/8"}]}, "Invalid IP address: 300.0.0.1"),
    ({"ip": [{"cidr": "10.0.0.1/32"}]}, "IPv4 mask bits must be < 32"),
    ({"ip": [{"cidr": "2001:db8::1/128"}]}, "IPv6 mask bits must be < 128"),
    # wildcard
    ({"b": [{"wildcard": 123}]}, "wildcard match pattern must be a string"),
    ({"b": [{"wildcard": ["a*"]}]}, "wildcard match pattern must be a string"),
    ({"b": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]},
     "Consecutive wildcard characters at pos 26"),
    ({"b": [{"wildcard": "a\\b"}]}, "Invalid escape character at pos 2"),
    ({"b": [{"wildcard": "ab\\"}]}, "Invalid escape character at pos 3"),
    ({"b": [{"wildcard": "*:*:*:*:*:event-bus/*"}]}, "Rule is too complex"),
    ({"b": [{"anything-but": {"wildcard": "x**"}}]}, "Consecutive wildcard characters at pos 2"),
    # $or
    ({"$or": {"a": ["x"]}}, "It must be an Array followed with $or."),
    ({"$or": [{"a": ["x"]}]}, "There must have at least 2 Objects in $or relationship."),
    ({"$or": []}, "There must have at least 2 Objects in $or relationship."),
    ({"$or": ["x", {"a": ["y"]}]}, "Only JSON object is allowed in array of $or relationship."),
    ({"$or": [{"a": ["x"]}, {}]}, "Empty objects are not allowed"),
    ({"$or": [{"numeric": [1]}, {"prefix": ["abc"]}]},
     "numeric is Ruler reserved fieldName which cannot be used inside $or."),
]


@pytest.mark.parametrize(("pattern", "reason"), REJECTIONS,
                         ids=[f"{i:02d}-{r[:40]}" for i, (_, r) in enumerate(REJECTIONS)])
def test_invalid_pattern_is_rejected_with_aws_reason(pattern, reason):
    assert reason in reason_of(pattern)


def test_rejection_names_the_field_path():
    with pytest.raises(InvalidPattern) as info:
        compile_pattern({"detail": {"state": [{"prefix": 1}]}})
    assert info.value.path == "detail.state"
    assert '"detail.state"' in str(info.value)
    assert str(info.value).startswith("Event pattern is not valid. Reason: ")


def test_rejection_inside_or_names_the_branch_path():
    with pytest.raises(InvalidPattern) as info:
        compile_pattern({"detail": {"$or": [{"a": ["x"]}, {"b": [{"exists": 0}]}]}})
    assert info.value.path == "detail.b"


def test_invalid_pattern_is_a_value_error():
    with pytest.raises(ValueError):
        matches({"source": "aws.ec2"}, EC2_EVENT)


def test_matches_raises_for_invalid_pattern_even_if_event_is_irrelevant():
    with pytest.raises(InvalidPattern):
        matches({"a": [{"numeric": [">", 10, "<", 5]}]}, {})


@pytest.mark.parametrize("source", ["s3", "lambda", "EventBridge", ""])
def test_unknown_source_raises_value_error(source):
    with pytest.raises(ValueError, match="unknown source") as info:
        matches({"a": ["x"]}, {"a": "x"}, source=source)
    assert not isinstance(info.value, InvalidPattern)
    with pytest.raises(ValueError, match="unknown source"):
        compile_pattern({"a": ["x"]}, source)


# ============================================================================================
# Lambda ESM sources


def sqs_record(body: str, **extra) -> dict:
    record = {
        "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SenderId": "AIDAIENQZJOLO23YVJ4VO"},
        "messageAttributes": {},
        "eventSource": "aws:sqs",
        "awsRegion": "us-west-2",
    }
    record.update(extra)
    return record


JSON_BODY = sqs_record('{\n "RecordNumber": 1234,\n "TimeStamp": "yyyy-mm-ddThh:mm:ss",\n'
                       ' "RequestCode": "BBBB"\n}')
PLAIN_BODY = sqs_record("hello world")


class TestSqs:
    def test_documented_body_filter_matches_json_body(self):
        assert matches({"body": {"RequestCode": ["BBBB"]}}, JSON_BODY, "sqs")
        assert not matches({"body": {"RequestCode": ["AAAA"]}}, JSON_BODY, "sqs")

    def test_numeric_filter_on_json_body(self):
        assert matches({"body": {"RecordNumber": [{"numeric": [">", 1000]}]}}, JSON_BODY, "sqs")

    def test_plain_body_matches_leaf_pattern_on_raw_string(self):
        assert matches({"body": [{"prefix": "hello"}]}, PLAIN_BODY, "sqs")
        assert matches({"body": ["hello world"]}, PLAIN_BODY, "sqs")
        assert not matches({"body": [{"prefix": "bye"}]}, PLAIN_BODY, "sqs")

    def test_plain_body_with_object_pattern_is_dropped(self):
        assert not matches({"body": {"RequestCode": [{"exists": False}]}}, PLAIN_BODY, "sqs")

    def test_json_body_with_leaf_pattern_is_dropped(self):
        # Lambda's table: valid JSON body + plain-string body pattern -> message dropped,
        # even though the raw text starts with "{".
        assert not matches({"body": [{"prefix": "{"}]}, JSON_BODY, "sqs")

    def test_metadata_filter_ignores_body_format(self):
        pattern = {"attributes": {"ApproximateReceiveCount": ["1"]}}
        assert matches(pattern, JSON_BODY, "sqs")
        assert matches(pattern, PLAIN_BODY, "sqs")

    def test_metadata_and_body_are_anded(self):
        pattern = {"eventSource": ["aws:sqs"], "body": {"RequestCode": ["BBBB"]}}
        assert matches(pattern, JSON_BODY, "sqs")
        assert not matches({"eventSource": ["aws:sns"], "body": {"RequestCode": ["BBBB"]}},
                           JSON_BODY, "sqs")

    def test_lambda_compares_exact_numbers_by_their_text(self):
        # Lambda docs: "300, 300.0, and 3.0e2 are not considered equal".
        record = sqs_record('{"price": 300}')
        assert matches('{"body": {"price": [300]}}', record, "sqs")
        assert not matches('{"body": {"price": [300.0]}}', record, "sqs")
        assert not matches('{"body": {"price": [3.0e2]}}', record, "sqs")
        assert matches('{"body": {"price": [{"numeric": ["=", 3.0e2]}]}}', record, "sqs")

    def test_lambda_string_is_not_a_number(self):
        record = sqs_record('{"price": "300"}')
        assert not matches({"body": {"price": [300]}}, record, "sqs")
        assert not matches({"body": {"price": [{"numeric": [">", 1]}]}}, record, "sqs")

    def test_or_branches_may_expect_different_body_formats(self):
        pattern = {"$or": [{"body": {"RequestCode": ["BBBB"]}}, {"body": ["hello world"]}]}
        assert matches(pattern, JSON_BODY, "sqs")
        assert matches(pattern, PLAIN_BODY, "sqs")


def kinesis_record(data: bytes | str, nested: bool = True) -> dict:
    payload = base64.b64encode(data.encode() if isinstance(data, str) else data).decode()
    inner = {"kinesisSchemaVersion": "1.0", "partitionKey": "1",
             "sequenceNumber": "49590338271490256608559692538361571095921575989136588898",
             "data": payload, "approximateArrivalTimestamp": 1545084650.987}
    if not nested:
        return inner
    return {"kinesis": inner, "eventSource": "aws:kinesis", "eventName": "aws:kinesis:record"}


KINESIS_JSON = '{"City": "Seattle", "State": "WA", "Temperature": 46, "Month": "December"}'


class TestKinesis:
    @pytest.mark.parametrize("nested", [True, False], ids=["lambda-event-shape", "flat-shape"])
    def test_base64_json_data_is_decoded_and_matched(self, nested):
        record = kinesis_record(KINESIS_JSON, nested)
        assert matches({"data": {"City": ["Seattle"]}}, record, "kinesis")
        assert not matches({"data": {"City": ["Boston"]}}, record, "kinesis")

    def test_documented_metadata_and_data_filter(self):
        pattern = {"partitionKey": ["1"], "data": {"Temperature": [{"numeric": [">", 40]}]}}
        assert matches(pattern, kinesis_record(KINESIS_JSON), "kinesis")
        assert not matches({"partitionKey": ["2"], "data": {"City": ["Seattle"]}},
                           kinesis_record(KINESIS_JSON), "kinesis")

    def test_non_json_data_with_data_pattern_is_dropped(self):
        assert not matches({"data": {"City": [{"exists": False}]}},
                           kinesis_record("plain text"), "kinesis")

    def test_non_json_data_still_filters_on_metadata(self):
        assert matches({"partitionKey": ["1"]}, kinesis_record("plain text"), "kinesis")

    def test_invalid_base64_data_is_treated_as_non_json(self):
        record = {"partitionKey": "1", "data": "not base64!!"}
        assert not matches({"data": {"City": ["Seattle"]}}, record, "kinesis")
        assert matches({"partitionKey": ["1"]}, record, "kinesis")

    def test_leaf_pattern_on_data_is_rejected(self):
        assert "must be a JSON object" in reason_of({"data": ["x"]}, "kinesis")
        assert "must be a JSON object" in reason_of({"data": [{"prefix": "x"}]}, "kinesis")


def ddb_record(event_name="INSERT", new_image=None, keys=None) -> dict:
    return {
        "eventID": "1", "eventName": event_name, "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "ApproximateCreationDateTime": "1678831218.0",
            "Keys": keys or {"CustomerName": {"S": "AnyCompany Industries"}},
            "NewImage": new_image or {
                "AccountManager": {"S": "Pat Candella"},
                "PaymentTerms": {"S": "60 days"},
                "CustomerName": {"S": "AnyCompany Industries"},
            },
            "SequenceNumber": "111", "SizeBytes": 26, "StreamViewType": "NEW_IMAGE",
        },
    }


class TestDynamoDB:
    def test_documented_key_filter(self):
        pattern = {"dynamodb": {"Keys": {"CustomerName": {"S": ["AnyCompany Industries"]}}}}
        assert matches(pattern, ddb_record(), "dynamodb")
        assert not matches(pattern, ddb_record(keys={"CustomerName": {"S": "Other"}}),
                           "dynamodb")

    def test_typed_attribute_and_event_name(self):
        pattern = {"eventName": ["INSERT"],
                   "dynamodb": {"NewImage": {"PaymentTerms": {"S": [{"prefix": "60"}]}}}}
        assert matches(pattern, ddb_record(), "dynamodb")
        assert not matches(pattern, ddb_record("MODIFY"), "dynamodb")

    def test_number_attribute_matches_its_string_form(self):
        # Lambda docs multi-level example: {"N": ["101"]}.
        record = ddb_record(keys={"Id": {"N": "101"}})
        assert matches({"dynamodb": {"Keys": {"Id": {"N": ["101"]}}}}, record, "dynamodb")
        assert not matches({"dynamodb": {"Keys": {"Id": {"N": [101]}}}}, record, "dynamodb")

    def test_numeric_operator_does_not_match_number_attribute_strings(self):
        # AWS-validated: DynamoDB "N" values are JSON strings, and numeric needs JSON numbers.
        record = ddb_record(new_image={"numericFilter": {"N": "123"}})
        assert not matches({"dynamodb": {"NewImage": {"numericFilter": {"N": [
            {"numeric": [">", 100]}]}}}}, record, "dynamodb")

    def test_anything_but_string_matches_number_attribute(self):
        # AWS-validated (or-numeric-anything-but).
        record = ddb_record(new_image={"numericFilter": {"N": "42"}})
        pattern = {"dynamodb": {"NewImage": {"numericFilter": {"N": [
            {"numeric": [">", 100]}, {"anything-but": "101"}]}}}}
        assert matches(pattern, record, "dynamodb")

    def test_boolean_attribute(self):
        record = ddb_record(new_image={"active": {"BOOL": True}})
        assert matches({"dynamodb": {"NewImage": {"active": {"BOOL": [True]}}}}, record,
                       "dynamodb")

    def test_exists_false_on_missing_attribute(self):
        pattern = {"dynamodb": {"NewImage": {"Discount": {"N": [{"exists": False}]}}}}
        assert matches(pattern, ddb_record(), "dynamodb")

    def test_leaf_pattern_on_dynamodb_key_is_rejected(self):
        assert "must be a JSON object" in reason_of({"dynamodb": [{"exists": True}]}, "dynamodb")

    def test_lambda_rejections_use_lambda_wording(self):
        with pytest.raises(InvalidPattern, match="^Invalid filter pattern definition"):
            compile_pattern({"eventName": "INSERT"}, "dynamodb")


# ============================================================================================
# SNS


def attr(kind: str, value: str) -> dict:
    return {"Type": kind, "Value": value}


SNS_ATTRIBUTES = {
    "store": attr("String", "example_corp"),
    "event": attr("String", "order_placed"),
    "customer_interests": attr("String.Array", '["soccer", "rugby", "hockey"]'),
    "price_usd": attr("Number", "210.75"),
}
SNS_POLICY = {
    "store": ["example_corp"],
    "event": [{"anything-but": "order_cancelled"}],
    "customer_interests": ["rugby", "football", "baseball"],
    "price_usd": [{"numeric": [">=", 100]}],
}


class TestSns:
    def test_documented_attribute_policy_matches(self):
        assert compile_sns_filter_policy(SNS_POLICY)(SNS_ATTRIBUTES)
        assert matches(SNS_POLICY, SNS_ATTRIBUTES, "sns")

    def test_number_attribute_is_compared_numerically(self):
        cheap = {**SNS_ATTRIBUTES, "price_usd": attr("Number", "99")}
        assert not matches(SNS_POLICY, cheap, "sns")
        assert matches({"price_usd": [301.5]}, {"price_usd": attr("Number", "3.015e2")}, "sns")

    def test_number_and_string_attributes_do_not_cross_match(self):
        assert not matches({"n": [100]}, {"n": attr("String", "100")}, "sns")
        assert not matches({"n": ["100"]}, {"n": attr("Number", "100")}, "sns")

    def test_string_array_matches_any_element(self):
        assert matches({"customer_interests": ["hockey"]}, SNS_ATTRIBUTES, "sns")
        assert not matches({"customer_interests": ["golf"]}, SNS_ATTRIBUTES, "sns")

    def test_string_array_with_numbers(self):
        attrs = {"sizes": attr("String.Array", "[1, 2.5, \"xl\"]")}
        assert matches({"sizes": [{"numeric": [">", 2]}]}, attrs, "sns")
        assert matches({"sizes": ["xl"]}, attrs, "sns")

    def test_publish_api_attribute_shape_is_accepted(self):
        attrs = {"store": {"DataType": "String", "StringValue": "example_corp"}}
        assert matches({"store": ["example_corp"]}, attrs, "sns")

    def test_exists_false_matches_missing_attribute(self):
        assert matches({"coupon": [{"exists": False}]}, SNS_ATTRIBUTES, "sns")
        assert not matches({"store": [{"exists": False}]}, SNS_ATTRIBUTES, "sns")

    def test_binary_attributes_cannot_be_filtered_on(self):
        attrs = {"blob": attr("Binary", "AAEC")}
        assert not matches({"blob": [{"exists": True}]}, attrs, "sns")

    def test_anything_but_prefix_and_cidr(self):
        attrs = {"id": attr("String", "order-1"), "ip": attr("String", "10.0.0.5")}
        assert not matches({"id": [{"anything-but": {"prefix": "order-"}}]}, attrs, "sns")
        assert matches({"ip": [{"cidr": "10.0.0.0/24"}]}, attrs, "sns")

    def test_or_in_attribute_policy(self):
        policy = {"$or": [{"store": ["nope"]}, {"event": ["order_placed"]}]}
        assert matches(policy, SNS_ATTRIBUTES, "sns")

    def test_message_body_scope_matches_nested_payload(self):
        predicate = compile_sns_filter_policy(
            {"order": {"status": ["paid"], "total": [{"numeric": [">", 10]}]}}, "MessageBody")
        assert predicate({"order": {"status": "paid", "total": 12}})
        assert predicate('{"order": {"status": "paid", "total": 12}}')
        assert not predicate({"order": {"status": "paid", "total": 5}})

    def test_message_body_that_is_not_json_never_matches(self):
        predicate = compile_sns_filter_policy({"a": [{"exists": False}]}, "MessageBody")
        assert not predicate("plain text message")

    def test_matches_treats_non_attribute_event_as_body(self):
        assert matches({"order": {"status": ["paid"]}}, {"order": {"status": "paid"}}, "sns")

    def test_nested_policy_rejected_for_attribute_scope(self):
        with pytest.raises(InvalidPattern, match="does not support nested filter policy"):
            compile_sns_filter_policy({"order": {"status": ["paid"]}})

    def test_more_than_five_keys_rejected(self):
        policy = {f"k{i}": ["v"] for i in range(6)}
        with pytest.raises(InvalidPattern, match="can not have more than 5 keys") as info:
            compile_sns_filter_policy(policy)
        assert str(info.value).startswith("Invalid parameter: FilterPolicy: ")
        compile_sns_filter_policy({f"k{i}": ["v"] for i in range(5)})

    def test_more_than_150_combinations_rejected(self):
        policy = {f"k{i}": ["a", "b", "c", "d"] for i in range(4)}  # 4^4 = 256
        with pytest.raises(InvalidPattern, match="Filter policy is too complex"):
            compile_sns_filter_policy(policy)
        compile_sns_filter_policy({f"k{i}": ["a", "b", "c"] for i in range(4)})  # 81

    def test_documented_nested_combination_count_is_accepted(self):
        # SNS constraints doc: 3 x 4 x 2 x 3 = 72.
        policy = {"key_a": {"key_b": {"key_c": ["v1", "v2", "v3", "v4"]}},
                  "key_d": {"key_e": ["v1", "v2", "v3"]}}
        assert compile_sns_filter_policy(policy, "MessageBody")(
            {"key_a": {"key_b": {"key_c": "v2"}}, "key_d": {"key_e": "v3"}})

    def test_unknown_scope_is_a_value_error(self):
        with pytest.raises(ValueError, match="scope"):
            compile_sns_filter_policy({"a": ["x"]}, "Attributes")

    def test_policy_as_json_text(self):
        assert compile_sns_filter_policy('{"store": ["example_corp"]}')(SNS_ATTRIBUTES)


# ============================================================================================
# FilterCriteria


def criteria(*patterns) -> dict:
    return {"Filters": [{"Pattern": json.dumps(p) if isinstance(p, dict) else p}
                        for p in patterns]}


class TestFilterCriteria:
    @pytest.mark.parametrize("value", [None, {}, {"Filters": []}],
                             ids=["none", "empty-object", "empty-list"])
    def test_no_filters_means_none(self, value):
        assert compile_filter_criteria(value, "sqs") is None

    def test_single_filter_from_docs_json_text(self):
        fc = {"Filters": [{"Pattern": '{ "body" : { "RequestCode" : [ "BBBB" ] } }'}]}
        predicate = compile_filter_criteria(fc, "sqs")
        assert predicate(JSON_BODY)
        assert not predicate(sqs_record('{"RequestCode": "AAAA"}'))

    def test_filters_are_ored(self):
        predicate = compile_filter_criteria(
            criteria({"body": {"RequestCode": ["AAAA"]}}, {"body": {"RequestCode": ["BBBB"]}}),
            "sqs")
        assert predicate(JSON_BODY)
        assert predicate(sqs_record('{"RequestCode": "AAAA"}'))
        assert not predicate(sqs_record('{"RequestCode": "CCCC"}'))

    def test_five_filters_are_allowed(self):
        predicate = compile_filter_criteria(
            criteria(*({"eventName": [name]} for name in ("A", "B", "C", "D", "INSERT"))),
            "dynamodb")
        assert predicate(ddb_record("INSERT"))
        assert not predicate(ddb_record("REMOVE"))

    def test_six_filters_exceed_lambda_quota(self):
        fc = criteria(*({"eventName": [str(i)]} for i in range(MAX_FILTERS + 1)))
        with pytest.raises(InvalidPattern) as info:
            compile_filter_criteria(fc, "dynamodb")
        assert "at most 5" in str(info.value) and "quota" in str(info.value)

    def test_pattern_may_be_a_dict(self):
        predicate = compile_filter_criteria({"Filters": [{"Pattern": {"eventName": ["INSERT"]}}]},
                                            "dynamodb")
        assert predicate(ddb_record())

    def test_invalid_pattern_names_the_filter(self):
        with pytest.raises(InvalidPattern) as info:
            compile_filter_criteria(criteria({"a": ["x"]}, {"body": {"n": [{"numeric": 5}]}}),
                                    "sqs")
        assert info.value.path == "Filters[1].Pattern.body.n"
        assert info.value.reason == "Value of numeric must be an array."

    @pytest.mark.parametrize("fc", [
        {"Filters": "nope"}, {"Filters": [{"NotPattern": "{}"}]}, ["not", "an", "object"],
    ], ids=["filters-not-a-list", "filter-without-pattern", "not-an-object"])
    def test_malformed_filter_criteria_rejected(self, fc):
        with pytest.raises(InvalidPattern):
            compile_filter_criteria(fc, "sqs")

    def test_source_specific_rules_apply(self):
        with pytest.raises(InvalidPattern, match="must be a JSON object"):
            compile_filter_criteria(criteria({"data": ["x"]}), "kinesis")

    def test_unknown_source(self):
        with pytest.raises(ValueError, match="unknown source"):
            compile_filter_criteria(criteria({"a": ["x"]}), "mq")


# ============================================================================================
# S3 key filters


class TestS3KeyFilter:
    @pytest.mark.parametrize(("rules", "key", "expected"), [
        ([], "any/key.txt", True),
        ([{"Name": "prefix", "Value": "images/"}], "images/cat.jpg", True),
        ([{"Name": "prefix", "Value": "images/"}], "docs/cat.jpg", False),
        ([{"Name": "suffix", "Value": ".jpg"}], "images/cat.jpg", True),
        ([{"Name": "suffix", "Value": ".jpg"}], "images/cat.JPG", False),
        ([{"Name": "Prefix", "Value": "images/"}, {"Name": "SUFFIX", "Value": ".jpg"}],
         "images/cat.jpg", True),
        ([{"Name": "prefix", "Value": "images/"}, {"Name": "suffix", "Value": ".jpg"}],
         "images/cat.png", False),
        ([{"Name": "prefix", "Value": "ab"}, {"Name": "suffix", "Value": "bc"}], "abc", True),
        ([{"Name": "prefix", "Value": ""}], "x", True),
    ], ids=[
        "empty-matches-all", "prefix", "prefix-no-match", "suffix", "suffix-case-sensitive",
        "both-names-case-insensitive", "both-suffix-fails", "prefix-and-suffix-may-overlap",
        "empty-prefix",
    ])
    def test_valid_rules(self, rules, key, expected):
        assert s3_key_matches(rules, key) is expected

    @pytest.mark.parametrize(("rules", "message"), [
        ({"Name": "prefix", "Value": "a"}, "must be a list"),
        (None, "must be a list"),
        ("prefix=a", "must be a list"),
        ([{"Name": "contains", "Value": "a"}], "either prefix or suffix"),
        ([{"Value": "a"}], "either prefix or suffix"),
        ([{"Name": "prefix", "Value": "a"}, {"Name": "Prefix", "Value": "b"}],
         "more than one prefix"),
        ([{"Name": "suffix", "Value": "a"}, {"Name": "suffix", "Value": "b"}],
         "more than one suffix"),
        ([{"Name": "prefix", "Value": "a" * 1025}], "1024"),
        ([{"Name": "prefix", "Value": 5}], "must be a string"),
        (["prefix"], "must be an object"),
    ], ids=[
        "dict-not-list", "none", "string", "unknown-name", "missing-name", "two-prefixes",
        "two-suffixes", "value-too-long", "value-not-string", "rule-not-object",
    ])
    def test_invalid_rules_raise_value_error(self, rules, message):
        with pytest.raises(ValueError, match=message):
            s3_key_matches(rules, "key")

    def test_value_of_exactly_1024_characters_is_allowed(self):
        assert s3_key_matches([{"Name": "prefix", "Value": "a" * 1024}], "a" * 1024)


# ============================================================================================
# Compile once, match many; module hygiene


def test_compiled_predicate_is_reusable_across_events():
    predicate = compile_pattern({"detail": {"state": [{"anything-but": "stopped"}]}})
    states = ["running", "stopped", "pending", "stopped"]
    assert [predicate({"detail": {"state": s}}) for s in states] == [True, False, True, False]


def test_core_filters_does_not_import_qt():
    code = ("import sys, core.filters; "
            "print(any(m.split('.')[0] in ('PySide6', 'PyQt5', 'PyQt6', 'shiboken6') "
            "for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "False"


# ============================================================================================
# Properties


@given(st.text())
def test_exact_string_pattern_matches_that_string(x):
    assert matches({"f": [x]}, {"f": x})


@given(st.text(), st.text(min_size=1))
def test_exact_string_pattern_rejects_longer_string(x, extra):
    assert not matches({"f": [x]}, {"f": x + extra})


@given(st.text(), st.integers(min_value=0, max_value=50))
def test_every_prefix_of_a_string_matches_it(x, cut):
    assert matches({"f": [{"prefix": x[:cut]}]}, {"f": x})


@given(st.text())
def test_escaped_wildcard_matches_only_the_literal(x):
    literal = x.replace("\\", "\\\\").replace("*", "\\*")
    predicate = compile_pattern({"f": [{"wildcard": literal}]})
    assert predicate({"f": x})
    assert not predicate({"f": x + "!"})


@given(st.text())
def test_anything_but_never_matches_its_own_value(x):
    assert not matches({"f": [{"anything-but": x}]}, {"f": x})
    assert matches({"f": [{"anything-but": x}]}, {"f": x + "!"})


@given(st.integers(min_value=-5_000_000_000, max_value=5_000_000_000))
def test_numeric_equals_matches_int_and_float_forms(n):
    predicate = compile_pattern({"f": [{"numeric": ["=", n]}]})
    assert predicate({"f": n}) and predicate({"f": float(n)})
    assert not compile_pattern({"f": [{"numeric": [">", n]}]})({"f": n})
