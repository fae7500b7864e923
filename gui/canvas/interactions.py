"""Mouse modes of the canvas, one class each (as Orange Canvas does).

`SelectMoveInteraction` is the default: Qt selects and drags items; when a drag ends the mode
turns the net movement into one MoveNodes command. `ConnectInteraction` starts on a node's
output port, draws a provisional edge that follows the mouse, colours the node under it green
(possible) or red (refused), and on release connects, asks for the role, or explains the refusal.
Rubber-band selection and panning live in the view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsSceneMouseEvent

from gui import theme
from gui.canvas.edge_item import route
from gui.canvas.node_item import NodeItem
from gui.document import ConnectionRefused

if TYPE_CHECKING:
    from gui.canvas.scene import CanvasScene


class Interaction:
    """A mouse mode. Handlers return True when they consumed the event."""

    def __init__(self, scene: CanvasScene):
        self.scene = scene

    def mouse_press(self, event: QGraphicsSceneMouseEvent) -> bool:
        return False

    def mouse_move(self, event: QGraphicsSceneMouseEvent) -> bool:
        return False

    def mouse_release(self, event: QGraphicsSceneMouseEvent) -> bool:
        return False

    def after_release(self, event: QGraphicsSceneMouseEvent) -> None:
        """Called after Qt's own release handling (selection, item moves) has run."""

    def cancel(self) -> None:
        """Abort (Escape, focus loss); leave the model untouched."""


class SelectMoveInteraction(Interaction):
    """Default mode: remembers where the selected nodes started, commits one move per drag."""

    def __init__(self, scene):
        super().__init__(scene)
        self._start: dict[str, tuple[float, float]] = {}

    def mouse_press(self, event) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        item = self.scene.node_at(event.scenePos())
        if item is not None and item.on_out_port(event.scenePos()):
            self.scene.set_interaction(ConnectInteraction(self.scene, item, event.scenePos()))
            return True
        self._start = {}
        return False

    def after_press(self) -> None:
        # After Qt updated the selection: these are the nodes that will move with the mouse.
        self._start = {it.node_id: (it.pos().x(), it.pos().y()) for it in self.scene.selected_node_items()}

    def after_release(self, event) -> None:
        if not self._start:
            return
        moves = {}
        for nid, old in self._start.items():
            item = self.scene.node_items.get(nid)
            if item is None:
                continue
            new = (item.pos().x(), item.pos().y())
            if new != old:
                node = self.scene.document.node(nid)
                model_old = node.position if node is not None and node.position is not None else old
                moves[nid] = (tuple(model_old), new)
        self._start = {}
        if moves:
            self.scene.document.move_nodes(moves)

    def cancel(self) -> None:
        # Put dragged items back where the model says they are.
        for nid in self._start:
            self.scene.sync_node_position(nid)
        self._start = {}


class ConnectInteraction(Interaction):
    """Drag from an output port to another node to connect them."""

    def __init__(self, scene, source: NodeItem, pos: QPointF):
        super().__init__(scene)
        self.source = source
        self.target: NodeItem | None = None
        self.preview = QGraphicsPathItem()
        pen = QPen(QColor(theme.ACCENT), 1.8)
        pen.setDashPattern([4.0, 3.0])
        self.preview.setPen(pen)
        self.preview.setZValue(10)
        scene.addItem(self.preview)
        self._update_preview(pos)
        scene.status(f"Connecting from {source.node_id}: release over the target node (Esc cancels)")

    def _update_preview(self, pos: QPointF) -> None:
        start = self.source.out_port()
        end = self.target.in_port() if self.target is not None else pos
        self.preview.setPath(route(start, end) if end.x() - start.x() > -20 else _straight(start, end))

    def mouse_press(self, event) -> bool:
        return True

    def mouse_move(self, event) -> bool:
        item = self.scene.node_at(event.scenePos())
        if item is self.source:
            item = None
        if item is not self.target:
            if self.target is not None:
                self.target.set_connect_state(None)
            self.target = item
            if item is not None:
                roles, reason = self.scene.document.connection_roles(self.source.node_id, item.node_id)
                item.set_connect_state("ok" if roles else "refused")
                if reason:
                    self.scene.status(reason)
                else:
                    self.scene.status(f"{self.source.node_id} → {item.node_id}: {', '.join(roles)}")
        self._update_preview(event.scenePos())
        return True

    def mouse_release(self, event) -> bool:
        target = self.scene.node_at(event.scenePos())
        self._finish()
        if target is None or target is self.source:
            self.scene.status("Connection cancelled")
            return True
        self.scene.try_connect(self.source.node_id, target.node_id, event.screenPos())
        return True

    def cancel(self) -> None:
        self._finish()
        self.scene.status("Connection cancelled")

    def _finish(self) -> None:
        if self.target is not None:
            self.target.set_connect_state(None)
        if self.preview.scene() is not None:
            self.scene.removeItem(self.preview)
        self.scene.set_interaction(None)


def _straight(a: QPointF, b: QPointF) -> QPainterPath:
    p = QPainterPath(a)
    p.lineTo(b)
    return p


__all__ = ["Interaction", "SelectMoveInteraction", "ConnectInteraction", "ConnectionRefused"]
