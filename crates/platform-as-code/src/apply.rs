//! The apply executor and the other ledger-writing commands (import, refresh, approve,
//! force-unlock), all against a control plane.
//!
//! Crash safety (seed 003 §5): apply takes the lock, then sweeps intents a crashed apply left
//! pending — each one's change is looked up by its request id in the audit log (written in the
//! same transaction as the change): found → the ledger is rolled forward (`complete`,
//! `recovered: true`), not found → the intent is retired — and only then plans. Every change is
//! announced as an intent before its request is sent, and completed (resource record + approval
//! consumption, one transaction) after. Creates also carry the intent id as `Idempotency-Key`.
//! Crash points (`graph_olap_server_kit::crash`, the `GRAPH_OLAP_CRASH_AT` test hook) mark the
//! three steps of every change: after its intent is written, after its request, after its
//! completion (`platform.apply.after_intent|after_request|after_complete`, `@n` for the n-th
//! change).

use graph_olap_server_kit::crash::{crash_point, steps};
use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use crate::client::{Client, Need};
use crate::declaration::Declaration;
use crate::digest::digest;
use crate::error::PlatformError;
use crate::plan::{Change, Live, Plan, canonical_mapping, canonical_setting, canonical_user, plan};

/// What happened to one change.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// The change as planned.
    pub change: Change,
    /// `applied`, or the blocked disposition.
    pub result: String,
}

/// What a recovery sweep did to one pending intent.
#[derive(Debug, Clone, Serialize)]
pub struct Recovered {
    /// Intent id.
    pub intent_id: String,
    /// Resource.
    pub resource: String,
    /// Action.
    pub action: String,
    /// `completed` (the change had happened) or `retired` (it had not).
    pub result: String,
}

/// The report of an apply.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    /// Who applied.
    pub actor: String,
    /// Intents of crashed applies resolved first.
    pub recovered: Vec<Recovered>,
    /// Every planned change and its result, in order.
    pub steps: Vec<StepResult>,
    /// True when nothing is left (no blocked change).
    pub converged: bool,
}

/// A held apply lock, released on every exit path of the commands below.
struct Held<'a> {
    client: &'a Client,
    lock_id: String,
    actor: String,
}

impl Held<'_> {
    async fn take<'a>(client: &'a Client, actor: &str) -> Result<Held<'a>, PlatformError> {
        let holder = format!("{}:pid {}", hostname(), std::process::id());
        match client
            .send(
                Need::Any,
                Method::POST,
                "/api/platform/lock",
                Some(&json!({"holder": holder, "actor": actor})),
                None,
                None,
            )
            .await
        {
            Ok(l) => Ok(Held {
                client,
                lock_id: l["lock_id"].as_str().unwrap_or_default().to_string(),
                actor: actor.to_string(),
            }),
            Err(PlatformError::Api { code, details, .. }) if code == "RESOURCE_LOCKED" => {
                Err(PlatformError::Locked {
                    lock_id: details["lock_id"].as_str().unwrap_or_default().into(),
                    holder: details["holder"].as_str().unwrap_or_default().into(),
                    actor: details["actor"].as_str().unwrap_or_default().into(),
                })
            }
            Err(e) => Err(e),
        }
    }

    async fn release(self) -> Result<(), PlatformError> {
        self.client
            .send(
                Need::Any,
                Method::POST,
                &format!("/api/platform/lock/{}/release", self.lock_id),
                Some(&json!({"actor": self.actor, "force": false})),
                None,
                None,
            )
            .await
            .map(|_| ())
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// Runs `f` under the lock; the lock is released whether `f` succeeds or fails (a crash leaves
/// it held, for `force-unlock`).
async fn locked<T>(
    client: &Client,
    actor: &str,
    f: impl AsyncFnOnce(&Held<'_>) -> Result<T, PlatformError>,
) -> Result<T, PlatformError> {
    let held = Held::take(client, actor).await?;
    let out = f(&held).await;
    let released = held.release().await;
    let out = out?;
    released?;
    Ok(out)
}

/// The live state of one resource after a change, as `(live_id, digest)`; `None` when it no
/// longer exists.
async fn observe_one(
    client: &Client,
    kind: &str,
    resource: &str,
    live_id: Option<&str>,
) -> Result<Option<(Option<String>, String)>, PlatformError> {
    match kind {
        "mapping" => {
            let Some(id) = live_id else { return Ok(None) };
            match client
                .send(
                    Need::Any,
                    Method::GET,
                    &format!("/api/mappings/{id}"),
                    None,
                    None,
                    None,
                )
                .await
            {
                Ok(m) => Ok(Some((Some(id.to_string()), digest(&canonical_mapping(&m))))),
                Err(e) if e.code() == Some("NOT_FOUND") => Ok(None),
                Err(e) => Err(e),
            }
        }
        "setting" => {
            let group = resource.trim_start_matches("setting/");
            let v = client
                .send(
                    Need::Ops,
                    Method::GET,
                    &format!("/api/config/{group}"),
                    None,
                    None,
                    None,
                )
                .await?;
            Ok(Some((None, digest(&canonical_setting(&v)))))
        }
        _ => {
            let name = resource.trim_start_matches("user/");
            match client
                .send(
                    Need::Any,
                    Method::GET,
                    &format!("/api/users/{name}"),
                    None,
                    None,
                    None,
                )
                .await
            {
                Ok(u) => Ok(Some((Some(name.to_string()), digest(&canonical_user(&u))))),
                Err(e) if e.code() == Some("NOT_FOUND") => Ok(None),
                Err(e) => Err(e),
            }
        }
    }
}

/// Completes an intent with the resource as it is now (or its removal, for a delete).
async fn complete(
    held: &Held<'_>,
    intent: &Value,
    live_id: Option<String>,
    recovered: bool,
) -> Result<(), PlatformError> {
    let kind = intent["payload"]["kind"].as_str().unwrap_or_default();
    let resource = intent["resource_key"].as_str().unwrap_or_default();
    let action = intent["action"].as_str().unwrap_or_default();
    let record = if action == "delete" && kind != "user" {
        Value::Null
    } else {
        match observe_one(held.client, kind, resource, live_id.as_deref()).await? {
            Some((id, d)) => json!({"kind": kind, "live_id": id, "applied_digest": d}),
            None => Value::Null,
        }
    };
    let body = json!({"lock_id": held.lock_id, "resource": record, "approval_id": intent["payload"]["approval_id"], "recovered": recovered});
    let id = intent["id"].as_str().unwrap_or_default();
    held.client
        .send(
            Need::Any,
            Method::POST,
            &format!("/api/platform/intents/{id}/complete"),
            Some(&body),
            None,
            None,
        )
        .await?;
    Ok(())
}

async fn retire(held: &Held<'_>, intent: &Value, reason: &str) -> Result<(), PlatformError> {
    let id = intent["id"].as_str().unwrap_or_default();
    held.client
        .send(
            Need::Any,
            Method::POST,
            &format!("/api/platform/intents/{id}/retire"),
            Some(&json!({"lock_id": held.lock_id, "reason": reason})),
            None,
            None,
        )
        .await?;
    Ok(())
}

/// Resolves every pending intent of a crashed apply (see the module comment).
async fn sweep(held: &Held<'_>) -> Result<Vec<Recovered>, PlatformError> {
    let ledger = held
        .client
        .send(
            Need::Any,
            Method::GET,
            "/api/platform/ledger",
            None,
            None,
            None,
        )
        .await?;
    let mut out = Vec::new();
    for intent in ledger["pending_intents"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let id = intent["id"].as_str().unwrap_or_default().to_string();
        let o = held
            .client
            .send(
                Need::Any,
                Method::GET,
                &format!("/api/platform/intents/{id}/outcome"),
                None,
                None,
                None,
            )
            .await?;
        let result = if o["happened"] == true {
            let live_id = intent["payload"]["live_id"]
                .as_str()
                .map(str::to_string)
                .or_else(|| o["audit"]["resource_id"].as_str().map(str::to_string));
            complete(held, &intent, live_id, true).await?;
            "completed"
        } else {
            retire(
                held,
                &intent,
                "the interrupted apply had not made this change; it is planned again",
            )
            .await?;
            "retired"
        };
        out.push(Recovered {
            intent_id: id,
            resource: intent["resource_key"].as_str().unwrap_or_default().into(),
            action: intent["action"].as_str().unwrap_or_default().into(),
            result: result.into(),
        });
    }
    Ok(out)
}

/// Checks every mapping the plan creates or updates with the server's rules and the warehouse
/// (what `validate` does online); nothing is changed.
pub async fn check_online(client: &Client, d: &Declaration) -> Result<(), PlatformError> {
    for m in &d.mappings {
        let body = json!({"node_definitions": m.nodes, "edge_definitions": m.edges});
        client
            .send(
                Need::Any,
                Method::POST,
                "/api/platform/mapping-check",
                Some(&body),
                None,
                None,
            )
            .await
            .map_err(|e| match e {
                PlatformError::Api {
                    code,
                    message,
                    details,
                    status,
                    method,
                    path,
                } => {
                    let problems: Vec<String> = details["errors"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|x| {
                            format!(
                                "{} ({}): {}",
                                x["field"].as_str().unwrap_or("?"),
                                x["reason"].as_str().unwrap_or("?"),
                                x["message"].as_str().unwrap_or("?")
                            )
                        })
                        .collect();
                    PlatformError::Api {
                        code,
                        status,
                        method,
                        path,
                        details,
                        message: format!(
                            "mapping '{}' ({}) is refused: {message}{}",
                            m.name,
                            m.file.display(),
                            if problems.is_empty() {
                                String::new()
                            } else {
                                format!(": {}", problems.join("; "))
                            }
                        ),
                    }
                }
                other => other,
            })?;
    }
    Ok(())
}

/// Observes and plans (read-only).
pub async fn make_plan(client: &Client, d: &Declaration) -> Result<Plan, PlatformError> {
    let live = Live::observe(client, d).await?;
    plan(client, d, &live).await
}

/// `apply`: lock, sweep, plan, validate online, execute the ready changes in order, converge the
/// ledger for resources that already match, unlock.
pub async fn apply(
    client: &Client,
    d: &Declaration,
    actor: &str,
) -> Result<ApplyReport, PlatformError> {
    locked(client, actor, async |held| {
        let recovered = sweep(held).await?;
        let live = Live::observe(client, d).await?;
        let p = plan(client, d, &live).await?;
        check_online(client, d).await?;
        let mut steps = Vec::new();
        for c in &p.changes {
            if !c.ready() {
                steps.push(StepResult {
                    change: c.clone(),
                    result: c.disposition.clone(),
                });
                continue;
            }
            execute(held, c).await?;
            steps.push(StepResult {
                change: c.clone(),
                result: "applied".into(),
            });
        }
        converge_ledger(held, d).await?;
        let converged = steps.iter().all(|s| s.result == "applied");
        Ok(ApplyReport {
            actor: actor.to_string(),
            recovered,
            steps,
            converged,
        })
    })
    .await
}

async fn execute(held: &Held<'_>, c: &Change) -> Result<(), PlatformError> {
    let payload = json!({
        "kind": c.kind, "live_id": c.live_id, "change_digest": c.change_digest, "approval_id": c.approval_id,
        "summary": c.summary, "request": c.request,
    });
    let intent = held.client.send(Need::Any, Method::POST, "/api/platform/intents", Some(&json!({
        "lock_id": held.lock_id, "step": c.step, "resource_key": c.resource, "action": c.action.as_str(),
        "payload": payload, "actor": held.actor,
    })), None, None).await?;
    crash_point(steps::PLATFORM_INTENT_RECORDED);
    let rid = intent["request_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let idem =
        (c.request.method == "POST").then(|| intent["id"].as_str().unwrap_or_default().to_string());
    let method = Method::from_bytes(c.request.method.as_bytes()).unwrap_or(Method::GET);
    let mut body = c.request.body.clone();
    if let Some(Value::Object(b)) = &mut body
        && let Some(Value::String(d)) = b.get_mut("change_description")
    {
        d.push_str(&format!(" (by {})", held.actor));
    }
    let result = held
        .client
        .send(
            c.request.need.unwrap_or(Need::Any),
            method,
            &c.request.path,
            body.as_ref(),
            Some(&rid),
            idem.as_deref(),
        )
        .await;
    let response = match result {
        Ok(r) => r,
        Err(e) => {
            retire(held, &intent, &format!("the request failed: {e}")).await?;
            return Err(e);
        }
    };
    crash_point(steps::PLATFORM_REQUEST_DONE);
    let live_id = c.live_id.clone().or_else(|| match c.kind {
        "mapping" => response["id"].as_i64().map(|i| i.to_string()),
        "user" => response["username"]
            .as_str()
            .or(response["user"]["username"].as_str())
            .map(str::to_string),
        _ => None,
    });
    complete(held, &intent, live_id, false).await?;
    crash_point(steps::PLATFORM_INTENT_COMPLETED);
    Ok(())
}

/// Records declared resources that already match the live platform but whose ledger record is
/// missing, different or drifted (adoption, and accepting an out-of-band change the declaration
/// was edited to match).
async fn converge_ledger(held: &Held<'_>, d: &Declaration) -> Result<(), PlatformError> {
    let live = Live::observe(held.client, d).await?;
    let mut items = Vec::new();
    let mut add = |key: String, kind: &str, live_id: Option<String>, dg: String| {
        let rec = live.record(&key);
        let stale = match rec {
            None => true,
            Some(r) => {
                r["applied_digest"] != dg.as_str()
                    || r["status"] != "applied"
                    || r["live_id"] != json!(live_id)
            }
        };
        if stale {
            items
                .push(json!({"resource_key": key, "kind": kind, "live_id": live_id, "digest": dg}));
        }
    };
    for m in &d.mappings {
        if let Some(l) = live.mapping_for(&m.name)? {
            add(
                format!("mapping/{}", m.name),
                "mapping",
                l["id"].as_i64().map(|i| i.to_string()),
                digest(&canonical_mapping(l)),
            );
        }
    }
    for (g, v) in &live.settings {
        add(
            format!("setting/{g}"),
            "setting",
            None,
            digest(&canonical_setting(v)),
        );
    }
    for u in &d.users {
        if let Some(l) = live.user(&u.username) {
            add(
                format!("user/{}", u.username),
                "user",
                Some(u.username.clone()),
                digest(&canonical_user(l)),
            );
        }
    }
    if !items.is_empty() {
        held.client
            .send(
                Need::Any,
                Method::POST,
                "/api/platform/import",
                Some(&json!({"lock_id": held.lock_id, "actor": held.actor, "resources": items})),
                None,
                None,
            )
            .await?;
    }
    Ok(())
}

/// `import`: records every declared resource that exists live, as it is (adoption). Returns
/// the number of records written.
pub async fn import(client: &Client, d: &Declaration, actor: &str) -> Result<usize, PlatformError> {
    locked(client, actor, async |held| {
        sweep(held).await?;
        let live = Live::observe(client, d).await?;
        let mut items = Vec::new();
        for m in &d.mappings {
            if let Some(l) = live.mapping_for(&m.name)? {
                items.push(json!({"resource_key": format!("mapping/{}", m.name), "kind": "mapping", "live_id": l["id"].as_i64().map(|i| i.to_string()), "digest": digest(&canonical_mapping(l))}));
            }
        }
        for (g, v) in &live.settings {
            items.push(json!({"resource_key": format!("setting/{g}"), "kind": "setting", "live_id": null, "digest": digest(&canonical_setting(v))}));
        }
        for u in &d.users {
            if let Some(l) = live.user(&u.username) {
                items.push(json!({"resource_key": format!("user/{}", u.username), "kind": "user", "live_id": u.username, "digest": digest(&canonical_user(l))}));
            }
        }
        client.send(Need::Any, Method::POST, "/api/platform/import", Some(&json!({"lock_id": held.lock_id, "actor": actor, "resources": items})), None, None).await?;
        Ok(items.len())
    }).await
}

/// `refresh`: observes every ledger resource read-only and records it; changed or vanished ones
/// become `drifted`. Returns the drifted resource keys.
pub async fn refresh(client: &Client, actor: &str) -> Result<Vec<String>, PlatformError> {
    locked(client, actor, async |held| {
        let ledger = client
            .send(
                Need::Any,
                Method::GET,
                "/api/platform/ledger",
                None,
                None,
                None,
            )
            .await?;
        let mut observations = Vec::new();
        for r in ledger["resources"].as_array().cloned().unwrap_or_default() {
            let key = r["resource_key"].as_str().unwrap_or_default();
            let kind = r["kind"].as_str().unwrap_or_default();
            if kind == "setting" && !client.can(Need::Ops) {
                continue;
            }
            let seen = observe_one(client, kind, key, r["live_id"].as_str()).await?;
            observations
                .push(json!({"resource_key": key, "observed_digest": seen.map(|(_, d)| d)}));
        }
        let out = client
            .send(
                Need::Any,
                Method::POST,
                "/api/platform/refresh",
                Some(
                    &json!({"lock_id": held.lock_id, "actor": actor, "observations": observations}),
                ),
                None,
                None,
            )
            .await?;
        Ok(out["drifted"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect())
    })
    .await
}

/// `approve RESOURCE`: records an approval of the planned delete of `resource`, bound to its
/// change digest.
pub async fn approve(
    client: &Client,
    d: &Declaration,
    resource: &str,
    actor: &str,
) -> Result<Value, PlatformError> {
    let p = make_plan(client, d).await?;
    let Some(c) = p
        .changes
        .iter()
        .find(|c| c.resource == resource && c.action == crate::plan::Action::Delete)
    else {
        return Err(PlatformError::Refused(format!(
            "the plan has no delete of '{resource}' to approve (planned: {})",
            if p.changes.is_empty() {
                "nothing".to_string()
            } else {
                p.changes
                    .iter()
                    .map(|c| format!("{} {}", c.action.as_str(), c.resource))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        )));
    };
    client.send(Need::Any, Method::POST, "/api/platform/approvals", Some(&json!({
        "resource_key": c.resource, "action": "delete", "change_digest": c.change_digest, "actor": actor,
    })), None, None).await
}

/// `status`: the ledger as recorded (no observation of the platform).
pub async fn status(client: &Client) -> Result<Value, PlatformError> {
    client
        .send(
            Need::Any,
            Method::GET,
            "/api/platform/ledger",
            None,
            None,
            None,
        )
        .await
}

/// `force-unlock LOCK_ID`: removes a crashed apply's lock, by its exact id only.
pub async fn force_unlock(
    client: &Client,
    lock_id: &str,
    actor: &str,
) -> Result<Value, PlatformError> {
    client
        .send(
            Need::Any,
            Method::POST,
            &format!("/api/platform/lock/{lock_id}/release"),
            Some(&json!({"actor": actor, "force": true})),
            None,
            None,
        )
        .await
}
