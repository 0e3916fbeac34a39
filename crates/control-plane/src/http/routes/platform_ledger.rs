//! `/api/platform/*` (issue 20): the platform-as-code ledger — status, lock, intents, import,
//! refresh, approvals — plus the two read-only helpers plan and validate need from the server's
//! own rules: the field-level diff of a proposed mapping version (`crate::services::diff`) and the
//! definition + warehouse SQL check that mapping creation runs. Admin or ops only.
//! Handlers are thin; the rules live in `crate::services::platform_ledger`.

use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post};
use chrono::Utc;
use graph_olap_api::body::platform as wire;
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::ledger;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Endpoint, ep};
use crate::auth::{Access, Caller};
use crate::http::input::JsonBody;
use crate::http::respond;
use crate::services::mapping_rules;
use crate::services::platform_ledger::{
    audit_ledger, check_actor, locked, new_id, parse, require_lock,
};
use crate::state::AppState;

/// The ledger endpoints, registered by `routes::endpoints`.
pub fn endpoints() -> Vec<Endpoint> {
    use Method as M;
    let a = Access::ADMIN_OPS;
    let t = "platform";
    vec![
        ep(
            M::GET,
            "/api/platform/ledger",
            a,
            t,
            "Platform-as-code ledger: resources, lock, pending intents, approvals",
            get(status),
        )
        .ok::<LedgerStatus>(),
        ep(
            M::POST,
            "/api/platform/lock",
            a,
            t,
            "Take the platform apply lock",
            post(acquire),
        )
        .takes::<AcquireBody>()
        .created::<ledger::Lock>(),
        ep(
            M::POST,
            "/api/platform/lock/{lock_id}/release",
            a,
            t,
            "Release (or force-unlock) the apply lock by its exact id",
            post(release),
        )
        .takes::<ReleaseBody>()
        .ok::<wire::LockReleased>(),
        ep(
            M::POST,
            "/api/platform/intents",
            a,
            t,
            "Announce one change before making it",
            post(create_intent),
        )
        .takes::<IntentBody>()
        .created::<ledger::Intent>(),
        ep(
            M::GET,
            "/api/platform/intents/{intent_id}/outcome",
            a,
            t,
            "Whether an intent's change happened (its audit entry)",
            get(outcome),
        )
        .ok::<IntentOutcome>(),
        ep(
            M::POST,
            "/api/platform/intents/{intent_id}/complete",
            a,
            t,
            "Complete an intent: record the resource, consume its approval",
            post(complete),
        )
        .takes::<CompleteBody>()
        .ok::<ledger::Intent>(),
        ep(
            M::POST,
            "/api/platform/intents/{intent_id}/retire",
            a,
            t,
            "Retire an intent whose change did not happen",
            post(retire),
        )
        .takes::<RetireBody>()
        .ok::<ledger::Intent>(),
        ep(
            M::POST,
            "/api/platform/import",
            a,
            t,
            "Record resources as the control plane holds them today",
            post(import),
        )
        .takes::<ImportBody>()
        .ok::<wire::Imported>(),
        ep(
            M::POST,
            "/api/platform/refresh",
            a,
            t,
            "Record what was observed; mark changed resources drifted",
            post(refresh),
        )
        .takes::<RefreshBody>()
        .ok::<wire::Refreshed>(),
        ep(
            M::POST,
            "/api/platform/approvals",
            a,
            t,
            "Approve one planned destructive change, bound to its digest",
            post(approve),
        )
        .takes::<ApproveBody>()
        .created::<ledger::Approval>(),
        ep(
            M::POST,
            "/api/platform/mapping-diff",
            a,
            t,
            "Field-level diff of proposed definitions against a mapping's current version",
            post(mapping_diff),
        )
        .takes::<wire::ProposedDefinitions>()
        .ok::<graph_olap_api::body::mappings::MappingDiff>(),
        ep(
            M::POST,
            "/api/platform/mapping-check",
            a,
            t,
            "Validate definitions and their SQL on the warehouse, as mapping creation does",
            post(mapping_check),
        )
        .takes::<wire::Definitions>()
        .ok::<wire::DefinitionsChecked>(),
    ]
}

/// `GET /api/platform/ledger`
async fn status(State(state): State<AppState>) -> ApiResult<Response> {
    let mut conn = state.store.read().await?;
    let resources = ledger::resources(&mut conn).await?;
    let lock = ledger::lock(&mut conn).await?;
    let pending = ledger::intents(&mut conn, "pending", 1000).await?;
    let approvals = ledger::approvals(&mut conn).await?;
    Ok(respond::ok(LedgerStatus {
        resources,
        lock,
        pending_intents: pending,
        approvals,
    }))
}

/// `GET /api/platform/ledger`: everything the ledger holds that an apply must know.
#[derive(Serialize, JsonSchema)]
pub struct LedgerStatus {
    /// Resources as last applied or imported.
    pub resources: Vec<ledger::Resource>,
    /// The apply lock, if held.
    pub lock: Option<ledger::Lock>,
    /// Intents announced but neither completed nor retired.
    pub pending_intents: Vec<ledger::Intent>,
    /// Approvals not yet consumed.
    pub approvals: Vec<ledger::Approval>,
}

/// `GET /api/platform/intents/{id}/outcome`: whether the intent's change happened.
#[derive(Serialize, JsonSchema)]
pub struct IntentOutcome {
    /// The intent.
    pub intent: ledger::Intent,
    /// Whether its request left an audit entry.
    pub happened: bool,
    /// That entry.
    pub audit: Option<graph_olap_store::audit::AuditEntry>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AcquireBody {
    holder: String,
    actor: String,
}

/// `POST /api/platform/lock`
async fn acquire(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let b: AcquireBody = parse(body)?;
    check_actor(&b.actor)?;
    let lock_id = new_id("lock");
    let mut tx = state.store.write().await?;
    match ledger::acquire(&mut tx, &lock_id, &b.holder, &b.actor, state.now()).await? {
        Ok(lock) => {
            audit_ledger(
                &state,
                &mut tx,
                &caller,
                &b.actor,
                "platform.lock",
                Some(lock_id.clone()),
                json!({"holder": b.holder}),
            )
            .await?;
            tx.commit().await?;
            Ok(respond::created(
                lock,
                format!("/api/platform/lock/{lock_id}"),
            ))
        }
        Err(held) => Err(locked(&held)),
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReleaseBody {
    actor: String,
    #[serde(default)]
    force: bool,
}

/// `POST /api/platform/lock/{lock_id}/release`
async fn release(
    State(state): State<AppState>,
    caller: Caller,
    Path(lock_id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let b: ReleaseBody = parse(body)?;
    check_actor(&b.actor)?;
    let mut tx = state.store.write().await?;
    let held = ledger::lock(&mut tx).await?;
    if !ledger::release(&mut tx, &lock_id).await? {
        let message = match &held {
            Some(h) => format!(
                "The platform lock is held with id {}, not {lock_id}; force-unlock needs the exact id",
                h.lock_id
            ),
            None => "The platform lock is not held".to_string(),
        };
        return Err(ApiError::new(graph_olap_api::ErrorCode::NotFound, message)
            .detail("resource_type", "platform_lock")
            .detail("resource_id", lock_id.as_str()));
    }
    let action = if b.force {
        "platform.force_unlock"
    } else {
        "platform.unlock"
    };
    audit_ledger(
        &state,
        &mut tx,
        &caller,
        &b.actor,
        action,
        Some(lock_id.clone()),
        json!({"lock": held}),
    )
    .await?;
    tx.commit().await?;
    Ok(respond::ok(wire::LockReleased {
        lock_id,
        released: true,
        forced: b.force,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct IntentBody {
    lock_id: String,
    step: i64,
    resource_key: String,
    action: String,
    payload: Value,
    actor: String,
}

/// `POST /api/platform/intents`
async fn create_intent(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let b: IntentBody = parse(body)?;
    check_actor(&b.actor)?;
    if !["create", "update", "set", "delete"].contains(&b.action.as_str()) {
        return Err(ApiError::invalid(
            "action",
            "enum",
            "action must be create, update, set or delete",
        ));
    }
    let id = new_id("intent");
    let request_id = format!("pac-{id}");
    let mut tx = state.store.write().await?;
    require_lock(&mut tx, &b.lock_id).await?;
    ledger::insert_intent(
        &mut tx,
        &ledger::NewIntent {
            id: &id,
            lock_id: &b.lock_id,
            step: b.step,
            resource_key: &b.resource_key,
            action: &b.action,
            request_id: &request_id,
            payload: &b.payload,
            actor: &b.actor,
        },
        state.now(),
    )
    .await?;
    tx.commit().await?;
    let intent = ledger::intent(&mut *state.store.read().await?, &id).await?;
    Ok(respond::created(
        intent,
        format!("/api/platform/intents/{id}"),
    ))
}

async fn load_intent(state: &AppState, id: &str) -> ApiResult<ledger::Intent> {
    ledger::intent(&mut *state.store.read().await?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("platform_intent", id))
}

/// `GET /api/platform/intents/{id}/outcome`
async fn outcome(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let intent = load_intent(&state, &id).await?;
    let audit =
        ledger::audit_of_request(&mut *state.store.read().await?, &intent.request_id).await?;
    Ok(respond::ok(IntentOutcome {
        intent,
        happened: audit.is_some(),
        audit,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ResourceBody {
    kind: String,
    live_id: Option<String>,
    applied_digest: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CompleteBody {
    lock_id: String,
    /// The record to keep; `null` removes it (an applied delete).
    resource: Option<ResourceBody>,
    #[serde(default)]
    approval_id: Option<String>,
    #[serde(default)]
    recovered: bool,
}

fn not_pending(intent: &ledger::Intent) -> ApiError {
    ApiError::invalid_state(
        "platform_intent",
        intent.id.as_str(),
        &intent.status,
        &["pending"],
        "intent_resolved",
        format!("Intent {} is already {}", intent.id, intent.status),
    )
}

/// `POST /api/platform/intents/{id}/complete`
async fn complete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let b: CompleteBody = parse(body)?;
    let intent = load_intent(&state, &id).await?;
    let now = state.now();
    let mut tx = state.store.write().await?;
    require_lock(&mut tx, &b.lock_id).await?;
    if let Some(approval_id) = &b.approval_id {
        let approval = ledger::approval(&mut tx, approval_id)
            .await?
            .ok_or_else(|| ApiError::not_found("platform_approval", approval_id.as_str()))?;
        let digest = intent.payload.get("change_digest").and_then(Value::as_str);
        if approval.resource_key != intent.resource_key
            || Some(approval.change_digest.as_str()) != digest
        {
            return Err(ApiError::invalid_state(
                "platform_approval",
                approval_id.as_str(),
                "stale",
                &["matching"],
                "approval_stale",
                format!("Approval {approval_id} was given for another change than intent {id}"),
            ));
        }
        if !ledger::consume_approval(&mut tx, approval_id, &id, now).await? {
            return Err(ApiError::invalid_state(
                "platform_approval",
                approval_id.as_str(),
                "consumed",
                &["unconsumed"],
                "approval_consumed",
                format!("Approval {approval_id} was already used"),
            ));
        }
    }
    match &b.resource {
        Some(r) => {
            ledger::put_resource(
                &mut tx,
                &ledger::Resource {
                    resource_key: intent.resource_key.clone(),
                    kind: r.kind.clone(),
                    live_id: r.live_id.clone(),
                    applied_digest: r.applied_digest.clone(),
                    observed_digest: Some(r.applied_digest.clone()),
                    status: "applied".into(),
                    applied_at: now,
                    applied_by: intent.actor.clone(),
                    observed_at: Some(now),
                },
            )
            .await?;
        }
        None => {
            ledger::delete_resource(&mut tx, &intent.resource_key).await?;
        }
    }
    let outcome = json!({"result": "completed", "recovered": b.recovered, "live_id": b.resource.as_ref().and_then(|r| r.live_id.clone())});
    if !ledger::resolve_intent(&mut tx, &id, "completed", &outcome, now).await? {
        return Err(not_pending(&intent));
    }
    audit_ledger(&state, &mut tx, &caller, &intent.actor, &format!("platform.{}", intent.action), Some(intent.resource_key.clone()),
        json!({"intent_id": id, "step": intent.step, "recovered": b.recovered, "approval_id": b.approval_id})).await?;
    tx.commit().await?;
    Ok(respond::ok(load_intent(&state, &id).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RetireBody {
    lock_id: String,
    reason: String,
}

/// `POST /api/platform/intents/{id}/retire`
async fn retire(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let b: RetireBody = parse(body)?;
    let intent = load_intent(&state, &id).await?;
    let now = state.now();
    let mut tx = state.store.write().await?;
    require_lock(&mut tx, &b.lock_id).await?;
    if !ledger::resolve_intent(
        &mut tx,
        &id,
        "retired",
        &json!({"result": "retired", "reason": b.reason}),
        now,
    )
    .await?
    {
        return Err(not_pending(&intent));
    }
    audit_ledger(
        &state,
        &mut tx,
        &caller,
        &intent.actor,
        "platform.retire",
        Some(intent.resource_key.clone()),
        json!({"intent_id": id, "reason": b.reason}),
    )
    .await?;
    tx.commit().await?;
    Ok(respond::ok(load_intent(&state, &id).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ImportItem {
    resource_key: String,
    kind: String,
    live_id: Option<String>,
    digest: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ImportBody {
    lock_id: String,
    actor: String,
    resources: Vec<ImportItem>,
}

/// `POST /api/platform/import`
async fn import(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let b: ImportBody = parse(body)?;
    check_actor(&b.actor)?;
    let now = state.now();
    let mut tx = state.store.write().await?;
    require_lock(&mut tx, &b.lock_id).await?;
    for r in &b.resources {
        ledger::put_resource(
            &mut tx,
            &ledger::Resource {
                resource_key: r.resource_key.clone(),
                kind: r.kind.clone(),
                live_id: r.live_id.clone(),
                applied_digest: r.digest.clone(),
                observed_digest: Some(r.digest.clone()),
                status: "applied".into(),
                applied_at: now,
                applied_by: b.actor.clone(),
                observed_at: Some(now),
            },
        )
        .await?;
    }
    let keys: Vec<&str> = b
        .resources
        .iter()
        .map(|r| r.resource_key.as_str())
        .collect();
    audit_ledger(
        &state,
        &mut tx,
        &caller,
        &b.actor,
        "platform.import",
        None,
        json!({"resources": keys}),
    )
    .await?;
    tx.commit().await?;
    Ok(respond::ok(wire::Imported {
        imported: b.resources.len(),
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct Observation {
    resource_key: String,
    /// `null` when the resource no longer exists.
    observed_digest: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RefreshBody {
    lock_id: String,
    actor: String,
    observations: Vec<Observation>,
}

/// `POST /api/platform/refresh`: a resource whose observed digest differs from the applied one
/// (or that is gone) becomes `drifted`; one that matches again becomes `applied`.
async fn refresh(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let b: RefreshBody = parse(body)?;
    check_actor(&b.actor)?;
    let now = state.now();
    let mut tx = state.store.write().await?;
    require_lock(&mut tx, &b.lock_id).await?;
    let records = ledger::resources(&mut tx).await?;
    let mut drifted = Vec::new();
    for o in &b.observations {
        let Some(rec) = records.iter().find(|r| r.resource_key == o.resource_key) else {
            continue;
        };
        let same = o.observed_digest.as_deref() == Some(rec.applied_digest.as_str());
        let status = if same { "applied" } else { "drifted" };
        if !same {
            drifted.push(o.resource_key.clone());
        }
        ledger::observe(
            &mut tx,
            &o.resource_key,
            o.observed_digest.as_deref(),
            status,
            now,
        )
        .await?;
    }
    audit_ledger(
        &state,
        &mut tx,
        &caller,
        &b.actor,
        "platform.refresh",
        None,
        json!({"drifted": drifted}),
    )
    .await?;
    tx.commit().await?;
    Ok(respond::ok(wire::Refreshed {
        observed: b.observations.len(),
        drifted,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ApproveBody {
    resource_key: String,
    action: String,
    change_digest: String,
    actor: String,
}

/// `POST /api/platform/approvals`
async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let b: ApproveBody = parse(body)?;
    check_actor(&b.actor)?;
    if b.action != "delete" {
        return Err(ApiError::invalid(
            "action",
            "enum",
            "only delete changes need an approval",
        ));
    }
    let approval = ledger::Approval {
        id: new_id("approval"),
        resource_key: b.resource_key.clone(),
        action: b.action.clone(),
        change_digest: b.change_digest.clone(),
        approved_by: b.actor.clone(),
        approved_at: state.now(),
        consumed_at: None,
        consumed_by: None,
    };
    let mut tx = state.store.write().await?;
    ledger::insert_approval(&mut tx, &approval).await?;
    audit_ledger(
        &state,
        &mut tx,
        &caller,
        &b.actor,
        "platform.approve",
        Some(b.resource_key.clone()),
        json!({"approval_id": approval.id, "action": b.action, "change_digest": b.change_digest}),
    )
    .await?;
    tx.commit().await?;
    Ok(respond::created(
        approval.clone(),
        format!("/api/platform/approvals/{}", approval.id),
    ))
}

/// Validates raw definitions with the same rules as mapping creation.
fn definitions(
    body: &serde_json::Map<String, Value>,
) -> ApiResult<(
    Vec<graph_olap_api::NodeDefinition>,
    Vec<graph_olap_api::EdgeDefinition>,
)> {
    let mut errors = Vec::new();
    let defs = mapping_rules::validate(
        body.get("node_definitions").unwrap_or(&Value::Null),
        body.get("edge_definitions").unwrap_or(&Value::Null),
        &mut errors,
    );
    crate::http::input::finish(errors)?;
    defs.ok_or_else(|| ApiError::internal("validated definitions missing"))
}

/// `POST /api/platform/mapping-diff` — body `{mapping_id, node_definitions, edge_definitions}`;
/// the diff is `crate::services::diff`, the same rule as `GET …/versions/{a}/diff/{b}`, from the current
/// version to the proposed one (`to_version` = current + 1).
async fn mapping_diff(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let id = body
        .get("mapping_id")
        .and_then(Value::as_i64)
        .filter(|v| *v > 0)
        .ok_or_else(|| {
            ApiError::invalid(
                "mapping_id",
                "required",
                "mapping_id (a positive integer) is required",
            )
        })?;
    let (nodes, edges) = definitions(&body)?;
    let current = graph_olap_store::mappings::get(&mut *state.store.read().await?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("mapping", id))?;
    let v = current.summary.current_version;
    Ok(respond::ok(crate::services::diff::diff(
        id,
        v,
        v + 1,
        (&current.node_definitions, &current.edge_definitions),
        (&nodes, &edges),
    )))
}

/// `POST /api/platform/mapping-check` — body `{node_definitions, edge_definitions}`: the
/// definition rules and the warehouse SQL validation of `POST /api/mappings`, creating nothing.
async fn mapping_check(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let (nodes, edges) = definitions(&body)?;
    crate::services::mappings::validate_sql(&state, &nodes, &edges).await?;
    Ok(respond::ok(wire::DefinitionsChecked {
        valid: true,
        checked_at: graph_olap_api::time::format_ts(&Utc::now()),
        node_definitions: nodes,
        edge_definitions: edges,
    }))
}
