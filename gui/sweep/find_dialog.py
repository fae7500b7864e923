"""The capacity finder from the app: the smallest value of a field that meets every goal,
found by bisection with replications in the background; the answer can be applied to the
design as one undoable step."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core import model
from core.model import ScenarioError
from core.sweep import FindResult, Probe, find_capacity, find_text, parse_goal, parse_vary
from gui import theme
from gui.sweep.job import Job, JobHost
from gui.sweep.widgets import (
    MetricCombo,
    ParamPicker,
    duration_box,
    duration_of,
    replications_box,
    workers_box,
)


class FindCapacityDialog(QDialog, JobHost):
    """Vary one field between LOW and HIGH; goals are `METRIC OP VALUE`, one per line."""

    finished_search = Signal(object)  # the FindResult

    def __init__(self, document, selected_node: Callable[[], str | None] | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Find capacity")
        self.setModal(False)
        self.document = document
        self.selected_node = selected_node
        self.job: Job | None = None
        self.found: FindResult | None = None
        self._busy = False

        self.param = ParamPicker("range")
        self.param.changed.connect(self._suggest_bounds)
        self.low = QLineEdit()
        self.high = QLineEdit()
        self.goals = QPlainTextEdit()
        self.goals.setPlaceholderText("one goal per line, e.g.\nworker.Throttles.sum == 0\n"
                                      "orders.ApproximateAgeOfOldestMessage.max < 60")
        self.goals.setMaximumHeight(90)
        self.goal_metric = MetricCombo()
        self.goal_op = QComboBox()
        self.goal_op.addItems(["<", "<=", "==", ">=", ">"])
        self.goal_value = QLineEdit("0")
        self.goal_value.setMaximumWidth(80)
        add_goal = QPushButton("Add goal")
        add_goal.clicked.connect(self.add_goal)
        self.replications = replications_box(3)
        self.workers = workers_box()
        self.duration = duration_box()
        self.find_button = QPushButton("Find")
        self.find_button.setDefault(True)
        self.find_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.apply_button = QPushButton("Apply to design")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply_answer)
        self.probes = QListWidget()
        self.probes.setMaximumHeight(110)
        self.answer = QPlainTextEdit()
        self.answer.setReadOnly(True)
        self.status = QLabel("")
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Vary", self.param)
        bounds = QHBoxLayout()
        bounds.addWidget(QLabel("from"))
        bounds.addWidget(self.low)
        bounds.addWidget(QLabel("to"))
        bounds.addWidget(self.high)
        form.addRow("Range", bounds)
        form.addRow("Goals", self.goals)
        helper = QHBoxLayout()
        helper.addWidget(self.goal_metric, 1)
        helper.addWidget(self.goal_op)
        helper.addWidget(self.goal_value)
        helper.addWidget(add_goal)
        form.addRow("", helper)
        opts = QHBoxLayout()
        for label, w in (("Replications", self.replications), ("Workers", self.workers),
                         ("Duration", self.duration)):
            opts.addWidget(QLabel(label))
            opts.addWidget(w)
        opts.addStretch(1)
        form.addRow(opts)
        buttons = QHBoxLayout()
        buttons.addWidget(self.find_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addLayout(buttons)
        lay.addWidget(self.status)
        lay.addWidget(QLabel("Values tried"))
        lay.addWidget(self.probes)
        lay.addWidget(self.answer, 1)
        self.resize(640, 620)

        document.changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        sc = self.document.scenario
        self.param.set_scenario(sc)
        self.goal_metric.set_scenario(sc, prefer=(".Throttles.sum",))

    def focus_node(self, node_id: str | None) -> None:
        self.param.select_target(node_id)

    def _suggest_bounds(self) -> None:
        """From the field's minimum (at least 1 for counts) to four times its current value."""
        c = self.param.choice()
        if c is None or self.running:
            return
        lo = c.min if c.min is not None else 0
        if c.integer:
            lo = max(1, int(lo))
        hi = max((c.current or 1) * 4, lo + 1)
        if c.max is not None:
            hi = min(hi, c.max)
        self.low.setText(f"{lo:g}")
        self.high.setText(f"{int(hi) if c.integer else hi:g}")

    def add_goal(self) -> None:
        text = f"{self.goal_metric.key()} {self.goal_op.currentText()} {self.goal_value.text().strip()}"
        try:
            parse_goal(text)
        except ValueError as e:
            self._error(str(e))
            return
        body = self.goals.toPlainText().rstrip()
        self.goals.setPlainText((body + "\n" if body else "") + text)

    def goal_lines(self) -> list[str]:
        return [ln.strip() for ln in self.goals.toPlainText().splitlines() if ln.strip()]

    # --- running ----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._busy

    def run(self) -> bool:
        if self.running:
            return False
        try:
            path, low, high = parse_vary(f"{self.param.path()}={self.low.text().strip()}:{self.high.text().strip()}")
            goals = [parse_goal(g) for g in self.goal_lines()]
            if not goals:
                raise ValueError("add at least one goal")
        except ValueError as e:
            self._error(str(e))
            return False
        base = self.document.scenario.model_copy(deep=True)
        reps, workers, duration = self.replications.value(), self.workers.value(), duration_of(self.duration)

        def work(report, cancel):
            return find_capacity(base, path, low, high, goals, reps, workers=workers,
                                 duration=duration, on_probe=report, cancel=cancel)

        self.found = None
        self.probes.clear()
        self.answer.clear()
        self.apply_button.setEnabled(False)
        if self.job is not None:
            self.job.wait()
        self.job = Job(work, self)
        self.job.progress.connect(self._on_probe)
        self.job.succeeded.connect(self._on_done)
        self.job.failed.connect(self._on_failed)
        self._busy = True
        self.find_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setStyleSheet(f"color: {theme.TEXT_MUTED};")
        self.status.setText(f"Searching {path} in [{low}, {high}] with {reps} replications…")
        self.job.start()
        return True

    def closeEvent(self, ev):  # noqa: N802 - Qt naming
        self.cancel()
        super().closeEvent(ev)

    def _on_probe(self, p: Probe) -> None:
        self.probes.addItem(f"{p.value}: {'meets every goal' if p.met else 'misses a goal'}")

    def _on_done(self, res: FindResult) -> None:
        self._idle()
        self.found = res
        self.answer.setPlainText(find_text(res))
        if res.cancelled:
            self.status.setText("Cancelled.")
        elif res.value is None:
            self._error(f"No value in [{res.low}, {res.high}] meets every goal: widen the range.")
        else:
            self.status.setText(f"Smallest value meeting every goal: {res.value}.")
            self.apply_button.setEnabled(True)
            self.apply_button.setText(f"Apply {res.value} to design")
            self.layout().activate()  # the button grows with its new text
        self.finished_search.emit(res)

    def _on_failed(self, msg: str) -> None:
        self._idle()
        self._error(msg)

    def _idle(self) -> None:
        self._busy = False
        self.find_button.setEnabled(True)
        self.cancel_button.setEnabled(False)

    def apply_answer(self) -> bool:
        """Set the found value on the current design (one undoable step)."""
        res = self.found
        if res is None or res.value is None:
            return False
        try:
            sc = model.apply_set(self.document.scenario, res.parameter, res.value)
        except ScenarioError as e:
            self._error("; ".join(f"{p}: {m}" for p, m in e.problems))
            return False
        self.document.apply_scenario(sc, f"Set {res.parameter} = {res.value} (capacity finder)")
        self.status.setText(f"Applied {res.parameter} = {res.value} to the design.")
        return True
