"""Small widgets floating over the canvas: the edge-style legend and transient notices."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QLabel, QWidget

from gui import theme


class Legend(QWidget):
    """Edge styles at a glance; click the header to fold it."""

    ROW = 15

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.folded = False
        self.user_set = False  # once the user folds or unfolds it, size no longer decides
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Edge styles by role (click to fold)")
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)  # see Minimap
        self._font = theme.ui_font(7.4)
        self._title_font = theme.ui_font(7.0, QFont.Weight.Bold)
        self.resize(self.sizeHint())

    def sizeHint(self) -> QSize:
        if self.folded:
            return QSize(int(QFontMetricsF(self._title_font).horizontalAdvance("EDGES  ▸") + 22), 22)
        fm = QFontMetricsF(self._font)
        w = max(fm.horizontalAdvance(s.label) for s in theme.EDGE_STYLES.values()) + 58
        h = 22 if self.folded else 26 + self.ROW * len(theme.EDGE_STYLES)
        return QSize(int(w), h)

    def mousePressEvent(self, event) -> None:
        self.user_set = True
        self.folded = not self.folded
        self.resize(self.sizeHint())
        parent = self.parent()
        if hasattr(parent, "place_overlays"):
            parent.place_overlays()
        self.update()

    def paintEvent(self, event) -> None:
        # Static content: drawn once per size into a pixmap, then blitted.
        key = (self.width(), self.height(), self.folded, self.devicePixelRatioF())
        if getattr(self, "_cache_key", None) != key:
            dpr = self.devicePixelRatioF() or 1.0
            pm = QPixmap(int(self.width() * dpr), int(self.height() * dpr))
            pm.setDevicePixelRatio(dpr)
            pm.fill(QColor(theme.CANVAS_BG))
            painter = QPainter(pm)
            self._draw(painter)
            painter.end()
            self._cache, self._cache_key = pm, key
        p = QPainter(self)
        p.drawPixmap(0, 0, self._cache)
        p.end()

    def _draw(self, p: QPainter) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(QColor(theme.BORDER), 1))
        p.setBrush(QColor(255, 255, 255))
        p.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        p.setFont(self._title_font)
        p.setPen(QColor(theme.TEXT_MUTED))
        p.drawText(QRectF(10, 4, self.width() - 20, 16), Qt.AlignmentFlag.AlignVCenter,
                   "EDGES  ▸" if self.folded else "EDGES  ▾")
        if self.folded:
            return
        p.setFont(self._font)
        y = 24.0
        for s in theme.EDGE_STYLES.values():
            pen = QPen(QColor(s.colour), s.width)
            if s.dash:
                pen.setDashPattern(list(s.dash))
                pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            p.setPen(pen)
            cy = y + self.ROW / 2
            p.drawLine(QPointF(10, cy), QPointF(34, cy))
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(s.colour))
            p.drawPolygon([QPointF(40, cy), QPointF(34, cy - 3.5), QPointF(34, cy + 3.5)])
            p.setPen(QColor(theme.TEXT))
            p.drawText(QRectF(48, y, self.width() - 52, self.ROW), Qt.AlignmentFlag.AlignVCenter, s.label)
            y += self.ROW


class Notice(QLabel):
    """A transient message at the top of the canvas (refused connections, paste errors)."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setMaximumWidth(560)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_message(self, text: str, level: str = "info", msec: int = 6000) -> None:
        if level == "error":
            style = "background:#FFF1F1;color:#8E1B1E;border:1px solid #F0B7B9;"
        else:
            style = "background:#EEF4FF;color:#1C3F8C;border:1px solid #BED0F7;"
        self.setStyleSheet(f"QLabel{{{style}border-radius:6px;padding:8px 12px;font-size:9pt;}}")
        self.setText(text)
        self._fit()
        self.show()
        self.raise_()
        self._timer.start(msec)
        parent = self.parent()
        if hasattr(parent, "place_overlays"):
            parent.place_overlays()

    def _fit(self) -> None:
        """As wide as the text needs (up to the maximum), then as tall as the wrapped text."""
        width = min(self.maximumWidth(), self.fontMetrics().horizontalAdvance(self.text()) + 40)
        self.setFixedWidth(max(200, width))
        self.setFixedHeight(self.heightForWidth(self.width()))
