"""The live dashboard: pyqtgraph charts over simulated time, one per `series.ChartSpec`.

A chart's lines are created when a run is (re)built and afterwards only fed new numpy arrays
(`curve.LiveCurve`), never cleared and re-plotted. Every chart's x axis is linked to the first
one, so zooming one zooms all; a vertical crosshair follows the mouse across all charts and the
read-out above them lists the hovered chart's values. Edits applied mid-run show as numbered
markers on every chart, listed above the charts.
"""

from __future__ import annotations

import html
import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGraphicsItem,
    QGridLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.engine.simulation import Simulation
from gui import theme
from gui.run.axes import CompactAxisItem, TimeAxisItem
from gui.run.curve import LineSet, LiveCurve
from gui.run.series import ChartSpec, Track, charts_for, fmt_clock, fmt_count

LIMIT_OFF_SCALE = 3.0  # hide a limit line more than this many times above the data
CHART_MIN_W = 340
CHART_MIN_H = 150
MARK_COLOUR = "#2F6FED"
HINT = ("Move the mouse over a chart for a read-out · drag or wheel to zoom time "
        "(all charts follow) · right-click › View All to reset")

_PEN_STYLES = {
    "solid": Qt.PenStyle.SolidLine,
    "dash": Qt.PenStyle.DashLine,
    "dot": Qt.PenStyle.DotLine,
    "dashdot": Qt.PenStyle.DashDotLine,
}
_SAMPLES = {"solid": "━━", "dash": "╍╍", "dot": "┅┅", "dashdot": "━┅"}


def pen_for(track: Track) -> QPen:
    """1 px for data (fast to raster, see curve.py); limits, drawn from a few breakpoints, 1.6 px."""
    pen = pg.mkPen(track.colour, width=1.6 if track.limit else 1.0, style=_PEN_STYLES.get(track.style))
    pen.setCosmetic(True)
    return pen


def mark_symbol(n: int) -> str:
    """①, ②, … ⑳, then #21: the number of an edit on the charts."""
    return chr(0x2460 + n - 1) if 1 <= n <= 20 else f"#{n}"


def nice_ceiling(v: float) -> float:
    """The smallest of 1, 2, 5 × 10ⁿ at or above v (1 for nothing to show)."""
    if not v > 0 or v != v:
        return 1.0
    base = 10.0 ** math.floor(math.log10(v))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * base >= v * (1 - 1e-12):
            return m * base
    return 10.0 * base


def format_value(v: float, unit: str) -> str:
    """A value for the read-out and tables: $0.0123, 850 ms, 4.2 s, 1.2k."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if unit == "USD":
        return f"${v:,.4f}" if abs(v) < 10 else f"${v:,.2f}"
    if unit == "s":
        return f"{v * 1000:.0f} ms" if 0 < abs(v) < 1 else f"{v:.3g} s"
    return fmt_count(v)


class ChartPanel(QFrame):
    """One chart: title, a legend that toggles its lines, and the plot."""

    hovered = Signal(object, float)  # (panel, x) while the mouse moves over the plot

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("ChartPanel")
        self.setStyleSheet(f"QFrame#ChartPanel {{ background: #FFFFFF; border: 1px solid {theme.BORDER}; border-radius: 4px; }}")
        self.spec: ChartSpec | None = None
        self.sim: Simulation | None = None
        self.curves: dict[Track, LiveCurve] = {}
        self.lines: LineSet | None = None
        self.hidden: set[str] = set()  # track keys switched off in the legend
        self.off_scale: set[str] = set()
        self.marks: list[pg.InfiniteLine] = []
        self._legend_html = ""
        self._x = np.zeros(0)
        self.refreshes = 0  # refreshes that brought new data and redrew the chart
        self.ticks = 0  # refreshes asked for (the chart is current after each)
        self._y_fitted = False

        self.title = QLabel()
        self.title.setFont(theme.ui_font(9.0, QFont.Weight.Bold))
        self.title.setStyleSheet(f"color: {theme.TEXT}; border: none;")
        self.note = QLabel()
        self.note.setStyleSheet(f"color: {theme.TEXT_FAINT}; border: none; font-size: 8pt;")
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setStyleSheet("border: none;")
        self.legend.setFont(theme.ui_font(7.5))
        self.legend.setToolTip("Click an entry to hide or show its line. A faded limit is far above "
                               "the data and not drawn, so the data stays readable.")
        self.legend.linkActivated.connect(self._toggle)
        # At most three lines: the plot keeps its room however many lines a design brings.
        self.legend.setMaximumHeight(3 * self.legend.fontMetrics().lineSpacing() + 2)

        self.plot_widget = pg.PlotWidget(background="w", axisItems={"bottom": TimeAxisItem(),
                                                                          "left": CompactAxisItem()})
        self.plot_widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.plot_widget.setMinimumHeight(80)
        p = self.plot = self.plot_widget.getPlotItem()
        p.showGrid(x=False, y=True, alpha=0.14)  # horizontal guides only: half the grid to paint
        p.setMenuEnabled(True)
        p.hideButtons()
        p.getViewBox().setMouseEnabled(x=True, y=False)  # wheel/drag zoom time; y follows the data
        p.getViewBox().disableAutoRange()  # x: the run's duration; y: fitted in _fit_y
        p.setLabel("bottom", "simulated time (m:ss)", **{"font-size": "7.5pt"})
        font = theme.ui_font(7.5)
        p.getAxis("left").setWidth(46)  # fixed: a wider tick label must not re-layout the chart
        for ax in ("left", "bottom"):
            axis = p.getAxis(ax)
            axis.setTickFont(font)
            axis.setPen(QColor("#B8C0CB"))
            axis.setTextPen(QColor(theme.TEXT_MUTED))  # after setPen, which recolours the label
            # Replaying an axis's QPicture redraws every tick label (~4 ms); a pixmap cache
            # makes a repaint that only touched the curves a blit.
            axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.vline = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#9AA8BA", width=1))
        self.vline.setVisible(False)
        p.addItem(self.vline, ignoreBounds=True)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_mouse)
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(0)
        self._redraw_timer.timeout.connect(self.redraw)
        p.getViewBox().sigXRangeChanged.connect(lambda *_: self._redraw_timer.start())

        head = QVBoxLayout(self)
        head.setContentsMargins(8, 5, 6, 2)
        head.setSpacing(1)
        head.addWidget(self.title)
        head.addWidget(self.note)
        head.addWidget(self.legend)
        head.addWidget(self.plot_widget, 1)
        self.setMinimumWidth(CHART_MIN_W)

    # --- building (once per run) ------------------------------------------------------------------
    def set_spec(self, spec: ChartSpec, sim: Simulation) -> None:
        p = self.plot
        self.sim = sim
        if self.lines is not None:
            p.removeItem(self.lines)
        self.lines = LineSet()
        p.addItem(self.lines)
        for m in self.marks:
            p.removeItem(m)
        self.marks.clear()
        self.curves.clear()
        self.off_scale.clear()
        self._x = np.zeros(0)
        self.refreshes = self.ticks = 0
        self._y_fitted = False
        self.spec = spec
        self.title.setText(f"{spec.title}  <span style='color:{theme.TEXT_FAINT}; font-weight:normal'>{spec.unit}</span>")
        self.title.setToolTip(spec.help)
        self.note.setText(spec.note)
        self.note.setVisible(bool(spec.note))
        p.setLabel("left", spec.unit, **{"font-size": "7.5pt"})
        for tr in spec.tracks:
            c = LiveCurve(p, self.lines, pen_for(tr), steps=tr.limit)
            c.setVisible(tr.key not in self.hidden)
            self.curves[tr] = c
        p.setXRange(0, sim.duration, padding=0.01)
        self._legend_html = ""
        self._update_legend()

    def add_mark(self, t: float, number: int, label: str) -> None:
        """A dashed line at t with its number on top; the edit itself is listed above the charts."""
        line = pg.InfiniteLine(pos=t, angle=90, movable=False,
                               pen=pg.mkPen(MARK_COLOUR, width=1.3, style=Qt.PenStyle.DashLine))
        pg.InfLineLabel(line, text=mark_symbol(number), position=0.97, anchors=[(0.5, 0.0), (0.5, 0.0)],
                        color=MARK_COLOUR, fill=pg.mkBrush(255, 255, 255, 235))
        line.setToolTip(f"{fmt_clock(t)} · {label}")
        self.plot.addItem(line, ignoreBounds=True)
        self.marks.append(line)

    # --- refreshing (every tick) ---------------------------------------------------------------------
    def refresh(self, sim: Simulation, x: np.ndarray) -> None:
        self.ticks += 1
        if self.spec is None or (x.size == self._x.size and x.size and self.refreshes):
            return  # no new period since the last refresh
        self.refreshes += 1
        self._x = x
        data_max = 0.0
        ys = {}
        for tr in self.spec.tracks:
            y = tr.update(sim)
            ys[tr] = y
            if not tr.limit and tr.key not in self.hidden and y.size:
                m = np.nanmax(y) if np.isfinite(y).any() else 0.0
                data_max = max(data_max, float(m))
        off = set()
        bounds = []
        for tr, y in ys.items():
            c = self.curves[tr]
            if tr.limit and y.size and np.isfinite(y[-1]) and y[-1] > LIMIT_OFF_SCALE * max(data_max, 1.0):
                off.add(tr.key)
                c.clear(commit=False)
                continue
            b = c.show(x, y, commit=False)
            if b is not None and tr.key not in self.hidden:
                bounds.append(b)
        self.lines.commit()
        if off != self.off_scale:
            self.off_scale = off
        self._fit_y(bounds)
        self._update_legend()

    def _fit_y(self, bounds: list[tuple[float, float]]) -> None:
        """Y runs from zero (or the lowest value) to a round number above the visible data.

        The top moves in 1-2-5 steps and only when the data leaves the band between 40% and
        100% of it: the axis and its labels are then re-rendered a few times per run, not every
        frame (pyqtgraph's auto-range would also measure every curve on each repaint)."""
        lo = min([0.0] + [b[0] for b in bounds])
        top = (max([0.0] + [b[1] for b in bounds]) - lo) * 1.04
        # Counts get at least 0..5 (no "0.2 messages"); an empty chart gets 0..1.
        floor = 5.0 if self.spec is not None and self.spec.unit == "count" else 0.0
        want = max(floor, nice_ceiling(top))
        cur_lo, cur_hi = self.plot.getViewBox().viewRange()[1]
        cur_top = cur_hi - cur_lo
        fits = top <= cur_top and (0.4 * cur_top <= top or math.isclose(cur_top, want, rel_tol=1e-6))
        if self._y_fitted and cur_lo == lo and fits:
            return
        self._y_fitted = True
        self.plot.setYRange(lo, lo + want, padding=0)

    def _update_legend(self) -> None:
        """Entries keep their text while the run goes on (only colours change), so the legend
        never re-wraps and resizes the chart mid-run: limits show their value from the start,
        a limit far above the data is faded rather than relabelled. A limit that belongs to a
        line (a function's reserved concurrency) shares that line's entry."""
        if self.spec is None:
            return
        limits = {}
        for tr in self.spec.tracks:
            if tr.limit:
                y = tr.values()
                v = float(y[-1]) if y.size else float(tr.read(self.sim, 0, 1)[0]) if self.sim else float("nan")
                if v == v:  # not NaN: the limit is set
                    limits[tr.key] = v
        groups = {tr.group for tr in self.spec.tracks if tr.group and tr.key in limits}
        compact = len(groups) > 1  # several functions: their limits in short, in brackets
        entries: dict[str, list[str]] = {}
        for tr in self.spec.tracks:
            label = tr.label
            if tr.limit:
                if tr.key not in limits:
                    continue  # a limit that is not set (no reserved concurrency, …)
                v = limits[tr.key]
                if tr.group:
                    label = label.removeprefix(tr.group.removesuffix(".conc") + " ")
                    if compact:
                        label = label.replace("MaximumConcurrency", "ESM max")
                label = f"{label} {v:,.0f}"
            faded = tr.key in self.hidden or tr.key in self.off_scale
            glyph = _SAMPLES.get(tr.style, "━━")
            sample = f"<span style='color:{theme.TEXT_FAINT if faded else tr.colour}'>" \
                     f"{glyph[0] if compact and tr.group else glyph}</span>"
            text = f"<span style='color:{theme.TEXT_FAINT if faded else theme.TEXT}'>{label}</span>"
            owner = tr.group if tr.group in entries else tr.key
            entries.setdefault(owner, []).append(f"{sample}&nbsp;{text}")
        parts = []
        for key, bits in entries.items():
            deco = "line-through" if key in self.hidden else "none"
            body = bits[0] + (" (" + ", ".join(bits[1:]) + ")" if compact and len(bits) > 1 else
                              "".join(" " + b for b in bits[1:]))
            parts.append(f"<a href='{key}' style='text-decoration:{deco}; color:{theme.TEXT}'>{body}</a>")
        text = "&nbsp;&nbsp; ".join(parts)
        if text != self._legend_html:
            self._legend_html = text
            self.legend.setText(text)

    def _toggle(self, key: str) -> None:
        """Hide or show a legend entry's line (with the limits that share its entry)."""
        keys = {key} | {tr.key for tr in self.spec.tracks if tr.group == key}
        if key in self.hidden:
            self.hidden -= keys
        else:
            self.hidden |= keys
        for tr, c in self.curves.items():
            c.setVisible(tr.key not in self.hidden)
        self.redraw()
        self._update_legend()

    # --- crosshair ----------------------------------------------------------------------------------------
    def _on_mouse(self, pos) -> None:
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(pos):
            return
        self.hovered.emit(self, vb.mapSceneToView(pos).x())

    def set_cursor(self, x: float | None) -> None:
        if x is None:
            self.vline.setVisible(False)
        else:
            self.vline.setPos(x)
            self.vline.setVisible(True)

    def readout(self, x: float) -> str:
        """The values at simulated time x, as rich text."""
        if self.spec is None or not self._x.size:
            return ""
        i = int(np.searchsorted(self._x, x, side="right")) - 1
        if i < 0:
            return ""
        i = min(i, self._x.size - 1)
        cells = []
        for tr in self.spec.tracks:
            y = tr.values()
            if i >= y.size or tr.key in self.hidden or (tr.limit and not np.isfinite(y[i])):
                continue
            cells.append(f"<span style='color:{tr.colour}'>●</span> {tr.label} <b>{format_value(float(y[i]), self.spec.unit)}</b>")
        return f"<b>{self.spec.title}</b> at {fmt_clock(self._x[i])}: " + " · ".join(cells)

    def redraw(self) -> None:
        """Re-clip and re-decimate every line for a new visible time range."""
        bounds = []
        for tr, c in self.curves.items():
            if tr.key in self.off_scale:
                continue
            b = c.redraw(commit=False)
            if b is not None and tr.key not in self.hidden:
                bounds.append(b)
        if self.lines is not None:
            self.lines.commit()
        self._fit_y(bounds)

    def curve(self, key: str) -> LiveCurve | None:
        for tr, c in self.curves.items():
            if tr.key == key:
                return c
        return None


class Dashboard(QWidget):
    """All charts of the current run, in a grid that reflows with the width."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.panels: dict[str, ChartPanel] = {}
        self.order: list[str] = []
        self.sim: Simulation | None = None
        self._x = np.zeros(0)
        self._cols = 0
        self._marks: list[tuple[float, str]] = []

        self.readout = QLabel()
        self.readout.setTextFormat(Qt.TextFormat.RichText)
        self.readout.setStyleSheet(f"color: {theme.TEXT_MUTED}; padding: 2px 4px;")
        self.readout.setMinimumHeight(20)
        self._default_readout = HINT
        self.readout.setText(self._default_readout)
        self.readout.setToolTip(HINT)

        self.grid_host = QWidget()
        self.grid_host.setObjectName("ChartGrid")
        self.grid_host.setStyleSheet(f"QWidget#ChartGrid {{ background: {theme.PANEL_BG}; }}")
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(4, 4, 4, 4)
        self.grid.setSpacing(6)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.grid_host)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.readout)
        lay.addWidget(self.scroll, 1)

    def sizeHint(self) -> QSize:
        return QSize(1200, 460)

    @property
    def master(self) -> pg.PlotItem | None:
        """The plot every other time axis is linked to."""
        return self.panels[self.order[0]].plot if self.order else None

    def rebuild(self, sim: Simulation | None) -> None:
        """New curves for a new run (never per frame)."""
        self.sim = sim
        self._marks.clear()
        self._default_readout = HINT
        self.readout.setText(HINT)
        specs = charts_for(sim) if sim is not None else []
        self.order = [s.key for s in specs]
        for spec in specs:
            panel = self.panels.get(spec.key)
            if panel is None:
                panel = self.panels[spec.key] = ChartPanel()
                panel.hovered.connect(self._on_hover)
            panel.set_spec(spec, sim)
        master = self.master
        for key, panel in self.panels.items():
            panel.setVisible(key in self.order)
            if master is not None and panel.plot is not master and key in self.order:
                panel.plot.setXLink(master)
        self._x = np.arange(sim.n_periods) * sim.period if sim is not None else np.zeros(0)
        self._cols = 0
        self._reflow()
        self.refresh()

    def refresh(self, group: int | None = None, groups: int = 2) -> None:
        """Feed the charts the new periods: all of them, or every `groups`-th one from `group`
        (the live loop refreshes half the charts per tick, so no single repaint is long)."""
        sim = self.sim
        if sim is None:
            return
        x = self._x[: sim.k]
        for i, key in enumerate(self.order):
            if group is None or i % groups == group:
                self.panels[key].refresh(sim, x)

    def add_mark(self, t: float, label: str) -> None:
        self._marks.append((t, label))
        for key in self.order:
            self.panels[key].add_mark(t, len(self._marks), label)
        self._default_readout = self._hint()
        self.readout.setText(self._default_readout)

    def _hint(self) -> str:
        if not self._marks:
            return HINT
        edits = " · ".join(f"<span style='color:{MARK_COLOUR}'><b>{mark_symbol(i + 1)}</b></span> "
                           f"{fmt_clock(t)} {html.escape(label)}" for i, (t, label) in enumerate(self._marks[-4:]))
        more = f"{len(self._marks) - 4} earlier · " if len(self._marks) > 4 else ""
        return f"Edits applied: {more}{edits}"

    @property
    def marks(self) -> list[tuple[float, str]]:
        return list(self._marks)

    def render_chart(self, key: str, width: int = 760, height: int = 300):
        """A chart as a picture at a fixed size (for reports), same data, range and markers."""
        src = self.panels[key]
        tmp = ChartPanel()
        tmp.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        tmp.hidden = set(src.hidden)
        tmp.set_spec(src.spec, self.sim)
        tmp.setFixedSize(width, height)
        tmp.show()
        x0, x1 = src.plot.getViewBox().viewRange()[0]
        tmp.plot.setXRange(x0, x1, padding=0)
        for i, (t, label) in enumerate(self._marks):
            tmp.add_mark(t, i + 1, label)
        QApplication.processEvents()  # lay the legend and axes out at this size
        tmp.refresh(self.sim, self._x[: self.sim.k])
        QApplication.processEvents()
        picture = tmp.grab()
        tmp.hide()
        tmp.deleteLater()
        return picture

    def panel(self, key: str) -> ChartPanel | None:
        return self.panels.get(key) if key in self.order else None

    # --- layout --------------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._reflow()

    def _reflow(self) -> None:
        width = max(self.width() - 24, 1)
        cols = max(1, min(4, width // CHART_MIN_W))
        if cols != self._cols:
            self._cols = cols
            while self.grid.count():
                self.grid.takeAt(0)
            for i, key in enumerate(self.order):
                self.grid.addWidget(self.panels[key], i // cols, i % cols)
            for c in range(4):
                self.grid.setColumnStretch(c, 1 if c < cols else 0)
            # The time axis is named once, under the last row (all charts share it).
            last_row = (len(self.order) - 1) // cols
            for i, key in enumerate(self.order):
                self.panels[key].plot.getAxis("bottom").showLabel(i // cols == last_row)
        # Share the height between the rows (scrolling only below CHART_MIN_H): wrapped legends
        # must not make the grid taller than the dock.
        rows = max(1, math.ceil(len(self.order) / cols))
        m = self.grid.contentsMargins()
        avail = self.height() - self.readout.sizeHint().height() - m.top() - m.bottom() - 2
        h = max(CHART_MIN_H, (avail - self.grid.spacing() * (rows - 1)) // rows)
        for key in self.order:
            if self.panels[key].height() != h or self.panels[key].minimumHeight() != h:
                self.panels[key].setFixedHeight(h)

    # --- crosshair --------------------------------------------------------------------------------------
    def _on_hover(self, panel: ChartPanel, x: float) -> None:
        for key in self.order:
            self.panels[key].set_cursor(x)
        text = panel.readout(x)
        self.readout.setText(text or self._default_readout)

    def clear_cursor(self) -> None:
        for p in self.panels.values():
            p.set_cursor(None)
        self.readout.setText(self._default_readout)

    def leaveEvent(self, event) -> None:
        self.clear_cursor()
        super().leaveEvent(event)
