"""Automatic left-to-right layout by flow (networkx; no Qt, so it is testable on its own).

Layers are longest-path generations of the flow with feedback edges reversed; rows within a
layer are ordered by the barycentre of their neighbours to cut crossings; unconnected parts
are stacked top to bottom. Positions are the top-left corners of the node cards.

>>> from core.model import Scenario, Node, Edge
>>> sc = Scenario(nodes=[Node(id="q", kind="SQSQueue"), Node(id="m", kind="EventSourceMapping"),
...                      Node(id="f", kind="Function")],
...               edges=[Edge(source="q", target="m", role="poll"), Edge(source="m", target="f", role="poll")])
>>> [layered_positions(sc)[k][0] for k in "qmf"]
[0.0, 276.0, 552.0]
"""

from __future__ import annotations

import networkx as nx

from core.model import Scenario

NODE_W = 212.0
NODE_H = 64.0
COL_GAP = 64.0
ROW_GAP = 32.0
COMPONENT_GAP = 72.0


def _dag(scenario: Scenario) -> nx.DiGraph:
    g = nx.DiGraph()
    ids = [n.id for n in scenario.nodes]
    g.add_nodes_from(ids)
    for e in scenario.edges:
        if e.source in g and e.target in g and e.source != e.target:
            g.add_edge(e.source, e.target)
    # Reverse feedback edges found by DFS (back edges) so generations are defined.
    order = {nid: i for i, nid in enumerate(ids)}
    roots = sorted(g.nodes, key=lambda n: (g.in_degree(n) > 0, order[n]))
    back = []
    state: dict[str, int] = {}
    for root in roots:
        if root in state:
            continue
        stack = [(root, iter(sorted(g.successors(root), key=order.get)))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                back.append((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(sorted(g.successors(nxt), key=order.get))))
    for u, v in back:
        g.remove_edge(u, v)
        if not g.has_edge(v, u):
            g.add_edge(v, u)
    return g


def layered_positions(scenario: Scenario, x0: float = 0.0, y0: float = 0.0) -> dict[str, tuple[float, float]]:
    """Top-left positions for every node: flow left to right, components stacked."""
    g = _dag(scenario)
    order = {n.id: i for i, n in enumerate(scenario.nodes)}
    out: dict[str, tuple[float, float]] = {}
    y_cursor = y0
    comps = sorted(nx.weakly_connected_components(g), key=lambda c: min(order[n] for n in c))
    for comp in comps:
        sub = g.subgraph(comp)
        layers = _layers(sub, order)
        _reduce_crossings(sub, layers)
        height = max(len(layer) for layer in layers) * (NODE_H + ROW_GAP) - ROW_GAP
        for col, layer in enumerate(layers):
            span = len(layer) * (NODE_H + ROW_GAP) - ROW_GAP
            top = y_cursor + (height - span) / 2.0
            for row, nid in enumerate(layer):
                out[nid] = (x0 + col * (NODE_W + COL_GAP), top + row * (NODE_H + ROW_GAP))
        y_cursor += height + COMPONENT_GAP
    return out


def _layers(g: nx.DiGraph, order: dict[str, int]) -> list[list[str]]:
    """Longest-path layers, then sources pulled right next to their first consumer."""
    layer: dict[str, int] = {}
    for i, gen in enumerate(nx.topological_generations(g)):
        for n in gen:
            layer[n] = i
    for n in reversed(list(nx.topological_sort(g))):
        succ = [layer[s] for s in g.successors(n)]
        if succ and g.in_degree(n) == 0:
            layer[n] = max(layer[n], min(succ) - 1)
    out: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for n in sorted(layer, key=order.get):
        out[layer[n]].append(n)
    return [lay for lay in out if lay]


def _reduce_crossings(g: nx.DiGraph, layers: list[list[str]], sweeps: int = 4) -> None:
    """Barycentre heuristic, down then up, a few times (in place)."""
    if len(layers) < 2:
        return
    for _ in range(sweeps):
        for i in range(1, len(layers)):
            _sort_by(layers[i], layers[i - 1], g.predecessors)
        for i in range(len(layers) - 2, -1, -1):
            _sort_by(layers[i], layers[i + 1], g.successors)


def _sort_by(layer: list[str], fixed: list[str], neighbours) -> None:
    pos = {n: i for i, n in enumerate(fixed)}
    current = {n: i for i, n in enumerate(layer)}

    def key(n: str) -> float:
        ps = [pos[m] for m in neighbours(n) if m in pos]
        return sum(ps) / len(ps) if ps else float(current[n])

    layer.sort(key=lambda n: (key(n), current[n]))
