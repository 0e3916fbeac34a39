//! Bodies of `/api/favorites…` (API.md §3.14, §5.9).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `POST /api/favorites`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AddFavorite {
    /// `mapping` | `snapshot` | `instance`.
    pub resource_type: String,
    /// Its id.
    pub resource_id: i64,
}

/// A favorite with what it points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Favorite {
    /// `mapping` | `snapshot` | `instance`.
    pub resource_type: String,
    /// Its id.
    pub resource_id: i64,
    /// Its current name.
    pub resource_name: String,
    /// Its owner.
    pub resource_owner: Option<String>,
    /// Its status (snapshots and instances), else `null`.
    pub resource_status: Option<String>,
    /// Always `true` (favorites of deleted resources are not listed).
    pub resource_exists: bool,
    /// When it was added.
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: String,
}

/// `DELETE /api/favorites/{resource_type}/{resource_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FavoriteRemoved {
    /// `mapping` | `snapshot` | `instance`.
    pub resource_type: String,
    /// Its id.
    pub resource_id: i64,
    /// Always `true`.
    pub deleted: bool,
}
