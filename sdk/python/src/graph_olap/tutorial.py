"""Older name of :mod:`graph_olap.test_data` (the tutorial graph's definitions).

Example:
    >>> from graph_olap.tutorial import CUSTOMER_NODE
    >>> CUSTOMER_NODE.primary_key.name
    'id'
"""

from graph_olap.test_data import (
    CUSTOMER_NODE,
    EDGE_DEFINITIONS,
    INSTANCE_NAME,
    INSTANCE_TTL,
    MAPPING_NAME,
    NODE_DEFINITIONS,
    SHARES_ACCOUNT_EDGE,
    STARBURST_CATALOG,
    STARBURST_SCHEMA,
    TABLE_PREFIX,
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
]
