//! The graph-olap control plane: the REST API every client talks to.
//!
//! Owns identity and roles, mappings and their versions, favorites, the warehouse schema browser,
//! and the route table that drives the router and the OpenAPI document. Persistence is the
//! `store` crate's; SQL execution is the `warehouse` crate's.

// Every handler returns `ApiError` (code, message, details, headers) by value; failures are the
// cold path, and boxing it would add an allocation and a layer of noise to each of them.
#![allow(clippy::result_large_err)]

pub mod auth;
pub mod bulk_delete;
pub mod cluster;
pub mod diff;
pub mod error;
pub mod export_queue;
pub mod idempotency;
pub mod input;
pub mod instance_flow;
pub mod jobs;
pub mod mapping_rules;
pub mod metrics;
pub mod orchestration;
pub mod platform_config;
pub mod platform_ledger;
pub mod procfs;
pub mod proxy;
pub mod request_id;
pub mod respond;
pub mod routes;
pub mod schema_cache;
pub mod scrape;
pub mod settings;
pub mod sizing;
pub mod snapshot_flow;
pub mod sql_check;
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
/// users, and load (or, when empty, fill) the schema cache.
pub async fn start(
    store: Store,
    warehouse: Arc<dyn Warehouse>,
    settings: Settings,
    clock: Arc<dyn Clock>,
) -> Result<AppState, error::ApiError> {
    start_with_runtime(store, warehouse, settings, clock, None).await
}

/// [`start`], with a runtime that hosts instances.
pub async fn start_with_runtime(
    store: Store,
    warehouse: Arc<dyn Warehouse>,
    settings: Settings,
    clock: Arc<dyn Clock>,
    runtime: Option<Arc<dyn graph_olap_runtime::Runtime>>,
) -> Result<AppState, error::ApiError> {
    let state = AppState {
        store,
        warehouse,
        settings: Arc::new(settings),
        clock,
        schema: Arc::new(schema_cache::SchemaCache::default()),
        keys: Arc::new(auth::KeyCache::default()),
        runtime,
        orchestrator: Arc::new(tokio::sync::Notify::new()),
        http: reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(error::ApiError::internal)?,
        metrics: Arc::new(metrics::Metrics::new()),
        scheduler: Arc::new(tokio::sync::Notify::new()),
        cluster_health: Arc::new(cluster::HealthCache::default()),
    };
    let mut tx = state.store.write().await?;
    for (key, value) in platform_config::defaults() {
        graph_olap_store::config::seed(&mut tx, key, &value).await?;
    }
    tx.commit().await?;
    jobs::ensure_rows(&state).await?;
    if state.settings.auth_mode == AuthMode::Dev {
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
                routes::users::create_user(&state, "system", &user, false).await?;
            }
        }
    }
    if !state.schema.load(&state).await? {
        state.schema.refresh(&state).await?;
    }
    Ok(state)
}

/// The complete HTTP application: routes, request ids, body limit, request metrics,
/// trailing-slash normalisation.
pub fn app(
    state: AppState,
) -> axum::routing::IntoMakeService<tower_http::normalize_path::NormalizePath<Router>> {
    let registry = state.metrics.clone();
    let router = routes::router(state)
        .layer(DefaultBodyLimit::max(input::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            registry,
            metrics::http_layer,
        ))
        .layer(axum::middleware::from_fn(request_id::layer));
    axum::ServiceExt::<axum::extract::Request>::into_make_service(
        NormalizePathLayer::trim_trailing_slash().layer(router),
    )
}
