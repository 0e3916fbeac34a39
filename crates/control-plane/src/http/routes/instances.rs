//! `/api/instances…` and `/api/mappings/{id}/instances` (API.md §6.1): create (from a snapshot
//! or from a mapping), list, get, quota, update, terminate, lifecycle, extend, CPU and memory
//! changes, progress and events.

use axum::extract::{Path, State};
use axum::response::Response;
use chrono::{DateTime, Utc};
use graph_olap_api::InstanceStatus;
use graph_olap_api::SnapshotStatus;
use graph_olap_api::body::instances::{InstanceEvent, Quota};
use graph_olap_api::instance::WRAPPER_TYPES;
use graph_olap_api::{FieldError, IsoDuration};
use graph_olap_server_kit::crash::{crash_point, steps};
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::instances::{self, InstanceFilter, InstanceRow};
use graph_olap_store::{mappings, snapshots};
use serde_json::{Map, Value, json};

use crate::auth::Caller;
use crate::http::idempotency::{Created, record_created};
use crate::http::input::{Fields, JsonBody, Need, Patch, QueryParams, finish, path_id};
use crate::http::respond;
use crate::http::routes::{name_filter, status_filter};
use crate::services::instances::{self as instance_service, NewInstance, Sizing};
use crate::services::mappings::check_max_ttl;
use crate::services::platform_config::lifecycle_of;
use crate::state::AppState;

/// Event types (for filters).
pub const EVENT_TYPES: &[&str] = &[
    "created",
    "snapshot_ready",
    "snapshot_failed",
    "scheduled",
    "running",
    "failed",
    "terminate_requested",
    "terminated",
    "renamed",
    "lifecycle_updated",
    "ttl_extended",
    "cpu_updated",
    "memory_updated",
    "resize_failed",
    "ttl_expired",
    "inactivity_expired",
];

async fn load(state: &AppState, raw: &str) -> ApiResult<InstanceRow> {
    let id = path_id("instance_id", raw)?;
    instances::get(&mut *state.store.read().await?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("instance", id))
}

fn reply(state: &AppState, row: &InstanceRow) -> Response {
    respond::ok(instance_service::to_wire(state, row))
}

async fn list_with(
    state: &AppState,
    caller: &Caller,
    q: &QueryParams,
    mut filter: InstanceFilter,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let (offset, limit) = q.pagination(&mut errors, 50, 100);
    let (sort_by, desc) = q.sort(&mut errors, instances::SORT_KEYS, "created_at");
    filter.snapshot_id = q.int("snapshot_id", &mut errors, 1, i64::MAX);
    if filter.mapping_id.is_none() {
        filter.mapping_id = q.int("mapping_id", &mut errors, 1, i64::MAX);
    }
    filter.owner = q.text("owner").map(|o| {
        if o.eq_ignore_ascii_case("me") {
            caller.username.clone()
        } else {
            o.to_ascii_lowercase()
        }
    });
    filter.status =
        status_filter(q, "status", InstanceStatus::ALL, &mut errors).unwrap_or_default();
    filter.include_terminated = q.bool("include_terminated", &mut errors).unwrap_or(false);
    filter.search = q.search(&mut errors);
    filter.created_after = q.timestamp("created_after", &mut errors);
    filter.created_before = q.timestamp("created_before", &mut errors);
    finish(errors)?;
    let (rows, total) = instances::list(
        &mut *state.store.read().await?,
        &filter,
        sort_by,
        desc,
        offset,
        limit,
    )
    .await?;
    Ok(respond::page(
        rows.iter()
            .map(|r| instance_service::to_wire(state, r))
            .collect(),
        total,
        offset,
        limit,
    ))
}

/// `GET /api/instances`
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Response> {
    list_with(&state, &caller, &q, InstanceFilter::default()).await
}

/// `GET /api/mappings/{mapping_id}/instances`
pub async fn list_for_mapping(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    q: QueryParams,
) -> ApiResult<Response> {
    let id = path_id("mapping_id", &id)?;
    if mappings::get(&mut *state.store.read().await?, id)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("mapping", id));
    }
    list_with(
        &state,
        &caller,
        &q,
        InstanceFilter {
            mapping_id: Some(id),
            ..Default::default()
        },
    )
    .await
}

/// The fields shared by both create shapes.
struct CreateInput {
    name: Option<String>,
    description: Option<String>,
    ttl: Patch<IsoDuration>,
    inactivity: Patch<IsoDuration>,
    sizing: Sizing,
}

fn read_common(f: &mut Fields<'_>, default_cpu: i64) -> CreateInput {
    let name = f.name("name", Need::Required);
    let description = f.text_patch("description", 0, 4000).into_option().flatten();
    let ttl = f.duration("ttl");
    let inactivity = f.duration("inactivity_timeout");
    let cpu_cores = f
        .int("cpu_cores", Need::Optional, 1, 8)
        .unwrap_or(default_cpu);
    let memory_gb = f.int("memory_gb", Need::Optional, 2, 32);
    let wrapper_type = match f.raw("wrapper_type") {
        None | Some(Value::Null) => WRAPPER_TYPES[0].to_string(),
        Some(Value::String(s)) if WRAPPER_TYPES.contains(&s.to_ascii_lowercase().as_str()) => {
            s.to_ascii_lowercase()
        }
        Some(_) => {
            f.error(
                "wrapper_type",
                "enum",
                format!("wrapper_type must be one of {}", WRAPPER_TYPES.join(", ")),
            );
            String::new()
        }
    };
    CreateInput {
        name,
        description,
        ttl,
        inactivity,
        sizing: Sizing {
            cpu_cores,
            memory_gb,
            wrapper_type,
        },
    }
}

/// Effective TTL and inactivity timeout of a new instance (§4.5 defaults and `max_ttl`).
async fn lifecycle_for_new(
    state: &AppState,
    input: &CreateInput,
    now: DateTime<Utc>,
) -> ApiResult<(Option<String>, Option<String>, Option<DateTime<Utc>>)> {
    let limits = lifecycle_of(&mut state.store.read().await?, "instance").await?;
    let parse = |t: &Option<String>| t.as_deref().and_then(|t| IsoDuration::parse(t).ok());
    let ttl = match &input.ttl {
        Patch::Set(t) => Some(t.clone()),
        Patch::Null => None,
        Patch::Absent => parse(&limits.default_ttl).or_else(|| parse(&limits.max_ttl)),
    };
    if ttl.is_some() || limits.max_ttl.is_some() {
        check_max_ttl(ttl.as_ref(), &limits)?;
    }
    let inactivity = match &input.inactivity {
        Patch::Set(t) => Some(t.clone()),
        Patch::Null => None,
        Patch::Absent => parse(&limits.default_inactivity),
    };
    let expires = ttl.as_ref().map(|t| now + t.to_chrono());
    Ok((
        ttl.map(|t| t.as_str().to_string()),
        inactivity.map(|t| t.as_str().to_string()),
        expires,
    ))
}

/// `POST /api/instances` — shape A (`snapshot_id`) or shape B (`mapping_id`).
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    match (
        body.contains_key("snapshot_id"),
        body.contains_key("mapping_id"),
    ) {
        (true, false) => create_from_snapshot(state, caller, body).await,
        (false, true) => create_from_mapping_body(state, caller, body).await,
        _ => Err(ApiError::invalid(
            "snapshot_id",
            "exactly_one_of",
            "Send exactly one of snapshot_id and mapping_id",
        )),
    }
}

async fn create_from_snapshot(
    state: AppState,
    caller: Caller,
    body: Map<String, Value>,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let mut f = Fields::new(&body, "", &mut errors);
    let snapshot_id = f.int("snapshot_id", Need::Required, 1, i64::MAX);
    let input = read_common(&mut f, state.settings.default_cpu_cores);
    finish(errors)?;
    let (Some(snapshot_id), Some(name)) = (snapshot_id, input.name.clone()) else {
        return Err(ApiError::internal("validated input missing"));
    };
    let now = state.now();
    let (ttl, inactivity, expires_at) = lifecycle_for_new(&state, &input, now).await?;
    let mut tx = state.store.write().await?;
    let mut snapshot = snapshots::get_for_update(&mut tx, snapshot_id)
        .await?
        .ok_or_else(|| ApiError::not_found("snapshot", snapshot_id))?;
    crate::services::platform_config::ensure_not_in_maintenance(&mut tx).await?;
    if snapshot.status != SnapshotStatus::Ready {
        return Err(ApiError::invalid_state(
            "snapshot",
            snapshot.id,
            snapshot.status,
            &["ready"],
            "snapshot_not_ready",
            format!(
                "Snapshot {} is {}; instances start only from ready snapshots",
                snapshot.id, snapshot.status
            ),
        ));
    }
    let mut sizing = input.sizing;
    sizing.memory_gb = Some(crate::services::sizing::size_for_create(
        &state,
        &sizing.wrapper_type,
        sizing.memory_gb,
        &snapshot,
    )?);
    instances::lock_quota(&mut tx).await?;
    let limits = crate::services::platform_config::concurrency(&mut tx).await?;
    instance_service::check_quota(&mut tx, &limits, &caller.username, &state.metrics).await?;
    let new = NewInstance {
        snapshot_id,
        mapping_id: snapshot.mapping_id,
        mapping_version: snapshot.mapping_version,
        owner: caller.username.clone(),
        name,
        description: input.description,
        status: InstanceStatus::Starting,
        sizing,
        ttl,
        inactivity_timeout: inactivity,
        expires_at,
    };
    let row = instance_service::insert(&mut tx, new, now).await?;
    snapshot.last_used_at = Some(now);
    snapshot.updated_at = now;
    snapshots::save(&mut tx, &snapshot).await?;
    record_created(&mut tx, Created::Instance(row.id)).await?;
    tx.commit().await?;
    state.wake_orchestrator();
    Ok(respond::created(
        instance_service::to_wire(&state, &row),
        format!("/api/instances/{}", row.id),
    ))
}

/// `POST /api/instances/from-mapping`
pub async fn create_from_mapping(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    create_from_mapping_body(state, caller, body).await
}

async fn create_from_mapping_body(
    state: AppState,
    caller: Caller,
    body: Map<String, Value>,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let mut f = Fields::new(&body, "", &mut errors);
    let mapping_id = f.int("mapping_id", Need::Required, 1, i64::MAX);
    let mapping_version = f.int("mapping_version", Need::Optional, 1, i64::MAX);
    let snapshot_name = f.text("snapshot_name", Need::Optional, 1, 255);
    let input = read_common(&mut f, state.settings.default_cpu_cores);
    finish(errors)?;
    let (Some(mapping_id), Some(name)) = (mapping_id, input.name.clone()) else {
        return Err(ApiError::internal("validated input missing"));
    };
    let now = state.now();
    let mapping = mappings::get(&mut *state.store.read().await?, mapping_id)
        .await?
        .ok_or_else(|| ApiError::not_found("mapping", mapping_id))?;
    let version_no = mapping_version.unwrap_or(mapping.summary.current_version);
    let version = mappings::get_version(&mut *state.store.read().await?, mapping_id, version_no)
        .await?
        .ok_or_else(|| {
            ApiError::not_found("mapping_version", version_no)
                .detail("latest_version", mapping.summary.current_version)
        })?;
    crate::services::platform_config::ensure_not_in_maintenance(&mut state.store.read().await?)
        .await?;
    let prestaged = prestaged_kind(&state, &version)?;
    let (ttl, inactivity, expires_at) = lifecycle_for_new(&state, &input, now).await?;
    let mut tx = state.store.write().await?;
    mappings::get_for_update(&mut tx, mapping_id)
        .await?
        .ok_or_else(|| ApiError::not_found("mapping", mapping_id))?;
    instances::lock_quota(&mut tx).await?;
    let limits = crate::services::platform_config::concurrency(&mut tx).await?;
    instance_service::check_quota(&mut tx, &limits, &caller.username, &state.metrics).await?;
    let rid = graph_olap_server_kit::request_id::current();
    let description = format!("Created for instance '{name}'");
    let snap_name = snapshot_name.unwrap_or_else(|| name.clone());
    let reusable = match state.settings.snapshot_reuse && !prestaged {
        true => {
            crate::services::snapshots::find_reusable(&mut tx, mapping_id, version.version, now)
                .await?
        }
        false => None,
    };
    let mut sizing = input.sizing;
    let (snapshot, status) = match reusable {
        Some(mut snapshot) => {
            sizing.memory_gb = Some(crate::services::sizing::size_for_create(
                &state,
                &sizing.wrapper_type,
                sizing.memory_gb,
                &snapshot,
            )?);
            snapshot.last_used_at = Some(now);
            snapshot.updated_at = now;
            snapshots::save(&mut tx, &snapshot).await?;
            crate::services::snapshots::audit_snapshot(
                &mut tx,
                &caller.username,
                "snapshot.reuse",
                snapshot.id,
                json!({"instance_name": name}),
                &rid,
                now,
            )
            .await?;
            (snapshot, InstanceStatus::Starting)
        }
        None => {
            let snapshot_limits = lifecycle_of(&mut tx, "snapshot").await?;
            let snapshot = crate::services::snapshots::create(
                &mut tx,
                &state,
                &snapshot_limits,
                &caller.username,
                mapping_id,
                &version,
                &snap_name,
                Some(&description),
                prestaged,
                &rid,
            )
            .await?;
            (
                snapshot,
                if prestaged {
                    InstanceStatus::Starting
                } else {
                    InstanceStatus::WaitingForSnapshot
                },
            )
        }
    };
    let new = NewInstance {
        snapshot_id: snapshot.id,
        mapping_id,
        mapping_version: version.version,
        owner: caller.username.clone(),
        name,
        description: input.description,
        status,
        sizing,
        ttl,
        inactivity_timeout: inactivity,
        expires_at,
    };
    let row = instance_service::insert(&mut tx, new, now).await?;
    mappings::touch_used(&mut tx, mapping_id, now).await?;
    record_created(&mut tx, Created::Instance(row.id)).await?;
    tx.commit().await?;
    crash_point(steps::INSTANCE_CREATE_COMMITTED);
    state.wake_orchestrator();
    Ok(respond::created(
        instance_service::to_wire(&state, &row),
        format!("/api/instances/{}", row.id),
    ))
}

/// Whether every definition of `version` is pre-staged (§4.11); mixed → 400.
fn prestaged_kind(state: &AppState, version: &mappings::MappingVersion) -> ApiResult<bool> {
    if !state.settings.prestaged_snapshots {
        return Ok(false);
    }
    let flags: Vec<bool> = version
        .node_definitions
        .iter()
        .map(|n| &n.sql)
        .chain(version.edge_definitions.iter().map(|e| &e.sql))
        .map(|s| crate::services::sql_check::references_placeholder(s))
        .collect();
    match (flags.iter().all(|f| *f), flags.iter().any(|f| *f)) {
        (true, _) => Ok(true),
        (false, false) => Ok(false),
        (false, true) => Err(ApiError::invalid(
            "mapping_version",
            "mixed_prestaged",
            "Some definitions of this version read from 'placeholder' (pre-staged) and some do not; make them all pre-staged or all exported",
        )),
    }
}

/// `GET /api/instances/quota`
pub async fn quota(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let mut conn = state.store.read().await?;
    let limits = crate::services::platform_config::concurrency(&mut conn).await?;
    let (total, own) = instances::active_counts(&mut conn, &caller.username).await?;
    Ok(respond::ok(Quota {
        username: caller.username,
        active_instances: own,
        per_analyst_limit: limits.per_analyst,
        available_slots: (limits.per_analyst - own).max(0),
        cluster_used: total,
        cluster_total: limits.cluster_total,
        cluster_available: (limits.cluster_total - total).max(0),
    }))
}

/// `GET /api/instances/{instance_id}`
pub async fn get(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(reply(&state, &load(&state, &id).await?))
}

/// Loads an instance the caller may modify, inside a write transaction.
async fn load_own(
    tx: &mut sqlx::AnyConnection,
    caller: &Caller,
    raw: &str,
) -> ApiResult<InstanceRow> {
    let id = path_id("instance_id", raw)?;
    let row = instances::get_for_update(tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("instance", id))?;
    caller.require_owner(&row.owner_username, "instance", id)?;
    Ok(row)
}

/// `PUT /api/instances/{instance_id}`
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let mut f = Fields::new(&body, "", &mut errors);
    let name = f.name_patch("name");
    if name == Patch::Null {
        f.error("name", "type", "'name' cannot be null");
    }
    let description = f.text_patch("description", 0, 4000);
    if !name.is_present() && !description.is_present() {
        f.error("body", "empty_update", "Send name and/or description");
    }
    finish(errors)?;
    let mut tx = state.store.write().await?;
    let mut row = load_own(&mut tx, &caller, &id).await?;
    if row.status == InstanceStatus::Terminated {
        return Err(ApiError::invalid_state(
            "instance",
            row.id,
            "terminated",
            &[
                "waiting_for_snapshot",
                "starting",
                "running",
                "stopping",
                "failed",
            ],
            "terminated",
            "A terminated instance cannot be changed",
        ));
    }
    let now = state.now();
    let old = json!({"name": row.name, "description": row.description});
    if let Patch::Set(n) = name {
        row.name = n;
    }
    if let Some(d) = description.into_option() {
        row.description = d;
    }
    row.updated_at = now;
    instances::save(&mut tx, &row).await?;
    instance_service::event(
        &mut tx,
        row.id,
        "renamed",
        &caller.username,
        json!({"old": old, "new": {"name": row.name, "description": row.description}}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(reply(&state, &row))
}

/// `POST /api/instances/{instance_id}/terminate` and `DELETE /api/instances/{instance_id}`
pub async fn terminate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let note = Fields::new(&body, "", &mut errors).text("reason", Need::Optional, 0, 500);
    finish(errors)?;
    let id = path_id("instance_id", &id)?;
    let row = instance_service::terminate_for(&state, &caller, id, "user_request", note.as_deref())
        .await?;
    Ok(reply(&state, &row))
}

fn require_active(row: &InstanceRow) -> ApiResult<()> {
    if row.status.is_active() {
        return Ok(());
    }
    Err(ApiError::invalid_state(
        "instance",
        row.id,
        row.status,
        &InstanceStatus::ACTIVE,
        "not_active",
        format!(
            "Instance {} is {}; only active instances can be changed",
            row.id, row.status
        ),
    ))
}

/// `PUT /api/instances/{instance_id}/lifecycle`
pub async fn set_lifecycle(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let mut f = Fields::new(&body, "", &mut errors);
    let ttl = f.duration("ttl");
    let inactivity = f.duration("inactivity_timeout");
    if !ttl.is_present()
        && !inactivity.is_present()
        && !f.has("ttl")
        && !f.has("inactivity_timeout")
    {
        f.error("body", "empty_update", "Send ttl and/or inactivity_timeout");
    }
    finish(errors)?;
    let limits = lifecycle_of(&mut state.store.read().await?, "instance").await?;
    let ttl = ttl.into_option();
    if let Some(t) = &ttl {
        check_max_ttl(t.as_ref(), &limits)?;
    }
    let mut tx = state.store.write().await?;
    let mut row = load_own(&mut tx, &caller, &id).await?;
    require_active(&row)?;
    let now = state.now();
    let old = json!({"ttl": row.ttl, "inactivity_timeout": row.inactivity_timeout, "expires_at": row.expires_at.as_ref().map(graph_olap_api::time::format_ts)});
    if let Some(t) = ttl {
        row.expires_at = t.as_ref().map(|d| row.created_at + d.to_chrono());
        row.ttl = t.map(|d| d.as_str().to_string());
    }
    if let Some(i) = inactivity.into_option() {
        row.inactivity_timeout = i.map(|d| d.as_str().to_string());
    }
    row.updated_at = now;
    instances::save(&mut tx, &row).await?;
    let new = json!({"ttl": row.ttl, "inactivity_timeout": row.inactivity_timeout, "expires_at": row.expires_at.as_ref().map(graph_olap_api::time::format_ts)});
    instance_service::event(
        &mut tx,
        row.id,
        "lifecycle_updated",
        &caller.username,
        json!({"old": old, "new": new}),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(reply(&state, &row))
}

/// `POST /api/instances/{instance_id}/extend`
pub async fn extend(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let mut f = Fields::new(&body, "", &mut errors);
    let hours = f.int("hours", Need::Optional, 1, 168).unwrap_or(24);
    finish(errors)?;
    let limits = lifecycle_of(&mut state.store.read().await?, "instance").await?;
    let mut tx = state.store.write().await?;
    let mut row = load_own(&mut tx, &caller, &id).await?;
    require_active(&row)?;
    let Some(expires_at) = row.expires_at else {
        return Err(ApiError::invalid_state(
            "instance",
            row.id,
            row.status,
            &InstanceStatus::ACTIVE,
            "no_ttl",
            "This instance has no TTL, so there is nothing to extend",
        ));
    };
    let now = state.now();
    let new_expires = expires_at.max(now) + chrono::Duration::hours(hours);
    let new_ttl =
        IsoDuration::from_millis((new_expires - row.created_at).num_milliseconds().max(0) as u64);
    if let Some(max_ms) = limits.max_ttl_ms()
        && new_ttl.millis() > max_ms
    {
        let cap = row.created_at + chrono::Duration::milliseconds(max_ms as i64);
        return Err(ApiError::invalid("hours", "exceeds_max_ttl", format!("Extending by {hours} h would pass the maximum TTL of {}; the latest possible expiry is {}", limits.max_ttl.clone().unwrap_or_default(), graph_olap_api::time::format_ts(&cap)))
            .detail("max_ttl", limits.max_ttl.clone().unwrap_or_default())
            .detail("max_expires_at", graph_olap_api::time::format_ts(&cap)));
    }
    let old = row.expires_at.as_ref().map(graph_olap_api::time::format_ts);
    row.expires_at = Some(new_expires);
    row.ttl = Some(new_ttl.as_str().to_string());
    row.updated_at = now;
    instances::save(&mut tx, &row).await?;
    instance_service::event(&mut tx, row.id, "ttl_extended", &caller.username, json!({"old_expires_at": old, "new_expires_at": graph_olap_api::time::format_ts(&new_expires), "hours": hours}), now).await?;
    tx.commit().await?;
    Ok(reply(&state, &row))
}

fn require_running(row: &InstanceRow) -> ApiResult<()> {
    if row.status == InstanceStatus::Running {
        return Ok(());
    }
    Err(ApiError::invalid_state(
        "instance",
        row.id,
        row.status,
        &["running"],
        "not_running",
        format!(
            "Instance {} is {}; resizing needs a running instance",
            row.id, row.status
        ),
    ))
}

/// `PUT /api/instances/{instance_id}/cpu`
pub async fn set_cpu(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let cores = Fields::new(&body, "", &mut errors).int("cpu_cores", Need::Required, 1, 8);
    finish(errors)?;
    let cores = cores.ok_or_else(|| ApiError::internal("validated input missing"))?;
    resize(&state, &caller, &id, "cpu_updated", |row| {
        let old = row.cpu_cores;
        row.cpu_cores = cores;
        json!({"old_cpu_cores": old, "new_cpu_cores": cores})
    })
    .await
}

/// `PUT /api/instances/{instance_id}/memory`
pub async fn set_memory(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let gb = Fields::new(&body, "", &mut errors).int("memory_gb", Need::Required, 2, 32);
    finish(errors)?;
    let gb = gb.ok_or_else(|| ApiError::internal("validated input missing"))?;
    let current = load(&state, &id).await?;
    if let Some(old) = current.memory_gb
        && gb < old
    {
        return Err(ApiError::invalid_state(
            "instance",
            current.id,
            current.status,
            &["running"],
            "memory_decrease_not_allowed",
            format!("Memory can only grow: the instance has {old} GiB, {gb} GiB was asked"),
        ));
    }
    resize(&state, &caller, &id, "memory_updated", |row| {
        let old = row.memory_gb;
        row.memory_gb = Some(gb);
        json!({"old_memory_gb": old, "new_memory_gb": gb})
    })
    .await
}

/// Applies a CPU/memory change: the runtime confirms first, then the record changes (§6.1).
async fn resize(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    event_type: &str,
    apply: impl FnOnce(&mut InstanceRow) -> Value,
) -> ApiResult<Response> {
    let mut row = {
        let mut tx = state.store.write().await?;
        let row = load_own(&mut tx, caller, raw).await?;
        require_running(&row)?;
        row
    };
    let details = apply(&mut row);
    let applied = match (state.runtime.clone(), row.pod_name.clone()) {
        (Some(runtime), Some(unit)) if event_type == "cpu_updated" => {
            runtime
                .resize_cpu(&unit, u32::try_from(row.cpu_cores).unwrap_or(u32::MAX))
                .await
        }
        (Some(runtime), Some(unit)) if event_type == "memory_updated" => match row.memory_gb {
            Some(gb) => {
                runtime
                    .resize_memory(&unit, u32::try_from(gb).unwrap_or(u32::MAX))
                    .await
            }
            None => Ok(()),
        },
        _ => Ok(()),
    };
    if let Err(e) = applied {
        let mut tx = state.store.write().await?;
        instance_service::event(
            &mut tx,
            row.id,
            "resize_failed",
            &caller.username,
            json!({"error": e.to_string(), "requested": details}),
            state.now(),
        )
        .await?;
        tx.commit().await?;
        return Err(ApiError::new(
            graph_olap_api::ErrorCode::UpstreamError,
            format!("The runtime refused the change: {e}"),
        )
        .detail("service", "compute"));
    }
    let mut tx = state.store.write().await?;
    let now = state.now();
    let mut fresh = load_own(&mut tx, caller, raw).await?;
    require_running(&fresh)?;
    fresh.cpu_cores = row.cpu_cores;
    fresh.memory_gb = row.memory_gb;
    fresh.updated_at = now;
    instances::save(&mut tx, &fresh).await?;
    instance_service::event(
        &mut tx,
        fresh.id,
        event_type,
        &caller.username,
        details,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(reply(state, &fresh))
}

/// `GET /api/instances/{instance_id}/progress`
pub async fn progress(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let row = load(&state, &id).await?;
    Ok(respond::ok(
        instance_service::progress(&mut *state.store.read().await?, &row).await?,
    ))
}

/// `GET /api/instances/{instance_id}/events`
pub async fn events(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
    q: QueryParams,
) -> ApiResult<Response> {
    let row = load(&state, &id).await?;
    let mut errors: Vec<FieldError> = Vec::new();
    let (offset, limit) = q.pagination(&mut errors, 50, 100);
    let types = name_filter(&q, "event_type", EVENT_TYPES, &mut errors).unwrap_or_default();
    finish(errors)?;
    let (items, total) = instances::events(
        &mut *state.store.read().await?,
        row.id,
        &types,
        offset,
        limit,
    )
    .await?;
    let items: Vec<InstanceEvent> = items
        .into_iter()
        .map(|e| InstanceEvent {
            id: e.id,
            instance_id: e.instance_id,
            event_type: e.event_type,
            actor: e.actor,
            details: e.details,
            created_at: graph_olap_api::time::format_ts(&e.created_at),
        })
        .collect();
    Ok(respond::page(items, total, offset, limit))
}
