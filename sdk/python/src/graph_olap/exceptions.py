"""Exception hierarchy of the graph_olap SDK (API.md §1.13, normative).

This module owns the exception classes and the mapping from a server error
response (status code + ``error.code``) to the class to raise.  It does not
own HTTP transport or retries (see :mod:`graph_olap.http`).

Every exception carries ``code``, ``message``, ``details``, ``status_code``
and ``request_id``, so notebook users can branch on the machine-readable code
and quote the request id when asking for help.

Example:
    >>> from graph_olap.exceptions import NotFoundError, error_from_response
    >>> err = error_from_response(404, {"error": {"code": "NOT_FOUND",
    ...     "message": "Mapping 42 not found", "details": {}}})
    >>> isinstance(err, NotFoundError), err.code
    (True, 'NOT_FOUND')
"""

from __future__ import annotations

import builtins
from typing import Any, Dict, List, Mapping, Optional, Type

from graph_olap.error_display import hint_for, render_html, render_text

__all__ = [
    "HTTP_STATUS_TO_EXCEPTION",
    "AlgorithmFailedError",
    "AlgorithmNotFoundError",
    "AlgorithmTimeoutError",
    "AuthenticationError",
    "ConcurrencyLimitError",
    "ConflictError",
    "DependencyError",
    "ForbiddenError",
    "GraphOLAPError",
    "InstanceFailedError",
    "InvalidStateError",
    "MaintenanceModeError",
    "NotFoundError",
    "PermissionDeniedError",
    "QueryError",
    "QuerySyntaxError",
    "QueryTimeoutError",
    "RateLimitError",
    "ReadOnlyViolationError",
    "ResourceLockedError",
    "ResourceNotFoundError",
    "RyugraphError",
    "ServerError",
    "ServiceUnavailableError",
    "SnapshotFailedError",
    "TimeoutError",
    "ValidationError",
    "error_from_response",
    "exception_class_for",
    "exception_from_response",
]


class GraphOLAPError(Exception):
    """Base class of every error raised by the SDK.

    Attributes:
        code: machine-readable error code (``"NOT_FOUND"``, ...), or ``None``.
        message: human-readable message from the server.
        details: structured details (always a dict).
        status_code: HTTP status, or ``None`` for client-side errors.
        request_id: the ``X-Request-ID`` of the failed request, if known.

    Example:
        >>> try:
        ...     raise GraphOLAPError("boom", code="INTERNAL_ERROR", status_code=500)
        ... except GraphOLAPError as e:
        ...     print(e.code, e.status_code)
        INTERNAL_ERROR 500
    """

    def __init__(
        self,
        message: str = "",
        details: Optional[Mapping[str, Any]] = None,
        *,
        code: Optional[str] = None,
        status_code: Optional[int] = None,
        request_id: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details: Dict[str, Any] = dict(details or {})
        self.code = code
        self.status_code = status_code
        self.request_id = request_id

    def __str__(self) -> str:
        text = self.message or self.__class__.__name__
        errors = self.details.get("errors") if isinstance(self.details, dict) else None
        if isinstance(errors, list) and errors:
            parts = []
            for item in errors[:10]:
                if isinstance(item, dict):
                    field = item.get("field")
                    msg = item.get("message") or item.get("reason")
                    parts.append(f"{field}: {msg}" if field else str(msg))
            if parts:
                text += " (" + "; ".join(parts) + ")"
        prefix = f"[{self.code}] " if self.code else ""
        suffix = f" (request_id={self.request_id})" if self.request_id else ""
        return f"{prefix}{text}{suffix}"

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(code={self.code!r}, message={self.message!r}, "
            f"status_code={self.status_code!r}, request_id={self.request_id!r})"
        )

    @property
    def hint(self) -> Optional[str]:
        """What to do about it (by ``code``; :data:`graph_olap.error_display.HINTS`), or ``None``."""
        return hint_for(self.code)

    def _render_traceback_(self) -> List[str]:
        # IPython shows these lines instead of the traceback: its frames are the SDK's
        # transport, which tells an analyst nothing (``sys.last_traceback`` keeps it).
        return render_text(type(self).__name__, self.code, self.message, self.details,
                           self.status_code, self.request_id)

    def _repr_html_(self) -> str:
        return render_html(type(self).__name__, self.code, self.message, self.details,
                           self.status_code, self.request_id)


class AuthenticationError(GraphOLAPError):
    """401: missing, unknown, expired or revoked credentials.

    Example:
        >>> issubclass(AuthenticationError, GraphOLAPError)
        True
    """


class PermissionDeniedError(GraphOLAPError):
    """Role or ownership check failed (parent of :class:`ForbiddenError`).

    Example:
        >>> issubclass(ForbiddenError, PermissionDeniedError)
        True
    """


class ForbiddenError(PermissionDeniedError):
    """403: ``PERMISSION_DENIED`` or ``USER_DISABLED``.

    Example:
        >>> ForbiddenError("no", code="PERMISSION_DENIED").code
        'PERMISSION_DENIED'
    """


class NotFoundError(GraphOLAPError):
    """404: the resource or route does not exist.

    Example:
        >>> NotFoundError("Mapping 1 not found").message
        'Mapping 1 not found'
    """


#: Name used by the reference server's error code ``RESOURCE_NOT_FOUND`` (documentation
#: notebooks import it): the same class as :class:`NotFoundError`.
ResourceNotFoundError = NotFoundError


class AlgorithmNotFoundError(NotFoundError):
    """404 ``ALGORITHM_NOT_FOUND``: unknown algorithm name.

    Example:
        >>> issubclass(AlgorithmNotFoundError, NotFoundError)
        True
    """


class ValidationError(GraphOLAPError):
    """400/413/422: invalid request; ``details["errors"]`` lists every problem.

    Example:
        >>> e = ValidationError("bad", {"errors": [{"field": "ttl", "message": "invalid"}]})
        >>> e.field_errors
        {'ttl': 'invalid'}
    """

    @property
    def field_errors(self) -> Dict[str, str]:
        """Map of ``field`` → message for every listed validation problem."""
        out: Dict[str, str] = {}
        for item in self.details.get("errors") or []:
            if isinstance(item, dict) and item.get("field"):
                out[str(item["field"])] = str(item.get("message") or item.get("reason") or "")
        return out


class RyugraphError(GraphOLAPError):
    """The graph engine rejected or failed a Cypher statement (parent of :class:`QueryError`).

    Catch this for any query-side failure (syntax, read-only violation,
    runtime error); ``details`` carries the server's structured details.

    Example:
        >>> issubclass(QuerySyntaxError, RyugraphError)
        True
        >>> RyugraphError("Binder exception", {"line": 1}).details
        {'line': 1}
    """


class QueryError(ValidationError, RyugraphError):
    """400 ``QUERY_FAILED`` / ``QUERY_UNSUPPORTED``: the Cypher query failed.

    Example:
        >>> issubclass(QueryError, ValidationError), issubclass(QueryError, RyugraphError)
        (True, True)
    """


class QuerySyntaxError(QueryError):
    """400 ``QUERY_SYNTAX_ERROR``: the Cypher does not parse (``details`` has line/column).

    Example:
        >>> QuerySyntaxError("bad", {"line": 1, "column": 5}).details["column"]
        5
    """


class ReadOnlyViolationError(QueryError):
    """400 ``READ_ONLY_VIOLATION``: an updating clause in a read-only query.

    Example:
        >>> issubclass(ReadOnlyViolationError, QueryError)
        True
    """


class ConflictError(GraphOLAPError):
    """409: the request conflicts with the current state.

    Example:
        >>> issubclass(InvalidStateError, ConflictError)
        True
    """


class InvalidStateError(ConflictError):
    """409 ``INVALID_STATE``: operation not allowed in the resource's state.

    Example:
        >>> InvalidStateError("not running", {"current_state": "starting"}).details["current_state"]
        'starting'
    """


class DependencyError(ConflictError):
    """409 ``RESOURCE_HAS_DEPENDENCIES``: delete blocked by active dependents.

    Example:
        >>> issubclass(DependencyError, ConflictError)
        True
    """


class ResourceLockedError(ConflictError):
    """409 ``RESOURCE_LOCKED``: an algorithm already holds the instance lock.

    Example:
        >>> e = ResourceLockedError("locked", {"holder_username": "a@x", "algorithm_name": "wcc"})
        >>> e.holder_name, e.algorithm
        ('a@x', 'wcc')
    """

    @property
    def holder_name(self) -> Optional[str]:
        """User holding the lock."""
        return self.details.get("holder_username") or self.details.get("holder_name")

    @property
    def algorithm(self) -> Optional[str]:
        """Algorithm holding the lock."""
        return self.details.get("algorithm_name") or self.details.get("algorithm")


class ConcurrencyLimitError(ConflictError):
    """409 ``CONCURRENCY_LIMIT_EXCEEDED``: instance limit reached.

    Example:
        >>> e = ConcurrencyLimitError("limit", {"limit_type": "per_analyst",
        ...     "current_count": 5, "max_allowed": 5})
        >>> e.limit_type, e.current_count, e.max_allowed
        ('per_analyst', 5, 5)
    """

    @property
    def limit_type(self) -> Optional[str]:
        """Which limit was hit (``per_analyst`` or ``cluster_total``)."""
        return self.details.get("limit_type")

    @property
    def current_count(self) -> Optional[int]:
        """Active instances counted against the limit."""
        return self.details.get("current_count")

    @property
    def max_allowed(self) -> Optional[int]:
        """The limit."""
        return self.details.get("max_allowed")


class RateLimitError(ConcurrencyLimitError):
    """429 ``RATE_LIMITED``: e.g. an ops job triggered again within its window.

    Example:
        >>> RateLimitError("slow down", {"retry_after_seconds": 42}).retry_after_seconds
        42
    """

    @property
    def retry_after_seconds(self) -> Optional[float]:
        """Seconds to wait before retrying, if the server said so."""
        value = self.details.get("retry_after_seconds")
        return value if isinstance(value, (int, float)) else None


class TimeoutError(GraphOLAPError, builtins.TimeoutError):
    """408 responses and client-side wait timeouts.

    Also a subclass of the built-in ``TimeoutError``.

    Example:
        >>> import builtins
        >>> issubclass(TimeoutError, builtins.TimeoutError)
        True
    """


class QueryTimeoutError(TimeoutError):
    """408 ``QUERY_TIMEOUT``: the query exceeded ``timeout_ms`` and was cancelled.

    Example:
        >>> issubclass(QueryTimeoutError, TimeoutError)
        True
    """


class AlgorithmTimeoutError(TimeoutError):
    """408 ``ALGORITHM_TIMEOUT`` or an algorithm execution that timed out.

    Example:
        >>> issubclass(AlgorithmTimeoutError, TimeoutError)
        True
    """


class ServerError(GraphOLAPError):
    """500, 502 and other 5xx responses.

    Example:
        >>> issubclass(ServiceUnavailableError, ServerError)
        True
    """


class ServiceUnavailableError(ServerError):
    """503: a dependency is down or the instance is not ready yet.

    Example:
        >>> issubclass(MaintenanceModeError, ServiceUnavailableError)
        True
    """


class MaintenanceModeError(ServiceUnavailableError):
    """503 ``MAINTENANCE_MODE``: creation is blocked during maintenance.

    Example:
        >>> MaintenanceModeError("Down for upgrade").message
        'Down for upgrade'
    """


class AlgorithmFailedError(GraphOLAPError):
    """Raised client-side when an algorithm execution ends ``failed``/``cancelled``.

    Example:
        >>> AlgorithmFailedError("diverged", code="ALGORITHM_FAILED").code
        'ALGORITHM_FAILED'
    """


class SnapshotFailedError(GraphOLAPError):
    """Raised client-side when a snapshot export fails.

    Example:
        >>> issubclass(SnapshotFailedError, GraphOLAPError)
        True
    """


class InstanceFailedError(GraphOLAPError):
    """Raised client-side when an instance ends ``failed`` (or is terminated) while waited on.

    Example:
        >>> issubclass(InstanceFailedError, GraphOLAPError)
        True
    """


#: Error code (or alias) → exception class.
CODE_TO_CLASS: Dict[str, Type[GraphOLAPError]] = {
    "UNAUTHORIZED": AuthenticationError,
    "USER_DISABLED": ForbiddenError,
    "PERMISSION_DENIED": ForbiddenError,
    "NOT_FOUND": NotFoundError,
    "METHOD_NOT_ALLOWED": GraphOLAPError,
    "VALIDATION_FAILED": ValidationError,
    "PAYLOAD_TOO_LARGE": ValidationError,
    "ALREADY_EXISTS": ConflictError,
    "INVALID_STATE": InvalidStateError,
    "RESOURCE_HAS_DEPENDENCIES": DependencyError,
    "CONCURRENCY_LIMIT_EXCEEDED": ConcurrencyLimitError,
    "IDEMPOTENCY_KEY_REUSED": ConflictError,
    "RESOURCE_LOCKED": ResourceLockedError,
    "LEASE_EXPIRED": ConflictError,
    "RATE_LIMITED": RateLimitError,
    "QUERY_SYNTAX_ERROR": QuerySyntaxError,
    "QUERY_UNSUPPORTED": QueryError,
    "READ_ONLY_VIOLATION": ReadOnlyViolationError,
    "QUERY_FAILED": QueryError,
    "QUERY_TIMEOUT": QueryTimeoutError,
    "ALGORITHM_NOT_FOUND": AlgorithmNotFoundError,
    "ALGORITHM_TIMEOUT": AlgorithmTimeoutError,
    "MAINTENANCE_MODE": MaintenanceModeError,
    "INSTANCE_NOT_READY": ServiceUnavailableError,
    "SERVICE_UNAVAILABLE": ServiceUnavailableError,
    "UPSTREAM_ERROR": ServerError,
    "INTERNAL_ERROR": ServerError,
    # Aliases emitted by the reference server / wrappers (API.md §1.13).
    "RESOURCE_NOT_FOUND": NotFoundError,
    "INSUFFICIENT_ROLE": ForbiddenError,
    "CONCURRENCY_LIMIT": ConcurrencyLimitError,
    "DEPENDENCY_EXISTS": DependencyError,
    "RATE_LIMIT_EXCEEDED": RateLimitError,
    "VALIDATION_ERROR": ValidationError,
    "ALGORITHM_FAILED": AlgorithmFailedError,
    "RYUGRAPH_ERROR": RyugraphError,
    "SNAPSHOT_FAILED": SnapshotFailedError,
    "INSTANCE_FAILED": InstanceFailedError,
}


#: HTTP status → exception class used when a response carries no known code.
HTTP_STATUS_TO_EXCEPTION: Dict[int, Type[GraphOLAPError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: ForbiddenError,
    404: NotFoundError,
    408: TimeoutError,
    409: ConflictError,
    413: ValidationError,
    422: ValidationError,
    429: RateLimitError,
    500: ServerError,
    502: ServerError,
    503: ServiceUnavailableError,
    504: ServerError,
}


def _class_for_status(status_code: int) -> Type[GraphOLAPError]:
    if status_code in (400, 413, 422):
        return ValidationError
    if status_code == 401:
        return AuthenticationError
    if status_code == 403:
        return ForbiddenError
    if status_code == 404:
        return NotFoundError
    if status_code == 408:
        return TimeoutError
    if status_code == 409:
        return ConflictError
    if status_code == 429:
        return RateLimitError
    if status_code == 503:
        return ServiceUnavailableError
    if 500 <= status_code <= 599:
        return ServerError
    return GraphOLAPError


def exception_class_for(status_code: int, code: Optional[str]) -> Type[GraphOLAPError]:
    """Resolve the exception class: known code/alias first, then the HTTP status.

    Example:
        >>> exception_class_for(409, "CONCURRENCY_LIMIT").__name__
        'ConcurrencyLimitError'
        >>> exception_class_for(418, "SOMETHING_NEW").__name__
        'GraphOLAPError'
        >>> exception_class_for(503, None).__name__
        'ServiceUnavailableError'
    """
    if code and code.upper() in CODE_TO_CLASS:
        return CODE_TO_CLASS[code.upper()]
    return _class_for_status(status_code)


def error_from_response(
    status_code: int,
    body: Any,
    *,
    text: Optional[str] = None,
    request_id: Optional[str] = None,
) -> GraphOLAPError:
    """Build the exception for an error response.

    ``body`` is the decoded JSON body (or ``None`` when it was not JSON, in which
    case ``text`` becomes the message).  Foreign shapes such as FastAPI's
    ``{"detail": ...}`` are tolerated.

    Example:
        >>> e = error_from_response(502, None, text="Bad gateway")
        >>> type(e).__name__, e.message, e.status_code
        ('ServerError', 'Bad gateway', 502)
    """
    code: Optional[str] = None
    message: Optional[str] = None
    details: Dict[str, Any] = {}
    if isinstance(body, dict):
        err = body.get("error")
        if isinstance(err, dict):
            code = err.get("code") if isinstance(err.get("code"), str) else None
            message = err.get("message")
            raw_details = err.get("details")
            if isinstance(raw_details, dict):
                details = raw_details
        elif isinstance(err, str):
            message = err
        if message is None and "detail" in body:
            detail = body["detail"]
            if isinstance(detail, list):
                details = {"errors": detail}
                message = "Request validation failed"
            else:
                message = str(detail)
        if message is None and isinstance(body.get("message"), str):
            message = body["message"]
        meta = body.get("meta")
        if request_id is None and isinstance(meta, dict) and meta.get("request_id"):
            request_id = str(meta["request_id"])
    if message is None:
        message = (text or "").strip()[:2000] or f"HTTP {status_code}"
    cls = exception_class_for(status_code, code)
    return cls(
        str(message),
        details,
        code=code,
        status_code=status_code,
        request_id=request_id,
    )


def exception_from_response(
    status_code: int,
    error_code: Optional[str],
    message: str,
    details: Optional[Mapping[str, Any]] = None,
) -> GraphOLAPError:
    """Build the exception for an error already split into status, code, message and details.

    Example:
        >>> e = exception_from_response(409, "RESOURCE_LOCKED", "busy", {"holder_username": "a"})
        >>> type(e).__name__, e.holder_name, e.status_code
        ('ResourceLockedError', 'a', 409)
        >>> type(exception_from_response(500, None, "boom")).__name__
        'ServerError'
    """
    cls = exception_class_for(status_code, error_code)
    return cls(str(message), dict(details or {}), code=error_code, status_code=status_code)
