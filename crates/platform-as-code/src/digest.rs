//! Digests: SHA-256 of a value's compact JSON. Callers build values with a fixed key order
//! (`serde_json` keeps insertion order in this workspace), so equal states digest equally.

use sha2::{Digest, Sha256};

/// Hex SHA-256 of the compact JSON text of `v`.
pub fn digest(v: &serde_json::Value) -> String {
    hex::encode(Sha256::digest(v.to_string().as_bytes()))
}
