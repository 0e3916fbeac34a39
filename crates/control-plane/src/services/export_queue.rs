//! The export job queue (API.md §4.4, §4.8, §9.2): atomic claims with leases, heartbeats,
//! completion and failure with retry backoff, and the reconciliation pass that expires leases
//! and enforces deadlines. Workers only ever talk to these functions through the internal API.

use chrono::{DateTime, Duration, Utc};
use graph_olap_api::ErrorCode;
use graph_olap_api::SnapshotStatus;
use graph_olap_server_kit::crash::{crash_point, steps};
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::export_jobs::{self, ExportJobRow};
use graph_olap_store::snapshots;
use rand::RngCore;
use sqlx::AnyConnection;

use crate::services::snapshots as snapshot_service;
use crate::state::AppState;
use graph_olap_api::export::{
    CheckPolicy, EdgeEndpoints, ExportJobStatus, ExportedFile, JobQuality, QualityPolicy,
};

/// Delay before the next claim of a job after `attempts` claims: `min(10 s × 2^(attempts−1), 300 s)`.
pub fn retry_delay(attempts: i64) -> Duration {
    let exp = (attempts.max(1) - 1).min(10) as u32;
    Duration::seconds((10i64 * 2i64.pow(exp)).min(300))
}

fn new_token() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A job just claimed, with what the worker needs besides the record.
#[derive(Debug, Clone)]
pub struct Claimed {
    /// The job row (status `claimed`, new lease).
    pub job: ExportJobRow,
    /// The data-quality policy of the job's snapshot.
    pub quality: QualityPolicy,
    /// For edge jobs under a dangling-edge check: the endpoint labels' node files.
    pub endpoints: Option<EdgeEndpoints>,
}

/// Claims up to `limit` jobs for `worker_id` with a lease of `lease_seconds` (§9.2). While the
/// dangling-edge check is on, edge jobs wait until every node job of their snapshot completed.
pub async fn claim(
    state: &AppState,
    worker_id: &str,
    limit: i64,
    lease_seconds: i64,
) -> ApiResult<Vec<Claimed>> {
    let mut tx = state.store.write().await?;
    let now = state.now();
    let max_duration =
        crate::services::platform_config::export_max_duration_seconds(&mut tx).await? as i64;
    let edges_after_nodes = state.settings.quality.dangling_edges != CheckPolicy::Off;
    let mut claimed = Vec::new();
    for mut job in export_jobs::claimable(&mut tx, now, limit, edges_after_nodes).await? {
        job.status = ExportJobStatus::Claimed;
        job.attempts += 1;
        job.claimed_by = Some(worker_id.to_string());
        job.claimed_at = Some(now);
        job.lease_token = Some(new_token());
        job.lease_expires_at = Some(now + Duration::seconds(lease_seconds));
        job.started_at = job.started_at.or(Some(now));
        job.deadline_at = job
            .deadline_at
            .or(Some(now + Duration::seconds(max_duration)));
        job.progress_rows = None;
        job.progress_bytes = None;
        job.updated_at = now;
        export_jobs::save(&mut tx, &job).await?;
        let (mut quality, mut endpoints) = (state.settings.quality, None);
        if let Some(mut s) = snapshots::get_for_update(&mut tx, job.snapshot_id).await? {
            if s.status == SnapshotStatus::Pending {
                s.status = SnapshotStatus::Creating;
                s.updated_at = now;
                snapshots::save(&mut tx, &s).await?;
            }
            quality = s.data_quality.policy;
            endpoints = snapshot_service::edge_endpoints(&mut tx, &job, &s).await?;
        }
        claimed.push(Claimed {
            job,
            quality,
            endpoints,
        });
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Loads a job for a lease-holder's call: 404 if missing, `409 LEASE_EXPIRED` if the token is
/// not the job's current one.
async fn leased(tx: &mut AnyConnection, id: i64, token: &str) -> ApiResult<ExportJobRow> {
    let job = export_jobs::get_for_update(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("export_job", id))?;
    let current = job.lease_token.as_deref().unwrap_or("");
    if current.is_empty()
        || !bool::from(subtle::ConstantTimeEq::ct_eq(
            current.as_bytes(),
            token.as_bytes(),
        ))
    {
        return Err(ApiError::new(
            ErrorCode::LeaseExpired,
            format!("The lease on export job {id} is no longer held; abandon the job"),
        )
        .detail("job_id", id));
    }
    Ok(job)
}

/// Fails a job for good and fails its snapshot (§4.4, §4.2).
async fn fail_for_good(
    tx: &mut AnyConnection,
    job: &mut ExportJobRow,
    code: &str,
    message: String,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    job.status = ExportJobStatus::Failed;
    job.error_code = Some(code.to_string());
    job.error_message = Some(message.clone());
    job.lease_expires_at = None;
    job.updated_at = now;
    export_jobs::save(tx, job).await?;
    snapshot_service::fail_from_job(tx, job, &message, now).await?;
    Ok(())
}

fn timeout_message(job: &ExportJobRow) -> String {
    let secs = match (job.started_at, job.deadline_at) {
        (Some(s), Some(d)) => (d - s).num_seconds(),
        _ => 0,
    };
    format!("Export exceeded the maximum duration of {secs} s")
}

/// Outcome of a heartbeat.
#[derive(Debug, Clone)]
pub struct HeartbeatOutcome {
    /// New lease end.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// Hard deadline.
    pub deadline_at: Option<DateTime<Utc>>,
    /// The worker must abort.
    pub cancel: bool,
}

/// Progress a worker reports with a heartbeat.
#[derive(Debug, Clone, Default)]
pub struct HeartbeatInput {
    /// New lease length.
    pub lease_seconds: Option<i64>,
    /// Warehouse query id.
    pub warehouse_query_id: Option<String>,
    /// Rows written so far.
    pub rows_written: Option<i64>,
    /// Bytes written so far.
    pub bytes_written: Option<i64>,
}

/// Extends a lease and records progress; answers `cancel` when the job was cancelled or its
/// deadline passed (§9.2, §4.8).
pub async fn heartbeat(
    state: &AppState,
    id: i64,
    token: &str,
    input: HeartbeatInput,
) -> ApiResult<HeartbeatOutcome> {
    let mut tx = state.store.write().await?;
    let now = state.now();
    let mut job = leased(&mut tx, id, token).await?;
    let mut cancel = job.status != ExportJobStatus::Claimed;
    let mut timed_out = false;
    if !cancel && job.deadline_at.is_some_and(|d| now > d) {
        let message = timeout_message(&job);
        fail_for_good(&mut tx, &mut job, "EXPORT_TIMEOUT", message, now).await?;
        cancel = true;
        timed_out = true;
    }
    if !cancel {
        job.lease_expires_at = Some(now + Duration::seconds(input.lease_seconds.unwrap_or(120)));
        if input.warehouse_query_id.is_some() {
            job.warehouse_query_id = input.warehouse_query_id;
        }
        job.progress_rows = input.rows_written.or(job.progress_rows);
        job.progress_bytes = input.bytes_written.or(job.progress_bytes);
        job.updated_at = now;
        export_jobs::save(&mut tx, &job).await?;
    }
    tx.commit().await?;
    if timed_out {
        state.metrics.record_export_failure("EXPORT_TIMEOUT");
    }
    Ok(HeartbeatOutcome {
        lease_expires_at: job.lease_expires_at,
        deadline_at: job.deadline_at,
        cancel,
    })
}

/// Marks a job completed with its files and finalises the snapshot when it was the last (§9.2).
/// Repeating with the same token is a no-op.
#[allow(clippy::too_many_arguments)]
pub async fn complete(
    state: &AppState,
    id: i64,
    token: &str,
    row_count: i64,
    size_bytes: i64,
    files: Vec<ExportedFile>,
    query_id: Option<String>,
    quality: Option<JobQuality>,
) -> ApiResult<ExportJobRow> {
    let mut tx = state.store.write().await?;
    let now = state.now();
    let mut job = leased(&mut tx, id, token).await?;
    match job.status {
        ExportJobStatus::Completed => return Ok(job),
        ExportJobStatus::Claimed => {}
        other => {
            return Err(ApiError::invalid_state(
                "export_job",
                id,
                other,
                &["claimed"],
                "job_not_claimed",
                format!("Export job {id} is {other}; it can no longer be completed"),
            ));
        }
    }
    if job.deadline_at.is_some_and(|d| now > d) {
        let message = timeout_message(&job);
        fail_for_good(&mut tx, &mut job, "EXPORT_TIMEOUT", message.clone(), now).await?;
        tx.commit().await?;
        state.metrics.record_export_failure("EXPORT_TIMEOUT");
        return Err(ApiError::invalid_state(
            "export_job",
            id,
            "failed",
            &["claimed"],
            "deadline_passed",
            format!("Export job {id} missed its deadline: {message}"),
        ));
    }
    let file_rows: u64 = files.iter().map(|f| f.row_count).sum();
    let file_bytes: u64 = files.iter().map(|f| f.size_bytes).sum();
    let mut errors = Vec::new();
    if files.is_empty() && row_count > 0 {
        errors.push(graph_olap_api::FieldError::new(
            "files",
            "required",
            "files may be empty only when row_count is 0",
        ));
    }
    if !files.is_empty() && (file_rows as i64 != row_count || file_bytes as i64 != size_bytes) {
        errors.push(graph_olap_api::FieldError::new("files", "inconsistent", format!("files add up to {file_rows} rows / {file_bytes} bytes, but row_count = {row_count} and size_bytes = {size_bytes}")));
    }
    if files.iter().any(|f| {
        f.path.is_empty() || f.path.starts_with('/') || f.path.split('/').any(|p| p == "..")
    }) {
        errors.push(graph_olap_api::FieldError::new(
            "files",
            "invalid_path",
            "file paths must be relative to output_uri and must not contain '..'",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    job.status = ExportJobStatus::Completed;
    job.completed_at = Some(now);
    job.row_count = Some(row_count);
    job.size_bytes = Some(size_bytes);
    job.files = Some(serde_json::to_string(&files).map_err(|e| ApiError::internal(e.to_string()))?);
    job.lease_expires_at = None;
    job.error_code = None;
    job.error_message = None;
    if query_id.is_some() {
        job.warehouse_query_id = query_id;
    }
    job.quality = quality
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    job.updated_at = now;
    export_jobs::save(&mut tx, &job).await?;
    snapshot_service::refresh_quality(&mut tx, job.snapshot_id).await?;
    snapshot_service::finalise_if_complete(&mut tx, state, job.snapshot_id).await?;
    tx.commit().await?;
    crash_point(steps::EXPORT_COMPLETE_COMMITTED);
    Ok(job)
}

/// Records a worker's failure: back to `pending` with backoff when retryable and allowed, else
/// `failed` (failing the snapshot). Repeats with the same token return the current state.
pub async fn fail(
    state: &AppState,
    id: i64,
    token: &str,
    code: &str,
    message: &str,
    retryable: bool,
    quality: Option<JobQuality>,
) -> ApiResult<ExportJobRow> {
    let mut tx = state.store.write().await?;
    let now = state.now();
    let mut job = leased(&mut tx, id, token).await?;
    if job.status != ExportJobStatus::Claimed {
        return Ok(job);
    }
    if let Some(found) = &quality {
        job.quality =
            Some(serde_json::to_string(found).map_err(|e| ApiError::internal(e.to_string()))?);
    }
    let deadline_passed = job.deadline_at.is_some_and(|d| now > d);
    if deadline_passed {
        let m = timeout_message(&job);
        fail_for_good(&mut tx, &mut job, "EXPORT_TIMEOUT", m, now).await?;
    } else if retryable && job.attempts < job.max_attempts {
        requeue(&mut job, code, message, now);
        export_jobs::save(&mut tx, &job).await?;
    } else {
        let message = if retryable {
            format!("{message} (gave up after {} attempts)", job.attempts)
        } else {
            message.to_string()
        };
        fail_for_good(&mut tx, &mut job, code, message, now).await?;
    }
    tx.commit().await?;
    state
        .metrics
        .record_export_failure(job.error_code.as_deref().unwrap_or("OTHER"));
    Ok(job)
}

fn requeue(job: &mut ExportJobRow, code: &str, message: &str, now: DateTime<Utc>) {
    job.status = ExportJobStatus::Pending;
    job.available_at = now + retry_delay(job.attempts);
    job.lease_expires_at = None;
    job.claimed_by = None;
    job.error_code = Some(code.to_string());
    job.error_message = Some(message.to_string());
    job.updated_at = now;
}

/// Returns to the queue, at once, every job claimed by a worker whose id starts with
/// `worker_prefix`, and returns how many. Only for a process that knows those workers are dead:
/// `graph-olap up` at start-up owns its data directory alone, so the jobs its embedded worker
/// held before a crash would otherwise wait for their leases (two minutes) to expire.
pub async fn release_claims_of(state: &AppState, worker_prefix: &str) -> ApiResult<usize> {
    let mut tx = state.store.write().await?;
    let now = state.now();
    let mut released = 0;
    for job in export_jobs::list(&mut tx, Some(ExportJobStatus::Claimed), 1000).await? {
        if !job
            .claimed_by
            .as_deref()
            .is_some_and(|w| w.starts_with(worker_prefix))
        {
            continue;
        }
        let Some(mut job) = export_jobs::get_for_update(&mut tx, job.id).await? else {
            continue;
        };
        if job.status != ExportJobStatus::Claimed {
            continue;
        }
        job.lease_token = None;
        requeue(
            &mut job,
            "LEASE_EXPIRED",
            "the worker's process stopped (restarted) during the export",
            now,
        );
        job.available_at = now;
        export_jobs::save(&mut tx, &job).await?;
        released += 1;
    }
    tx.commit().await?;
    Ok(released)
}

/// What one reconciliation pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Leases that expired and were returned to the queue.
    pub requeued: usize,
    /// Jobs failed (deadline passed or retries exhausted).
    pub failed: usize,
    /// Snapshots that became ready.
    pub finalised: usize,
}

/// `export_reconciliation` (§4.12): expire leases, enforce deadlines, finalise snapshots whose
/// jobs are all complete.
pub async fn reconcile(state: &AppState) -> ApiResult<ReconcileReport> {
    let mut report = ReconcileReport::default();
    let mut tx = state.store.write().await?;
    let now = state.now();
    let mut failure_codes = Vec::new();
    for mut job in export_jobs::overdue(&mut tx, now, 500).await? {
        if job.deadline_at.is_some_and(|d| now > d) {
            let m = timeout_message(&job);
            fail_for_good(&mut tx, &mut job, "EXPORT_TIMEOUT", m, now).await?;
            report.failed += 1;
            failure_codes.push("EXPORT_TIMEOUT");
        } else if job.attempts < job.max_attempts {
            job.lease_token = None;
            requeue(
                &mut job,
                "LEASE_EXPIRED",
                "the worker stopped renewing its lease",
                now,
            );
            export_jobs::save(&mut tx, &job).await?;
            report.requeued += 1;
            failure_codes.push("LEASE_EXPIRED");
        } else {
            job.lease_token = None;
            let m = format!(
                "the worker stopped renewing its lease (gave up after {} attempts)",
                job.attempts
            );
            fail_for_good(&mut tx, &mut job, "LEASE_EXPIRED", m, now).await?;
            report.failed += 1;
            failure_codes.push("LEASE_EXPIRED");
        }
    }
    tx.commit().await?;
    for code in failure_codes {
        state.metrics.record_export_failure(code);
    }
    let creating =
        snapshots::ids_with_status(&mut *state.store.read().await?, &[SnapshotStatus::Creating])
            .await?;
    for id in creating {
        let mut tx = state.store.write().await?;
        if snapshot_service::finalise_if_complete(&mut tx, state, id).await? {
            report.finalised += 1;
        }
        tx.commit().await?;
    }
    Ok(report)
}
