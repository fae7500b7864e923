"""Templates that cannot be read raise TemplateError naming the file, resource and line."""

from __future__ import annotations

import pytest

from core.templates import TemplateError, import_template


def test_template_error_is_a_value_error():
    assert issubclass(TemplateError, ValueError)


def test_missing_file_is_named(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(TemplateError) as e:
        import_template(missing)
    assert str(missing) in str(e.value) and "file not found" in str(e.value)


def test_bad_yaml_names_file_and_line(tmp_path):
    f = tmp_path / "bad.yaml"
    f.write_text("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: {VisibilityTimeout: 30\n")
    with pytest.raises(TemplateError) as e:
        import_template(f)
    assert str(f) in str(e.value) and "not valid YAML" in str(e.value)
    assert e.value.line is not None and f"line {e.value.line}" in str(e.value)


def test_bad_json_names_the_line():
    with pytest.raises(TemplateError) as e:
        import_template('{\n "Resources": {\n  "Q": {"Type": "AWS::SQS::Queue"},\n }\n}')
    assert "not valid JSON" in str(e.value) and e.value.line == 4


@pytest.mark.parametrize("text", ["just a string\n", "- a\n- list\n", "Description: no resources\n",
                                  "Resources: {}\n", ""])
def test_text_that_is_not_a_template_says_so(text):
    with pytest.raises(TemplateError, match="not a CloudFormation or SAM template"):
        import_template(text + ("\n" if "\n" not in text else ""))


def test_resource_without_type_names_resource_and_line():
    with pytest.raises(TemplateError) as e:
        import_template("Resources:\n  Good:\n    Type: AWS::SQS::Queue\n  Broken:\n    Properties: {}\n")
    assert e.value.logical_id == "Broken" and e.value.line == 4
    assert "resource Broken" in str(e.value) and "line 4" in str(e.value) and "needs a Type" in str(e.value)


def test_properties_that_are_not_a_mapping_are_rejected():
    with pytest.raises(TemplateError, match="Properties must be a mapping"):
        import_template("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties: [1, 2]\n")


def test_unknown_intrinsic_function_names_the_property_path():
    with pytest.raises(TemplateError) as e:
        import_template("Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      VisibilityTimeout: !Frobnicate 3\n")
    assert "Fn::Frobnicate" in str(e.value) and "resource Q Properties.VisibilityTimeout" in str(e.value)
    assert e.value.line == 2


def test_ref_to_nothing_names_resource_and_path():
    with pytest.raises(TemplateError) as e:
        import_template("Resources:\n  M:\n    Type: AWS::Lambda::EventSourceMapping\n"
                        "    Properties: {EventSourceArn: !Ref Ghost, FunctionName: f}\n")
    assert "Ref Ghost names no resource" in str(e.value) and "Properties.EventSourceArn" in str(e.value)


def test_sam_translation_failure_carries_the_translators_own_message():
    with pytest.raises(TemplateError) as e:
        import_template("""Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.b
      InlineCode: x
      Events:
        Q:
          Type: SQS
          Properties: {BatchSize: 5}
""")
    msg = str(e.value)
    assert "SAM translation failed" in msg and "Resource with id [FnQ] is invalid" in msg
    assert "Queue" in msg  # the translator says the Queue property is missing
    assert e.value.logical_id == "Fn" and e.value.line == 3


def test_non_alphanumeric_logical_id_is_rejected_with_its_line():
    with pytest.raises(TemplateError) as e:
        import_template("Resources:\n  my-queue:\n    Type: AWS::SQS::Queue\n")
    assert "my-queue" in str(e.value) and e.value.line == 2


def test_unresolvable_values_give_report_lines_not_errors():
    r = import_template("""
Parameters:
  Size: {Type: Number}
Resources:
  Q:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: !Ref Size
      DelaySeconds: !ImportValue shared-delay
      RedrivePolicy: {deadLetterTargetArn: !ImportValue shared-dlq-arn, maxReceiveCount: 3}
""")
    q = r.scenario.node("Q")
    assert "VisibilityTimeout" not in q.properties and "DelaySeconds" not in q.properties
    assert any("Q.VisibilityTimeout: parameter Size has no Default" in x for x in r.report)
    assert any("Q.DelaySeconds: Fn::ImportValue" in x for x in r.report)
    # the dead-letter queue lives in another stack: a placeholder stands for it
    assert r.scenario.node("sharedDlqArn").kind == "SQSQueue"
