//! The export worker: claims export jobs from the control plane's internal API, runs each job's
//! SQL on the warehouse, streams the result into Parquet part files in an object store, and
//! reports the files (API.md §4.4, §9.2).
//!
//! - [`parquet_writer`] turns a stream of Arrow batches into `part-NNNNN.parquet` files.
//! - [`quality`] applies the data-quality checks (NULL keys, duplicate keys, dangling edges).
//! - [`client`] is the internal API client (export-job endpoints over
//!   `graph_olap_server_kit::InternalApiClient`).
//! - [`worker`] is the claim → export → report loop, run in-process by `graph-olap up` or as
//!   `graph-olap worker`.
//!
//! Stores are opened from storage URLs by `graph-olap-storage`. This crate does not know about HTTP routing or the metadata database: the control plane owns
//! leases, retries and snapshot finalisation.

pub mod client;
pub mod error;
pub mod parquet_writer;
pub mod quality;
pub mod worker;

pub use client::Client;
pub use error::ExportError;
pub use graph_olap_server_kit::{InternalApiError, RetryPolicy};
pub use graph_olap_storage::{StorageOptions, StoreResolver, open_store};
pub use parquet_writer::{
    Progress, TableOutput, WriterOptions, WrittenFile, check_result_schema, write_table,
    write_table_checked,
};
pub use quality::{Checks, EndpointKeys, KeySet};
pub use worker::{JobOutcome, RunSummary, Worker, WorkerConfig, run};
