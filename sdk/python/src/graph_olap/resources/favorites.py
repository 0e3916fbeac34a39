"""``client.favorites`` — per-user bookmarks of mappings, snapshots and instances (§6.2).

Example:
    >>> # client.favorites.add("mapping", 1); client.favorites.list()
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, cast

from graph_olap.models.common import Favorite
from graph_olap.resources._base import Resource

__all__ = ["FavoriteResource"]


class FavoriteResource(Resource):
    """Manage the caller's favorites.

    Example:
        >>> # for f in client.favorites.list(): print(f.resource_type, f.resource_name)
    """

    def list(self, resource_type: Optional[str] = None) -> List[Favorite]:
        """List favorites (newest first), optionally of one resource type.

        Example:
            >>> # client.favorites.list("mapping")
        """
        data = self._http.data("GET", "/api/favorites", params={"resource_type": resource_type})
        return [Favorite.from_dict(f) for f in data or []]

    def add(self, resource_type: str, resource_id: int) -> Favorite:
        """Bookmark a resource.

        Raises:
            NotFoundError: the resource does not exist.
            ConflictError: already a favorite.

        Example:
            >>> # client.favorites.add("mapping", 1)
        """
        return self._one("POST", "/api/favorites", Favorite,
                         json={"resource_type": resource_type, "resource_id": int(resource_id)})

    def remove(self, resource_type: str, resource_id: int) -> Dict[str, Any]:
        """Remove a bookmark.

        Raises:
            NotFoundError: it was not a favorite.

        Example:
            >>> # client.favorites.remove("mapping", 1)
        """
        return cast(Dict[str, Any], self._http.data(
            "DELETE", f"/api/favorites/{resource_type}/{int(resource_id)}"))
