"""An edge on the canvas: a smooth bezier from the source's output port to the target's input
port, styled by role family (sync, async, polled, failure, success, emits, calls), with an
arrowhead and, for roles a reader cannot guess from the kinds, a small label.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QGraphicsItem, QStyle

from core.model import Edge
from gui import theme
from gui.canvas.node_item import PORT_R, NodeItem

ARROW_LEN = 10.0
ARROW_HALF = 4.6
LABELLED = {"dlq", "redrive", "on_failure", "on_success", "emits", "deliver"}


def _label_font() -> QFont:
    if _label_font.font is None:
        _label_font.font = theme.ui_font(7.0, QFont.Weight.DemiBold)
    return _label_font.font


_label_font.font = None


def route(start: QPointF, end: QPointF, bend: float = 0.0) -> QPainterPath:
    """The bezier between two ports: horizontal tangents, a loop when the target is behind."""
    return _route(start, end, bend)[0]


def _route(start: QPointF, end: QPointF, bend: float) -> tuple[QPainterPath, QPointF, QPointF]:
    """(path, last control point, midpoint): the tangent and label spot come from the control
    points directly, which is far cheaper than measuring the curve's length."""
    sx, sy, ex, ey = start.x(), start.y(), end.x(), end.y()
    dx = ex - sx
    path = QPainterPath(start)
    if dx < 30 and abs(ey - sy) < 90:
        # Target behind and level with the source: loop below both cards.
        k = 70.0 + min(abs(dx) * 0.25, 120.0)
        mid = QPointF((sx + ex) / 2, max(sy, ey) + 70.0 + bend)
        path.cubicTo(QPointF(sx + k, sy), QPointF(sx + k, mid.y()), mid)
        c2 = QPointF(ex - k, ey)
        path.cubicTo(QPointF(ex - k, mid.y()), c2, end)
        return path, c2, mid
    k = max(dx * 0.5, 40.0) if dx >= 30 else 70.0 + min(abs(dx) * 0.25, 120.0)
    c1 = QPointF(sx + k, sy + bend)
    c2 = QPointF(ex - k, ey + bend)
    path.cubicTo(c1, c2, end)
    # A cubic's point at t = 1/2 is (P0 + 3·P1 + 3·P2 + P3) / 8.
    mid = QPointF((sx + 3 * c1.x() + 3 * c2.x() + ex) / 8, (sy + 3 * c1.y() + 3 * c2.y() + ey) / 8)
    return path, c2, mid


class EdgeItem(QGraphicsItem):
    """One edge of the scenario; holds the Edge object (identity is the key in the scene)."""

    Type = QGraphicsItem.UserType + 2

    def __init__(self, edge: Edge, src: NodeItem, dst: NodeItem):
        super().__init__()
        self.edge = edge
        self.src, self.dst = src, dst
        self.bend = 0.0
        self.problem: str | None = None
        self._hover = False
        self._path = QPainterPath()
        self._shape: QPainterPath | None = None
        self._arrow = QPolygonF()
        self._label = ""
        self._label_rect = QRectF()
        self._bounds = QRectF()
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(0.0)
        src.edges.add(self)
        dst.edges.add(self)
        self.refresh()

    def type(self) -> int:
        return self.Type

    def detach(self) -> None:
        self.src.edges.discard(self)
        self.dst.edges.discard(self)

    def refresh(self) -> None:
        """Re-read role and properties (after an edit), then re-route."""
        e = self.edge
        self.style = theme.edge_style(e.role, self.src.kind)
        label = theme.ROLE_LABELS.get(e.role, e.role) if e.role in LABELLED else ""
        if e.role == "emits":
            per = e.properties.get("PerInvocation", 1)
            if isinstance(per, int | float) and not isinstance(per, bool) and per != 1:
                label = f"emits ×{per:g}"
        if e.role in ("invoke", "deliver") and (e.properties.get("FilterPolicy") or e.properties.get("Filter")):
            label = (label + " · filtered").strip(" ·")
        self._label = label
        self._label_w = QFontMetricsF(_label_font()).horizontalAdvance(label) + 12 if label else 0.0
        self.setToolTip(f"{e.source} → {e.target}<br><b>{theme.ROLE_DESCRIPTIONS.get(e.role, e.role)}</b>"
                        f"<br><span style='color:{theme.TEXT_MUTED}'>{self.style.label}</span>")
        self.update_path()

    def set_problem(self, severity: str | None) -> None:
        if severity != self.problem:
            self.problem = severity
            self.update()

    # --- geometry ---------------------------------------------------------------------------
    def update_path(self) -> None:
        start = self.src.out_port()
        end = self.dst.in_port() - QPointF(PORT_R, 0)
        path, tail, mid = _route(start, end, self.bend)
        self.prepareGeometryChange()
        self._path = path
        # Arrowhead along the curve's final tangent (towards the end from the last control point).
        if (end - tail).manhattanLength() < 1e-6:
            tail = start
        ang = math.atan2(end.y() - tail.y(), end.x() - tail.x())
        ca, sa = math.cos(ang), math.sin(ang)
        base = QPointF(end.x() - ARROW_LEN * ca, end.y() - ARROW_LEN * sa)
        self._arrow = QPolygonF([end, QPointF(base.x() + ARROW_HALF * sa, base.y() - ARROW_HALF * ca),
                                 QPointF(base.x() - ARROW_HALF * sa, base.y() + ARROW_HALF * ca)])
        if self._label:
            w = self._label_w
            self._label_rect = QRectF(mid.x() - w / 2, mid.y() - 8, w, 16)
        else:
            self._label_rect = QRectF()
        self._shape = None  # built on demand: only hit tests need it
        self._bounds = path.controlPointRect().united(self._arrow.boundingRect()).united(
            self._label_rect).adjusted(-8, -8, 8, 8)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(12)
            shape = stroker.createStroke(self._path)
            shape.addPolygon(self._arrow)
            if self._label:
                shape.addRect(self._label_rect)
            self._shape = shape
        return self._shape

    def path(self) -> QPainterPath:
        return self._path

    def hoverEnterEvent(self, event):
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event):
        self._hover = False
        self.update()

    # --- painting -------------------------------------------------------------------------------
    def pen(self) -> QPen:
        s = self.style
        pen = QPen(QColor(s.colour), s.width)
        pen.setCapStyle(Qt.PenCapStyle.FlatCap if s.dash else Qt.PenCapStyle.RoundCap)
        if s.dash:
            pen.setDashPattern(list(s.dash))
        return pen

    def paint(self, painter: QPainter, option, widget=None) -> None:
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        col = QColor(self.style.colour)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if lod < 0.3:
            # Far out: solid strokes in the role colour; dashes and labels would be specks.
            pen = QPen(col if not selected else QColor(theme.ACCENT), self.style.width / max(lod, 0.1) * 0.6)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(self._path)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(col)
            painter.drawPolygon(self._arrow)
            return
        if selected or self._hover:
            halo = QPen(QColor(47, 111, 237, 70 if selected else 40), self.style.width + 7)
            halo.setCapStyle(Qt.PenCapStyle.RoundCap)
            painter.setPen(halo)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(self._path)
        if self.problem == "error":
            under = QPen(QColor(209, 52, 56, 60), self.style.width + 5)
            painter.setPen(under)
            painter.drawPath(self._path)
        painter.setPen(self.pen())
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(col)
        painter.drawPolygon(self._arrow)
        if self._label:
            painter.setPen(QPen(col, 1.0))
            painter.setBrush(QColor("#FFFFFF"))
            painter.drawRoundedRect(self._label_rect, 8, 8)
            painter.setFont(_label_font())
            painter.setPen(col)
            painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self._label)

    # --- SVG export -------------------------------------------------------------------------------
    def svg(self) -> str:
        from gui.canvas.export import path_d, svg_text

        s = self.style
        dash = ""
        if s.dash:
            dash = f' stroke-dasharray="{",".join(f"{d * s.width:g}" for d in s.dash)}"'
        cap = "butt" if s.dash else "round"
        pts = " ".join(f"{p.x():.1f},{p.y():.1f}" for p in self._arrow)
        out = [f'<g class="edge role-{self.edge.role}">',
               f'<path d="{path_d(self._path)}" fill="none" stroke="{s.colour}" stroke-width="{s.width:g}" '
               f'stroke-linecap="{cap}"{dash}/>',
               f'<polygon points="{pts}" fill="{s.colour}"/>']
        if self._label:
            r = self._label_rect
            out.append(f'<rect x="{r.x():.1f}" y="{r.y():.1f}" width="{r.width():.1f}" height="{r.height():.1f}" '
                       f'rx="8" fill="#FFFFFF" stroke="{s.colour}"/>')
            out.append(svg_text(r.center().x(), r.center().y() + 3.2, self._label, _label_font(), s.colour,
                                anchor="middle"))
        out.append("</g>")
        return "\n".join(out)
