//! The bodies of the public REST API (API.md §3, §5, §6) that are not store rows: what the
//! control plane's handlers take and return, one module per resource.
//!
//! Each type derives `JsonSchema`, from which the OpenAPI document takes its schemas. Request
//! types describe a body's shape; the handler's own validator stays the authority on what is
//! accepted (it answers with field-level `VALIDATION_FAILED` details that a plain deserialiser
//! cannot give), and the contract tests check the two agree.

pub mod admin;
pub mod common;
pub mod config;
pub mod favorites;
pub mod health;
pub mod instances;
pub mod mappings;
pub mod ops;
pub mod platform;
pub mod schema;
pub mod snapshots;
pub mod users;
