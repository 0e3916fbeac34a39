"""The :class:`GraphOLAPClient` — entry point to every platform operation.

Owns wiring configuration, the HTTP client and the resource managers
together, plus :meth:`GraphOLAPClient.quick_start`.  It does not own any
endpoint logic (see :mod:`graph_olap.resources`).

Example:
    >>> client = GraphOLAPClient("http://localhost:8000", username="analyst_alice@e2e.local")
    >>> client._config.api_url
    'http://localhost:8000'
    >>> client.close()
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Optional, Union

from graph_olap.config import Config
from graph_olap.durations import DurationLike
from graph_olap.http import HTTPClient
from graph_olap.models.enums import WrapperType
from graph_olap.models.mapping import Mapping
from graph_olap.resources import (
    AdminResource,
    FavoriteResource,
    HealthResource,
    InstanceResource,
    MappingResource,
    OpsResource,
    SchemaResource,
    SnapshotResource,
    UserResource,
)
from graph_olap.resources.platform import PlatformResource

if TYPE_CHECKING:
    from graph_olap.instance.connection import InstanceConnection

__all__ = ["GraphOLAPClient"]


class GraphOLAPClient:
    """Client for the Graph OLAP control plane.

    Authentication (first match wins): ``internal_api_key``
    (``X-Internal-Api-Key``, plus ``X-Username`` to act for a user),
    ``api_key`` (``Authorization: Bearer``), ``username`` (``X-Username``,
    development identity mode).  Arguments not given are read from
    ``GRAPH_OLAP_*`` environment variables; the URL defaults to
    ``http://localhost:8000``.

    Args:
        api_url: control-plane base URL.
        api_key: API key.
        internal_api_key: internal service key.
        username: username for development identity mode.
        timeout: per-request timeout (s).
        max_retries: retries for transient failures of safe requests.

    Attributes:
        mappings, snapshots, instances, favorites, schema, ops, admin, health, users:
            resource managers.

    Example:
        >>> with GraphOLAPClient(username="ops_dave@e2e.local") as ops:
        ...     ops.ops.__class__.__name__
        'OpsResource'
    """

    def __init__(
        self,
        api_url: Optional[str] = None,
        api_key: Optional[str] = None,
        internal_api_key: Optional[str] = None,
        username: Optional[str] = None,
        role: Optional[str] = None,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        config: Optional[Config] = None,
        verify: Union[bool, str, None] = None,
    ) -> None:
        if config is None:
            config = Config.from_env(api_url=api_url, api_key=api_key,
                                     internal_api_key=internal_api_key, username=username,
                                     timeout=timeout, max_retries=max_retries, role=role,
                                     verify=verify)
            # Explicit credentials replace (not merge with) environment credentials.
            if api_key or internal_api_key or username:
                config = replace(config, api_key=api_key, internal_api_key=internal_api_key,
                                 username=username, role=role)
        self._config = config
        self._http = HTTPClient(config)
        self.mappings = MappingResource(self._http)
        self.snapshots = SnapshotResource(self._http)
        self.instances = InstanceResource(self._http, config)
        self.favorites = FavoriteResource(self._http)
        self.schema = SchemaResource(self._http)
        self.ops = OpsResource(self._http)
        self.admin = AdminResource(self._http)
        self.health = HealthResource(self._http)
        self.users = UserResource(self._http)
        self.platform = PlatformResource(config)

    @classmethod
    def from_env(
        cls,
        api_url: Optional[str] = None,
        api_key: Optional[str] = None,
        internal_api_key: Optional[str] = None,
        username: Optional[str] = None,
        **kwargs: Any,
    ) -> GraphOLAPClient:
        """Create a client from ``GRAPH_OLAP_*`` environment variables (arguments override).

        Example:
            >>> import os
            >>> os.environ["GRAPH_OLAP_USERNAME"] = "analyst_bob@e2e.local"
            >>> GraphOLAPClient.from_env().username
            'analyst_bob@e2e.local'
            >>> del os.environ["GRAPH_OLAP_USERNAME"]
        """
        config = Config.from_env(api_url=api_url, api_key=api_key,
                                 internal_api_key=internal_api_key, username=username, **kwargs)
        return cls(config=config)

    @property
    def config(self) -> Config:
        """The effective configuration."""
        return self._config

    @property
    def api_url(self) -> str:
        """Base URL of the control plane."""
        return self._config.api_url

    @property
    def base_url(self) -> str:
        """Same as :attr:`api_url`."""
        return self._config.api_url

    @property
    def username(self) -> Optional[str]:
        """Username sent in ``X-Username`` (development identity mode), if any."""
        return self._config.username

    def whoami(self) -> Any:
        """The authenticated user (``client.users.me()``).

        Example:
            >>> GraphOLAPClient(client.api_url, username="ops_dave@e2e.local").whoami().role
            'ops'
        """
        return self.users.me()

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> GraphOLAPClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        who = self._config.username or self._config.auth_mode
        return f"GraphOLAPClient(api_url={self._config.api_url!r}, user={who!r})"

    def quick_start(
        self,
        mapping_id: Union[int, str, Mapping, None] = None,
        wrapper_type: Optional[Union[str, WrapperType]] = None,
        *,
        instance_name: Optional[str] = None,
        wait_timeout: float = 900,
        snapshot_name: Optional[str] = None,
        ttl: Optional[DurationLike] = "PT4H",
        show_progress: bool = True,
        name: Optional[str] = None,
    ) -> InstanceConnection:
        """Mapping → snapshot → running instance → connection, in one call.

        ``mapping_id`` is a mapping id, a :class:`Mapping`, or a mapping **name**
        (looked up with ``mappings.get_by_name``; ``name=`` works too).
        Remember to terminate the instance (``conn.terminate()``) when done.

        Raises:
            NotFoundError: no mapping with that id or name.

        Example:
            >>> conn = client.quick_start("tutorial-customer-graph", "ryugraph", show_progress=False)
            >>> conn.query_scalar("MATCH (n) RETURN count(n)") > 0
            True
            >>> conn.terminate().status in ("stopping", "terminated")
            True
        """
        target = mapping_id if mapping_id is not None else name
        if target is None:
            raise TypeError("quick_start() needs a mapping id, Mapping or mapping name")
        if isinstance(target, Mapping):
            resolved = target.id
        elif isinstance(target, str) and not target.strip().isdigit():
            resolved = self.mappings.get_by_name(target).id
        else:
            resolved = int(target)
        inst = self.instances.create_and_wait(
            resolved, instance_name or "Quick Instance", wrapper_type,
            snapshot_name=snapshot_name, ttl=ttl, timeout=wait_timeout,
            show_progress=show_progress)
        return self.instances.connect(inst)
