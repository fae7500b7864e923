"""One small QUndoCommand per model edit. Commands change the *model* through the document's
private mutators (which emit the fine-grained signals); they never touch graphics items.

Every command keeps what it needs to restore the exact previous state, including list
positions, so undo gives back the same file byte for byte.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QUndoCommand

from core.model import Edge, Node, Scenario, Workload

if TYPE_CHECKING:
    from gui.document.document import ScenarioDocument


class _Command(QUndoCommand):
    def __init__(self, doc: ScenarioDocument, label: str):
        super().__init__(label)
        self.doc = doc

    def redo(self) -> None:
        self._redo()
        self.doc._emit_changed()

    def undo(self) -> None:
        self._undo()
        self.doc._emit_changed()

    # Subclasses define _redo/_undo (QUndoCommand's metaclass rules out abc.ABC here).
    def _redo(self) -> None:  # pragma: no cover - every subclass overrides it
        raise TypeError(f"{type(self).__name__} must define _redo")

    def _undo(self) -> None:  # pragma: no cover - every subclass overrides it
        raise TypeError(f"{type(self).__name__} must define _undo")


class InsertItemsCommand(_Command):
    """Insert nodes, edges and workloads at given list positions (add node, connect, paste)."""

    def __init__(self, doc, label: str, nodes: list[tuple[int, Node]] = (),
                 edges: list[tuple[int, Edge]] = (), workloads: list[tuple[int, Workload]] = ()):
        super().__init__(doc, label)
        # Private deep copies: the live objects may later be replaced (ReplaceScenario) or
        # mutated, and the command must restore exactly what it saw.
        self.nodes = sorted(((i, n.model_copy(deep=True)) for i, n in nodes), key=lambda t: t[0])
        self.edges = sorted(((i, e.model_copy(deep=True)) for i, e in edges), key=lambda t: t[0])
        self.workloads = sorted(((i, w.model_copy(deep=True)) for i, w in workloads),
                                key=lambda t: t[0])

    def _redo(self) -> None:
        _insert(self.doc, self.nodes, self.edges, self.workloads)

    def _undo(self) -> None:
        _remove(self.doc, self.nodes, self.edges, self.workloads)


class RemoveItemsCommand(InsertItemsCommand):
    """The inverse: delete nodes with their edges and workloads; undo puts them back in place."""

    def _redo(self) -> None:
        _remove(self.doc, self.nodes, self.edges, self.workloads)

    def _undo(self) -> None:
        _insert(self.doc, self.nodes, self.edges, self.workloads)


def _insert(doc, nodes, edges, workloads) -> None:
    # Ascending order: each index is the final position once all earlier ones are in.
    for i, n in nodes:
        doc._insert_node(i, n.model_copy(deep=True))
    for i, e in edges:
        doc._insert_edge(i, e.model_copy(deep=True))
    if workloads:
        wl = list(doc.scenario.workloads)
        for i, w in workloads:
            wl.insert(i, w.model_copy(deep=True))
        doc._set_workloads(wl)


def _remove(doc, nodes, edges, workloads) -> None:
    # Descending order, by position: the inverse of _insert.
    if workloads:
        wl = list(doc.scenario.workloads)
        for i, _w in reversed(workloads):
            del wl[i]
        doc._set_workloads(wl)
    for i, _e in reversed(edges):
        doc._take_edge(i)
    for i, _n in reversed(nodes):
        doc._take_node(i)


class MoveNodesCommand(_Command):
    """Node positions, old and new: one command per drag, per layout, per nudge."""

    def __init__(self, doc, label: str, moves: dict[str, tuple[Any, Any]]):
        super().__init__(doc, label)
        self.moves = dict(moves)

    def _redo(self) -> None:
        self.doc._set_positions({nid: new for nid, (_old, new) in self.moves.items()})

    def _undo(self) -> None:
        self.doc._set_positions({nid: old for nid, (old, _new) in self.moves.items()})


class SetNodeCommand(_Command):
    """Replace a node's `properties`, `behavior` or `description` (snapshots before and after)."""

    def __init__(self, doc, label: str, node_id: str, attr: str, before: Any, after: Any):
        super().__init__(doc, label)
        self.node_id, self.attr = node_id, attr
        self.before, self.after = copy.deepcopy(before), copy.deepcopy(after)

    def _redo(self) -> None:
        self.doc._set_node_attr(self.node_id, self.attr, copy.deepcopy(self.after))

    def _undo(self) -> None:
        self.doc._set_node_attr(self.node_id, self.attr, copy.deepcopy(self.before))


class RenameNodeCommand(_Command):
    """A node's id is its name; edges and workload targets follow it."""

    def __init__(self, doc, old: str, new: str):
        super().__init__(doc, f"Rename {old} to {new}")
        self.old, self.new = old, new

    def _redo(self) -> None:
        self.doc._rename(self.old, self.new)

    def _undo(self) -> None:
        self.doc._rename(self.new, self.old)


class SetEdgeCommand(_Command):
    """An edge's role and properties, before and after; the edge is addressed by list position."""

    def __init__(self, doc, label: str, index: int, role: str, properties: dict):
        super().__init__(doc, label)
        self.index = index
        edge = doc.scenario.edges[index]
        self.before = (edge.role, copy.deepcopy(edge.properties))
        self.after = (role, copy.deepcopy(properties))

    def _redo(self) -> None:
        self.doc._set_edge(self.index, self.after[0], copy.deepcopy(self.after[1]))

    def _undo(self) -> None:
        self.doc._set_edge(self.index, self.before[0], copy.deepcopy(self.before[1]))


class SetWorkloadsCommand(_Command):
    def __init__(self, doc, label: str, before: list[Workload], after: list[Workload]):
        super().__init__(doc, label)
        self.before = [w.model_copy(deep=True) for w in before]
        self.after = [w.model_copy(deep=True) for w in after]

    def _redo(self) -> None:
        self.doc._set_workloads([w.model_copy(deep=True) for w in self.after])

    def _undo(self) -> None:
        self.doc._set_workloads([w.model_copy(deep=True) for w in self.before])


class SetMetaCommand(_Command):
    """Scenario-level fields: name, description, account, simulation."""

    def __init__(self, doc, label: str, before: dict, after: dict):
        super().__init__(doc, label)
        self.before, self.after = copy.deepcopy(before), copy.deepcopy(after)

    def _redo(self) -> None:
        self.doc._set_meta(copy.deepcopy(self.after))

    def _undo(self) -> None:
        self.doc._set_meta(copy.deepcopy(self.before))


class ReplaceScenarioCommand(_Command):
    """Swap the whole scenario (template import, capacity finder's apply, sweep variants)."""

    def __init__(self, doc, label: str, before: Scenario, after: Scenario):
        super().__init__(doc, label)
        self.before = before.model_copy(deep=True)
        self.after = after.model_copy(deep=True)

    def _redo(self) -> None:
        self.doc._replace(self.after.model_copy(deep=True))

    def _undo(self) -> None:
        self.doc._replace(self.before.model_copy(deep=True))
