"""Live lines: every line of a chart drawn by one `LineSet` item, fed with only what the view
can show.

Why not one `PlotDataItem` per line: its `setData` costs ~0.5 ms and each curve item adds
~0.5 ms of Python to every repaint; with fifty lines refreshed ten times a second that is most
of the CPU the simulation needs. Metric periods are evenly spaced, so clipping to the visible
time range and "peak" downsampling (min and max of each bin, as pyqtgraph does) are a few numpy
slices; a `LineSet` then draws its lines' cached QPainterPaths in a single paint call.

Raster painting is the other cost: an antialiased line wider than one pixel is stroked as a
polygon, about a hundred times slower than a 1 px cosmetic line over noisy data. Data lines are
therefore 1 px; a `steps` line (a configured limit) is reduced to its breakpoints, so it can be
drawn wider at no cost.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QPainter, QPainterPath, QPen


def visible_slice(x: np.ndarray, x0: float, x1: float) -> slice:
    """Indices of ascending `x` inside [x0, x1], plus one point either side."""
    n = x.size
    if n == 0:
        return slice(0, 0)
    i0 = max(0, int(np.searchsorted(x, x0, side="left")) - 1)
    i1 = min(n, int(np.searchsorted(x, x1, side="right")) + 1)
    return slice(i0, max(i0, i1))


def peak_decimate(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most about `max_points` points keeping each bin's minimum and maximum (NaN-aware)."""
    n = x.size
    if n <= max_points or max_points < 4:
        return x, y
    ds = math.ceil(n / (max_points // 2))
    m = (n // ds) * ds
    xb = x[:m].reshape(-1, ds)
    yb = y[:m].reshape(-1, ds)
    lo = np.fmin.reduce(yb, axis=1)  # fmin/fmax skip NaN without warnings
    hi = np.fmax.reduce(yb, axis=1)
    xs = np.repeat(xb[:, 0], 2)
    xs[1::2] = xb[:, -1]
    ys = np.empty(xs.size)
    ys[0::2] = lo
    ys[1::2] = hi
    if m < n:
        xs = np.concatenate([xs, x[m:]])
        ys = np.concatenate([ys, y[m:]])
    return xs, ys


def breakpoints(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A piecewise-constant series as the two ends of each constant run (NaN runs stay gaps)."""
    n = x.size
    if n <= 2:
        return x, y
    same = (y[1:] == y[:-1]) | (np.isnan(y[1:]) & np.isnan(y[:-1]))
    starts = np.flatnonzero(np.concatenate(([True], ~same)))
    ends = np.concatenate((starts[1:] - 1, [n - 1]))
    xs = np.empty(starts.size * 2)
    ys = np.empty(starts.size * 2)
    xs[0::2], xs[1::2] = x[starts], x[ends]
    ys[0::2], ys[1::2] = y[starts], y[ends]
    return xs, ys


class LineSet(pg.GraphicsObject):
    """Several lines of one plot, each a cached path with its pen, painted in one call."""

    def __init__(self):
        super().__init__()
        self.pens: list[QPen] = []
        self.paths: list[QPainterPath] = []
        self.visible: list[bool] = []
        self.bounds: list[tuple[float, float, float, float] | None] = []  # x0, x1, y0, y1
        self._rect = QRectF()

    def add(self, pen: QPen) -> int:
        self.pens.append(pen)
        self.paths.append(QPainterPath())
        self.visible.append(True)
        self.bounds.append(None)
        return len(self.pens) - 1

    def set_line(self, i: int, xs: np.ndarray, ys: np.ndarray) -> None:
        finite = np.isfinite(ys)
        if xs.size and finite.any():
            self.paths[i] = pg.arrayToQPath(xs, ys, connect="finite")
            fy = ys[finite]
            self.bounds[i] = (float(xs[0]), float(xs[-1]), float(fy.min()), float(fy.max()))
        else:
            self.paths[i] = QPainterPath()
            self.bounds[i] = None

    def set_visible(self, i: int, on: bool) -> None:
        self.visible[i] = on

    def commit(self) -> None:
        """Take the new lines into account (bounds, repaint): once after a batch of changes."""
        rect = QRectF()
        for b, on in zip(self.bounds, self.visible, strict=True):
            if b is not None and on:
                rect = rect.united(QRectF(b[0], b[2], max(b[1] - b[0], 1e-9), max(b[3] - b[2], 1e-9)))
        if rect != self._rect:
            self.prepareGeometryChange()
            self._rect = rect
            self.informViewBoundsChanged()
        self.update()

    # --- QGraphicsItem / pyqtgraph protocol -----------------------------------------------------
    def boundingRect(self) -> QRectF:
        # Cosmetic pens draw outside the data rectangle by up to a pixel or two.
        px = self.pixelLength(pg.Point(1, 0)) or 0.0
        py = self.pixelLength(pg.Point(0, 1)) or 0.0
        return self._rect.adjusted(-2 * px, -2 * py, 2 * px, 2 * py)

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        """For "View All": the extent of the visible lines."""
        if self._rect.isNull():
            return (None, None)
        r = self._rect
        return (r.left(), r.right()) if ax == 0 else (r.top(), r.bottom())

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        for pen, path, on in zip(self.pens, self.paths, self.visible, strict=True):
            if on and not path.isEmpty():
                painter.setPen(pen)
                painter.drawPath(path)


class LiveCurve:
    """One line of a `LineSet`; `show(x, y)` draws the visible, decimated part."""

    def __init__(self, plot: pg.PlotItem, lines: LineSet, pen: QPen, steps: bool = False):
        self.plot = plot
        self.lines = lines
        self.index = lines.add(pen)
        self.pen = pen
        self.steps = steps
        self.x = np.zeros(0)
        self.y = np.zeros(0)

    def show(self, x: np.ndarray, y: np.ndarray, commit: bool = True) -> tuple[float, float] | None:
        self.x, self.y = x, y
        return self.redraw(commit)

    def redraw(self, commit: bool = True) -> tuple[float, float] | None:
        """Draw the visible part; returns its (min, max), or None when nothing finite shows.
        Several lines of a set are redrawn with `commit=False` and one `LineSet.commit()`."""
        vb = self.plot.getViewBox()
        x0, x1 = vb.viewRange()[0]
        s = visible_slice(self.x, x0, x1)
        if self.steps:
            xs, ys = breakpoints(self.x[s], self.y[s])
        else:
            xs, ys = peak_decimate(self.x[s], self.y[s], max(64, int(vb.width())))
        self.lines.set_line(self.index, xs, ys)
        if commit:
            self.lines.commit()
        b = self.lines.bounds[self.index]
        return None if b is None else (b[2], b[3])

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        """Everything this line was given (not only what is drawn)."""
        return self.x, self.y

    def clear(self, commit: bool = True) -> None:
        self.x = self.y = np.zeros(0)
        self.lines.set_line(self.index, self.x, self.y)
        if commit:
            self.lines.commit()

    def setVisible(self, on: bool) -> None:
        self.lines.set_visible(self.index, on)
        self.lines.commit()

    def isVisible(self) -> bool:
        return self.lines.visible[self.index]
