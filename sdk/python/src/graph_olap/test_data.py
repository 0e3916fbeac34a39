"""The tutorial graph's definitions as constants (DEMO.md, mapping ``tutorial-customer-graph``).

The one home of the tutorial mapping's SQL in the SDK: ``notebook_setup``
(``provision``, ``NotebookContext.mapping``), ``testing`` and notebooks that
build the tutorial mapping themselves all take it from here.  One
``Customer`` node over the demo warehouse table
``"default_catalog"."default_schema".bis_acct_dh`` and ``SHARES_ACCOUNT`` edges
between customers holding the same account.

Example:
    >>> CUSTOMER_NODE.label, SHARES_ACCOUNT_EDGE.type, MAPPING_NAME
    ('Customer', 'SHARES_ACCOUNT', 'tutorial-customer-graph')
    >>> TABLE_PREFIX
    'default_catalog.default_schema'
"""

from __future__ import annotations

from typing import List, Tuple

from graph_olap.models.mapping import (
    EdgeDefinition,
    NodeDefinition,
    PrimaryKey,
    PropertyDefinition,
)

__all__ = [
    "CUSTOMER_NODE",
    "EDGE_DEFINITIONS",
    "INSTANCE_NAME",
    "INSTANCE_TTL",
    "MAPPING_NAME",
    "NODE_DEFINITIONS",
    "SHARES_ACCOUNT_EDGE",
    "STARBURST_CATALOG",
    "STARBURST_SCHEMA",
    "TABLE_PREFIX",
    "tutorial_definitions",
]

#: Warehouse catalog of the tutorial table.
STARBURST_CATALOG: str = "default_catalog"
#: Warehouse schema of the tutorial table.
STARBURST_SCHEMA: str = "default_schema"
#: ``catalog.schema`` prefix of the tutorial table.
TABLE_PREFIX: str = f"{STARBURST_CATALOG}.{STARBURST_SCHEMA}"
#: Name of the shared tutorial mapping.
MAPPING_NAME: str = "tutorial-customer-graph"
#: Name of the tutorial instance ``notebook_setup.provision()`` finds or creates.
INSTANCE_NAME: str = "tutorial-instance"
#: TTL of the tutorial instance.
INSTANCE_TTL: str = "PT1H"

_TABLE = f'"{STARBURST_CATALOG}"."{STARBURST_SCHEMA}".bis_acct_dh'
_SINCE = "DATE '2020-01-01'"


def tutorial_definitions() -> Tuple[List[NodeDefinition], List[EdgeDefinition]]:
    """Fresh copies of the node and edge definitions of ``tutorial-customer-graph`` (DEMO.md).

    Example:
        >>> nodes, edges = tutorial_definitions()
        >>> nodes[0].label, edges[0].type, nodes[0] is not CUSTOMER_NODE
        ('Customer', 'SHARES_ACCOUNT', True)
    """
    node = NodeDefinition(
        label="Customer",
        sql=("SELECT CAST(psdo_cust_id AS VARCHAR) AS id, MIN(bk_sectr) AS bk_sectr, "
             "COUNT(DISTINCT psdo_acno) AS account_count, MIN(acct_stus) AS acct_stus "
             f"FROM {_TABLE} WHERE image_dt >= {_SINCE} GROUP BY psdo_cust_id"),
        primary_key=PrimaryKey(name="id", type="STRING"),
        properties=[PropertyDefinition(name="bk_sectr", type="STRING"),
                    PropertyDefinition(name="account_count", type="INT64"),
                    PropertyDefinition(name="acct_stus", type="STRING")],
    )
    edge = EdgeDefinition(
        type="SHARES_ACCOUNT", from_node="Customer", to_node="Customer",
        sql=("SELECT DISTINCT CAST(a.psdo_cust_id AS VARCHAR) AS from_id, "
             "CAST(b.psdo_cust_id AS VARCHAR) AS to_id "
             f"FROM {_TABLE} a JOIN {_TABLE} b ON a.psdo_acno = b.psdo_acno "
             f"AND a.psdo_cust_id < b.psdo_cust_id AND a.image_dt >= {_SINCE} "
             f"AND b.image_dt >= {_SINCE}"),
        from_key="from_id", to_key="to_id",
    )
    return [node], [edge]


_nodes, _edges = tutorial_definitions()
#: The ``Customer`` node (primary key ``id``; ``bk_sectr``, ``account_count``, ``acct_stus``).
CUSTOMER_NODE = _nodes[0]
NODE_DEFINITIONS = [CUSTOMER_NODE]
#: ``SHARES_ACCOUNT`` Customer→Customer (customers holding the same account).
SHARES_ACCOUNT_EDGE = _edges[0]
EDGE_DEFINITIONS = [SHARES_ACCOUNT_EDGE]
