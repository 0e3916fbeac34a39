//! The one error envelope of every surface (API.md §1.12) and its closed set of codes (§1.13).
//!
//! Owns: the code enum with its HTTP status, the body shape, field-level validation problems, and
//! [`WireError`], by which a library error says how it is answered. Does not own: turning errors
//! into HTTP responses (that is the server's job, `graph-olap-server-kit`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Every error code a graph-olap server may emit. Clients branch on this, never on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[allow(missing_docs)] // each variant is documented by API.md §1.13
pub enum ErrorCode {
    Unauthorized,
    UserDisabled,
    PermissionDenied,
    NotFound,
    MethodNotAllowed,
    ValidationFailed,
    PayloadTooLarge,
    AlreadyExists,
    InvalidState,
    ResourceHasDependencies,
    ConcurrencyLimitExceeded,
    IdempotencyKeyReused,
    ResourceLocked,
    LeaseExpired,
    RateLimited,
    QuerySyntaxError,
    QueryUnsupported,
    ReadOnlyViolation,
    QueryFailed,
    QueryTimeout,
    AlgorithmNotFound,
    AlgorithmTimeout,
    MaintenanceMode,
    InstanceNotReady,
    ServiceUnavailable,
    UpstreamError,
    InternalError,
}

impl ErrorCode {
    /// The HTTP status that always accompanies this code.
    pub fn http_status(self) -> u16 {
        use ErrorCode::*;
        match self {
            Unauthorized => 401,
            UserDisabled | PermissionDenied => 403,
            NotFound | AlgorithmNotFound => 404,
            MethodNotAllowed => 405,
            ValidationFailed | QuerySyntaxError | QueryUnsupported | ReadOnlyViolation
            | QueryFailed => 400,
            PayloadTooLarge => 413,
            AlreadyExists
            | InvalidState
            | ResourceHasDependencies
            | ConcurrencyLimitExceeded
            | IdempotencyKeyReused
            | ResourceLocked
            | LeaseExpired => 409,
            RateLimited => 429,
            QueryTimeout | AlgorithmTimeout => 408,
            MaintenanceMode | InstanceNotReady | ServiceUnavailable => 503,
            UpstreamError => 502,
            InternalError => 500,
        }
    }

    /// The wire spelling, e.g. `"NOT_FOUND"`.
    pub fn as_str(self) -> &'static str {
        use ErrorCode::*;
        match self {
            Unauthorized => "UNAUTHORIZED",
            UserDisabled => "USER_DISABLED",
            PermissionDenied => "PERMISSION_DENIED",
            NotFound => "NOT_FOUND",
            MethodNotAllowed => "METHOD_NOT_ALLOWED",
            ValidationFailed => "VALIDATION_FAILED",
            PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            AlreadyExists => "ALREADY_EXISTS",
            InvalidState => "INVALID_STATE",
            ResourceHasDependencies => "RESOURCE_HAS_DEPENDENCIES",
            ConcurrencyLimitExceeded => "CONCURRENCY_LIMIT_EXCEEDED",
            IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            ResourceLocked => "RESOURCE_LOCKED",
            LeaseExpired => "LEASE_EXPIRED",
            RateLimited => "RATE_LIMITED",
            QuerySyntaxError => "QUERY_SYNTAX_ERROR",
            QueryUnsupported => "QUERY_UNSUPPORTED",
            ReadOnlyViolation => "READ_ONLY_VIOLATION",
            QueryFailed => "QUERY_FAILED",
            QueryTimeout => "QUERY_TIMEOUT",
            AlgorithmNotFound => "ALGORITHM_NOT_FOUND",
            AlgorithmTimeout => "ALGORITHM_TIMEOUT",
            MaintenanceMode => "MAINTENANCE_MODE",
            InstanceNotReady => "INSTANCE_NOT_READY",
            ServiceUnavailable => "SERVICE_UNAVAILABLE",
            UpstreamError => "UPSTREAM_ERROR",
            InternalError => "INTERNAL_ERROR",
        }
    }
}

/// One problem found while validating a request (`details.errors[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FieldError {
    /// `a.b[i].c` path; `query.` / `path.` prefixes for query and path parameters; `body` for the whole body.
    pub field: String,
    /// Machine token such as `required`, `too_long`, `invalid_duration`, `sql_invalid`.
    pub reason: String,
    /// One human-readable sentence.
    pub message: String,
}

impl FieldError {
    /// Builds a field error from its three parts.
    pub fn new(
        field: impl Into<String>,
        reason: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
            message: message.into(),
        }
    }
}

/// The `error` object of the envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorBody {
    /// The code clients branch on.
    pub code: ErrorCode,
    /// One English sentence; never a stack trace or secret.
    pub message: String,
    /// Code-specific keys (§1.13); `{}` when empty.
    #[serde(default)]
    pub details: Map<String, Value>,
}

/// `{"error": {...}, "meta": {"request_id": ...}}` — the only error shape any surface emits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorEnvelope {
    /// The error itself.
    pub error: ErrorBody,
    /// Carries the request id.
    pub meta: crate::envelope::Meta,
}

/// A library failure that knows how a server answers it, so that handlers can use `?` on it.
///
/// Implemented next to the library's error type: the orphan rule forbids writing the conversion
/// into the server's error type anywhere else, and this crate knows no HTTP, so the library need
/// not either.
pub trait WireError: std::fmt::Display {
    /// The body sent for this failure; `None` for an unexpected failure, which is answered with
    /// `500 INTERNAL_ERROR` and a fixed message while the cause is only logged.
    fn error_body(&self) -> Option<ErrorBody>;
}
