"""Snapshot models: snapshots and export progress (API.md §3.6–3.7).

Owns the typed shapes only; waiting and polling live in
:mod:`graph_olap.resources.snapshots`.

Example:
    >>> s = Snapshot.from_dict({"id": 7, "name": "a", "status": "ready", "mapping_id": 1,
    ...                         "mapping_version": 2})
    >>> s.is_ready, s
    (True, Snapshot(id=7, name='a', status='ready', mapping_id=1, mapping_version=2))
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from graph_olap.models.base import GraphOLAPModel, Timestamp
from graph_olap.models.enums import SnapshotStatus

__all__ = ["ExportJobProgress", "ProgressStep", "Snapshot", "SnapshotProgress", "SnapshotStatus"]


class Snapshot(GraphOLAPModel):
    """An immutable Parquet export of one mapping version.

    Example:
        >>> Snapshot(id=1, status="failed", error_message="boom").is_terminal
        True
    """

    id: int
    name: Optional[str] = None
    description: Optional[str] = None
    mapping_id: Optional[int] = None
    mapping_version: Optional[int] = None
    mapping_name: Optional[str] = None
    owner_username: Optional[str] = None
    status: str = "pending"
    storage_path: Optional[str] = None
    prestaged: bool = False
    size_bytes: Optional[int] = None
    node_counts: Optional[Dict[str, int]] = None
    edge_counts: Optional[Dict[str, int]] = None
    #: Export-time data-quality findings: ``status`` (``pending``, ``passed``, ``warnings``,
    #: ``failed`` or ``not_checked``), the
    #: ``policy`` in force, totals of ``null_keys``, ``duplicate_keys``, ``dangling_edges`` and
    #: per-label/type details (docs/snapshots.md).
    data_quality: Dict[str, Any] = {}
    error_message: Optional[str] = None
    progress: Optional[Dict[str, Any]] = None
    ttl: Optional[str] = None
    inactivity_timeout: Optional[str] = None
    expires_at: Timestamp = None
    last_used_at: Timestamp = None
    instance_count: int = 0
    created_at: Timestamp = None
    updated_at: Timestamp = None
    ready_at: Timestamp = None

    _repr_keys = ("id", "name", "status", "mapping_id", "mapping_version")

    @property
    def is_ready(self) -> bool:
        """``status == "ready"``."""
        return self.status == "ready"

    @property
    def gcs_path(self) -> str:
        """Where the snapshot's files are (``storage_path``; any object store, not only GCS)."""
        return self.storage_path or ""

    @property
    def size_mb(self) -> Optional[float]:
        """Size in MiB (from ``size_bytes``)."""
        return None if self.size_bytes is None else self.size_bytes / (1024 * 1024)

    @property
    def is_terminal(self) -> bool:
        """Status will not change without a retry (``ready``/``failed``/``cancelled``)."""
        return self.status in ("ready", "failed", "cancelled")

    @property
    def has_quality_warnings(self) -> bool:
        """Rows were left out at export (duplicate keys, dangling edges); see ``data_quality``.

        Example:
            >>> Snapshot(id=1, data_quality={"status": "warnings", "dangling_edges": 3}).has_quality_warnings
            True
        """
        return self.data_quality.get("status") == "warnings"


class ProgressStep(GraphOLAPModel):
    """One step of snapshot export or instance startup progress.

    Example:
        >>> ProgressStep(name="nodes/Customer", status="completed", row_count=10).row_count
        10
    """

    name: str
    status: str = "pending"
    type: Optional[str] = None
    row_count: Optional[int] = None
    size_bytes: Optional[int] = None
    attempts: Optional[int] = None
    started_at: Timestamp = None
    completed_at: Timestamp = None
    error_message: Optional[str] = None

    _repr_keys = ("name", "status", "row_count")


class _Progress(GraphOLAPModel):
    """Progress of a snapshot or instance being built: status, phase, steps and an estimate."""

    id: int
    status: str
    phase: Optional[str] = None
    started_at: Timestamp = None
    steps: List[ProgressStep] = []
    current_step: Optional[str] = None
    progress_percent: int = 0
    estimated_remaining_seconds: Optional[int] = None
    error_message: Optional[str] = None

    _repr_keys = ("id", "status", "phase", "progress_percent")

    @property
    def completed_steps(self) -> int:
        """Number of completed steps."""
        return sum(1 for s in self.steps if s.status == "completed")

    @property
    def total_steps(self) -> int:
        """Total number of steps."""
        return len(self.steps)


class ExportJobProgress(GraphOLAPModel):
    """Progress of one export job of a snapshot.

    Example:
        >>> ExportJobProgress(name="Customer", type="node", status="completed").status
        'completed'
    """

    name: str
    type: str = ""
    status: str = "pending"
    row_count: Optional[int] = None

    _repr_keys = ("name", "type", "status", "row_count")


class SnapshotProgress(_Progress):
    """Export progress of a snapshot (one step per export job).

    Example:
        >>> p = SnapshotProgress(id=1, status="creating", phase="exporting",
        ...     steps=[{"name": "nodes/A", "status": "completed"}, {"name": "edges/B"}])
        >>> p.completed_steps, p.total_steps
        (1, 2)
    """

    jobs_total: int = 0
    jobs_pending: int = 0
    jobs_claimed: int = 0
    jobs_submitted: int = 0
    jobs_completed: int = 0
    jobs_failed: int = 0
    jobs_cancelled: int = 0

    @property
    def jobs(self) -> List[ExportJobProgress]:
        """One entry per export job (``name``, ``type``, ``status``, ``row_count``)."""
        return [ExportJobProgress(name=s.name, type=s.type or "", status=s.status,
                                  row_count=s.row_count) for s in self.steps]

    @property
    def is_complete(self) -> bool:
        """Every export job completed."""
        total = self.jobs_total or len(self.steps)
        done = self.jobs_completed or self.completed_steps
        return total > 0 and done >= total

    @property
    def has_failures(self) -> bool:
        """At least one export job failed."""
        return self.jobs_failed > 0 or any(s.status == "failed" for s in self.steps)

