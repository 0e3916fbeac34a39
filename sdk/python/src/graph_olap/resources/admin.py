"""``client.admin`` — privileged bulk operations (admin or ops, §7.4).

Example:
    >>> r = admin.admin.bulk_delete("instance", {"name_prefix": "no-such-"}, "cleanup", dry_run=True)
    >>> r["matched_count"]
    0
    >>> admin.admin.bulk_delete("instance", {"name_prefix": "no-such-"}, "cleanup",
    ...                         expected_count=r["matched_count"])["deleted_count"]
    0
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Optional, Union

from graph_olap.models.common import AuditEntry, BulkDeleteResult
from graph_olap.pagination import PaginatedList
from graph_olap.resources._base import Resource

__all__ = ["AdminResource"]


class AdminResource(Resource):
    """Admin-only operations.

    Example:
        >>> admin.admin.bulk_delete("mapping", {"created_by": "me"}, "cleanup", dry_run=True)["dry_run"]
        True
    """

    def bulk_delete(
        self,
        resource_type: str,
        filters: Dict[str, Any],
        reason: str,
        expected_count: Optional[int] = None,
        dry_run: bool = False,
    ) -> BulkDeleteResult:
        """Delete (instances: terminate) up to 100 resources matching ``filters``.

        Filters: ``name_prefix``, ``created_by``, ``older_than_hours``, ``status``
        (at least one).  ``expected_count`` must equal the match count or nothing
        happens (also checked in dry runs).  The result also supports dict access
        (``result["matched_count"]``).

        Raises:
            ValidationError: no filters, > 100 matches, or count mismatch.
            ForbiddenError: caller is not admin/ops.

        Example:
            >>> dry = admin.admin.bulk_delete("instance", {"created_by": "me"}, "tidy",
            ...                               dry_run=True)
            >>> dry["matched_count"] >= 0, dry["dry_run"]
            (True, True)
        """
        filters = {k: v for k, v in (filters or {}).items() if v is not None}
        if not filters:
            raise ValueError("bulk_delete needs at least one filter")
        body: Dict[str, Any] = {
            "resource_type": resource_type,
            "filters": filters,
            "reason": reason,
            "dry_run": bool(dry_run),
        }
        if expected_count is not None:
            body["expected_count"] = int(expected_count)
        return self._one("DELETE", "/api/admin/resources/bulk", BulkDeleteResult,
                         json=body)

    def audit_log(
        self,
        username: Optional[str] = None,
        resource_type: Optional[str] = None,
        resource_id: Union[str, int, None] = None,
        action: Optional[str] = None,
        created_after: Union[str, datetime, None] = None,
        created_before: Union[str, datetime, None] = None,
        offset: int = 0,
        limit: int = 50,
    ) -> PaginatedList[AuditEntry]:
        """Audit-log entries, newest first (admin or ops; docs/ops.md).

        ``action`` is a literal prefix (``"mapping."`` matches every mapping action);
        the other filters match exactly.  ``iter_all()`` walks every page.

        Raises:
            ForbiddenError: caller is not admin/ops.
            ValidationError: a malformed filter (e.g. a bad timestamp).

        Example:
            >>> all(e.action.startswith("config.") for e in admin.admin.audit_log(action="config.", limit=5))
            True
        """
        return self._list("/api/audit-log", AuditEntry, {
            "username": username, "resource_type": resource_type,
            "resource_id": None if resource_id is None else str(resource_id), "action": action,
            "created_after": created_after, "created_before": created_before,
            "offset": offset, "limit": limit,
        })
