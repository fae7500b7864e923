"""Starting the desktop app: `run_app(file, screenshot, run_for)` and the `triggerscope` GUI
command line (`python -m gui [FILE] [--screenshot OUT.png]`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication

from core.model import ScenarioError, load
from gui import examples, theme
from gui.main_window import MainWindow, describe_error, read_design

APP_NAME = "Triggerscope"
SCREENSHOT_SIZE = (1440, 900)


def _application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        QCoreApplication.setOrganizationName(APP_NAME)
        QCoreApplication.setApplicationName(APP_NAME)
        app = QApplication(sys.argv[:1])
    theme.apply_theme(app)
    return app


def open_window(file: str | None = None, interactive: bool = True, extensions: bool = True,
                run_for: float | None = None) -> MainWindow:
    """A window on `file`, or on the bundled example (an empty design when there is none),
    with the live-run and what-if panels attached unless `extensions` is False.

    Raises ScenarioError when `file` cannot be opened.
    """
    _application()
    window = MainWindow()
    window.interactive = interactive
    window.pending_run_for = run_for
    if file is not None:
        sc, imported, _report = read_design(file)  # raises ScenarioError: the caller reports it
        if imported:
            window.document.load_scenario(sc, None, origin="template")
            window.document.undo_stack.resetClean()
        else:
            window.document.load_scenario(sc, str(Path(file).resolve()))
        window._update_title()
        from gui import settings

        settings.add_recent(file)
    else:
        ex = examples.preferred_example()
        opened = False
        for candidate in ([ex] if ex else []) + [e.path for e in examples.list_examples() if e.path != ex]:
            try:
                window.document.load_scenario(load(candidate), None, origin="example")
                opened = True
                break
            except ScenarioError:
                continue
        if not opened:
            window.document.new()
        window._update_title()
    if extensions:
        window.install_extensions()
    return window


def run_app(file: str | None = None, screenshot: str | None = None, run_for: float | None = None) -> int:
    """Open the main window on `file` (or the bundled example) and run the event loop; with
    `screenshot`, render the window to that PNG and return instead. Non-zero when `file`
    cannot be opened (the reasons, with JSON paths, go to stderr)."""
    app = _application()
    try:
        window = open_window(file, interactive=screenshot is None, run_for=run_for)
    except ScenarioError as e:
        print(f"triggerscope: cannot open {file}:\n{describe_error(e)}", file=sys.stderr)
        return 1
    window.resize(*SCREENSHOT_SIZE)
    window.show()
    if screenshot is not None:
        for _ in range(3):
            app.processEvents()
        window.view.fit_to_view()
        window.validate_now()
        app.processEvents()
        window.before_screenshot()
        app.processEvents()
        out = Path(screenshot)
        if out.parent and not out.parent.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
        ok = window.grab().save(str(out), "PNG")
        window.interactive = False
        window.document.undo_stack.setClean()  # nothing to ask about on the way out
        window.close()
        window.deleteLater()
        if not ok:
            print(f"triggerscope: cannot write {out}", file=sys.stderr)
            return 1
        return 0
    QTimer.singleShot(0, lambda: (window.view.fit_to_view(), window.offer_recovery()))
    return app.exec()


def main(argv: list[str] | None = None) -> int:
    """`triggerscope [FILE] [--screenshot OUT.png] [--run-for SECONDS]` (the desktop app)."""
    p = argparse.ArgumentParser(prog="triggerscope", description="Triggerscope desktop app")
    p.add_argument("file", nargs="?", help="scenario file to open")
    p.add_argument("--screenshot", metavar="OUT.png", help="render the window to a PNG and exit")
    p.add_argument("--run-for", type=float, metavar="SECONDS", help="start a live run of this length")
    args = p.parse_args(argv)
    return run_app(args.file, screenshot=args.screenshot, run_for=args.run_for)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
