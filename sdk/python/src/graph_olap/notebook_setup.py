"""Tutorial provisioning: persona clients plus the shared tutorial graph (DEMO.md).

Owns ``provision(username)`` used by the first cells of every tutorial
notebook (``from graph_olap.notebook_setup import provision``).  The tutorial
mapping's definitions come from :mod:`graph_olap.test_data`.  It finds or creates the mapping
``tutorial-customer-graph`` and a running instance ``tutorial-instance``
(TTL ``PT1H``) owned by the analyst persona.

Persona credentials: ``X-Username`` of the seeded personas (development
identity mode), or API keys from ``GRAPH_OLAP_API_KEY_ANALYST`` /
``GRAPH_OLAP_API_KEY_ADMIN`` / ``GRAPH_OLAP_API_KEY_OPS`` when set.

Example:
    >>> personas, conn = provision("me@example.com", api_url=client.api_url, show_progress=False)
    >>> ops = personas["ops"]; ops.ops.get_cluster_health().status
    'healthy'
    >>> conn.query_scalar("MATCH (c:Customer) RETURN count(c)") > 0
    True
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import uuid
import warnings
from typing import Any, Dict, List, Optional, Tuple

from graph_olap.client import GraphOLAPClient
from graph_olap.exceptions import GraphOLAPError, NotFoundError
from graph_olap.instance.connection import InstanceConnection
from graph_olap.models.mapping import (
    Mapping,
)
from graph_olap.test_data import INSTANCE_NAME, INSTANCE_TTL, MAPPING_NAME, tutorial_definitions

__all__ = [
    "PERSONAS",
    "TUTORIAL_INSTANCE",
    "TUTORIAL_MAPPING",
    "NotebookContext",
    "ensure_tutorial_instance",
    "ensure_tutorial_mapping",
    "persona_clients",
    "provision",
    "setup",
]

#: Name of the tutorial mapping (= ``test_data.MAPPING_NAME``; the definitions live there too).
TUTORIAL_MAPPING = MAPPING_NAME
#: Name of the tutorial instance (= ``test_data.INSTANCE_NAME``).
TUTORIAL_INSTANCE = INSTANCE_NAME
#: TTL of the tutorial instance (= ``test_data.INSTANCE_TTL``).
TUTORIAL_TTL = INSTANCE_TTL

#: Persona key → (seeded username, role).
PERSONAS: Dict[str, Tuple[str, str]] = {
    "analyst": ("analyst_alice@e2e.local", "analyst"),
    "analyst2": ("analyst_bob@e2e.local", "analyst"),
    "admin": ("admin_carol@e2e.local", "admin"),
    "ops": ("ops_dave@e2e.local", "ops"),
}

def persona_clients(api_url: Optional[str] = None, **kwargs: Any) -> Dict[str, GraphOLAPClient]:
    """One client per seeded persona (``analyst``, ``analyst2``, ``admin``, ``ops``).

    Example:
        >>> clients = persona_clients("http://localhost:8000")
        >>> clients["ops"].username
        'ops_dave@e2e.local'
    """
    out: Dict[str, GraphOLAPClient] = {}
    for key, (username, role) in PERSONAS.items():
        api_key = os.environ.get(f"GRAPH_OLAP_API_KEY_{role.upper()}") if key != "analyst2" \
            else os.environ.get("GRAPH_OLAP_API_KEY_ANALYST2")
        if api_key:
            out[key] = GraphOLAPClient(api_url, api_key=api_key, **kwargs)
        else:
            out[key] = GraphOLAPClient(api_url, username=username, **kwargs)
    return out


def ensure_tutorial_mapping(client: GraphOLAPClient) -> Mapping:
    """Find ``tutorial-customer-graph`` (any owner) or create it as ``client``.

    Example:
        >>> ensure_tutorial_mapping(client).name   # client: personas["analyst"]
        'tutorial-customer-graph'
    """
    found = client.mappings.find_by_name(TUTORIAL_MAPPING)
    if found is not None:
        return found
    nodes, edges = tutorial_definitions()
    return client.mappings.create(
        TUTORIAL_MAPPING, "Customers linked by shared accounts (tutorial graph)",
        node_definitions=nodes, edge_definitions=edges)


def ensure_tutorial_instance(client: GraphOLAPClient, mapping: Mapping, *,
                             timeout: float = 900, show_progress: bool = True
                             ) -> InstanceConnection:
    """Find the caller's running/starting ``tutorial-instance`` or create one (TTL PT1H),
    wait until it runs, and connect.

    Example:
        >>> conn = ensure_tutorial_instance(client, mapping, show_progress=False)
        >>> conn.name
        'tutorial-instance'
    """
    existing = None
    for inst in client.instances.list(owner="me", search=TUTORIAL_INSTANCE, limit=100).iter_all():
        if inst.name == TUTORIAL_INSTANCE and inst.status in (
                "running", "starting", "waiting_for_snapshot"):
            existing = inst
            break
    if existing is None:
        existing = client.instances.create_from_mapping(mapping.id, TUTORIAL_INSTANCE,
                                                        ttl=TUTORIAL_TTL)
    if existing.status != "running":
        existing = client.instances.wait_until_running(existing.id, timeout=timeout,
                                                       show_progress=show_progress)
    return client.instances.connect(existing)


def provision(
    username: Optional[str] = None,
    *,
    api_url: Optional[str] = None,
    with_instance: bool = True,
    require_instance: bool = False,
    timeout: float = 900,
    show_progress: bool = True,
) -> Tuple[Dict[str, GraphOLAPClient], Optional[InstanceConnection]]:
    """Set up a tutorial: persona clients, the tutorial mapping and a running instance.

    Args:
        username: the notebook user; ``personas["user"]`` is a client for them.
        api_url: control-plane URL (default from ``GRAPH_OLAP_API_URL`` or localhost).
        with_instance: also find/create ``tutorial-instance`` and connect to it.
            (``GRAPH_OLAP_PROVISION_INSTANCE=0`` turns this off.)
        require_instance: raise instead of warning when the instance cannot be
            provisioned (by default ``conn`` is then ``None``, so configuration
            tutorials still run on platforms without instance support).

    Returns:
        ``(personas, conn)`` — ``personas`` has keys ``analyst``, ``analyst2``,
        ``admin``, ``ops`` and ``user``; ``conn`` is an
        :class:`~graph_olap.instance.connection.InstanceConnection` owned by the
        analyst persona, or ``None``.

    Example:
        >>> personas, conn = provision("me@example.com", api_url=client.api_url, with_instance=False)
        >>> analyst, ops = personas["analyst"], personas["ops"]
        >>> analyst.username, personas["user"].username, conn
        ('analyst_alice@e2e.local', 'me@example.com', None)
    """
    if os.environ.get("GRAPH_OLAP_PROVISION_INSTANCE", "").strip().lower() in ("0", "false", "no"):
        with_instance = False
    if os.environ.get("GRAPH_OLAP_PROVISION_TIMEOUT"):
        timeout = float(os.environ["GRAPH_OLAP_PROVISION_TIMEOUT"])
    personas = persona_clients(api_url)
    if username and username.strip():
        personas["user"] = GraphOLAPClient(api_url, username=username.strip())
    else:
        personas["user"] = personas["analyst"]
    conn: Optional[InstanceConnection] = None
    analyst = personas["analyst"]
    mapping = ensure_tutorial_mapping(analyst)
    if with_instance:
        try:
            conn = ensure_tutorial_instance(analyst, mapping, timeout=timeout,
                                            show_progress=show_progress)
        except GraphOLAPError as exc:
            if require_instance:
                raise
            warnings.warn(f"tutorial instance not available ({exc}); continuing without "
                          "`conn`", RuntimeWarning, stacklevel=2)
            print(f"note: tutorial instance not provisioned: {exc}", file=sys.stderr)
    return personas, conn


# --------------------------------------------------------------------------
# setup(): per-notebook context with persona clients and resource tracking
# --------------------------------------------------------------------------

log = logging.getLogger("graph_olap.notebook_setup")


def _hub_user() -> str:
    return (os.environ.get("JUPYTERHUB_USER") or "local").strip() or "local"


def _persona_username(persona_name: str, hub_user: str) -> str:
    # On a shared JupyterHub each hub user gets their own copies of the personas.
    if hub_user == "local":
        return f"{persona_name}@e2e.local"
    return f"{persona_name}@e2e.{hub_user}.local"


class NotebookContext:
    """What :func:`setup` returns: persona clients plus cleanup of what the notebook creates.

    Attributes:
        client: the acting client (the analyst persona, or ``persona`` in E2E mode).
        admin, ops: admin and ops persona clients (``None`` in E2E mode).
        api_url, hub_user, prefix, run_id: where and as whom the notebook runs;
            ``run_id`` (8 hex characters) makes E2E resource names unique.

    Everything created through :meth:`mapping`, :meth:`snapshot`,
    :meth:`instance`, :meth:`create_mapping`, :meth:`create_instance` or
    registered with :meth:`track` is removed by :meth:`teardown` (also run at
    interpreter exit and on SIGTERM): instances first, then snapshots, then
    mappings.  Interrupting a cell (SIGINT) does not tear down.

    Example:
        >>> ctx = NotebookContext("http://localhost:8000", "local")
        >>> ctx.client.username, ctx.ops.username
        ('analyst_alice@e2e.local', 'ops_dave@e2e.local')
        >>> ctx.teardown()
        {'instances': 0, 'snapshots': 0, 'mappings': 0, 'graph_properties': 0}
    """

    def __init__(self, api_url: str, hub_user: str, *, prefix: Optional[str] = None,
                 persona: Any = None) -> None:
        self.api_url = api_url
        self.hub_user = hub_user
        self.prefix = prefix
        self.run_id: Optional[str] = uuid.uuid4().hex[:8] if prefix else None
        self._persona = persona
        self._resources: List[Tuple[str, Any, Any]] = []
        self._cleaned_up = False
        self._persona_clients: Dict[Any, GraphOLAPClient] = {}
        self.admin: Optional[GraphOLAPClient]
        self.ops: Optional[GraphOLAPClient]
        if prefix and persona is not None:
            self.client = self._client_for(persona)
            self._persona_clients[persona] = self.client
            self.admin = None
            self.ops = None
        else:
            self.client = self._make("analyst_alice", "analyst")
            self.admin = self._make("admin_carol", "admin")
            self.ops = self._make("ops_dave", "ops")
        atexit.register(self._at_exit)
        self._previous_sigterm: Any = None
        try:
            self._previous_sigterm = signal.signal(signal.SIGTERM, self._on_sigterm)
        except (ValueError, OSError):  # not the main thread
            self._previous_sigterm = None

    def _make(self, persona_name: str, role: str) -> GraphOLAPClient:
        return GraphOLAPClient(self.api_url, username=_persona_username(persona_name,
                                                                        self.hub_user),
                               role=role)

    def _client_for(self, persona: Any) -> GraphOLAPClient:
        config = persona.value if hasattr(persona, "value") else persona
        name = getattr(config, "name", str(config))
        role = getattr(config, "role", None) or getattr(config, "expected_role", None)
        if self.prefix:
            env_var = getattr(config, "env_var", "")
            value = (os.environ.get(env_var) or "").strip() if env_var else ""
            if value and env_var.startswith("GRAPH_OLAP_API_KEY"):
                return GraphOLAPClient(self.api_url, api_key=value)
            return GraphOLAPClient(self.api_url, username=value or f"{name}@e2e.local",
                                   role=role)
        return GraphOLAPClient(self.api_url, username=_persona_username(name, self.hub_user),
                               role=role)

    def with_persona(self, persona: Any) -> GraphOLAPClient:
        """A client acting as ``persona`` (a :class:`graph_olap.personas.Persona`), cached.

        Example:
            >>> from graph_olap.personas import Persona
            >>> with NotebookContext(client.api_url, "local") as ctx:
            ...     ctx.with_persona(Persona.ANALYST_BOB).username
            'analyst_bob@e2e.local'
        """
        if persona not in self._persona_clients:
            self._persona_clients[persona] = self._client_for(persona)
        return self._persona_clients[persona]

    def track(self, resource_type: str, resource_id: Any, name: Any) -> None:
        """Register a resource for teardown (``"instance"``, ``"snapshot"``, ``"mapping"``,
        or ``"graph_properties"`` with ``resource_id`` a connection and ``name`` a dict
        ``{"node_label": …, "property_names": [...]}``).

        Example:
            >>> from graph_olap.test_data import tutorial_definitions
            >>> from graph_olap.testing import random_name
            >>> with NotebookContext(client.api_url, "local") as ctx:
            ...     m = client.mappings.create(random_name("doc"), node_definitions=tutorial_definitions()[0])
            ...     ctx.track("mapping", m.id, m.name)
            >>> client.mappings.find_by_name(m.name) is None   # deleted when the context ended
            True
        """
        self._resources.append((resource_type, resource_id, name))
        log.info("tracking %s %s (%s)", resource_type, resource_id, name)

    _track = track

    def connect(self, instance_id: Any) -> InstanceConnection:
        """Connect to an instance (id or :class:`Instance`) as the acting client.

        Example:
            >>> with NotebookContext(client.api_url, "local") as ctx:
            ...     ctx.connect(inst).is_ready()
            True
        """
        return self.client.instances.connect(getattr(instance_id, "id", instance_id))

    def _name(self, kind: str, name: Optional[str]) -> str:
        if name:
            return name
        if self.prefix:
            return f"{self.prefix}-{kind}-{self.run_id}"
        return f"notebook-{kind.lower()}-{uuid.uuid4().hex[:8]}"

    def create_mapping(self, **kwargs: Any) -> Mapping:
        """``client.mappings.create(**kwargs)``, tracked.

        Example:
            >>> from graph_olap.test_data import tutorial_definitions
            >>> from graph_olap.testing import random_name
            >>> with NotebookContext(client.api_url, "local") as ctx:
            ...     m = ctx.create_mapping(name=random_name("g"), node_definitions=tutorial_definitions()[0])
            ...     m.current_version
            1
        """
        mapping = self.client.mappings.create(**kwargs)
        self.track("mapping", mapping.id, mapping.name)
        return mapping

    def create_instance(self, **kwargs: Any) -> Any:
        """``client.instances.create_and_wait(**kwargs)``, tracked.

        Example:
            >>> from graph_olap.testing import random_name
            >>> with NotebookContext(client.api_url, "local") as ctx:
            ...     i = ctx.create_instance(snapshot_id=inst.snapshot_id, name=random_name("i"),
            ...                             wrapper_type="ryugraph", show_progress=False)
            ...     i.status
            'running'
        """
        instance = self.client.instances.create_and_wait(**kwargs)
        self.track("instance", instance.id, instance.name)
        return instance

    def mapping(self, *, name: Optional[str] = None, node_definitions: Optional[List[Any]] = None,
                edge_definitions: Optional[List[Any]] = None, **kwargs: Any) -> Mapping:
        """Create a tracked mapping (the tutorial graph's definitions when none are given).

        Example:
            >>> with NotebookContext(client.api_url, "local") as ctx:
            ...     [n.label for n in ctx.mapping().node_definitions]  # "<prefix>-Mapping-<run_id>" (E2E)
            ['Customer']
        """
        if not node_definitions:
            node_definitions, default_edges = tutorial_definitions()
            if edge_definitions is None:
                edge_definitions = default_edges
        mapping = self.client.mappings.create(name=self._name("Mapping", name),
                                              node_definitions=node_definitions,
                                              edge_definitions=edge_definitions or [], **kwargs)
        self.track("mapping", mapping.id, mapping.name)
        return mapping

    def instance(self, mapping: Any, *, name: Optional[str] = None,
                 wrapper_type: str = "ryugraph", timeout: float = 300, **kwargs: Any) -> Any:
        """Create a tracked instance from a mapping (id or :class:`Mapping`) and wait for it.

        Example:
            >>> with NotebookContext(client.api_url, "local") as ctx:
            ...     ctx.instance(ctx.mapping(), ttl="PT1H", show_progress=False).status
            'running'
        """
        mapping_id = getattr(mapping, "id", mapping)
        instance = self.client.instances.create_and_wait(
            mapping_id=mapping_id, name=self._name("Instance", name), wrapper_type=wrapper_type,
            timeout=timeout, **kwargs)
        self.track("instance", instance.id, instance.name)
        return instance

    def snapshot(self, mapping: Any, *, name: Optional[str] = None, timeout: float = 300,
                 **kwargs: Any) -> Any:
        """Export a tracked snapshot of a mapping and wait until it is ready.

        Snapshots are created implicitly by instances on this platform, so this
        starts a short-lived instance from the mapping, waits for its snapshot
        to be ``ready``, and terminates the instance.

        Example:
            >>> with NotebookContext(client.api_url, "local") as ctx:
            ...     ctx.snapshot(ctx.mapping()).status
            'ready'
        """
        mapping_id = getattr(mapping, "id", mapping)
        snap_name = self._name("Snapshot", name)
        inst = self.client.instances.create_from_mapping(
            mapping_id, f"{snap_name}-export", snapshot_name=snap_name, ttl="PT1H", **kwargs)
        try:
            snapshot_id = inst.snapshot_id
            if snapshot_id is None:
                inst = self.client.instances.get(inst.id)
                snapshot_id = inst.snapshot_id
            if snapshot_id is None:
                raise GraphOLAPError(f"instance {inst.id} reports no snapshot")
            snapshot = self.client.snapshots.wait(snapshot_id, timeout=timeout,
                                                  show_progress=False)
        finally:
            try:
                self.client.instances.terminate(inst.id)
            except GraphOLAPError as exc:
                log.warning("could not terminate export instance %s: %s", inst.id, exc)
        self.track("snapshot", snapshot.id, snapshot.name)
        return snapshot

    def cleanup(self) -> Dict[str, int]:
        """Same as :meth:`teardown`.

        Example:
            >>> from graph_olap.test_data import tutorial_definitions
            >>> ctx = NotebookContext(client.api_url, "local")
            >>> m = ctx.mapping(node_definitions=tutorial_definitions()[0])
            >>> ctx.cleanup()
            {'instances': 0, 'snapshots': 0, 'mappings': 1, 'graph_properties': 0}
        """
        return self.teardown()

    def teardown(self) -> Dict[str, int]:
        """Delete what was tracked (instances, then snapshots, then mappings) and close the
        clients.  Idempotent; returns counts of what was removed (``graph_properties`` is
        always 0: algorithm results cannot be removed from a read-only graph; they end
        with their instance).

        Example:
            >>> ctx = NotebookContext(client.api_url, "local")
            >>> i = ctx.instance(ctx.mapping(), ttl="PT1H", show_progress=False)
            >>> ctx.teardown()["instances"]
            1
        """
        results = {"instances": 0, "snapshots": 0, "mappings": 0, "graph_properties": 0}
        if self._cleaned_up:
            return results
        self._cleaned_up = True
        by_type: Dict[str, List[Tuple[Any, Any]]] = {}
        for kind, rid, name in self._resources:
            by_type.setdefault(kind, []).append((rid, name))
        for conn, meta in by_type.get("graph_properties", []):
            # Instance graphs are read-only to Cypher, so algorithm properties cannot be
            # removed; they end with the instance (terminated below when tracked).
            log.info("graph properties %s on %s stay until the instance ends", meta, conn)
        steps = (("instance", "instances", lambda i: self.client.instances.terminate(i)),
                 ("snapshot", "snapshots", lambda i: self.client.snapshots.delete(i)),
                 ("mapping", "mappings", lambda i: self.client.mappings.delete(i)))
        for kind, key, remove in steps:
            for rid, name in reversed(by_type.get(kind, [])):
                try:
                    remove(rid)
                    results[key] += 1
                except NotFoundError:
                    pass
                except Exception as exc:
                    log.warning("teardown: could not remove %s %s (%s): %s", kind, rid, name, exc)
        self._resources.clear()
        for c in {id(c): c for c in [self.client, self.admin, self.ops,
                                     *self._persona_clients.values()] if c is not None}.values():
            try:
                c.close()
            except Exception:
                pass
        return results

    def _at_exit(self) -> None:
        if not self._cleaned_up:
            self.teardown()

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.teardown()
        previous = self._previous_sigterm
        if callable(previous):
            previous(signum, frame)
        else:
            raise SystemExit(128 + signum)

    def __enter__(self) -> NotebookContext:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.teardown()

    def __repr__(self) -> str:
        parts = [f"NotebookContext(api_url={self.api_url!r}", f"hub_user={self.hub_user!r}"]
        if self.prefix:
            parts += [f"prefix={self.prefix!r}", f"run_id={self.run_id!r}"]
        parts.append(f"resources={len(self._resources)}")
        return ", ".join(parts) + ")"


def setup(api_url: Optional[str] = None, *, prefix: Optional[str] = None,
          persona: Any = None) -> NotebookContext:
    """Start a notebook: persona clients and automatic cleanup of what it creates.

    Without ``prefix``: ``ctx.client`` (analyst), ``ctx.admin``, ``ctx.ops`` act
    as the demo personas.  With ``prefix`` (E2E mode) ``persona`` is required and
    ``ctx.client`` acts as that persona; resource names get ``prefix`` and a run id.
    The URL is ``api_url``, else ``GRAPH_OLAP_API_URL``, else ``http://localhost:8000``.

    Raises:
        ValueError: ``prefix`` without ``persona``.

    Example:
        >>> ctx = setup("http://localhost:8000")
        >>> ctx.admin.username
        'admin_carol@e2e.local'
        >>> _ = ctx.teardown()
    """
    if prefix and persona is None:
        raise ValueError("persona is required when prefix is set (E2E test mode)")
    url = api_url or (os.environ.get("GRAPH_OLAP_API_URL") or "").strip() or None
    if url is None:
        from graph_olap.config import Config

        url = Config.from_env().api_url
    return NotebookContext(url, _hub_user(), prefix=prefix, persona=persona)
