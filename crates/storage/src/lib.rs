//! Object storage for snapshots, one rule for every process: the control plane (cleaning up and
//! checking snapshot prefixes), the export worker (writing part files) and the instance server
//! (downloading a snapshot) all resolve a storage URL here.
//!
//! - [`open`]: the storage URL syntax ([`Location`]) and opening the store it points into
//!   ([`open_store`], [`StoreResolver`] caching one store per bucket);
//! - [`ops`]: listing a prefix, deleting a prefix or an object, joining relative paths;
//! - [`manifest`]: reading and checking a snapshot's `_manifest.json`.
//!
//! Does not own what is written (the export worker's Parquet writer) nor how files are verified
//! against a manifest once downloaded (the instance).

pub mod manifest;
pub mod open;
pub mod ops;

pub use manifest::{MANIFEST_FILE, read_manifest, write_manifest};
pub use open::{Location, StorageOptions, StoreResolver, open_store};
pub use ops::{child, clear_prefix, delete_quietly, list_relative};

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The location is not a usable storage URL, or its store cannot be configured.
    #[error("storage configuration: {0}")]
    Config(String),
    /// The object store failed (read, write, list, delete).
    #[error("storage: {0}")]
    Store(#[from] object_store::Error),
    /// A snapshot manifest is missing, unreadable or of another version.
    #[error("manifest: {0}")]
    Manifest(String),
}
