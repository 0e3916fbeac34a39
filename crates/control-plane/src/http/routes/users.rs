//! `/api/users…` (API.md §7.5): users, roles, deactivation, bootstrap and API keys.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use graph_olap_api::ErrorCode;
use graph_olap_api::body::users::CurrentUser;
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::{audit, users};
use serde_json::{Value, json};

use crate::auth::{AuthMethod, Caller, Role};
use crate::http::input::{Fields, JsonBody, Need, Patch, QueryParams, finish};
use crate::http::respond;
use crate::services::users::{
    IssuedKey, create_user, load, new_key, protect_last_admin, validate_username,
};
use crate::settings::AuthMode;
use crate::state::AppState;
use schemars::JsonSchema;
use serde::Serialize;

fn target(caller: &Caller, raw: &str) -> String {
    if raw.eq_ignore_ascii_case("me") {
        caller.username.clone()
    } else {
        raw.to_ascii_lowercase()
    }
}

fn is_admin(c: &Caller) -> bool {
    c.is_system || c.role == Role::Admin
}

/// `GET /api/users`
pub async fn list(State(state): State<AppState>, q: QueryParams) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let (offset, limit) = q.pagination(&mut errors, 50, 100);
    let role = q.text("role").map(str::to_ascii_lowercase);
    if let Some(r) = &role
        && Role::parse(r).is_none()
    {
        errors.push(graph_olap_api::FieldError::new(
            "query.role",
            "enum",
            "role must be one of: analyst, admin, ops",
        ));
    }
    let filter = users::UserFilter {
        role,
        is_active: q.bool("is_active", &mut errors),
        search: q.search(&mut errors),
    };
    finish(errors)?;
    let (items, total) =
        users::list(&mut *state.store.read().await?, &filter, offset, limit).await?;
    Ok(respond::page(items, total, offset, limit))
}

/// `GET /api/users/me`
pub async fn me(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let (method, key_id) = match &caller.method {
        AuthMethod::ApiKey(id) => ("api_key", Some(id.clone())),
        AuthMethod::Dev => ("dev", None),
        AuthMethod::Service => ("service", None),
    };
    let user = if caller.is_system {
        let now = graph_olap_api::time::format_ts(&state.now());
        CurrentUser {
            username: "system".into(),
            email: None,
            display_name: "system".into(),
            role: "ops".into(),
            is_active: true,
            created_at: now.clone(),
            updated_at: now,
            last_login_at: None,
            role_changed_at: None,
            role_changed_by: None,
            auth_method: method.into(),
            api_key_id: key_id,
        }
    } else {
        let u = load(&state, &caller.username).await?;
        let ts = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.as_ref().map(graph_olap_api::time::format_ts)
        };
        CurrentUser {
            username: u.username,
            email: u.email,
            display_name: u.display_name,
            role: caller.role.as_str().into(),
            is_active: u.is_active,
            created_at: graph_olap_api::time::format_ts(&u.created_at),
            updated_at: graph_olap_api::time::format_ts(&u.updated_at),
            last_login_at: ts(u.last_login_at),
            role_changed_at: ts(u.role_changed_at),
            role_changed_by: u.role_changed_by,
            auth_method: method.into(),
            api_key_id: key_id,
        }
    };
    Ok(respond::ok(user))
}

/// `GET /api/users/{username}`
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let name = target(&caller, &name);
    if caller.role == Role::Analyst && !caller.is_system && caller.username != name {
        return Err(ApiError::role_required(
            &["admin", "ops"],
            caller.role.as_str(),
        ));
    }
    Ok(respond::ok(load(&state, &name).await?))
}

struct NewUserInput {
    user: users::NewUser,
    create_key: bool,
}

fn read_new_user(
    body: &serde_json::Map<String, Value>,
    default_role: Role,
) -> ApiResult<NewUserInput> {
    let mut errors = Vec::new();
    let mut f = Fields::new(body, "", &mut errors);
    let username =
        f.text("username", Need::Required, 1, 255)
            .and_then(|u| match validate_username(&u) {
                Ok(v) => Some(v),
                Err((reason, message)) => {
                    f.error("username", reason, message);
                    None
                }
            });
    let email = f.text_patch("email", 3, 255);
    if let Patch::Set(e) = &email
        && !e.contains('@')
    {
        f.error("email", "pattern", "email must contain '@'");
    }
    let display_name = f.text("display_name", Need::Optional, 1, 255);
    let role = f
        .choice("role", Need::Optional, Role::NAMES)
        .map(|r| Role::parse(&r).unwrap_or(default_role))
        .unwrap_or(default_role);
    let create_key = f.bool("create_api_key", Need::Optional).unwrap_or(false);
    finish(errors)?;
    let username = username.ok_or_else(|| ApiError::internal("validated username missing"))?;
    Ok(NewUserInput {
        user: users::NewUser {
            display_name: display_name.unwrap_or_else(|| username.clone()),
            username,
            email: email.into_option().flatten(),
            role: role.as_str().into(),
        },
        create_key,
    })
}

/// `POST /api/users`
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let input = read_new_user(&body, Role::Analyst)?;
    let (user, key) = create_user(&state, &caller.username, &input.user, input.create_key).await?;
    let location = format!("/api/users/{}", user.username);
    Ok(match key {
        Some(api_key) => respond::created(UserWithKey { user, api_key }, location),
        None => respond::created(user, location),
    })
}

/// A new user with the API key issued with it.
#[derive(Serialize, JsonSchema)]
pub struct UserWithKey {
    /// The user.
    pub user: users::User,
    /// The key, with its secret.
    pub api_key: IssuedKey,
}

/// `POST /api/users`: the user, or the user with a key when `create_api_key` was set.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
pub enum CreatedUser {
    /// `create_api_key` was set.
    WithKey(UserWithKey),
    /// No key was asked for.
    Plain(users::User),
}

/// `POST /api/users/bootstrap`
pub async fn bootstrap(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    if state.settings.auth_mode == AuthMode::ApiKey {
        let peer =
            crate::auth::throttle::peer(&extensions, &headers, &state.settings.trusted_proxies);
        crate::auth::refuse_throttled(&state, peer)?;
        let expected = state.settings.bootstrap_token.clone().unwrap_or_default();
        let given = headers
            .get("x-bootstrap-token")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let matches = !expected.is_empty()
            && expected.len() == given.len()
            && bool::from(subtle::ConstantTimeEq::ct_eq(
                expected.as_bytes(),
                given.as_bytes(),
            ));
        if !matches {
            crate::auth::count_failure(&state, peer).await;
            return Err(ApiError::new(
                ErrorCode::PermissionDenied,
                if expected.is_empty() {
                    "Bootstrap is disabled: set GRAPH_OLAP_BOOTSTRAP_TOKEN"
                } else {
                    "X-Bootstrap-Token is missing or wrong"
                },
            ));
        }
    }
    let input = read_new_user(&body, Role::Admin)?;
    if users::count_active_admins(&mut *state.store.read().await?).await? > 0 {
        return Err(ApiError::invalid_state(
            "platform",
            "users",
            "bootstrapped",
            graph_olap_server_kit::error::NO_REQUIRED_STATE,
            "already_bootstrapped",
            "The platform already has an administrator; ask them for an account",
        ));
    }
    let (user, key) = create_user(&state, "bootstrap", &input.user, true).await?;
    let api_key = key.ok_or_else(|| ApiError::internal("bootstrap key missing"))?;
    let location = format!("/api/users/{}", user.username);
    Ok(respond::created(UserWithKey { user, api_key }, location))
}

/// `PUT /api/users/{username}`
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let name = target(&caller, &name);
    let mut errors = Vec::new();
    let mut f = Fields::new(&body, "", &mut errors);
    let email = f.text_patch("email", 3, 255);
    if let Patch::Set(e) = &email
        && !e.contains('@')
    {
        f.error("email", "pattern", "email must contain '@'");
    }
    let display_name = f.text("display_name", Need::Optional, 1, 255);
    let is_active = f.bool("is_active", Need::Optional);
    if !email.is_present() && display_name.is_none() && is_active.is_none() {
        f.error(
            "body",
            "empty_update",
            "Send at least one of email, display_name, is_active",
        );
    }
    if !is_admin(&caller) {
        if caller.username != name {
            return Err(ApiError::role_required(&["admin"], caller.role.as_str()));
        }
        if is_active.is_some() {
            return Err(ApiError::role_required(&["admin"], caller.role.as_str())
                .detail("field", "is_active"));
        }
    }
    finish(errors)?;
    let current = load(&state, &name).await?;
    let now = state.now();
    let mut tx = state.store.write().await?;
    if is_active == Some(false) {
        protect_last_admin(&mut tx, &current).await?;
    }
    let change = users::UserUpdate {
        email: email.into_option(),
        display_name,
        is_active,
    };
    let updated = users::update(&mut tx, &name, &change, now)
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                ApiError::new(ErrorCode::AlreadyExists, "That e-mail is already used")
                    .detail("resource_type", "user")
                    .detail("key", "email")
            } else {
                e.into()
            }
        })?;
    audit::record(
        &mut tx,
        audit::AuditRecord {
            actor: &caller.username,
            action: "user.update",
            resource_type: "user",
            resource_id: Some(name.clone()),
            details: json!({"is_active": is_active}),
            request_id: Some(&graph_olap_server_kit::request_id::current()),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.keys.clear();
    Ok(respond::ok(updated))
}

/// `PUT /api/users/{username}/role`
pub async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let name = target(&caller, &name);
    let mut errors = Vec::new();
    let role = Fields::new(&body, "", &mut errors).choice("role", Need::Required, Role::NAMES);
    finish(errors)?;
    let role = role.unwrap_or_default();
    let current = load(&state, &name).await?;
    let now = state.now();
    let mut tx = state.store.write().await?;
    if role != "admin" {
        protect_last_admin(&mut tx, &current).await?;
    }
    let updated = users::set_role(&mut tx, &name, &role, &caller.username, now).await?;
    audit::record(
        &mut tx,
        audit::AuditRecord {
            actor: &caller.username,
            action: "user.role",
            resource_type: "user",
            resource_id: Some(name.clone()),
            details: json!({"old": current.role, "new": role}),
            request_id: Some(&graph_olap_server_kit::request_id::current()),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.keys.clear();
    Ok(respond::ok(updated))
}

/// `DELETE /api/users/{username}` — deactivate.
pub async fn deactivate(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let name = target(&caller, &name);
    let current = load(&state, &name).await?;
    if !current.is_active {
        return Ok(respond::ok(current));
    }
    let now = state.now();
    let mut tx = state.store.write().await?;
    protect_last_admin(&mut tx, &current).await?;
    let updated = users::update(
        &mut tx,
        &name,
        &users::UserUpdate {
            is_active: Some(false),
            ..Default::default()
        },
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        audit::AuditRecord {
            actor: &caller.username,
            action: "user.deactivate",
            resource_type: "user",
            resource_id: Some(name.clone()),
            details: json!({}),
            request_id: Some(&graph_olap_server_kit::request_id::current()),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.keys.clear();
    Ok(respond::ok(updated))
}

fn key_owner_check(caller: &Caller, name: &str) -> ApiResult<()> {
    if is_admin(caller) || caller.username == name {
        Ok(())
    } else {
        Err(ApiError::role_required(&["admin"], caller.role.as_str()))
    }
}

/// `GET /api/users/{username}/api-keys`
pub async fn list_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> ApiResult<Response> {
    let name = target(&caller, &name);
    key_owner_check(&caller, &name)?;
    load(&state, &name).await?;
    Ok(respond::list(
        users::list_keys(&mut *state.store.read().await?, &name).await?,
    ))
}

/// `POST /api/users/{username}/api-keys`
pub async fn create_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let name = target(&caller, &name);
    key_owner_check(&caller, &name)?;
    let mut errors = Vec::new();
    let mut f = Fields::new(&body, "", &mut errors);
    let key_name = f.text("name", Need::Required, 1, 100);
    let expires_at = f.text("expires_at", Need::Optional, 1, 64).and_then(|t| {
        match graph_olap_api::time::parse_ts(&t) {
            Some(ts) if ts > state.now() => Some(ts),
            Some(_) => {
                f.error(
                    "expires_at",
                    "out_of_range",
                    "expires_at must be in the future",
                );
                None
            }
            None => {
                f.error(
                    "expires_at",
                    "invalid_timestamp",
                    format!("'{t}' is not an RFC 3339 timestamp"),
                );
                None
            }
        }
    });
    finish(errors)?;
    load(&state, &name).await?;
    let now = state.now();
    let mut tx = state.store.write().await?;
    let key = new_key(
        &mut tx,
        &name,
        &key_name.unwrap_or_default(),
        &caller.username,
        expires_at,
        now,
    )
    .await?;
    audit::record(
        &mut tx,
        audit::AuditRecord {
            actor: &caller.username,
            action: "api_key.create",
            resource_type: "api_key",
            resource_id: Some(key.record.id.clone()),
            details: json!({"owner": name}),
            request_id: Some(&graph_olap_server_kit::request_id::current()),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    let location = format!("/api/users/{name}/api-keys/{}", key.record.id);
    Ok(respond::created(key, location))
}

/// `DELETE /api/users/{username}/api-keys/{key_id}` — revoke (idempotent).
pub async fn revoke_key(
    State(state): State<AppState>,
    caller: Caller,
    Path((name, key_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let name = target(&caller, &name);
    key_owner_check(&caller, &name)?;
    let now = state.now();
    let mut tx = state.store.write().await?;
    let stored = users::get_key(&mut tx, &key_id)
        .await?
        .filter(|k| k.key.owner_username == name)
        .ok_or_else(|| ApiError::not_found("api_key", key_id.clone()))?;
    users::revoke_key(&mut tx, &key_id, now).await?;
    audit::record(
        &mut tx,
        audit::AuditRecord {
            actor: &caller.username,
            action: "api_key.revoke",
            resource_type: "api_key",
            resource_id: Some(key_id.clone()),
            details: json!({"owner": name}),
            request_id: Some(&graph_olap_server_kit::request_id::current()),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.keys.clear();
    let mut key = stored.key;
    key.revoked_at = key.revoked_at.or(Some(now));
    Ok(respond::ok(key))
}
