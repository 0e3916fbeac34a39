"""Test utilities: fixtures with automatic cleanup (seed 002, ADR-074).

Owns creating throw-away mappings/instances for tests and notebooks and
removing them afterwards, in reverse creation order, even when the test fails.

Example:
    >>> random_name("e2e").startswith("e2e-")
    True
    >>> with test_context(api_url=client.api_url) as (me, fixtures):   # default: GRAPH_OLAP_API_URL
    ...     m = fixtures.create_mapping()
    >>> client.mappings.find_by_name(m.name) is None   # everything created is deleted here
    True
"""

from __future__ import annotations

import logging
import os
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from graph_olap.client import GraphOLAPClient
from graph_olap.exceptions import GraphOLAPError, NotFoundError
from graph_olap.models.instance import Instance
from graph_olap.models.mapping import (
    EdgeDefinition,
    Mapping,
    NodeDefinition,
)
from graph_olap.models.snapshot import Snapshot
from graph_olap.test_data import tutorial_definitions

__all__ = [
    "NotebookTest",
    "PersonaConfig",
    "TestFixtures",
    "TestPersona",
    "connect",
    "default_edge_definitions",
    "default_node_definitions",
    "instance_context",
    "random_name",
    "test_context",
]

log = logging.getLogger("graph_olap.testing")



def random_name(prefix: str = "test") -> str:
    """A unique, readable resource name: ``<prefix>-<8 hex>``.

    Example:
        >>> len(random_name("x"))
        10
    """
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def connect(username: Optional[str] = None, **kwargs: Any) -> GraphOLAPClient:
    """Client for tests: ``GRAPH_OLAP_*`` environment, username default ``GRAPH_OLAP_USERNAME``
    or the seeded analyst persona.

    Example:
        >>> connect(api_url="http://localhost:8000").username
        'analyst_alice@e2e.local'
    """
    user = username or os.environ.get("GRAPH_OLAP_USERNAME") or "analyst_alice@e2e.local"
    if os.environ.get("GRAPH_OLAP_API_KEY") and username is None:
        return GraphOLAPClient.from_env(**kwargs)
    return GraphOLAPClient.from_env(username=user, **kwargs)


def default_node_definitions() -> List[NodeDefinition]:
    """The tutorial graph's node definitions (fresh copies; :mod:`graph_olap.test_data`).

    Example:
        >>> default_node_definitions()[0].label
        'Customer'
    """
    return tutorial_definitions()[0]


def default_edge_definitions() -> List[EdgeDefinition]:
    """The tutorial's ``SHARES_ACCOUNT`` edge (Customer → Customer; :mod:`graph_olap.test_data`).

    Example:
        >>> default_edge_definitions()[0].type
        'SHARES_ACCOUNT'
    """
    return tutorial_definitions()[1]


class TestFixtures:
    """Creates resources and remembers them for :meth:`cleanup`.

    Example:
        >>> fx = TestFixtures(GraphOLAPClient(api_url="http://localhost:8000", username="u@x"))
        >>> fx.cleanup()   # nothing created yet → nothing to do
        []
    """

    __test__ = False  # not a pytest test class

    def __init__(self, client: GraphOLAPClient, *, prefix: str = "sdk-test") -> None:
        self.client = client
        self.prefix = prefix
        self._cleanups: List[Tuple[str, Callable[[], Any]]] = []

    def add_cleanup(self, description: str, func: Callable[[], Any]) -> None:
        """Register an extra cleanup action (run in reverse order).

        Example:
            >>> fixtures = TestFixtures(ops)
            >>> _ = ops.ops.set_maintenance_mode(True, "doctest")
            >>> fixtures.add_cleanup("restore config", lambda: ops.ops.set_maintenance_mode(False))
            >>> fixtures.cleanup(), ops.ops.get_maintenance_mode().enabled
            ([], False)
        """
        self._cleanups.append((description, func))

    def create_mapping(self, name: Optional[str] = None, **kwargs: Any) -> Mapping:
        """Create a mapping (default: the demo Customer graph) and schedule its deletion.

        Example:
            >>> fixtures = TestFixtures(client)
            >>> m = fixtures.create_mapping(description="temp")
            >>> m.description, fixtures.cleanup()
            ('temp', [])
        """
        kwargs.setdefault("node_definitions", default_node_definitions())
        kwargs.setdefault("edge_definitions", default_edge_definitions())
        kwargs.setdefault("description", "created by graph_olap.testing")
        mapping = self.client.mappings.create(name or random_name(self.prefix), **kwargs)
        self.add_cleanup(f"mapping {mapping.id}",
                         lambda: self.client.mappings.delete(mapping.id))
        return mapping

    def create_instance(self, name: Optional[str] = None, *, mapping_id: Optional[int] = None,
                        snapshot_id: Optional[int] = None, wait: bool = True,
                        timeout: float = 900, **kwargs: Any) -> Instance:
        """Create an instance (from ``snapshot_id``, ``mapping_id`` or a fresh mapping),
        wait until running, and schedule its termination.

        Example:
            >>> fixtures = TestFixtures(client)
            >>> fixtures.create_instance(ttl="PT1H").status
            'running'
            >>> fixtures.cleanup()
            []
        """
        name = name or random_name(self.prefix)
        kwargs.setdefault("ttl", "PT1H")
        if snapshot_id is not None:
            inst = self.client.instances.create(snapshot_id=snapshot_id, name=name, **kwargs)
        else:
            if mapping_id is None:
                mapping_id = self.create_mapping().id
            inst = self.client.instances.create_from_mapping(mapping_id, name, **kwargs)
        self.add_cleanup(f"instance {inst.id}", lambda: self.client.instances.terminate(inst.id))
        if wait:
            inst = self.client.instances.wait_until_running(inst.id, timeout=timeout,
                                                            show_progress=False)
        return inst

    def create_snapshot(self, *, mapping_id: Optional[int] = None, timeout: float = 900,
                        **kwargs: Any) -> Snapshot:
        """Get a ready snapshot (snapshots are implicit: created via an instance).

        Example:
            >>> fixtures = TestFixtures(client)
            >>> fixtures.create_snapshot().status
            'ready'
            >>> fixtures.cleanup()
            []
        """
        inst = self.create_instance(mapping_id=mapping_id, wait=False, **kwargs)
        if inst.snapshot_id is None:
            raise RuntimeError(f"instance {inst.id} has no snapshot_id")
        return self.client.snapshots.wait(inst.snapshot_id, timeout=timeout, show_progress=False)

    def cleanup(self) -> List[str]:
        """Undo everything created, newest first; returns what failed (logged, not raised).

        Example:
            >>> fixtures = TestFixtures(client)
            >>> m = fixtures.create_mapping()
            >>> fixtures.cleanup(), client.mappings.find_by_name(m.name) is None
            ([], True)
        """
        failures: List[str] = []
        while self._cleanups:
            description, func = self._cleanups.pop()
            try:
                func()
            except NotFoundError:
                pass
            except GraphOLAPError as exc:
                log.warning("cleanup of %s failed: %s", description, exc)
                failures.append(f"{description}: {exc}")
        return failures


@contextmanager
def test_context(username: Optional[str] = None, **kwargs: Any
                 ) -> Iterator[Tuple[GraphOLAPClient, TestFixtures]]:
    """``(client, fixtures)`` with automatic cleanup on exit.

    Example:
        >>> with test_context(api_url=client.api_url) as (me, fixtures):
        ...     fixtures.create_mapping().current_version
        1
    """
    client = connect(username, **kwargs)
    fixtures = TestFixtures(client)
    try:
        yield client, fixtures
    finally:
        fixtures.cleanup()
        client.close()


test_context.__test__ = False  # type: ignore[attr-defined]


@contextmanager
def instance_context(name: Optional[str] = None, *, mapping_id: Optional[int] = None,
                     username: Optional[str] = None, **kwargs: Any) -> Iterator[Any]:
    """A connected running instance, terminated on exit.

    Example:
        >>> with instance_context(random_name("scratch"), mapping_id=mapping.id) as scratch:
        ...     scratch.query_scalar("MATCH (n) RETURN count(n)") > 0
        True
    """
    with test_context(username) as (client, fixtures):
        inst = fixtures.create_instance(name, mapping_id=mapping_id, **kwargs)
        conn = client.instances.connect(inst)
        try:
            yield conn
        finally:
            conn.close()


def summary(client: GraphOLAPClient) -> Dict[str, Any]:
    """Counts of the caller's mappings and instances (handy in test reports).

    Example:
        >>> inst.status, summary(client)["instances"] >= 1   # inst: a running instance
        ('running', True)
    """
    return {"mappings": client.mappings.list(owner="me", limit=1).total,
            "instances": client.instances.list(owner="me", limit=1).total}


# --------------------------------------------------------------------------
# Persona-based notebook tests (E2E notebooks)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonaConfig:
    """A test persona: ``name``, the ``env_var`` holding its API key, ``description``,
    and the role the platform must report (``expected_role``).

    Example:
        >>> TestPersona.ADMIN_CAROL.value.env_var
        'GRAPH_OLAP_API_KEY_ADMIN_CAROL'
    """

    name: str
    env_var: str
    description: str
    expected_role: str

    @property
    def role(self) -> str:
        """Same as ``expected_role``."""
        return self.expected_role

    @property
    def username(self) -> str:
        """The persona's username on the demo platform."""
        return f"{self.name}@e2e.local"


class TestPersona(Enum):
    """The demo personas for E2E notebooks (API key in ``GRAPH_OLAP_API_KEY_<NAME>``).

    Example:
        >>> [p.value.expected_role for p in TestPersona]
        ['analyst', 'analyst', 'admin', 'ops']
    """

    ANALYST_ALICE = PersonaConfig("analyst_alice", "GRAPH_OLAP_API_KEY_ANALYST_ALICE",
                                  "Analyst user Alice - standard analyst permissions", "analyst")
    ANALYST_BOB = PersonaConfig("analyst_bob", "GRAPH_OLAP_API_KEY_ANALYST_BOB",
                                "Analyst user Bob - standard analyst permissions", "analyst")
    ADMIN_CAROL = PersonaConfig("admin_carol", "GRAPH_OLAP_API_KEY_ADMIN_CAROL",
                                "Admin user Carol - elevated admin permissions", "admin")
    OPS_DAVE = PersonaConfig("ops_dave", "GRAPH_OLAP_API_KEY_OPS_DAVE",
                             "Ops user Dave - operations and monitoring permissions", "ops")


TestPersona.__test__ = False  # type: ignore[attr-defined]  # not a pytest test class


def _notebook_context_class() -> Any:
    from graph_olap.notebook_setup import NotebookContext

    return NotebookContext


class NotebookTest(_notebook_context_class()):  # type: ignore[misc]
    """Resources of one E2E notebook run, created as one persona and cleaned up afterwards.

    ``client`` acts as ``persona``: with its API key from ``persona.value.env_var``
    when set, otherwise as its username (development identity mode, e.g.
    ``graph-olap up``).  Names are ``<prefix>-Mapping-<run_id>`` etc.; everything
    created through :meth:`mapping`, :meth:`snapshot` and :meth:`instance` is
    removed by :meth:`cleanup` (also at exit and on SIGTERM).

    Example:
        >>> t = NotebookTest("demo", persona=TestPersona.ANALYST_BOB)
        >>> t.client.username, len(t.run_id)
        ('analyst_bob@e2e.local', 8)
        >>> t.cleanup()["mappings"]
        0
    """

    __test__ = False

    def __init__(self, prefix: str, *, persona: Any) -> None:
        from graph_olap.config import Config

        api_url = (os.environ.get("GRAPH_OLAP_API_URL") or "").strip() or Config.from_env().api_url
        super().__init__(api_url, "local", prefix=prefix, persona=persona)

    def connect(self, instance: Any) -> Any:
        """Connect to an instance (id or :class:`Instance`) as the persona.

        Example:
            >>> t = NotebookTest("doc", persona=TestPersona.ANALYST_ALICE)
            >>> t.connect(inst).is_ready(), t.cleanup()["instances"]
            (True, 0)
        """
        return super().connect(instance)

    def __repr__(self) -> str:
        name = getattr(getattr(self._persona, "value", None), "name", self._persona)
        return (f"NotebookTest(prefix={self.prefix!r}, run_id={self.run_id!r}, "
                f"persona={name!r}, resources={len(self._resources)})")
