"""Typed pydantic v2 models for every resource of the graph-olap API.

Example:
    >>> from graph_olap.models import Mapping, Instance
    >>> Instance(id=1, status="running").is_running
    True
"""

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
from graph_olap.models.execution import AlgorithmExecution, AlgorithmInfo, AlgorithmParameter
from graph_olap.models.instance import (
    EdgeTableSchema,
    GraphSchema,
    Instance,
    InstanceEvent,
    InstanceProgress,
    InstanceStatus,
    LockStatus,
    NodeTableSchema,
)
from graph_olap.models.mapping import (
    DiffEntry,
    DiffSummary,
    EdgeDefinition,
    Mapping,
    MappingDiff,
    MappingTree,
    MappingVersion,
    NodeDefinition,
    PrimaryKey,
    PropertyDefinition,
)
from graph_olap.models.ops import (
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
    OwnerCount,
    ResourceLifecycleConfig,
    SystemState,
)
from graph_olap.models.schema import CacheStats, Catalog, Column, Schema, Table
from graph_olap.models.snapshot import ProgressStep, Snapshot, SnapshotProgress

__all__ = [
    "AlgorithmExecution",
    "AlgorithmInfo",
    "AlgorithmParameter",
    "ApiKey",
    "AuditEntry",
    "BulkDeleteResult",
    "CacheStats",
    "Catalog",
    "ClusterHealth",
    "ClusterInstances",
    "Column",
    "ComponentHealth",
    "ConcurrencyConfig",
    "DiffEntry",
    "DiffSummary",
    "EdgeDefinition",
    "EdgeTableSchema",
    "ExportConfig",
    "ExportJob",
    "Favorite",
    "GraphOLAPModel",
    "GraphSchema",
    "HealthStatus",
    "Instance",
    "InstanceEvent",
    "InstanceLimits",
    "InstanceProgress",
    "InstanceQuota",
    "InstanceStatus",
    "JobStatus",
    "JobTrigger",
    "LifecycleConfig",
    "LockStatus",
    "MaintenanceMode",
    "Mapping",
    "MappingDiff",
    "MappingTree",
    "MappingVersion",
    "NodeDefinition",
    "NodeTableSchema",
    "OwnerCount",
    "PrimaryKey",
    "ProgressStep",
    "PropertyDefinition",
    "ResourceLifecycleConfig",
    "Schema",
    "Snapshot",
    "SnapshotProgress",
    "SystemState",
    "Table",
    "User",
]
