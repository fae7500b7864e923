"""Sweeps: grids, replication seeds, confidence intervals, local and Dask execution,
cancellation, and the `triggerscope sweep` command."""

from __future__ import annotations

import csv
import json
import math
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from core import cli, model, sweep
from core.engine.simulation import run
from core.sweep import (
    Stat,
    SweepError,
    flatten,
    parse_set,
    plan_grid,
    replication_seeds,
    run_sweep,
    t_quantile,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "assets" / "examples" / "api-burst-throttle.json"
RCE = "fn.properties.ReservedConcurrentExecutions"


def api_scenario(**over) -> model.Scenario:
    data = {
        "format": "triggerscope/1", "name": "API to function",
        "simulation": {"DurationSeconds": 60, "Seed": 11},
        "nodes": [
            {"id": "api", "kind": "ApiGateway"},
            {"id": "fn", "kind": "Function",
             "properties": {"ReservedConcurrentExecutions": 10, "Timeout": 10},
             "behavior": {"Duration": {"dist": "exp", "mean": 0.2}, "ColdStart": None}},
        ],
        "edges": [{"from": "api", "to": "fn", "role": "invoke"}],
        "workloads": [{"id": "traffic", "target": "api",
                       "arrivals": {"process": "poisson", "rate": 60}}],
    }
    data.update(over)
    return model.from_dict(data)


@pytest.fixture
def scenario_file(tmp_path) -> Path:
    p = tmp_path / "api.json"
    p.write_text(api_scenario().to_json(), encoding="utf-8")
    return p


# --- statistics ----------------------------------------------------------------------------


@pytest.mark.parametrize("df, expected", [(1, 12.706204736), (2, 4.302652730), (4, 2.776445105),
                                          (9, 2.262157163), (29, 2.045229642), (120, 1.979930405)])
def test_t_quantile_matches_student_t_tables(df, expected):
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=1e-7)


def test_t_quantile_tends_to_the_normal_quantile():
    assert t_quantile(0.975, 100_000) == pytest.approx(1.959964, abs=1e-4)


def test_ci_is_the_student_t_interval_and_collapses_for_one_replication():
    s = Stat.of([10.0, 12.0, 14.0])
    half = 4.302652730 * 2.0 / math.sqrt(3)  # t(0.975, 2) · sd / √n, sd = 2
    assert (s.mean, s.lo, s.hi) == pytest.approx((12.0, 12.0 - half, 12.0 + half))
    one = Stat.of([7.5])
    assert (one.mean, one.lo, one.hi) == (7.5, 7.5, 7.5)
    assert Stat.of([3.0, 3.0]).as_json() == {"mean": 3.0, "ci95": [3.0, 3.0]}


def test_student_t_interval_covers_the_true_mean_95_percent_of_the_time_for_three_replications():
    """The interval is Student's t (mean ± t(0.975, n−1) · s/√n): for n = 3 normal samples it covers the
    true mean 95 % of the time; a normal-quantile interval (± 1.96 · s/√n) would cover only ~80 %."""
    rng = np.random.default_rng(7)
    trials = 4000
    hits = sum(s.lo <= 5.0 <= s.hi for s in (Stat.of(list(rng.normal(5.0, 2.0, 3))) for _ in range(trials)))
    assert abs(hits / trials - 0.95) <= 4 * math.sqrt(0.95 * 0.05 / trials)


# --- grid and seeds --------------------------------------------------------------------------


def test_parse_set_reads_lists_ranges_and_json_values():
    assert parse_set("fn.properties.MemorySize=128,256,512") == ("fn.properties.MemorySize", [128, 256, 512])
    assert parse_set(f"{RCE}=10:50:20") == (RCE, [10, 30, 50])  # stop included
    assert parse_set(f"{RCE}=10:55:20") == (RCE, [10, 30, 50])
    assert parse_set("traffic.arrivals.rate=0.1:0.3:0.1")[1] == [0.1, 0.2, 0.3]
    assert parse_set(f"{RCE}=50:10:-20")[1] == [50, 30, 10]
    path, values = parse_set('fn.behavior.Duration={"dist":"exp","mean":0.1},{"dist":"const","value":1}')
    assert values == [{"dist": "exp", "mean": 0.1}, {"dist": "const", "value": 1}]
    assert parse_set("api.properties.Type=REST,HTTP")[1] == ["REST", "HTTP"]


@pytest.mark.parametrize("text, reason", [
    (f"{RCE}=1:10:0", "step must not be 0"),
    (f"{RCE}=10:1:1", "never gets"),
    (f"{RCE}=1,,2", "empty value"),
    ("novalue", "expected NODE.PATH"),
])
def test_parse_set_rejects_malformed_values(text, reason):
    with pytest.raises(model.ScenarioError) as e:
        parse_set(text)
    assert reason in str(e.value)


def test_plan_grid_is_the_cartesian_product_first_parameter_slowest():
    grid = plan_grid([f"{RCE}=5,10", "traffic.arrivals.rate=20:40:10"])
    assert grid == [{RCE: 5, "traffic.arrivals.rate": r} for r in (20, 30, 40)] + \
                   [{RCE: 10, "traffic.arrivals.rate": r} for r in (20, 30, 40)]
    assert plan_grid([]) == [{}]
    with pytest.raises(model.ScenarioError, match="more than once"):
        plan_grid([f"{RCE}=1", f"{RCE}=2"])
    with pytest.raises(model.ScenarioError, match="at most"):
        plan_grid([f"{RCE}=1:1000:1", "traffic.arrivals.rate=1:1000:1"])


def test_replication_seeds_start_at_the_scenario_seed_and_are_distinct_and_stable():
    seeds = replication_seeds(42, 5)
    assert seeds[0] == 42
    assert len(set(seeds)) == 5
    assert replication_seeds(42, 5) == seeds
    assert replication_seeds(42, 3) == seeds[:3]  # more replications extend, never reshuffle
    assert replication_seeds(43, 5)[1:] != seeds[1:]


# --- running ---------------------------------------------------------------------------------


def test_every_point_runs_the_same_seeds_common_random_numbers():
    sc = api_scenario()
    res = run_sweep(sc, plan_grid([f"{RCE}=4,20"]), replications=2, workers=0)
    assert res.complete and res.seeds == replication_seeds(11, 2)
    for p in res.points:
        v = sweep.variant(sc, p.set)
        assert p.runs == [flatten(run(v, seed=s)) for s in res.seeds]
    # The same arrivals reach the API at every point: only the design differs.
    assert res.points[0].values("api.Count.sum") == res.points[1].values("api.Count.sum")


def test_a_one_replication_point_reproduces_a_plain_run():
    sc = api_scenario()
    res = run_sweep(sc, [{RCE: 7}], replications=1, workers=0)
    assert res.points[0].runs[0] == flatten(run(model.apply_set(sc, RCE, 7)))


def test_throttles_fall_monotonically_with_reserved_concurrency_on_the_bundled_example():
    if EXAMPLE.exists():
        sc = model.load(EXAMPLE)
        fn = next(n for n in sc.nodes if n.kind == "Function" and
                  n.properties.get("ReservedConcurrentExecutions") is not None)
        values, duration = [50, 100, 200, 400], 210.0  # the example's burst starts at 180 s
    else:  # pragma: no cover - before the examples land
        sc, fn = api_scenario(), api_scenario().node("fn")
        values, duration = [2, 5, 10, 20], None
    key = f"{fn.id}.Throttles.sum"
    res = run_sweep(sc, plan_grid([f"{fn.id}.properties.ReservedConcurrentExecutions="
                                   + ",".join(map(str, values))]),
                    replications=1, workers=2, duration=duration)
    throttles = [p.stat(key).mean for p in res.points]
    assert [p.set[f"{fn.id}.properties.ReservedConcurrentExecutions"] for p in res.points] == values
    assert all(a > b for a, b in zip(throttles, throttles[1:], strict=False)), throttles
    assert throttles[0] > 0


def test_local_processes_and_in_process_runs_agree():
    sc = api_scenario()
    grid = plan_grid([f"{RCE}=3,12"])
    a = run_sweep(sc, grid, replications=2, workers=2)
    b = run_sweep(sc, grid, replications=2, workers=0)
    assert a.to_json() == b.to_json()


def test_dask_cluster_gives_results_identical_to_local_processes():
    distributed = pytest.importorskip("dask.distributed")
    sc = api_scenario()
    grid = plan_grid([f"{RCE}=3,12", "traffic.arrivals.rate=40,80"])
    local = run_sweep(sc, grid, replications=2, workers=2)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        remote = run_sweep(sc, grid, replications=2, scheduler=cluster.scheduler_address)
    assert remote.backend.startswith("Dask at tcp://127.0.0.1:")
    assert remote.complete
    assert remote.to_json() == local.to_json()


def test_missing_dask_gives_a_clear_message(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(SweepError, match=r"pip install 'triggerscope\[distributed\]'"):
        run_sweep(api_scenario(), [{}], scheduler="tcp://127.0.0.1:8786")


def test_cancellation_keeps_the_finished_points_exactly():
    sc = api_scenario()
    grid = plan_grid([f"{RCE}=1:30:1"])
    seen = []

    def progress(p):
        seen.append(p)

    res = run_sweep(sc, grid, replications=1, workers=1, on_progress=progress,
                    cancel=lambda: sum(1 for p in seen if p.point) >= 3)
    assert res.cancelled and not res.interrupted and not res.complete
    assert 3 <= len(res.points) < len(grid)
    full = run_sweep(sc, grid[: len(res.points)], replications=1, workers=0)
    for kept, ref in zip(res.points, full.points, strict=True):
        assert kept.set == ref.set and kept.runs == ref.runs


def test_ctrl_c_stops_cleanly_and_keeps_the_finished_points():
    grid = plan_grid([f"{RCE}=1:30:1"])
    done = []

    def progress(p):
        if p.point is not None:
            done.append(p.point)
            if len(done) == 2:
                signal.raise_signal(signal.SIGINT)  # as if the user pressed Ctrl+C

    res = run_sweep(api_scenario(), grid, replications=1, workers=1, on_progress=progress)
    assert res.interrupted and res.cancelled
    assert len(res.points) >= 2
    assert [p.set[RCE] for p in res.points] == list(range(1, len(res.points) + 1))


def test_progress_reports_every_run_with_a_time_estimate():
    seen = []
    run_sweep(api_scenario(), plan_grid([f"{RCE}=3,9"]), replications=2, workers=0,
              on_progress=seen.append)
    assert [p.runs_done for p in seen] == [1, 2, 3, 4]
    assert all(p.runs_total == 4 and p.points_total == 2 for p in seen)
    assert [p.points_done for p in seen] == [0, 1, 1, 2]
    assert seen[-1].eta_s == 0 and seen[0].eta_s is not None


def test_a_crashing_run_is_reported_with_its_point_and_seed(monkeypatch, scenario_file, capsys):
    def boom(scenario, seed, duration):
        raise RuntimeError("engine bug")

    monkeypatch.setattr(sweep, "_run_task", boom)
    with pytest.raises(SweepError, match=r"a run failed \(fn.properties.ReservedConcurrentExecutions=3, "
                                         r"replication 1, seed 11\): RuntimeError: engine bug"):
        run_sweep(api_scenario(), [{RCE: 3}], workers=0)
    code, out, err = _cli(capsys, scenario_file, "--set", f"{RCE}=3", "--workers", "0")
    assert code == 1 and "engine bug" in err and "Traceback" not in err


def test_an_invalid_point_is_reported_before_anything_runs():
    with pytest.raises(model.ScenarioError) as e:
        run_sweep(api_scenario(), plan_grid([f"{RCE}=5,-1"]), workers=0)
    assert "--set fn.properties.ReservedConcurrentExecutions=-1" in str(e.value)
    with pytest.raises(model.ScenarioError, match="no metric 'Throtles'"):
        run_sweep(api_scenario(), [{}], workers=0, metrics=["fn.Throtles.sum"])


# --- the command -------------------------------------------------------------------------------


def _cli(capsys, *args) -> tuple[int, str, str]:
    code = cli.main(["sweep", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_sweep_json_follows_the_spec(scenario_file, capsys):
    code, out, _ = _cli(capsys, scenario_file, "--set", f"{RCE}=4,16", "--replications", "2",
                        "--workers", "0", "--metric", "fn.Throttles.sum",
                        "--metric", "accounting.dead_lettered", "--json")
    assert code == 0
    doc = json.loads(out)
    assert doc["format"] == "triggerscope-sweep/1"
    assert doc["scenario"] == "API to function" and doc["replications"] == 2
    assert [p["set"] for p in doc["points"]] == [{RCE: 4}, {RCE: 16}]
    p = doc["points"][0]
    assert set(p["metrics"]) == {"fn.Throttles.sum"}
    assert set(p["metrics"]["fn.Throttles.sum"]) == {"mean", "ci95"}
    assert len(p["metrics"]["fn.Throttles.sum"]["ci95"]) == 2
    assert p["accounting"] == {"dead_lettered": {"mean": 0.0, "ci95": [0.0, 0.0]}}
    assert doc["points"][0]["metrics"]["fn.Throttles.sum"]["mean"] > \
        doc["points"][1]["metrics"]["fn.Throttles.sum"]["mean"]


def test_sweep_json_without_metric_has_everything(scenario_file, capsys):
    code, out, _ = _cli(capsys, scenario_file, "--set", f"{RCE}=4", "--workers", "0", "--json")
    p = json.loads(out)["points"][0]
    assert code == 0
    assert "fn.Duration.p99" in p["metrics"] and "api.Count.sum" in p["metrics"]
    assert set(p["accounting"]) >= {"created", "succeeded", "failed_to_caller", "pending"}
    assert "total_usd" in p["cost"]


def test_sweep_table_and_csv(scenario_file, tmp_path, capsys):
    out_csv = tmp_path / "sweep.csv"
    code, out, err = _cli(capsys, scenario_file, "--set", f"{RCE}=4,16", "--replications", "2",
                          "--workers", "0", "--csv", out_csv)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("API to function — 2/2 points × 2 replications")
    assert RCE in lines[2] and "fn.Throttles.sum" in lines[2] and "cost.total_usd" in lines[2]
    assert lines[4].startswith("4 ") and lines[5].startswith("16 ")
    assert "±" in lines[4]
    assert err.startswith("sweep done: 2/2 points")  # no progress bar when stderr is not a TTY
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert [r[RCE] for r in rows] == ["4", "16"]
    assert float(rows[0]["fn.Throttles.sum.ci95_lo"]) <= float(rows[0]["fn.Throttles.sum.mean"])


@pytest.mark.parametrize("args, message", [
    (["--set", f"{RCE}=1:5:0"], "step must not be 0"),
    (["--set", "nope.properties.X=1"], "no node or workload with id 'nope'"),
    (["--set", f"{RCE}=-3"], "outside AWS's range"),
    (["--set", f"{RCE}=3", "--metric", "fn.Throttles.avg"], "no statistic 'avg'"),
    (["--replications", "0"], "--replications must be at least 1"),
    (["--duration", "-5"], "--duration must be positive"),
])
def test_sweep_invalid_input_exits_1_with_a_clear_message(scenario_file, capsys, args, message):
    code, out, err = _cli(capsys, scenario_file, "--workers", "0", *args)
    assert code == 1
    assert message in err and "Traceback" not in err and out == ""


def test_sweep_missing_file_exits_1(tmp_path, capsys):
    code, _, err = _cli(capsys, tmp_path / "nope.json", "--set", f"{RCE}=1")
    assert code == 1 and "file not found" in err


def test_sweep_ctrl_c_prints_finished_points_and_exits_130(scenario_file, capsys, monkeypatch):
    calls = []

    def update(self, p):
        calls.append(p)
        if sum(1 for c in calls if c.point) == 2:
            signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(sweep._Bar, "update", update)
    code, out, err = _cli(capsys, scenario_file, "--set", f"{RCE}=1:30:1", "--workers", "1", "--json")
    assert code == 130
    doc = json.loads(out)
    assert 2 <= len(doc["points"]) < 30 and doc["complete"] is False
    assert "sweep interrupted" in err


# --- A/B comparison (core.compare) --------------------------------------------------------------


def test_compare_lists_the_design_changes_and_paired_differences():
    from core.compare import compare, diff_scenarios

    a = api_scenario()
    b = model.apply_set(model.apply_set(a, RCE, 30), "fn.properties.MemorySize", 1024)
    assert diff_scenarios(a, b) == [
        {"path": "fn.properties.MemorySize", "a": None, "b": 1024},
        {"path": RCE, "a": 10, "b": 30},
    ]
    assert diff_scenarios(a, a) == []
    res = compare(a, b, replications=3)
    assert res["format"] == "triggerscope-compare/1" and res["seeds"] == replication_seeds(11, 3)
    rows = {r["key"]: r for r in res["metrics"]}
    # Same seeded traffic into both variants: arrivals are identical, throttles fall.
    assert rows["api.Count.sum"]["delta"] == 0 and not rows["api.Count.sum"]["changed"]
    t = rows["fn.Throttles.sum"]
    assert t["changed"] and t["delta"] < 0 and t["delta_ci95"][1] < 0
    assert t["delta"] == pytest.approx(t["b"]["mean"] - t["a"]["mean"])
    assert res["metrics"][0]["changed"]  # changed metrics come first


def test_diff_scenarios_reports_added_nodes_and_edges():
    from core.compare import diff_scenarios

    a = api_scenario()
    d = a.to_dict()
    d["nodes"].append({"id": "dlq", "kind": "SQSQueue"})
    b = model.from_dict(d)
    assert diff_scenarios(a, b) == [{"path": "nodes.dlq", "a": None, "b": "SQSQueue"}]
