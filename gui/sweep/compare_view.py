"""Compare variants: duplicate the design as variant B, change B (here or on the canvas),
run A and B on the same seeded traffic, and read their charts overlaid and a table of
differences (B − A, per metric)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core import model
from core.compare import diff_scenarios, differences
from core.engine.metrics import METRICS, stats_of
from core.engine.simulation import Simulation
from core.model import Scenario, ScenarioError
from core.sweep import PointResult, flatten, fmt_num
from gui import theme
from gui.run.axes import TimeAxisItem
from gui.sweep.charts import BAND_B, LINE, LINE_B, axis_label
from gui.sweep.job import Job, JobHost
from gui.sweep.params import metric_unit
from gui.sweep.widgets import ParamPicker, duration_box, duration_of

SLICES = 40  # progress steps per run


@dataclass
class Run:
    """One finished variant run: its time axis, every series, and its flat summary."""

    times: np.ndarray
    series: dict[str, np.ndarray]
    flat: dict[str, float]


def run_variant(scenario: Scenario, seed: int, duration: float | None,
                report: Callable[[float], None] | None = None, cancel=None) -> Run | None:
    """Simulate one variant in slices (so it can be cancelled); None when cancelled."""
    sim = Simulation(scenario, seed=seed, duration=duration)
    for k in range(1, SLICES + 1):
        if cancel is not None and cancel.is_set():
            return None
        sim.advance(sim.duration * k / SLICES)
        if report is not None:
            report(k / SLICES)
    series = {}
    for nid, m in sim.metrics.items():
        for metric, typ in m.types.items():
            for st in stats_of(typ):
                series[f"{nid}.{metric}.{st}"] = np.array(sim.series(nid, metric, st))
    return Run(sim.times(), series, flatten(sim.summary()))


class CompareView(QWidget, JobHost):
    """Variant A (a snapshot of the design) against variant B (A plus changes)."""

    finished = Signal(object)  # the differences (list of rows) or None when cancelled

    def __init__(self, document, selected_node: Callable[[], str | None] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.selected_node = selected_node
        self.a: Scenario | None = None
        self.b: Scenario | None = None
        self.runs: dict[str, Run] = {}
        self.rows: list[dict] = []
        self.job: Job | None = None
        self._busy = False

        self.a_label = QLabel("A: –")
        self.b_label = QLabel("B: –")
        dup = QPushButton("Duplicate design as B")
        dup.setToolTip("A becomes a snapshot of the design, B a copy of it to change")
        dup.clicked.connect(self.duplicate)
        take_a = QPushButton("A ← design")
        take_a.clicked.connect(lambda: self.take("a"))
        take_b = QPushButton("B ← design")
        take_b.setToolTip("Use the design as it is now on the canvas as B (edit the canvas, then click)")
        take_b.clicked.connect(lambda: self.take("b"))
        open_a = QPushButton("Open A")
        open_a.clicked.connect(lambda: self.open_variant("a"))
        open_b = QPushButton("Open B")
        open_b.clicked.connect(lambda: self.open_variant("b"))
        swap = QPushButton("Swap")
        swap.clicked.connect(self.swap)

        self.change = ParamPicker("single")
        change_b = QPushButton("Change B")
        change_b.clicked.connect(self.apply_change)
        self.changes = QTreeWidget()
        self.changes.setHeaderLabels(["B changes", "A", "B"])
        self.changes.setRootIsDecorated(False)
        self.changes.setMaximumHeight(110)

        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("Both variants run this seed: the same traffic and the same random draws")
        self.duration = duration_box()
        self.run_button = QPushButton("Run A and B")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 2 * SLICES)
        self.progress.setValue(0)
        self.status = QLabel("Duplicate the design as B to start.")
        self.status.setWordWrap(True)
        self.status.setStyleSheet(f"color: {theme.TEXT_MUTED};")

        self.series_key = QComboBox()
        self.series_key.setEditable(True)
        self.series_key.setMinimumContentsLength(26)
        self.series_key.currentTextChanged.connect(lambda _t: self._plot())
        self.plot_widget = pg.PlotWidget(background="w", axisItems={"bottom": TimeAxisItem()})
        p = self.plot = self.plot_widget.getPlotItem()
        p.showGrid(x=True, y=True, alpha=0.15)
        p.setLabel("bottom", "simulated time (m:ss)")
        self.legend = p.addLegend(offset=(-10, 10), labelTextColor=theme.TEXT)
        self.curve_a = p.plot([], [], pen=pg.mkPen(LINE, width=2), name="A")
        self.curve_b = p.plot([], [], pen=pg.mkPen(LINE_B, width=2, style=Qt.PenStyle.DashLine), name="B")
        self.delta_band = pg.FillBetweenItem(self.curve_a, self.curve_b, brush=BAND_B)
        p.addItem(self.delta_band)
        self.only_changed = QCheckBox("Only metrics that differ")
        self.only_changed.setChecked(True)
        self.only_changed.toggled.connect(lambda _b: self._fill_table())
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["metric", "A", "B", "B − A", "change"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.cellClicked.connect(self._row_clicked)

        top = QGridLayout()
        top.addWidget(self.a_label, 0, 0, 1, 3)
        top.addWidget(self.b_label, 1, 0, 1, 3)
        row = QHBoxLayout()
        for b in (dup, take_a, take_b, open_a, open_b, swap):
            row.addWidget(b)
        row.addStretch(1)
        change_row = QHBoxLayout()
        change_row.addWidget(self.change, 1)
        change_row.addWidget(change_b)
        run_row = QHBoxLayout()
        run_row.addWidget(QLabel("Seed"))
        run_row.addWidget(self.seed)
        run_row.addWidget(QLabel("Duration"))
        run_row.addWidget(self.duration)
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.progress, 1)
        chart_box = QWidget()
        cl = QVBoxLayout(chart_box)
        cl.setContentsMargins(0, 0, 0, 0)
        pick = QHBoxLayout()
        pick.addWidget(QLabel("Chart"))
        pick.addWidget(self.series_key, 1)
        cl.addLayout(pick)
        cl.addWidget(self.plot_widget, 1)
        table_box = QWidget()
        tl = QVBoxLayout(table_box)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.only_changed)
        tl.addWidget(self.table, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(chart_box)
        split.addWidget(table_box)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addLayout(row)
        lay.addLayout(change_row)
        lay.addWidget(self.changes)
        lay.addLayout(run_row)
        lay.addWidget(self.status)
        lay.addWidget(split, 1)

        document.changed.connect(self._design_changed)
        self._design_changed()

    # --- variants ------------------------------------------------------------------------
    def _design_changed(self) -> None:
        sc = self.document.scenario
        self.change.set_scenario(self.b or sc)
        if self.a is None:
            self.seed.setValue(sc.simulation.Seed)

    def duplicate(self) -> None:
        sc = self.document.scenario
        self.a = sc.model_copy(deep=True)
        self.b = sc.model_copy(deep=True)
        self.seed.setValue(self.a.simulation.Seed)
        self.change.select_target(self.selected_node() if self.selected_node else None)
        self._show_variants()
        self.status.setText("B is a copy of A: change it below (or on the canvas, then “B ← design”).")

    def take(self, which: str) -> None:
        sc = self.document.scenario.model_copy(deep=True)
        if which == "a":
            self.a = sc
        else:
            self.b = sc
        self._show_variants()

    def swap(self) -> None:
        self.a, self.b = self.b, self.a
        self._show_variants()

    def set_variants(self, a: Scenario, b: Scenario) -> None:
        self.a, self.b = a.model_copy(deep=True), b.model_copy(deep=True)
        self._show_variants()

    def apply_change(self) -> bool:
        """Apply the picker's NODE.PATH=VALUE to B."""
        if self.b is None:
            self.duplicate()
        path, raw = self.change.path(), self.change.values.text().strip()
        try:
            self.b = model.apply_set(self.b, path, model.parse_value(raw))
        except ScenarioError as e:
            self._error("; ".join(f"{p}: {m}" for p, m in e.problems))
            return False
        self._show_variants()
        return True

    def open_variant(self, which: str) -> None:
        sc = self.a if which == "a" else self.b
        if sc is not None:
            self.document.apply_scenario(sc, f"Open variant {which.upper()}")

    def _show_variants(self) -> None:
        self.a_label.setText(f"A: {self.a.name} (snapshot)" if self.a else "A: –")
        self.b_label.setText(f"B: {self.b.name}" if self.b else "B: –")
        self.changes.clear()
        if self.a is not None and self.b is not None:
            for row in diff_scenarios(self.a, self.b):
                QTreeWidgetItem(self.changes, [row["path"], _show(row["a"]), _show(row["b"])])
            for col in range(3):
                self.changes.resizeColumnToContents(col)
            self.change.set_scenario(self.b)

    # --- running ----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._busy

    def run(self) -> bool:
        if self.running:
            return False
        if self.a is None or self.b is None:
            self.duplicate()
        a, b = self.a, self.b
        from core import validate

        for name, sc in (("A", a), ("B", b)):
            errs = validate.errors(sc)
            if errs:
                self._error(f"variant {name} is not valid: {errs[0]}")
                return False
        seed, duration = self.seed.value(), duration_of(self.duration)

        def work(report, cancel):
            out = {}
            for i, (name, sc) in enumerate((("a", a), ("b", b))):
                r = run_variant(sc, seed, duration, lambda f, i=i: report(i + f), cancel)
                if r is None:
                    return None
                out[name] = r
            return out

        if self.job is not None:
            self.job.wait()
        self.job = Job(work, self)
        self.job.progress.connect(lambda f: self.progress.setValue(int(round(f * SLICES))))
        self.job.succeeded.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self._busy = True
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.status.setStyleSheet(f"color: {theme.TEXT_MUTED};")
        self.status.setText(f"Running A and B with seed {seed}…")
        self.job.start()
        return True

    def _on_failed(self, msg: str) -> None:
        self._idle()
        self._error(msg)

    def _idle(self) -> None:
        self._busy = False
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def _on_done(self, runs: dict | None) -> None:
        self._idle()
        if runs is None:
            self.status.setText("Cancelled.")
            self.finished.emit(None)
            return
        self.runs = runs
        pa = PointResult(0, {}, [runs["a"].flat])
        pb = PointResult(1, {}, [runs["b"].flat])
        self.rows = differences(pa, pb)
        changed = [r for r in self.rows if r["changed"]]
        self.status.setText(f"A and B ran on seed {self.seed.value()}: {len(changed)} metrics differ.")
        keys = sorted(set(runs["a"].series) | set(runs["b"].series), key=_series_order(self.b or self.a))
        keep = self.series_key.currentText()
        self.series_key.blockSignals(True)
        self.series_key.clear()
        self.series_key.addItems(keys)
        self.series_key.blockSignals(False)
        first = next((r["key"] for r in changed if r["key"] in keys), keys[0] if keys else "")
        self.series_key.setCurrentText(keep if keep in keys else first)
        self._plot()
        self._fill_table()
        self.finished.emit(self.rows)

    def _plot(self) -> None:
        key = self.series_key.currentText().strip()
        if not self.runs:
            return
        for run, curve in ((self.runs.get("a"), self.curve_a), (self.runs.get("b"), self.curve_b)):
            if run is not None and key in run.series:
                curve.setData(run.times, run.series[key])
            else:
                curve.setData([], [])
        self.plot.setLabel("left", axis_label(key, metric_unit(self.b or self.a, key)))
        self.plot.enableAutoRange()

    def _fill_table(self) -> None:
        rows = [r for r in self.rows if r["changed"]] if self.only_changed.isChecked() else self.rows
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            pct = "new" if r["pct"] is None else f"{r['pct']:+.1f} %"
            cells = [r["key"], fmt_num(r["a"]["mean"]), fmt_num(r["b"]["mean"]),
                     ("+" if r["delta"] > 0 else "") + fmt_num(r["delta"]), pct]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if j:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()

    def _row_clicked(self, row: int, _col: int) -> None:
        item = self.table.item(row, 0)
        key = item.text() if item else ""
        if key and self.series_key.findText(key) >= 0:
            self.series_key.setCurrentText(key)


def _series_order(sc: Scenario | None):
    order = {n.id: i for i, n in enumerate(sc.nodes)} if sc else {}

    def k(key: str):
        nid, metric, stat = key.rsplit(".", 2)
        kind = next((n.kind for n in sc.nodes if n.id == nid), "") if sc else ""
        names = list(METRICS.get(kind, {}))
        return (order.get(nid, 1 << 30), names.index(metric) if metric in names else 99, stat)

    return k


def _show(v) -> str:
    if v is None:
        return "–"
    return v if isinstance(v, str) else json.dumps(v)
