"""The inspector edits AWS properties through typed rows (defaults, units, ranges, help), marks
invalid values inline with the reason, and every edit is one undo step. Also the Event tab,
workloads and the problems panel."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from tests.gui.canvas_support import click


def _select(w, node_id):
    w.scene.select_nodes([node_id])
    assert w.inspector.node_id == node_id


def _type(qtbot, edit, text):
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_editing_memory_size_updates_the_model_and_undo_redo(orders_window, qtbot):
    w = orders_window
    click(w.view, w.scene.node_items["worker"].center())
    row = w.inspector.rows[("properties", "MemorySize")]
    assert row.editor.text() == "512"
    assert "MB" in [lab.text() for lab in row.findChildren(QLabel)]
    assert "range 128–10,240" in row.help.text()
    _type(qtbot, row.editor, "2048")
    assert w.document.node("worker").properties["MemorySize"] == 2048
    assert w.scene.node_items["worker"].detail.startswith("2048 MB")
    assert w.isWindowModified()
    w.document.undo_stack.undo()
    assert w.document.node("worker").properties["MemorySize"] == 512
    assert row.editor.text() == "512"
    w.document.undo_stack.redo()
    assert row.editor.text() == "2048"


def test_out_of_range_value_is_marked_inline_with_the_reason(orders_window, qtbot):
    w = orders_window
    _select(w, "worker")
    row = w.inspector.rows[("properties", "Timeout")]
    _type(qtbot, row.editor, "5000")
    w.validate_now()
    assert "outside AWS's range 1–900" in row.error_text()
    assert row.editor.property("invalid") is True
    assert w.scene.node_items["worker"].problem == "error"
    _type(qtbot, row.editor, "30")
    w.validate_now()
    assert row.error_text() == ""


def test_text_that_is_not_a_number_is_refused_inline_and_not_applied(orders_window, qtbot):
    w = orders_window
    _select(w, "worker")
    row = w.inspector.rows[("properties", "MemorySize")]
    depth = w.document.undo_stack.count()
    _type(qtbot, row.editor, "lots")
    assert "'lots' is not a number" in row.error_text()
    assert w.document.node("worker").properties["MemorySize"] == 512
    assert w.document.undo_stack.count() == depth


def test_clearing_a_field_restores_the_aws_default(orders_window, qtbot):
    w = orders_window
    _select(w, "worker")
    row = w.inspector.rows[("properties", "Timeout")]
    assert row.editor.placeholderText() == "default: 3"
    _type(qtbot, row.editor, "")
    assert "Timeout" not in w.document.node("worker").properties
    row.editor.setText("12")
    row.editor.editingFinished.emit()
    row.reset.click()
    assert "Timeout" not in w.document.node("worker").properties


def test_enum_bool_and_distribution_rows(orders_window, qtbot):
    w = orders_window
    _select(w, "orders")
    fifo = w.inspector.rows[("properties", "FifoQueue")].editor
    fifo.setCurrentIndex(fifo.findData(True))
    fifo.activated.emit(fifo.currentIndex())
    assert w.document.node("orders").properties["FifoQueue"] is True
    _select(w, "worker")
    dist_row = w.inspector.rows[("behavior", "Duration")]
    ed = dist_row.editor
    assert ed.kind.currentData() == "lognormal"
    assert [p.text() for p in ed.params[:2]] == ["0.2", "1.5"]
    _type(qtbot, ed.params[1], "3")
    assert w.document.node("worker").behavior["Duration"] == {"dist": "lognormal", "median": 0.2, "p99": 3.0}
    _type(qtbot, ed.params[1], "0.1")  # p99 below the median: refused inline
    assert "p99 must be at least the median" in dist_row.error_text()
    assert w.document.node("worker").behavior["Duration"]["p99"] == 3.0
    cold = w.inspector.rows[("behavior", "ColdStart")].editor
    cold.kind.setCurrentIndex(cold.kind.findData("none"))
    cold.kind.activated.emit(cold.kind.currentIndex())
    assert w.document.node("worker").behavior["ColdStart"] is None


def test_rename_through_the_inspector_and_a_clash_is_refused_inline(orders_window, qtbot):
    w = orders_window
    _select(w, "worker")
    w.act_rename.trigger()
    _type(qtbot, w.inspector.name_edit, "processor")
    assert w.document.node("processor") is not None
    assert "processor" in w.scene.node_items and "worker" not in w.scene.node_items
    assert any(e.target == "processor" for e in w.document.scenario.edges)
    _type(qtbot, w.inspector.name_edit, "orders")
    assert "already used" in w.inspector.name_error.text()
    assert w.document.node("processor") is not None
    w.document.undo_stack.undo()
    assert w.document.node("worker") is not None


def test_edge_inspector_changes_role_and_edits_properties(orders_window, qtbot):
    w = orders_window
    i = w.document.connect("worker", "orders-dlq", "emits")
    w.scene.select_edge(i)
    assert w.inspector.edge is w.document.scenario.edges[i]
    row = w.inspector.rows[("properties", "PerInvocation")]
    _type(qtbot, row.editor, "4")
    assert w.document.scenario.edges[i].properties == {"PerInvocation": 4}
    box = w.inspector.role_box
    box.setCurrentIndex(box.findData("dlq"))
    box.activated.emit(box.currentIndex())
    assert w.document.scenario.edges[i].role == "dlq"
    assert next(it for it in w.scene.edge_items.values() if it.edge is w.document.scenario.edges[i]).style.key == "failure"
    w.document.undo_stack.undo()
    assert w.document.scenario.edges[i].role == "emits"


def test_scenario_settings_when_nothing_is_selected(orders_window, qtbot):
    w = orders_window
    w.scene.clearSelection()
    assert w.inspector.node_id is None and w.inspector.edge is None
    row = w.inspector.rows[("simulation", "DurationSeconds")]
    _type(qtbot, row.editor, "120")
    assert w.document.scenario.simulation.DurationSeconds == 120
    acc = w.inspector.rows[("account", "ConcurrentExecutions")]
    _type(qtbot, acc.editor, "0")
    assert "greater than or equal to 1" in acc.error_text()
    assert w.document.scenario.account.ConcurrentExecutions == 1000


def test_workloads_tab_adds_and_edits_workloads(orders_window, qtbot):
    w = orders_window
    _select(w, "orders")
    panel = w.inspector.workloads
    assert panel.list.count() == 1 and "checkout → orders" in panel.list.item(0).text()
    rate = panel.rows[("arrivals", "rate")]
    _type(qtbot, rate.editor, "350")
    assert w.document.scenario.workloads[0].arrivals.rate == 350
    _type(qtbot, panel.rows[("arrivals", "rate")].editor, "-5")
    assert "greater than or equal to 0" in panel.rows[("arrivals", "rate")].error_text()
    assert w.document.scenario.workloads[0].arrivals.rate == 350
    panel.add_button.click()
    assert [x.target for x in w.document.scenario.workloads] == ["orders", "orders"]
    w.document.undo_stack.undo()
    assert len(w.document.scenario.workloads) == 1


def test_event_tab_shows_an_sqs_batch_built_from_the_workload(orders_window):
    w = orders_window
    _select(w, "orders-esm")
    tab = w.inspector.event_tab
    assert w.inspector.tabs.isTabEnabled(1)
    event = json.loads(tab.event_view.toPlainText())
    assert len(event["Records"]) == 10  # BatchSize 10
    rec = event["Records"][0]
    assert rec["eventSource"] == "aws:sqs" and json.loads(rec["body"]) == {"type": "order"}
    assert "SQS batch" in tab.caption.text()


def test_event_tab_filter_tester_shows_match_and_rejection_reason(orders_window):
    w = orders_window
    _select(w, "orders-esm")
    tab = w.inspector.event_tab
    tab.pattern_edit.setPlainText('{"body": {"type": ["order"]}}')
    tab.test_button.click()
    assert tab.verdict == "partial" and "records match" in tab.result.text()
    tab.pattern_edit.setPlainText('{"body": {"type": ["refund"]}}')
    assert tab.test_pattern() == "nomatch"
    tab.pattern_edit.setPlainText('{"body": {"type": "order"}}')
    assert tab.test_pattern() == "error"
    assert tab.result.text().startswith("⚠ Invalid pattern:")
    tab.pattern_edit.setPlainText('{"body": {"type": ["order", "bad"]}}')
    assert tab.test_pattern() == "match"
    tab.save_button.click()
    fc = w.document.node("orders-esm").properties["FilterCriteria"]
    assert json.loads(fc["Filters"][0]["Pattern"]) == {"body": {"type": ["order", "bad"]}}


def test_event_tab_for_kinesis_base64_data_and_eventbridge(window):
    doc = window.document
    k = doc.add_node("KinesisStream", (0, 0), id_hint="clicks")
    doc.set_workloads([*doc.scenario.workloads], "noop")
    from core.model import Workload

    doc.set_workloads([Workload(id="c", target=k, events=[{"payload": {"page": "/cart"}}])], "add")
    window.scene.select_nodes([k])
    tab = window.inspector.event_tab
    rec = json.loads(tab.event_view.toPlainText())["Records"][0]
    import base64

    assert json.loads(base64.b64decode(rec["kinesis"]["data"])) == {"page": "/cart"}
    tab.pattern_edit.setPlainText('{"data": {"page": ["/cart"]}}')
    assert tab.test_pattern() == "match"
    r = doc.add_node("EventBridgeRule", (0, 200), id_hint="rule")
    window.scene.select_nodes([r])
    ev = json.loads(tab.event_view.toPlainText())
    assert ev["detail-type"] == "Event" and "detail" in ev


def test_event_tab_is_disabled_for_a_function(orders_window):
    w = orders_window
    _select(w, "worker")
    assert not w.inspector.tabs.isTabEnabled(1)


def test_problems_panel_lists_problems_and_click_selects_the_culprit(orders_window, qtbot):
    w = orders_window
    w.document.set_node_value("worker", "properties", "Timeout", 5000)
    qtbot.waitUntil(lambda: any("Timeout" in p.path for p in w.problems.problems), timeout=2000)
    p = next(p for p in w.problems.problems if "Timeout" in p.path)
    assert p.severity == "error" and p.node == "worker"
    w.scene.clearSelection()
    item = w.problems.item_for(p)
    w.problems.tree.itemClicked.emit(item, 0)
    assert w.scene.selected_node_ids() == ["worker"]
    assert w.inspector.rows[("properties", "Timeout")].editor.hasFocus()
    assert "error" in w.problem_label.text()


def test_problems_panel_shows_design_warnings_and_filters_them(orders_window, qtbot):
    w = orders_window
    w.document.remove([], [2])  # drop the redrive edge: "no redrive policy" warning and a RedrivePolicy error
    w.validate_now()
    errors, warnings = w.problems.counts()
    assert errors >= 1 and warnings >= 1
    shown = w.problems.tree.topLevelItemCount()
    w.problems.show_warnings.setChecked(False)
    assert w.problems.tree.topLevelItemCount() == shown - warnings
