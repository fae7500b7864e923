"""The canvas comes alive during a run: badges under each node card (concurrency / limit,
backlog, throttle, error and cold-start flashes) and a flow band under each edge whose width
and colour follow the events per second it carries.

Overlay items are children of the canvas's own items (`scene.node_items[id]`,
`scene.edge_items[id(edge)]`), so they move with them; the canvas items are never changed.
Badges and bands are read-only decorations: they take no mouse buttons.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene

from core.engine.simulation import Simulation
from gui import theme
from gui.run.series import (
    OUTCOME_COLOURS,
    edge_counter,
    fmt_age,
    fmt_count,
    fmt_rate,
    window_rate,
)

FLASH_HOLD = 3  # overlay refreshes a flash stays up after its events stop (about a second)
RATE_WINDOW_S = 5.0  # badges and flows show rates over this much recent simulated time
BADGE_GAP = 4.0
MIN_TEXT_LOD = 0.5  # below this zoom, badges and rates are drawn without words

LEVEL_COLOURS = {  # (fill, text)
    "neutral": ("#FFFFFF", theme.TEXT),
    "busy": ("#FFF4E5", "#8A4B00"),
    "full": ("#FDECEA", "#A4262C"),
    "throttle": (OUTCOME_COLOURS["throttled"], "#FFFFFF"),
    "error": (OUTCOME_COLOURS["failed"], "#FFFFFF"),
    "cold": ("#1565C0", "#FFFFFF"),
    "dlq": (OUTCOME_COLOURS["dead-lettered"], "#FFFFFF"),
    "flow": ("#EAF1FE", "#1F4FB8"),
}


@dataclass
class Pill:
    """One chip of a badge row: its words, its look (a LEVEL_COLOURS key) and a tooltip line."""

    text: str
    level: str = "neutral"
    tip: str = ""


_WIDTHS: dict[str, float] = {}


def text_width(text: str) -> float:
    """Width of badge text, memoised (the same few hundred strings recur all run long)."""
    w = _WIDTHS.get(text)
    if w is None:
        if len(_WIDTHS) > 5000:
            _WIDTHS.clear()
        w = _WIDTHS[text] = QFontMetricsF(_badge_font()).horizontalAdvance(text)
    return w


def _badge_font() -> QFont:
    if _badge_font.font is None:
        _badge_font.font = theme.ui_font(7.4, QFont.Weight.DemiBold)
    return _badge_font.font


_badge_font.font = None


class NodeBadges(QGraphicsItem):
    """A row of pills under a node card."""

    def __init__(self, parent: QGraphicsItem):
        super().__init__(parent)
        self.pills: list[Pill] = []
        self._rects: list[QRectF] = []
        self._bounds = QRectF()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self.setZValue(5.0)
        # Text is costly to raster at fractional zoom: render once per change, blit otherwise.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        card = parent.card_rect() if hasattr(parent, "card_rect") else parent.boundingRect()
        self.setPos(card.left(), card.bottom() + 5.0)

    def set_pills(self, pills: list[Pill]) -> None:
        if [(p.text, p.level) for p in pills] == [(p.text, p.level) for p in self.pills]:
            return
        rects, x = [], 0.0
        for p in pills:
            w = text_width(p.text) + 12.0
            rects.append(QRectF(x, 0.0, w, 15.0))
            x += w + BADGE_GAP
        self.prepareGeometryChange()
        self.pills, self._rects = pills, rects
        self._bounds = QRectF(-1, -1, max(x, 1.0) + 2, 17.0)
        tip = "\n".join(p.tip for p in pills if p.tip)
        if tip != self.toolTip():
            self.setToolTip(tip)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setFont(_badge_font())
        # Zoomed far out the words are unreadable: coloured chips alone say "busy", "throttling".
        words = option.levelOfDetailFromTransform(painter.worldTransform()) >= MIN_TEXT_LOD
        for p, r in zip(self.pills, self._rects, strict=True):
            fill, text = LEVEL_COLOURS.get(p.level, LEVEL_COLOURS["neutral"])
            fc = QColor(fill)
            painter.setPen(QPen(QColor(theme.CARD_BORDER) if p.level in ("neutral", "flow") else fc.darker(115), 0.8))
            painter.setBrush(fc)
            painter.drawRoundedRect(r, 7.5, 7.5)
            if words:
                painter.setPen(QColor(text))
                painter.drawText(r, Qt.AlignmentFlag.AlignCenter, p.text)


FLOW_STEPS = 4  # colour and width steps per decade of events per second


def flow_step(rate: float) -> int:
    """The visual step of a flow: 0 when idle, then FLOW_STEPS per decade (a band repaints only
    when its step changes)."""
    return 0 if rate <= 0 else 1 + int(FLOW_STEPS * math.log10(1.0 + rate))


def _flow_colour(step: int) -> QColor:
    if step <= 0:
        return QColor(150, 160, 172, 70)
    stops = [(0.0, (120, 160, 230)), (1.5, (47, 111, 237)), (2.5, (15, 138, 126)),
             (3.3, (232, 113, 10)), (4.0, (209, 52, 56))]
    x = (step - 1) / FLOW_STEPS
    for (x0, c0), (x1, c1) in zip(stops, stops[1:], strict=False):
        if x <= x1:
            f = (x - x0) / (x1 - x0)
            return QColor(*(int(a + (b - a) * f) for a, b in zip(c0, c1, strict=True)), 120)
    return QColor(*stops[-1][1], 120)


_COLOURS: dict[int, QColor] = {}


def flow_colour(rate: float) -> QColor:
    """Grey when idle, then blue → teal → orange → red on a log scale of events per second."""
    step = flow_step(rate)
    c = _COLOURS.get(step)
    if c is None:
        c = _COLOURS[step] = _flow_colour(step)
    return c


def flow_width(rate: float) -> float:
    """2 px at a trickle, about 14 px at 10,000 events/s (in steps, like the colour)."""
    step = flow_step(rate)
    return 0.0 if step == 0 else 2.0 + 3.0 * (step - 1) / FLOW_STEPS


class EdgeFlow(QGraphicsItem):
    """A translucent band under an edge (stacked behind it); its `label` child, above the edge,
    writes the rate where the curve is clear of both node cards."""

    def __init__(self, parent: QGraphicsItem):
        super().__init__(parent)
        self.rate = 0.0
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # wide strokes are costly
        self._bounds = QRectF()
        self.label = FlowLabel(parent)
        self.sync()

    def set_rate(self, rate: float) -> None:
        if flow_step(rate) != flow_step(self.rate):  # repaint only when the band looks different
            self.update()
        self.rate = rate
        self.label.set_text(f"{fmt_rate(rate)}/s" if rate > 0 else "", flow_colour(rate))

    def _path(self) -> QPainterPath:
        parent = self.parentItem()
        return parent.path() if parent is not None and hasattr(parent, "path") else QPainterPath()

    def sync(self) -> None:
        """Follow the edge's geometry (called each refresh; cheap when nothing moved)."""
        path = self._path()
        r = path.controlPointRect().adjusted(-12, -12, 12, 12)
        if r != self._bounds:
            self.prepareGeometryChange()
            self._bounds = r
            self.label.placed_for = None
        self.label.place(path, self.parentItem())

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option, widget=None) -> None:
        w = flow_width(self.rate)
        if w <= 0:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(flow_colour(self.rate), w + 3.0)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path())


class FlowLabel(QGraphicsItem):
    """"120/s" on an edge."""

    SPOTS = (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8)

    def __init__(self, parent: QGraphicsItem):
        super().__init__(parent)
        self.text = ""
        self.colour = QColor(theme.TEXT)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(2.0)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self._rect = QRectF()
        self.placed_for: tuple | None = None  # (path bounds, label width) of the last placement

    def set_text(self, text: str, colour: QColor) -> None:
        if text != self.text:
            self.prepareGeometryChange()
            self.text = text
            w = text_width(text) + 10
            self._rect = QRectF(-w / 2, -7, w, 14) if text else QRectF()
            self.update()
        c = QColor(colour.rgb()).darker(160)
        if c != self.colour:
            self.colour = c
            self.update()

    def place(self, path: QPainterPath, edge) -> None:
        """On the curve, away from the cards it joins and from the edge's own role label."""
        if path.isEmpty() or not self.text:
            return
        key = (path.controlPointRect().getRect(), round(self._rect.width()))
        if key == self.placed_for:
            return
        self.placed_for = key
        avoid = []
        for end in (getattr(edge, "src", None), getattr(edge, "dst", None)):
            if end is not None:
                avoid.append(end.sceneBoundingRect().adjusted(-6, -6, 6, 6))
        role_label = getattr(edge, "_label_rect", QRectF())
        if not role_label.isEmpty():
            avoid.append(role_label.adjusted(-30, -6, 30, 6))
        spot = path.pointAtPercent(0.5)
        for pct in self.SPOTS:
            p = path.pointAtPercent(pct)
            box = self._rect.translated(p.x(), p.y() - 11)
            if not any(a.intersects(box) for a in avoid):
                spot = p
                break
        spot.setY(spot.y() - 11)
        if spot != self.pos():
            self.setPos(spot)

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter: QPainter, option, widget=None) -> None:
        if not self.text or option.levelOfDetailFromTransform(painter.worldTransform()) < MIN_TEXT_LOD:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(theme.CARD_BORDER), 0.8))
        painter.setBrush(QColor(255, 255, 255, 235))
        painter.drawRoundedRect(self._rect, 7, 7)
        painter.setFont(_badge_font())
        painter.setPen(self.colour)
        painter.drawText(self._rect, Qt.AlignmentFlag.AlignCenter, self.text)


class CanvasOverlay:
    """Keeps one badge row per node and one flow band per edge in step with the running simulation."""

    def __init__(self, scene: QGraphicsScene):
        self.scene = scene
        self.badges: dict[str, NodeBadges] = {}
        self.flows: dict[int, EdgeFlow] = {}
        self.flash: dict[tuple[str, str], float] = {}
        self.last: dict[tuple[str, str], float] = {}
        self._k = 0
        self._counters: dict[tuple[str, str, str], tuple[str, str, int]] = {}
        self._dlqs: set[str] = set()
        self.sim: Simulation | None = None

    # --- lifecycle ---------------------------------------------------------------------------------------
    def set_simulation(self, sim: Simulation | None) -> None:
        self.sim = sim
        self._k = 0
        self.flash.clear()
        self.last.clear()
        self.clear()
        self._counters = {}
        self._dlqs = set()
        if sim is not None:
            for e in sim.scenario.edges:
                self._counters[e.key] = edge_counter(sim, e.source, e.target, e.role)
                if e.role in ("redrive", "dlq", "on_failure"):
                    self._dlqs.add(e.target)

    def clear(self) -> None:
        labels = [f.label for f in self.flows.values() if shiboken6.isValid(f)]
        for item in list(self.badges.values()) + list(self.flows.values()) + labels:
            if shiboken6.isValid(item):
                sc = item.scene()
                if sc is not None:
                    sc.removeItem(item)
                item.setParentItem(None)
        self.badges.clear()
        self.flows.clear()

    def _node_items(self) -> dict:
        return getattr(self.scene, "node_items", {}) or {}

    def _edge_items(self) -> dict:
        return getattr(self.scene, "edge_items", {}) or {}

    def _badge(self, node_id: str, item) -> NodeBadges:
        b = self.badges.get(node_id)
        if b is None or not shiboken6.isValid(b) or b.parentItem() is not item:
            b = self.badges[node_id] = NodeBadges(item)
        return b

    def _flow(self, key: int, item) -> EdgeFlow:
        f = self.flows.get(key)
        if f is None or not shiboken6.isValid(f) or f.parentItem() is not item:
            f = self.flows[key] = EdgeFlow(item)
        return f

    # --- refresh ---------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        sim = self.sim
        if sim is None:
            self.clear()
            return
        # Rates are over the last few seconds of simulated time (whatever the frame rate).
        hi = sim.k
        lo = max(0, hi - max(1, math.ceil(RATE_WINDOW_S / sim.period - 1e-9)))
        fresh = hi > self._k  # new periods since the last refresh: flashes may fire
        self._k = hi
        items = self._node_items()
        for nid, item in items.items():
            if nid not in sim.components or not shiboken6.isValid(item):
                continue
            self._badge(nid, item).set_pills(self.pills(nid, lo, hi, fresh))
        for key, item in self._edge_items().items():
            if not shiboken6.isValid(item):
                continue
            e = item.edge
            if e.source not in sim.components or e.target not in sim.components:
                continue
            counter = self._counters.get(e.key)
            if counter is None:
                continue  # an edge added after the run was built: shown after a reset
            node, counter, share = counter
            self._flow(key, item).set_rate(window_rate(sim, node, counter, lo, hi) / share)
        for f in self.flows.values():
            if shiboken6.isValid(f):
                f.sync()

    def _flash(self, nid: str, what: str, rate: float) -> float:
        """The rate a flash pill shows: the latest non-zero one, held for FLASH_HOLD refreshes
        after the events stop (0: no pill). Two states, so a badge repaints only on change."""
        key = (nid, what)
        if rate > 0:
            self.flash[key] = FLASH_HOLD
            self.last[key] = rate
        elif self.flash.get(key, 0) > 0:
            self.flash[key] -= 1
        return self.last.get(key, 0.0) if self.flash.get(key, 0) > 0 else 0.0

    def _flash_pill(self, pills: list[Pill], nid: str, what: str, rate: float, label: str, level: str,
                    tip: str) -> None:
        shown = self._flash(nid, what, rate)
        if shown > 0:
            pills.append(Pill(f"{label} {fmt_rate(shown)}/s", level, tip))

    def pills(self, nid: str, lo: int, hi: int, fresh: bool = True) -> list[Pill]:
        """What a node's badge row says now: live state, and rates over the periods `lo..hi`
        (`fresh`: some of them are new since the last refresh, so a flash can fire)."""
        sim = self.sim
        c = sim.components[nid]
        kind = c.kind
        pills: list[Pill] = []
        # Flashes show the rate (per simulated second) over the recent periods.
        s = lambda name: window_rate(sim, nid, name, lo, hi) if fresh and hi > lo else 0.0  # noqa: E731
        if kind == "Function":
            limit = c.limit()
            level = "full" if limit and c.conc >= limit else "busy" if limit and c.conc >= 0.8 * limit else "neutral"
            what = "reserved" if c.reserved is not None else "account"
            pills.append(Pill(f"conc {c.conc}/{limit:,.0f}", level, tip=f"{c.conc} running of {limit:,.0f} ({what} limit)"))
            self._flash_pill(pills, nid, "thr", s("Throttles"), "throttled", "throttle", "Throttles per second (latest periods)")
            self._flash_pill(pills, nid, "err", s("Errors"), "errors", "error", "Errors per second (latest periods)")
            self._flash_pill(pills, nid, "cold", s("ColdStarts"), "cold", "cold", "Cold starts per second (latest periods)")
        elif kind == "SQSQueue":
            n = c.n_visible
            is_dlq = nid in self._dlqs
            visible = int(sim.series(nid, "ApproximateNumberOfMessagesVisible", "max")[-1]) if sim.k else 0
            if is_dlq and not c.has_consumers():
                pills.append(Pill(f"DLQ {fmt_count(visible)}", "dlq" if visible else "neutral",
                                  tip="Messages in this dead-letter queue"))
                self._flash_pill(pills, nid, "in", s("NumberOfMessagesSent"), "+", "dlq", "Dead letters arriving per second")
            else:
                level = "full" if n > 10_000 else "busy" if n > 100 else "neutral"
                pills.append(Pill(f"backlog {fmt_count(n)}", level, tip="Visible messages waiting"))
                if sim.k:
                    age = float(sim.series(nid, "ApproximateAgeOfOldestMessage", "max")[-1])
                    if age >= 1:
                        pills.append(Pill(f"oldest {fmt_age(age)}", "busy" if age > 60 else "neutral",
                                          tip="ApproximateAgeOfOldestMessage"))
        elif kind == "EventSourceMapping":
            conc = c.concurrency()
            cap = c.max_concurrency
            text = f"batches {conc:.0f}/{cap}" if cap is not None else f"batches {conc:.0f}"
            level = "full" if cap and conc >= cap else "neutral"
            pills.append(Pill(text, level, tip="Concurrent batches" + (" / MaximumConcurrency" if cap else "")))
            if sim.k and sim.series(nid, "IteratorAge", "count")[-1] > 0:
                age = float(sim.series(nid, "IteratorAge", "max")[-1])
                pills.append(Pill(f"iterator {fmt_age(age)}", "busy" if age > 60 else "neutral", tip="IteratorAge"))
            self._flash_pill(pills, nid, "fail", s("FailedInvokeEventCount"), "failed", "error",
                             "Records in failed batches per second")
            self._flash_pill(pills, nid, "drop", s("DroppedEventCount"), "dropped", "error", "Dropped records per second")
        elif kind == "ApiGateway":
            pills.append(Pill(f"{fmt_count(window_rate(sim, nid, 'Count', lo, hi))}/s", "flow", tip="Requests per second"))
            self._flash_pill(pills, nid, "5xx", s("5XXError"), "5XX", "error", "5XX responses per second")
            self._flash_pill(pills, nid, "4xx", s("4XXError"), "429", "throttle", "4XX (throttled) responses per second")
        elif kind == "Dependency":
            mx = c.max
            cur = c.inflight
            cap = "∞" if mx == float("inf") else f"{mx:,}"
            level = "full" if mx != float("inf") and cur >= mx else "neutral"
            pills.append(Pill(f"{cur}/{cap}", level, tip="Concurrent requests / MaxConcurrentRequests"))
            self._flash_pill(pills, nid, "rej", s("Rejected"), "rejected", "error", "Rejected requests per second")
        else:
            from gui.run.series import INFLOW

            name = INFLOW.get(kind)
            if name:
                pills.append(Pill(f"{fmt_count(window_rate(sim, nid, name, lo, hi))}/s", "flow", tip=f"{name} per second"))
        return pills
