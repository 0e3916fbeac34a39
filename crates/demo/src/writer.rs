//! Writing one demo table as a Parquet file, batch by batch, in bounded row groups.
//!
//! Owns the Parquet writer settings of the demo files (Snappy, no dictionary on key columns).
//! Does not own where the file goes or when it becomes visible (see `publish`).

use std::fs::File;
use std::path::Path;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;

use crate::DemoError;

/// Rows per Parquet row group.
pub(crate) const ROW_GROUP_ROWS: usize = 128 * 1024;

/// An open Parquet file receiving batches.
pub(crate) struct TableWriter {
    writer: ArrowWriter<File>,
    rows: u64,
}

impl TableWriter {
    /// Creates `path` for rows of `schema`; `unique_columns` are written without dictionary
    /// encoding (high-cardinality keys write several times faster that way).
    pub(crate) fn create(
        path: &Path,
        schema: SchemaRef,
        unique_columns: &[&str],
    ) -> Result<Self, DemoError> {
        let mut props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .set_created_by("graph-olap-demo".to_string());
        for column in unique_columns {
            props = props.set_column_dictionary_enabled(ColumnPath::from(*column), false);
        }
        let file = File::create(path).map_err(|e| DemoError::io(path, e))?;
        let writer = ArrowWriter::try_new(file, schema, Some(props.build()))?;
        Ok(TableWriter { writer, rows: 0 })
    }

    /// Appends one batch.
    pub(crate) fn write(&mut self, batch: &RecordBatch) -> Result<(), DemoError> {
        self.rows += batch.num_rows() as u64;
        self.writer.write(batch)?;
        Ok(())
    }

    /// Flushes and closes the file, returning the number of rows written.
    pub(crate) fn finish(self) -> Result<u64, DemoError> {
        let file = self.writer.into_inner()?;
        file.sync_all().map_err(|e| DemoError::Io {
            path: "<parquet file>".into(),
            source: e,
        })?;
        Ok(self.rows)
    }
}
