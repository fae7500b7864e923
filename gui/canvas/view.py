"""The canvas view: zoom (Ctrl+wheel, keys), pan (wheel, middle drag, Space+drag), rubber-band
selection, the grid, drops from the palette, and the overlays (minimap, legend, notices).
"""

from __future__ import annotations

import json

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QFrame, QGraphicsView

from gui import theme
from gui.canvas.minimap import Minimap
from gui.canvas.node_item import H, W
from gui.canvas.overlays import Legend, Notice
from gui.canvas.scene import CanvasScene

PALETTE_MIME = "application/x-triggerscope-palette"
MIN_ZOOM, MAX_ZOOM = 0.1, 3.0


class CanvasView(QGraphicsView):
    zoom_changed = Signal(float)
    node_dropped = Signal(str)

    def __init__(self, scene: CanvasScene, parent=None):
        super().__init__(scene, parent)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setAcceptDrops(True)
        # drawBackground covers every pixel: Qt need not paint what lies behind the viewport.
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        # Pan with the wheel, middle drag, Space+drag or the overview map: no scroll bars.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)
        self._pan_from: QPointF | None = None
        self._space = False
        self.minimap = Minimap(self)
        self.minimap_enabled = True  # the user's choice; shown only when the design overflows
        self.legend = Legend(self)
        self.notice = Notice(self)
        scene.notice.connect(self.notice.show_message)
        self._overlay_timer = QTimer(self)
        self._overlay_timer.setSingleShot(True)
        self._overlay_timer.setInterval(150)
        self._overlay_timer.timeout.connect(self.refresh_minimap)
        scene.changed.connect(self._schedule_overlays)

    def _schedule_overlays(self, *_args) -> None:
        if not self._overlay_timer.isActive():
            self._overlay_timer.start()

    def set_minimap_enabled(self, on: bool) -> None:
        self.minimap_enabled = on
        self.refresh_minimap()

    def refresh_minimap(self) -> None:
        """The overview map shows only when part of the design is out of view."""
        scene: CanvasScene = self.scene()
        design = QRectF()
        for item in scene.node_items.values():
            design = design.united(item.sceneBoundingRect())
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        show = self.minimap_enabled and not design.isNull() and not visible.contains(design)
        if show != self.minimap.isVisible():
            self.minimap.setVisible(show)
        if show:
            self.minimap.invalidate()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._schedule_overlays()

    # --- zoom and pan -----------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, z: float, anchor: QPointF | None = None) -> None:
        z = max(MIN_ZOOM, min(MAX_ZOOM, z))
        factor = z / self.zoom()
        if abs(factor - 1.0) < 1e-9:
            return
        if anchor is None:
            old = self.transformationAnchor()
            self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
            self.scale(factor, factor)
            self.setTransformationAnchor(old)
        else:
            self.scale(factor, factor)
        self.resetCachedContent()
        self.zoom_changed.emit(self.zoom())
        self._schedule_overlays()

    def zoom_by(self, factor: float) -> None:
        self.set_zoom(self.zoom() * factor)

    def fit_to_view(self) -> None:
        scene: CanvasScene = self.scene()
        rect = QRectF()
        for item in scene.node_items.values():
            rect = rect.united(item.sceneBoundingRect())
        if rect.isNull():
            self.set_zoom(1.0)
            self.centerOn(QPointF(0, 0))
            return
        rect = rect.adjusted(-50, -50, 50, 50)
        vp = self.viewport().rect()
        z = min(vp.width() / rect.width(), vp.height() / rect.height())
        self.set_zoom(min(z, 1.0))
        self.centerOn(rect.center())
        self.refresh_minimap()

    def center_on_node(self, node_id: str) -> None:
        item = self.scene().node_items.get(node_id)
        if item is not None:
            self.ensureVisible(item.sceneBoundingRect(), 80, 80)

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            delta = event.angleDelta().y()
            if delta:
                self.set_zoom(self.zoom() * (1.0015 ** delta), anchor=event.position())
            event.accept()
            return
        super().wheelEvent(event)

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
                self._space and event.button() == Qt.MouseButton.LeftButton):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            d = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan_by(-d.x(), -d.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def pan_by(self, dx: float, dy: float) -> None:
        self.horizontalScrollBar().setValue(int(self.horizontalScrollBar().value() + dx))
        self.verticalScrollBar().setValue(int(self.verticalScrollBar().value() + dy))

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().keyReleaseEvent(event)

    # --- background grid ---------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, QColor(theme.CANVAS_BG))
        z = self.zoom()
        g = theme.GRID
        if z >= 0.45:
            left = int(rect.left() // g) * g
            top = int(rect.top() // g) * g
            pts = QPolygonF()
            y = top
            while y <= rect.bottom():
                x = left
                while x <= rect.right():
                    pts.append(QPointF(x, y))
                    x += g
                y += g
            pen = QPen(QColor("#CED4DD"), 1.6 / z)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(pen)
            painter.drawPoints(pts)
        else:
            big = g * 5
            pen = QPen(QColor(theme.GRID_MINOR), 0)
            painter.setPen(pen)
            x = int(rect.left() // big) * big
            while x <= rect.right():
                painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
                x += big
            y = int(rect.top() // big) * big
            while y <= rect.bottom():
                painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
                y += big

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        scene: CanvasScene = self.scene()
        if scene.node_items:
            return
        # An empty design says how to start.
        painter.save()
        painter.resetTransform()
        vp = QRectF(self.viewport().rect())
        painter.setPen(QColor(theme.TEXT_FAINT))
        painter.setFont(theme.ui_font(11))
        painter.drawText(vp.adjusted(0, -20, 0, -20), Qt.AlignmentFlag.AlignCenter,
                         "Drag a node kind from the palette to start a design")
        painter.setFont(theme.ui_font(9))
        painter.drawText(vp.adjusted(0, 24, 0, 24), Qt.AlignmentFlag.AlignCenter,
                         "Connect nodes by dragging from a card's right-hand port to another card")
        painter.restore()

    # --- drops from the palette -----------------------------------------------------------------
    def _palette_payload(self, mime) -> dict | None:
        if not mime.hasFormat(PALETTE_MIME):
            return None
        try:
            data = json.loads(bytes(mime.data(PALETTE_MIME)).decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None
        return data if isinstance(data, dict) and "kind" in data else None

    def dragEnterEvent(self, event) -> None:
        if self._palette_payload(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if self._palette_payload(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        data = self._palette_payload(event.mimeData())
        if data is None:
            super().dropEvent(event)
            return
        pos = self.mapToScene(event.position().toPoint())
        node_id = self.add_palette_node(data, pos - QPointF(W / 2, H / 2))
        event.acceptProposedAction()
        if node_id:
            self.node_dropped.emit(node_id)

    def add_palette_node(self, data: dict, top_left: QPointF) -> str | None:
        scene: CanvasScene = self.scene()
        x, y = top_left.x(), top_left.y()
        if scene.snap_to_grid:
            g = theme.GRID
            x, y = round(x / g) * g, round(y / g) * g
        try:
            node_id = scene.document.add_node(
                data["kind"], (x, y), id_hint=data.get("id"), properties=data.get("properties"),
                behavior=data.get("behavior"))
        except (ValueError, KeyError) as e:
            scene.refuse(f"Cannot add {data.get('kind')}: {e}")
            return None
        scene.select_nodes([node_id])
        return node_id

    # --- overlays -------------------------------------------------------------------------------
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.place_overlays()
        self._schedule_overlays()

    def place_overlays(self) -> None:
        vp = self.viewport().geometry()
        m = 12
        if not self.legend.user_set:
            folded = vp.height() < 600  # a short canvas keeps the legend to its title
            if folded != self.legend.folded:
                self.legend.folded = folded
                self.legend.resize(self.legend.sizeHint())
                self.legend.update()
        self.minimap.move(vp.right() - self.minimap.width() - m, vp.bottom() - self.minimap.height() - m)
        self.legend.move(vp.left() + m, vp.bottom() - self.legend.height() - m)
        if self.notice.isVisible():
            self.notice.setMaximumWidth(max(240, min(640, vp.width() - 40)))
            self.notice._fit()
            self.notice.move(vp.left() + (vp.width() - self.notice.width()) // 2, vp.top() + 14)
