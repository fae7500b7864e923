"""Small builders for test scenarios."""

from __future__ import annotations

from core import model
from core.engine.simulation import Simulation


def node(id, kind, properties=None, behavior=None):
    d = {"id": id, "kind": kind}
    if properties:
        d["properties"] = properties
    if behavior is not None:
        d["behavior"] = behavior
    return d


def edge(a, b, role, properties=None):
    d = {"from": a, "to": b, "role": role}
    if properties:
        d["properties"] = properties
    return d


def workload(id, target, arrivals, events=None, **kw):
    d = {"id": id, "target": target, "arrivals": arrivals}
    if events is not None:
        d["events"] = events
    d.update(kw)
    return d


def scenario(nodes, edges=(), workloads=(), duration=600, seed=1, period=1.0, account=None, name="test"):
    d = {"format": "triggerscope/1", "name": name,
         "simulation": {"DurationSeconds": duration, "Seed": seed, "MetricPeriodSeconds": period},
         "nodes": list(nodes), "edges": list(edges), "workloads": list(workloads)}
    if account:
        d["account"] = account
    return model.from_dict(d)


def run(sc, **kw) -> Simulation:
    sim = Simulation(sc, **kw).run()
    a = sim.acct
    # The SPEC's identity, checked against what components actually hold.
    assert a.created == a.finished + a.pending
    assert sim.audit() == a.pending
    return sim


def metric(sim, node_id, name, stat="sum"):
    return sim.summary()["nodes"][node_id]["metrics"][name][stat]


def fn_node(id="fn", duration=0.1, properties=None, cold=None, error_rate=0.0, **behavior):
    b = {"Duration": {"dist": "const", "value": duration} if isinstance(duration, int | float) else duration,
         "ColdStart": cold}
    if error_rate:
        b["ErrorRate"] = error_rate
    b.update(behavior)
    return node(id, "Function", properties or {}, b)


def journey_steps(sim, event_id=0):
    for i, steps in sim.acct.journeys:
        if i == event_id:
            return steps
    raise KeyError(event_id)


def run_recording_batches(sim, fn_id="fn"):
    """Run `sim` and return what each invocation attempt of function `fn_id` was given, as
    (time, list of event instances), throttled attempts included."""
    seen = []
    invoke = sim.components[fn_id].invoke

    def spy(t, payload, *a, **k):
        seen.append((t, list(payload)))
        return invoke(t, payload, *a, **k)

    sim.components[fn_id].invoke = spy
    sim.run()
    return seen
