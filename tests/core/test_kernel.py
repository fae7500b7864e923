"""The kernel's contract: time order, ties in scheduling order, bounds, event counts —
including workload arrivals that run back to back without entering the heap."""

from __future__ import annotations

import pytest

from core.engine.kernel import EmptySchedule, Kernel
from core.engine.simulation import Simulation
from tests.helpers import edge, node, scenario, workload


def test_events_run_in_time_order_and_ties_in_scheduling_order():
    k = Kernel()
    seen = []
    for t, name in ((2.0, "c"), (1.0, "a"), (2.0, "d"), (1.5, "b")):
        k.schedule(t, lambda t, n: seen.append((t, n)), name)
    k.schedule_late(1.0, lambda t, n: seen.append((t, n)), "late")
    k.schedule(1.0, lambda t, n: seen.append((t, n)), "a2")
    k.run_before(3.0)
    assert seen == [(1.0, "a"), (1.0, "a2"), (1.0, "late"), (1.5, "b"), (2.0, "c"), (2.0, "d")]
    assert k.events_processed == 6
    assert k.now == 3.0


def test_run_before_leaves_events_at_the_bound_for_later():
    k = Kernel()
    seen = []
    k.schedule(1.0, lambda t, _: seen.append(t))
    k.schedule(2.0, lambda t, _: seen.append(t))
    k.run_before(2.0)
    assert seen == [1.0] and k.events_processed == 1
    k.run_before(5.0)
    assert seen == [1.0, 2.0] and k.events_processed == 2


def test_run_some_stops_at_its_limit_and_resumes():
    k = Kernel()
    seen = []
    for i in range(10):
        k.schedule(float(i), lambda t, _: seen.append(t))
    assert k.run_some(100.0, 3) is False
    assert seen == [0.0, 1.0, 2.0] and k.events_processed == 3 and k.now == 2.0
    assert k.run_some(100.0, 1000) is True
    assert len(seen) == 10 and k.events_processed == 10 and k.now == 100.0
    assert k.pending() == []  # the sentinel never stays behind


def test_step_on_an_empty_schedule_raises():
    with pytest.raises(EmptySchedule):
        Kernel().step()


def _api_flow(rate=10.0, duration=20.0):
    return scenario(
        [node("api", "ApiGateway"),
         node("fn", "Function", behavior={"Duration": {"dist": "const", "value": 0.05}, "ColdStart": None})],
        [edge("api", "fn", "invoke")],
        [workload("w", "api", {"process": "constant", "rate": rate})],
        duration=duration)


def test_arrivals_run_back_to_back_are_counted_as_events():
    sim = Simulation(_api_flow()).run()
    created = sim.acct.created
    invocations = sim.summary()["nodes"]["fn"]["metrics"]["Invocations"]["sum"]
    running = sim.acct.pending  # started but not finished when the run ended
    # one arrival event per request and one completion per finished invocation
    assert created == invocations == 199  # at 0.1 s, 0.2 s … 19.9 s
    assert sim.kernel.events_processed == created + invocations - running


def test_sliced_runs_never_pass_the_slice_bound():
    """The GUI's slices (run_some with a small limit) must stop at their bound even when
    arrivals run back to back, and end with the same result as one run."""
    whole = Simulation(_api_flow(rate=50.0)).run().summary()
    sim = Simulation(_api_flow(rate=50.0))
    k = sim.kernel
    bound = 0.0
    while bound < 20.0:
        bound = round(bound + 0.25, 6)
        while k.now < bound:
            sim.advance_for(1e-9, until=bound, chunk=3)  # one 3-event slice per call
            assert k.now <= bound
        # every arrival before the bound has happened, none at or after it
        assert sim.acct.created == sum(1 for i in range(1, 1001) if i / 50.0 < bound)
    sliced = sim.summary()
    for s in (whole, sliced):
        s.pop("engine")
    assert sliced == whole


def _slot_kernel():
    """A kernel with heap entries and one entry in the slot, as a workload leaves it."""
    k = Kernel()
    seen = []

    def note(t, name):
        seen.append((t, name))

    k.schedule(1.0, note, "heap-1")
    k.schedule(2.0, note, "heap-2a")
    k._slot[0] = (2.0, next(k._seq), note, "slot-2")  # scheduled after heap-2a
    k.schedule(2.0, note, "heap-2b")  # scheduled after the slot's entry
    k.schedule(3.0, note, "heap-3")
    return k, seen


ORDER = [(1.0, "heap-1"), (2.0, "heap-2a"), (2.0, "slot-2"), (2.0, "heap-2b"), (3.0, "heap-3")]


def test_the_slot_keeps_time_and_scheduling_order_with_the_heap():
    k, seen = _slot_kernel()
    assert k.peek() == 1.0 and len(k.pending()) == 5
    k.run_before(10.0)
    assert seen == ORDER and k.events_processed == 5 and k.pending() == []


def test_the_slot_is_run_by_step_and_by_sliced_runs_in_the_same_order():
    k, seen = _slot_kernel()
    for _ in range(5):
        k.step()
    assert seen == ORDER and k.events_processed == 5
    with pytest.raises(EmptySchedule):
        k.step()
    k, seen = _slot_kernel()
    assert k.run_some(10.0, 2) is False and seen == ORDER[:2]
    assert k.run_some(2.0, 10) is True and seen == ORDER[:2] and k.now == 2.0  # 2.0 is the bound
    assert k.run_some(10.0, 10) is True and seen == ORDER and k.events_processed == 5


def test_an_event_never_runs_while_the_slot_holds_one_for_the_same_instant():
    # Components ask the heap alone whether anything else happens now.
    k = Kernel()
    looked = []

    def look(t, _):
        looked.append((k._slot[0] is None or k._slot[0][0] > t, any(e[0] == t for e in k._heap)))

    k.schedule(1.0, look, None)
    k.schedule(2.0, look, None)
    k._slot[0] = (2.0, next(k._seq), look, None)  # due at the same instant, scheduled later
    k.run_before(10.0)
    # at 1.0 nothing else is due then; at 2.0 the slot's entry has moved into the heap
    assert looked == [(True, False), (True, True), (True, False)]
