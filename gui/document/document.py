"""The scenario document: a `core.model.Scenario` plus its file path and undo stack.

Views never edit the model directly. They call the public edit methods here, each of which
pushes one command (`gui.document.commands`); commands change the model through the private
`_…` mutators, which emit fine-grained signals (for the canvas to update incrementally) and,
once per command, `changed`.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from core import catalog, validate
from core.model import Edge, Node, Scenario, ScenarioError, Workload, load, save
from gui.document import commands as cmd
from gui.document.fragment import merge_fragment
from gui.theme import kind_info

Pos = tuple[float, float]

# Roles a node may have at most once (validation rules the canvas enforces up front).
_ONCE_OUT = {
    ("Function", "dlq"): "a dead-letter queue",
    ("Function", "on_failure"): "an on-failure destination",
    ("Function", "on_success"): "an on-success destination",
    ("EventSourceMapping", "on_failure"): "an on-failure destination",
    ("EventSourceMapping", "poll"): "a function",
    ("SQSQueue", "redrive"): "a redrive dead-letter queue",
}


class ConnectionRefused(ValueError):
    """An edge the model does not allow; the message says why, for the user."""


class ScenarioDocument(QObject):
    """Holds the scenario being edited; all edits go through `undo_stack`."""

    changed = Signal()  # after every model edit (command redo/undo, load, new)
    reset = Signal()  # the whole scenario was replaced: views rebuild
    node_added = Signal(str)
    node_removed = Signal(str)
    node_changed = Signal(str)  # properties, behaviour or description
    nodes_moved = Signal(list)
    node_renamed = Signal(str, str)
    edge_added = Signal(object)  # the Edge object
    edge_removed = Signal(object)
    edge_changed = Signal(object)
    workloads_changed = Signal()
    meta_changed = Signal()
    file_changed = Signal()  # path or modified state

    def __init__(self, scenario: Scenario | None = None, path: str | None = None, parent=None):
        super().__init__(parent)
        self._scenario = scenario if scenario is not None else Scenario()
        self._path: str | None = str(path) if path else None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.origin: str | None = None  # e.g. "example" when opened from a bundled example
        self._index: dict[str, Node] | None = None  # id → node, rebuilt after node list changes

    def _on_clean_changed(self, _clean: bool) -> None:
        self.file_changed.emit()

    # --- state -----------------------------------------------------------------------
    @property
    def scenario(self) -> Scenario:
        """The live scenario. Treat it as read-only; copy it (`snapshot()`) to keep it."""
        return self._scenario

    def snapshot(self) -> Scenario:
        return self._scenario.model_copy(deep=True)

    @property
    def path(self) -> str | None:
        return self._path

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    @property
    def display_name(self) -> str:
        if self._path:
            return Path(self._path).name
        return self._scenario.name or "Untitled"

    def node(self, node_id: str) -> Node | None:
        if self._index is None:
            self._index = {}
            for n in self._scenario.nodes:
                self._index.setdefault(n.id, n)  # duplicate ids: the first, as the canvas draws
        n = self._index.get(node_id)
        if n is not None and n.id == node_id:
            return n
        for n in self._scenario.nodes:  # the list was changed behind the document's back
            if n.id == node_id:
                self._index = None
                return n
        return None

    def node_index(self, node_id: str) -> int:
        for i, n in enumerate(self._scenario.nodes):
            if n.id == node_id:
                return i
        raise KeyError(node_id)

    def edge_index(self, edge: Edge) -> int:
        for i, e in enumerate(self._scenario.edges):
            if e is edge:
                return i
        raise KeyError(edge.key)

    def ids_in_use(self) -> set[str]:
        return {n.id for n in self._scenario.nodes} | {w.id for w in self._scenario.workloads}

    def unique_id(self, stem: str, taken: set[str] | None = None) -> str:
        taken = self.ids_in_use() if taken is None else taken
        stem = stem.strip() or "node"
        if stem not in taken:
            return stem
        base = stem
        # "worker-2" → continue from 2 rather than producing "worker-2-2".
        head, sep, tail = stem.rpartition("-")
        if sep and tail.isdigit():
            base = head
        n = 2
        while f"{base}-{n}" in taken:
            n += 1
        return f"{base}-{n}"

    # --- file operations (not undoable: they set a new clean state) ----------------------
    def open(self, path: str | Path) -> None:
        """Load `path`; on ScenarioError the current design is left untouched."""
        sc = load(path)
        self._reset_to(sc, str(Path(path).resolve()))

    def load_scenario(self, scenario: Scenario, path: str | None = None, origin: str | None = None) -> None:
        self._reset_to(scenario, path)
        self.origin = origin

    def new(self) -> None:
        self._reset_to(Scenario(), None)

    def _reset_to(self, sc: Scenario, path: str | None) -> None:
        _place_unpositioned(sc)
        self._scenario = sc
        self._index = None
        self._path = path
        self.origin = None
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.reset.emit()
        self.file_changed.emit()
        self.changed.emit()

    def save(self, path: str | Path | None = None) -> str:
        """Write atomically (core.model.save) and mark clean. Returns the path written."""
        target = Path(path or self._path or "")
        if not str(target) or str(target) == ".":
            raise ValueError("no file name to save to")
        sc = self._scenario
        save(sc, target)
        self._path = str(target.resolve())
        sc.base_dir = str(target.resolve().parent)
        self.origin = None
        self.undo_stack.setClean()
        self.file_changed.emit()
        return self._path

    # --- edits (each pushes one undoable command) ------------------------------------------
    def add_node(self, kind: str, pos: Pos | None = None, *, id_hint: str | None = None,
                 properties: dict | None = None, behavior: dict | None = None) -> str:
        node_id = self.unique_id(id_hint or kind_info(kind).short)
        node = Node(id=node_id, kind=kind, properties=copy.deepcopy(properties or {}),
                    behavior=copy.deepcopy(behavior or {}),
                    position=(float(pos[0]), float(pos[1])) if pos is not None else None)
        label = f"Add {kind_info(kind).label} {node_id}"
        self.undo_stack.push(cmd.InsertItemsCommand(
            self, label, nodes=[(len(self._scenario.nodes), node)]))
        return node_id

    def remove(self, node_ids=(), edge_indices=()) -> bool:
        """Delete nodes (with their edges and the workloads aimed at them) and edges."""
        sc = self._scenario
        node_ids = set(node_ids)
        nodes = [(i, n) for i, n in enumerate(sc.nodes) if n.id in node_ids]
        edge_idx = set(edge_indices)
        edges = [(i, e) for i, e in enumerate(sc.edges)
                 if i in edge_idx or e.source in node_ids or e.target in node_ids]
        wls = [(i, w) for i, w in enumerate(sc.workloads) if w.target in node_ids]
        if not nodes and not edges:
            return False
        if len(nodes) == 1 and not edge_idx:
            label = f"Delete {nodes[0][1].id}"
        elif not nodes:
            label = "Delete edge" if len(edges) == 1 else f"Delete {len(edges)} edges"
        else:
            label = f"Delete {len(nodes)} nodes" if len(nodes) > 1 else f"Delete {nodes[0][1].id}"
        self.undo_stack.push(cmd.RemoveItemsCommand(self, label, nodes, edges, wls))
        return True

    def move_nodes(self, moves: dict[str, tuple[Pos, Pos]], label: str | None = None) -> None:
        moves = {k: (o, n) for k, (o, n) in moves.items() if o != n and self.node(k) is not None}
        if not moves:
            return
        if label is None:
            label = f"Move {next(iter(moves))}" if len(moves) == 1 else f"Move {len(moves)} nodes"
        self.undo_stack.push(cmd.MoveNodesCommand(self, label, moves))

    def apply_layout(self, positions: dict[str, Pos], label: str = "Automatic layout") -> None:
        moves = {}
        for nid, new in positions.items():
            n = self.node(nid)
            if n is not None:
                moves[nid] = (n.position, (float(new[0]), float(new[1])))
        self.move_nodes(moves, label)

    def set_node_value(self, node_id: str, section: str, path: str, value: Any) -> None:
        """Set `properties.PATH` or `behavior.PATH` (dotted); None removes it (AWS default)."""
        node = self.node(node_id)
        if node is None or section not in ("properties", "behavior"):
            return
        before = getattr(node, section)
        after = copy.deepcopy(before)
        if section == "behavior" and "." not in path:
            # Behaviour keys are flat; an explicit null (e.g. ColdStart: none) is a value.
            if value is None:
                after.pop(path, None)
            else:
                after[path] = value
        else:
            catalog.set_path(after, path, value)
            _prune_empty(after)
        if after == before:
            return
        shown = "default" if value is None else _short(value)
        self.undo_stack.push(cmd.SetNodeCommand(
            self, f"Set {node_id}.{path} = {shown}", node_id, section, before, after))

    def set_node_behavior_null(self, node_id: str, path: str) -> None:
        """Behaviour fields where null means "none" (ColdStart)."""
        node = self.node(node_id)
        if node is None:
            return
        before = node.behavior
        after = dict(before)
        after[path] = None
        if after != before:
            self.undo_stack.push(cmd.SetNodeCommand(
                self, f"Set {node_id}.{path} = none", node_id, "behavior", before, after))

    def set_node_section(self, node_id: str, section: str, value: dict, label: str | None = None) -> None:
        node = self.node(node_id)
        if node is None or getattr(node, section) == value:
            return
        self.undo_stack.push(cmd.SetNodeCommand(
            self, label or f"Edit {node_id} {section}", node_id, section, getattr(node, section), value))

    def set_node_description(self, node_id: str, text: str | None) -> None:
        node = self.node(node_id)
        text = text or None
        if node is None or node.description == text:
            return
        self.undo_stack.push(cmd.SetNodeCommand(
            self, f"Describe {node_id}", node_id, "description", node.description, text))

    def rename_error(self, old: str, new: str) -> str | None:
        new = new.strip()
        if not new:
            return "a name cannot be empty"
        if new != old and new in self.ids_in_use():
            return f"{new!r} is already used by another node or workload"
        if any(c in new for c in "\n\t"):
            return "a name is one line"
        if "." in new:
            return "a name cannot contain '.' (it separates NODE.PATH in --set)"
        return None

    def rename_node(self, old: str, new: str) -> str | None:
        """Rename; returns the reason when refused (the inspector shows it inline)."""
        new = new.strip()
        if new == old:
            return None
        err = self.rename_error(old, new)
        if err:
            return err
        if self.node(old) is None:
            return f"no node {old!r}"
        self.undo_stack.push(cmd.RenameNodeCommand(self, old, new))
        return None

    def connection_roles(self, src_id: str, dst_id: str) -> tuple[list[str], str | None]:
        """The roles a new edge src → dst may take, or ([], the reason it is refused)."""
        src, dst = self.node(src_id), self.node(dst_id)
        if src is None or dst is None:
            return [], "no such node"
        if src_id == dst_id:
            return [], "a node cannot connect to itself"
        roles = validate.role_for(src.kind, dst.kind)
        if not roles:
            return [], _refusal(src, dst)
        existing = {e.role for e in self._scenario.edges if e.source == src_id and e.target == dst_id}
        reasons = []
        free = []
        for r in roles:
            if r in existing:
                reasons.append(f"{src_id} → {dst_id} is already connected ({r})")
                continue
            block = self._role_blocker(src, dst, r)
            if block:
                reasons.append(block)
                continue
            free.append(r)
        if not free:
            return [], "; ".join(reasons)
        return free, None

    def _role_blocker(self, src: Node, dst: Node, role: str) -> str | None:
        what = _ONCE_OUT.get((src.kind, role))
        if what:
            for e in self._scenario.edges:
                if e.source == src.id and e.role == role:
                    return f"{src.id} already has {what} ({e.target}); delete that edge first"
        if dst.kind == "EventSourceMapping" and role == "poll":
            for e in self._scenario.edges:
                if e.target == dst.id and e.role == "poll":
                    return f"{dst.id} already polls {e.source}; an event source mapping reads one queue or stream"
        return None

    def connect(self, src_id: str, dst_id: str, role: str | None = None) -> int:
        """Add an edge and return its index. Raises ConnectionRefused with the reason."""
        roles, reason = self.connection_roles(src_id, dst_id)
        if not roles:
            raise ConnectionRefused(reason or "not allowed")
        if role is None:
            if len(roles) > 1:
                raise ConnectionRefused(f"choose a role: {', '.join(roles)}")
            role = roles[0]
        if role not in roles:
            src, dst = self.node(src_id), self.node(dst_id)
            msg = validate.connection_error(src.kind, role, dst.kind)
            raise ConnectionRefused(msg or f"{role} is not possible here (allowed: {', '.join(roles)})")
        edge = Edge(source=src_id, target=dst_id, role=role)
        index = len(self._scenario.edges)
        self.undo_stack.push(cmd.InsertItemsCommand(
            self, f"Connect {src_id} → {dst_id} ({role})", edges=[(index, edge)]))
        return index

    def set_edge_role(self, index: int, role: str) -> str | None:
        e = self._scenario.edges[index]
        if e.role == role:
            return None
        src, dst = self.node(e.source), self.node(e.target)
        if src is not None and dst is not None:
            msg = validate.connection_error(src.kind, role, dst.kind)
            if msg:
                return msg
        # Properties of the old role that the new one does not know are dropped.
        known = {f.path.split(".")[0] for f in catalog.EDGE_FIELDS.get(role, ())}
        props = {k: v for k, v in e.properties.items() if k in known}
        self.undo_stack.push(cmd.SetEdgeCommand(
            self, f"Make {e.source} → {e.target} {role}", index, role, props))
        return None

    def set_edge_value(self, index: int, path: str, value: Any) -> None:
        e = self._scenario.edges[index]
        props = copy.deepcopy(e.properties)
        catalog.set_path(props, path, value)
        _prune_empty(props)
        if props == e.properties:
            return
        self.undo_stack.push(cmd.SetEdgeCommand(
            self, f"Set {e.source} → {e.target} {path}", index, e.role, props))

    def set_workloads(self, workloads: list[Workload], label: str = "Edit workloads") -> None:
        before = self._scenario.workloads
        if [w.model_dump() for w in before] == [w.model_dump() for w in workloads]:
            return
        self.undo_stack.push(cmd.SetWorkloadsCommand(self, label, before, workloads))

    def meta(self) -> dict:
        sc = self._scenario
        return {"name": sc.name, "description": sc.description,
                "account": sc.account.model_dump(), "simulation": sc.simulation.model_dump()}

    def set_meta(self, label: str, **changes: Any) -> str | None:
        """Change name, description, account or simulation (dicts are validated first)."""
        before = self.meta()
        after = copy.deepcopy(before)
        after.update(changes)
        try:
            _validate_meta(after)
        except ScenarioError as e:
            return "; ".join(f"{p}: {m}" for p, m in e.problems)
        if after == before:
            return None
        self.undo_stack.push(cmd.SetMetaCommand(self, label, before, after))
        return None

    def paste(self, fragment: Scenario, offset: Pos = (40.0, 40.0), label: str = "Paste") -> list[str]:
        """Add a copied fragment, renaming ids that clash; returns the new node ids."""
        nodes, edges, wls = merge_fragment(self, fragment, offset)
        if not nodes and not edges and not wls:
            return []
        sc = self._scenario
        n0, e0, w0 = len(sc.nodes), len(sc.edges), len(sc.workloads)
        self.undo_stack.push(cmd.InsertItemsCommand(
            self, f"{label} {len(nodes)} node{'s' if len(nodes) != 1 else ''}",
            nodes=[(n0 + i, n) for i, n in enumerate(nodes)],
            edges=[(e0 + i, e) for i, e in enumerate(edges)],
            workloads=[(w0 + i, w) for i, w in enumerate(wls)]))
        return [n.id for n in nodes]

    def apply_scenario(self, new_scenario: Scenario, label: str) -> None:
        """Replace the whole scenario as one undoable step (import, capacity finder, sweeps)."""
        new = new_scenario.model_copy(deep=True)
        if new.base_dir is None:
            new.base_dir = self._scenario.base_dir
        _place_unpositioned(new)
        self.undo_stack.push(cmd.ReplaceScenarioCommand(self, label, self._scenario, new))

    # --- private mutators (commands only) ------------------------------------------------
    def _emit_changed(self) -> None:
        self.changed.emit()

    def _insert_node(self, index: int, node: Node) -> None:
        self._scenario.nodes.insert(index, node)
        self._index = None
        self.node_added.emit(node.id)

    def _take_node(self, index: int) -> Node:
        node = self._scenario.nodes.pop(index)
        self._index = None
        self.node_removed.emit(node.id)
        return node

    def _insert_edge(self, index: int, edge: Edge) -> None:
        self._scenario.edges.insert(index, edge)
        self.edge_added.emit(edge)

    def _take_edge(self, index: int) -> Edge:
        edge = self._scenario.edges.pop(index)
        self.edge_removed.emit(edge)
        return edge

    def _set_positions(self, positions: dict[str, Pos | None]) -> None:
        moved = []
        for nid, pos in positions.items():
            n = self.node(nid)
            if n is not None:
                n.position = None if pos is None else (float(pos[0]), float(pos[1]))
                moved.append(nid)
        self.nodes_moved.emit(moved)

    def _set_node_attr(self, node_id: str, attr: str, value: Any) -> None:
        n = self.node(node_id)
        if n is None:
            return
        setattr(n, attr, value)
        self.node_changed.emit(node_id)
        # Edge labels and styles can depend on node settings (e.g. emits counts): cheap to refresh.

    def _rename(self, old: str, new: str) -> None:
        sc = self._scenario
        n = self.node(old)
        if n is None:
            return
        n.id = new
        self._index = None
        changed_edges = []
        for e in sc.edges:
            hit = False
            if e.source == old:
                e.source = new
                hit = True
            if e.target == old:
                e.target = new
                hit = True
            if hit:
                changed_edges.append(e)
        for w in sc.workloads:
            if w.target == old:
                w.target = new
        self.node_renamed.emit(old, new)
        for e in changed_edges:
            self.edge_changed.emit(e)
        self.workloads_changed.emit()

    def _set_edge(self, index: int, role: str, properties: dict) -> None:
        e = self._scenario.edges[index]
        e.role = role
        e.properties = properties
        self.edge_changed.emit(e)

    def _set_workloads(self, workloads: list[Workload]) -> None:
        self._scenario.workloads = workloads
        self.workloads_changed.emit()

    def _set_meta(self, meta: dict) -> None:
        from core.model import Account, SimulationSettings

        sc = self._scenario
        sc.name = meta["name"]
        sc.description = meta["description"]
        sc.account = Account.model_validate(meta["account"])
        sc.simulation = SimulationSettings.model_validate(meta["simulation"])
        self.meta_changed.emit()

    def _replace(self, scenario: Scenario) -> None:
        self._scenario = scenario
        self._index = None
        self.reset.emit()


# --- helpers ------------------------------------------------------------------------------


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 24 else text[:21] + "…"


def _prune_empty(d: dict) -> None:
    """Drop empty objects left after unsetting a nested field ({"RedrivePolicy": {}})."""
    for k in list(d):
        v = d[k]
        if isinstance(v, dict):
            _prune_empty(v)
            if not v:
                del d[k]


def _refusal(src: Node, dst: Node) -> str:
    """Why no edge can join these kinds, naming what the source can connect to."""
    options: dict[str, list[str]] = {}
    for (kind, role), targets in validate.ALLOWED.items():
        if kind == src.kind:
            for t in targets:
                options.setdefault(t, []).append(role)
    if not options:
        return f"{article(src.kind)} {src.kind} has no outgoing edges (it is the end of a flow)"
    targets = ", ".join(f"{t} ({'/'.join(r)})" for t, r in options.items())
    return (f"{article(src.kind)} {src.kind} cannot connect to {article(dst.kind)} {dst.kind}; "
            f"it connects to {targets}")


def article(word: str) -> str:
    """ "an SQSQueue", "an S3 bucket", "a Schedule", "an EventBridgeRule": by sound.

    Acronyms (two leading capitals or a capital and a digit) are spelled out letter by letter.
    """
    if not word:
        return "a"
    acronym = len(word) > 1 and word[0].isupper() and (word[1].isupper() or word[1].isdigit())
    if acronym:
        return "an" if word[0] in "AEFHILMNORSX" else "a"
    return "an" if word[0].lower() in "aeiou" else "a"


def _validate_meta(meta: dict) -> None:
    from pydantic import ValidationError

    from core.model import Account, SimulationSettings

    problems = []
    for key, cls in (("account", Account), ("simulation", SimulationSettings)):
        try:
            cls.model_validate(meta[key])
        except ValidationError as e:
            for err in e.errors():
                loc = ".".join(str(p) for p in err["loc"])
                problems.append((f"$.{key}.{loc}", err["msg"]))
    if not isinstance(meta.get("name"), str):
        problems.append(("$.name", "must be text"))
    if problems:
        raise ScenarioError(problems)


def _place_unpositioned(sc: Scenario) -> None:
    """Give nodes without a position one from the automatic layout (files written by hand)."""
    missing = [n for n in sc.nodes if n.position is None]
    if not missing:
        return
    from gui.canvas.layout import layered_positions

    pos = layered_positions(sc)
    placed = [n.position for n in sc.nodes if n.position is not None]
    dy = (max(p[1] for p in placed) + 160.0) if placed else 0.0
    dx = min(p[0] for p in placed) if placed else 0.0
    for n in missing:
        x, y = pos.get(n.id, (0.0, 0.0))
        n.position = (x + dx, y + dy) if placed else (x, y)
