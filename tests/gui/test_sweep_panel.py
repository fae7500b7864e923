"""The what-if tools in the app: sweep panel, compare view and capacity finder, driven
through a stand-in main window that offers only the agreed contracts."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

from core import model
from gui.document.document import ScenarioDocument
from gui.sweep import install

WAIT_MS = 120_000  # generous: the wait ends as soon as the signal arrives


def scenario() -> model.Scenario:
    return model.from_dict({
        "format": "triggerscope/1", "name": "API to function",
        "simulation": {"DurationSeconds": 60, "Seed": 11},
        "nodes": [
            {"id": "api", "kind": "ApiGateway"},
            {"id": "fn", "kind": "Function",
             "properties": {"ReservedConcurrentExecutions": 10, "Timeout": 10},
             "behavior": {"Duration": {"dist": "exp", "mean": 0.2}, "ColdStart": None}},
        ],
        "edges": [{"from": "api", "to": "fn", "role": "invoke"}],
        "workloads": [{"id": "traffic", "target": "api", "arrivals": {"process": "poisson", "rate": 60}}],
    })


class FakeWindow(QMainWindow):
    """The main-window contracts the tools may use, and nothing else."""

    def __init__(self, sc: model.Scenario):
        super().__init__()
        self.document = ScenarioDocument(sc.model_copy(deep=True))
        self._menus = {}
        self.docks = []
        self.selected = "fn"

    def menu(self, title):
        if title not in self._menus:
            self._menus[title] = self.menuBar().addMenu(title)
        return self._menus[title]

    def add_dock(self, widget, title, area):
        dock = QDockWidget(title, self)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.docks.append(dock)
        return dock

    def selected_node_id(self):
        return self.selected


@pytest.fixture
def window(qtbot):
    w = FakeWindow(scenario())
    qtbot.addWidget(w)
    tools = install(w)
    w.tools = tools
    yield w
    tools.shutdown()


def _action(window, text):
    return next(a for a in window.menu("Tools").actions() if a.text() == text)


def test_install_adds_the_three_tools_to_the_tools_menu(window):
    texts = [a.text() for a in window.menu("Tools").actions()]
    assert texts == ["Sweep…", "Compare variants…", "Find capacity…"]


def test_sweep_menu_opens_a_dock_on_the_selected_node(window):
    _action(window, "Sweep…").trigger()
    panel = window.tools.sweep_panel
    assert panel is not None and len(window.docks) == 1
    assert panel.p1.target.currentData() == "fn"
    assert panel.p1.path() == "fn.properties.ReservedConcurrentExecutions"
    assert panel.p1.values.text()  # a suggested range around the current value


def test_sweep_runs_in_the_background_and_charts_mean_with_a_band(window, qtbot):
    panel = window.tools.show_sweep()
    panel.p1.values.setText("2,6,20")
    panel.metric_box.setCurrentText("fn.Throttles.sum")
    panel.replications.setValue(2)
    panel.workers.setValue(0)
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS) as blocker:
        assert panel.run()
        assert panel.running  # the GUI thread is free while the sweep runs
    res = blocker.args[0]
    assert res.complete and len(res.points) == 3
    x, y = panel.chart.mean.getData()
    assert list(x) == [2, 6, 20]
    assert y[0] > y[1] > y[2]
    _, hi = panel.chart.upper.getData()
    _, lo = panel.chart.lower.getData()
    assert np.all(lo <= y) and np.all(y <= hi) and np.any(hi > lo)  # a real band with R = 2
    assert panel.table.rowCount() == 3
    assert panel.chart.line_plot.getAxis("left").labelText.startswith("fn.Throttles.sum")
    assert "ReservedConcurrentExecutions" in panel.chart.line_plot.getAxis("bottom").labelText


def test_sweep_uses_worker_processes_off_the_gui_thread(window, qtbot):
    panel = window.tools.show_sweep()
    panel.p1.values.setText("5,20")
    panel.replications.setValue(1)
    panel.workers.setValue(1)
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS) as blocker:
        panel.run()
    assert blocker.args[0].complete
    assert "worker process" in blocker.args[0].backend


def test_clicking_a_point_opens_that_variant_undoably(window, qtbot):
    panel = window.tools.show_sweep()
    panel.p1.values.setText("3,30")
    panel.workers.setValue(0)
    panel.replications.setValue(1)
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS):
        panel.run()
    doc = window.document
    spots = panel.chart.mean.scatter.points()
    with qtbot.waitSignal(panel.point_opened, timeout=5000):
        panel.chart.mean.sigPointsClicked.emit(panel.chart.mean, [spots[1]], None)
    assert doc.scenario.node("fn").properties["ReservedConcurrentExecutions"] == 30
    doc.undo_stack.undo()
    assert doc.scenario.node("fn").properties["ReservedConcurrentExecutions"] == 10


def test_two_parameters_give_a_heatmap_with_a_colour_bar(window, qtbot):
    panel = window.tools.show_sweep()
    panel.p1.values.setText("3,30")
    panel.use_p2.setChecked(True)
    panel.p2.select_path("traffic.arrivals.rate")
    panel.p2.values.setText("20,40,80")
    panel.metric_box.setCurrentText("fn.Throttles.sum")
    panel.workers.setValue(0)
    panel.replications.setValue(1)
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS):
        panel.run()
    assert panel.chart.mode == "heatmap"
    img = panel.chart.image.image
    assert img.shape == (2, 3)  # reserved concurrency × arrival rate
    assert img[0, 2] > img[1, 2]  # more concurrency, fewer throttles at the highest rate
    assert img[0, 0] < img[0, 2]  # more traffic, more throttles at the lowest concurrency
    assert panel.chart.colorbar.levels() == (float(np.nanmin(img)), float(np.nanmax(img)))
    with qtbot.waitSignal(panel.point_opened, timeout=5000) as blocker:
        panel.chart._cell_clicked(1, 2)
    assert blocker.args[0] == {"fn.properties.ReservedConcurrentExecutions": 30,
                               "traffic.arrivals.rate": 80}


def test_cancel_keeps_the_finished_points(window, qtbot):
    panel = window.tools.show_sweep()
    # Enough points that the sweep cannot finish before the queued cancel reaches it
    # (each point is a few milliseconds in-process; 40 sometimes all finished first).
    panel.p1.values.setText("1:400:1")
    panel.workers.setValue(0)
    panel.replications.setValue(1)

    def cancel_after_two(p):
        if p.points_done >= 2:
            panel.cancel()

    panel.progressed.connect(cancel_after_two)
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS) as blocker:
        panel.run()
    res = blocker.args[0]
    assert res.cancelled
    assert 2 <= len(res.points) < 400
    assert [p.set["fn.properties.ReservedConcurrentExecutions"] for p in res.points] == \
        list(range(1, len(res.points) + 1))
    assert len(panel.chart.mean.getData()[0]) == len(res.points)
    assert "Cancelled" in panel.status.text()


def test_bad_values_are_reported_without_running(window):
    panel = window.tools.show_sweep()
    panel.p1.values.setText("5:1:1")
    assert not panel.run()
    assert "never gets" in panel.status.text()
    panel.p1.values.setText("5")
    panel.metric_box.setCurrentText("fn.Nope.sum")
    assert not panel.run()
    assert "Nope" in panel.status.text()


def test_compare_runs_a_and_b_on_the_same_seed_and_lists_differences(window, qtbot):
    view = window.tools.show_compare()
    assert view.a is not None and view.b is not None
    view.change.select_path("fn.properties.ReservedConcurrentExecutions")
    view.change.values.setText("30")
    assert view.apply_change()
    rows = [view.changes.topLevelItem(i).text(0) for i in range(view.changes.topLevelItemCount())]
    assert rows == ["fn.properties.ReservedConcurrentExecutions"]
    with qtbot.waitSignal(view.finished, timeout=WAIT_MS) as blocker:
        view.run()
    diffs = {r["key"]: r for r in blocker.args[0]}
    assert diffs["fn.Throttles.sum"]["delta"] < 0
    assert diffs["api.Count.sum"]["delta"] == 0  # same seeded traffic reaches both variants
    view.series_key.setCurrentText("fn.ConcurrentExecutions.max")
    xa, ya = view.curve_a.getData()
    xb, yb = view.curve_b.getData()
    assert len(xa) == len(xb) == 60
    assert ya.max() == 10 and yb.max() > 10
    assert view.table.rowCount() > 0
    keys = [view.table.item(i, 0).text() for i in range(view.table.rowCount())]
    assert "fn.Throttles.sum" in keys and "api.Count.sum" not in keys


def test_compare_open_b_puts_the_variant_on_the_canvas(window):
    view = window.tools.show_compare()
    view.change.select_path("fn.properties.MemorySize")
    view.change.values.setText("1024")
    view.apply_change()
    view.open_variant("b")
    assert window.document.scenario.node("fn").properties["MemorySize"] == 1024


def test_capacity_finder_answer_is_applied_on_request(window, qtbot):
    _action(window, "Find capacity…").trigger()
    dlg = window.tools.find_dialog
    assert dlg.isVisible()
    dlg.param.select_path("fn.properties.ReservedConcurrentExecutions")
    dlg.low.setText("1")
    dlg.high.setText("40")
    dlg.goal_metric.setCurrentText("fn.Throttles.sum")
    dlg.goal_op.setCurrentText("<=")
    dlg.goal_value.setText("5")
    dlg.add_goal()
    assert dlg.goal_lines() == ["fn.Throttles.sum <= 5"]
    dlg.replications.setValue(2)
    dlg.workers.setValue(0)
    with qtbot.waitSignal(dlg.finished_search, timeout=WAIT_MS) as blocker:
        assert dlg.run()
    res = blocker.args[0]
    assert res.value is not None and res.below is not None and not res.below.met
    assert dlg.probes.count() == len(res.probes)
    assert dlg.apply_button.isEnabled()
    dlg.apply_button.click()
    assert window.document.scenario.node("fn").properties["ReservedConcurrentExecutions"] == res.value


def test_capacity_finder_rejects_a_malformed_goal(window):
    dlg = window.tools.show_find()
    dlg.low.setText("1")
    dlg.high.setText("10")
    dlg.goals.setPlainText("fn.Throttles.sum ~ 3")
    assert not dlg.run()
    assert "METRIC OP VALUE" in dlg.status.text()


def test_install_works_without_add_dock_or_menu(qtbot):
    w = QMainWindow()
    w.document = ScenarioDocument(scenario())
    qtbot.addWidget(w)
    tools = install(w)
    panel = tools.show_sweep()
    assert panel.parentWidget() is not None
    assert any(d.widget() is panel for d in w.findChildren(QDockWidget))
    assert w.dockWidgetArea(panel.parentWidget()) == Qt.DockWidgetArea.RightDockWidgetArea


def test_every_tool_renders(window):
    # A widget attribute named like a Qt virtual (e.g. `metric`) crashes painting: render all.
    # pytest-qt fails the test on an exception raised inside paintEvent; the picture must also hold
    # what was drawn (labels, fields, chart axes), not one flat background.
    for w in (window.tools.show_sweep(), window.tools.show_compare(), window.tools.show_find()):
        w.resize(700, 700)
        img = w.grab().toImage().scaled(140, 140)
        colours = {img.pixel(x, y) for x in range(img.width()) for y in range(img.height())}
        assert img.width() == 140 and len(colours) > 20, (type(w).__name__, len(colours))


def test_installs_into_the_real_main_window(qtbot):
    main_window = pytest.importorskip("gui.main_window")
    w = main_window.MainWindow(ScenarioDocument(scenario()))
    w.interactive = False
    qtbot.addWidget(w)
    tools = install(w)
    try:
        assert [a.text() for a in w.menu("Tools").actions()][-3:] == \
            ["Sweep…", "Compare variants…", "Find capacity…"]
        if hasattr(w, "select_node"):
            w.select_node("fn")
        panel = tools.show_sweep()
        assert panel.p1.target.currentData() == "fn"
        assert isinstance(panel.parentWidget(), QDockWidget)
        view = tools.show_compare()
        view.change.select_path("fn.properties.MemorySize")
        view.change.values.setText("256")
        view.apply_change()
        view.open_variant("b")
        assert w.document.scenario.node("fn").properties["MemorySize"] == 256
        w.document.undo_stack.undo()
        assert "MemorySize" not in w.document.scenario.node("fn").properties
    finally:
        tools.shutdown()


def test_garbage_is_collected_on_the_gui_thread_only_while_a_job_runs(window, qtbot):
    # A collection in the worker thread could destroy Qt objects off the GUI thread.
    import gc

    assert gc.isenabled()
    panel = window.tools.show_sweep()
    panel.p1.values.setText("3,30")
    panel.workers.setValue(0)
    panel.replications.setValue(1)
    states = []
    panel.progressed.connect(lambda _p: states.append(gc.isenabled()))
    with qtbot.waitSignal(panel.finished, timeout=WAIT_MS):
        panel.run()
    qtbot.waitUntil(lambda: gc.isenabled(), timeout=5000)
    assert states and not any(states)
