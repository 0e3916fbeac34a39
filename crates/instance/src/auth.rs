//! Authentication and authorization on the instance (API.md §10.2).
//!
//! Owns: resolving the caller from the internal key + forwarded identity headers, a Bearer API
//! key (through the control plane's introspection, cached ≤ 60 s) or the development identity,
//! and the owner/admin/ops rule. Does not own: key storage or user management (control plane).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use graph_olap_api::ErrorCode;
use graph_olap_api::instance::AuthMode;
use graph_olap_server_kit::ApiError;
use subtle::ConstantTimeEq;

use crate::state::{AppState, CachedIdentity};

/// How long an introspection answer is reused.
pub const INTROSPECTION_TTL: Duration = Duration::from_secs(60);

pub use graph_olap_api::Role;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// The internal key without `X-Username`: passes every check.
    Service,
    /// A user.
    User {
        /// Lower-cased username.
        username: String,
        /// Effective role.
        role: Role,
    },
}

impl Identity {
    /// Username for lock holders and executions (`system` for the service principal).
    pub fn username(&self) -> &str {
        match self {
            Identity::Service => "system",
            Identity::User { username, .. } => username,
        }
    }
}

/// `401 UNAUTHORIZED` with the reason token (§10.2).
fn unauthorized(reason: &str) -> ApiError {
    ApiError::unauthorized(reason, "Authentication required")
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn forwarded_identity(parts: &Parts) -> Result<Option<Identity>, ApiError> {
    let Some(username) = header(parts, "x-username") else {
        return Ok(None);
    };
    let role = match header(parts, "x-user-role") {
        Some(r) => Role::parse(r).ok_or_else(|| unauthorized("invalid_role"))?,
        None => Role::Analyst,
    };
    Ok(Some(Identity::User {
        username: username.to_ascii_lowercase(),
        role,
    }))
}

/// Resolves the caller (rules 1–4 of §10.2).
pub async fn authenticate(state: &Arc<AppState>, parts: &Parts) -> Result<Identity, ApiError> {
    if let Some(key) = header(parts, "x-internal-api-key") {
        let expected = state.config.internal_api_key.as_bytes();
        if expected.len() < 32 || !bool::from(key.as_bytes().ct_eq(expected)) {
            return Err(unauthorized("invalid_internal_key"));
        }
        return Ok(forwarded_identity(parts)?.unwrap_or(Identity::Service));
    }
    if let Some(auth) = header(parts, "authorization") {
        let Some(token) = auth
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|t| !t.is_empty())
        else {
            return Err(unauthorized("malformed"));
        };
        return introspect(state, token).await;
    }
    let dev = state
        .boot
        .get()
        .is_some_and(|b| b.auth_mode == AuthMode::Dev);
    if dev && let Some(identity) = forwarded_identity(parts)? {
        return Ok(identity);
    }
    Err(unauthorized("missing_credentials"))
}

async fn introspect(state: &Arc<AppState>, token: &str) -> Result<Identity, ApiError> {
    let cached = state.introspection.lock().ok().and_then(|c| {
        c.get(token)
            .filter(|e| e.at.elapsed() < INTROSPECTION_TTL)
            .cloned()
    });
    let identity = match cached {
        Some(c) => c.identity,
        None => {
            let answer = state.control_plane.introspect(token).await.map_err(|e| {
                tracing::warn!(error = %e, "token introspection failed");
                ApiError::new(
                    ErrorCode::ServiceUnavailable,
                    "Token introspection is unavailable",
                )
                .detail("service", "control_plane")
            })?;
            let identity = match (
                answer.active,
                answer.username,
                answer.role.as_deref().and_then(Role::parse),
            ) {
                (true, Some(username), Some(role)) => Some(Identity::User {
                    username: username.to_ascii_lowercase(),
                    role,
                }),
                _ => None,
            };
            if let Ok(mut cache) = state.introspection.lock() {
                cache.retain(|_, e| e.at.elapsed() < INTROSPECTION_TTL);
                cache.insert(
                    token.to_string(),
                    CachedIdentity {
                        at: Instant::now(),
                        identity: identity.clone(),
                    },
                );
            }
            identity
        }
    };
    identity.ok_or_else(|| unauthorized("unknown_key"))
}

/// Owner, admin, ops or the service principal; `None` owner (bootstrap not fetched yet) lets
/// only admin/ops/service through.
pub fn authorize(identity: &Identity, owner: Option<&str>) -> Result<(), ApiError> {
    match identity {
        Identity::Service => Ok(()),
        Identity::User {
            role: Role::Admin | Role::Ops,
            ..
        } => Ok(()),
        Identity::User { username, role } => {
            if owner.is_some_and(|o| o.eq_ignore_ascii_case(username)) {
                Ok(())
            } else {
                Err(ApiError::new(
                    ErrorCode::PermissionDenied,
                    "Only the instance owner, admin or ops may use this instance",
                )
                .detail(
                    "required_roles",
                    serde_json::json!(["owner", "admin", "ops"]),
                )
                .detail("user_role", role.as_str())
                .detail("resource_type", "instance"))
            }
        }
    }
}

/// Extractor: an authenticated and authorized caller of a data endpoint.
#[derive(Debug, Clone)]
pub struct Caller(pub Identity);

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, Self::Rejection> {
        let identity = authenticate(state, parts).await?;
        match state.boot.get() {
            Some(boot) => authorize(&identity, Some(&boot.owner_username))?,
            None => {
                if authorize(&identity, None).is_err() {
                    return Err(crate::error::not_ready(
                        state.config.instance_id,
                        state.phase().as_str(),
                    ));
                }
            }
        }
        Ok(Caller(identity))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_admin_ops_and_service_pass() {
        let user = |u: &str, r| Identity::User {
            username: u.into(),
            role: r,
        };
        assert!(authorize(&Identity::Service, Some("alice")).is_ok());
        assert!(authorize(&user("alice", Role::Analyst), Some("Alice")).is_ok());
        assert!(authorize(&user("carol", Role::Admin), Some("alice")).is_ok());
        assert!(authorize(&user("dave", Role::Ops), Some("alice")).is_ok());
        let denied = authorize(&user("bob", Role::Analyst), Some("alice")).unwrap_err();
        assert_eq!(denied.code, ErrorCode::PermissionDenied);
        assert!(authorize(&user("alice", Role::Analyst), None).is_err());
    }
}
