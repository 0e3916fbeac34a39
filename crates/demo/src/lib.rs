//! The deterministic demo warehouse of DEMO.md and the mappings seeded over it.
//!
//! [`generate`] writes, under a warehouse directory, `default_catalog/default_schema/bis_acct_dh.parquet`
//! (the tutorial table) and `demo/bank/{customers,accounts,account_holders,transfers}.parquet`,
//! with a fixed seed: the same scale gives the same bytes. Row counts scale linearly with
//! `scale`; tables are generated and written batch by batch, so memory stays small at scale 100.
//! [`tutorial_mapping`] and [`bank_mapping`] are the seeded mapping definitions.
//!
//! Owns the data and its publication. Does not own reading it (the warehouse crate's embedded
//! connector does) nor deciding when to generate (the CLI's `up` / `demo generate`).

mod bank;
pub mod mappings;
mod publish;
mod random;
mod tutorial;
mod writer;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use mappings::{
    BANK_MAPPING_NAME, SEED_OWNER, TUTORIAL_MAPPING_NAME, bank_mapping, tutorial_mapping,
};
pub use publish::{MANIFEST_FILE, existing};
pub use random::SEED;

/// Version of the manifest format written next to the tables.
pub const MANIFEST_SCHEMA_VERSION: u32 = 1;

/// Rows per generated batch.
const CHUNK_ROWS: usize = 64 * 1024;

/// Failure generating the demo warehouse.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// `scale` must be at least 1.
    #[error("scale must be at least 1, got {0}")]
    InvalidScale(u32),
    /// A file system operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path operated on.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Writing Parquet failed.
    #[error("writing Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// The manifest of an existing demo warehouse is unreadable or of an unknown version.
    #[error("demo manifest {path}: {message}")]
    Manifest {
        /// The manifest file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl DemoError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        DemoError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What [`generate`] wrote: the scale, the seed and every table with its row count. Also the
/// content of the manifest file `.graph-olap-demo.json` written last in the warehouse directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoSummary {
    /// Manifest format version ([`MANIFEST_SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The scale generated.
    pub scale: u32,
    /// The seed used ([`SEED`]).
    pub seed: u64,
    /// Every table written.
    pub tables: Vec<TableSummary>,
}

/// One generated table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSummary {
    /// Catalog (directory level 1).
    pub catalog: String,
    /// Schema (directory level 2).
    pub schema: String,
    /// Table (file name without `.parquet`).
    pub table: String,
    /// Rows written.
    pub rows: u64,
}

impl DemoSummary {
    /// Rows of the table named `table` (unqualified), if it was generated.
    pub fn rows(&self, table: &str) -> Option<u64> {
        self.tables
            .iter()
            .find(|t| t.table == table)
            .map(|t| t.rows)
    }
}

impl TableSummary {
    /// The file's path relative to the warehouse directory.
    pub fn relative_path(&self) -> PathBuf {
        Path::new(&self.catalog)
            .join(&self.schema)
            .join(format!("{}.parquet", self.table))
    }
}

/// Generates the demo warehouse at `scale` into the warehouse directory `out_dir`.
///
/// Files are written to a temporary directory first; a new `out_dir` appears whole by one
/// rename, an existing one (which may hold the user's own tables, left untouched) gets each
/// demo file by an atomic rename and the manifest last, so [`existing`] never reports a
/// half-written demo. Leftovers of an interrupted earlier run are removed.
pub fn generate(out_dir: &Path, scale: u32) -> Result<DemoSummary, DemoError> {
    if scale == 0 {
        return Err(DemoError::InvalidScale(scale));
    }
    publish::publish(out_dir, |staging| write_tables(staging, scale))
}

/// Writes every table under `dir` and returns the summary.
fn write_tables(dir: &Path, scale: u32) -> Result<DemoSummary, DemoError> {
    let mut tables = Vec::new();
    let mut holdings = tutorial::Holdings::new(scale);
    tables.push(write_table(
        dir,
        ("default_catalog", "default_schema", "bis_acct_dh"),
        tutorial::schema(),
        &[],
        |c| holdings.next_batch(c),
    )?);
    let mut customers = bank::Customers::new(scale);
    tables.push(write_table(
        dir,
        ("demo", "bank", "customers"),
        bank::customers_schema(),
        &["customer_id", "name"],
        |c| customers.next_batch(c),
    )?);
    let mut accounts = bank::Accounts::new(scale);
    tables.push(write_table(
        dir,
        ("demo", "bank", "accounts"),
        bank::accounts_schema(),
        &["account_id", "account_no"],
        |c| accounts.next_batch(c),
    )?);
    let mut holders = bank::Holders::new(scale);
    tables.push(write_table(
        dir,
        ("demo", "bank", "account_holders"),
        bank::holders_schema(),
        &[],
        |c| holders.next_batch(c),
    )?);
    let mut transfers = bank::Transfers::new(scale);
    tables.push(write_table(
        dir,
        ("demo", "bank", "transfers"),
        bank::transfers_schema(),
        &["transfer_id", "amount", "ts"],
        |c| transfers.next_batch(c),
    )?);
    Ok(DemoSummary {
        schema_version: MANIFEST_SCHEMA_VERSION,
        scale,
        seed: SEED,
        tables,
    })
}

fn write_table(
    dir: &Path,
    (catalog, schema, table): (&str, &str, &str),
    arrow_schema: arrow::datatypes::SchemaRef,
    unique_columns: &[&str],
    mut next_batch: impl FnMut(usize) -> Option<arrow::record_batch::RecordBatch>,
) -> Result<TableSummary, DemoError> {
    let mut summary = TableSummary {
        catalog: catalog.into(),
        schema: schema.into(),
        table: table.into(),
        rows: 0,
    };
    let path = dir.join(summary.relative_path());
    let parent = path.parent().expect("table paths have a parent");
    std::fs::create_dir_all(parent).map_err(|e| DemoError::io(parent, e))?;
    let mut writer = writer::TableWriter::create(&path, arrow_schema, unique_columns)?;
    while let Some(batch) = next_batch(CHUNK_ROWS) {
        writer.write(&batch)?;
    }
    summary.rows = writer.finish()?;
    Ok(summary)
}
