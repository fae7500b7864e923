"""The sweep panel: vary one or two fields of the design, run every point with
replications in the background, and read a metric as a line with its 95 % band or as a
heatmap. Clicking a point opens that variant on the canvas (one undoable step)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core import sweep as core_sweep
from core.model import Scenario, ScenarioError
from core.sweep import PointResult, Progress, SweepResult, fmt_num, metric_key_error, plan_grid
from gui import theme
from gui.sweep.charts import SweepChart, axis_label
from gui.sweep.job import Job, JobHost
from gui.sweep.params import metric_unit
from gui.sweep.widgets import (
    MetricCombo,
    ParamPicker,
    duration_box,
    duration_of,
    replications_box,
    workers_box,
)


class SweepPanel(QWidget, JobHost):
    """Sweep one or two parameters of `document.scenario` and chart one metric."""

    finished = Signal(object)  # the SweepResult (complete, or cancelled with the finished points)
    point_opened = Signal(dict)
    progressed = Signal(object)  # core.sweep.Progress after every finished run

    def __init__(self, document, selected_node: Callable[[], str | None] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.document = document
        self.selected_node = selected_node
        self.job: Job | None = None
        self.base: Scenario | None = None  # the design as it was when the sweep started
        self.grid: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.labels: list[str] = []
        self.points: dict[int, PointResult] = {}
        self.result: SweepResult | None = None
        self._busy = False

        self.p1 = ParamPicker("list")
        self.p2 = ParamPicker("list")
        self.use_p2 = QCheckBox("Second parameter (heatmap)")
        self.p2.setEnabled(False)
        self.use_p2.toggled.connect(self.p2.setEnabled)
        self.metric_box = MetricCombo()
        self.metric_box.currentTextChanged.connect(lambda _t: self._render())
        self.replications = replications_box(3)
        self.workers = workers_box()
        self.duration = duration_box()
        self.run_button = QPushButton("Run sweep")
        self.run_button.setDefault(True)
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m runs")
        self.progress.setValue(0)
        self.status = QLabel("Pick a parameter and its values, then run.")
        self.status.setWordWrap(True)
        self.status.setStyleSheet(f"color: {theme.TEXT_MUTED};")
        self.chart = SweepChart()
        self.chart.point_clicked.connect(self.open_point)
        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.cellDoubleClicked.connect(lambda row, _c: self._open_row(row))
        self.table.setToolTip("Double-click a row to open that variant on the canvas")

        form = QFormLayout()
        form.addRow("Parameter", self.p1)
        form.addRow(self.use_p2)
        form.addRow("Parameter 2", self.p2)
        form.addRow("Metric", self.metric_box)
        opts = QHBoxLayout()
        for label, w in (("Replications", self.replications), ("Workers", self.workers),
                         ("Duration", self.duration)):
            opts.addWidget(QLabel(label))
            opts.addWidget(w)
        opts.addStretch(1)
        form.addRow(opts)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.chart)
        split.addWidget(self.table)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.status)
        lay.addWidget(split, 1)

        document.changed.connect(self.refresh)
        self.refresh()

    # --- design changes --------------------------------------------------------------------
    def refresh(self) -> None:
        sc = self.document.scenario
        self.p1.set_scenario(sc)
        self.p2.set_scenario(sc)
        self.metric_box.set_scenario(sc, prefer=(".Throttles.sum", ".ApproximateAgeOfOldestMessage.max"))

    def focus_node(self, node_id: str | None) -> None:
        """Start from the selected node's fields (Tools → Sweep… with a node selected)."""
        self.p1.select_target(node_id)

    # --- running ---------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True from run() until the result (or the failure) has been shown."""
        return self._busy

    def specs(self) -> list[str]:
        out = [self.p1.spec()]
        if self.use_p2.isChecked():
            out.append(self.p2.spec())
        return out

    def run(self) -> bool:
        """Start the sweep in the background; False (with the reason shown) if the input is wrong."""
        if self.running:
            return False
        try:
            grid = plan_grid(self.specs())
        except ScenarioError as e:
            self._error("; ".join(f"{p}: {m}" for p, m in e.problems))
            return False
        key = self.metric_box.key()
        base = self.document.scenario.model_copy(deep=True)
        msg = metric_key_error(base, key)
        if msg:
            self._error(f"metric {key!r}: {msg}")
            return False
        self.base, self.grid = base, grid
        self.paths = list(grid[0])
        self.labels = [self.p1.label()] + ([self.p2.label()] if len(self.paths) > 1 else [])
        self.points, self.result = {}, None
        self.chart.clear()
        reps, workers, duration = self.replications.value(), self.workers.value(), duration_of(self.duration)
        self.progress.setRange(0, len(grid) * reps)
        self.progress.setValue(0)

        def work(report, cancel):
            return core_sweep.run_sweep(base, grid, reps, workers=workers, on_progress=report,
                                        cancel=cancel, duration=duration)

        if self.job is not None:
            self.job.wait()  # the previous thread has delivered its result and is ending
        self.job = Job(work, self)
        self.job.progress.connect(self._on_progress)
        self.job.succeeded.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self._busy = True
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setStyleSheet(f"color: {theme.TEXT_MUTED};")
        self.status.setText(f"Running {len(grid)} points × {reps} replications…")
        self.job.start()
        return True

    def cancel(self) -> None:
        if self.job is not None:
            super().cancel()
            self.status.setText("Cancelling: finished points are kept…")

    def _on_progress(self, p: Progress) -> None:
        self.progress.setMaximum(p.runs_total)
        self.progress.setValue(p.runs_done)
        eta = p.eta_s
        left = f", about {_clock(eta)} left" if eta is not None and p.runs_done < p.runs_total else ""
        self.status.setText(f"{p.points_done}/{p.points_total} points{left}")
        if p.point is not None:
            self.points[p.point.index] = p.point
            self._render()
        self.progressed.emit(p)

    def _on_done(self, res: SweepResult) -> None:
        self._idle()
        self.result = res
        self.points = {p.index: p for p in res.points}
        self._render()
        if res.cancelled:
            self.status.setText(f"Cancelled: {len(res.points)} of {len(res.grid)} points kept.")
        else:
            self.status.setText(f"Done: {len(res.points)} points × {res.replications} replications "
                                f"in {res.elapsed_s:.1f} s ({res.backend}). Click a point to open it.")
        self.finished.emit(res)

    def _on_failed(self, msg: str) -> None:
        self._idle()
        self._error(msg)

    def _idle(self) -> None:
        self._busy = False
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    # --- showing ---------------------------------------------------------------------------
    def _render(self) -> None:
        if not self.grid or not self.points:
            return
        key = self.metric_box.key()
        if self.base is None or metric_key_error(self.base, key):
            return
        y_label = axis_label(key, metric_unit(self.base, key))
        done = sorted(self.points)
        stats = {i: self.points[i].stat(key) for i in done}
        if len(self.paths) == 1:
            path = self.paths[0]
            self.chart.show_line([self.grid[i][path] for i in done], [stats[i].mean for i in done],
                                 [stats[i].lo for i in done], [stats[i].hi for i in done], done,
                                 self.labels[0], y_label)
        else:
            xs = _unique([g[self.paths[0]] for g in self.grid])
            ys = _unique([g[self.paths[1]] for g in self.grid])
            values = np.full((len(xs), len(ys)), np.nan)
            index = np.full((len(xs), len(ys)), -1, dtype=int)
            for gi, g in enumerate(self.grid):
                i, j = _pos(xs, g[self.paths[0]]), _pos(ys, g[self.paths[1]])
                index[i, j] = gi
                if gi in stats:
                    values[i, j] = stats[gi].mean
            self.chart.show_heatmap(xs, ys, values, index, self.labels[0], self.labels[1], y_label)
        self._fill_table(key, done, stats)

    def _fill_table(self, key: str, done: list[int], stats: dict) -> None:
        heads = self.paths + [f"{key} mean", "95 % CI low", "95 % CI high"]
        self.table.setColumnCount(len(heads))
        self.table.setHorizontalHeaderLabels(heads)
        self.table.setRowCount(len(done))
        for row, gi in enumerate(done):
            cells = [_show(self.grid[gi][p]) for p in self.paths]
            s = stats[gi]
            cells += [fmt_num(s.mean), fmt_num(s.lo), fmt_num(s.hi)]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, gi)
                if col >= len(self.paths):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()

    def _open_row(self, row: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.open_point(int(item.data(Qt.ItemDataRole.UserRole)))

    def open_point(self, index: int) -> None:
        """Replace the design with grid point `index` of the last sweep (undoable)."""
        if self.base is None or not 0 <= index < len(self.grid):
            return
        point = self.grid[index]
        try:
            sc = core_sweep.variant(self.base, point)
        except ScenarioError as e:
            self._error(str(e))
            return
        desc = ", ".join(f"{p.rsplit('.', 1)[-1]}={_show(v)}" for p, v in point.items())
        self.document.apply_scenario(sc, f"Open sweep point {desc}")
        self.status.setText(f"Opened the variant {desc} on the canvas (Undo returns to the design).")
        self.point_opened.emit(dict(point))


def _unique(values: list) -> list:
    out: list = []
    for v in values:
        if not any(_same(v, u) for u in out):
            out.append(v)
    return out


def _same(a, b) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _pos(values: list, v) -> int:
    return next(i for i, u in enumerate(values) if _same(u, v))


def _show(v) -> str:
    return v if isinstance(v, str) else json.dumps(v)


def _clock(s: float) -> str:
    s = int(round(s))
    return f"{s // 60}:{s % 60:02d}"
