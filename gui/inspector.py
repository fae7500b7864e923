"""The inspector: edits the selected node's or edge's AWS properties and behaviour (rows built
from `core.catalog`), the scenario's settings when nothing is selected, the workloads, and the
Event tab. Every edit is a document command; validation problems come back as inline marks.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core import catalog, validate
from core.catalog import Field
from core.model import Edge
from gui import icons, theme
from gui.document import ScenarioDocument
from gui.document.document import article
from gui.event_tab import EVENT_KINDS, EventTab
from gui.fields import NULL, FieldRow, section_title
from gui.workloads import WorkloadsPanel

_NODE_PATH = re.compile(r"^\$\.nodes\[(\d+)\](?:\.(properties|behavior)\.(.+))?$")
_EDGE_PATH = re.compile(r"^\$\.edges\[(\d+)\](?:\.properties\.(.+))?$")

ACCOUNT_FIELDS = (
    Field("ConcurrentExecutions", "int", 1000, 1, 10_000_000, "", "account concurrency limit shared by all functions", section="account"),
    Field("ScalingRatePer10Seconds", "int", 1000, 1, 10_000_000, "", "how fast concurrency may grow, per function, every 10 s", section="account"),
    Field("Region", "str", "us-east-1", help="AWS region (prices)", section="account"),
)
SIMULATION_FIELDS = (
    Field("DurationSeconds", "float", 600, 0, 31 * 86400, "s", "simulated time", section="simulation"),
    Field("Seed", "int", 0, 0, None, "", "random seed: same seed, same run", section="simulation"),
    Field("MetricPeriodSeconds", "float", 1, 0, None, "s", "one metric value per period", section="simulation"),
    Field("StartTime", "str", "2026-01-05T00:00:00Z", help="wall-clock time at t = 0 (cron schedules)", section="simulation"),
)


def _edge_fields(edge: Edge, src_kind: str | None) -> list[Field]:
    """Edge properties that apply to this source kind (S3 filters only on S3 edges, …)."""
    out = []
    for f in catalog.EDGE_FIELDS.get(edge.role, ()):
        top = f.path.split(".")[0]
        if top in ("Events", "Filter") and src_kind != "S3Bucket":
            continue
        if top in ("FilterPolicy", "FilterPolicyScope", "RawMessageDelivery") and src_kind != "SNSTopic":
            continue
        out.append(f)
    return out


class Inspector(QWidget):
    def __init__(self, document: ScenarioDocument, parent=None):
        super().__init__(parent)
        self.document = document
        self.node_id: str | None = None
        self.edge: Edge | None = None
        self.multi: tuple[list[str], list[int]] | None = None
        self.rows: dict[tuple[str, str], FieldRow] = {}
        self._problems: list = []
        self.setMinimumWidth(300)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        head = QWidget()
        head.setStyleSheet("background:#FFFFFF;")
        hl = QHBoxLayout(head)
        hl.setContentsMargins(12, 10, 12, 10)
        hl.setSpacing(10)
        self.icon = QLabel()
        self.icon.setFixedSize(36, 36)
        hl.addWidget(self.icon)
        tl = QVBoxLayout()
        tl.setSpacing(1)
        self.title = QLabel()
        self.title.setObjectName("InspectorTitle")
        self.subtitle = QLabel()
        self.subtitle.setObjectName("InspectorSubtitle")
        tl.addWidget(self.title)
        tl.addWidget(self.subtitle)
        hl.addLayout(tl, 1)
        lay.addWidget(head)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tabs.addTab(self.scroll, "Properties")
        self.event_tab = EventTab(document)
        self.tabs.addTab(self.event_tab, "Event")
        self.workloads = WorkloadsPanel(document)
        self.tabs.addTab(self.workloads, "Workloads")
        lay.addWidget(self.tabs, 1)

        document.changed.connect(self.refresh)
        document.node_renamed.connect(self._on_renamed)
        document.reset.connect(lambda: self.show_selection([], []))
        self.show_selection([], [])

    # --- selection ---------------------------------------------------------------------------
    def show_selection(self, node_ids: list[str], edge_indices: list[int]) -> None:
        edges = self.document.scenario.edges
        if len(node_ids) == 1 and not edge_indices:
            target = ("node", node_ids[0])
        elif len(edge_indices) == 1 and not node_ids and 0 <= edge_indices[0] < len(edges):
            target = ("edge", edges[edge_indices[0]])
        elif node_ids or edge_indices:
            target = ("multi", (list(node_ids), list(edge_indices)))
        else:
            target = ("scenario", None)
        self.node_id = target[1] if target[0] == "node" else None
        self.edge = target[1] if target[0] == "edge" else None
        self.multi = target[1] if target[0] == "multi" else None
        self._build()
        self.event_tab.show_node(self.node_id)
        self.workloads.show_for(self.node_id)
        has_event = self.node_id is not None and self.document.node(self.node_id) is not None and \
            self.document.node(self.node_id).kind in EVENT_KINDS
        self.tabs.setTabEnabled(1, has_event)
        self.tabs.setTabToolTip(1, "" if has_event else "Select a source, queue, stream or event source mapping")
        if not has_event and self.tabs.currentIndex() == 1:
            self.tabs.setCurrentIndex(0)

    def _on_renamed(self, old: str, new: str) -> None:
        if self.node_id == old:
            self.node_id = new
            self.event_tab.show_node(new)
            self.workloads.show_for(new)

    # --- building forms -----------------------------------------------------------------------
    def _build(self) -> None:
        self.rows = {}
        self.name_edit: QLineEdit | None = None
        self.name_error: QLabel | None = None
        self.role_box: QComboBox | None = None
        self.role_error: QLabel | None = None
        self.banner: QLabel | None = None
        self.desc_edit: QLineEdit | None = None
        form = QWidget()
        self.form_layout = QVBoxLayout(form)
        self.form_layout.setContentsMargins(14, 6, 14, 14)
        self.form_layout.setSpacing(2)
        node = self.document.node(self.node_id) if self.node_id else None
        if node is not None:
            self._build_node(node)
        elif self.edge is not None:
            self._build_edge(self.edge)
        elif self.multi is not None:
            self._build_multi(*self.multi)
        else:
            self._build_scenario()
        self.form_layout.addStretch(1)
        old = self.scroll.takeWidget()
        self.scroll.setWidget(form)
        if old is not None:
            old.deleteLater()
        self.refresh()

    def _banner(self) -> None:
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("QLabel{background:#FFF4F4;color:#8E1B1E;border:1px solid #F0C4C5;"
                                  "border-radius:5px;padding:6px 8px;}")
        self.banner.hide()
        self.form_layout.addWidget(self.banner)

    def _name_row(self, value: str, on_commit, label: str = "Name") -> None:
        title = QLabel(label)
        title.setStyleSheet("font-weight:600;")
        self.form_layout.addWidget(title)
        self.name_edit = QLineEdit(value)
        self.name_edit.editingFinished.connect(lambda: on_commit(self.name_edit.text()))
        self.form_layout.addWidget(self.name_edit)
        self.name_error = QLabel()
        self.name_error.setObjectName("FieldError")
        self.name_error.setWordWrap(True)
        self.name_error.hide()
        self.form_layout.addWidget(self.name_error)

    def _set_header(self, kind: str | None, title: str, subtitle: str) -> None:
        if kind:
            self.icon.setPixmap(icons.kind_pixmap(kind, 36, self.devicePixelRatioF() or 1.0))
            self.icon.show()
        else:
            self.icon.clear()
            self.icon.hide()
        self.title.setText(title)
        self.subtitle.setText(subtitle)

    def _build_node(self, node) -> None:
        info = theme.kind_info(node.kind)
        self._banner()
        self._name_row(node.id, self._rename)
        desc_title = QLabel("Description")
        desc_title.setStyleSheet("font-weight:600;")
        desc_title.setContentsMargins(0, 6, 0, 0)
        self.form_layout.addWidget(desc_title)
        self.desc_edit = QLineEdit(node.description or "")
        self.desc_edit.setPlaceholderText("what this resource is for")
        nid = node.id
        self.desc_edit.editingFinished.connect(
            lambda: self.document.set_node_description(self.node_id or nid, self.desc_edit.text()))
        self.form_layout.addWidget(self.desc_edit)
        fields = catalog.fields_for(node.kind)
        props = [f for f in fields if f.section == "properties"]
        behav = [f for f in fields if f.section == "behavior"]
        if props:
            self.form_layout.addWidget(section_title("AWS properties"))
            for f in props:
                self._add_node_row(f)
        if behav:
            self.form_layout.addWidget(section_title("Behaviour (simulation)"))
            for f in behav:
                self._add_node_row(f)
        if not fields:
            hint = QLabel(f"{article(info.label).capitalize()} {info.label} has no settings of its own; its notification filters live on "
                          "its outgoing edges. Select an edge to edit them.")
            hint.setObjectName("Hint")
            hint.setWordWrap(True)
            self.form_layout.addWidget(hint)

    def _add_node_row(self, f: Field) -> None:
        default_text = None
        node = self.document.node(self.node_id)
        if f.path == "BatchSize" and node is not None and node.kind == "EventSourceMapping":
            src = validate.esm_source(self.document.scenario, node.id)
            default_text = str(catalog.esm_default_batch_size(src.kind)) if src else "10 (SQS) / 100 (streams)"
        if f.type == "dist":
            from gui.fields import describe_dist

            default_text = describe_dist(f.default)

        def commit(value: Any, f=f) -> None:
            nid = self.node_id
            if nid is None:
                return
            if value is NULL:
                self.document.set_node_behavior_null(nid, f.path)
            else:
                self.document.set_node_value(nid, f.section, f.path, value)

        row = FieldRow(f, commit, default_text=default_text, nullable_dist=(f.path == "ColdStart"))
        self.rows[row.key] = row
        self.form_layout.addWidget(row)

    def _build_edge(self, edge: Edge) -> None:
        self._banner()
        src, dst = self.document.node(edge.source), self.document.node(edge.target)
        title = QLabel("Role")
        title.setStyleSheet("font-weight:600;")
        self.form_layout.addWidget(title)
        self.role_box = QComboBox()
        roles = validate.role_for(src.kind, dst.kind) if src and dst else []
        if edge.role not in roles:
            roles = [edge.role, *roles]
        for r in roles:
            self.role_box.addItem(f"{theme.ROLE_DESCRIPTIONS.get(r, r)} ({r})", r)
        self.role_box.setCurrentIndex(roles.index(edge.role))
        self.role_box.activated.connect(self._role_changed)
        self.form_layout.addWidget(self.role_box)
        self.role_error = QLabel()
        self.role_error.setObjectName("FieldError")
        self.role_error.setWordWrap(True)
        self.role_error.hide()
        self.form_layout.addWidget(self.role_error)
        style = theme.edge_style(edge.role, src.kind if src else None)
        note = QLabel(f"Drawn as: {style.label.lower()}")
        note.setObjectName("FieldHelp")
        self.form_layout.addWidget(note)
        fields = _edge_fields(edge, src.kind if src else None)
        if fields:
            self.form_layout.addWidget(section_title("Properties"))
        for f in fields:
            def commit(value: Any, f=f) -> None:
                try:
                    idx = self.document.edge_index(self.edge)
                except KeyError:
                    return
                self.document.set_edge_value(idx, f.path, value)

            row = FieldRow(f, commit)
            self.rows[row.key] = row
            self.form_layout.addWidget(row)
        if not fields:
            hint = QLabel("This edge has no settings: its behaviour follows from the two nodes.")
            hint.setObjectName("Hint")
            hint.setWordWrap(True)
            self.form_layout.addWidget(hint)

    def _build_multi(self, node_ids: list[str], edge_indices: list[int]) -> None:
        parts = []
        if node_ids:
            parts.append(f"{len(node_ids)} node{'s' if len(node_ids) != 1 else ''}")
        if edge_indices:
            parts.append(f"{len(edge_indices)} edge{'s' if len(edge_indices) != 1 else ''}")
        lab = QLabel(" and ".join(parts) + " selected.\n\nMove, copy, paste or delete them together; "
                     "select a single node or edge to edit its settings.")
        lab.setWordWrap(True)
        lab.setObjectName("Hint")
        self.form_layout.addWidget(lab)
        if node_ids:
            ids = QLabel(", ".join(node_ids[:30]) + (" …" if len(node_ids) > 30 else ""))
            ids.setWordWrap(True)
            self.form_layout.addWidget(ids)

    def _build_scenario(self) -> None:
        self._banner()
        self._name_row(self.document.scenario.name, lambda t: self._set_meta("Rename scenario", name=t.strip() or "Untitled"),
                       label="Scenario name")
        t = QLabel("Description")
        t.setStyleSheet("font-weight:600;")
        t.setContentsMargins(0, 6, 0, 0)
        self.form_layout.addWidget(t)
        self.desc_edit = QLineEdit(self.document.scenario.description or "")
        self.desc_edit.setPlaceholderText("what this design is about")
        self.desc_edit.editingFinished.connect(
            lambda: self._set_meta("Describe scenario", description=self.desc_edit.text().strip() or None))
        self.form_layout.addWidget(self.desc_edit)
        for title, fields, key in (("Account", ACCOUNT_FIELDS, "account"), ("Simulation", SIMULATION_FIELDS, "simulation")):
            self.form_layout.addWidget(section_title(title))
            for f in fields:
                def commit(value: Any, f=f, key=key) -> None:
                    cur = self.document.meta()[key]
                    if value is None:
                        value = f.default
                    cur[f.path] = value
                    err = self._set_meta(f"Set {key}.{f.path}", **{key: cur})
                    if err:
                        self.rows[(key, f.path)].set_parse_error(err.split(": ", 1)[-1])

                row = FieldRow(f, commit)
                self.rows[row.key] = row
                self.form_layout.addWidget(row)
        hint = QLabel("Select a node or an edge to edit its AWS settings. Drag kinds from the palette; "
                      "connect nodes by dragging from a card's right-hand port.")
        hint.setObjectName("Hint")
        hint.setWordWrap(True)
        hint.setContentsMargins(0, 12, 0, 0)
        self.form_layout.addWidget(hint)

    # --- edits ----------------------------------------------------------------------------------
    def _rename(self, text: str) -> None:
        if self.node_id is None:
            return
        err = self.document.rename_node(self.node_id, text)
        if self.name_error is not None:
            self.name_error.setText(err or "")
            self.name_error.setVisible(bool(err))
        if self.name_edit is not None:
            self.name_edit.setProperty("invalid", bool(err))
            self.name_edit.style().unpolish(self.name_edit)
            self.name_edit.style().polish(self.name_edit)

    def _role_changed(self, _i: int) -> None:
        if self.edge is None or self.role_box is None:
            return
        try:
            idx = self.document.edge_index(self.edge)
        except KeyError:
            return
        err = self.document.set_edge_role(idx, self.role_box.currentData())
        if self.role_error is not None:
            self.role_error.setText(err or "")
            self.role_error.setVisible(bool(err))
        if not err:
            self._build()

    def _set_meta(self, label: str, **changes) -> str | None:
        err = self.document.set_meta(label, **changes)
        if err and self.banner is not None:
            self.banner.setText(err)
            self.banner.show()
        return err

    def focus_name(self) -> None:
        if self.name_edit is not None:
            self.tabs.setCurrentIndex(0)
            self.name_edit.setFocus()
            self.name_edit.selectAll()

    def focus_field(self, section: str, path: str) -> bool:
        for (sec, p), row in self.rows.items():
            if sec == section and (path == p or path.startswith(p + ".") or p.startswith(path + ".")):
                self.tabs.setCurrentIndex(0)
                self.scroll.ensureWidgetVisible(row)
                row.editor.setFocus()
                return True
        return False

    # --- model → form -----------------------------------------------------------------------------
    def refresh(self) -> None:
        doc = self.document
        if self.node_id is not None:
            node = doc.node(self.node_id)
            if node is None:
                self.show_selection([], [])
                return
            info = theme.kind_info(node.kind)
            n_in = sum(1 for e in doc.scenario.edges if e.target == node.id)
            n_out = sum(1 for e in doc.scenario.edges if e.source == node.id)
            self._set_header(node.kind, node.id, f"{info.label} · {n_in} in, {n_out} out")
            if self.name_edit is not None and not self.name_edit.hasFocus():
                self.name_edit.setText(node.id)
            if self.desc_edit is not None and not self.desc_edit.hasFocus():
                self.desc_edit.setText(node.description or "")
                self.desc_edit.setCursorPosition(0)
            for (section, path), row in self.rows.items():
                if section == "properties":
                    row.show_value(catalog.get_path(node.properties, path))
                else:
                    row.show_value(node.behavior.get(path), present=path in node.behavior)
        elif self.edge is not None:
            try:
                doc.edge_index(self.edge)
            except KeyError:
                self.show_selection([], [])
                return
            e = self.edge
            src = doc.node(e.source)
            self._set_header(None, f"{e.source} → {e.target}",
                             f"{theme.ROLE_DESCRIPTIONS.get(e.role, e.role)}" + (f" · from {article(theme.kind_info(src.kind).label)} {theme.kind_info(src.kind).label}" if src else ""))
            if self.role_box is not None:
                i = self.role_box.findData(e.role)
                if i >= 0:
                    self.role_box.setCurrentIndex(i)
            for (_section, path), row in self.rows.items():
                row.show_value(catalog.get_path(e.properties, path))
        elif self.multi is not None:
            self._set_header(None, "Selection", f"{len(self.multi[0])} nodes, {len(self.multi[1])} edges")
        else:
            sc = doc.scenario
            self._set_header(None, sc.name or "Untitled",
                             f"Scenario · {len(sc.nodes)} nodes, {len(sc.edges)} edges, {len(sc.workloads)} workloads")
            if self.name_edit is not None and not self.name_edit.hasFocus():
                self.name_edit.setText(sc.name)
            if self.desc_edit is not None and not self.desc_edit.hasFocus():
                self.desc_edit.setText(sc.description or "")
                self.desc_edit.setCursorPosition(0)
            meta = doc.meta()
            for (section, path), row in self.rows.items():
                row.show_value(meta[section].get(path))
        self._apply_problems()

    def set_problems(self, problems: list) -> None:
        self._problems = problems
        self._apply_problems()
        self.workloads.set_problems(problems)

    def _apply_problems(self) -> None:
        for row in self.rows.values():
            row.set_problem(None)
        banner: list[str] = []
        doc = self.document
        node_index = None
        if self.node_id is not None:
            try:
                node_index = doc.node_index(self.node_id)
            except KeyError:
                node_index = None
        edge_index = None
        if self.edge is not None:
            try:
                edge_index = doc.edge_index(self.edge)
            except KeyError:
                edge_index = None
        for p in self._problems:
            if node_index is not None:
                m = _NODE_PATH.match(p.path)
                if m and int(m.group(1)) == node_index:
                    if m.group(2) and self._mark(m.group(2), m.group(3), p):
                        continue
                    banner.append(p)
                elif p.node == self.node_id and not p.path.startswith("$.workloads"):
                    banner.append(p)
            elif edge_index is not None:
                m = _EDGE_PATH.match(p.path)
                if (m and int(m.group(1)) == edge_index) or p.edge == edge_index:
                    if m and m.group(2) and self._mark("properties", m.group(2), p):
                        continue
                    banner.append(p)
            elif self.multi is None and (p.path.startswith("$.account") or p.path.startswith("$.simulation")
                                         or p.path == "$.nodes"):
                banner.append(p)
        if self.banner is not None:
            if banner:
                lines = []
                for p in banner[:6]:
                    mark = "●" if p.severity == "error" else "▲"
                    lines.append(f"{mark} {p.message}")
                self.banner.setText("\n".join(lines))
                worst = any(p.severity == "error" for p in banner)
                bg, fg, bd = ("#FFF4F4", "#8E1B1E", "#F0C4C5") if worst else ("#FFF8EC", "#7A4D00", "#F0D9A8")
                self.banner.setStyleSheet(f"QLabel{{background:{bg};color:{fg};border:1px solid {bd};"
                                          f"border-radius:5px;padding:6px 8px;}}")
                self.banner.show()
            else:
                self.banner.hide()

    def _mark(self, section: str, path: str, problem) -> bool:
        """Put a problem on the row whose path it names (or the nearest parent/child row)."""
        for (sec, p), row in self.rows.items():
            if sec == section and (path == p or path.startswith(p + ".") or p.startswith(path + ".")):
                if row._problem is None or problem.severity == "error":
                    row.set_problem(problem.message, problem.severity)
                return True
        return False
