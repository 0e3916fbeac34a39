//! Export-time data-quality checks: NULL keys, duplicate node primary keys and dangling edges,
//! applied batch by batch while a job's result streams into Parquet.
//!
//! Owns the key sets (exact `i64` for integer keys, 128-bit hashes of the bytes for string and
//! UUID keys), the per-row verdicts, the counts and examples reported with `complete`/`fail`, and
//! reading the key column of exported node files for an edge job's endpoint check. Memory is the
//! key set only — about 20 bytes per distinct key of the label (and of the endpoint labels for an
//! edge job) — never the rows. Does not own the policy (the control plane sends it with the
//! claim) nor the file writing (`parquet_writer`).

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray};
use arrow::compute::{cast, filter_record_batch};
use arrow::datatypes::{DataType, Int64Type};
use arrow::record_batch::RecordBatch;
use arrow::util::display::array_value_to_string;
use bytes::Bytes;
use futures::FutureExt;
use futures::StreamExt;
use futures::future::BoxFuture;
use graph_olap_api::export::{
    CheckPolicy, ColumnRole, EdgeEndpoints, JobColumn, JobQuality, NodeFiles, QualityPolicy,
};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::{AsyncFileReader, ParquetRecordBatchStreamBuilder};
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};

use crate::ExportError;
use graph_olap_storage::StoreResolver;

/// Examples kept per job.
const MAX_EXAMPLES: usize = 5;

/// A cheap hasher for keys that are already well distributed (128-bit hashes) or small integers
/// (mixed with a multiplicative constant): the key sets are the hot path of the checks.
#[derive(Default, Clone, Copy)]
pub struct MixHasher(u64);

impl Hasher for MixHasher {
    fn finish(&self) -> u64 {
        let x = self.0;
        (x ^ (x >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9) ^ (x >> 32)
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn write_i64(&mut self, i: i64) {
        self.write_u64(i as u64);
    }

    fn write_u128(&mut self, i: u128) {
        self.write_u64(i as u64);
        self.write_u64((i >> 64) as u64);
    }
}

type Mix = BuildHasherDefault<MixHasher>;

/// The distinct values of one key column.
#[derive(Debug, Clone)]
pub enum KeySet {
    /// Integer keys, exactly.
    Ints(HashSet<i64, Mix>),
    /// Any other key, as a 128-bit hash of its bytes (a false match needs ~2^64 keys).
    Hashed(HashSet<u128, Mix>),
}

/// One batch's key column, ready for lookups.
enum KeyColumn {
    Ints(arrow::array::PrimitiveArray<Int64Type>),
    Other(ArrayRef),
}

impl KeyColumn {
    fn of(array: &ArrayRef) -> KeyColumn {
        if array.data_type().is_integer()
            && let Ok(ints) = cast(array, &DataType::Int64)
        {
            return KeyColumn::Ints(ints.as_primitive::<Int64Type>().clone());
        }
        KeyColumn::Other(Arc::clone(array))
    }
}

/// The 128-bit hash of a non-integer key value (strings by their UTF-8 bytes).
fn hash128(array: &ArrayRef, row: usize) -> u128 {
    let mut low = std::collections::hash_map::DefaultHasher::new();
    let mut high = std::collections::hash_map::DefaultHasher::new();
    0xA5u8.hash(&mut low);
    0x5Au8.hash(&mut high);
    match array.data_type() {
        DataType::Utf8 => {
            let s = array.as_string::<i32>().value(row);
            s.hash(&mut low);
            s.hash(&mut high);
        }
        DataType::LargeUtf8 => {
            let s = array.as_string::<i64>().value(row);
            s.hash(&mut low);
            s.hash(&mut high);
        }
        _ => {
            let s = array_value_to_string(array, row).unwrap_or_default();
            s.hash(&mut low);
            s.hash(&mut high);
        }
    }
    (u128::from(high.finish()) << 64) | u128::from(low.finish())
}

impl KeySet {
    /// An empty set for keys of Arrow type `ty`.
    pub fn for_type(ty: &DataType) -> KeySet {
        if ty.is_integer() {
            KeySet::Ints(HashSet::default())
        } else {
            KeySet::Hashed(HashSet::default())
        }
    }

    /// Distinct keys held.
    pub fn len(&self) -> usize {
        match self {
            KeySet::Ints(set) => set.len(),
            KeySet::Hashed(set) => set.len(),
        }
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Inserts row `row` of `column`; false when the key was already present.
    fn insert(&mut self, column: &KeyColumn, row: usize) -> bool {
        match (self, column) {
            (KeySet::Ints(set), KeyColumn::Ints(values)) => set.insert(values.value(row)),
            (KeySet::Hashed(set), KeyColumn::Other(values)) => set.insert(hash128(values, row)),
            (KeySet::Ints(set), KeyColumn::Other(values)) => {
                // A non-integer column against integer keys: compare by text.
                let text = array_value_to_string(values, row).unwrap_or_default();
                match text.parse::<i64>() {
                    Ok(v) => set.insert(v),
                    Err(_) => true,
                }
            }
            (KeySet::Hashed(set), KeyColumn::Ints(values)) => {
                let text: ArrayRef = Arc::new(arrow::array::StringArray::from(vec![
                    values.value(row).to_string(),
                ]));
                set.insert(hash128(&text, 0))
            }
        }
    }

    /// Whether row `row` of `column` is in the set.
    fn contains(&self, column: &KeyColumn, row: usize) -> bool {
        match (self, column) {
            (KeySet::Ints(set), KeyColumn::Ints(values)) => set.contains(&values.value(row)),
            (KeySet::Hashed(set), KeyColumn::Other(values)) => set.contains(&hash128(values, row)),
            (KeySet::Ints(set), KeyColumn::Other(values)) => array_value_to_string(values, row)
                .ok()
                .and_then(|t| t.parse::<i64>().ok())
                .is_some_and(|v| set.contains(&v)),
            (KeySet::Hashed(set), KeyColumn::Ints(values)) => {
                let text: ArrayRef = Arc::new(arrow::array::StringArray::from(vec![
                    values.value(row).to_string(),
                ]));
                set.contains(&hash128(&text, 0))
            }
        }
    }

    /// Adds every non-NULL value of `array`.
    pub fn extend_from(&mut self, array: &ArrayRef) {
        let column = KeyColumn::of(array);
        for row in 0..array.len() {
            if array.is_valid(row) {
                self.insert(&column, row);
            }
        }
    }
}

/// The node keys an edge job checks its endpoints against.
#[derive(Debug, Clone)]
pub struct EndpointKeys {
    /// Label of the from node.
    pub from_label: String,
    /// Primary keys of the exported `from_node` nodes.
    pub from: Arc<KeySet>,
    /// Label of the to node.
    pub to_label: String,
    /// Primary keys of the exported `to_node` nodes (the same set when both labels are equal).
    pub to: Arc<KeySet>,
}

/// What a job checks: the policy and, for an edge job, the endpoint keys.
#[derive(Debug, Clone, Default)]
pub struct Checks {
    /// Per-problem policy.
    pub policy: QualityPolicy,
    /// Endpoint keys (edge jobs whose dangling-edge check is on).
    pub endpoints: Option<Arc<EndpointKeys>>,
}

/// Range reads of one Parquet file in an object store, for the async Parquet reader.
struct StoreFile {
    store: Arc<dyn ObjectStore>,
    path: Path,
    size: u64,
}

fn storage_error(e: object_store::Error) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl AsyncFileReader for StoreFile {
    fn get_bytes(
        &mut self,
        range: std::ops::Range<u64>,
    ) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move {
            self.store
                .get_range(&self.path, range)
                .await
                .map_err(storage_error)
        }
        .boxed()
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<std::ops::Range<u64>>,
    ) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move {
            self.store
                .get_ranges(&self.path, &ranges)
                .await
                .map_err(storage_error)
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            let metadata = ParquetMetaDataReader::new()
                .with_arrow_reader_options(options)
                .load_and_finish(self, size)
                .await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}

/// Reads the primary keys of the exported nodes of `files` (first column of each part file).
pub async fn load_node_keys(
    stores: &StoreResolver,
    files: &NodeFiles,
) -> Result<KeySet, ExportError> {
    let (store, prefix) = stores.resolve(&files.output_uri)?;
    let mut keys: Option<KeySet> = None;
    for name in &files.files {
        let location = Path::parse(format!(
            "{}/{}",
            prefix.as_ref().trim_end_matches('/'),
            name.trim_start_matches('/')
        ))
        .map_err(|e| ExportError::StorageConfig(format!("node file '{name}': {e}")))?;
        let size = store.head(&location).await?.size;
        let reader = StoreFile {
            store: Arc::clone(&store),
            path: location,
            size,
        };
        let builder = ParquetRecordBatchStreamBuilder::new(reader).await?;
        let mask = ProjectionMask::roots(builder.parquet_schema(), [0]);
        let mut stream = builder
            .with_projection(mask)
            .with_batch_size(64 * 1024)
            .build()?;
        while let Some(batch) = stream.next().await {
            let batch = batch?;
            let column = batch.column(0);
            keys.get_or_insert_with(|| KeySet::for_type(column.data_type()))
                .extend_from(column);
        }
    }
    Ok(keys.unwrap_or_else(|| KeySet::Ints(HashSet::default())))
}

/// Loads the endpoint keys of an edge job (one set when both ends are the same label).
pub async fn load_endpoints(
    stores: &StoreResolver,
    endpoints: &EdgeEndpoints,
) -> Result<EndpointKeys, ExportError> {
    let from = Arc::new(load_node_keys(stores, &endpoints.from).await?);
    let to = if endpoints.to.label == endpoints.from.label
        && endpoints.to.output_uri == endpoints.from.output_uri
    {
        Arc::clone(&from)
    } else {
        Arc::new(load_node_keys(stores, &endpoints.to).await?)
    };
    Ok(EndpointKeys {
        from_label: endpoints.from.label.clone(),
        from,
        to_label: endpoints.to.label.clone(),
        to,
    })
}

/// Applies the checks to the batches of one job and keeps the counts.
pub(crate) struct Checker {
    policy: QualityPolicy,
    keys: Vec<(usize, ColumnRole, String)>,
    seen: Option<KeySet>,
    endpoints: Option<Arc<EndpointKeys>>,
    quality: JobQuality,
    null_examples: usize,
}

impl Checker {
    /// A checker for a job with `columns` (conformed batches, in this order).
    pub(crate) fn new(columns: &[JobColumn], checks: &Checks) -> Checker {
        let keys: Vec<(usize, ColumnRole, String)> = columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.role.is_key())
            .map(|(i, c)| (i, c.role, c.name.clone()))
            .collect();
        let is_node = keys
            .iter()
            .any(|(_, role, _)| *role == ColumnRole::PrimaryKey);
        let seen = (is_node && checks.policy.duplicate_keys != CheckPolicy::Off).then(|| {
            KeySet::for_type(
                &crate::parquet_writer::output_schema(columns)
                    .field(0)
                    .data_type()
                    .clone(),
            )
        });
        let endpoints = if checks.policy.dangling_edges == CheckPolicy::Off || is_node {
            None
        } else {
            checks.endpoints.clone()
        };
        let quality = JobQuality {
            endpoints_checked: endpoints.is_some(),
            ..JobQuality::default()
        };
        Checker {
            policy: checks.policy,
            keys,
            seen,
            endpoints,
            quality,
            null_examples: 0,
        }
    }

    fn example(&mut self, text: String) {
        if self.quality.examples.len() < MAX_EXAMPLES {
            self.quality.examples.push(text);
        }
    }

    /// Checks one conformed batch; returns the rows that may be written (all of them when the
    /// batch is clean).
    pub(crate) fn check(&mut self, batch: &RecordBatch) -> Result<RecordBatch, ExportError> {
        let rows = batch.num_rows();
        self.quality.rows_read += rows as u64;
        let mut keep = vec![true; rows];
        let mut dropped = 0u64;
        for (index, role, name) in self.keys.clone() {
            let column = batch.column(index);
            if column.null_count() == 0 {
                continue;
            }
            for (row, keep_row) in keep.iter_mut().enumerate() {
                if *keep_row && column.is_null(row) {
                    *keep_row = false;
                    dropped += 1;
                    self.quality.null_keys += 1;
                    if self.null_examples == 0 {
                        self.null_examples += 1;
                        self.example(format!("NULL {} '{name}'", role_name(role)));
                    }
                }
            }
        }
        if let Some(seen) = self.seen.as_mut() {
            let (index, _, name) = &self.keys[0];
            let array = batch.column(*index);
            let column = KeyColumn::of(array);
            let mut found = Vec::new();
            for (row, keep_row) in keep.iter_mut().enumerate() {
                if *keep_row && !seen.insert(&column, row) {
                    *keep_row = false;
                    dropped += 1;
                    self.quality.duplicate_keys += 1;
                    if found.len() < MAX_EXAMPLES {
                        found.push(row);
                    }
                }
            }
            let name = name.clone();
            for row in found {
                let value = array_value_to_string(array, row).unwrap_or_default();
                self.example(format!(
                    "duplicate primary key '{name}' = '{}'",
                    truncate(&value)
                ));
            }
        }
        if let Some(endpoints) = self.endpoints.clone() {
            let (from_index, from_name) = (self.keys[0].0, self.keys[0].2.clone());
            let (to_index, to_name) = (self.keys[1].0, self.keys[1].2.clone());
            let (from_array, to_array) = (batch.column(from_index), batch.column(to_index));
            let (from_column, to_column) = (KeyColumn::of(from_array), KeyColumn::of(to_array));
            for (row, kept) in keep.iter_mut().enumerate().take(rows) {
                if !*kept {
                    continue;
                }
                let from_missing = !endpoints.from.contains(&from_column, row);
                let to_missing = !endpoints.to.contains(&to_column, row);
                if from_missing || to_missing {
                    *kept = false;
                    dropped += 1;
                    self.quality.dangling_edges += 1;
                    self.quality.dangling_from += u64::from(from_missing);
                    self.quality.dangling_to += u64::from(to_missing);
                    if self.quality.examples.len() < MAX_EXAMPLES {
                        let (array, name, label) = if from_missing {
                            (from_array, &from_name, &endpoints.from_label)
                        } else {
                            (to_array, &to_name, &endpoints.to_label)
                        };
                        let value = array_value_to_string(array, row).unwrap_or_default();
                        self.example(format!(
                            "dangling edge: {name} '{}' is not an exported {label}",
                            truncate(&value)
                        ));
                    }
                }
            }
        }
        if dropped == 0 {
            return Ok(batch.clone());
        }
        filter_record_batch(batch, &BooleanArray::from(keep))
            .map_err(|e| ExportError::Parquet(e.to_string()))
    }

    /// Records rows that went into the files.
    pub(crate) fn written(&mut self, rows: u64) {
        self.quality.rows_written += rows;
    }

    /// Whether a `fail` policy has been triggered.
    pub(crate) fn failing(&self) -> bool {
        let q = &self.quality;
        (q.null_keys > 0 && self.policy.null_keys == CheckPolicy::Fail)
            || (q.duplicate_keys > 0 && self.policy.duplicate_keys == CheckPolicy::Fail)
            || (q.dangling_edges > 0 && self.policy.dangling_edges == CheckPolicy::Fail)
    }

    /// The findings so far.
    pub(crate) fn quality(&self) -> &JobQuality {
        &self.quality
    }

    /// The failure to report once a `fail` policy was triggered: every finding, with the
    /// key columns named.
    pub(crate) fn failure(&self) -> ExportError {
        let q = &self.quality;
        let mut parts = Vec::new();
        let names = |roles: &[ColumnRole]| {
            self.keys
                .iter()
                .filter(|(_, r, _)| roles.contains(r))
                .map(|(_, r, n)| format!("{} '{n}'", role_name(*r)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if q.null_keys > 0 {
            parts.push(format!(
                "{} row(s) with a NULL key ({})",
                q.null_keys,
                names(&[
                    ColumnRole::PrimaryKey,
                    ColumnRole::FromKey,
                    ColumnRole::ToKey
                ])
            ));
        }
        if q.duplicate_keys > 0 {
            parts.push(format!(
                "{} duplicate value(s) of {}",
                q.duplicate_keys,
                names(&[ColumnRole::PrimaryKey])
            ));
        }
        if q.dangling_edges > 0 {
            parts.push(format!(
                "{} dangling edge(s) ({} with an unknown {}, {} with an unknown {})",
                q.dangling_edges,
                q.dangling_from,
                names(&[ColumnRole::FromKey]),
                q.dangling_to,
                names(&[ColumnRole::ToKey])
            ));
        }
        let mut message = parts.join("; ");
        if !q.examples.is_empty() {
            message.push_str(&format!(" (e.g. {})", q.examples.join("; ")));
        }
        ExportError::DataQuality {
            message,
            quality: Box::new(q.clone()),
        }
    }
}

fn role_name(role: ColumnRole) -> &'static str {
    match role {
        ColumnRole::PrimaryKey => "primary key",
        ColumnRole::FromKey => "from key",
        ColumnRole::ToKey => "to key",
        ColumnRole::Property => "property",
    }
}

fn truncate(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect();
    if s.chars().count() > 64 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use graph_olap_api::{PropertyType, ScalarType};

    fn col(name: &str, ty: ScalarType, role: ColumnRole) -> JobColumn {
        JobColumn {
            name: name.into(),
            ty: PropertyType::Scalar(ty),
            role,
        }
    }

    #[test]
    fn duplicates_and_null_keys_are_counted_and_dropped() {
        let columns = [
            col("id", ScalarType::String, ColumnRole::PrimaryKey),
            col("n", ScalarType::Int64, ColumnRole::Property),
        ];
        let mut checker = Checker::new(&columns, &Checks::default());
        let batch = RecordBatch::try_from_iter(vec![
            (
                "id",
                Arc::new(StringArray::from(vec![
                    Some("a"),
                    None,
                    Some("b"),
                    Some("a"),
                ])) as ArrayRef,
            ),
            (
                "n",
                Arc::new(Int64Array::from(vec![1, 2, 3, 4])) as ArrayRef,
            ),
        ])
        .unwrap();
        let kept = checker.check(&batch).unwrap();
        assert_eq!(kept.num_rows(), 2);
        let again = checker.check(&batch.slice(2, 2)).unwrap();
        assert_eq!(
            again.num_rows(),
            0,
            "both keys were seen in the first batch"
        );
        let q = checker.quality();
        assert_eq!((q.rows_read, q.null_keys, q.duplicate_keys), (6, 1, 3));
        assert!(checker.failing(), "NULL keys fail by default");
        assert!(
            q.examples
                .iter()
                .any(|e| e.contains("duplicate primary key 'id' = 'a'")),
            "{:?}",
            q.examples
        );
        let message = checker.failure().to_string();
        assert!(
            message.contains("1 row(s) with a NULL key (primary key 'id')"),
            "{message}"
        );
    }

    #[test]
    fn dangling_edges_are_found_against_integer_node_keys() {
        let mut nodes = KeySet::for_type(&DataType::Int64);
        nodes.extend_from(&(Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef));
        let nodes = Arc::new(nodes);
        let checks = Checks {
            policy: QualityPolicy {
                dangling_edges: CheckPolicy::Fail,
                ..QualityPolicy::default()
            },
            endpoints: Some(Arc::new(EndpointKeys {
                from_label: "A".into(),
                from: nodes.clone(),
                to_label: "A".into(),
                to: nodes,
            })),
        };
        let columns = [
            col("src", ScalarType::Int64, ColumnRole::FromKey),
            col("dst", ScalarType::Int64, ColumnRole::ToKey),
        ];
        let mut checker = Checker::new(&columns, &checks);
        let batch = RecordBatch::try_from_iter(vec![
            (
                "src",
                Arc::new(Int64Array::from(vec![1, 9, 2, 8])) as ArrayRef,
            ),
            (
                "dst",
                Arc::new(Int64Array::from(vec![2, 3, 7, 6])) as ArrayRef,
            ),
        ])
        .unwrap();
        assert_eq!(checker.check(&batch).unwrap().num_rows(), 1);
        let q = checker.quality();
        assert_eq!(
            (
                q.dangling_edges,
                q.dangling_from,
                q.dangling_to,
                q.endpoints_checked
            ),
            (3, 2, 2, true)
        );
        assert!(checker.failing());
        assert!(checker.failure().to_string().contains("3 dangling edge(s)"));
    }

    #[test]
    fn hashed_keys_distinguish_values() {
        let mut set = KeySet::for_type(&DataType::Utf8);
        let values: ArrayRef = Arc::new(StringArray::from(
            (0..10_000).map(|i| format!("C{i:06}")).collect::<Vec<_>>(),
        ));
        set.extend_from(&values);
        assert_eq!(set.len(), 10_000);
        set.extend_from(&values);
        assert_eq!(set.len(), 10_000);
    }
}
