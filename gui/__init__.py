"""Triggerscope's desktop app (PySide6): a thin shell over `core`, which stays Qt-free.

`gui.app.run_app` starts it; `gui.main_window.MainWindow` is the window; the document
(`gui.document`) holds the scenario and its undo stack; `gui.canvas` draws it.
"""

from __future__ import annotations

import sys


def _guard_none_refcount() -> bool:
    """Work around PySide6 builds that treat None as immortal on CPython < 3.12.

    Such builds (seen with PySide6 6.12.0 on Python 3.11) return None from every void Qt
    method without taking a reference, so each `painter.setPen(...)` lowers None's refcount
    by one. From ~5,000 at start-up it reaches zero after a few seconds of painting and the
    interpreter aborts ("Fatal Python error: none_dealloc"). When a probe shows the leak, give
    None a refcount no session can drain (None is never freed anyway). Returns True if applied.
    """
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False  # None is immortal there: nothing can drain it
    from PySide6.QtCore import QPoint

    probe = QPoint()
    before = sys.getrefcount(None)
    for _ in range(16):
        probe.setX(0)
    if sys.getrefcount(None) > before - 16:
        return False
    import ctypes

    refcnt = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt is the first field
    if refcnt.value < 1 << 50:
        refcnt.value += 1 << 60
    return True


NONE_REFCOUNT_GUARD = _guard_none_refcount()
