//! The graph-olap control plane: the REST API every client talks to.
//!
//! Layers, each calling only the ones below it:
//! * [`http`] — the route table (which also drives the OpenAPI document), thin handlers,
//!   request reading, envelopes, idempotency and the proxy to instance servers;
//! * [`services`] — the rules and state machines of mappings, snapshots and their export
//!   queue, instances, users, admin bulk operations, platform configuration and the schema
//!   cache;
//! * [`jobs`] — the background job scheduler and the instance orchestration passes, which call
//!   services;
//! * [`ops`] — cluster views, metrics and the `/metrics` scrape.
//!
//! Beside them: identity and roles ([`auth`]), settings and the shared state. The error type
//! every layer returns (`ApiError`), request ids and `/proc` readings are the `server-kit`
//! crate's, shared with the instance server and the export worker; persistence is the `store`
//! crate's; SQL execution the `warehouse` crate's; starting instance servers the `runtime`
//! crate's.

// Every handler returns `ApiError` (code, message, details, headers) by value; failures are the
// cold path, and boxing it would add an allocation and a layer of noise to each of them.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod http;
pub mod jobs;
pub mod ops;
pub mod pacing;
pub mod services;
pub mod settings;
pub mod state;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use graph_olap_store::{Clock, Store};
use graph_olap_warehouse::Warehouse;
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

pub use settings::{AuthMode, Settings};
pub use state::AppState;

/// Builds the shared state and performs start-up duties: seed configuration defaults and dev
/// users (logging a warning that development identities are on), and load (or, when empty,
/// fill) the schema cache.
pub async fn start(
    store: Store,
    warehouse: Arc<dyn Warehouse>,
    settings: Settings,
    clock: Arc<dyn Clock>,
) -> Result<AppState, graph_olap_server_kit::ApiError> {
    start_with_runtime(store, warehouse, settings, clock, None).await
}

/// `<host>-<pid>-<random>`: unique per control plane, even for two in one process (tests) or
/// two containers whose processes are both pid 1.
fn replica_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}-{}", host.trim(), std::process::id(), &random[..8])
}

/// [`start`], with a runtime that hosts instances.
pub async fn start_with_runtime(
    store: Store,
    warehouse: Arc<dyn Warehouse>,
    settings: Settings,
    clock: Arc<dyn Clock>,
    runtime: Option<Arc<dyn graph_olap_runtime::Runtime>>,
) -> Result<AppState, graph_olap_server_kit::ApiError> {
    let state = AppState {
        auth_failures: Arc::new(auth::throttle::AuthThrottle::new(
            settings.auth_failure_limit,
            settings.auth_failure_window,
        )),
        store,
        warehouse,
        settings: Arc::new(settings),
        clock,
        schema: Arc::new(services::schema_cache::SchemaCache::default()),
        keys: Arc::new(auth::KeyCache::default()),
        runtime,
        orchestrator: Arc::new(tokio::sync::Notify::new()),
        http: reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(graph_olap_server_kit::ApiError::internal)?,
        metrics: Arc::new(ops::metrics::Metrics::new()),
        scheduler: Arc::new(tokio::sync::Notify::new()),
        cluster_health: Arc::new(ops::cluster::HealthCache::default()),
        replica_id: replica_id().into(),
    };
    let mut tx = state.store.write().await?;
    for (key, value) in services::platform_config::defaults() {
        graph_olap_store::config::seed(&mut tx, key, &value).await?;
    }
    tx.commit().await?;
    jobs::ensure_rows(&state).await?;
    if state.settings.auth_mode == AuthMode::Dev {
        tracing::warn!(
            public_url = %state.settings.public_url,
            "development identity mode is on: X-Username and X-User-Role are trusted without a credential (GRAPH_OLAP_AUTH_MODE=dev)"
        );
        for (username, role) in state.settings.dev_seed_users.clone() {
            if graph_olap_store::users::get(&mut *state.store.read().await?, &username)
                .await?
                .is_none()
            {
                let user = graph_olap_store::users::NewUser {
                    username: username.clone(),
                    email: None,
                    display_name: username.clone(),
                    role: role.as_str().into(),
                };
                services::users::create_user(&state, "system", &user, false).await?;
            }
        }
    }
    if !state.schema.load(&state).await? {
        state.schema.refresh(&state).await?;
    }
    Ok(state)
}

/// The complete HTTP application: routes, request ids, body limit, request metrics,
/// trailing-slash normalisation; each connection's peer address is recorded for the
/// failed-authentication throttle ([`auth::throttle`]).
pub fn app(
    state: AppState,
) -> axum::extract::connect_info::IntoMakeServiceWithConnectInfo<
    tower_http::normalize_path::NormalizePath<Router>,
    std::net::SocketAddr,
> {
    let registry = state.metrics.clone();
    let router = http::routes::router(state)
        .layer(DefaultBodyLimit::max(http::input::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            registry,
            ops::metrics::http_layer,
        ))
        .layer(axum::middleware::from_fn(
            graph_olap_server_kit::request_id::layer,
        ));
    axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<
        std::net::SocketAddr,
    >(NormalizePathLayer::trim_trailing_slash().layer(router))
}
