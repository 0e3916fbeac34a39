//! Failed authentications per client address, counted in fixed windows in the metadata database
//! so that every control plane on it sees one count (API.md §1.14's limit holds for the platform,
//! not per replica).
//!
//! Owns the atomic count (one `INSERT … ON CONFLICT … RETURNING` statement: two replicas counting
//! at once both land, and a window that has ended restarts at one) and purging ended windows.
//! Does not own the limit, the window's length or what counts as a failure: the control plane's
//! throttle decides those and passes the instants in.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use crate::clock::{from_millis, to_millis};
use crate::db::sql;
use crate::error::StoreError;

/// One address's current window as all replicas have counted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SharedWindow {
    /// When the window opened.
    pub opened_at: DateTime<Utc>,
    /// Failures counted in it, by every replica.
    pub failures: i64,
}

/// Counts one failure of `peer` at `now`; a window opened before `ended_before` has ended and
/// restarts at `now` with this failure. Returns the window after the count.
pub async fn record(
    conn: &mut AnyConnection,
    peer: &str,
    now: DateTime<Utc>,
    ended_before: DateTime<Utc>,
) -> Result<SharedWindow, StoreError> {
    let q = sql(
        conn,
        "INSERT INTO auth_failures (peer, opened_at, failures) VALUES ($1, $2, 1) \
         ON CONFLICT (peer) DO UPDATE SET \
             failures = CASE WHEN auth_failures.opened_at < $3 THEN 1 ELSE auth_failures.failures + 1 END, \
             opened_at = CASE WHEN auth_failures.opened_at < $3 THEN excluded.opened_at ELSE auth_failures.opened_at END \
         RETURNING opened_at, failures",
    );
    let row = sqlx::query(q)
        .bind(peer)
        .bind(to_millis(now))
        .bind(to_millis(ended_before))
        .fetch_one(&mut *conn)
        .await?;
    Ok(SharedWindow {
        opened_at: from_millis(row.try_get("opened_at")?),
        failures: row.try_get("failures")?,
    })
}

/// Deletes the windows opened before `before` (ended ones); returns how many.
pub async fn purge(conn: &mut AnyConnection, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let q = sql(conn, "DELETE FROM auth_failures WHERE opened_at < $1");
    let done = sqlx::query(q)
        .bind(to_millis(before))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}
