//! Test support: a fresh store on each database — a temporary SQLite file, and a private schema on
//! the PostgreSQL server named by `GRAPH_OLAP_TEST_POSTGRES_URL` (CI always sets it).

use graph_olap_store::Store;

/// PostgreSQL URL for tests.
pub fn postgres_url() -> String {
    std::env::var("GRAPH_OLAP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

/// A store on a new SQLite file (the directory lives as long as the returned guard).
pub async fn sqlite_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("meta.db").display());
    (Store::connect(&url).await.expect("sqlite store"), dir)
}

/// A store on a private, freshly created PostgreSQL schema.
pub async fn postgres_store() -> Store {
    use sqlx::Connection;
    let base = postgres_url();
    let schema = format!("t_{}", uuid_like());
    let mut admin = sqlx::PgConnection::connect(&base)
        .await
        .expect("PostgreSQL must be reachable at GRAPH_OLAP_TEST_POSTGRES_URL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&mut admin)
        .await
        .expect("create schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    Store::connect(&url).await.expect("postgres store")
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}_{}", nanos, std::process::id())
}
