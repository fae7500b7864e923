"""Safe loading of CloudFormation / SAM templates written in YAML or JSON.

YAML templates use short intrinsic tags (`!Ref X`, `!GetAtt A.B`, `!Sub "…"`, …). The
loader turns every one into CloudFormation's long form (`{"Ref": "X"}`,
`{"Fn::GetAtt": ["A", "B"]}`, `{"Fn::Sub": "…"}`), so the rest of the code — and AWS's
SAM translator — sees one shape. It builds on `yaml.SafeLoader`: no Python objects are
ever constructed from the text.

Differences from plain `yaml.safe_load`, matching how CloudFormation reads YAML:
- dates stay strings (`AWSTemplateFormatVersion: 2010-09-09` is not a `datetime.date`);
- a mapping with the same key twice is an error (CloudFormation rejects it), with its line.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

__all__ = ["LoadError", "dump_yaml", "load_text", "load_with_lines", "resource_lines"]


class LoadError(ValueError):
    """The text is neither valid YAML nor valid JSON; `line` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(message)


# Tags whose long form is not simply "Fn::<Name>".
_SPECIAL = {"Ref": "Ref", "Condition": "Condition"}


_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when installed


class CfnLoader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader + CloudFormation short tags, no timestamps, no duplicate keys."""


# Drop the timestamp resolver: CloudFormation keeps `2010-09-09` as a string.
CfnLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: CfnLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    out: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, "found an unhashable key",
                key_node.start_mark) from None
        if key in out:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"found duplicate key {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
    return out


CfnLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _construct_tag(loader: CfnLoader, tag_suffix: str, node: yaml.Node) -> dict:
    name = tag_suffix
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = _construct_mapping(loader, node, deep=True)
    if name == "GetAtt" and isinstance(value, str):
        # `!GetAtt Res.Attr` (the attribute may itself contain dots: Outputs.X)
        res, _, attr = value.partition(".")
        value = [res, attr] if attr else [res]
    key = _SPECIAL.get(name, f"Fn::{name}")
    return {key: value}


# `!Ref`, `!GetAtt`, `!Sub`, `!Join`, `!If`, `!Select`, `!Split`, `!FindInMap`, `!ImportValue`,
# `!Base64`, `!Cidr`, `!GetAZs`, `!Equals`, `!And`, `!Or`, `!Not`, `!Condition`, and any
# other `!Name` (`!Transform`, `!Length`, `!ToJsonString` …) → `Fn::Name`.
CfnLoader.add_multi_constructor("!", _construct_tag)


def load_text(text: str) -> Any:
    """Parse a template's text (JSON or YAML with short tags) into plain Python data.

    Raises LoadError with the line and column of the problem.
    """
    return load_with_lines(text)[0]


def load_with_lines(text: str) -> tuple[Any, dict[str, int]]:
    """(data, {logical id: 1-based line}) — the lines of the resources, for messages."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise LoadError(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}", e.lineno) from None
        return data, _json_lines(text)
    loader = CfnLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark is not None else None
        what = " ".join(x for x in (e.context, e.problem) if x)
        where = f" at line {line} column {mark.column + 1}" if mark is not None else ""
        raise LoadError(f"not valid YAML: {what}{where}", line) from None
    except yaml.YAMLError as e:
        raise LoadError(f"not valid YAML: {e}") from None
    finally:
        loader.dispose()
    return data, _node_lines(node)


def _node_lines(node: Any) -> dict[str, int]:
    lines: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == "Resources" and isinstance(v, yaml.MappingNode):
                for rk, _ in v.value:
                    if isinstance(rk, yaml.ScalarNode):
                        lines[rk.value] = rk.start_mark.line + 1
    return lines


_SECTIONS = {"Resources", "Parameters", "Outputs", "Mappings", "Conditions", "Metadata", "Globals",
             "Properties", "Rules"}


def _json_lines(text: str) -> dict[str, int]:
    loader = CfnLoader(text)  # JSON is YAML: compose it for exact positions
    try:
        return _node_lines(loader.get_single_node())
    except yaml.YAMLError:
        pass  # tabs and other JSON that YAML rejects: find `"Id": {` textually
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    for i, line in enumerate(text.splitlines(), 1):
        m = re.match(r'\s*"([A-Za-z0-9]+)"\s*:\s*\{', line)
        if m and m.group(1) not in lines and m.group(1) not in _SECTIONS:
            lines[m.group(1)] = i
    return lines


def resource_lines(text: str) -> dict[str, int]:
    """1-based line of each logical id under `Resources`, for error messages."""
    try:
        return load_with_lines(text)[1]
    except LoadError:
        return {}


# --- dumping ----------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    def choose_scalar_style(self):  # `!Ref Queue`, not `!Ref 'Queue'`
        ev = self.event
        if isinstance(ev.tag, str) and ev.tag.startswith("!") and not ev.style:
            if self.analysis is None:
                self.analysis = self.analyze_scalar(ev.value)
            a = self.analysis
            if a.allow_block_plain and not a.empty and not a.multiline and not self.flow_level:
                return ""
        return super().choose_scalar_style()


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)

_SHORT = ("Base64", "Cidr", "FindInMap", "GetAZs", "If", "ImportValue", "Join", "Select", "Split",
          "Sub", "Equals", "And", "Or", "Not", "Transform")


def _dict_presenter(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    """Intrinsics in their short form (`!Ref X`, `!GetAtt X.Arn`, `!Sub …`), as people write them."""
    if len(data) == 1:
        (k, v), = data.items()
        if k == "Ref" and isinstance(v, str):
            return dumper.represent_scalar("!Ref", v)
        if k == "Condition" and isinstance(v, str):
            return dumper.represent_scalar("!Condition", v)
        if k == "Fn::GetAtt" and isinstance(v, list) and len(v) == 2 and all(isinstance(x, str) for x in v):
            return dumper.represent_scalar("!GetAtt", f"{v[0]}.{v[1]}")
        if isinstance(k, str) and k.startswith("Fn::") and k[4:] in _SHORT:
            tag = "!" + k[4:]
            if isinstance(v, str):
                return dumper.represent_scalar(tag, v)
            if isinstance(v, list):
                return dumper.represent_sequence(tag, v)
            if isinstance(v, dict):
                return dumper.represent_mapping(tag, v)
    return dumper.represent_dict(data)


_Dumper.add_representer(dict, _dict_presenter)


def _ignore_aliases(self, data) -> bool:  # noqa: ARG001
    return True


_Dumper.ignore_aliases = _ignore_aliases  # type: ignore[method-assign]


def dump_yaml(data: Any) -> str:
    """Block-style YAML with short intrinsic tags (valid CloudFormation), keys in given order."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100)
