"""``client.health`` — liveness and readiness of the control plane (§5.1).

Example:
    >>> client.health.check().status
    'healthy'
"""

from __future__ import annotations

from graph_olap.models.common import HealthStatus
from graph_olap.resources._base import Resource

__all__ = ["HealthResource"]


class HealthResource(Resource):
    """Health checks (no authentication needed).

    Example:
        >>> client.health.ready().database
        'connected'
    """

    def check(self) -> HealthStatus:
        """``GET /health`` (liveness).

        Example:
            >>> isinstance(client.health.check().version, str)
            True
        """
        return HealthStatus.from_dict(self._http.get("/health"))

    def ready(self) -> HealthStatus:
        """``GET /ready``; raises ``ServiceUnavailableError`` when not ready.

        Example:
            >>> client.health.ready().status
            'ready'
        """
        return HealthStatus.from_dict(self._http.get("/ready"))

    def is_ready(self) -> bool:
        """``True`` when ``/ready`` answers 200, ``False`` on any error.

        Example:
            >>> client.health.is_ready()
            True
        """
        try:
            self.ready()
        except Exception:
            return False
        return True
