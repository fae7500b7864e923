"""The canvas scene: listens to the document and keeps one item per node and edge, updating
only what a signal names (no rebuild per edit, none per frame). Mouse handling is delegated to
the current interaction mode (`gui.canvas.interactions`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QCursor
from PySide6.QtWidgets import QGraphicsScene, QMenu

from core.model import Edge
from gui import theme
from gui.canvas.edge_item import EdgeItem
from gui.canvas.interactions import Interaction, SelectMoveInteraction
from gui.canvas.node_item import NodeItem
from gui.document import ConnectionRefused, ScenarioDocument

RoleChooser = Callable[[list[str], str, str, QPoint], "str | None"]


class CanvasScene(QGraphicsScene):
    notice = Signal(str, str)  # text, level ("error" | "info"): refusals and hints for the user
    status_message = Signal(str)
    node_double_clicked = Signal(str)

    def __init__(self, document: ScenarioDocument, parent=None):
        super().__init__(parent)
        self.document = document
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[int, EdgeItem] = {}  # id(Edge) → item
        self._pairs: dict[frozenset, list[EdgeItem]] = {}  # parallel edges between two cards
        self._chips: dict[str, str] = {}  # node id → workload chip text
        self.snap_to_grid = True
        self.choose_role: RoleChooser = self._menu_choose_role
        self._default = SelectMoveInteraction(self)
        self._interaction: Interaction = self._default
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.setSceneRect(QRectF(-2000, -1500, 4000, 3000))
        d = document
        d.reset.connect(self.rebuild)
        d.node_added.connect(self._on_node_added)
        d.node_removed.connect(self._on_node_removed)
        d.node_changed.connect(self._on_node_changed)
        d.nodes_moved.connect(self._on_nodes_moved)
        d.node_renamed.connect(self._on_node_renamed)
        d.edge_added.connect(self._on_edge_added)
        d.edge_removed.connect(self._on_edge_removed)
        d.edge_changed.connect(self._on_edge_changed)
        d.workloads_changed.connect(self._refresh_workload_chips)
        self.rebuild()

    # --- model → items --------------------------------------------------------------------
    def rebuild(self) -> None:
        self.set_interaction(None)
        self.clearSelection()
        for item in list(self.edge_items.values()):
            self.removeItem(item)
        for item in list(self.node_items.values()):
            self.removeItem(item)
        self.edge_items.clear()
        self.node_items.clear()
        self._pairs.clear()
        sc = self.document.scenario
        for n in sc.nodes:
            if n.id not in self.node_items:  # duplicate ids: the first one is drawn
                item = NodeItem(n, sc)
                self.node_items[n.id] = item
                self.addItem(item)
        for e in sc.edges:
            self._add_edge_item(e)
        self._update_bends()
        self._refresh_workload_chips()
        self.grow_scene_rect(reset=True)

    def _add_edge_item(self, e: Edge) -> EdgeItem | None:
        src, dst = self.node_items.get(e.source), self.node_items.get(e.target)
        if src is None or dst is None:
            return None  # dangling reference: validation reports it
        item = EdgeItem(e, src, dst)
        self.edge_items[id(e)] = item
        self._pairs.setdefault(_pair(item), []).append(item)
        self.addItem(item)
        return item

    def _on_node_added(self, node_id: str) -> None:
        n = self.document.node(node_id)
        if n is None or node_id in self.node_items:
            return
        item = NodeItem(n, self.document.scenario)
        self.node_items[node_id] = item
        self.addItem(item)
        item.set_workload_text(self._chips.get(node_id, ""))
        self.grow_scene_rect(around=item.sceneBoundingRect())

    def _on_node_removed(self, node_id: str) -> None:
        item = self.node_items.pop(node_id, None)
        if item is None:
            return
        for e in list(item.edges):
            self._remove_edge_item(e)
        self.removeItem(item)

    def _on_node_changed(self, node_id: str) -> None:
        n = self.document.node(node_id)
        item = self.node_items.get(node_id)
        if n is not None and item is not None:
            item.update_from(n, self.document.scenario)

    def _on_nodes_moved(self, ids: list) -> None:
        rect = QRectF()
        for nid in ids:
            self.sync_node_position(nid)
            item = self.node_items.get(nid)
            if item is not None:
                rect = rect.united(item.sceneBoundingRect())
        self.grow_scene_rect(around=rect)

    def sync_node_position(self, node_id: str) -> None:
        n = self.document.node(node_id)
        item = self.node_items.get(node_id)
        if n is not None and item is not None and n.position is not None:
            p = QPointF(n.position[0], n.position[1])
            if item.pos() != p:
                item.setPos(p)

    def _on_node_renamed(self, old: str, new: str) -> None:
        item = self.node_items.pop(old, None)
        if item is None:
            return
        self.node_items[new] = item
        n = self.document.node(new)
        if n is not None:
            item.update_from(n, self.document.scenario)
        self._refresh_workload_chips()

    def _on_edge_added(self, e: Edge) -> None:
        item = self._add_edge_item(e)
        if item is not None:
            self._update_bends(item)
            self._refresh_endpoints(e)

    def _remove_edge_item(self, item: EdgeItem) -> None:
        self.edge_items.pop(id(item.edge), None)
        group = self._pairs.get(_pair(item))
        if group is not None and item in group:
            group.remove(item)
            if not group:
                del self._pairs[_pair(item)]
        item.detach()
        if item.scene() is self:
            self.removeItem(item)

    def _on_edge_removed(self, e: Edge) -> None:
        item = self.edge_items.get(id(e))
        if item is not None:
            self._remove_edge_item(item)
            self._update_bends(item)
        self._refresh_endpoints(e)

    def _on_edge_changed(self, e: Edge) -> None:
        item = self.edge_items.get(id(e))
        if item is not None:
            # A rename may have changed the endpoints' ids but never the items they point at.
            item.refresh()
        self._refresh_endpoints(e)

    def _refresh_endpoints(self, e: Edge) -> None:
        # An ESM card shows the default BatchSize of the source kind it polls.
        for nid in (e.source, e.target):
            n = self.document.node(nid)
            item = self.node_items.get(nid)
            if n is not None and item is not None and n.kind == "EventSourceMapping":
                item.update_from(n, self.document.scenario)

    def _update_bends(self, hint: EdgeItem | None = None) -> None:
        """Spread parallel edges between the same two nodes so none hides another."""
        if hint is not None:
            groups = [self._pairs.get(_pair(hint), [])]
        else:
            groups = list(self._pairs.values())
        for group in groups:
            n = len(group)
            for i, it in enumerate(group):
                bend = (i - (n - 1) / 2) * 28.0 if n > 1 else 0.0
                if bend != it.bend:
                    it.bend = bend
                    it.update_path()

    def _refresh_workload_chips(self) -> None:
        """Each workload's target shows a chip "id · rate": where traffic enters the design."""
        by_target: dict[str, list[str]] = {}
        for w in self.document.scenario.workloads:
            a = w.arrivals
            if a.rate is not None and a.process in ("poisson", "constant"):
                rate = f"{a.rate:g}/s"
            elif a.process == "burst" and a.count is not None:
                rate = f"burst {a.count}"
            else:
                rate = a.process
            by_target.setdefault(w.target, []).append(f"{w.id} · {rate}")
        self._chips = {nid: ", ".join(texts) for nid, texts in by_target.items()}
        for nid, item in self.node_items.items():
            item.set_workload_text(self._chips.get(nid, ""))

    def grow_scene_rect(self, reset: bool = False, around: QRectF | None = None) -> None:
        """Keep generous room around the design; grow only while editing so views do not jump."""
        rect = around if around is not None else self.itemsBoundingRect()
        bounds = rect.adjusted(-1200, -900, 1200, 900)
        if reset:
            self.setSceneRect(bounds.united(QRectF(-800, -600, 1600, 1200)))
        elif not self.sceneRect().contains(bounds):
            self.setSceneRect(self.sceneRect().united(bounds))

    # --- problems ----------------------------------------------------------------------------
    def set_problems(self, problems) -> None:
        """Mark nodes and edges named by validation problems (errors win over warnings)."""
        node_sev: dict[str, tuple[str, str]] = {}
        edge_sev: dict[int, str] = {}
        for p in problems:
            if p.node:
                cur = node_sev.get(p.node)
                if cur is None or (cur[0] == "warning" and p.severity == "error"):
                    node_sev[p.node] = (p.severity, p.message)
            if p.edge is not None:
                if edge_sev.get(p.edge) != "error":
                    edge_sev[p.edge] = p.severity
        for nid, item in self.node_items.items():
            sev = node_sev.get(nid)
            item.set_problem(sev[0] if sev else None, sev[1] if sev else "")
        edges = self.document.scenario.edges
        by_obj = {id(e): i for i, e in enumerate(edges)}
        for key, item in self.edge_items.items():
            item.set_problem(edge_sev.get(by_obj.get(key, -1)))

    # --- selection ----------------------------------------------------------------------------
    def node_at(self, scene_pos: QPointF) -> NodeItem | None:
        for item in self.items(scene_pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def selected_node_items(self) -> list[NodeItem]:
        return [it for it in self.selectedItems() if isinstance(it, NodeItem)]

    def selected_node_ids(self) -> list[str]:
        order = {n.id: i for i, n in enumerate(self.document.scenario.nodes)}
        return sorted((it.node_id for it in self.selected_node_items()), key=lambda k: order.get(k, 0))

    def selected_edge_indices(self) -> list[int]:
        edges = self.document.scenario.edges
        by_obj = {id(e): i for i, e in enumerate(edges)}
        return sorted(by_obj[id(it.edge)] for it in self.selectedItems()
                      if isinstance(it, EdgeItem) and id(it.edge) in by_obj)

    def edge_item_at(self, index: int) -> EdgeItem | None:
        edges = self.document.scenario.edges
        if 0 <= index < len(edges):
            return self.edge_items.get(id(edges[index]))
        return None

    def select_items(self, items) -> None:
        """Replace the selection; listeners hear one selectionChanged, not one per item."""
        blocked = self.blockSignals(True)
        try:
            self.clearSelection()
            for item in items:
                item.setSelected(True)
        finally:
            self.blockSignals(blocked)
        self.selectionChanged.emit()

    def select_nodes(self, ids) -> None:
        self.select_items(self.node_items[nid] for nid in ids if nid in self.node_items)

    def select_edge(self, index: int) -> None:
        item = self.edge_item_at(index)
        self.select_items([item] if item is not None else [])

    # --- connecting -----------------------------------------------------------------------------
    def try_connect(self, src_id: str, dst_id: str, screen_pos: QPoint | None = None) -> int | None:
        """Connect with the role that follows from the kinds; ask when several; explain refusals."""
        roles, reason = self.document.connection_roles(src_id, dst_id)
        if not roles:
            self.refuse(f"Cannot connect {src_id} → {dst_id}: {reason}")
            return None
        role = roles[0]
        if len(roles) > 1:
            role = self.choose_role(roles, src_id, dst_id, screen_pos or QCursor.pos())
            if role is None:
                self.status("Connection cancelled")
                return None
        try:
            index = self.document.connect(src_id, dst_id, role)
        except ConnectionRefused as e:
            self.refuse(f"Cannot connect {src_id} → {dst_id}: {e}")
            return None
        self.status(f"Connected {src_id} → {dst_id} ({theme.ROLE_DESCRIPTIONS.get(role, role).lower()})")
        self.select_edge(index)
        return index

    def refuse(self, message: str) -> None:
        self.notice.emit(message, "error")
        self.status_message.emit(message)

    def status(self, message: str) -> None:
        self.status_message.emit(message)

    def _menu_choose_role(self, roles: list[str], src: str, dst: str, pos: QPoint) -> str | None:
        menu = QMenu()
        title = menu.addAction(f"{src} → {dst}: which edge?")
        title.setEnabled(False)
        menu.addSeparator()
        acts = {}
        for r in roles:
            a = menu.addAction(f"{theme.ROLE_DESCRIPTIONS.get(r, r)}  ({r})")
            acts[a] = r
        chosen = menu.exec(pos)
        return acts.get(chosen)

    # --- interaction plumbing --------------------------------------------------------------------
    def set_interaction(self, interaction: Interaction | None) -> None:
        self._interaction = interaction or self._default

    @property
    def interaction(self) -> Interaction:
        return self._interaction

    def cancel_interaction(self) -> None:
        self._interaction.cancel()
        self._interaction = self._default

    def mousePressEvent(self, event) -> None:
        if self._interaction.mouse_press(event):
            event.accept()
            return
        super().mousePressEvent(event)
        if self._interaction is self._default:
            self._default.after_press()

    def mouseMoveEvent(self, event) -> None:
        if self._interaction.mouse_move(event):
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        interaction = self._interaction
        if interaction.mouse_release(event):
            event.accept()
            return
        super().mouseReleaseEvent(event)
        interaction.after_release(event)

    def mouseDoubleClickEvent(self, event) -> None:
        item = self.node_at(event.scenePos())
        if item is not None and event.button() == Qt.MouseButton.LeftButton:
            self.node_double_clicked.emit(item.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self._interaction is not self._default:
            self.cancel_interaction()
            event.accept()
            return
        super().keyPressEvent(event)


def _pair(item: EdgeItem) -> frozenset:
    return frozenset((id(item.src), id(item.dst)))
