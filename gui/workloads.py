"""Workloads in the inspector: the traffic aimed at the selected node (or all of it when nothing
is selected), with arrivals and weighted payload templates. Each change is validated by the
pydantic model first; a value the model rejects is marked inline and not applied.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.catalog import Field
from core.model import Workload
from core.validate import WORKLOAD_TARGETS
from gui import theme
from gui.document import ScenarioDocument
from gui.document.document import article
from gui.fields import FieldRow, fmt, section_title

ARRIVAL_FIELDS = (
    Field("process", "enum", "poisson", choices=("poisson", "constant", "profile", "burst", "replay"),
          help="how events arrive", section="arrivals"),
    Field("rate", "float", None, 0, None, "events/s", "poisson / constant: mean arrival rate", section="arrivals"),
    Field("profile", "json", None, help="[[t, rate], …] in seconds and events/s", section="arrivals"),
    Field("interpolate", "enum", "step", choices=("step", "linear"), help="between profile points", section="arrivals"),
    Field("count", "int", None, 0, None, "events", "burst: how many", section="arrivals"),
    Field("at", "float", None, 0, None, "s", "burst: when", section="arrivals"),
    Field("spread", "float", 0, 0, None, "s", "burst: spread over this long", section="arrivals"),
    Field("file", "str", None, help="replay: CSV of timestamps, next to the scenario file", section="arrivals"),
    Field("start", "float", 0, 0, None, "s", "no arrivals before this", section="arrivals"),
    Field("end", "float", None, 0, None, "s", "no arrivals after this", section="arrivals"),
)
INVOCATION_FIELD = Field("InvocationType", "enum", None, choices=("Event", "RequestResponse"),
                         help="for a function target: asynchronous (Event) or synchronous", section="workload")


def summary(w: Workload) -> str:
    a = w.arrivals
    if a.process in ("poisson", "constant") and a.rate is not None:
        rate = f"{a.process} {a.rate:g}/s"
    elif a.process == "burst":
        rate = f"burst of {a.count} at {a.at:g} s" if a.count is not None and a.at is not None else "burst"
    else:
        rate = a.process
    return f"{w.id} → {w.target} · {rate} · {len(w.events)} template{'s' if len(w.events) != 1 else ''}"


class WorkloadsPanel(QWidget):
    def __init__(self, document: ScenarioDocument, parent=None):
        super().__init__(parent)
        self.document = document
        self.node_id: str | None = None
        self.current: str | None = None  # workload id being edited
        self.rows: dict[tuple[str, str], FieldRow] = {}
        self._problems: list = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.setSpacing(6)
        self.caption = QLabel()
        self.caption.setObjectName("Hint")
        self.caption.setWordWrap(True)
        lay.addWidget(self.caption)
        self.list = QListWidget()
        self.list.setMaximumHeight(110)
        self.list.setStyleSheet(f"QListWidget{{border:1px solid {theme.BORDER};border-radius:4px;}}")
        self.list.currentItemChanged.connect(self._pick)
        lay.addWidget(self.list)
        buttons = QHBoxLayout()
        self.add_button = QPushButton("Add workload")
        self.add_button.clicked.connect(self.add_workload)
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_workload)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        lay.addLayout(buttons)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lay.addWidget(self.scroll, 1)
        document.changed.connect(self.refresh)
        self.show_for(None)

    # --- which workloads -----------------------------------------------------------------------
    def _visible(self) -> list[Workload]:
        wl = self.document.scenario.workloads
        return [w for w in wl if self.node_id is None or w.target == self.node_id]

    def show_for(self, node_id: str | None) -> None:
        self.node_id = node_id
        node = self.document.node(node_id) if node_id else None
        if node is not None and node.kind not in WORKLOAD_TARGETS:
            label = theme.kind_info(node.kind).label
            self.caption.setText(f"{article(label).capitalize()} {label} cannot receive a workload; "
                                 "aim traffic at a source, queue, stream or function.")
            self.add_button.setEnabled(False)
        else:
            self.caption.setText(f"Traffic sent to {node_id}" if node_id else "All workloads of the scenario")
            self.add_button.setEnabled(bool(self._targets()))
        visible = self._visible()
        self.current = visible[0].id if visible else None
        self.refresh()

    def _targets(self) -> list[str]:
        return [n.id for n in self.document.scenario.nodes if n.kind in WORKLOAD_TARGETS]

    def refresh(self) -> None:
        visible = self._visible()
        ids = [w.id for w in visible]
        if self.current not in ids:
            self.current = ids[0] if ids else None
        self.list.blockSignals(True)
        self.list.clear()
        for w in visible:
            it = QListWidgetItem(summary(w))
            it.setData(Qt.ItemDataRole.UserRole, w.id)
            self.list.addItem(it)
            if w.id == self.current:
                self.list.setCurrentItem(it)
        self.list.blockSignals(False)
        self.remove_button.setEnabled(self.current is not None)
        if self.node_id is None or (self.document.node(self.node_id) and
                                    self.document.node(self.node_id).kind in WORKLOAD_TARGETS):
            self.add_button.setEnabled(bool(self._targets()))
        self._build_editor()

    def _pick(self, item, _prev) -> None:
        if item is not None:
            self.current = item.data(Qt.ItemDataRole.UserRole)
            self._build_editor()

    def workload(self) -> Workload | None:
        for w in self.document.scenario.workloads:
            if w.id == self.current:
                return w
        return None

    # --- editor ------------------------------------------------------------------------------------
    def _build_editor(self) -> None:
        w = self.workload()
        key = (w.model_dump_json() if w else None, tuple(n.id for n in self.document.scenario.nodes))
        if getattr(self, "_built_for", None) == key and self.scroll.widget() is not None:
            self._apply_problems()
            return
        self._built_for = key
        self.rows = {}
        form = QWidget()
        lay = QVBoxLayout(form)
        lay.setContentsMargins(2, 2, 2, 8)
        lay.setSpacing(2)
        self.error = QLabel()
        self.error.setObjectName("FieldError")
        self.error.setWordWrap(True)
        self.error.hide()
        if w is None:
            hint = QLabel("No workload yet. Add one to send traffic into the design; its payload "
                          "templates also feed the Event tab.")
            hint.setObjectName("Hint")
            hint.setWordWrap(True)
            lay.addWidget(hint)
        else:
            lay.addWidget(self.error)
            ident = Field("id", "str", None, help="unique among nodes and workloads", section="workload")
            self._row(lay, ident, w.id, self._set_id)
            t = QLabel("Target")
            t.setStyleSheet("font-weight:600;")
            lay.addWidget(t)
            self.target_box = QComboBox()
            for nid in self._targets():
                self.target_box.addItem(nid, nid)
            if self.target_box.findData(w.target) < 0:
                self.target_box.addItem(w.target, w.target)
            self.target_box.setCurrentIndex(self.target_box.findData(w.target))
            self.target_box.activated.connect(lambda _i: self._update(target=self.target_box.currentData()))
            lay.addWidget(self.target_box)
            target = self.document.node(w.target)
            if target is not None and target.kind == "Function":
                self._row(lay, INVOCATION_FIELD, w.InvocationType, lambda v: self._update(InvocationType=v))
            lay.addWidget(section_title("Arrivals"))
            a = w.arrivals.model_dump()
            shown = _arrival_fields_for(w.arrivals.process)
            for f in ARRIVAL_FIELDS:
                if f.path in shown:
                    value = a.get(f.path)
                    if f.path == "profile" and value is not None:
                        value = [list(p) for p in value]
                    self._row(lay, f, value, lambda v, f=f: self._update_arrivals(f.path, v))
            lay.addWidget(section_title("Events (payload templates)"))
            help_ = QLabel('[{"weight": 0.99, "payload": {…}}, {"weight": 0.01, "payload": …, "poison": true}]')
            help_.setObjectName("FieldHelp")
            help_.setWordWrap(True)
            lay.addWidget(help_)
            self.events_edit = QPlainTextEdit(json.dumps([e.model_dump(exclude_none=True, exclude_defaults=False)
                                                          for e in w.events], indent=2))
            self.events_edit.setFont(theme.mono_font(8.5))
            self.events_edit.setMinimumHeight(120)
            lay.addWidget(self.events_edit)
            self.events_error = QLabel()
            self.events_error.setObjectName("FieldError")
            self.events_error.setWordWrap(True)
            self.events_error.hide()
            lay.addWidget(self.events_error)
            apply_ = QPushButton("Apply events")
            apply_.clicked.connect(self._apply_events)
            row = QHBoxLayout()
            row.addStretch(1)
            row.addWidget(apply_)
            lay.addLayout(row)
        lay.addStretch(1)
        old = self.scroll.takeWidget()
        self.scroll.setWidget(form)
        if old is not None:
            old.deleteLater()
        self._apply_problems()

    def _row(self, lay, f: Field, value: Any, commit) -> FieldRow:
        row = FieldRow(f, commit)
        row.show_value(value)
        self.rows[row.key] = row
        lay.addWidget(row)
        return row

    # --- edits ----------------------------------------------------------------------------------
    def _replace(self, new: dict, label: str, row_key: tuple[str, str] | None = None) -> bool:
        wl = list(self.document.scenario.workloads)
        idx = next((i for i, w in enumerate(wl) if w.id == self.current), None)
        if idx is None:
            return False
        try:
            neww = Workload.model_validate(new)
        except ValidationError as e:
            err = e.errors()[0]
            msg = f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}"
            if row_key and row_key in self.rows:
                self.rows[row_key].set_parse_error(err["msg"])
            else:
                self.error.setText(msg)
                self.error.show()
            return False
        wl[idx] = neww
        self.current = neww.id
        self.document.set_workloads(wl, label)
        return True

    def _update(self, **changes) -> None:
        w = self.workload()
        if w is None:
            return
        data = w.model_dump(by_alias=True)
        data.update(changes)
        key = next(iter(changes))
        self._replace(data, f"Set workload {w.id} {key}", ("workload", key))

    def _set_id(self, value: Any) -> None:
        w = self.workload()
        if w is None:
            return
        new = (value or "").strip() if isinstance(value, str) else ""
        if not new:
            self.rows[("workload", "id")].set_parse_error("an id cannot be empty")
            return
        if new != w.id and new in self.document.ids_in_use():
            self.rows[("workload", "id")].set_parse_error(f"{new!r} is already used")
            return
        self._update(id=new)

    def _update_arrivals(self, key: str, value: Any) -> None:
        w = self.workload()
        if w is None:
            return
        data = w.model_dump(by_alias=True)
        arr = data["arrivals"]
        fdef = next(f for f in ARRIVAL_FIELDS if f.path == key)
        arr[key] = value if value is not None else fdef.default
        if key == "process" and value in ("poisson", "constant") and arr.get("rate") is None:
            arr["rate"] = 1.0
        self._replace(data, f"Set workload {w.id} arrivals.{key}", ("arrivals", key))

    def _apply_events(self) -> None:
        w = self.workload()
        if w is None:
            return
        try:
            events = json.loads(self.events_edit.toPlainText())
        except json.JSONDecodeError as e:
            self.events_error.setText(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}")
            self.events_error.show()
            return
        if not isinstance(events, list) or not events:
            self.events_error.setText("events must be a non-empty list of templates")
            self.events_error.show()
            return
        data = w.model_dump(by_alias=True)
        data["events"] = events
        try:
            Workload.model_validate(data)
        except ValidationError as e:
            err = e.errors()[0]
            self.events_error.setText(f"{'.'.join(str(x) for x in err['loc'])}: {err['msg']}")
            self.events_error.show()
            return
        self.events_error.hide()
        self._replace(data, f"Set workload {w.id} events")

    def add_workload(self) -> None:
        targets = self._targets()
        target = self.node_id if self.node_id in targets else (targets[0] if targets else None)
        if target is None:
            return
        wid = self.document.unique_id(f"{target}-load")
        w = Workload(id=wid, target=target)
        w.arrivals.rate = 10.0
        node = self.document.node(target)
        w.events[0].payload = _sample_payload(node.kind if node else "")
        self.current = wid
        self.document.set_workloads([*self.document.scenario.workloads, w], f"Add workload {wid}")

    def remove_workload(self) -> None:
        if self.current is None:
            return
        wl = [w for w in self.document.scenario.workloads if w.id != self.current]
        label = f"Remove workload {self.current}"
        self.current = None
        self.document.set_workloads(wl, label)

    # --- problems -------------------------------------------------------------------------------------
    def set_problems(self, problems: list) -> None:
        self._problems = problems
        self._apply_problems()

    def _apply_problems(self) -> None:
        for row in self.rows.values():
            row.set_problem(None)
        w = self.workload()
        if w is None:
            return
        idx = next((i for i, x in enumerate(self.document.scenario.workloads) if x.id == w.id), None)
        prefix = f"$.workloads[{idx}]"
        for p in self._problems:
            if not p.path.startswith(prefix):
                continue
            rest = p.path[len(prefix):].lstrip(".")
            head, _, tail = rest.partition(".")
            key = ("arrivals", tail.split(".")[0]) if head == "arrivals" and tail else (
                ("workload", "id") if head == "id" else None)
            if head == "target":
                self.error.setText(p.message)
                self.error.show()
            elif key and key in self.rows:
                self.rows[key].set_problem(p.message, p.severity)
            elif head == "arrivals" and ("arrivals", "rate") in self.rows:
                self.rows[("arrivals", "rate")].set_problem(p.message, p.severity)
            else:
                self.error.setText(p.message)
                self.error.show()


def _arrival_fields_for(process: str) -> set[str]:
    common = {"process", "start", "end"}
    return common | {
        "poisson": {"rate", "profile", "interpolate"},
        "constant": {"rate", "profile", "interpolate"},
        "profile": {"profile", "interpolate"},
        "burst": {"count", "at", "spread"},
        "replay": {"file"},
    }.get(process, set())


def _sample_payload(kind: str) -> Any:
    if kind == "S3Bucket":
        return {"key": "uploads/photo.jpg", "size": 204800}
    if kind == "SNSTopic":
        return {"Message": {"type": "order"}, "MessageAttributes": {"type": "order"}}
    return {"type": "order", "amount": 42}


__all__ = ["WorkloadsPanel", "summary", "fmt"]
