"""The main window: palette, canvas, inspector and problems around one document; menus, toolbar,
status bar; file handling (new, open, save, recent, examples, export), clipboard, autosave and
crash recovery. Colleagues extend it through `menu(name)` and `add_dock(...)`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
    QWidget,
)

from core import validate
from core.model import Scenario, ScenarioError, load
from gui import examples, icons, recovery, settings, theme
from gui.canvas import CanvasScene, CanvasView
from gui.canvas.export import export_png, export_svg
from gui.canvas.layout import layered_positions
from gui.document import ScenarioDocument, fragment_of, parse_fragment
from gui.document.fragment import fragment_json
from gui.inspector import Inspector
from gui.palette import Palette
from gui.problems import ProblemsPanel

MENU_NAMES = ("File", "Edit", "View", "Run", "Tools", "Help")
# Panels that colleagues ship as `install(window)`: live runs and the what-if tools.
EXTENSIONS = ("gui.run", "gui.sweep")
VALIDATE_DELAY_MS = 150
_WINDOWS: list[MainWindow] = []  # keeps extra windows (File → New Window) alive


TEMPLATE_SUFFIXES = (".yaml", ".yml", ".template")


def is_template(path: str | Path) -> bool:
    """A SAM/CloudFormation template rather than a scenario file (by suffix, or by content)."""
    p = Path(path)
    if p.suffix.lower() in TEMPLATE_SUFFIXES:
        return True
    if p.suffix.lower() != ".json":
        return False
    try:
        import json

        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "Resources" in data and "nodes" not in data and "format" not in data


def read_design(path: str | Path) -> tuple[Scenario, bool, list[str]]:
    """(scenario, imported from a template?, import report). Raises ScenarioError either way."""
    if is_template(path):
        from core.templates import TemplateError, import_template

        try:
            res = import_template(str(path))
        except TemplateError as e:
            raise ScenarioError([("$", str(e))], str(path)) from None
        except OSError as e:
            raise ScenarioError([("$", f"cannot read file: {e}")], str(path)) from None
        return res.scenario, True, list(res.report)
    return load(path), False, []


def describe_error(err: ScenarioError, limit: int = 12) -> str:
    lines = [f"• {path}: {msg}" for path, msg in err.problems[:limit]]
    if len(err.problems) > limit:
        lines.append(f"… and {len(err.problems) - limit} more")
    return "\n".join(lines)


class MainWindow(QMainWindow):
    """One design. `document`, `scene` and `view` are the integration points for other panels."""

    def __init__(self, document: ScenarioDocument | None = None, parent=None):
        super().__init__(parent)
        self.document = document or ScenarioDocument()
        self.interactive = True  # False: never block on a dialog (tests, --screenshot)
        self.pending_run_for: float | None = None
        self.last_error: tuple[str, str] | None = None
        self._paste_count = 0
        self._problems: list[validate.Problem] = []
        self._menus: dict[str, QMenu] = {}
        self.setWindowTitle("Triggerscope")
        self.setDockNestingEnabled(True)
        self.setDocumentMode(True)

        self.scene = CanvasScene(self.document, self)
        self.view = CanvasView(self.scene, self)
        self.setCentralWidget(self.view)
        self.palette = Palette()
        self.inspector = Inspector(self.document)
        self.problems = ProblemsPanel()
        self.palette_dock = self.add_dock(self.palette, "Palette", Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector_dock = self.add_dock(self.inspector, "Inspector", Qt.DockWidgetArea.RightDockWidgetArea)
        self.problems_dock = self.add_dock(self.problems, "Problems", Qt.DockWidgetArea.BottomDockWidgetArea)
        self.resizeDocks([self.palette_dock, self.inspector_dock], [210, 340], Qt.Orientation.Horizontal)
        self.resizeDocks([self.problems_dock], [150], Qt.Orientation.Vertical)

        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self._make_status_bar()

        d = self.document
        d.changed.connect(self._schedule_validation)
        d.changed.connect(self._update_counts)
        d.file_changed.connect(self._update_title)
        d.reset.connect(self._on_reset)
        d.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.scene.selectionChanged.connect(self._selection_changed)
        self.scene.status_message.connect(lambda m: self.statusBar().showMessage(m, 8000))
        self.scene.node_double_clicked.connect(self._node_double_clicked)
        self.view.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))
        self.view.node_dropped.connect(lambda nid: self.statusBar().showMessage(f"Added {nid}", 4000))
        self.palette.activated.connect(self._add_from_palette)
        self.problems.problem_activated.connect(self.select_problem)

        self._validate_timer = QTimer(self)
        self._validate_timer.setSingleShot(True)
        self._validate_timer.setInterval(VALIDATE_DELAY_MS)
        self._validate_timer.timeout.connect(self.validate_now)
        self.autosaver = recovery.Autosaver()
        self._autosave_timer = QTimer(self)
        self._autosave_timer.setInterval(recovery.INTERVAL_MS)
        self._autosave_timer.timeout.connect(self.autosave_now)
        self._autosave_timer.start()

        self.resize(1440, 900)
        self._update_title()
        self._update_counts()
        self.validate_now()

    # --- integration points -------------------------------------------------------------------
    def add_dock(self, widget: QWidget, title: str, area=Qt.DockWidgetArea.BottomDockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower().replace(' ', '-')}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        if area == Qt.DockWidgetArea.BottomDockWidgetArea and getattr(self, "problems_dock", None) not in (None, dock):
            self.tabifyDockWidget(self.problems_dock, dock)
            self.problems_dock.raise_()
        if hasattr(self, "_view_menu_docks"):
            self._view_menu_docks.addAction(dock.toggleViewAction())
        return dock

    def menu(self, name: str) -> QMenu:
        """The menu by its plain name ("Run", "Tools", …); created on demand for new names."""
        key = name.replace("&", "")
        if key not in self._menus:
            self._menus[key] = self.menuBar().addMenu(f"&{key}")
        return self._menus[key]

    def select_node(self, node_id: str) -> bool:
        if node_id not in self.scene.node_items:
            return False
        self.scene.select_nodes([node_id])
        self.view.center_on_node(node_id)
        return True

    def selected_node_id(self) -> str | None:
        """The one selected node, or None (for tools that act on "the selected node")."""
        ids = self.scene.selected_node_ids()
        return ids[0] if len(ids) == 1 else None

    def install_extensions(self) -> list[str]:
        """Attach the optional panels (`gui.run`, `gui.sweep`); a broken one is reported on
        stderr and skipped, never fatal for the editor. Returns the names installed."""
        import importlib
        import sys
        import traceback

        done = []
        for name in EXTENSIONS:
            try:
                install = getattr(importlib.import_module(name), "install", None)
                if install is None:
                    continue
                install(self)
                done.append(name)
            except Exception:  # an extension's bug must not take the design canvas down
                print(f"triggerscope: could not load {name}:\n{traceback.format_exc()}", file=sys.stderr)
        return done

    def before_screenshot(self) -> None:
        """Hook run after the window is shown and before `--screenshot` grabs it (live runs)."""

    # --- actions ---------------------------------------------------------------------------------
    def _action(self, text: str, slot, shortcut=None, icon: str | None = None, tip: str = "",
                checkable: bool = False) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, list | tuple):
                a.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                a.setShortcut(QKeySequence(shortcut))
        if icon:
            a.setIcon(icons.line_icon(icon))
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(f"{text.replace('&', '').rstrip('.…')}  ({a.shortcut().toString()})" if a.shortcut().toString() else tip)
        a.setCheckable(checkable)
        if checkable:
            a.toggled.connect(slot)
        else:
            a.triggered.connect(lambda _checked=False: slot())
        self.addAction(a)
        return a

    def _make_actions(self) -> None:
        K = QKeySequence.StandardKey
        self.act_new = self._action("&New", self.new_document, K.New, "new", "Start an empty design")
        self.act_new_window = self._action("New &Window", self.new_window, "Ctrl+Shift+N", tip="Open another window")
        self.act_open = self._action("&Open…", self.open_dialog, K.Open, "open", "Open a scenario file")
        self.act_save = self._action("&Save", self.save, K.Save, "save", "Save the design")
        self.act_save_as = self._action("Save &As…", self.save_as, K.SaveAs, tip="Save under a new name")
        self.act_import = self._action("&Import SAM/CloudFormation Template…", self.import_dialog,
                                       tip="Replace the design with one built from a template (undoable)")
        self.act_export_png = self._action("Export as &PNG…", lambda: self.export_dialog("png"), icon="export",
                                           tip="Export the diagram as a PNG picture")
        self.act_export_svg = self._action("Export as S&VG…", lambda: self.export_dialog("svg"),
                                           tip="Export the diagram as SVG vector graphics")
        self.act_close = self._action("&Close Window", self.close, K.Close)
        self.act_quit = self._action("&Quit", self._quit, K.Quit)
        self.act_undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcuts([QKeySequence(K.Undo)])
        self.act_undo.setIcon(icons.line_icon("undo"))
        self.act_redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence(K.Redo)])
        self.act_redo.setIcon(icons.line_icon("redo"))
        self.addAction(self.act_undo)
        self.addAction(self.act_redo)
        self.act_cut = self._action("Cu&t", self.cut, K.Cut, tip="Cut the selection")
        self.act_copy = self._action("&Copy", self.copy, K.Copy, tip="Copy the selection as scenario JSON")
        self.act_paste = self._action("&Paste", self.paste, K.Paste, tip="Paste nodes (from any window, or scenario JSON text)")
        self.act_duplicate = self._action("D&uplicate", self.duplicate, "Ctrl+D", tip="Copy and paste the selection")
        self.act_delete = self._action("&Delete", self.delete_selection, [QKeySequence.StandardKey.Delete, "Backspace"],
                                       "delete", "Delete the selected nodes and edges")
        self.act_select_all = self._action("Select &All", self.select_all, K.SelectAll)
        self.act_rename = self._action("&Rename…", self.rename_selected, "F2", tip="Rename the selected node")
        self.act_zoom_in = self._action("Zoom &In", lambda: self.view.zoom_by(1.25), [K.ZoomIn, "Ctrl+="], "zoom_in", "Zoom in")
        self.act_zoom_out = self._action("Zoom &Out", lambda: self.view.zoom_by(0.8), K.ZoomOut, "zoom_out", "Zoom out")
        self.act_zoom_reset = self._action("Actual &Size", lambda: self.view.set_zoom(1.0), "Ctrl+1")
        self.act_fit = self._action("&Fit to View", self.view.fit_to_view, "Ctrl+0", "fit", "Show the whole design")
        self.act_layout = self._action("Automatic &Layout", self.auto_layout, "Ctrl+L", "layout",
                                       "Arrange the design left to right by flow")
        self.act_snap = self._action("&Snap to Grid", self._set_snap, "Ctrl+'", "grid", "Snap moved nodes to the grid",
                                     checkable=True)
        self.act_minimap = self._action("&Overview Map", self._set_minimap, "Ctrl+M", "minimap",
                                        "Show an overview when the design is larger than the view",
                                        checkable=True)
        self.act_legend = self._action("Edge &Legend", lambda on: self.view.legend.setVisible(on),
                                       tip="Show the edge-style legend", checkable=True)
        self.act_about = self._action("&About Triggerscope", self.about)
        self.act_shortcuts = self._action("&Keyboard and Mouse", self.show_shortcuts, "F1")
        self.act_snap.setChecked(settings.get_bool("snap", True))
        self.act_minimap.setChecked(settings.get_bool("minimap", True))
        self.act_legend.setChecked(settings.get_bool("legend", True))
        self.view.set_minimap_enabled(self.act_minimap.isChecked())
        self.view.legend.setVisible(self.act_legend.isChecked())

    def _make_menus(self) -> None:
        for name in MENU_NAMES:
            self.menu(name)
        f = self.menu("File")
        f.addActions([self.act_new, self.act_new_window, self.act_open])
        self.recent_menu = f.addMenu("Open &Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.examples_menu = f.addMenu("&Examples")
        self.examples_menu.setToolTipsVisible(True)
        self.examples_menu.aboutToShow.connect(self._fill_examples)
        self._fill_examples()
        f.addSeparator()
        f.addActions([self.act_save, self.act_save_as])
        f.addSeparator()
        f.addActions([self.act_import, self.act_export_png, self.act_export_svg])
        f.addSeparator()
        f.addActions([self.act_close, self.act_quit])
        e = self.menu("Edit")
        e.addActions([self.act_undo, self.act_redo])
        e.addSeparator()
        e.addActions([self.act_cut, self.act_copy, self.act_paste, self.act_duplicate, self.act_delete])
        e.addSeparator()
        e.addActions([self.act_select_all, self.act_rename])
        v = self.menu("View")
        v.addActions([self.act_zoom_in, self.act_zoom_out, self.act_zoom_reset, self.act_fit])
        v.addSeparator()
        v.addActions([self.act_layout, self.act_snap])
        v.addSeparator()
        v.addActions([self.act_minimap, self.act_legend])
        self._view_menu_docks = v.addMenu("&Panels")
        for dock in (self.palette_dock, self.inspector_dock, self.problems_dock):
            self._view_menu_docks.addAction(dock.toggleViewAction())
        h = self.menu("Help")
        h.addActions([self.act_shortcuts, self.act_about])

    def _make_toolbar(self) -> None:
        tb = QToolBar("Main")
        tb.setObjectName("toolbar-main")
        tb.setMovable(False)
        tb.setIconSize(QSize(20, 20))
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        tb.addActions([self.act_new, self.act_open, self.act_save])
        tb.addSeparator()
        tb.addActions([self.act_undo, self.act_redo, self.act_delete])
        tb.addSeparator()
        tb.addActions([self.act_zoom_out, self.act_zoom_in, self.act_fit])
        tb.addSeparator()
        tb.addActions([self.act_layout, self.act_snap, self.act_minimap])
        tb.addSeparator()
        tb.addAction(self.act_export_png)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
        self.toolbar = tb

    def _make_status_bar(self) -> None:
        sb = self.statusBar()
        sb.setSizeGripEnabled(False)
        self.problem_label = QLabel()
        self.problem_label.setCursor(Qt.CursorShape.PointingHandCursor)
        self.problem_label.mousePressEvent = lambda _e: (self.problems_dock.show(), self.problems_dock.raise_())
        self.count_label = QLabel()
        self.zoom_label = QLabel("100%")
        self.zoom_label.setMinimumWidth(48)
        self.zoom_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for w in (self.problem_label, self.count_label, self.zoom_label):
            sb.addPermanentWidget(w)
        sb.showMessage("Ready", 3000)

    # --- title, counts, validation --------------------------------------------------------------
    def _on_clean_changed(self, _clean: bool) -> None:
        self._update_title()

    def _update_title(self) -> None:
        d = self.document
        name = d.display_name
        if d.origin == "example":
            name = f"{d.scenario.name} (example)"
        elif d.origin == "template":
            name = f"{d.scenario.name} (imported)"
        self.setWindowTitle(f"{name}[*] — Triggerscope")
        self.setWindowModified(d.modified)

    def _update_counts(self) -> None:
        sc = self.document.scenario
        self.count_label.setText(f"{len(sc.nodes)} nodes · {len(sc.edges)} edges · {len(sc.workloads)} workloads")

    def _schedule_validation(self) -> None:
        self._validate_timer.start()

    def validate_now(self) -> list[validate.Problem]:
        """Run core.validate and spread the result: panel, canvas marks, inspector, status bar."""
        self._validate_timer.stop()
        try:
            probs = validate.problems(self.document.scenario)
        except Exception as e:  # never let a checker bug take the editor down
            probs = [validate.Problem("$", f"validation failed: {type(e).__name__}: {e}")]
        self._problems = probs
        self.problems.set_problems(probs)
        self.scene.set_problems(probs)
        self.inspector.set_problems(probs)
        errors, warnings = self.problems.counts()
        if not probs:
            self.problem_label.setText(f"<span style='color:{theme.OK}'>●</span> valid")
        else:
            self.problem_label.setText(f"<span style='color:{theme.ERROR}'>●</span> {errors} error{'s' if errors != 1 else ''}"
                                       f" &nbsp;<span style='color:{theme.WARNING}'>▲</span> {warnings} warning{'s' if warnings != 1 else ''}")
        return probs

    def select_problem(self, p: validate.Problem) -> None:
        if p.node and p.node in self.scene.node_items:
            self.select_node(p.node)
            import re

            m = re.match(r"^\$\.nodes\[\d+\]\.(properties|behavior)\.(.+)$", p.path)
            if m:
                self.inspector.focus_field(m.group(1), m.group(2))
        elif p.edge is not None:
            self.scene.select_edge(p.edge)
            item = self.scene.edge_item_at(p.edge)
            if item is not None:
                self.view.ensureVisible(item.sceneBoundingRect(), 60, 60)
        elif p.path.startswith("$.workloads"):
            self.scene.clearSelection()
            self.inspector.tabs.setCurrentWidget(self.inspector.workloads)
        self.statusBar().showMessage(p.message, 8000)

    def _selection_changed(self) -> None:
        try:
            nodes = self.scene.selected_node_ids()
            edges = self.scene.selected_edge_indices()
        except RuntimeError:  # scene being torn down
            return
        self.inspector.show_selection(nodes, edges)

    def _on_reset(self) -> None:
        self._paste_count = 0
        self._update_counts()
        self._schedule_validation()

    def _node_double_clicked(self, node_id: str) -> None:
        self.select_node(node_id)
        self.inspector.focus_name()

    # --- dialogs (skipped when not interactive) ---------------------------------------------------
    def show_error(self, title: str, text: str) -> None:
        self.last_error = (title, text)
        self.statusBar().showMessage(f"{title}: {text.splitlines()[0] if text else ''}", 10000)
        if self.interactive:
            box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
            box.exec()

    def ask_save_changes(self) -> str:
        """"save", "discard" or "cancel" for a design with unsaved changes."""
        if not self.interactive:
            return "cancel"
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                          f"Save the changes to {self.document.display_name} before closing?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        r = box.exec()
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(QMessageBox.StandardButton(r), "cancel")

    def ask_restore(self, rec: recovery.Recovered) -> bool:
        if not self.interactive:
            return False
        r = QMessageBox.question(
            self, "Recover unsaved work",
            f"Triggerscope did not close normally. A recovery copy of “{rec.title}” from {rec.saved_at} "
            "was found.\n\nRestore it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
        return r == QMessageBox.StandardButton.Yes

    def ask_open_path(self) -> str | None:
        start = str(Path(self.document.path).parent) if self.document.path else str(Path.cwd())
        path, _ = QFileDialog.getOpenFileName(self, "Open scenario", start, "Scenarios (*.json);;All files (*)")
        return path or None

    def ask_save_path(self, title: str = "Save scenario", suffix: str = "json") -> str | None:
        base = self.document.path or str(Path.cwd() / f"{_slug(self.document.scenario.name)}.json")
        if suffix != "json":
            base = str(Path(base).with_suffix(f".{suffix}"))
        filters = {"json": "Scenarios (*.json)", "png": "PNG images (*.png)", "svg": "SVG images (*.svg)"}[suffix]
        path, _ = QFileDialog.getSaveFileName(self, title, base, filters)
        if path and not Path(path).suffix:
            path += f".{suffix}"
        return path or None

    # --- file operations ------------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """True when it is fine to drop the current design (saved, discarded, or unchanged)."""
        if not self.document.modified:
            return True
        answer = self.ask_save_changes()
        if answer == "save":
            return self.save()
        return answer == "discard"

    def new_document(self) -> None:
        if not self.maybe_save():
            return
        self.document.new()
        self.view.set_zoom(1.0)
        self.view.centerOn(QPointF(300, 200))
        self.autosaver.discard()

    def new_window(self) -> MainWindow:
        w = MainWindow()
        w.interactive = self.interactive
        w.install_extensions()
        w.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        _WINDOWS.append(w)
        w.destroyed.connect(lambda *_: _WINDOWS.remove(w) if w in _WINDOWS else None)
        w.show()
        return w

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        path = self.ask_open_path()
        if path:
            self.open_file(path, ask=False)

    def open_file(self, path: str | Path, ask: bool = True) -> bool:
        """Open `path`. A bad file opens nothing, says why, and leaves the current design alone."""
        if ask and not self.maybe_save():
            return False
        try:
            sc, imported, report = read_design(path)
        except ScenarioError as e:
            self.show_error("Cannot open this file", f"{Path(path).name} was not opened:\n\n{describe_error(e)}")
            return False
        except Exception as e:  # anything else unexpected in the file: still no crash
            self.show_error("Cannot open this file", f"{Path(path).name} was not opened: {e}")
            return False
        if imported:
            # A template opens as a new, unsaved design: saving never overwrites the template.
            self.document.load_scenario(sc, None, origin="template")
            self.document.undo_stack.resetClean()
            self._update_title()
        else:
            self.document.load_scenario(sc, str(Path(path).resolve()))
        self.autosaver.discard()
        settings.add_recent(str(path))
        self.view.fit_to_view()
        note = f" ({len(report)} import notes)" if report else ""
        self.statusBar().showMessage(f"{'Imported' if imported else 'Opened'} {Path(path).name}{note}", 8000)
        return True

    def import_dialog(self) -> None:
        start = str(Path(self.document.path).parent) if self.document.path else str(Path.cwd())
        path, _ = QFileDialog.getOpenFileName(self, "Import SAM / CloudFormation template", start,
                                              "Templates (*.yaml *.yml *.json *.template);;All files (*)")
        if path:
            self.import_template(path)

    def import_template(self, path: str | Path) -> bool:
        """Replace the design with an imported template, as one undoable step."""
        from core.templates import TemplateError, import_template

        try:
            res = import_template(str(path))
        except (TemplateError, OSError) as e:
            self.show_error("Cannot import this template", str(e))
            return False
        self.document.apply_scenario(res.scenario, f"Import {Path(path).name}")
        self.view.fit_to_view()
        self.statusBar().showMessage(f"Imported {Path(path).name}: {len(res.scenario.nodes)} nodes"
                                     + (f"; {len(res.report)} notes" if res.report else ""), 8000)
        return True

    def open_example(self, path: str | Path, ask: bool = True) -> bool:
        """Open a bundled example as an untitled copy (saving asks for a new file name)."""
        if ask and not self.maybe_save():
            return False
        try:
            sc = load(path)
        except ScenarioError as e:
            self.show_error("Cannot open this example", describe_error(e))
            return False
        self.document.load_scenario(sc, None, origin="example")
        self._update_title()
        self.view.fit_to_view()
        return True

    def save(self) -> bool:
        if not self.document.path:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self, path: str | None = None) -> bool:
        path = path or self.ask_save_path()
        if not path:
            return False
        return self._save_to(path)

    def _save_to(self, path: str) -> bool:
        try:
            written = self.document.save(path)
        except (OSError, ValueError) as e:
            self.show_error("Cannot save", f"{path}: {e}")
            return False
        self.autosaver.discard()
        settings.add_recent(written)
        self._update_title()
        self.statusBar().showMessage(f"Saved {Path(written).name}", 5000)
        return True

    def export_dialog(self, kind: str) -> None:
        path = self.ask_save_path(f"Export as {kind.upper()}", kind)
        if path:
            self.export(path)

    def export(self, path: str | Path) -> bool:
        path = Path(path)
        try:
            if path.suffix.lower() == ".svg":
                export_svg(self.scene, path)
            else:
                export_png(self.scene, path)
        except OSError as e:
            self.show_error("Cannot export", str(e))
            return False
        self.statusBar().showMessage(f"Exported {path.name}", 5000)
        return True

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        items = settings.recent_files()
        if not items:
            a = self.recent_menu.addAction("No recent files")
            a.setEnabled(False)
            return
        for p in items:
            a = self.recent_menu.addAction(Path(p).name)
            a.setToolTip(p)
            a.setStatusTip(p)
            a.triggered.connect(lambda _c=False, p=p: self._open_recent(p))
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear Menu", lambda: settings.set_value("recent", []))

    def _open_recent(self, path: str) -> None:
        if not Path(path).exists():
            settings.remove_recent(path)
            self.show_error("Cannot open this file", f"{path} no longer exists; it was removed from the list.")
            return
        self.open_file(path)

    def _fill_examples(self) -> None:
        self.examples_menu.clear()
        found = examples.list_examples()
        if not found:
            a = self.examples_menu.addAction("No examples installed")
            a.setEnabled(False)
            return
        for ex in found:
            desc = ex.description if len(ex.description) <= 70 else ex.description[:67] + "…"
            a = self.examples_menu.addAction(f"{ex.name} — {desc}" if desc else ex.name)
            a.setToolTip(ex.description or ex.name)
            a.setStatusTip(ex.description)
            a.setData(str(ex.path))
            a.triggered.connect(lambda _c=False, p=ex.path: self.open_example(p))

    # --- autosave and recovery ------------------------------------------------------------------------
    def autosave_now(self) -> Path | None:
        if not self.document.modified:
            return None
        try:
            return self.autosaver.write(self.document.scenario, self.document.path)
        except OSError as e:
            self.statusBar().showMessage(f"Autosave failed: {e}", 8000)
            return None

    def offer_recovery(self) -> bool:
        """Offer recovery files left by a crash; True when one was restored."""
        found = recovery.pending()
        restored = False
        for rec in found:
            if not restored and self.ask_restore(rec):
                self.document.load_scenario(rec.scenario, rec.original_path)
                # Restored work is unsaved work: make it one undoable step away from clean.
                self.document.undo_stack.resetClean()
                self._update_title()
                self.view.fit_to_view()
                restored = True
            recovery.discard(rec)
        return restored

    def closeEvent(self, event) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.autosaver.close()
        self._autosave_timer.stop()
        settings.set_value("snap", self.act_snap.isChecked())
        settings.set_value("minimap", self.act_minimap.isChecked())
        settings.set_value("legend", self.act_legend.isChecked())
        event.accept()

    def _quit(self) -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, MainWindow) and w.isVisible() and not w.close():
                return
        QApplication.quit()

    # --- editing commands --------------------------------------------------------------------------------
    def _add_from_palette(self, payload: dict) -> None:
        center = self.view.mapToScene(self.view.viewport().rect().center())
        from gui.canvas.node_item import H, W

        nid = self.view.add_palette_node(payload, center - QPointF(W / 2, H / 2))
        if nid:
            self.statusBar().showMessage(f"Added {nid}", 4000)

    def delete_selection(self) -> None:
        self.scene.cancel_interaction()
        nodes = self.scene.selected_node_ids()
        edges = self.scene.selected_edge_indices()
        if self.document.remove(nodes, edges):
            self.statusBar().showMessage(self.document.undo_stack.undoText(), 4000)

    def select_all(self) -> None:
        self.scene.select_items(self.scene.node_items.values())

    def rename_selected(self) -> None:
        nodes = self.scene.selected_node_ids()
        if len(nodes) == 1:
            self.inspector.focus_name()

    def copy(self) -> bool:
        nodes = self.scene.selected_node_ids()
        if not nodes:
            self.statusBar().showMessage("Select nodes to copy", 4000)
            return False
        frag = fragment_of(self.document.scenario, nodes)
        # Plain text only: the scenario JSON pastes into other windows, other apps and text
        # editors alike. (A Python-made QMimeData handed to the clipboard is also freed twice
        # at exit by PySide6 6.12: a segfault on quit.)
        QGuiApplication.clipboard().setText(fragment_json(frag))
        self._paste_count = 0
        self.statusBar().showMessage(f"Copied {len(frag.nodes)} node(s), {len(frag.edges)} edge(s)", 4000)
        return True

    def cut(self) -> None:
        if self.copy():
            self.delete_selection()

    def paste(self) -> list[str]:
        text = QGuiApplication.clipboard().text()
        if not text.strip():
            self.statusBar().showMessage("The clipboard is empty", 4000)
            return []
        try:
            frag = parse_fragment(text)
        except ScenarioError as e:
            msg = "The clipboard does not hold a Triggerscope design: " + "; ".join(m for _p, m in e.problems[:2])
            self.view.notice.show_message(msg, "error")
            self.statusBar().showMessage(msg, 8000)
            return []
        self._paste_count += 1
        step = 40.0 * self._paste_count
        ids = self.document.paste(frag, (step, step))
        self.scene.select_nodes(ids)
        if ids:
            self.view.ensureVisible(self.scene.node_items[ids[0]].sceneBoundingRect(), 50, 50)
        self.statusBar().showMessage(f"Pasted {len(ids)} node(s)", 4000)
        return ids

    def duplicate(self) -> list[str]:
        if not self.copy():
            return []
        return self.paste()

    def auto_layout(self) -> None:
        sc = self.document.scenario
        if not sc.nodes:
            return
        pos = layered_positions(sc)
        # Keep the design where it is: anchor the layout at the current top-left node.
        xs = [n.position[0] for n in sc.nodes if n.position is not None]
        ys = [n.position[1] for n in sc.nodes if n.position is not None]
        ox = min(xs) if xs else 0.0
        oy = min(ys) if ys else 0.0
        g = theme.GRID
        ox, oy = round(ox / g) * g, round(oy / g) * g
        self.document.apply_layout({k: (x + ox, y + oy) for k, (x, y) in pos.items()})
        self.view.fit_to_view()

    def _set_snap(self, on: bool) -> None:
        self.scene.snap_to_grid = on

    def _set_minimap(self, on: bool) -> None:
        self.view.set_minimap_enabled(on)

    # --- help -----------------------------------------------------------------------------------------
    def about(self) -> None:
        import core

        text = (f"<b>Triggerscope {core.__version__}</b><br>Design and stress-test AWS Lambda event-trigger "
                "flows in simulated time.")
        if self.interactive:
            QMessageBox.about(self, "About Triggerscope", text)

    def show_shortcuts(self) -> None:
        text = ("<table cellpadding=3>"
                "<tr><td><b>Drag from palette</b></td><td>add a node</td></tr>"
                "<tr><td><b>Drag from a card's right port</b></td><td>connect to another node</td></tr>"
                "<tr><td><b>Drag on empty canvas</b></td><td>rubber-band selection</td></tr>"
                "<tr><td><b>Wheel / middle drag / Space + drag</b></td><td>pan</td></tr>"
                "<tr><td><b>Ctrl + wheel, Ctrl + / Ctrl −</b></td><td>zoom</td></tr>"
                "<tr><td><b>Ctrl 0</b></td><td>fit to view</td></tr>"
                "<tr><td><b>Ctrl L</b></td><td>automatic layout</td></tr>"
                "<tr><td><b>F2 / double-click</b></td><td>rename</td></tr>"
                "<tr><td><b>Delete</b></td><td>delete selection</td></tr>"
                "<tr><td><b>Ctrl Z / Ctrl Shift Z</b></td><td>undo / redo</td></tr></table>")
        if self.interactive:
            QMessageBox.information(self, "Keyboard and mouse", text)


def _slug(name: str) -> str:
    s = "".join(c.lower() if c.isalnum() else "-" for c in (name or "design")).strip("-")
    while "--" in s:
        s = s.replace("--", "-")
    return s or "design"


__all__ = ["MainWindow", "describe_error", "Scenario"]
