//! The background job scheduler (API.md §4.12): runs `reconciliation`, `lifecycle`,
//! `export_reconciliation`, `schema_cache` and `instance_orchestration` once right after
//! start-up and then on their intervals (orchestration also whenever it is woken), records every
//! run in the database, and on PostgreSQL lets only one replica run a given job at a time
//! (a run lease per job in the database, [`JobLock`], with the due time re-checked under it so a
//! run that another replica just finished is not repeated).
//!
//! Also owns manual triggers (API.md §7.3: one accepted trigger per job per 60 s, decided in the
//! database so every replica shares the window) and the `JobStatus` view (§3.15).

pub mod orchestration;

use std::time::{Duration, Instant};

use axum::http::header;
use chrono::{DateTime, Utc};
use graph_olap_api::ErrorCode;
use graph_olap_api::ops::{JobHealth, JobStatus, JobTrigger, LastTrigger};
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::jobs::{self, JobState, TriggerOutcome};
use graph_olap_store::{Dialect, audit};

use crate::state::AppState;

/// Consecutive failures after which a job counts as unhealthy (§3.15).
pub const UNHEALTHY_AFTER: i64 = 3;

/// Window of the manual-trigger rate limit: one accepted trigger per job per window (§7.3).
pub const TRIGGER_WINDOW: chrono::Duration = chrono::Duration::seconds(60);

/// A background job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Runtime units vs. the database.
    Reconciliation,
    /// TTL and inactivity expiry, purge.
    Lifecycle,
    /// Leases, deadlines, snapshot finalisation, file deletion.
    ExportReconciliation,
    /// Warehouse metadata refresh.
    SchemaCache,
    /// Waiting instances → starting → scheduled.
    InstanceOrchestration,
}

impl Job {
    /// Every job.
    pub const ALL: [Job; 5] = [
        Job::Reconciliation,
        Job::Lifecycle,
        Job::ExportReconciliation,
        Job::SchemaCache,
        Job::InstanceOrchestration,
    ];

    /// Wire name.
    pub fn name(self) -> &'static str {
        match self {
            Job::Reconciliation => "reconciliation",
            Job::Lifecycle => "lifecycle",
            Job::ExportReconciliation => "export_reconciliation",
            Job::SchemaCache => "schema_cache",
            Job::InstanceOrchestration => "instance_orchestration",
        }
    }

    /// Parses a wire name.
    pub fn parse(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.name() == name)
    }

    /// The interval configured for this job (`Settings::job_intervals`), else its default.
    pub fn interval_in(self, settings: &crate::settings::Settings) -> Duration {
        settings
            .job_intervals
            .get(self.name())
            .copied()
            .unwrap_or_else(|| self.interval())
    }

    /// Default interval (API.md §4.12).
    pub fn interval(self) -> Duration {
        Duration::from_secs(match self {
            Job::Reconciliation | Job::Lifecycle => 60,
            Job::ExportReconciliation => 30,
            Job::SchemaCache => 86_400,
            Job::InstanceOrchestration => 10,
        })
    }

    /// Whether `trigger_job` may run it.
    pub fn triggerable(self) -> bool {
        self != Job::InstanceOrchestration
    }

    /// Wire names of the jobs `POST /api/ops/jobs/trigger` accepts.
    pub const TRIGGERABLE: [&'static str; 4] = [
        "reconciliation",
        "lifecycle",
        "export_reconciliation",
        "schema_cache",
    ];

    /// One-line description (job status).
    pub fn description(self) -> &'static str {
        match self {
            Job::Reconciliation => {
                "Compares instances with runtime units: fails lost ones, finishes stops, times out stuck starts, removes orphans"
            }
            Job::Lifecycle => {
                "Expires instances, snapshots and mappings past their TTL or inactivity timeout; purges old terminated instances"
            }
            Job::ExportReconciliation => {
                "Expires export leases, enforces export deadlines, finalises snapshots and removes deleted snapshot files"
            }
            Job::SchemaCache => "Refreshes the warehouse metadata cache behind the schema browser",
            Job::InstanceOrchestration => {
                "Starts runtime units for instances whose snapshot is ready"
            }
        }
    }
}

/// Runs one job now and returns a short summary of what it did.
pub async fn run_job(state: &AppState, job: Job) -> ApiResult<String> {
    Ok(match job {
        Job::Reconciliation => format!("{:?}", crate::jobs::orchestration::reconcile(state).await?),
        Job::Lifecycle => format!("{:?}", crate::jobs::orchestration::lifecycle(state).await?),
        Job::ExportReconciliation => {
            let report = crate::services::export_queue::reconcile(state).await?;
            let files = crate::jobs::orchestration::delete_snapshot_files(state).await?;
            format!("{report:?}, snapshot file sets deleted: {files}")
        }
        Job::SchemaCache => {
            state.schema.refresh(state).await?;
            "schema cache refreshed".into()
        }
        Job::InstanceOrchestration => {
            format!(
                "{:?}",
                crate::jobs::orchestration::orchestrate(state).await?
            )
        }
    })
}

/// How long a job's run lease holds without renewal. Its holder renews it every third of that
/// while the job runs; a replica that dies mid-run delays the job by at most this much.
pub const JOB_LEASE: Duration = Duration::from_secs(30);

/// The run lease that lets one replica at a time run a job (PostgreSQL; SQLite has one process).
///
/// A row in the database (`graph_olap_store::jobs::take_lease`), not a session lock: a
/// PostgreSQL advisory lock is freed the moment its session's connection drops — a reset on the
/// way to the database was enough for a second replica to start the job while the first still
/// ran it (found by the load-with-faults test). The lease holds until its holder releases it or
/// stops renewing it for [`JOB_LEASE`]. Release it with [`JobLock::release`]; if it is dropped
/// instead, renewal stops and the lease expires.
pub struct JobLock {
    held: Option<Held>,
}

struct Held {
    state: AppState,
    job: Job,
    renewal: tokio::task::JoinHandle<()>,
}

impl JobLock {
    /// Takes the lease of `job` without waiting; `None` while another replica holds it.
    pub async fn acquire(state: &AppState, job: Job) -> ApiResult<Option<JobLock>> {
        if state.store.dialect() != Dialect::Postgres {
            return Ok(Some(JobLock { held: None }));
        }
        let now = state.now();
        let mut tx = state.store.write().await?;
        let taken =
            jobs::take_lease(&mut tx, job.name(), &state.replica_id, now, now + lease()).await?;
        tx.commit().await?;
        if !taken {
            return Ok(None);
        }
        let renewal = tokio::spawn(renew(state.clone(), job));
        Ok(Some(JobLock {
            held: Some(Held {
                state: state.clone(),
                job,
                renewal,
            }),
        }))
    }

    /// Stops renewing and gives the lease up (when that fails, it expires by itself).
    pub async fn release(mut self) {
        let Some(held) = self.held.take() else {
            return;
        };
        held.renewal.abort();
        let released = async {
            let mut tx = held.state.store.write().await?;
            jobs::release_lease(&mut tx, held.job.name(), &held.state.replica_id).await?;
            tx.commit().await?;
            Ok::<_, ApiError>(())
        }
        .await;
        if let Err(e) = released {
            tracing::warn!(job = held.job.name(), error = %e.message, "could not release the job's lease; it expires by itself");
        }
    }
}

impl Drop for JobLock {
    fn drop(&mut self) {
        if let Some(held) = self.held.take() {
            held.renewal.abort();
        }
    }
}

fn lease() -> chrono::Duration {
    chrono::Duration::from_std(JOB_LEASE).unwrap_or_default()
}

/// Renews the lease of `job` every third of [`JOB_LEASE`] until aborted; a failed renewal is
/// retried at the next tick (the lease covers two of them), a lost lease is reported.
async fn renew(state: AppState, job: Job) {
    loop {
        tokio::time::sleep(JOB_LEASE / 3).await;
        let renewed = async {
            let mut tx = state.store.write().await?;
            let until = state.now() + lease();
            let held = jobs::renew_lease(&mut tx, job.name(), &state.replica_id, until).await?;
            tx.commit().await?;
            Ok::<_, ApiError>(held)
        }
        .await;
        match renewed {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(job = job.name(), "the job's lease was lost while it ran");
                return;
            }
            Err(e) => {
                tracing::warn!(job = job.name(), error = %e.message, "could not renew the job's lease; retrying")
            }
        }
    }
}

/// Runs a job under the scheduler's bookkeeping (and its run lease on PostgreSQL); returns
/// `Ok(false)` when another replica holds the job's lease.
pub async fn run_recorded(state: &AppState, job: Job) -> ApiResult<bool> {
    run_guarded(state, job, false).await
}

/// Like [`run_recorded`], but only if the job is still due once its lock is held: the
/// scheduler's path, so two replicas that both saw a job due run it once between them.
pub async fn run_if_due(state: &AppState, job: Job) -> ApiResult<bool> {
    run_guarded(state, job, true).await
}

async fn run_guarded(state: &AppState, job: Job, only_if_due: bool) -> ApiResult<bool> {
    let Some(lock) = JobLock::acquire(state, job).await? else {
        return Ok(false);
    };
    let outcome = run_locked(state, job, only_if_due).await;
    lock.release().await;
    outcome
}

async fn run_locked(state: &AppState, job: Job, only_if_due: bool) -> ApiResult<bool> {
    if only_if_due {
        let current = jobs::get(&mut *state.store.read().await?, job.name()).await?;
        if !current.is_some_and(|s| jobs::is_due(&s, Utc::now().max(state.now()))) {
            return Ok(false);
        }
    }
    let started = Instant::now();
    {
        let mut tx = state.store.write().await?;
        jobs::started(&mut tx, job.name(), state.now()).await?;
        tx.commit().await?;
    }
    let result = run_job(state, job).await;
    let elapsed = started.elapsed();
    state
        .metrics
        .record_job_run(job, result.is_ok(), elapsed.as_secs_f64());
    let error = result.as_ref().err().map(|e| e.message.clone());
    match &result {
        Ok(summary) => {
            tracing::debug!(job = job.name(), ms = elapsed.as_millis() as u64, summary = %summary, "background job finished")
        }
        Err(e) => tracing::warn!(job = job.name(), error = %e.message, "background job failed"),
    }
    let now = state.now();
    let next =
        now + chrono::Duration::from_std(job.interval_in(&state.settings)).unwrap_or_default();
    let mut tx = state.store.write().await?;
    jobs::finished(
        &mut tx,
        job.name(),
        now,
        elapsed.as_millis() as i64,
        error.as_deref(),
        next,
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Creates missing job rows (due now) without disturbing existing ones, so status views and
/// triggers work before the scheduler's first pass (and on replicas that run no scheduler).
pub async fn ensure_rows(state: &AppState) -> ApiResult<()> {
    let mut tx = state.store.write().await?;
    for job in Job::ALL {
        jobs::ensure_exists(&mut tx, job.name(), state.now()).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Accepts a manual trigger of `job` (§7.3): at most one per job per [`TRIGGER_WINDOW`], shared
/// by every replica through the database; audited with `reason`. The job becomes due at once and
/// the local scheduler is woken (other replicas' schedulers notice within a second).
pub async fn trigger(state: &AppState, job: Job, by: &str, reason: &str) -> ApiResult<JobTrigger> {
    let now = state.now();
    let mut tx = state.store.write().await?;
    match jobs::trigger_rate_limited(&mut tx, job.name(), by, reason, now, TRIGGER_WINDOW).await? {
        TriggerOutcome::Accepted => {}
        TriggerOutcome::Limited { last_triggered_at } => {
            return Err(rate_limited(job, last_triggered_at, now));
        }
    }
    let rid = graph_olap_server_kit::request_id::current();
    let record = audit::AuditRecord {
        actor: by,
        action: "job.trigger",
        resource_type: "background_job",
        resource_id: Some(job.name().into()),
        details: serde_json::json!({"reason": reason}),
        request_id: Some(&rid),
    };
    audit::record(&mut tx, record, now).await?;
    tx.commit().await?;
    state.wake_scheduler();
    Ok(JobTrigger {
        job_name: job.name().into(),
        status: "queued".into(),
        triggered_at: now,
        triggered_by: by.into(),
        reason: reason.into(),
    })
}

/// `429 RATE_LIMITED` with `Retry-After` for a trigger inside the window opened at `last`.
fn rate_limited(job: Job, last: DateTime<Utc>, now: DateTime<Utc>) -> ApiError {
    let remaining_ms = (last + TRIGGER_WINDOW - now).num_milliseconds().max(0);
    let retry_after = ((remaining_ms + 999) / 1000).max(1);
    ApiError::new(
        ErrorCode::RateLimited,
        format!(
            "Job '{}' was already triggered at {}; it can be triggered again in {retry_after} s",
            job.name(),
            graph_olap_api::time::format_ts(&last)
        ),
    )
    .detail("job_name", job.name())
    .detail("retry_after_seconds", retry_after)
    .detail("last_triggered_at", graph_olap_api::time::format_ts(&last))
    .header(header::RETRY_AFTER, retry_after.to_string())
}

/// The status of every job, in the order of §4.12.
pub async fn status(state: &AppState) -> ApiResult<Vec<JobStatus>> {
    let stored = jobs::all(&mut *state.store.read().await?).await?;
    Ok(Job::ALL
        .into_iter()
        .map(|job| {
            status_of(
                job,
                job.interval_in(&state.settings),
                stored.iter().find(|s| s.name == job.name()),
            )
        })
        .collect())
}

/// The wire status of one job running every `interval` from its stored state (`None`: never
/// scheduled).
pub fn status_of(job: Job, interval: Duration, stored: Option<&JobState>) -> JobStatus {
    let interval = interval.as_secs();
    let failures = stored.map(|s| s.consecutive_failures).unwrap_or(0);
    let finished_once =
        stored.is_some_and(|s| s.last_success_at.is_some() || s.last_failure_at.is_some());
    let health_status = match (failures >= UNHEALTHY_AFTER, finished_once) {
        (true, _) => JobHealth::Unhealthy,
        (false, true) => JobHealth::Healthy,
        (false, false) => JobHealth::Unknown,
    };
    JobStatus {
        name: job.name().into(),
        description: job.description().into(),
        triggerable: job.triggerable(),
        interval_seconds: interval,
        schedule: format!("every {interval}s"),
        next_run: stored.and_then(|s| s.next_run_at),
        running: stored.is_some_and(|s| s.running),
        last_run_at: stored.and_then(|s| s.last_run_at),
        last_success_at: stored.and_then(|s| s.last_success_at),
        last_failure_at: stored.and_then(|s| s.last_failure_at),
        last_duration_ms: stored.and_then(|s| s.last_duration_ms),
        last_error: stored.and_then(|s| s.last_error.clone()),
        consecutive_failures: failures,
        health_status,
        last_trigger: stored.and_then(|s| {
            s.last_trigger_at.map(|at| LastTrigger {
                triggered_at: at,
                triggered_by: s.last_trigger_by.clone(),
                reason: s.last_trigger_reason.clone(),
            })
        }),
    }
}

/// Starts the scheduler; it stops when `shutdown` resolves. Every job is due right after start.
pub fn spawn_scheduler(
    state: AppState,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = init(&state).await {
            tracing::error!(error = %e.message, "cannot initialise background jobs");
        }
        let mut shutdown = shutdown;
        loop {
            for job in Job::ALL {
                if *shutdown.borrow() {
                    return;
                }
                let due = match state.store.read().await {
                    Ok(mut conn) => jobs::get(&mut conn, job.name())
                        .await
                        .ok()
                        .flatten()
                        .is_some_and(|s| jobs::is_due(&s, Utc::now().max(state.now()))),
                    Err(_) => false,
                };
                if due && let Err(e) = run_if_due(&state, job).await {
                    tracing::warn!(job = job.name(), error = %e.message, "background job bookkeeping failed");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = state.orchestrator.notified() => {
                    let _ = run_recorded(&state, Job::InstanceOrchestration).await;
                }
                _ = state.scheduler.notified() => {}
                _ = shutdown.changed() => return,
            }
        }
    })
}

async fn init(state: &AppState) -> Result<(), ApiError> {
    let mut tx = state.store.write().await?;
    for job in Job::ALL {
        jobs::ensure(&mut tx, job.name(), state.now()).await?;
    }
    tx.commit().await?;
    Ok(())
}
