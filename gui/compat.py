"""A guard against a reference-counting bug of PySide6 6.12.0 on CPython 3.11.

Those bindings return `None` from void methods (`setText`, `update`, `setInterval` …) and
`True` from `Signal.emit()` without taking a reference, as if the objects were immortal (they
are from CPython 3.12 on). Each call then steals one reference; after a few thousand calls the
interpreter aborts with "none_dealloc" or "bool_dealloc". A live run makes such calls on every
refresh, so it would bring the app down within seconds. PySide6 6.11.3 does not have the bug.

`protect_singletons()` detects the leak by behaviour and gives None, True and False the huge
reference count they have on 3.12 — they are static objects, never freed either way.
The proper fix is a dependency pin (PySide6-Essentials != 6.12.0) or a newer PySide6.
"""

from __future__ import annotations

import ctypes
import sys

IMMORTAL = 1 << 60
_done = False


def leaks_none() -> bool:
    """True when a void PySide6 call steals a reference to None."""
    from PySide6.QtCore import QObject

    obj = QObject()
    before = sys.getrefcount(None)
    for _ in range(32):
        obj.setObjectName("probe")
    return sys.getrefcount(None) <= before - 32


def protect_singletons() -> bool:
    """Make None, True and False effectively immortal when (and only when) the bug is present.

    Returns True when the guard was applied. Safe to call many times.
    """
    global _done
    if _done:
        return True
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython" or not leaks_none():
        return False
    for obj in (None, True, False):
        refcnt = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field of PyObject
        if refcnt.value < IMMORTAL:
            refcnt.value = IMMORTAL
    _done = True
    return True
