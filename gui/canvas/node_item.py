"""A node card on the canvas: kind icon, name, kind label and one key setting, plus ports.

The item draws what the model says; it never changes the model itself (moves are turned into
commands by the scene's interaction when the drag ends). Text is measured and elided once per
model change, not per paint, and the card is cached in device coordinates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyle

from core import catalog, validate
from core.model import Node, Scenario
from gui import icons, theme

if TYPE_CHECKING:
    from gui.canvas.edge_item import EdgeItem

W = 212.0
H = 64.0
RADIUS = 7.0
PORT_R = 4.5
ICON = 34.0

_INPUT_KINDS = {k for targets in validate.ALLOWED.values() for k in targets}
_OUTPUT_KINDS = {k for (k, _r) in validate.ALLOWED}


class _Fonts:
    """Fonts are made once, after the QApplication exists."""

    ready = False
    kind: QFont
    name: QFont
    detail: QFont
    chip: QFont
    kind_fm: QFontMetricsF
    name_fm: QFontMetricsF
    detail_fm: QFontMetricsF
    chip_fm: QFontMetricsF

    far: QFont | None = None
    far_fm: QFontMetricsF

    @classmethod
    def far_font(cls) -> QFont:
        if cls.far is None:
            cls.far = theme.ui_font(20.0, QFont.Weight.Bold)
            cls.far_fm = QFontMetricsF(cls.far)
        return cls.far

    @classmethod
    def get(cls) -> type[_Fonts]:
        if not cls.ready:
            cls.kind = theme.ui_font(6.8, QFont.Weight.DemiBold)
            cls.kind.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 0.3)
            cls.name = theme.ui_font(9.6, QFont.Weight.Bold)
            cls.detail = theme.ui_font(7.8)
            cls.chip = theme.ui_font(7.2, QFont.Weight.DemiBold)
            cls.kind_fm = QFontMetricsF(cls.kind)
            cls.name_fm = QFontMetricsF(cls.name)
            cls.detail_fm = QFontMetricsF(cls.detail)
            cls.chip_fm = QFontMetricsF(cls.chip)
            cls.ready = True
        return cls


def key_setting(node: Node, scenario: Scenario | None = None) -> str:
    """The one setting a reviewer wants to see on the card ("512 MB · 10 s", "BatchSize 10")."""
    p = lambda path: catalog.prop(node, path)  # noqa: E731
    k = node.kind
    try:
        if k == "Function":
            parts = [f"{p('MemorySize')} MB", f"{p('Timeout')} s"]
            rc = node.properties.get("ReservedConcurrentExecutions")
            if rc is not None:
                parts.append(f"reserved {rc}")
            return " · ".join(parts)
        if k == "EventSourceMapping":
            bs = node.properties.get("BatchSize")
            if bs is None:
                src_kind = _esm_source_kind(node.id, scenario)
                bs = catalog.esm_default_batch_size(src_kind) if src_kind else "default"
            parts = [f"BatchSize {bs}"]
            win = node.properties.get("MaximumBatchingWindowInSeconds")
            if win:
                parts.append(f"window {win} s")
            mc = catalog.get_path(node.properties, "ScalingConfig.MaximumConcurrency")
            if mc is not None:
                parts.append(f"max {mc}")
            if node.properties.get("FilterCriteria"):
                parts.append("filtered")
            return " · ".join(parts)
        if k == "SQSQueue":
            parts = [f"visibility {p('VisibilityTimeout')} s"]
            if p("FifoQueue"):
                parts.insert(0, "FIFO")
            mrc = catalog.get_path(node.properties, "RedrivePolicy.maxReceiveCount")
            if mrc is not None:
                parts.append(f"redrive {mrc}")
            return " · ".join(parts)
        if k == "KinesisStream":
            n = p("ShardCount")
            return f"{n} shard{'s' if n != 1 else ''} · {p('RetentionPeriodHours')} h"
        if k == "DynamoDBTable":
            n = catalog.behav(node, "StreamShards")
            return f"stream · {n} shard{'s' if n != 1 else ''}"
        if k == "ApiGateway":
            t = p("IntegrationTimeoutMillis")
            return f"{p('Type')} · timeout {t / 1000:g} s" if isinstance(t, int | float) else str(p("Type"))
        if k == "SNSTopic":
            return "FIFO topic" if p("FifoTopic") else "standard topic"
        if k == "EventBridgeRule":
            state = "" if p("State") == "ENABLED" else " · disabled"
            return ("event pattern" if p("EventPattern") else "matches all events") + state
        if k == "Schedule":
            return str(p("ScheduleExpression"))
        if k == "Dependency":
            mc = catalog.behav(node, "MaxConcurrentRequests")
            lat = catalog.behav(node, "Latency")
            parts = [f"max {mc} concurrent" if mc is not None else "unbounded"]
            if isinstance(lat, dict) and lat.get("dist") == "const" and lat.get("value"):
                parts.append(f"{lat['value'] * 1000:g} ms")
            elif isinstance(lat, dict) and lat.get("median") is not None:
                parts.append(f"~{lat['median'] * 1000:g} ms")
            return " · ".join(parts)
        if k == "S3Bucket":
            return "object notifications"
    except (TypeError, ValueError, KeyError):
        return ""
    return ""


def _esm_source_kind(esm_id: str, scenario: Scenario | None) -> str | None:
    if scenario is None:
        return None
    kinds = {n.id: n.kind for n in scenario.nodes}
    for e in scenario.edges:
        if e.role == "poll" and e.target == esm_id:
            return kinds.get(e.source)
    return None


class NodeItem(QGraphicsItem):
    """One node of the scenario, keyed by its id."""

    Type = QGraphicsItem.UserType + 1

    def __init__(self, node: Node, scenario: Scenario | None = None):
        super().__init__()
        self.node_id = node.id
        self.kind = node.kind
        self.edges: set[EdgeItem] = set()
        self.problem: str | None = None  # "error" / "warning"
        self.problem_text = ""
        self.workload_text = ""
        self.connect_state: str | None = None  # "ok" / "refused" while a connection is dragged
        self._hover = False
        self._hover_port = False
        self.has_input = self.kind in _INPUT_KINDS
        self.has_output = self.kind in _OUTPUT_KINDS
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1.0)
        self.update_from(node, scenario)

    def type(self) -> int:
        return self.Type

    # --- model → item -------------------------------------------------------------------
    def update_from(self, node: Node, scenario: Scenario | None = None) -> None:
        f = _Fonts.get()
        self.node_id = node.id
        self.kind_label = theme.kind_info(node.kind).label.upper()
        detail = key_setting(node, scenario)
        name_w = W - ICON - 30
        self._name = _elide(f.name_fm, node.id, Qt.TextElideMode.ElideMiddle, name_w)
        self._detail = _elide(f.detail_fm, detail, Qt.TextElideMode.ElideRight, name_w)
        self._kind_text = _elide(f.kind_fm, self.kind_label, Qt.TextElideMode.ElideRight, name_w)
        self.detail = detail
        tip = f"<b>{node.id}</b> — {theme.kind_info(node.kind).label}"
        if detail:
            tip += f"<br>{detail}"
        if node.description:
            tip += f"<br><i>{node.description}</i>"
        if self.problem_text:
            tip += f"<br><span style='color:{theme.ERROR}'>{self.problem_text}</span>"
        self.setToolTip(tip)
        if node.position is not None:
            self.setPos(QPointF(node.position[0], node.position[1]))
        self.update()

    def set_problem(self, severity: str | None, text: str = "") -> None:
        if severity != self.problem or text != self.problem_text:
            self.problem, self.problem_text = severity, text
            self.update()

    def set_workload_text(self, text: str) -> None:
        if text != self.workload_text:
            self.prepareGeometryChange()
            self.workload_text = text
            self.update()

    def set_connect_state(self, state: str | None) -> None:
        if state != self.connect_state:
            self.connect_state = state
            self.update()

    # --- geometry -------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        top = -24.0 if self.workload_text else -10.0
        return QRectF(-10.0, top, W + 20.0, H - top + 12.0)

    def card_rect(self) -> QRectF:
        return QRectF(0.0, 0.0, W, H)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.card_rect(), RADIUS, RADIUS)
        if self.has_output:
            path.addEllipse(QPointF(W, H / 2), PORT_R + 4, PORT_R + 4)
        if self.workload_text:
            path.addRect(self._chip_rect())
        return path

    def out_port(self) -> QPointF:
        return self.mapToScene(QPointF(W, H / 2))

    def in_port(self) -> QPointF:
        return self.mapToScene(QPointF(0.0, H / 2))

    def center(self) -> QPointF:
        return self.mapToScene(QPointF(W / 2, H / 2))

    def on_out_port(self, scene_pos: QPointF) -> bool:
        if not self.has_output:
            return False
        d = self.mapFromScene(scene_pos) - QPointF(W, H / 2)
        return d.x() * d.x() + d.y() * d.y() <= (PORT_R + 6) ** 2

    def _chip_rect(self) -> QRectF:
        fm = _Fonts.get().chip_fm
        w = min(W, fm.horizontalAdvance(self.workload_text) + 22)
        return QRectF(0.0, -20.0, w, 16.0)

    # --- Qt hooks ---------------------------------------------------------------------------
    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange:
            scene = self.scene()
            if scene is not None and getattr(scene, "snap_to_grid", False):
                g = theme.GRID
                return QPointF(round(value.x() / g) * g, round(value.y() / g) * g)
        elif change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for e in self.edges:
                e.update_path()
        elif change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            for e in self.edges:
                e.update()
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event):
        self._hover = True
        self.update()
        super().hoverEnterEvent(event)

    def hoverMoveEvent(self, event):
        on_port = self.on_out_port(event.scenePos())
        if on_port != self._hover_port:
            self._hover_port = on_port
            self.setCursor(Qt.CursorShape.CrossCursor if on_port else Qt.CursorShape.ArrowCursor)
            self.update()
        super().hoverMoveEvent(event)

    def hoverLeaveEvent(self, event):
        self._hover = False
        self._hover_port = False
        self.unsetCursor()
        self.update()
        super().hoverLeaveEvent(event)

    # --- painting -----------------------------------------------------------------------------
    def paint(self, painter: QPainter, option, widget=None) -> None:
        f = _Fonts.get()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        rect = self.card_rect()
        info = theme.kind_info(self.kind)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if lod < 0.3:
            self._paint_far(painter, selected, info, lod)
            return

        # Soft shadow (two offset layers: cheaper than QGraphicsDropShadowEffect).
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(20, 30, 45, 14))
        painter.drawRoundedRect(rect.translated(0, 3).adjusted(-1, -1, 1, 1), RADIUS + 1, RADIUS + 1)
        painter.setBrush(QColor(20, 30, 45, 20))
        painter.drawRoundedRect(rect.translated(0, 1), RADIUS, RADIUS)

        # Card.
        if self.connect_state == "ok":
            border, width = QColor(theme.OK), 2.2
        elif self.connect_state == "refused":
            border, width = QColor(theme.ERROR), 2.2
        elif selected:
            border, width = QColor(theme.ACCENT), 2.0
        elif self._hover:
            border, width = QColor("#9AA8BA"), 1.2
        else:
            border, width = QColor(theme.CARD_BORDER), 1.0
        if selected:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(47, 111, 237, 36))
            painter.drawRoundedRect(rect.adjusted(-4, -4, 4, 4), RADIUS + 3, RADIUS + 3)
        painter.setBrush(QColor(theme.CARD_BG))
        painter.setPen(QPen(border, width))
        painter.drawRoundedRect(rect, RADIUS, RADIUS)

        # Kind accent strip on the left edge, clipped to the card's rounding.
        strip = QPainterPath()
        strip.addRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), RADIUS, RADIUS)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, 4, H))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(info.colour))
        painter.drawPath(strip.intersected(clip))

        # Icon (a cached pixmap at the device size) and text; small print only when legible.
        dpr = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        px = icons.kind_pixmap_for(self.kind, ICON * lod * dpr)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(QRectF(14, (H - ICON) / 2, ICON, ICON), px, QRectF(px.rect()))
        x = 14 + ICON + 11
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        if lod >= 0.5:
            painter.setPen(QColor(theme.TEXT_FAINT))
            painter.setFont(f.kind)
            painter.drawText(QRectF(x, 8, W - x - 8, 12), left, self._kind_text)
        painter.setPen(QColor(theme.TEXT))
        painter.setFont(f.name)
        painter.drawText(QRectF(x, 20, W - x - 8, 20), left, self._name)
        if lod >= 0.5:
            painter.setPen(QColor(theme.TEXT_MUTED))
            painter.setFont(f.detail)
            painter.drawText(QRectF(x, 40, W - x - 8, 16), left, self._detail)

        # Ports: hollow circles; the output port grows under the mouse to invite a drag.
        if self.has_input:
            painter.setPen(QPen(QColor("#8A97A8"), 1.4))
            painter.setBrush(QColor("#FFFFFF"))
            painter.drawEllipse(QPointF(0, H / 2), PORT_R - 0.5, PORT_R - 0.5)
        if self.has_output:
            r = PORT_R + (2.0 if self._hover_port else 0.0)
            painter.setPen(QPen(QColor(theme.ACCENT if (self._hover or selected) else "#8A97A8"), 1.6))
            painter.setBrush(QColor(theme.ACCENT if self._hover_port else "#FFFFFF"))
            painter.drawEllipse(QPointF(W, H / 2), r, r)

        # Problem badge.
        if self.problem:
            col = QColor(theme.ERROR if self.problem == "error" else theme.WARNING)
            c = QPointF(W - 3, 3)
            painter.setPen(QPen(QColor("#FFFFFF"), 1.5))
            painter.setBrush(col)
            painter.drawEllipse(c, 7.5, 7.5)
            bold = QFont(f.chip)
            bold.setWeight(QFont.Weight.Black)
            painter.setFont(bold)
            painter.setPen(QColor("#FFFFFF"))
            painter.drawText(QRectF(c.x() - 7.5, c.y() - 7.5, 15, 15), Qt.AlignmentFlag.AlignCenter, "!")

        # Workload chip: where traffic enters the design.
        if self.workload_text:
            chip = self._chip_rect()
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(QColor("#EAF1FE")))
            painter.drawRoundedRect(chip, 8, 8)
            painter.setBrush(QColor(theme.ACCENT))
            painter.drawEllipse(QPointF(chip.left() + 9, chip.center().y()), 3, 3)
            painter.setPen(QColor("#1F4FB8"))
            painter.setFont(f.chip)
            painter.drawText(chip.adjusted(16, 0, -6, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             _elide(f.chip_fm, self.workload_text, Qt.TextElideMode.ElideRight, chip.width() - 22))

    def _paint_far(self, painter: QPainter, selected: bool, info, lod: float) -> None:
        """Zoomed far out: a coloured block with the name in large type, no small print."""
        rect = self.card_rect()
        painter.setPen(QPen(QColor(theme.ACCENT if selected else theme.CARD_BORDER), 2.0 / max(lod, 0.05)))
        painter.setBrush(QColor(theme.CARD_BG))
        painter.drawRoundedRect(rect, RADIUS, RADIUS)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(info.colour))
        painter.drawRoundedRect(QRectF(0, 0, 58, H), RADIUS, RADIUS)
        if self.problem:
            painter.setBrush(QColor(theme.ERROR if self.problem == "error" else theme.WARNING))
            painter.drawEllipse(QPointF(W - 3, 3), 12, 12)
        if lod >= 0.12:
            painter.setPen(QColor(theme.TEXT))
            painter.setFont(_Fonts.far_font())
            painter.drawText(QRectF(66, 0, W - 70, H), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             _elide(_Fonts.far_fm, self.node_id, Qt.TextElideMode.ElideMiddle, W - 72))

    # --- SVG export -------------------------------------------------------------------------
    def svg(self) -> str:
        """This card as SVG elements (text stays text, the icon is inlined)."""
        from gui.canvas.export import svg_icon, svg_text

        x, y = self.pos().x(), self.pos().y()
        info = theme.kind_info(self.kind)
        f = _Fonts.get()
        out = [f'<g class="node" id="node-{_xml_id(self.node_id)}" transform="translate({x:g},{y:g})">',
               f'<rect x="0" y="3" width="{W:g}" height="{H:g}" rx="{RADIUS + 1:g}" fill="#141E2D" fill-opacity="0.06"/>',
               f'<rect x="0" y="0" width="{W:g}" height="{H:g}" rx="{RADIUS:g}" fill="{theme.CARD_BG}" stroke="{theme.CARD_BORDER}"/>',
               f'<path d="M{RADIUS:g},0.5 L4,0.5 L4,{H - 0.5:g} L{RADIUS:g},{H - 0.5:g} '
               f'A{RADIUS - 0.5:g},{RADIUS - 0.5:g} 0 0 1 0.5,{H - RADIUS:g} L0.5,{RADIUS:g} '
               f'A{RADIUS - 0.5:g},{RADIUS - 0.5:g} 0 0 1 {RADIUS:g},0.5 Z" fill="{info.colour}"/>',
               svg_icon(self.kind, 14, (H - ICON) / 2, ICON)]
        tx = 14 + ICON + 11
        out.append(svg_text(tx, 17.5, self._kind_text, f.kind, theme.TEXT_FAINT, letter_spacing=0.3))
        out.append(svg_text(tx, 34.5, self._name, f.name, theme.TEXT))
        out.append(svg_text(tx, 52, self._detail, f.detail, theme.TEXT_MUTED))
        if self.has_input:
            out.append(f'<circle cx="0" cy="{H / 2:g}" r="{PORT_R - 0.5:g}" fill="#FFFFFF" stroke="#8A97A8" stroke-width="1.4"/>')
        if self.has_output:
            out.append(f'<circle cx="{W:g}" cy="{H / 2:g}" r="{PORT_R:g}" fill="#FFFFFF" stroke="#8A97A8" stroke-width="1.6"/>')
        if self.problem:
            col = theme.ERROR if self.problem == "error" else theme.WARNING
            out.append(f'<circle cx="{W - 3:g}" cy="3" r="7.5" fill="{col}" stroke="#FFFFFF" stroke-width="1.5"/>')
            out.append(svg_text(W - 3, 6.5, "!", f.chip, "#FFFFFF", anchor="middle", weight=900))
        if self.workload_text:
            chip = self._chip_rect()
            out.append(f'<rect x="0" y="{chip.y():g}" width="{chip.width():g}" height="{chip.height():g}" rx="8" fill="#EAF1FE"/>')
            out.append(f'<circle cx="9" cy="{chip.center().y():g}" r="3" fill="{theme.ACCENT}"/>')
            out.append(svg_text(16, chip.y() + 11.5, self.workload_text, f.chip, "#1F4FB8"))
        out.append("</g>")
        return "\n".join(out)


def _elide(fm: QFontMetricsF, text: str, mode: Qt.TextElideMode, width: float) -> str:
    """Elide only what does not fit (measuring is cheaper than eliding)."""
    if not text or fm.horizontalAdvance(text) <= width:
        return text
    return fm.elidedText(text, mode, width)


def _xml_id(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)
