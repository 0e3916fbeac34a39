//! The services: one module per resource with the rules and state machines of API.md §4,
//! called by the HTTP handlers and by the background jobs, never calling back into either.
//!
//! Mappings ([`mapping_rules`], [`diff`], [`sql_check`]), snapshots ([`snapshots`], the export
//! queue [`export_queue`]), instances ([`instances`], [`sizing`]), users ([`users`]), admin bulk
//! operations ([`admin`]), platform configuration ([`platform_config`]) and the warehouse schema
//! cache ([`schema_cache`]).

pub mod admin;
pub mod diff;
pub mod export_queue;
pub mod instances;
pub mod mapping_rules;
pub mod mappings;
pub mod platform_config;
pub mod platform_ledger;
pub mod schema_cache;
pub mod sizing;
pub mod snapshots;
pub mod sql_check;
pub mod users;
