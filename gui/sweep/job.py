"""Background work for the what-if tools: one QThread per job, progress and results as Qt
signals (queued to the GUI thread), cancellation through a threading.Event.

While a job runs, Python's cyclic garbage collector is switched off and run from a GUI
thread timer instead (pyqtgraph's GarbageCollector approach): a collection triggered in
the worker thread could otherwise destroy Qt objects off the GUI thread, which crashes.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QThread, QTimer, Signal, Slot

COLLECT_MS = 500


class _GuiThreadGC:
    """Reference-counted: automatic GC is off while any job runs; a timer collects instead."""

    def __init__(self) -> None:
        self.holds = 0
        self.was_enabled = True
        self.timer: QTimer | None = None

    def hold(self) -> None:
        if self.holds == 0:
            self.was_enabled = gc.isenabled()
            gc.disable()
            if self.timer is None:
                self.timer = QTimer()
                self.timer.setInterval(COLLECT_MS)
                self.timer.timeout.connect(self.collect)
            self.timer.start()
        self.holds += 1

    def release(self) -> None:
        self.holds = max(0, self.holds - 1)
        if self.holds == 0:
            if self.timer is not None:
                self.timer.stop()
            if self.was_enabled:
                gc.enable()
            gc.collect()

    @staticmethod
    def collect() -> None:
        # Collect the generations whose thresholds are exceeded, as the automatic GC would.
        counts, limits = gc.get_count(), gc.get_threshold()
        for gen in (2, 1, 0):
            if counts[gen] > limits[gen]:
                gc.collect(gen)
                break


_GC = _GuiThreadGC()


class Job(QThread):
    """Runs `work(report, cancel)` off the GUI thread. `report(obj)` emits `progress`;
    the return value arrives in `succeeded`, an exception's message in `failed`."""

    progress = Signal(object)
    succeeded = Signal(object)
    failed = Signal(str)

    def __init__(self, work: Callable[[Callable[[Any], None], threading.Event], Any], parent=None):
        super().__init__(parent)
        self._work = work
        self._held = False
        self.cancel_event = threading.Event()
        self.finished.connect(self._release)

    def start(self, *args) -> None:  # GUI thread
        if not self._held:
            _GC.hold()
            self._held = True
        super().start(*args)

    @Slot()
    def _release(self) -> None:  # GUI thread (queued from the worker's `finished`)
        if self._held:
            self._held = False
            _GC.release()

    def cancel(self) -> None:
        self.cancel_event.set()

    def run(self) -> None:  # in the worker thread
        try:
            result = self._work(self.progress.emit, self.cancel_event)
        except Exception as e:  # shown to the user; the GUI must never die with the job
            from core.model import ScenarioError

            if isinstance(e, ScenarioError):
                msg = (f"{e.source}: " if e.source else "") + "; ".join(f"{p}: {m}" for p, m in e.problems)
            else:
                msg = str(e) or type(e).__name__
            self.failed.emit(msg)
            return
        self.succeeded.emit(result)

    def stop(self, wait_ms: int = 30000) -> None:
        """Cancel and wait for the thread (used when a panel or the app closes)."""
        self.cancel()
        if self.isRunning():
            self.wait(wait_ms)
        self._release()


class JobHost:
    """What the sweep panel, the compare view and the capacity finder share about their
    background job: cancel it, stop it when the window goes, and show an error."""

    job: Job | None = None

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()

    def shutdown(self) -> None:
        if self.job is not None:
            self.job.stop()

    def _error(self, msg: str) -> None:
        from gui import theme

        self.status.setStyleSheet(f"color: {theme.ERROR};")
        self.status.setText(msg)
