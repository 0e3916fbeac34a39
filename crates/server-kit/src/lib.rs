//! Server plumbing shared by the control plane, the instance server and the export worker.
//!
//! Owns the rules every graph-olap process must apply the same way:
//!
//! - [`error`]: [`ApiError`], the one error of a handler, and its rendering as the JSON error
//!   envelope of API.md §1.12;
//! - [`request_id`]: the `X-Request-ID` middleware (§1.3) and the task-local that carries the id
//!   to error rendering, audit records and logs;
//! - [`internal_api`]: the HTTP client of the control plane's internal API (§9) with the retry
//!   rule of §9.1;
//! - [`procfs`]: figures about processes read from Linux's `/proc`;
//! - [`crash`]: the crash-point test hook (`GRAPH_OLAP_CRASH_AT`) and the table of every step at
//!   which the crash matrix kills a process.
//! - [`openapi`]: the OpenAPI 3.1 generator both servers build their documents with, and (feature
//!   `test-support`) `contract`: their test suites' drift check and answer validation.
//!
//! Does not own: the wire types and the closed set of error codes (`graph-olap-api`), routing,
//! authentication or any resource's rules (each server), nor how a library's own errors map to
//! codes (the crate that owns the error type, because of the orphan rule).

#[cfg(feature = "test-support")]
pub mod contract;
pub mod crash;
pub mod error;
pub mod internal_api;
pub mod openapi;
pub mod procfs;
pub mod request_id;

pub use crash::crash_point;
pub use error::{ApiError, ApiResult};
pub use internal_api::{InternalApiClient, InternalApiError, RetryPolicy};
