//! The harness of every control-plane suite: a real control plane on a loopback socket over a
//! metadata database in a temporary directory (SQLite, or a private PostgreSQL schema), the
//! embedded warehouse (the generated demo data unless a suite brings its own), a snapshot root
//! in the same directory, and HTTP helpers that send as a persona or with the internal key.
//!
//! Owns: starting servers (one, or several replicas sharing one platform), the personas and the
//! internal key, and the request helpers, which check every response against the OpenAPI
//! document ([`contract`]). Does not own: any suite's fixtures or assertions.

// Each suite is its own crate and uses part of the harness.
#![allow(dead_code)]

pub mod contract;

use std::sync::Arc;

use graph_olap_control_plane::{AppState, Settings};
use graph_olap_store::{Clock, ManualClock, Store, SystemClock};
use graph_olap_warehouse::Warehouse;
use reqwest::header::HeaderMap;
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

/// The seeded analyst.
pub const ALICE: &str = "analyst_alice@e2e.local";
/// A second seeded analyst.
pub const BOB: &str = "analyst_bob@e2e.local";
/// The seeded admin.
pub const CAROL: &str = "admin_carol@e2e.local";
/// The seeded ops user.
pub const DAVE: &str = "ops_dave@e2e.local";
/// The seeded ops user, by role.
pub const OPS: &str = DAVE;
/// The internal service key of the test control planes.
pub const KEY: &str = "internal-key-for-control-plane-tests-0123456789";

/// Which metadata database a platform uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// A file in the platform's directory.
    Sqlite,
    /// A private schema on `GRAPH_OLAP_TEST_POSTGRES_URL`.
    Postgres,
}

/// Which clock the control planes of a platform read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Time {
    /// The platform's [`ManualClock`]: time moves only when a test advances it.
    Manual,
    /// The system clock.
    System,
}

/// A private PostgreSQL schema; the URL pins `search_path` to it.
pub async fn postgres_schema_url() -> String {
    graph_olap_store::testing::PrivateSchema::create("ops")
        .await
        .url
}

/// One test's platform: a metadata database, a warehouse, a snapshot root and a clock shared by
/// every replica started from it. Kept alive by the servers started from it.
pub struct Env {
    /// Holds the metadata database (SQLite), the demo warehouse and `snapshots/`.
    pub dir: tempfile::TempDir,
    /// The metadata database.
    pub db_url: String,
    /// The warehouse every replica queries.
    pub warehouse: Arc<dyn Warehouse>,
    /// The manual clock (read by the servers when the platform uses [`Time::Manual`]).
    pub clock: Arc<ManualClock>,
    time: Time,
}

/// A running control plane.
pub struct Server {
    /// Base URL, e.g. `http://127.0.0.1:4321`.
    pub url: String,
    /// HTTP client.
    pub client: Client,
    /// Shared state (for in-process passes and direct store reads).
    pub state: AppState,
    /// The platform's manual clock.
    pub clock: Arc<ManualClock>,
    /// The platform the server runs on.
    pub env: Arc<Env>,
}

/// A whole answer.
pub struct Reply {
    /// HTTP status.
    pub status: StatusCode,
    /// Response headers.
    pub headers: HeaderMap,
    /// The JSON body, or the text as a JSON string when it is not JSON.
    pub body: Value,
}

impl Env {
    /// A platform over the generated demo warehouse, on a manual clock.
    pub async fn new(db: Db) -> Arc<Env> {
        Self::demo(db, Time::Manual).await
    }

    /// A platform over the generated demo warehouse.
    pub async fn demo(db: Db, time: Time) -> Arc<Env> {
        let dir = tempfile::tempdir().unwrap();
        let wh = dir.path().join("warehouse");
        graph_olap_demo::generate(&wh, 1).unwrap();
        let warehouse = graph_olap_warehouse::connect(&wh.display().to_string())
            .await
            .unwrap();
        Self::create(dir, db, warehouse, time).await
    }

    /// A SQLite platform over `warehouse`, on a manual clock.
    pub async fn over(warehouse: Arc<dyn Warehouse>) -> Arc<Env> {
        Self::create(
            tempfile::tempdir().unwrap(),
            Db::Sqlite,
            warehouse,
            Time::Manual,
        )
        .await
    }

    async fn create(
        dir: tempfile::TempDir,
        db: Db,
        warehouse: Arc<dyn Warehouse>,
        time: Time,
    ) -> Arc<Env> {
        std::fs::create_dir_all(dir.path().join("snapshots")).unwrap();
        let db_url = match db {
            Db::Sqlite => format!("sqlite://{}", dir.path().join("meta.db").display()),
            Db::Postgres => postgres_schema_url().await,
        };
        Arc::new(Env {
            dir,
            db_url,
            warehouse,
            clock: Arc::new(ManualClock::new(chrono::Utc::now())),
            time,
        })
    }

    /// A control plane with the development settings.
    pub async fn replica(self: &Arc<Self>) -> Server {
        self.replica_with(|_| {}, None).await
    }

    /// A control plane on its own socket and its own connection pool, with `tweak` applied to
    /// the development settings and, optionally, a runtime for its instances.
    pub async fn replica_with(
        self: &Arc<Self>,
        tweak: impl FnOnce(&mut Settings),
        runtime: Option<Arc<dyn graph_olap_runtime::Runtime>>,
    ) -> Server {
        let store = Store::connect(&self.db_url).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mut settings = Settings::development(
            url.clone(),
            format!("file://{}", self.dir.path().join("snapshots").display()),
            KEY.into(),
        );
        tweak(&mut settings);
        let clock: Arc<dyn Clock> = match self.time {
            Time::Manual => self.clock.clone(),
            Time::System => Arc::new(SystemClock),
        };
        let state = graph_olap_control_plane::start_with_runtime(
            store,
            self.warehouse.clone(),
            settings,
            clock,
            runtime,
        )
        .await
        .unwrap();
        self.serve_on(state, listener)
    }

    /// Serves an already started state (e.g. one with a replaced dependency) on a new socket.
    pub async fn serve(self: &Arc<Self>, state: AppState) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        self.serve_on(state, listener)
    }

    fn serve_on(self: &Arc<Self>, state: AppState, listener: tokio::net::TcpListener) -> Server {
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = graph_olap_control_plane::app(state.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Server {
            url,
            client: Client::new(),
            state,
            clock: self.clock.clone(),
            env: Arc::clone(self),
        }
    }
}

impl Server {
    /// A call as `user` (the development identity; `None`: anonymous) with an optional
    /// `Idempotency-Key`.
    pub async fn send_keyed<'a>(
        &self,
        method: Method,
        path: &str,
        user: impl Into<Option<&'a str>>,
        idempotency_key: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.url));
        if let Some(u) = user.into() {
            req = req.header("X-Username", u);
        }
        if let Some(k) = idempotency_key {
            req = req.header("Idempotency-Key", k);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        contract::check(&method, path, status, &body);
        Reply {
            status,
            headers,
            body,
        }
    }

    /// A call as `user` (`None`: anonymous).
    pub async fn send<'a>(
        &self,
        method: Method,
        path: &str,
        user: impl Into<Option<&'a str>>,
        body: Option<Value>,
    ) -> Reply {
        self.send_keyed(method, path, user, None, body).await
    }

    /// A call as `user` (`None`: anonymous): status and body.
    pub async fn call<'a>(
        &self,
        method: Method,
        path: &str,
        user: impl Into<Option<&'a str>>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let r = self.send(method, path, user, body).await;
        (r.status, r.body)
    }

    /// A successful call's `data`.
    pub async fn data(&self, method: Method, path: &str, user: &str, body: Option<Value>) -> Value {
        let (status, body) = self.call(method.clone(), path, user, body).await;
        assert!(status.is_success(), "{method} {path}: {status} {body}");
        body["data"].clone()
    }

    /// An internal-API call with the service key.
    pub async fn internal(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{path}", self.url))
            .header("X-Internal-Api-Key", KEY);
        if !body.is_null() {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let body = resp.json().await.unwrap();
        contract::check(&method, path, status, &body);
        (status, body)
    }
}

/// The `(field, reason)` pairs of a `VALIDATION_FAILED` body.
pub fn reasons(body: &Value) -> Vec<(String, String)> {
    body["error"]["details"]["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or("").to_string(),
                        e["reason"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Runs each named `async fn(Db)` test once on SQLite (`sqlite::name`) and once on PostgreSQL
/// (`postgres::name`).
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::Db::Sqlite).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name($crate::common::Db::Postgres).await })*
        }
    };
}
