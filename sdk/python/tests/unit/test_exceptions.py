"""Error-code → exception mapping (API.md §1.13)."""

from __future__ import annotations

import builtins

import pytest

from graph_olap import exceptions as ex
from graph_olap.exceptions import error_from_response

CODES = [
    ("UNAUTHORIZED", 401, ex.AuthenticationError),
    ("USER_DISABLED", 403, ex.ForbiddenError),
    ("PERMISSION_DENIED", 403, ex.ForbiddenError),
    ("NOT_FOUND", 404, ex.NotFoundError),
    ("METHOD_NOT_ALLOWED", 405, ex.GraphOLAPError),
    ("VALIDATION_FAILED", 400, ex.ValidationError),
    ("PAYLOAD_TOO_LARGE", 413, ex.ValidationError),
    ("ALREADY_EXISTS", 409, ex.ConflictError),
    ("INVALID_STATE", 409, ex.InvalidStateError),
    ("RESOURCE_HAS_DEPENDENCIES", 409, ex.DependencyError),
    ("CONCURRENCY_LIMIT_EXCEEDED", 409, ex.ConcurrencyLimitError),
    ("IDEMPOTENCY_KEY_REUSED", 409, ex.ConflictError),
    ("RESOURCE_LOCKED", 409, ex.ResourceLockedError),
    ("RATE_LIMITED", 429, ex.RateLimitError),
    ("QUERY_SYNTAX_ERROR", 400, ex.QuerySyntaxError),
    ("QUERY_UNSUPPORTED", 400, ex.QueryError),
    ("READ_ONLY_VIOLATION", 400, ex.ReadOnlyViolationError),
    ("QUERY_FAILED", 400, ex.QueryError),
    ("QUERY_TIMEOUT", 408, ex.QueryTimeoutError),
    ("ALGORITHM_NOT_FOUND", 404, ex.AlgorithmNotFoundError),
    ("ALGORITHM_TIMEOUT", 408, ex.AlgorithmTimeoutError),
    ("MAINTENANCE_MODE", 503, ex.MaintenanceModeError),
    ("INSTANCE_NOT_READY", 503, ex.ServiceUnavailableError),
    ("SERVICE_UNAVAILABLE", 503, ex.ServiceUnavailableError),
    ("UPSTREAM_ERROR", 502, ex.ServerError),
    ("INTERNAL_ERROR", 500, ex.ServerError),
    # aliases
    ("RESOURCE_NOT_FOUND", 404, ex.NotFoundError),
    ("INSUFFICIENT_ROLE", 403, ex.ForbiddenError),
    ("CONCURRENCY_LIMIT", 409, ex.ConcurrencyLimitError),
    ("DEPENDENCY_EXISTS", 409, ex.DependencyError),
    ("RATE_LIMIT_EXCEEDED", 429, ex.RateLimitError),
    ("VALIDATION_ERROR", 422, ex.ValidationError),
    ("ALGORITHM_FAILED", 500, ex.AlgorithmFailedError),
    ("SNAPSHOT_FAILED", 500, ex.SnapshotFailedError),
    ("INSTANCE_FAILED", 500, ex.InstanceFailedError),
]


@pytest.mark.parametrize(("code", "status", "cls"), CODES)
def test_code_maps_to_class(code: str, status: int, cls: type) -> None:
    body = {"error": {"code": code, "message": "msg", "details": {"k": 1}},
            "meta": {"request_id": "abc"}}
    err = error_from_response(status, body)
    assert type(err) is cls
    assert err.code == code
    assert err.message == "msg"
    assert err.details == {"k": 1}
    assert err.status_code == status
    assert err.request_id == "abc"


@pytest.mark.parametrize(("status", "cls"), [
    (400, ex.ValidationError), (413, ex.ValidationError), (422, ex.ValidationError),
    (401, ex.AuthenticationError), (403, ex.ForbiddenError), (404, ex.NotFoundError),
    (408, ex.TimeoutError), (409, ex.ConflictError), (429, ex.RateLimitError),
    (503, ex.ServiceUnavailableError), (500, ex.ServerError), (502, ex.ServerError),
    (504, ex.ServerError), (418, ex.GraphOLAPError),
])
def test_status_fallback_for_unknown_code(status: int, cls: type) -> None:
    err = error_from_response(status, {"error": {"code": "BRAND_NEW_CODE", "message": "x"}})
    assert type(err) is cls


def test_non_json_body_uses_text_and_status() -> None:
    err = error_from_response(502, None, text="<html>bad gateway</html>", request_id="rid")
    assert type(err) is ex.ServerError
    assert "bad gateway" in err.message
    assert err.request_id == "rid"
    assert err.details == {}


def test_foreign_detail_shapes() -> None:
    err = error_from_response(422, {"detail": [{"loc": ["body", "name"], "msg": "required"}]})
    assert isinstance(err, ex.ValidationError)
    assert err.details["errors"][0]["msg"] == "required"
    err = error_from_response(401, {"detail": "Not authenticated"})
    assert isinstance(err, ex.AuthenticationError) and err.message == "Not authenticated"


def test_hierarchy() -> None:
    assert issubclass(ex.ForbiddenError, ex.PermissionDeniedError)
    assert issubclass(ex.RateLimitError, ex.ConcurrencyLimitError)
    assert issubclass(ex.ConcurrencyLimitError, ex.ConflictError)
    assert issubclass(ex.MaintenanceModeError, ex.ServiceUnavailableError)
    assert issubclass(ex.ServiceUnavailableError, ex.ServerError)
    assert issubclass(ex.QuerySyntaxError, ex.QueryError)
    assert issubclass(ex.QueryError, ex.ValidationError)
    assert issubclass(ex.QueryTimeoutError, ex.TimeoutError)
    assert issubclass(ex.TimeoutError, builtins.TimeoutError)
    assert issubclass(ex.AlgorithmNotFoundError, ex.NotFoundError)
    for cls in (ex.AlgorithmFailedError, ex.SnapshotFailedError, ex.InstanceFailedError):
        assert issubclass(cls, ex.GraphOLAPError)


def test_str_lists_validation_problems_and_request_id() -> None:
    err = error_from_response(400, {"error": {"code": "VALIDATION_FAILED",
        "message": "Request validation failed", "details": {"errors": [
            {"field": "ttl", "reason": "invalid_duration", "message": "'P1DT' is not valid"}]}},
        "meta": {"request_id": "r9"}})
    text = str(err)
    assert "VALIDATION_FAILED" in text and "ttl: 'P1DT' is not valid" in text and "r9" in text
    assert err.field_errors == {"ttl": "'P1DT' is not valid"}


def test_rate_limit_retry_after() -> None:
    err = error_from_response(429, {"error": {"code": "RATE_LIMITED", "message": "wait",
                                              "details": {"retry_after_seconds": 37}}})
    assert isinstance(err, ex.RateLimitError) and err.retry_after_seconds == 37
