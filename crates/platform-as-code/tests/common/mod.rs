//! A real control plane for the platform-as-code tests: in-process on 127.0.0.1:0, metadata on
//! a fresh SQLite file or a private PostgreSQL schema, the embedded demo warehouse, the dev
//! personas with API keys, and the demo tutorial mapping seeded as `graph-olap up` does.

#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use graph_olap_control_plane::{AppState, Settings};
use graph_olap_platform_as_code::Client;

/// Which metadata database.
#[derive(Debug, Clone, Copy)]
pub enum Db {
    /// SQLite file.
    Sqlite,
    /// PostgreSQL schema.
    Postgres,
}

/// A running control plane.
pub struct Server {
    /// Base URL.
    pub url: String,
    /// State, for direct reads in assertions.
    pub state: AppState,
    /// The ops persona's key.
    pub ops_key: String,
    /// The admin persona's key.
    pub admin_key: String,
    /// The analyst persona's key.
    pub analyst_key: String,
    /// Temporary directory (demo warehouse, SQLite), removed with the server.
    pub dir: tempfile::TempDir,
}

async fn store(db: Db, dir: &Path) -> graph_olap_store::Store {
    match db {
        Db::Sqlite => {
            graph_olap_store::Store::connect(&format!("sqlite://{}", dir.join("meta.db").display()))
                .await
                .unwrap()
        }
        Db::Postgres => {
            let schema = graph_olap_store::testing::PrivateSchema::create("pac").await;
            graph_olap_store::Store::connect(&schema.url).await.unwrap()
        }
    }
}

/// Starts a control plane on `db`.
pub async fn server(db: Db) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let wh = dir.path().join("warehouse");
    graph_olap_demo::generate(&wh, 1).unwrap();
    let store = store(db, dir.path()).await;
    let warehouse = graph_olap_warehouse::connect(&wh.display().to_string())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let settings = Settings::development(url.clone(), "file:///tmp/none".into(), "k".repeat(40));
    let state = graph_olap_control_plane::start(
        store,
        warehouse,
        settings,
        Arc::new(graph_olap_store::SystemClock),
    )
    .await
    .unwrap();
    // The tutorial mapping, owned by alice, as `graph-olap up` seeds it.
    let (name, description, nodes, edges) = graph_olap_demo::tutorial_mapping();
    let mut tx = state.store.write().await.unwrap();
    graph_olap_store::mappings::insert(
        &mut tx,
        &graph_olap_store::mappings::NewMapping {
            owner_username: "analyst_alice@e2e.local".into(),
            name,
            description: Some(description),
            ttl: None,
            inactivity_timeout: None,
            expires_at: None,
            node_definitions: nodes,
            edge_definitions: edges,
            change_description: None,
        },
        state.now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let key = |u: &'static str| {
        let state = state.clone();
        async move {
            graph_olap_control_plane::services::users::issue_user_key(&state, u, "test", "system")
                .await
                .unwrap()
        }
    };
    let ops_key = key("ops_dave@e2e.local").await;
    let admin_key = key("admin_carol@e2e.local").await;
    let analyst_key = key("analyst_alice@e2e.local").await;
    let app = graph_olap_control_plane::app(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Server {
        url,
        state,
        ops_key,
        admin_key,
        analyst_key,
        dir,
    }
}

impl Server {
    /// A client with the ops key and the admin key.
    pub async fn client(&self) -> Client {
        Client::connect(&self.url, &[self.ops_key.clone(), self.admin_key.clone()])
            .await
            .unwrap()
    }

    /// A raw request with `key`, returning (status, body).
    pub async fn call(
        &self,
        key: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut r = reqwest::Client::new()
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(key);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(serde_json::Value::Null))
    }
}

/// A copy of `examples/platform` reduced to the tutorial mapping (the one the test server
/// seeds), in a fresh directory the test may edit.
pub fn declaration() -> tempfile::TempDir {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/platform");
    let dst = tempfile::tempdir().unwrap();
    copy_dir(&src, dst.path());
    let root = dst.path().join("platform.yaml");
    let text = std::fs::read_to_string(&root)
        .unwrap()
        .replace("    - mappings/bank-graph.yaml\n", "");
    std::fs::write(root, text).unwrap();
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).unwrap();
    for e in std::fs::read_dir(src).unwrap() {
        let e = e.unwrap();
        let to = dst.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), to).unwrap();
        }
    }
}

/// Replaces `from` by `to` in the file `rel` of the declaration.
pub fn edit(dir: &Path, rel: &str, from: &str, to: &str) {
    let p = dir.join(rel);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{rel} does not contain {from:?}");
    std::fs::write(p, text.replacen(from, to, 1)).unwrap();
}
