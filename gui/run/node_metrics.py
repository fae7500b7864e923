"""The selected node's own metrics, named and grouped as CloudWatch shows them (SPEC §4).

A table lists every metric of the node's kind with its latest value and the run-wide statistic;
the chart below plots the chosen metric's statistics (Sum for counters, Average and Maximum for
gauges, p50/p90/p99/Maximum for distributions). Its time axis follows the dashboard's.
"""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGraphicsItem,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.engine.metrics import COUNTER, DIST, GAUGE
from core.engine.simulation import Simulation
from gui import theme
from gui.run.axes import CompactAxisItem, TimeAxisItem
from gui.run.curve import LineSet, LiveCurve
from gui.run.dashboard import MARK_COLOUR, format_value, mark_symbol
from gui.run.series import fmt_clock, lengths

NAMESPACES = {
    "Function": ("AWS/Lambda", "FunctionName"),
    "EventSourceMapping": ("AWS/Lambda", "EventSourceMappingUUID"),
    "SQSQueue": ("AWS/SQS", "QueueName"),
    "KinesisStream": ("AWS/Kinesis", "StreamName"),
    "DynamoDBTable": ("AWS/DynamoDB", "TableName"),
    "ApiGateway": ("AWS/ApiGateway", "ApiName"),
    "SNSTopic": ("AWS/SNS", "TopicName"),
    "EventBridgeRule": ("AWS/Events", "RuleName"),
    "Schedule": ("AWS/Scheduler", "ScheduleName"),
    "S3Bucket": ("AWS/S3", "BucketName"),
    "Dependency": ("Triggerscope/Dependency", "Name"),
}
SECONDS = {"ApproximateAgeOfOldestMessage"}
STAT_NAMES = {"sum": "Sum", "avg": "Average", "max": "Maximum", "p50": "p50", "p90": "p90", "p99": "p99"}
PLOT_STATS = {COUNTER: ["sum"], GAUGE: ["avg", "max"], DIST: ["p50", "p90", "p99", "max"]}
STAT_COLOURS = {"sum": "#1565C0", "avg": "#1565C0", "max": "#AD1457", "p50": "#00897B", "p90": "#9C6B00",
                "p99": "#1565C0"}
RUN_STAT = {COUNTER: "sum", GAUGE: "max", DIST: "p99"}


def exact_value(v: float, unit: str) -> str:
    """Run totals as CloudWatch prints them: whole counts in full (1,224), times readable."""
    if unit == "s":
        return format_value(v, unit)
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}"


def unit_of(name: str, typ: str) -> str:
    return "s" if typ == DIST or name in SECONDS else "count"


class NodeMetricsView(QWidget):
    """Metrics of one node. `show_node(id)` picks it; `refresh()` follows the running simulation."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.sim: Simulation | None = None
        self.node_id: str | None = None
        self.metric: str | None = None
        self.curves: dict[str, LiveCurve] = {}
        self.lines: LineSet | None = None
        self._rows: dict[str, int] = {}
        self._x = np.zeros(0)
        self._marks: list[pg.InfiniteLine] = []
        self._run: dict = {}
        self._force = False  # refresh even while hidden
        self._run_at = 0.0
        self._run_k = 0

        self.header = QLabel("Select a node on the canvas to see its metrics.")
        self.header.setFont(theme.ui_font(10.0, QFont.Weight.Bold))
        self.header.setStyleSheet(f"color: {theme.TEXT}; padding: 6px 8px 0 8px;")
        self.sub = QLabel("")
        self.sub.setStyleSheet(f"color: {theme.TEXT_MUTED}; padding: 0 8px 4px 8px;")
        self.sub.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sub.setWordWrap(True)
        self.header.setWordWrap(True)

        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Metric", "Unit", "Latest", "Run"])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        hh = self.table.horizontalHeader()
        # Fixed widths: ResizeToContents would re-measure every row on every refresh.
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c, w in ((1, 52), (2, 78), (3, 96)):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(c, w)
        self.table.itemSelectionChanged.connect(self._on_pick)

        self.plot_widget = pg.PlotWidget(background="w", axisItems={"bottom": TimeAxisItem(),
                                                                     "left": CompactAxisItem()})
        p = self.plot = self.plot_widget.getPlotItem()
        p.showGrid(x=True, y=True, alpha=0.12)
        p.hideButtons()
        p.getViewBox().setMouseEnabled(x=True, y=False)
        p.getViewBox().setAutoVisible(y=True)
        self.legend = p.addLegend(offset=(8, 4), labelTextSize="8pt", brush=pg.mkBrush(255, 255, 255, 215),
                                  pen=pg.mkPen(theme.BORDER))
        font = theme.ui_font(7.5)
        for ax in ("left", "bottom"):
            axis = p.getAxis(ax)
            axis.setTickFont(font)
            axis.setPen(QColor("#B8C0CB"))
            axis.setTextPen(QColor(theme.TEXT_MUTED))
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        p.setLabel("bottom", "simulated time (m:ss)", **{"font-size": "8pt"})
        p.getViewBox().sigXRangeChanged.connect(lambda *_: self._redraw())

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.plot_widget)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        split.setStyleSheet(f"QSplitter::handle {{ background: {theme.BORDER}; }}")
        split.setHandleWidth(3)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.header)
        lay.addWidget(self.sub)
        lay.addWidget(split, 1)

    # --- model ----------------------------------------------------------------------------------
    def set_simulation(self, sim: Simulation | None, x_link: pg.PlotItem | None = None) -> None:
        self.sim = sim
        for m in self._marks:
            self.plot.removeItem(m)
        self._marks.clear()
        if sim is not None:
            self._x = np.arange(sim.n_periods) * sim.period
            if x_link is not None:
                self.plot.setXLink(x_link)
            else:
                self.plot.setXRange(0, sim.duration, padding=0.01)
        node = self.node_id
        self.node_id = None
        self.show_node(node if sim is not None and node in (sim.metrics if sim else {}) else None)

    def show_node(self, node_id: str | None) -> None:
        """Show `node_id`'s metrics (None: the hint to select a node)."""
        if node_id == self.node_id:
            return
        self.node_id = node_id
        self._run, self._run_k = {}, 0
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        self._rows.clear()
        sim = self.sim
        if node_id is None or sim is None or node_id not in sim.metrics:
            self.node_id = None
            self.header.setText("Select a node on the canvas to see its metrics.")
            self.sub.setText("")
            self.table.blockSignals(False)
            self._set_metric(None)
            return
        m = sim.metrics[node_id]
        label = theme.kind_info(m.kind).label
        self.header.setText(f"{node_id}  ·  {label}")
        ns, dim = NAMESPACES.get(m.kind, ("Triggerscope", "Node"))
        self.sub.setText(f"Namespace {ns} · dimension {dim}={node_id} · one value per "
                         f"{sim.period:g} s period")
        self.table.setRowCount(len(m.types))
        for i, (name, typ) in enumerate(m.types.items()):
            self._rows[name] = i
            item = QTableWidgetItem(name)
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(f"{name} ({typ}); plotted as " + ", ".join(STAT_NAMES[s] for s in PLOT_STATS[typ]))
            self.table.setItem(i, 0, item)
            unit = QTableWidgetItem(unit_of(name, typ))
            unit.setForeground(QColor(theme.TEXT_MUTED))
            self.table.setItem(i, 1, unit)
            for c in (2, 3):
                cell = QTableWidgetItem("–")
                cell.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(i, c, cell)
        self.table.selectRow(0)
        self.table.blockSignals(False)
        self._set_metric(next(iter(m.types), None))  # the first metric, selected above
        self.refresh()

    def _on_pick(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._set_metric(self.table.item(rows[0].row(), 0).data(Qt.ItemDataRole.UserRole))

    def _set_metric(self, name: str | None) -> None:
        p = self.plot
        if self.lines is not None:
            p.removeItem(self.lines)
            self.lines = None
        self.curves.clear()
        self.legend.clear()
        self.metric = name
        if name is None or self.sim is None or self.node_id is None:
            p.setTitle("")
            p.setLabel("left", "")
            return
        typ = self.sim.metrics[self.node_id].types[name]
        unit = unit_of(name, typ)
        p.setTitle(f"<span style='color:{theme.TEXT}; font-weight:600'>{name}</span>", size="9pt")
        p.setLabel("left", unit, **{"font-size": "8pt"})
        self.lines = LineSet()
        p.addItem(self.lines)
        for st in PLOT_STATS[typ]:
            main = st in ("sum", "avg", "p99")
            pen = pg.mkPen(STAT_COLOURS[st], width=1.0,  # 1 px: see curve.py
                           style=Qt.PenStyle.SolidLine if main else Qt.PenStyle.DashLine)
            pen.setCosmetic(True)
            c = LiveCurve(p, self.lines, pen)
            self.legend.addItem(pg.PlotDataItem(pen=pen), STAT_NAMES[st])  # a sample for the legend
            self.curves[st] = c
        self.legend.setVisible(len(self.curves) > 1)
        self.refresh()

    # --- refresh --------------------------------------------------------------------------------------
    def refresh(self) -> None:
        sim, nid = self.sim, self.node_id
        if sim is None or nid is None or not self.isVisible() and not self._force:
            return
        k = sim.k
        m = sim.metrics[nid]
        # Run-wide percentiles sort every sample so far: once a second is plenty while running.
        now = time.perf_counter()
        if k and (self._force or now - self._run_at >= 1.0 or self._run_k == 0):
            self._run = m.summary(k, sim.period_lengths())
            self._run_at, self._run_k = now, k
        run = self._run if k else {}
        for name, typ in m.types.items():
            i = self._rows[name]
            unit = unit_of(name, typ)
            latest = "–"
            if k:
                st = RUN_STAT[typ] if typ != GAUGE else "avg"
                v = float(sim.series(nid, name, st)[k - 1])
                if typ == COUNTER:
                    v /= float(lengths(sim, k - 1, k)[0])
                    latest = f"{format_value(v, unit)}/s"
                elif typ == DIST and sim.series(nid, name, "count")[k - 1] == 0:
                    latest = "–"
                else:
                    latest = format_value(v, unit)
            total = "–"
            if run:
                st = RUN_STAT[typ]
                total = f"{STAT_NAMES[st]} {exact_value(float(run[name][st]), unit)}"
            for col, text in ((2, latest), (3, total)):
                cell = self.table.item(i, col)
                if cell.text() != text:
                    cell.setText(text)
        if self.metric is not None:
            x = self._x[:k]
            typ = m.types[self.metric]
            for st, c in self.curves.items():
                y = sim.series(nid, self.metric, st)
                if typ == DIST:
                    y = np.where(sim.series(nid, self.metric, "count") > 0, y, np.nan)
                c.show(x, y, commit=False)
            if self.lines is not None:
                self.lines.commit()
        if k:
            self.sub.setToolTip(f"Latest period starts at {fmt_clock(self._x[k - 1])}")

    def refresh_now(self) -> None:
        """Refresh even while hidden (screenshots, exports, tests)."""
        self._force = True
        try:
            self.refresh()
        finally:
            self._force = False

    def _redraw(self) -> None:
        for c in self.curves.values():
            c.redraw(commit=False)
        if self.lines is not None:
            self.lines.commit()

    def add_mark(self, t: float, label: str, number: int = 1) -> None:
        line = pg.InfiniteLine(pos=t, angle=90, movable=False,
                               pen=pg.mkPen(MARK_COLOUR, width=1.2, style=Qt.PenStyle.DashLine))
        pg.InfLineLabel(line, text=mark_symbol(number), position=0.97, anchors=[(0.5, 0.0), (0.5, 0.0)],
                        color=MARK_COLOUR, fill=pg.mkBrush(255, 255, 255, 235))
        line.setToolTip(f"{fmt_clock(t)} · {label}")
        self.plot.addItem(line, ignoreBounds=True)
        self._marks.append(line)
