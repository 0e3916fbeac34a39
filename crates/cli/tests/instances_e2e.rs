//! End to end with real processes: `graph-olap up` in a temporary directory exports the demo
//! mappings, starts instance servers as child processes, answers Cypher through the proxy, and
//! cleans up after itself — also when processes are killed.

mod common;

use std::time::Duration;

use common::{ALICE, BOB, OPS, Platform, port_open, process_alive, warehouse_count};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const START_TIMEOUT: Duration = Duration::from_secs(300);

/// Every label and edge type of the mapping has as many elements in the graph as its SQL yields
/// rows on the warehouse.
async fn assert_counts_match_warehouse(p: &Platform, mapping_id: i64, instance_url: &str) {
    let (_, mapping) = p
        .call(
            Method::GET,
            &format!("/api/mappings/{mapping_id}"),
            ALICE,
            None,
        )
        .await;
    let warehouse = p.data_dir.join("warehouse");
    for node in mapping["data"]["node_definitions"].as_array().unwrap() {
        let label = node["label"].as_str().unwrap();
        let want = warehouse_count(&warehouse, node["sql"].as_str().unwrap()).await;
        let got = p
            .count(instance_url, &format!("MATCH (n:{label}) RETURN count(n)"))
            .await;
        assert!(want > 0, "{label}: the demo warehouse should have rows");
        assert_eq!(got, want, "nodes of {label}");
    }
    for edge in mapping["data"]["edge_definitions"].as_array().unwrap() {
        let edge_type = edge["type"].as_str().unwrap();
        let want = warehouse_count(&warehouse, edge["sql"].as_str().unwrap()).await;
        let got = p
            .count(
                instance_url,
                &format!("MATCH ()-[r:{edge_type}]->() RETURN count(r)"),
            )
            .await;
        assert!(want > 0, "{edge_type}: the demo warehouse should have rows");
        assert_eq!(got, want, "edges of {edge_type}");
    }
}

/// Every kind of bad query gets its typed error through the proxy, and limits are enforced.
async fn assert_bad_queries_are_typed(p: &Platform, url: &str) {
    let post = |body: Value| async move {
        p.call(Method::POST, &format!("{url}/query"), ALICE, Some(body))
            .await
    };
    let code = |r: &(StatusCode, Value)| (r.0, r.1["error"]["code"].as_str().map(str::to_string));
    let expect = |r: (StatusCode, Value), status: StatusCode, want: &str| {
        assert_eq!(code(&r), (status, Some(want.to_string())), "{}", r.1);
        r.1
    };
    let syntax = expect(
        post(json!({"query": "MATCH (c:Customer)\nRETURN c.id ORDER"})).await,
        StatusCode::BAD_REQUEST,
        "QUERY_SYNTAX_ERROR",
    );
    assert!(
        syntax["error"]["details"]["line"]
            .as_i64()
            .is_some_and(|l| l >= 1),
        "the engine's position: {syntax}"
    );
    // A label the graph does not have matches nothing, as in Neo4j (and FalkorDB).
    let unknown = post(json!({"query": "MATCH (n:NoSuchLabel) RETURN n"})).await;
    assert_eq!(unknown.0, StatusCode::OK, "{}", unknown.1);
    assert_eq!(unknown.1["row_count"], 0, "{}", unknown.1);
    let typed = expect(post(json!({"query": "MATCH (c:Customer) WHERE c.account_count > $n RETURN count(c)", "parameters": {"n": "three"}})).await, StatusCode::BAD_REQUEST, "QUERY_FAILED");
    assert!(typed["error"]["details"]["reason"].is_string(), "{typed}");
    expect(
        post(json!({"query": "RETURN 1; RETURN 2"})).await,
        StatusCode::BAD_REQUEST,
        "QUERY_UNSUPPORTED",
    );
    expect(
        post(json!({"query": "MATCH (c:Customer) DETACH DELETE c"})).await,
        StatusCode::BAD_REQUEST,
        "READ_ONLY_VIOLATION",
    );
    expect(
        post(json!({"query": "MATCH (c:Customer) RETURN c LIMIT 1", "max_rows": 0})).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    );
    expect(
        post(json!({"query": "RETURN 1", "timeout_ms": 10})).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    );
    expect(
        post(json!({"query": ""})).await,
        StatusCode::BAD_REQUEST,
        "VALIDATION_FAILED",
    );
    let slow = expect(post(json!({"query": "MATCH (a:Customer), (b:Customer), (c:Customer) WHERE a.account_count + b.account_count + c.account_count = 7 RETURN count(*)", "timeout_ms": 1000})).await, StatusCode::REQUEST_TIMEOUT, "QUERY_TIMEOUT");
    assert_eq!(slow["error"]["details"]["timeout_ms"], 1000, "{slow}");
    // Harmless words, and the row limit.
    let (status, words) = post(
        json!({"query": "MATCH (c:Customer) RETURN 'CREATE' AS word, c.id AS created_at LIMIT 1"}),
    )
    .await;
    assert_eq!(
        (status, &words["rows"][0][0]),
        (StatusCode::OK, &json!("CREATE")),
        "{words}"
    );
    let (status, limited) =
        post(json!({"query": "MATCH (c:Customer) RETURN c.id", "max_rows": 7})).await;
    assert_eq!(status, StatusCode::OK, "{limited}");
    assert_eq!(
        (
            limited["row_count"].as_i64(),
            limited["truncated"].as_bool()
        ),
        (Some(7), Some(true)),
        "{limited}"
    );
    // Columns are named as written; aggregates keep their text.
    let named = p
        .query(
            url,
            ALICE,
            "MATCH (c:Customer) RETURN c.bk_sectr, count(*) ORDER BY c.bk_sectr LIMIT 1",
        )
        .await;
    assert_eq!(
        named["columns"],
        json!(["c.bk_sectr", "count(*)"]),
        "{named}"
    );
    assert_eq!(named["column_types"], json!(["STRING", "INT64"]), "{named}");
    // The instance still answers after all of that.
    assert!(p.count(url, "MATCH (c:Customer) RETURN count(c)").await > 0);
}

/// A running instance's reported progress is complete: every step completed, each table with
/// its row count. The instance sends its final progress with the `running` report, so this
/// holds the moment the instance is `running`.
async fn assert_progress_complete(p: &Platform, instance: &Value) {
    let progress = &p.progress(instance["id"].as_i64().unwrap()).await;
    let steps = progress["steps"].as_array().unwrap();
    let loads: Vec<&Value> = steps
        .iter()
        .filter(|s| s["name"].as_str().unwrap().starts_with("load:"))
        .collect();
    assert!(!loads.is_empty(), "{progress}");
    for step in steps {
        assert_eq!(step["status"], "completed", "{progress}");
    }
    for step in loads {
        assert!(step["row_count"].as_u64().unwrap() > 0, "{progress}");
    }
}

async fn start_running(p: &Platform, user: &str, mapping: &str, name: &str) -> Value {
    let mapping_id = p.mapping_id(mapping).await;
    let (status, created) = p.create_from_mapping(user, mapping_id, name).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["data"]["status"], "waiting_for_snapshot");
    p.wait_for_status(
        created["data"]["id"].as_i64().unwrap(),
        "running",
        START_TIMEOUT,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_graphs_load_answer_cypher_and_terminate_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let p = Platform::start(dir.path()).await;
    let tutorial = start_running(&p, ALICE, "tutorial-customer-graph", "e2e-tutorial").await;
    let bank = start_running(&p, ALICE, "bank-graph", "e2e-bank").await;
    let tutorial_url = tutorial["instance_url"].as_str().unwrap();
    let bank_url = bank["instance_url"].as_str().unwrap();
    assert!(
        tutorial_url.starts_with(&format!("{}/wrapper/", p.url)),
        "{tutorial}"
    );

    assert_progress_complete(&p, &tutorial).await;
    assert_progress_complete(&p, &bank).await;
    assert_counts_match_warehouse(&p, tutorial["mapping_id"].as_i64().unwrap(), tutorial_url).await;
    assert_counts_match_warehouse(&p, bank["mapping_id"].as_i64().unwrap(), bank_url).await;

    // The patterns the tutorials look for.
    let shared = p
        .count(
            tutorial_url,
            "MATCH (a:Customer)-[:SHARES_ACCOUNT]->(b:Customer) RETURN count(DISTINCT a)",
        )
        .await;
    assert!(shared > 10, "customers sharing an account: {shared}");
    let joint = p.count(bank_url, "MATCH (c1:Customer)-[:HOLDS]->(a:Account)<-[:HOLDS]-(c2:Customer) WHERE c1.customer_id < c2.customer_id RETURN count(DISTINCT a)").await;
    assert!(joint > 0, "accounts held jointly: {joint}");
    let hub = p.query(bank_url, ALICE, "MATCH (a:Account)<-[t:TRANSFER]-() RETURN a.account_id, count(t) AS fan_in ORDER BY fan_in DESC LIMIT 1").await;
    let top_fan_in = hub["rows"][0][1].as_i64().unwrap();
    let average = p
        .count(bank_url, "MATCH ()-[t:TRANSFER]->() RETURN count(t)")
        .await
        / p.count(bank_url, "MATCH (a:Account) RETURN count(a)")
            .await
            .max(1);
    assert!(
        top_fan_in > 5 * average.max(1),
        "a fan-in hub: top {top_fan_in}, average {average}"
    );
    let cycles = p.count(bank_url, "MATCH (a:Account)-[:TRANSFER]->(b:Account)-[:TRANSFER]->(c:Account)-[:TRANSFER]->(a) WHERE a <> b AND b <> c AND a <> c RETURN count(*)").await;
    assert!(cycles > 0, "3-cycles of transfers: {cycles}");

    // Typed errors through the proxy; nothing is written.
    let (status, body) = p
        .call(
            Method::POST,
            &format!("{tutorial_url}/query"),
            ALICE,
            Some(json!({"query": "MATCH (n:Customer) SET n.x = 1 RETURN n"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("READ_ONLY_VIOLATION")),
        "{body}"
    );
    let (status, body) = p
        .call(
            Method::POST,
            &format!("{tutorial_url}/query"),
            ALICE,
            Some(json!({"query": "MATCH (n:Customer RETURN n"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("QUERY_SYNTAX_ERROR")),
        "{body}"
    );
    let (status, body) = p
        .call(
            Method::POST,
            &format!("{tutorial_url}/query"),
            BOB,
            Some(json!({"query": "RETURN 1"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("PERMISSION_DENIED")),
        "another analyst may not read alice's graph: {body}"
    );
    let (status, schema) = p
        .call(Method::GET, &format!("{tutorial_url}/schema"), ALICE, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{schema}");
    let properties = &schema["node_tables"][0]["properties"];
    assert!(
        properties.get("bk_sectr").is_some() && properties.get("x").is_none(),
        "the refused SET wrote nothing: {schema}"
    );

    assert_bad_queries_are_typed(&p, tutorial_url).await;

    // Terminate: the process exits and its port is free.
    for instance in [&tutorial, &bank] {
        let id = instance["id"].as_i64().unwrap();
        let unit = p.unit_record(instance["pod_name"].as_str().unwrap());
        let (pid, port) = (
            unit["pid"].as_i64().unwrap(),
            unit["port"].as_i64().unwrap(),
        );
        assert!(
            process_alive(pid) && port_open(port),
            "instance {id} should be serving: {unit}"
        );
        let (status, body) = p
            .call(
                Method::POST,
                &format!("/api/instances/{id}/terminate"),
                ALICE,
                Some(json!({"reason": "e2e done"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            matches!(
                body["data"]["status"].as_str(),
                Some("stopping" | "terminated")
            ),
            "{body}"
        );
        p.wait_for_status(id, "terminated", Duration::from_secs(60))
            .await;
        assert!(
            !process_alive(pid),
            "instance {id} process {pid} still alive after terminate"
        );
        assert!(
            !port_open(port),
            "instance {id} port {port} still open after terminate"
        );
        let (status, body) = p
            .call(
                Method::POST,
                &format!("{}/query", instance["instance_url"].as_str().unwrap()),
                ALICE,
                Some(json!({"query": "RETURN 1"})),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "a terminated instance is not served: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_survive_a_control_plane_crash_and_a_killed_server_is_marked_failed() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Platform::start(dir.path()).await;
    let running = start_running(&p, ALICE, "tutorial-customer-graph", "e2e-survivor").await;
    let id = running["id"].as_i64().unwrap();
    let unit = p.unit_record(running["pod_name"].as_str().unwrap());
    let pid = unit["pid"].as_i64().unwrap();
    let before = p
        .count(
            running["instance_url"].as_str().unwrap(),
            "MATCH (n:Customer) RETURN count(n)",
        )
        .await;

    // The control plane dies without stopping anything; the instance server keeps running.
    p.kill();
    assert!(
        process_alive(pid),
        "the instance server must outlive a control-plane crash"
    );
    drop(p);
    let p = Platform::start(dir.path()).await;
    tokio::time::sleep(Duration::from_secs(5)).await; // at least one reconciliation pass
    let adopted = p
        .wait_for_status(id, "running", Duration::from_secs(30))
        .await;
    let url = adopted["instance_url"].as_str().unwrap();
    assert!(
        url.starts_with(&p.url),
        "instance_url follows the restarted control plane: {adopted}"
    );
    assert_eq!(
        p.count(url, "MATCH (n:Customer) RETURN count(n)").await,
        before,
        "re-adopted instance answers as before"
    );

    // kill -9 the instance server: the next reconciliation marks it failed and releases it.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let failed = loop {
        let (_, body) = p
            .call(Method::GET, &format!("/api/instances/{id}"), OPS, None)
            .await;
        if body["data"]["status"] == "failed" {
            break body["data"].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "killed instance not marked failed: {body}\n{}",
            p.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(failed["error_code"], "UNEXPECTED_TERMINATION", "{failed}");
    assert!(
        failed["instance_url"].is_null(),
        "a failed instance is not served: {failed}"
    );
    let (_, quota) = p
        .call(Method::GET, "/api/instances/quota", ALICE, None)
        .await;
    assert_eq!(
        quota["data"]["active_instances"], 0,
        "a failed instance no longer counts: {quota}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_creates_never_exceed_the_per_analyst_limit() {
    let dir = tempfile::tempdir().unwrap();
    let p = Platform::start(dir.path()).await;
    let (status, body) = p
        .call(
            Method::PUT,
            "/api/config/concurrency",
            OPS,
            Some(json!({"per_analyst": 3})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mapping_id = p.mapping_id("tutorial-customer-graph").await;
    let creates = (0..20).map(|i| {
        let p = &p;
        async move {
            p.create_from_mapping(BOB, mapping_id, &format!("burst-{i}"))
                .await
        }
    });
    let results = futures::future::join_all(creates).await;
    let created: Vec<i64> = results
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, b)| b["data"]["id"].as_i64().unwrap())
        .collect();
    for (status, body) in results.iter().filter(|(s, _)| *s != StatusCode::CREATED) {
        assert_eq!(*status, StatusCode::CONFLICT, "{body}");
        assert_eq!(
            body["error"]["code"], "CONCURRENCY_LIMIT_EXCEEDED",
            "{body}"
        );
        assert_eq!(
            body["error"]["details"]["limit_type"], "per_analyst",
            "{body}"
        );
        assert_eq!(body["error"]["details"]["max_allowed"], 3, "{body}");
    }
    assert_eq!(
        created.len(),
        3,
        "exactly the limit is admitted: {results:?}"
    );
    let (_, listed) = p
        .call(
            Method::GET,
            "/api/instances?owner=analyst_bob@e2e.local",
            BOB,
            None,
        )
        .await;
    assert_eq!(listed["meta"]["total"], 3, "{listed}");
    for id in created {
        let (status, body) = p
            .call(Method::DELETE, &format!("/api/instances/{id}"), BOB, None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = p
        .create_from_mapping(BOB, mapping_id, "after-terminate")
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "slots are free again after terminate: {body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_stop_takes_instances_down_and_the_next_up_brings_them_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = Platform::start(dir.path()).await;
    let running = start_running(&p, ALICE, "tutorial-customer-graph", "e2e-parked").await;
    let id = running["id"].as_i64().unwrap();
    let pid = p.unit_record(running["pod_name"].as_str().unwrap())["pid"]
        .as_i64()
        .unwrap();
    assert!(
        p.stop(),
        "graph-olap up exits cleanly on SIGTERM:\n{}",
        p.log_tail()
    );
    assert!(
        !process_alive(pid),
        "up stops the instance servers it started"
    );
    drop(p);

    let p = Platform::start(dir.path()).await;
    let back = p.wait_for_status(id, "running", START_TIMEOUT).await;
    let new_pid = p.unit_record(back["pod_name"].as_str().unwrap())["pid"]
        .as_i64()
        .unwrap();
    assert!(
        new_pid != pid && process_alive(new_pid),
        "a new server process: {back}"
    );
    let url = back["instance_url"].as_str().unwrap();
    assert!(p.count(url, "MATCH (c:Customer) RETURN count(c)").await > 0);
    let (_, events) = p
        .call(
            Method::GET,
            &format!("/api/instances/{id}/events"),
            ALICE,
            None,
        )
        .await;
    let kinds: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["event_type"].as_str())
        .collect();
    assert!(
        kinds.contains(&"platform_stopped") && !kinds.contains(&"failed"),
        "{kinds:?}"
    );
}
