"""Warehouse schema browser over the bundled demo warehouse (API.md §6.3, DEMO.md)."""

from __future__ import annotations

import pytest

from graph_olap import GraphOLAPClient
from graph_olap.exceptions import ForbiddenError, NotFoundError


def test_catalog_tree(analyst: GraphOLAPClient) -> None:
    catalogs = {c.catalog_name for c in analyst.schema.list_catalogs()}
    assert {"default_catalog", "demo"} <= catalogs
    assert "default_schema" in {s.schema_name for s in analyst.schema.list_schemas("default_catalog")}
    tables = {t.table_name for t in analyst.schema.list_tables("demo", "bank")}
    assert {"customers", "accounts", "account_holders", "transfers"} <= tables
    cols = analyst.schema.list_columns("default_catalog", "default_schema", "bis_acct_dh")
    assert [c.column_name for c in cols] == ["psdo_cust_id", "psdo_acno", "bk_sectr",
                                             "acct_stus", "image_dt"]
    assert [c.ordinal_position for c in cols] == [1, 2, 3, 4, 5]
    with pytest.raises(NotFoundError):
        analyst.schema.list_schemas("no_such_catalog")


def test_search(analyst: GraphOLAPClient) -> None:
    found = analyst.schema.search_tables("acc")
    assert {"accounts", "account_holders"} <= {t.table_name for t in found}
    cols = analyst.schema.search_columns("psdo_")
    assert {"psdo_cust_id", "psdo_acno"} <= {c.column_name for c in cols}


def test_admin_refresh_and_stats(admin: GraphOLAPClient, analyst: GraphOLAPClient) -> None:
    stats = admin.schema.get_stats()
    assert stats.total_tables >= 5
    assert admin.schema.admin_refresh()["status"] in ("queued", "already_running")
    with pytest.raises(ForbiddenError):
        analyst.schema.get_stats()
