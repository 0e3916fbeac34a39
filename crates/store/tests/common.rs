//! Test support: a fresh store on each database — a temporary SQLite file, and a private schema on
//! the PostgreSQL server named by `GRAPH_OLAP_TEST_POSTGRES_URL` (CI always sets it).

use graph_olap_store::Store;

/// A store on a new SQLite file (the directory lives as long as the returned guard).
pub async fn sqlite_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("meta.db").display());
    (Store::connect(&url).await.expect("sqlite store"), dir)
}

/// A store on a private, freshly created PostgreSQL schema.
pub async fn postgres_store() -> Store {
    let schema = graph_olap_store::testing::PrivateSchema::create("t").await;
    Store::connect(&schema.url).await.expect("postgres store")
}

/// Runs each named `async fn(&Store)` as two tests, `sqlite::<name>` and `postgres::<name>`, each
/// on a fresh store of that database.
#[macro_export]
macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let (store, _dir) = $crate::common::sqlite_store().await;
                super::$name(&store).await;
            })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                let store = $crate::common::postgres_store().await;
                super::$name(&store).await;
            })*
        }
    };
}
