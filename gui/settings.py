"""Per-user settings (recent files, view toggles) in an INI file under the config directory.

`TRIGGERSCOPE_CONFIG_DIR` overrides the location (tests, portable installs).
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

MAX_RECENT = 10


def config_dir() -> Path:
    env = os.environ.get("TRIGGERSCOPE_CONFIG_DIR")
    if env:
        p = Path(env)
    else:
        base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
        p = Path(base or Path.home() / ".config") / "triggerscope"
    p.mkdir(parents=True, exist_ok=True)
    return p


def settings() -> QSettings:
    return QSettings(str(config_dir() / "triggerscope.ini"), QSettings.Format.IniFormat)


def recent_files() -> list[str]:
    value = settings().value("recent", [])
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in (value or []) if v]


def add_recent(path: str) -> None:
    path = str(Path(path).resolve())
    items = [p for p in recent_files() if p != path]
    items.insert(0, path)
    s = settings()
    s.setValue("recent", items[:MAX_RECENT])
    s.sync()


def remove_recent(path: str) -> None:
    s = settings()
    s.setValue("recent", [p for p in recent_files() if p != path])
    s.sync()


def get_bool(key: str, default: bool) -> bool:
    v = settings().value(key, default)
    if isinstance(v, str):
        return v.lower() in ("1", "true", "yes")
    return bool(v)


def set_value(key: str, value) -> None:
    s = settings()
    s.setValue(key, value)
    s.sync()
