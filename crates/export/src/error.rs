//! [`ExportError`]: why one export attempt failed, and how that is reported to the control plane.
//!
//! Owns the classification of failures into the worker error codes of API.md §9.2 and the
//! retryable flag. Does not own the retry schedule (the control plane applies it, §4.4).

use graph_olap_api::export::{JobQuality, WorkerErrorCode};
use graph_olap_warehouse::{ColumnProblem, ConformError, WarehouseError};

/// A failure of one export attempt.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The warehouse failed (unreachable, invalid SQL, runtime error).
    #[error("{}", warehouse_message(.0))]
    Warehouse(#[from] WarehouseError),
    /// A result batch does not satisfy the job's column contract (missing column, value that does
    /// not cast to the declared type).
    #[error("invalid data: {0}")]
    Contract(#[from] ConformError),
    /// The query's result columns do not fit the job's column contract (a column missing, or of
    /// a type that cannot become the declared type the graph engine loads); found before any row.
    #[error("invalid data: {}", .problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Schema {
        /// Every problem, each naming its column and both types.
        problems: Vec<ColumnProblem>,
    },
    /// A data-quality check whose policy is `fail` found problems (NULL keys, duplicate primary
    /// keys, dangling edges); every row was still counted.
    #[error("invalid data: {message}")]
    DataQuality {
        /// What was found, with the key columns named.
        message: String,
        /// The counts, reported with `fail`.
        quality: Box<JobQuality>,
    },
    /// The object store failed (write, list, delete).
    #[error("storage: {0}")]
    Storage(#[from] object_store::Error),
    /// The output location is not a usable object store URL, or its store cannot be configured.
    #[error("storage configuration: {0}")]
    StorageConfig(String),
    /// Encoding Parquet failed for a reason other than storage.
    #[error("parquet: {0}")]
    Parquet(String),
    /// The job's own description is inconsistent (e.g. no columns).
    #[error("invalid job: {0}")]
    InvalidJob(String),
    /// The export was asked to stop (cancelled, lease lost, shutdown) and cleaned up after
    /// itself; the worker reports the reason, never this error.
    #[error("the export was aborted")]
    Aborted,
}

/// `warehouse unreachable: …` as it is; other warehouse failures prefixed with `warehouse: `.
fn warehouse_message(e: &WarehouseError) -> String {
    match e {
        WarehouseError::Unreachable(_) => e.to_string(),
        other => format!("warehouse: {other}"),
    }
}

impl ExportError {
    /// The `error_code` reported with `fail`.
    pub fn code(&self) -> WorkerErrorCode {
        match self {
            ExportError::Warehouse(_) => WorkerErrorCode::WarehouseError,
            ExportError::Contract(_)
            | ExportError::Schema { .. }
            | ExportError::DataQuality { .. } => WorkerErrorCode::InvalidData,
            ExportError::Storage(_) | ExportError::StorageConfig(_) => {
                WorkerErrorCode::StorageError
            }
            ExportError::Parquet(_) | ExportError::InvalidJob(_) | ExportError::Aborted => {
                WorkerErrorCode::Other
            }
        }
    }

    /// Whether another attempt may succeed: an unreachable warehouse, a cancelled query or a
    /// storage failure may be transient; invalid SQL, runtime SQL errors and bad data are not.
    pub fn retryable(&self) -> bool {
        match self {
            ExportError::Warehouse(e) => matches!(
                e,
                WarehouseError::Unreachable(_) | WarehouseError::Cancelled
            ),
            ExportError::Aborted => true,
            ExportError::Storage(e) => !matches!(
                e,
                object_store::Error::NotImplemented { .. }
                    | object_store::Error::UnknownConfigurationKey { .. }
                    | object_store::Error::PermissionDenied { .. }
                    | object_store::Error::Unauthenticated { .. }
            ),
            ExportError::Contract(_)
            | ExportError::Schema { .. }
            | ExportError::DataQuality { .. }
            | ExportError::StorageConfig(_)
            | ExportError::Parquet(_)
            | ExportError::InvalidJob(_) => false,
        }
    }

    /// The data-quality findings to report with `fail`, when the checks caused the failure.
    pub fn quality(&self) -> Option<&JobQuality> {
        match self {
            ExportError::DataQuality { quality, .. } => Some(quality),
            _ => None,
        }
    }

    /// The failure as a `fail` message: 1–8000 characters.
    pub fn message(&self) -> String {
        let text = self.to_string();
        let mut message: String = text.chars().take(8000).collect();
        if message.is_empty() {
            message.push_str("export failed");
        }
        message
    }
}

impl From<graph_olap_storage::StorageError> for ExportError {
    fn from(e: graph_olap_storage::StorageError) -> Self {
        match e {
            graph_olap_storage::StorageError::Store(inner) => ExportError::Storage(inner),
            other => ExportError::StorageConfig(other.to_string()),
        }
    }
}

impl From<parquet::errors::ParquetError> for ExportError {
    fn from(e: parquet::errors::ParquetError) -> Self {
        match e {
            parquet::errors::ParquetError::External(inner) => {
                match inner.downcast::<object_store::Error>() {
                    Ok(storage) => ExportError::Storage(*storage),
                    Err(other) => ExportError::Parquet(other.to_string()),
                }
            }
            other => ExportError::Parquet(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_retryability() {
        let unreachable = ExportError::from(WarehouseError::Unreachable("down".into()));
        assert_eq!(unreachable.code(), WorkerErrorCode::WarehouseError);
        assert!(unreachable.retryable());
        let sql = ExportError::from(WarehouseError::InvalidSql("no table".into()));
        assert!(!sql.retryable());
        let null = ExportError::DataQuality {
            message: "2 row(s) with a NULL key (primary key 'id')".into(),
            quality: Box::default(),
        };
        assert_eq!(null.code(), WorkerErrorCode::InvalidData);
        assert!(!null.retryable());
        assert!(null.message().contains("'id'"));
        assert!(null.quality().is_some());
        let storage = ExportError::from(object_store::Error::Generic {
            store: "S3",
            source: "boom".into(),
        });
        assert_eq!(storage.code(), WorkerErrorCode::StorageError);
        assert!(storage.retryable());
        let wrapped = ExportError::from(parquet::errors::ParquetError::External(Box::new(
            object_store::Error::Generic {
                store: "S3",
                source: "boom".into(),
            },
        )));
        assert!(matches!(wrapped, ExportError::Storage(_)));
    }
}
