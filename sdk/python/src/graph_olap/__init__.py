"""graph_olap — the Python SDK (and only user interface) of the graph-olap platform.

Example:
    >>> from graph_olap import GraphOLAPClient
    >>> GraphOLAPClient(username="analyst_alice@e2e.local").api_url.startswith("http")   # env or localhost
    True
    >>> mappings = client.mappings.list()          # client: GraphOLAPClient(url, username=...)
    >>> inst = client.instances.get(inst.id)       # or create_from_mapping_and_wait(mappings[0].id, ...)
    >>> conn = client.instances.connect(inst.id)
    >>> conn.query("MATCH (n) RETURN count(n)").scalar() > 0
    True
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
    RyugraphError,
    ServerError,
    ServiceUnavailableError,
    SnapshotFailedError,
    TimeoutError,
    ValidationError,
)
from graph_olap.instance import InstanceConnection, QueryResult
from graph_olap.models import (
    AlgorithmExecution,
    ClusterCapacity,
    ClusterHealth,
    ClusterInstances,
    ComponentHealth,
    ConcurrencyConfig,
    EdgeDefinition,
    ExportConfig,
    Favorite,
    HealthStatus,
    Instance,
    InstanceLimits,
    InstanceProgress,
    LifecycleConfig,
    LockStatus,
    MaintenanceMode,
    Mapping,
    MappingVersion,
    NodeDefinition,
    OwnerInstanceCount,
    ResourceLifecycleConfig,
    Schema,
    Snapshot,
    WrapperType,
)
from graph_olap.notebook_setup import NotebookContext, setup
from graph_olap.pagination import PaginatedList
from graph_olap.personas import Persona
from graph_olap.testing import NotebookTest, PersonaConfig, TestPersona
from graph_olap.timestamps import parse_timestamp
from graph_olap.visualize import visualize
from graph_olap.viz import show_graph

__all__ = [
    "AlgorithmExecution",
    "AlgorithmFailedError",
    "AlgorithmNotFoundError",
    "AlgorithmTimeoutError",
    "AuthenticationError",
    "ClusterCapacity",
    "ClusterHealth",
    "ClusterInstances",
    "ComponentHealth",
    "ConcurrencyConfig",
    "ConcurrencyLimitError",
    "Config",
    "ConflictError",
    "DependencyError",
    "EdgeDefinition",
    "ExportConfig",
    "Favorite",
    "ForbiddenError",
    "GraphOLAPClient",
    "GraphOLAPError",
    "HealthStatus",
    "Instance",
    "InstanceConnection",
    "InstanceFailedError",
    "InstanceLimits",
    "InstanceProgress",
    "InvalidStateError",
    "LifecycleConfig",
    "LockStatus",
    "MaintenanceMode",
    "MaintenanceModeError",
    "Mapping",
    "MappingVersion",
    "NodeDefinition",
    "NotFoundError",
    "NotebookContext",
    "NotebookTest",
    "OwnerInstanceCount",
    "PaginatedList",
    "PermissionDeniedError",
    "Persona",
    "PersonaConfig",
    "QueryError",
    "QueryResult",
    "QuerySyntaxError",
    "QueryTimeoutError",
    "RateLimitError",
    "ReadOnlyViolationError",
    "ResourceLifecycleConfig",
    "ResourceLockedError",
    "RyugraphError",
    "Schema",
    "ServerError",
    "ServiceUnavailableError",
    "Snapshot",
    "SnapshotFailedError",
    "TestPersona",
    "TimeoutError",
    "ValidationError",
    "WrapperType",
    "__version__",
    "format_duration",
    "parse_duration",
    "parse_timestamp",
    "setup",
    "show_graph",
    "visualize",
]
