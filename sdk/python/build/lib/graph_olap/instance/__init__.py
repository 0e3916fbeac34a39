"""Data-plane access to a running instance: queries, results and algorithms.

Example:
    >>> from graph_olap.instance import InstanceConnection, QueryResult
    >>> QueryResult(["x"], ["INT64"], [[1]]).scalar()
    1
"""

from graph_olap.instance.algorithms import AlgorithmManager, NetworkXManager
from graph_olap.instance.connection import InstanceConnection
from graph_olap.instance.result import QueryResult

__all__ = ["AlgorithmManager", "InstanceConnection", "NetworkXManager", "QueryResult"]
