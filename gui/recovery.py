"""Crash recovery: every minute a window with unsaved changes writes its scenario to a recovery
file; a clean close or a save removes it. On the next start, files left by a process that is no
longer running are offered for restore.

A recovery file is JSON: {"format": "triggerscope-recovery/1", "pid", "path", "saved_at",
"scenario": <the scenario file's content>}. It is written atomically like a saved design.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from core.model import Scenario, ScenarioError, from_dict
from gui.settings import config_dir

FORMAT = "triggerscope-recovery/1"
INTERVAL_MS = 60_000
_LIVE: set[str] = set()  # recovery files owned by windows of this process


def recovery_dir() -> Path:
    d = config_dir() / "recovery"
    d.mkdir(parents=True, exist_ok=True)
    return d


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class Autosaver:
    """One window's recovery file."""

    def __init__(self) -> None:
        self.path = recovery_dir() / f"autosave-{os.getpid()}-{uuid.uuid4().hex[:8]}.json"
        _LIVE.add(str(self.path))

    def write(self, scenario: Scenario, original_path: str | None) -> Path:
        data = {"format": FORMAT, "pid": os.getpid(), "path": original_path,
                "saved_at": time.strftime("%Y-%m-%d %H:%M:%S"), "scenario": scenario.to_dict()}
        tmp = self.path.with_name(f".{self.path.name}.tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        tmp.replace(self.path)
        return self.path

    def discard(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass

    def close(self) -> None:
        """The window closed normally: no recovery needed."""
        self.discard()
        _LIVE.discard(str(self.path))

    def abandon(self) -> None:
        """Forget the file without deleting it: what a crash does (used by tests)."""
        _LIVE.discard(str(self.path))


@dataclass
class Recovered:
    file: Path
    original_path: str | None
    saved_at: str
    scenario: Scenario

    @property
    def title(self) -> str:
        return Path(self.original_path).name if self.original_path else (self.scenario.name or "Untitled")


def pending() -> list[Recovered]:
    """Recovery files whose window is gone (its process ended, or it crashed in this one)."""
    out = []
    for f in sorted(recovery_dir().glob("autosave-*.json")):
        if str(f) in _LIVE:
            continue
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                continue
            pid = int(data.get("pid", 0))
            if pid != os.getpid() and pid_alive(pid):
                continue  # another running Triggerscope owns it
            sc = from_dict(data["scenario"], str(f))
        except (OSError, ValueError, KeyError, TypeError, ScenarioError):
            continue
        if data.get("path"):
            sc.base_dir = str(Path(data["path"]).parent)
        out.append(Recovered(f, data.get("path"), str(data.get("saved_at", "")), sc))
    return out


def discard(rec: Recovered) -> None:
    try:
        rec.file.unlink()
    except FileNotFoundError:
        pass
