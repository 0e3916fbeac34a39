"""Tutorial provisioning: persona clients plus the shared tutorial graph (DEMO.md).

Owns ``provision(username)`` used by the first cells of every tutorial
notebook (``from notebook_setup import provision`` also works: a top-level
``notebook_setup`` module re-exports it).  It finds or creates the mapping
``tutorial-customer-graph`` and a running instance ``tutorial-instance``
(TTL ``PT1H``) owned by the analyst persona.

Persona credentials: ``X-Username`` of the seeded personas (development
identity mode), or API keys from ``GRAPH_OLAP_API_KEY_ANALYST`` /
``GRAPH_OLAP_API_KEY_ADMIN`` / ``GRAPH_OLAP_API_KEY_OPS`` when set.

Example:
    >>> # personas, conn = provision("me@example.com")
    >>> # ops = personas["ops"]; ops.ops.get_cluster_health().status
    >>> # conn.query_scalar("MATCH (c:Customer) RETURN count(c)")
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any, Dict, Optional, Tuple

from graph_olap.client import GraphOLAPClient
from graph_olap.exceptions import GraphOLAPError
from graph_olap.instance.connection import InstanceConnection
from graph_olap.models.mapping import (
    EdgeDefinition,
    Mapping,
    NodeDefinition,
    PrimaryKey,
    PropertyDefinition,
)

__all__ = [
    "PERSONAS",
    "TUTORIAL_INSTANCE",
    "TUTORIAL_MAPPING",
    "ensure_tutorial_instance",
    "ensure_tutorial_mapping",
    "persona_clients",
    "provision",
]

TUTORIAL_MAPPING = "tutorial-customer-graph"
TUTORIAL_INSTANCE = "tutorial-instance"
TUTORIAL_TTL = "PT1H"

#: Persona key → (seeded username, role).
PERSONAS: Dict[str, Tuple[str, str]] = {
    "analyst": ("analyst_alice@e2e.local", "analyst"),
    "analyst2": ("analyst_bob@e2e.local", "analyst"),
    "admin": ("admin_carol@e2e.local", "admin"),
    "ops": ("ops_dave@e2e.local", "ops"),
}

_TABLE = '"default_catalog"."default_schema".bis_acct_dh'


def tutorial_definitions() -> Tuple[list, list]:
    """Node and edge definitions of ``tutorial-customer-graph`` exactly as DEMO.md states.

    Example:
        >>> nodes, edges = tutorial_definitions()
        >>> nodes[0].label, edges[0].type
        ('Customer', 'SHARES_ACCOUNT')
    """
    node = NodeDefinition(
        label="Customer",
        sql=("SELECT CAST(psdo_cust_id AS VARCHAR) AS id, MIN(bk_sectr) AS bk_sectr, "
             "COUNT(DISTINCT psdo_acno) AS account_count, MIN(acct_stus) AS acct_stus "
             f"FROM {_TABLE} WHERE image_dt >= DATE '2020-01-01' GROUP BY psdo_cust_id"),
        primary_key=PrimaryKey(name="id", type="STRING"),
        properties=[PropertyDefinition(name="bk_sectr", type="STRING"),
                    PropertyDefinition(name="account_count", type="INT64"),
                    PropertyDefinition(name="acct_stus", type="STRING")],
    )
    edge = EdgeDefinition(
        type="SHARES_ACCOUNT", from_node="Customer", to_node="Customer",
        sql=("SELECT DISTINCT CAST(a.psdo_cust_id AS VARCHAR) AS from_id, "
             "CAST(b.psdo_cust_id AS VARCHAR) AS to_id "
             f"FROM {_TABLE} a JOIN {_TABLE} b ON a.psdo_acno = b.psdo_acno "
             "AND a.psdo_cust_id < b.psdo_cust_id AND a.image_dt >= DATE '2020-01-01' "
             "AND b.image_dt >= DATE '2020-01-01'"),
        from_key="from_id", to_key="to_id",
    )
    return [node], [edge]


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
        >>> # m = ensure_tutorial_mapping(personas["analyst"])
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
        >>> # conn = ensure_tutorial_instance(analyst, mapping)
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
        >>> # personas, conn = provision("me@example.com")
        >>> # analyst, ops = personas["analyst"], personas["ops"]
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
