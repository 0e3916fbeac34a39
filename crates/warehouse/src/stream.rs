//! [`BatchStream`]: a query result as a stream of Arrow record batches.
//!
//! Owns the stream type and small helpers over it. Does not own how a connector produces the
//! batches or cancels its query (each connector does, typically on drop).

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use futures::stream::BoxStream;

use crate::WarehouseError;

/// A running query's result: its schema, then its rows in batches. Every batch has `schema`.
pub struct BatchStream {
    /// Schema of every batch.
    pub schema: SchemaRef,
    /// The batches, produced as the warehouse delivers them.
    pub batches: BoxStream<'static, Result<RecordBatch, WarehouseError>>,
    /// The warehouse's id for the query, when it has one (Trino query id, …), for logs.
    pub query_id: Option<String>,
}

impl BatchStream {
    /// Reads the whole result into memory. For tests and small results only: exports stream.
    pub async fn collect(mut self) -> Result<Vec<RecordBatch>, WarehouseError> {
        let mut out = Vec::new();
        while let Some(batch) = self.batches.next().await {
            out.push(batch?);
        }
        Ok(out)
    }

    /// Reads the whole result and counts its rows.
    pub async fn count_rows(mut self) -> Result<usize, WarehouseError> {
        let mut rows = 0;
        while let Some(batch) = self.batches.next().await {
            rows += batch?.num_rows();
        }
        Ok(rows)
    }
}

impl std::fmt::Debug for BatchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchStream")
            .field("schema", &self.schema)
            .field("query_id", &self.query_id)
            .finish_non_exhaustive()
    }
}
