//! Platform as code (issue 20; the model of seed 003 mapped onto graph-olap): the platform's
//! mappings, settings and users declared as files in one directory; `plan` shows exactly what
//! `apply` would do; `apply` is the only thing that changes the platform and is idempotent;
//! destructive changes need a recorded, digest-bound approval; out-of-band changes are detected
//! by `refresh` as drift and converged by the next plan; an apply killed at any point is
//! completed or retired by the next one.
//!
//! Owns the declaration model, digests, planning, the apply executor and the HTTP client.
//! Does not own the ledger's storage or the rules of mappings and settings — the control plane
//! holds those and this crate reaches them only through its API.

// Like the control plane: the API error carries the envelope by value; failures are the cold path.
#![allow(clippy::result_large_err)]

pub mod apply;
pub mod client;
pub mod declaration;
pub mod digest;
pub mod error;
pub mod plan;
pub mod render;

pub use apply::{
    ApplyReport, apply, approve, check_online, force_unlock, import, make_plan, refresh, status,
};
pub use client::Client;
pub use declaration::{Declaration, load};
pub use error::{DeclarationError, PlatformError};
pub use plan::{Change, Plan};
