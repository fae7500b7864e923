"""What-if tools in the app: the sweep panel, the A/B compare view and the capacity finder.

`install(window)` adds Tools → "Sweep…", "Compare variants…" and "Find capacity…". It
relies on the main window's contracts only: `menu("Tools")`, `add_dock(widget, title,
area)`, `document` (with `scenario`, `apply_scenario`, `changed`) and, when present,
`selected_node_id()` (else `scene.selected_node_ids()`). The heavy lifting is `core.sweep` / `core.compare`, headless.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QMenu, QWidget

from gui.sweep.compare_view import CompareView
from gui.sweep.find_dialog import FindCapacityDialog
from gui.sweep.panel import SweepPanel

__all__ = ["CompareView", "FindCapacityDialog", "SweepPanel", "SweepTools", "install"]

RIGHT = Qt.DockWidgetArea.RightDockWidgetArea


class SweepTools(QObject):
    """Owns the what-if widgets of one window; they are created on first use."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.sweep_panel: SweepPanel | None = None
        self.compare_view: CompareView | None = None
        self.find_dialog: FindCapacityDialog | None = None
        self._docks: dict[str, QWidget] = {}
        menu = _tools_menu(window)
        self.sweep_action = menu.addAction("Sweep…")
        self.sweep_action.setToolTip("Vary one or two fields of the design and chart a metric")
        self.sweep_action.triggered.connect(self.show_sweep)
        self.compare_action = menu.addAction("Compare variants…")
        self.compare_action.setToolTip("Run the design and a changed copy on the same traffic")
        self.compare_action.triggered.connect(self.show_compare)
        self.find_action = menu.addAction("Find capacity…")
        self.find_action.setToolTip("Smallest value of a field that meets every goal")
        self.find_action.triggered.connect(self.show_find)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        # A job's QThread must not be destroyed with its panel while it runs.
        window.destroyed.connect(lambda *_: self.shutdown())

    def selected_node(self) -> str | None:
        """The selected node: `window.selected_node_id()`, else the canvas scene's selection."""
        try:
            get = getattr(self.window, "selected_node_id", None)
            if callable(get):
                return get()
            scene = getattr(self.window, "scene", None)
            ids = scene.selected_node_ids() if hasattr(scene, "selected_node_ids") else []
            return ids[0] if len(ids) == 1 else None
        except Exception:  # a half-built window must not break the tools
            return None

    def show_sweep(self) -> SweepPanel:
        if self.sweep_panel is None:
            self.sweep_panel = SweepPanel(self.window.document, self.selected_node)
            self._dock("sweep", self.sweep_panel, "Sweep")
        self.sweep_panel.focus_node(self.selected_node())
        self._raise("sweep")
        return self.sweep_panel

    def show_compare(self) -> CompareView:
        if self.compare_view is None:
            self.compare_view = CompareView(self.window.document, self.selected_node)
            self._dock("compare", self.compare_view, "Compare variants")
        if self.compare_view.a is None:
            self.compare_view.duplicate()
        self._raise("compare")
        return self.compare_view

    def show_find(self) -> FindCapacityDialog:
        if self.find_dialog is None:
            parent = self.window if isinstance(self.window, QWidget) else None
            self.find_dialog = FindCapacityDialog(self.window.document, self.selected_node, parent)
        self.find_dialog.focus_node(self.selected_node())
        self.find_dialog.show()
        self.find_dialog.raise_()
        self.find_dialog.activateWindow()
        return self.find_dialog

    def shutdown(self) -> None:
        """Cancel running work and wait for it (the app is closing)."""
        for w in (self.sweep_panel, self.compare_view, self.find_dialog):
            if w is not None:
                w.shutdown()

    def _dock(self, name: str, widget: QWidget, title: str) -> None:
        add = getattr(self.window, "add_dock", None)
        dock = add(widget, title, RIGHT) if callable(add) else None
        if dock is None and not callable(add):
            dock = QDockWidget(title, self.window)
            dock.setObjectName(f"{name}-dock")
            dock.setWidget(widget)
            self.window.addDockWidget(RIGHT, dock)
        if not isinstance(dock, QWidget):
            dock = widget.parentWidget() or widget
        self._docks[name] = dock

    def _raise(self, name: str) -> None:
        dock = self._docks.get(name)
        if dock is not None:
            dock.show()
            dock.raise_()


def _tools_menu(window) -> QMenu:
    get = getattr(window, "menu", None)
    if callable(get):
        return get("Tools")
    bar = window.menuBar()
    for action in bar.actions():
        if action.menu() is not None and action.text().replace("&", "") == "Tools":
            return action.menu()
    return bar.addMenu("&Tools")


def install(window) -> SweepTools:
    """Add the what-if tools to `window`'s Tools menu; returns the object that owns them."""
    return SweepTools(window)
