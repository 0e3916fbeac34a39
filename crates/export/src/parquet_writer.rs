//! Streaming a query result into Parquet part files under an object-store prefix.
//!
//! Owns the file format of snapshots (API.md §4.2): columns exactly as the job declares them (name,
//! type, order), SNAPPY compression, no dictionary encoding on key columns, row groups sized for
//! loading, one `part-NNNNN.parquet` file per roll, and per-file size, row count and SHA-256. Each
//! batch is written as it arrives; only the open row group is held in memory. Every file appears
//! atomically: it is uploaded under its final name by a single put or a multipart upload that is
//! completed only after the footer is written (the local store writes a staging file and renames
//! it), so a crash never leaves a half file under a `part-*` name.
//!
//! Does not own claiming, heartbeats or reporting (the worker) nor how a store is opened
//! (`storage`).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use graph_olap_api::export::{ExportedFile, HeartbeatProgress, JobColumn, JobQuality};
use graph_olap_warehouse::{
    ExpectedColumn, WarehouseError, arrow_type, check_columns, conform_batch,
};
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::AsyncArrowWriter;
use parquet::arrow::async_writer::AsyncFileWriter;
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::ExportError;
use crate::quality::{Checker, Checks};
use graph_olap_server_kit::crash::{crash_point, steps};
use graph_olap_storage::delete_quietly;

/// Rows per row group by default: a multiple of the engines' vector size that loads in parallel well.
pub const DEFAULT_ROW_GROUP_ROWS: usize = 122_880;
/// Uncompressed (Arrow in-memory) bytes after which a part file is closed, by default.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Smallest multipart part S3 accepts (except for the last part).
pub const MIN_UPLOAD_PART_BYTES: usize = 5 * 1024 * 1024;

/// How part files are cut and encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriterOptions {
    /// Rows per Parquet row group.
    pub row_group_rows: usize,
    /// A part file is closed once this many uncompressed (Arrow) bytes went into it.
    pub max_file_bytes: u64,
    /// A part file never holds more rows than this.
    pub max_file_rows: u64,
    /// Bytes buffered before an upload switches to multipart, and the size of each uploaded part
    /// (at least [`MIN_UPLOAD_PART_BYTES`], S3's minimum part size).
    pub upload_buffer_bytes: usize,
    /// Part files written at the same time, each on its own task (batches are dealt to them in
    /// turn, so encoding uses several cores); 1 writes one file after the other.
    pub parallel_files: usize,
}

impl WriterOptions {
    /// The defaults with one part file per core being written at a time (at most 4): what the
    /// worker uses.
    pub fn parallel() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        WriterOptions {
            parallel_files: cores.clamp(1, 4),
            ..WriterOptions::default()
        }
    }
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            row_group_rows: DEFAULT_ROW_GROUP_ROWS,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_file_rows: u64::MAX,
            upload_buffer_bytes: 10 * 1024 * 1024,
            parallel_files: 1,
        }
    }
}

/// A completed part file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenFile {
    /// What `complete` reports (path relative to the output prefix).
    pub file: ExportedFile,
    /// Full location in the store.
    pub location: Path,
    /// The store's entity tag right after the upload, when it has one: cleanup deletes the file
    /// only while it still carries this tag, so it never removes a later attempt's file.
    pub e_tag: Option<String>,
}

/// Progress of one export, shared with the task that supervises it: the supervisor reads what a
/// heartbeat reports and may ask the export to stop ([`Progress::abort`]).
#[derive(Debug, Default)]
pub struct Progress {
    rows: AtomicU64,
    bytes: AtomicU64,
    files: Mutex<Vec<WrittenFile>>,
    abort: CancellationToken,
}

impl Progress {
    /// What a heartbeat reports now.
    pub fn snapshot(&self) -> HeartbeatProgress {
        HeartbeatProgress {
            rows_written: self.rows.load(Ordering::Relaxed),
            bytes_written: self.bytes.load(Ordering::Relaxed),
            files_written: self.lock_files().len() as u64,
        }
    }

    /// Asks the export writing into this progress to stop: it stops reading, abandons its open
    /// part files, deletes its completed ones and fails with [`ExportError::Aborted`]. Awaiting
    /// the export afterwards is what makes sure nothing it wrote is left behind — dropping it
    /// instead could leave a file whose upload was already under way.
    pub fn abort(&self) {
        self.abort.cancel();
    }

    /// Resolves once [`Progress::abort`] was called.
    pub async fn aborted(&self) {
        self.abort.cancelled().await;
    }

    fn lock_files(&self) -> std::sync::MutexGuard<'_, Vec<WrittenFile>> {
        self.files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableOutput {
    /// Part files in order.
    pub files: Vec<WrittenFile>,
    /// Total rows.
    pub row_count: u64,
    /// Total bytes.
    pub size_bytes: u64,
    /// What the data-quality checks found.
    pub quality: JobQuality,
}

impl TableOutput {
    /// The `files` of a `complete` request.
    pub fn exported_files(&self) -> Vec<ExportedFile> {
        self.files.iter().map(|f| f.file.clone()).collect()
    }
}

/// The Arrow schema of the files of a job: its columns in order, with their snapshot types.
pub fn output_schema(columns: &[JobColumn]) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| Field::new(&c.name, arrow_type(c.ty), true))
            .collect::<Vec<_>>(),
    ))
}

/// The Parquet properties of the files of a job.
pub fn writer_properties(columns: &[JobColumn], options: &WriterOptions) -> WriterProperties {
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(options.row_group_rows.max(1)))
        .set_created_by(format!("graph-olap-export {}", env!("CARGO_PKG_VERSION")));
    for column in columns.iter().filter(|c| c.role.is_key()) {
        builder =
            builder.set_column_dictionary_enabled(ColumnPath::from(column.name.as_str()), false);
    }
    builder.build()
}

/// Checks a query's result schema against the job's columns before any row is read: every
/// declared column must be present with a type that casts to the declared type (all of which
/// the graph engine loads). Every problem names its column.
pub fn check_result_schema(schema: &Schema, columns: &[JobColumn]) -> Result<(), ExportError> {
    let expected: Vec<ExpectedColumn> = columns
        .iter()
        .map(|c| ExpectedColumn::new(&c.name, c.ty))
        .collect();
    let problems = check_columns(schema, &expected);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ExportError::Schema { problems })
    }
}

/// [`write_table_checked`] with the default data-quality policy (NULL keys fail, duplicate keys
/// are reported and left out, no endpoint check).
pub async fn write_table<S>(
    store: Arc<dyn ObjectStore>,
    prefix: &Path,
    columns: &[JobColumn],
    batches: S,
    options: &WriterOptions,
    progress: &Progress,
) -> Result<TableOutput, ExportError>
where
    S: Stream<Item = Result<RecordBatch, WarehouseError>> + Unpin,
{
    write_table_checked(
        store,
        prefix,
        columns,
        batches,
        options,
        &Checks::default(),
        progress,
    )
    .await
}

/// Writes `batches` as part files under `prefix`, conforming every batch to `columns` and
/// applying the data-quality `checks` (rows found under a `report` policy are left out; a `fail`
/// policy that triggers stops the writing, counts the rest of the stream and fails with every
/// finding). On error, and when `progress` is aborted, the open files are abandoned and the
/// files already completed are deleted before the error is returned.
pub async fn write_table_checked<S>(
    store: Arc<dyn ObjectStore>,
    prefix: &Path,
    columns: &[JobColumn],
    batches: S,
    options: &WriterOptions,
    checks: &Checks,
    progress: &Progress,
) -> Result<TableOutput, ExportError>
where
    S: Stream<Item = Result<RecordBatch, WarehouseError>> + Unpin,
{
    if columns.is_empty() {
        return Err(ExportError::InvalidJob(
            "the job declares no columns".into(),
        ));
    }
    let schema = output_schema(columns);
    let properties = writer_properties(columns, options);
    let shared = Arc::new(Shared::default());
    let lane = |shared: &Arc<Shared>| Lane {
        store: Arc::clone(&store),
        prefix: prefix.clone(),
        schema: Arc::clone(&schema),
        properties: properties.clone(),
        options: options.clone(),
        shared: Arc::clone(shared),
        open: None,
        done: Vec::new(),
        open_flushed: 0,
    };
    let mut lanes = if options.parallel_files <= 1 {
        Lanes::Inline(Box::new(lane(&shared)))
    } else {
        let mut senders = Vec::new();
        let mut tasks = JoinSet::new();
        for _ in 0..options.parallel_files {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<RecordBatch>(1);
            let mut lane = lane(&shared);
            tasks.spawn(async move {
                while let Some(batch) = rx.recv().await {
                    if let Err(e) = lane.write_batch(&batch).await {
                        lane.abandon().await;
                        return Err(e);
                    }
                }
                lane.end().await
            });
            senders.push(tx);
        }
        Lanes::Spawned {
            senders,
            tasks,
            next: 0,
        }
    };
    let expected: Vec<ExpectedColumn> = columns
        .iter()
        .map(|c| ExpectedColumn::new(&c.name, c.ty))
        .collect();
    let mut checker = Checker::new(columns, checks);
    let mut batches = batches;
    let streamed: Result<(), ExportError> = async {
        loop {
            let next = tokio::select! {
                biased;
                () = progress.aborted() => return Err(ExportError::Aborted),
                next = batches.next() => next,
            };
            let Some(batch) = next else { break };
            let batch = conform_batch(&batch?, &expected)?;
            let batch = checker.check(&batch)?;
            if checker.failing() {
                // Keep counting for the report, but write nothing more: the job fails.
                continue;
            }
            if batch.num_rows() > 0 {
                checker.written(batch.num_rows() as u64);
                lanes.write(batch).await?;
                shared.report(progress);
            }
        }
        if checker.failing() {
            return Err(checker.failure());
        }
        Ok(())
    }
    .await;
    if streamed.is_err() {
        // Nothing of this attempt is kept: the lanes abandon their open parts instead of
        // completing them.
        shared.abandoning.store(true, Ordering::Release);
    }
    let finished = lanes.finish().await;
    shared.report(progress);
    let failure = match (streamed, finished) {
        (Ok(()), Ok(mut files)) => {
            files.sort_by(|a, b| a.file.path.cmp(&b.file.path));
            let row_count = files.iter().map(|f| f.file.row_count).sum();
            let size_bytes = files.iter().map(|f| f.file.size_bytes).sum();
            return Ok(TableOutput {
                files,
                row_count,
                size_bytes,
                quality: checker.quality().clone(),
            });
        }
        (Err(e), _) | (Ok(()), Err(e)) => e,
    };
    let written = shared.lock_files().clone();
    if let Err(e) = remove_files(&store, &written).await {
        tracing::warn!(error = %e, "could not delete the files of a failed export");
    }
    Err(failure)
}

/// The part-file writers of one export: one inline, or several tasks fed batches in turn.
enum Lanes {
    Inline(Box<Lane>),
    Spawned {
        senders: Vec<tokio::sync::mpsc::Sender<RecordBatch>>,
        tasks: JoinSet<Result<Vec<WrittenFile>, ExportError>>,
        next: usize,
    },
}

impl Lanes {
    async fn write(&mut self, batch: RecordBatch) -> Result<(), ExportError> {
        match self {
            Lanes::Inline(lane) => lane.write_batch(&batch).await,
            Lanes::Spawned { senders, next, .. } => {
                let index = *next % senders.len();
                *next += 1;
                // A closed channel means that lane failed; its error comes out of `finish`.
                let _ = senders[index].send(batch).await;
                Ok(())
            }
        }
    }

    /// Ends every lane ([`Lane::end`]); the completed files, or the first failure (each failed
    /// lane has removed its own files; the caller removes the rest).
    async fn finish(self) -> Result<Vec<WrittenFile>, ExportError> {
        match self {
            Lanes::Inline(lane) => lane.end().await,
            Lanes::Spawned {
                senders, mut tasks, ..
            } => {
                drop(senders);
                let mut files = Vec::new();
                let mut failure = None;
                while let Some(done) = tasks.join_next().await {
                    match done {
                        Ok(Ok(lane_files)) => files.extend(lane_files),
                        Ok(Err(e)) => {
                            failure.get_or_insert(e);
                        }
                        Err(e) => {
                            failure.get_or_insert(ExportError::Parquet(format!(
                                "a part-file writer panicked: {e}"
                            )));
                        }
                    }
                }
                match failure {
                    None => Ok(files),
                    Some(e) => Err(e),
                }
            }
        }
    }
}

/// Part numbering and progress shared by the lanes of one export.
#[derive(Debug, Default)]
struct Shared {
    next_part: AtomicUsize,
    rows: AtomicU64,
    bytes: AtomicU64,
    files: Mutex<Vec<WrittenFile>>,
    /// The export failed or was aborted: lanes abandon their open parts when they end.
    abandoning: AtomicBool,
}

impl Shared {
    fn lock_files(&self) -> std::sync::MutexGuard<'_, Vec<WrittenFile>> {
        self.files
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Copies the counters and the completed files into the caller's progress.
    fn report(&self, progress: &Progress) {
        progress
            .rows
            .store(self.rows.load(Ordering::Relaxed), Ordering::Relaxed);
        progress
            .bytes
            .store(self.bytes.load(Ordering::Relaxed), Ordering::Relaxed);
        let files = self.lock_files().clone();
        *progress.lock_files() = files;
    }
}

/// Deletes the given files, each only while it still carries the entity tag recorded at upload.
pub async fn remove_files(
    store: &Arc<dyn ObjectStore>,
    files: &[WrittenFile],
) -> Result<(), ExportError> {
    for written in files {
        if let Some(tag) = &written.e_tag {
            match store.head(&written.location).await {
                Ok(meta) if meta.e_tag.as_ref() != Some(tag) => continue,
                Ok(_) => {}
                Err(object_store::Error::NotFound { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        delete_quietly(store, &written.location).await?;
    }
    Ok(())
}

/// One sequence of part files being written.
struct Lane {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    schema: SchemaRef,
    properties: WriterProperties,
    options: WriterOptions,
    shared: Arc<Shared>,
    open: Option<OpenPart>,
    done: Vec<WrittenFile>,
    /// Bytes of the open part already counted in `shared.bytes`.
    open_flushed: u64,
}

/// The part file being written.
struct OpenPart {
    writer: AsyncArrowWriter<HashingUpload>,
    location: Path,
    name: String,
    rows: u64,
    uncompressed: u64,
}

impl Lane {
    async fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), ExportError> {
        let total = batch.num_rows();
        let batch_bytes = batch.get_array_memory_size() as u64;
        let mut offset = 0;
        while offset < total {
            let max_rows = self.options.max_file_rows.max(1);
            let part = match &mut self.open {
                Some(part) => part,
                None => self.open.insert(self.open_part()?),
            };
            let room = usize::try_from(max_rows - part.rows.min(max_rows))
                .unwrap_or(usize::MAX)
                .max(1);
            let take = room.min(total - offset);
            part.writer.write(&batch.slice(offset, take)).await?;
            part.rows += take as u64;
            part.uncompressed += batch_bytes * take as u64 / total as u64;
            offset += take;
            let full = part.rows >= max_rows || part.uncompressed >= self.options.max_file_bytes;
            let flushed = part.writer.bytes_written() as u64;
            self.shared.rows.fetch_add(take as u64, Ordering::Relaxed);
            self.shared
                .bytes
                .fetch_add(flushed.saturating_sub(self.open_flushed), Ordering::Relaxed);
            self.open_flushed = self.open_flushed.max(flushed);
            if full {
                self.close_part().await?;
            }
        }
        Ok(())
    }

    fn open_part(&self) -> Result<OpenPart, ExportError> {
        let name = format!(
            "part-{:05}.parquet",
            self.shared.next_part.fetch_add(1, Ordering::Relaxed)
        );
        let location = self.prefix.clone().join(name.as_str());
        let upload = HashingUpload {
            inner: BufWriter::with_capacity(
                Arc::clone(&self.store),
                location.clone(),
                self.options.upload_buffer_bytes.max(MIN_UPLOAD_PART_BYTES),
            ),
            hasher: Sha256::new(),
            size: 0,
            completing: false,
        };
        let writer = AsyncArrowWriter::try_new(
            upload,
            Arc::clone(&self.schema),
            Some(self.properties.clone()),
        )?;
        Ok(OpenPart {
            writer,
            location,
            name,
            rows: 0,
            uncompressed: 0,
        })
    }

    async fn close_part(&mut self) -> Result<(), ExportError> {
        let Some(mut part) = self.open.take() else {
            return Ok(());
        };
        if let Err(e) = part.writer.finish().await {
            part.writer.into_inner().abort().await;
            return Err(e.into());
        }
        let upload = part.writer.into_inner();
        let size = upload.size;
        let sha256 = hex::encode(upload.hasher.finalize());
        let e_tag = self.store.head(&part.location).await?.e_tag;
        crash_point(steps::EXPORT_PART_UPLOADED);
        let written = WrittenFile {
            file: ExportedFile {
                path: part.name,
                size_bytes: size,
                row_count: part.rows,
                sha256: Some(sha256),
            },
            location: part.location,
            e_tag,
        };
        if size >= self.open_flushed {
            self.shared
                .bytes
                .fetch_add(size - self.open_flushed, Ordering::Relaxed);
        } else {
            self.shared
                .bytes
                .fetch_sub(self.open_flushed - size, Ordering::Relaxed);
        }
        self.open_flushed = 0;
        self.shared.lock_files().push(written.clone());
        self.done.push(written);
        Ok(())
    }

    /// Completes the open part and returns this lane's files, or, when the export is being
    /// abandoned, abandons the open part and deletes the completed ones.
    async fn end(mut self) -> Result<Vec<WrittenFile>, ExportError> {
        if self.shared.abandoning.load(Ordering::Acquire) {
            self.abandon().await;
            return Ok(Vec::new());
        }
        if let Err(e) = self.close_part().await {
            self.abandon().await;
            return Err(e);
        }
        Ok(std::mem::take(&mut self.done))
    }

    /// Abandons the open upload and deletes this lane's completed files (best effort: a failure
    /// is logged, and the next attempt clears the prefix anyway).
    async fn abandon(&mut self) {
        if let Some(part) = self.open.take() {
            part.writer.into_inner().abort().await;
        }
        if let Err(e) = remove_files(&self.store, &self.done).await {
            tracing::warn!(error = %e, "could not delete the files of a failed export");
        }
        let gone: Vec<Path> = self.done.drain(..).map(|f| f.location).collect();
        self.shared
            .lock_files()
            .retain(|f| !gone.contains(&f.location));
    }
}

/// An upload that hashes and counts what goes through it.
struct HashingUpload {
    inner: BufWriter,
    hasher: Sha256,
    size: u64,
    /// `complete` was called: the upload can no longer be aborted (the store may have finished it
    /// or left an incomplete, invisible multipart upload behind).
    completing: bool,
}

impl HashingUpload {
    /// Abandons the upload so that nothing appears under its name.
    async fn abort(mut self) {
        if !self.completing
            && let Err(e) = self.inner.abort().await
        {
            tracing::warn!(error = %e, "could not abort an upload");
        }
    }
}

fn upload_error(e: impl std::error::Error + Send + Sync + 'static) -> ParquetError {
    ParquetError::External(Box::new(object_store::Error::Generic {
        store: "upload",
        source: Box::new(e),
    }))
}

impl AsyncFileWriter for HashingUpload {
    fn write(&mut self, bytes: Bytes) -> BoxFuture<'_, parquet::errors::Result<()>> {
        self.hasher.update(&bytes);
        self.size += bytes.len() as u64;
        Box::pin(async move {
            self.inner
                .put(bytes)
                .await
                .map_err(|e| ParquetError::External(Box::new(e)))
        })
    }

    fn complete(&mut self) -> BoxFuture<'_, parquet::errors::Result<()>> {
        self.completing = true;
        Box::pin(async move { self.inner.shutdown().await.map_err(upload_error) })
    }
}
