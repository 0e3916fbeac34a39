//! The export worker loop: claim jobs, run each export under a heartbeat, report the outcome.
//!
//! Owns the worker's side of the lease protocol (API.md §4.4, §9.2): long-polling claims, a
//! heartbeat every third of the lease with progress, aborting (query dropped, this attempt's
//! files deleted) on `cancel: true` or a lost lease, `complete` with the file list, `fail` with a
//! code and the retryable flag, and a clean shutdown. Does not own Parquet writing
//! (`parquet_writer`), store opening (`storage`) nor HTTP details (`client`).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use graph_olap_api::export::{
    ClaimRequest, ClaimedJob, CompleteRequest, FailRequest, HeartbeatRequest, JobType,
    NODE_FILE_MAX_ROWS, WorkerErrorCode,
};
use graph_olap_warehouse::{BatchStream, Warehouse};
use object_store::ObjectStore;
use object_store::path::Path;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tracing::Instrument;

use crate::ExportError;
use crate::client::{Client, lease_lost};
use crate::parquet_writer::{
    Progress, TableOutput, WriterOptions, check_result_schema, remove_files, write_table_checked,
};
use crate::quality::{Checks, load_endpoints};
use graph_olap_server_kit::RetryPolicy;
use graph_olap_server_kit::crash::{crash_point, steps};
use graph_olap_storage::{StorageOptions, StoreResolver, clear_prefix};

/// Everything a worker needs.
#[derive(Clone)]
pub struct WorkerConfig {
    /// Base URL of the control plane, e.g. `http://127.0.0.1:8080`.
    pub control_plane_url: String,
    /// The internal service key (`X-Internal-Api-Key`).
    pub internal_api_key: String,
    /// This worker's id, 1–128 characters, unique among live workers.
    pub worker_id: String,
    /// Lease asked for at claim and on every heartbeat, 30–600 s.
    pub lease_seconds: u32,
    /// Heartbeat period; `None` means a third of the lease.
    pub heartbeat_interval: Option<Duration>,
    /// Long-poll of a claim, 0–30 s.
    pub wait_seconds: u32,
    /// Pause after an empty claim without long-poll, or after a failed claim.
    pub idle_backoff: Duration,
    /// Jobs run in parallel.
    pub concurrency: usize,
    /// The warehouse the job SQL runs on.
    pub warehouse: Arc<dyn Warehouse>,
    /// Object-store options applied to every output URI's store.
    pub storage: StorageOptions,
    /// How Parquet part files are cut.
    pub writer: WriterOptions,
    /// Retries of internal API calls.
    pub retry: RetryPolicy,
    /// On shutdown, how long running jobs may go on before they are failed as retryable.
    pub shutdown_grace: Duration,
}

impl WorkerConfig {
    /// A configuration with the defaults: a generated worker id, 120 s leases, 20 s long-poll,
    /// one job at a time, part files written in parallel (one per core, at most 4), 30 s shutdown grace.
    pub fn new(
        control_plane_url: impl Into<String>,
        internal_api_key: impl Into<String>,
        warehouse: Arc<dyn Warehouse>,
    ) -> Self {
        WorkerConfig {
            control_plane_url: control_plane_url.into(),
            internal_api_key: internal_api_key.into(),
            worker_id: default_worker_id(),
            lease_seconds: 120,
            heartbeat_interval: None,
            wait_seconds: 20,
            idle_backoff: Duration::from_secs(1),
            concurrency: 1,
            warehouse,
            storage: StorageOptions::default(),
            writer: WriterOptions::parallel(),
            retry: RetryPolicy::default(),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

impl std::fmt::Debug for WorkerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerConfig")
            .field("control_plane_url", &self.control_plane_url)
            .field("worker_id", &self.worker_id)
            .field("lease_seconds", &self.lease_seconds)
            .field("wait_seconds", &self.wait_seconds)
            .field("concurrency", &self.concurrency)
            .field("warehouse", &self.warehouse.kind())
            .finish_non_exhaustive()
    }
}

/// `{host}-{pid}-{random}`: unique per process.
pub fn default_worker_id() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "worker".into());
    let random = uuid::Uuid::new_v4().simple().to_string();
    let id = format!("{host}-{}-{}", std::process::id(), &random[..8]);
    id.chars().take(128).collect()
}

/// How one claimed job ended for this worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Files written and `complete` accepted.
    Completed {
        /// Rows exported.
        row_count: u64,
        /// Part files written.
        files: usize,
    },
    /// `fail` was reported (or attempted).
    Failed {
        /// The reported code.
        code: WorkerErrorCode,
        /// The reported retryable flag.
        retryable: bool,
        /// The reported message.
        message: String,
    },
    /// The control plane cancelled the job (`cancel: true`); files removed, nothing reported.
    Cancelled,
    /// The lease was lost (`LEASE_EXPIRED`, `INVALID_STATE`, `404`); files removed, nothing reported.
    LeaseLost,
    /// Files written but `complete` got no definite answer; the control plane decides by lease.
    Unreported,
}

/// Counts of outcomes over a worker's life, returned by [`run`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    /// Jobs completed.
    pub completed: u64,
    /// Jobs reported failed.
    pub failed: u64,
    /// Jobs cancelled by the control plane.
    pub cancelled: u64,
    /// Jobs whose lease was lost.
    pub lease_lost: u64,
    /// Jobs whose completion could not be reported.
    pub unreported: u64,
}

impl RunSummary {
    fn record(&mut self, outcome: &JobOutcome) {
        match outcome {
            JobOutcome::Completed { .. } => self.completed += 1,
            JobOutcome::Failed { .. } => self.failed += 1,
            JobOutcome::Cancelled => self.cancelled += 1,
            JobOutcome::LeaseLost => self.lease_lost += 1,
            JobOutcome::Unreported => self.unreported += 1,
        }
    }
}

/// Runs a worker until `shutdown` resolves: see [`Worker::run`].
pub async fn run(config: WorkerConfig, shutdown: impl Future<Output = ()>) -> RunSummary {
    Worker::new(config).run(shutdown).await
}

/// An export worker: the configuration, its internal API client and its stores.
#[derive(Clone)]
pub struct Worker {
    inner: Arc<Inner>,
}

struct Inner {
    config: WorkerConfig,
    client: Client,
    stores: StoreResolver,
}

/// Why a running export was abandoned.
enum Abort {
    Cancelled,
    LeaseLost,
    Shutdown,
}

impl Worker {
    /// A worker for `config` (lease and wait values are clamped to the protocol's ranges).
    pub fn new(mut config: WorkerConfig) -> Self {
        config.lease_seconds = config.lease_seconds.clamp(30, 600);
        config.wait_seconds = config.wait_seconds.min(30);
        config.concurrency = config.concurrency.max(1);
        let client = Client::new(&config.control_plane_url, &config.internal_api_key)
            .with_retry(config.retry);
        let stores = StoreResolver::new(config.storage.clone());
        Worker {
            inner: Arc::new(Inner {
                config,
                client,
                stores,
            }),
        }
    }

    /// The internal API client this worker uses.
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// Claims and runs jobs until `shutdown` resolves. Then it stops claiming (a claim already
    /// in flight is awaited and whatever it returns is failed as retryable), lets running jobs
    /// finish for up to `shutdown_grace`, and fails the rest as retryable.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> RunSummary {
        let config = &self.inner.config;
        tracing::info!(worker_id = %config.worker_id, concurrency = config.concurrency, "export worker started");
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks: JoinSet<JobOutcome> = JoinSet::new();
        let mut summary = RunSummary::default();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            while let Some(done) = tasks.try_join_next() {
                record(&mut summary, done);
            }
            if tasks.len() >= config.concurrency {
                tokio::select! {
                    _ = &mut shutdown => break,
                    Some(done) = tasks.join_next() => record(&mut summary, done),
                }
                continue;
            }
            let request = ClaimRequest {
                worker_id: config.worker_id.clone(),
                limit: (config.concurrency - tasks.len()).min(10) as u32,
                lease_seconds: config.lease_seconds,
                wait_seconds: config.wait_seconds,
            };
            let mut claim = std::pin::pin!(self.inner.client.claim(&request));
            let (claimed, stopping) = tokio::select! {
                result = &mut claim => (result, false),
                _ = &mut shutdown => (claim.await, true),
            };
            match claimed {
                Ok(jobs) if stopping => {
                    for job in jobs {
                        let outcome = self
                            .fail_unstarted(&job, "the worker is shutting down")
                            .await;
                        summary.record(&outcome);
                    }
                    break;
                }
                Ok(jobs) if jobs.is_empty() => {
                    if config.wait_seconds == 0 && self.pause(&mut shutdown).await {
                        break;
                    }
                }
                Ok(jobs) => {
                    for job in jobs {
                        let worker = self.clone();
                        let stop = stop_rx.clone();
                        tasks.spawn(async move { worker.execute(job, stop).await });
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "claiming export jobs failed");
                    if stopping || self.pause(&mut shutdown).await {
                        break;
                    }
                }
            }
        }
        tracing::info!(
            running = tasks.len(),
            "export worker stopping: no more claims"
        );
        let grace = tokio::time::sleep(config.shutdown_grace);
        tokio::pin!(grace);
        while !tasks.is_empty() {
            tokio::select! {
                Some(done) = tasks.join_next() => record(&mut summary, done),
                _ = &mut grace, if !*stop_tx.borrow() => {
                    tracing::warn!(running = tasks.len(), "shutdown grace over: failing running jobs as retryable");
                    let _ = stop_tx.send(true);
                }
            }
        }
        tracing::info!(?summary, "export worker stopped");
        summary
    }

    /// Sleeps `idle_backoff`; true when shutdown came first.
    async fn pause(&self, shutdown: &mut std::pin::Pin<&mut impl Future<Output = ()>>) -> bool {
        tokio::select! {
            _ = shutdown.as_mut() => true,
            _ = tokio::time::sleep(self.inner.config.idle_backoff) => false,
        }
    }

    /// Runs one claimed job to its end: export under a heartbeat, then `complete` or `fail`.
    /// `stop` turning true aborts the export and fails the job as retryable.
    pub async fn execute(&self, job: ClaimedJob, stop: watch::Receiver<bool>) -> JobOutcome {
        let span = tracing::info_span!(
            "export_job",
            job_id = job.job.id,
            snapshot_id = job.job.snapshot_id,
            entity = %job.job.entity_name,
            attempt = job.attempt
        );
        async move {
            tracing::info!(output_uri = %job.output_uri(), "export started");
            let outcome = self.execute_inner(&job, stop).await;
            tracing::info!(?outcome, "export ended");
            outcome
        }
        .instrument(span)
        .await
    }

    async fn execute_inner(&self, job: &ClaimedJob, mut stop: watch::Receiver<bool>) -> JobOutcome {
        let (store, prefix) = match self.inner.stores.resolve(job.output_uri()) {
            Ok(resolved) => resolved,
            Err(e) => return self.report_failure(job, &ExportError::from(e)).await,
        };
        let progress = Arc::new(Progress::default());
        let query_id = Arc::new(Mutex::new(None::<String>));
        let export = async {
            let (stream, checks) = tokio::select! {
                prepared = self.prepare(job, &store, &prefix, &query_id) => prepared?,
                () = progress.aborted() => return Err(ExportError::Aborted),
            };
            let writer = &writer_for(&self.inner.config.writer, job.job.entity_type);
            write_table_checked(
                Arc::clone(&store),
                &prefix,
                &job.columns,
                stream.batches,
                writer,
                &checks,
                &progress,
            )
            .await
        };
        tokio::pin!(export);
        let heartbeat = self.heartbeat_until_abort(job, &progress, &query_id);
        let stopped = async {
            let _ = stop.wait_for(|stop| *stop).await;
        };
        let result = tokio::select! {
            result = &mut export => Ok(result),
            abort = heartbeat => Err(abort),
            _ = stopped => Err(Abort::Shutdown),
        };
        let query_id = lock(&query_id).clone();
        if matches!(result, Ok(Ok(_))) {
            crash_point(steps::EXPORT_FILES_WRITTEN);
        }
        match result {
            Ok(Ok(output)) => self.report_success(job, &store, output, query_id).await,
            Ok(Err(e)) => self.report_failure(job, &e).await,
            Err(abort) => {
                // The export winds down before the attempt is given up — it stops reading,
                // abandons its open part files and deletes its completed ones — so no upload
                // already under way can leave a file behind.
                progress.abort();
                if let Ok(output) = export.await
                    && let Err(e) = remove_files(&store, &output.files).await
                {
                    tracing::warn!(error = %e, "could not delete the files of an aborted export");
                }
                match abort {
                    Abort::Cancelled => JobOutcome::Cancelled,
                    Abort::LeaseLost => JobOutcome::LeaseLost,
                    Abort::Shutdown => {
                        self.fail_unstarted(job, "the worker shut down during the export")
                            .await
                    }
                }
            }
        }
    }

    /// Everything before the first row: clears what a previous attempt left under the prefix,
    /// loads the endpoint keys an edge job checks against, and starts the warehouse query.
    async fn prepare(
        &self,
        job: &ClaimedJob,
        store: &Arc<dyn ObjectStore>,
        prefix: &Path,
        query_id: &Mutex<Option<String>>,
    ) -> Result<(BatchStream, Checks), ExportError> {
        let removed = clear_prefix(store, prefix).await?;
        crash_point(steps::EXPORT_PREFIX_CLEARED);
        if removed > 0 {
            tracing::info!(removed, "deleted files of a previous attempt");
        }
        let endpoints = match &job.endpoints {
            Some(endpoints) => {
                let keys = load_endpoints(&self.inner.stores, endpoints).await?;
                tracing::info!(
                    from = keys.from.len(),
                    to = keys.to.len(),
                    "endpoint node keys loaded"
                );
                Some(Arc::new(keys))
            }
            None => None,
        };
        let checks = Checks {
            policy: job.quality,
            endpoints,
        };
        let stream = self.inner.config.warehouse.query(&job.sql).await?;
        *lock(query_id) = stream.query_id.clone();
        check_result_schema(&stream.schema, &job.columns)?;
        Ok((stream, checks))
    }

    /// Heartbeats until the control plane says to stop or the lease is gone.
    async fn heartbeat_until_abort(
        &self,
        job: &ClaimedJob,
        progress: &Progress,
        query_id: &Mutex<Option<String>>,
    ) -> Abort {
        let config = &self.inner.config;
        let period = config
            .heartbeat_interval
            .unwrap_or(Duration::from_secs(u64::from(config.lease_seconds) / 3))
            .max(Duration::from_millis(10));
        let mut lease_expires_at = job.lease_expires_at();
        loop {
            tokio::time::sleep(period).await;
            let request = HeartbeatRequest {
                lease_token: job.lease_token.clone(),
                lease_seconds: Some(config.lease_seconds),
                warehouse_query_id: lock(query_id).clone(),
                progress: Some(progress.snapshot()),
            };
            match self.inner.client.heartbeat(job.job.id, &request).await {
                Ok(ack) if ack.cancel => {
                    tracing::info!("the control plane cancelled the job");
                    return Abort::Cancelled;
                }
                Ok(ack) => lease_expires_at = Some(ack.lease_expires_at),
                Err(e) if lease_lost(&e) => {
                    tracing::warn!(error = %e, "lease lost");
                    return Abort::LeaseLost;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "heartbeat failed");
                    if lease_expires_at.is_some_and(|t| t <= Utc::now()) {
                        return Abort::LeaseLost;
                    }
                }
            }
        }
    }

    async fn report_success(
        &self,
        job: &ClaimedJob,
        store: &Arc<dyn ObjectStore>,
        output: TableOutput,
        warehouse_query_id: Option<String>,
    ) -> JobOutcome {
        let request = CompleteRequest {
            lease_token: job.lease_token.clone(),
            row_count: output.row_count,
            size_bytes: output.size_bytes,
            files: output.exported_files(),
            warehouse_query_id,
            quality: Some(output.quality.clone()),
        };
        match self.inner.client.complete(job.job.id, &request).await {
            Ok(_) => JobOutcome::Completed {
                row_count: output.row_count,
                files: output.files.len(),
            },
            Err(e) if lease_lost(&e) => {
                tracing::warn!(error = %e, "complete refused: the lease is gone");
                if let Err(e) = remove_files(store, &output.files).await {
                    tracing::warn!(error = %e, "could not delete the files of a refused export");
                }
                JobOutcome::LeaseLost
            }
            Err(e) => {
                tracing::error!(error = %e, "could not report completion");
                JobOutcome::Unreported
            }
        }
    }

    async fn report_failure(&self, job: &ClaimedJob, error: &ExportError) -> JobOutcome {
        tracing::warn!(error = %error, code = ?error.code(), retryable = error.retryable(), "export failed");
        self.fail(
            job,
            error.code(),
            error.message(),
            error.retryable(),
            error.quality().cloned(),
        )
        .await
    }

    async fn fail_unstarted(&self, job: &ClaimedJob, message: &str) -> JobOutcome {
        self.fail(job, WorkerErrorCode::Other, message.to_string(), true, None)
            .await
    }

    async fn fail(
        &self,
        job: &ClaimedJob,
        code: WorkerErrorCode,
        message: String,
        retryable: bool,
        quality: Option<graph_olap_api::export::JobQuality>,
    ) -> JobOutcome {
        let request = FailRequest {
            lease_token: job.lease_token.clone(),
            error_code: code,
            error_message: message.clone(),
            retryable,
            quality,
        };
        match self.inner.client.fail(job.job.id, &request).await {
            Ok(_) => JobOutcome::Failed {
                code,
                retryable,
                message,
            },
            Err(e) if lease_lost(&e) => JobOutcome::LeaseLost,
            Err(e) => {
                tracing::error!(error = %e, "could not report the failure");
                JobOutcome::Failed {
                    code,
                    retryable,
                    message,
                }
            }
        }
    }
}

/// The writer options for one job: node tables are cut into files of at most
/// [`NODE_FILE_MAX_ROWS`] rows, which the engine loads without its slow path for full node groups.
fn writer_for(options: &WriterOptions, entity: JobType) -> WriterOptions {
    match entity {
        JobType::Node => WriterOptions {
            max_file_rows: options.max_file_rows.min(NODE_FILE_MAX_ROWS),
            ..options.clone()
        },
        JobType::Edge => options.clone(),
    }
}

fn record(summary: &mut RunSummary, done: Result<JobOutcome, tokio::task::JoinError>) {
    match done {
        Ok(outcome) => summary.record(&outcome),
        Err(e) => tracing::error!(error = %e, "an export task panicked"),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_tables_are_cut_into_files_the_engine_loads_fast() {
        let defaults = WriterOptions::default();
        assert_eq!(
            writer_for(&defaults, JobType::Node).max_file_rows,
            NODE_FILE_MAX_ROWS
        );
        assert_eq!(writer_for(&defaults, JobType::Edge), defaults);
        let smaller = WriterOptions {
            max_file_rows: 100,
            ..WriterOptions::default()
        };
        assert_eq!(writer_for(&smaller, JobType::Node), smaller);
        let node = writer_for(&defaults, JobType::Node);
        assert_eq!(
            WriterOptions {
                max_file_rows: defaults.max_file_rows,
                ..node
            },
            defaults,
            "only the row cap changes"
        );
    }
}
