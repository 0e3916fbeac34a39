"""Paginated list results — :class:`PaginatedList` (defined in :mod:`graph_olap.models.pagination`).

Kept as the import path notebooks use (``from graph_olap.pagination import PaginatedList``).

Example:
    >>> PaginatedList([1], total=1, offset=0, limit=50).total
    1
"""

from graph_olap.models.pagination import PaginatedList

__all__ = ["PaginatedList"]
