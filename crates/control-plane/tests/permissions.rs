//! The permission matrix of API.md §2.6, every endpoint × every persona, over a real socket.
//!
//! One table row per endpoint of the route table (a test fails when the two drift apart). Each
//! row runs against fresh resources owned by alice (an analyst), as alice, bob (another analyst),
//! carol (admin) and dave (ops), with a body that is valid for the endpoint, so that a refusal can
//! only come from the permission check: allowed personas must not get 401/403, refused ones must
//! get `403 PERMISSION_DENIED`. Public rows are also called without credentials; internal rows
//! must refuse every user credential with 401.

mod common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{ALICE, BOB, CAROL, DAVE, Db, Env, Server, Time};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const PERSONAS: [&str; 4] = [ALICE, BOB, CAROL, DAVE];

/// Who may call a row: one letter per persona of [`PERSONAS`] (`Y` allowed, `N` refused), or a
/// surface rule.
#[derive(Clone, Copy)]
enum Rule {
    Personas(&'static str),
    Public,
    Internal,
}

const ANY: Rule = Rule::Personas("YYYY");
/// Owner (alice), admin or ops.
const OWN: Rule = Rule::Personas("YNYY");
const ADMIN_OPS: Rule = Rule::Personas("NNYY");
const OPS_ONLY: Rule = Rule::Personas("NNNY");
const ADMIN_ONLY: Rule = Rule::Personas("NNYN");
/// The user themself (alice) or admin; ops only for their own data.
const SELF_OR_ADMIN: Rule = Rule::Personas("YNYN");

/// Resources a row may refer to, created fresh for it.
#[derive(Clone)]
struct Fixture {
    mapping: i64,
    snapshot: i64,
    instance: i64,
    victim: String,
    key_id: String,
}

/// Fixtures created so far (their names must differ).
static FIXTURES: AtomicUsize = AtomicUsize::new(0);

async fn server() -> Server {
    Env::demo(Db::Sqlite, Time::System).await.replica().await
}

impl Server {
    async fn ok(&self, method: Method, path: &str, user: &str, body: Value) -> Value {
        let (status, out) = self
            .call(method, path, Some(user), (!body.is_null()).then_some(body))
            .await;
        assert!(status.is_success(), "fixture {path}: {status} {out}");
        out["data"].clone()
    }

    async fn fixture(&self) -> Fixture {
        let n = FIXTURES.fetch_add(1, Ordering::Relaxed);
        // Earlier fixtures' instances would exhaust alice's quota.
        let active = self.ok(Method::GET, &format!("/api/instances?owner={ALICE}&status=waiting_for_snapshot,starting,running&limit=100"), ALICE, Value::Null).await;
        for old in active.as_array().unwrap() {
            self.ok(
                Method::DELETE,
                &format!("/api/instances/{}", old["id"]),
                ALICE,
                Value::Null,
            )
            .await;
        }
        let (name, _, nodes, edges) = graph_olap_demo::tutorial_mapping();
        let mapping = self.ok(Method::POST, "/api/mappings", ALICE, json!({"name": format!("{name}-{n}"), "node_definitions": nodes, "edge_definitions": edges})).await["id"].as_i64().unwrap();
        let changed = json!({"change_description": "second version", "edge_definitions": []});
        self.ok(
            Method::PUT,
            &format!("/api/mappings/{mapping}"),
            ALICE,
            changed,
        )
        .await;
        let instance = self
            .ok(
                Method::POST,
                "/api/instances/from-mapping",
                ALICE,
                json!({"mapping_id": mapping, "name": format!("perm-{n}")}),
            )
            .await;
        let victim = format!("victim-{n}@e2e.local");
        self.ok(
            Method::POST,
            "/api/users",
            CAROL,
            json!({"username": victim}),
        )
        .await;
        let key_id = self
            .ok(
                Method::POST,
                &format!("/api/users/{ALICE}/api-keys"),
                ALICE,
                json!({"name": format!("k{n}")}),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_string();
        Fixture {
            mapping,
            snapshot: instance["snapshot_id"].as_i64().unwrap(),
            instance: instance["id"].as_i64().unwrap(),
            victim,
            key_id,
        }
    }
}

/// `(method, route template, rule, body)` for every endpoint; `{m}`, `{s}`, `{i}`, `{victim}`,
/// `{key}` in paths and bodies are replaced from the row's fixture.
fn matrix() -> Vec<(Method, &'static str, Rule, Value)> {
    use Method as M;
    let none = Value::Null;
    vec![
        (M::GET, "/health", Rule::Public, none.clone()),
        (M::GET, "/ready", Rule::Public, none.clone()),
        (M::GET, "/api/openapi.json", Rule::Public, none.clone()),
        (M::GET, "/metrics", OPS_ONLY, none.clone()),
        (M::GET, "/api/mappings", ANY, none.clone()),
        (
            M::POST,
            "/api/mappings",
            ANY,
            json!({"name": "by {who}", "node_definitions": [{"label": "C", "sql": "SELECT CAST(psdo_cust_id AS VARCHAR) AS id FROM default_catalog.default_schema.bis_acct_dh", "primary_key": {"name": "id", "type": "STRING"}}]}),
        ),
        (M::GET, "/api/mappings/{mapping_id}", ANY, none.clone()),
        (
            M::PUT,
            "/api/mappings/{mapping_id}",
            OWN,
            json!({"change_description": "rename", "name": "renamed by {who}"}),
        ),
        (M::DELETE, "/api/mappings/{mapping_id}", OWN, none.clone()),
        (M::POST, "/api/mappings/{mapping_id}/copy", ANY, json!({})),
        (
            M::PUT,
            "/api/mappings/{mapping_id}/lifecycle",
            OWN,
            json!({"ttl": "P30D"}),
        ),
        (
            M::GET,
            "/api/mappings/{mapping_id}/versions",
            ANY,
            none.clone(),
        ),
        (
            M::GET,
            "/api/mappings/{mapping_id}/versions/{version}",
            ANY,
            none.clone(),
        ),
        (
            M::GET,
            "/api/mappings/{mapping_id}/versions/{from_version}/diff/{to_version}",
            ANY,
            none.clone(),
        ),
        (M::GET, "/api/mappings/{mapping_id}/tree", ANY, none.clone()),
        (
            M::GET,
            "/api/mappings/{mapping_id}/snapshots",
            ANY,
            none.clone(),
        ),
        (
            M::GET,
            "/api/mappings/{mapping_id}/instances",
            ANY,
            none.clone(),
        ),
        (M::GET, "/api/snapshots", ANY, none.clone()),
        (M::GET, "/api/snapshots/{snapshot_id}", ANY, none.clone()),
        (
            M::GET,
            "/api/snapshots/{snapshot_id}/progress",
            ANY,
            none.clone(),
        ),
        (
            M::POST,
            "/api/snapshots/{snapshot_id}/retry",
            OWN,
            json!({}),
        ),
        (M::DELETE, "/api/snapshots/{snapshot_id}", OWN, none.clone()),
        (M::GET, "/api/instances", ANY, none.clone()),
        (
            M::POST,
            "/api/instances",
            ANY,
            json!({"snapshot_id": "{s}", "name": "by {who}"}),
        ),
        (
            M::POST,
            "/api/instances/from-mapping",
            ANY,
            json!({"mapping_id": "{m}", "name": "by {who}"}),
        ),
        (M::GET, "/api/instances/quota", ANY, none.clone()),
        (M::GET, "/api/instances/{instance_id}", ANY, none.clone()),
        (
            M::PUT,
            "/api/instances/{instance_id}",
            OWN,
            json!({"description": "by {who}"}),
        ),
        (M::DELETE, "/api/instances/{instance_id}", OWN, none.clone()),
        (
            M::POST,
            "/api/instances/{instance_id}/terminate",
            OWN,
            json!({"reason": "permission test"}),
        ),
        (
            M::PUT,
            "/api/instances/{instance_id}/lifecycle",
            OWN,
            json!({"ttl": "PT2H"}),
        ),
        (
            M::POST,
            "/api/instances/{instance_id}/extend",
            OWN,
            json!({"hours": 1}),
        ),
        (
            M::PUT,
            "/api/instances/{instance_id}/cpu",
            OWN,
            json!({"cpu_cores": 2}),
        ),
        (
            M::PUT,
            "/api/instances/{instance_id}/memory",
            OWN,
            json!({"memory_gb": 4}),
        ),
        (
            M::GET,
            "/api/instances/{instance_id}/progress",
            ANY,
            none.clone(),
        ),
        (
            M::GET,
            "/api/instances/{instance_id}/events",
            ANY,
            none.clone(),
        ),
        (M::GET, "/api/favorites", ANY, none.clone()),
        (
            M::POST,
            "/api/favorites",
            ANY,
            json!({"resource_type": "mapping", "resource_id": "{m}"}),
        ),
        (
            M::DELETE,
            "/api/favorites/{resource_type}/{resource_id}",
            ANY,
            none.clone(),
        ),
        (M::GET, "/api/schema/catalogs", ANY, none.clone()),
        (
            M::GET,
            "/api/schema/catalogs/{catalog}/schemas",
            ANY,
            none.clone(),
        ),
        (
            M::GET,
            "/api/schema/catalogs/{catalog}/schemas/{schema}/tables",
            ANY,
            none.clone(),
        ),
        (
            M::GET,
            "/api/schema/catalogs/{catalog}/schemas/{schema}/tables/{table}/columns",
            ANY,
            none.clone(),
        ),
        (M::GET, "/api/schema/search/tables", ANY, none.clone()),
        (M::GET, "/api/schema/search/columns", ANY, none.clone()),
        (M::POST, "/api/schema/admin/refresh", ADMIN_OPS, json!({})),
        (M::GET, "/api/schema/stats", ADMIN_OPS, none.clone()),
        (M::GET, "/api/config/lifecycle", OPS_ONLY, none.clone()),
        (
            M::PUT,
            "/api/config/lifecycle",
            OPS_ONLY,
            json!({"instance": {"default_ttl": "PT24H"}}),
        ),
        (M::GET, "/api/config/concurrency", OPS_ONLY, none.clone()),
        (
            M::PUT,
            "/api/config/concurrency",
            OPS_ONLY,
            json!({"per_analyst": 10}),
        ),
        (M::GET, "/api/config/maintenance", OPS_ONLY, none.clone()),
        (
            M::PUT,
            "/api/config/maintenance",
            OPS_ONLY,
            json!({"enabled": false}),
        ),
        (M::GET, "/api/config/export", OPS_ONLY, none.clone()),
        (
            M::PUT,
            "/api/config/export",
            OPS_ONLY,
            json!({"max_duration_seconds": 3600}),
        ),
        (M::GET, "/api/cluster/health", OPS_ONLY, none.clone()),
        (M::GET, "/api/cluster/instances", OPS_ONLY, none.clone()),
        (M::GET, "/api/cluster/capacity", OPS_ONLY, none.clone()),
        (
            M::POST,
            "/api/ops/jobs/trigger",
            OPS_ONLY,
            json!({"job_name": "lifecycle", "reason": "permission test"}),
        ),
        (M::GET, "/api/ops/jobs/status", OPS_ONLY, none.clone()),
        (M::GET, "/api/ops/state", OPS_ONLY, none.clone()),
        (M::GET, "/api/ops/export-jobs", OPS_ONLY, none.clone()),
        (
            M::DELETE,
            "/api/admin/resources/bulk",
            ADMIN_OPS,
            json!({"resource_type": "mapping", "filters": {"name_prefix": "no-such-prefix-"}, "reason": "permission test", "dry_run": true}),
        ),
        (
            M::POST,
            "/api/admin/resources/bulk-delete",
            ADMIN_OPS,
            json!({"resource_type": "mapping", "filters": {"name_prefix": "no-such-prefix-"}, "reason": "permission test", "dry_run": true}),
        ),
        (M::GET, "/api/audit-log", ADMIN_OPS, none.clone()),
        // Platform as code (issue 20): the ledger and its helpers, admin or ops.
        (M::GET, "/api/platform/ledger", ADMIN_OPS, none.clone()),
        (
            M::POST,
            "/api/platform/lock",
            ADMIN_OPS,
            json!({"holder": "permission test", "actor": "{who}"}),
        ),
        (
            M::POST,
            "/api/platform/lock/{lock_id}/release",
            ADMIN_OPS,
            json!({"actor": "{who}"}),
        ),
        (
            M::POST,
            "/api/platform/intents",
            ADMIN_OPS,
            json!({"lock_id": "none", "step": 1, "resource_key": "setting/export", "action": "set", "payload": {}, "actor": "{who}"}),
        ),
        (
            M::GET,
            "/api/platform/intents/{intent_id}/outcome",
            ADMIN_OPS,
            none.clone(),
        ),
        (
            M::POST,
            "/api/platform/intents/{intent_id}/complete",
            ADMIN_OPS,
            json!({"lock_id": "none", "resource": null}),
        ),
        (
            M::POST,
            "/api/platform/intents/{intent_id}/retire",
            ADMIN_OPS,
            json!({"lock_id": "none", "reason": "permission test"}),
        ),
        (
            M::POST,
            "/api/platform/import",
            ADMIN_OPS,
            json!({"lock_id": "none", "actor": "{who}", "resources": []}),
        ),
        (
            M::POST,
            "/api/platform/refresh",
            ADMIN_OPS,
            json!({"lock_id": "none", "actor": "{who}", "observations": []}),
        ),
        (
            M::POST,
            "/api/platform/approvals",
            ADMIN_OPS,
            json!({"resource_key": "mapping/x", "action": "delete", "change_digest": "d", "actor": "{who}"}),
        ),
        (
            M::POST,
            "/api/platform/mapping-diff",
            ADMIN_OPS,
            json!({"mapping_id": "{m}", "node_definitions": [{"label": "N", "sql": "SELECT 1 AS id", "primary_key": {"name": "id", "type": "INT64"}}]}),
        ),
        (
            M::POST,
            "/api/platform/mapping-check",
            ADMIN_OPS,
            json!({"node_definitions": [{"label": "N", "sql": "SELECT 1 AS id", "primary_key": {"name": "id", "type": "INT64"}}]}),
        ),
        (M::GET, "/api/users", ADMIN_OPS, none.clone()),
        (
            M::POST,
            "/api/users",
            ADMIN_ONLY,
            json!({"username": "made-by-{who}"}),
        ),
        (M::GET, "/api/users/me", ANY, none.clone()),
        (
            M::POST,
            "/api/users/bootstrap",
            Rule::Public,
            json!({"username": "second-admin"}),
        ),
        (
            M::GET,
            "/api/users/{username}",
            Rule::Personas("YNYY"),
            none.clone(),
        ),
        (
            M::PUT,
            "/api/users/{username}",
            SELF_OR_ADMIN,
            json!({"display_name": "Alice"}),
        ),
        (M::DELETE, "/api/users/{username}", ADMIN_ONLY, none.clone()),
        (
            M::PUT,
            "/api/users/{username}/role",
            ADMIN_ONLY,
            json!({"role": "analyst"}),
        ),
        (
            M::GET,
            "/api/users/{username}/api-keys",
            SELF_OR_ADMIN,
            none.clone(),
        ),
        (
            M::POST,
            "/api/users/{username}/api-keys",
            SELF_OR_ADMIN,
            json!({"name": "key by {who}"}),
        ),
        (
            M::DELETE,
            "/api/users/{username}/api-keys/{key_id}",
            SELF_OR_ADMIN,
            none.clone(),
        ),
        (
            M::POST,
            "/api/internal/export-jobs/claim",
            Rule::Internal,
            json!({"worker_id": "w", "limit": 1}),
        ),
        (
            M::GET,
            "/api/internal/export-jobs/{job_id}",
            Rule::Internal,
            none.clone(),
        ),
        (
            M::POST,
            "/api/internal/export-jobs/{job_id}/heartbeat",
            Rule::Internal,
            json!({"lease_token": "x"}),
        ),
        (
            M::POST,
            "/api/internal/export-jobs/{job_id}/complete",
            Rule::Internal,
            json!({"lease_token": "x"}),
        ),
        (
            M::POST,
            "/api/internal/export-jobs/{job_id}/fail",
            Rule::Internal,
            json!({"lease_token": "x"}),
        ),
        (
            M::GET,
            "/api/internal/instances/{instance_id}/mapping",
            Rule::Internal,
            none.clone(),
        ),
        (
            M::PATCH,
            "/api/internal/instances/{instance_id}/status",
            Rule::Internal,
            json!({"status": "starting"}),
        ),
        (
            M::PUT,
            "/api/internal/instances/{instance_id}/progress",
            Rule::Internal,
            json!({"phase": "downloading"}),
        ),
        (
            M::PUT,
            "/api/internal/instances/{instance_id}/metrics",
            Rule::Internal,
            json!({}),
        ),
        (
            M::POST,
            "/api/internal/instances/{instance_id}/activity",
            Rule::Internal,
            json!({}),
        ),
        (
            M::POST,
            "/api/internal/auth/introspect",
            Rule::Internal,
            json!({"api_key": "gok_x"}),
        ),
    ]
}

/// The concrete path of a template for one fixture. Role and deactivation rows target the
/// throwaway user, every other `{username}` row targets alice.
fn concrete(method: &Method, template: &str, f: &Fixture) -> String {
    let target_user = if template.ends_with("/role")
        || (template == "/api/users/{username}" && method == Method::DELETE)
    {
        f.victim.as_str()
    } else {
        ALICE
    };
    template
        .replace("{mapping_id}", &f.mapping.to_string())
        .replace("{snapshot_id}", &f.snapshot.to_string())
        .replace("{instance_id}", &f.instance.to_string())
        .replace("{from_version}", "1")
        .replace("{to_version}", "2")
        .replace("{version}", "1")
        .replace("{resource_type}", "mapping")
        .replace("{resource_id}", &f.mapping.to_string())
        .replace("{catalog}", "default_catalog")
        .replace("{schema}", "default_schema")
        .replace("{table}", "bis_acct_dh")
        .replace("{username}", target_user)
        .replace("{key_id}", &f.key_id)
        .replace("{job_id}", "1")
}

/// Search endpoints need their query; everything else is called as is.
fn with_query(path: String) -> String {
    if path.starts_with("/api/schema/search/") {
        format!("{path}?q=bis")
    } else {
        path
    }
}

fn concrete_body(body: &Value, f: &Fixture, who: &str) -> Option<Value> {
    if body.is_null() {
        return None;
    }
    let text = body
        .to_string()
        .replace("\"{m}\"", &f.mapping.to_string())
        .replace("\"{s}\"", &f.snapshot.to_string())
        .replace("{who}", who.split('@').next().unwrap_or(who));
    Some(serde_json::from_str(&text).unwrap())
}

#[test]
fn the_matrix_covers_every_endpoint_of_the_route_table() {
    let routed: BTreeSet<(String, String)> = graph_olap_control_plane::http::routes::endpoints()
        .iter()
        .map(|e| (e.method.to_string(), e.path.to_string()))
        .collect();
    let tabled: BTreeSet<(String, String)> = matrix()
        .iter()
        .map(|(m, p, _, _)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        routed.difference(&tabled).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "endpoints without a permission row"
    );
    assert_eq!(
        tabled.difference(&routed).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "permission rows for endpoints that do not exist"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_endpoint_admits_exactly_the_roles_of_the_matrix() {
    let s = server().await;
    let mut failures = Vec::new();
    for (method, template, rule, body) in matrix() {
        match rule {
            Rule::Public => {
                let f = s.fixture().await;
                let path = with_query(concrete(&method, template, &f));
                let (status, out) = s
                    .call(
                        method.clone(),
                        &path,
                        None,
                        concrete_body(&body, &f, "anonymous"),
                    )
                    .await;
                if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                    failures.push(format!(
                        "{method} {template} without credentials: {status} {out}"
                    ));
                }
            }
            Rule::Internal => {
                let f = s.fixture().await;
                let path = concrete(&method, template, &f);
                for user in PERSONAS {
                    let (status, out) = s
                        .call(
                            method.clone(),
                            &path,
                            Some(user),
                            concrete_body(&body, &f, user),
                        )
                        .await;
                    if status != StatusCode::UNAUTHORIZED {
                        failures.push(format!("{method} {template} as {user}: {status} {out} (user credentials must be refused with 401)"));
                    }
                }
            }
            Rule::Personas(letters) => {
                // Refused personas first, on the same fixture, then each allowed persona on a
                // fresh one (an allowed call may delete or change what the next would need).
                let refused_fixture = s.fixture().await;
                for (i, user) in PERSONAS.iter().enumerate() {
                    let allowed = letters.as_bytes()[i] == b'Y';
                    let f = if allowed {
                        s.fixture().await
                    } else {
                        refused_fixture.clone()
                    };
                    let path = with_query(concrete(&method, template, &f));
                    let (status, out) = s
                        .call(
                            method.clone(),
                            &path,
                            Some(*user),
                            concrete_body(&body, &f, user),
                        )
                        .await;
                    let denied = status == StatusCode::FORBIDDEN
                        && out["error"]["code"] == "PERMISSION_DENIED";
                    if allowed
                        && (status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN)
                    {
                        failures.push(format!(
                            "{method} {template} as {user} must be allowed: {status} {out}"
                        ));
                    }
                    if !allowed && !denied {
                        failures.push(format!("{method} {template} as {user} must be PERMISSION_DENIED: {status} {out}"));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} violations:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
