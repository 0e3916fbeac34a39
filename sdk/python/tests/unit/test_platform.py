"""``client.platform`` result objects: parsing of ``graph-olap platform … --json`` and their tables."""

from __future__ import annotations

from typing import Any, Dict

from graph_olap import GraphOLAPClient
from graph_olap.resources.platform import PlatformApplyResult, PlatformPlan

PLAN: Dict[str, Any] = {
    "platform": "graph-olap-demo",
    "declaration_digest": "ab",
    "converged": False,
    "notes": [],
    "changes": [
        {"step": 1, "resource": "mapping/tutorial-customer-graph", "kind": "mapping", "action": "update",
         "disposition": "ready", "summary": "update mapping 'tutorial-customer-graph' → new version 2",
         "detail": {"diff": {"changes": {"nodes": [{"label": "Customer", "fields_changed": ["sql"]}]}}},
         "change_digest": "cd", "approval_id": None, "live_id": "1",
         "request": {"method": "PUT", "path": "/api/mappings/1", "body": {}}},
        {"step": 2, "resource": "mapping/old", "kind": "mapping", "action": "delete",
         "disposition": "blocked: approval_required", "summary": "delete mapping 'old' <id 2>", "detail": {},
         "change_digest": "ef", "approval_id": None, "live_id": "2",
         "request": {"method": "DELETE", "path": "/api/mappings/2", "body": None}},
    ],
}


def test_plan_parses_and_renders_every_change_escaped() -> None:
    plan = PlatformPlan.from_json(PLAN)
    assert [c.step for c in plan.changes] == [1, 2]
    assert not plan.converged
    assert plan.changes[0].detail["diff"]["changes"]["nodes"][0]["fields_changed"] == ["sql"]
    assert [c.blocked for c in plan.changes] == [False, True]
    html = plan._repr_html_()
    assert html.count("<tr>") == 3  # header + two changes
    assert "blocked: approval_required" in html and "&lt;id 2&gt;" in html
    assert "converged: <b>false</b>" in html


def test_apply_result_carries_each_result() -> None:
    recovered = [{"intent_id": "i", "resource": "r", "action": "create", "result": "retired"}]
    raw = {"actor": "dave", "recovered": recovered,
           "converged": False,
           "steps": [{"change": PLAN["changes"][0], "result": "applied"},
                     {"change": PLAN["changes"][1], "result": "blocked: approval_required"}]}
    result = PlatformApplyResult.from_json(raw)
    assert [s.result for s in result.steps] == ["applied", "blocked: approval_required"]
    assert result.recovered[0]["result"] == "retired"
    assert "<th>result</th>" in result._repr_html_()


def test_the_client_exposes_platform() -> None:
    client = GraphOLAPClient(api_url="http://127.0.0.1:9", api_key="gok_x")
    args = client.platform._base_args("plan", "examples/platform")
    assert args[1:3] == ["platform", "plan"] and "--json" in args and "http://127.0.0.1:9" in args
