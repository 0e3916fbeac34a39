"""The SDK against the platform's two contracts: every request every public resource method
sends is an operation of the checked-in OpenAPI document (``docs/openapi.json``), with a body
that validates against that operation's request schema and only query parameters it declares;
and every request of an instance connection (``client.instances.connect(…)``: queries, schema,
status, lock, health, ``conn.algo`` and ``conn.networkx``) is one of the instance API's
document (``docs/openapi-instance.json``), sent under the proxy prefix that document's
``servers`` names (``/wrapper/{url_slug}``).

The methods are found by reflection: every public method of every resource hung off
``GraphOLAPClient`` (``client.mappings``, ``snapshots``, ``instances``, ``favorites``,
``schema``, ``ops``, ``admin``, ``health``, ``users``) plus the client's own ``whoami``.  Each is
called twice — with its required arguments only, and with every argument this test knows a value
for — through an ``httpx.MockTransport`` that records the request and answers with the smallest
body the document's response schema allows, so that methods of several steps (create, then
poll) reach their later requests.  A method that sends nothing fails the test, unless it is
listed in ``NO_REQUEST`` with the reason.

The instance connection's methods are found the same way (public methods of
``InstanceConnection``, ``AlgorithmManager`` and ``NetworkXManager``, the generated typed
algorithm wrappers included) and called through a connection whose transport answers from the
instance document.  ``instances.connect``, ``check_health`` and ``get_health`` of the client
open such a connection (or call an instance's ``/health``) and are covered there.

Not covered here, by design: ``client.platform`` (it runs the ``graph-olap platform`` command,
whose requests are the Rust platform-as-code client's).
"""

from __future__ import annotations

import inspect
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import parse_qsl

import httpx
import jsonschema
import pytest

from graph_olap.client import GraphOLAPClient
from graph_olap.config import Config
from graph_olap.http import HTTPClient, RetryPolicy
from graph_olap.instance import AlgorithmManager, InstanceConnection, NetworkXManager
from graph_olap.resources._base import Resource

DOCS = Path(__file__).resolve().parents[4] / "docs"
DOC_PATH = DOCS / "openapi.json"
INSTANCE_DOC_PATH = DOCS / "openapi-instance.json"

#: Requests one call may make before the transport stops it (polling loops).
MAX_REQUESTS = 12

#: Methods whose point is the instance server: they need a running instance (the smallest
#: answer is not one) and hand over to an instance connection, whose requests are checked
#: against the instance document below.
NOT_CONTROL_PLANE = {
    "instances.connect": "opens an instance connection (test_every_instance_call_…)",
    "instances.check_health": "an instance server's /health (InstanceConnection.health)",
    "instances.get_health": "an instance server's /health (InstanceConnection.health)",
}

#: Methods that send no request at all.
NO_REQUEST: Dict[str, str] = {}

NODE = {"label": "Customer", "sql": "SELECT id, name FROM customers",
        "primary_key": {"name": "id", "type": "STRING"},
        "properties": [{"name": "name", "type": "STRING"}]}

#: Argument values by parameter name: what a caller would pass.
VALUES: Dict[str, Any] = {
    "mapping_id": 1, "snapshot_id": 2, "instance_id": 3, "resource_id": 4,
    "version": 1, "from_version": 1, "to_version": 2, "mapping_version": 1,
    "key_id": "k1", "username": "analyst_alice@e2e.local",
    "name": "contract", "new_name": "contract copy", "description": "a description",
    "change_description": "why it changed", "snapshot_name": "contract snapshot",
    "node_definitions": [NODE], "edge_definitions": [],
    "ttl": "PT4H", "inactivity_timeout": "PT1H", "expected_version": 1,
    "hours": 24, "cpu_cores": 2, "memory_gb": 4, "wrapper_type": "ryugraph",
    "resource_type": "mapping", "filters": {"name_prefix": "tmp-"}, "reason": "contract test",
    "expected_count": 1, "dry_run": True,
    "role": "analyst", "email": "alice@example.com", "display_name": "Alice",
    "create_api_key": True, "is_active": True, "token": "bootstrap-token",
    "expires_at": "2030-01-01T00:00:00Z",
    "catalog": "default_catalog", "schema": "default_schema", "table": "customers",
    "pattern": "cust",
    "enabled": True, "message": "back soon", "job_name": "reconciliation",
    "per_analyst": 5, "cluster_total": 50, "max_duration_seconds": 3600,
    "mapping": {"default_ttl": "PT24H", "max_ttl": "P7D"},
    "snapshot": {"default_ttl": "P1D"}, "instance": {"default_inactivity": "PT2H"},
    "owner": "me", "status": "running", "search": "cont", "event_type": "created",
    "created_after": "2026-01-01T00:00:00Z", "created_before": "2026-12-31T00:00:00Z",
    "sort_by": "name", "sort_order": "asc", "offset": 0, "limit": 10,
    "include_terminated": True, "include_instances": False, "action": "mapping.create",
    "idempotency_key": "contract-key-1",
    "timeout": 60, "poll_interval": 0, "show_progress": False, "on_progress": None,
    "instance_name": "contract instance", "wait_timeout": 60,
}


#: Methods whose arguments are alternatives, or that refuse to send without one of their
#: optional arguments: the keyword sets they are called with instead (the first for the
#: "required" variant, the rest for "all-arguments").
ARGUMENT_SETS: Dict[str, List[Dict[str, Any]]] = {
    "instances.create": [
        {"mapping_id": 1, "name": "contract"},
        {"snapshot_id": 2, "name": "contract", "description": "d", "ttl": "PT4H",
         "inactivity_timeout": "PT1H", "cpu_cores": 2, "memory_gb": 4, "wrapper_type": "ryugraph",
         "idempotency_key": "k1"},
        {"mapping_id": 1, "name": "contract", "mapping_version": 1, "snapshot_name": "s",
         "description": "d", "ttl": "PT4H", "inactivity_timeout": "PT1H", "cpu_cores": 2,
         "memory_gb": 4, "wrapper_type": "falkordb", "idempotency_key": "k2"},
    ],
    "instances.create_and_wait": [
        {"mapping_id": 1, "name": "contract", "show_progress": False},
        {"snapshot_id": 2, "name": "contract", "description": "d", "ttl": "PT4H",
         "inactivity_timeout": "PT1H", "cpu_cores": 2, "timeout": 60, "poll_interval": 0,
         "show_progress": False},
        {"mapping_id": 1, "name": "contract", "mapping_version": 1, "snapshot_name": "s",
         "memory_gb": 4, "show_progress": False},
    ],
    "mappings.create": [
        {"name": "contract", "node_definitions": [NODE]},
    ],
    "ops.update_concurrency_config": [
        {"per_analyst": 5},
    ],
    "client.quick_start": [
        {"mapping_id": 1, "show_progress": False},
    ],
}

# ------------------------------------------------------------------------- the document


class Contract:
    """One OpenAPI document: its operations, and checking a request against them.

    ``prefix`` is a path prefix the paths are served under (a regex; the instance document's
    ``servers`` entry ``/wrapper/{url_slug}``), removed before matching.
    """

    def __init__(self, path: Path, prefix: str = "") -> None:
        self.doc: Dict[str, Any] = json.loads(path.read_text())
        self.schemas: Dict[str, Any] = self.doc["components"]["schemas"]
        self.prefix = re.compile("^" + prefix) if prefix else None
        out = []
        for template, item in self.doc["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "/?$")
            for method, op in item.items():
                out.append((method.upper(), template, pattern, op))
        # Literal templates first (``/algo/shortest_path`` before ``/algo/{name}``).
        out.sort(key=lambda o: -sum(1 for s in o[1].split("/") if s and not s.startswith("{")))
        self.operations: List[Tuple[str, str, re.Pattern[str], Dict[str, Any]]] = out

    def local(self, path: str) -> Optional[str]:
        """``path`` without the prefix; ``None`` when it is not under the prefix."""
        if self.prefix is None:
            return path
        m = self.prefix.match(path)
        return path[m.end():] or "/" if m else None

    def find(self, method: str, path: str) -> Optional[Tuple[str, Dict[str, Any]]]:
        local = self.local(path)
        if local is None:
            return None
        for m, template, pattern, op in self.operations:
            if m == method and pattern.match(local):
                return template, op
        return None

    def resolve(self, schema: Dict[str, Any]) -> Dict[str, Any]:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def example(self, schema: Any, depth: int = 0) -> Any:
        """The smallest instance of ``schema``: required properties only, empty arrays."""
        if not isinstance(schema, dict) or depth > 12:
            return None
        schema = self.resolve(schema)
        for key in ("allOf", "anyOf", "oneOf"):
            if key in schema:
                return self.example(schema[key][-1 if key == "anyOf" else 0], depth + 1)
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object" or "properties" in schema:
            return {name: self.example(schema["properties"].get(name, {}), depth + 1)
                    for name in schema.get("required", [])}
        if kind == "array":
            return []
        if kind == "string":
            return {"date-time": "2026-01-01T00:00:00Z", "duration": "PT1H"}.get(
                schema.get("format", ""), "x")
        if kind == "integer":
            return max(1, int(schema.get("minimum", 1)))
        if kind == "number":
            return 1.0
        if kind == "boolean":
            return False
        return None

    def validator(self, schema: Dict[str, Any]) -> jsonschema.Draft202012Validator:
        root = {"components": self.doc["components"], "allOf": [schema]}
        return jsonschema.Draft202012Validator(root)

    def problems(self, request: httpx.Request) -> List[str]:
        """What is wrong with one recorded request against the document (empty when nothing)."""
        found = self.find(request.method, request.url.path)
        if found is None:
            return [f"{request.method} {request.url.path} is not an operation of the document"]
        template, op = found
        out = []
        for name, value in parse_qsl(request.url.query.decode(), keep_blank_values=True):
            out.extend(query_problems(name, value, op))
        raw = request.content
        body = json.loads(raw) if raw else None
        declared = op.get("requestBody")
        if body is not None and declared is None:
            out.append("sends a body the operation does not take")
        if declared is not None:
            if body is None and declared.get("required"):
                out.append("sends no body; the operation requires one")
            elif body is not None:
                schema = declared["content"]["application/json"]["schema"]
                out.extend(f"body {list(e.absolute_path)}: {e.message}"
                           for e in self.validator(schema).iter_errors(body))
        return [f"{request.method} {template}: {p}" for p in out]

    def answer(self, request: httpx.Request) -> httpx.Response:
        """The smallest success the document allows for ``request`` (404 when unknown)."""
        found = self.find(request.method, request.url.path)
        if found is None:
            return httpx.Response(404, json={"error": {"code": "NOT_FOUND", "message": "no route",
                                                       "details": {}},
                                             "meta": {"request_id": "r"}})
        _, op = found
        status, reply = next((s, r) for s, r in op["responses"].items() if s.startswith("2"))
        content = reply.get("content", {})
        if "application/json" not in content:
            return httpx.Response(int(status), text="# metrics\n")
        return httpx.Response(int(status),
                              json=self.example(content["application/json"]["schema"]))


CONTROL_PLANE = Contract(DOC_PATH)
INSTANCE_DOC: Dict[str, Any] = json.loads(INSTANCE_DOC_PATH.read_text())
#: The proxy prefix the instance document's first server names, as a regex.
INSTANCE_PREFIX = re.sub(r"\{[^}]+\}", "[^/]+", INSTANCE_DOC["servers"][0]["url"])
INSTANCE = Contract(INSTANCE_DOC_PATH, INSTANCE_PREFIX)
DOC = CONTROL_PLANE.doc


def query_problems(name: str, value: str, op: Dict[str, Any]) -> List[str]:
    declared = {p["name"]: p for p in op.get("parameters", []) if p.get("in") == "query"}
    if name not in declared:
        return [f"query parameter {name!r} is not declared"]
    schema = declared[name]["schema"]
    kind = schema.get("type")
    try:
        if kind == "integer":
            if int(value) < schema.get("minimum", int(value)):
                return [f"query {name}={value} below its minimum"]
            if int(value) > schema.get("maximum", int(value)):
                return [f"query {name}={value} above its maximum"]
        elif kind == "boolean" and value not in ("true", "false"):
            return [f"query {name}={value!r} is not true/false"]
        elif schema.get("format") == "date-time":
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        if "enum" in schema and value not in schema["enum"]:
            return [f"query {name}={value!r} not in {schema['enum']}"]
    except ValueError:
        return [f"query {name}={value!r} is not a {kind or schema.get('format')}"]
    return []


def problems(request: httpx.Request) -> List[str]:
    """What is wrong with one request to the control plane (empty when nothing)."""
    return CONTROL_PLANE.problems(request)


# ------------------------------------------------------------------------- the recorder


class StopCalls(Exception):
    """Raised by the transport once a call made ``MAX_REQUESTS`` requests."""


class Recorder:
    """An httpx transport that records requests and answers from the documents: the instance
    document for paths under its proxy prefix, the control plane's for the rest."""

    def __init__(self) -> None:
        self.requests: List[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if len(self.requests) > MAX_REQUESTS:
            raise StopCalls()
        if INSTANCE.local(request.url.path) is not None:
            return INSTANCE.answer(request)
        return CONTROL_PLANE.answer(request)


def client_with(recorder: Recorder) -> GraphOLAPClient:
    client = GraphOLAPClient(api_url="http://control-plane.test",
                             username="analyst_alice@e2e.local")
    http = HTTPClient(Config(api_url="http://control-plane.test",
                             username="analyst_alice@e2e.local"),
                      retry_policy=RetryPolicy(max_retries=0),
                      transport=httpx.MockTransport(recorder), sleep=lambda _s: None)
    client._http.close()
    client._http = http
    for resource in vars(client).values():
        if isinstance(resource, Resource):
            resource._http = http
    return client


def resource_methods() -> List[str]:
    """``resource.method`` of every public method of every resource, and the client's own."""
    client = GraphOLAPClient(api_url="http://control-plane.test", username="x@e2e.local")
    names = []
    for attr, resource in sorted(vars(client).items()):
        if isinstance(resource, Resource):
            for name, _ in inspect.getmembers(type(resource), inspect.isfunction):
                if not name.startswith("_"):
                    names.append(f"{attr}.{name}")
    names.extend(f"client.{name}" for name in ("whoami", "quick_start"))
    client.close()
    return names


def call_args(fn: Callable[..., Any], everything: bool) -> Tuple[List[Any], Dict[str, Any]]:
    args: List[Any] = []
    kwargs: Dict[str, Any] = {}
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        required = p.default is p.empty
        if not required and not (everything and p.name in VALUES):
            continue
        if p.name not in VALUES:
            raise AssertionError(f"no value for parameter {p.name!r} of {fn.__qualname__}")
        if p.kind == p.POSITIONAL_OR_KEYWORD and required:
            args.append(VALUES[p.name])
        else:
            kwargs[p.name] = VALUES[p.name]
    return args, kwargs


METHODS = [m for m in resource_methods() if m not in NOT_CONTROL_PLANE]


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.sleep", lambda _s: None)


@pytest.mark.parametrize("everything", [False, True], ids=["required", "all-arguments"])
@pytest.mark.parametrize("method", METHODS)
def test_every_sdk_call_is_an_operation_of_the_contract(method: str, everything: bool) -> None:
    recorder = Recorder()
    client = client_with(recorder)
    owner_name, name = method.split(".")
    owner = client if owner_name == "client" else getattr(client, owner_name)
    fn = getattr(owner, name)
    if method in ARGUMENT_SETS:
        sets = ARGUMENT_SETS[method]
        calls = [([], kw) for kw in (sets[1:] or sets[:1] if everything else sets[:1])]
    else:
        calls = [call_args(fn, everything)]
    try:
        for args, kwargs in calls:
            try:
                fn(*args, **kwargs)
            except StopCalls:
                pass
            except Exception:  # a later step may reject the minimal reply; requests still count
                pass
    finally:
        client.close()
    sent = [r for r in recorder.requests if INSTANCE.local(r.url.path) is None]
    if method in NO_REQUEST:
        assert not sent, f"{method} was listed as sending nothing"
        return
    assert sent, f"{method} sent no request to the control plane"
    # Requests a method makes to the instance it started (quick_start's connection) are held
    # to the instance document.
    found = [p for r in recorder.requests
             for p in (CONTROL_PLANE if r in sent else INSTANCE).problems(r)]
    assert not found, f"{method}:\n" + "\n".join(found)


def test_the_method_list_is_complete() -> None:
    """Reflection found every resource (a new resource is covered without editing this file)."""
    owners = {m.split(".")[0] for m in METHODS}
    assert {"mappings", "snapshots", "instances", "favorites", "schema", "ops", "admin",
            "health", "users", "client"} <= owners
    assert len(METHODS) > 80


def test_the_checker_rejects_what_the_document_does_not_allow() -> None:
    """The check is not vacuous: an unknown path, a wrong body and an undeclared query fail."""
    bad_path = httpx.Request("GET", "http://x/api/no-such-thing")
    assert problems(bad_path)
    bad_body = httpx.Request("POST", "http://x/api/favorites",
                             json={"resource_type": "mapping", "resource_id": "seven"})
    assert any("resource_id" in p for p in problems(bad_body))
    missing = httpx.Request("POST", "http://x/api/favorites", json={"resource_type": "mapping"})
    assert problems(missing)
    bad_query = httpx.Request("GET", "http://x/api/mappings?colour=red")
    assert any("colour" in p for p in problems(bad_query))
    good = httpx.Request("GET", "http://x/api/mappings?limit=5&sort_order=asc")
    assert problems(good) == []


# ------------------------------------------------------------------- instance connections

#: The base URL ``client.instances.connect`` gives a connection: the proxied ``instance_url``.
INSTANCE_URL = "http://control-plane.test/wrapper/contract-slug"

#: Argument values of the instance connection's methods, by parameter name.
INSTANCE_VALUES: Dict[str, Any] = {
    "cypher": "MATCH (c:Customer) RETURN c.id AS id", "parameters": {"min": 1},
    "timeout": 30, "timeout_ms": 30000, "max_rows": 10, "coerce_types": True,
    "algorithm": "pagerank", "name": "pagerank", "execution_id": "e1", "execution": "e1",
    "node_label": "Customer", "property_name": "pr", "result_property": "pr",
    "edge_type": "KNOWS", "params": {"damping_factor": 0.85}, "write_back": True,
    "wait": True, "poll_interval": 0, "show_progress": False,
    "subgraph_query": "MATCH (a)-[r]->(b) RETURN id(a), id(b)",
    "category": "centrality", "search": "rank", "status": "completed", "limit": 10,
    "source_id": "c1", "target_id": "c2", "relationship_types": ["KNOWS"], "max_depth": 5,
    "source_label": "Customer", "target_label": "Customer", "direction": "both",
    "node": ("Customer", "c1"), "hops": 1,
}

#: Parameters that are optional in the signature only because another spelling may replace
#: them (``query=``, ``name=``): always given.
ESSENTIAL = ("cypher", "algorithm")

#: Connection methods that send nothing to the instance, and why.
INSTANCE_NO_REQUEST: Dict[str, str] = {
    "conn.close": "releases the connection pool",
    "conn.terminate": "asks the control plane (instances.terminate, covered above)",
}


def connection_with(recorder: Recorder) -> InstanceConnection:
    config = Config(api_url="http://control-plane.test", username="analyst_alice@e2e.local")
    conn = InstanceConnection(INSTANCE_URL, config=config)
    http = HTTPClient(config, base_url=INSTANCE_URL, retry_policy=RetryPolicy(max_retries=0),
                      transport=httpx.MockTransport(recorder), sleep=lambda _s: None)
    conn._http.close()
    conn._http = http
    return conn


def connection_methods() -> List[str]:
    """``owner.method`` of every public method of a connection and its two managers (the
    generated typed algorithm wrappers included)."""
    names = []
    for owner, cls in (("conn", InstanceConnection), ("algo", AlgorithmManager),
                       ("networkx", NetworkXManager)):
        for name, _ in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_"):
                names.append(f"{owner}.{name}")
    return names


def instance_call_args(fn: Callable[..., Any], everything: bool
                       ) -> Tuple[List[Any], Dict[str, Any]]:
    args: List[Any] = []
    kwargs: Dict[str, Any] = {}
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        required = p.default is p.empty
        if not required and p.name in ESSENTIAL:
            kwargs[p.name] = INSTANCE_VALUES[p.name]
            continue
        if not required and not (everything and p.name in INSTANCE_VALUES):
            continue
        if p.name not in INSTANCE_VALUES:
            raise AssertionError(f"no value for parameter {p.name!r} of {fn.__qualname__}")
        if p.kind == p.POSITIONAL_OR_KEYWORD and required:
            args.append(INSTANCE_VALUES[p.name])
        else:
            kwargs[p.name] = INSTANCE_VALUES[p.name]
    if "show_progress" in inspect.signature(fn).parameters:
        kwargs["show_progress"] = False
    return args, kwargs


CONNECTION_METHODS = connection_methods()


@pytest.mark.parametrize("everything", [False, True], ids=["required", "all-arguments"])
@pytest.mark.parametrize("method", CONNECTION_METHODS)
def test_every_instance_call_is_an_operation_of_the_instance_contract(
        method: str, everything: bool) -> None:
    recorder = Recorder()
    conn = connection_with(recorder)
    owner_name, name = method.split(".")
    owner = conn if owner_name == "conn" else getattr(conn, owner_name)
    fn = getattr(owner, name)
    args, kwargs = instance_call_args(fn, everything)
    try:
        fn(*args, **kwargs)
    except StopCalls:
        pass
    except Exception:  # a later step may reject the minimal reply; requests still count
        pass
    finally:
        conn.close()
    sent = recorder.requests
    if method in INSTANCE_NO_REQUEST:
        assert not sent, f"{method} was listed as sending nothing"
        return
    assert sent, f"{method} sent no request to the instance"
    assert all(INSTANCE.local(r.url.path) is not None for r in sent), \
        f"{method} left the instance URL: {[str(r.url) for r in sent]}"
    found = [p for r in sent for p in INSTANCE.problems(r)]
    assert not found, f"{method}:\n" + "\n".join(found)


def test_the_connection_method_list_is_complete() -> None:
    """Reflection found the data plane: queries, metadata, both managers, typed wrappers."""
    for expected in ("conn.query", "conn.query_arrow", "conn.get_schema", "conn.status",
                     "conn.get_lock", "conn.health", "conn.is_ready", "algo.run",
                     "algo.shortest_path", "algo.executions", "algo.cancel", "algo.status",
                     "algo.algorithms", "networkx.run", "algo.pagerank"):
        assert expected in CONNECTION_METHODS, expected
    assert len(CONNECTION_METHODS) > 50


def test_the_instance_checker_rejects_what_the_document_does_not_allow() -> None:
    """The instance check is not vacuous: outside the prefix, a wrong body, an undeclared
    query parameter, a bad enum value all fail."""
    base = INSTANCE_URL
    assert INSTANCE.problems(httpx.Request("POST", "http://x/query", json={"query": "x"}))
    assert INSTANCE.problems(httpx.Request("POST", f"{base}/query", json={"query": 1}))
    assert INSTANCE.problems(httpx.Request("POST", f"{base}/query", json={}))
    assert any("colour" in p for p in INSTANCE.problems(
        httpx.Request("GET", f"{base}/algo/executions?colour=red")))
    assert INSTANCE.problems(httpx.Request("GET", f"{base}/algo/executions?status=finished"))
    assert INSTANCE.problems(httpx.Request("POST", f"{base}/algo/shortest_path",
                                           json={"max_depth": "deep"}))
    assert INSTANCE.problems(httpx.Request("POST", f"{base}/algo/pagerank",
                                           json={"write_back": "yes"}))
    good = httpx.Request("POST", f"{base}/algo/pagerank",
                         json={"node_label": "Customer", "parameters": {"damping_factor": 0.9}})
    assert INSTANCE.problems(good) == []
    assert INSTANCE.problems(httpx.Request("GET", f"{base}/networkx/status/e1")) == []
