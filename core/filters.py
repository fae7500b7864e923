"""Event filtering as AWS does it: EventBridge event patterns, Lambda event-source-mapping
FilterCriteria (SQS, Kinesis, DynamoDB), SNS subscription filter policies and S3 key filters.
Patterns are validated and compiled once into predicates; AWS's event-ruler is the reference.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

__all__ = [
    "InvalidPattern",
    "SOURCES",
    "MAX_FILTERS",
    "matches",
    "compile_pattern",
    "compile_filter_criteria",
    "compile_sns_filter_policy",
    "s3_key_matches",
]

SOURCES = ("eventbridge", "sqs", "kinesis", "dynamodb", "sns")
MAX_FILTERS = 5  # Lambda quota "filters per event source mapping" (default 5, raisable to 10)

_ESM_SOURCES = frozenset({"sqs", "kinesis", "dynamodb"})
_SNS_SCOPES = ("MessageAttributes", "MessageBody")
_SNS_MAX_KEYS = 5
_SNS_MAX_COMBINATIONS = 150
_S3_MAX_VALUE = 1024

# event-ruler's ComparableNumber: numeric matching works on [-5e9, 5e9] with 6 decimal places.
_NUM_LIMIT = 5_000_000_000
_NUM_DECIMALS = 6
# EventBridge rejects wildcard values it deems too complex.  event-ruler's real measure is a
# machine-complexity score; AWS rejects "*:*:*:*:*:event-bus/*" (six wildcards) while accepting
# single-wildcard values with long repeats, so the number of wildcards is the proxy used here.
_MAX_WILDCARDS = 5

_OR = "$or"
_OPERATORS = frozenset({
    "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists",
    "wildcard", "numeric", "cidr",
})
# event-ruler refuses these as field names inside a $or branch (Constants.java).
_RESERVED_IN_OR = _OPERATORS | {
    "=", "<", "<=", ">", ">=", "regex", "not-wildcard", "not-equals-ignore-case", "date-after",
    "date-on-or-after", "date-before", "date-on-or-before", "in-date-range",
    "ip-address-in-range", "ip-address-not-in-range",
}
_MISSING: Any = object()
_SCALARS = (str, int, float)  # bool is an int
_SEQUENCES = (list, tuple)


class InvalidPattern(ValueError):
    """A pattern, FilterCriteria or filter policy that AWS would reject, with AWS's reason.

    ``reason`` is the bare reason, ``path`` the dotted field path where it applies ("" for the
    whole pattern); ``str()`` gives the full message AWS-style, with the path appended.
    """

    def __init__(self, reason: str, path: str = "", prefix: str = "") -> None:
        self.reason = reason
        self.path = path
        where = f' (at "{path}")' if path else ""
        super().__init__(f"{prefix}{reason}{where}")


# --------------------------------------------------------------------------------------------
# JSON numbers that remember their text.  Lambda compares numbers in filters by their JSON
# text ("300, 300.0 and 3.0e2 are not considered equal"), so text parsed here keeps it.


class _Num(float):
    __slots__ = ("text",)


def _num_hook(text: str) -> _Num:
    n = _Num(text)
    n.text = text
    return n


def _bad_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _loads(text: str | bytes | bytearray) -> Any:
    return json.loads(text, parse_int=_num_hook, parse_float=_num_hook,
                      parse_constant=_bad_constant)


def _is_num(v: Any) -> bool:
    return type(v) is not bool and isinstance(v, int | float) and abs(v) != float("inf") and v == v


def _num_text(v: Any) -> str:
    text = getattr(v, "text", None)
    if text is not None:
        return text
    return str(v) if isinstance(v, int) else repr(v)


def _comparable(v: Any) -> bool:
    """Would event-ruler treat this event number as a number (inside its numeric range)?"""
    return -_NUM_LIMIT <= v <= _NUM_LIMIT


def _token_text(v: Any) -> str:
    """How Jackson's getText() shows a token in event-ruler's messages."""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    if _is_num(v):
        return _num_text(v)
    if isinstance(v, Mapping):
        return "{"
    if isinstance(v, list):
        return "["
    return repr(v)


# --------------------------------------------------------------------------------------------
# IP addresses, read the way event-ruler reads them (CIDR.java).

_IPV4_RE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6_RE = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")


def _looks_like_ip(text: str) -> bool:
    return bool(_IPV4_RE.fullmatch(text) or _IPV6_RE.fullmatch(text))


@lru_cache(maxsize=4096)
def _parse_ip(text: str) -> tuple[int, int] | None:
    """(version, integer) of an IP literal, or None.  Octets with leading zeros are decimal,
    as in Java; IPv4-mapped IPv6 addresses count as IPv4, as Java's InetAddress returns them."""
    if _IPV4_RE.fullmatch(text):
        octets = [int(o) for o in text.split(".")]
        if any(o > 255 for o in octets):
            return None
        return 4, (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
    if _IPV6_RE.fullmatch(text):
        try:
            addr = ipaddress.IPv6Address(text)
        except ValueError:
            return None
        if addr.ipv4_mapped is not None:
            return 4, int(addr.ipv4_mapped)
        return 6, int(addr)
    return None


# --------------------------------------------------------------------------------------------
# Wildcards: "*" is any run of characters, "\*" a literal star, "\\" a literal backslash.


def _parse_wildcard(value: str) -> tuple[re.Pattern[str] | None, str | None, int]:
    """(regex, error, wildcard count).  Error positions are byte offsets into the quoted
    value, exactly as event-ruler reports them (the leading quote is position 0)."""
    quoted = ('"' + value + '"').encode("utf-8", "surrogatepass")
    parts: list[str] = []
    literal = bytearray()
    stars = 0
    i = 0
    while i < len(quoted):
        b = quoted[i]
        if b == 0x2A:  # *
            if i + 1 < len(quoted) and quoted[i + 1] == 0x2A:
                return None, f"Consecutive wildcard characters at pos {i}", stars
            parts.append(re.escape(literal.decode(errors="surrogatepass")))
            parts.append(".*")
            literal.clear()
            stars += 1
        elif b == 0x5C:  # backslash
            if i + 1 < len(quoted) and quoted[i + 1] in (0x2A, 0x5C):
                literal.append(quoted[i + 1])
                i += 2
                continue
            return None, f"Invalid escape character at pos {i}", stars
        else:
            literal.append(b)
        i += 1
    parts.append(re.escape(literal.decode(errors="surrogatepass")))
    # The quotes were only there to number positions as event-ruler does; re.escape leaves
    # '"' as one character, so dropping the first and last character removes them.
    regex = "".join(parts)[1:-1]
    return re.compile(regex, re.DOTALL), None, stars


# --------------------------------------------------------------------------------------------
# Compiling patterns.


class _Options:
    """What differs between the places AWS evaluates patterns."""

    __slots__ = ("source", "prefix", "numeric_exact", "sns_scope")

    def __init__(self, source: str, sns_scope: str | None = None) -> None:
        self.source = source
        self.sns_scope = sns_scope
        # EventBridge and SNS compare exact numbers numerically (300 == 300.0); Lambda's
        # filtering compares their text (documented: "300, 300.0 and 3.0e2 are not equal").
        self.numeric_exact = source not in _ESM_SOURCES
        if source == "sns":
            self.prefix = "Invalid parameter: FilterPolicy: "
        elif source in _ESM_SOURCES:
            self.prefix = "Invalid filter pattern definition. Reason: "
        else:
            self.prefix = "Event pattern is not valid. Reason: "


class _Leaf:
    """The OR-ed conditions on one field; ``match`` tests one event value."""

    __slots__ = ("match", "absent_ok")

    def __init__(self, match: Callable[[Any], bool], absent_ok: bool) -> None:
        self.match = match
        self.absent_ok = absent_ok


class _LeafBuilder:
    def __init__(self, opts: _Options, path: str) -> None:
        self.opts = opts
        self.path = path
        self.strings: set[str] = set()
        self.ips: set[tuple[int, int]] = set()
        self.numbers: set[float] = set()
        self.number_texts: set[str] = set()
        self.consts: set[str] = set()  # "true", "false", "null"
        self.preds: list[Callable[[Any], bool]] = []
        self.any_value = False
        self.absent_ok = False

    def fail(self, reason: str) -> None:
        raise InvalidPattern(reason, self.path, self.opts.prefix)

    # -- values ---------------------------------------------------------------------------

    def add_value(self, v: Any) -> None:
        if isinstance(v, str):
            self.strings.add(v)
            if _looks_like_ip(v):
                # event-ruler turns an IP-literal rule value into an address range, so
                # "2001:db8::1" also matches "2001:0db8:0:0:0:0:0:1".
                ip = _parse_ip(v)
                if ip is not None:
                    self.ips.add(ip)
        elif isinstance(v, bool):
            self.consts.add("true" if v else "false")
        elif v is None:
            self.consts.add("null")
        elif _is_num(v):
            self.number_texts.add(_num_text(v))
            if self.opts.numeric_exact and _comparable_rule_number(v) is None:
                self.numbers.add(float(v))
        elif isinstance(v, Mapping):
            self.add_expression(v)
        else:
            self.fail("Match value must be String, number, true, false, or null")

    def add_expression(self, expr: Mapping[str, Any]) -> None:
        if not expr:
            self.fail("Match expression name not found")
        items = list(expr.items())
        op, val = items[0]
        extra = len(items) > 1
        if not isinstance(op, str) or op not in _OPERATORS:
            self.fail(f"Unrecognized match type {op}")
        # event-ruler reads the operator's value before noticing a second key.
        getattr(self, "_op_" + op.replace("-", "_"))(val)
        if extra:
            if op in ("numeric", "anything-but"):
                self.fail("Too many elements in numeric expression")  # sic: event-ruler
            self.fail("Only one key allowed in match expression")

    # -- operators ------------------------------------------------------------------------

    def _op_exactly(self, val: Any) -> None:
        if not isinstance(val, str):
            self.fail("exact match pattern must be a string")
        self.strings.add(val)

    def _op_prefix(self, val: Any) -> None:
        if isinstance(val, Mapping):
            p = self._ignore_case_operand(val, "Prefix", "prefix").lower()
            self.preds.append(lambda v: isinstance(v, str) and v.lower().startswith(p))
            return
        if not isinstance(val, str):
            self.fail("prefix match pattern must be a string")
        self.preds.append(lambda v: isinstance(v, str) and v.startswith(val))

    def _op_suffix(self, val: Any) -> None:
        if isinstance(val, Mapping):
            s = self._ignore_case_operand(val, "Suffix", "suffix").lower()
            self.preds.append(lambda v: isinstance(v, str) and v.lower().endswith(s))
            return
        if not isinstance(val, str):
            self.fail("suffix match pattern must be a string")
        self.preds.append(lambda v: isinstance(v, str) and v.endswith(val))

    def _ignore_case_operand(self, val: Mapping[str, Any], title: str, op: str) -> str:
        if not val:
            self.fail(f"{title} expression name not found")
        items = list(val.items())
        inner, operand = items[0]
        if inner != "equals-ignore-case":
            self.fail(f"Unsupported {op} pattern: {inner}")
        if not isinstance(operand, str):
            self.fail("equals-ignore-case match pattern must be a string")
        if len(items) > 1:
            self.fail("Only one key allowed in match expression")
        return operand

    def _op_equals_ignore_case(self, val: Any) -> None:
        if not isinstance(val, str):
            self.fail("equals-ignore-case match pattern must be a string")
        low = val.lower()
        self.preds.append(lambda v: isinstance(v, str) and v.lower() == low)

    def _op_wildcard(self, val: Any) -> None:
        if not isinstance(val, str):
            self.fail("wildcard match pattern must be a string")
        rx = self._wildcard(val)
        self.preds.append(lambda v: isinstance(v, str) and rx.fullmatch(v) is not None)

    def _wildcard(self, val: str) -> re.Pattern[str]:
        rx, err, stars = _parse_wildcard(val)
        if err:
            self.fail(err)
        if stars > _MAX_WILDCARDS:
            self.fail("Rule is too complex - try using fewer wildcard characters or fewer "
                      "repeating character sequences after a wildcard character")
        assert rx is not None
        return rx

    def _op_exists(self, val: Any) -> None:
        if not isinstance(val, bool):
            self.fail("exists match pattern must be either true or false.")
        if val:
            self.any_value = True
        else:
            self.absent_ok = True

    def _op_cidr(self, val: Any) -> None:
        if not isinstance(val, str):
            self.fail("prefix match pattern must be a string")  # sic: AWS's message
        version, lo, hi = self._cidr(val)

        def in_cidr(v: Any) -> bool:
            if not isinstance(v, str):
                return False
            ip = _parse_ip(v)
            return ip is not None and ip[0] == version and lo <= ip[1] <= hi

        self.preds.append(in_cidr)

    def _cidr(self, text: str) -> tuple[int, int, int]:
        pieces = text.split("/")
        if len(pieces) != 2:
            self.fail("Malformed CIDR, one '/' required")
        addr, bits_text = pieces
        if not re.fullmatch(r"[+-]?[0-9]+", bits_text):  # Java's parseInt, not Python's int
            self.fail("Malformed CIDR, mask bits must be an integer")
        bits = int(bits_text)
        if bits < 0:
            self.fail("Malformed CIDR, mask bits must not be negative")
        if not _looks_like_ip(addr):
            self.fail(f"Nonstandard IP address: {addr}")
        ip = _parse_ip(addr)
        if ip is None:
            self.fail(f"Invalid IP address: {addr}")
        version, value = ip
        width = 32 if version == 4 else 128
        if bits > width - 1:  # event-ruler: "must be < 32" / "< 128"
            self.fail(f"IPv{version} mask bits must be < {width}")
        host = (1 << (width - bits)) - 1
        return version, value & ~host, value | host

    def _op_numeric(self, val: Any) -> None:
        if not isinstance(val, list):
            self.fail("Value of numeric must be an array.")
        if not val or not isinstance(val[0], str):
            self.fail(f"Invalid member in numeric match: {_token_text(val[0]) if val else ']'}")
        op = val[0]
        if op not in ("=", "<", "<=", ">", ">="):
            self.fail(f"Unrecognized numeric range operator: {op}")
        first = self._numeric_operand(val, 1, "equals" if op == "=" else op)
        lo = hi = None
        lo_open = hi_open = False
        if op in ("=", "<", "<="):
            if len(val) > 2:
                self.fail("Too many elements in numeric expression")
            if op == "=":
                lo = hi = first
            else:
                hi, hi_open = first, op == "<"
        else:
            lo, lo_open = first, op == ">"
            if len(val) > 2:
                second_op = val[2]
                if not isinstance(second_op, str):
                    self.fail(f"Bad value in numeric range: {_token_text(second_op)}")
                if second_op not in ("<", "<="):
                    self.fail(f"Bad numeric range operator: {second_op}")
                hi = self._numeric_operand(val, 3, second_op)
                hi_open = second_op == "<"
                if len(val) > 4:
                    self.fail("Too many terms in numeric range expression")
                if lo >= hi:
                    self.fail("Bottom must be less than top")

        def in_range(v: Any) -> bool:
            if not _is_num(v) or not _comparable(v):
                return False
            if lo is not None and (v <= lo if lo_open else v < lo):
                return False
            return not (hi is not None and (v >= hi if hi_open else v > hi))

        self.preds.append(in_range)

    def _numeric_operand(self, val: list[Any], i: int, name: str) -> float:
        if len(val) <= i or not _is_num(val[i]):
            self.fail(f"Value of {name} must be numeric")
        err = _comparable_rule_number(val[i])
        if err:
            self.fail(err)
        return float(val[i])

    def _op_anything_but(self, val: Any) -> None:
        kind = "plain"
        extra = False
        if isinstance(val, Mapping):
            if not val:
                self.fail("Anything-But expression name not found")
            items = list(val.items())
            kind, val = items[0]
            extra = len(items) > 1
            if kind not in ("equals-ignore-case", "prefix", "suffix", "wildcard"):
                self.fail(f"Unsupported anything-but pattern: {kind}")
        if not (isinstance(val, str | list) or _is_num(val)):
            self.fail("Value of anything-but must be an array or single string/number value.")
        values = val if isinstance(val, list) else [val]
        if kind == "plain":
            self._anything_but_plain(values)
        else:
            self._anything_but_set(kind, values)
        if extra:
            self.fail("Too many elements in numeric expression")

    def _anything_but_plain(self, values: list[Any]) -> None:
        strings: set[str] = set()
        numbers: set[float] = set()
        for v in values:
            if isinstance(v, str):
                strings.add(v)
            elif _is_num(v):
                err = _comparable_rule_number(v)
                if err:
                    self.fail(err)
                numbers.add(float(v))
            else:
                self.fail("Inside anything but list, start|null|boolean is not supported.")
        if bool(strings) == bool(numbers):
            self.fail("Inside anything but list, either all values are number or string, "
                      "mixed type is not supported")
        if strings:
            # Only a string equal to an excluded one fails; numbers, booleans and null pass.
            self.preds.append(lambda v: not (isinstance(v, str) and v in strings))
        else:
            # Excluded numbers compare numerically; anything that is not a number passes.
            self.preds.append(
                lambda v: not (_is_num(v) and _comparable(v) and float(v) in numbers))

    def _anything_but_set(self, kind: str, values: list[Any]) -> None:
        for v in values:
            if not isinstance(v, str):
                if kind == "equals-ignore-case":
                    self.fail("Inside anything-but/equals-ignore-case list, "
                              "number|start|null|boolean is not supported.")
                if kind == "wildcard":
                    self.fail("wildcard match pattern must be a string")
                self.fail("prefix/suffix match pattern must be a string")
            if kind in ("prefix", "suffix") and not v:
                self.fail("Null prefix/suffix not allowed")
        # Non-string values (numbers, booleans, null) never hit an excluded string, so pass.
        if kind == "prefix":
            prefixes = tuple(values)
            self.preds.append(lambda v: not (isinstance(v, str) and v.startswith(prefixes)))
        elif kind == "suffix":
            suffixes = tuple(values)
            self.preds.append(lambda v: not (isinstance(v, str) and v.endswith(suffixes)))
        elif kind == "equals-ignore-case":
            lowered = {v.lower() for v in values}
            self.preds.append(lambda v: not (isinstance(v, str) and v.lower() in lowered))
        else:
            regexes = tuple(self._wildcard(v) for v in values)
            self.preds.append(lambda v: not (
                isinstance(v, str) and any(rx.fullmatch(v) for rx in regexes)))

    # -- result ---------------------------------------------------------------------------

    def build(self) -> _Leaf:
        if self.any_value:
            return _Leaf(lambda v: True, self.absent_ok)
        strings = frozenset(self.strings)
        ips = frozenset(self.ips)
        numbers = frozenset(self.numbers)
        number_texts = frozenset(self.number_texts)
        consts = frozenset(self.consts)
        preds = tuple(self.preds)

        def match(v: Any) -> bool:
            if isinstance(v, str):
                if v in strings:
                    return True
                if ips and _looks_like_ip(v) and _parse_ip(v) in ips:
                    return True
            elif v is None:
                if "null" in consts:
                    return True
            elif isinstance(v, bool):
                if ("true" if v else "false") in consts:
                    return True
            elif _is_num(v):
                if numbers and _comparable(v) and float(v) in numbers:
                    return True
                if number_texts and _num_text(v) in number_texts:
                    return True
            for pred in preds:
                if pred(v):
                    return True
            return False

        return _Leaf(match, self.absent_ok)


def _comparable_rule_number(v: Any) -> str | None:
    """Why event-ruler cannot use this rule number numerically, or None if it can."""
    try:
        d = Decimal(_num_text(v)).normalize()
    except InvalidOperation:
        return "Match value must be String, number, true, false, or null"
    exponent = d.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > _NUM_DECIMALS:
        return "Only values upto 6 decimals are supported"
    if abs(d) > _NUM_LIMIT:
        return "Value must be between -5.0E9 and 5.0E9, inclusive"
    return None


_Branch = tuple[tuple[str, _Leaf], ...]


class _Compiler:
    """Turns a pattern object into branches (one per $or alternative) of flattened
    "a.b.c" field names, as event-ruler's JsonRuleCompiler does."""

    def __init__(self, opts: _Options) -> None:
        self.opts = opts

    def fail(self, reason: str, path: str = "") -> None:
        raise InvalidPattern(reason, path, self.opts.prefix)

    def compile(self, pattern: Any) -> list[dict[str, _Leaf]]:
        if not isinstance(pattern, Mapping):
            self.fail("Filter is not an object")
        rules: list[dict[str, _Leaf]] = []
        self._object(rules, pattern, "", in_or=False, depth=1)
        return rules

    def _object(self, rules: list[dict[str, _Leaf]], obj: Mapping[str, Any], prefix: str,
                in_or: bool, depth: int) -> None:
        if not obj:
            self.fail("Empty objects are not allowed", prefix)
        for key, value in obj.items():
            if not isinstance(key, str):
                self.fail("Field names must be strings", prefix)
            if key == _OR:
                self._or(rules, value, prefix, depth)
                continue
            path = f"{prefix}.{key}" if prefix else key
            if in_or and key in _RESERVED_IN_OR:
                self.fail(f"{key} is Ruler reserved fieldName which cannot be used inside $or.",
                          path)
            if isinstance(value, Mapping):
                if self.opts.sns_scope == "MessageAttributes":
                    self.fail("Filter policy scope MessageAttributes does not support nested "
                              "filter policy", path)
                self._object(rules, value, path, in_or, depth + 1)
            elif isinstance(value, list):
                self._leaf(rules, value, path, depth)
            else:
                self.fail(f'"{key}" must be an object or an array', path)

    def _or(self, rules: list[dict[str, _Leaf]], value: Any, prefix: str, depth: int) -> None:
        path = f"{prefix}.{_OR}" if prefix else _OR
        if not isinstance(value, list):
            self.fail("It must be an Array followed with $or.", path)
        current = [dict(r) for r in rules]
        rules.clear()
        for i, sub in enumerate(value):
            if not isinstance(sub, Mapping):
                self.fail("Only JSON object is allowed in array of $or relationship.",
                          f"{path}[{i}]")
            forked = [dict(r) for r in current] or [{}]
            self._object(forked, sub, prefix, in_or=True, depth=depth)
            rules.extend(forked)
        if len(value) < 2:
            self.fail("There must have at least 2 Objects in $or relationship.", path)

    def _leaf(self, rules: list[dict[str, _Leaf]], values: list[Any], path: str,
              depth: int) -> None:
        if not values:
            self.fail("Empty arrays are not allowed", path)
        self._check_source_leaf(path, depth)
        builder = _LeafBuilder(self.opts, path)
        for v in values:
            if isinstance(v, list):
                builder.fail("Match value must be String, number, true, false, or null")
            builder.add_value(v)
        leaf = builder.build()
        if not rules:
            rules.append({})
        for rule in rules:
            rule[path] = leaf  # a repeated path overrides, as in event-ruler

    def _check_source_leaf(self, path: str, depth: int) -> None:
        # Lambda requires the data part of stream records to be filtered as JSON: a leaf
        # pattern there is refused when the event source mapping is created.
        if depth != 1:
            return
        if self.opts.source == "kinesis" and path == "data":
            self.fail("The filter pattern for data properties (\"data\") must be a JSON object "
                      "for Kinesis event sources", path)
        if self.opts.source == "dynamodb" and path == "dynamodb":
            self.fail("The filter pattern for data properties (\"dynamodb\") must be a JSON "
                      "object for DynamoDB event sources", path)


# --------------------------------------------------------------------------------------------
# Matching: events are flattened to "a.b.c" -> [(value, array membership)], then each branch's
# fields are tried in sorted name order, never combining values from different elements of
# the same array (event-ruler's "array-consistent" matching, rulesForJSONEvent).


class _Program:
    __slots__ = ("branches", "keys", "children")

    def __init__(self, rules: list[dict[str, _Leaf]]) -> None:
        self.branches: list[_Branch] = [tuple(sorted(r.items())) for r in rules]
        self.keys = frozenset(k for r in rules for k in r)
        prefixes = {""}
        for key in self.keys:
            parts = key.split(".")
            for i in range(1, len(parts) + 1):
                prefixes.add(".".join(parts[:i]))
        # children[name] maps an event key found under ``name`` to the joined name it makes.
        # Names are joined with "." like event-ruler, so an event key "a.b" at the top and a
        # path a -> b both make "a.b"; only keys the pattern can use are ever looked up.
        children: dict[str, dict[str, str]] = {}
        for parent in prefixes:
            lead = f"{parent}." if parent else ""
            kids = {q[len(lead):]: q for q in prefixes if q and q.startswith(lead) and q != parent}
            if kids:
                children[parent] = kids
        self.children = children

    def flatten(self, obj: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
                ) -> tuple[dict[str, list[tuple[Any, tuple]]], bool]:
        """Leaf values under the pattern's paths, each with the arrays it sits in."""
        out: dict[str, list[tuple[Any, tuple]]] = {}
        state = [0]  # arrays seen; each gets its own id
        children, keys = self.children, self.keys
        for event_key, name in children.get("", {}).items():
            if overrides is not None and event_key in overrides:
                value = overrides[event_key]
            else:
                value = obj.get(event_key, _MISSING)
            if value is not _MISSING:
                _visit(value, name, (), children, keys, out, state)
        return out, state[0] > 0

    def matches_branch(self, branch: _Branch, flat: dict[str, list[tuple[Any, tuple]]],
                       has_arrays: bool) -> bool:
        if not has_arrays:
            for key, leaf in branch:
                fields = flat.get(key)
                if fields:
                    match = leaf.match
                    for v, _ in fields:
                        if match(v):
                            break
                    else:
                        return False  # present, so exists:false cannot rescue it either
                elif not leaf.absent_ok:
                    return False
            return True
        steps = []
        for key, leaf in branch:
            fields = flat.get(key, ())
            match = leaf.match
            candidates = list(dict.fromkeys(m for v, m in fields if match(v)))
            if not candidates and not leaf.absent_ok:
                return False
            steps.append((candidates, [m for _, m in fields] if leaf.absent_ok else None))
        return _search(steps)

    def matches(self, obj: Mapping[str, Any], overrides: Mapping[str, Any] | None = None
                ) -> bool:
        flat, has_arrays = self.flatten(obj, overrides)
        for branch in self.branches:
            if self.matches_branch(branch, flat, has_arrays):
                return True
        return False


def _visit(value: Any, name: str, member: tuple, children: dict[str, dict[str, str]],
           keys: frozenset[str], out: dict[str, list[tuple[Any, tuple]]],
           state: list[int]) -> None:
    if value is None or isinstance(value, _SCALARS):
        if name in keys:
            bucket = out.get(name)
            if bucket is None:
                out[name] = [(value, member)]
            else:
                bucket.append((value, member))
    elif isinstance(value, _SEQUENCES):
        state[0] += 1
        aid = state[0]
        for i, element in enumerate(value):
            _visit(element, name, (*member, (aid, i)), children, keys, out, state)
    elif isinstance(value, Mapping):
        kids = children.get(name)
        if kids:
            get = value.get
            for event_key, child in kids.items():
                v = get(event_key, _MISSING)
                if v is not _MISSING:
                    _visit(v, child, member, children, keys, out, state)
    elif name in keys:
        out.setdefault(name, []).append((value, member))


def _merge(acc: dict[int, int], member: tuple) -> dict[int, int] | None:
    if not member:
        return acc
    merged = None
    for aid, idx in member:
        cur = acc.get(aid)
        if cur is None:
            if merged is None:
                merged = dict(acc)
            merged[aid] = idx
        elif cur != idx:
            return None
    return acc if merged is None else merged


def _search(steps: list[tuple[list[tuple], list[tuple] | None]]) -> bool:
    """Is there a choice of one value per field (or an absence, for exists:false) that never
    takes two different elements of the same array?"""
    size = 1
    for candidates, _ in steps:
        size *= len(candidates) + 1
    if size <= 256:
        return _search_small(steps, 0, {})
    return _search_memo(steps)


def _search_small(steps: list[tuple[list[tuple], list[tuple] | None]], i: int,
                  acc: dict[int, int]) -> bool:
    if i == len(steps):
        return True
    candidates, all_members = steps[i]
    for member in candidates:
        merged = _merge(acc, member)
        if merged is not None and _search_small(steps, i + 1, merged):
            return True
    # exists:false holds when no value of the field is consistent with the choices so far.
    if all_members is not None and all(_merge(acc, m) is None for m in all_members):
        return _search_small(steps, i + 1, acc)
    return False


def _search_memo(steps: list[tuple[list[tuple], list[tuple] | None]]) -> bool:
    """The same search for big arrays: failures are memoised on the array choices later
    fields can still see, so fields in independent arrays do not multiply."""
    n = len(steps)
    visible: list[frozenset[int]] = [frozenset()] * (n + 1)
    for i in range(n - 1, -1, -1):
        candidates, all_members = steps[i]
        aids = {aid for m in candidates for aid, _ in m}
        if all_members:
            aids.update(aid for m in all_members for aid, _ in m)
        visible[i] = visible[i + 1] | aids
    failed: set[tuple] = set()

    def go(i: int, acc: dict[int, int]) -> bool:
        if i == n:
            return True
        seen = visible[i]
        state = (i, tuple(sorted(item for item in acc.items() if item[0] in seen)))
        if state in failed:
            return False
        candidates, all_members = steps[i]
        for member in candidates:
            merged = _merge(acc, member)
            if merged is not None and go(i + 1, merged):
                return True
        if all_members is not None and all(_merge(acc, m) is None for m in all_members):
            if go(i + 1, acc):
                return True
        failed.add(state)
        return False

    return go(0, {})


# --------------------------------------------------------------------------------------------
# Sources.


def _check_source(source: str) -> str:
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(SOURCES)}")
    return source


def _load_pattern(pattern: Any, opts: _Options) -> Any:
    if isinstance(pattern, bytes | bytearray):
        pattern = pattern.decode("utf-8", errors="replace")
    if isinstance(pattern, str):
        try:
            pattern = _loads(pattern)
        except (json.JSONDecodeError, ValueError) as e:
            msg = f"{e.msg} at line {e.lineno} column {e.colno}" if isinstance(
                e, json.JSONDecodeError) else str(e)
            raise InvalidPattern(f"Filter is not valid JSON: {msg}", "", opts.prefix) from None
    return pattern


def _json_container(value: Any) -> Any:
    """The parsed JSON object/array in a message body or record data, or _MISSING when it is
    a plain string (Lambda only treats structured JSON as JSON here)."""
    if isinstance(value, Mapping | list):
        return value
    if isinstance(value, bytes | bytearray):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return _MISSING
    if not isinstance(value, str):
        return _MISSING
    text = value.lstrip()
    if not text.startswith(("{", "[")):
        return _MISSING
    try:
        parsed = _loads(value)
    except ValueError:
        return _MISSING
    return parsed if isinstance(parsed, dict | list) else _MISSING


def _kinesis_data(value: Any) -> Any:
    if isinstance(value, Mapping | list):
        return value  # already decoded by the caller
    if isinstance(value, str):
        try:
            value = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return _MISSING
    return _json_container(value)


def _event_object(event: Any) -> Mapping[str, Any] | None:
    if isinstance(event, str | bytes | bytearray):
        try:
            event = _loads(event)
        except ValueError:
            return None
    return event if isinstance(event, Mapping) else None


def _build(pattern: Any, opts: _Options) -> Callable[[Any], bool]:
    program = _Program(_Compiler(opts).compile(_load_pattern(pattern, opts)))
    source = opts.source

    if source == "sqs":
        return _sqs_predicate(program)
    if source == "kinesis":
        return _kinesis_predicate(program)

    def predicate(event: Any) -> bool:
        obj = _event_object(event)
        return obj is not None and program.matches(obj)

    return predicate


def _sqs_predicate(program: _Program) -> Callable[[Any], bool]:
    # Lambda checks the body's format against the pattern's: a JSON body needs an object
    # pattern for "body", a plain-string body a leaf pattern; a mismatch drops the message.
    kinds = []
    for branch in program.branches:
        as_json = any(k.startswith("body.") for k, _ in branch)
        as_text = any(k == "body" for k, _ in branch)
        kinds.append("both" if as_json and as_text else
                     "json" if as_json else "text" if as_text else "none")
    needs_body = any(k != "none" for k in kinds)

    def predicate(record: Any) -> bool:
        obj = _event_object(record)
        if obj is None:
            return False
        parsed = _json_container(obj.get("body")) if needs_body else _MISSING
        flats: dict[str, tuple[dict, bool]] = {}
        for branch, kind in zip(program.branches, kinds, strict=True):
            if kind == "both" or (kind == "json" and parsed is _MISSING) or (
                    kind == "text" and parsed is not _MISSING):
                continue
            variant = "json" if kind == "json" else "raw"
            if variant not in flats:
                overrides = {"body": parsed} if variant == "json" else None
                flats[variant] = program.flatten(obj, overrides)
            if program.matches_branch(branch, *flats[variant]):
                return True
        return False

    return predicate


def _kinesis_predicate(program: _Program) -> Callable[[Any], bool]:
    wants_data = [any(k.startswith("data.") for k, _ in b) for b in program.branches]

    def predicate(record: Any) -> bool:
        obj = _event_object(record)
        if obj is None:
            return False
        inner = obj.get("kinesis")
        if isinstance(inner, Mapping):
            # The Lambda event nests the stream record under "kinesis"; filters name its
            # fields (data, partitionKey, ...) at the top level.
            obj = {**obj, **inner}
        parsed = _kinesis_data(obj.get("data", _MISSING)) if any(wants_data) else _MISSING
        flat, has_arrays = program.flatten(obj, {"data": parsed})
        return any(program.matches_branch(b, flat, has_arrays)
                   for b, wants in zip(program.branches, wants_data, strict=True)
                   if not (wants and parsed is _MISSING))

    return predicate


# --------------------------------------------------------------------------------------------
# SNS.


def _sns_combinations(obj: Mapping[str, Any], depth: int = 1, total: int = 1) -> int:
    """SNS's complexity: multiply each value list's length by its nesting depth; $or adds."""
    for key, value in obj.items():
        if isinstance(value, Mapping):
            total = _sns_combinations(value, depth + 1, total)
        elif isinstance(value, list):
            if key == _OR:
                total = sum(_sns_combinations(sub, depth, total) for sub in value
                            if isinstance(sub, Mapping))
            else:
                total *= len(value) * depth
    return total


def _sns_attribute_view(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Message attributes as the values a policy sees: Number attributes as numbers,
    String.Array attributes as arrays; Binary attributes cannot be filtered on."""
    view: dict[str, Any] = {}
    for name, attr in attributes.items():
        if not isinstance(attr, Mapping):
            view[name] = attr
            continue
        kind = str(attr.get("Type", attr.get("DataType", "String")))
        value = attr.get("Value", attr.get("StringValue"))
        if kind.startswith("Binary"):
            continue
        if kind.startswith("Number") and isinstance(value, str):
            try:
                num = _loads(value.strip())
            except ValueError:
                num = value
            view[name] = num if _is_num(num) else value
        elif kind.startswith("String.Array") and isinstance(value, str):
            try:
                arr = _loads(value)
            except ValueError:
                arr = value
            view[name] = arr
        else:
            view[name] = value
    return view


def _looks_like_sns_attributes(event: Any) -> bool:
    return isinstance(event, Mapping) and all(
        isinstance(a, Mapping) and ("Type" in a or "DataType" in a) for a in event.values())


# --------------------------------------------------------------------------------------------
# Public API.


def compile_pattern(pattern: Mapping[str, Any] | str,
                    source: str = "eventbridge") -> Callable[[dict], bool]:
    """Validate ``pattern`` once (raising InvalidPattern) and return a predicate over records.

    For ``sns`` the predicate takes either message attributes or a message body, like
    ``matches``; prefer compile_sns_filter_policy when the scope is known.
    """
    _check_source(source)
    if source == "sns":
        body = compile_sns_filter_policy(pattern, "MessageBody")
        try:
            attrs: Callable[[dict], bool] | None = compile_sns_filter_policy(
                pattern, "MessageAttributes")
        except InvalidPattern:
            attrs = None  # nested policies only make sense against a body

        def sns_predicate(event: dict) -> bool:
            if _looks_like_sns_attributes(event):
                return attrs is not None and attrs(event)
            return body(event)

        return sns_predicate
    return _build(pattern, _Options(source))


def matches(pattern: Mapping[str, Any] | str, event: Any, source: str = "eventbridge") -> bool:
    """Does ``event`` match ``pattern`` as ``source`` would filter it?

    Raises InvalidPattern for a pattern AWS rejects and ValueError for an unknown source.
    For ``sns``, ``event`` is the message attributes when it looks like them
    (``{"name": {"Type": ..., "Value": ...}}``), otherwise the message body.
    """
    _check_source(source)
    if source == "sns":
        scope = "MessageAttributes" if _looks_like_sns_attributes(event) else "MessageBody"
        return compile_sns_filter_policy(pattern, scope)(event)
    if isinstance(pattern, str):
        return _cached(pattern, source)(event)
    return _build(pattern, _Options(source))(event)


@lru_cache(maxsize=256)
def _cached(pattern: str, source: str) -> Callable[[Any], bool]:
    return _build(pattern, _Options(source))


def compile_filter_criteria(filter_criteria: Mapping[str, Any] | str | None,
                            source: str) -> Callable[[dict], bool] | None:
    """Compile a Lambda ESM ``FilterCriteria`` ({"Filters": [{"Pattern": ...}, ...]}).

    Filters are OR-ed; a record is delivered when any pattern matches.  Returns None when
    there are no filters (every record is delivered).
    """
    _check_source(source)
    opts = _Options(source)
    if isinstance(filter_criteria, str):
        filter_criteria = _load_pattern(filter_criteria, opts)
    if filter_criteria is None:
        return None
    if not isinstance(filter_criteria, Mapping):
        raise InvalidPattern("FilterCriteria must be an object with a Filters list", "",
                             opts.prefix)
    filters = filter_criteria.get("Filters")
    if filters is None:
        return None
    if not isinstance(filters, list):
        raise InvalidPattern("FilterCriteria.Filters must be a list", "Filters", opts.prefix)
    if not filters:
        return None
    if len(filters) > MAX_FILTERS:
        raise InvalidPattern(
            f"FilterCriteria has {len(filters)} filters; Lambda allows at most {MAX_FILTERS} "
            "per event source mapping (the default 'Filters per event source mapping' quota, "
            "which can be raised to 10 on request)", "Filters", opts.prefix)
    predicates = []
    for i, f in enumerate(filters):
        if not isinstance(f, Mapping) or "Pattern" not in f:
            raise InvalidPattern("each filter must be an object with a Pattern",
                                 f"Filters[{i}]", opts.prefix)
        try:
            predicates.append(compile_pattern(f["Pattern"], source))
        except InvalidPattern as e:
            where = f"Filters[{i}].Pattern" + (f".{e.path}" if e.path else "")
            raise InvalidPattern(e.reason, where, opts.prefix) from None
    if len(predicates) == 1:
        return predicates[0]
    preds = tuple(predicates)
    return lambda record: any(p(record) for p in preds)


def compile_sns_filter_policy(policy: Mapping[str, Any] | str,
                              scope: str = "MessageAttributes") -> Callable[[dict], bool]:
    """Compile an SNS subscription filter policy.

    With scope ``MessageAttributes`` (SNS's default) the predicate takes the message
    attributes (``{"name": {"Type": "String"|"Number"|"String.Array", "Value": "..."}}``);
    Number attributes compare numerically and String.Array values are JSON arrays whose
    elements are matched one by one.  With ``MessageBody`` it takes the message body, as a
    dict or JSON text; a body that is not a JSON object never matches.
    """
    if scope not in _SNS_SCOPES:
        raise ValueError(f"unknown filter policy scope {scope!r}; expected one of "
                         f"{', '.join(_SNS_SCOPES)}")
    opts = _Options("sns", scope)
    obj = _load_pattern(policy, opts)
    if isinstance(obj, Mapping) and len(obj) > _SNS_MAX_KEYS:
        raise InvalidPattern(f"Filter policy can not have more than {_SNS_MAX_KEYS} keys", "",
                             opts.prefix)
    program = _Program(_Compiler(opts).compile(obj))
    combinations = _sns_combinations(obj)
    if combinations > _SNS_MAX_COMBINATIONS:
        raise InvalidPattern(
            f"Filter policy is too complex ({combinations} value combinations; SNS allows "
            f"{_SNS_MAX_COMBINATIONS})", "", opts.prefix)

    if scope == "MessageAttributes":
        def on_attributes(attributes: dict) -> bool:
            if not isinstance(attributes, Mapping):
                return False
            return program.matches(_sns_attribute_view(attributes))

        return on_attributes

    def on_body(body: dict) -> bool:
        obj = _event_object(body)
        return obj is not None and program.matches(obj)

    return on_body


def s3_key_matches(filter_rules: list[Mapping[str, Any]], key: str) -> bool:
    """Does an object key pass S3 notification ``FilterRules``?

    ``filter_rules`` is ``[{"Name": "prefix"|"suffix", "Value": ...}]`` (Name is
    case-insensitive); at most one prefix and one suffix.  An empty list matches every key.
    Raises ValueError with S3's reason for rules S3 rejects.
    """
    if not isinstance(filter_rules, list):
        raise ValueError("S3 key filter rules must be a list of {Name, Value} objects")
    prefix = suffix = None
    for i, rule in enumerate(filter_rules):
        if not isinstance(rule, Mapping):
            raise ValueError(f"filter rule {i} must be an object with Name and Value")
        name, value = rule.get("Name"), rule.get("Value")
        if not isinstance(name, str) or name.lower() not in ("prefix", "suffix"):
            raise ValueError(f"filter rule {i}: name {name!r} is invalid; "
                             "filter rule name must be either prefix or suffix")
        if not isinstance(value, str):
            raise ValueError(f"filter rule {i} ({name}): Value must be a string")
        if len(value) > _S3_MAX_VALUE:
            raise ValueError(f"filter rule {i} ({name}): value is {len(value)} characters; "
                             f"the maximum is {_S3_MAX_VALUE}")
        if name.lower() == "prefix":
            if prefix is not None:
                raise ValueError("Cannot specify more than one prefix rule in a filter.")
            prefix = value
        else:
            if suffix is not None:
                raise ValueError("Cannot specify more than one suffix rule in a filter.")
            suffix = value
    return key.startswith(prefix or "") and key.endswith(suffix or "")
