"""Client configuration and credential discovery (seed 002, ADR-073 variables).

Owns the :class:`Config` value object and reading ``GRAPH_OLAP_*``
environment variables.  It does not perform any network I/O.

Environment variables:
    ``GRAPH_OLAP_API_URL``, ``GRAPH_OLAP_API_KEY``, ``GRAPH_OLAP_INTERNAL_API_KEY``,
    ``GRAPH_OLAP_USERNAME``, ``GRAPH_OLAP_IN_CLUSTER_MODE``, ``GRAPH_OLAP_NAMESPACE``,
    ``GRAPH_OLAP_TIMEOUT``, ``GRAPH_OLAP_MAX_RETRIES``.

Example:
    >>> cfg = Config(api_url="http://localhost:8000/", username="analyst_alice@e2e.local")
    >>> cfg.api_url, cfg.auth_mode
    ('http://localhost:8000', 'username')
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any, Dict, Mapping, Optional, Union

__all__ = ["DEFAULT_API_URL", "IN_CLUSTER_API_URL", "Config"]

#: Local default (``graph-olap up`` listens on port 8000 by default).
DEFAULT_API_URL = "http://localhost:8000"
#: Control-plane service DNS used when ``GRAPH_OLAP_IN_CLUSTER_MODE=true``.
IN_CLUSTER_API_URL = "http://control-plane.{namespace}.svc:8000"


def _truthy(value: Optional[str]) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _clean(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    value = value.strip()
    return value or None


@dataclass(frozen=True)
class Config:
    """Immutable client configuration.

    Attributes:
        api_url: control-plane base URL without ``/api`` (trailing ``/`` removed).
        api_key: API key sent as ``Authorization: Bearer``.
        internal_api_key: service key sent as ``X-Internal-Api-Key``.
        username: identity sent as ``X-Username`` (development identity mode,
            or together with the internal key to act for a user).
        role: role sent as ``X-User-Role`` with ``username`` (development
            identity mode: overrides the stored role for that request).
        timeout: per-request timeout in seconds.
        max_retries: retry attempts for transient failures.
        in_cluster_mode: connect to instances through cluster DNS.
        namespace: Kubernetes namespace for in-cluster DNS.
        verify: TLS certificate verification: ``True`` (default), ``False``, or
            the path of a CA bundle (``GRAPH_OLAP_VERIFY`` / ``GRAPH_OLAP_SSL_VERIFY``).

    Example:
        >>> Config(api_url="http://h:1", api_key="gok_x").auth_headers()
        {'Authorization': 'Bearer gok_x'}
    """

    api_url: str = DEFAULT_API_URL
    api_key: Optional[str] = None
    internal_api_key: Optional[str] = None
    username: Optional[str] = None
    role: Optional[str] = None
    timeout: float = 30.0
    max_retries: int = 3
    in_cluster_mode: bool = False
    namespace: str = "graph-olap-local"
    verify: Union[bool, str] = True

    def __post_init__(self) -> None:
        url = (self.api_url or DEFAULT_API_URL).strip().rstrip("/")
        if url.endswith("/api"):
            url = url[: -len("/api")]
        if "://" not in url:
            url = "http://" + url
        object.__setattr__(self, "api_url", url)
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.timeout <= 0:
            raise ValueError("timeout must be > 0")

    @property
    def auth_mode(self) -> str:
        """Which credential wins: ``internal``, ``api_key``, ``username`` or ``none``."""
        if self.internal_api_key:
            return "internal"
        if self.api_key:
            return "api_key"
        if self.username:
            return "username"
        return "none"

    def auth_headers(self) -> Dict[str, str]:
        """Headers that authenticate a request (priority: internal key, API key, username).

        Example:
            >>> Config(username="bob@e2e.local").auth_headers()
            {'X-Username': 'bob@e2e.local'}
        """
        headers: Dict[str, str] = {}
        if self.internal_api_key:
            headers["X-Internal-Api-Key"] = self.internal_api_key
            if self.username:
                headers["X-Username"] = self.username
        elif self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        elif self.username:
            headers["X-Username"] = self.username
        if self.role and "X-Username" in headers:
            headers["X-User-Role"] = self.role
        return headers

    def with_overrides(self, **changes: Any) -> Config:
        """Return a copy with some fields replaced (``None`` values are ignored).

        Example:
            >>> Config().with_overrides(username="x", api_key=None).username
            'x'
        """
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(
        cls,
        api_url: Optional[str] = None,
        api_key: Optional[str] = None,
        internal_api_key: Optional[str] = None,
        username: Optional[str] = None,
        *,
        environ: Optional[Mapping[str, str]] = None,
        **kwargs: Any,
    ) -> Config:
        """Build a config from ``GRAPH_OLAP_*`` variables; explicit arguments win.

        The URL falls back to in-cluster DNS when ``GRAPH_OLAP_IN_CLUSTER_MODE``
        is true, else to ``http://localhost:8000``.

        Example:
            >>> env = {"GRAPH_OLAP_API_URL": "http://cp:8000", "GRAPH_OLAP_USERNAME": "u@x"}
            >>> c = Config.from_env(environ=env)
            >>> c.api_url, c.username
            ('http://cp:8000', 'u@x')
        """
        env = os.environ if environ is None else environ
        in_cluster = _truthy(env.get("GRAPH_OLAP_IN_CLUSTER_MODE"))
        namespace = _clean(env.get("GRAPH_OLAP_NAMESPACE")) or "graph-olap-local"
        url = api_url or _clean(env.get("GRAPH_OLAP_API_URL"))
        if not url:
            url = IN_CLUSTER_API_URL.format(namespace=namespace) if in_cluster else DEFAULT_API_URL
        options: Dict[str, Any] = {}
        if _clean(env.get("GRAPH_OLAP_TIMEOUT")):
            options["timeout"] = float(env["GRAPH_OLAP_TIMEOUT"])
        if _clean(env.get("GRAPH_OLAP_MAX_RETRIES")):
            options["max_retries"] = int(env["GRAPH_OLAP_MAX_RETRIES"])
        verify = _clean(env.get("GRAPH_OLAP_VERIFY")) or _clean(env.get("GRAPH_OLAP_SSL_VERIFY"))
        if verify is not None:
            lowered = verify.lower()
            if lowered in ("0", "false", "no", "off"):
                options["verify"] = False
            elif lowered in ("1", "true", "yes", "on"):
                options["verify"] = True
            else:
                options["verify"] = verify
        options.update({k: v for k, v in kwargs.items() if v is not None})
        return cls(
            api_url=url,
            api_key=api_key or _clean(env.get("GRAPH_OLAP_API_KEY")),
            internal_api_key=internal_api_key or _clean(env.get("GRAPH_OLAP_INTERNAL_API_KEY")),
            username=username or _clean(env.get("GRAPH_OLAP_USERNAME")),
            in_cluster_mode=in_cluster,
            namespace=namespace,
            **options,
        )
