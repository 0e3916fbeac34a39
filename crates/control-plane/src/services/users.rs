//! Users (API.md §3.11, §4.9): creation with an optional first API key, key issuing, and the
//! rules every user change shares — valid usernames, unique names, never losing the last
//! administrator. Used by the `/api/users` handlers, by start-up (development identities) and by
//! `graph-olap up` (persona keys).

use graph_olap_api::ErrorCode;
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::{WriteTx, audit, users};
use serde_json::json;

use crate::auth::issue_key;
use crate::state::AppState;

const RESERVED: &[&str] = &["system", "me", "anonymous", "bootstrap"];

/// Checks a username per §1.9 and returns it lower-cased.
pub fn validate_username(raw: &str) -> Result<String, (&'static str, String)> {
    let name = raw.trim().to_ascii_lowercase();
    if name.is_empty() || name.len() > 255 {
        return Err(("too_long", "username must have 1 to 255 characters".into()));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._%+@-".contains(&b))
    {
        return Err((
            "pattern",
            "username may contain only letters, digits and . _ % + @ -".into(),
        ));
    }
    if RESERVED.contains(&name.as_str()) {
        return Err(("reserved_word", format!("'{name}' is a reserved username")));
    }
    // The username is a segment of every snapshot path (`{root}/{owner}/…`): one that is only
    // dots would name the root's parent or itself.
    if name.bytes().all(|b| b == b'.') {
        return Err((
            "pattern",
            "username must contain a letter, a digit or one of _ % + @ -".into(),
        ));
    }
    Ok(name)
}

/// The user called `username`, or `NOT_FOUND`.
pub async fn load(state: &AppState, username: &str) -> ApiResult<users::User> {
    users::get(&mut *state.store.read().await?, username)
        .await?
        .ok_or_else(|| ApiError::not_found("user", username.to_string()))
}

pub(crate) async fn insert_user(
    tx: &mut WriteTx,
    user: &users::NewUser,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<users::User> {
    users::insert(tx, user, now).await.map_err(|e| {
        if e.is_unique_violation() {
            ApiError::new(
                ErrorCode::AlreadyExists,
                format!(
                    "A user named '{}' or with that e-mail already exists",
                    user.username
                ),
            )
            .detail("resource_type", "user")
            .detail("key", user.username.clone())
        } else {
            e.into()
        }
    })
}

/// A newly issued API key: the stored record plus the secret, which is never shown again.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct IssuedKey {
    /// The stored record.
    #[serde(flatten)]
    pub record: users::ApiKey,
    /// The secret (`Authorization: Bearer <key>`).
    pub key: String,
}

/// Issues a key for `owner` in the caller's transaction; the result carries the plaintext once.
pub(crate) async fn new_key(
    tx: &mut WriteTx,
    owner: &str,
    name: &str,
    by: &str,
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> ApiResult<IssuedKey> {
    let issued = issue_key();
    let key = users::ApiKey {
        prefix: format!("gok_{}", issued.key_id),
        id: issued.key_id.clone(),
        name: name.into(),
        owner_username: owner.into(),
        created_at: now,
        created_by: by.into(),
        expires_at,
        last_used_at: None,
        revoked_at: None,
    };
    users::insert_key(tx, &key, &issued.secret_sha256).await?;
    Ok(IssuedKey {
        record: key,
        key: issued.plaintext,
    })
}

/// Creates a user (and optionally a key) — shared by `POST /api/users`, bootstrap and `graph-olap up`.
pub async fn create_user(
    state: &AppState,
    actor: &str,
    user: &users::NewUser,
    with_key: bool,
) -> ApiResult<(users::User, Option<IssuedKey>)> {
    let now = state.now();
    let rid = graph_olap_server_kit::request_id::current();
    let mut tx = state.store.write().await?;
    let created = insert_user(&mut tx, user, now).await?;
    let key = if with_key {
        Some(new_key(&mut tx, &created.username, "default", actor, None, now).await?)
    } else {
        None
    };
    audit::record(
        &mut tx,
        audit::AuditRecord {
            actor,
            action: "user.create",
            resource_type: "user",
            resource_id: Some(created.username.clone()),
            details: json!({"role": created.role, "api_key_issued": with_key}),
            request_id: Some(&rid),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok((created, key))
}

/// Issues an extra key for an existing user (used by `graph-olap up` to print persona keys).
pub async fn issue_user_key(
    state: &AppState,
    owner: &str,
    name: &str,
    actor: &str,
) -> ApiResult<String> {
    let now = state.now();
    let mut tx = state.store.write().await?;
    let key = new_key(&mut tx, owner, name, actor, None, now).await?;
    tx.commit().await?;
    Ok(key.key)
}

/// Refuses a change that would leave the platform without an active administrator.
pub(crate) async fn protect_last_admin(tx: &mut WriteTx, current: &users::User) -> ApiResult<()> {
    if current.role == "admin" && current.is_active && users::count_active_admins(tx).await? <= 1 {
        return Err(ApiError::invalid_state(
            "user",
            current.username.clone(),
            "admin",
            graph_olap_server_kit::error::NO_REQUIRED_STATE,
            "last_admin",
            "This is the last active administrator; promote another user first",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_cased_and_never_a_path_segment_of_dots() {
        assert_eq!(
            validate_username(" Alice.B@Corp.example ").unwrap(),
            "alice.b@corp.example"
        );
        for bad in [".", "..", "...", "a/b", "a\\b", "", "system"] {
            assert!(validate_username(bad).is_err(), "{bad}");
        }
        assert_eq!(validate_username("..").unwrap_err().0, "pattern");
    }
}
