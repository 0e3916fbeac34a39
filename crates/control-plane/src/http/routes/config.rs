//! `/api/config/*` (API.md §7.1): read and change the lifecycle, concurrency, maintenance and
//! export configuration. Ops only (enforced by the route table).
//!
//! Every change is a partial update validated as a whole (all problems reported together),
//! stored with who and when, and audited with the old and new document. Unlike resource bodies,
//! configuration bodies refuse unknown fields (reason `unknown_field`): a misspelt setting must not
//! be silently ignored. The documents and the checks other handlers call live in
//! `platform_config`.

use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use graph_olap_api::FieldError;
use graph_olap_server_kit::error::ApiResult;
use graph_olap_store::audit;
use serde_json::{Map, Value, json};

use crate::auth::Caller;
use crate::http::input::{Fields, JsonBody, Need, Patch, finish};
use crate::http::respond;
use crate::services::platform_config::{
    self as pc, ConcurrencyLimits, ExportConfig, LifecycleConfig, MaintenanceConfig, Stamped, keys,
};
use crate::state::AppState;

const DURATION_FIELDS: [&str; 3] = ["default_ttl", "default_inactivity", "max_ttl"];

/// Reports every key of `map` that is not in `allowed`.
fn reject_unknown(
    map: &Map<String, Value>,
    prefix: &str,
    allowed: &[&str],
    errors: &mut Vec<FieldError>,
) {
    for key in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
        errors.push(FieldError::new(
            format!("{prefix}{key}"),
            "unknown_field",
            format!(
                "'{prefix}{key}' is not a setting; expected one of: {}",
                allowed.join(", ")
            ),
        ));
    }
}

/// `body` problem for a PUT that changes nothing (§1.10).
fn empty_update(errors: &mut Vec<FieldError>, expected: &str) {
    errors.push(FieldError::new(
        "body",
        "empty_update",
        format!("Send at least one of: {expected}"),
    ));
}

/// Writes `value` under `key` and the audit row with the old and new wire documents, in one transaction.
async fn store_and_audit<T: serde::Serialize>(
    state: &AppState,
    caller: &Caller,
    key: &str,
    value: &T,
    old: Value,
    new: &Value,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let rid = graph_olap_server_kit::request_id::current();
    let mut tx = state.store.write().await?;
    pc::save(&mut tx, key, value, &caller.username, now).await?;
    let record = audit::AuditRecord {
        actor: &caller.username,
        action: "config.update",
        resource_type: "config",
        resource_id: Some(key.to_string()),
        details: json!({"old": old, "new": new}),
        request_id: Some(&rid),
    };
    audit::record(&mut tx, record, now).await?;
    tx.commit().await?;
    Ok(())
}

fn stamped<T>(value: T, caller: &Caller, now: DateTime<Utc>) -> Stamped<T> {
    Stamped {
        value,
        updated_at: Some(now),
        updated_by: Some(caller.username.clone()),
    }
}

/// `GET /api/config/lifecycle`
pub async fn get_lifecycle(State(state): State<AppState>) -> ApiResult<Response> {
    let doc: Stamped<LifecycleConfig> =
        pc::load(&mut state.store.read().await?, keys::LIFECYCLE).await?;
    Ok(respond::ok(doc.to_wire()))
}

/// `PUT /api/config/lifecycle` — partial at every level; `null` clears; `default_ttl ≤ max_ttl`.
pub async fn put_lifecycle(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    reject_unknown(&body, "", &LifecycleConfig::RESOURCES, &mut errors);
    let mut patches: Vec<(&str, &str, Patch<graph_olap_api::IsoDuration>)> = Vec::new();
    for resource in LifecycleConfig::RESOURCES {
        match body.get(resource) {
            None => {}
            Some(Value::Object(fields)) => {
                let prefix = format!("{resource}.");
                reject_unknown(fields, &prefix, &DURATION_FIELDS, &mut errors);
                let mut f = Fields::new(fields, prefix, &mut errors);
                for field in DURATION_FIELDS {
                    let patch = f.duration(field);
                    if patch.is_present() {
                        patches.push((resource, field, patch));
                    }
                }
            }
            Some(_) => errors.push(FieldError::new(
                resource,
                "type",
                format!(
                    "'{resource}' must be an object of default_ttl, default_inactivity and max_ttl"
                ),
            )),
        }
    }
    if errors.is_empty() && patches.is_empty() {
        empty_update(
            &mut errors,
            "mapping, snapshot or instance with default_ttl, default_inactivity or max_ttl",
        );
    }
    finish(errors)?;
    let old: Stamped<LifecycleConfig> =
        pc::load(&mut state.store.read().await?, keys::LIFECYCLE).await?;
    let mut merged = old.value.clone();
    for (resource, field, patch) in patches {
        let Some(target) = merged.of_mut(resource) else {
            continue;
        };
        let value = patch
            .into_option()
            .flatten()
            .map(|d| d.as_str().to_string());
        match field {
            "default_ttl" => target.default_ttl = value,
            "default_inactivity" => target.default_inactivity = value,
            _ => target.max_ttl = value,
        }
    }
    let mut errors = Vec::new();
    for resource in LifecycleConfig::RESOURCES {
        let Some(r) = merged.of(resource) else {
            continue;
        };
        if let (Some(default_ms), Some(max_ms)) = (r.default_ttl_ms(), r.max_ttl_ms())
            && default_ms > max_ms
        {
            errors.push(FieldError::new(
                format!("{resource}.default_ttl"),
                "default_exceeds_max",
                format!(
                    "{resource}.default_ttl {} exceeds {resource}.max_ttl {}",
                    r.default_ttl.as_deref().unwrap_or(""),
                    r.max_ttl.as_deref().unwrap_or("")
                ),
            ));
        }
    }
    finish(errors)?;
    let now = state.now();
    let mut response = stamped(merged.clone(), &caller, now).to_wire();
    store_and_audit(
        &state,
        &caller,
        keys::LIFECYCLE,
        &merged,
        json!(old.to_wire()),
        &json!(response),
        now,
    )
    .await?;
    response.updated = Some(true);
    Ok(respond::ok(response))
}

/// `GET /api/config/concurrency`
pub async fn get_concurrency(State(state): State<AppState>) -> ApiResult<Response> {
    let doc: Stamped<ConcurrencyLimits> =
        pc::load(&mut state.store.read().await?, keys::CONCURRENCY).await?;
    Ok(respond::ok(doc.to_wire()))
}

/// Reads an optional, non-nullable integer setting.
fn int_setting(f: &mut Fields<'_>, key: &str, min: i64, max: i64) -> Option<i64> {
    if f.raw(key).is_some_and(Value::is_null) {
        f.error(key, "type", format!("'{key}' must be an integer, not null"));
        return None;
    }
    f.int(key, Need::Optional, min, max)
}

/// `PUT /api/config/concurrency` — at least one limit; `per_analyst ≤ cluster_total`.
pub async fn put_concurrency(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    reject_unknown(&body, "", &["per_analyst", "cluster_total"], &mut errors);
    let mut f = Fields::new(&body, "", &mut errors);
    let per_analyst = int_setting(&mut f, "per_analyst", 1, 100);
    let cluster_total = int_setting(&mut f, "cluster_total", 1, 1000);
    if errors.is_empty() && per_analyst.is_none() && cluster_total.is_none() {
        empty_update(&mut errors, "per_analyst, cluster_total");
    }
    finish(errors)?;
    let old: Stamped<ConcurrencyLimits> =
        pc::load(&mut state.store.read().await?, keys::CONCURRENCY).await?;
    let merged = ConcurrencyLimits {
        per_analyst: per_analyst.unwrap_or(old.value.per_analyst),
        cluster_total: cluster_total.unwrap_or(old.value.cluster_total),
    };
    if merged.per_analyst > merged.cluster_total {
        let field = if per_analyst.is_some() {
            "per_analyst"
        } else {
            "cluster_total"
        };
        finish(vec![FieldError::new(
            field,
            "per_analyst_exceeds_total",
            format!(
                "per_analyst ({}) must not exceed cluster_total ({})",
                merged.per_analyst, merged.cluster_total
            ),
        )])?;
    }
    let now = state.now();
    let response = stamped(merged, &caller, now).to_wire();
    store_and_audit(
        &state,
        &caller,
        keys::CONCURRENCY,
        &merged,
        json!(old.to_wire()),
        &json!(response),
        now,
    )
    .await?;
    Ok(respond::ok(response))
}

/// `GET /api/config/maintenance`
pub async fn get_maintenance(State(state): State<AppState>) -> ApiResult<Response> {
    let doc = pc::maintenance(&mut state.store.read().await?).await?;
    Ok(respond::ok(doc.to_wire()))
}

/// `PUT /api/config/maintenance` — `enabled` required, `message` 0–1000 characters (default "").
pub async fn put_maintenance(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    reject_unknown(&body, "", &["enabled", "message"], &mut errors);
    let mut f = Fields::new(&body, "", &mut errors);
    let enabled = if f.raw("enabled").is_some_and(Value::is_null) {
        f.error(
            "enabled",
            "type",
            "'enabled' must be true or false, not null",
        );
        None
    } else {
        f.bool("enabled", Need::Required)
    };
    let message = match f.text_patch("message", 0, 1000) {
        Patch::Set(m) => m,
        Patch::Null => {
            f.error("message", "type", "'message' must be a string, not null");
            String::new()
        }
        Patch::Absent => String::new(),
    };
    finish(errors)?;
    let Some(enabled) = enabled else {
        return Err(graph_olap_server_kit::error::ApiError::internal(
            "validated input missing",
        ));
    };
    let old = pc::maintenance(&mut state.store.read().await?).await?;
    let now = state.now();
    let (enabled_at, enabled_by) = match (enabled, old.value.enabled) {
        (true, true) => (
            old.value.enabled_at.or(old.updated_at),
            old.value
                .enabled_by
                .clone()
                .or_else(|| old.updated_by.clone()),
        ),
        (true, false) => (Some(now), Some(caller.username.clone())),
        (false, _) => (None, None),
    };
    let merged = MaintenanceConfig {
        enabled,
        message,
        enabled_at,
        enabled_by,
    };
    let response = stamped(merged.clone(), &caller, now).to_wire();
    store_and_audit(
        &state,
        &caller,
        keys::MAINTENANCE,
        &merged,
        json!(old.to_wire()),
        &json!(response),
        now,
    )
    .await?;
    Ok(respond::ok(response))
}

/// `GET /api/config/export`
pub async fn get_export(State(state): State<AppState>) -> ApiResult<Response> {
    let doc: Stamped<ExportConfig> = pc::load(&mut state.store.read().await?, keys::EXPORT).await?;
    Ok(respond::ok(doc.to_wire()))
}

/// `PUT /api/config/export` — `max_duration_seconds` required, 60–86 400.
pub async fn put_export(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    reject_unknown(&body, "", &["max_duration_seconds"], &mut errors);
    let mut f = Fields::new(&body, "", &mut errors);
    let seconds = if f.raw("max_duration_seconds").is_some_and(Value::is_null) {
        f.error(
            "max_duration_seconds",
            "type",
            "'max_duration_seconds' must be an integer, not null",
        );
        None
    } else {
        f.int("max_duration_seconds", Need::Required, 60, 86_400)
    };
    finish(errors)?;
    let Some(seconds) = seconds.and_then(|s| u64::try_from(s).ok()) else {
        return Err(graph_olap_server_kit::error::ApiError::internal(
            "validated input missing",
        ));
    };
    let old: Stamped<ExportConfig> = pc::load(&mut state.store.read().await?, keys::EXPORT).await?;
    let merged = ExportConfig {
        max_duration_seconds: seconds,
    };
    let now = state.now();
    let response = stamped(merged, &caller, now).to_wire();
    store_and_audit(
        &state,
        &caller,
        keys::EXPORT,
        &merged,
        json!(old.to_wire()),
        &json!(response),
        now,
    )
    .await?;
    Ok(respond::ok(response))
}
