"""Engine benchmark: simulated events per wall-second and peak memory, beside SimPy.

Run on demand (not part of the test suite):

    pip install -e ".[bench]"
    python tests/bench/bench_engine.py            # everything
    python tests/bench/bench_engine.py --quick    # shorter runs
    python tests/bench/bench_engine.py --instructions   # CPU instructions per event (valgrind)

Each case runs in its own process so peak memory (ru_maxrss) is the case's own. A head-to-head
runs the two engines in lockstep: two processes that take turns, one minute of simulated time
each, so that both see the same machine minute by minute (on a shared VM a neighbour's burst
otherwise lands on whichever engine happened to run then: separate runs of the same code
differed by up to 1.7x here). It is repeated `--repeat` times (default 3) in fresh processes,
and the median run is shown with every run's ratio. CPU seconds are printed beside wall
seconds. `--instructions` counts CPU instructions per event under valgrind's callgrind instead
(a 240 s run minus a 120 s run, so start-up and the SQS mapping's first-minute ramp cancel out):
slow, but the same figure whatever else the machine is doing.
"Events" are workload events (requests or messages), the unit both engines share.
The SimPy models are written the way SimPy's documentation writes models: a process
per request and a Resource for the concurrency limit; for SQS, a Store for the queue and a
process per concurrent batch, scaled by the engine's rule so that both models invoke the
function about as often (the bench prints both counts).
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import resource
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "assets" / "examples").glob("*.json"))


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# -- scenarios ------------------------------------------------------------------------------
def api_scenario(duration: float) -> dict:
    return {
        "format": "triggerscope/1", "name": "bench: API → function",
        "simulation": {"DurationSeconds": duration, "Seed": 1, "MetricPeriodSeconds": 1},
        "nodes": [
            {"id": "api", "kind": "ApiGateway"},
            {"id": "fn", "kind": "Function", "properties": {"ReservedConcurrentExecutions": 200, "Timeout": 30},
             "behavior": {"Duration": {"dist": "exp", "mean": 0.15}, "ColdStart": {"dist": "lognormal", "median": 0.25, "p99": 1.0}}},
        ],
        "edges": [{"from": "api", "to": "fn", "role": "invoke"}],
        "workloads": [{"id": "w", "target": "api", "arrivals": {"process": "poisson", "rate": 1000}}],
    }


def sqs_scenario(duration: float) -> dict:
    return {
        "format": "triggerscope/1", "name": "bench: SQS → ESM → function → DLQ",
        "simulation": {"DurationSeconds": duration, "Seed": 1, "MetricPeriodSeconds": 1},
        "nodes": [
            {"id": "q", "kind": "SQSQueue", "properties": {"VisibilityTimeout": 60, "RedrivePolicy": {"maxReceiveCount": 3}}},
            {"id": "esm", "kind": "EventSourceMapping", "properties": {"BatchSize": 10}},
            {"id": "fn", "kind": "Function", "properties": {"Timeout": 10},
             "behavior": {"Duration": {"dist": "exp", "mean": 0.2}, "ColdStart": {"dist": "lognormal", "median": 0.25, "p99": 1.0}}},
            {"id": "dlq", "kind": "SQSQueue"},
        ],
        "edges": [{"from": "q", "to": "esm", "role": "poll"}, {"from": "esm", "to": "fn", "role": "poll"},
                  {"from": "q", "to": "dlq", "role": "redrive"}],
        "workloads": [{"id": "w", "target": "q", "arrivals": {"process": "poisson", "rate": 1000},
                       "events": [{"weight": 0.999, "payload": {"ok": 1}}, {"weight": 0.001, "payload": {"bad": 1}, "poison": True}]}],
    }


# -- models: each returns advance(until), events() and info(), so that a case can run it in one
# go or in windows (lockstep) -----------------------------------------------------------------
def model_triggerscope(spec) -> tuple:
    sys.path.insert(0, str(ROOT))
    from core import filters, model  # noqa: F401  (imports are not part of the measurement)
    from core.engine.simulation import Simulation, component_classes

    component_classes()
    sc = model.from_dict(spec) if isinstance(spec, dict) else model.load(spec)
    sim = Simulation(sc)

    def info() -> dict:
        return {"invocations": sum(c.invocations() for c in sim.components.values() if c.kind == "Function"),
                "engine_events": sim.kernel.events_processed}

    return sim.advance, lambda: sim.acct.created, info


def model_simpy_api() -> tuple:
    import random

    import simpy

    rnd = random.Random(1)
    env = simpy.Environment()
    fn = simpy.Resource(env, capacity=200)
    stats = {"ok": 0, "throttled": 0}
    durations = []

    def request(env):
        if fn.count >= fn.capacity:  # Lambda throttles at once: no queueing
            stats["throttled"] += 1
            return
        with fn.request() as req:
            yield req
            d = rnd.expovariate(1 / 0.15)
            yield env.timeout(d)
            durations.append(d)
            stats["ok"] += 1

    def source(env):
        while True:
            yield env.timeout(rnd.expovariate(1000))
            env.process(request(env))

    env.process(source(env))
    return (lambda until: env.run(until=until)), (lambda: stats["ok"] + stats["throttled"] + fn.count), dict


def model_simpy_sqs(limit: bool = True) -> tuple:
    """`limit`: a Resource for the function's concurrency limit, as the core issue asks of the
    reference models (and as the API model has). Without it (`simpy-sqs-lean`, the reference of
    earlier rounds) the model leaves out the limit: under a backlog its 1,250 batches then all
    run at once, where Lambda (and the engine) stop at the account's 1,000."""
    import random

    import simpy

    rnd = random.Random(1)
    env = simpy.Environment()
    queue = simpy.Store(env)
    fn = simpy.Resource(env, capacity=1000) if limit else None  # the account's 1,000: no reservation
    dlq = []
    stats = {"sent": 0, "done": 0, "invocations": 0}
    # The mapping's concurrent batches, scaled by the same rule as the engine's poller
    # (sqs_poller.py): start at 5, +5 per second while messages wait, −5 when some are idle.
    # (It never halves here: this flow has no throttles and no mostly-failing seconds.)
    pollers = {"target": 5, "live": 0, "busy": 0}

    def producer(env):
        while True:
            yield env.timeout(rnd.expovariate(1000))
            stats["sent"] += 1
            queue.put({"bad": rnd.random() < 0.001, "receives": 0})

    def redeliver(env, batch):
        yield env.timeout(60)  # visibility timeout
        for m in batch:
            queue.put(m)

    def poller(env):
        while pollers["live"] <= pollers["target"]:
            # A long poll returns as soon as messages are there, up to BatchSize 10.
            batch = []
            while not batch or (len(batch) < 10 and queue.items):
                m = yield queue.get()
                m["receives"] += 1
                if m["receives"] > 3:  # maxReceiveCount 3: the 4th receive moves it to the DLQ
                    dlq.append(m)
                else:
                    batch.append(m)
            pollers["busy"] += 1
            stats["invocations"] += 1
            if fn is None:
                yield env.timeout(rnd.expovariate(1 / 0.2))
            else:
                with fn.request() as req:  # a batch over the limit waits for room (Lambda: retried)
                    yield req
                    yield env.timeout(rnd.expovariate(1 / 0.2))
            pollers["busy"] -= 1
            if any(m["bad"] for m in batch):  # the function fails: the whole batch reappears
                env.process(redeliver(env, batch))
            else:
                stats["done"] += len(batch)
        pollers["live"] -= 1

    def scaler(env):
        while True:
            if queue.items:
                pollers["target"] = min(1250, pollers["target"] + 5)
            elif pollers["busy"] < pollers["target"]:
                pollers["target"] = max(5, pollers["target"] - 5)
            while pollers["live"] < pollers["target"]:
                pollers["live"] += 1
                env.process(poller(env))
            yield env.timeout(1)

    env.process(producer(env))
    env.process(scaler(env))
    return (lambda until: env.run(until=until)), (lambda: stats["sent"]), (lambda: {"invocations": stats["invocations"]})


def build(kind: str, arg: str) -> tuple[tuple, float]:
    """The model of a case and its simulated duration."""
    if kind == "ts-api":
        return model_triggerscope(api_scenario(float(arg))), float(arg)
    if kind == "ts-sqs":
        return model_triggerscope(sqs_scenario(float(arg))), float(arg)
    if kind == "ts-file":
        sys.path.insert(0, str(ROOT))
        from core import model

        return model_triggerscope(arg), float(model.load(arg).simulation.DurationSeconds)
    if kind == "simpy-api":
        return model_simpy_api(), float(arg)
    if kind == "simpy-sqs":
        return model_simpy_sqs(), float(arg)
    if kind == "simpy-sqs-lean":
        return model_simpy_sqs(limit=False), float(arg)
    raise SystemExit(f"unknown case {kind}")


# -- running cases (each in a child process) ---------------------------------------------------
def child(kind: str, arg: str) -> None:
    """One run of a case, in one go."""
    (advance, events, info), duration = build(kind, arg)
    t, c = time.perf_counter(), time.process_time()
    advance(duration)
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    print(json.dumps({"events": events(), "wall_s": wall, "cpu_s": cpu, "peak_mb": _rss_mb(), **info()}))


def stepper(kind: str, arg: str, window: float) -> None:
    """A case run in windows of simulated time, one per line read from stdin (see lockstep)."""
    (advance, events, info), duration = build(kind, arg)
    print("ready", flush=True)
    t = 0.0
    while t < duration:
        sys.stdin.readline()
        t = min(duration, t + window)
        w0, c0 = time.perf_counter(), time.process_time()
        advance(t)
        print(json.dumps([time.perf_counter() - w0, time.process_time() - c0]), flush=True)
    print(json.dumps({"events": events(), "peak_mb": _rss_mb(), **info()}), flush=True)


def run_case(kind: str, arg: str) -> dict:
    """One run of a case in a fresh process."""
    r = subprocess.run([sys.executable, __file__, "--child", kind, arg], capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return json.loads(r.stdout.strip().splitlines()[-1])


def lockstep(kinds: list[str], arg: str, window: float = 60.0) -> list[dict]:
    """Run cases side by side, one process each, taking turns one window of simulated time at a
    time (the order reverses every window): all see the same machine, minute by minute, so a
    neighbour's burst slows all of them instead of whichever happened to run then."""
    procs = [subprocess.Popen([sys.executable, __file__, "--stepper", k, arg, str(window)], cwd=ROOT, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE) for k in kinds]
    try:
        for p in procs:
            if p.stdout.readline().strip() != "ready":
                raise RuntimeError(f"{p.args} did not start")
        spent = [[0.0, 0.0] for _ in procs]
        for i in range(math.ceil(float(arg) / window)):
            for j in range(len(procs)) if i % 2 == 0 else reversed(range(len(procs))):
                p = procs[j]
                p.stdin.write("\n")
                p.stdin.flush()
                w, c = json.loads(p.stdout.readline())
                spent[j][0] += w
                spent[j][1] += c
        out = [{**json.loads(p.stdout.readline()), "wall_s": w, "cpu_s": c} for p, (w, c) in zip(procs, spent, strict=True)]
    finally:
        for p in procs:
            p.stdin.close()
            p.wait()
    return out


def head_to_head(kinds: list[str], arg: str, repeat: int) -> list[list[dict]]:
    """`repeat` lockstep runs of the cases, each in fresh processes."""
    return [lockstep(kinds, arg) for _ in range(repeat)]


def _rate(r: dict) -> float:
    return r["events"] / r["wall_s"]


def instructions(kind: str, short: float = 120.0, long: float = 240.0) -> float:
    """CPU instructions per workload event of one case, counted by callgrind: a `long` run minus a
    `short` one, so start-up cancels out. Both are past the first minute, in which the SQS
    mapping is still scaling up (its batches are larger then, so each message costs less)."""
    import re
    import shutil

    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (Debian: apt-get install valgrind)")
    total = []
    for d in (short, long):
        r = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                            __file__, "--child", kind, str(d)], capture_output=True, text=True, cwd=ROOT)
        if r.returncode != 0:
            raise RuntimeError(r.stderr[-2000:])
        total.append(int(re.search(r"Collected : (\d+)", r.stderr).group(1)))
        events = json.loads(r.stdout.strip().splitlines()[-1])["events"]
        total.append(events)
    return (total[2] - total[0]) / (total[3] - total[1])


# Each Triggerscope flow and the SimPy models it is measured against (run together, in lockstep).
HEAD_TO_HEADS = (
    ("API Gateway → function, 1,000/s", "ts-api", (("SimPy", "simpy-api"),)),
    ("SQS → ESM → function → DLQ, 1,000/s", "ts-sqs", (("SimPy", "simpy-sqs"), ("SimPy lean", "simpy-sqs-lean"))),
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="10-minute flows instead of 1 hour")
    ap.add_argument("--repeat", type=int, default=3, help="lockstep runs per head-to-head (the median is shown)")
    ap.add_argument("--instructions", action="store_true", help="instructions per event under callgrind")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--stepper", nargs=3, help=argparse.SUPPRESS)
    ns = ap.parse_args()
    if ns.child:
        child(*ns.child)
        return
    if ns.stepper:
        stepper(ns.stepper[0], ns.stepper[1], float(ns.stepper[2]))
        return
    if ns.instructions:
        for label, ts, sps in HEAD_TO_HEADS:
            a = instructions(ts)
            for name, sp in sps:
                b = instructions(sp)
                print(f"{label}: Triggerscope {a:,.0f}, {name} {b:,.0f} instructions per event "
                      f"→ {b / a:.1f}× fewer", flush=True)
        return
    hour = 600.0 if ns.quick else 3600.0
    print(f"{'case':<46}{'events':>12}{'wall s':>9}{'cpu s':>9}{'events/s':>12}{'peak MB':>9}")

    def show(name, r):
        print(f"{name:<46}{r['events']:>12,}{r['wall_s']:>9.2f}{r['cpu_s']:>9.2f}"
              f"{_rate(r):>12,.0f}{r['peak_mb']:>9.0f}", flush=True)
        return r

    for path in EXAMPLES:
        show(f"example {path.stem}", run_case("ts-file", str(path)))
    print()
    for label, ts, sps in HEAD_TO_HEADS:
        runs = head_to_head([ts] + [sp for _, sp in sps], str(hour), ns.repeat)
        for i, (name, _) in enumerate(sps, start=1):
            # Each SimPy model's figures are its own median run (by ratio) of the shared lockstep runs.
            pairs = sorted(((r[0], r[i]) for r in runs), key=lambda ab: _rate(ab[0]) / _rate(ab[1]))
            a, b = pairs[len(pairs) // 2]
            if i == 1:
                show(f"Triggerscope {label}", a)
            show(f"{name:<12} {label}", b)
            ratios = [_rate(x) / _rate(y) for x, y in pairs]
            cpu_ratio = (a["events"] / a["cpu_s"]) / (b["events"] / b["cpu_s"])
            same = (f"; function invocations {a['invocations']:,} vs {b['invocations']:,}"
                    if "invocations" in b else "")
            print(f"  → Triggerscope is {ratios[len(ratios) // 2]:.2f}× {name}'s events/s with the full semantics "
                  f"({cpu_ratio:.2f}× per CPU second{same}); {len(ratios)} lockstep runs: "
                  + ", ".join(f"{r:.2f}×" for r in ratios), flush=True)
        print()
    # Memory must stay flat as simulated time grows (it grows with periods, not events).
    for h in (0.25, 1, 4) if not ns.quick else (0.25, 1):
        show(f"Triggerscope API flow, {h:g} h simulated", run_case("ts-api", str(3600 * h)))


if __name__ == "__main__":
    main()
