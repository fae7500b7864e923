"""Canvas benchmark: load, pan and drag a design of 200 nodes and 300 edges; prints figures.

    QT_QPA_PLATFORM=offscreen python tests/bench/bench_canvas.py [--nodes 200] [--edges 300]

Load is measured from the file on disk to the first painted frame of the main window. Pan and
drag repaint the viewport synchronously after every step, so a frame time is the real cost
of producing that frame (on the offscreen raster backend, i.e. CPU painting). No assertions:
the script reports; people judge.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402


def big_scenario(groups: int = 25) -> dict:
    """`groups` copies of an 8-node flow (SQS → mapping → function, API → function, SNS, DLQ,
    database), chained to their neighbours: 8 nodes and 12 edges per group."""
    nodes, edges = [], []
    for g in range(groups):
        row = (g % 5) * 420.0
        col = (g // 5) * 1500.0
        def n(nid, kind, x, y, g=g, col=col, row=row, **kw):
            nodes.append({"id": f"{nid}{g}", "kind": kind, "position": [col + x, row + y], **kw})
        n("api", "ApiGateway", 0, 0)
        n("fa", "Function", 280, 0, properties={"MemorySize": 512, "Timeout": 10})
        n("topic", "SNSTopic", 560, 0)
        n("q", "SQSQueue", 0, 120, properties={"VisibilityTimeout": 60, "RedrivePolicy": {"maxReceiveCount": 5}})
        n("esm", "EventSourceMapping", 280, 120, properties={"BatchSize": 10})
        n("fn", "Function", 560, 120, properties={"MemorySize": 1024, "Timeout": 10})
        n("dlq", "SQSQueue", 280, 240)
        n("db", "Dependency", 840, 120, behavior={"MaxConcurrentRequests": 100})

        def e(a, b, role, g=g):
            edges.append({"from": f"{a}{g}", "to": f"{b}{g}" if isinstance(b, str) else b[0], "role": role})
        e("api", "fa", "invoke")
        e("fa", "topic", "emits")
        e("topic", "q", "deliver")
        e("q", "esm", "poll")
        e("esm", "fn", "poll")
        e("q", "dlq", "redrive")
        e("fn", "db", "calls")
        e("fa", "db", "calls")
        e("fa", "dlq", "on_failure")
        nxt = (g + 1) % groups
        e("fn", (f"topic{nxt}",), "emits")
        e("fa", (f"q{nxt}",), "emits")
        e("fn", (f"db{nxt}",), "calls")
    return {"format": "triggerscope/1", "name": f"Benchmark {len(nodes)} nodes", "nodes": nodes, "edges": edges,
            "workloads": [{"id": f"load{g}", "target": f"api{g}", "arrivals": {"process": "poisson", "rate": 10}}
                          for g in range(groups)]}


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _frames(label: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    fps = 1.0 / statistics.mean(times) if times else 0.0
    print(f"  {label:<44} mean {_ms(statistics.mean(times))}   p95 {_ms(p95)}   max {_ms(times[-1])}"
          f"   (~{fps:5.0f} fps)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--groups", type=int, default=25, help="8 nodes and 12 edges per group (25 → 200/300)")
    ap.add_argument("--steps", type=int, default=60, help="frames per pan/drag run")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="ts-bench-"))
    os.environ.setdefault("TRIGGERSCOPE_CONFIG_DIR", str(tmp / "config"))
    data = big_scenario(args.groups)
    path = tmp / "big.json"
    path.write_text(json.dumps(data))
    print(f"design: {len(data['nodes'])} nodes, {len(data['edges'])} edges, {len(data['workloads'])} workloads")

    t0 = time.perf_counter()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from gui import theme
    from gui.main_window import MainWindow

    theme.apply_theme(app)
    w = MainWindow()
    w.interactive = False
    w.resize(1440, 900)
    w.show()
    app.processEvents()
    t_window = time.perf_counter()

    # --- load: file → model → items → first frame ---------------------------------------------------
    t1 = time.perf_counter()
    from core.model import load

    sc = load(path)
    t2 = time.perf_counter()
    w.document.load_scenario(sc, str(path))
    t3 = time.perf_counter()
    w.view.fit_to_view()
    w.view.viewport().repaint()
    t4 = time.perf_counter()
    w.validate_now()
    t5 = time.perf_counter()
    app.processEvents()
    print("\nload (200 nodes / 300 edges)")
    print(f"  {'app start + empty window (once per session)':<44} {_ms(t_window - t0)}")
    print(f"  {'parse + validate file (core.model.load)':<44} {_ms(t2 - t1)}")
    print(f"  {'document + scene items':<44} {_ms(t3 - t2)}")
    print(f"  {'fit + first painted frame':<44} {_ms(t4 - t3)}")
    print(f"  {'TOTAL file → first frame':<44} {_ms(t4 - t1)}")
    print(f"  {'problems check (debounced, after the frame)':<44} {_ms(t5 - t4)}")
    print(f"  items: {len(w.scene.node_items)} nodes, {len(w.scene.edge_items)} edges")

    vp = w.view.viewport()

    # --- pan ------------------------------------------------------------------------------------------
    print(f"\npan ({args.steps} frames, synchronous repaint each)")
    for zoom in (w.view.zoom(), 1.0):
        w.view.set_zoom(zoom)
        w.view.centerOn(QPointF(1500, 800))
        vp.repaint()
        times = []
        for i in range(args.steps):
            t = time.perf_counter()
            w.view.pan_by(12 if i < args.steps // 2 else -12, 6)
            vp.repaint()
            times.append(time.perf_counter() - t)
        _frames(f"pan at {zoom * 100:.0f}% zoom", times)

    # --- drag: real mouse events on the busiest node ------------------------------------------------
    w.view.set_zoom(1.0)
    busiest = max(w.scene.node_items.values(), key=lambda it: len(it.edges))
    w.view.centerOn(busiest.center())
    vp.repaint()
    left = Qt.MouseButton.LeftButton

    def send(kind, pos: QPoint, button, buttons):
        ev = QMouseEvent(kind, QPointF(pos), QPointF(vp.mapToGlobal(pos)), button, buttons, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(vp, ev)

    def drag(label: str) -> None:
        start = w.view.mapFromScene(busiest.center())
        send(QEvent.Type.MouseButtonPress, start, left, left)
        times = []
        for i in range(1, args.steps + 1):
            p = QPoint(start.x() + 3 * i, start.y() + (i % 7))
            t = time.perf_counter()
            send(QEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, left)
            vp.repaint()
            times.append(time.perf_counter() - t)
        t = time.perf_counter()
        send(QEvent.Type.MouseButtonRelease, p, left, Qt.MouseButton.NoButton)
        commit = time.perf_counter() - t
        _frames(label, times)
        print(f"  {'  release → one Move command':<44} {_ms(commit)}")

    print(f"\ndrag ({args.steps} mouse moves, synchronous repaint each)")
    w.scene.clearSelection()
    drag(f"one node with {len(busiest.edges)} edges")
    neighbours = sorted(w.scene.node_items.values(),
                        key=lambda it: (it.pos() - busiest.pos()).manhattanLength())[:20]
    for it in neighbours:
        it.setSelected(True)
    drag(f"20 selected nodes ({sum(len(it.edges) for it in neighbours)} edge ends)")

    # --- the whole design ---------------------------------------------------------------------------
    print("\nwhole design")
    w.view.fit_to_view()
    t = time.perf_counter()
    vp.repaint()
    print(f"  {'repaint at fit-to-view':<44} {_ms(time.perf_counter() - t)}")
    t = time.perf_counter()
    w.act_layout.trigger()
    vp.repaint()
    print(f"  {'automatic layout + repaint':<44} {_ms(time.perf_counter() - t)}")
    t = time.perf_counter()
    w.document.undo_stack.undo()
    vp.repaint()
    print(f"  {'undo layout + repaint':<44} {_ms(time.perf_counter() - t)}")
    t = time.perf_counter()
    w.select_all()
    w.copy()
    ids = w.paste()
    vp.repaint()
    print(f"  {'copy + paste all 200 nodes + repaint':<44} {_ms(time.perf_counter() - t)}   ({len(ids)} pasted)")
    w.document.undo_stack.setClean()
    w.close()


if __name__ == "__main__":
    main()
