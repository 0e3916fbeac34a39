//! `/health` (liveness, never touches dependencies) and `/ready` (database and migrations).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use graph_olap_api::body::health::{Health, Ready};
use graph_olap_server_kit::error::ApiError;
use serde_json::json;

use crate::state::AppState;

/// The server version reported everywhere.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `GET /health`
pub async fn health(State(state): State<AppState>) -> Response {
    Json(Health {
        status: "healthy".into(),
        version: VERSION.into(),
        database: "unknown".into(),
        auth_mode: state.settings.auth_mode.as_str().into(),
        timestamp: graph_olap_api::time::format_ts(&state.now()),
    })
    .into_response()
}

/// `GET /ready`
pub async fn ready(State(state): State<AppState>) -> Response {
    let db_ok = state.store.ping(Duration::from_secs(1)).await.is_ok();
    let migrations_ok = db_ok
        && graph_olap_store::migrate::current_version(&state.store)
            .await
            .map(|v| v >= graph_olap_store::migrate::LATEST_VERSION)
            .unwrap_or(false);
    if db_ok && migrations_ok {
        return Json(Ready {
            status: "ready".into(),
            version: VERSION.into(),
            database: "connected".into(),
            timestamp: graph_olap_api::time::format_ts(&state.now()),
        })
        .into_response();
    }
    ApiError::unavailable("database", "The platform is not ready: the metadata database is unreachable or not migrated")
        .detail("checks", json!({"database": if db_ok {"connected"} else {"disconnected"}, "migrations": if migrations_ok {"ok"} else {"pending"}}))
        .into_response()
}
