"""core/ never imports Qt: it must run headless, in the CLI and in sweep workers."""

import ast
import pathlib
import subprocess
import sys

CORE = pathlib.Path(__file__).resolve().parents[2] / "core"
QT = ("PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6")


def test_no_core_module_imports_qt():
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for n in ast.walk(tree):
            names = []
            if isinstance(n, ast.Import):
                names = [a.name for a in n.names]
            elif isinstance(n, ast.ImportFrom) and n.module:
                names = [n.module]
            for name in names:
                assert not name.startswith(QT), f"{path.relative_to(CORE.parent)} imports {name}"


def test_a_headless_run_loads_no_qt_module():
    code = ("import sys, json; from core.cli import main; "
            "import core.engine.simulation, core.sweep, core.filters, core.validate; "
            "bad=[m for m in sys.modules if m.startswith(('PySide6','pyqtgraph','shiboken6'))]; "
            "print(json.dumps(bad))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
