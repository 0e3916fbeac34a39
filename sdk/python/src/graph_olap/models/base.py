"""The base class of every SDK model and the helpers all models share.

Owns :class:`GraphOLAPModel` (pydantic v2, ``extra="allow"``, readable
``repr``, ``_repr_html_``, dict-style access for notebook code written against
dict responses), the :data:`Timestamp` field type and :func:`status_badge`.
It imports no other model module, so every model module can build on it
without import cycles.

Example:
    >>> class Thing(GraphOLAPModel):
    ...     id: int
    >>> Thing.from_dict({"id": 1})["id"]
    1
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Annotated, Any, ClassVar, Dict, Iterator, List, Optional, Sequence, Tuple

from pydantic import BaseModel, BeforeValidator, ConfigDict
from typing_extensions import Self

from graph_olap.timestamps import parse_timestamp

__all__ = ["GraphOLAPModel", "Timestamp", "status_badge"]


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
    def from_dict(cls, data: Dict[str, Any]) -> Self:
        """Build the model from a decoded JSON object (alias of ``from_api_response``)."""
        return cls.model_validate(data)

    @classmethod
    def from_api_response(cls, data: Dict[str, Any]) -> Self:
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
