//! Warehouse connectors behind one trait, [`Warehouse`]: check a statement's result schema
//! without running it, list catalogs/schemas/tables/columns for the schema browser, and stream
//! query results as Arrow record batches.
//!
//! Connectors: [`embedded::DataFusionWarehouse`] (files under a directory, the default),
//! [`postgres::PostgresWarehouse`] and [`trino::TrinoWarehouse`] (Trino/Starburst client REST
//! protocol); [`connect`] picks one from a URL. [`contract`] holds the column contract of
//! mapping definitions shared by validation and export.
//!
//! This crate does not know about the control plane: HTTP statuses, the schema cache and export
//! jobs live there and in the export worker.

pub mod connect;
pub mod contract;
pub mod embedded;
pub mod error;
pub mod metadata;
pub mod postgres;
pub mod stream;
pub mod trino;

pub use arrow::datatypes::SchemaRef;
pub use connect::{WarehouseConfig, connect, redact_url};
pub use contract::{
    ColumnProblem, ColumnProblemCode, ConformError, ExpectedColumn, arrow_type, check_columns,
    conform_batch,
};
pub use embedded::DataFusionWarehouse;
pub use error::WarehouseError;
pub use metadata::{
    CatalogFailure, CatalogMeta, ColumnMeta, SchemaMeta, TableMeta, WarehouseMetadata,
};
pub use postgres::PostgresWarehouse;
pub use stream::BatchStream;
pub use trino::TrinoWarehouse;

/// A SQL warehouse the platform reads mapping queries from.
///
/// Implementations are cheap to share (`Arc<dyn Warehouse>`) and safe to call concurrently.
#[async_trait::async_trait]
pub trait Warehouse: Send + Sync + 'static {
    /// `"datafusion"` | `"postgres"` | `"trino"`.
    fn kind(&self) -> &'static str;

    /// Cheap reachability probe (a trivial query), for `/ready` and cluster health.
    async fn ping(&self) -> Result<(), WarehouseError>;

    /// Result schema of one read statement WITHOUT running it (plan / zero-row describe).
    /// A statement the warehouse rejects is [`WarehouseError::InvalidSql`] with its message.
    async fn describe(&self, sql: &str) -> Result<SchemaRef, WarehouseError>;

    /// Every catalog, schema, table and column visible, for the schema-browser cache.
    async fn metadata(&self) -> Result<WarehouseMetadata, WarehouseError>;

    /// Runs a query and streams its result as Arrow record batches (never materialising the
    /// whole result). Dropping the stream cancels the query where the warehouse allows it.
    async fn query(&self, sql: &str) -> Result<BatchStream, WarehouseError>;

    /// Re-reads what the warehouse contains where the connector caches it (the embedded
    /// connector re-scans its directory). A no-op for server warehouses.
    async fn refresh(&self) -> Result<(), WarehouseError> {
        Ok(())
    }
}

/// Describes `sql` and checks its result columns against the column contract: the validation
/// a mapping's node or edge query gets on create and update (API.md §5.3). `Ok` holds every
/// contract problem found (empty when the query is acceptable); `Err` is a warehouse failure
/// (invalid SQL or unreachable warehouse).
pub async fn validate_query(
    warehouse: &dyn Warehouse,
    sql: &str,
    expected: &[ExpectedColumn],
) -> Result<Vec<ColumnProblem>, WarehouseError> {
    let schema = warehouse.describe(sql).await?;
    Ok(check_columns(&schema, expected))
}
