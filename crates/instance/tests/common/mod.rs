//! What the instance test suites share: the internal key their stub control planes accept, the
//! success envelope those stubs answer with, a Parquet writer for generated snapshots, and the
//! check of answers against the instance's OpenAPI document (`contract`).

pub mod contract;

use std::path::Path;

use arrow::array::ArrayRef;
use arrow::record_batch::RecordBatch;
use axum::Json;
use graph_olap_api::instance::ManifestFile;
use serde_json::{Value, json};
use sha2::Digest;

/// The internal API key of the stub control planes (and of the instances under test).
pub const KEY: &str = "0123456789abcdef0123456789abcdef-internal";

/// A stub control plane's success body: `data` in the envelope of API.md §1.4.
pub fn envelope(data: Value) -> Json<Value> {
    Json(json!({"data": data, "meta": {"request_id": "stub"}}))
}

/// Writes `columns` as one Parquet file at `path` and returns its manifest entry (with an
/// empty `path`, which the caller fills in relative to the snapshot root).
pub fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) -> ManifestFile {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let bytes = std::fs::read(path).unwrap();
    ManifestFile {
        path: String::new(),
        size_bytes: bytes.len() as u64,
        row_count: batch.num_rows() as u64,
        sha256: Some(hex::encode(sha2::Sha256::digest(&bytes))),
    }
}
