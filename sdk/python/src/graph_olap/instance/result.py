"""Query results of an instance — :class:`QueryResult` (defined in :mod:`graph_olap.models.result`).

Kept as the import path the original package and notebooks use
(``from graph_olap.instance.result import QueryResult``).

Example:
    >>> from graph_olap.models.result import QueryResult as Defined
    >>> QueryResult is Defined
    True
"""

from graph_olap.models.result import QueryResult, decode_value

__all__ = ["QueryResult", "decode_value"]
