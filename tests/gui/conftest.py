"""Fixtures for the canvas tests: an isolated config directory, a small example folder, and a
main window that never blocks on a dialog (helpers live in canvas_support.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QPointF  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from tests.gui.canvas_support import ORDERS  # noqa: E402


@pytest.fixture(autouse=True)
def isolated_config(tmp_path, monkeypatch):
    """Settings, recent files and recovery files go to a per-test folder."""
    cfg = tmp_path / "config"
    monkeypatch.setenv("TRIGGERSCOPE_CONFIG_DIR", str(cfg))
    return cfg


@pytest.fixture
def examples_dir(tmp_path, monkeypatch):
    """A private examples folder (the bundled one is written by a colleague)."""
    from gui import examples

    d = tmp_path / "examples"
    d.mkdir()
    (d / "api-sync.json").write_text(json.dumps({"format": "triggerscope/1", "name": "API sync",
                                                 "description": "An HTTP API calling a function",
                                                 "nodes": [{"id": "api", "kind": "ApiGateway"}]}))
    (d / "s3-thumbnails.json").write_text(json.dumps({**ORDERS, "name": "S3 thumbnails",
                                                      "description": "Uploads resized by a function"}))
    monkeypatch.setattr(examples, "EXAMPLES_DIR", d)
    return d


@pytest.fixture
def orders_file(tmp_path) -> Path:
    p = tmp_path / "orders.json"
    p.write_text(json.dumps(ORDERS, indent=2))
    return p


@pytest.fixture
def window(qtbot):
    """An empty main window, shown, that never blocks on a modal dialog."""
    from gui import theme
    from gui.main_window import MainWindow

    theme.apply_theme(QApplication.instance())
    w = MainWindow()
    w.interactive = False
    qtbot.addWidget(w)
    w.resize(1280, 820)
    w.show()
    qtbot.waitExposed(w)
    w.view.set_zoom(1.0)
    w.view.centerOn(QPointF(300, 150))
    yield w
    w.document.undo_stack.setClean()
    w.close()
    w.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.fixture
def orders_window(window, orders_file):
    assert window.open_file(orders_file, ask=False)
    window.view.set_zoom(1.0)
    window.view.centerOn(QPointF(400, 100))
    QApplication.processEvents()
    return window
