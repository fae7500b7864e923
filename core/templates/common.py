"""Names shared by template import and export."""

from __future__ import annotations

import re

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
META_KEY = "Triggerscope"  # template-level and resource-level Metadata key
META_FORMAT = "triggerscope-template/1"

REGION = "us-east-1"
ACCOUNT = "123456789012"
PARTITION = "aws"
STACK = "stack"

PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": PARTITION,
    "AWS::StackName": STACK,
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK}/00000000-0000-0000-0000-000000000000",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": [],
}

DEFAULT_DURATION = {"dist": "lognormal", "median": 0.1, "p99": 0.5}
DEFAULT_FUNCTION_BEHAVIOR = {"Duration": dict(DEFAULT_DURATION), "ErrorRate": 0.0}
API_RATE = 10.0
SOURCE_RATE = 1.0

_LOGICAL_ID = re.compile(r"^[A-Za-z0-9]{1,255}$")


class TemplateError(ValueError):
    """A template that cannot be read; the message names the file and place.

    `source` is the file (or "<text>"), `logical_id` the resource, `path` a property
    path inside it and `line` the 1-based line, each when known.
    """

    def __init__(self, message: str, *, source: str = "", logical_id: str | None = None,
                 path: str | None = None, line: int | None = None):
        self.source = source
        self.logical_id = logical_id
        self.path = path
        self.line = line
        where = []
        if source:
            where.append(source)
        if line is not None:
            where.append(f"line {line}")
        if logical_id:
            where.append(f"resource {logical_id}" + (f" {path}" if path else ""))
        elif path:
            where.append(path)
        super().__init__((": ".join(where) + ": " if where else "") + message)


def is_logical_id(text: str) -> bool:
    return bool(_LOGICAL_ID.match(text))


def sanitize_id(text: str) -> str:
    """A CloudFormation logical id (alphanumeric) from any node id, keeping word breaks readable."""
    parts = re.split(r"[^A-Za-z0-9]+", text)
    out = "".join(p[:1].upper() + p[1:] if i else p for i, p in enumerate(parts) if p)
    if not out:
        out = "Node"
    return out[:200]
