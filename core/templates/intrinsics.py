"""Offline evaluation of CloudFormation intrinsic functions, as far as a template allows.

`Resolver.value()` works out plain values (parameters with defaults, pseudo parameters,
mappings, conditions, Fn::Sub/Join/Select/Split/If …) and raises `Unresolved` with a
reason for what only exists after deployment (Fn::GetAtt, Fn::ImportValue, a parameter
without a default). `Resolver.target()` finds which resource a reference points at —
`Ref`, `Fn::GetAtt X.Arn`, `Fn::Sub "${X.Arn}"`, an ARN or a name string matching a
resource's physical name — or, for something outside the template, a hint to name it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from core.templates.common import PSEUDO, REGION


class Unresolved(Exception):
    """A value that cannot be worked out without deploying; str() says why."""


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NOVALUE = _NoValue()

# service → kinds of resources whose physical name an ARN ends with
_NAME_PROPS = {
    "AWS::SQS::Queue": ("sqs", "QueueName"),
    "AWS::SNS::Topic": ("sns", "TopicName"),
    "AWS::Kinesis::Stream": ("kinesis", "Name"),
    "AWS::DynamoDB::Table": ("dynamodb", "TableName"),
    "AWS::DynamoDB::GlobalTable": ("dynamodb", "TableName"),
    "AWS::Lambda::Function": ("lambda", "FunctionName"),
    "AWS::S3::Bucket": ("s3", "BucketName"),
    "AWS::Events::Rule": ("events", "Name"),
    "AWS::Events::EventBus": ("events-bus", "Name"),
}

_TOKEN = re.compile(r"\$\{([^}]*)\}")


@dataclass
class Target:
    """What a reference points at: a resource (`logical_id`) or something outside."""

    logical_id: str | None = None
    attr: str | None = None
    external: str | None = None  # a readable name for a placeholder
    service: str | None = None  # ARN service of an external target (sqs, sns, lambda …)
    arn: str | None = None
    param: str | None = None


def parse_arn(text: str) -> tuple[str, str] | None:
    """(service, resource name) of an ARN, or of an SQS queue URL."""
    if text.startswith("https://sqs.") or text.startswith("https://queue."):
        return ("sqs", text.rstrip("/").rsplit("/", 1)[-1])
    parts = text.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    service, res = parts[2], parts[5]
    if service == "lambda":
        bits = res.split(":")
        if len(bits) >= 2 and bits[0] == "function":
            return ("lambda", bits[1])
        return None
    if service == "kinesis":
        bits = res.split("/")
        return ("kinesis", bits[1]) if len(bits) >= 2 else None
    if service == "dynamodb":
        bits = res.split("/")
        return ("dynamodb", bits[1]) if len(bits) >= 2 else None
    if service == "events":
        kind, _, name = res.partition("/")
        if kind == "event-bus":
            return ("events-bus", name)
        return ("events", name) if kind == "rule" else None
    if service == "s3":
        return ("s3", res.split("/", 1)[0])
    if service in ("sqs", "sns"):
        return (service, res.split(":", 1)[0])
    return (service, res)


def getatt_parts(arg: Any) -> tuple[str, str]:
    if isinstance(arg, str):
        lid, _, attr = arg.partition(".")
        return lid, attr
    if isinstance(arg, list) and arg:
        lid = arg[0]
        attr = arg[1] if len(arg) > 1 else ""
        if not isinstance(attr, str):
            attr = ""
        return str(lid), attr
    return "", ""


def _norm(v: Any) -> Any:
    """CloudFormation compares as strings: true == "true", 5 == "5"."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    return v


class Resolver:
    def __init__(self, template: dict):
        self.resources: dict = template.get("Resources") or {}
        self.params: dict = {k: v for k, v in (template.get("Parameters") or {}).items()
                             if isinstance(v, dict)}
        self.mappings: dict = template.get("Mappings") or {}
        self.conditions: dict = template.get("Conditions") or {}
        self._cond: dict[str, bool | None] = {}
        self._names: dict[tuple[str, str], str] | None = None
        self.assumptions: list[str] = []

    # -- parameters and conditions ---------------------------------------------------
    def param(self, name: str) -> Any:
        p = self.params[name]
        ptype = str(p.get("Type", "String"))
        if ptype.startswith("AWS::SSM::Parameter::Value"):
            raise Unresolved(f"parameter {name} is read from SSM Parameter Store at deploy time")
        if "Default" not in p:
            raise Unresolved(f"parameter {name} has no Default")
        d = p["Default"]
        if ptype == "Number":
            try:
                f = float(d)
                return int(f) if f.is_integer() else f
            except (TypeError, ValueError):
                return d
        if ptype in ("CommaDelimitedList", "List<Number>") or ptype.startswith("List<"):
            if isinstance(d, str):
                return [x.strip() for x in d.split(",")]
        return d

    def condition(self, name: str) -> bool | None:
        """True/False with the parameters' defaults; None when it cannot be decided."""
        if name in self._cond:
            return self._cond[name]
        self._cond[name] = None  # guards against cycles
        expr = self.conditions.get(name)
        out: bool | None = None
        if expr is not None:
            try:
                v = self.value(expr)
                if isinstance(v, bool):
                    out = v
                elif isinstance(v, str) and v.lower() in ("true", "false"):
                    out = v.lower() == "true"
            except Unresolved:
                out = None
        self._cond[name] = out
        return out

    # -- values ----------------------------------------------------------------------
    def value(self, v: Any) -> Any:
        """The plain value of `v`, intrinsics evaluated; NOVALUE for AWS::NoValue."""
        if isinstance(v, dict):
            if len(v) == 1:
                (k, arg), = v.items()
                if k == "Ref" or k == "Condition" or k.startswith("Fn::"):
                    return self._intrinsic(k, arg)
            out = {}
            for key, x in v.items():
                y = self.value(x)
                if y is not NOVALUE:
                    out[key] = y
            return out
        if isinstance(v, list):
            return [y for y in (self.value(x) for x in v) if y is not NOVALUE]
        return v

    def _intrinsic(self, k: str, arg: Any) -> Any:
        if k == "Ref":
            return self._ref(arg)
        if k == "Condition":
            c = self.condition(str(arg))
            if c is None:
                raise Unresolved(f"condition {arg} cannot be evaluated")
            return c
        if k == "Fn::If":
            if not isinstance(arg, list) or len(arg) != 3:
                raise Unresolved("Fn::If needs [condition, value if true, value if false]")
            return self.value(self.pick_if(arg))
        if k == "Fn::Sub":
            return self.sub(arg)
        if k == "Fn::Join":
            if not isinstance(arg, list) or len(arg) != 2:
                raise Unresolved("Fn::Join needs [separator, list]")
            sep = self.value(arg[0])
            items = self.value(arg[1])
            if not isinstance(items, list):
                raise Unresolved("Fn::Join needs a list")
            return str(sep).join(str(_norm(x)) for x in items)
        if k == "Fn::Select":
            if not isinstance(arg, list) or len(arg) != 2:
                raise Unresolved("Fn::Select needs [index, list]")
            idx = self.value(arg[0])
            items = self.value(arg[1])
            try:
                return items[int(idx)]
            except (TypeError, ValueError, IndexError, KeyError):
                raise Unresolved(f"Fn::Select index {idx!r} is out of range") from None
        if k == "Fn::Split":
            if not isinstance(arg, list) or len(arg) != 2:
                raise Unresolved("Fn::Split needs [separator, string]")
            return str(self.value(arg[1])).split(str(self.value(arg[0])))
        if k == "Fn::FindInMap":
            if not isinstance(arg, list) or len(arg) < 3:
                raise Unresolved("Fn::FindInMap needs [map, key, key]")
            m, k1, k2 = (self.value(x) for x in arg[:3])
            try:
                return self.value(self.mappings[m][k1][k2])
            except (KeyError, TypeError):
                if len(arg) > 3 and isinstance(arg[3], dict) and "DefaultValue" in arg[3]:
                    return self.value(arg[3]["DefaultValue"])
                raise Unresolved(f"Fn::FindInMap: no {m}.{k1}.{k2} in Mappings") from None
        if k == "Fn::Base64":
            return self.value(arg)
        if k == "Fn::GetAZs":
            return [f"{REGION}a", f"{REGION}b", f"{REGION}c"]
        if k == "Fn::Equals":
            if not isinstance(arg, list) or len(arg) != 2:
                raise Unresolved("Fn::Equals needs two values")
            return _norm(self.value(arg[0])) == _norm(self.value(arg[1]))
        if k in ("Fn::And", "Fn::Or"):
            vals = [self.value(x) for x in (arg or [])]
            bools = [v if isinstance(v, bool) else str(v).lower() == "true" for v in vals]
            return all(bools) if k == "Fn::And" else any(bools)
        if k == "Fn::Not":
            v = self.value(arg[0] if isinstance(arg, list) and arg else arg)
            return not (v if isinstance(v, bool) else str(v).lower() == "true")
        if k == "Fn::ToJsonString":
            return json.dumps(self.value(arg), separators=(",", ":"))
        if k == "Fn::Length":
            v = self.value(arg)
            return len(v) if isinstance(v, list) else 0
        if k == "Fn::GetAtt":
            lid, attr = getatt_parts(arg)
            raise Unresolved(f"Fn::GetAtt {lid}.{attr} is only known after deployment")
        if k == "Fn::ImportValue":
            raise Unresolved("Fn::ImportValue reads another stack's output at deploy time")
        raise Unresolved(f"{k} is not supported here")

    def pick_if(self, arg: list) -> Any:
        c = self.condition(str(arg[0]))
        if c is None:
            note = f"condition {arg[0]} could not be evaluated; its true branch was used"
            if note not in self.assumptions:
                self.assumptions.append(note)
            c = True
        return arg[1] if c else arg[2]

    def _ref(self, name: Any) -> Any:
        if name == "AWS::NoValue":
            return NOVALUE
        if name in PSEUDO:
            return PSEUDO[name]
        if name in self.params:
            return self.param(name)
        if name in self.resources:
            raise Unresolved(f"Ref {name} is the physical id of a resource, known after deployment")
        raise Unresolved(f"Ref {name} names nothing in the template")

    def sub(self, arg: Any, keep_refs: bool = False) -> str:
        if isinstance(arg, list) and arg:
            tmpl = arg[0]
            vars_ = arg[1] if len(arg) > 1 and isinstance(arg[1], dict) else {}
        else:
            tmpl, vars_ = arg, {}
        if not isinstance(tmpl, str):
            tmpl = self.value(tmpl)
            if not isinstance(tmpl, str):
                raise Unresolved("Fn::Sub needs a string")

        def repl(m: re.Match) -> str:
            expr = m.group(1)
            if expr.startswith("!"):
                return "${" + expr[1:] + "}"
            if expr in vars_:
                try:
                    return str(_norm(self.value(vars_[expr])))
                except Unresolved:
                    if keep_refs:
                        t = self.refs(vars_[expr])
                        if t:
                            return "${" + t[0][0] + "}"
                    raise
            if expr in PSEUDO:
                return str(PSEUDO[expr])
            if expr in self.params:
                return str(_norm(self.param(expr)))
            name = expr.split(".", 1)[0]
            if name in self.resources:
                if keep_refs:
                    return "${" + expr + "}"
                raise Unresolved(f"${{{expr}}} is only known after deployment")
            raise Unresolved(f"${{{expr}}} names nothing in the template")

        return _TOKEN.sub(repl, tmpl)

    # -- references --------------------------------------------------------------------
    def refs(self, v: Any) -> list[tuple[str, str | None]]:
        """Every (resource, attribute) that `v` refers to, in order, deep."""
        out: list[tuple[str, str | None]] = []

        def add(lid: str, attr: str | None) -> None:
            if lid in self.resources and (lid, attr) not in out:
                out.append((lid, attr))

        def walk(x: Any) -> None:
            if isinstance(x, dict):
                if len(x) == 1:
                    (k, arg), = x.items()
                    if k == "Ref" and isinstance(arg, str):
                        add(arg, None)
                        return
                    if k == "Fn::GetAtt":
                        lid, attr = getatt_parts(arg)
                        add(lid, attr)
                        return
                    if k == "Fn::Sub":
                        tmpl = arg[0] if isinstance(arg, list) and arg else arg
                        vars_ = arg[1] if isinstance(arg, list) and len(arg) > 1 and isinstance(arg[1], dict) else {}
                        if isinstance(tmpl, str):
                            for m in _TOKEN.finditer(tmpl):
                                expr = m.group(1)
                                if expr.startswith("!") or expr in vars_:
                                    continue
                                lid, _, attr = expr.partition(".")
                                add(lid, attr or None)
                        for val in vars_.values():
                            walk(val)
                        return
                    if k == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
                        walk(self.pick_if(arg))
                        return
                for val in x.values():
                    walk(val)
            elif isinstance(x, list):
                for val in x:
                    walk(val)

        walk(v)
        return out

    @property
    def names(self) -> dict[tuple[str, str], str]:
        """(service, physical name) → logical id, for resources that set their name."""
        if self._names is None:
            self._names = {}
            for lid, r in self.resources.items():
                if not isinstance(r, dict):
                    continue
                spec = _NAME_PROPS.get(str(r.get("Type")))
                props = r.get("Properties") if isinstance(r.get("Properties"), dict) else {}
                if spec and spec[1] in props:
                    try:
                        name = self.value(props[spec[1]])
                    except Unresolved:
                        continue
                    if isinstance(name, str) and name:
                        self._names.setdefault((spec[0], name), lid)
        return self._names

    def match_string(self, s: str) -> Target:
        parsed = parse_arn(s)
        if parsed:
            service, name = parsed
            lid = self.names.get((service, name))
            if lid:
                return Target(logical_id=lid, arn=s)
            return Target(external=name or s, service=service, arn=s)
        for (_service, name), lid in self.names.items():
            if name == s:
                return Target(logical_id=lid)
        return Target(external=s)

    def target(self, v: Any) -> Target | None:
        """The resource `v` refers to, or an external hint; None for nothing usable."""
        if isinstance(v, str):
            return self.match_string(v) if v else None
        if isinstance(v, dict) and len(v) == 1:
            (k, arg), = v.items()
            if k == "Ref":
                if not isinstance(arg, str):
                    return None
                if arg in self.resources:
                    return Target(logical_id=arg)
                if "." in arg and arg.split(".", 1)[0] in self.resources:  # SAM Fn.Alias
                    return Target(logical_id=arg.split(".", 1)[0], attr=arg.split(".", 1)[1])
                if arg in self.params:
                    try:
                        s = self.param(arg)
                    except Unresolved:
                        return Target(external=arg, param=arg)
                    t = self.match_string(str(s))
                    t.param = arg
                    if t.logical_id is None:
                        t.external = arg
                    return t
                return None
            if k == "Fn::GetAtt":
                lid, attr = getatt_parts(arg)
                return Target(logical_id=lid, attr=attr) if lid in self.resources else None
            if k == "Fn::If" and isinstance(arg, list) and len(arg) == 3:
                picked = self.pick_if(arg)
                if isinstance(picked, dict) and picked.get("Ref") == "AWS::NoValue":
                    return None
                return self.target(picked)
            if k == "Fn::ImportValue":
                try:
                    name = str(self.value(arg))
                except Unresolved:
                    name = "Imported"
                return Target(external=name)
            rs = self.refs(v)
            if rs:
                return Target(logical_id=rs[0][0], attr=rs[0][1])
            try:
                s = self.value(v)
            except Unresolved:
                params = [p for p in _params_in(v) if p in self.params]
                return Target(external=params[0], param=params[0]) if params else None
            if isinstance(s, str):
                return self.match_string(s)
        return None


def _params_in(v: Any) -> list[str]:
    out: list[str] = []
    if isinstance(v, dict):
        for k, x in v.items():
            if k == "Ref" and isinstance(x, str):
                out.append(x)
            elif k == "Fn::Sub":
                tmpl = x[0] if isinstance(x, list) and x else x
                if isinstance(tmpl, str):
                    out.extend(m.group(1) for m in _TOKEN.finditer(tmpl))
                if isinstance(x, list) and len(x) > 1:
                    out.extend(_params_in(x[1]))
            else:
                out.extend(_params_in(x))
    elif isinstance(v, list):
        for x in v:
            out.extend(_params_in(x))
    return out
