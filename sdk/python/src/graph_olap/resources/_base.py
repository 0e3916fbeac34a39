"""Shared plumbing of resource classes (pagination, the ``UNSET`` sentinel, waits).

Owns nothing user-facing: every public resource subclasses :class:`Resource`.

Example:
    >>> UNSET is UNSET, bool(UNSET)
    (True, False)
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Type, TypeVar

from graph_olap.http import HTTPClient
from graph_olap.models.base import GraphOLAPModel
from graph_olap.pagination import PaginatedList
from graph_olap.polling import poll

__all__ = ["UNSET", "Resource", "poll"]

M = TypeVar("M", bound=GraphOLAPModel)


class _Unset:
    """Marker for "argument not given" where ``None`` means "clear the value"."""

    _instance: Optional[_Unset] = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def put_if_set(body: Dict[str, Any], **fields: Any) -> Dict[str, Any]:
    """Add every field that is not ``UNSET`` (``None`` is kept: it clears).

    Example:
        >>> put_if_set({}, a=UNSET, b=None, c=1)
        {'b': None, 'c': 1}
    """
    for key, value in fields.items():
        if value is not UNSET:
            body[key] = value
    return body


#: Largest ``limit`` the API accepts on list endpoints (API.md §1.5).
MAX_PAGE = 100


class Resource:
    """Base class: holds the HTTP client and builds paginated results.

    Example:
        >>> from graph_olap.config import Config
        >>> r = Resource(HTTPClient(Config()))
        >>> isinstance(r._http, HTTPClient)
        True
    """

    def __init__(self, http: HTTPClient) -> None:
        self._http = http

    def _page(
        self,
        path: str,
        model: Type[M],
        params: Optional[Mapping[str, Any]] = None,
        *,
        items_key: Optional[str] = None,
    ) -> PaginatedList[M]:
        params = dict(params or {})
        body = self._http.get(path, params=params)
        data = body.get("data", []) if isinstance(body, dict) else body
        if items_key and isinstance(data, dict):
            data = data.get(items_key, [])
        meta = body.get("meta", {}) if isinstance(body, dict) else {}

        def fetch(offset: int) -> PaginatedList[M]:
            return self._page(path, model, {**params, "offset": offset}, items_key=items_key)

        return PaginatedList(
            [model.from_dict(item) for item in data or []],
            total=meta.get("total"),
            offset=meta.get("offset", params.get("offset", 0)),
            limit=meta.get("limit", params.get("limit")),
            fetch_page=fetch,
        )

    def _list(self, path: str, model: Type[M], params: Optional[Mapping[str, Any]] = None
              ) -> PaginatedList[M]:
        params = dict(params or {})
        limit = params.get("limit")
        if isinstance(limit, int) and limit > MAX_PAGE:
            # The API serves at most MAX_PAGE items a request: gather the pages.
            first = self._page(path, model, {**params, "limit": MAX_PAGE})
            items = list(first)
            page: Optional[PaginatedList[M]] = first
            while page is not None and len(items) < limit:
                page = page.next_page()
                if page is not None:
                    items.extend(page)
            return PaginatedList(items[:limit], total=first.total, offset=first.offset,
                                 limit=limit,
                                 fetch_page=lambda offset: self._list(
                                     path, model, {**params, "offset": offset}))
        return self._page(path, model, params)

    def _one(self, method: str, path: str, model: Type[M], **kw: Any) -> M:
        return model.from_dict(self._http.data(method, path, **kw))

