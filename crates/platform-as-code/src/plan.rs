//! Observation of the live platform and the plan: the ordered changes that bring it to the
//! declaration, each with its disposition, in the safe order creates → updates → settings →
//! deletes. Mapping updates carry the server's own field-level diff (`/api/platform/mapping-diff`,
//! the rule of the versions diff endpoint); deletes and user deactivations are blocked unless a
//! digest-bound approval for exactly this change exists.

use reqwest::Method;
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::client::{Client, Need};
use crate::declaration::{Declaration, DeclaredMapping, LifecycleFields};
use crate::digest::digest;
use crate::error::PlatformError;

/// What a change does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A new mapping or user.
    Create,
    /// A new mapping version or header change; a user's role or reactivation.
    Update,
    /// A platform setting group.
    Set,
    /// Delete a mapping, deactivate a user (needs an approval).
    Delete,
}

impl Action {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Set => "set",
            Action::Delete => "delete",
        }
    }
}

/// The request a change is made with.
#[derive(Debug, Clone, Serialize)]
pub struct Request {
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// JSON body.
    pub body: Option<Value>,
    /// Which role the request needs.
    #[serde(skip)]
    pub need: Option<Need>,
}

/// One planned change.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Position in the plan (1-based).
    pub step: usize,
    /// `mapping/<name>`, `setting/<group>`, `user/<username>`.
    pub resource: String,
    /// `mapping`, `setting` or `user`.
    pub kind: &'static str,
    /// What it does.
    pub action: Action,
    /// `ready`, or `blocked: approval_required` / `blocked: approval_stale` /
    /// `blocked: requires_role_<role>`.
    pub disposition: String,
    /// One line for humans.
    pub summary: String,
    /// Field-level detail: the mapping diff, `{old, new}` of a setting, the role change.
    pub detail: Value,
    /// Digest of exactly this change (what an approval binds to).
    pub change_digest: String,
    /// The approval that authorises it, for deletes.
    pub approval_id: Option<String>,
    /// Live id of the resource (mapping id, username), when it exists.
    pub live_id: Option<String>,
    /// What apply sends.
    pub request: Request,
}

impl Change {
    /// Whether apply will execute it.
    pub fn ready(&self) -> bool {
        self.disposition == "ready"
    }
}

/// The plan.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Platform name from the declaration.
    pub platform: String,
    /// Digest of the declaration the plan was made from.
    pub declaration_digest: String,
    /// Ordered changes.
    pub changes: Vec<Change>,
    /// True when there is nothing left to do.
    pub converged: bool,
    /// Things the plan cannot change (e.g. a mapping owned by someone else than declared).
    pub notes: Vec<String>,
}

/// The live state of a mapping in canonical form (what digests cover).
pub fn canonical_mapping(m: &Value) -> Value {
    let defs = |k: &str| m.get(k).cloned().unwrap_or_else(|| json!([]));
    let nodes: Vec<graph_olap_api::NodeDefinition> =
        serde_json::from_value(defs("node_definitions")).unwrap_or_default();
    let edges: Vec<graph_olap_api::EdgeDefinition> =
        serde_json::from_value(defs("edge_definitions")).unwrap_or_default();
    json!({
        "name": m["name"], "description": m["description"], "ttl": m["ttl"],
        "inactivity_timeout": m["inactivity_timeout"],
        "node_definitions": nodes, "edge_definitions": edges,
    })
}

/// A configuration object without its bookkeeping fields.
pub fn canonical_setting(v: &Value) -> Value {
    let mut m = v.as_object().cloned().unwrap_or_default();
    for k in ["updated_at", "updated_by", "updated"] {
        m.remove(k);
    }
    Value::Object(m)
}

/// A user in canonical form.
pub fn canonical_user(u: &Value) -> Value {
    json!({"username": u["username"], "role": u["role"], "is_active": u["is_active"]})
}

/// The live platform as far as the declaration and the ledger concern it.
#[derive(Debug, Clone, Default)]
pub struct Live {
    /// Summaries of every mapping.
    pub mapping_summaries: Vec<Value>,
    /// Full mappings fetched, by id.
    pub mappings: Vec<Value>,
    /// Setting groups read, `(group, value)`.
    pub settings: Vec<(String, Value)>,
    /// Every user (when users are managed).
    pub users: Vec<Value>,
    /// The ledger (`GET /api/platform/ledger`).
    pub ledger: Value,
}

/// The setting groups and their paths.
pub const SETTING_GROUPS: &[&str] = &["lifecycle", "concurrency", "maintenance", "export"];

fn declared_groups(d: &Declaration) -> Vec<&'static str> {
    let s = &d.settings;
    let mut g = Vec::new();
    if s.lifecycle.is_some() {
        g.push("lifecycle");
    }
    if s.concurrency.is_some() {
        g.push("concurrency");
    }
    if s.maintenance.is_some() {
        g.push("maintenance");
    }
    if s.export.is_some() {
        g.push("export");
    }
    g
}

impl Live {
    /// Reads everything the plan needs, read-only.
    pub async fn observe(client: &Client, d: &Declaration) -> Result<Live, PlatformError> {
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
        let summaries = client.list_all(Need::Any, "/api/mappings").await?;
        let mut wanted: Vec<i64> = Vec::new();
        let ledger_ids: Vec<i64> = ledger["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["kind"] == "mapping")
            .filter_map(|r| r["live_id"].as_str().and_then(|s| s.parse().ok()))
            .collect();
        for s in &summaries {
            let id = s["id"].as_i64().unwrap_or_default();
            let name = s["name"].as_str().unwrap_or_default();
            if d.mappings_exhaustive
                || ledger_ids.contains(&id)
                || d.mappings.iter().any(|m| m.name == name)
            {
                wanted.push(id);
            }
        }
        let mut mappings = Vec::new();
        for id in wanted {
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
                Ok(m) => mappings.push(m),
                Err(e) if e.code() == Some("NOT_FOUND") => {}
                Err(e) => return Err(e),
            }
        }
        let mut settings = Vec::new();
        let groups = declared_groups(d);
        if !groups.is_empty() && !client.can(Need::Ops) {
            return Err(PlatformError::Refused(format!(
                "the declaration manages settings ({}), which only an ops key can read and change; give an ops key",
                groups.join(", ")
            )));
        }
        for g in groups {
            settings.push((
                g.to_string(),
                client
                    .send(
                        Need::Ops,
                        Method::GET,
                        &format!("/api/config/{g}"),
                        None,
                        None,
                        None,
                    )
                    .await?,
            ));
        }
        let users = if !d.users.is_empty() || d.users_exhaustive {
            client.list_all(Need::Any, "/api/users").await?
        } else {
            Vec::new()
        };
        Ok(Live {
            mapping_summaries: summaries,
            mappings,
            settings,
            users,
            ledger,
        })
    }

    /// The ledger record of `key`.
    pub fn record(&self, key: &str) -> Option<&Value> {
        self.ledger["resources"]
            .as_array()?
            .iter()
            .find(|r| r["resource_key"] == key)
    }

    /// The live mapping a declared name refers to: the ledger's id if it still exists, else
    /// the one live mapping of that name. Several of that name → error.
    pub fn mapping_for(&self, name: &str) -> Result<Option<&Value>, PlatformError> {
        let key = format!("mapping/{name}");
        if let Some(id) = self
            .record(&key)
            .and_then(|r| r["live_id"].as_str())
            .and_then(|s| s.parse::<i64>().ok())
            && let Some(m) = self.mappings.iter().find(|m| m["id"] == id)
        {
            return Ok(Some(m));
        }
        let same: Vec<&Value> = self.mappings.iter().filter(|m| m["name"] == name).collect();
        match same.len() {
            0 | 1 => Ok(same.first().copied()),
            n => Err(PlatformError::Refused(format!(
                "{n} live mappings are named '{name}' (ids {}); the declaration cannot tell which one it means — delete or rename the others, or run `platform import` after doing so",
                same.iter()
                    .map(|m| m["id"].to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// A setting group as read.
    pub fn setting(&self, group: &str) -> Option<&Value> {
        self.settings
            .iter()
            .find(|(g, _)| g == group)
            .map(|(_, v)| v)
    }

    /// A live user.
    pub fn user(&self, username: &str) -> Option<&Value> {
        self.users.iter().find(|u| u["username"] == username)
    }
}

fn lifecycle_diff(old: &Value, declared: &LifecycleFields) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in [
        ("default_ttl", &declared.default_ttl),
        ("default_inactivity", &declared.default_inactivity),
        ("max_ttl", &declared.max_ttl),
    ] {
        if let Some(want) = v {
            let want = json!(want);
            if old[k] != want {
                m.insert(k.into(), want);
            }
        }
    }
    m
}

/// The desired settings changes: `(group, body to PUT, {old, new})`.
fn setting_changes(d: &Declaration, live: &Live) -> Vec<(String, Value, Value)> {
    let mut out = Vec::new();
    let s = &d.settings;
    if let (Some(l), Some(old)) = (&s.lifecycle, live.setting("lifecycle")) {
        let mut body = Map::new();
        for (res, f) in [
            ("mapping", &l.mapping),
            ("snapshot", &l.snapshot),
            ("instance", &l.instance),
        ] {
            if let Some(f) = f {
                let d = lifecycle_diff(&old[res], f);
                if !d.is_empty() {
                    body.insert(res.into(), Value::Object(d));
                }
            }
        }
        if !body.is_empty() {
            let old_part: Map<String, Value> = body
                .iter()
                .map(|(r, fields)| {
                    let o: Map<String, Value> = fields
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, _)| (k.clone(), old[r.as_str()][k].clone()))
                        .collect();
                    (r.clone(), Value::Object(o))
                })
                .collect();
            out.push((
                "lifecycle".into(),
                Value::Object(body.clone()),
                json!({"old": old_part, "new": body}),
            ));
        }
    }
    if let (Some(c), Some(old)) = (&s.concurrency, live.setting("concurrency")) {
        let mut body = Map::new();
        if let Some(p) = c.per_analyst.filter(|p| old["per_analyst"] != json!(p)) {
            body.insert("per_analyst".into(), json!(p));
        }
        if let Some(t) = c.cluster_total.filter(|t| old["cluster_total"] != json!(t)) {
            body.insert("cluster_total".into(), json!(t));
        }
        if !body.is_empty() {
            let o: Map<String, Value> = body.keys().map(|k| (k.clone(), old[k].clone())).collect();
            out.push((
                "concurrency".into(),
                Value::Object(body.clone()),
                json!({"old": o, "new": body}),
            ));
        }
    }
    if let (Some(m), Some(old)) = (&s.maintenance, live.setting("maintenance"))
        && (old["enabled"] != json!(m.enabled) || old["message"] != json!(m.message))
    {
        let body = json!({"enabled": m.enabled, "message": m.message});
        out.push((
            "maintenance".into(),
            body.clone(),
            json!({"old": {"enabled": old["enabled"], "message": old["message"]}, "new": body}),
        ));
    }
    if let (Some(e), Some(old)) = (&s.export, live.setting("export"))
        && old["max_duration_seconds"] != json!(e.max_duration_seconds)
    {
        let body = json!({"max_duration_seconds": e.max_duration_seconds});
        out.push((
            "export".into(),
            body.clone(),
            json!({"old": {"max_duration_seconds": old["max_duration_seconds"]}, "new": body}),
        ));
    }
    out
}

/// The body of `POST /api/mappings` for a declared mapping.
fn create_body(m: &DeclaredMapping) -> Value {
    let mut b = json!({"name": m.name, "node_definitions": m.nodes, "edge_definitions": m.edges});
    if let Some(d) = &m.description {
        b["description"] = json!(d);
    }
    if let Some(t) = &m.ttl {
        b["ttl"] = json!(t);
    }
    if let Some(t) = &m.inactivity_timeout {
        b["inactivity_timeout"] = json!(t);
    }
    b
}

/// The header fields of a declared mapping that differ from `live`, as a partial PUT body.
fn header_changes(m: &DeclaredMapping, live: &Value) -> Map<String, Value> {
    let mut b = Map::new();
    for (k, v) in [
        ("description", &m.description),
        ("ttl", &m.ttl),
        ("inactivity_timeout", &m.inactivity_timeout),
    ] {
        if let Some(want) = v
            && live[k] != json!(want)
        {
            b.insert(k.into(), json!(want));
        }
    }
    b
}

struct Builder<'a> {
    d: &'a Declaration,
    live: &'a Live,
    changes: Vec<Change>,
}

impl Builder<'_> {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        resource: String,
        kind: &'static str,
        action: Action,
        summary: String,
        detail: Value,
        live_id: Option<String>,
        live_state: Value,
        request: Request,
    ) {
        let change_digest = digest(&json!({
            "resource": resource, "action": action.as_str(), "declaration": self.d.digest,
            "live": live_state, "request": {"method": request.method, "path": request.path, "body": request.body},
        }));
        let mut disposition = "ready".to_string();
        let mut approval_id = None;
        if action == Action::Delete {
            let approvals: Vec<&Value> = self.live.ledger["approvals"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|a| {
                    a["resource_key"] == resource.as_str()
                        && a["action"] == "delete"
                        && a["consumed_at"].is_null()
                })
                .collect();
            match approvals
                .iter()
                .find(|a| a["change_digest"] == change_digest.as_str())
            {
                Some(a) => approval_id = a["id"].as_str().map(str::to_string),
                None if approvals.is_empty() => disposition = "blocked: approval_required".into(),
                None => disposition = "blocked: approval_stale".into(),
            }
        }
        self.changes.push(Change {
            step: 0,
            resource,
            kind,
            action,
            disposition,
            summary,
            detail,
            change_digest,
            approval_id,
            live_id,
            request,
        });
    }
}

fn req(method: &str, path: String, body: Option<Value>, need: Need) -> Request {
    Request {
        method: method.into(),
        path,
        body,
        need: Some(need),
    }
}

/// Computes the plan of `d` against `live`. Mapping updates ask the server for the diff.
pub async fn plan(client: &Client, d: &Declaration, live: &Live) -> Result<Plan, PlatformError> {
    let mut b = Builder {
        d,
        live,
        changes: Vec::new(),
    };
    let mut notes = Vec::new();
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    // Mappings: creates and updates.
    for m in &d.mappings {
        let key = format!("mapping/{}", m.name);
        match live.mapping_for(&m.name)? {
            None => creates.push((key, m)),
            Some(l) => {
                if let Some(owner) = &m.owner
                    && l["owner_username"] != owner.as_str()
                {
                    notes.push(format!("{key}: declared owner {owner}, live owner {} (ownership cannot be transferred through the API)", l["owner_username"]));
                }
                updates.push((key, m, l));
            }
        }
    }
    for (key, m) in creates {
        let mut summary = format!(
            "create mapping '{}' ({} nodes, {} edges)",
            m.name,
            m.nodes.len(),
            m.edges.len()
        );
        if let Some(owner) = &m.owner
            && owner != client.username()
        {
            summary.push_str(&format!(
                "; owner will be {} (declared {owner})",
                client.username()
            ));
        }
        let body = create_body(m);
        b.push(
            key,
            "mapping",
            Action::Create,
            summary,
            json!({"definition": body}),
            None,
            Value::Null,
            req(
                "POST",
                "/api/mappings".into(),
                Some(body.clone()),
                Need::Any,
            ),
        );
    }
    for u in &d.users {
        if live.user(&u.username).is_none() {
            let body = json!({"username": u.username, "role": u.role.as_str()});
            b.push(
                format!("user/{}", u.username),
                "user",
                Action::Create,
                format!("create user {} with role {}", u.username, u.role.as_str()),
                body.clone(),
                None,
                Value::Null,
                req("POST", "/api/users".into(), Some(body), Need::Admin),
            );
        }
    }
    for (key, m, l) in updates {
        let id = l["id"].as_i64().unwrap_or_default();
        let live_nodes: Vec<graph_olap_api::NodeDefinition> =
            serde_json::from_value(l["node_definitions"].clone()).unwrap_or_default();
        let live_edges: Vec<graph_olap_api::EdgeDefinition> =
            serde_json::from_value(l["edge_definitions"].clone()).unwrap_or_default();
        let defs_changed = live_nodes != m.nodes || live_edges != m.edges;
        let header = header_changes(m, l);
        if !defs_changed && header.is_empty() {
            continue;
        }
        let mut body = header.clone();
        let mut detail = json!({"header": header});
        let mut summary = format!("update mapping '{}'", m.name);
        if defs_changed {
            let diff = client
                .send(
                    Need::Any,
                    Method::POST,
                    "/api/platform/mapping-diff",
                    Some(&json!({
                        "mapping_id": id, "node_definitions": m.nodes, "edge_definitions": m.edges,
                    })),
                    None,
                    None,
                )
                .await?;
            summary = format!(
                "update mapping '{}' → new version {} ({})",
                m.name,
                diff["to_version"],
                diff_summary(&diff)
            );
            detail["diff"] = diff;
            body.insert("node_definitions".into(), json!(m.nodes));
            body.insert("edge_definitions".into(), json!(m.edges));
        } else {
            summary.push_str(&format!(
                " (header: {})",
                header.keys().cloned().collect::<Vec<_>>().join(", ")
            ));
        }
        body.insert(
            "change_description".into(),
            json!(format!("platform apply: {}", d.name)),
        );
        b.push(
            key,
            "mapping",
            Action::Update,
            summary,
            detail,
            Some(id.to_string()),
            canonical_mapping(l),
            req(
                "PUT",
                format!("/api/mappings/{id}"),
                Some(Value::Object(body)),
                Need::Any,
            ),
        );
    }
    for u in &d.users {
        let Some(l) = live.user(&u.username) else {
            continue;
        };
        let key = format!("user/{}", u.username);
        if l["is_active"] == false {
            b.push(
                key.clone(),
                "user",
                Action::Update,
                format!("reactivate user {}", u.username),
                json!({"is_active": {"old": false, "new": true}}),
                Some(u.username.clone()),
                canonical_user(l),
                req(
                    "PUT",
                    format!("/api/users/{}", u.username),
                    Some(json!({"is_active": true})),
                    Need::Admin,
                ),
            );
        }
        if l["role"] != u.role.as_str() {
            b.push(
                key,
                "user",
                Action::Update,
                format!(
                    "change role of {}: {} → {}",
                    u.username,
                    l["role"].as_str().unwrap_or("?"),
                    u.role.as_str()
                ),
                json!({"role": {"old": l["role"], "new": u.role.as_str()}}),
                Some(u.username.clone()),
                canonical_user(l),
                req(
                    "PUT",
                    format!("/api/users/{}/role", u.username),
                    Some(json!({"role": u.role.as_str()})),
                    Need::Admin,
                ),
            );
        }
    }
    // Settings.
    for (group, body, detail) in setting_changes(d, live) {
        let old = live
            .setting(&group)
            .map(canonical_setting)
            .unwrap_or(Value::Null);
        let summary = format!("set {group}: {} → {}", detail["old"], detail["new"]);
        b.push(
            format!("setting/{group}"),
            "setting",
            Action::Set,
            summary,
            detail,
            None,
            old,
            req("PUT", format!("/api/config/{group}"), Some(body), Need::Ops),
        );
    }
    // Deletes: managed mappings no longer declared (all undeclared ones when exhaustive).
    let declared: Vec<&str> = d.mappings.iter().map(|m| m.name.as_str()).collect();
    let mut seen_ids = Vec::new();
    for r in live.ledger["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["kind"] == "mapping")
    {
        let key = r["resource_key"].as_str().unwrap_or_default();
        let name = key.trim_start_matches("mapping/");
        if declared.contains(&name) {
            continue;
        }
        let Some(id) = r["live_id"].as_str().and_then(|s| s.parse::<i64>().ok()) else {
            continue;
        };
        if let Some(l) = live.mappings.iter().find(|m| m["id"] == id) {
            seen_ids.push(id);
            b.push(
                key.to_string(),
                "mapping",
                Action::Delete,
                format!("delete mapping '{name}' (id {id}) and its snapshots"),
                json!({"mapping_id": id}),
                Some(id.to_string()),
                canonical_mapping(l),
                req("DELETE", format!("/api/mappings/{id}"), None, Need::Any),
            );
        }
    }
    if d.mappings_exhaustive {
        for l in &live.mappings {
            let id = l["id"].as_i64().unwrap_or_default();
            let name = l["name"].as_str().unwrap_or_default();
            if declared.contains(&name) || seen_ids.contains(&id) {
                continue;
            }
            let same_name = live.mappings.iter().filter(|m| m["name"] == name).count();
            let key = if same_name > 1 {
                format!("mapping/{name}#{id}")
            } else {
                format!("mapping/{name}")
            };
            b.push(
                key,
                "mapping",
                Action::Delete,
                format!("delete undeclared mapping '{name}' (id {id}) and its snapshots"),
                json!({"mapping_id": id}),
                Some(id.to_string()),
                canonical_mapping(l),
                req("DELETE", format!("/api/mappings/{id}"), None, Need::Any),
            );
        }
    }
    if d.users_exhaustive {
        for l in &live.users {
            let name = l["username"].as_str().unwrap_or_default();
            if l["is_active"] != true
                || d.users.iter().any(|u| u.username == name)
                || name == client.username()
            {
                continue;
            }
            b.push(
                format!("user/{name}"),
                "user",
                Action::Delete,
                format!("deactivate undeclared user {name}"),
                json!({"username": name}),
                Some(name.to_string()),
                canonical_user(l),
                req("DELETE", format!("/api/users/{name}"), None, Need::Admin),
            );
        }
    }
    let mut changes = b.changes;
    for (i, c) in changes.iter_mut().enumerate() {
        c.step = i + 1;
        if c.ready()
            && let Some(need) = c.request.need
            && !client.can(need)
        {
            c.disposition = format!(
                "blocked: requires_role_{}",
                if need == Need::Admin { "admin" } else { "ops" }
            );
        }
    }
    Ok(Plan {
        platform: d.name.clone(),
        declaration_digest: d.digest.clone(),
        converged: changes.is_empty(),
        changes,
        notes,
    })
}

fn diff_summary(diff: &Value) -> String {
    let s = &diff["summary"];
    let mut parts = Vec::new();
    for (k, label) in [
        ("nodes_added", "nodes added"),
        ("nodes_removed", "nodes removed"),
        ("nodes_modified", "nodes modified"),
        ("edges_added", "edges added"),
        ("edges_removed", "edges removed"),
        ("edges_modified", "edges modified"),
    ] {
        if s[k].as_i64().unwrap_or(0) > 0 {
            parts.push(format!("{} {label}", s[k]));
        }
    }
    let fields: Vec<String> = ["nodes", "edges"]
        .iter()
        .flat_map(|k| diff["changes"][k].as_array().cloned().unwrap_or_default())
        .filter_map(|c| {
            let name = c
                .get("label")
                .or_else(|| c.get("type"))?
                .as_str()?
                .to_string();
            let f = c["fields_changed"]
                .as_array()?
                .iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(",");
            Some(format!("{name}: {f}"))
        })
        .collect();
    if !fields.is_empty() {
        parts.push(format!("changed {}", fields.join("; ")));
    }
    parts.join(", ")
}
