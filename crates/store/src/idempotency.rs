//! Idempotency keys (API.md §1.11): one row per (user, method, path, key) holding the request-body
//! hash, the resource the request created (written by the create's own transaction) and, once
//! the request succeeded, its status and stored response.
//!
//! Owns the atomic claim of a key (a single `INSERT … ON CONFLICT` statement, so two concurrent
//! requests can never both own it), recording a claim's outcome, completing and releasing a
//! claim, and purging old rows. A row whose `status_code` is `NULL` is "in flight" — unless it
//! has an outcome: then its create committed and only the response was lost (the process died in
//! between), and the row is never released nor taken over, so a retry can never create twice.
//! Does not own hashing, header validation, what a stored response looks like, the resource
//! kinds, or the retention policy — the control plane decides those and passes them in.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use crate::clock::{from_millis, to_millis};
use crate::db::sql;
use crate::error::StoreError;

/// Identifies one key: who used it, on which method and concrete path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyScope {
    /// The caller's username.
    pub username: String,
    /// HTTP method, upper-case.
    pub method: String,
    /// Concrete request path, e.g. `/api/mappings/7/copy`.
    pub path: String,
    /// The `Idempotency-Key` header value.
    pub key: String,
}

/// A stored key as found by a claim that did not win.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredKey {
    /// SHA-256 (hex) of the body of the request that first used the key.
    pub body_sha256: String,
    /// Status of the stored response; `None` while the first request is in flight.
    pub status_code: Option<u16>,
    /// The stored response, in whatever form the control plane wrote it.
    pub response: Option<String>,
    /// What the first request created, once its transaction committed.
    pub outcome: Option<Outcome>,
    /// When the key was claimed.
    pub created_at: DateTime<Utc>,
}

/// The resource a keyed create made, recorded in the create's own transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The resource's kind, as the control plane names it (e.g. `mapping`).
    pub kind: String,
    /// The resource's id.
    pub id: i64,
}

/// Outcome of [`claim`].
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The caller owns the key now; `claimed_at` identifies this claim for [`complete`]/[`release`].
    Claimed {
        /// The claim's timestamp (also the row's `created_at`).
        claimed_at: DateTime<Utc>,
    },
    /// Someone else holds the key, in flight or completed.
    Held(StoredKey),
}

/// Rows older than these instants may be taken over by a new claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reclaim {
    /// Any row created before this has expired (retention window).
    pub expired_before: DateTime<Utc>,
    /// An in-flight row created before this belongs to a request that died.
    pub abandoned_before: DateTime<Utc>,
}

/// Claims `scope` for a request whose body hashes to `body_sha256`, atomically: a new row is
/// inserted, or an expired/abandoned one is overwritten, in one statement. Otherwise the existing
/// row is returned.
pub async fn claim(
    conn: &mut AnyConnection,
    scope: &KeyScope,
    body_sha256: &str,
    now: DateTime<Utc>,
    reclaim: Reclaim,
) -> Result<Claim, StoreError> {
    // A row may disappear between a lost claim and the read (its request failed and released it);
    // then the claim is simply tried again.
    for _ in 0..3 {
        let q = sql(
            conn,
            "INSERT INTO idempotency_keys (username, method, path, idem_key, body_sha256, status_code, response_body, created_at) \
             VALUES ($1, $2, $3, $4, $5, NULL, NULL, $6) \
             ON CONFLICT (username, method, path, idem_key) DO UPDATE SET \
                 body_sha256 = excluded.body_sha256, status_code = NULL, response_body = NULL, \
                 resource_kind = NULL, resource_id = NULL, created_at = excluded.created_at \
             WHERE idempotency_keys.created_at < $7 \
                OR (idempotency_keys.status_code IS NULL AND idempotency_keys.resource_id IS NULL \
                    AND idempotency_keys.created_at < $8)",
        );
        let done = sqlx::query(q)
            .bind(&scope.username)
            .bind(&scope.method)
            .bind(&scope.path)
            .bind(&scope.key)
            .bind(body_sha256)
            .bind(to_millis(now))
            .bind(to_millis(reclaim.expired_before))
            .bind(to_millis(reclaim.abandoned_before))
            .execute(&mut *conn)
            .await?;
        if done.rows_affected() > 0 {
            return Ok(Claim::Claimed { claimed_at: now });
        }
        if let Some(held) = get(conn, scope).await? {
            return Ok(Claim::Held(held));
        }
    }
    Err(StoreError::Database(sqlx::Error::Protocol(
        "idempotency key kept changing during its claim".into(),
    )))
}

/// Reads the row of `scope`, if any.
pub async fn get(
    conn: &mut AnyConnection,
    scope: &KeyScope,
) -> Result<Option<StoredKey>, StoreError> {
    let q = sql(
        conn,
        "SELECT body_sha256, status_code, response_body, resource_kind, resource_id, created_at FROM idempotency_keys WHERE username = $1 AND method = $2 AND path = $3 AND idem_key = $4",
    );
    let row = sqlx::query(q)
        .bind(&scope.username)
        .bind(&scope.method)
        .bind(&scope.path)
        .bind(&scope.key)
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        Ok(StoredKey {
            body_sha256: r.try_get("body_sha256")?,
            status_code: r
                .try_get::<Option<i64>, _>("status_code")?
                .and_then(|s| u16::try_from(s).ok()),
            response: r.try_get("response_body")?,
            outcome: match (
                r.try_get::<Option<String>, _>("resource_kind")?,
                r.try_get::<Option<i64>, _>("resource_id")?,
            ) {
                (Some(kind), Some(id)) => Some(Outcome { kind, id }),
                _ => None,
            },
            created_at: from_millis(r.try_get("created_at")?),
        })
    })
    .transpose()
}

/// Records, inside the transaction that creates it, the resource the claim made at `claimed_at`
/// created. From its commit on, the claim is neither released nor taken over. Returns `false`
/// when the claim is no longer ours (it expired and was taken over).
pub async fn record_outcome(
    conn: &mut AnyConnection,
    scope: &KeyScope,
    claimed_at: DateTime<Utc>,
    outcome: &Outcome,
) -> Result<bool, StoreError> {
    let q = sql(
        conn,
        "UPDATE idempotency_keys SET resource_kind = $1, resource_id = $2 WHERE username = $3 AND method = $4 AND path = $5 AND idem_key = $6 AND created_at = $7 AND status_code IS NULL",
    );
    let done = sqlx::query(q)
        .bind(&outcome.kind)
        .bind(outcome.id)
        .bind(&scope.username)
        .bind(&scope.method)
        .bind(&scope.path)
        .bind(&scope.key)
        .bind(to_millis(claimed_at))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Stores the successful response of the claim made at `claimed_at`. Returns `false` when the
/// claim is no longer ours (it expired and was taken over).
pub async fn complete(
    conn: &mut AnyConnection,
    scope: &KeyScope,
    claimed_at: DateTime<Utc>,
    status_code: u16,
    response: &str,
) -> Result<bool, StoreError> {
    let q = sql(
        conn,
        "UPDATE idempotency_keys SET status_code = $1, response_body = $2 WHERE username = $3 AND method = $4 AND path = $5 AND idem_key = $6 AND created_at = $7 AND status_code IS NULL",
    );
    let done = sqlx::query(q)
        .bind(i64::from(status_code))
        .bind(response)
        .bind(&scope.username)
        .bind(&scope.method)
        .bind(&scope.path)
        .bind(&scope.key)
        .bind(to_millis(claimed_at))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Forgets the in-flight claim made at `claimed_at` (its request failed) unless it has an outcome
/// (its create committed; the key must keep answering for it). Returns whether a row was removed.
pub async fn release(
    conn: &mut AnyConnection,
    scope: &KeyScope,
    claimed_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let q = sql(
        conn,
        "DELETE FROM idempotency_keys WHERE username = $1 AND method = $2 AND path = $3 AND idem_key = $4 AND created_at = $5 AND status_code IS NULL AND resource_id IS NULL",
    );
    let done = sqlx::query(q)
        .bind(&scope.username)
        .bind(&scope.method)
        .bind(&scope.path)
        .bind(&scope.key)
        .bind(to_millis(claimed_at))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes every row created before `before`; returns how many.
pub async fn purge(conn: &mut AnyConnection, before: DateTime<Utc>) -> Result<u64, StoreError> {
    let q = sql(conn, "DELETE FROM idempotency_keys WHERE created_at < $1");
    let done = sqlx::query(q)
        .bind(to_millis(before))
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected())
}
