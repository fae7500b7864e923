"""The canvas driven with real events: palette drops, port drags, moves, rubber band, delete,
copy/paste across windows, layout, zoom; each edit undoable in one step."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from gui import theme
from gui.canvas.edge_item import EdgeItem
from tests.gui.canvas_support import click, connect_by_drag, drop_from_palette, mouse_drag


def test_drop_from_palette_adds_a_node_where_it_lands_and_undo_removes_it(window):
    drop_from_palette(window, "Lambda function", QPointF(300, 200))
    sc = window.document.scenario
    assert [n.kind for n in sc.nodes] == ["Function"]
    node = sc.nodes[0]
    assert node.properties == {"MemorySize": 512, "Timeout": 10}  # the palette preset
    item = window.scene.node_items[node.id]
    assert item.sceneBoundingRect().contains(QPointF(300, 200))
    assert node.position[0] % theme.GRID == 0 and node.position[1] % theme.GRID == 0  # snapped
    assert item.isSelected()
    window.document.undo_stack.undo()
    assert window.document.scenario.nodes == [] and window.scene.node_items == {}
    window.document.undo_stack.redo()
    assert node.id in window.scene.node_items


def test_palette_presets_name_destinations(window):
    drop_from_palette(window, "Dead-letter queue", QPointF(0, 0))
    drop_from_palette(window, "Dead-letter queue", QPointF(0, 200))
    assert [n.id for n in window.document.scenario.nodes] == ["dlq", "dlq-2"]


def test_connect_by_dragging_between_ports_adds_the_implied_role(window):
    drop_from_palette(window, "SQS queue", QPointF(0, 0))
    drop_from_palette(window, "Event source mapping", QPointF(350, 0))
    connect_by_drag(window, "queue", "esm")
    edges = window.document.scenario.edges
    assert [(e.source, e.target, e.role) for e in edges] == [("queue", "esm", "poll")]
    assert len(window.scene.edge_items) == 1
    assert window.document.undo_stack.undoText() == "Connect queue → esm (poll)"
    window.document.undo_stack.undo()
    assert window.document.scenario.edges == [] and window.scene.edge_items == {}
    window.document.undo_stack.redo()
    assert len(window.scene.edge_items) == 1


def test_impossible_connection_is_refused_and_the_reason_shown(window):
    drop_from_palette(window, "S3 bucket", QPointF(0, 0))
    drop_from_palette(window, "DynamoDB stream", QPointF(350, 0))
    depth = window.document.undo_stack.count()
    connect_by_drag(window, "bucket", "table")
    assert window.document.scenario.edges == []
    assert window.document.undo_stack.count() == depth
    assert window.view.notice.isVisible()
    assert "bucket → table" in window.view.notice.text()
    assert "cannot connect to a DynamoDBTable" in window.view.notice.text()
    assert "cannot connect" in window.statusBar().currentMessage()


def test_ambiguous_connection_asks_for_the_role(window):
    drop_from_palette(window, "Lambda function", QPointF(0, 0))
    drop_from_palette(window, "SQS queue", QPointF(350, 0))
    asked = []

    def choose(roles, src, dst, _pos):
        asked.append((set(roles), src, dst))
        return "dlq"

    window.scene.choose_role = choose
    connect_by_drag(window, "function", "queue")
    assert asked == [({"dlq", "on_failure", "on_success", "emits"}, "function", "queue")]
    assert [e.role for e in window.document.scenario.edges] == ["dlq"]


def test_cancelled_role_choice_adds_nothing(window):
    drop_from_palette(window, "Lambda function", QPointF(0, 0))
    drop_from_palette(window, "SQS queue", QPointF(350, 0))
    window.scene.choose_role = lambda *a: None
    connect_by_drag(window, "function", "queue")
    assert window.document.scenario.edges == []


def test_edge_styles_tell_role_families_apart(orders_window):
    w = orders_window
    drop_from_palette(w, "API Gateway", QPointF(300, 400))
    connect_by_drag(w, "api", "worker")
    styles = {it.edge.role: it.style.key for it in w.scene.edge_items.values()}
    assert styles == {"poll": "polled", "redrive": "failure", "invoke": "sync"}
    pens = {it.style.key: (it.pen().color().name(), tuple(it.pen().dashPattern()))
            for it in w.scene.edge_items.values()}
    assert len(set(pens.values())) == 3


def test_drag_moves_a_node_in_one_undo_step(orders_window):
    w = orders_window
    item = w.scene.node_items["worker"]
    start = item.pos()
    depth = w.document.undo_stack.count()
    mouse_drag(w.view, item.center(), item.center() + QPointF(100, 60), steps=10)
    node = w.document.node("worker")
    assert node.position == (start.x() + 100, start.y() + 60)
    assert w.document.undo_stack.count() == depth + 1
    w.document.undo_stack.undo()
    assert w.document.node("worker").position == (start.x(), start.y())
    assert item.pos() == start


def test_edges_follow_a_moved_node(orders_window):
    w = orders_window
    edge = next(it for it in w.scene.edge_items.values() if it.edge.target == "worker")
    before = edge.path().pointAtPercent(1.0)
    item = w.scene.node_items["worker"]
    mouse_drag(w.view, item.center(), item.center() + QPointF(0, 120))
    after = edge.path().pointAtPercent(1.0)
    assert after.y() == pytest.approx(before.y() + 120)


def test_rubber_band_selects_several_nodes(orders_window):
    w = orders_window
    a = w.scene.node_items["orders"].sceneBoundingRect()
    b = w.scene.node_items["orders-esm"].sceneBoundingRect()
    mouse_drag(w.view, QPointF(a.left() - 30, a.top() - 30), QPointF(b.right() - 20, b.bottom() + 20))
    assert set(w.scene.selected_node_ids()) == {"orders", "orders-esm"}
    assert w.inspector.multi is not None


def test_ctrl_click_adds_to_the_selection(orders_window):
    w = orders_window
    click(w.view, w.scene.node_items["orders"].center())
    click(w.view, w.scene.node_items["worker"].center(), Qt.KeyboardModifier.ControlModifier)
    assert set(w.scene.selected_node_ids()) == {"orders", "worker"}


def test_delete_key_removes_selection_with_its_edges_and_undo_restores(orders_window, qtbot):
    w = orders_window
    before = w.document.scenario.to_json()
    click(w.view, w.scene.node_items["orders-esm"].center())
    w.view.setFocus()
    qtbot.keyClick(w.view.viewport(), Qt.Key.Key_Delete)
    assert w.document.node("orders-esm") is None
    assert all("orders-esm" not in (e.source, e.target) for e in w.document.scenario.edges)
    assert not any(it.edge.target == "orders-esm" for it in w.scene.edge_items.values())
    qtbot.keyClick(w.view.viewport(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert w.document.scenario.to_json() == before
    qtbot.keyClick(w.view.viewport(), Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert w.document.node("orders-esm") is None


def test_selecting_an_edge_and_deleting_it(orders_window):
    w = orders_window
    item = next(it for it in w.scene.edge_items.values() if it.edge.role == "redrive")
    click(w.view, item.path().pointAtPercent(0.5))
    assert w.scene.selected_edge_indices() == [2]
    assert w.inspector.edge is item.edge
    w.act_delete.trigger()
    assert [e.role for e in w.document.scenario.edges] == ["poll", "poll"]


def test_copy_paste_between_windows_goes_through_scenario_json(orders_window, qtbot):
    from gui.main_window import MainWindow

    w = orders_window
    w.scene.select_nodes(["orders", "orders-esm"])
    assert w.copy()
    text = QGuiApplication.clipboard().text()
    assert '"format": "triggerscope/1"' in text and '"role": "poll"' in text
    other = MainWindow()
    other.interactive = False
    qtbot.addWidget(other)
    ids = other.paste()
    assert ids == ["orders", "orders-esm"]
    assert [(e.source, e.target) for e in other.document.scenario.edges] == [("orders", "orders-esm")]
    assert other.document.undo_stack.count() == 1
    # Pasting again into the first window renames and offsets the copies.
    again = w.paste()
    assert again == ["orders-2", "orders-esm-2"]
    assert w.document.node("orders-2").position == (40.0, 40.0)
    other.document.undo_stack.setClean()
    other.close()


def test_pasting_text_that_is_not_a_design_explains_and_changes_nothing(window):
    QGuiApplication.clipboard().setText("hello, not json")
    assert window.paste() == []
    assert window.document.undo_stack.count() == 0
    assert "does not hold a Triggerscope design" in window.view.notice.text()


def test_duplicate_and_cut(orders_window):
    w = orders_window
    w.scene.select_nodes(["worker"])
    assert w.duplicate() == ["worker-2"]
    w.scene.select_nodes(["worker-2"])
    w.cut()
    assert w.document.node("worker-2") is None
    assert w.paste() == ["worker-2"]


def test_automatic_layout_is_one_undo_step_left_to_right(orders_window):
    w = orders_window
    for nid, pos in {"orders": (900, 500), "orders-esm": (0, 300), "worker": (-400, 0)}.items():
        w.document.move_nodes({nid: (w.document.node(nid).position, pos)})
    depth = w.document.undo_stack.count()
    w.act_layout.trigger()
    n = w.document.node
    assert n("orders").position[0] < n("orders-esm").position[0] < n("worker").position[0]
    assert w.document.undo_stack.count() == depth + 1
    assert w.document.undo_stack.undoText() == "Automatic layout"
    w.document.undo_stack.undo()
    assert n("worker").position == (-400.0, 0.0)


def test_zoom_and_fit_to_view(orders_window):
    w = orders_window
    w.act_zoom_in.trigger()
    assert w.view.zoom() == pytest.approx(1.25)
    w.act_zoom_out.trigger()
    assert w.view.zoom() == pytest.approx(1.0)
    w.view.set_zoom(0.2)
    w.act_fit.trigger()
    vis = w.view.mapToScene(w.view.viewport().rect()).boundingRect()
    for item in w.scene.node_items.values():
        assert vis.contains(item.sceneBoundingRect())
    assert w.zoom_label.text().endswith("%")


def test_ctrl_wheel_zooms_and_wheel_pans(orders_window):
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QWheelEvent

    w = orders_window
    vp = w.view.viewport()
    center = QPointF(vp.rect().center())
    ev = QWheelEvent(center, QPointF(vp.mapToGlobal(center.toPoint())), QPoint(0, 0), QPoint(0, 240),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.ControlModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(vp, ev)
    assert w.view.zoom() > 1.2
    y0 = w.view.verticalScrollBar().value()
    ev = QWheelEvent(center, QPointF(vp.mapToGlobal(center.toPoint())), QPoint(0, 0), QPoint(0, -240),
                     Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(vp, ev)
    assert w.view.verticalScrollBar().value() > y0


def test_snap_to_grid_can_be_turned_off(orders_window):
    w = orders_window
    w.act_snap.setChecked(False)
    item = w.scene.node_items["worker"]
    start = item.pos()
    mouse_drag(w.view, item.center(), item.center() + QPointF(7, 3))
    assert w.document.node("worker").position == (start.x() + 7, start.y() + 3)
    w.act_snap.setChecked(True)
    mouse_drag(w.view, item.center(), item.center() + QPointF(7, 3))
    x, y = w.document.node("worker").position
    assert x % theme.GRID == 0 and y % theme.GRID == 0


def test_minimap_shows_when_the_design_overflows_and_a_click_moves_the_view(orders_window):
    w = orders_window
    w.act_minimap.setChecked(True)
    mm = w.view.minimap
    w.act_fit.trigger()
    w.view.refresh_minimap()
    assert not mm.isVisible()  # everything in view: no overview needed
    w.view.set_zoom(2.5)
    w.view.refresh_minimap()
    assert mm.isVisible()
    before = w.view.mapToScene(w.view.viewport().rect().center())
    from PySide6.QtTest import QTest

    QTest.mouseClick(mm, Qt.MouseButton.LeftButton, pos=mm.rect().bottomRight() - mm.rect().center() / 4)
    after = w.view.mapToScene(w.view.viewport().rect().center())
    assert after != before


def test_double_click_on_a_node_starts_renaming_in_the_inspector(orders_window):
    from PySide6.QtTest import QTest

    w = orders_window
    pos = w.view.mapFromScene(w.scene.node_items["worker"].center())
    QTest.mouseDClick(w.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert w.inspector.node_id == "worker"
    assert w.inspector.name_edit.hasFocus() or w.inspector.name_edit.selectedText() == "worker"


def test_escape_cancels_a_connection_in_progress(orders_window):
    from PySide6.QtCore import QEvent

    from tests.gui.canvas_support import _mouse

    w = orders_window
    src = w.scene.node_items["orders-dlq"]
    vp = w.view.viewport()
    p = w.view.mapFromScene(src.out_port())
    left = Qt.MouseButton.LeftButton
    _mouse(vp, QEvent.Type.MouseButtonPress, p, left, left)
    _mouse(vp, QEvent.Type.MouseMove, p + p / 10, Qt.MouseButton.NoButton, left)
    assert type(w.scene.interaction).__name__ == "ConnectInteraction"
    w.scene.cancel_interaction()
    assert type(w.scene.interaction).__name__ == "SelectMoveInteraction"
    assert not any(not isinstance(i, EdgeItem) and i.zValue() == 10 for i in w.scene.items())
