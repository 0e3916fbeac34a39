//! Identity and roles (API.md §2): API keys, development identities, the internal service key,
//! and the role requirement of each route.
//!
//! Owns: credential resolution in the contract's order, the [`Caller`] extractor handlers use,
//! API keys ([`keys`]) and throttling of failed authentication ([`throttle`]).
//! Ownership checks stay in the handlers, after the lookup.

pub mod keys;
pub mod throttle;

pub use keys::{IssuedKey, KeyCache, issue_key, split_key};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use graph_olap_api::ErrorCode;
use graph_olap_server_kit::error::ApiError;
use graph_olap_store::users;
use subtle::ConstantTimeEq;

use crate::settings::AuthMode;
use crate::state::AppState;

pub use graph_olap_api::Role;

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// Bearer API key with this key id.
    ApiKey(String),
    /// `X-Username` in development mode.
    Dev,
    /// The internal service key (alone, or acting for a user).
    Service,
}

/// The authenticated principal of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Username (`system` for the bare service principal).
    pub username: String,
    /// Effective role for this request.
    pub role: Role,
    /// How they authenticated.
    pub method: AuthMethod,
    /// The bare service principal passes every role and ownership check.
    pub is_system: bool,
}

impl Caller {
    /// Whether the caller may modify a resource owned by `owner` (owner, admin, ops, or the service).
    pub fn can_modify(&self, owner: &str) -> bool {
        self.is_system || self.role != Role::Analyst || self.username == owner
    }

    /// Whether the caller has one of `roles` (the service principal always does).
    pub fn has_role(&self, roles: &[Role]) -> bool {
        self.is_system || roles.contains(&self.role)
    }

    /// `403` unless the caller may modify a resource of `owner`.
    pub fn require_owner(
        &self,
        owner: &str,
        resource_type: &str,
        resource_id: impl Into<serde_json::Value>,
    ) -> Result<(), ApiError> {
        if self.can_modify(owner) {
            Ok(())
        } else {
            Err(ApiError::not_owner(
                resource_type,
                resource_id,
                self.role.as_str(),
            ))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| ApiError::internal("route served without authentication middleware"))
    }
}

/// Who may call a route (the permission matrix of §2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No authentication.
    Public,
    /// Any authenticated user.
    Any,
    /// Users with one of these roles.
    Roles(&'static [Role]),
    /// Internal service key only.
    Internal,
    /// `/metrics`: the ops role or the internal key; nobody's credentials when the setting
    /// `metrics_public` (`GRAPH_OLAP_METRICS_PUBLIC=true`) is on.
    Scraper,
}

impl Access {
    /// Admin or ops.
    pub const ADMIN_OPS: Access = Access::Roles(&[Role::Admin, Role::Ops]);
    /// Ops only.
    pub const OPS: Access = Access::Roles(Self::OPS_ROLES);
    /// The roles of [`Access::OPS`].
    pub const OPS_ROLES: &'static [Role] = &[Role::Ops];
    /// Admin only.
    pub const ADMIN: Access = Access::Roles(&[Role::Admin]);
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks an internal key in constant time against the accepted keys.
pub fn internal_key_valid(state: &AppState, presented: &str) -> bool {
    state
        .settings
        .internal_keys()
        .iter()
        .any(|k| k.len() == presented.len() && bool::from(k.as_bytes().ct_eq(presented.as_bytes())))
}

/// Resolves the caller of a public route (§2.1), or fails with 401/403 — or with
/// `429 RATE_LIMITED` when the peer address failed to authenticate too often ([`throttle`]).
pub async fn resolve(state: &AppState, parts: &Parts) -> Result<Caller, ApiError> {
    throttled(state, parts, identify(state, parts)).await
}

/// Runs one authentication attempt under the failure throttle of the request's peer: refused
/// up front while the peer is over its limit, counted when it fails with a credential.
pub async fn throttled<T>(
    state: &AppState,
    parts: &Parts,
    attempt: impl std::future::Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    let peer = throttle::peer(
        &parts.extensions,
        &parts.headers,
        &state.settings.trusted_proxies,
    );
    refuse_throttled(state, peer)?;
    let result = attempt.await;
    if let Err(e) = &result
        && throttle::counts(e)
    {
        count_failure(state, peer).await;
    }
    result
}

/// `429 RATE_LIMITED` while `peer` is over its failed-authentication limit.
pub fn refuse_throttled(state: &AppState, peer: Option<std::net::IpAddr>) -> Result<(), ApiError> {
    match peer {
        Some(ip) => state
            .auth_failures
            .check(ip)
            .map_err(throttle::AuthThrottle::refusal),
        None => Ok(()),
    }
}

/// Counts one failed authentication (or wrong bootstrap token) of `peer`: in this replica's
/// memory, and in the metadata database whose count all replicas share (adopted when higher; see
/// [`throttle`]). A database failure only loses the sharing of this one count (logged).
pub async fn count_failure(state: &AppState, peer: Option<std::net::IpAddr>) {
    let Some(ip) = peer else { return };
    let throttle = &state.auth_failures;
    throttle.record_failure(ip);
    if !throttle.enabled() {
        return;
    }
    let now = state.now();
    let window = chrono::Duration::from_std(throttle.window()).unwrap_or(chrono::Duration::MAX);
    let shared = async {
        let mut tx = state.store.write().await?;
        let counted =
            graph_olap_store::auth_failures::record(&mut tx, &ip.to_string(), now, now - window)
                .await?;
        if PURGE.due(now, window) {
            graph_olap_store::auth_failures::purge(&mut tx, now - window).await?;
        }
        tx.commit().await?;
        Ok::<_, graph_olap_store::StoreError>(counted)
    }
    .await;
    match shared {
        Ok(w) => throttle.adopt_shared(
            ip,
            u32::try_from(w.failures).unwrap_or(u32::MAX),
            (now - w.opened_at).to_std().unwrap_or_default(),
        ),
        Err(e) => {
            tracing::warn!(error = %e, %ip, "failed authentication not shared with other replicas")
        }
    }
}

/// Ended windows of the shared failure counts are purged at most once per window per process.
static PURGE: crate::pacing::Paced = crate::pacing::Paced::new();

async fn identify(state: &AppState, parts: &Parts) -> Result<Caller, ApiError> {
    let now = state.now();
    if let Some(key) = header(parts, "x-internal-api-key") {
        if state.settings.internal_keys().is_empty() {
            return Err(ApiError::unauthorized(
                "internal_key_not_configured",
                "The internal API key is not configured on this server",
            ));
        }
        if !internal_key_valid(state, key) {
            return Err(ApiError::unauthorized(
                "invalid_internal_key",
                "The internal API key is invalid",
            ));
        }
        return match header(parts, "x-username") {
            None => Ok(Caller {
                username: "system".into(),
                role: Role::Ops,
                method: AuthMethod::Service,
                is_system: true,
            }),
            Some(name) => {
                let user =
                    load_active_user(state, &name.to_ascii_lowercase(), "unknown_user").await?;
                Ok(Caller {
                    username: user.username,
                    role: role_of(&user.role),
                    method: AuthMethod::Service,
                    is_system: false,
                })
            }
        };
    }
    if let Some(auth) = header(parts, "authorization") {
        let token = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("bearer "))
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "malformed",
                    "The Authorization header must be 'Bearer <api key>'",
                )
            })?;
        let (key_id, owner) = state.keys.authenticate(state, token.trim(), now).await?;
        let user = load_active_user(state, &owner, "unknown_key").await?;
        return Ok(Caller {
            username: user.username,
            role: role_of(&user.role),
            method: AuthMethod::ApiKey(key_id),
            is_system: false,
        });
    }
    if state.settings.auth_mode == AuthMode::Dev
        && let Some(name) = header(parts, "x-username")
    {
        let username = name.trim().to_ascii_lowercase();
        let override_role = match header(parts, "x-user-role") {
            None => None,
            Some(r) => Some(Role::parse(r).ok_or_else(|| {
                ApiError::unauthorized("invalid_role", "X-User-Role must be analyst, admin or ops")
            })?),
        };
        let user = match users::get(&mut *state.store.read().await?, &username).await? {
            Some(u) => u,
            None => {
                provision_dev_user(state, &username, override_role.unwrap_or(Role::Analyst)).await?
            }
        };
        if !user.is_active {
            return Err(disabled(&user.username));
        }
        touch_login(state, &user.username).await;
        return Ok(Caller {
            role: override_role.unwrap_or_else(|| role_of(&user.role)),
            username: user.username,
            method: AuthMethod::Dev,
            is_system: false,
        });
    }
    Err(ApiError::unauthorized(
        "missing_credentials",
        "Authentication required: send 'Authorization: Bearer <api key>'",
    ))
}

fn role_of(text: &str) -> Role {
    Role::parse(text).unwrap_or(Role::Analyst)
}

fn disabled(username: &str) -> ApiError {
    ApiError::new(
        ErrorCode::UserDisabled,
        format!("User '{username}' is deactivated"),
    )
    .detail("username", username)
}

async fn load_active_user(
    state: &AppState,
    username: &str,
    reason: &str,
) -> Result<users::User, ApiError> {
    let user = users::get(&mut *state.store.read().await?, username)
        .await?
        .ok_or_else(|| {
            ApiError::unauthorized(reason, "The credentials do not belong to a known user")
        })?;
    if !user.is_active {
        return Err(disabled(&user.username));
    }
    touch_login(state, &user.username).await;
    Ok(user)
}

async fn touch_login(state: &AppState, username: &str) {
    if let Ok(mut tx) = state.store.write().await
        && users::touch_login(&mut tx, username, state.now())
            .await
            .is_ok()
    {
        let _ = tx.commit().await;
    }
}

async fn provision_dev_user(
    state: &AppState,
    username: &str,
    role: Role,
) -> Result<users::User, ApiError> {
    if crate::services::users::validate_username(username).is_err() {
        return Err(ApiError::unauthorized(
            "invalid_username",
            "X-Username is not a valid username",
        ));
    }
    let mut tx = state.store.write().await?;
    let now = state.now();
    let user = match users::insert(
        &mut tx,
        &users::NewUser {
            username: username.into(),
            email: None,
            display_name: username.into(),
            role: role.as_str().into(),
        },
        now,
    )
    .await
    {
        Ok(u) => u,
        Err(e) if e.is_unique_violation() => {
            drop(tx);
            return users::get(&mut *state.store.read().await?, username)
                .await?
                .ok_or_else(|| ApiError::internal("user vanished"));
        }
        Err(e) => return Err(e.into()),
    };
    graph_olap_store::audit::record(
        &mut tx,
        graph_olap_store::audit::AuditRecord {
            actor: "system",
            action: "user.provision",
            resource_type: "user",
            resource_id: Some(username.into()),
            details: serde_json::json!({"role": role.as_str(), "via": "dev_identity"}),
            request_id: Some(&graph_olap_server_kit::request_id::current()),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(user)
}

/// The service principal of an internal route, or the 401 of §2.4.
async fn internal_caller(state: &AppState, parts: &Parts) -> Result<Caller, ApiError> {
    if state.settings.internal_keys().is_empty() {
        return Err(ApiError::unauthorized(
            "internal_key_not_configured",
            "The internal API key is not configured on this server",
        ));
    }
    match header(parts, "x-internal-api-key") {
        Some(k) if internal_key_valid(state, k) => Ok(Caller {
            username: "system".into(),
            role: Role::Ops,
            method: AuthMethod::Service,
            is_system: true,
        }),
        Some(_) => Err(ApiError::unauthorized(
            "invalid_internal_key",
            "The internal API key is invalid",
        )),
        None => Err(ApiError::unauthorized(
            "missing_credentials",
            "Internal routes require X-Internal-Api-Key",
        )),
    }
}

/// Middleware enforcing a route's [`Access`] before its input is validated (§1.14 steps 2–3).
pub async fn enforce(
    State((state, access)): State<(AppState, Access)>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let caller = match access {
        Access::Public => None,
        Access::Internal => {
            match throttled(&state, &parts, internal_caller(&state, &parts)).await {
                Ok(c) => Some(c),
                Err(e) => return e.into_response(),
            }
        }
        Access::Scraper if state.settings.metrics_public => None,
        Access::Any | Access::Roles(_) | Access::Scraper => match resolve(&state, &parts).await {
            Ok(c) => Some(c),
            Err(e) => return e.into_response(),
        },
    };
    let required = match access {
        Access::Roles(roles) => Some(roles),
        Access::Scraper => Some(Access::OPS_ROLES),
        _ => None,
    };
    if let (Some(roles), Some(c)) = (required, &caller)
        && !c.has_role(roles)
    {
        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        return ApiError::role_required(&names, c.role.as_str()).into_response();
    }
    if let Some(c) = caller {
        parts.extensions.insert(c);
    }
    next.run(Request::from_parts(parts, body)).await
}
