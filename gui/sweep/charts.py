"""Sweep charts: a line with a 95 % confidence band over one parameter, a heatmap with a
colour bar over two. Items are built once and updated with setData/setImage; clicking a
point (or a heatmap cell) emits its grid index."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from gui import theme
from gui.run.axes import CompactAxisItem

LINE = "#1565C0"
BAND = QColor(21, 101, 192, 50)
LINE_B = "#D45B07"
BAND_B = QColor(212, 91, 7, 45)


def _style(plot: pg.PlotItem) -> None:
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.hideButtons()
    for ax in ("left", "bottom"):
        axis = plot.getAxis(ax)
        axis.setPen(QColor("#B8C0CB"))
        axis.setTextPen(QColor(theme.TEXT_MUTED))
        axis.enableAutoSIPrefix(False)


def axis_label(name: str, unit: str) -> str:
    return f"{name} ({unit})" if unit else name


class _ClickImage(pg.ImageItem):
    """An ImageItem that reports the (column, row) cell under a left click."""

    def __init__(self, on_click, **kw):
        super().__init__(**kw)
        self._on_click = on_click

    def mouseClickEvent(self, ev):  # noqa: N802 - Qt naming
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        p = ev.pos()
        self._on_click(int(math.floor(p.x())), int(math.floor(p.y())))
        ev.accept()


class SweepChart(QWidget):
    """Line + confidence band (one parameter) or heatmap (two); `point_clicked(index)`
    carries the grid index of the clicked point."""

    point_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.stack = QStackedWidget()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.stack)

        # line mode
        self.line_widget = pg.PlotWidget(background="w", axisItems={"left": CompactAxisItem()})
        self.line_plot = lp = self.line_widget.getPlotItem()
        _style(lp)
        self.legend = lp.addLegend(offset=(-10, 10), labelTextColor=theme.TEXT)
        self.upper = pg.PlotDataItem([], [], pen=None)
        self.lower = pg.PlotDataItem([], [], pen=None)
        self.band = pg.FillBetweenItem(self.upper, self.lower, brush=BAND)
        self.mean = pg.PlotDataItem([], [], pen=pg.mkPen(LINE, width=2), symbol="o", symbolSize=8,
                                    symbolBrush=LINE, symbolPen="w", name="mean")
        band_proxy = pg.PlotDataItem([], [], pen=pg.mkPen(BAND, width=10))
        for it in (self.upper, self.lower, self.band, self.mean):
            lp.addItem(it)
        self.legend.addItem(band_proxy, "95 % confidence interval")
        self.mean.sigPointsClicked.connect(self._line_clicked)
        self.stack.addWidget(self.line_widget)

        # heatmap mode
        self.heat_widget = pg.PlotWidget(background="w")
        self.heat_plot = hp = self.heat_widget.getPlotItem()
        _style(hp)
        hp.showGrid(x=False, y=False)
        self.image = _ClickImage(self._cell_clicked)
        hp.addItem(self.image)
        self.colorbar = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False,
                                        label=" ")
        self.colorbar.setImageItem(self.image, insert_in=hp)
        self.stack.addWidget(self.heat_widget)

        self._x_index: list[int] = []  # line point i → grid index
        self._cells: dict[tuple[int, int], int] = {}  # (column, row) → grid index
        self.mode = "line"

    # --- one parameter -----------------------------------------------------------------
    def show_line(self, xs: Sequence[float | str], means: Sequence[float], los: Sequence[float],
                  his: Sequence[float], grid_index: Sequence[int], x_label: str, y_label: str) -> None:
        """Means with their band at each x; non-numeric xs are placed at 0, 1, 2 … and labelled."""
        self.mode = "line"
        self.stack.setCurrentWidget(self.line_widget)
        numeric = all(isinstance(x, int | float) and not isinstance(x, bool) for x in xs)
        pos = np.asarray(xs if numeric else range(len(xs)), dtype=float)
        order = np.argsort(pos, kind="stable")
        pos = pos[order]
        m, lo, hi = (np.asarray(v, dtype=float)[order] for v in (means, los, his))
        self._x_index = [int(grid_index[i]) for i in order]
        self.mean.setData(pos, m)
        self.upper.setData(pos, hi)
        self.lower.setData(pos, lo)
        ax = self.line_plot.getAxis("bottom")
        ax.setTicks(None if numeric else [[(float(i), str(xs[int(j)])) for i, j in enumerate(order)]])
        self.line_plot.setLabel("bottom", x_label)
        self.line_plot.setLabel("left", y_label)
        self.line_plot.enableAutoRange()

    def _line_clicked(self, _item, points, *_):
        if len(points):
            i = int(points[0].index())
            if 0 <= i < len(self._x_index):
                self.point_clicked.emit(self._x_index[i])

    # --- two parameters ----------------------------------------------------------------
    def show_heatmap(self, xs: Sequence, ys: Sequence, values: np.ndarray, grid_index: np.ndarray,
                     x_label: str, y_label: str, value_label: str) -> None:
        """`values[i, j]` at xs[i], ys[j] (NaN where not run yet); cells are categories."""
        self.mode = "heatmap"
        self.stack.setCurrentWidget(self.heat_widget)
        data = np.asarray(values, dtype=float)
        if pg.getConfigOption("imageAxisOrder") == "row-major":
            self.image.setImage(data.T, autoLevels=False)
        else:
            self.image.setImage(data, autoLevels=False)
        nx, ny = data.shape
        self.image.setRect(QRectF(0, 0, nx, ny))
        finite = data[np.isfinite(data)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if hi <= lo:
            hi = lo + 1.0
        self.colorbar.setLevels((lo, hi))
        self.colorbar.getAxis("left").setLabel(value_label)
        self._cells = {(i, j): int(grid_index[i, j]) for i in range(nx) for j in range(ny)}
        self.heat_plot.getAxis("bottom").setTicks([[(i + 0.5, _short(x)) for i, x in enumerate(xs)]])
        self.heat_plot.getAxis("left").setTicks([[(j + 0.5, _short(y)) for j, y in enumerate(ys)]])
        self.heat_plot.setLabel("bottom", x_label)
        self.heat_plot.setLabel("left", y_label)
        self.heat_plot.setTitle(value_label, color=theme.TEXT, size="9pt")
        self.heat_plot.setRange(xRange=(0, nx), yRange=(0, ny), padding=0)

    def _cell_clicked(self, i: int, j: int) -> None:
        idx = self._cells.get((i, j))
        if idx is not None:
            self.point_clicked.emit(idx)

    def clear(self) -> None:
        for it in (self.mean, self.upper, self.lower):
            it.setData([], [])
        self.image.clear()
        self._x_index, self._cells = [], {}


def _short(v) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)
