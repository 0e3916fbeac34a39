"""``client.favorites`` — per-user bookmarks of mappings, snapshots and instances (§6.2).

Example:
    >>> fav = client.favorites.add("mapping", mapping.id)
    >>> [f.resource_name for f in client.favorites.list("mapping") if f.resource_id == mapping.id]
    ['tutorial-customer-graph']
    >>> client.favorites.remove("mapping", mapping.id)["deleted"]
    True
"""

from __future__ import annotations

from typing import Any, Dict, Optional, cast

from graph_olap.models.common import Favorite
from graph_olap.pagination import PaginatedList
from graph_olap.resources._base import Resource

__all__ = ["FavoriteResource"]


class FavoriteResource(Resource):
    """Manage the caller's favorites.

    Example:
        >>> all(f.resource_type in ("mapping", "snapshot", "instance") for f in client.favorites.list())
        True
    """

    def list(self, resource_type: Optional[str] = None) -> PaginatedList[Favorite]:
        """List favorites (newest first), optionally of one resource type.

        Example:
            >>> {f.resource_type for f in client.favorites.list("mapping")} <= {"mapping"}
            True
        """
        data = self._http.data("GET", "/api/favorites", params={"resource_type": resource_type})
        return PaginatedList([Favorite.from_dict(f) for f in data or []])

    def add(self, resource_type: str, resource_id: int) -> Favorite:
        """Bookmark a resource.

        Raises:
            NotFoundError: the resource does not exist.
            ConflictError: already a favorite.

        Example:
            >>> client.favorites.add("instance", inst.id).resource_name == inst.name
            True
            >>> client.favorites.remove("instance", inst.id)["deleted"]
            True
        """
        return self._one("POST", "/api/favorites", Favorite,
                         json={"resource_type": resource_type, "resource_id": int(resource_id)})

    def remove(self, resource_type: str, resource_id: int) -> Dict[str, Any]:
        """Remove a bookmark.

        Raises:
            NotFoundError: it was not a favorite.

        Example:
            >>> fav = client.favorites.add("snapshot", inst.snapshot_id)
            >>> client.favorites.remove("snapshot", inst.snapshot_id)["deleted"]
            True
        """
        return cast(Dict[str, Any], self._http.data(
            "DELETE", f"/api/favorites/{resource_type}/{int(resource_id)}"))
