"""Small cross-cutting models, and the original package's names for shared models.

Owns the models that belong to no single resource (health,
favorites, users, API keys, bulk-delete results, quota).

Example:
    >>> f = Favorite.from_api_response({"resource_type": "mapping", "resource_id": 1,
    ...     "resource_name": "g", "created_at": "2025-01-15T10:30:00.000Z", "new_field": 1})
    >>> f.resource_name, f["resource_id"], f.new_field
    ('g', 1, 1)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional

from graph_olap.models.base import GraphOLAPModel, Timestamp

__all__ = [
    "ApiKey",
    "BulkDeleteResult",
    "Favorite",
    "GraphOLAPModel",
    "HealthStatus",
    "InstanceQuota",
    "Timestamp",
    "User",
]


class HealthStatus(GraphOLAPModel):
    """Result of ``GET /health`` / ``GET /ready`` (API.md §5.1).

    Example:
        >>> HealthStatus.from_api_response({"status": "healthy", "version": "1.0.0"}).status
        'healthy'
    """

    status: str
    version: Optional[str] = None
    database: Optional[str] = None
    auth_mode: Optional[str] = None
    timestamp: Timestamp = None

    _repr_keys = ("status", "version", "database")


class Favorite(GraphOLAPModel):
    """A bookmarked mapping, snapshot or instance (API.md §3.11).

    Example:
        >>> Favorite(resource_type="mapping", resource_id=1, resource_name="g").resource_type
        'mapping'
    """

    resource_type: str
    resource_id: int
    resource_name: Optional[str] = None
    resource_owner: Optional[str] = None
    resource_status: Optional[str] = None
    resource_exists: bool = True
    created_at: Timestamp = None

    _repr_keys = ("resource_type", "resource_id", "resource_name")


class User(GraphOLAPModel):
    """A platform user (API.md §3.18).

    Example:
        >>> User(username="ops_dave@e2e.local", role="ops").role
        'ops'
    """

    username: str
    email: Optional[str] = None
    display_name: Optional[str] = None
    role: Optional[str] = None
    is_active: bool = True
    created_at: Timestamp = None
    updated_at: Timestamp = None
    last_login_at: Timestamp = None
    role_changed_at: Timestamp = None
    role_changed_by: Optional[str] = None
    auth_method: Optional[str] = None
    api_key_id: Optional[str] = None

    _repr_keys = ("username", "role", "is_active")


class ApiKey(GraphOLAPModel):
    """An API key; ``key`` (plaintext) is only present in the creating response.

    Example:
        >>> ApiKey(id="abc", name="ci", prefix="gok_abc").prefix
        'gok_abc'
    """

    id: str
    name: Optional[str] = None
    prefix: Optional[str] = None
    owner_username: Optional[str] = None
    created_at: Timestamp = None
    created_by: Optional[str] = None
    expires_at: Timestamp = None
    last_used_at: Timestamp = None
    revoked_at: Timestamp = None
    key: Optional[str] = None

    _repr_keys = ("id", "name", "prefix", "owner_username")

    def __repr__(self) -> str:  # never print the secret
        return super().__repr__()


class BulkDeleteResult(GraphOLAPModel):
    """Result of ``client.admin.bulk_delete`` (API.md §3.17).

    Example:
        >>> r = BulkDeleteResult(dry_run=True, matched_count=2, matched_ids=[1, 2])
        >>> r["matched_count"], r.deleted_ids
        (2, [])
    """

    dry_run: bool = False
    resource_type: Optional[str] = None
    matched_count: int = 0
    matched_ids: List[int] = []
    deleted_count: int = 0
    deleted_ids: List[int] = []
    failed_ids: List[int] = []
    errors: Dict[str, Any] = {}

    _repr_keys = ("resource_type", "dry_run", "matched_count", "deleted_count")


class AuditEntry(GraphOLAPModel):
    """One audit-log row (``GET /api/audit-log``, docs/ops.md): who did what to which resource.

    Example:
        >>> e = AuditEntry(id=1, username="ops_dave@e2e.local", action="config.update",
        ...                resource_type="config", resource_id="concurrency")
        >>> e.action, e["resource_id"]
        ('config.update', 'concurrency')
    """

    id: int = 0
    created_at: Optional[datetime] = None
    username: Optional[str] = None
    action: str = ""
    resource_type: Optional[str] = None
    resource_id: Optional[str] = None
    details: Dict[str, Any] = {}
    request_id: Optional[str] = None

    _repr_keys = ("id", "username", "action", "resource_type", "resource_id")


class InstanceQuota(GraphOLAPModel):
    """The caller's instance quota (``GET /api/instances/quota``).

    Example:
        >>> InstanceQuota(active_instances=1, per_analyst_limit=10, available_slots=9).available_slots
        9
    """

    username: Optional[str] = None
    active_instances: int = 0
    per_analyst_limit: Optional[int] = None
    available_slots: Optional[int] = None
    cluster_used: Optional[int] = None
    cluster_total: Optional[int] = None
    cluster_available: Optional[int] = None

    _repr_keys = ("username", "active_instances", "per_analyst_limit", "available_slots")


def __getattr__(name: str) -> Any:
    # Names the original package kept in this module; imported lazily (they import it).
    if name == "AlgorithmExecution":
        from graph_olap.models.execution import AlgorithmExecution

        return AlgorithmExecution
    if name == "PaginatedList":
        from graph_olap.models.pagination import PaginatedList

        return PaginatedList
    if name == "QueryResult":
        from graph_olap.models.result import QueryResult

        return QueryResult
    if name == "Schema":
        from graph_olap.models.instance import GraphSchema

        return GraphSchema
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
