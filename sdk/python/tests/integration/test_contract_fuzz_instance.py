"""Contract fuzzing of the instance API through the control plane's proxy (issue 21, item 1:
"also run against the instance API through the proxy").

The module starts a ``graph-olap up`` of its own and, on it, one instance of the tutorial
mapping owned by alice — algorithms write back, so the fuzzed instance is nobody else's.
schemathesis reads the instance's document where an analyst finds it, through the proxy
(``/wrapper/{url_slug}/openapi.json``; checked in as ``docs/openapi-instance.json``) and sends
valid and invalid requests for **every operation** to ``{instance_url}`` — the document's paths
are the instance's own, the proxy adds only the prefix its ``servers`` entry names — as the
owner (alice), an admin (carol), ops (dave) and another analyst (bob, who must be refused with
``403 PERMISSION_DENIED`` everywhere but the public ``/health``, ``/ready`` and the document).

Checks on every response: the control-plane fuzzer's (``test_contract_fuzz.CHECKS``): no 5xx,
status code, content type and body conform to the document (the flat bodies of API.md §10.3,
the Arrow IPC media type of ``/query``, the error envelope of ``default``), and every 4xx is the
§1.12 envelope with a §1.13 code and the request id of its header.

To get past the 404s and the validation errors, about half of the examples use the catalogue's
real algorithm names, an existing execution id, the mapping's real labels and a real read-only
query.  Bounded run: ``GRAPH_OLAP_FUZZ_EXAMPLES`` examples per operation and role (default 5:
21 operations × 4 roles ≈ 420 requests); longer run, from ``sdk/python``::

    GRAPH_OLAP_FUZZ_EXAMPLES=200 python3 -m pytest -q tests/integration/test_contract_fuzz_instance.py
"""

from __future__ import annotations

import copy
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph_olap.notebook_setup import TUTORIAL_MAPPING

from .conftest import Platform, start_platform, stop_platform
from .test_contract_fuzz import (
    CHECKS,
    CREDENTIAL_HEADERS,
    DERANDOMIZE,
    MAX_EXAMPLES,
    STR,
    auth_headers,
    describe,
    envelope_problems,
    operation_strategy,
)
from .test_contract_fuzz_stateful import followed, run_state_machine

PUBLIC = {"/health", "/ready", "/openapi.json"}
ROLES = ["analyst", "admin", "ops", "analyst2"]


@dataclass
class FuzzedInstance:
    platform: Platform
    instance_id: int
    base_url: str
    known: Dict[str, Any]


def wait_running(http: httpx.Client, instance_id: int, timeout: float = 600) -> Dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inst = http.get(f"/api/instances/{instance_id}").json()["data"]
        if inst["status"] == "running":
            return inst
        assert inst["status"] in ("waiting_for_snapshot", "starting"), inst
        time.sleep(1)
    raise AssertionError(f"instance {instance_id} not running after {timeout}s")


def known_values(http: httpx.Client) -> Dict[str, Any]:
    """Real names on the fuzzed instance: algorithms, labels, an execution."""
    names = {ns: [a["name"] for a in http.get(f"/{ns}/algorithms").json()["algorithms"]]
             for ns in ("algo", "networkx")}
    schema = http.get("/schema").json()
    labels = [t["label"] for t in schema["node_tables"]]
    types = [t["type"] for t in schema["edge_tables"]]
    run = http.post("/algo/degree", json={"node_label": labels[0], "write_back": False})
    assert run.status_code == 202, run.text
    execution = run.json()["execution_id"]
    for _ in range(60):
        if http.get(f"/algo/status/{execution}").json()["status"] != "running":
            break
        time.sleep(0.5)
    key = http.post("/query", json={
        "query": f"MATCH (n:{labels[0]}) RETURN n.{schema['node_tables'][0]['primary_key']} "
                 "AS k LIMIT 2"}).json()["rows"]
    return {
        "name": sorted(set(names["algo"]))[:12]
        + sorted(set(names["networkx"]))[:12],
        "names": {ns: sorted(set(n))[:12] for ns, n in names.items()},
        "execution_id": [execution],
        "labels": labels, "types": types, "keys": [r[0] for r in key],
        "query": f"MATCH (n:{labels[0]}) RETURN n LIMIT 5",
    }


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzedInstance]:
    if os.environ.get("GRAPH_OLAP_TEST_API_URL"):
        pytest.fail("the instance fuzzer starts its own platform; unset GRAPH_OLAP_TEST_API_URL",
                    pytrace=False)
    platform = start_platform(Path(tmp_path_factory.mktemp("graph-olap-fuzz-instance")))
    owner = auth_headers(platform, "analyst")
    try:
        with httpx.Client(base_url=platform.url, headers=owner, timeout=60) as http:
            mappings = http.get("/api/mappings", params={"limit": 100}).json()["data"]
            mapping = next(m for m in mappings if m["name"] == TUTORIAL_MAPPING)
            created = http.post("/api/instances/from-mapping", json={
                "mapping_id": mapping["id"], "name": f"fuzz-instance-{os.getpid()}",
                "ttl": "PT2H"})
            assert created.status_code in (201, 202), created.text
            instance_id = created.json()["data"]["id"]
            inst = wait_running(http, instance_id)
        base = inst["instance_url"]
        if base.startswith("/"):
            base = platform.url + base
        with httpx.Client(base_url=base.rstrip("/"), headers=owner, timeout=60) as http:
            known = known_values(http)
        yield FuzzedInstance(platform, instance_id, base.rstrip("/"), known)
    finally:
        stop_platform(platform)


def prepared_document(raw: Dict[str, Any]) -> Dict[str, Any]:
    """The served document with an optional ``X-Request-ID`` on every operation (§1.3); the
    base URL replaces its ``servers``."""
    doc = copy.deepcopy(raw)
    doc.pop("servers", None)
    for ops in doc["paths"].values():
        for op in ops.values():
            op.setdefault("parameters", []).append(
                {"name": "X-Request-ID", "in": "header", "required": False, "schema": STR})
    return doc


@pytest.fixture(scope="module")
def instance_schema(fuzzed: FuzzedInstance) -> Any:
    served = httpx.get(fuzzed.base_url + "/openapi.json", timeout=10)
    assert served.status_code == 200, served.text
    checked_in = Path(__file__).resolve().parents[4] / "docs" / "openapi-instance.json"
    raw = served.json()
    assert raw == json.loads(checked_in.read_text()), \
        "the served instance document differs from docs/openapi-instance.json"
    schema = schemathesis.openapi.from_dict(prepared_document(raw))
    schema.config.update(base_url=fuzzed.base_url)
    return schema


def steer(case: Any, data: Any, known: Dict[str, Any]) -> None:
    """Real names and values in about half of the examples, to reach the handlers' work."""
    half = lambda label: data.draw(st.booleans(), label=label)  # noqa: E731
    for name in list(case.path_parameters or {}):
        if name in known and half(f"known {name}"):
            case.path_parameters[name] = data.draw(st.sampled_from(known[name]), label=name)
    body = case.body if isinstance(case.body, dict) else None
    if body is None:
        return
    if case.path == "/query" and half("real query"):
        body["query"] = known["query"]
    if case.path.endswith("/{name}") and half("real scope"):
        for k in ("node_labels", "edge_types", "edge_type", "subgraph_query"):
            body.pop(k, None)
        body["node_label"] = data.draw(st.sampled_from(known["labels"]), label="label")
        body["write_back"] = False
    if case.path == "/algo/shortest_path" and half("real keys"):
        body["source_id"] = data.draw(st.sampled_from(known["keys"]), label="source")
        body["target_id"] = data.draw(st.sampled_from(known["keys"]), label="target")
        body.pop("relationship_types", None)
        body.pop("source_label", None)
        body.pop("target_label", None)


def fuzz_operation(operation: Any, fuzzed: FuzzedInstance, role: str) -> None:
    headers = auth_headers(fuzzed.platform, role)
    foreign = role == "analyst2"

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
              suppress_health_check=list(HealthCheck))
    @given(case=operation_strategy(operation), data=st.data())
    def run(case: Any, data: Any) -> None:
        case.headers = {k: v for k, v in (case.headers or {}).items()
                        if k.lower() not in CREDENTIAL_HEADERS}
        steer(case, data, fuzzed.known)
        response = case.call_and_validate(base_url=fuzzed.base_url, headers=headers,
                                          checks=CHECKS, timeout=60)
        if foreign and case.path not in PUBLIC:
            # Another analyst's requests never reach the instance's data (API.md §10.2, §8).
            assert response.status_code == 403, \
                f"{case.method} {case.formatted_path} as bob → {response.status_code}"

    run()


def test_the_instance_document_is_served_through_the_proxy(fuzzed: FuzzedInstance) -> None:
    """Public like /health: anyone who can reach a running instance's URL can read it."""
    anonymous = httpx.get(fuzzed.base_url + "/openapi.json", timeout=10)
    assert anonymous.status_code == 200
    assert anonymous.json()["info"]["title"] == "graph-olap instance server"
    bad = httpx.get(fuzzed.base_url + "/schema", timeout=10)
    assert bad.status_code == 401
    assert not envelope_problems(401, bad.headers, bad.text)


@pytest.mark.parametrize("role", ROLES)
def test_every_instance_operation_honours_the_contract(role: str, instance_schema: Any,
                                                       fuzzed: FuzzedInstance) -> None:
    failures = []
    count = 0
    operations = [result.ok() for result in instance_schema.get_all_operations()]
    operations.sort(key=lambda op: op.method.upper() == "DELETE")
    for operation in operations:
        count += 1
        try:
            fuzz_operation(operation, fuzzed, role)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
            failures.append(f"--- {operation.label} as {role}:\n{describe(exc)}")
    assert count >= 20, f"only {count} operations in the instance document"
    assert not failures, f"{len(failures)} of {count} operations failed:\n" + "\n".join(failures)
    # The fuzzed instance is still serving.
    health = httpx.get(fuzzed.base_url + "/ready", timeout=10)
    assert health.status_code == 200, health.text


@pytest.mark.parametrize("role", ["analyst", "admin"])
def test_execution_sequences_follow_the_links(role: str, instance_schema: Any,
                                              fuzzed: FuzzedInstance) -> None:
    """Stateful: a started execution (``202``) leads, through the document's links, to its
    status and its cancellation with the id of the answer (``use_after_free`` and
    ``ensure_resource_availability`` with the stateless checks). Every other algorithm start is
    steered to a real algorithm on a real label without write-back."""
    known = fuzzed.known
    def steer(case: Any) -> None:
        namespace = case.path.split("/")[1]
        if case.method != "POST" or case.path != f"/{namespace}/{{name}}":
            return
        # Decided by what was drawn, so that a replay decides the same way.
        drawn = len(str(case.path_parameters.get("name")))
        if drawn % 2 and isinstance(case.body, dict):
            case.path_parameters["name"] = known["names"][namespace][drawn % 5]
            for k in ("node_labels", "edge_types", "edge_type", "subgraph_query"):
                case.body.pop(k, None)
            case.body.update(node_label=known["labels"][0], write_back=False)

    headers = auth_headers(fuzzed.platform, role)
    used: Dict[str, int] = {}
    # Which sequences a bounded run explores depends on the server's answers: a run that has
    # not read a started execution yet runs again with new draws (a few times at most).
    for attempt in range(4):
        try:
            scenarios = run_state_machine(instance_schema, headers, steer,
                                          derandomize=DERANDOMIZE and attempt == 0)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
            pytest.fail(f"stateful run as {role} failed:\n{describe(exc)}", pytrace=False)
        for ns in ("algo", "networkx"):
            for op, n in followed(scenarios, ("POST", f"/{ns}/{{name}}", 202),
                                  "execution_id").items():
                used[op] = used.get(op, 0) + n
        if any(k.startswith(("GET /algo/status/{execution_id} 200",
                             "GET /networkx/status/{execution_id} 200")) for k in used):
            break
    else:
        pytest.fail(f"no started execution was read through the links: {used}", pytrace=False)
    health = httpx.get(fuzzed.base_url + "/ready", timeout=10)
    assert health.status_code == 200, health.text
