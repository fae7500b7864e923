"""The palette: node kinds grouped as a designer thinks of them, dragged onto the canvas.

Entries are presets (a kind plus a suggested id and a few properties), so "Dead-letter queue"
and "SQS queue" are both SQS queues but start out named and configured for their job.
Double-click or Enter adds the entry at the centre of the canvas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from gui import icons, theme
from gui.canvas.view import PALETTE_MIME


@dataclass(frozen=True)
class Entry:
    kind: str
    label: str
    blurb: str
    id: str | None = None
    properties: dict = field(default_factory=dict)
    behavior: dict = field(default_factory=dict)

    def payload(self) -> dict:
        return {"kind": self.kind, "id": self.id, "properties": self.properties, "behavior": self.behavior}


GROUPS: list[tuple[str, list[Entry]]] = [
    ("Sources", [
        Entry("ApiGateway", "API Gateway", "Synchronous caller: REST or HTTP API"),
        Entry("S3Bucket", "S3 bucket", "Asynchronous push on object events"),
        Entry("SNSTopic", "SNS topic", "Asynchronous push, fan-out to subscribers"),
        Entry("EventBridgeRule", "EventBridge rule", "Asynchronous push of events matching a pattern"),
        Entry("Schedule", "Schedule", "Fires on rate(…) or cron(…)"),
    ]),
    ("Queues and streams", [
        Entry("SQSQueue", "SQS queue", "Polled queue", properties={"VisibilityTimeout": 60}),
        Entry("SQSQueue", "SQS FIFO queue", "Ordered per message group", id="fifo-queue",
              properties={"FifoQueue": True, "VisibilityTimeout": 60}),
        Entry("KinesisStream", "Kinesis stream", "Polled stream, ordered per shard"),
        Entry("DynamoDBTable", "DynamoDB stream", "Table change stream, polled"),
    ]),
    ("Mappings", [
        Entry("EventSourceMapping", "Event source mapping", "Poller between a queue or stream and a function"),
    ]),
    ("Functions", [
        Entry("Function", "Lambda function", "Compute", properties={"MemorySize": 512, "Timeout": 10}),
    ]),
    ("Destinations", [
        Entry("SQSQueue", "Dead-letter queue", "SQS queue for failed events", id="dlq"),
        Entry("SNSTopic", "Failure topic", "SNS topic for on-failure / on-success records", id="failures"),
        Entry("S3Bucket", "Failure bucket", "S3 bucket for a stream mapping's failed batches", id="failed-batches"),
    ]),
    ("Downstream", [
        Entry("Dependency", "Database", "Connection-limited downstream", id="database",
              behavior={"MaxConcurrentRequests": 100, "Latency": {"dist": "lognormal", "median": 0.01, "p99": 0.05}}),
        Entry("Dependency", "Third-party API", "Rate-limited external service", id="partner-api",
              behavior={"MaxConcurrentRequests": 50, "Latency": {"dist": "lognormal", "median": 0.15, "p99": 0.8}}),
    ]),
]

ENTRY_ROLE = Qt.ItemDataRole.UserRole + 1


class _Tree(QTreeWidget):
    def mimeTypes(self) -> list[str]:
        return [PALETTE_MIME]

    def mimeData(self, items) -> QMimeData:
        mime = QMimeData()
        for it in items:
            entry: Entry | None = it.data(0, ENTRY_ROLE)
            if entry is not None:
                data = json.dumps(entry.payload()).encode("utf-8")
                mime.setData(PALETTE_MIME, data)
                mime.setText(entry.kind)
                break
        return mime

    def supportedDropActions(self):
        return Qt.DropAction.CopyAction


class Palette(QWidget):
    activated = Signal(dict)  # payload of an entry added by double-click / Enter

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter node kinds…")
        self.search.setClearButtonEnabled(True)
        self.search.setStyleSheet("QLineEdit{margin:8px;}")
        self.search.textChanged.connect(self._filter)
        lay.addWidget(self.search)
        self.tree = _Tree()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(8)
        self.tree.setIconSize(QSize(24, 24))
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)
        self.tree.setUniformRowHeights(False)
        self.tree.itemActivated.connect(self._activate)
        lay.addWidget(self.tree)
        self.items: list[QTreeWidgetItem] = []
        group_font = theme.ui_font(7.6, QFont.Weight.Bold)
        for title, entries in GROUPS:
            g = QTreeWidgetItem([title.upper()])
            g.setFlags(Qt.ItemFlag.ItemIsEnabled)
            g.setFont(0, group_font)
            g.setForeground(0, theme.colour(theme.TEXT_MUTED))
            g.setSizeHint(0, QSize(100, 26))
            self.tree.addTopLevelItem(g)
            for e in entries:
                it = QTreeWidgetItem([e.label])
                it.setIcon(0, icons.kind_icon(e.kind))
                it.setToolTip(0, f"<b>{e.label}</b> ({e.kind})<br>{e.blurb}<br><i>Drag onto the canvas</i>")
                it.setData(0, ENTRY_ROLE, e)
                it.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
                it.setSizeHint(0, QSize(100, 30))
                g.addChild(it)
                self.items.append(it)
            g.setExpanded(True)
        self.setMinimumWidth(190)

    def item_for(self, label: str) -> QTreeWidgetItem:
        for it in self.items:
            if it.text(0) == label:
                return it
        raise KeyError(label)

    def mime_for(self, label: str) -> QMimeData:
        """The drag payload of an entry (what a drop on the canvas receives)."""
        return self.tree.mimeData([self.item_for(label)])

    def _activate(self, item: QTreeWidgetItem, _col: int) -> None:
        entry: Entry | None = item.data(0, ENTRY_ROLE)
        if entry is not None:
            self.activated.emit(entry.payload())

    def _filter(self, text: str) -> None:
        t = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            g = self.tree.topLevelItem(i)
            visible = 0
            for j in range(g.childCount()):
                it = g.child(j)
                e: Entry = it.data(0, ENTRY_ROLE)
                hit = not t or t in e.label.lower() or t in e.kind.lower() or t in e.blurb.lower()
                it.setHidden(not hit)
                visible += hit
            g.setHidden(visible == 0)
