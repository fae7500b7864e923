"""The `triggerscope` command (SPEC §2): the app with no command, headless commands otherwise.

Exit codes: 0 success, 1 invalid input (a clear message, never a traceback), 2 usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

COMMANDS = ("run", "validate", "sweep", "find", "import", "export", "test-pattern")


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse exits 2 on usage errors, as the SPEC wants
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        sys.exit(2)


def _fail(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 1


def _load(path: str, sets: list[str] | None = None, check: bool = True):
    """Load, apply --set, validate; raise ScenarioError for anything wrong."""
    from core import model, validate

    sc = model.load(path)
    if sets:
        sc = model.apply_sets(sc, sets)
    if check:
        errs = validate.errors(sc)
        if errs:
            raise model.ScenarioError([(p.path, p.message) for p in errs], path)
    return sc


def _print_problems(e, stream=None) -> None:
    stream = stream or sys.stderr
    if e.source:
        print(f"{e.source}: invalid scenario", file=stream)
    for path, msg in e.problems:
        print(f"  {path}: {msg}", file=stream)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="triggerscope", description="Design and stress-test AWS Lambda event-trigger flows.")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    r = sub.add_parser("run", help="run a scenario headless")
    r.add_argument("file")
    r.add_argument("--duration", type=float, help="simulated seconds (overrides the scenario)")
    r.add_argument("--seed", type=int, help="random seed (overrides the scenario)")
    r.add_argument("--set", action="append", default=[], metavar="NODE.PATH=VALUE",
                   help="override a value, e.g. worker.properties.ReservedConcurrentExecutions=50")
    r.add_argument("--json", action="store_true", help="print the JSON summary")
    r.add_argument("--csv", metavar="DIR", help="write one CSV of time series per node")
    r.add_argument("--journeys", action="store_true", help="include sample event journeys in --json")

    v = sub.add_parser("validate", help="check a scenario file")
    v.add_argument("file")
    v.add_argument("--warnings", action="store_true", help="also print design warnings")

    s = sub.add_parser("sweep", help="what-if grid over parameters")
    s.add_argument("file")
    s.add_argument("--set", action="append", default=[], metavar="NODE.PATH=V1,V2,…|START:STOP:STEP")
    s.add_argument("--replications", type=int, default=1)
    s.add_argument("--workers", type=int, default=None)
    s.add_argument("--scheduler", metavar="ADDRESS")
    s.add_argument("--duration", type=float)
    s.add_argument("--seed", type=int)
    s.add_argument("--metric", action="append", default=[], help="metric keys to report (NODE.METRIC.STAT)")
    s.add_argument("--json", action="store_true")
    s.add_argument("--csv", metavar="FILE")

    f = sub.add_parser("find", help="smallest value of a parameter that meets every goal")
    f.add_argument("file")
    f.add_argument("--vary", required=True, metavar="NODE.PATH=LOW:HIGH")
    f.add_argument("--goal", action="append", required=True, metavar="'METRIC OP VALUE'")
    f.add_argument("--replications", type=int, default=3)
    f.add_argument("--workers", type=int, default=None)
    f.add_argument("--scheduler", metavar="ADDRESS")
    f.add_argument("--duration", type=float)
    f.add_argument("--seed", type=int)
    f.add_argument("--set", action="append", default=[], metavar="NODE.PATH=VALUE")
    f.add_argument("--json", action="store_true")

    i = sub.add_parser("import", help="SAM/CloudFormation template → scenario")
    i.add_argument("template")
    i.add_argument("-o", "--output", required=True)

    e = sub.add_parser("export", help="scenario → SAM template")
    e.add_argument("file")
    e.add_argument("-o", "--output", required=True)

    t = sub.add_parser("test-pattern", help="match an event against a filter pattern")
    t.add_argument("pattern_file")
    t.add_argument("event_file")
    t.add_argument("--source", default="eventbridge", choices=("eventbridge", "sqs", "kinesis", "dynamodb", "sns"))
    return p


def cmd_run(ns) -> int:
    from core import model, report
    from core.engine.simulation import Simulation

    try:
        sc = _load(ns.file, ns.set)
    except model.ScenarioError as e:
        _print_problems(e)
        return 1
    if ns.duration is not None and ns.duration <= 0:
        return _fail("--duration must be positive")
    try:
        sim = Simulation(sc, seed=ns.seed, duration=ns.duration)
    except ValueError as e:
        return _fail(str(e))
    sim.run()
    summary = sim.summary()
    if ns.journeys:
        summary["journeys"] = sim.journeys()
    if ns.csv:
        try:
            report.write_csv(sim, ns.csv)
        except OSError as e:
            return _fail(f"cannot write CSV to {ns.csv}: {e.strerror or e}")
    if ns.json:
        json.dump(summary, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report.text_summary(summary))
    return 0


def cmd_validate(ns) -> int:
    from core import model, validate

    try:
        sc = model.load(ns.file)
    except model.ScenarioError as e:
        for path, msg in e.problems:
            print(f"{path}: {msg}")
        return 1
    probs = validate.problems(sc)
    errs = [p for p in probs if p.severity == "error"]
    for p in errs:
        print(f"{p.path}: {p.message}")
    if ns.warnings:
        for p in probs:
            if p.severity == "warning":
                print(f"warning: {p.path}: {p.message}")
    if errs:
        return 1
    print(f"{ns.file}: valid ({len(sc.nodes)} nodes, {len(sc.edges)} edges, {len(sc.workloads)} workloads)")
    return 0


def cmd_test_pattern(ns) -> int:
    from core import filters

    try:
        pattern = Path(ns.pattern_file).read_text(encoding="utf-8")
        event = json.loads(Path(ns.event_file).read_text(encoding="utf-8"))
    except OSError as e:
        print(f"error: {e.filename}: {e.strerror}", file=sys.stderr)
        return 2
    except json.JSONDecodeError as e:
        print(f"error: {ns.event_file}: not valid JSON: {e.msg} at line {e.lineno}", file=sys.stderr)
        return 2
    try:
        ok = filters.matches(pattern, event, source=ns.source)
    except filters.InvalidPattern as e:
        print(f"invalid pattern: {e}")
        return 2
    print("match" if ok else "no match")
    return 0 if ok else 1


def cmd_import(ns) -> int:
    from core import model
    from core.templates import TemplateError, import_template

    try:
        res = import_template(ns.template)
    except TemplateError as e:
        return _fail(str(e))
    except OSError as e:
        return _fail(f"{ns.template}: {e.strerror or e}")
    try:
        model.save(res.scenario, ns.output)
    except OSError as e:
        return _fail(f"cannot write {ns.output}: {e.strerror or e}")
    for line in res.report:
        print(line)
    print(f"wrote {ns.output}: {len(res.scenario.nodes)} nodes, {len(res.scenario.edges)} edges")
    return 0


def cmd_export(ns) -> int:
    from core import model
    from core.templates import TemplateError, export_file

    try:
        sc = _load(ns.file)
        export_file(sc, ns.output)
    except model.ScenarioError as e:
        _print_problems(e)
        return 1
    except TemplateError as e:
        return _fail(str(e))
    except OSError as e:
        return _fail(f"cannot write {ns.output}: {e.strerror or e}")
    print(f"wrote {ns.output}")
    return 0


def cmd_sweep(ns) -> int:
    from core import sweep

    return sweep.main_sweep(ns)


def cmd_find(ns) -> int:
    from core import sweep

    return sweep.main_find(ns)


def app_main(argv: list[str]) -> int:
    p = _Parser(prog="triggerscope", description="Open the Triggerscope desktop app. "
                f"Headless commands: {', '.join(COMMANDS)} (triggerscope COMMAND --help).")
    p.add_argument("file", nargs="?", help="scenario (.json) or SAM/CloudFormation template to open")
    p.add_argument("--screenshot", metavar="OUT.png", help="render the window to a PNG and exit")
    p.add_argument("--run-for", type=float, metavar="SECONDS", help="with --screenshot: simulate this long first")
    ns = p.parse_args(argv)
    try:
        from gui.app import run_app
    except ImportError as e:
        return _fail(f"the desktop app needs PySide6 and pyqtgraph ({e}); headless commands still work")
    return run_app(ns.file, screenshot=ns.screenshot, run_for=ns.run_for)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        if argv and argv[0] in ("-h", "--help"):
            build_parser().print_help()
            print("\nWith no command (triggerscope [FILE] [--screenshot OUT.png] [--run-for S]) the desktop app opens.")
            return 0
        return app_main(argv)
    ns = build_parser().parse_args(argv)
    handlers = {"run": cmd_run, "validate": cmd_validate, "sweep": cmd_sweep, "find": cmd_find,
                "import": cmd_import, "export": cmd_export, "test-pattern": cmd_test_pattern}
    try:
        return handlers[ns.command](ns)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
