"""Warehouse schema-browser models (API.md §3.12).

Example:
    >>> Table(catalog_name="demo", schema_name="bank", table_name="customers").full_name
    'demo.bank.customers'
"""

from __future__ import annotations

from typing import Optional

from graph_olap.models.base import GraphOLAPModel, Timestamp

__all__ = ["CacheStats", "Catalog", "Column", "Schema", "Table"]


class Catalog(GraphOLAPModel):
    """A warehouse catalog.

    Example:
        >>> Catalog(catalog_name="demo", schema_count=1)
        Catalog(catalog_name='demo', schema_count=1)
    """

    catalog_name: str
    schema_count: Optional[int] = None
    cached_at: Timestamp = None

    _repr_keys = ("catalog_name", "schema_count")


class Schema(GraphOLAPModel):
    """A schema inside a catalog.

    Example:
        >>> Schema(catalog_name="demo", schema_name="bank").schema_name
        'bank'
    """

    catalog_name: str
    schema_name: str
    table_count: Optional[int] = None
    cached_at: Timestamp = None

    _repr_keys = ("catalog_name", "schema_name", "table_count")


class Table(GraphOLAPModel):
    """A table or view.

    Example:
        >>> Table(catalog_name="c", schema_name="s", table_name="t", column_count=3).column_count
        3
    """

    catalog_name: str
    schema_name: str
    table_name: str
    table_type: Optional[str] = None
    column_count: Optional[int] = None
    comment: Optional[str] = None
    cached_at: Timestamp = None

    _repr_keys = ("catalog_name", "schema_name", "table_name", "table_type")

    @property
    def full_name(self) -> str:
        """``catalog.schema.table``."""
        return f"{self.catalog_name}.{self.schema_name}.{self.table_name}"


class Column(GraphOLAPModel):
    """A column of a table.

    Example:
        >>> Column(catalog_name="c", schema_name="s", table_name="t", column_name="id",
        ...        data_type="bigint").data_type
        'bigint'
    """

    catalog_name: str
    schema_name: str
    table_name: str
    column_name: str
    data_type: Optional[str] = None
    is_nullable: Optional[bool] = None
    ordinal_position: Optional[int] = None
    column_default: Optional[str] = None
    comment: Optional[str] = None
    cached_at: Timestamp = None

    _repr_keys = ("table_name", "column_name", "data_type")


class CacheStats(GraphOLAPModel):
    """Schema cache statistics.

    Example:
        >>> CacheStats(total_catalogs=2, last_refresh_status="success").total_catalogs
        2
    """

    total_catalogs: int = 0
    total_schemas: int = 0
    total_tables: int = 0
    total_columns: int = 0
    last_refresh: Timestamp = None
    last_refresh_status: Optional[str] = None
    last_refresh_duration_ms: Optional[int] = None
    last_refresh_error: Optional[str] = None
    refresh_in_progress: bool = False
    index_size_bytes: Optional[int] = None

    _repr_keys = ("total_catalogs", "total_tables", "last_refresh_status")
