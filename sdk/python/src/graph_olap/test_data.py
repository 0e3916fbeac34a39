"""The tutorial graph's definitions as constants (DEMO.md, mapping ``tutorial-customer-graph``).

Notebooks that build the tutorial mapping themselves import these instead of
repeating the SQL: one ``Customer`` node over the demo warehouse table
``"default_catalog"."default_schema".bis_acct_dh`` and ``SHARES_ACCOUNT`` edges
between customers holding the same account.

Example:
    >>> CUSTOMER_NODE.label, SHARES_ACCOUNT_EDGE.type, MAPPING_NAME
    ('Customer', 'SHARES_ACCOUNT', 'tutorial-customer-graph')
    >>> TABLE_PREFIX
    'default_catalog.default_schema'
"""

from __future__ import annotations

from graph_olap.notebook_setup import TUTORIAL_INSTANCE, TUTORIAL_MAPPING, TUTORIAL_TTL, tutorial_definitions

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

#: Warehouse catalog of the tutorial table.
STARBURST_CATALOG: str = "default_catalog"
#: Warehouse schema of the tutorial table.
STARBURST_SCHEMA: str = "default_schema"
#: ``catalog.schema`` prefix of the tutorial table.
TABLE_PREFIX: str = f"{STARBURST_CATALOG}.{STARBURST_SCHEMA}"
#: Name of the shared tutorial mapping.
MAPPING_NAME: str = TUTORIAL_MAPPING
#: Name of the tutorial instance ``notebook_setup.provision()`` finds or creates.
INSTANCE_NAME: str = TUTORIAL_INSTANCE
#: TTL of the tutorial instance.
INSTANCE_TTL: str = TUTORIAL_TTL

_nodes, _edges = tutorial_definitions()
#: The ``Customer`` node (primary key ``id``; ``bk_sectr``, ``account_count``, ``acct_stus``).
CUSTOMER_NODE = _nodes[0]
NODE_DEFINITIONS = [CUSTOMER_NODE]
#: ``SHARES_ACCOUNT`` Customer→Customer (customers holding the same account).
SHARES_ACCOUNT_EDGE = _edges[0]
EDGE_DEFINITIONS = [SHARES_ACCOUNT_EDGE]
