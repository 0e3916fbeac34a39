//! Platform as code against a real control plane (in-process, real sockets) on SQLite and
//! PostgreSQL: import → converged; SQL edit → version update with the server's diff → apply;
//! drift through the API → refresh → plan converges back; delete blocked until approved,
//! approval stale after an edit; bad inputs refused with nothing changed; a concurrent apply
//! refused; and an apply SIGKILLed after every step k, in a child process, converging on the
//! next run without duplicates.

mod common;

use common::{Db, Server, declaration, edit, server};
use graph_olap_platform_as_code::{self as pac, PlatformError, apply};
use graph_olap_server_kit::crash::{CRASH_ENV, STEPS};
use reqwest::Method;
use serde_json::json;

const TUTORIAL: &str = "tutorial-customer-graph";
const SQL_FILE: &str = "mappings/sql/tutorial_customer.sql";

async fn mappings_named(s: &Server, name: &str) -> Vec<graph_olap_store::mappings::Mapping> {
    let mut conn = s.state.store.read().await.unwrap();
    let ids = graph_olap_store::mappings::find_by_name(&mut conn, name)
        .await
        .unwrap();
    let mut out = Vec::new();
    for id in ids {
        out.push(
            graph_olap_store::mappings::get(&mut conn, id)
                .await
                .unwrap()
                .unwrap(),
        );
    }
    out
}

async fn ledger(s: &Server) -> serde_json::Value {
    let (st, body) = s
        .call(&s.ops_key, Method::GET, "/api/platform/ledger", None)
        .await;
    assert_eq!(st, 200);
    body["data"].clone()
}

async fn day_two_loop(db: Db) {
    let s = server(db).await;
    let c = s.client().await;
    let dir = declaration();
    let d = pac::load(dir.path()).unwrap();

    // Import adopts what exists; the example matches the seeded platform exactly.
    let n = pac::import(&c, &d, "andrew").await.unwrap();
    assert_eq!(n, 1 + 4 + 4, "one mapping, four setting groups, four users");
    let p = pac::make_plan(&c, &d).await.unwrap();
    assert!(
        p.converged,
        "import of an unchanged platform converges: {:#?}",
        p.changes
    );

    // Edit a mapping's SQL → a version update with the server's field-level diff.
    edit(
        dir.path(),
        SQL_FILE,
        "DATE '2020-01-01'",
        "DATE '2021-01-01'",
    );
    let d = pac::load(dir.path()).unwrap();
    let p = pac::make_plan(&c, &d).await.unwrap();
    assert_eq!(p.changes.len(), 1);
    let ch = &p.changes[0];
    assert_eq!(
        (
            ch.resource.as_str(),
            ch.action.as_str(),
            ch.disposition.as_str()
        ),
        ("mapping/tutorial-customer-graph", "update", "ready")
    );
    assert_eq!(
        ch.detail["diff"]["changes"]["nodes"][0]["fields_changed"],
        json!(["sql"])
    );
    assert_eq!(ch.detail["diff"]["to_version"], 2);
    let r = apply(&c, &d, "andrew").await.unwrap();
    assert!(r.converged);
    let live = mappings_named(&s, TUTORIAL).await;
    assert_eq!(live.len(), 1);
    assert_eq!(live[0].summary.current_version, 2);
    assert!(live[0].node_definitions[0].sql.contains("2021-01-01"));
    assert!(pac::make_plan(&c, &d).await.unwrap().converged);
    let again = apply(&c, &d, "andrew").await.unwrap();
    assert!(
        again.steps.is_empty() && again.converged,
        "re-running apply is a no-op"
    );
    assert_eq!(
        mappings_named(&s, TUTORIAL).await[0]
            .summary
            .current_version,
        2
    );

    // Drift: a setting changed through the API → refresh marks it → plan converges it back.
    let (st, _) = s
        .call(
            &s.ops_key,
            Method::PUT,
            "/api/config/concurrency",
            Some(json!({"per_analyst": 3})),
        )
        .await;
    assert_eq!(st, 200);
    let drifted = pac::refresh(&c, "andrew").await.unwrap();
    assert_eq!(drifted, vec!["setting/concurrency".to_string()]);
    let l = ledger(&s).await;
    let rec = l["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resource_key"] == "setting/concurrency")
        .unwrap();
    assert_eq!(rec["status"], "drifted");
    let p = pac::make_plan(&c, &d).await.unwrap();
    assert_eq!(p.changes.len(), 1);
    assert_eq!(
        p.changes[0].detail,
        json!({"old": {"per_analyst": 3}, "new": {"per_analyst": 10}})
    );
    apply(&c, &d, "andrew").await.unwrap();
    let (_, conc) = s
        .call(&s.ops_key, Method::GET, "/api/config/concurrency", None)
        .await;
    assert_eq!(conc["data"]["per_analyst"], 10);
    assert!(pac::refresh(&c, "andrew").await.unwrap().is_empty());

    // A role changed behind the declaration's back is converged back too.
    let (st, _) = s
        .call(
            &s.admin_key,
            Method::PUT,
            "/api/users/analyst_bob@e2e.local/role",
            Some(json!({"role": "ops"})),
        )
        .await;
    assert_eq!(st, 200);
    assert_eq!(
        pac::refresh(&c, "andrew").await.unwrap(),
        vec!["user/analyst_bob@e2e.local".to_string()]
    );
    let p = pac::make_plan(&c, &d).await.unwrap();
    assert_eq!(
        p.changes[0].summary,
        "change role of analyst_bob@e2e.local: ops → analyst"
    );
    apply(&c, &d, "andrew").await.unwrap();

    // Removing the mapping from the declaration: blocked until approved.
    edit(
        dir.path(),
        "platform.yaml",
        "    - mappings/tutorial-customer-graph.yaml\n",
        "",
    );
    let d = pac::load(dir.path()).unwrap();
    let p = pac::make_plan(&c, &d).await.unwrap();
    assert_eq!(p.changes.len(), 1);
    assert_eq!(
        (
            p.changes[0].action.as_str(),
            p.changes[0].disposition.as_str()
        ),
        ("delete", "blocked: approval_required")
    );
    let r = apply(&c, &d, "andrew").await.unwrap();
    assert!(!r.converged);
    assert_eq!(r.steps[0].result, "blocked: approval_required");
    assert_eq!(
        mappings_named(&s, TUTORIAL).await.len(),
        1,
        "a blocked delete deletes nothing"
    );

    // Approve, then edit the declaration: the approval is stale and authorises nothing.
    let a = pac::approve(&c, &d, "mapping/tutorial-customer-graph", "carol")
        .await
        .unwrap();
    assert_eq!(a["approved_by"], "carol");
    edit(
        dir.path(),
        "platform.yaml",
        "max_duration_seconds: 3600",
        "max_duration_seconds: 3601",
    );
    let d = pac::load(dir.path()).unwrap();
    let r = apply(&c, &d, "andrew").await.unwrap();
    let del = r
        .steps
        .iter()
        .find(|s| s.change.action.as_str() == "delete")
        .unwrap();
    assert_eq!(del.result, "blocked: approval_stale");
    assert_eq!(mappings_named(&s, TUTORIAL).await.len(), 1);

    // A fresh approval of exactly this change lets apply delete; the approval is kept, consumed.
    let a2 = pac::approve(&c, &d, "mapping/tutorial-customer-graph", "carol")
        .await
        .unwrap();
    let r = apply(&c, &d, "andrew").await.unwrap();
    assert!(r.converged, "{:#?}", r.steps);
    assert!(mappings_named(&s, TUTORIAL).await.is_empty());
    let l = ledger(&s).await;
    let approvals = l["approvals"].as_array().unwrap();
    assert_eq!(approvals.len(), 2);
    let used = approvals.iter().find(|x| x["id"] == a2["id"]).unwrap();
    assert!(used["consumed_at"].is_string() && used["consumed_by"].is_string());
    assert!(approvals.iter().find(|x| x["id"] == a["id"]).unwrap()["consumed_at"].is_null());
    assert!(
        l["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["resource_key"] != "mapping/tutorial-customer-graph")
    );
    assert!(l["lock"].is_null() && l["pending_intents"] == json!([]));

    // The audit log names the actor of every step.
    let (_, audit) = s
        .call(
            &s.ops_key,
            Method::GET,
            "/api/audit-log?action=platform.delete",
            None,
        )
        .await;
    assert_eq!(audit["data"][0]["username"], "andrew", "{audit}");
    assert_eq!(
        audit["data"][0]["details"]["authenticated_as"],
        "ops_dave@e2e.local"
    );
}

#[tokio::test]
async fn day_two_loop_on_sqlite() {
    day_two_loop(Db::Sqlite).await;
}

#[tokio::test]
async fn day_two_loop_on_postgres() {
    day_two_loop(Db::Postgres).await;
}

fn errors(e: Vec<pac::DeclarationError>) -> Vec<(String, Option<usize>, String)> {
    e.into_iter()
        .map(|e| {
            (
                e.file.file_name().unwrap().to_string_lossy().to_string(),
                e.line,
                e.field + ": " + &e.message,
            )
        })
        .collect()
}

#[test]
fn the_example_declaration_is_valid_and_matches_the_demo_mappings() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/platform");
    let d = pac::load(&dir).unwrap_or_else(|e| panic!("{}", PlatformError::Declaration(e)));
    assert_eq!(d.mappings.len(), 2);
    for (name, _, nodes, edges) in [
        graph_olap_demo::tutorial_mapping(),
        graph_olap_demo::bank_mapping(),
    ] {
        let m = d.mappings.iter().find(|m| m.name == name).unwrap();
        assert_eq!(
            (&m.nodes, &m.edges),
            (&nodes, &edges),
            "{name} declares what the demo seeds"
        );
    }
    assert_eq!(d.users.len(), 4);
}

#[test]
fn bad_declarations_name_file_line_and_field() {
    let dir = declaration();
    let p = dir.path();
    // Malformed YAML.
    std::fs::write(p.join("platform.yaml"), "version: 1\nname: [unclosed\n").unwrap();
    let e = errors(pac::load(p).unwrap_err());
    assert_eq!(e[0].0, "platform.yaml");
    assert!(e[0].1.is_some(), "{e:?}");
    // Unknown key.
    std::fs::write(
        p.join("platform.yaml"),
        "version: 1\nname: x\nsettings:\n  concurrency: {per_analyst: 3}\n  colour: blue\n",
    )
    .unwrap();
    let e = errors(pac::load(p).unwrap_err());
    assert_eq!(e[0].1, Some(5), "{e:?}");
    assert!(e[0].2.contains("unknown field `colour`"), "{e:?}");
    // Dangling SQL file, unknown type, unknown node, unknown role, bad duration: all at once.
    let dir = declaration();
    let p = dir.path();
    edit(
        p,
        "mappings/tutorial-customer-graph.yaml",
        "sql/tutorial_customer.sql",
        "sql/missing.sql",
    );
    edit(
        p,
        "mappings/tutorial-customer-graph.yaml",
        "{name: acct_stus, type: STRING}",
        "{name: acct_stus, type: MAP}",
    );
    edit(
        p,
        "mappings/tutorial-customer-graph.yaml",
        "to_node: Customer",
        "to_node: Account",
    );
    edit(p, "platform.yaml", "role: ops}", "role: root}");
    edit(p, "platform.yaml", "max_ttl: P7D", "max_ttl: P1M");
    let e = errors(pac::load(p).unwrap_err());
    let has = |file: &str, line: usize, text: &str| {
        e.iter()
            .any(|(f, l, m)| f == file && *l == Some(line) && m.contains(text))
    };
    assert!(
        has(
            "tutorial-customer-graph.yaml",
            7,
            "nodes[0].sql: cannot read 'sql/missing.sql'"
        ),
        "{e:#?}"
    );
    assert!(
        has(
            "tutorial-customer-graph.yaml",
            12,
            "nodes[0].properties[2].type: 'MAP' is not a supported type"
        ),
        "{e:#?}"
    );
    assert!(
        has(
            "tutorial-customer-graph.yaml",
            16,
            "edges[0].to_node: 'Account' is not the label"
        ),
        "{e:#?}"
    );
    assert!(
        has(
            "platform.yaml",
            27,
            "users.items[3].role: 'root' is not a role"
        ),
        "{e:#?}"
    );
    assert!(
        has("platform.yaml", 16, "settings.lifecycle.instance.max_ttl"),
        "{e:#?}"
    );
    assert_eq!(e.len(), 5, "{e:#?}");
}

#[tokio::test]
async fn sql_failing_on_the_warehouse_and_concurrent_applies_change_nothing() {
    let s = server(Db::Sqlite).await;
    let c = s.client().await;
    let dir = declaration();
    edit(dir.path(), SQL_FILE, "bis_acct_dh", "no_such_table");
    edit(
        dir.path(),
        "platform.yaml",
        "per_analyst: 10",
        "per_analyst: 7",
    );
    let d = pac::load(dir.path()).unwrap();
    let e = apply(&c, &d, "andrew").await.unwrap_err();
    assert_eq!(e.code(), Some("VALIDATION_FAILED"), "{e}");
    assert!(
        e.to_string().contains("tutorial-customer-graph")
            && e.to_string().contains("node_definitions[0].sql"),
        "{e}"
    );
    assert_eq!(
        mappings_named(&s, TUTORIAL).await[0]
            .summary
            .current_version,
        1
    );
    let (_, conc) = s
        .call(&s.ops_key, Method::GET, "/api/config/concurrency", None)
        .await;
    assert_eq!(conc["data"]["per_analyst"], 10, "no setting changed either");
    let l = ledger(&s).await;
    assert!(
        l["lock"].is_null() && l["pending_intents"] == json!([]) && l["resources"] == json!([])
    );

    // A concurrent apply (the lock is held) is refused with the holder's lock id.
    let dir = declaration();
    edit(
        dir.path(),
        "platform.yaml",
        "per_analyst: 10",
        "per_analyst: 7",
    );
    let d = pac::load(dir.path()).unwrap();
    let (st, lock) = s
        .call(
            &s.ops_key,
            Method::POST,
            "/api/platform/lock",
            Some(json!({"holder": "other", "actor": "zoe"})),
        )
        .await;
    assert_eq!(st, 201);
    let lock_id = lock["data"]["lock_id"].as_str().unwrap().to_string();
    match apply(&c, &d, "andrew").await.unwrap_err() {
        PlatformError::Locked {
            lock_id: held,
            actor,
            ..
        } => assert_eq!((held.as_str(), actor.as_str()), (lock_id.as_str(), "zoe")),
        other => panic!("expected Locked, got {other}"),
    }
    let (_, conc) = s
        .call(&s.ops_key, Method::GET, "/api/config/concurrency", None)
        .await;
    assert_eq!(conc["data"]["per_analyst"], 10);
    // Force-unlock needs the exact id.
    assert_eq!(
        pac::force_unlock(&c, "lock_wrong", "andrew")
            .await
            .unwrap_err()
            .code(),
        Some("NOT_FOUND")
    );
    pac::force_unlock(&c, &lock_id, "andrew").await.unwrap();
    assert!(apply(&c, &d, "andrew").await.unwrap().converged);
    // An analyst key is refused outright.
    let e = pac::Client::connect(&s.url, std::slice::from_ref(&s.analyst_key))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("admin or ops"), "{e}");
}

/// The child half of the crash test: runs one apply and is SIGKILLed by the hook.
#[tokio::test]
async fn crash_child() {
    let (Ok(url), Ok(dir), Ok(keys)) = (
        std::env::var("PAC_CHILD_URL"),
        std::env::var("PAC_CHILD_DIR"),
        std::env::var("PAC_CHILD_KEYS"),
    ) else {
        return; // only meaningful when spawned by `apply_killed_after_every_step_converges`
    };
    let keys: Vec<String> = keys.split(',').map(str::to_string).collect();
    let c = pac::Client::connect(&url, &keys).await.unwrap();
    let d = pac::load(std::path::Path::new(&dir)).unwrap();
    let _ = apply(&c, &d, "crashing").await;
}

/// The crash hook for the k-th crash point of an apply (1-based): the platform-apply steps of
/// the shared table in the order every change reaches them, `@n` for the n-th change.
fn crash_at(k: usize) -> String {
    let apply_steps: Vec<&str> = STEPS
        .iter()
        .filter(|s| s.operation == "platform apply")
        .map(|s| s.name)
        .collect();
    assert_eq!(apply_steps.len(), 3, "intent, request, completion");
    format!("{}@{}", apply_steps[(k - 1) % 3], (k - 1) / 3 + 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_killed_after_every_step_converges() {
    // Changes: create a mapping, a user, a mapping version, a role, two settings = 6 changes,
    // 3 crash points each.
    let mut k = 1;
    loop {
        let s = server(Db::Sqlite).await;
        let c = s.client().await;
        let dir = declaration();
        pac::import(&c, &pac::load(dir.path()).unwrap(), "andrew")
            .await
            .unwrap();
        edit(
            dir.path(),
            SQL_FILE,
            "DATE '2020-01-01'",
            "DATE '2022-01-01'",
        );
        edit(
            dir.path(),
            "platform.yaml",
            "per_analyst: 10",
            "per_analyst: 4",
        );
        edit(
            dir.path(),
            "platform.yaml",
            "max_duration_seconds: 3600",
            "max_duration_seconds: 900",
        );
        edit(
            dir.path(),
            "platform.yaml",
            "{username: analyst_bob@e2e.local, role: analyst}",
            "{username: analyst_bob@e2e.local, role: admin}",
        );
        edit(
            dir.path(),
            "platform.yaml",
            "    - {username: ops_dave@e2e.local, role: ops}\n",
            "    - {username: ops_dave@e2e.local, role: ops}\n    - {username: erin@e2e.local, role: analyst}\n",
        );
        std::fs::copy(
            dir.path().join("mappings/tutorial-customer-graph.yaml"),
            dir.path().join("mappings/second.yaml"),
        )
        .unwrap();
        edit(
            dir.path(),
            "mappings/second.yaml",
            "name: tutorial-customer-graph",
            "name: second-graph",
        );
        edit(
            dir.path(),
            "platform.yaml",
            "    - mappings/tutorial-customer-graph.yaml\n",
            "    - mappings/tutorial-customer-graph.yaml\n    - mappings/second.yaml\n",
        );
        let d = pac::load(dir.path()).unwrap();
        let planned = pac::make_plan(&c, &d).await.unwrap();
        assert_eq!(planned.changes.len(), 6, "{:#?}", planned.changes);
        let total_points = planned.changes.len() * 3;

        let status = tokio::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "crash_child",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("PAC_CHILD_URL", &s.url)
            .env("PAC_CHILD_DIR", dir.path())
            .env("PAC_CHILD_KEYS", format!("{},{}", s.ops_key, s.admin_key))
            .env(CRASH_ENV, crash_at(k))
            .status()
            .await
            .unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(
            status.signal(),
            Some(9),
            "k={k}: the child is killed by SIGKILL"
        );

        // The crashed apply's lock is held and shown; only its exact id removes it.
        let l = ledger(&s).await;
        let lock_id = l["lock"]["lock_id"]
            .as_str()
            .expect("lock held after the crash")
            .to_string();
        assert_eq!(l["lock"]["actor"], "crashing");
        match apply(&c, &d, "andrew").await.unwrap_err() {
            PlatformError::Locked { lock_id: held, .. } => assert_eq!(held, lock_id),
            other => panic!("k={k}: expected Locked, got {other}"),
        }
        pac::force_unlock(&c, &lock_id, "andrew").await.unwrap();
        let r = apply(&c, &d, "andrew").await.unwrap();
        assert!(r.converged, "k={k}: {:#?}", r.steps);
        let pending_before = (k - 1) % 3 != 2; // points 1 and 2 of a step leave its intent pending
        assert_eq!(
            r.recovered.len(),
            usize::from(pending_before),
            "k={k}: {:#?}",
            r.recovered
        );
        assert!(pac::make_plan(&c, &d).await.unwrap().converged, "k={k}");
        // Nothing duplicated: one mapping each, the edited one at exactly version 2.
        assert_eq!(mappings_named(&s, "second-graph").await.len(), 1, "k={k}");
        let t = mappings_named(&s, TUTORIAL).await;
        assert_eq!((t.len(), t[0].summary.current_version), (1, 2), "k={k}");
        let l = ledger(&s).await;
        assert!(
            l["lock"].is_null() && l["pending_intents"] == json!([]),
            "k={k}"
        );
        let (_, users) = s
            .call(&s.admin_key, Method::GET, "/api/users?search=erin", None)
            .await;
        assert_eq!(users["data"].as_array().unwrap().len(), 1, "k={k}");
        if k == total_points {
            break;
        }
        k += 1;
    }
}
