"""Copy/paste as scenario JSON: a fragment is a `Scenario` holding the copied nodes, the edges
between them and the workloads aimed at them. One serializer (core.model) serves save, the
clipboard and paste between windows or into a text editor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.model import Edge, Node, Scenario, Workload, loads

if TYPE_CHECKING:
    from gui.document.document import ScenarioDocument

MIME_TYPE = "text/plain"  # the clipboard carries the scenario JSON as text


def fragment_of(scenario: Scenario, node_ids, edge_indices=()) -> Scenario:
    """The selection as a standalone scenario (edges only where both ends are copied)."""
    ids = set(node_ids)
    nodes = [n.model_copy(deep=True) for n in scenario.nodes if n.id in ids]
    edges = [e.model_copy(deep=True) for e in scenario.edges if e.source in ids and e.target in ids]
    workloads = [w.model_copy(deep=True) for w in scenario.workloads if w.target in ids]
    return Scenario(name=f"{scenario.name} (copy)", nodes=nodes, edges=edges, workloads=workloads)


def fragment_json(fragment: Scenario) -> str:
    return fragment.to_json()


def parse_fragment(text: str) -> Scenario:
    """Parse clipboard text; raises core.model.ScenarioError with the reason."""
    return loads(text, "clipboard")


def merge_fragment(doc: ScenarioDocument, fragment: Scenario, offset: tuple[float, float]
                   ) -> tuple[list[Node], list[Edge], list[Workload]]:
    """Copies of the fragment's items with fresh ids where they clash, moved by `offset`."""
    taken = doc.ids_in_use()
    rename: dict[str, str] = {}
    nodes: list[Node] = []
    for n in fragment.nodes:
        new_id = doc.unique_id(n.id, taken)
        taken.add(new_id)
        rename[n.id] = new_id
        c = n.model_copy(deep=True)
        c.id = new_id
        if c.position is not None:
            c.position = (c.position[0] + offset[0], c.position[1] + offset[1])
        nodes.append(c)
    edges = []
    for e in fragment.edges:
        if e.source in rename and e.target in rename:
            c = e.model_copy(deep=True)
            c.source, c.target = rename[e.source], rename[e.target]
            edges.append(c)
    wls = []
    for w in fragment.workloads:
        if w.target in rename:
            c = w.model_copy(deep=True)
            c.id = doc.unique_id(w.id, taken)
            taken.add(c.id)
            c.target = rename[w.target]
            wls.append(c)
    if any(n.position is None for n in nodes):
        # A fragment written by hand: lay it out, then drop it at the offset.
        from gui.canvas.layout import layered_positions

        pos = layered_positions(Scenario(nodes=nodes, edges=edges))
        for n in nodes:
            if n.position is None:
                x, y = pos.get(n.id, (0.0, 0.0))
                n.position = (x + offset[0], y + offset[1])
    return nodes, edges, wls
