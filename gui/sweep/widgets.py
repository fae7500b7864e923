"""Small widgets shared by the sweep panel, the compare view and the capacity finder:
a parameter picker (node or workload → numeric field → values) and a metric picker."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDoubleSpinBox,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from core.model import Scenario
from core.sweep import metric_keys
from gui.sweep.params import ParamChoice, numeric_fields, suggest_values, targets


class ParamPicker(QWidget):
    """Target (node, workload, account) → numeric field → values text.

    `values_mode` is "list" (sweep: `V1,V2,…` or `START:STOP:STEP`), "range" (finder:
    `LOW:HIGH` in two boxes is handled by the dialog) or "single" (compare: one value).
    The field box is editable, so any `--set` path can be typed.
    """

    changed = Signal()

    def __init__(self, values_mode: str = "list", parent: QWidget | None = None):
        super().__init__(parent)
        self.mode = values_mode
        self.target = QComboBox()
        self.target.setToolTip("Node, workload or account whose value changes")
        self.field = QComboBox()
        self.field.setEditable(True)
        self.field.setToolTip("The field to vary (any NODE.PATH can be typed)")
        self.field.setMinimumContentsLength(18)
        self.values = QLineEdit()
        self.values.setPlaceholderText({"list": "e.g. 10:200:10 or 1,2,5,10", "single": "value",
                                        "range": ""}[values_mode])
        self.values.setToolTip("Values: a list V1,V2,… or a range START:STOP:STEP (stop included)")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.target, 2)
        lay.addWidget(self.field, 3)
        if values_mode != "range":
            lay.addWidget(self.values, 2)
        self._scenario: Scenario | None = None
        self._choices: list[ParamChoice] = []
        self.target.currentIndexChanged.connect(self._fill_fields)
        self.field.currentIndexChanged.connect(self._suggest)
        self.field.editTextChanged.connect(lambda _t: self.changed.emit())
        self.values.textChanged.connect(lambda _t: self.changed.emit())

    def set_scenario(self, scenario: Scenario) -> None:
        """Refill the lists from a (changed) design, keeping the current choice if it still exists."""
        self._scenario = scenario
        keep_target, keep_path = self.target.currentData(), self.path()
        self.target.blockSignals(True)
        self.target.clear()
        for tid, label in targets(scenario):
            self.target.addItem(label, tid)
        i = self.target.findData(keep_target)
        self.target.setCurrentIndex(i if i >= 0 else self._default_target())
        self.target.blockSignals(False)
        self._fill_fields(keep=keep_path)

    def _default_target(self) -> int:
        # Functions are what people size first.
        sc = self._scenario
        for i, n in enumerate(sc.nodes if sc else []):
            if n.kind == "Function":
                return i
        return 0

    def select_target(self, target_id: str | None) -> None:
        if target_id is None:
            return
        i = self.target.findData(target_id)
        if i >= 0:
            self.target.setCurrentIndex(i)

    def select_path(self, path: str) -> None:
        self.select_target(path.split(".", 1)[0])
        i = self.field.findData(path)
        if i >= 0:
            self.field.setCurrentIndex(i)
        else:
            self.field.setEditText(path)

    def _fill_fields(self, *_args, keep: str | None = None) -> None:
        sc = self._scenario
        tid = self.target.currentData()
        self._choices = numeric_fields(sc, tid) if sc is not None and tid else []
        self.field.blockSignals(True)
        self.field.clear()
        for c in self._choices:
            self.field.addItem(c.label, c.path)
        idx = self.field.findData(keep) if keep else -1
        if idx < 0:
            idx = next((i for i, c in enumerate(self._choices)
                        if c.path.endswith(("ReservedConcurrentExecutions", "MaximumConcurrency",
                                            "arrivals.rate", "ConcurrentExecutions"))), 0)
        if self._choices:
            self.field.setCurrentIndex(idx)
        self.field.blockSignals(False)
        if keep is None or self.field.findData(keep) < 0:
            self._suggest()
        self.changed.emit()

    def choice(self) -> ParamChoice | None:
        path = self.path()
        return next((c for c in self._choices if c.path == path), None)

    def _suggest(self, *_args) -> None:
        c = self.choice()
        if c is None:
            return
        if self.mode == "list":
            self.values.setText(suggest_values(c))
        elif self.mode == "single" and c.current is not None:
            self.values.setText(f"{c.current:g}")
        self.changed.emit()

    def path(self) -> str:
        i = self.field.currentIndex()
        text = self.field.currentText().strip()
        if i >= 0 and self.field.itemText(i) == text:
            return self.field.itemData(i) or text
        return text

    def label(self) -> str:
        c = self.choice()
        return f"{self.path()}" + (f" ({c.unit})" if c and c.unit else "")

    def spec(self) -> str:
        """`NODE.PATH=VALUES`, as the CLI's --set takes it."""
        return f"{self.path()}={self.values.text().strip()}"


class MetricCombo(QComboBox):
    """An editable list of the design's metric keys (NODE.METRIC.STAT, accounting.*, cost.*)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMinimumContentsLength(26)
        self.setToolTip("Metric key: NODE.METRIC.STAT, accounting.FIELD or cost.total_usd")
        comp = QCompleter(self)
        comp.setFilterMode(Qt.MatchFlag.MatchContains)
        comp.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompleter(comp)

    def set_scenario(self, scenario: Scenario, prefer: tuple[str, ...] = ()) -> None:
        keep = self.currentText()
        keys = metric_keys(scenario)
        self.blockSignals(True)
        self.clear()
        self.addItems(keys)
        self.completer().setModel(self.model())
        if keep and keep in keys:
            self.setCurrentText(keep)
        else:
            pick = next((k for p in prefer for k in keys if k.endswith(p)), keys[0] if keys else "")
            self.setCurrentText(pick)
        self.blockSignals(False)

    def key(self) -> str:
        return self.currentText().strip()


def replications_box(default: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(1, 200)
    box.setValue(default)
    box.setToolTip("Runs per point, each with its own seed; the same seeds at every point")
    return box


def workers_box() -> QSpinBox:
    box = QSpinBox()
    n = os.cpu_count() or 1
    box.setRange(0, max(64, n))
    box.setValue(n)
    box.setSpecialValueText("in app")
    box.setToolTip("Worker processes (0: run inside the app, one at a time)")
    return box


def duration_box() -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(0, 31 * 86400)
    box.setDecimals(0)
    box.setSuffix(" s")
    box.setSpecialValueText("scenario")
    box.setValue(0)
    box.setToolTip("Simulated seconds per run (\"scenario\": the design's own duration)")
    return box


def duration_of(box: QDoubleSpinBox) -> float | None:
    v = box.value()
    return None if v <= 0 else float(v)
