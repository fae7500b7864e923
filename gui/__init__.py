"""Triggerscope's desktop app (PySide6): a thin shell over `core`, which stays Qt-free.

`gui.app.run_app` starts it; `gui.main_window.MainWindow` is the window; the document
(`gui.document`) holds the scenario and its undo stack; `gui.canvas` draws it.
"""

from __future__ import annotations


def _guard_singletons() -> bool:
    """Apply gui.compat's guard against PySide6 6.12.0's reference-count leak on CPython 3.11
    before any window paints (every void Qt call would otherwise steal a reference to None)."""
    from gui.compat import protect_singletons

    return protect_singletons()


NONE_REFCOUNT_GUARD = _guard_singletons()
