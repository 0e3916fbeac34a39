//! State of the control plane's background jobs (API.md §4.12): schedule, last run, failures
//! and manual triggers, kept in the database so every replica and `get_job_status` see it.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use crate::clock::to_millis;
use crate::db::sql;
use crate::error::StoreError;
use crate::snapshots::opt_ts;

/// One background job's persisted state.
#[derive(Debug, Clone, PartialEq)]
pub struct JobState {
    /// Job name.
    pub name: String,
    /// A run is in progress.
    pub running: bool,
    /// When it runs next.
    pub next_run_at: Option<DateTime<Utc>>,
    /// Start of the last run.
    pub last_run_at: Option<DateTime<Utc>>,
    /// End of the last successful run.
    pub last_success_at: Option<DateTime<Utc>>,
    /// End of the last failed run.
    pub last_failure_at: Option<DateTime<Utc>>,
    /// Duration of the last run.
    pub last_duration_ms: Option<i64>,
    /// Error of the last failed run.
    pub last_error: Option<String>,
    /// Failed runs since the last success.
    pub consecutive_failures: i64,
    /// A manual trigger waits to be picked up.
    pub trigger_pending: bool,
    /// Last manual trigger.
    pub last_trigger_at: Option<DateTime<Utc>>,
    /// Who triggered it.
    pub last_trigger_by: Option<String>,
    /// Why.
    pub last_trigger_reason: Option<String>,
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<JobState, StoreError> {
    Ok(JobState {
        name: r.try_get("name")?,
        running: r.try_get::<i64, _>("running")? != 0,
        next_run_at: opt_ts(r, "next_run_at")?,
        last_run_at: opt_ts(r, "last_run_at")?,
        last_success_at: opt_ts(r, "last_success_at")?,
        last_failure_at: opt_ts(r, "last_failure_at")?,
        last_duration_ms: r.try_get("last_duration_ms")?,
        last_error: r.try_get("last_error")?,
        consecutive_failures: r.try_get("consecutive_failures")?,
        trigger_pending: r.try_get::<i64, _>("trigger_pending")? != 0,
        last_trigger_at: opt_ts(r, "last_trigger_at")?,
        last_trigger_by: r.try_get("last_trigger_by")?,
        last_trigger_reason: r.try_get("last_trigger_reason")?,
    })
}

/// Creates the row of a job if missing, due at `first_run`; a stale `running` flag left by a
/// crashed process is cleared.
pub async fn ensure(
    conn: &mut AnyConnection,
    name: &str,
    first_run: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "INSERT INTO background_jobs (name, next_run_at) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET running = 0, next_run_at = $2",
    );
    sqlx::query(q)
        .bind(name)
        .bind(to_millis(first_run))
        .execute(conn)
        .await?;
    Ok(())
}

/// Every job's state, by name.
pub async fn all(conn: &mut AnyConnection) -> Result<Vec<JobState>, StoreError> {
    let q = sql(conn, "SELECT * FROM background_jobs ORDER BY name");
    sqlx::query(q)
        .fetch_all(conn)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// One job's state.
pub async fn get(conn: &mut AnyConnection, name: &str) -> Result<Option<JobState>, StoreError> {
    let q = sql(conn, "SELECT * FROM background_jobs WHERE name = $1");
    sqlx::query(q)
        .bind(name)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Marks a run as started.
pub async fn started(
    conn: &mut AnyConnection,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "UPDATE background_jobs SET running = 1, last_run_at = $1, trigger_pending = 0 WHERE name = $2",
    );
    sqlx::query(q)
        .bind(to_millis(now))
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records the end of a run (`error = None` for success) and the next due time.
pub async fn finished(
    conn: &mut AnyConnection,
    name: &str,
    now: DateTime<Utc>,
    duration_ms: i64,
    error: Option<&str>,
    next_run: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = match error {
        None => sql(
            conn,
            "UPDATE background_jobs SET running = 0, last_success_at = $1, last_duration_ms = $2, consecutive_failures = 0, next_run_at = $3, last_error = NULL WHERE name = $4",
        ),
        Some(_) => sql(
            conn,
            "UPDATE background_jobs SET running = 0, last_failure_at = $1, last_duration_ms = $2, consecutive_failures = consecutive_failures + 1, next_run_at = $3, last_error = $5 WHERE name = $4",
        ),
    };
    let mut query = sqlx::query(q)
        .bind(to_millis(now))
        .bind(duration_ms)
        .bind(to_millis(next_run))
        .bind(name);
    if let Some(e) = error {
        query = query.bind(e);
    }
    query.execute(conn).await?;
    Ok(())
}

/// Records a manual trigger; the scheduler runs the job on its next tick.
pub async fn trigger(
    conn: &mut AnyConnection,
    name: &str,
    by: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "UPDATE background_jobs SET trigger_pending = 1, last_trigger_at = $1, last_trigger_by = $2, last_trigger_reason = $3 WHERE name = $4",
    );
    sqlx::query(q)
        .bind(to_millis(now))
        .bind(by)
        .bind(reason)
        .bind(name)
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether `now` is at or after the stored due time (or a trigger is pending).
pub fn is_due(state: &JobState, now: DateTime<Utc>) -> bool {
    state.trigger_pending || state.next_run_at.is_none_or(|t| t <= now)
}

/// Creates the row of a job if it is missing (due at `first_run`), leaving an existing row
/// untouched; used at start-up so status views and triggers always find every job.
pub async fn ensure_exists(
    conn: &mut AnyConnection,
    name: &str,
    first_run: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "INSERT INTO background_jobs (name, next_run_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
    );
    sqlx::query(q)
        .bind(name)
        .bind(to_millis(first_run))
        .execute(conn)
        .await?;
    Ok(())
}

/// Takes the run lease of job `name` for `holder` until `until`, unless another holder's lease
/// is still valid at `now`; `true` when taken (or renewed: the holder may take it again).
///
/// One conditional upsert decides, so of any number of replicas racing for a free lease exactly
/// one gets it. Unlike a session lock, the lease outlives its holder's connections: a replica
/// whose database connection drops mid-run still holds it, and a replica that died leaves it to
/// expire at `until`.
pub async fn take_lease(
    conn: &mut AnyConnection,
    name: &str,
    holder: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let q = sql(
        conn,
        "INSERT INTO background_jobs (name, lease_holder, lease_until) VALUES ($1, $2, $3) \
        ON CONFLICT (name) DO UPDATE SET lease_holder = $2, lease_until = $3 \
        WHERE background_jobs.lease_holder IS NULL OR background_jobs.lease_holder = $2 \
        OR background_jobs.lease_until IS NULL OR background_jobs.lease_until <= $4",
    );
    let done = sqlx::query(q)
        .bind(name)
        .bind(holder)
        .bind(to_millis(until))
        .bind(to_millis(now))
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Extends `holder`'s lease of job `name` to `until`; `false` when it no longer holds it.
pub async fn renew_lease(
    conn: &mut AnyConnection,
    name: &str,
    holder: &str,
    until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let q = sql(
        conn,
        "UPDATE background_jobs SET lease_until = $1 WHERE name = $2 AND lease_holder = $3",
    );
    let done = sqlx::query(q)
        .bind(to_millis(until))
        .bind(name)
        .bind(holder)
        .execute(conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Gives up `holder`'s lease of job `name` (nothing when another holds it).
pub async fn release_lease(
    conn: &mut AnyConnection,
    name: &str,
    holder: &str,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "UPDATE background_jobs SET lease_holder = NULL, lease_until = NULL WHERE name = $1 AND lease_holder = $2",
    );
    sqlx::query(q).bind(name).bind(holder).execute(conn).await?;
    Ok(())
}

/// Outcome of [`trigger_rate_limited`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerOutcome {
    /// The trigger was recorded; the job is due now.
    Accepted,
    /// A trigger was accepted less than the window ago (at this instant).
    Limited {
        /// When the trigger that opened the current window was accepted.
        last_triggered_at: DateTime<Utc>,
    },
}

/// Records a manual trigger unless one was accepted within `window` before `now`.
///
/// One conditional upsert decides, so concurrent requests on any number of replicas accept at
/// most one trigger per window (the row lock serialises them and the loser's condition is
/// re-evaluated against the winner's row). An accepted trigger sets `trigger_pending` and makes
/// the job due at `now`; a refused one changes nothing.
pub async fn trigger_rate_limited(
    conn: &mut AnyConnection,
    name: &str,
    by: &str,
    reason: &str,
    now: DateTime<Utc>,
    window: chrono::Duration,
) -> Result<TriggerOutcome, StoreError> {
    let q = sql(
        conn,
        "INSERT INTO background_jobs (name, next_run_at, trigger_pending, last_trigger_at, last_trigger_by, last_trigger_reason) VALUES ($1, $2, 1, $2, $3, $4) \
        ON CONFLICT (name) DO UPDATE SET trigger_pending = 1, next_run_at = $2, last_trigger_at = $2, last_trigger_by = $3, last_trigger_reason = $4 \
        WHERE background_jobs.last_trigger_at IS NULL OR background_jobs.last_trigger_at <= $5",
    );
    let done = sqlx::query(q)
        .bind(name)
        .bind(to_millis(now))
        .bind(by)
        .bind(reason)
        .bind(to_millis(now - window))
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() > 0 {
        return Ok(TriggerOutcome::Accepted);
    }
    let last = get(conn, name)
        .await?
        .and_then(|s| s.last_trigger_at)
        .unwrap_or(now);
    Ok(TriggerOutcome::Limited {
        last_triggered_at: last,
    })
}
