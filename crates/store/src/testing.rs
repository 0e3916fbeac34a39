//! Test support (feature `test-support`): a private PostgreSQL schema per test or benchmark on
//! the server named by `GRAPH_OLAP_TEST_POSTGRES_URL`, so suites share one database without
//! seeing each other's rows. One rule for every crate's suites and benchmarks.

use sqlx::Connection;

/// The variable naming the test PostgreSQL server (`scripts/test` and CI set it).
pub const POSTGRES_URL_ENV: &str = "GRAPH_OLAP_TEST_POSTGRES_URL";

/// The server used when [`POSTGRES_URL_ENV`] is unset: this repository's development default.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The test PostgreSQL URL: [`POSTGRES_URL_ENV`] or [`DEFAULT_POSTGRES_URL`].
pub fn postgres_url() -> String {
    std::env::var(POSTGRES_URL_ENV).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.into())
}

/// A freshly created PostgreSQL schema and a URL whose connections use it (`search_path`).
#[derive(Debug, Clone)]
pub struct PrivateSchema {
    /// The schema's name: the caller's prefix, the time in nanoseconds and the process id.
    pub name: String,
    /// [`postgres_url`] with `search_path` pinned to the schema.
    pub url: String,
}

impl PrivateSchema {
    /// Creates a schema named `<prefix>_<nanos>_<pid>`. Panics (it is test support) with the
    /// variable to set when the server cannot be reached.
    pub async fn create(prefix: &str) -> PrivateSchema {
        let base = postgres_url();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_nanos();
        let name = format!("{prefix}_{nanos:x}_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(&base)
            .await
            .unwrap_or_else(|e| {
                panic!("PostgreSQL must be reachable at {POSTGRES_URL_ENV} ({base}): {e}")
            });
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("create schema {name}: {e}"));
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{name}");
        PrivateSchema { name, url }
    }

    /// Drops the schema and everything in it (benchmarks clean up; tests leave theirs for
    /// inspection).
    pub async fn drop_all(self) {
        let mut admin = sqlx::PgConnection::connect(&postgres_url())
            .await
            .expect("PostgreSQL reachable");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA {} CASCADE",
            self.name
        )))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("drop schema {}: {e}", self.name));
    }
}
