//! `Idempotency-Key` (API.md §1.11) as a per-route middleware.
//!
//! Owns header validation (1–255 printable ASCII characters, else `400 VALIDATION_FAILED` with
//! `field: "header.Idempotency-Key"`), hashing the request body, claiming the key per (caller,
//! method, path, key), replaying a stored success with `Idempotent-Replayed: true`, and refusing
//! reuse with `409 IDEMPOTENCY_KEY_REUSED` (`reason` `body_mismatch` or `in_progress`). Only 2xx
//! responses are remembered; a failed request — or one whose client went away — releases its
//! claim. Keys are kept for [`RETENTION`]; older rows are ignored, overwritten, and purged now and
//! then. The SQL is `graph_olap_store::idempotency`'s. Does not own which routes honour keys: that
//! is the route table's choice.
//!
//! # A create that committed but never answered
//!
//! The response is stored after the handler returns, so a process killed between the handler's
//! commit and that store would leave the key "in flight" and, once abandoned, free for a second
//! create. To close that gap each keyed create calls [`record_created`] inside its own
//! transaction: the key then names the resource it made, atomically with it. A retry finding such
//! a key without a stored response is answered from the resource as it is now (`201`, the
//! create's body shape, `Idempotent-Replayed: true`), or — if it has since been deleted — with
//! `409 IDEMPOTENCY_KEY_REUSED` (`reason: resource_gone`). Such a key is never released nor taken
//! over before it expires.
//!
//! # Opting a route in
//!
//! In `routes::endpoints()`, append `.idempotent()` to the endpoint:
//!
//! ```text
//! ep(M::POST, "/api/instances", any, "instances", "Create an instance", post(instances::create)).idempotent(),
//! ```
//!
//! The router then wraps that handler in [`layer`] *inside* the authentication middleware, so the
//! caller is known and role checks (§1.14 steps 2–3) come first; the OpenAPI document lists the
//! header for the route. The handler itself needs no change.

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, Utc};
use graph_olap_api::ErrorCode;
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::Store;
use graph_olap_store::idempotency::{self as store_keys, Claim, KeyScope, Outcome, Reclaim};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::Caller;
use crate::http::input::{MAX_BODY_BYTES, too_large};
use crate::http::respond;
use crate::state::AppState;

/// Request header carrying the key.
pub const KEY_HEADER: &str = "idempotency-key";
/// Response header marking a replayed response.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How long a key is remembered.
pub const RETENTION: Duration = Duration::hours(24);
/// An in-flight claim older than this belongs to a request that died without releasing it
/// (process killed); a new request may take the key over.
pub const ABANDONED_AFTER: Duration = Duration::minutes(10);
/// How often, at most, one process purges expired keys.
const PURGE_EVERY: Duration = Duration::minutes(10);
/// Largest response body that is stored for replay.
const MAX_STORED_RESPONSE: usize = 16 * 1024 * 1024;
/// Response headers stored with the body and restored on replay.
const KEPT_HEADERS: [HeaderName; 2] = [header::CONTENT_TYPE, header::LOCATION];

/// The field path used for header problems.
const FIELD: &str = "header.Idempotency-Key";

static PURGE: crate::pacing::Paced = crate::pacing::Paced::new();

tokio::task_local! {
    /// The claim of the keyed request being handled on this task, for [`record_created`].
    static CURRENT_CLAIM: (KeyScope, DateTime<Utc>);
}

/// What a keyed create made: the resources of the routes that honour `Idempotency-Key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    /// A mapping (`POST /api/mappings`, `POST /api/mappings/{id}/copy`).
    Mapping(i64),
    /// An instance (`POST /api/instances`, `POST /api/instances/from-mapping`).
    Instance(i64),
}

impl Created {
    const MAPPING: &'static str = "mapping";
    const INSTANCE: &'static str = "instance";

    fn outcome(self) -> Outcome {
        let (kind, id) = match self {
            Created::Mapping(id) => (Self::MAPPING, id),
            Created::Instance(id) => (Self::INSTANCE, id),
        };
        Outcome {
            kind: kind.to_string(),
            id,
        }
    }

    fn from_outcome(outcome: &Outcome) -> ApiResult<Self> {
        match outcome.kind.as_str() {
            Self::MAPPING => Ok(Created::Mapping(outcome.id)),
            Self::INSTANCE => Ok(Created::Instance(outcome.id)),
            other => Err(ApiError::internal(format!(
                "idempotency key records an unknown resource kind '{other}'"
            ))),
        }
    }
}

/// Records, inside the create's own transaction `tx`, that the keyed request being handled made
/// `created` (see the module doc). Does nothing for a request without a key. Fails — rolling the
/// create back with it — when the key's claim was taken over meanwhile, so one key never names
/// two resources.
pub async fn record_created(tx: &mut sqlx::AnyConnection, created: Created) -> ApiResult<()> {
    let Ok((scope, claimed_at)) = CURRENT_CLAIM.try_with(Clone::clone) else {
        return Ok(());
    };
    if store_keys::record_outcome(tx, &scope, claimed_at, &created.outcome()).await? {
        Ok(())
    } else {
        Err(reused(
            "in_progress",
            format!(
                "Idempotency-Key '{}' was taken over by another request while this one ran; retry with a new key",
                scope.key
            ),
        ))
    }
}

/// A successful response as stored in `idempotency_keys.response_body`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoredResponse {
    /// Kept headers as (lower-case name, value).
    headers: Vec<(String, String)>,
    /// The body as UTF-8 text (every control-plane response is JSON).
    body: String,
}

/// Validates the header value: `None` when absent, the key when valid, else `400`.
pub fn parse_key(value: Option<&HeaderValue>) -> ApiResult<Option<String>> {
    let Some(value) = value else { return Ok(None) };
    let bytes = value.as_bytes();
    if bytes.is_empty() {
        return Err(ApiError::invalid(
            FIELD,
            "too_short",
            "Idempotency-Key must not be empty",
        ));
    }
    if bytes.len() > 255 {
        return Err(ApiError::invalid(
            FIELD,
            "too_long",
            "Idempotency-Key must have at most 255 characters",
        ));
    }
    if !bytes.iter().all(|b| (0x20..=0x7e).contains(b)) {
        return Err(ApiError::invalid(
            FIELD,
            "pattern",
            "Idempotency-Key must consist of printable ASCII characters",
        ));
    }
    Ok(Some(String::from_utf8_lossy(bytes).into_owned()))
}

/// SHA-256 (hex) of a request body.
pub fn body_sha256(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

fn reused(reason: &str, message: String) -> ApiError {
    ApiError::new(ErrorCode::IdempotencyKeyReused, message).detail("reason", reason)
}

/// Middleware honouring `Idempotency-Key` on the route it wraps (see the module doc).
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match run(state, request, next).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn run(state: AppState, request: Request, next: Next) -> ApiResult<Response> {
    let Some(key) = parse_key(request.headers().get(KEY_HEADER))? else {
        return Ok(next.run(request).await);
    };
    let caller = request
        .extensions()
        .get::<Caller>()
        .cloned()
        .ok_or_else(|| ApiError::internal("idempotency layer outside authentication"))?;
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large())?;
    let scope = KeyScope {
        username: caller.username.clone(),
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        key,
    };
    let hash = body_sha256(&bytes);
    let now = state.now();
    let reclaim = Reclaim {
        expired_before: now - RETENTION,
        abandoned_before: now - ABANDONED_AFTER,
    };
    let claim = {
        let mut tx = state.store.write().await?;
        let claim = store_keys::claim(&mut tx, &scope, &hash, now, reclaim).await?;
        tx.commit().await?;
        claim
    };
    purge_now_and_then(&state.store, now).await;
    let claimed_at = match claim {
        Claim::Claimed { claimed_at } => claimed_at,
        Claim::Held(held) if held.body_sha256 != hash => {
            return Err(reused(
                "body_mismatch",
                format!(
                    "Idempotency-Key '{}' was already used with a different request body",
                    scope.key
                ),
            ));
        }
        Claim::Held(held) => match (held.status_code, held.response, held.outcome) {
            (Some(status), Some(stored), _) => return replay(status, &stored),
            (None, _, Some(outcome)) => {
                return replay_created(&state, Created::from_outcome(&outcome)?, &scope.key).await;
            }
            _ => {
                return Err(reused(
                    "in_progress",
                    format!(
                        "A request with Idempotency-Key '{}' is still in progress; retry shortly",
                        scope.key
                    ),
                ));
            }
        },
    };
    let mut guard = InFlight {
        store: state.store.clone(),
        scope,
        claimed_at,
        armed: true,
    };
    let response = CURRENT_CLAIM
        .scope(
            (guard.scope.clone(), claimed_at),
            next.run(Request::from_parts(parts, Body::from(bytes))),
        )
        .await;
    if !response.status().is_success() {
        guard.release().await;
        return Ok(response);
    }
    let (mut parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, MAX_STORED_RESPONSE).await {
        Ok(b) => b,
        Err(e) => {
            guard.release().await;
            return Err(ApiError::internal(format!(
                "response body of an idempotent request could not be read: {e}"
            )));
        }
    };
    let stored = StoredResponse {
        headers: KEPT_HEADERS
            .iter()
            .filter_map(|name| {
                parts
                    .headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| (name.as_str().to_string(), v.to_string()))
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    guard.complete(parts.status.as_u16(), &stored).await;
    parts.headers.remove(header::CONTENT_LENGTH);
    Ok(Response::from_parts(parts, Body::from(body)))
}

/// Answers a retry of a create that committed but whose response was never stored: the resource
/// as it is now, as the create would have answered, marked replayed.
async fn replay_created(state: &AppState, created: Created, key: &str) -> ApiResult<Response> {
    let gone = || {
        reused(
            "resource_gone",
            format!("Idempotency-Key '{key}' created a resource that has since been deleted"),
        )
    };
    let mut response = match created {
        Created::Mapping(id) => {
            let mapping = crate::services::mappings::load(state, id)
                .await
                .map_err(|e| {
                    if e.code == ErrorCode::NotFound {
                        gone()
                    } else {
                        e
                    }
                })?;
            respond::created(mapping, format!("/api/mappings/{id}"))
        }
        Created::Instance(id) => {
            let row = graph_olap_store::instances::get(&mut *state.store.read().await?, id)
                .await?
                .ok_or_else(gone)?;
            respond::created(
                crate::services::instances::to_wire(state, &row),
                format!("/api/instances/{id}"),
            )
        }
    };
    response.headers_mut().insert(
        HeaderName::from_static(REPLAYED_HEADER),
        HeaderValue::from_static("true"),
    );
    Ok(response)
}

/// Rebuilds a stored response; `meta.request_id` is set to this request's id (§1.3).
fn replay(status: u16, stored: &str) -> ApiResult<Response> {
    let stored: StoredResponse = serde_json::from_str(stored)
        .map_err(|e| ApiError::internal(format!("stored idempotent response is corrupt: {e}")))?;
    let mut body = stored.body;
    if let Ok(mut json) = serde_json::from_str::<serde_json::Value>(&body)
        && let Some(meta) = json
            .get_mut("meta")
            .and_then(serde_json::Value::as_object_mut)
    {
        meta.insert(
            "request_id".into(),
            graph_olap_server_kit::request_id::current().into(),
        );
        body = json.to_string();
    }
    let mut response = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        Bytes::from(body),
    )
        .into_response();
    for (name, value) in stored.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().insert(n, v);
        }
    }
    response.headers_mut().insert(
        HeaderName::from_static(REPLAYED_HEADER),
        HeaderValue::from_static("true"),
    );
    Ok(response)
}

/// Deletes expired keys at most once per [`PURGE_EVERY`] per process; failures are only logged.
async fn purge_now_and_then(store: &Store, now: DateTime<Utc>) {
    if !PURGE.due(now, PURGE_EVERY) {
        return;
    }
    let result = async {
        let mut tx = store.write().await?;
        let n = store_keys::purge(&mut tx, now - RETENTION).await?;
        tx.commit().await?;
        Ok::<u64, graph_olap_store::StoreError>(n)
    }
    .await;
    match result {
        Ok(n) if n > 0 => tracing::debug!(purged = n, "expired idempotency keys purged"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "purging expired idempotency keys failed"),
    }
}

/// An in-flight claim. Released when the request fails; if the request future is dropped (the
/// client went away) before completing, the release runs on a spawned task.
struct InFlight {
    store: Store,
    scope: KeyScope,
    claimed_at: DateTime<Utc>,
    armed: bool,
}

impl InFlight {
    async fn release(&mut self) {
        self.armed = false;
        if let Err(e) = release(&self.store, &self.scope, self.claimed_at).await {
            tracing::warn!(error = %e, "releasing an idempotency key failed; it expires on its own");
        }
    }

    async fn complete(&mut self, status: u16, stored: &StoredResponse) {
        self.armed = false;
        let result = async {
            let text =
                serde_json::to_string(stored).map_err(|e| ApiError::internal(e.to_string()))?;
            let mut tx = self.store.write().await?;
            let done =
                store_keys::complete(&mut tx, &self.scope, self.claimed_at, status, &text).await?;
            tx.commit().await?;
            Ok::<bool, ApiError>(done)
        }
        .await;
        match result {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(key = %self.scope.key, "idempotency claim was taken over before its response was stored")
            }
            Err(e) => {
                tracing::warn!(error = %e.message, "storing an idempotent response failed; releasing the key");
                self.release().await;
            }
        }
    }
}

async fn release(
    store: &Store,
    scope: &KeyScope,
    claimed_at: DateTime<Utc>,
) -> Result<(), graph_olap_store::StoreError> {
    let mut tx = store.write().await?;
    store_keys::release(&mut tx, scope, claimed_at).await?;
    tx.commit().await?;
    Ok(())
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let (store, scope, claimed_at) =
                (self.store.clone(), self.scope.clone(), self.claimed_at);
            handle.spawn(async move {
                if let Err(e) = release(&store, &scope, claimed_at).await {
                    tracing::warn!(error = %e, "releasing an abandoned idempotency key failed; it expires on its own");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_ascii_of_1_to_255() {
        let h = |s: &str| HeaderValue::from_str(s).unwrap();
        assert_eq!(parse_key(None).unwrap(), None);
        assert_eq!(
            parse_key(Some(&h("abc-123 x"))).unwrap().as_deref(),
            Some("abc-123 x")
        );
        assert_eq!(
            parse_key(Some(&h(&"k".repeat(255))))
                .unwrap()
                .map(|k| k.len()),
            Some(255)
        );
        for bad in [
            h(""),
            h(&"k".repeat(256)),
            HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
            HeaderValue::from_bytes(b"a\tb").unwrap(),
        ] {
            let e = parse_key(Some(&bad)).unwrap_err();
            assert_eq!(e.code, ErrorCode::ValidationFailed);
        }
    }

    #[test]
    fn replay_restores_headers_and_marks_the_response() {
        let stored = StoredResponse {
            headers: vec![("location".into(), "/api/mappings/7".into())],
            body: r#"{"data":{"id":7},"meta":{"request_id":"old"}}"#.into(),
        };
        let response = replay(201, &serde_json::to_string(&stored).unwrap()).unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()[header::LOCATION], "/api/mappings/7");
        assert_eq!(response.headers()[REPLAYED_HEADER], "true");
    }
}
