"""``client.schema`` — browse the warehouse catalog to design mappings (§6.3).

Example:
    >>> {"customers", "accounts"} <= {t.table_name for t in client.schema.list_tables("demo", "bank")}
    True
    >>> "customer_id" in {c.column_name for c in client.schema.search_columns("customer")}
    True
"""

from __future__ import annotations

from typing import Any, Dict, Optional, cast
from urllib.parse import quote

from graph_olap.models.schema import CacheStats, Catalog, Column, Schema, Table
from graph_olap.pagination import PaginatedList
from graph_olap.resources._base import Resource

__all__ = ["SchemaResource"]


def _seg(value: str) -> str:
    return quote(str(value), safe="")


class SchemaResource(Resource):
    """Cached warehouse metadata: catalogs → schemas → tables → columns.

    Example:
        >>> "demo" in [c.catalog_name for c in client.schema.list_catalogs()]
        True
    """

    def list_catalogs(self) -> PaginatedList[Catalog]:
        """All cached catalogs, sorted by name.

        Example:
            >>> names = [c.catalog_name for c in client.schema.list_catalogs()]; names == sorted(names)
            True
        """
        return PaginatedList(
            [Catalog.from_dict(c) for c in self._http.data("GET", "/api/schema/catalogs")])

    def list_schemas(self, catalog: str) -> PaginatedList[Schema]:
        """Schemas of a catalog.

        Example:
            >>> "bank" in [s.schema_name for s in client.schema.list_schemas("demo")]
            True
        """
        data = self._http.data("GET", f"/api/schema/catalogs/{_seg(catalog)}/schemas")
        return PaginatedList([Schema.from_dict(s) for s in data])

    def list_tables(self, catalog: str, schema: str) -> PaginatedList[Table]:
        """Tables of a schema.

        Example:
            >>> [t.table_name for t in client.schema.list_tables("default_catalog", "default_schema")]
            ['bis_acct_dh']
        """
        data = self._http.data(
            "GET", f"/api/schema/catalogs/{_seg(catalog)}/schemas/{_seg(schema)}/tables")
        return PaginatedList([Table.from_dict(t) for t in data])

    def list_columns(self, catalog: str, schema: str, table: str) -> PaginatedList[Column]:
        """Columns of a table, by ordinal position.

        Example:
            >>> [c.column_name for c in client.schema.list_columns("demo", "bank", "customers")][0]
            'customer_id'
        """
        data = self._http.data(
            "GET", f"/api/schema/catalogs/{_seg(catalog)}/schemas/{_seg(schema)}"
                   f"/tables/{_seg(table)}/columns")
        return PaginatedList([Column.from_dict(c) for c in data])

    def search_tables(self, pattern: str, limit: int = 100, *, catalog: Optional[str] = None,
                      schema: Optional[str] = None) -> PaginatedList[Table]:
        """Tables whose name starts with ``pattern`` (case-insensitive).

        Example:
            >>> "customers" in [t.table_name for t in client.schema.search_tables("cust")]
            True
        """
        data = self._http.data("GET", "/api/schema/search/tables", params={
            "q": pattern, "limit": limit, "catalog": catalog, "schema": schema})
        return PaginatedList([Table.from_dict(t) for t in data])

    def search_columns(self, pattern: str, limit: int = 100, *, catalog: Optional[str] = None,
                       schema: Optional[str] = None) -> PaginatedList[Column]:
        """Columns whose name starts with ``pattern`` (case-insensitive).

        Example:
            >>> "acct_stus" in [c.column_name for c in client.schema.search_columns("acct")]
            True
        """
        data = self._http.data("GET", "/api/schema/search/columns", params={
            "q": pattern, "limit": limit, "catalog": catalog, "schema": schema})
        return PaginatedList([Column.from_dict(c) for c in data])

    def admin_refresh(self) -> Dict[str, Any]:
        """Queue a cache refresh (admin or ops).

        Example:
            >>> admin.schema.admin_refresh()["status"] in ("queued", "already_running")
            True
        """
        return cast(Dict[str, Any], self._http.data("POST", "/api/schema/admin/refresh"))

    def get_stats(self) -> CacheStats:
        """Cache statistics (admin or ops).

        Example:
            >>> admin.schema.get_stats().total_tables > 0
            True
        """
        return self._one("GET", "/api/schema/stats", CacheStats)
