"""An overview of the whole design in a corner of the canvas: nodes as kind-coloured blocks,
edges as hairlines, the visible area as a frame. Click or drag in it to move the view.

It draws from the items' positions (not by re-rendering the scene) into a cached picture that
is redrawn at most a few times a second while the design changes; scrolling only moves the frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from gui import theme
from gui.canvas.node_item import H, W

if TYPE_CHECKING:
    from gui.canvas.view import CanvasView


class Minimap(QWidget):
    def __init__(self, view: CanvasView):
        super().__init__(view)
        self.view = view
        self.setFixedSize(184, 118)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        # Opaque (corners filled with the canvas colour): repainting the canvas under it then
        # never forces this widget to be recomposed.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self._cache: QPixmap | None = None
        self._design = QRectF()  # bounds of the nodes when the cache was drawn
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.invalidate)
        view.scene().changed.connect(self.schedule)
        view.horizontalScrollBar().valueChanged.connect(self.update)
        view.verticalScrollBar().valueChanged.connect(self.update)

    def schedule(self, *_args) -> None:
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()

    def invalidate(self) -> None:
        self._cache = None
        self.update()

    def _design_rect(self) -> QRectF:
        rect = QRectF()
        for item in self.view.scene().node_items.values():
            p = item.pos()
            rect = rect.united(QRectF(p.x(), p.y(), W, H))
        return rect

    def _world(self) -> QRectF:
        """The design's bounds (stable while panning, so the cached picture stays valid)."""
        if self._cache is None or self._design.isNull():
            self._design = self._design_rect()
        world = self._design if not self._design.isNull() else self._visible()
        return world.adjusted(-60, -60, 60, 60)

    def _visible(self) -> QRectF:
        return self.view.mapToScene(self.view.viewport().rect()).boundingRect()

    def _transform(self, world: QRectF) -> tuple[float, float, float]:
        inner = QRectF(self.rect()).adjusted(6, 6, -6, -6)
        s = min(inner.width() / max(world.width(), 1), inner.height() / max(world.height(), 1))
        ox = inner.left() + (inner.width() - world.width() * s) / 2 - world.left() * s
        oy = inner.top() + (inner.height() - world.height() * s) / 2 - world.top() * s
        return s, ox, oy

    def paintEvent(self, event) -> None:
        world = self._world()
        key = (world.x(), world.y(), world.width(), world.height())
        if self._cache is None or getattr(self, "_cache_key", None) != key:
            self._cache = self._draw_design(world)
            self._cache_key = key
        p = QPainter(self)
        p.drawPixmap(0, 0, self._cache)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setClipRect(self.rect().adjusted(2, 2, -2, -2))
        s, ox, oy = self._transform(world)
        vis = self._visible()
        p.setPen(QPen(QColor(theme.ACCENT), 1.4))
        p.setBrush(QColor(47, 111, 237, 22))
        p.drawRect(QRectF(vis.left() * s + ox, vis.top() * s + oy, vis.width() * s, vis.height() * s))
        p.end()

    def _draw_design(self, world: QRectF) -> QPixmap:
        dpr = self.devicePixelRatioF() or 1.0
        pm = QPixmap(int(self.width() * dpr), int(self.height() * dpr))
        pm.setDevicePixelRatio(dpr)
        pm.fill(QColor(theme.CANVAS_BG))
        p = QPainter(pm)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(theme.BORDER), 1))
        p.setBrush(QColor(255, 255, 255))
        p.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        scene = self.view.scene()
        s, ox, oy = self._transform(world)
        p.setPen(QPen(QColor("#B7C0CC"), 0.8))
        hw, hh = W / 2, H / 2
        for e in scene.edge_items.values():
            a, b = e.src.pos(), e.dst.pos()
            p.drawLine(QPointF((a.x() + hw) * s + ox, (a.y() + hh) * s + oy),
                       QPointF((b.x() + hw) * s + ox, (b.y() + hh) * s + oy))
        p.setPen(Qt.PenStyle.NoPen)
        for item in scene.node_items.values():
            x, y = item.pos().x(), item.pos().y()
            col = QColor(theme.ACCENT) if item.isSelected() else QColor(theme.kind_info(item.kind).colour)
            p.setBrush(col)
            p.drawRoundedRect(QRectF(x * s + ox, y * s + oy, max(W * s, 2), max(H * s, 1.5)), 1.2, 1.2)
        p.end()
        return pm

    def _goto(self, pos) -> None:
        world = self._world()
        s, ox, oy = self._transform(world)
        self.view.centerOn(QPointF((pos.x() - ox) / s, (pos.y() - oy) / s))

    def mousePressEvent(self, event) -> None:
        self._goto(event.position())
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._goto(event.position())
        event.accept()
