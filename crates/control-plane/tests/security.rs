//! The control-plane rows of the threat model (docs/security.md), each against a real control
//! plane on a loopback socket over SQLite: how credentials are stored, when development
//! identities are refused, the throttle on failed authentication, what the instance proxy
//! forwards, and that no secret reaches a log line, an error body, the audit log or `/metrics`.
//!
//! Every log line of this test binary goes to one buffer (the global subscriber, at `debug`), so
//! the secrets test also sees what the other tests logged.

mod common;

use std::io::Write;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};

use axum::http::HeaderMap as AxumHeaders;
use common::{ALICE, BOB, CAROL, DAVE, Db, Env, KEY, Server, Time};
use graph_olap_control_plane::AuthMode;
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Every log line written by this test binary.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        buffer
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn logged_text() -> String {
    String::from_utf8_lossy(&logs().lock().unwrap_or_else(|p| p.into_inner())).into_owned()
}

/// A client whose connections leave from `source` (any 127.0.0.0/8 address is loopback).
fn client_from(source: &str) -> Client {
    Client::builder()
        .local_address(source.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

async fn server_with(tweak: impl FnOnce(&mut graph_olap_control_plane::Settings)) -> Server {
    logs();
    Env::demo(Db::Sqlite, Time::System)
        .await
        .replica_with(tweak, None)
        .await
}

/// Status, headers and JSON (or text) body of one request.
async fn answer(req: reqwest::RequestBuilder) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The secret part of `gok_<key_id>_<secret>` (the secret itself may contain `_`).
fn secret_of(key: &str) -> &str {
    graph_olap_control_plane::auth::split_key(key)
        .expect("a well-formed key")
        .1
}

/// How many users the platform has.
async fn user_count(s: &Server) -> i64 {
    graph_olap_store::users::list(
        &mut s.state.store.read().await.unwrap(),
        &Default::default(),
        0,
        1000,
    )
    .await
    .unwrap()
    .1
}

/// A new API key of `owner`, created by the admin persona: (plaintext, key id).
async fn new_key(s: &Server, owner: &str) -> (String, String) {
    let data = s
        .data(
            Method::POST,
            &format!("/api/users/{owner}/api-keys"),
            CAROL,
            Some(json!({"name": "notebook"})),
        )
        .await;
    (
        data["key"].as_str().unwrap().to_string(),
        data["id"].as_str().unwrap().to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_stored_only_as_sha256_digests_of_their_secret() {
    let s = server_with(|_| {}).await;
    let (plaintext, key_id) = new_key(&s, ALICE).await;
    let secret = secret_of(&plaintext).to_string();
    assert_eq!(secret.len(), 43);

    let stored =
        graph_olap_store::users::get_key(&mut s.state.store.read().await.unwrap(), &key_id)
            .await
            .unwrap()
            .expect("the key row exists");
    assert_eq!(
        stored.secret_sha256,
        hex::encode(Sha256::digest(secret.as_bytes()))
    );
    // Neither the key nor its secret is anywhere in the database files (WAL included).
    let mut files = 0;
    for entry in std::fs::read_dir(s.env.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("meta.db")
        {
            files += 1;
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(&secret),
                "{} holds the secret",
                path.display()
            );
        }
    }
    assert!(files >= 1, "the SQLite database was found");
    // The key works; listing keys never shows the secret again.
    let (status, _, me) = answer(
        s.client
            .get(format!("{}/api/users/me", s.url))
            .bearer_auth(&plaintext),
    )
    .await;
    assert_eq!(
        (status, me["data"]["username"].clone()),
        (StatusCode::OK, json!(ALICE))
    );
    let listed = s
        .data(
            Method::GET,
            &format!("/api/users/{ALICE}/api-keys"),
            ALICE,
            None,
        )
        .await;
    assert!(!listed.to_string().contains(&secret), "{listed}");
    // The same id with another secret of the right length is refused.
    let forged = format!("gok_{key_id}_{}", "A".repeat(43));
    let (status, _, body) = answer(
        s.client
            .get(format!("{}/api/users/me", s.url))
            .bearer_auth(&forged),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["details"]["reason"], "unknown_key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn development_identities_are_refused_in_api_key_mode_and_provision_nobody() {
    let s = server_with(|settings| settings.auth_mode = AuthMode::ApiKey).await;
    let (status, health) = s.call(Method::GET, "/health", None, None).await;
    assert_eq!(
        (status, health["auth_mode"].clone()),
        (StatusCode::OK, json!("api_key"))
    );
    let users_before = user_count(&s).await;
    assert_eq!(users_before, 0, "no seed users outside dev mode");
    for (user, role) in [
        (CAROL, Some("admin")),
        ("mallory@evil.example", None),
        (DAVE, Some("ops")),
    ] {
        let mut req = s
            .client
            .get(format!("{}/api/users", s.url))
            .header("X-Username", user);
        if let Some(r) = role {
            req = req.header("X-User-Role", r);
        }
        let (status, _, body) = answer(req).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{user}: {body}");
        assert_eq!(body["error"]["details"]["reason"], "missing_credentials");
    }
    let users_after = user_count(&s).await;
    assert_eq!(users_after, 0, "X-Username provisioned nobody");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_authentications_are_throttled_per_address_before_credentials_are_checked() {
    let s = server_with(|settings| settings.auth_failure_limit = 3).await;
    let (good_key, _) = new_key(&s, ALICE).await;
    let attacker = client_from("127.0.0.2");
    let me = format!("{}/api/users/me", s.url);
    // No credentials at all is not a guess: it does not count.
    for _ in 0..5 {
        let (status, _, body) = answer(attacker.get(&me)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["error"]["details"]["reason"], "missing_credentials");
    }
    // Three wrong credentials of any kind are answered 401…
    for req in [
        attacker.get(&me).bearer_auth("gok_aaaaaaaaaaaa_wrong"),
        attacker
            .get(&me)
            .header("X-Internal-Api-Key", "x".repeat(48)),
        attacker
            .get(&me)
            .header("Authorization", "Basic YWxpY2U6cHc="),
    ] {
        let (status, _, body) = answer(req).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    // …and then the address is refused, even with a valid key, on public and internal routes.
    for req in [
        attacker.get(&me).bearer_auth(&good_key),
        attacker
            .post(format!("{}/api/internal/export-jobs/claim", s.url))
            .header("X-Internal-Api-Key", KEY)
            .json(&json!({"worker_id": "w"})),
    ] {
        let (status, headers, body) = answer(req).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["error"]["code"], "RATE_LIMITED");
        assert_eq!(
            body["error"]["details"]["reason"],
            "authentication_failures"
        );
        let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "Retry-After {retry}");
        assert_eq!(
            body["error"]["details"]["retry_after_seconds"],
            json!(retry)
        );
    }
    assert!(
        logged_text().lines().any(|l| l.contains("WARN")
            && l.contains("failed-authentication limit reached")
            && l.contains("127.0.0.2")),
        "the lock-out of 127.0.0.2 is logged for ops"
    );
    // Another address is not affected.
    let (status, _, body) = answer(client_from("127.0.0.3").get(&me).bearer_auth(&good_key)).await;
    assert_eq!(
        (status, body["data"]["username"].clone()),
        (StatusCode::OK, json!(ALICE))
    );
}

/// Two control planes on one PostgreSQL share the failure count: a guesser alternating between
/// them is refused after at most `limit + 1` failures in all (each replica decides from memory and
/// learns the shared count at its next failure), where per-replica counting allowed
/// `2 × limit`; then both refuse, even a valid key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_authentications_are_counted_across_replicas() {
    logs();
    const LIMIT: u32 = 3;
    let env = Env::demo(Db::Postgres, Time::System).await;
    let a = env
        .replica_with(|settings| settings.auth_failure_limit = LIMIT, None)
        .await;
    let b = env
        .replica_with(|settings| settings.auth_failure_limit = LIMIT, None)
        .await;
    let (good_key, _) = new_key(&a, ALICE).await;
    let attacker = client_from("127.0.0.6");
    let mut unauthorized = 0;
    let mut refused = [false, false];
    for attempt in 0..(2 * LIMIT) as usize {
        let replica = attempt % 2;
        let url = format!("{}/api/users/me", [&a, &b][replica].url);
        let (status, _, body) =
            answer(attacker.get(&url).bearer_auth("gok_aaaaaaaaaaaa_wrong")).await;
        match status {
            StatusCode::UNAUTHORIZED => unauthorized += 1,
            StatusCode::TOO_MANY_REQUESTS => refused[replica] = true,
            other => panic!("attempt {attempt}: {other} {body}"),
        }
    }
    assert!(
        unauthorized <= LIMIT + 1,
        "{unauthorized} wrong credentials were looked at; the shared limit allows {}",
        LIMIT + 1
    );
    assert_eq!(refused, [true, true], "both replicas refuse the guesser");
    for s in [&a, &b] {
        let (status, _, body) = answer(
            attacker
                .get(format!("{}/api/users/me", s.url))
                .bearer_auth(&good_key),
        )
        .await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    }
    // The count lives in the shared database, one row for the address.
    let mut conn = a.state.store.read().await.unwrap();
    let failures: i64 =
        sqlx::query_scalar("SELECT failures FROM auth_failures WHERE peer = '127.0.0.6'")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(failures, i64::from(unauthorized));
    // Another address is not affected on either replica.
    for s in [&a, &b] {
        let (status, _, _) = answer(
            client_from("127.0.0.7")
                .get(format!("{}/api/users/me", s.url))
                .bearer_auth(&good_key),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_bootstrap_tokens_are_throttled_and_create_no_administrator() {
    let token = "bootstrap-token-for-the-security-suite";
    let s = server_with(|settings| {
        settings.auth_mode = AuthMode::ApiKey;
        settings.bootstrap_token = Some(token.into());
        settings.auth_failure_limit = 2;
    })
    .await;
    let url = format!("{}/api/users/bootstrap", s.url);
    let body = json!({"username": "root@corp.example"});
    let attacker = client_from("127.0.0.4");
    for guess in ["guess-1", "guess-2"] {
        let (status, _, e) = answer(
            attacker
                .post(&url)
                .header("X-Bootstrap-Token", guess)
                .json(&body),
        )
        .await;
        assert_eq!(
            (status, e["error"]["code"].clone()),
            (StatusCode::FORBIDDEN, json!("PERMISSION_DENIED"))
        );
    }
    let (status, _, e) = answer(
        attacker
            .post(&url)
            .header("X-Bootstrap-Token", token)
            .json(&body),
    )
    .await;
    assert_eq!(
        (status, e["error"]["code"].clone()),
        (StatusCode::TOO_MANY_REQUESTS, json!("RATE_LIMITED"))
    );
    assert_eq!(user_count(&s).await, 0, "nothing was created");
    let (status, _, created) = answer(
        client_from("127.0.0.5")
            .post(&url)
            .header("X-Bootstrap-Token", token)
            .json(&body),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
}

/// A stand-in instance server: answers `/ready`, and records the headers of every other request.
async fn recording_instance() -> (String, Arc<Mutex<Vec<AxumHeaders>>>) {
    let seen: Arc<Mutex<Vec<AxumHeaders>>> = Arc::default();
    let record = seen.clone();
    let app = axum::Router::new()
        .route("/ready", axum::routing::get(|| async { "ready" }))
        .fallback(move |headers: AxumHeaders| {
            let record = record.clone();
            async move {
                record.lock().unwrap().push(headers);
                axum::Json(json!({"columns": [], "rows": []}))
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_keeps_an_instance_private_and_forwards_only_its_own_identity() {
    let s = server_with(|_| {}).await;
    let mapping = s
        .data(
            Method::POST,
            "/api/mappings",
            ALICE,
            Some(json!({"name": "private", "node_definitions": [
                {"label": "Staged", "sql": "SELECT id FROM placeholder", "primary_key": {"name": "id", "type": "STRING"}}
            ]})),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let instance = s
        .data(
            Method::POST,
            "/api/instances/from-mapping",
            ALICE,
            Some(json!({"mapping_id": mapping, "name": "alice-graph"})),
        )
        .await;
    let id = instance["id"].as_i64().unwrap();
    let (upstream, seen) = recording_instance().await;
    let (status, body) = s
        .internal(
            Method::PATCH,
            &format!("/api/internal/instances/{id}/status"),
            json!({"status": "running", "internal_url": upstream}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let instance_url = s
        .data(Method::GET, &format!("/api/instances/{id}"), ALICE, None)
        .await["instance_url"]
        .as_str()
        .unwrap()
        .to_string();
    let query = format!("{instance_url}/query");
    let cancel = format!("{instance_url}/algo/executions/7");

    // Another analyst, anonymous callers and forged headers never reach the instance.
    let (status, _, body) = answer(
        s.client
            .post(&query)
            .header("X-Username", BOB)
            .json(&json!({"query": "RETURN 1"})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (StatusCode::FORBIDDEN, json!("PERMISSION_DENIED"))
    );
    let (status, _, _) = answer(s.client.delete(&cancel).header("X-Username", BOB)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = answer(s.client.post(&query).json(&json!({"query": "RETURN 1"}))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = answer(
        s.client
            .post(&query)
            .header(
                "X-Internal-Api-Key",
                "forged-key-forged-key-forged-key-0000",
            )
            .header("X-Username", ALICE)
            .json(&json!({"query": "RETURN 1"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = answer(
        s.client
            .post(format!("{}/api/instances/{id}/terminate", s.url))
            .header("X-Username", BOB),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(seen.lock().unwrap().is_empty(), "nothing was forwarded");

    // The owner's request is forwarded with the proxy's own identity headers, not the client's.
    let (plaintext, _) = new_key(&s, ALICE).await;
    let (status, _, body) = answer(
        s.client
            .post(&query)
            .bearer_auth(&plaintext)
            .header("X-User-Role", "admin")
            .json(&json!({"query": "RETURN 1"})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let forwarded = seen.lock().unwrap().pop().expect("one request forwarded");
    let get = |name: &str| forwarded.get(name).map(|v| v.to_str().unwrap().to_string());
    assert_eq!(get("x-username").as_deref(), Some(ALICE));
    assert_eq!(get("x-user-role").as_deref(), Some("analyst"));
    assert_eq!(get("x-internal-api-key").as_deref(), Some(KEY));
    assert_eq!(get("authorization"), None, "the API key stays at the proxy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_stay_out_of_logs_error_bodies_the_audit_log_and_metrics() {
    let token = "bootstrap-token-never-logged-0123456789";
    let s = server_with(|settings| {
        settings.auth_mode = AuthMode::ApiKey;
        settings.bootstrap_token = Some(token.into());
    })
    .await;
    let mut bodies = Vec::new();
    // Bootstrap, then every way of issuing a key, and every way of failing to authenticate.
    let (status, _, boot) = answer(
        s.client
            .post(format!("{}/api/users/bootstrap", s.url))
            .header("X-Bootstrap-Token", token)
            .json(&json!({"username": "root@corp.example"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{boot}");
    let admin_key = boot["data"]["api_key"]["key"].as_str().unwrap().to_string();
    let as_admin = |req: reqwest::RequestBuilder| req.bearer_auth(&admin_key);
    let (status, _, created) = answer(
        as_admin(s.client.post(format!("{}/api/users", s.url)))
            .json(&json!({"username": "ops@corp.example", "role": "ops", "create_api_key": true})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let ops_key = created["data"]["api_key"]["key"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _, issued) = answer(
        as_admin(
            s.client
                .post(format!("{}/api/users/root@corp.example/api-keys", s.url)),
        )
        .json(&json!({"name": "second"})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{issued}");
    let second_key = issued["data"]["key"].as_str().unwrap().to_string();
    let near_misses = [
        // The right key id with a wrong secret, a near miss of the internal key, a wrong token.
        s.client
            .get(format!("{}/api/users/me", s.url))
            .bearer_auth(format!("{}x", &ops_key[..ops_key.len() - 1])),
        s.client
            .get(format!("{}/api/users/me", s.url))
            .header("X-Internal-Api-Key", format!("{KEY}0")),
        s.client
            .post(format!("{}/api/users/bootstrap", s.url))
            .header("X-Bootstrap-Token", format!("{token}0"))
            .json(&json!({"username": "x@y.z"})),
        s.client
            .post(format!("{}/api/internal/auth/introspect", s.url))
            .header("X-Internal-Api-Key", KEY)
            .json(&json!({"token": ops_key.clone()})),
        s.client
            .post(format!("{}/api/internal/auth/introspect", s.url))
            .header("X-Internal-Api-Key", KEY)
            .json(&json!({"token": format!("{admin_key}0")})),
        s.client
            .get(format!("{}/api/users/me", s.url))
            .bearer_auth(&admin_key)
            .header("X-Internal-Api-Key", "short"),
    ];
    for req in near_misses {
        let (_, _, body) = answer(req).await;
        bodies.push(body.to_string());
    }
    let (status, _, scrape) = answer(
        s.client
            .get(format!("{}/metrics", s.url))
            .bearer_auth(&ops_key),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let audit = graph_olap_store::audit::query(
        &mut s.state.store.read().await.unwrap(),
        &Default::default(),
        0,
        1000,
    )
    .await
    .unwrap()
    .0;
    assert!(
        audit.iter().any(|a| a.action.contains("api_key")),
        "key issuing is audited"
    );
    let audit_text =
        serde_json::to_string(&audit.iter().map(|a| format!("{a:?}")).collect::<Vec<_>>()).unwrap();

    let secrets = [
        ("bootstrap token", token.to_string()),
        ("internal key", KEY.to_string()),
        ("admin key", admin_key.clone()),
        ("admin secret", secret_of(&admin_key).to_string()),
        ("ops key", ops_key.clone()),
        ("ops secret", secret_of(&ops_key).to_string()),
        ("second key", second_key.clone()),
    ];
    let logged = logged_text();
    assert!(
        logged.contains("api-keys") || logged.contains("api_keys"),
        "the log captured this test's requests"
    );
    for (what, secret) in &secrets {
        assert!(!logged.contains(secret.as_str()), "the {what} was logged");
        assert!(
            !scrape.as_str().unwrap().contains(secret.as_str()),
            "the {what} is in /metrics"
        );
        assert!(
            !audit_text.contains(secret.as_str()),
            "the {what} is in the audit log"
        );
        for body in &bodies {
            assert!(
                !body.contains(secret.as_str()),
                "the {what} is in an error body: {body}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_development_mode_start_is_announced_in_the_log_and_an_api_key_start_is_not() {
    let dev = server_with(|_| {}).await;
    let api_key = server_with(|settings| settings.auth_mode = AuthMode::ApiKey).await;
    let logged = logged_text();
    let warnings: Vec<&str> = logged
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("development identity mode is on"))
        .collect();
    assert!(
        warnings.iter().any(|l| l.contains(&dev.url)),
        "the dev-mode start of {} was not announced:\n{logged}",
        dev.url
    );
    assert!(
        !warnings.iter().any(|l| l.contains(&api_key.url)),
        "an api_key start announced development identities"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_that_become_storage_path_segments_cannot_climb_out_of_the_snapshot_root() {
    let s = server_with(|_| {}).await;
    // Node labels and edge types are segments of export paths (`…/nodes/{label}/`).
    for (node_label, edge_type) in [("../../etc", "KNOWS"), ("Person", "../X"), ("..", "KNOWS")] {
        let body = json!({"name": format!("climb {node_label} {edge_type}"),
            "node_definitions": [{"label": node_label, "sql": "SELECT 'a' AS id", "primary_key": {"name": "id", "type": "STRING"}}],
            "edge_definitions": [{"type": edge_type, "from_node": node_label, "to_node": node_label,
                "sql": "SELECT 'a' AS f, 'a' AS t", "from_key": "f", "to_key": "t"}]});
        let (status, e) = s
            .call(Method::POST, "/api/mappings", ALICE, Some(body))
            .await;
        assert_eq!(
            (status, e["error"]["code"].clone()),
            (StatusCode::BAD_REQUEST, json!("VALIDATION_FAILED")),
            "{e}"
        );
    }
    // Usernames are the owner segment (`{root}/{owner}/…`): none may be only dots.
    for name in ["..", "."] {
        let (status, e) = s
            .call(
                Method::POST,
                "/api/users",
                CAROL,
                Some(json!({"username": name})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name}: {e}");
        let (status, e) = s.call(Method::GET, "/api/users/me", name, None).await;
        assert_eq!(
            (status, e["error"]["details"]["reason"].clone()),
            (StatusCode::UNAUTHORIZED, json!("invalid_username")),
            "dev identity {name}"
        );
    }
    let (status, mappings) = s.call(Method::GET, "/api/mappings", ALICE, None).await;
    assert_eq!(
        (status, mappings["meta"]["total"].clone()),
        (StatusCode::OK, json!(0)),
        "nothing was stored"
    );
}
