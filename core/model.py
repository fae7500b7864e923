"""The scenario file model (SPEC §1): pydantic classes, JSON load/save, `--set` overrides.

Structure is checked here; AWS property ranges and graph rules are checked in
`core.validate`. Scenarios are plain data: picklable, comparable, no global state.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

FORMAT = "triggerscope/1"

NodeKind = Literal[
    "ApiGateway",
    "S3Bucket",
    "SNSTopic",
    "EventBridgeRule",
    "Schedule",
    "SQSQueue",
    "KinesisStream",
    "DynamoDBTable",
    "EventSourceMapping",
    "Function",
    "Dependency",
]
NODE_KINDS: tuple[str, ...] = NodeKind.__args__  # type: ignore[attr-defined]

EdgeRole = Literal[
    "invoke", "deliver", "poll", "dlq", "redrive", "on_failure", "on_success", "emits", "calls"
]
EDGE_ROLES: tuple[str, ...] = EdgeRole.__args__  # type: ignore[attr-defined]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- distributions ---------------------------------------------------------------


class ConstDist(_Strict):
    dist: Literal["const"]
    value: float = Field(ge=0)


class ExpDist(_Strict):
    dist: Literal["exp"]
    mean: float = Field(gt=0)


class LognormalDist(_Strict):
    dist: Literal["lognormal"]
    median: float = Field(gt=0)
    p99: float = Field(gt=0)

    @field_validator("p99")
    @classmethod
    def _p99_above_median(cls, v: float, info) -> float:
        med = info.data.get("median")
        if med is not None and v < med:
            raise ValueError("p99 must be at least the median")
        return v


class UniformDist(_Strict):
    dist: Literal["uniform"]
    low: float = Field(ge=0)
    high: float = Field(ge=0)

    @field_validator("high")
    @classmethod
    def _high_above_low(cls, v: float, info) -> float:
        low = info.data.get("low")
        if low is not None and v < low:
            raise ValueError("high must be at least low")
        return v


class EmpiricalDist(_Strict):
    dist: Literal["empirical"]
    samples: list[Annotated[float, Field(ge=0)]] = Field(min_length=1)


Distribution = Annotated[
    ConstDist | ExpDist | LognormalDist | UniformDist | EmpiricalDist, Field(discriminator="dist")
]


# --- workloads -------------------------------------------------------------------


class Arrivals(_Strict):
    """How events arrive: a rate process, a rate profile, a burst, or a replay."""

    process: Literal["poisson", "constant", "profile", "burst", "replay"] = "poisson"
    rate: float | None = Field(default=None, ge=0)
    profile: list[tuple[float, float]] | None = None
    interpolate: Literal["step", "linear"] = "step"
    count: int | None = Field(default=None, ge=0)
    at: float | None = Field(default=None, ge=0)
    spread: float = Field(default=0.0, ge=0, description="burst spread over this many seconds")
    file: str | None = None
    times: list[float] | None = None
    start: float = Field(default=0.0, ge=0)
    end: float | None = Field(default=None, ge=0)

    @field_validator("profile")
    @classmethod
    def _profile_sorted(cls, v):
        if v is None:
            return v
        if not v:
            raise ValueError("profile needs at least one [t, rate] point")
        ts = [p[0] for p in v]
        if any(b < a for a, b in zip(ts, ts[1:], strict=False)):
            raise ValueError("profile times must be ascending")
        if any(p[1] < 0 for p in v) or any(p[0] < 0 for p in v):
            raise ValueError("profile times and rates must be >= 0")
        return v


class EventTemplate(_Strict):
    weight: float = Field(default=1.0, ge=0)
    payload: Any = None
    poison: bool = False
    partition_keys: int | list[str] | None = None
    message_groups: int | list[str] | None = None
    size_bytes: int | None = Field(default=None, ge=0, le=10 * 1024 * 1024)


class Workload(_Strict):
    id: str = Field(min_length=1)
    target: str
    arrivals: Arrivals = Field(default_factory=Arrivals)
    events: list[EventTemplate] = Field(default_factory=lambda: [EventTemplate()])
    InvocationType: Literal["Event", "RequestResponse"] | None = None


# --- graph -----------------------------------------------------------------------


class Node(_Strict):
    id: str = Field(min_length=1)
    kind: NodeKind
    properties: dict[str, Any] = Field(default_factory=dict)
    behavior: dict[str, Any] = Field(default_factory=dict)
    position: tuple[float, float] | None = None
    description: str | None = None


class Edge(_Strict):
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    role: EdgeRole
    properties: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.source, self.target, self.role)


class Account(_Strict):
    ConcurrentExecutions: int = Field(default=1000, ge=1, le=10_000_000)
    ScalingRatePer10Seconds: int = Field(default=1000, ge=1, le=10_000_000)
    Region: str = "us-east-1"


class SimulationSettings(_Strict):
    DurationSeconds: float = Field(default=600.0, gt=0, le=31 * 86400)
    Seed: int = Field(default=0, ge=0)
    MetricPeriodSeconds: float = Field(default=1.0, gt=0)
    StartTime: str = Field(default="2026-01-05T00:00:00Z", description="wall-clock time at t=0, for cron()")

    @field_validator("StartTime")
    @classmethod
    def _iso(cls, v: str) -> str:
        from datetime import datetime

        try:
            datetime.fromisoformat(v.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("StartTime must be an ISO 8601 time such as 2026-01-05T00:00:00Z") from None
        return v


class Scenario(_Strict):
    format: Literal["triggerscope/1"] = FORMAT
    name: str = "Untitled"
    description: str | None = None
    account: Account = Field(default_factory=Account)
    simulation: SimulationSettings = Field(default_factory=SimulationSettings)
    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)
    workloads: list[Workload] = Field(default_factory=list)

    # Where the file was loaded from, so replay CSVs can be found next to it.
    base_dir: str | None = Field(default=None, exclude=True)

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"


class ScenarioError(ValueError):
    """A scenario file could not be read; `problems` are (JSON path, reason) pairs."""

    def __init__(self, problems: list[tuple[str, str]], source: str = ""):
        self.problems = problems
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(f"{p}: {m}" for p, m in problems))


def _path_str(loc: tuple) -> str:
    out = "$"
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}"
    return out


def _friendly_loc(loc: tuple) -> tuple:
    """Drop pydantic's union tags from a location so paths match the JSON file."""
    out = []
    for part in loc:
        if isinstance(part, str) and part in (
            "const", "exp", "lognormal", "uniform", "empirical", "int", "list[str]",
        ):
            continue
        out.append(part)
    return tuple(out)


def from_dict(data: Any, source: str = "") -> Scenario:
    """Build a Scenario from parsed JSON, raising ScenarioError with JSON paths."""
    if not isinstance(data, dict):
        raise ScenarioError([("$", "the file must contain a JSON object")], source)
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise ScenarioError(
            [("$.format", f"unsupported format {fmt!r}; this version reads {FORMAT!r}")], source
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            loc = _friendly_loc(err["loc"])
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown field"
            problems.append((_path_str(loc), msg))
        raise ScenarioError(problems, source) from None


def loads(text: str, source: str = "") -> Scenario:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ScenarioError(
            [("$", f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}")], source
        ) from None
    return from_dict(data, source)


def load(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([("$", "file not found")], str(path)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ScenarioError([("$", f"cannot read file: {e}")], str(path)) from None
    sc = loads(text, str(path))
    sc.base_dir = str(path.resolve().parent)
    return sc


def save(scenario: Scenario, path: str | Path) -> None:
    """Write atomically: a crash mid-write never leaves a truncated design."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(scenario.to_json(), encoding="utf-8")
    tmp.replace(path)


# --- --set overrides -------------------------------------------------------------


def parse_value(text: str) -> Any:
    """`--set` values: JSON when it parses (numbers, true, objects), else a string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_set(scenario: Scenario, path: str, value: Any) -> Scenario:
    """Return a copy with `NODE.PATH=VALUE` applied (node, workload, account or simulation).

    `worker.properties.ReservedConcurrentExecutions`, `checkout.arrivals.rate`,
    `account.ConcurrentExecutions`, `simulation.Seed`.
    """
    head, _, rest = path.partition(".")
    if not rest:
        raise ScenarioError([(path, "expected ID.FIELD[.FIELD…]=VALUE")])
    data = scenario.to_dict()
    if head in ("account", "simulation") and not any(
        n["id"] == head for n in data["nodes"]
    ):
        target = data.setdefault(head, {})
    else:
        target = next((n for n in data["nodes"] if n["id"] == head), None)
        if target is None:
            target = next((w for w in data["workloads"] if w["id"] == head), None)
        if target is None:
            raise ScenarioError([(path, f"no node or workload with id {head!r}")])
    keys = rest.split(".")
    cur = target
    for k in keys[:-1]:
        nxt = cur.get(k)
        if nxt is None:
            nxt = cur[k] = {}
        if not isinstance(nxt, dict):
            raise ScenarioError([(path, f"{k!r} is not an object")])
        cur = nxt
    cur[keys[-1]] = value
    new = from_dict(data, f"--set {path}")
    new.base_dir = scenario.base_dir
    return new


def apply_sets(scenario: Scenario, assignments: list[str]) -> Scenario:
    for item in assignments:
        path, eq, raw = item.partition("=")
        if not eq:
            raise ScenarioError([(item, "expected NODE.PATH=VALUE")])
        scenario = apply_set(scenario, path.strip(), parse_value(raw.strip()))
    return scenario

