"""``client.users`` — users, roles and API keys (§7.5).

Example:
    >>> client.users.me().role
    'analyst'
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Optional, Union

from graph_olap.models.common import ApiKey, User
from graph_olap.pagination import PaginatedList
from graph_olap.resources._base import UNSET, Resource, put_if_set

__all__ = ["UserResource"]


class UserResource(Resource):
    """Users (admin manages; everybody can read themselves).

    Example:
        >>> "analyst_alice@e2e.local" in [u.username for u in admin.users.list(role="analyst")]
        True
    """

    def me(self) -> User:
        """The authenticated user (with ``auth_method``).

        Example:
            >>> client.users.me().username
            'analyst_alice@e2e.local'
        """
        return self._one("GET", "/api/users/me", User)

    def list(self, is_active: Optional[bool] = None, limit: int = 50, offset: int = 0, *,
             role: Optional[str] = None, search: Optional[str] = None
             ) -> PaginatedList[User]:
        """List users (admin/ops); ``limit`` above 100 gathers several pages.

        A string as the first argument is taken as ``role`` (older call form).

        Example:
            >>> all(u.is_active for u in admin.users.list(is_active=True, limit=200))
            True
            >>> [u.username for u in admin.users.list(role="analyst", search="alice")]
            ['analyst_alice@e2e.local']
        """
        if isinstance(is_active, str):
            role, is_active = is_active, None
        return self._list("/api/users", User, {"role": role, "is_active": is_active,
                                               "search": search, "offset": offset,
                                               "limit": limit})

    def get(self, username: str) -> User:
        """Get a user (admin/ops, or yourself).

        Example:
            >>> admin.users.get("analyst_bob@e2e.local").role
            'analyst'
        """
        return self._one("GET", f"/api/users/{username}", User)

    def create(self, username: str, email: Optional[str] = None,
               display_name: Optional[str] = None, role: str = "analyst", *,
               create_api_key: bool = False) -> Union[User, Dict[str, Any]]:
        """Create a user (admin).  With ``create_api_key=True`` returns
        ``{"user": User, "api_key": ApiKey}`` (the key is shown once).

        Example:
            >>> from graph_olap.testing import random_name
            >>> eve = random_name("eve") + "@example.com"
            >>> created = admin.users.create(eve, eve, "Eve", "analyst")
            >>> created.username == eve, created.role
            (True, 'analyst')
            >>> admin.users.deactivate(eve).is_active
            False
        """
        body: Dict[str, Any] = {"username": username, "role": role,
                                "create_api_key": create_api_key}
        if email is not None:
            body["email"] = email
        if display_name is not None:
            body["display_name"] = display_name
        data = self._http.data("POST", "/api/users", json=body)
        if isinstance(data, dict) and "user" in data:
            return {"user": User.from_dict(data["user"]),
                    "api_key": ApiKey.from_dict(data["api_key"])}
        return User.from_dict(data)

    def bootstrap(self, username: str, email: Optional[str] = None,
                  display_name: Optional[str] = None, *, role: str = "ops",
                  token: Optional[str] = None) -> Dict[str, Any]:
        """Create the first privileged user on an empty platform (``POST /api/users/bootstrap``).

        Returns ``{"user": User, "api_key": ApiKey}`` when the server issues a key.
        ``token`` is the bootstrap token (not needed in development identity mode).

        Raises:
            ConflictError: users already exist.

        Example:
            >>> from graph_olap.exceptions import ConflictError
            >>> try:  # only on a platform without users
            ...     client.users.bootstrap("root@example.com", "root@example.com", "Root")
            ... except ConflictError as e:
            ...     e.status_code
            409
        """
        body: Dict[str, Any] = {"username": username, "role": role}
        if email is not None:
            body["email"] = email
        if display_name is not None:
            body["display_name"] = display_name
        headers = {"X-Bootstrap-Token": token} if token else None
        data = self._http.data("POST", "/api/users/bootstrap", json=body, headers=headers)
        if isinstance(data, dict) and "user" in data:
            out: Dict[str, Any] = dict(data)
            out["user"] = User.from_dict(data["user"])
            if isinstance(data.get("api_key"), dict):
                out["api_key"] = ApiKey.from_dict(data["api_key"])
            return out
        return {"user": User.from_dict(data)} if isinstance(data, dict) else {"user": data}

    def update(self, username: str, *, email: Any = UNSET, display_name: Any = UNSET,
               is_active: Any = UNSET, **fields: Any) -> User:
        """Update profile fields (admin: any; yourself: ``display_name``/``email``).

        ``role=`` is applied with :meth:`set_role`; other keyword arguments are
        sent as body fields.

        Example:
            >>> from graph_olap.testing import random_name
            >>> me = random_name("me") + "@example.com"
            >>> _ = admin.users.create(me, me, "Someone", "analyst")
            >>> admin.users.update(me, display_name="Me").display_name
            'Me'
            >>> admin.users.deactivate(me).is_active
            False
        """
        role = fields.pop("role", None)
        body = put_if_set(dict(fields), email=email, display_name=display_name,
                          is_active=is_active)
        user: Optional[User] = None
        if body:
            user = self._one("PUT", f"/api/users/{username}", User, json=body)
        if role is not None:
            user = self.set_role(username, role)
        return user if user is not None else self.get(username)

    def set_role(self, username: str, role: str) -> User:
        """Change a user's role (admin).

        Example:
            >>> from graph_olap.testing import random_name
            >>> who = random_name("role") + "@example.com"
            >>> _ = admin.users.create(who, who, "Role", "analyst")
            >>> admin.users.set_role(who, "ops").role
            'ops'
            >>> admin.users.deactivate(who).is_active
            False
        """
        return self._one("PUT", f"/api/users/{username}/role", User, json={"role": role})

    def assign_role(self, username: str, role: str) -> User:
        """Change a user's role (admin); same as :meth:`set_role`.

        Example:
            >>> admin.users.assign_role("analyst_bob@e2e.local", "analyst").role
            'analyst'
        """
        return self.set_role(username, role)

    def deactivate(self, username: str) -> User:
        """Deactivate a user (admin; users are never deleted).

        Example:
            >>> from graph_olap.testing import random_name
            >>> gone = random_name("gone") + "@example.com"
            >>> _ = admin.users.create(gone, gone, "Gone", "analyst")
            >>> admin.users.deactivate(gone).is_active
            False
        """
        return self._one("DELETE", f"/api/users/{username}", User)

    def list_api_keys(self, username: str) -> PaginatedList[ApiKey]:
        """API keys of a user (without secrets).

        Example:
            >>> isinstance(client.users.list_api_keys("analyst_alice@e2e.local"), list)
            True
        """
        return PaginatedList([ApiKey.from_dict(k)
                              for k in self._http.data("GET", f"/api/users/{username}/api-keys")])

    def create_api_key(self, username: str, name: str,
                       expires_at: Union[str, datetime, None] = None) -> ApiKey:
        """Issue an API key; ``.key`` holds the plaintext (shown once).

        Example:
            >>> key = client.users.create_api_key("analyst_alice@e2e.local", "laptop")
            >>> key.key.startswith("gok_")
            True
            >>> client.users.revoke_api_key("analyst_alice@e2e.local", key.id).revoked_at is not None
            True
        """
        body: Dict[str, Any] = {"name": name}
        if expires_at is not None:
            body["expires_at"] = expires_at
        return self._one("POST", f"/api/users/{username}/api-keys", ApiKey, json=body)

    def revoke_api_key(self, username: str, key_id: str) -> ApiKey:
        """Revoke an API key.

        Example:
            >>> key = client.users.create_api_key("analyst_alice@e2e.local", "to-revoke")
            >>> client.users.revoke_api_key("analyst_alice@e2e.local", key.id).revoked_at is not None
            True
        """
        return self._one("DELETE", f"/api/users/{username}/api-keys/{key_id}", ApiKey)
