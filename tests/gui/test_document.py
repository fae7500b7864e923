"""The document layer: every edit is one undoable command on the model, undo restores the exact
previous file, and refused connections say why."""

from __future__ import annotations

import pytest

from core.model import Scenario, Workload, from_dict
from gui.canvas.layout import layered_positions
from gui.document import ConnectionRefused, ScenarioDocument, fragment_of
from tests.gui.canvas_support import ORDERS


@pytest.fixture
def doc(qapp):
    return ScenarioDocument(from_dict(ORDERS))


def _json(doc):
    return doc.scenario.to_json()


def test_add_node_is_one_undoable_step_with_a_unique_id(doc):
    before = _json(doc)
    nid = doc.add_node("SQSQueue", (10, 20), id_hint="orders")
    assert nid == "orders-2"
    assert doc.node(nid).position == (10.0, 20.0)
    assert doc.undo_stack.count() == 1 and doc.modified
    doc.undo_stack.undo()
    assert _json(doc) == before and not doc.modified
    doc.undo_stack.redo()
    assert doc.node(nid).kind == "SQSQueue"


def test_changed_is_emitted_after_every_edit_and_undo(doc, qtbot):
    with qtbot.waitSignal(doc.changed, timeout=500):
        doc.set_node_value("worker", "properties", "MemorySize", 1024)
    with qtbot.waitSignal(doc.changed, timeout=500):
        doc.undo_stack.undo()


def test_connection_role_follows_from_the_kinds(doc):
    doc.add_node("S3Bucket", id_hint="bucket")
    roles, reason = doc.connection_roles("bucket", "worker")
    assert roles == ["invoke"] and reason is None
    roles, _ = doc.connection_roles("worker", "orders-dlq")
    assert set(roles) == {"dlq", "on_failure", "on_success", "emits"}


def test_impossible_connection_is_refused_with_the_reason(doc):
    doc.add_node("S3Bucket", id_hint="bucket")
    doc.add_node("DynamoDBTable", id_hint="table")
    roles, reason = doc.connection_roles("bucket", "table")
    assert roles == []
    assert "cannot connect to a DynamoDBTable" in reason and "Function (invoke)" in reason
    n = len(doc.scenario.edges)
    with pytest.raises(ConnectionRefused, match="DynamoDBTable"):
        doc.connect("bucket", "table")
    assert len(doc.scenario.edges) == n


def test_second_dlq_and_self_loops_are_refused(doc):
    doc.connect("worker", "orders-dlq", "dlq")
    doc.add_node("SQSQueue", id_hint="other")
    roles, _ = doc.connection_roles("worker", "other")
    assert "dlq" not in roles and "on_failure" in roles
    assert doc.connection_roles("worker", "worker") == ([], "a node cannot connect to itself")


def test_delete_takes_edges_and_workloads_and_undo_restores_the_file(doc):
    before = _json(doc)
    assert doc.remove(["orders"])
    sc = doc.scenario
    assert doc.node("orders") is None
    assert all("orders" not in (e.source, e.target) for e in sc.edges)
    assert sc.workloads == []
    doc.undo_stack.undo()
    assert _json(doc) == before


def test_rename_follows_edges_and_workloads(doc):
    assert doc.rename_node("orders", "purchases") is None
    sc = doc.scenario
    assert {e.source for e in sc.edges} >= {"purchases"}
    assert sc.workloads[0].target == "purchases"
    assert "already used" in doc.rename_node("purchases", "worker")
    doc.undo_stack.undo()
    assert doc.node("orders") is not None and sc.workloads[0].target == "orders"


def test_unsetting_a_nested_property_leaves_no_empty_object(doc):
    doc.set_node_value("orders", "properties", "RedrivePolicy.maxReceiveCount", None)
    assert "RedrivePolicy" not in doc.node("orders").properties
    doc.undo_stack.undo()
    assert doc.node("orders").properties["RedrivePolicy"] == {"maxReceiveCount": 5}


def test_edge_role_and_property_edits_are_undoable(doc):
    i = doc.connect("worker", "orders-dlq", "emits")
    doc.set_edge_value(i, "PerInvocation", 3)
    assert doc.scenario.edges[i].properties == {"PerInvocation": 3}
    assert doc.set_edge_role(i, "dlq") is None
    assert doc.scenario.edges[i].role == "dlq" and doc.scenario.edges[i].properties == {}
    doc.undo_stack.undo()
    assert doc.scenario.edges[i].role == "emits" and doc.scenario.edges[i].properties == {"PerInvocation": 3}


def test_paste_renames_clashing_ids_and_keeps_internal_edges(doc):
    frag = fragment_of(doc.scenario, ["orders", "orders-esm"])
    assert [e.role for e in frag.edges] == ["poll"]
    ids = doc.paste(frag, (40, 40))
    assert ids == ["orders-2", "orders-esm-2"]
    pasted = [e for e in doc.scenario.edges if e.source == "orders-2"]
    assert pasted and pasted[0].target == "orders-esm-2"
    assert doc.node("orders-2").position == (40.0, 40.0)
    assert any(w.target == "orders-2" for w in doc.scenario.workloads)
    doc.undo_stack.undo()
    assert doc.node("orders-2") is None


def test_apply_scenario_replaces_everything_in_one_step(doc):
    before = _json(doc)
    doc.apply_scenario(Scenario(name="Other"), "Import template")
    assert doc.scenario.name == "Other" and doc.scenario.nodes == []
    assert doc.undo_stack.undoText() == "Import template"
    doc.undo_stack.undo()
    assert _json(doc) == before


def test_commands_stay_correct_across_a_whole_scenario_replace(doc):
    i = doc.connect("worker", "orders-dlq", "emits")
    doc.set_edge_value(i, "PerInvocation", 2)
    doc.apply_scenario(doc.snapshot(), "Variant")
    doc.undo_stack.undo()  # back to the pre-replace objects (copies)
    doc.undo_stack.undo()  # the edge edit must still apply to the live edge
    assert doc.scenario.edges[i].properties == {}


def test_workload_and_meta_edits_are_validated_and_undoable(doc):
    w = doc.scenario.workloads[0].model_copy(deep=True)
    w.arrivals.rate = 400
    doc.set_workloads([w], "Faster checkout")
    assert doc.scenario.workloads[0].arrivals.rate == 400
    doc.undo_stack.undo()
    assert doc.scenario.workloads[0].arrivals.rate == 200
    err = doc.set_meta("bad", account={"ConcurrentExecutions": 0, "ScalingRatePer10Seconds": 1000, "Region": "x"})
    assert err and "ConcurrentExecutions" in err
    assert doc.scenario.account.ConcurrentExecutions == 1000
    assert isinstance(doc.scenario.workloads[0], Workload)


def test_layout_flows_left_to_right():
    sc = from_dict(ORDERS)
    pos = layered_positions(sc)
    assert pos["orders"][0] < pos["orders-esm"][0] < pos["worker"][0]
    assert pos["orders-dlq"][0] > pos["orders"][0]


def test_layout_survives_cycles():
    sc = from_dict({"nodes": [{"id": "f", "kind": "Function"}, {"id": "q", "kind": "SQSQueue"},
                              {"id": "m", "kind": "EventSourceMapping"}],
                    "edges": [{"from": "f", "to": "q", "role": "emits"}, {"from": "q", "to": "m", "role": "poll"},
                              {"from": "m", "to": "f", "role": "poll"}]})
    pos = layered_positions(sc)
    assert len(set(pos.values())) == 3


def test_nodes_without_positions_are_placed_on_load(qapp):
    doc = ScenarioDocument()
    doc.load_scenario(from_dict({"nodes": [{"id": "a", "kind": "ApiGateway"}, {"id": "f", "kind": "Function"}],
                                 "edges": [{"from": "a", "to": "f", "role": "invoke"}]}))
    assert doc.node("a").position[0] < doc.node("f").position[0]
    assert not doc.modified
