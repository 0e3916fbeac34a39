//! `/api/mappings…` (API.md §5.3): list, create, get, update (new immutable version), delete,
//! copy, lifecycle, versions, diff and tree.

use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use graph_olap_api::IsoDuration;
use graph_olap_api::SnapshotStatus;
use graph_olap_api::body::mappings::TreeTotals;
use graph_olap_server_kit::crash::{crash_point, steps};
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::{audit, mappings};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::http::idempotency::{Created, record_created};
use crate::http::input::{Fields, JsonBody, Need, Patch, QueryParams, finish, path_id};
use crate::http::respond;
use crate::services::mapping_rules;
use crate::services::mappings::{audit_rec, check_max_ttl, delete_mapping, load, validate_sql};
use crate::services::platform_config::lifecycle_of;
use crate::state::AppState;

/// `GET /api/mappings`
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let (offset, limit) = q.pagination(&mut errors, 50, 100);
    let (sort_by, desc) = q.sort(&mut errors, mappings::MappingSort::NAMES, "created_at");
    let filter = mappings::MappingFilter {
        owner: q.text("owner").map(|o| {
            if o.eq_ignore_ascii_case("me") {
                caller.username.clone()
            } else {
                o.to_ascii_lowercase()
            }
        }),
        search: q.search(&mut errors),
        created_after: q.timestamp("created_after", &mut errors),
        created_before: q.timestamp("created_before", &mut errors),
    };
    finish(errors)?;
    let sort = mappings::MappingSort::parse(sort_by).unwrap_or(mappings::MappingSort::CreatedAt);
    let (items, total) = mappings::list(
        &mut *state.store.read().await?,
        &filter,
        sort,
        desc,
        offset,
        limit,
    )
    .await?;
    Ok(respond::page(items, total, offset, limit))
}

/// TTL/inactivity input of a create or lifecycle update, checked against `max_ttl`.
pub struct LifecycleInput {
    /// New TTL (`Patch::Absent` keeps the current value).
    pub ttl: Patch<IsoDuration>,
    /// New inactivity timeout.
    pub inactivity: Patch<IsoDuration>,
}

/// Reads `ttl` and `inactivity_timeout` from a body.
pub fn read_lifecycle(f: &mut Fields<'_>) -> LifecycleInput {
    LifecycleInput {
        ttl: f.duration("ttl"),
        inactivity: f.duration("inactivity_timeout"),
    }
}

fn expires(created_at: DateTime<Utc>, ttl: Option<&IsoDuration>) -> Option<DateTime<Utc>> {
    ttl.map(|t| created_at + t.to_chrono())
}

/// `POST /api/mappings`
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let mut f = Fields::new(&body, "", &mut errors);
    let name = f.name("name", Need::Required);
    let description = f.text_patch("description", 0, 4000);
    let lifecycle = read_lifecycle(&mut f);
    if !f.has("node_definitions") {
        f.error(
            "node_definitions",
            "required",
            "'node_definitions' is required",
        );
    }
    let defs = mapping_rules::validate(
        body.get("node_definitions").unwrap_or(&Value::Null),
        body.get("edge_definitions").unwrap_or(&Value::Null),
        &mut errors,
    );
    finish(errors)?;
    let (Some(name), Some((nodes, edges))) = (name, defs) else {
        return Err(ApiError::internal("validated input missing"));
    };
    let limits = lifecycle_of(&mut state.store.read().await?, "mapping").await?;
    let ttl = match lifecycle.ttl {
        Patch::Set(t) => Some(t),
        Patch::Null => None,
        Patch::Absent => limits
            .default_ttl
            .as_deref()
            .and_then(|t| IsoDuration::parse(t).ok()),
    };
    if ttl.is_some() || limits.max_ttl.is_some() {
        check_max_ttl(ttl.as_ref(), &limits)?;
    }
    let inactivity = match lifecycle.inactivity {
        Patch::Set(t) => Some(t),
        Patch::Null => None,
        Patch::Absent => limits
            .default_inactivity
            .as_deref()
            .and_then(|t| IsoDuration::parse(t).ok()),
    };
    validate_sql(&state, &nodes, &edges).await?;
    let now = state.now();
    let new = mappings::NewMapping {
        owner_username: caller.username.clone(),
        name,
        description: description.into_option().flatten(),
        ttl: ttl.as_ref().map(|t| t.as_str().to_string()),
        inactivity_timeout: inactivity.map(|t| t.as_str().to_string()),
        expires_at: expires(now, ttl.as_ref()),
        node_definitions: nodes,
        edge_definitions: edges,
        change_description: None,
    };
    let rid = graph_olap_server_kit::request_id::current();
    let mut tx = state.store.write().await?;
    let id = mappings::insert(&mut tx, &new, now).await?;
    audit::record(
        &mut tx,
        audit_rec(
            &caller,
            "mapping.create",
            id,
            json!({"name": new.name}),
            &rid,
        ),
        now,
    )
    .await?;
    record_created(&mut tx, Created::Mapping(id)).await?;
    tx.commit().await?;
    crash_point(steps::MAPPING_CREATE_COMMITTED);
    let mapping = load(&state, id).await?;
    Ok(respond::created(mapping, format!("/api/mappings/{id}")))
}

/// `GET /api/mappings/{id}`
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let id = path_id("mapping_id", &id)?;
    Ok(respond::ok(load(&state, id).await?))
}

/// `PUT /api/mappings/{id}`
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let id = path_id("mapping_id", &id)?;
    let mut errors = Vec::new();
    let mut f = Fields::new(&body, "", &mut errors);
    let change_description = f.text("change_description", Need::Required, 1, 1000);
    let name = f.name_patch("name");
    if name == Patch::Null {
        f.error("name", "type", "'name' cannot be null");
    }
    let description = f.text_patch("description", 0, 4000);
    let lifecycle = read_lifecycle(&mut f);
    let expected_version = f.int("expected_version", Need::Optional, 1, i64::MAX);
    if body.get("node_definitions") == Some(&Value::Null) {
        f.error(
            "node_definitions",
            "type",
            "'node_definitions' cannot be null",
        );
    }
    finish(errors)?;
    let current = load(&state, id).await?;
    caller.require_owner(&current.summary.owner_username, "mapping", id)?;
    let mut errors = Vec::new();
    let node_raw = body
        .get("node_definitions")
        .cloned()
        .unwrap_or_else(|| json!(current.node_definitions));
    let edge_raw = match body.get("edge_definitions") {
        None => json!(current.edge_definitions),
        Some(Value::Null) => json!([]),
        Some(v) => v.clone(),
    };
    let defs = mapping_rules::validate(&node_raw, &edge_raw, &mut errors);
    finish(errors)?;
    let (nodes, edges) = defs.ok_or_else(|| ApiError::internal("validated definitions missing"))?;
    let defs_changed = nodes != current.node_definitions || edges != current.edge_definitions;
    let limits = lifecycle_of(&mut state.store.read().await?, "mapping").await?;
    let ttl_patch = lifecycle.ttl.clone().into_option();
    if let Some(ttl) = &ttl_patch {
        check_max_ttl(ttl.as_ref(), &limits)?;
    }
    if !defs_changed
        && !name.is_present()
        && !description.is_present()
        && ttl_patch.is_none()
        && !lifecycle.inactivity.is_present()
    {
        // Nothing changes: still honour the optimistic check.
        if let Some(v) = expected_version.filter(|v| *v != current.summary.current_version) {
            return Err(version_conflict(id, v, current.summary.current_version));
        }
        return Ok(respond::ok(current));
    }
    if defs_changed {
        validate_sql(&state, &nodes, &edges).await?;
    }
    let now = state.now();
    let rid = graph_olap_server_kit::request_id::current();
    let mut tx = state.store.write().await?;
    let locked = mappings::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("mapping", id))?;
    if let Some(v) = expected_version.filter(|v| *v != locked.summary.current_version) {
        return Err(version_conflict(id, v, locked.summary.current_version));
    }
    let header = mappings::HeaderUpdate {
        name: name.into_option().flatten(),
        description: description.into_option(),
        expires_at: ttl_patch
            .as_ref()
            .map(|t| expires(locked.summary.created_at, t.as_ref())),
        ttl: ttl_patch.map(|t| t.map(|d| d.as_str().to_string())),
        inactivity_timeout: lifecycle
            .inactivity
            .into_option()
            .map(|t| t.map(|d| d.as_str().to_string())),
    };
    if !header.is_empty() {
        mappings::update_header(&mut tx, &locked.summary, &header, now).await?;
    }
    let mut new_version = None;
    if defs_changed {
        new_version = Some(
            mappings::add_version(
                &mut tx,
                id,
                change_description.as_deref().unwrap_or(""),
                &nodes,
                &edges,
                &caller.username,
                now,
            )
            .await?,
        );
    }
    audit::record(
        &mut tx,
        audit_rec(
            &caller,
            "mapping.update",
            id,
            json!({"new_version": new_version, "change_description": change_description}),
            &rid,
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    crash_point(steps::MAPPING_UPDATE_COMMITTED);
    Ok(respond::ok(load(&state, id).await?))
}

fn version_conflict(id: i64, expected: i64, current: i64) -> ApiError {
    ApiError::invalid_state(
        "mapping",
        id,
        current.to_string(),
        graph_olap_server_kit::error::NO_REQUIRED_STATE,
        "version_conflict",
        format!("Mapping {id} is at version {current}, not {expected}; reload it and retry"),
    )
    .detail("expected_version", expected)
    .detail("current_version", current)
}

/// `DELETE /api/mappings/{id}`
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id("mapping_id", &id)?;
    Ok(respond::ok(delete_mapping(&state, &caller, id).await?))
}

/// Deletes mapping `id` for `caller` (owner, admin or ops) unless an active instance uses one of
/// its snapshots (§4.10), with the cascade of §4.9 and an audit record; returns the wire summary.
/// The one path behind `DELETE /api/mappings/{id}` and bulk delete.
/// `POST /api/mappings/{id}/copy`
pub async fn copy(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let id = path_id("mapping_id", &id)?;
    let mut errors = Vec::new();
    let mut f = Fields::new(&body, "", &mut errors);
    let name = f.name("name", Need::Optional);
    let version = f.int("version", Need::Optional, 1, i64::MAX);
    finish(errors)?;
    let source = load(&state, id).await?;
    let version = version.unwrap_or(source.summary.current_version);
    let v = mappings::get_version(&mut *state.store.read().await?, id, version)
        .await?
        .ok_or_else(|| version_not_found(id, version, source.summary.current_version))?;
    let limits = lifecycle_of(&mut state.store.read().await?, "mapping").await?;
    let ttl = source
        .summary
        .ttl
        .as_deref()
        .and_then(|t| IsoDuration::parse(t).ok());
    if ttl.is_some() || limits.max_ttl.is_some() {
        check_max_ttl(ttl.as_ref(), &limits)?;
    }
    let now = state.now();
    let name = name.unwrap_or_else(|| {
        format!("Copy of {}", source.summary.name)
            .chars()
            .take(255)
            .collect()
    });
    let new = mappings::NewMapping {
        owner_username: caller.username.clone(),
        name,
        description: source.summary.description.clone(),
        expires_at: expires(now, ttl.as_ref()),
        ttl: source.summary.ttl.clone(),
        inactivity_timeout: source.summary.inactivity_timeout.clone(),
        node_definitions: v.node_definitions,
        edge_definitions: v.edge_definitions,
        change_description: Some(format!("Copied from mapping {id} v{version}")),
    };
    let rid = graph_olap_server_kit::request_id::current();
    let mut tx = state.store.write().await?;
    let new_id = mappings::insert(&mut tx, &new, now).await?;
    audit::record(
        &mut tx,
        audit_rec(
            &caller,
            "mapping.copy",
            new_id,
            json!({"source_id": id, "source_version": version}),
            &rid,
        ),
        now,
    )
    .await?;
    record_created(&mut tx, Created::Mapping(new_id)).await?;
    tx.commit().await?;
    Ok(respond::created(
        load(&state, new_id).await?,
        format!("/api/mappings/{new_id}"),
    ))
}

fn version_not_found(id: i64, version: i64, latest: i64) -> ApiError {
    ApiError::new(
        graph_olap_api::ErrorCode::NotFound,
        format!("Mapping {id} has no version {version} (latest is {latest})"),
    )
    .detail("resource_type", "mapping_version")
    .detail("resource_id", version)
    .detail("mapping_id", id)
    .detail("version", version)
    .detail("latest_version", latest)
}

/// `PUT /api/mappings/{id}/lifecycle`
pub async fn set_lifecycle(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let id = path_id("mapping_id", &id)?;
    let mut errors = Vec::new();
    let mut f = Fields::new(&body, "", &mut errors);
    let lifecycle = read_lifecycle(&mut f);
    if !lifecycle.ttl.is_present()
        && !lifecycle.inactivity.is_present()
        && f.raw("ttl").is_none()
        && f.raw("inactivity_timeout").is_none()
    {
        f.error("body", "empty_update", "Send ttl and/or inactivity_timeout");
    }
    finish(errors)?;
    let current = load(&state, id).await?;
    caller.require_owner(&current.summary.owner_username, "mapping", id)?;
    let limits = lifecycle_of(&mut state.store.read().await?, "mapping").await?;
    let ttl_patch = lifecycle.ttl.into_option();
    if let Some(ttl) = &ttl_patch {
        check_max_ttl(ttl.as_ref(), &limits)?;
    }
    let now = state.now();
    let rid = graph_olap_server_kit::request_id::current();
    let mut tx = state.store.write().await?;
    let locked = mappings::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("mapping", id))?;
    let header = mappings::HeaderUpdate {
        expires_at: ttl_patch
            .as_ref()
            .map(|t| expires(locked.summary.created_at, t.as_ref())),
        ttl: ttl_patch.map(|t| t.map(|d| d.as_str().to_string())),
        inactivity_timeout: lifecycle
            .inactivity
            .into_option()
            .map(|t| t.map(|d| d.as_str().to_string())),
        ..Default::default()
    };
    mappings::update_header(&mut tx, &locked.summary, &header, now).await?;
    audit::record(
        &mut tx,
        audit_rec(
            &caller,
            "mapping.lifecycle",
            id,
            json!({"ttl": header.ttl, "inactivity_timeout": header.inactivity_timeout}),
            &rid,
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(respond::ok(load(&state, id).await?))
}

/// `GET /api/mappings/{id}/versions`
pub async fn versions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: QueryParams,
) -> ApiResult<Response> {
    let id = path_id("mapping_id", &id)?;
    let mut errors = Vec::new();
    let (offset, limit) = q.pagination(&mut errors, 50, 100);
    finish(errors)?;
    load(&state, id).await?;
    let (items, total) =
        mappings::list_versions(&mut *state.store.read().await?, id, offset, limit).await?;
    Ok(respond::page(items, total, offset, limit))
}

/// `GET /api/mappings/{id}/versions/{version}`
pub async fn version(
    State(state): State<AppState>,
    Path((id, version)): Path<(String, String)>,
) -> ApiResult<Response> {
    let id = path_id("mapping_id", &id)?;
    let version = path_id("version", &version)?;
    let mapping = load(&state, id).await?;
    let v = mappings::get_version(&mut *state.store.read().await?, id, version)
        .await?
        .ok_or_else(|| version_not_found(id, version, mapping.summary.current_version))?;
    Ok(respond::ok(v))
}

/// `GET /api/mappings/{id}/versions/{from}/diff/{to}`
pub async fn diff(
    State(state): State<AppState>,
    Path((id, from, to)): Path<(String, String, String)>,
) -> ApiResult<Response> {
    let id = path_id("mapping_id", &id)?;
    let from = path_id("from_version", &from)?;
    let to = path_id("to_version", &to)?;
    if from == to {
        return Err(ApiError::invalid(
            "path.to_version",
            "same_version",
            "from_version and to_version must differ",
        ));
    }
    let mapping = load(&state, id).await?;
    let mut conn = state.store.read().await?;
    let a = mappings::get_version(&mut conn, id, from)
        .await?
        .ok_or_else(|| version_not_found(id, from, mapping.summary.current_version))?;
    let b = mappings::get_version(&mut conn, id, to)
        .await?
        .ok_or_else(|| version_not_found(id, to, mapping.summary.current_version))?;
    Ok(respond::ok(crate::services::diff::diff(
        id,
        from,
        to,
        (&a.node_definitions, &a.edge_definitions),
        (&b.node_definitions, &b.edge_definitions),
    )))
}

/// `GET /api/mappings/{id}/tree`
pub async fn tree(
    State(state): State<AppState>,
    Path(id): Path<String>,
    q: QueryParams,
) -> ApiResult<Response> {
    let id = path_id("mapping_id", &id)?;
    let mut errors = Vec::new();
    let include_instances = q.bool("include_instances", &mut errors).unwrap_or(true);
    let statuses =
        crate::http::routes::status_filter(&q, "status", SnapshotStatus::ALL, &mut errors);
    finish(errors)?;
    let mapping = load(&state, id).await?;
    let mut conn = state.store.read().await?;
    let tree = mappings::tree(&mut conn, id, statuses.as_deref(), include_instances).await?;
    let (versions, _) = mappings::list_versions(&mut conn, id, 0, i64::MAX / 2).await?;
    let mut snapshot_total = 0;
    let mut instance_total = 0;
    let versions_out: Vec<TreeVersion> = versions
        .iter()
        .map(|v| {
            let snaps: Vec<mappings::TreeSnapshot> = tree
                .iter()
                .filter(|s| s.mapping_version == v.version)
                .cloned()
                .collect();
            snapshot_total += snaps.len();
            instance_total += snaps.iter().map(|s| s.instance_count).sum::<i64>();
            TreeVersion {
                version: v.version,
                change_description: v.change_description.clone(),
                created_at: graph_olap_api::time::format_ts(&v.created_at),
                created_by: v.created_by.clone(),
                snapshot_count: snaps.len(),
                snapshots: snaps,
            }
        })
        .collect();
    Ok(respond::ok(MappingTree {
        id,
        name: mapping.summary.name,
        owner_username: mapping.summary.owner_username,
        current_version: mapping.summary.current_version,
        totals: TreeTotals {
            version_count: versions.len(),
            snapshot_count: snapshot_total,
            instance_count: instance_total,
        },
        versions: versions_out,
    }))
}

/// One version in a [`MappingTree`] with the snapshots taken of it.
#[derive(Serialize, JsonSchema)]
pub struct TreeVersion {
    /// Version number.
    pub version: i64,
    /// Why it was created.
    pub change_description: Option<String>,
    /// When it was created.
    pub created_at: String,
    /// Who created it.
    pub created_by: String,
    /// Snapshots listed under it.
    pub snapshot_count: usize,
    /// Those snapshots with their instances.
    pub snapshots: Vec<mappings::TreeSnapshot>,
}

/// `GET /api/mappings/{id}/tree`: versions, their snapshots and those snapshots' instances.
#[derive(Serialize, JsonSchema)]
pub struct MappingTree {
    /// Mapping id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its owner.
    pub owner_username: String,
    /// Latest version.
    pub current_version: i64,
    /// Every version, newest first as listed by the store.
    pub versions: Vec<TreeVersion>,
    /// Counts.
    pub totals: TreeTotals,
}
