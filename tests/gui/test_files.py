"""Files: save and reopen give the same design, saving is atomic, a bad file opens nothing and
says why, autosave recovers work after a crash, closing asks, export writes PNG and SVG, and
`run_app` opens examples and takes screenshots."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage

from core.model import load
from gui import recovery, settings
from gui.main_window import MainWindow
from tests.gui.canvas_support import connect_by_drag, drop_from_palette


def test_save_reopen_and_compare(window, tmp_path, qtbot):
    drop_from_palette(window, "SQS queue", QPointF(0, 0))
    drop_from_palette(window, "Event source mapping", QPointF(350, 0))
    drop_from_palette(window, "Lambda function", QPointF(700, 0))
    connect_by_drag(window, "queue", "esm")
    connect_by_drag(window, "esm", "function")
    window.document.set_node_value("function", "properties", "MemorySize", 1024)
    assert window.isWindowModified() and "[*]" in window.windowTitle()
    path = tmp_path / "design.json"
    assert window.save_as(str(path))
    assert not window.isWindowModified()
    assert window.windowTitle().startswith("design.json")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp file left
    saved = json.loads(path.read_text())
    assert saved["format"] == "triggerscope/1"
    assert [(e["from"], e["to"], e["role"]) for e in saved["edges"]] == [("queue", "esm", "poll"), ("esm", "function", "poll")]

    other = MainWindow()
    other.interactive = False
    qtbot.addWidget(other)
    assert other.open_file(path)
    assert other.document.scenario.to_dict() == window.document.scenario.to_dict()
    assert set(other.scene.node_items) == {"queue", "esm", "function"}
    assert len(other.scene.edge_items) == 2
    assert str(path.resolve()) in settings.recent_files()
    other.close()


def test_save_uses_write_then_rename(window, tmp_path, monkeypatch):
    import core.model as model

    path = tmp_path / "atomic.json"
    path.write_text("old content")
    window.document.add_node("Function")
    written = []
    real_replace = type(path).replace

    def spy(self, target):
        written.append((self.name, type(path)(target).name, self.read_text()[:1]))
        return real_replace(self, target)

    monkeypatch.setattr(type(path), "replace", spy)
    assert window.save_as(str(path))
    assert written == [(".atomic.json.tmp", "atomic.json", "{")]
    assert load(path).nodes[0].kind == "Function"
    assert model.save  # the document saves through core.model.save


def test_corrupt_file_opens_nothing_and_explains(orders_window, tmp_path):
    w = orders_window
    before = w.document.scenario.to_json()
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "triggerscope/1", "nodes": [{"id": "x", "kind": "Lambda"}]')
    assert not w.open_file(bad, ask=False)
    title, text = w.last_error
    assert "broken.json" in text and "not valid JSON" in text
    assert w.document.scenario.to_json() == before
    bad.write_text('{"format": "triggerscope/1", "nodes": [{"id": "x", "kind": "Lambda"}]}')
    assert not w.open_file(bad, ask=False)
    assert "$.nodes[0].kind" in w.last_error[1]
    bad.write_text('{"format": "triggerscope/9"}')
    assert not w.open_file(bad, ask=False)
    assert "unsupported format" in w.last_error[1]
    assert w.document.scenario.to_json() == before
    assert w.document.path.endswith("orders.json")


def test_autosave_is_offered_after_a_crash(window, qtbot):
    drop_from_palette(window, "Kinesis stream", QPointF(0, 0))
    window.document.set_node_value("stream", "properties", "ShardCount", 8)
    expected = window.document.scenario.to_dict()
    path = window.autosave_now()
    assert path is not None and path.exists()
    assert recovery.pending() == []  # the live window's own file is not offered
    window.autosaver.abandon()  # the process "dies" without closing the window

    fresh = MainWindow()
    fresh.interactive = False
    qtbot.addWidget(fresh)
    asked = []
    fresh.ask_restore = lambda rec: asked.append(rec.title) or True
    assert fresh.offer_recovery()
    assert asked == [window.document.scenario.name]
    assert fresh.document.scenario.to_dict() == expected
    assert fresh.isWindowModified()
    assert not path.exists() and recovery.pending() == []
    fresh.document.undo_stack.setClean()
    fresh.close()


def test_unmodified_design_is_not_autosaved_and_clean_close_removes_the_file(window):
    assert window.autosave_now() is None
    window.document.add_node("Function")
    path = window.autosave_now()
    assert path.exists()
    window.ask_save_changes = lambda: "discard"
    assert window.close()
    assert not path.exists()


def test_closing_with_unsaved_changes_asks(window, tmp_path):
    window.document.add_node("Function")
    asked = []
    window.ask_save_changes = lambda: asked.append(1) or "cancel"
    assert not window.close()
    assert asked == [1] and window.isVisible()
    window.ask_save_path = lambda *a: str(tmp_path / "kept.json")
    window.ask_save_changes = lambda: "save"
    assert window.close()
    assert load(tmp_path / "kept.json").nodes[0].kind == "Function"


def test_new_with_unsaved_changes_asks_first(orders_window):
    w = orders_window
    w.document.add_node("Function")
    w.ask_save_changes = lambda: "cancel"
    w.act_new.trigger()
    assert len(w.document.scenario.nodes) == 5
    w.ask_save_changes = lambda: "discard"
    w.act_new.trigger()
    assert w.document.scenario.nodes == [] and w.scene.node_items == {}


def test_export_png_and_svg(orders_window, tmp_path):
    w = orders_window
    png, svg = tmp_path / "d.png", tmp_path / "d.svg"
    assert w.export(png) and w.export(svg)
    img = QImage(str(png))
    assert img.width() > 800 and img.height() > 200
    root = ET.parse(svg).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    texts = {t.text for t in root.iter(f"{ns}text")}
    assert {"orders", "orders-esm", "worker", "orders-dlq"} <= texts
    assert len(root.findall(f".//{ns}g[@class='node']")) == 4
    edges = root.findall(f".//{ns}g[@class]")
    roles = {g.get("class") for g in edges if g.get("class", "").startswith("edge")}
    assert roles == {"edge role-poll", "edge role-redrive"}
    redrive = next(g for g in edges if g.get("class") == "edge role-redrive")
    assert redrive.find(f"{ns}path").get("stroke-dasharray")


def test_examples_menu_lists_names_and_descriptions(examples_dir, window):
    window._fill_examples()
    texts = [a.text() for a in window.examples_menu.actions()]
    assert "API sync — An HTTP API calling a function" in texts
    assert any(t.startswith("S3 thumbnails — Uploads resized") for t in texts)
    act = next(a for a in window.examples_menu.actions() if a.text().startswith("S3"))
    act.trigger()
    assert window.document.scenario.name == "S3 thumbnails"
    assert window.document.path is None  # an example opens as an untitled copy
    assert "(example)" in window.windowTitle()


def test_run_app_opens_the_s3_example_and_takes_a_screenshot(examples_dir, tmp_path):
    from gui.app import run_app

    out = tmp_path / "shot.png"
    assert run_app(None, screenshot=str(out)) == 0
    img = QImage(str(out))
    assert img.width() >= 1000 and img.height() >= 600


def test_run_app_with_a_file_and_run_for_hook(orders_file, tmp_path, monkeypatch):
    from gui import app

    seen = {}
    monkeypatch.setattr(MainWindow, "before_screenshot",
                        lambda self: seen.update(run_for=self.pending_run_for, nodes=len(self.scene.node_items)))
    out = tmp_path / "shot.png"
    assert app.run_app(str(orders_file), screenshot=str(out), run_for=30.0) == 0
    assert seen == {"run_for": 30.0, "nodes": 4}
    assert out.exists()


def test_run_app_refuses_a_bad_file_with_reasons_on_stderr(tmp_path, capsys):
    from gui.app import run_app

    bad = tmp_path / "bad.json"
    bad.write_text('{"nodes": [{"id": "a", "kind": "Nope"}]}')
    assert run_app(str(bad), screenshot=str(tmp_path / "x.png")) == 1
    err = capsys.readouterr().err
    assert "$.nodes[0].kind" in err
    assert not (tmp_path / "x.png").exists()


def test_empty_examples_folder_opens_an_empty_design(tmp_path, monkeypatch):
    from gui import app, examples

    monkeypatch.setattr(examples, "EXAMPLES_DIR", tmp_path / "none")
    w = app.open_window(None, interactive=False)
    assert w.document.scenario.nodes == []
    w.close()


def test_main_window_contracts(window):
    from PySide6.QtWidgets import QLabel

    titles = [a.text() for a in window.menuBar().actions()]
    assert titles[:6] == ["&File", "&Edit", "&View", "&Run", "&Tools", "&Help"]
    assert window.menu("Run").title() == "&Run" and window.menu("&Tools") is window.menu("Tools")
    dock = window.add_dock(QLabel("metrics"), "Metrics")
    assert dock.windowTitle() == "Metrics" and dock.widget().text() == "metrics"
    window.document.add_node("Function")
    assert window.select_node("function") and window.scene.selected_node_ids() == ["function"]
    assert window.document.undo_stack is not None and window.document.path is None
    window.before_screenshot()


SAM = """AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 60
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      MemorySize: 512
      Timeout: 10
      Events:
        FromQueue:
          Type: SQS
          Properties:
            Queue: !GetAtt Orders.Arn
            BatchSize: 10
"""


def test_opening_a_template_imports_it_as_an_unsaved_design(window, tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(SAM)
    assert window.open_file(path, ask=False)
    kinds = sorted(n.kind for n in window.document.scenario.nodes)
    assert kinds == ["EventSourceMapping", "Function", "SQSQueue"]
    assert window.document.path is None and window.isWindowModified()
    assert "(imported)" in window.windowTitle()


def test_import_template_replaces_the_design_in_one_undo_step(orders_window, tmp_path):
    w = orders_window
    before = w.document.scenario.to_json()
    path = tmp_path / "template.yaml"
    path.write_text(SAM)
    assert w.import_template(path)
    assert {n.kind for n in w.document.scenario.nodes} == {"EventSourceMapping", "Function", "SQSQueue"}
    w.document.undo_stack.undo()
    assert w.document.scenario.to_json() == before
    path.write_text("Resources: [unclosed")
    assert not w.import_template(path)
    assert w.last_error[0] == "Cannot import this template"
