"""Wires the live run into the main window: Run menu and toolbar (Run/Pause F5, Step F10,
Reset Ctrl+R, speed, seed, duration, simulated clock), the Dashboard, Node metrics and Why docks,
the canvas overlay, exports, and the `--screenshot --run-for` hook.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QColor,
    QFontMetrics,
    QIcon,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QLabel,
    QMainWindow,
    QProgressBar,
    QSpinBox,
    QToolBar,
)

from gui import theme
from gui.run import export
from gui.run.controller import SPEEDS, RunController, RunState
from gui.run.dashboard import Dashboard
from gui.run.node_metrics import NodeMetricsView
from gui.run.overlay import CanvasOverlay
from gui.run.series import fmt_clock
from gui.run.why import WhyPanel

# Typed values (or wheel and arrow keys): the themed step buttons are too small to be useful here.
# (ButtonSymbols.NoButtons hides the text under the app's style sheet, so they are sized away.)
_NO_SPIN_BUTTONS = ("QAbstractSpinBox::up-button, QAbstractSpinBox::down-button "
                    "{ width: 0px; border: none; }")
CHART_PERIOD_S = 0.07  # each half of the charts is refreshed at least this far apart while running
CANVAS_PERIOD_S = 0.4  # the canvas overlay, node metrics and Why

STATE_TEXT = {
    RunState.READY: ("Ready", theme.TEXT_MUTED),
    RunState.RUNNING: ("Running", theme.OK),
    RunState.PAUSED: ("Paused", theme.WARNING),
    RunState.FINISHED: ("Finished", theme.ACCENT),
}


def _icon(kind: str, colour: str = "#3A4653") -> QIcon:
    """Run-control glyphs drawn with QPainter (crisp at 1× and 2×, no SVG needed)."""
    icon = QIcon()
    for size in (16, 20, 24, 32):
        for dpr in (1.0, 2.0):
            pm = QPixmap(int(size * dpr), int(size * dpr))
            pm.setDevicePixelRatio(dpr)
            pm.fill(Qt.GlobalColor.transparent)
            p = QPainter(pm)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.scale(size / 24.0, size / 24.0)
            col = QColor(colour)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(col)
            if kind == "run":
                p.setBrush(QColor(theme.OK))
                path = QPainterPath(QPointF(7, 4.5))
                path.lineTo(19.5, 12)
                path.lineTo(7, 19.5)
                path.closeSubpath()
                p.drawPath(path)
            elif kind == "pause":
                p.setBrush(QColor(theme.WARNING))
                p.drawRoundedRect(QRectF(6, 5, 4.2, 14), 1, 1)
                p.drawRoundedRect(QRectF(13.8, 5, 4.2, 14), 1, 1)
            elif kind == "step":
                path = QPainterPath(QPointF(5, 5))
                path.lineTo(15, 12)
                path.lineTo(5, 19)
                path.closeSubpath()
                p.drawPath(path)
                p.drawRoundedRect(QRectF(16, 5, 3.2, 14), 1, 1)
            elif kind == "reset":
                pen = QPen(col, 2.0)
                pen.setCapStyle(Qt.PenCapStyle.RoundCap)
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawArc(QRectF(5, 5, 14, 14), 100 * 16, 290 * 16)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(col)
                head = QPainterPath(QPointF(8.5, 2.5))
                head.lineTo(13.8, 5.6)
                head.lineTo(8.6, 9.0)
                head.closeSubpath()
                p.drawPath(head)
            p.end()
            icon.addPixmap(pm)
    return icon


class RunPanel(QObject):
    """Everything about watching a run, attached to one main window."""

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.controller = RunController(self.document.snapshot, window)
        self.dashboard = Dashboard()
        self.node_view = NodeMetricsView()
        self.why = WhyPanel()
        self.overlay = CanvasOverlay(window.scene)
        self._undo_index = self.document.undo_stack.index()
        self._pending_edit = False
        self._group_at = [0.0, 0.0]
        self._next_group = 0
        self._canvas_at = 0.0
        self._after_canvas = False

        self._make_docks()
        self._make_actions()
        self._make_toolbar()
        self._make_menu()

        c = self.controller
        c.rebuilt.connect(self._on_rebuilt)
        c.tick.connect(self._on_tick)
        c.state_changed.connect(self._on_state)
        c.marked.connect(self._on_marked)
        c.notice.connect(self._on_notice)
        self.document.changed.connect(self._on_document_changed)
        self.document.undo_stack.indexChanged.connect(self._on_undo_index)
        self.document.reset.connect(self._on_document_reset)
        window.scene.selectionChanged.connect(self._on_selection)
        self.why.node_clicked.connect(window.select_node)

        previous = window.before_screenshot

        def before_screenshot() -> None:
            previous()
            self.before_screenshot()

        window.before_screenshot = before_screenshot
        self._on_rebuilt()
        self._on_tick()
        self._on_state(c.state.value)

    # --- construction --------------------------------------------------------------------------------------
    def _make_docks(self) -> None:
        w = self.window
        bottom, right = Qt.DockWidgetArea.BottomDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
        # The dashboard takes the full width under the canvas (tabbed with Why and Problems);
        # Node metrics is a tab beside the inspector, so editing a node stays one click away.
        self.dashboard_dock = w.add_dock(self.dashboard, "Dashboard", bottom)
        self.why_dock = w.add_dock(self.why, "Why", bottom)
        self.metrics_dock = w.add_dock(self.node_view, "Node metrics", right)
        inspector = getattr(w, "inspector_dock", None)
        if inspector is not None:
            w.tabifyDockWidget(inspector, self.metrics_dock)
            inspector.raise_()
        self.dashboard_dock.raise_()
        w.resizeDocks([self.dashboard_dock], [max(380, int(w.height() * 0.46))], Qt.Orientation.Vertical)

    def _action(self, text: str, slot, shortcut: str | None = None, icon: QIcon | None = None,
                tip: str = "") -> QAction:
        a = QAction(text, self.window)
        if shortcut:
            a.setShortcut(QKeySequence(shortcut))
            a.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if icon is not None:
            a.setIcon(icon)
        a.setStatusTip(tip)
        a.setToolTip(f"{text.replace('&', '').rstrip('…')}  ({shortcut})" if shortcut else tip)
        a.triggered.connect(lambda _checked=False: slot())
        self.window.addAction(a)
        return a

    def _make_actions(self) -> None:
        c = self.controller
        self.icon_run, self.icon_pause = _icon("run"), _icon("pause")
        self.act_run = self._action("&Run", c.toggle, "F5", self.icon_run, "Run or pause the simulation")
        self.act_step = self._action("&Step", c.step, "F10", _icon("step"), "Advance one metric period, then pause")
        self.act_reset = self._action("R&eset", c.reset, "Ctrl+R", _icon("reset"),
                                      "Start again from time 0 with the current design")
        self.act_export_png = self._action("Export Charts as &PNG…", lambda: self.export_dialog("png"),
                                           tip="Save the dashboard charts as a PNG picture")
        self.act_export_csv = self._action("Export Time Series as &CSV…", lambda: self.export_dialog("csv"),
                                           tip="Save every metric of the run, one row per period")
        self.act_export_html = self._action("Export Run &Report (HTML)…", lambda: self.export_dialog("html"),
                                            tip="Summary, charts, accounting identity and cost in one HTML file")
        self.speed_group = QActionGroup(self)
        self.speed_actions: list[QAction] = []
        for label, speed in SPEEDS:
            a = QAction("As fast as possible" if speed is None else f"{label} real time", self.window)
            a.setCheckable(True)
            a.setData(speed)
            a.triggered.connect(lambda _c=False, s=speed: self.set_speed(s))
            self.speed_group.addAction(a)
            self.speed_actions.append(a)

    def _make_toolbar(self) -> None:
        tb = QToolBar("Run")
        tb.setObjectName("toolbar-run")
        tb.setMovable(False)
        tb.setIconSize(QSize(20, 20))
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        tb.addActions([self.act_run, self.act_step, self.act_reset])
        run_button = tb.widgetForAction(self.act_run)
        if run_button is not None:  # the primary action keeps its word: Run / Pause
            run_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            # Fixed sizes in the toolbar: a label that grows mid-run would re-layout the window.
            run_button.setFixedWidth(run_button.fontMetrics().horizontalAdvance("Pause") + 44)
        tb.addSeparator()
        self.speed_box = QComboBox()
        for label, speed in SPEEDS:
            self.speed_box.addItem(label, speed)
        self.speed_box.setToolTip("Speed: simulated seconds per real second (Max: as fast as possible)")
        self.speed_box.currentIndexChanged.connect(lambda i: self.set_speed(self.speed_box.itemData(i)))
        tb.addWidget(self.speed_box)
        tb.addSeparator()
        self.clock = QLabel()
        self.clock.setFont(theme.mono_font(9.5))
        self.clock.setToolTip("Simulated time / run duration")
        self.clock.setFixedWidth(QFontMetrics(self.clock.font()).horizontalAdvance("0:00:00 / 0:00:00") + 8)
        tb.addWidget(self.clock)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setFixedSize(60, 6)
        self.progress.setStyleSheet(f"QProgressBar {{ background: #E6EAF0; border: none; border-radius: 3px; }}"
                                    f"QProgressBar::chunk {{ background: {theme.ACCENT}; border-radius: 3px; }}")
        tb.addWidget(self.progress)
        self.state_label = QLabel()
        self.state_label.setFixedWidth(max(self.state_label.fontMetrics().horizontalAdvance("● Cannot run") + 10, 84))
        tb.addWidget(self.state_label)
        tb.addSeparator()
        self.seed_box = QSpinBox()
        self.seed_box.setPrefix("seed ")
        self.seed_box.setStyleSheet(_NO_SPIN_BUTTONS)
        self.seed_box.setRange(0, 2_147_483_647)
        self.seed_box.setToolTip("Random seed of the run (simulation.Seed); the same seed gives the same run")
        self.seed_box.setFixedWidth(104)
        self.seed_box.editingFinished.connect(self._seed_edited)
        tb.addWidget(self.seed_box)
        self.duration_box = QDoubleSpinBox()
        self.duration_box.setRange(1, 31 * 86400)
        self.duration_box.setDecimals(0)
        self.duration_box.setSuffix(" s")
        self.duration_box.setStyleSheet(_NO_SPIN_BUTTONS)
        self.duration_box.setToolTip("Simulated seconds to run (simulation.DurationSeconds)")
        self.duration_box.setFixedWidth(92)
        self.duration_box.editingFinished.connect(self._duration_edited)
        tb.addWidget(self.duration_box)
        self.stale_label = QLabel()
        self.stale_label.setStyleSheet(f"color: {theme.WARNING}; padding-left: 8px;")
        tb.addWidget(self.stale_label)
        self.window.addToolBar(Qt.ToolBarArea.TopToolBarArea, tb)
        self.toolbar = tb
        self._sync_settings()

    def _make_menu(self) -> None:
        m = self.window.menu("Run")
        m.addActions([self.act_run, self.act_step, self.act_reset])
        speed = m.addMenu("S&peed")
        speed.addActions(self.speed_actions)
        m.addSeparator()
        m.addActions([self.act_export_png, self.act_export_csv, self.act_export_html])
        self.set_speed(self.controller.speed)

    # --- controls ----------------------------------------------------------------------------------------------
    def set_speed(self, speed: float | None) -> None:
        self.controller.set_speed(speed)
        i = next(i for i, (_l, s) in enumerate(SPEEDS) if s == speed)
        if self.speed_box.currentIndex() != i:
            self.speed_box.blockSignals(True)
            self.speed_box.setCurrentIndex(i)
            self.speed_box.blockSignals(False)
        self.speed_actions[i].setChecked(True)

    def _sync_settings(self) -> None:
        s = self.document.scenario.simulation
        for box, value in ((self.seed_box, s.Seed), (self.duration_box, s.DurationSeconds)):
            if not box.hasFocus() and box.value() != value:
                box.blockSignals(True)
                box.setValue(value)
                box.blockSignals(False)

    def _set_simulation_field(self, field: str, value, label: str) -> None:
        sim = self.document.meta()["simulation"]
        if sim.get(field) == value:
            return
        sim[field] = value
        err = self.document.set_meta(label, simulation=sim)
        if err:
            self._on_notice(err)
            self._sync_settings()

    def _seed_edited(self) -> None:
        self._set_simulation_field("Seed", int(self.seed_box.value()), f"Set seed = {self.seed_box.value()}")

    def _duration_edited(self) -> None:
        self._set_simulation_field("DurationSeconds", float(self.duration_box.value()),
                                   f"Set duration = {self.duration_box.value():g} s")

    # --- controller → views -------------------------------------------------------------------------------------
    def _on_rebuilt(self) -> None:
        sim = self.controller.sim
        self.dashboard.rebuild(sim)
        self.node_view.set_simulation(sim, self.dashboard.master)
        self.why.set_simulation(sim)
        self.overlay.set_simulation(sim)
        self._sync_settings()

    def _on_tick(self) -> None:
        """Show the new data. While running, the work is spread over turns of the event loop:
        a tick refreshes one half of the charts (each half every CHART_PERIOD_S, so every chart
        more than ten times a second), or the canvas, node metrics and Why (every
        CANVAS_PERIOD_S), and the tick after a canvas refresh leaves the turn to its repaint.
        No single turn carries every repaint at once."""
        self._update_clock()
        if not self.controller.running:
            self.refresh_views()
            return
        if self._after_canvas:
            self._after_canvas = False
            return
        now = time.perf_counter()
        canvas_due = now - self._canvas_at >= CANVAS_PERIOD_S
        if not (canvas_due and now - self._canvas_at >= 2 * CANVAS_PERIOD_S):
            for g in (self._next_group, 1 - self._next_group):
                if now - self._group_at[g] >= CHART_PERIOD_S:
                    self.dashboard.refresh(group=g, groups=2)
                    self._group_at[g] = now
                    self._next_group = 1 - g
                    return
        if canvas_due:
            self._canvas_at = now
            self._after_canvas = True
            self.overlay.refresh()
            self.node_view.refresh()
            self.why.refresh()

    def refresh_views(self) -> None:
        self.dashboard.refresh()
        self.node_view.refresh()
        self.why.refresh(force=True)
        self.overlay.refresh()

    def _update_clock(self) -> None:
        sim = self.controller.sim
        if sim is None:
            self.clock.setText("–:–– / –:––")
            self.progress.setValue(0)
            return
        self.clock.setText(f"{fmt_clock(sim.now)} / {fmt_clock(sim.duration)}")
        self.progress.setValue(int(1000 * sim.now / sim.duration) if sim.duration else 0)

    def _on_state(self, _state: str) -> None:
        c = self.controller
        if not c.running:
            self.refresh_views()  # paused, finished or reset: everything shows the latest data
        text, colour = STATE_TEXT[c.state]
        if c.sim is None and c.problems:
            text, colour = "Cannot run", theme.ERROR
        self.state_label.setText(f"<span style='color:{colour}'>●</span> {text}")
        self.state_label.setToolTip("\n".join(c.problems[:8]))
        running = c.state == RunState.RUNNING
        self.act_run.setText("&Pause" if running else "&Run")
        self.act_run.setIcon(self.icon_pause if running else self.icon_run)
        self.act_run.setToolTip(("Pause" if running else "Run") + "  (F5)")
        self.act_run.setEnabled(running or c.can_run())
        self.act_step.setEnabled(c.can_run())
        self.stale_label.setText("⟳ Reset to run the edited design" if c.stale else "")
        self.stale_label.setToolTip(c.stale)
        self._update_clock()

    def _on_marked(self, t: float, label: str) -> None:
        self.dashboard.add_mark(t, label)
        self.node_view.add_mark(t, label, len(self.dashboard.marks))

    def _on_notice(self, message: str) -> None:
        self.window.statusBar().showMessage(message, 10000)

    def _on_document_changed(self) -> None:
        # An undoable edit emits `changed` from inside its command, before the undo stack has
        # moved; it is applied when the stack reports its new index (still inside the same
        # call, so no slice runs in between), with the command's text as the marker label.
        # Changes without a command (a new file) are applied on the next turn of the loop.
        self._pending_edit = True
        self._sync_settings()
        QTimer.singleShot(0, self._apply_pending_edit)

    def _on_undo_index(self, idx: int) -> None:
        stack = self.document.undo_stack
        if idx < self._undo_index:
            label = f"Undo {stack.text(idx)}"
        else:
            label = stack.text(idx - 1) if idx > 0 else "edit"
        self._undo_index = idx
        self._apply_pending_edit(label)

    def _apply_pending_edit(self, label: str = "edit") -> None:
        if self._pending_edit:
            self._pending_edit = False
            if self.controller.sim is not None and self.controller.sim.k:
                # Every chart takes the periods so far now, so limits drawn for them (reserved
                # concurrency, MaximumConcurrency) are the ones in force before the edit.
                self.dashboard.refresh()
            self.controller.design_changed(label)

    def _on_document_reset(self) -> None:
        self._undo_index = self.document.undo_stack.index()
        self._pending_edit = False
        self.controller.reset()

    def _on_selection(self) -> None:
        try:
            ids = self.window.scene.selected_node_ids()
        except RuntimeError:  # the scene is being torn down
            return
        if ids:
            self.node_view.show_node(ids[0])
            # While a run plays (or has ended) selecting a node is for watching it; paused or
            # not started, the inspector stays in front for editing.
            if self.controller.state in (RunState.RUNNING, RunState.FINISHED):
                self.metrics_dock.raise_()

    # --- screenshots and exports -----------------------------------------------------------------------------------
    def before_screenshot(self) -> None:
        """For `--screenshot --run-for S`: run S simulated seconds now, and show it everywhere."""
        seconds = getattr(self.window, "pending_run_for", None)
        c = self.controller
        if seconds and c.sim is not None:
            c.run_for(float(seconds))
        if self.node_view.node_id is None and c.sim is not None:
            fns = [n.id for n in c.sim.scenario.nodes if n.kind == "Function"]
            if fns:
                self.node_view.show_node(fns[0])
        self.dashboard_dock.raise_()
        self.metrics_dock.raise_()
        self.refresh_all()

    def refresh_all(self) -> None:
        """Bring every view up to date now, even hidden ones, and lay them out."""
        self.refresh_views()
        self._update_clock()
        self.node_view.refresh_now()
        QApplication.processEvents()

    def chart_images(self) -> list[tuple[str, bytes]]:
        """Every chart as (title, PNG), drawn at report size."""
        self.refresh_all()
        return [(self.dashboard.panels[key].spec.title, export.png_bytes(self.dashboard.render_chart(key)))
                for key in self.dashboard.order]

    def export_png(self, path: str | Path) -> Path:
        self.refresh_all()
        self.dashboard.clear_cursor()
        return export.export_png(self.dashboard.grid_host, path)

    def export_csv(self, path: str | Path) -> Path:
        if self.controller.sim is None:
            raise ValueError("nothing to export: the design cannot run")
        return export.export_csv(self.controller.sim, path)

    def export_report(self, path: str | Path) -> Path:
        if self.controller.sim is None:
            raise ValueError("nothing to export: the design cannot run")
        return export.export_html(self.controller.sim, path, self.chart_images(), self.dashboard.marks)

    def export_dialog(self, kind: str) -> None:
        if not getattr(self.window, "interactive", True):
            return
        name = (self.document.scenario.name or "run").strip().replace(" ", "-").lower()
        filters = {"png": "PNG image (*.png)", "csv": "CSV (*.csv)", "html": "HTML report (*.html)"}
        suffix = {"png": "-charts.png", "csv": "-series.csv", "html": "-report.html"}[kind]
        path, _ = QFileDialog.getSaveFileName(self.window, "Export", str(Path.home() / f"{name}{suffix}"),
                                              filters[kind])
        if not path:
            return
        try:
            out = {"png": self.export_png, "csv": self.export_csv, "html": self.export_report}[kind](path)
        except (OSError, ValueError) as e:
            self._on_notice(f"Export failed: {e}")
            return
        self._on_notice(f"Exported {out}")
