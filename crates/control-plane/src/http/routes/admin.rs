//! `/api/admin/resources/bulk` (API.md §7.4) and `/api/audit-log` (docs/ops.md): bulk delete
//! and audit-log queries. Admin or ops (the route table enforces it).

use axum::extract::State;
use axum::response::Response;
use graph_olap_api::body::admin::AuditLogEntry;
use graph_olap_api::time::format_ts;
use graph_olap_server_kit::error::ApiResult;
use graph_olap_store::audit::{self, AuditFilter};

use crate::auth::Caller;
use crate::http::input::{JsonBody, QueryParams, finish};
use crate::http::respond;
use crate::services::admin;
use crate::state::AppState;

/// `DELETE /api/admin/resources/bulk` and its alias `POST /api/admin/resources/bulk-delete`.
pub async fn bulk_delete(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let request = admin::parse(&body, &caller, state.now())?;
    Ok(respond::ok(admin::run(&state, &caller, &request).await?))
}

/// Filters of `GET /api/audit-log` that are plain text, in query-parameter order.
const TEXT_FILTERS: [&str; 4] = ["username", "resource_type", "resource_id", "action"];

/// `GET /api/audit-log` — newest first, paginated; every filter optional (AND).
pub async fn audit_log(State(state): State<AppState>, q: QueryParams) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let (offset, limit) = q.pagination(&mut errors, 50, 100);
    let text = TEXT_FILTERS.map(|key| q.text(key).map(str::to_string));
    for (key, value) in TEXT_FILTERS.iter().zip(&text) {
        let reason = match value.as_ref().map(|v| v.chars().count()) {
            Some(0) => "too_short",
            Some(n) if n > 255 => "too_long",
            _ => continue,
        };
        errors.push(graph_olap_api::FieldError::new(
            format!("query.{key}"),
            reason,
            format!("'{key}' must have 1 to 255 characters"),
        ));
    }
    let since = q.timestamp("created_after", &mut errors);
    let until = q.timestamp("created_before", &mut errors);
    finish(errors)?;
    let [actor, resource_type, resource_id, action] = text;
    let filter = AuditFilter {
        actor: actor.map(|a| a.to_ascii_lowercase()),
        resource_type,
        resource_id,
        action,
        since,
        until,
    };
    let (entries, total) =
        audit::query(&mut *state.store.read().await?, &filter, offset, limit).await?;
    let items: Vec<AuditLogEntry> = entries
        .into_iter()
        .map(|e| AuditLogEntry {
            id: e.id,
            created_at: format_ts(&e.at),
            username: e.actor,
            action: e.action,
            resource_type: e.resource_type,
            resource_id: e.resource_id,
            details: e.details,
            request_id: e.request_id,
        })
        .collect();
    Ok(respond::page(items, total, offset, limit))
}
