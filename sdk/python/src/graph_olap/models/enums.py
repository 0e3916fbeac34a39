"""String enumerations of the API's closed value sets, plus the algorithm request shapes.

Every member is also a ``str`` (``WrapperType.RYUGRAPH == "ryugraph"``), so
members can be passed wherever the API takes the plain value.

Example:
    >>> WrapperType.RYUGRAPH == "ryugraph", InstanceState("running").value
    (True, 'running')
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Dict, List, Optional

from graph_olap.models.base import GraphOLAPModel
from graph_olap.models.execution import AlgorithmInfo

__all__ = [
    "AlgorithmCategory",
    "AlgorithmListResponse",
    "AlgorithmType",
    "ChangeType",
    "ExecutionStatus",
    "InstanceState",
    "NativeAlgorithmRequest",
    "NetworkXAlgorithmRequest",
    "RyugraphType",
    "SnapshotStatus",
    "WrapperType",
]


class _StrEnum(str, Enum):
    """An enum of the API's strings: compares equal to its value and prints as it."""

    def __str__(self) -> str:
        return str(self.value)


class WrapperType(_StrEnum):
    """Graph engine behind an instance.

    Example:
        >>> WrapperType("ryugraph") is WrapperType.RYUGRAPH
        True
    """

    RYUGRAPH = "ryugraph"
    FALKORDB = "falkordb"


class InstanceState(_StrEnum):
    """Lifecycle states of an instance (``Instance.status``).

    Example:
        >>> InstanceState.RUNNING == "running"
        True
    """

    WAITING_FOR_SNAPSHOT = "waiting_for_snapshot"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    FAILED = "failed"
    TERMINATED = "terminated"
    SUSPENDED = "suspended"
    RESUMING = "resuming"


class SnapshotStatus(_StrEnum):
    """Lifecycle states of a snapshot.

    Example:
        >>> SnapshotStatus.READY.value
        'ready'
    """

    PENDING = "pending"
    CREATING = "creating"
    READY = "ready"
    FAILED = "failed"
    CANCELLED = "cancelled"


class AlgorithmType(_StrEnum):
    """Algorithm namespace: native kernels or NetworkX-compatible names.

    Example:
        >>> AlgorithmType.NETWORKX.value
        'networkx'
    """

    NATIVE = "native"
    NETWORKX = "networkx"


class ExecutionStatus(_StrEnum):
    """States of an algorithm execution.

    Example:
        >>> ExecutionStatus("completed") is ExecutionStatus.COMPLETED
        True
    """

    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class AlgorithmCategory(_StrEnum):
    """Catalogue categories.

    Example:
        >>> AlgorithmCategory.CENTRALITY == "centrality"
        True
    """

    CENTRALITY = "centrality"
    COMMUNITY = "community"
    PATHFINDING = "pathfinding"
    SIMILARITY = "similarity"
    TRAVERSAL = "traversal"
    CLUSTERING = "clustering"
    LINK_PREDICTION = "link_prediction"
    STRUCTURE = "structure"
    EMBEDDING = "embedding"
    OTHER = "other"


class RyugraphType(_StrEnum):
    """Property types of mapping definitions.

    Example:
        >>> RyugraphType.INT64.value
        'INT64'
    """

    STRING = "STRING"
    INT64 = "INT64"
    INT32 = "INT32"
    INT16 = "INT16"
    INT8 = "INT8"
    DOUBLE = "DOUBLE"
    FLOAT = "FLOAT"
    DATE = "DATE"
    TIMESTAMP = "TIMESTAMP"
    BOOL = "BOOL"
    BLOB = "BLOB"
    UUID = "UUID"
    LIST = "LIST"
    MAP = "MAP"
    STRUCT = "STRUCT"


class ChangeType(_StrEnum):
    """Kinds of change in a mapping diff.

    Example:
        >>> ChangeType.MODIFIED.value
        'modified'
    """

    ADDED = "added"
    REMOVED = "removed"
    MODIFIED = "modified"


class AlgorithmListResponse(GraphOLAPModel):
    """Body of ``GET /algo/algorithms`` and ``GET /networkx/algorithms``.

    Example:
        >>> AlgorithmListResponse.from_dict({"algorithms": [{"name": "wcc"}],
        ...                                  "total_count": 1}).algorithms[0].name
        'wcc'
    """

    algorithms: List[AlgorithmInfo] = []
    total_count: int = 0

    _repr_keys = ("total_count",)


class NativeAlgorithmRequest(GraphOLAPModel):
    """Body of ``POST /algo/{name}``.

    Example:
        >>> NativeAlgorithmRequest(node_label="Customer", result_property="pr").to_dict(
        ...     exclude_none=True)
        {'node_label': 'Customer', 'result_property': 'pr', 'parameters': {}, 'write_back': True}
    """

    node_label: Optional[str] = None
    edge_type: Optional[str] = None
    result_property: Optional[str] = None
    parameters: Dict[str, Any] = {}
    write_back: bool = True
    timeout_ms: Optional[int] = None

    _repr_keys = ("node_label", "edge_type", "result_property")


class NetworkXAlgorithmRequest(NativeAlgorithmRequest):
    """Body of ``POST /networkx/{name}`` (adds ``subgraph_query``).

    Example:
        >>> NetworkXAlgorithmRequest(subgraph_query="MATCH (a)-->(b) RETURN id(a), id(b)"
        ...                          ).subgraph_query.startswith("MATCH")
        True
    """

    subgraph_query: Optional[str] = None
