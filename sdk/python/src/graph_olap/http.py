"""HTTP transport: authentication headers, retries, idempotency keys, error mapping.

Owns every byte the SDK sends to the control plane or an instance: the
``httpx`` client, the retry policy (:class:`RetryPolicy`), request ids,
``Idempotency-Key`` handling (API.md §1.11) and turning error responses into
exceptions (via :func:`graph_olap.exceptions.error_from_response`).  It does
not know resource paths or models.

Retry rules (what is *safe* to repeat):

* idempotent requests (``GET``, ``HEAD``, ``PUT``, ``DELETE``, or a call marked
  ``idempotent=True``) and creates carrying an ``Idempotency-Key`` are retried
  on connection errors, timeouts, ``502``/``504`` and ``503`` (except
  ``MAINTENANCE_MODE``), honouring ``Retry-After``;
* any other request is retried only when the connection could not be opened
  (the server never saw it).

Example:
    >>> from graph_olap.config import Config
    >>> http = HTTPClient(Config(api_url="http://localhost:8000", username="u@x"))
    >>> http.base_url
    'http://localhost:8000'
    >>> http.close()
"""

from __future__ import annotations

import json as _json
import logging
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Dict, Mapping, Optional, Union

import httpx

from graph_olap._version import __version__
from graph_olap.config import Config
from graph_olap.exceptions import GraphOLAPError, error_from_response

__all__ = ["AsyncHTTPClient", "HTTPClient", "RetryPolicy"]

log = logging.getLogger("graph_olap.http")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)
_TRANSIENT_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.PoolTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.RemoteProtocolError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for transient failures.

    Attributes:
        max_retries: retries after the first attempt (0 disables retrying).
        backoff_factor: base delay in seconds (delay = factor × 2^attempt).
        max_backoff: cap for one delay, also for ``Retry-After`` values.
        jitter: random fraction added to each delay (0 disables jitter).

    Example:
        >>> p = RetryPolicy(max_retries=3, backoff_factor=0.5, jitter=0)
        >>> [p.delay(i) for i in range(3)]
        [0.5, 1.0, 2.0]
        >>> p.delay(0, retry_after=3)
        3.0
        >>> p.should_retry("POST", idempotent=False, status=503)
        False
        >>> p.should_retry("GET", idempotent=True, status=503)
        True
    """

    max_retries: int = 3
    backoff_factor: float = 0.5
    max_backoff: float = 10.0
    jitter: float = 0.1

    def delay(self, attempt: int, retry_after: Optional[float] = None) -> float:
        """Seconds to sleep before retry number ``attempt`` (0-based)."""
        if retry_after is not None and retry_after >= 0:
            return float(min(retry_after, self.max_backoff))
        base = min(self.backoff_factor * (2**attempt), self.max_backoff)
        if self.jitter:
            base += random.uniform(0, self.jitter * base)
        return float(base)

    def should_retry(
        self,
        method: str,
        *,
        idempotent: bool,
        status: Optional[int] = None,
        error: Optional[BaseException] = None,
        code: Optional[str] = None,
        keyed: bool = False,
        reason: Optional[str] = None,
    ) -> bool:
        """Whether a failed attempt may be repeated safely.

        A read timeout on a ``POST`` (a long query or algorithm start) is only
        retried when the request carries an ``Idempotency-Key``: repeating a
        slow query would just multiply the wait. A keyed request answered
        ``409 IDEMPOTENCY_KEY_REUSED`` with ``reason`` ``in_progress`` is
        retried too: an earlier attempt of the same call (one whose answer
        timed out) is still running, and the retry gets its result.

        Example:
            >>> RetryPolicy().should_retry("POST", idempotent=True, status=409,
            ...     code="IDEMPOTENCY_KEY_REUSED", keyed=True, reason="in_progress")
            True
            >>> RetryPolicy().should_retry("POST", idempotent=True, status=409,
            ...     code="IDEMPOTENCY_KEY_REUSED", keyed=True, reason="body_mismatch")
            False
        """
        if error is not None:
            if isinstance(error, _NOT_SENT_ERRORS):
                return True
            if isinstance(error, httpx.ReadTimeout) and method == "POST" and not keyed:
                return False
            return idempotent and isinstance(error, _TRANSIENT_ERRORS)
        if status is None or not idempotent:
            return False
        if status == 409:
            return keyed and code == "IDEMPOTENCY_KEY_REUSED" and reason == "in_progress"
        if status == 503 and code == "MAINTENANCE_MODE":
            return False
        return status in RETRY_STATUSES


def _retry_after(response: httpx.Response) -> Optional[float]:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        return None


def _decode_json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


class HTTPClient:
    """Thin wrapper over ``httpx.Client`` used by every resource.

    Args:
        config: the client configuration (URL, credentials, timeout, retries).
        base_url: override the base URL (used for instance connections).
        retry_policy: override the retry policy derived from ``config``.
        transport: optional ``httpx`` transport (advanced use).

    Example:
        >>> from graph_olap.config import Config
        >>> with HTTPClient(Config(username="u@x")) as http:
        ...     sorted(http.default_headers())
        ['Accept', 'User-Agent', 'X-Username']
    """

    def __init__(
        self,
        config: Union[Config, str, None] = None,
        api_key: Optional[str] = None,
        internal_api_key: Optional[str] = None,
        username: Optional[str] = None,
        role: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        *,
        base_url: Optional[str] = None,
        retry_policy: Optional[RetryPolicy] = None,
        transport: Optional[httpx.BaseTransport] = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not isinstance(config, Config):
            # HTTPClient(base_url, api_key, internal_api_key, username, role, timeout, ...)
            url = config if isinstance(config, str) else base_url
            config = Config(api_url=url or Config().api_url, api_key=api_key,
                            internal_api_key=internal_api_key, username=username, role=role,
                            timeout=30.0 if timeout is None else float(timeout),
                            max_retries=3 if max_retries is None else int(max_retries))
        else:
            config = config.with_overrides(api_key=api_key, internal_api_key=internal_api_key,
                                           username=username, role=role, timeout=timeout,
                                           max_retries=max_retries)
        self._config = config
        self.base_url = (base_url or config.api_url).rstrip("/")
        self.retry_policy = retry_policy or RetryPolicy(max_retries=config.max_retries)
        self._sleep = sleep
        self._client = httpx.Client(
            base_url=self.base_url,
            headers=self.default_headers(),
            timeout=httpx.Timeout(config.timeout),
            transport=transport,
            follow_redirects=True,
            verify=config.verify,
        )

    @property
    def config(self) -> Config:
        """The configuration this client was built from."""
        return self._config

    @property
    def api_key(self) -> Optional[str]:
        """API key sent as ``Authorization: Bearer``."""
        return self._config.api_key

    @property
    def internal_api_key(self) -> Optional[str]:
        """Service key sent as ``X-Internal-Api-Key``."""
        return self._config.internal_api_key

    @property
    def username(self) -> Optional[str]:
        """Username sent as ``X-Username``."""
        return self._config.username

    @property
    def role(self) -> Optional[str]:
        """Role sent as ``X-User-Role`` (development identity mode)."""
        return self._config.role

    @property
    def timeout(self) -> float:
        """Per-request timeout in seconds."""
        return self._config.timeout

    @property
    def max_retries(self) -> int:
        """Retry attempts for transient failures."""
        return self._config.max_retries

    def default_headers(self) -> Dict[str, str]:
        """Headers sent with every request (auth, ``Accept``, ``User-Agent``)."""
        headers = {
            "Accept": "application/json",
            "User-Agent": f"graph-olap-python/{__version__}",
        }
        headers.update(self._config.auth_headers())
        return headers

    def close(self) -> None:
        """Close the underlying connection pool."""
        self._client.close()

    def __enter__(self) -> HTTPClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ core
    def send(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, Any]] = None,
        json: Any = None,
        headers: Optional[Mapping[str, str]] = None,
        idempotent: Optional[bool] = None,
        idempotency_key: Union[bool, str, None] = None,
        timeout: Optional[float] = None,
    ) -> httpx.Response:
        """Send a request with retries and return the successful ``httpx.Response``.

        Args:
            method: HTTP method.
            path: path relative to the base URL (``/api/mappings``).
            params: query parameters (``None`` values are dropped, bools become
                ``true``/``false``).
            json: JSON body.
            headers: extra headers.
            idempotent: override the method-based idempotency decision.
            idempotency_key: ``True`` to generate a fresh ``Idempotency-Key`` for
                this logical call (reused across retries), or an explicit key.
            timeout: per-call timeout in seconds.

        Raises:
            GraphOLAPError: a subclass matching the error response (§1.13), or
                ``ServiceUnavailableError`` when the server cannot be reached.
        """
        method = method.upper()
        req_headers: Dict[str, str] = {"X-Request-ID": uuid.uuid4().hex}
        if headers:
            req_headers.update(headers)
        if idempotency_key:
            key = uuid.uuid4().hex if idempotency_key is True else str(idempotency_key)
            req_headers["Idempotency-Key"] = key
        safe = (
            idempotent
            if idempotent is not None
            else (method in IDEMPOTENT_METHODS or bool(idempotency_key))
        )
        clean_params = _clean_params(params)
        content: Optional[bytes] = None
        if json is not None:
            content = _json.dumps(json, default=_json_default).encode("utf-8")
            req_headers["Content-Type"] = "application/json"
        req_timeout = httpx.Timeout(timeout) if timeout is not None else None

        attempt = 0
        while True:
            try:
                response = self._client.request(
                    method,
                    path,
                    params=clean_params,
                    content=content,
                    headers=req_headers,
                    timeout=req_timeout if req_timeout is not None else httpx.USE_CLIENT_DEFAULT,
                )
            except httpx.HTTPError as exc:
                if attempt < self.retry_policy.max_retries and self.retry_policy.should_retry(
                    method, idempotent=safe, error=exc, keyed=bool(idempotency_key)
                ):
                    delay = self.retry_policy.delay(attempt)
                    log.debug("retrying %s %s after %r (%.2fs)", method, path, exc, delay)
                    self._sleep(delay)
                    attempt += 1
                    continue
                raise _transport_error(exc, method, self.base_url + path) from exc

            if response.is_success:
                return response
            body = _decode_json(response)
            err = error_from_response(
                response.status_code,
                body,
                text=response.text,
                request_id=response.headers.get("X-Request-ID"),
            )
            if attempt < self.retry_policy.max_retries and self.retry_policy.should_retry(
                method,
                idempotent=safe,
                status=response.status_code,
                code=err.code,
                keyed=bool(idempotency_key),
                reason=err.details.get("reason"),
            ):
                delay = self.retry_policy.delay(attempt, _retry_after(response))
                log.debug("retrying %s %s after HTTP %s (%.2fs)", method, path,
                          response.status_code, delay)
                self._sleep(delay)
                attempt += 1
                continue
            raise err

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and decode the body (JSON → object, text → ``str``).

        Example:
            >>> from graph_olap.config import Config
            >>> http = HTTPClient(Config(api_url=client.api_url, username="analyst_alice@e2e.local"))
            >>> len(http.request("GET", "/api/mappings", params={"limit": 5})["data"]) <= 5
            True
        """
        response = self.send(method, path, **kwargs)
        ctype = response.headers.get("Content-Type", "")
        if not response.content:
            return {}
        if "json" in ctype:
            return response.json()
        if ctype.startswith("text/"):
            return response.text
        decoded = _decode_json(response)
        return decoded if decoded is not None else response.content

    def get(self, path: str, params: Optional[Mapping[str, Any]] = None, **kw: Any) -> Any:
        """``GET`` and decode."""
        return self.request("GET", path, params=params, **kw)

    def get_text(self, path: str, params: Optional[Mapping[str, Any]] = None, **kw: Any) -> str:
        """``GET`` and return the body as text (e.g. Prometheus metrics)."""
        return self.send("GET", path, params=params, **kw).text

    def post(self, path: str, json: Any = None, **kw: Any) -> Any:
        """``POST`` and decode (not retried after the request was sent unless keyed)."""
        return self.request("POST", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Any:
        """``PUT`` (partial update) and decode."""
        return self.request("PUT", path, json=json, **kw)

    def delete(self, path: str, json: Any = None, **kw: Any) -> Any:
        """``DELETE`` and decode (a JSON body is allowed, e.g. bulk delete)."""
        return self.request("DELETE", path, json=json, **kw)

    def data(self, method: str, path: str, **kw: Any) -> Any:
        """Send a request and return the envelope's ``data`` member.

        Example:
            >>> from graph_olap.config import Config
            >>> http = HTTPClient(Config(api_url=client.api_url, username="analyst_alice@e2e.local"))
            >>> http.data("GET", f"/api/mappings/{mapping.id}")["name"]
            'tutorial-customer-graph'
        """
        body = self.request(method, path, **kw)
        if isinstance(body, dict) and "data" in body:
            return body["data"]
        return body


def _json_default(value: Any) -> Any:
    from datetime import date, datetime, timedelta

    from graph_olap.durations import format_duration
    from graph_olap.timestamps import format_timestamp

    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return format_duration(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=False)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _clean_params(params: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    if not params:
        return None
    from graph_olap.timestamps import to_query_value

    out: Dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (list, tuple, set)):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = to_query_value(value)
    return out


def _transport_error(exc: httpx.HTTPError, method: str, url: str) -> GraphOLAPError:
    from graph_olap.exceptions import ServiceUnavailableError, TimeoutError

    if isinstance(exc, httpx.TimeoutException):
        return TimeoutError(f"{method} {url} timed out: {exc}", code=None)
    return ServiceUnavailableError(
        f"Cannot reach the graph-olap server at {url}: {exc}. "
        "Is `graph-olap up` running and GRAPH_OLAP_API_URL correct?",
        {"service": "control_plane"},
    )


class AsyncHTTPClient:
    """``asyncio`` counterpart of :class:`HTTPClient` (same auth headers and error mapping).

    Safe requests (GET, PUT, DELETE) are retried on connection failures and
    502/503/504; ``post`` is sent once.  Methods return the decoded JSON body.

    Example:
        >>> import asyncio
        >>> async def main():
        ...     http = AsyncHTTPClient("http://localhost:8000", username="u@x")
        ...     headers = sorted(http.default_headers())
        ...     await http.close()
        ...     return headers
        >>> asyncio.run(main())
        ['Accept', 'User-Agent', 'X-Username']
    """

    def __init__(
        self,
        base_url: Union[str, Config, None] = None,
        api_key: Optional[str] = None,
        internal_api_key: Optional[str] = None,
        username: Optional[str] = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        *,
        role: Optional[str] = None,
        transport: Optional[httpx.AsyncBaseTransport] = None,
    ) -> None:
        if isinstance(base_url, Config):
            config = base_url
        else:
            config = Config(api_url=base_url or Config().api_url, api_key=api_key,
                            internal_api_key=internal_api_key, username=username, role=role,
                            timeout=float(timeout), max_retries=int(max_retries))
        self._config = config
        self.base_url = config.api_url
        self.retry_policy = RetryPolicy(max_retries=config.max_retries)
        self._client = httpx.AsyncClient(base_url=self.base_url, headers=self.default_headers(),
                                         timeout=httpx.Timeout(config.timeout),
                                         transport=transport, follow_redirects=True,
                                         verify=config.verify)

    api_key = property(lambda self: self._config.api_key, doc="API key (Bearer).")
    internal_api_key = property(lambda self: self._config.internal_api_key,
                                doc="Service key (``X-Internal-Api-Key``).")
    username = property(lambda self: self._config.username, doc="``X-Username``.")
    role = property(lambda self: self._config.role, doc="``X-User-Role``.")
    timeout = property(lambda self: self._config.timeout, doc="Request timeout (seconds).")
    max_retries = property(lambda self: self._config.max_retries, doc="Retry attempts.")

    def default_headers(self) -> Dict[str, str]:
        """Headers sent with every request (auth, ``Accept``, ``User-Agent``)."""
        headers = {"Accept": "application/json",
                   "User-Agent": f"graph-olap-python/{__version__}"}
        headers.update(self._config.auth_headers())
        return headers

    async def close(self) -> None:
        """Close the underlying connection pool."""
        await self._client.aclose()

    async def __aenter__(self) -> AsyncHTTPClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def request(self, method: str, path: str, *, params: Optional[Mapping[str, Any]] = None,
                      json: Any = None) -> Any:
        """Send a request and decode the JSON body (``{}`` when empty).

        Raises:
            GraphOLAPError: a subclass matching the error response.
        """
        import asyncio

        method = method.upper()
        content = None
        headers: Dict[str, str] = {"X-Request-ID": uuid.uuid4().hex}
        if json is not None:
            content = _json.dumps(json, default=_json_default).encode("utf-8")
            headers["Content-Type"] = "application/json"
        safe = method in IDEMPOTENT_METHODS
        attempt = 0
        while True:
            try:
                response = await self._client.request(method, path, params=_clean_params(params),
                                                      content=content, headers=headers)
            except httpx.HTTPError as exc:
                if attempt < self.retry_policy.max_retries and self.retry_policy.should_retry(
                        method, idempotent=safe, error=exc):
                    await asyncio.sleep(self.retry_policy.delay(attempt))
                    attempt += 1
                    continue
                raise _transport_error(exc, method, self.base_url + path) from exc
            if response.is_success:
                if not response.content:
                    return {}
                decoded = _decode_json(response)
                return decoded if decoded is not None else response.text
            err = error_from_response(response.status_code, _decode_json(response),
                                      text=response.text,
                                      request_id=response.headers.get("X-Request-ID"))
            if attempt < self.retry_policy.max_retries and self.retry_policy.should_retry(
                    method, idempotent=safe, status=response.status_code, code=err.code):
                await asyncio.sleep(self.retry_policy.delay(attempt, _retry_after(response)))
                attempt += 1
                continue
            raise err

    async def get(self, path: str, params: Optional[Mapping[str, Any]] = None) -> Any:
        """``GET`` and decode."""
        return await self.request("GET", path, params=params)

    async def post(self, path: str, json: Any = None) -> Any:
        """``POST`` and decode."""
        return await self.request("POST", path, json=json)

    async def put(self, path: str, json: Any = None) -> Any:
        """``PUT`` and decode."""
        return await self.request("PUT", path, json=json)

    async def delete(self, path: str, json: Any = None) -> Any:
        """``DELETE`` and decode."""
        return await self.request("DELETE", path, json=json)
