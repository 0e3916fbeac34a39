"""Paginated list results (API.md §1.5).

Owns :class:`PaginatedList`, a ``list`` subclass that also carries ``total``,
``offset`` and ``limit`` and can fetch the following pages.

Example:
    >>> page = PaginatedList([1, 2], total=5, offset=0, limit=2)
    >>> len(page), page.total, page.has_more
    (2, 5, True)
"""

from __future__ import annotations

import html
from typing import Any, Callable, Generic, Iterable, Iterator, List, Optional, TypeVar

__all__ = ["PaginatedList"]

T = TypeVar("T")


class PaginatedList(List[T], Generic[T]):
    """One page of a collection plus its pagination metadata.

    Behaves like a ``list`` of models; ``total`` counts every match of the
    filters.  ``iter_all()`` walks through every page.

    Example:
        >>> pages = {0: [1, 2], 2: [3]}
        >>> fetch = lambda offset: PaginatedList(pages[offset], total=3, offset=offset, limit=2,
        ...                                      fetch_page=fetch)
        >>> list(fetch(0).iter_all())
        [1, 2, 3]
    """

    def __init__(
        self,
        items: Iterable[T] = (),
        *,
        total: Optional[int] = None,
        offset: int = 0,
        limit: Optional[int] = None,
        fetch_page: Optional[Callable[[int], PaginatedList[T]]] = None,
    ) -> None:
        super().__init__(items)
        self.total = len(self) if total is None else int(total)
        self.offset = int(offset or 0)
        self.limit = len(self) if limit is None else int(limit)
        self._fetch_page = fetch_page

    @property
    def items(self) -> List[T]:
        """The items of this page as a plain list."""
        return list(self)

    @property
    def has_more(self) -> bool:
        """Whether items exist after this page."""
        return self.offset + len(self) < self.total

    @property
    def page_count(self) -> int:
        """Number of pages of ``limit`` items needed for ``total`` items (0 when ``limit`` is 0).

        Example:
            >>> PaginatedList([1, 2], total=5, offset=0, limit=2).page_count
            3
        """
        if self.limit <= 0:
            return 0
        return (self.total + self.limit - 1) // self.limit

    def next_page(self) -> Optional[PaginatedList[T]]:
        """Fetch the following page (``None`` when this is the last one)."""
        if not self.has_more or self._fetch_page is None or not len(self):
            return None
        return self._fetch_page(self.offset + len(self))

    def iter_all(self) -> Iterator[T]:
        """Iterate over this page and every following page."""
        page: Optional[PaginatedList[T]] = self
        while page is not None:
            yield from page
            page = page.next_page()

    def to_dicts(self) -> List[Any]:
        """Items as plain dicts."""
        return [i.to_dict() if hasattr(i, "to_dict") else i for i in self]

    def to_polars(self) -> Any:
        """Items as a ``polars.DataFrame`` (requires polars)."""
        import polars as pl

        return pl.DataFrame(self.to_dicts())

    def to_pandas(self) -> Any:
        """Items as a ``pandas.DataFrame`` (requires pandas)."""
        import pandas as pd

        return pd.DataFrame(self.to_dicts())

    def __repr__(self) -> str:
        inner = ", ".join(repr(i) for i in list(self)[:5])
        more = f", … (+{len(self) - 5})" if len(self) > 5 else ""
        return (f"PaginatedList([{inner}{more}], total={self.total}, offset={self.offset}, "
                f"limit={self.limit})")

    def _repr_html_(self) -> str:
        from graph_olap.models.base import GraphOLAPModel, status_badge

        if not len(self):
            return "<div class='graph-olap'><p class='go-muted'>No results.</p></div>"
        first = self[0]
        if isinstance(first, GraphOLAPModel):
            cols = [k for k, _ in first._repr_pairs()]
            for extra in ("owner_username", "created_at"):
                if extra in type(first).model_fields and extra not in cols:
                    cols.append(extra)
        else:
            cols = []
        head = "".join(f"<th>{html.escape(c)}</th>" for c in cols) or "<th>value</th>"
        rows = []
        for item in self:
            if cols:
                cells = []
                for c in cols:
                    v = getattr(item, c, None)
                    cells.append(status_badge(v) if c == "status" and v is not None
                                 else html.escape("—" if v is None else str(v)))
                rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
            else:
                rows.append(f"<tr><td>{html.escape(repr(item))}</td></tr>")
        end = self.offset + len(self)
        return (f"<div class='graph-olap'><table class='go-table'><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(rows)}</tbody></table><div class='go-muted'>"
                f"{self.offset + 1}–{end} of {self.total}</div></div>")
