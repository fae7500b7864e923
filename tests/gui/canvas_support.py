"""Helpers for the canvas tests: a sample scenario and functions that drive the real widgets with
real Qt events (palette drops, mouse drags, clicks)."""

from __future__ import annotations

import warnings

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent
from PySide6.QtWidgets import QApplication

ORDERS = {
    "format": "triggerscope/1",
    "name": "Orders pipeline",
    "description": "SQS queue polled by a worker, with a DLQ",
    "nodes": [
        {"id": "orders", "kind": "SQSQueue", "properties": {"VisibilityTimeout": 60, "RedrivePolicy": {"maxReceiveCount": 5}},
         "position": [0, 0]},
        {"id": "orders-esm", "kind": "EventSourceMapping", "properties": {"BatchSize": 10}, "position": [300, 0]},
        {"id": "worker", "kind": "Function", "properties": {"MemorySize": 512, "Timeout": 10},
         "behavior": {"Duration": {"dist": "lognormal", "median": 0.2, "p99": 1.5}}, "position": [600, 0]},
        {"id": "orders-dlq", "kind": "SQSQueue", "position": [300, 160]},
    ],
    "edges": [
        {"from": "orders", "to": "orders-esm", "role": "poll"},
        {"from": "orders-esm", "to": "worker", "role": "poll"},
        {"from": "orders", "to": "orders-dlq", "role": "redrive"},
    ],
    "workloads": [
        {"id": "checkout", "target": "orders", "arrivals": {"process": "poisson", "rate": 200},
         "events": [{"weight": 0.99, "payload": {"type": "order"}}, {"weight": 0.01, "payload": {"type": "bad"}, "poison": True}]},
    ],
}


# --- driving widgets with real events ----------------------------------------------------------


def vp_point(view, scene_pos: QPointF) -> QPoint:
    return view.mapFromScene(scene_pos)


def drop_from_palette(window, label: str, scene_pos: QPointF) -> None:
    """Drag an entry of the palette and drop it on the canvas at `scene_pos` (real DnD events)."""
    mime = window.palette.mime_for(label)
    vp = window.view.viewport()
    pos = vp_point(window.view, scene_pos)
    actions = Qt.DropAction.CopyAction
    with warnings.catch_warnings():  # PySide marks the QPoint constructors deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(pos, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(vp, enter)
        move = QDragMoveEvent(pos, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(vp, move)
    drop = QDropEvent(QPointF(pos), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(vp, drop)
    QApplication.processEvents()


def _mouse(widget, kind, pos: QPoint, button, buttons, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    local = QPointF(pos)
    glob = QPointF(widget.mapToGlobal(pos))
    ev = QMouseEvent(kind, local, glob, button, buttons, modifiers)
    QApplication.sendEvent(widget, ev)


def mouse_drag(view, start: QPointF, end: QPointF, steps: int = 6,
               modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    """Press at `start`, move in steps with the button held, release at `end` (scene coords)."""
    vp = view.viewport()
    a, b = vp_point(view, start), vp_point(view, end)
    left = Qt.MouseButton.LeftButton
    _mouse(vp, QEvent.Type.MouseButtonPress, a, left, left, modifiers)
    for i in range(1, steps + 1):
        p = QPoint(round(a.x() + (b.x() - a.x()) * i / steps), round(a.y() + (b.y() - a.y()) * i / steps))
        _mouse(vp, QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, left, modifiers)
    _mouse(vp, QEvent.Type.MouseButtonRelease, b, left, Qt.MouseButton.NoButton, modifiers)
    QApplication.processEvents()


def click(view, scene_pos: QPointF, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    vp = view.viewport()
    p = vp_point(view, scene_pos)
    left = Qt.MouseButton.LeftButton
    _mouse(vp, QEvent.Type.MouseButtonPress, p, left, left, modifiers)
    _mouse(vp, QEvent.Type.MouseButtonRelease, p, left, Qt.MouseButton.NoButton, modifiers)
    QApplication.processEvents()


def connect_by_drag(window, src: str, dst: str) -> None:
    """Drag from src's output port to the middle of dst's card."""
    s = window.scene.node_items[src]
    d = window.scene.node_items[dst]
    mouse_drag(window.view, s.out_port(), d.center())
