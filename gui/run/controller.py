"""The live run: owns the Simulation and advances it in wall-time slices on the GUI event loop.

A zero-interval QTimer calls `advance_for` with a budget of a few milliseconds, so the window
never freezes however heavy the design. `TICK_HZ` times a second it emits `tick`, on which the
views read the newly flushed metric periods; the views spread their work over consecutive ticks
(see `gui.run.panel`), and the time refreshing and repainting took is taken out of the next
slice's budget, so one turn of the event loop stays near `SLICE_S`. Edits made while paused (or between slices) are applied from the
current simulated time with `Simulation.update`; a graph change needs a reset.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from enum import StrEnum

from PySide6.QtCore import QObject, QTimer, Signal

from core import validate
from core.engine.simulation import Simulation
from core.model import Scenario
from gui.compat import protect_singletons

SLICE_S = 0.020  # wall time per event-loop turn for simulating, refreshing and painting
MIN_SLICE_S = 0.001
TICK_HZ = 50.0
PACED_INTERVAL_MS = 10
CHUNK = 40  # kernel events between wall-clock checks inside a slice (~1 ms on heavy designs)
FREEZE_S = 1.0  # while running, move surviving objects out of the garbage collector's sight this often


class RunState(StrEnum):
    READY = "ready"  # built and at t = 0
    RUNNING = "running"
    PAUSED = "paused"
    FINISHED = "finished"


# Label → simulated seconds per wall second (None: as fast as possible).
SPEEDS: list[tuple[str, float | None]] = [("1×", 1.0), ("10×", 10.0), ("100×", 100.0), ("Max", None)]


def _sim_key(sc: Scenario) -> dict:
    """What the engine reads from a scenario (positions, names and descriptions do not matter)."""
    return {
        "nodes": [(n.id, n.kind, n.properties, n.behavior) for n in sc.nodes],
        "edges": [(e.source, e.target, e.role, e.properties) for e in sc.edges],
        "workloads": [w.model_dump(mode="json") for w in sc.workloads],
        "account": sc.account.model_dump(mode="json"),
        "simulation": sc.simulation.model_dump(mode="json"),
    }


def _same(a, b) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


class RunController(QObject):
    """Run / Pause / Step / Reset over one Simulation of the current design.

    `scenario_source()` returns a private copy of the current design (the document's snapshot).
    """

    tick = Signal()  # new data to show (TICK_HZ per second while running)
    state_changed = Signal(str)
    finished = Signal()
    rebuilt = Signal()  # a new Simulation exists: views recreate their items
    marked = Signal(float, str)  # an edit was applied at simulated time t
    notice = Signal(str)  # something the user should know (a reset is needed, …)

    def __init__(self, scenario_source: Callable[[], Scenario], parent: QObject | None = None):
        super().__init__(parent)
        protect_singletons()  # PySide6 6.12.0 on CPython 3.11 would crash a live run (compat.py)
        self._source = scenario_source
        self.sim: Simulation | None = None
        self.state = RunState.READY
        self.speed: float | None = None
        self.stale = ""  # why the design on screen differs from the one running ("" when it does not)
        self.problems: list[str] = []  # validation errors that keep the design from running
        self.slice_s = SLICE_S
        self.refresh_interval = 1.0 / TICK_HZ
        self.refresh_count = 0  # ticks emitted (for diagnostics)
        self._step_until: float | None = None
        self._anchor_wall = 0.0
        self._anchor_sim = 0.0
        self._last_refresh = 0.0
        self._pump_end = 0.0
        self._frozen_at = 0.0
        self._overshoot = 0.0  # how far slices usually run past their budget (seconds)
        self._timer = QTimer(self)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._pump)
        self.reset()

    # --- commands ----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.state == RunState.RUNNING

    def can_run(self) -> bool:
        return self.sim is not None and not self.sim.finished

    def run(self) -> None:
        """Start or resume at the current speed."""
        if not self.can_run():
            if self.problems:
                self.notice.emit("The design has problems: " + "; ".join(self.problems[:3]))
            return
        self._step_until = None
        self._reanchor()
        self._pump_end = 0.0
        self._timer.setInterval(0 if self.speed is None else PACED_INTERVAL_MS)
        self._timer.start()
        self._set_state(RunState.RUNNING)

    def pause(self) -> None:
        if self.state != RunState.RUNNING:
            return
        self._timer.stop()
        self._step_until = None
        self._refresh()
        self._set_state(RunState.PAUSED)

    def toggle(self) -> None:
        if self.state == RunState.RUNNING:
            self.pause()
        else:
            self.run()

    def step(self) -> None:
        """Advance to the end of the current metric period, then pause."""
        if self.state == RunState.RUNNING:
            self.pause()
        if not self.can_run():
            return
        sim = self.sim
        self._step_until = min((sim.k + 1) * sim.period, sim.duration)
        self._timer.setInterval(0)
        self._timer.start()
        self._set_state(RunState.RUNNING)

    def reset(self) -> None:
        """A new Simulation of the current design at t = 0 (same seed → the same run)."""
        self._timer.stop()
        self._step_until = None
        self.stale = ""
        sc = self._source()
        errs = validate.errors(sc)
        self.problems = [f"{p.path}: {p.message}" for p in errs]
        self.sim = None
        if not errs:
            try:
                self.sim = Simulation(sc, track_cost=True)
            except ValueError as e:
                self.problems = [str(e)]
        self._set_state(RunState.READY, force=True)
        self.rebuilt.emit()
        self._refresh()

    def set_speed(self, speed: float | None) -> None:
        self.speed = speed
        self._reanchor()
        if self.state == RunState.RUNNING and self._step_until is None:
            self._timer.setInterval(0 if speed is None else PACED_INTERVAL_MS)

    def run_for(self, seconds: float) -> None:
        """Simulate `seconds` more synchronously (screenshots, scripts, tests), then show it."""
        if self.sim is None:
            return
        was_running = self.state == RunState.RUNNING
        self.sim.advance(self.sim.now + seconds)
        self._refresh()
        if self.sim.finished:
            self._finish()
        elif not was_running:
            self._set_state(RunState.PAUSED)

    def run_to_end(self) -> None:
        if self.sim is not None:
            self.run_for(self.sim.duration - self.sim.now)

    # --- edits -----------------------------------------------------------------------------------
    def design_changed(self, label: str = "edit") -> None:
        """The document changed: rebuild at t = 0, apply property edits mid-run, or flag a reset."""
        sc = self._source()
        sim = self.sim
        if sim is None:
            self.reset()
            return
        old, new = _sim_key(sim.scenario), _sim_key(sc)
        if _same(old, new):
            if self.stale:  # e.g. the graph change was undone: the run matches the design again
                self.stale = ""
                self.state_changed.emit(self.state.value)
            return
        if self.state == RunState.READY and sim.now == 0.0:
            self.reset()
            return
        if self.state == RunState.FINISHED:
            self._flag_stale("The design changed after the run ended: Reset (Ctrl+R) to run it.")
            return
        if validate.errors(sc):
            self._flag_stale("The edited design has problems; fix them, then Reset to run it.")
            return
        self._refresh()  # periods before the edit keep the old limits on the charts
        try:
            sim.update(sc, label)
        except ValueError:
            self._flag_stale("Nodes or edges changed: Reset (Ctrl+R) to run the new graph.")
            return
        later = [k for k in ("workloads", "account", "simulation") if not _same(old[k], new[k])]
        if not _same(old["edges"], new["edges"]):
            later.append("edge properties")
        self.stale = ""
        self.marked.emit(sim.now, label)
        self._refresh()
        if later:
            self.notice.emit(f"Applied from {sim.now:g} s; changes to {', '.join(later)} apply on Reset.")
        else:
            self.notice.emit(f"Applied “{label}” from t = {sim.now:g} s.")

    def _flag_stale(self, message: str) -> None:
        self.stale = message
        self.notice.emit(message)
        self.state_changed.emit(self.state.value)

    # --- the slice loop ------------------------------------------------------------------------------
    def _reanchor(self) -> None:
        self._anchor_wall = time.perf_counter()
        self._anchor_sim = self.sim.now if self.sim is not None else 0.0

    def _target(self) -> float:
        sim = self.sim
        if self._step_until is not None:
            return self._step_until
        if self.speed is None:
            return sim.duration
        target = self._anchor_sim + (time.perf_counter() - self._anchor_wall) * self.speed
        lag = target - sim.now
        if lag > self.speed * 0.5:  # the engine cannot keep up: do not bank a catch-up burst
            self._anchor_sim = sim.now + self.speed * 0.5
            self._anchor_wall = time.perf_counter()
            target = self._anchor_sim
        return min(target, sim.duration)

    def _pump(self) -> None:
        sim = self.sim
        if sim is None:
            self._timer.stop()
            return
        t0 = time.perf_counter()
        if t0 - self._frozen_at >= FREEZE_S:
            # A run keeps a growing population of live objects (messages waiting in queues,
            # sampled journeys); full collections over it take 50–100 ms and would stall the
            # window. Frozen objects are still freed by reference counting; unfreeze() on
            # pause and reset hands them back to the collector.
            gc.freeze()
            self._frozen_at = t0
        # Time the loop spent elsewhere since the last slice (mostly repainting the charts and
        # the canvas) comes out of this slice, so one turn of the loop stays near `slice_s`.
        elsewhere = t0 - self._pump_end - self._timer.interval() / 1000.0 if self._pump_end else 0.0
        if t0 - self._last_refresh >= self.refresh_interval:
            self._refresh()
        spent = time.perf_counter() - t0
        budget = self.slice_s - spent - min(max(elsewhere, 0.0), self.slice_s)
        # Single engine events can be heavy (a poller starting twenty batches at once): plan
        # for the usual overshoot past the deadline too.
        budget = max(MIN_SLICE_S, budget - self._overshoot)
        until = self._target()
        if sim.now < until:
            t1 = time.perf_counter()
            sim.advance_for(budget, until=until, chunk=CHUNK)
            over = max(0.0, time.perf_counter() - t1 - budget)
            self._overshoot = 0.8 * self._overshoot + 0.2 * min(over, self.slice_s / 2)
        if sim.finished:
            self._finish()
        elif self._step_until is not None and sim.now >= self._step_until:
            self._timer.stop()
            self._step_until = None
            self._refresh()
            self._set_state(RunState.PAUSED)
        self._pump_end = time.perf_counter()

    def _refresh(self) -> None:
        self._last_refresh = time.perf_counter()
        self.refresh_count += 1
        self.tick.emit()

    def _finish(self) -> None:
        self._timer.stop()
        self._step_until = None
        self._refresh()
        if self.state != RunState.FINISHED:
            self._set_state(RunState.FINISHED)
            self.finished.emit()

    def _set_state(self, state: RunState, force: bool = False) -> None:
        if state != RunState.RUNNING:
            gc.unfreeze()
            self._frozen_at = 0.0
        if state != self.state or force:
            self.state = state
            self.state_changed.emit(state.value)
