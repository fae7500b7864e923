"""The headless command line (SPEC §2): output formats and exit codes."""

import csv
import json
import subprocess
import sys

import pytest

from core.cli import main
from tests.core.test_model_validate import SPEC_EXAMPLE


@pytest.fixture
def spec_file(tmp_path):
    p = tmp_path / "orders.json"
    d = json.loads(json.dumps(SPEC_EXAMPLE))
    d["simulation"]["DurationSeconds"] = 60
    p.write_text(json.dumps(d))
    return p


def test_run_json_follows_the_summary_contract(spec_file, capsys):
    assert main(["run", str(spec_file), "--json", "--seed", "7"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["format"] == "triggerscope-summary/1"
    assert out["scenario"] == "Orders pipeline" and out["seed"] == 7 and out["duration_s"] == 60.0
    a = out["accounting"]
    assert a["created"] == sum(a[k] for k in ("succeeded", "failed_to_caller", "filtered", "dead_lettered",
                                              "dropped", "forwarded", "pending"))
    w = out["nodes"]["worker"]
    assert w["kind"] == "Function"
    assert set(w["metrics"]["Duration"]) >= {"avg", "p50", "p90", "p99", "max"}
    assert set(w["metrics"]["ConcurrentExecutions"]) == {"avg", "max"}
    assert "sum" in w["metrics"]["Invocations"]
    assert out["cost"]["total_usd"] > 0 and "worker" in out["cost"]["by_node"]
    assert {"events_processed", "wall_s"} <= set(out["engine"])


def test_same_seed_gives_the_same_summary(spec_file, capsys):
    main(["run", str(spec_file), "--json"])
    a = json.loads(capsys.readouterr().out)
    main(["run", str(spec_file), "--json"])
    b = json.loads(capsys.readouterr().out)
    a["engine"].pop("wall_s"), b["engine"].pop("wall_s")
    assert a == b
    main(["run", str(spec_file), "--json", "--seed", "43"])
    c = json.loads(capsys.readouterr().out)
    assert c["accounting"] != a["accounting"]


def test_duration_and_set_override_the_file(spec_file, capsys):
    assert main(["run", str(spec_file), "--json", "--duration", "10",
                 "--set", "checkout.arrivals.rate=10"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["duration_s"] == 10.0
    assert out["accounting"]["created"] < 200


def test_readable_summary_and_csv(spec_file, tmp_path, capsys):
    assert main(["run", str(spec_file), "--csv", str(tmp_path / "csv")]) == 0
    text = capsys.readouterr().out
    assert "Orders pipeline" in text and "worker (Function)" in text and "Cost" in text
    rows = list(csv.DictReader((tmp_path / "csv" / "worker.csv").open()))
    assert len(rows) == 60
    assert {"t_s", "Invocations", "Duration.p99_s", "ConcurrentExecutions.avg"} <= set(rows[0])


def test_invalid_input_exits_1_with_paths_and_no_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"nodes": [{"id": "f", "kind": "Function", "properties": {"Timeout": 0}}]}')
    assert main(["validate", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "$.nodes[0].properties.Timeout" in out
    assert main(["run", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "Timeout" in err and "Traceback" not in err
    (tmp_path / "junk.json").write_text("{nope")
    assert main(["run", str(tmp_path / "junk.json")]) == 1
    assert main(["run", str(tmp_path / "missing.json")]) == 1


def test_usage_errors_exit_2():
    with pytest.raises(SystemExit) as e:
        main(["run"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["run", "x.json", "--seed", "abc"])
    assert e.value.code == 2


def test_validate_ok_exits_0(spec_file, capsys):
    assert main(["validate", str(spec_file)]) == 0
    assert "valid" in capsys.readouterr().out


def test_test_pattern_exit_codes(tmp_path, capsys):
    pat = tmp_path / "p.json"
    ev = tmp_path / "e.json"
    pat.write_text('{"detail": {"state": ["running"]}}')
    ev.write_text('{"detail": {"state": "running"}}')
    assert main(["test-pattern", str(pat), str(ev)]) == 0
    ev.write_text('{"detail": {"state": "stopped"}}')
    assert main(["test-pattern", str(pat), str(ev)]) == 1
    pat.write_text('{"detail": {"state": "running"}}')
    assert main(["test-pattern", str(pat), str(ev)]) == 2
    assert "invalid pattern" in capsys.readouterr().out


def test_console_script_runs_in_a_subprocess(spec_file):
    r = subprocess.run([sys.executable, "-m", "core.cli", "run", str(spec_file), "--json", "--duration", "5"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["duration_s"] == 5.0
