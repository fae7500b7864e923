"""Engine objects stay within what CPython can specialize attribute access for.

CPython specializes `obj.attr` for slots, or for an instance dict of at most 30 keys
(SHARED_KEYS_MAX_SIZE); past that, every access is a dictionary lookup, which cost the SQS
flow about 8 % of its time (see base.Component). A new attribute on a large component belongs
in its `__slots__`.
"""

import pathlib

import pytest

from core import model
from core.engine.simulation import Simulation

EXAMPLES = sorted((pathlib.Path(__file__).resolve().parents[2] / "assets" / "examples").glob("*.json"))
LIMIT = 30


def _engine_objects(sim: Simulation):
    """Every component, its helpers (pollers, async queues) and the workload sources."""
    for c in sim.components.values():
        yield c.id, c
        for attr in ("poller", "async_q"):
            helper = getattr(c, attr, None)
            if helper is not None:
                yield f"{c.id}.{attr}", helper
    for s in sim.sources:
        yield f"source {getattr(s, 'id', '?')}", s
    yield "kernel", sim.kernel
    yield "accounting", sim.acct


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_instance_dicts_stay_specializable(path):
    sim = Simulation(model.load(path), duration=120).run()  # configure() and the hot paths have run
    big = {name: sorted(vars(obj)) for name, obj in _engine_objects(sim)
           if hasattr(obj, "__dict__") and len(vars(obj)) > LIMIT}
    assert not big, f"instance dicts over {LIMIT} keys (move per-event attributes to __slots__): {big}"


def test_every_declared_slot_is_used():
    """A slot named in __slots__ but never set is a stale or misspelled name: the attribute it
    was meant for then lives in the instance dict again."""
    for path in EXAMPLES:
        sim = Simulation(model.load(path), duration=120).run()
        for name, obj in _engine_objects(sim):
            unset = [s for s in type(obj).__dict__.get("__slots__", ()) if s != "__dict__" and not hasattr(obj, s)]
            assert not unset, f"{path.stem}: {name} never sets the slots {unset}"
