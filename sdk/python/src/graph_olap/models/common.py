"""Shared model base class and small cross-cutting models.

Owns :class:`GraphOLAPModel` (pydantic v2, ``extra="allow"``, readable
``repr``, ``_repr_html_``, dict-style access for notebook code written against
dict responses) and models that belong to no single resource (health,
favorites, users, API keys, bulk-delete results, quota).

Example:
    >>> f = Favorite.from_api_response({"resource_type": "mapping", "resource_id": 1,
    ...     "resource_name": "g", "created_at": "2025-01-15T10:30:00.000Z", "new_field": 1})
    >>> f.resource_name, f["resource_id"], f.new_field
    ('g', 1, 1)
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Annotated, Any, ClassVar, Dict, Iterator, List, Optional, Sequence, Tuple

from pydantic import BaseModel, BeforeValidator, ConfigDict

from graph_olap.timestamps import parse_timestamp

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


def _ts(value: Any) -> Any:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return parse_timestamp(value)
    except ValueError:
        return value


#: A timestamp field: RFC 3339 text (``Z`` or offsets, any precision) → aware datetime.
Timestamp = Annotated[Optional[datetime], BeforeValidator(_ts)]


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, BaseModel):
        return repr(value)
    if isinstance(value, list):
        if value and isinstance(value[0], BaseModel):
            return f"[{len(value)} items]"
        text = ", ".join(str(v) for v in value[:8])
        return text + (f", … (+{len(value) - 8})" if len(value) > 8 else "")
    return str(value)


_STATUS_CLASSES = {
    "running": "ok", "ready": "ok", "healthy": "ok", "completed": "ok", "connected": "ok",
    "starting": "pending", "pending": "pending", "creating": "pending", "queued": "pending",
    "waiting_for_snapshot": "pending", "claimed": "pending", "degraded": "warn",
    "stopping": "warn", "failed": "error", "unhealthy": "error", "cancelled": "muted",
    "terminated": "muted",
}


def status_badge(status: Any) -> str:
    """HTML badge for a status value (CSS classes from the embedded notebook CSS).

    Example:
        >>> status_badge("running")
        '<span class="go-badge go-badge-ok">running</span>'
    """
    text = html.escape(str(status))
    cls = _STATUS_CLASSES.get(str(status).lower(), "muted")
    return f'<span class="go-badge go-badge-{cls}">{text}</span>'


class GraphOLAPModel(BaseModel):
    """Base class of every SDK model.

    * unknown fields are kept (``extra="allow"``) so newer servers never break
      older SDKs;
    * ``model["field"]`` and ``model.get("field")`` work like a dict;
    * ``repr`` shows the identifying fields only; notebooks render
      ``_repr_html_``.

    Example:
        >>> class Thing(GraphOLAPModel):
        ...     id: int
        ...     name: Optional[str] = None
        >>> t = Thing.from_dict({"id": 1, "name": "x", "extra": True})
        >>> t, t.to_dict()["extra"]
        (Thing(id=1, name='x'), True)
    """

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())

    #: Fields shown by ``repr`` (default: ``id``/``name``/``status`` when present).
    _repr_keys: ClassVar[Tuple[str, ...]] = ()
    #: Title used by ``_repr_html_``.
    _html_title: ClassVar[Optional[str]] = None

    @classmethod
    def from_dict(cls, data: Dict[str, Any]) -> Any:
        """Build the model from a decoded JSON object (alias of ``from_api_response``)."""
        return cls.model_validate(data)

    @classmethod
    def from_api_response(cls, data: Dict[str, Any]) -> Any:
        """Build the model from an API response object (``data`` of the envelope)."""
        if isinstance(data, dict) and "data" in data and "meta" in data:
            data = data["data"]
        return cls.model_validate(data)

    def to_dict(self, *, exclude_none: bool = False) -> Dict[str, Any]:
        """JSON-compatible dict of every field, including unknown ones."""
        return self.model_dump(mode="json", exclude_none=exclude_none)

    # ---------------------------------------------------------- dict access
    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (
            key in type(self).model_fields or key in (self.__pydantic_extra__ or {})
        )

    def get(self, key: str, default: Any = None) -> Any:
        """Dict-style ``get``."""
        return getattr(self, key, default)

    def keys(self) -> List[str]:
        """Field names, including unknown fields sent by the server."""
        return list(type(self).model_fields) + list(self.__pydantic_extra__ or {})

    def items(self) -> Iterator[Tuple[str, Any]]:
        """``(name, value)`` pairs like ``dict.items()``."""
        return iter([(k, getattr(self, k, None)) for k in self.keys()])

    # --------------------------------------------------------------- display
    def _repr_pairs(self) -> Sequence[Tuple[str, Any]]:
        keys = self._repr_keys or tuple(
            k for k in ("id", "name", "status") if k in type(self).model_fields
        )
        if not keys:
            keys = tuple(type(self).model_fields)[:4]
        return [(k, getattr(self, k, None)) for k in keys]

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self._repr_pairs())
        return f"{type(self).__name__}({inner})"

    __str__ = __repr__

    def _repr_html_(self) -> str:
        title = self._html_title or type(self).__name__
        ident = ""
        for key in ("name", "label", "type", "id"):
            value = getattr(self, key, None)
            if isinstance(value, (str, int)) and not isinstance(value, bool):
                ident = f" <span class='go-muted'>{html.escape(str(value))}</span>"
                break
        rows = []
        for key in self.keys():
            value = getattr(self, key, None)
            if key == "status" or key.endswith("_status"):
                cell = status_badge(value) if value is not None else "—"
            else:
                cell = html.escape(_fmt(value))
            rows.append(f"<tr><th>{html.escape(key)}</th><td>{cell}</td></tr>")
        return (
            f"<div class='graph-olap go-card'><div class='go-card-title'>"
            f"{html.escape(title)}{ident}</div>"
            f"<table class='go-table go-kv'>{''.join(rows)}</table></div>"
        )


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
        from graph_olap.pagination import PaginatedList

        return PaginatedList
    if name == "QueryResult":
        from graph_olap.instance.result import QueryResult

        return QueryResult
    if name == "Schema":
        from graph_olap.models.instance import GraphSchema

        return GraphSchema
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
