//! Bodies of `/api/schema…` (API.md §6.3): the warehouse's catalogs, schemas, tables and
//! columns as the metadata cache holds them. `cached_at` is when the cache was last refreshed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CatalogInfo {
    /// Catalog name.
    pub catalog_name: String,
    /// Schemas in it.
    pub schema_count: usize,
    /// Last cache refresh.
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub cached_at: Option<String>,
}

/// One schema of a catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SchemaInfo {
    /// Catalog name.
    pub catalog_name: String,
    /// Schema name.
    pub schema_name: String,
    /// Tables in it.
    pub table_count: usize,
    /// Last cache refresh.
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub cached_at: Option<String>,
}

/// One table (listing and search).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TableInfo {
    /// Catalog name.
    pub catalog_name: String,
    /// Schema name.
    pub schema_name: String,
    /// Table name.
    pub table_name: String,
    /// `TABLE`, `VIEW` …
    pub table_type: String,
    /// Columns in it.
    pub column_count: usize,
    /// Warehouse comment.
    pub comment: Option<String>,
    /// Last cache refresh.
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub cached_at: Option<String>,
}

/// One column (listing and search).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ColumnInfo {
    /// Catalog name.
    pub catalog_name: String,
    /// Schema name.
    pub schema_name: String,
    /// Table name.
    pub table_name: String,
    /// Column name.
    pub column_name: String,
    /// Warehouse type name.
    pub data_type: String,
    /// Whether it may hold NULL.
    pub is_nullable: bool,
    /// 1-based position.
    pub ordinal_position: u32,
    /// Default expression.
    pub column_default: Option<String>,
    /// Warehouse comment.
    pub comment: Option<String>,
    /// Last cache refresh.
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub cached_at: Option<String>,
}

/// `POST /api/schema/admin/refresh`: the refresh was started (or is already running).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RefreshTriggered {
    /// `started` or `already_running`.
    pub status: String,
    /// When it was asked for.
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub triggered_at: String,
    /// Who asked.
    pub triggered_by: String,
}

/// `GET /api/schema/stats`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CacheStats {
    /// Catalogs cached.
    pub total_catalogs: usize,
    /// Schemas cached.
    pub total_schemas: usize,
    /// Tables cached.
    pub total_tables: usize,
    /// Columns cached.
    pub total_columns: usize,
    /// Last refresh.
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub last_refresh: Option<String>,
    /// `success`, `partial`, `failed` or `never`.
    pub last_refresh_status: String,
    /// How long it took.
    pub last_refresh_duration_ms: Option<i64>,
    /// Why it failed.
    pub last_refresh_error: Option<String>,
    /// Whether a refresh runs now.
    pub refresh_in_progress: bool,
    /// Size of the cached metadata as JSON.
    pub index_size_bytes: usize,
}
