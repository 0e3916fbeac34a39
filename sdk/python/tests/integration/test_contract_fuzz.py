"""Contract fuzzing of the control-plane REST API with schemathesis (issue 21, item 1).

schemathesis reads ``/api/openapi.json`` from a real ``graph-olap up`` of this module's own (so
that what the fuzzer changes never leaks into the other integration tests; with
``GRAPH_OLAP_TEST_API_URL`` set, that platform is used instead) and generates valid and invalid
(schemathesis "positive" and "negative" modes) requests for **every operation** in the document,
once per persona role: ``analyst`` (alice), ``admin`` (carol) and ``ops`` (dave), authenticated
with the persona's API key from the ``up`` log (``Authorization: Bearer gok_…``), or with the
``X-Username`` development identity against an external platform.  Credentials the generator
derives from the security schemes are dropped, so each role is really exercised as itself.

Checks on every response (all of them on every example):

* ``not_a_server_error`` — no 5xx;
* ``status_code_conformance``, ``content_type_conformance``, ``response_schema_conformance`` —
  the response matches the document: every success body validates against the operation's
  response schema (generated from the wire types, ``docs/openapi.json``) and every other status
  against the ``ErrorEnvelope`` schema of its ``default`` response;
* ``error_envelope`` (custom, below) — every 4xx body is exactly
  ``{"error": {"code", "message", "details"}, "meta": {"request_id"}}``: ``details`` an object,
  ``message`` a non-empty string, ``code`` one of API.md §1.13 (``ErrorCode`` in
  crates/api/src/error.rs) with the HTTP status that table gives it, and ``meta.request_id``
  equal to the ``X-Request-ID`` response header.

The request bodies and query parameters are the served document's own (each operation's
``requestBody`` schema and its declared list filters), so positive examples are bodies the
contract allows and negative ones break it.  The only addition made in memory is an optional
``X-Request-ID`` header on every operation (§1.3).

To get past the 404s, about half of the examples put an existing value into each path parameter
(two mappings created per role and owned by it, a favorite, a throw-away user
``fuzz_target@e2e.local`` with an API key, ``analyst_bob``, the demo catalogs, schemas and
tables), and half of the mapping create/update bodies are the demo mapping's valid definition
around the generated ``name``/``description``/``ttl``.  ``DELETE`` operations run last in each role.

Excluded operations, and why:

* ``DELETE /api/users/{username}``, ``PUT /api/users/{username}/role`` — an admin fuzzing these
  could deactivate or demote the personas the rest of the run authenticates as;
* ``PUT /api/config/maintenance`` — enabling maintenance mode would turn every later create into
  a ``503 MAINTENANCE_MODE``, which ``not_a_server_error`` counts as a failure;
* ``DELETE /api/admin/resources/bulk``, ``POST /api/admin/resources/bulk-delete`` — could delete
  the mappings the remaining operations and roles are fuzzed against.

Everything else runs, including ``/api/internal/*`` (personas hold no internal key, so each must
answer ``401 UNAUTHORIZED`` in the envelope).

Bounded run (``scripts/test``): ``GRAPH_OLAP_FUZZ_EXAMPLES`` examples per operation and role,
default 5 — 94 operations (99 less the 5 excluded) × 3 roles ≈ 1,400 requests (at 81
operations, before the document had body schemas, that took about 35 s on two cores).  Hypothesis is
derandomized, so a run is reproducible; ``GRAPH_OLAP_FUZZ_RANDOM=1`` draws new examples each
time.  Longer run, one command from ``sdk/python``::

    GRAPH_OLAP_FUZZ_EXAMPLES=200 python3 -m pytest -q tests/integration/test_contract_fuzz.py

(100 examples: about 24,000 requests, under 6 minutes.)  A failure lists every failing operation
with the schemathesis reproduction (a ``curl`` command) of its minimal example.
"""

from __future__ import annotations

import copy
import json
import os
from typing import Any, Dict

import httpx
import pytest

# A plain import: a missing schemathesis fails the run (it is in the `test` extra), never skips.
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import PERSONAS, Platform

MAX_EXAMPLES = int(os.environ.get("GRAPH_OLAP_FUZZ_EXAMPLES", "5"))
DERANDOMIZE = os.environ.get("GRAPH_OLAP_FUZZ_RANDOM", "") in ("", "0")

# API.md §1.13: code → the HTTP status it always travels with (crates/api/src/error.rs ErrorCode).
ERROR_CODES: Dict[str, int] = {
    "UNAUTHORIZED": 401,
    "USER_DISABLED": 403,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
    "VALIDATION_FAILED": 400,
    "PAYLOAD_TOO_LARGE": 413,
    "ALREADY_EXISTS": 409,
    "INVALID_STATE": 409,
    "RESOURCE_HAS_DEPENDENCIES": 409,
    "CONCURRENCY_LIMIT_EXCEEDED": 409,
    "IDEMPOTENCY_KEY_REUSED": 409,
    "RESOURCE_LOCKED": 409,
    "LEASE_EXPIRED": 409,
    "RATE_LIMITED": 429,
    "QUERY_SYNTAX_ERROR": 400,
    "QUERY_UNSUPPORTED": 400,
    "READ_ONLY_VIOLATION": 400,
    "QUERY_FAILED": 400,
    "QUERY_TIMEOUT": 408,
    "ALGORITHM_NOT_FOUND": 404,
    "ALGORITHM_TIMEOUT": 408,
    "MAINTENANCE_MODE": 503,
    "INSTANCE_NOT_READY": 503,
    "SERVICE_UNAVAILABLE": 503,
    "UPSTREAM_ERROR": 502,
    "INTERNAL_ERROR": 500,
}

EXCLUDED = {
    ("DELETE", "/api/users/{username}"),
    ("PUT", "/api/users/{username}/role"),
    ("PUT", "/api/config/maintenance"),
    ("DELETE", "/api/admin/resources/bulk"),
    ("POST", "/api/admin/resources/bulk-delete"),
}
STR = {"type": "string"}


def envelope_problems(status: int, headers: Any, text: str) -> list:
    """What is wrong with a 4xx body against API.md §1.12 (empty when nothing)."""
    try:
        body = json.loads(text)
    except ValueError:
        return [f"body is not JSON: {text[:200]!r}"]
    if not isinstance(body, dict) or set(body) != {"error", "meta"}:
        return [f"top-level keys are not exactly error, meta: {text[:300]}"]
    problems = []
    error, meta = body["error"], body["meta"]
    if not isinstance(error, dict) or set(error) != {"code", "message", "details"}:
        problems.append(f"error keys are not exactly code, message, details: {error!r}"[:300])
    else:
        code = error["code"]
        if code not in ERROR_CODES:
            problems.append(f"code {code!r} is not in API.md §1.13")
        elif ERROR_CODES[code] != status:
            problems.append(f"code {code} travels with {ERROR_CODES[code]}, got HTTP {status}")
        if not isinstance(error["message"], str) or not error["message"]:
            problems.append(f"message is not a non-empty string: {error['message']!r}")
        if not isinstance(error["details"], dict):
            problems.append(f"details is not an object: {error['details']!r}")
    if not isinstance(meta, dict) or not isinstance(meta.get("request_id"), str):
        problems.append(f"meta.request_id missing: {meta!r}")
    else:
        header = headers.get("x-request-id") if headers is not None else None
        if header is None:
            problems.append("no X-Request-ID header")
        elif isinstance(header, list):
            header = header[0]
        if header is not None and header != meta["request_id"]:
            problems.append(f"meta.request_id {meta['request_id']!r} != X-Request-ID {header!r}")
    return problems


def error_envelope(ctx: Any, response: Any, case: Any) -> bool:
    """Custom check: every 4xx uses the §1.12 envelope with a §1.13 code."""
    status = response.status_code
    if not 400 <= status < 500:
        return True
    problems = envelope_problems(status, response.headers, response.text)
    if problems:
        raise AssertionError(
            f"{case.method} {case.formatted_path} → {status}: " + "; ".join(problems))
    return True


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, error_envelope]


MAPPING_FIELDS = ("name", "description", "node_definitions", "edge_definitions")


def known_values(platform: Platform) -> Dict[str, Any]:
    """Existing names, plus a throw-away user with an API key for the user operations.

    Usernames offered are only that user and ``analyst_bob`` (not a fuzzing role), so that an
    admin deactivating them does not lock the run out.  The mapping ids are added per role
    (:func:`role_values`).
    """
    admin = {"X-Username": PERSONAS["admin"]}
    with httpx.Client(base_url=platform.url, headers=admin, timeout=30) as http:
        target = "fuzz_target@e2e.local"
        http.post("/api/users", json={"username": target})
        key = http.post(f"/api/users/{target}/api-keys", json={"name": "fuzz"}).json()
        demo = http.get("/api/mappings", params={"sort_by": "name", "sort_order": "asc"})
        template = http.get(f"/api/mappings/{demo.json()['data'][0]['id']}").json()["data"]
        catalogs = [c["catalog_name"] for c in http.get("/api/schema/catalogs").json()["data"]]
        tables = http.get("/api/schema/search/tables", params={"q": "a"}).json()["data"]
    return {
        "version": ["1", "2"], "from_version": ["1", "2"], "to_version": ["1", "2"],
        "resource_type": ["mapping", "snapshot", "instance"],
        "username": [target, PERSONAS["analyst2"]],
        "key_id": [str(key.get("data", {}).get("id", 1))],
        "catalog": catalogs, "schema": sorted({t["schema_name"] for t in tables}),
        "table": sorted({t["table_name"] for t in tables}),
        "mapping_body": {k: template[k] for k in MAPPING_FIELDS if k in template},
    }


def role_values(platform: Platform, role: str, shared: Dict[str, Any]) -> Dict[str, Any]:
    """``shared`` plus the ids of two fresh mappings owned by ``role`` (the fuzzer may delete
    them) and, for ``resource_id``, a favorite of one of them."""
    ids = []
    with httpx.Client(base_url=platform.url, headers={"X-Username": PERSONAS[role]},
                      timeout=30) as http:
        for n in range(2):
            body = dict(shared["mapping_body"], name=f"fuzz-{role}-{n}-{os.getpid()}")
            created = http.post("/api/mappings", json=body)
            assert created.status_code == 201, created.text
            ids.append(created.json()["data"]["id"])
        http.post("/api/favorites", json={"resource_type": "mapping", "resource_id": ids[0]})
    known = dict(shared)
    for name in ("mapping_id", "snapshot_id", "instance_id", "job_id", "resource_id"):
        known[name] = [str(i) for i in ids] + ["1"]
    return known


def prepared_document(raw: Dict[str, Any]) -> Dict[str, Any]:
    doc = copy.deepcopy(raw)
    paths: Dict[str, Any] = {}
    for path, ops in doc["paths"].items():
        kept = {}
        for method, op in ops.items():
            if (method.upper(), path) in EXCLUDED:
                continue
            if not isinstance(op, dict):
                continue
            # API.md §1.3: any client value is answered with a valid id (its own or a new one),
            # and the envelope check compares that with meta.request_id.
            op.setdefault("parameters", []).append(
                {"name": "X-Request-ID", "in": "header", "required": False, "schema": STR})
            kept[method] = op
        if kept:
            paths[path] = kept
    doc["paths"] = paths
    return links_to_present_operations(doc)


def links_to_present_operations(doc: Dict[str, Any]) -> Dict[str, Any]:
    """``doc`` (changed in place) with only the links (create → get → update → delete) whose
    target operation it still has."""
    present = {op.get("operationId") for ops in doc["paths"].values() for op in ops.values()}
    for ops in doc["paths"].values():
        for op in ops.values():
            for response in op.get("responses", {}).values():
                links = response.get("links") if isinstance(response, dict) else None
                if links:
                    response["links"] = {name: link for name, link in links.items()
                                         if link.get("operationId") in present}
    return doc


@pytest.fixture(scope="module")
def api_schema(module_platform: Platform) -> Any:
    raw = httpx.get(module_platform.url + "/api/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(prepared_document(raw))
    schema.known = known_values(module_platform)  # type: ignore[attr-defined]
    schema.config.update(base_url=module_platform.url)
    return schema


def auth_headers(platform: Platform, role: str) -> Dict[str, str]:
    key = platform.api_keys.get(role)
    if key:
        return {"Authorization": f"Bearer {key}"}
    return {"X-Username": PERSONAS[role]}


def operation_strategy(operation: Any) -> Any:
    """Valid and invalid (negative) requests for one operation."""
    strategies = [operation.as_strategy(GenerationMode.POSITIVE)]
    try:
        strategies.append(operation.as_strategy(GenerationMode.NEGATIVE))
    except Exception:  # nothing in the operation can be made invalid
        pass
    return st.one_of(*strategies)


CREDENTIAL_HEADERS = {"authorization", "x-username", "x-user-role", "x-internal-api-key"}


def fuzz_operation(operation: Any, platform: Platform, role: str, known: Dict[str, Any]) -> None:
    headers = auth_headers(platform, role)

    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, derandomize=DERANDOMIZE,
              suppress_health_check=list(HealthCheck))
    @given(case=operation_strategy(operation), data=st.data())
    def run(case: Any, data: Any) -> None:
        # The persona's credentials, not generated ones (those only ever test the 401 path).
        case.headers = {k: v for k, v in (case.headers or {}).items()
                        if k.lower() not in CREDENTIAL_HEADERS}
        # Existing ids and names in about half of the path parameters, to get past the 404s.
        for name in list(case.path_parameters or {}):
            if name in known and data.draw(st.booleans(), label=f"known {name}"):
                case.path_parameters[name] = data.draw(st.sampled_from(known[name]), label=name)
        body = case.body if isinstance(case.body, dict) else None
        for name in ("mapping_id", "snapshot_id", "resource_id"):
            if body is not None and name in body and data.draw(st.booleans()):
                body[name] = int(data.draw(st.sampled_from(known["mapping_id"])))
        # A valid mapping definition around the generated scalars, to reach SQL validation and
        # the writes rather than stopping at the first structural error.
        if (body is not None and case.method in ("POST", "PUT")
                and case.path in ("/api/mappings", "/api/mappings/{mapping_id}")
                and data.draw(st.booleans(), label="valid definition")):
            fuzzed = {k: v for k, v in body.items() if k not in MAPPING_FIELDS[2:]}
            case.body = {**known["mapping_body"], **fuzzed}
        case.call_and_validate(base_url=platform.url, headers=headers, checks=CHECKS, timeout=30)

    run()


def describe(exc: BaseException) -> str:
    """The failure with the schemathesis reproduction and each failed check."""
    parts = [str(exc)]
    parts.extend(f"  {type(sub).__name__}: {sub}" for sub in getattr(exc, "exceptions", ()))
    return "\n".join(parts)


@pytest.mark.parametrize("role", ["analyst", "admin", "ops"])
def test_every_operation_honours_the_contract(role: str, api_schema: Any,
                                              module_platform: Platform) -> None:
    failures = []
    count = 0
    known = role_values(module_platform, role, api_schema.known)
    operations = [result.ok() for result in api_schema.get_all_operations()]
    # Deletes last, so that what they remove was fuzzed by everything else first.
    operations.sort(key=lambda op: op.method.upper() == "DELETE")
    for operation in operations:
        count += 1
        try:
            fuzz_operation(operation, module_platform, role, known)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
            failures.append(f"--- {operation.label} as {role}:\n{describe(exc)}")
    assert count > 50, f"only {count} operations in the document"
    assert not failures, f"{len(failures)} of {count} operations failed:\n" + "\n".join(failures)
