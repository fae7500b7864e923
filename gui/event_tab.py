"""The Event tab: the JSON a function receives from the selected source or mapping, in AWS's
record shapes (`core.records`), built from the workload's payload templates; and a filter
tester that runs a pattern against it with `core.filters`, showing match or AWS's reason.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from core import catalog, records, validate
from gui import theme
from gui.document import ScenarioDocument

EVENT_KINDS = ("ApiGateway", "S3Bucket", "SNSTopic", "EventBridgeRule", "Schedule", "SQSQueue",
               "KinesisStream", "DynamoDBTable", "EventSourceMapping")
BATCHED = {"SQSQueue": "sqs", "KinesisStream": "kinesis", "DynamoDBTable": "dynamodb"}
FILTER_SOURCE = {**BATCHED, "SNSTopic": "sns", "EventBridgeRule": "eventbridge", "Schedule": "eventbridge"}
MAX_RECORDS = 10


def _sample(kind: str) -> Any:
    if kind == "S3Bucket":
        return {"key": "uploads/photo.jpg", "size": 204800}
    if kind == "SNSTopic":
        return {"Message": {"type": "order", "amount": 42}, "MessageAttributes": {"type": "order"}}
    if kind == "DynamoDBTable":
        return {"id": "order-1", "status": "NEW"}
    return {"type": "order", "amount": 42}


class EventTab(QWidget):
    def __init__(self, document: ScenarioDocument, parent=None):
        super().__init__(parent)
        self.document = document
        self.node_id: str | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.setSpacing(6)
        self.caption = QLabel()
        self.caption.setObjectName("Hint")
        self.caption.setWordWrap(True)
        lay.addWidget(self.caption)
        row = QHBoxLayout()
        row.addWidget(QLabel("Payloads from"))
        self.workload_box = QComboBox()
        self.workload_box.activated.connect(lambda _i: self.render_event())
        row.addWidget(self.workload_box, 1)
        lay.addLayout(row)

        split = QSplitter(Qt.Orientation.Vertical)
        split.setChildrenCollapsible(False)
        self.event_view = QPlainTextEdit()
        self.event_view.setReadOnly(True)
        self.event_view.setFont(theme.mono_font(8.5))
        self.event_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        split.addWidget(self.event_view)

        tester = QWidget()
        tl = QVBoxLayout(tester)
        tl.setContentsMargins(0, 6, 0, 0)
        tl.setSpacing(4)
        self.filter_title = QLabel("FILTER PATTERN")
        self.filter_title.setObjectName("SectionTitle")
        tl.addWidget(self.filter_title)
        self.pattern_edit = QPlainTextEdit()
        self.pattern_edit.setFont(theme.mono_font(8.5))
        self.pattern_edit.setPlaceholderText('{"body": {"type": ["order"]}}')
        self.pattern_edit.setMinimumHeight(70)
        tl.addWidget(self.pattern_edit, 1)
        buttons = QHBoxLayout()
        self.test_button = QPushButton("Test pattern")
        self.test_button.setDefault(True)
        self.test_button.clicked.connect(self.test_pattern)
        self.save_button = QPushButton("Use as filter")
        self.save_button.setToolTip("Store this pattern on the node (undoable)")
        self.save_button.clicked.connect(self.save_pattern)
        buttons.addWidget(self.test_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        tl.addLayout(buttons)
        self.result = QLabel()
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        tl.addWidget(self.result)
        split.addWidget(tester)
        split.setSizes([320, 200])
        lay.addWidget(split, 1)
        document.changed.connect(self._on_changed)
        self.event: Any = None
        self.show_node(None)

    # --- what is shown --------------------------------------------------------------------------
    def source_node(self):
        """The node whose records the function sees (for a mapping: the queue or stream it polls)."""
        node = self.document.node(self.node_id) if self.node_id else None
        if node is not None and node.kind == "EventSourceMapping":
            return validate.esm_source(self.document.scenario, node.id)
        return node

    def show_node(self, node_id: str | None) -> None:
        self.node_id = node_id
        node = self.document.node(node_id) if node_id else None
        if node is None or node.kind not in EVENT_KINDS:
            self.caption.setText("Select a source, queue, stream or event source mapping to see the "
                                 "event a function receives from it.")
            self.workload_box.clear()
            self.event_view.setPlainText("")
            self.result.setText("")
            self.setEnabled(node is not None)
            return
        self.setEnabled(True)
        self._fill_workloads()
        self.pattern_edit.setPlainText(self._stored_pattern())
        self.result.setText("")
        self.render_event()

    def _on_changed(self) -> None:
        if self.node_id is None:
            return
        node = self.document.node(self.node_id)
        if node is None:
            self.show_node(None)
            return
        current = self.workload_box.currentData()
        self._fill_workloads(current)
        self.render_event()

    def _fill_workloads(self, keep: str | None = None) -> None:
        src = self.source_node()
        self.workload_box.blockSignals(True)
        self.workload_box.clear()
        if src is not None:
            for w in self.document.scenario.workloads:
                if w.target == src.id:
                    self.workload_box.addItem(f"{w.id} ({len(w.events)} template{'s' if len(w.events) != 1 else ''})", w.id)
        if self.workload_box.count() == 0:
            self.workload_box.addItem("sample payload (no workload targets this source)", None)
        if keep is not None:
            i = self.workload_box.findData(keep)
            if i >= 0:
                self.workload_box.setCurrentIndex(i)
        self.workload_box.blockSignals(False)

    def _payloads(self, src) -> list[Any]:
        wid = self.workload_box.currentData()
        w = next((w for w in self.document.scenario.workloads if w.id == wid), None)
        if src.kind == "Schedule":
            inp = src.properties.get("Input")
            return [inp] if inp is not None else []
        if w is None:
            return [_sample(src.kind)]
        return [t.payload for t in w.events]

    def _batch_size(self, src) -> int:
        node = self.document.node(self.node_id)
        if node is not None and node.kind == "EventSourceMapping":
            bs = node.properties.get("BatchSize")
            if isinstance(bs, int) and not isinstance(bs, bool) and bs > 0:
                return min(bs, MAX_RECORDS)
            return min(catalog.esm_default_batch_size(src.kind), MAX_RECORDS)
        return MAX_RECORDS

    def render_event(self) -> None:
        node = self.document.node(self.node_id) if self.node_id else None
        if node is None:
            return
        src = self.source_node()
        if src is None:
            self.caption.setText(f"{node.id} polls nothing yet: connect a queue or stream to it.")
            self.event_view.setPlainText("")
            self.event = None
            return
        payloads = self._payloads(src)
        if src.kind in BATCHED:
            n = self._batch_size(src)
            # One record per template, repeated to fill the batch: what one invocation sees.
            payloads = [payloads[i % len(payloads)] for i in range(n)] if payloads else []
        kw = {"api_type": catalog.prop(src, "Type")} if src.kind == "ApiGateway" else {}
        try:
            self.event = records.event_for(src.kind, payloads, src.id, **kw)
            text = json.dumps(self.event, indent=2, default=str)
        except Exception as e:  # a payload the record builders cannot shape: say so
            self.event = None
            text = f"Cannot build the event: {e}"
        via = f" via {node.id}" if node.id != src.id else ""
        what = {"SQSQueue": f"an SQS batch of {len(payloads)} record(s)",
                "KinesisStream": f"a Kinesis batch of {len(payloads)} record(s), data base64-encoded",
                "DynamoDBTable": f"a DynamoDB stream batch of {len(payloads)} record(s)",
                "S3Bucket": "an S3 object notification",
                "SNSTopic": "an SNS notification",
                "EventBridgeRule": "an EventBridge event",
                "Schedule": "a scheduled EventBridge event",
                "ApiGateway": f"an API Gateway {catalog.prop(src, 'Type')} proxy request"}.get(src.kind, "an event")
        self.caption.setText(f"What a function receives from {src.id}{via}: {what}.")
        self.event_view.setPlainText(text)
        source = FILTER_SOURCE.get(src.kind)
        if src.kind == "S3Bucket":
            self.filter_title.setText("KEY FILTER RULES (S3)")
            self.pattern_edit.setPlaceholderText('[{"Name": "prefix", "Value": "uploads/"}]')
        elif source is None:
            self.filter_title.setText("FILTER PATTERN (not applicable)")
        else:
            self.filter_title.setText(f"FILTER PATTERN ({source})")
        self.pattern_edit.setEnabled(src.kind == "S3Bucket" or source is not None)
        self.test_button.setEnabled(self.pattern_edit.isEnabled() and self.event is not None)
        self.save_button.setEnabled(node.kind in ("EventSourceMapping", "EventBridgeRule"))

    # --- patterns ---------------------------------------------------------------------------------
    def _stored_pattern(self) -> str:
        node = self.document.node(self.node_id) if self.node_id else None
        if node is None:
            return ""
        sc = self.document.scenario
        fc = None
        if node.kind == "EventSourceMapping":
            fc = node.properties.get("FilterCriteria")
        elif node.kind in BATCHED:
            for e in sc.edges:
                if e.source == node.id and e.role == "poll":
                    esm = self.document.node(e.target)
                    if esm is not None and esm.properties.get("FilterCriteria"):
                        fc = esm.properties["FilterCriteria"]
                        break
        if isinstance(fc, dict):
            filters = fc.get("Filters") or []
            if filters and isinstance(filters[0], dict) and "Pattern" in filters[0]:
                return _pretty(filters[0]["Pattern"])
        if node.kind == "EventBridgeRule" and node.properties.get("EventPattern") is not None:
            return _pretty(node.properties["EventPattern"])
        for e in sc.edges:
            if e.source == node.id:
                if node.kind == "SNSTopic" and e.properties.get("FilterPolicy") is not None:
                    return _pretty(e.properties["FilterPolicy"])
                rules = catalog.get_path(e.properties, "Filter.S3Key.Rules")
                if node.kind == "S3Bucket" and rules is not None:
                    return _pretty(rules)
        return ""

    def test_pattern(self) -> str:
        """Run the pattern against the event; show and return the verdict."""
        from core import filters

        src = self.source_node()
        text = self.pattern_edit.toPlainText().strip()
        if src is None or self.event is None:
            return self._verdict("error", "No event to test against.")
        if not text:
            return self._verdict("error", "Enter a pattern to test.")
        try:
            if src.kind == "S3Bucket":
                try:
                    rules = json.loads(text)
                except json.JSONDecodeError as e:
                    return self._verdict("error", f"Invalid rules: not valid JSON ({e.msg}, line {e.lineno})")
                key = self.event["Records"][0]["s3"]["object"]["key"]
                ok = filters.s3_key_matches(rules, key)
                return self._verdict("match" if ok else "nomatch",
                                     f"Key {key!r} {'matches' if ok else 'does not match'} the rules.")
            source = FILTER_SOURCE.get(src.kind)
            if source is None:
                return self._verdict("error", f"A {src.kind} has no event filtering.")
            if src.kind in BATCHED:
                recs = self.event.get("Records", [])
                hits = [filters.matches(text, r, source) for r in recs]
                n = sum(hits)
                marks = " ".join(f"#{i + 1} {'✔' if h else '✘'}" for i, h in enumerate(hits))
                level = "match" if n == len(hits) else ("partial" if n else "nomatch")
                verb = "match" if n != 1 else "matches"
                return self._verdict(level, f"{n} of {len(hits)} records {verb}: {marks}")
            if src.kind == "SNSTopic":
                sns = self.event["Records"][0]["Sns"]
                scope = self._sns_scope(src.id)
                if scope == "MessageBody":
                    try:
                        target = json.loads(sns["Message"])
                    except (TypeError, json.JSONDecodeError):
                        target = sns["Message"]
                    ok = filters.compile_sns_filter_policy(text, "MessageBody")(target)
                else:
                    ok = filters.compile_sns_filter_policy(text, "MessageAttributes")(sns["MessageAttributes"])
                return self._verdict("match" if ok else "nomatch",
                                     f"The {'message body' if scope == 'MessageBody' else 'message attributes'} "
                                     f"{'match' if ok else 'do not match'} the filter policy.")
            ok = filters.matches(text, self.event, source)
            return self._verdict("match" if ok else "nomatch",
                                 "The event matches the pattern." if ok else "The event does not match the pattern.")
        except ValueError as e:  # filters.InvalidPattern is a ValueError
            return self._verdict("error", f"Invalid pattern: {e}")

    def _sns_scope(self, topic_id: str) -> str:
        for e in self.document.scenario.edges:
            if e.source == topic_id and e.properties.get("FilterPolicyScope"):
                return e.properties["FilterPolicyScope"]
        return "MessageAttributes"

    def _verdict(self, level: str, text: str) -> str:
        colours = {"match": (theme.OK, "#EDF8F0", "✔ "), "partial": (theme.WARNING, "#FFF8EC", "◐ "),
                   "nomatch": ("#5B6673", "#F1F3F6", "✘ "), "error": (theme.ERROR, "#FFF4F4", "⚠ ")}
        fg, bg, mark = colours[level]
        self.result.setStyleSheet(f"QLabel{{color:{fg};background:{bg};border-radius:4px;padding:6px 8px;}}")
        self.result.setText(mark + text)
        self.verdict = level
        return level

    def save_pattern(self) -> None:
        node = self.document.node(self.node_id) if self.node_id else None
        text = self.pattern_edit.toPlainText().strip()
        if node is None or not text:
            return
        try:
            pattern = json.loads(text)
        except json.JSONDecodeError as e:
            self._verdict("error", f"Invalid pattern: not valid JSON ({e.msg}, line {e.lineno})")
            return
        if node.kind == "EventSourceMapping":
            self.document.set_node_value(node.id, "properties", "FilterCriteria",
                                         {"Filters": [{"Pattern": json.dumps(pattern, separators=(",", ":"))}]})
        elif node.kind == "EventBridgeRule":
            self.document.set_node_value(node.id, "properties", "EventPattern", pattern)


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        try:
            return json.dumps(json.loads(value), indent=2)
        except json.JSONDecodeError:
            return value
    return json.dumps(value, indent=2)
