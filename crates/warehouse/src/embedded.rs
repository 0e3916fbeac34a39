//! The embedded warehouse: DataFusion over a directory of files laid out
//! `<catalog>/<schema>/<table>.parquet|.csv`.
//!
//! Owns scanning the directory into DataFusion catalogs, read-only planning (`describe`),
//! streaming execution and the metadata listing. Does not own generating the demo files (the
//! `graph-olap-demo` crate does) nor where the directory lives (the CLI's configuration).
//!
//! Every file is a table `catalog.schema.table` named after its path, spelled exactly as on disk.
//! SQL identifiers follow DataFusion: unquoted ones are folded to lower case, quoted ones are
//! taken as written — so files with lower-case names work quoted or unquoted. CSV files have a
//! header row; their column types are inferred from the first rows. Entries whose name starts
//! with `.` are ignored (temporary directories of writers). Table names that appear both as
//! `.parquet` and `.csv` resolve to the Parquet file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use arrow::datatypes::{DataType, SchemaRef, TimeUnit};
use datafusion::catalog::{CatalogProvider, MemoryCatalogProvider, MemorySchemaProvider};
use datafusion::common::TableReference;
use datafusion::error::DataFusionError;
use datafusion::execution::context::{SQLOptions, SessionConfig, SessionContext};
use datafusion::prelude::{CsvReadOptions, DataFrame, ParquetReadOptions};
use futures::StreamExt;

use crate::metadata::{CatalogMeta, ColumnMeta, SchemaMeta, TableMeta, WarehouseMetadata};
use crate::{BatchStream, Warehouse, WarehouseError};

/// The catalog unqualified table names resolve in.
pub const DEFAULT_CATALOG: &str = "default_catalog";
/// The schema unqualified table names resolve in.
pub const DEFAULT_SCHEMA: &str = "default_schema";

/// DataFusion over files under one directory. Cheap to share; `refresh` re-scans the directory.
pub struct DataFusionWarehouse {
    root: PathBuf,
    batch_size: usize,
    state: RwLock<Arc<Loaded>>,
}

/// One scan of the directory: a session with every table registered, and its listing.
struct Loaded {
    ctx: SessionContext,
    metadata: WarehouseMetadata,
}

/// A file found by the scan.
#[derive(Debug, Clone)]
struct TableFile {
    catalog: String,
    schema: String,
    table: String,
    path: PathBuf,
    format: FileFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileFormat {
    Parquet,
    Csv,
}

impl DataFusionWarehouse {
    /// Opens the warehouse rooted at `root` (which must be a directory) and scans it.
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self, WarehouseError> {
        Self::open_with_batch_size(root, 8192).await
    }

    /// As [`open`](Self::open), with the number of rows per streamed batch.
    pub async fn open_with_batch_size(
        root: impl Into<PathBuf>,
        batch_size: usize,
    ) -> Result<Self, WarehouseError> {
        let root = root.into();
        let batch_size = batch_size.max(1);
        let loaded = load(&root, batch_size).await?;
        Ok(DataFusionWarehouse {
            root,
            batch_size,
            state: RwLock::new(Arc::new(loaded)),
        })
    }

    /// The directory this warehouse reads.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The DataFusion session of the last scan, with every table registered. For tools that
    /// need DataFusion directly (the export benchmark's `COPY … TO` baseline); it is not
    /// read-only — callers must not use it for user SQL.
    pub fn session_context(&self) -> SessionContext {
        self.current().ctx.clone()
    }

    fn current(&self) -> Arc<Loaded> {
        self.state
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    async fn reload(&self) -> Result<Arc<Loaded>, WarehouseError> {
        let loaded = Arc::new(load(&self.root, self.batch_size).await?);
        *self
            .state
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = loaded.clone();
        Ok(loaded)
    }

    /// Plans `sql` read-only; when it names a table the last scan did not see, re-scans once
    /// (a file may have been added since) and plans again.
    async fn plan(&self, sql: &str) -> Result<DataFrame, WarehouseError> {
        match plan_read_only(&self.current().ctx, sql).await {
            Err(e) if is_missing_table(&e) => {
                let loaded = self.reload().await?;
                plan_read_only(&loaded.ctx, sql)
                    .await
                    .map_err(planning_error)
            }
            other => other.map_err(planning_error),
        }
    }
}

#[async_trait::async_trait]
impl Warehouse for DataFusionWarehouse {
    fn kind(&self) -> &'static str {
        "datafusion"
    }

    async fn ping(&self) -> Result<(), WarehouseError> {
        match tokio::fs::metadata(&self.root).await {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(WarehouseError::Unreachable(format!(
                "{} is not a directory",
                self.root.display()
            ))),
            Err(e) => Err(WarehouseError::Unreachable(format!(
                "{}: {e}",
                self.root.display()
            ))),
        }
    }

    async fn describe(&self, sql: &str) -> Result<SchemaRef, WarehouseError> {
        let df = self.plan(sql).await?;
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        // Optimising catches errors the analyzer only finds late (e.g. some type coercions).
        df.into_optimized_plan().map_err(planning_error)?;
        Ok(schema)
    }

    async fn metadata(&self) -> Result<WarehouseMetadata, WarehouseError> {
        Ok(self.reload().await?.metadata.clone())
    }

    async fn query(&self, sql: &str) -> Result<BatchStream, WarehouseError> {
        let df = self.plan(sql).await?;
        let stream = df.execute_stream().await.map_err(execution_error)?;
        let schema = stream.schema();
        let batches = stream.map(|batch| batch.map_err(execution_error)).boxed();
        Ok(BatchStream {
            schema,
            batches,
            query_id: None,
        })
    }

    async fn refresh(&self) -> Result<(), WarehouseError> {
        self.reload().await.map(|_| ())
    }
}

async fn plan_read_only(ctx: &SessionContext, sql: &str) -> Result<DataFrame, DataFusionError> {
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    ctx.sql_with_options(sql, options).await
}

fn is_missing_table(e: &DataFusionError) -> bool {
    let message = e.to_string();
    message.contains("not found") && (message.contains("table") || message.contains("schema"))
}

fn planning_error(e: DataFusionError) -> WarehouseError {
    match e.find_root() {
        DataFusionError::IoError(_)
        | DataFusionError::ObjectStore(_)
        | DataFusionError::ResourcesExhausted(_) => execution_error(e),
        _ => WarehouseError::InvalidSql(e.strip_backtrace()),
    }
}

fn execution_error(e: DataFusionError) -> WarehouseError {
    WarehouseError::Execution(e.strip_backtrace())
}

/// Scans `root` and builds a session with every table registered.
async fn load(root: &Path, batch_size: usize) -> Result<Loaded, WarehouseError> {
    let scan_root = root.to_path_buf();
    let files = tokio::task::spawn_blocking(move || scan(&scan_root))
        .await
        .map_err(|e| WarehouseError::Unreachable(format!("directory scan failed: {e}")))??;

    let mut config = SessionConfig::new()
        .with_default_catalog_and_schema(DEFAULT_CATALOG, DEFAULT_SCHEMA)
        .with_create_default_catalog_and_schema(false)
        .with_batch_size(batch_size)
        .with_information_schema(false);
    // Plain Utf8/Binary rather than view types: what consumers of query results expect.
    config
        .options_mut()
        .execution
        .parquet
        .schema_force_view_types = false;
    config.options_mut().sql_parser.map_string_types_to_utf8view = false;
    let ctx = SessionContext::new_with_config(config);

    let mut catalogs: BTreeMap<String, BTreeMap<String, Vec<TableMeta>>> = BTreeMap::new();
    for file in files {
        let catalog = match ctx.catalog(&file.catalog) {
            Some(c) => c,
            None => {
                let c: Arc<dyn CatalogProvider> = Arc::new(MemoryCatalogProvider::new());
                ctx.register_catalog(&file.catalog, c.clone());
                c
            }
        };
        if catalog.schema(&file.schema).is_none() {
            catalog
                .register_schema(&file.schema, Arc::new(MemorySchemaProvider::new()))
                .map_err(|e| WarehouseError::Execution(e.strip_backtrace()))?;
        }
        let reference = TableReference::full(
            file.catalog.clone(),
            file.schema.clone(),
            file.table.clone(),
        );
        let Some(path) = file.path.to_str() else {
            tracing::warn!(path = %file.path.display(), "skipping a warehouse file whose path is not UTF-8");
            continue;
        };
        let registered = match file.format {
            FileFormat::Parquet => {
                ctx.register_parquet(reference.clone(), path, ParquetReadOptions::default())
                    .await
            }
            FileFormat::Csv => {
                ctx.register_csv(
                    reference.clone(),
                    path,
                    CsvReadOptions::new().has_header(true),
                )
                .await
            }
        };
        if let Err(e) = registered {
            tracing::warn!(path, error = %e.strip_backtrace(), "skipping an unreadable warehouse file");
            continue;
        }
        let provider = ctx
            .table_provider(reference)
            .await
            .map_err(|e| WarehouseError::Execution(e.strip_backtrace()))?;
        let columns = provider
            .schema()
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| ColumnMeta {
                name: f.name().clone(),
                data_type: sql_type_name(f.data_type()),
                is_nullable: f.is_nullable(),
                ordinal_position: i as u32 + 1,
                column_default: None,
                comment: None,
            })
            .collect();
        catalogs
            .entry(file.catalog)
            .or_default()
            .entry(file.schema)
            .or_default()
            .push(TableMeta {
                name: file.table,
                table_type: "BASE TABLE".into(),
                comment: None,
                columns,
            });
    }
    let mut metadata = WarehouseMetadata {
        failures: Vec::new(),
        catalogs: catalogs
            .into_iter()
            .map(|(name, schemas)| CatalogMeta {
                name,
                schemas: schemas
                    .into_iter()
                    .map(|(name, tables)| SchemaMeta { name, tables })
                    .collect(),
            })
            .collect(),
    };
    metadata.sort();
    Ok(Loaded { ctx, metadata })
}

/// Lists `<catalog>/<schema>/<table>.parquet|.csv` under `root`, sorted, Parquet winning over CSV.
fn scan(root: &Path) -> Result<Vec<TableFile>, WarehouseError> {
    let unreachable = |path: &Path, e: std::io::Error| {
        WarehouseError::Unreachable(format!("{}: {e}", path.display()))
    };
    let mut found: BTreeMap<(String, String, String), TableFile> = BTreeMap::new();
    for catalog in visible_entries(root).map_err(|e| unreachable(root, e))? {
        if !catalog.1.is_dir() {
            continue;
        }
        for schema in visible_entries(&catalog.1).map_err(|e| unreachable(&catalog.1, e))? {
            if !schema.1.is_dir() {
                continue;
            }
            for file in visible_entries(&schema.1).map_err(|e| unreachable(&schema.1, e))? {
                let (table, format) = match file.0.rsplit_once('.') {
                    Some((stem, "parquet")) => (stem, FileFormat::Parquet),
                    Some((stem, "csv")) => (stem, FileFormat::Csv),
                    _ => continue,
                };
                if table.is_empty() || !file.1.is_file() {
                    continue;
                }
                let key = (catalog.0.clone(), schema.0.clone(), table.to_string());
                let entry = TableFile {
                    catalog: catalog.0.clone(),
                    schema: schema.0.clone(),
                    table: table.to_string(),
                    path: file.1.clone(),
                    format,
                };
                match found.get(&key) {
                    Some(existing) if existing.format == FileFormat::Parquet => {
                        tracing::warn!(path = %file.1.display(), "ignored: a Parquet file has the same table name")
                    }
                    _ => {
                        found.insert(key, entry);
                    }
                }
            }
        }
    }
    Ok(found.into_values().collect())
}

/// `(name, path)` of the entries of `dir` whose UTF-8 name does not start with `.`.
fn visible_entries(dir: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if let Ok(name) = entry.file_name().into_string()
            && !name.starts_with('.')
        {
            out.push((name, entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

/// The SQL spelling of an Arrow type, as the schema browser shows it (`VARCHAR`, `BIGINT` …).
pub fn sql_type_name(ty: &DataType) -> String {
    match ty {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "VARCHAR".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::Int32 => "INTEGER".into(),
        DataType::Int16 => "SMALLINT".into(),
        DataType::Int8 => "TINYINT".into(),
        DataType::UInt64 => "BIGINT UNSIGNED".into(),
        DataType::UInt32 => "INTEGER UNSIGNED".into(),
        DataType::UInt16 => "SMALLINT UNSIGNED".into(),
        DataType::UInt8 => "TINYINT UNSIGNED".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Float32 => "REAL".into(),
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Date32 | DataType::Date64 => "DATE".into(),
        DataType::Timestamp(unit, tz) => {
            let precision = match unit {
                TimeUnit::Second => 0,
                TimeUnit::Millisecond => 3,
                TimeUnit::Microsecond => 6,
                TimeUnit::Nanosecond => 9,
            };
            match tz {
                Some(_) => format!("TIMESTAMP({precision}) WITH TIME ZONE"),
                None => format!("TIMESTAMP({precision})"),
            }
        }
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => "VARBINARY".into(),
        DataType::Decimal32(p, s)
        | DataType::Decimal64(p, s)
        | DataType::Decimal128(p, s)
        | DataType::Decimal256(p, s) => {
            format!("DECIMAL({p},{s})")
        }
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            format!("ARRAY({})", sql_type_name(f.data_type()))
        }
        other => other.to_string(),
    }
}
