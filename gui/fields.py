"""Form rows built from `core.catalog.Field`: an editor per type with AWS's default as the
placeholder, the unit, a one-line help and an inline error. Rows never touch the model: they
call `on_commit(value)` (None means "unset: use the default") and the owner pushes a command.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.catalog import Field
from core.model import Distribution
from gui import theme

_dist = TypeAdapter(Distribution)

DIST_PARAMS = {
    "const": ("value",),
    "exp": ("mean",),
    "lognormal": ("median", "p99"),
    "uniform": ("low", "high"),
    "empirical": ("samples",),
}


def fmt(value: Any) -> str:
    """A value as the user types it: numbers plainly, JSON compactly."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Lossless: 345600.0 → "345600", 0.25 → "0.25" (never "%g"'s rounding).
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(", ", ": "))


def _num(v: float) -> str:
    """Range ends as people read them: 10,000,000 rather than 1e+07."""
    return f"{int(v):,}" if float(v).is_integer() else f"{v:g}"


def describe_dist(d: Any) -> str:
    if d is None:
        return "none"
    if not isinstance(d, dict):
        return fmt(d)
    kind = d.get("dist")
    if kind == "const":
        return f"constant {fmt(d.get('value'))} s"
    if kind == "exp":
        return f"exponential, mean {fmt(d.get('mean'))} s"
    if kind == "lognormal":
        return f"lognormal, median {fmt(d.get('median'))} s, p99 {fmt(d.get('p99'))} s"
    if kind == "uniform":
        return f"uniform {fmt(d.get('low'))}–{fmt(d.get('high'))} s"
    if kind == "empirical":
        return f"empirical, {len(d.get('samples') or [])} samples"
    return fmt(d)


def parse(spec: Field, text: str) -> Any:
    """Text → value for `spec`; raises ValueError with the reason the user sees inline."""
    t = text.strip()
    if t == "":
        return None
    if spec.type == "int":
        try:
            v = float(t)
        except ValueError:
            raise ValueError(f"{t!r} is not a number") from None
        if not v.is_integer():
            raise ValueError(f"{t} is not a whole number")
        return int(v)
    if spec.type == "float":
        try:
            v = float(t)
        except ValueError:
            raise ValueError(f"{t!r} is not a number") from None
        return int(v) if v.is_integer() and "." not in t and "e" not in t.lower() else v
    if spec.type == "json":
        try:
            return json.loads(t)
        except json.JSONDecodeError as e:
            raise ValueError(f"not valid JSON: {e.msg} (column {e.colno})") from None
    return t


class FieldRow(QWidget):
    """One field: title and unit, editor, reset button, help line, inline error."""

    committed = Signal(object)

    def __init__(self, spec: Field, on_commit: Callable[[Any], None], title: str | None = None,
                 default_text: str | None = None, nullable_dist: bool = False):
        super().__init__()
        self.spec = spec
        self.key = (spec.section, spec.path)
        self._on_commit = on_commit
        self._value: Any = None
        self._updating = False
        self.nullable_dist = nullable_dist
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 4, 0, 4)
        outer.setSpacing(2)
        head = QHBoxLayout()
        head.setSpacing(6)
        name = title or spec.path.replace(".", " › ")
        self.title = ElidedLabel(name)
        self.title.setStyleSheet(f"color:{theme.TEXT};font-weight:600;")
        self.title.setToolTip(f"{spec.section}.{spec.path}")
        head.addWidget(self.title, 1)
        if spec.unit:
            unit = QLabel(spec.unit)
            unit.setStyleSheet(f"color:{theme.TEXT_FAINT};")
            head.addWidget(unit)
        self.reset = QToolButton()
        self.reset.setText("↺")
        self.reset.setToolTip("Reset to AWS's default")
        self.reset.setAutoRaise(True)
        self.reset.clicked.connect(lambda: self._commit(None))
        self.reset.setFixedSize(20, 20)
        head.addWidget(self.reset)
        outer.addLayout(head)
        self.default_text = default_text if default_text is not None else fmt(spec.default)
        self.editor = self._make_editor()
        outer.addWidget(self.editor)
        help_text = spec.help or ""
        if spec.min is not None and spec.max is not None and spec.type in ("int", "float"):
            rng = f"{_num(spec.min)}–{_num(spec.max)}"
            if spec.allowed:
                rng += " or " + ", ".join(map(str, spec.allowed))
            help_text = f"{help_text} · range {rng}" if help_text else f"range {rng}"
        self.help = QLabel(help_text)
        self.help.setObjectName("FieldHelp")
        self.help.setWordWrap(True)
        outer.addWidget(self.help)
        self.error = QLabel()
        self.error.setObjectName("FieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        outer.addWidget(self.error)
        self._parse_error: str | None = None
        self._problem: str | None = None
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    # --- editors -------------------------------------------------------------------------------
    def _make_editor(self) -> QWidget:
        spec = self.spec
        if spec.type in ("bool", "enum"):
            box = QComboBox()
            box.addItem(f"default ({self.default_text or 'unset'})", None)
            choices = (True, False) if spec.type == "bool" else spec.choices
            for c in choices:
                box.addItem(fmt(c), c)
            box.activated.connect(lambda _i: self._commit(box.currentData()))
            return box
        if spec.type == "dist":
            return DistEditor(self, self.default_text)
        edit = QLineEdit()
        edit.setPlaceholderText(f"default: {self.default_text}" if self.default_text else "not set")
        if spec.type == "json":
            edit.setFont(theme.mono_font(8.5))
        edit.editingFinished.connect(self._line_finished)
        return edit

    def _line_finished(self) -> None:
        if self._updating:
            return
        text = self.editor.text()
        try:
            value = parse(self.spec, text)
        except ValueError as e:
            self.set_parse_error(str(e))
            return
        self.set_parse_error(None)
        self._commit(value)

    def _commit(self, value: Any) -> None:
        if self._updating:
            return
        self.set_parse_error(None)
        if value == self._value and type(value) is type(self._value):
            return
        self._on_commit(value)
        self.committed.emit(value)

    # --- model → row -----------------------------------------------------------------------------
    def show_value(self, value: Any, present: bool = True) -> None:
        """Show the model's value (None: unset). A field being typed into is left alone."""
        self._value = value
        self._updating = True
        try:
            ed = self.editor
            if isinstance(ed, QComboBox):
                idx = ed.findData(value) if value is not None else 0
                if value is not None and idx < 0:
                    ed.addItem(fmt(value), value)
                    idx = ed.count() - 1
                if isinstance(value, bool) or value is None:
                    # findData(True) also matches 1; look the bool up explicitly.
                    for i in range(ed.count()):
                        d = ed.itemData(i)
                        if d is value or (d is None and value is None):
                            idx = i
                            break
                ed.setCurrentIndex(max(idx, 0))
            elif isinstance(ed, DistEditor):
                ed.show_value(value, present)
            elif not ed.hasFocus() or self._parse_error is None:
                if ed.text() != fmt(value):
                    ed.setText(fmt(value))
                    ed.setCursorPosition(0)
        finally:
            self._updating = False
        self.reset.setVisible(value is not None or (self.nullable_dist and present))

    def set_parse_error(self, message: str | None) -> None:
        self._parse_error = message
        self._refresh_error()

    def set_problem(self, message: str | None, severity: str = "error") -> None:
        self._problem = message
        self._problem_severity = severity
        self._refresh_error()

    def error_text(self) -> str:
        """The inline message shown under the field ("" when none)."""
        return "" if self.error.isHidden() else self.error.text()

    def _refresh_error(self) -> None:
        msg = self._parse_error or self._problem
        invalid = bool(msg)
        self.error.setObjectName("FieldError" if (self._parse_error or getattr(self, "_problem_severity", "error") == "error") else "FieldWarning")
        self.error.setStyleSheet("")  # re-polish the object name
        self.error.setText(msg or "")
        self.error.setVisible(invalid)
        target = self.editor if not isinstance(self.editor, DistEditor) else self.editor.kind
        if target.property("invalid") != invalid:
            target.setProperty("invalid", invalid)
            target.style().unpolish(target)
            target.style().polish(target)


class DistEditor(QWidget):
    """A distribution: its family and one or two parameters (seconds)."""

    def __init__(self, row: FieldRow, default_text: str):
        super().__init__()
        self.row = row
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        self.kind = QComboBox()
        self.kind.addItem("default", "default")
        if row.nullable_dist:
            self.kind.addItem("none", "none")
        for k in DIST_PARAMS:
            self.kind.addItem(k, k)
        self.kind.setToolTip(f"default: {default_text}")
        self.kind.activated.connect(self._kind_changed)
        lay.addWidget(self.kind)
        self.params: list[QLineEdit] = []
        for _ in range(2):
            e = QLineEdit()
            e.setMinimumWidth(48)
            e.editingFinished.connect(self._commit)
            lay.addWidget(e, 1)
            self.params.append(e)
        self._default = row.spec.default
        self._layout_params("default")

    def _layout_params(self, kind: str) -> None:
        names = DIST_PARAMS.get(kind, ())
        src = self._default if kind == "default" else None
        for i, e in enumerate(self.params):
            if i < len(names):
                e.show()
                e.setPlaceholderText(names[i] + (" (comma-separated)" if names[i] == "samples" else ""))
                e.setToolTip(f"{names[i]} in seconds")
            elif kind == "default" and i == 0:
                e.show()
                e.setEnabled(False)
                e.setText(describe_dist(src))
            else:
                e.hide()
            if kind != "default":
                e.setEnabled(True)
        if kind == "none":
            for e in self.params:
                e.hide()

    def hasFocus(self) -> bool:  # noqa: N802 - Qt naming
        return any(e.hasFocus() for e in self.params)

    def show_value(self, value: Any, present: bool) -> None:
        if not present:
            kind = "default"
        elif value is None:
            kind = "none"
        else:
            kind = value.get("dist", "default") if isinstance(value, dict) else "default"
        i = self.kind.findData(kind)
        self.kind.setCurrentIndex(max(i, 0))
        self._layout_params(kind)
        names = DIST_PARAMS.get(kind, ())
        for j, name in enumerate(names):
            v = value.get(name) if isinstance(value, dict) else None
            if name == "samples" and isinstance(v, list):
                text = ", ".join(fmt(x) for x in v)
            else:
                text = fmt(v)
            if not self.params[j].hasFocus():
                self.params[j].setText(text)

    def _kind_changed(self, _index: int) -> None:
        kind = self.kind.currentData()
        self._layout_params(kind)
        if kind == "default":
            self.row._commit(None)
        elif kind == "none":
            self.row._on_commit(_NULL)
        else:
            for e in self.params:
                e.setText("")
            cur = self.row._value if isinstance(self.row._value, dict) else None
            seed = _seed(kind, cur or self._default)
            for j, name in enumerate(DIST_PARAMS[kind]):
                v = seed.get(name)
                self.params[j].setText(", ".join(fmt(x) for x in v) if isinstance(v, list) else fmt(v))
            self._commit()

    def _commit(self) -> None:
        kind = self.kind.currentData()
        if kind in ("default", "none") or self.row._updating:
            return
        value: dict[str, Any] = {"dist": kind}
        try:
            for j, name in enumerate(DIST_PARAMS[kind]):
                text = self.params[j].text().strip()
                if name == "samples":
                    value[name] = [float(x) for x in text.replace(";", ",").split(",") if x.strip()]
                else:
                    value[name] = float(text)
        except ValueError:
            self.row.set_parse_error("parameters must be numbers (seconds)")
            return
        try:
            _dist.validate_python(value)
        except ValidationError as e:
            self.row.set_parse_error(f"invalid distribution: {e.errors()[0]['msg']}")
            return
        self.row._commit(value)


class _Null:
    """Marks an explicit null (ColdStart: none) as distinct from "unset"."""

    def __repr__(self) -> str:
        return "null"


_NULL = _Null()
NULL = _NULL


def _seed(kind: str, base: Any) -> dict:
    """Starting parameters for a new family, derived from the current or default value."""
    m = 0.1
    if isinstance(base, dict):
        for key in ("median", "mean", "value", "low"):
            if isinstance(base.get(key), int | float) and base[key] > 0:
                m = float(base[key])
                break
    return {
        "const": {"value": m},
        "exp": {"mean": m},
        "lognormal": {"median": m, "p99": round(m * 5, 6)},
        "uniform": {"low": m, "high": round(m * 2, 6)},
        "empirical": {"samples": [m, m * 2, m * 3]},
    }[kind]


class ElidedLabel(QLabel):
    """A one-line label that elides in the middle instead of widening its form
    ("EventInvokeConfig › Maximu…InSeconds"); the full text is in the tooltip."""

    def __init__(self, text: str):
        super().__init__(text)
        self._full = text
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, self.width())
        if shown != self.text():
            self.setText(shown)
            if shown != self._full and self._full not in self.toolTip():
                self.setToolTip(f"{self._full}\n{self.toolTip()}")


def section_title(text: str) -> QLabel:
    lab = QLabel(text.upper())
    lab.setObjectName("SectionTitle")
    lab.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
    return lab
