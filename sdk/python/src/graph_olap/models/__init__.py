"""Typed pydantic v2 models for every resource of the graph-olap API.

Example:
    >>> from graph_olap.models import Mapping, Instance
    >>> Instance(id=1, status="running").is_running
    True
"""

from typing import Any

from graph_olap.models.common import (
    ApiKey,
    AuditEntry,
    BulkDeleteResult,
    Favorite,
    GraphOLAPModel,
    HealthStatus,
    InstanceQuota,
    User,
)
from graph_olap.models.enums import (
    AlgorithmCategory,
    AlgorithmListResponse,
    AlgorithmType,
    ChangeType,
    ExecutionStatus,
    InstanceState,
    NativeAlgorithmRequest,
    NetworkXAlgorithmRequest,
    RyugraphType,
    SnapshotStatus,
    WrapperType,
)
from graph_olap.models.execution import AlgorithmExecution, AlgorithmInfo, AlgorithmParameter
from graph_olap.models.instance import (
    EdgeTableSchema,
    GraphSchema,
    Instance,
    InstanceEvent,
    InstanceProgress,
    InstanceStatus,
    LabelMap,
    LockStatus,
    NodeTableSchema,
)
from graph_olap.models.mapping import (
    DiffEntry,
    DiffSummary,
    EdgeDefinition,
    EdgeDiff,
    Mapping,
    MappingDiff,
    MappingTree,
    MappingVersion,
    NodeDefinition,
    NodeDiff,
    PrimaryKey,
    PrimaryKeyDefinition,
    PropertyDefinition,
)
from graph_olap.models.ops import (
    CapacityAmount,
    CapacityTotals,
    ClusterCapacity,
    ClusterHealth,
    ClusterInstances,
    ComponentHealth,
    ConcurrencyConfig,
    ExportConfig,
    ExportJob,
    InstanceLimits,
    JobStatus,
    JobTrigger,
    LifecycleConfig,
    MaintenanceMode,
    NodeCapacity,
    OwnerCount,
    OwnerInstanceCount,
    ResourceLifecycleConfig,
    RuntimeUnits,
    SystemState,
)
from graph_olap.models.schema import CacheStats, Catalog, Column, Table
from graph_olap.models.snapshot import ExportJobProgress, ProgressStep, Snapshot, SnapshotProgress

#: The graph schema of a running instance (``conn.get_schema()``); the warehouse
#: browser's schema model is :class:`graph_olap.models.schema.Schema`.
Schema = GraphSchema

# Names of the original package's model namespace.
AlgorithmParameterInfo = AlgorithmParameter
AlgorithmInfoResponse = AlgorithmInfo
AlgorithmExecutionResponse = AlgorithmExecution

__all__ = [
    "AlgorithmCategory",
    "AlgorithmExecution",
    "AlgorithmExecutionResponse",
    "AlgorithmInfo",
    "AlgorithmInfoResponse",
    "AlgorithmListResponse",
    "AlgorithmParameter",
    "AlgorithmParameterInfo",
    "AlgorithmType",
    "ApiKey",
    "AuditEntry",
    "BulkDeleteResult",
    "CacheStats",
    "CapacityAmount",
    "CapacityTotals",
    "Catalog",
    "ChangeType",
    "ClusterCapacity",
    "ClusterHealth",
    "ClusterInstances",
    "Column",
    "ComponentHealth",
    "ConcurrencyConfig",
    "DiffEntry",
    "DiffSummary",
    "EdgeDefinition",
    "EdgeDiff",
    "EdgeTableSchema",
    "ExecutionStatus",
    "ExportConfig",
    "ExportJob",
    "ExportJobProgress",
    "Favorite",
    "GraphOLAPModel",
    "GraphSchema",
    "HealthStatus",
    "Instance",
    "InstanceEvent",
    "InstanceLimits",
    "InstanceProgress",
    "InstanceQuota",
    "InstanceState",
    "InstanceStatus",
    "JobStatus",
    "JobTrigger",
    "LabelMap",
    "LifecycleConfig",
    "LockStatus",
    "MaintenanceMode",
    "Mapping",
    "MappingDiff",
    "MappingTree",
    "MappingVersion",
    "NativeAlgorithmRequest",
    "NetworkXAlgorithmRequest",
    "NodeCapacity",
    "NodeDefinition",
    "NodeDiff",
    "NodeTableSchema",
    "OwnerCount",
    "OwnerInstanceCount",
    "PaginatedList",
    "PrimaryKey",
    "PrimaryKeyDefinition",
    "ProgressStep",
    "PropertyDefinition",
    "QueryResult",
    "ResourceLifecycleConfig",
    "RuntimeUnits",
    "RyugraphType",
    "Schema",
    "Snapshot",
    "SnapshotProgress",
    "SnapshotStatus",
    "SystemState",
    "Table",
    "User",
    "WrapperType",
]


def __getattr__(name: str) -> Any:
    # Imported lazily: these live outside the models package and import it themselves.
    if name == "PaginatedList":
        from graph_olap.models.pagination import PaginatedList

        return PaginatedList
    if name == "QueryResult":
        from graph_olap.models.result import QueryResult

        return QueryResult
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
