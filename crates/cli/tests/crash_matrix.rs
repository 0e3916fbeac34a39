//! The crash matrix (`docs/reliability.md`): for every multi-step operation, a real `graph-olap
//! up` (or the instance server it starts) is killed with SIGKILL at each crash point of
//! `graph_olap_server_kit::crash::STEPS` in turn (the `GRAPH_OLAP_CRASH_AT` hook), restarted
//! without the hook on the same data directory, and then the same invariants are checked every
//! time: no instance, snapshot or export job left in a transitional state; every failure carries
//! a code and a message; exactly the running instances have a live process and a unit record; every
//! file in the object store belongs to a `ready` snapshot's manifest. Each case also asserts the
//! operation's own outcome (completed, or failed with a reason).
//!
//! The platform-apply rows are proven by `apply_killed_after_every_step_converges`
//! (`crates/platform-as-code/tests/platform.rs`) and `platform_code_e2e.rs`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{ALICE, OPS, Platform, process_alive};
use graph_olap_server_kit::crash::{CRASH_ENV, Process, STEPS, steps};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const ADMIN: &str = "admin_carol@e2e.local";
const TUTORIAL: &str = "tutorial-customer-graph";
/// How long reconciliation may take to settle everything after a restart.
const SETTLE: Duration = Duration::from_secs(90);
/// How long an instance may take from create to running (export + load, debug build).
const START: Duration = Duration::from_secs(180);

/// The demo warehouse, shared read-only by every case: generated once into cargo's temporary
/// directory for integration tests and reused by later runs (generation is published atomically).
fn warehouse() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("crash-matrix-warehouse");
        if graph_olap_demo::existing(&dir).ok().flatten().is_none() {
            graph_olap_demo::generate(&dir, 1).expect("demo warehouse");
        }
        dir
    })
}

/// Background jobs every second, so reconciliation after a restart is seen within seconds, and
/// a short stop grace (a stop left half-done by a dead process is taken over after twice that).
const FAST: [(&str, &str); 5] = [
    ("GRAPH_OLAP_STOP_TIMEOUT", "PT3S"),
    ("GRAPH_OLAP_RECONCILIATION_INTERVAL_SECONDS", "1"),
    ("GRAPH_OLAP_LIFECYCLE_INTERVAL_SECONDS", "1"),
    ("GRAPH_OLAP_EXPORT_RECONCILIATION_INTERVAL_SECONDS", "1"),
    ("GRAPH_OLAP_INSTANCE_ORCHESTRATION_INTERVAL_SECONDS", "1"),
];

/// The port of the platform on `dir`: the same across restarts, as a deployment's control-plane
/// URL is (instance servers report to the URL they were started with).
fn port_of(dir: &Path) -> u16 {
    let file = dir.join("crash-port");
    if let Ok(text) = std::fs::read_to_string(&file) {
        return text.trim().parse().unwrap();
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(&file, port.to_string()).unwrap();
    port
}

/// Starts `graph-olap up` on `dir` with the shared warehouse, with the crash hook at `step`.
async fn start(dir: &Path, step: Option<&str>) -> Platform {
    let warehouse = warehouse().display().to_string();
    let listen = format!("127.0.0.1:{}", port_of(dir));
    let mut env: Vec<(&str, &str)> = FAST.to_vec();
    if let Some(step) = step {
        env.push((CRASH_ENV, step));
    }
    Platform::start_env(
        dir,
        &["--warehouse-dir", &warehouse, "--listen", &listen],
        &env,
    )
    .await
}

/// Waits for `p` to be killed at `step` by its own crash point (SIGKILL, named in its log).
fn expect_killed(p: &mut Platform, step: &str) {
    let signal = p.wait_exit(START);
    assert_eq!(
        signal,
        Some(9),
        "{step}: killed by SIGKILL\n{}",
        p.log_tail()
    );
    let log = std::fs::read_to_string(p.data_dir.join("up.log")).unwrap();
    assert!(
        log.contains(&format!("{CRASH_ENV}={step}@1: killing")),
        "{step}: the crash point announced itself\n{}",
        p.log_tail()
    );
}

async fn get(p: &Platform, path: &str) -> Value {
    let (status, body) = p.call(Method::GET, path, OPS, None).await;
    assert_eq!(status, StatusCode::OK, "{path}: {body}");
    body
}

/// Every instance (also terminated ones).
async fn instances(p: &Platform) -> Vec<Value> {
    get(p, "/api/instances?include_terminated=true&limit=100").await["data"]
        .as_array()
        .unwrap()
        .clone()
}

async fn instance(p: &Platform, id: i64) -> Value {
    get(p, &format!("/api/instances/{id}")).await["data"].clone()
}

/// The instance called `name` (its create response may have been lost in the crash).
async fn instance_named(p: &Platform, name: &str) -> Value {
    let found: Vec<Value> = instances(p)
        .await
        .into_iter()
        .filter(|i| i["name"] == name)
        .collect();
    assert_eq!(found.len(), 1, "exactly one instance {name}: {found:?}");
    found[0].clone()
}

/// Copies the tutorial mapping as `name` (a fresh mapping, so its first instance exports a new
/// snapshot); returns its id.
async fn copy_tutorial(p: &Platform, name: &str) -> i64 {
    let tutorial = p.mapping_id(TUTORIAL).await;
    let (status, body) = p
        .call(
            Method::POST,
            &format!("/api/mappings/{tutorial}/copy"),
            ALICE,
            Some(json!({"name": name})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["data"]["id"].as_i64().unwrap()
}

/// Waits until instance `id` has status `want`, or panics (also on another terminal status).
async fn wait_status(p: &Platform, id: i64, want: &str, timeout: Duration) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let i = instance(p, id).await;
        if i["status"] == want {
            return i;
        }
        assert!(
            Instant::now() < deadline,
            "instance {id} is {} after {timeout:?}, wanted {want}: {i}\n{}",
            i["status"],
            p.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Creates an instance of the tutorial mapping; returns its id (looked up by name when the
/// response was lost because the process died answering).
async fn create_instance(p: &Platform, mapping_id: i64, name: &str) -> Option<i64> {
    match send_create_instance(p, mapping_id, name).await {
        Ok(response) if response.status() == StatusCode::CREATED => {
            let body: Value = response.json().await.unwrap();
            body["data"]["id"].as_i64()
        }
        Ok(response) => panic!(
            "create {name}: {} {}",
            response.status(),
            response.text().await.unwrap_or_default()
        ),
        Err(_) => None,
    }
}

/// `POST /api/instances/from-mapping` as Alice, with the instance's name as `Idempotency-Key`
/// so that a retry after a crash can be told from a second create.
async fn send_create_instance(
    p: &Platform,
    mapping_id: i64,
    name: &str,
) -> reqwest::Result<reqwest::Response> {
    reqwest::Client::new()
        .post(format!("{}/api/instances/from-mapping", p.url))
        .header("X-Username", ALICE)
        .header("Idempotency-Key", name)
        .json(&json!({"mapping_id": mapping_id, "name": name}))
        .send()
        .await
}

/// Terminates instance `id` (when active) and waits until it is `terminated`.
async fn terminate(p: &Platform, id: i64) {
    let i = instance(p, id).await;
    if matches!(i["status"].as_str(), Some("terminated" | "failed")) {
        return;
    }
    let (status, body) = p
        .call(
            Method::POST,
            &format!("/api/instances/{id}/terminate"),
            ALICE,
            None,
        )
        .await;
    assert!(status.is_success(), "terminate {id}: {body}");
    wait_status(p, id, "terminated", SETTLE).await;
}

/// Live processes started for this platform's instances (their data directory is under
/// `DATA_DIR/instances`), by pid.
fn instance_processes(data_dir: &Path) -> BTreeSet<i64> {
    let marker = data_dir.join("instances").display().to_string();
    let mut pids = BTreeSet::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i64>().ok())
        else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let ours = environ
            .split(|b| *b == 0)
            .any(|var| String::from_utf8_lossy(var).contains(&marker));
        if ours && process_alive(pid) {
            pids.insert(pid);
        }
    }
    pids
}

/// Every file under `dir`, as paths relative to `root`.
fn files_under(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(root, &path, out);
        } else {
            out.insert(path.strip_prefix(root).unwrap().display().to_string());
        }
    }
}

/// What is wrong now, if anything (empty when every invariant holds).
async fn violations(p: &Platform) -> Vec<String> {
    let mut wrong = Vec::new();
    // Rows: nothing transitional, every failure explained.
    let all = instances(p).await;
    let mut running_pids = BTreeSet::new();
    for i in &all {
        let id = &i["id"];
        match i["status"].as_str().unwrap() {
            "running" => {
                let pod = i["pod_name"].as_str().unwrap_or_default();
                let unit = p
                    .data_dir
                    .join("instances/units")
                    .join(format!("{pod}.json"));
                match std::fs::read_to_string(&unit) {
                    Ok(text) => {
                        let record: Value = serde_json::from_str(&text).unwrap();
                        running_pids.insert(record["pid"].as_i64().unwrap());
                    }
                    Err(_) => wrong.push(format!("running instance {id} has no unit record")),
                }
            }
            "failed" => {
                if i["error_code"].as_str().is_none_or(str::is_empty)
                    || i["error_message"].as_str().is_none_or(str::is_empty)
                {
                    wrong.push(format!(
                        "failed instance {id} without code and message: {i}"
                    ));
                }
            }
            "terminated" => {
                if i["termination_reason"].as_str().is_none_or(str::is_empty) {
                    wrong.push(format!("terminated instance {id} without a reason: {i}"));
                }
            }
            other => wrong.push(format!("instance {id} stuck in {other}")),
        }
    }
    let jobs = get(p, "/api/ops/export-jobs?status=pending,claimed&limit=1000").await;
    for j in jobs["data"]["jobs"].as_array().unwrap() {
        wrong.push(format!("export job {} stuck in {}", j["id"], j["status"]));
    }
    let snapshots = get(p, "/api/snapshots?limit=100").await;
    for s in snapshots["data"].as_array().unwrap() {
        let status = s["status"].as_str().unwrap();
        if matches!(status, "pending" | "creating") {
            wrong.push(format!("snapshot {} stuck in {status}", s["id"]));
        }
        if status == "failed" && s["error_message"].as_str().is_none_or(str::is_empty) {
            wrong.push(format!("failed snapshot {} without a reason", s["id"]));
        }
    }
    // Processes: exactly those of running instances, and a unit record only for them.
    let live = instance_processes(&p.data_dir);
    if live != running_pids {
        wrong.push(format!(
            "instance processes {live:?}, but running instances have {running_pids:?}"
        ));
    }
    let mut records = BTreeSet::new();
    files_under(
        &p.data_dir.join("instances/units"),
        &p.data_dir.join("instances/units"),
        &mut records,
    );
    let running = all.iter().filter(|i| i["status"] == "running").count();
    if records.len() != running {
        wrong.push(format!(
            "{} unit records {records:?} for {running} running instances",
            records.len()
        ));
    }
    // Object store: every file is listed by the manifest of a ready snapshot.
    let root = p.data_dir.join("snapshots");
    let mut files = BTreeSet::new();
    files_under(&root, &root, &mut files);
    let manifests: Vec<String> = files
        .iter()
        .filter(|f| f.ends_with(graph_olap_storage::MANIFEST_FILE))
        .cloned()
        .collect();
    let mut expected = BTreeSet::new();
    for m in &manifests {
        let prefix = m.trim_end_matches(graph_olap_storage::MANIFEST_FILE);
        let snapshot_id: i64 = prefix
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let (status, s) = p
            .call(
                Method::GET,
                &format!("/api/snapshots/{snapshot_id}"),
                OPS,
                None,
            )
            .await;
        if status != StatusCode::OK || s["data"]["status"] != "ready" {
            wrong.push(format!("manifest {m} of a snapshot that is not ready: {s}"));
        }
        let manifest: Value =
            serde_json::from_str(&std::fs::read_to_string(root.join(m)).unwrap()).unwrap();
        expected.insert(m.clone());
        for table in ["nodes", "edges"]
            .iter()
            .flat_map(|k| manifest[k].as_array().unwrap())
        {
            for f in table["files"].as_array().unwrap() {
                expected.insert(format!("{prefix}{}", f["path"].as_str().unwrap()));
            }
        }
    }
    for orphan in files.difference(&expected) {
        wrong.push(format!(
            "object-store file not in any ready snapshot's manifest: {orphan}"
        ));
    }
    for missing in expected.difference(&files) {
        wrong.push(format!("manifest lists a missing file: {missing}"));
    }
    wrong
}

/// Waits until reconciliation has settled every invariant (or panics listing what is still wrong).
async fn assert_reconciled(p: &Platform, case: &str) {
    let deadline = Instant::now() + SETTLE;
    loop {
        let wrong = violations(p).await;
        if wrong.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{case}: not reconciled after {SETTLE:?}:\n  {}\n{}",
            wrong.join("\n  "),
            p.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// One row of the outcome table printed by the tests (`--nocapture` shows it).
fn outcome(step: &str, what: &str) {
    println!("| {step} | {what} |");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapping_create_update_and_bulk_delete() {
    let dir = tempfile::tempdir().unwrap();

    // Create: the committed mapping is there once, with version 1.
    let mut p = start(dir.path(), Some(steps::MAPPING_CREATE_COMMITTED)).await;
    let tutorial = get(
        &p,
        &format!("/api/mappings/{}", p.mapping_id(TUTORIAL).await),
    )
    .await;
    let body = json!({
        "name": "crash-created",
        "node_definitions": tutorial["data"]["node_definitions"],
        "edge_definitions": tutorial["data"]["edge_definitions"],
    });
    let create = |p: &Platform| {
        reqwest::Client::new()
            .post(format!("{}/api/mappings", p.url))
            .header("X-Username", ALICE)
            .header("Idempotency-Key", "crash-create-1")
            .json(&body)
            .send()
    };
    let sent = create(&p).await;
    assert!(sent.is_err(), "the process dies before answering: {sent:?}");
    expect_killed(&mut p, steps::MAPPING_CREATE_COMMITTED);
    let p = start(dir.path(), None).await;
    let id = p.mapping_id("crash-created").await;
    let created = get(&p, &format!("/api/mappings/{id}")).await;
    assert_eq!(created["data"]["current_version"], 1, "{created}");
    // The client's retry with the same key is answered from the mapping the create committed
    // (its outcome was recorded with it): `201`, the same id, marked replayed — no second mapping.
    let retry = create(&p).await.unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers()["idempotent-replayed"], "true");
    assert_eq!(
        retry.headers()["location"].to_str().unwrap(),
        format!("/api/mappings/{id}")
    );
    let retry: Value = serde_json::from_str(&retry.text().await.unwrap()).unwrap();
    assert_eq!(retry["data"]["id"], id, "{retry}");
    assert_eq!(retry["data"]["name"], "crash-created", "{retry}");
    let (_, named) = p
        .call(
            Method::GET,
            "/api/mappings?search=crash-created",
            ALICE,
            None,
        )
        .await;
    assert_eq!(named["data"].as_array().unwrap().len(), 1, "{named}");
    assert_reconciled(&p, steps::MAPPING_CREATE_COMMITTED).await;
    outcome(
        steps::MAPPING_CREATE_COMMITTED,
        "completed: mapping and version 1 exist once; the retry with the same key is answered from it (201, replayed)",
    );
    drop(p);

    // Update: the new version is committed with its description.
    let mut p = start(dir.path(), Some(steps::MAPPING_UPDATE_COMMITTED)).await;
    let sent = p
        .try_call(
            Method::PUT,
            &format!("/api/mappings/{id}"),
            ALICE,
            Some(json!({"change_description": "no edges", "edge_definitions": []})),
        )
        .await;
    assert!(sent.is_err(), "the process dies before answering: {sent:?}");
    expect_killed(&mut p, steps::MAPPING_UPDATE_COMMITTED);
    let p = start(dir.path(), None).await;
    let updated = get(&p, &format!("/api/mappings/{id}")).await;
    assert_eq!(updated["data"]["current_version"], 2, "{updated}");
    assert_eq!(updated["data"]["change_description"], "no edges");
    assert_eq!(updated["data"]["edge_definitions"], json!([]));
    assert_reconciled(&p, steps::MAPPING_UPDATE_COMMITTED).await;
    outcome(
        steps::MAPPING_UPDATE_COMMITTED,
        "completed: version 2 committed",
    );
    drop(p);

    // Bulk delete: what was deleted stays deleted (each with its own audit record); the same
    // request again deletes the rest.
    for (n, step) in [steps::BULK_DELETE_FIRST_DONE, steps::BULK_DELETE_ALL_DONE]
        .into_iter()
        .enumerate()
    {
        let mut p = start(dir.path(), Some(step)).await;
        let prefix = format!("crash-bulk-{n}-");
        let mut ids = Vec::new();
        for suffix in ["a", "b", "c"] {
            ids.push(copy_tutorial(&p, &format!("{prefix}{suffix}")).await);
        }
        let request = json!({"resource_type": "mapping", "filters": {"name_prefix": prefix}, "reason": "crash matrix"});
        let sent = p
            .try_call(
                Method::POST,
                "/api/admin/resources/bulk-delete",
                ADMIN,
                Some(request.clone()),
            )
            .await;
        assert!(sent.is_err(), "the process dies before answering: {sent:?}");
        expect_killed(&mut p, step);
        let p = start(dir.path(), None).await;
        let mut left = Vec::new();
        for id in &ids {
            let (status, _) = p
                .call(Method::GET, &format!("/api/mappings/{id}"), ALICE, None)
                .await;
            if status == StatusCode::OK {
                left.push(*id);
            } else {
                assert_eq!(status, StatusCode::NOT_FOUND);
            }
        }
        let deleted = ids.len() - left.len();
        if step == steps::BULK_DELETE_FIRST_DONE {
            assert_eq!(
                deleted, 1,
                "exactly the first one is deleted: left {left:?}"
            );
        } else {
            assert!(left.is_empty(), "all deleted: left {left:?}");
        }
        let audit = get(&p, "/api/audit-log?action=mapping.delete&limit=100").await;
        let audited: BTreeSet<i64> = audit["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] == "mapping.delete")
            .filter_map(|r| {
                r["resource_id"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .or(r["resource_id"].as_i64())
            })
            .collect();
        for id in ids.iter().filter(|id| !left.contains(id)) {
            assert!(
                audited.contains(id),
                "deleted mapping {id} has its audit record: {audited:?}"
            );
        }
        let (status, again) = p
            .call(
                Method::POST,
                "/api/admin/resources/bulk-delete",
                ADMIN,
                Some(request),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["data"]["deleted_count"], left.len(), "{again}");
        assert_reconciled(&p, step).await;
        outcome(
            step,
            &format!("{deleted} of 3 deleted and audited; repeating the request deletes the rest"),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_export() {
    let dir = tempfile::tempdir().unwrap();
    let export_steps = [
        steps::EXPORT_CLAIM_COMMITTED,
        steps::EXPORT_PREFIX_CLEARED,
        steps::EXPORT_PART_UPLOADED,
        steps::EXPORT_FILES_WRITTEN,
        steps::SNAPSHOT_MANIFEST_WRITTEN,
        steps::EXPORT_COMPLETE_COMMITTED,
    ];
    for (n, step) in export_steps.into_iter().enumerate() {
        let mut p = start(dir.path(), Some(step)).await;
        let mapping = copy_tutorial(&p, &format!("crash-export-{n}")).await;
        let name = format!("export-{n}");
        create_instance(&p, mapping, &name)
            .await
            .expect("created before the export starts");
        expect_killed(&mut p, step);
        let log_before = std::fs::read_to_string(dir.path().join("up.log"))
            .unwrap()
            .len();
        let p = start(dir.path(), None).await;
        if step != steps::EXPORT_COMPLETE_COMMITTED {
            // The dead run's claim is returned to the queue at start-up, not after its lease.
            let log = std::fs::read_to_string(dir.path().join("up.log")).unwrap();
            assert!(
                log[log_before..]
                    .contains("re-queued 1 export job(s) the previous run left claimed"),
                "{step}: the claimed job is released at start-up\n{}",
                p.log_tail()
            );
        }
        let id = instance_named(&p, &name).await["id"].as_i64().unwrap();
        let running = wait_status(&p, id, "running", START).await;
        let snapshot = get(&p, &format!("/api/snapshots/{}", running["snapshot_id"])).await;
        assert_eq!(snapshot["data"]["status"], "ready", "{snapshot}");
        let url = running["instance_url"].as_str().unwrap();
        assert!(p.count(url, "MATCH (c:Customer) RETURN count(c)").await > 0);
        terminate(&p, id).await;
        assert_reconciled(&p, step).await;
        outcome(
            step,
            "completed: export resumed, snapshot ready, instance running",
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_create_to_running() {
    let dir = tempfile::tempdir().unwrap();
    let start_steps = [
        steps::INSTANCE_CREATE_COMMITTED,
        steps::INSTANCE_UNIT_STARTED,
        steps::INSTANCE_UNIT_RECORDED,
        steps::INSTANCE_GRAPH_LOADED,
        steps::INSTANCE_RUNNING_COMMITTED,
    ];
    for (n, step) in start_steps.into_iter().enumerate() {
        let mut p = start(dir.path(), Some(step)).await;
        let tutorial = p.mapping_id(TUTORIAL).await;
        let name = format!("start-{n}");
        let created = create_instance(&p, tutorial, &name).await;
        let process = graph_olap_server_kit::crash::step(step).unwrap().process;
        if process == Process::Instance {
            // The instance server dies; the control plane lives on and fails the instance.
            let id = created.expect("created");
            let failed = wait_status(&p, id, "failed", START).await;
            assert_eq!(failed["error_code"], "UNEXPECTED_TERMINATION", "{failed}");
            assert!(
                p.running(),
                "the control plane is not the process that died"
            );
            assert_reconciled(&p, step).await;
            outcome(
                step,
                "failed: UNEXPECTED_TERMINATION (the instance's process disappeared)",
            );
            continue;
        }
        expect_killed(&mut p, step);
        let p = start(dir.path(), None).await;
        let id = instance_named(&p, &name).await["id"].as_i64().unwrap();
        if step == steps::INSTANCE_CREATE_COMMITTED {
            // The create committed but never answered: the retry with the same key is answered
            // from the instance it made (recorded in the create's transaction), not a second one.
            let retry = send_create_instance(&p, p.mapping_id(TUTORIAL).await, &name)
                .await
                .unwrap();
            assert_eq!(retry.status(), StatusCode::CREATED);
            assert_eq!(retry.headers()["idempotent-replayed"], "true");
            let retry: Value = retry.json().await.unwrap();
            assert_eq!(retry["data"]["id"], id, "{retry}");
        }
        let running = wait_status(&p, id, "running", START).await;
        let url = running["instance_url"].as_str().unwrap();
        assert!(p.count(url, "MATCH (c:Customer) RETURN count(c)").await > 0);
        terminate(&p, id).await;
        assert_reconciled(&p, step).await;
        outcome(
            step,
            if step == steps::INSTANCE_CREATE_COMMITTED {
                "completed: the instance runs after the restart; the retry with the same key is answered from it (201, replayed)"
            } else {
                "completed: the instance runs after the restart"
            },
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn algorithm_terminate_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    // Algorithm with write-back: the instance server dies with its execution and lock; the
    // instance fails with a reason, and nothing it held survives it.
    for (n, step) in [
        steps::ALGO_LOCKED,
        steps::ALGO_COMPUTED,
        steps::ALGO_WRITTEN_BACK,
    ]
    .into_iter()
    .enumerate()
    {
        let p = start(dir.path(), Some(step)).await;
        let tutorial = p.mapping_id(TUTORIAL).await;
        let id = create_instance(&p, tutorial, &format!("algo-{n}"))
            .await
            .unwrap();
        let running = wait_status(&p, id, "running", START).await;
        let url = running["instance_url"].as_str().unwrap();
        let _ = p
            .try_call(
                Method::POST,
                &format!("{url}/algo/pagerank"),
                ALICE,
                Some(json!({"result_property": "pr"})),
            )
            .await;
        let failed = wait_status(&p, id, "failed", SETTLE).await;
        assert_eq!(failed["error_code"], "UNEXPECTED_TERMINATION", "{failed}");
        assert_reconciled(&p, step).await;
        outcome(
            step,
            "failed: UNEXPECTED_TERMINATION; execution and lock gone with the process",
        );
    }

    // Terminate: after the restart the instance is terminated and its process gone.
    for (n, step) in [
        steps::TERMINATE_STOPPING_COMMITTED,
        steps::TERMINATE_UNIT_STOPPED,
    ]
    .into_iter()
    .enumerate()
    {
        let mut p = start(dir.path(), Some(step)).await;
        let tutorial = p.mapping_id(TUTORIAL).await;
        let id = create_instance(&p, tutorial, &format!("terminate-{n}"))
            .await
            .unwrap();
        wait_status(&p, id, "running", START).await;
        let _ = p
            .try_call(
                Method::POST,
                &format!("/api/instances/{id}/terminate"),
                ALICE,
                None,
            )
            .await;
        expect_killed(&mut p, step);
        let p = start(dir.path(), None).await;
        let done = wait_status(&p, id, "terminated", SETTLE).await;
        assert_eq!(done["termination_reason"], "user_request", "{done}");
        assert_reconciled(&p, step).await;
        outcome(step, "completed: terminated (user_request), process gone");
    }

    // Expiry: the lifecycle job marks an instance past its TTL stopping and dies; the restarted
    // control plane finishes the termination.
    let step = steps::EXPIRY_STOPPING_COMMITTED;
    let mut p = start(dir.path(), Some(step)).await;
    let tutorial = p.mapping_id(TUTORIAL).await;
    let (status, body) = p
        .call(
            Method::POST,
            "/api/instances/from-mapping",
            ALICE,
            Some(json!({"mapping_id": tutorial, "name": "expiring", "ttl": "PT20S"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["data"]["id"].as_i64().unwrap();
    expect_killed(&mut p, step);
    let p = start(dir.path(), None).await;
    let done = wait_status(&p, id, "terminated", SETTLE).await;
    assert_eq!(done["termination_reason"], "ttl_expired", "{done}");
    assert_reconciled(&p, step).await;
    outcome(step, "completed: terminated (ttl_expired), process gone");
}

/// Every crash point is a case of this matrix (or, for platform apply, of the platform-as-code
/// suites): a new step cannot go untested.
#[test]
fn every_crash_point_is_in_the_matrix() {
    let here = include_str!("crash_matrix.rs");
    let platform = include_str!("../../platform-as-code/tests/platform.rs");
    for step in STEPS {
        let constant = [
            ("MAPPING_CREATE_COMMITTED", steps::MAPPING_CREATE_COMMITTED),
            ("MAPPING_UPDATE_COMMITTED", steps::MAPPING_UPDATE_COMMITTED),
            (
                "INSTANCE_CREATE_COMMITTED",
                steps::INSTANCE_CREATE_COMMITTED,
            ),
            ("EXPORT_CLAIM_COMMITTED", steps::EXPORT_CLAIM_COMMITTED),
            ("EXPORT_PREFIX_CLEARED", steps::EXPORT_PREFIX_CLEARED),
            ("EXPORT_PART_UPLOADED", steps::EXPORT_PART_UPLOADED),
            ("EXPORT_FILES_WRITTEN", steps::EXPORT_FILES_WRITTEN),
            (
                "SNAPSHOT_MANIFEST_WRITTEN",
                steps::SNAPSHOT_MANIFEST_WRITTEN,
            ),
            (
                "EXPORT_COMPLETE_COMMITTED",
                steps::EXPORT_COMPLETE_COMMITTED,
            ),
            ("INSTANCE_UNIT_STARTED", steps::INSTANCE_UNIT_STARTED),
            ("INSTANCE_UNIT_RECORDED", steps::INSTANCE_UNIT_RECORDED),
            ("INSTANCE_GRAPH_LOADED", steps::INSTANCE_GRAPH_LOADED),
            (
                "INSTANCE_RUNNING_COMMITTED",
                steps::INSTANCE_RUNNING_COMMITTED,
            ),
            ("ALGO_LOCKED", steps::ALGO_LOCKED),
            ("ALGO_COMPUTED", steps::ALGO_COMPUTED),
            ("ALGO_WRITTEN_BACK", steps::ALGO_WRITTEN_BACK),
            (
                "TERMINATE_STOPPING_COMMITTED",
                steps::TERMINATE_STOPPING_COMMITTED,
            ),
            ("TERMINATE_UNIT_STOPPED", steps::TERMINATE_UNIT_STOPPED),
            (
                "EXPIRY_STOPPING_COMMITTED",
                steps::EXPIRY_STOPPING_COMMITTED,
            ),
            ("BULK_DELETE_FIRST_DONE", steps::BULK_DELETE_FIRST_DONE),
            ("BULK_DELETE_ALL_DONE", steps::BULK_DELETE_ALL_DONE),
        ]
        .into_iter()
        .find(|(_, name)| *name == step.name)
        .map(|(constant, _)| constant);
        match constant {
            Some(c) => assert!(
                here.matches(&format!("steps::{c}")).count() >= 2,
                "{}: listed but never driven",
                step.name
            ),
            None => {
                assert_eq!(
                    step.process,
                    Process::PlatformCli,
                    "{} is not in the matrix",
                    step.name
                );
                assert!(
                    platform.contains("fn crash_at("),
                    "platform apply steps are driven there"
                );
            }
        }
    }
}
