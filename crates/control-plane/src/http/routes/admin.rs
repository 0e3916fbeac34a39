//! `/api/admin/resources/bulk` (API.md §7.4) and `/api/audit-log` (docs/ops.md): bulk delete
//! and audit-log queries. Admin or ops (the route table enforces it). Reads and validates the
//! bodies; the rules and the processing are the service's (`services::admin`).

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use graph_olap_api::body::admin::AuditLogEntry;
use graph_olap_api::time::format_ts;
use graph_olap_api::{FieldError, InstanceStatus, SnapshotStatus};
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::audit::{self, AuditFilter};
use graph_olap_store::bulk::{BulkFilter, BulkTarget};
use serde_json::{Map, Value};

use crate::auth::Caller;
use crate::http::input::{Fields, JsonBody, Need, Patch, QueryParams, finish};
use crate::http::respond;
use crate::services::admin;
use crate::state::AppState;

/// `DELETE /api/admin/resources/bulk` and its alias `POST /api/admin/resources/bulk-delete`.
pub async fn bulk_delete(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let request = parse(&body, &caller, state.now())?;
    Ok(respond::ok(admin::run(&state, &caller, &request).await?))
}

fn target_of(name: &str) -> Option<(BulkTarget, &'static str)> {
    match name {
        "instance" => Some((BulkTarget::Instance, "instance")),
        "snapshot" => Some((BulkTarget::Snapshot, "snapshot")),
        "mapping" => Some((BulkTarget::Mapping, "mapping")),
        _ => None,
    }
}

/// Validates a bulk-delete body (every problem reported together).
fn parse(
    body: &Map<String, Value>,
    caller: &Caller,
    now: DateTime<Utc>,
) -> ApiResult<admin::BulkRequest> {
    let mut errors = Vec::new();
    let mut f = Fields::new(body, "", &mut errors);
    let target = f
        .choice("resource_type", Need::Required, &admin::RESOURCE_TYPES)
        .and_then(|t| target_of(&t));
    let reason = f.text("reason", Need::Required, 1, 500);
    let expected_count = f.int("expected_count", Need::Optional, 0, i64::MAX);
    let dry_run = f.bool("dry_run", Need::Optional).unwrap_or(false);
    let filter = match body.get("filters") {
        Some(Value::Object(map)) => {
            parse_filters(map, target.map(|t| t.0), caller, now, &mut errors)
        }
        None | Some(Value::Null) => {
            errors.push(missing_filters());
            None
        }
        Some(_) => {
            errors.push(FieldError::new(
                "filters",
                "type",
                "'filters' must be an object",
            ));
            None
        }
    };
    finish(errors)?;
    let (Some((target, resource_type)), Some(reason), Some(filter)) = (target, reason, filter)
    else {
        return Err(ApiError::internal("validated bulk-delete input missing"));
    };
    Ok(admin::BulkRequest {
        target,
        resource_type,
        filter,
        filters_sent: body.get("filters").cloned().unwrap_or(Value::Null),
        reason,
        expected_count,
        dry_run,
    })
}

fn missing_filters() -> FieldError {
    FieldError::new(
        "filters",
        "required",
        format!(
            "'filters' must set at least one of: {}",
            admin::FILTER_KEYS.join(", ")
        ),
    )
}

fn parse_filters(
    map: &Map<String, Value>,
    target: Option<BulkTarget>,
    caller: &Caller,
    now: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) -> Option<BulkFilter> {
    let before = errors.len();
    for key in map
        .keys()
        .filter(|k| !admin::FILTER_KEYS.contains(&k.as_str()))
    {
        errors.push(FieldError::new(
            format!("filters.{key}"),
            "unknown_field",
            format!(
                "'filters.{key}' is not a filter; expected one of: {}",
                admin::FILTER_KEYS.join(", ")
            ),
        ));
    }
    let mut f = Fields::new(map, "filters.", errors);
    let name_prefix = match f.text_patch("name_prefix", 1, 255) {
        Patch::Set(p) => Some(p),
        _ => None,
    };
    let created_by = f.text("created_by", Need::Optional, 1, 255).map(|o| {
        if o.eq_ignore_ascii_case("me") {
            caller.username.clone()
        } else {
            o.to_ascii_lowercase()
        }
    });
    let older_than_hours = f.int("older_than_hours", Need::Optional, 1, 87_600);
    let status = match (
        target,
        f.text("status", Need::Optional, 1, 64)
            .map(|s| s.to_ascii_lowercase()),
    ) {
        (_, None) => None,
        (Some(BulkTarget::Mapping), Some(_)) => {
            f.error(
                "status",
                "not_allowed",
                "Mappings have no status; remove filters.status",
            );
            None
        }
        (Some(BulkTarget::Instance), Some(s)) => {
            checked_status(&mut f, s, &InstanceStatus::names())
        }
        (Some(BulkTarget::Snapshot), Some(s)) => {
            checked_status(&mut f, s, &SnapshotStatus::names())
        }
        (None, Some(s)) => Some(s),
    };
    let filter = BulkFilter {
        name_prefix,
        owner: created_by,
        created_before: older_than_hours.map(|h| now - chrono::Duration::hours(h)),
        status,
    };
    let all_unset = filter.name_prefix.is_none()
        && filter.owner.is_none()
        && filter.created_before.is_none()
        && filter.status.is_none();
    if errors.len() == before && all_unset {
        errors.push(missing_filters());
    }
    (errors.len() == before).then_some(filter)
}

fn checked_status(f: &mut Fields<'_>, status: String, allowed: &[&str]) -> Option<String> {
    if allowed.contains(&status.as_str()) {
        Some(status)
    } else {
        f.error(
            "status",
            "enum",
            format!("'filters.status' must be one of: {}", allowed.join(", ")),
        );
        None
    }
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
