//! `/health` and `/ready` (API.md §6.6): bare bodies, not enveloped.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `GET /health`: the process is alive (it never touches dependencies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// Always `healthy`.
    pub status: String,
    /// Server version.
    pub version: String,
    /// Always `unknown` (liveness does not probe the database).
    pub database: String,
    /// `api_key` | `dev` …: how callers authenticate.
    pub auth_mode: String,
    /// Server time (UTC).
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub timestamp: String,
}

/// `GET /ready` when ready (otherwise `503 SERVICE_UNAVAILABLE`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Ready {
    /// Always `ready`.
    pub status: String,
    /// Server version.
    pub version: String,
    /// Always `connected`.
    pub database: String,
    /// Server time (UTC).
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub timestamp: String,
}
