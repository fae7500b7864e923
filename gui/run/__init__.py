"""Running a design and watching it live (issue 5): `install(window)` adds the Run menu and
toolbar, the Dashboard, Node metrics and Why panels and the canvas overlay to a main window.

Layout: `controller` owns the Simulation and its wall-time slices; `series` turns it into
plot-ready numbers; `dashboard` (with `curve` and `axes`), `node_metrics`, `why` and `overlay`
show them; `export` writes PNG, CSV and the HTML run report; `panel` wires all of it into the
window; `gui.compat` guards against a PySide6 6.12.0 reference-counting bug.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

    from gui.run.panel import RunPanel


def install(window: QMainWindow) -> RunPanel:
    """Attach the live run to `window` (needs `document`, `scene`, `view`, `add_dock`, `menu`,
    `select_node` and `before_screenshot`); returns the panel, also kept as `window.run_panel`.
    Installing twice returns the first panel."""
    from gui.run.panel import RunPanel

    existing = getattr(window, "run_panel", None)
    if isinstance(existing, RunPanel):
        return existing
    panel = RunPanel(window)
    window.run_panel = panel
    return panel


__all__ = ["install"]
