//! The background job scheduler (API.md §4.12): runs `reconciliation`, `lifecycle`,
//! `export_reconciliation`, `schema_cache` and `instance_orchestration` once right after
//! start-up and then on their intervals (orchestration also whenever it is woken), records every
//! run in the database, and on PostgreSQL lets only one replica run a given job at a time
//! (session advisory lock per job).

use std::time::{Duration, Instant};

use chrono::Utc;
use graph_olap_store::{Dialect, jobs};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

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
    pub const ALL: [Job; 5] = [Job::Reconciliation, Job::Lifecycle, Job::ExportReconciliation, Job::SchemaCache, Job::InstanceOrchestration];

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

    /// Default interval.
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

    fn lock_key(self) -> i64 {
        0x6f6c_6170_0000 + self as i64
    }
}

/// Runs one job now and returns a short summary of what it did.
pub async fn run_job(state: &AppState, job: Job) -> ApiResult<String> {
    Ok(match job {
        Job::Reconciliation => format!("{:?}", crate::orchestration::reconcile(state).await?),
        Job::Lifecycle => format!("{:?}", crate::orchestration::lifecycle(state).await?),
        Job::ExportReconciliation => {
            let report = crate::export_queue::reconcile(state).await?;
            let files = crate::orchestration::delete_snapshot_files(state).await?;
            format!("{report:?}, snapshot file sets deleted: {files}")
        }
        Job::SchemaCache => {
            state.schema.refresh(state).await?;
            "schema cache refreshed".into()
        }
        Job::InstanceOrchestration => format!("{:?}", crate::orchestration::orchestrate(state).await?),
    })
}

/// Runs a job under the scheduler's bookkeeping (and the advisory lock on PostgreSQL); returns
/// `Ok(false)` when another replica holds the job's lock.
pub async fn run_recorded(state: &AppState, job: Job) -> ApiResult<bool> {
    let mut lock_conn = None;
    if state.store.dialect() == Dialect::Postgres {
        let mut conn = state.store.read().await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)").bind(job.lock_key()).fetch_one(&mut *conn).await.map_err(graph_olap_store::StoreError::from)?;
        if !got {
            return Ok(false);
        }
        lock_conn = Some(conn);
    }
    let started = Instant::now();
    {
        let mut tx = state.store.write().await?;
        jobs::started(&mut tx, job.name(), state.now()).await?;
        tx.commit().await?;
    }
    let result = run_job(state, job).await;
    let elapsed = started.elapsed();
    let error = result.as_ref().err().map(|e| e.message.clone());
    match &result {
        Ok(summary) => tracing::debug!(job = job.name(), ms = elapsed.as_millis() as u64, summary = %summary, "background job finished"),
        Err(e) => tracing::warn!(job = job.name(), error = %e.message, "background job failed"),
    }
    let now = state.now();
    let next = now + chrono::Duration::from_std(job.interval()).unwrap_or_default();
    {
        let mut tx = state.store.write().await?;
        jobs::finished(&mut tx, job.name(), now, elapsed.as_millis() as i64, error.as_deref(), next).await?;
        tx.commit().await?;
    }
    if let Some(mut conn) = lock_conn {
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)").bind(job.lock_key()).execute(&mut *conn).await;
    }
    Ok(true)
}

/// Starts the scheduler; it stops when `shutdown` resolves. Every job is due right after start.
pub fn spawn_scheduler(state: AppState, shutdown: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
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
                    Ok(mut conn) => jobs::get(&mut conn, job.name()).await.ok().flatten().is_some_and(|s| jobs::is_due(&s, Utc::now().max(state.now()))),
                    Err(_) => false,
                };
                if due && let Err(e) = run_recorded(&state, job).await {
                    tracing::warn!(job = job.name(), error = %e.message, "background job bookkeeping failed");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = state.orchestrator.notified() => {
                    let _ = run_recorded(&state, Job::InstanceOrchestration).await;
                }
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
