"""Stateful contract fuzzing of the control-plane REST API (issue 21, item 1: "with stateful links
where the document can express them (create → get → update → delete)").

The served document carries OpenAPI ``links`` on every create's ``201`` answer
(``crates/control-plane/src/http/openapi.rs``, ``CREATE_LINKS``): a new mapping's id and
current version lead to its get, update, delete, lifecycle, versions, diff, tree, copy; a new
instance's id to its get, update, terminate, extend, progress, events; a favorite, a user, an
API key, a platform lock and an intent to their own operations.  schemathesis builds a state
machine from those links (``schema.as_state_machine()``) and hypothesis drives sequences of
calls through it — a create, then operations on what it made, with the ids taken from the
answers — as each persona role (analyst alice, admin carol, ops dave) with its API key.

Checks on every step: the stateless fuzzer's (``test_contract_fuzz.CHECKS``: no 5xx, status,
content type and body as documented, every 4xx the §1.12 envelope with a §1.13 code) and the two
checks that only a sequence can make:

* ``use_after_free`` — after a successful ``DELETE``, the resource's reads answer ``404`` (except
  an instance's: its ``DELETE`` is its termination, API.md §6.1, and the record stays readable as
  ``terminated``);
* ``ensure_resource_availability`` — what a ``POST`` just created is not answered ``404`` by the
  operations its links lead to.

Each family of operations the links join (a create, or creates, and the operations they lead to)
runs as a state machine of its own (the stateless run covers every operation), and half of the
generated creates and mapping updates are made valid (the demo mapping's definition under a fresh
name, an instance of the tutorial mapping, a favorite, a fresh user, a key of one's own), so that
they succeed and the links are followed.  The same operations as the stateless run are excluded
(an admin could deactivate the personas or switch maintenance mode on).  The test also asserts
that sequences really happened (``REACHED``, as the analyst): in each of the mapping, instance and
API-key families, what a create made was used with the id of its answer, in the same scenario,
by a successful operation — among them at least one read and one delete.

Bounded run in ``scripts/test``: ``GRAPH_OLAP_FUZZ_SCENARIOS`` scenarios per family and role
(default 20) of at most ``GRAPH_OLAP_FUZZ_STEPS`` steps (default 10).  Longer run, one command from
``sdk/python``::

    GRAPH_OLAP_FUZZ_SCENARIOS=300 GRAPH_OLAP_FUZZ_STEPS=15 \\
        python3 -m pytest -q tests/integration/test_contract_fuzz_stateful.py
"""

from __future__ import annotations

import copy
import json
import os
from collections import defaultdict
from typing import Any, Callable, Dict, List, Optional, Tuple

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis.errors import Flaky
from schemathesis.openapi.checks import UseAfterFree
from schemathesis.specs.openapi.checks import ensure_resource_availability, use_after_free

from .conftest import PERSONAS, Platform
from .test_contract_fuzz import (
    CHECKS,
    CREDENTIAL_HEADERS,
    DERANDOMIZE,
    MAPPING_FIELDS,
    auth_headers,
    describe,
    links_to_present_operations,
    prepared_document,
)

SCENARIOS = int(os.environ.get("GRAPH_OLAP_FUZZ_SCENARIOS", "20"))
STEPS = int(os.environ.get("GRAPH_OLAP_FUZZ_STEPS", "10"))


def deleted_means_gone(ctx: Any, response: Any, case: Any) -> Any:
    """schemathesis' ``use_after_free`` (after a successful ``DELETE``, reads answer ``404``),
    except for ``DELETE /api/instances/{id}``: API.md §6.1 makes it the same as ``…/terminate``,
    after which the instance stays readable as ``terminated`` (the record is history)."""
    try:
        return use_after_free(ctx, response, case)
    except UseAfterFree as exc:
        if str(getattr(exc, "free", "")).startswith("DELETE /api/instances/"):
            return True
        raise


STATEFUL_CHECKS = [*CHECKS, deleted_means_gone, ensure_resource_availability]

# One step as the test saw it: method, path template, the path parameters sent, the status, and
# the id in the answer's ``data`` (what a create made), if any.
Step = Tuple[str, str, Dict[str, Any], int, Any]


def valid_bodies(platform: Platform, role: str) -> Dict[Tuple[str, str], Callable[[int], Any]]:
    """For each create (and the mapping update), a valid request body by sequence number: the
    demo mapping's definition under a fresh name, an instance of the tutorial mapping, a
    favorite of the demo mapping, a fresh user, a key for the role's own user."""
    with httpx.Client(base_url=platform.url, headers={"X-Username": "admin_carol@e2e.local"},
                      timeout=30) as http:
        demo = http.get("/api/mappings", params={"sort_by": "name", "sort_order": "asc"})
        first = demo.json()["data"][0]["id"]
        template = http.get(f"/api/mappings/{first}").json()["data"]
    definition = {k: template[k] for k in MAPPING_FIELDS[2:]}
    tag = f"{role}-{os.getpid()}"
    mapping = lambda n: {**definition, "name": f"stateful-{tag}-{n}"}  # noqa: E731
    return {
        ("POST", "/api/mappings"): mapping,
        ("PUT", "/api/mappings/{mapping_id}"): mapping,
        ("POST", "/api/instances/from-mapping"):
            lambda n: {"mapping_id": first, "name": f"stateful-{tag}-{n}", "ttl": "PT1H"},
        ("POST", "/api/favorites"):
            lambda n: {"resource_type": "mapping", "resource_id": first},
        ("POST", "/api/users"): lambda n: {"username": f"stateful-{tag}-{n}@e2e.local"},
        ("POST", "/api/users/{username}/api-keys"): lambda n: {"name": f"stateful-{n}"},
    }


def families(doc: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """The document split by what its links join: for each set of link targets, a document with
    the creates that lead there and the targets (``POST /api/mappings`` and ``…/copy`` with the
    mapping's operations; an instance's creates with its operations; …), named by the first
    create. Each runs as a state machine of its own, so that its steps are spent on sequences
    of one resource rather than spread over every operation (the stateless run covers all)."""
    ops = {op["operationId"]: (path, method, op)
           for path, item in doc["paths"].items() for method, op in item.items()}
    grouped: Dict[frozenset, List[str]] = defaultdict(list)
    for op_id, (_, _, op) in ops.items():
        targets = frozenset(link["operationId"]
                            for response in op["responses"].values() if isinstance(response, dict)
                            for link in response.get("links", {}).values())
        if targets:
            grouped[targets].append(op_id)
    out: Dict[str, Dict[str, Any]] = {}
    for targets, creates in grouped.items():
        paths: Dict[str, Any] = defaultdict(dict)
        for op_id in [*creates, *sorted(targets)]:
            path, method, op = ops[op_id]
            paths[path][method] = op
        out[creates[0]] = links_to_present_operations(copy.deepcopy({**doc, "paths": paths}))
    return out


def run_state_machine(schema: Any, headers: Dict[str, str], steer: Callable[[Any], None],
                      derandomize: bool = DERANDOMIZE) -> List[List[Step]]:
    """Runs the state machine of ``schema`` (its links) with ``headers`` on every call and
    ``steer`` applied to each case before it is sent; returns every scenario's steps (raises the
    first failed check).

    The server's state outlives each scenario, so a replayed choice sequence can meet different
    answers (a bundle filled once and empty the next time); hypothesis calls that ``Flaky``.
    Failed checks are recorded as they happen, so a ``Flaky`` run loses none: it is reported if
    anything failed and otherwise started again from a fresh draw until the scenarios ran.
    Shrinking is off for the same reason: a failure is reported with the sequence that met it.
    """
    scenarios: List[List[Step]] = []
    failures: List[BaseException] = []

    class Stateful(schema.as_state_machine()):  # type: ignore[misc]
        def setup(self) -> None:
            scenarios.append([])

        def before_call(self, case: Any) -> None:
            # The persona's credentials, not generated ones (those only reach the 401 path), and
            # no idempotency key (a key drawn twice would tie unrelated creates together; the
            # stateless run fuzzes the header).
            case.headers = {k: v for k, v in (case.headers or {}).items()
                            if k.lower() not in CREDENTIAL_HEADERS | {"idempotency-key"}}
            steer(case)

        def get_call_kwargs(self, case: Any) -> Dict[str, Any]:
            return {"headers": headers, "timeout": 60}

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            try:
                data = response.json()
            except Exception:  # not JSON (e.g. Arrow IPC)
                data = None
            if isinstance(data, dict) and isinstance(data.get("data"), dict):
                data = data["data"]
            made = None
            if isinstance(data, dict):
                made = data.get("id", data.get("execution_id"))
            scenarios[-1].append((case.method, case.path, dict(case.path_parameters or {}),
                                  response.status_code, made))

        def validate_response(self, response: Any, case: Any,
                              additional_checks: Any = None, **kwargs: Any) -> None:
            try:
                case.validate_response(response, checks=STATEFUL_CHECKS,
                                       transport_kwargs=kwargs or None, recorder=self.recorder)
            except BaseException as exc:
                failures.append(exc)
                raise

    for attempt in range(5):
        try:
            Stateful.run(settings=settings(
                max_examples=SCENARIOS, stateful_step_count=STEPS, deadline=None,
                database=None, derandomize=derandomize and attempt == 0,
                phases=[Phase.explicit, Phase.reuse, Phase.generate],
                suppress_health_check=list(HealthCheck)))
        except Flaky:
            if failures:
                raise failures[0] from None
            if len(scenarios) < SCENARIOS:
                continue
        break
    if failures:
        raise failures[0]
    return scenarios


def run_scenarios(platform: Platform, role: str, only: Optional[List[str]] = None,
                  derandomize: bool = DERANDOMIZE) -> Dict[str, List[List[Step]]]:
    """Each family's state machine (:func:`families`; those named in ``only``, if given) as
    ``role``, by family; fails the test with the failure's reproduction when a check fails."""
    raw = httpx.get(platform.url + "/api/openapi.json", timeout=10).json()
    bodies = valid_bodies(platform, role)
    sent = [0]

    def steer(case: Any) -> None:
        valid = bodies.get((case.method, case.path))
        # Half of the writes made valid, decided by what was drawn (a replay decides the same
        # way), each named afresh.
        drawn = json.dumps(case.body, sort_keys=True, default=str)
        if valid is None or len(drawn) % 2 == 0:
            return
        sent[0] += 1
        case.body = valid(sent[0])
        if "username" in (case.path_parameters or {}):
            case.path_parameters["username"] = PERSONAS[role]

    out = {}
    for name, doc in families(prepared_document(raw)).items():
        if only is not None and name not in only:
            continue
        schema = schemathesis.openapi.from_dict(doc)
        schema.config.update(base_url=platform.url)
        try:
            out[name] = run_state_machine(schema, auth_headers(platform, role), steer,
                                          derandomize)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # schemathesis' FailureGroup is a BaseExceptionGroup
            pytest.fail(f"stateful run of {name} as {role} failed:\n{describe(exc)}",
                        pytrace=False)
    return out


def followed(scenarios: List[List[Step]], create: Tuple[str, str, int],
             parameter: str) -> Dict[str, int]:
    """How often what a create made earlier in the same scenario (``create``: method, path,
    status) was then the ``parameter`` of an operation, per operation and status."""
    used: Dict[str, int] = defaultdict(int)
    for steps in scenarios:
        made_here = set()
        for method, path, params, status, made in steps:
            if str(params.get(parameter)) in made_here:
                used[f"{method} {path} {status}"] += 1
            if (method, path, status) == create:
                made_here.add(str(made))
    return used


# Per family: the create and the path parameter its answer fills. The analyst's run must have
# used what a create made, in the same scenario, in a successful operation of every family,
# and among them at least one read and one delete. Which sequences a bounded run explores
# depends on the server's answers, so a family that has not got there yet runs again (up to
# EXTRA_ROUNDS more times, new draws) before that counts as a failure.
REACHED = [
    ("post_api_mappings", ("POST", "/api/mappings", 201), "mapping_id"),
    ("post_api_instances", ("POST", "/api/instances/from-mapping", 201), "instance_id"),
    ("post_api_users__username__api_keys", ("POST", "/api/users/{username}/api-keys", 201),
     "key_id"),
]
EXTRA_ROUNDS = 6


def unreached(by_family: Dict[str, List[List[Step]]]) -> List[str]:
    """What :data:`REACHED` asks that the runs so far have not shown: family names, and
    ``GET``/``DELETE`` when no successful one used a created resource."""
    missing: List[str] = []
    succeeded: List[str] = []
    for family, create, parameter in REACHED:
        used = followed(by_family[family], create, parameter)
        ok = [op for op in used if op.endswith((" 200", " 201", " 202", " 204"))]
        if not ok:
            missing.append(family)
        succeeded += ok
    missing += [m for m in ("GET", "DELETE") if not any(op.startswith(m) for op in succeeded)]
    return missing


@pytest.mark.parametrize("role", ["analyst", "admin", "ops"])
def test_create_get_update_delete_sequences_honour_the_contract(
        role: str, module_platform: Platform) -> None:
    by_family = run_scenarios(module_platform, role)
    assert len(by_family) >= 7, f"only {len(by_family)} families: {sorted(by_family)}"
    for family, scenarios in by_family.items():
        assert len(scenarios) >= SCENARIOS, f"{family}: only {len(scenarios)} scenarios ran"
        assert sum(len(s) for s in scenarios) > len(scenarios), f"{family}: one step each"
    if role == "analyst":
        # Sequences really ran: what a create made was then used with the id of its answer.
        for _ in range(EXTRA_ROUNDS):
            missing = unreached(by_family)
            if not missing:
                break
            again = [f for f, _, _ in REACHED if f in missing] or [f for f, _, _ in REACHED]
            more = run_scenarios(module_platform, role, again, derandomize=False)
            for family, scenarios in more.items():
                by_family[family] += scenarios
        used = {f: dict(followed(by_family[f], c, p)) for f, c, p in REACHED}
        assert not unreached(by_family), (
            f"never reached through the links: {unreached(by_family)}; used: {used}")
