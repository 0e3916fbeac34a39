//! Wire types of graph-olap: every request and response body, the error envelope and its codes,
//! ISO 8601 durations and timestamps.
//!
//! This crate owns the *shape* of what crosses a process boundary (HTTP between SDK, control plane,
//! export workers and instance servers). It knows nothing about HTTP servers or databases, so every
//! other crate can depend on it cheaply.

pub mod algorithm;
pub mod body;
pub mod duration;
pub mod envelope;
pub mod error;
pub mod export;
pub mod instance;
pub mod mapping;
pub mod ops;
pub mod role;
pub mod status;
pub mod time;

pub use duration::IsoDuration;
pub use envelope::{Envelope, Meta};
pub use error::{ErrorBody, ErrorCode, ErrorEnvelope, FieldError, WireError};
pub use mapping::{
    EdgeDefinition, NodeDefinition, PrimaryKey, PropertyDef, PropertyType, ScalarType,
};
pub use role::Role;
pub use status::{InstanceErrorCode, InstanceStatus, SnapshotStatus, UnknownStatus};
