"""The live run through the real main window: charts carry the numbers `triggerscope run --json`
reports, edits while paused change the run from that moment, reset replays the first run,
and the screenshot hook, canvas overlay, Why panel and exports all see the same run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from core import cli, model
from gui.run import install
from gui.run.controller import RunState
from gui.run.series import lengths

ORDERS_AND_API = {
    "format": "triggerscope/1",
    "name": "Orders and browse",
    "account": {"ConcurrentExecutions": 1000},
    "simulation": {"DurationSeconds": 120, "Seed": 7, "MetricPeriodSeconds": 1},
    "nodes": [
        {"id": "orders", "kind": "SQSQueue", "position": [0, 0],
         "properties": {"VisibilityTimeout": 20, "RedrivePolicy": {"maxReceiveCount": 2}}},
        {"id": "orders-esm", "kind": "EventSourceMapping", "position": [280, 0],
         "properties": {"BatchSize": 10, "ScalingConfig": {"MaximumConcurrency": 20}}},
        {"id": "worker", "kind": "Function", "position": [560, 0],
         "properties": {"MemorySize": 512, "Timeout": 10, "ReservedConcurrentExecutions": 3},
         "behavior": {"Duration": {"dist": "lognormal", "median": 0.2, "p99": 1.0}, "ErrorRate": 0.01}},
        {"id": "orders-dlq", "kind": "SQSQueue", "position": [0, 140]},
        {"id": "api", "kind": "ApiGateway", "position": [0, 280]},
        {"id": "web", "kind": "Function", "position": [280, 280],
         "behavior": {"Duration": {"dist": "exp", "mean": 0.05}}},
    ],
    "edges": [
        {"from": "orders", "to": "orders-esm", "role": "poll"},
        {"from": "orders-esm", "to": "worker", "role": "poll"},
        {"from": "orders", "to": "orders-dlq", "role": "redrive"},
        {"from": "api", "to": "web", "role": "invoke"},
    ],
    "workloads": [
        {"id": "checkout", "target": "orders", "arrivals": {"process": "poisson", "rate": 60},
         "events": [{"weight": 0.98, "payload": {"type": "order"}},
                    {"weight": 0.02, "payload": {"type": "bad"}, "poison": True}]},
        {"id": "browse", "target": "api", "arrivals": {"process": "poisson", "rate": 20}},
    ],
}
EXAMPLES = Path(__file__).resolve().parents[2] / "assets" / "examples"


@pytest.fixture
def scenario_file(tmp_path) -> Path:
    p = tmp_path / "orders-and-browse.json"
    p.write_text(json.dumps(ORDERS_AND_API, indent=2))
    return p


def open_run(window, path: Path):
    """Open `path` in the real window and return its run panel."""
    panel = getattr(window, "run_panel", None) or install(window)
    window.document.load_scenario(model.load(path), str(path))
    QApplication.processEvents()
    return panel


def run_to_end(qtbot, panel) -> None:
    """Press Run at speed Max and let the event loop play the run to its end."""
    panel.set_speed(None)
    panel.act_run.trigger()
    assert panel.controller.state == RunState.RUNNING
    qtbot.waitUntil(lambda: panel.controller.state == RunState.FINISHED, timeout=40_000)


def cli_summary(capsys, path: Path, *extra: str) -> dict:
    capsys.readouterr()
    assert cli.main(["run", str(path), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def comparable(summary: dict) -> dict:
    s = json.loads(json.dumps(summary))
    s["engine"].pop("wall_s")
    return s


def curve(panel, chart: str, key: str):
    c = panel.dashboard.panel(chart).curve(key)
    assert c is not None, f"{chart} has no line {key}"
    return c.data()


def chart_arrays(panel) -> dict[str, np.ndarray]:
    out = {}
    for chart in panel.dashboard.order:
        for tr in panel.dashboard.panel(chart).spec.tracks:
            out[f"{chart}.{tr.key}"] = tr.values().copy()
    return out


# --- the run matches the headless engine ------------------------------------------------------------


def test_charts_carry_the_numbers_of_triggerscope_run_json(qtbot, window, scenario_file, capsys):
    panel = open_run(window, scenario_file)
    run_to_end(qtbot, panel)
    sim = panel.controller.sim
    expected = cli_summary(capsys, scenario_file)
    assert comparable(sim.summary()) == comparable(expected)

    secs = lengths(sim, 0, sim.k)
    acct = expected["accounting"]
    for key, outcome in (("succeeded", "succeeded"), ("dead-lettered", "dead_lettered"), ("created", "created")):
        x, rate = curve(panel, "throughput", key)
        assert x.size == sim.k == 120
        assert round(float((rate * secs).sum())) == acct[outcome], key
    worker = expected["nodes"]["worker"]["metrics"]
    _, conc = curve(panel, "concurrency", "worker.conc")
    assert conc.max() == worker["ConcurrentExecutions"]["max"]
    _, thr = curve(panel, "throttles", "throttles")
    total_throttles = sum(n["metrics"]["Throttles"]["sum"] for n in expected["nodes"].values()
                          if n["kind"] == "Function")
    assert round(float((thr * secs).sum())) == total_throttles > 0
    _, backlog = curve(panel, "backlog", "orders.visible")
    assert backlog.max() == expected["nodes"]["orders"]["metrics"]["ApproximateNumberOfMessagesVisible"]["max"]
    _, dlq = curve(panel, "dlq", "orders-dlq.depth")
    assert dlq[-1] == acct["dead_lettered"] > 0
    _, cost = curve(panel, "cost", "cost")
    assert cost[-1] == pytest.approx(expected["cost"]["total_usd"], rel=1e-6)
    # The reserved-concurrency limit is drawn with the function's line.
    _, reserved = curve(panel, "concurrency", "worker.reserved")
    assert set(reserved) == {3.0}


def test_a_bundled_example_matches_the_cli_for_the_duration_set_in_the_toolbar(qtbot, window, capsys):
    path = EXAMPLES / "sqs-poison-redrive.json"
    if not path.exists():
        pytest.skip("bundled example not present")
    panel = open_run(window, path)
    panel.duration_box.setValue(90)
    panel.duration_box.editingFinished.emit()  # the toolbar edits simulation.DurationSeconds
    assert window.document.scenario.simulation.DurationSeconds == 90
    assert panel.controller.sim.duration == 90
    run_to_end(qtbot, panel)
    expected = cli_summary(capsys, path, "--duration", "90")
    assert comparable(panel.controller.sim.summary()) == comparable(expected)
    x, created = curve(panel, "throughput", "created")
    assert x.size == panel.controller.sim.k
    assert round(float(created.sum())) == expected["accounting"]["created"]  # 1 s periods


# --- pause, edit, resume ------------------------------------------------------------------------------


def test_an_edit_while_paused_changes_the_run_from_that_moment(qtbot, window, scenario_file):
    panel = open_run(window, scenario_file)
    c = panel.controller
    run_to_end(qtbot, panel)
    baseline = {k: c.sim.series("worker", k, st).copy() for k, st in
                (("Throttles", "sum"), ("ConcurrentExecutions", "max"), ("Invocations", "sum"))}
    base_summary = c.sim.summary()

    panel.act_reset.trigger()
    c.run_for(60)  # minute one, then paused
    assert c.state == RunState.PAUSED and c.sim.now == 60
    window.document.set_node_value("worker", "properties", "ReservedConcurrentExecutions", 30)
    assert c.sim.marks == [(60.0, "Set worker.ReservedConcurrentExecutions = 30")]
    assert c.stale == ""
    for chart in panel.dashboard.order:  # a marker on every chart shows when
        assert [m.value() for m in panel.dashboard.panel(chart).marks] == [60.0]
    run_to_end(qtbot, panel)

    after = {k: c.sim.series("worker", k, st) for k, st in
             (("Throttles", "sum"), ("ConcurrentExecutions", "max"), ("Invocations", "sum"))}
    for k in after:  # identical up to the edit …
        assert np.array_equal(after[k][:60], baseline[k][:60]), k
    assert baseline["Throttles"][60:].sum() > 0
    assert after["ConcurrentExecutions"][60:].max() > 3 >= baseline["ConcurrentExecutions"].max()
    assert after["Invocations"][60:].sum() > baseline["Invocations"][60:].sum()
    assert c.sim.summary()["accounting"] != base_summary["accounting"]
    _, reserved = curve(panel, "concurrency", "worker.reserved")
    assert set(reserved[:60]) == {3.0} and set(reserved[61:]) == {30.0}


def test_a_graph_change_mid_run_asks_for_a_reset(qtbot, window, scenario_file):
    panel = open_run(window, scenario_file)
    c = panel.controller
    c.run_for(10)
    window.document.add_node("Function", (600, 300), id_hint="extra")
    assert "Reset" in c.stale
    assert "extra" not in c.sim.components and c.sim.now == 10
    assert "Reset" in panel.stale_label.text()
    window.document.undo_stack.undo()  # the graph is the running one again
    assert c.stale == "" and panel.stale_label.text() == ""
    window.document.undo_stack.redo()
    assert c.stale
    panel.act_reset.trigger()
    assert c.stale == "" and c.sim.now == 0 and "extra" in c.sim.components
    assert c.state == RunState.READY


def test_edits_before_the_first_step_rebuild_the_run_at_time_zero(window, scenario_file):
    panel = open_run(window, scenario_file)
    window.document.set_node_value("worker", "properties", "ReservedConcurrentExecutions", 8)
    c = panel.controller
    assert c.sim.now == 0 and c.sim.marks == []
    assert c.sim.components["worker"].reserved == 8


# --- reset ---------------------------------------------------------------------------------------------------


def test_reset_reproduces_the_first_run_exactly(qtbot, window, scenario_file):
    panel = open_run(window, scenario_file)
    run_to_end(qtbot, panel)
    first_summary = comparable(panel.controller.sim.summary())
    first_charts = chart_arrays(panel)
    first_journeys = panel.controller.sim.journeys()

    panel.act_reset.trigger()
    c = panel.controller
    assert c.state == RunState.READY and c.sim.now == 0 and c.sim.k == 0
    assert curve(panel, "throughput", "succeeded")[0].size == 0
    run_to_end(qtbot, panel)

    assert comparable(c.sim.summary()) == first_summary
    assert c.sim.journeys() == first_journeys
    again = chart_arrays(panel)
    assert again.keys() == first_charts.keys()
    for key, arr in first_charts.items():
        assert np.array_equal(arr, again[key], equal_nan=True), key


# --- controls ------------------------------------------------------------------------------------------------


def test_step_advances_one_metric_period_then_pauses(qtbot, window, scenario_file):
    panel = open_run(window, scenario_file)
    c = panel.controller
    panel.act_step.trigger()
    qtbot.waitUntil(lambda: c.state == RunState.PAUSED, timeout=10_000)
    assert c.sim.k == 1 and c.sim.now == 1.0
    panel.act_step.trigger()
    qtbot.waitUntil(lambda: c.sim.k == 2 and c.state == RunState.PAUSED, timeout=10_000)
    assert panel.clock.text().startswith("0:02")


def test_run_pauses_and_resumes_with_f5_and_the_speed_control(qtbot, window, scenario_file):
    panel = open_run(window, scenario_file)
    c = panel.controller
    assert panel.act_run.shortcut().toString() == "F5"
    assert panel.act_step.shortcut().toString() == "F10"
    assert panel.act_reset.shortcut().toString() == "Ctrl+R"
    panel.speed_box.setCurrentIndex(1)  # 10×
    assert c.speed == 10.0 and panel.speed_actions[1].isChecked()
    panel.act_run.trigger()
    assert c.state == RunState.RUNNING and panel.act_run.text() == "&Pause"
    qtbot.waitUntil(lambda: c.sim.k >= 1, timeout=10_000)
    panel.act_run.trigger()
    assert c.state == RunState.PAUSED and panel.act_run.text() == "&Run"
    t = c.sim.now
    assert 0 < t < c.sim.duration
    QApplication.processEvents()
    assert c.sim.now == t  # paused means paused
    run_to_end(qtbot, panel)
    assert not panel.act_run.isEnabled() and not panel.act_step.isEnabled()


def test_the_seed_box_edits_the_design_and_changes_the_run(window, scenario_file):
    panel = open_run(window, scenario_file)
    panel.seed_box.setValue(8)
    panel.seed_box.editingFinished.emit()
    assert window.document.scenario.simulation.Seed == 8
    assert panel.controller.sim.seed == 8
    window.document.undo_stack.undo()
    assert panel.controller.sim.seed == 7 and panel.seed_box.value() == 7


# --- seeing -----------------------------------------------------------------------------------------------


def test_screenshot_hook_runs_the_pending_seconds_and_fills_every_view(window, scenario_file):
    panel = open_run(window, scenario_file)
    window.pending_run_for = 30
    window.before_screenshot()
    sim = panel.controller.sim
    assert sim.now == 30 and sim.k == 30
    assert panel.clock.text() == "0:30 / 2:00"
    for chart in panel.dashboard.order:
        assert panel.dashboard.panel(chart).curves
        x, _ = next(iter(panel.dashboard.panel(chart).curves.values())).data()
        assert x.size == 30, chart
    assert panel.node_view.node_id == "worker"  # the first function, for the picture
    badges = panel.overlay.badges
    assert {"orders", "worker", "orders-dlq", "api", "web"} <= badges.keys()
    assert badges["worker"].pills[0].text == f"conc {sim.components['worker'].conc}/3"
    assert badges["orders"].pills[0].text.startswith("backlog")
    flows = {window.scene.edge_items[k].edge.key: f.rate for k, f in panel.overlay.flows.items()}
    assert flows[("api", "web", "invoke")] > 0
    assert flows[("orders-esm", "worker", "poll")] > 0


def test_selecting_a_node_shows_its_cloudwatch_metrics(window, scenario_file):
    panel = open_run(window, scenario_file)
    panel.controller.run_for(20)
    window.select_node("orders")
    view = panel.node_view
    assert view.node_id == "orders"
    names = [view.table.item(r, 0).text() for r in range(view.table.rowCount())]
    assert names[:6] == ["NumberOfMessagesSent", "NumberOfMessagesReceived", "NumberOfMessagesDeleted",
                         "ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible",
                         "ApproximateAgeOfOldestMessage"]
    assert "AWS/SQS" in view.sub.text()
    sent = int(panel.controller.sim.series("orders", "NumberOfMessagesSent").sum())
    view.refresh_now()
    assert view.table.item(0, 3).text() == f"Sum {sent:,}"
    view.table.selectRow(3)
    assert view.metric == "ApproximateNumberOfMessagesVisible"
    assert set(view.curves) == {"avg", "max"}
    assert view.plot.getViewBox().linkedView(0) is panel.dashboard.master.getViewBox()


def test_zooming_one_chart_zooms_all(window, scenario_file):
    panel = open_run(window, scenario_file)
    panel.controller.run_for(60)
    d = panel.dashboard
    d.panel("backlog").plot.setXRange(10, 20, padding=0)
    QApplication.processEvents()
    for chart in d.order:
        x0, x1 = d.panel(chart).plot.getViewBox().viewRange()[0]
        assert (round(x0), round(x1)) == (10, 20), chart


def test_crosshair_reads_out_the_values_under_the_mouse(window, scenario_file):
    panel = open_run(window, scenario_file)
    panel.controller.run_for(30)
    p = panel.dashboard.panel("throughput")
    text = p.readout(12.4)
    sim = panel.controller.sim
    created = sim.outcome_series("created")[12]
    assert "at 0:12" in text and f"created <b>{created:.0f}</b>" in text


def test_why_panel_breaks_causes_down_and_shows_a_journey(window, scenario_file):
    panel = open_run(window, scenario_file)
    panel.controller.run_to_end()
    why = panel.why
    why.refresh(force=True)
    groups = {why.tree.topLevelItem(i).text(0) for i in range(why.tree.topLevelItemCount())}
    assert {"Throttles", "Dead letters", "Errors"} <= groups
    dead = next(why.tree.topLevelItem(i) for i in range(why.tree.topLevelItemCount())
                if why.tree.topLevelItem(i).text(0) == "Dead letters")
    cause = dead.child(0)
    assert cause.text(0) == "maxReceiveCount 2 exceeded" and cause.text(1) == "orders"
    assert int(cause.text(2).replace(",", "")) == panel.controller.sim.acct.dead_lettered
    why.tree.setCurrentItem(cause)
    assert why.journey_list.count() > 0
    steps = [why.timeline.topLevelItem(i).text(3) for i in range(why.timeline.topLevelItemCount())]
    assert steps[0] == "created" and any("moved to DLQ" in s for s in steps)


# --- exports -------------------------------------------------------------------------------------------


def test_exports_png_csv_and_a_self_contained_html_report(window, scenario_file, tmp_path):
    panel = open_run(window, scenario_file)
    panel.controller.run_to_end()
    sim = panel.controller.sim

    png = panel.export_png(tmp_path / "charts.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000

    csv_path = panel.export_csv(tmp_path / "series.csv")
    rows = csv_path.read_text().splitlines()
    header = rows[0].split(",")
    assert header[:3] == ["t_s", "period_s", "events.created"]
    assert "worker.Throttles.sum" in header and "orders.ApproximateAgeOfOldestMessage.max" in header
    assert len(rows) == 1 + sim.k
    col = header.index("events.succeeded")
    assert sum(int(r.split(",")[col]) for r in rows[1:]) == sim.acct.succeeded

    report = panel.export_report(tmp_path / "report.html").read_text()
    a = sim.acct.as_dict()
    assert "<h1>Orders and browse</h1>" in report
    assert f"created {a['created']:,} = " in report and "✓ holds" in report
    assert report.count("data:image/png;base64,") == len(panel.dashboard.order)
    assert f"${sim.cost()['total_usd']:.4f}" in report
    assert "maxReceiveCount 2 exceeded" in report


def test_screenshot_command_runs_the_scenario_before_the_picture(scenario_file, tmp_path):
    """`triggerscope FILE --screenshot OUT.png --run-for S`: the charts in the picture show data."""
    import os
    import subprocess
    import sys

    from PySide6.QtGui import QColor, QImage

    out = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TRIGGERSCOPE_CONFIG_DIR": str(tmp_path / "cfg")}
    done = subprocess.run([sys.executable, "-m", "core.cli", str(scenario_file), "--screenshot", str(out),
                           "--run-for", "40"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1440, 900)
    def greenish(c: QColor) -> bool:  # the "succeeded" line (#1E8E3E), antialiased
        return c.green() > 100 and c.green() - max(c.red(), c.blue()) > 40

    hits = sum(1 for x in range(0, img.width(), 2) for y in range(img.height() // 2, img.height(), 2)
               if greenish(QColor(img.pixel(x, y))))
    assert hits > 30
