"""``client.snapshots`` — read, watch, retry and delete snapshots (API.md §5.4).

Snapshots are created implicitly by ``client.instances.create_from_mapping``;
there is no explicit create call.

Example:
    >>> snap = client.snapshots.wait(inst.snapshot_id)   # blocks until ready, with a progress bar
    >>> snap.status
    'ready'
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Optional, Union, cast

from graph_olap.exceptions import SnapshotFailedError, TimeoutError
from graph_olap.models.snapshot import Snapshot, SnapshotProgress
from graph_olap.pagination import PaginatedList
from graph_olap.progress import ProgressCallback, ProgressReporter
from graph_olap.resources._base import Resource, poll

__all__ = ["SnapshotResource"]


class SnapshotResource(Resource):
    """Snapshots (immutable Parquet exports of a mapping version).

    Example:
        >>> [s.status for s in client.snapshots.list(mapping_id=mapping.id) if s.id == inst.snapshot_id]
        ['ready']
    """

    def list(
        self,
        mapping_id: Optional[int] = None,
        mapping_version: Optional[int] = None,
        owner: Optional[str] = None,
        status: Optional[str] = None,
        search: Optional[str] = None,
        created_after: Union[str, datetime, None] = None,
        created_before: Union[str, datetime, None] = None,
        sort_by: str = "created_at",
        sort_order: str = "desc",
        offset: int = 0,
        limit: int = 50,
    ) -> PaginatedList[Snapshot]:
        """List snapshots with filters.

        Example:
            >>> {s.status for s in client.snapshots.list(status="ready", limit=5)}
            {'ready'}
        """
        return self._list("/api/snapshots", Snapshot, {
            "mapping_id": mapping_id, "mapping_version": mapping_version, "owner": owner,
            "status": status, "search": search, "created_after": created_after,
            "created_before": created_before, "sort_by": sort_by, "sort_order": sort_order,
            "offset": offset, "limit": limit,
        })

    def get(self, snapshot_id: int) -> Snapshot:
        """Get a snapshot.

        Example:
            >>> client.snapshots.get(inst.snapshot_id).status
            'ready'
        """
        return self._one("GET", f"/api/snapshots/{int(snapshot_id)}", Snapshot)

    def get_progress(self, snapshot_id: int) -> SnapshotProgress:
        """Export progress: phase, one step per export job, percent.

        Example:
            >>> p = client.snapshots.get_progress(inst.snapshot_id); p.progress_percent
            100
        """
        return self._one("GET", f"/api/snapshots/{int(snapshot_id)}/progress", SnapshotProgress)

    progress = get_progress

    def retry(self, snapshot_id: int) -> Snapshot:
        """Retry a ``failed`` or ``cancelled`` export (status becomes ``pending``).

        Raises:
            InvalidStateError: the snapshot is not failed/cancelled.
            MaintenanceModeError: the platform is in maintenance mode.

        Example:
            >>> from graph_olap.exceptions import InvalidStateError
            >>> try:  # only failed snapshots can be retried
            ...     client.snapshots.retry(inst.snapshot_id)
            ... except InvalidStateError as e:
            ...     e.code
            'INVALID_STATE'
        """
        return self._one("POST", f"/api/snapshots/{int(snapshot_id)}/retry", Snapshot)

    def delete(self, snapshot_id: int) -> Dict[str, Any]:
        """Delete a snapshot (blocked while active instances use it).

        Example:
            >>> from graph_olap.exceptions import DependencyError
            >>> try:  # a running instance still uses it
            ...     client.snapshots.delete(inst.snapshot_id)
            ... except DependencyError as e:
            ...     e.status_code
            409
        """
        return cast(Dict[str, Any], self._http.data("DELETE", f"/api/snapshots/{int(snapshot_id)}"))

    def wait(
        self,
        snapshot_id: int,
        timeout: float = 600,
        poll_interval: float = 2,
        *,
        show_progress: Union[bool, str] = True,
        on_progress: Optional[ProgressCallback] = None,
    ) -> Snapshot:
        """Wait until the snapshot is ``ready``, showing progress.

        Raises:
            SnapshotFailedError: the export failed or was cancelled.
            TimeoutError: still not ready after ``timeout`` seconds.

        Example:
            >>> snap = client.snapshots.wait(inst.snapshot_id, timeout=300, show_progress=False)
            >>> snap.id == inst.snapshot_id
            True
        """
        mode = "auto" if show_progress is True else ("none" if not show_progress
                                                      else str(show_progress))
        with ProgressReporter(f"Snapshot {snapshot_id}", mode=mode,
                              callback=on_progress) as bar:
            def tick(p: SnapshotProgress) -> None:
                bar.update(p.phase or p.status, p.completed_steps, p.total_steps,
                           percent=p.progress_percent)
                if p.status in ("failed", "cancelled"):
                    raise SnapshotFailedError(
                        f"Snapshot {snapshot_id} {p.status}: {p.error_message or 'no details'}",
                        {"snapshot_id": snapshot_id, "status": p.status},
                        code="SNAPSHOT_FAILED",
                    )

            poll(lambda: self.get_progress(snapshot_id), lambda p: p.status == "ready",
                 timeout=timeout, poll_interval=poll_interval, on_tick=tick,
                 timeout_error=lambda p: TimeoutError(
                     f"Snapshot {snapshot_id} not ready after {timeout}s "
                     f"(phase {getattr(p, 'phase', None)})"))
        return self.get(snapshot_id)

    wait_until_ready = wait
