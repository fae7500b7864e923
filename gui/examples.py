"""The bundled examples in `assets/examples/`: what File → Examples lists and the first start opens."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "assets" / "examples"


@dataclass(frozen=True)
class Example:
    path: Path
    name: str
    description: str


def list_examples(folder: Path | None = None) -> list[Example]:
    """Every readable example with its scenario `name` and `description` (bad files skipped)."""
    folder = folder or EXAMPLES_DIR
    out = []
    for p in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            continue
        out.append(Example(p, str(data.get("name") or p.stem), str(data.get("description") or "")))
    return out


def preferred_example(folder: Path | None = None) -> Path | None:
    """The example the first start opens: one whose file name starts with "s3", else the first."""
    paths = sorted((folder or EXAMPLES_DIR).glob("*.json")) if (folder or EXAMPLES_DIR).is_dir() else []
    for p in paths:
        if p.name.lower().startswith("s3"):
            return p
    return paths[0] if paths else None
