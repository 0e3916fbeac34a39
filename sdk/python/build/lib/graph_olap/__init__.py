"""graph_olap — the Python SDK (and only user interface) of the graph-olap platform.

Example:
    >>> from graph_olap import GraphOLAPClient
    >>> client = GraphOLAPClient(username="analyst_alice@e2e.local")   # URL from env or localhost
    >>> client.api_url.startswith("http")
    True
    >>> # mappings = client.mappings.list()
    >>> # inst = client.instances.create_from_mapping_and_wait(mappings[0].id, "analysis")
    >>> # conn = client.instances.connect(inst.id)
    >>> # conn.query("MATCH (n) RETURN count(n)").scalar()
"""

from graph_olap._version import __version__
from graph_olap.client import GraphOLAPClient
from graph_olap.config import Config
from graph_olap.durations import format_duration, parse_duration
from graph_olap.exceptions import (
    AlgorithmFailedError,
    AlgorithmNotFoundError,
    AlgorithmTimeoutError,
    AuthenticationError,
    ConcurrencyLimitError,
    ConflictError,
    DependencyError,
    ForbiddenError,
    GraphOLAPError,
    InstanceFailedError,
    InvalidStateError,
    MaintenanceModeError,
    NotFoundError,
    PermissionDeniedError,
    QueryError,
    QuerySyntaxError,
    QueryTimeoutError,
    RateLimitError,
    ReadOnlyViolationError,
    ResourceLockedError,
    ServerError,
    ServiceUnavailableError,
    SnapshotFailedError,
    TimeoutError,
    ValidationError,
)
from graph_olap.instance import InstanceConnection, QueryResult
from graph_olap.models import (
    AlgorithmExecution,
    EdgeDefinition,
    Instance,
    Mapping,
    MappingVersion,
    NodeDefinition,
    Snapshot,
)
from graph_olap.pagination import PaginatedList
from graph_olap.timestamps import parse_timestamp
from graph_olap.viz import show_graph

__all__ = [
    "AlgorithmExecution",
    "AlgorithmFailedError",
    "AlgorithmNotFoundError",
    "AlgorithmTimeoutError",
    "AuthenticationError",
    "ConcurrencyLimitError",
    "Config",
    "ConflictError",
    "DependencyError",
    "EdgeDefinition",
    "ForbiddenError",
    "GraphOLAPClient",
    "GraphOLAPError",
    "Instance",
    "InstanceConnection",
    "InstanceFailedError",
    "InvalidStateError",
    "MaintenanceModeError",
    "Mapping",
    "MappingVersion",
    "NodeDefinition",
    "NotFoundError",
    "PaginatedList",
    "PermissionDeniedError",
    "QueryError",
    "QueryResult",
    "QuerySyntaxError",
    "QueryTimeoutError",
    "RateLimitError",
    "ReadOnlyViolationError",
    "ResourceLockedError",
    "ServerError",
    "ServiceUnavailableError",
    "Snapshot",
    "SnapshotFailedError",
    "TimeoutError",
    "ValidationError",
    "__version__",
    "format_duration",
    "parse_duration",
    "parse_timestamp",
    "show_graph",
]
