//! What the schema browser lists: catalogs, schemas, tables and columns (API.md §3.12).
//!
//! Owns the plain data a connector returns from [`crate::Warehouse::metadata`]. Does not own the
//! cache, its timestamps or its persistence (the control plane's `schema_cache` job does).

use serde::{Deserialize, Serialize};

/// Everything a warehouse user can see, sorted by name at every level (columns by position).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarehouseMetadata {
    /// Visible catalogs (for PostgreSQL: the one database connected to).
    pub catalogs: Vec<CatalogMeta>,
    /// Catalogs that could not be listed (the rest still are); the schema cache keeps their
    /// previous contents and reports the refresh as `partial`.
    #[serde(default)]
    pub failures: Vec<CatalogFailure>,
}

/// A catalog whose listing failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogFailure {
    /// The catalog name.
    pub catalog: String,
    /// What the warehouse said.
    pub message: String,
}

/// One catalog and its schemas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogMeta {
    /// Catalog name, with the warehouse's spelling.
    pub name: String,
    /// Schemas of the catalog, sorted by name.
    pub schemas: Vec<SchemaMeta>,
}

/// One schema and its tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaMeta {
    /// Schema name.
    pub name: String,
    /// Tables and views of the schema, sorted by name.
    pub tables: Vec<TableMeta>,
}

/// One table or view and its columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableMeta {
    /// Table name.
    pub name: String,
    /// `BASE TABLE` or `VIEW` (the warehouse's information_schema text).
    pub table_type: String,
    /// Table comment, when the warehouse has one.
    pub comment: Option<String>,
    /// Columns, sorted by `ordinal_position`.
    pub columns: Vec<ColumnMeta>,
}

/// One column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnMeta {
    /// Column name.
    pub name: String,
    /// The warehouse's type text, e.g. `varchar`, `bigint`, `timestamp(3) with time zone`.
    pub data_type: String,
    /// Whether the column may hold NULL.
    pub is_nullable: bool,
    /// 1-based position in the table.
    pub ordinal_position: u32,
    /// Default expression text, when the warehouse reports one.
    pub column_default: Option<String>,
    /// Column comment, when the warehouse has one.
    pub comment: Option<String>,
}

impl WarehouseMetadata {
    /// Sorts catalogs, schemas and tables by name and columns by position, so every connector
    /// returns the same order whatever its information_schema does.
    pub fn sort(&mut self) {
        self.catalogs.sort_by(|a, b| a.name.cmp(&b.name));
        for catalog in &mut self.catalogs {
            catalog.schemas.sort_by(|a, b| a.name.cmp(&b.name));
            for schema in &mut catalog.schemas {
                schema.tables.sort_by(|a, b| a.name.cmp(&b.name));
                for table in &mut schema.tables {
                    table.columns.sort_by_key(|c| c.ordinal_position);
                }
            }
        }
    }

    /// Looks a table up by exact catalog, schema and table name.
    pub fn table(&self, catalog: &str, schema: &str, table: &str) -> Option<&TableMeta> {
        self.catalogs
            .iter()
            .find(|c| c.name == catalog)?
            .schemas
            .iter()
            .find(|s| s.name == schema)?
            .tables
            .iter()
            .find(|t| t.name == table)
    }

    /// Number of tables across every catalog and schema.
    pub fn table_count(&self) -> usize {
        self.catalogs
            .iter()
            .flat_map(|c| &c.schemas)
            .map(|s| s.tables.len())
            .sum()
    }
}
