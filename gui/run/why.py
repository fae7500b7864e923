""""Why": throttles, retries, drops, dead letters and errors broken down by cause, and sample
event journeys (the timeline of one event through the flow) for the cause that is clicked.

The engine counts every occurrence by (node, what, cause) in `Simulation.why`; journeys are a
sample of events (`Simulation.journeys()`), matched to a cause by the notes along their way.
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.engine.simulation import Simulation
from gui import theme
from gui.run.series import OUTCOME_COLOURS, fmt_clock, fmt_seconds

WHATS = [
    ("throttle", "Throttles", OUTCOME_COLOURS["throttled"]),
    ("retry", "Retries", theme.WARNING),
    ("error", "Errors", OUTCOME_COLOURS["failed"]),
    ("dead_letter", "Dead letters", OUTCOME_COLOURS["dead-lettered"]),
    ("drop", "Drops", OUTCOME_COLOURS["dropped"]),
]
# Words in journey notes that show each kind of trouble.
KEYWORDS = {
    "throttle": ("throttled", "429", "throttle"),
    "retry": ("failed", "throttled", "visible again", "retr"),
    "error": ("failed", "502", "504", "error", "timeout"),
    "dead_letter": ("dlq", "dead-letter", "on-failure", "discarded"),
    "drop": ("dropped", "expired", "maximum event age"),
}
ROLE = Qt.ItemDataRole.UserRole
MAX_JOURNEYS = 25
REFRESH_S = 0.5


def _dot(colour: str, size: int = 10) -> QIcon:
    pm = QPixmap(size * 2, size * 2)
    pm.setDevicePixelRatio(2.0)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(colour))
    p.drawEllipse(1, 1, size - 2, size - 2)
    p.end()
    return QIcon(pm)


def matching_journeys(journeys: list[dict], node: str | None, what: str, cause: str | None) -> list[dict]:
    """Sampled journeys that show this trouble, best evidence first: the cause named in a
    note, then the kind of trouble at that node, then anywhere."""
    phrases = []
    if cause:
        phrases = [cause.lower()]
        tail = cause.split(": ", 1)[-1].lower()
        if tail not in phrases:
            phrases.append(tail)
    words = KEYWORDS.get(what, ())
    scored = []
    for j in journeys:
        best = 0
        for s in j["steps"]:
            text = s["what"].lower()
            here = node is None or s["node"] == node
            if any(p in text for p in phrases) and any(w in text for w in words):
                score = 4 if here else 3
            elif any(w in text for w in words):
                score = 2 if here else 1
            else:
                continue
            best = max(best, score)
        if best:
            scored.append((-best, j["event"], j))
    scored.sort(key=lambda x: (x[0], x[1]))
    top = scored[0][0] if scored else 0
    # Show weaker evidence only when nothing better exists.
    return [j for s, _, j in scored if s == top or top > -3][:MAX_JOURNEYS]


def journeys_through(journeys: list[dict], node: str) -> list[dict]:
    """Sampled journeys that pass `node` (a step there, or a note naming it)."""
    return [j for j in journeys
            if any(s["node"] == node or node in s["what"].split() for s in j["steps"])][:MAX_JOURNEYS]


class WhyPanel(QWidget):
    """Causes on the left, sample journeys of the selected cause on the right."""

    node_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.sim: Simulation | None = None
        self._items: dict[tuple[str, str, str], QTreeWidgetItem] = {}
        self._groups: dict[str, QTreeWidgetItem] = {}
        self._signature: tuple[int, int] = (-1, -1)
        self._journeys: list[dict] = []
        self._refreshed_at = 0.0

        self.tree = QTreeWidget()
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Cause", "Node", "Count", "Share"])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        hh = self.tree.header()
        # Fixed widths: ResizeToContents would re-measure every row on every refresh.
        hh.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c, w in ((1, 130), (2, 80), (3, 56)):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.Interactive)
            self.tree.setColumnWidth(c, w)
        hh.setStretchLastSection(False)
        self.tree.currentItemChanged.connect(lambda cur, _prev: self._on_pick(cur))
        self.tree.itemDoubleClicked.connect(self._on_double)
        self.empty = QLabel("No throttles, retries, drops, dead letters or errors so far.")
        self.empty.setStyleSheet(f"color: {theme.TEXT_MUTED}; padding: 8px;")
        self.empty.setWordWrap(True)

        self.journey_title = QLabel("Sample journeys")
        self.journey_title.setStyleSheet(f"color: {theme.TEXT_MUTED}; font-weight: 600; padding: 4px 6px;")
        self.journey_title.setWordWrap(True)
        self.journey_list = QListWidget()
        self.journey_list.currentRowChanged.connect(self._show_journey)
        self.timeline = QTreeWidget()
        self.timeline.setColumnCount(4)
        self.timeline.setHeaderLabels(["Time", "+", "Node", "What happened"])
        self.timeline.setRootIsDecorated(False)
        self.timeline.setUniformRowHeights(True)
        th = self.timeline.header()
        for c in (0, 1, 2):
            th.setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        th.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.timeline.itemDoubleClicked.connect(
            lambda it, _c: self.node_clicked.emit(it.text(2)) if it.text(2) else None)

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.setSpacing(0)
        ll.addWidget(self.empty)
        ll.addWidget(self.tree, 1)
        right = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.setSpacing(0)
        tl.addWidget(self.journey_title)
        tl.addWidget(self.journey_list, 1)
        right.addWidget(top)
        right.addWidget(self.timeline)
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 2)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        for sp in (split, right):  # opaque handles: a transparent one shows stale pixels
            sp.setStyleSheet(f"QSplitter::handle {{ background: {theme.BORDER}; }}")
            sp.setHandleWidth(3)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(split)
        self.tree.setVisible(False)

    # --- data ---------------------------------------------------------------------------------------
    def set_simulation(self, sim: Simulation | None) -> None:
        self.sim = sim
        self.tree.clear()
        self._items.clear()
        self._groups.clear()
        self._signature = (-1, -1)
        self.journey_list.clear()
        self.timeline.clear()
        self.journey_title.setText("Sample journeys: click a cause")
        self.refresh(force=True)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.refresh(force=True)

    def refresh(self, force: bool = False) -> None:
        """Follow the run: counts change in place (at most REFRESH_S apart while shown)."""
        sim = self.sim
        if sim is None:
            self._show_empty(True)
            return
        now = time.perf_counter()
        if not force and (not self.isVisible() or now - self._refreshed_at < REFRESH_S):
            return
        self._refreshed_at = now
        why = sim.why
        sig = (len(why), sum(why.values()))
        if sig == self._signature:
            return
        self._signature = sig
        self._show_empty(not why)
        totals: dict[str, int] = {}
        for (_n, w, _c), cnt in why.items():
            totals[w] = totals.get(w, 0) + cnt
        bold = QFont(self.tree.font())
        bold.setBold(True)
        for what, label, colour in WHATS:
            total = totals.get(what, 0)
            g = self._groups.get(what)
            if total == 0:
                continue
            if g is None:
                g = QTreeWidgetItem([label, "", "", ""])
                g.setIcon(0, _dot(colour))
                g.setFont(0, bold)
                g.setData(0, ROLE, (None, what, None))
                g.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.tree.addTopLevelItem(g)
                self._groups[what] = g
                g.setExpanded(True)
            if g.text(2) != f"{total:,}":
                g.setText(2, f"{total:,}")
        for key in sorted(why, key=lambda k: -why[k]):
            node, what, cause = key
            cnt = why[key]
            it = self._items.get(key)
            g = self._groups.get(what)
            if g is None:
                continue
            if it is None:
                it = QTreeWidgetItem([cause, node, "", ""])
                it.setData(0, ROLE, key)
                it.setToolTip(0, f"{what.replace('_', ' ')} at {node}: {cause}\nClick for sample journeys; "
                                 "double-click to select the node")
                it.setForeground(1, QBrush(QColor(theme.ACCENT)))
                for c in (2, 3):
                    it.setTextAlignment(c, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                g.addChild(it)
                self._items[key] = it
            for col, text in ((2, f"{cnt:,}"), (3, f"{100.0 * cnt / max(totals[what], 1):.0f}%")):
                if it.text(col) != text:
                    it.setText(col, text)
        for g in self._groups.values():
            kids = [g.child(i) for i in range(g.childCount())]
            order = sorted(kids, key=lambda it: -why[it.data(0, ROLE)])
            if order != kids:
                cur = self.tree.currentItem()
                self.tree.blockSignals(True)
                g.takeChildren()
                g.addChildren(order)
                if cur is not None:
                    self.tree.setCurrentItem(cur)
                self.tree.blockSignals(False)

    def _show_empty(self, empty: bool) -> None:
        self.empty.setVisible(empty)
        self.tree.setVisible(not empty)

    # --- journeys ---------------------------------------------------------------------------------------
    def _on_pick(self, item: QTreeWidgetItem | None) -> None:
        if item is None or self.sim is None:
            return
        node, what, cause = item.data(0, ROLE)
        self.show_journeys(node, what, cause)

    def _on_double(self, item: QTreeWidgetItem, _col: int) -> None:
        node = item.data(0, ROLE)[0]
        if node:
            self.node_clicked.emit(node)

    def show_journeys(self, node: str | None, what: str, cause: str | None) -> None:
        """List the sampled journeys that show this trouble and open the first."""
        sim = self.sim
        every = sim.journeys() if sim else []
        self._journeys = matching_journeys(every, node, what, cause)
        label = dict((w, lbl) for w, lbl, _c in WHATS).get(what, what)
        where = f" at {node}" if node else ""
        why = f" ({cause})" if cause else ""
        n = len(self._journeys)
        if n:
            title = f"{label}{where}{why}: {n} sample journey{'s' if n != 1 else ''}"
        else:
            # A throttled poll is retried without touching its events' journeys: show the
            # events that went through the node instead, and say so.
            self._journeys = journeys_through(every, node) if node else []
            n = len(self._journeys)
            title = (f"{label}{where}{why}: no sampled journey records it (about one event in 97 is "
                     "traced); " + (f"{n} sample journey{'s' if n != 1 else ''} through {node}:"
                                    if n else "none passed this node yet."))
        self.journey_title.setText(title)
        self.journey_list.blockSignals(True)
        self.journey_list.clear()
        for j in self._journeys:
            steps = j["steps"]
            span = steps[-1]["t"] - steps[0]["t"] if steps else 0.0
            last = steps[-1]["what"] if steps else ""
            QListWidgetItem(f"event {j['event']} · {len(steps)} steps over {fmt_seconds(span)} · {last}",
                            self.journey_list)
        self.journey_list.blockSignals(False)
        if self._journeys:
            self.journey_list.setCurrentRow(0)
            self._show_journey(0)
        else:
            self.timeline.clear()

    def _show_journey(self, row: int) -> None:
        self.timeline.clear()
        if not 0 <= row < len(self._journeys):
            return
        steps = self._journeys[row]["steps"]
        t0 = steps[0]["t"] if steps else 0.0
        for s in steps:
            it = QTreeWidgetItem([fmt_clock(s["t"]) + f"{s['t'] % 1:.3f}"[1:], f"+{fmt_seconds(s['t'] - t0)}",
                                  s["node"], s["what"]])
            text = s["what"].lower()
            for what, _label, colour in WHATS:
                if any(w in text for w in KEYWORDS[what]):
                    it.setForeground(3, QBrush(QColor(colour)))
                    break
            else:
                if "processed" in text or "succeeded" in text or text.startswith("200"):
                    it.setForeground(3, QBrush(QColor(OUTCOME_COLOURS["succeeded"])))
            self.timeline.addTopLevelItem(it)
