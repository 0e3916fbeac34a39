//! Users and their API keys (API.md §3.18). Keys are stored as SHA-256 digests of their secret.

use chrono::{DateTime, Utc};
use graph_olap_api::time::serde_ts;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::clock::{from_millis, to_millis};
use crate::db::sql;
use crate::error::StoreError;

/// A user as stored and as returned by the users endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct User {
    /// Lower-cased unique name.
    pub username: String,
    /// Optional unique e-mail.
    pub email: Option<String>,
    /// Name to display; defaults to the username.
    pub display_name: String,
    /// `analyst`, `admin` or `ops`.
    pub role: String,
    /// Deactivated users cannot authenticate.
    pub is_active: bool,
    /// Creation time.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: DateTime<Utc>,
    /// Last change.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub updated_at: DateTime<Utc>,
    /// Last authentication (updated at most once a minute).
    #[serde(with = "serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub last_login_at: Option<DateTime<Utc>>,
    /// Last role change.
    #[serde(with = "serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub role_changed_at: Option<DateTime<Utc>>,
    /// Who changed the role last.
    pub role_changed_by: Option<String>,
}

const USER_COLUMNS: &str = "username, email, display_name, role, is_active, created_at, updated_at, last_login_at, role_changed_at, role_changed_by";

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    Ok(User {
        username: row.try_get("username")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: row.try_get("role")?,
        is_active: row.try_get::<i64, _>("is_active")? != 0,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
        last_login_at: row
            .try_get::<Option<i64>, _>("last_login_at")?
            .map(from_millis),
        role_changed_at: row
            .try_get::<Option<i64>, _>("role_changed_at")?
            .map(from_millis),
        role_changed_by: row.try_get("role_changed_by")?,
    })
}

/// Fields of a new user.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Lower-cased username.
    pub username: String,
    /// Optional e-mail.
    pub email: Option<String>,
    /// Display name.
    pub display_name: String,
    /// Role token.
    pub role: String,
}

/// Inserts a user; a duplicate username or e-mail is a unique violation.
pub async fn insert(
    conn: &mut AnyConnection,
    user: &NewUser,
    now: DateTime<Utc>,
) -> Result<User, StoreError> {
    let q = sql(
        conn,
        &format!(
            "INSERT INTO users (username, email, display_name, role, is_active, created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING {USER_COLUMNS}"
        ),
    );
    let row = sqlx::query(q)
        .bind(&user.username)
        .bind(&user.email)
        .bind(&user.display_name)
        .bind(&user.role)
        .bind(to_millis(now))
        .fetch_one(conn)
        .await?;
    user_from_row(&row)
}

/// Looks a user up by (lower-cased) name.
pub async fn get(conn: &mut AnyConnection, username: &str) -> Result<Option<User>, StoreError> {
    let q = sql(
        conn,
        &format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1"),
    );
    let row = sqlx::query(q).bind(username).fetch_optional(conn).await?;
    row.as_ref().map(user_from_row).transpose()
}

/// Filters of the users list.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Exact role.
    pub role: Option<String>,
    /// Active or not.
    pub is_active: Option<bool>,
    /// Case-insensitive substring of username, e-mail or display name.
    pub search: Option<String>,
}

/// Lists users newest first with the total count of matches.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &UserFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<User>, i64), StoreError> {
    let mut clauses = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    if let Some(role) = &filter.role {
        binds.push(role.clone());
        clauses.push(format!("role = ${}", binds.len()));
    }
    if let Some(active) = filter.is_active {
        clauses.push(format!("is_active = {}", i64::from(active)));
    }
    if let Some(search) = &filter.search {
        binds.push(crate::like_pattern(search));
        let n = binds.len();
        clauses.push(format!(
            "(LOWER(username) LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(email, '')) LIKE ${n} ESCAPE '\\' OR LOWER(display_name) LIKE ${n} ESCAPE '\\')"
        ));
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let count_q = sql(conn, &format!("SELECT COUNT(*) FROM users {where_sql}"));
    let mut count = sqlx::query_scalar::<_, i64>(count_q);
    for b in &binds {
        count = count.bind(b.clone());
    }
    let total = count.fetch_one(&mut *conn).await?;
    let q = sql(
        conn,
        &format!(
            "SELECT {USER_COLUMNS} FROM users {where_sql} ORDER BY created_at DESC, username DESC LIMIT {limit} OFFSET {offset}"
        ),
    );
    let mut query = sqlx::query(q);
    for b in &binds {
        query = query.bind(b.clone());
    }
    let rows = query.fetch_all(&mut *conn).await?;
    let users = rows
        .iter()
        .map(user_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((users, total))
}

/// Changes of `PUT /api/users/{username}`; `None` leaves a field unchanged.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    /// `Some(None)` clears the e-mail.
    pub email: Option<Option<String>>,
    /// New display name.
    pub display_name: Option<String>,
    /// Activate or deactivate.
    pub is_active: Option<bool>,
}

/// Applies a partial update and returns the new row.
pub async fn update(
    conn: &mut AnyConnection,
    username: &str,
    change: &UserUpdate,
    now: DateTime<Utc>,
) -> Result<Option<User>, StoreError> {
    let current = match get(conn, username).await? {
        Some(u) => u,
        None => return Ok(None),
    };
    let email = change.email.clone().unwrap_or(current.email);
    let display = change.display_name.clone().unwrap_or(current.display_name);
    let active = change.is_active.unwrap_or(current.is_active);
    let q = sql(
        conn,
        "UPDATE users SET email = $1, display_name = $2, is_active = $3, updated_at = $4 WHERE username = $5",
    );
    sqlx::query(q)
        .bind(email)
        .bind(display)
        .bind(i64::from(active))
        .bind(to_millis(now))
        .bind(username)
        .execute(&mut *conn)
        .await?;
    get(conn, username).await
}

/// Sets a user's role, recording who changed it and when.
pub async fn set_role(
    conn: &mut AnyConnection,
    username: &str,
    role: &str,
    by: &str,
    now: DateTime<Utc>,
) -> Result<Option<User>, StoreError> {
    let q = sql(
        conn,
        "UPDATE users SET role = $1, role_changed_at = $2, role_changed_by = $3, updated_at = $2 WHERE username = $4",
    );
    sqlx::query(q)
        .bind(role)
        .bind(to_millis(now))
        .bind(by)
        .bind(username)
        .execute(&mut *conn)
        .await?;
    get(conn, username).await
}

/// Number of active admins, to protect the last one.
pub async fn count_active_admins(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND is_active = 1")
            .fetch_one(conn)
            .await?,
    )
}

/// Records a login, at most once a minute.
pub async fn touch_login(
    conn: &mut AnyConnection,
    username: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "UPDATE users SET last_login_at = $1 WHERE username = $2 AND (last_login_at IS NULL OR last_login_at < $3)",
    );
    sqlx::query(q)
        .bind(to_millis(now))
        .bind(username)
        .bind(to_millis(now) - 60_000)
        .execute(conn)
        .await?;
    Ok(())
}

/// An API key as returned by the API (never the secret).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ApiKey {
    /// The key id (12 base32 characters).
    pub id: String,
    /// Human label.
    pub name: String,
    /// Non-secret prefix `gok_<key_id>`.
    pub prefix: String,
    /// Whom the key authenticates as.
    pub owner_username: String,
    /// Creation time.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: DateTime<Utc>,
    /// Who created it.
    pub created_by: String,
    /// Optional expiry.
    #[serde(with = "serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Last use (at most once a minute).
    #[serde(with = "serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    #[serde(with = "serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key together with the digest of its secret, for authentication.
#[derive(Debug, Clone)]
pub struct StoredKey {
    /// Public part.
    pub key: ApiKey,
    /// SHA-256 hex of the secret.
    pub secret_sha256: String,
}

const KEY_COLUMNS: &str = "key_id, owner_username, name, secret_sha256, created_at, created_by, expires_at, last_used_at, revoked_at";

fn key_from_row(row: &sqlx::any::AnyRow) -> Result<StoredKey, StoreError> {
    let id: String = row.try_get("key_id")?;
    Ok(StoredKey {
        key: ApiKey {
            prefix: format!("gok_{id}"),
            id,
            name: row.try_get("name")?,
            owner_username: row.try_get("owner_username")?,
            created_at: from_millis(row.try_get("created_at")?),
            created_by: row.try_get("created_by")?,
            expires_at: row
                .try_get::<Option<i64>, _>("expires_at")?
                .map(from_millis),
            last_used_at: row
                .try_get::<Option<i64>, _>("last_used_at")?
                .map(from_millis),
            revoked_at: row
                .try_get::<Option<i64>, _>("revoked_at")?
                .map(from_millis),
        },
        secret_sha256: row.try_get("secret_sha256")?,
    })
}

/// Stores a new key.
pub async fn insert_key(
    conn: &mut AnyConnection,
    key: &ApiKey,
    secret_sha256: &str,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        &format!(
            "INSERT INTO api_keys ({KEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL)"
        ),
    );
    sqlx::query(q)
        .bind(&key.id)
        .bind(&key.owner_username)
        .bind(&key.name)
        .bind(secret_sha256)
        .bind(to_millis(key.created_at))
        .bind(&key.created_by)
        .bind(key.expires_at.map(to_millis))
        .execute(conn)
        .await?;
    Ok(())
}

/// Finds a key by id.
pub async fn get_key(
    conn: &mut AnyConnection,
    key_id: &str,
) -> Result<Option<StoredKey>, StoreError> {
    let q = sql(
        conn,
        &format!("SELECT {KEY_COLUMNS} FROM api_keys WHERE key_id = $1"),
    );
    let row = sqlx::query(q).bind(key_id).fetch_optional(conn).await?;
    row.as_ref().map(key_from_row).transpose()
}

/// Every key of a user, newest first, revoked ones included.
pub async fn list_keys(conn: &mut AnyConnection, owner: &str) -> Result<Vec<ApiKey>, StoreError> {
    let q = sql(
        conn,
        &format!(
            "SELECT {KEY_COLUMNS} FROM api_keys WHERE owner_username = $1 ORDER BY created_at DESC, key_id"
        ),
    );
    let rows = sqlx::query(q).bind(owner).fetch_all(conn).await?;
    rows.iter()
        .map(|r| key_from_row(r).map(|k| k.key))
        .collect()
}

/// Revokes a key (idempotent: the first revocation time is kept).
pub async fn revoke_key(
    conn: &mut AnyConnection,
    key_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE key_id = $2",
    );
    sqlx::query(q)
        .bind(to_millis(now))
        .bind(key_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a key's use, at most once a minute.
pub async fn touch_key(
    conn: &mut AnyConnection,
    key_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "UPDATE api_keys SET last_used_at = $1 WHERE key_id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
    );
    sqlx::query(q)
        .bind(to_millis(now))
        .bind(key_id)
        .bind(to_millis(now) - 60_000)
        .execute(conn)
        .await?;
    Ok(())
}
