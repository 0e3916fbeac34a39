//! Versioned schema migrations: one ordered list written once for both dialects, rendered per
//! dialect and applied at connect time.
//!
//! Each migration runs in its own transaction and is recorded in `schema_migrations`; on
//! PostgreSQL an advisory lock keeps two replicas from migrating at once.

use sqlx::Executor;

use crate::db::{Dialect, Store};
use crate::error::StoreError;

/// One migration: version, file name and its SQL, written once for both dialects with the
/// placeholders of [`render`].
struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_core",
        sql: include_str!("../migrations/0001_core.sql"),
    },
    Migration {
        version: 2,
        name: "0002_platform_ledger",
        sql: include_str!("../migrations/0002_platform_ledger.sql"),
    },
    Migration {
        version: 3,
        name: "0003_idempotency_outcome",
        sql: include_str!("../migrations/0003_idempotency_outcome.sql"),
    },
    Migration {
        version: 4,
        name: "0004_auth_failures",
        sql: include_str!("../migrations/0004_auth_failures.sql"),
    },
    Migration {
        version: 5,
        name: "0005_job_leases",
        sql: include_str!("../migrations/0005_job_leases.sql"),
    },
];

/// A migration's SQL for one dialect: `{{ID_PRIMARY_KEY}}` becomes the dialect's
/// auto-incrementing 64-bit primary key. Everything else is the same SQL on both.
fn render(sql: &str, dialect: Dialect) -> String {
    let id_primary_key = match dialect {
        Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Dialect::Postgres => "BIGSERIAL PRIMARY KEY",
    };
    sql.replace("{{ID_PRIMARY_KEY}}", id_primary_key)
}

/// The newest schema version this build knows.
pub const LATEST_VERSION: i64 = 5;

/// Advisory-lock key under which PostgreSQL migrations run.
const MIGRATION_LOCK_KEY: i64 = 0x6772_6f6c_6d69_6772; // "grolmigr"

/// Applies every migration newer than the database's version.
pub async fn run(store: &Store) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    if store.dialect() == Dialect::Postgres {
        tx.execute(sqlx::AssertSqlSafe(format!(
            "SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})"
        )))
        .await?;
    }
    tx.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
        .fetch_one(&mut *tx)
        .await?;
    let applied = applied.unwrap_or(0);
    for migration in MIGRATIONS.iter().filter(|m| m.version > applied) {
        let text = render(migration.sql, store.dialect());
        sqlx::raw_sql(sqlx::AssertSqlSafe(text))
            .execute(&mut *tx)
            .await
            .map_err(|source| StoreError::Migration {
                version: migration.version,
                name: migration.name,
                source,
            })?;
        let now = chrono::Utc::now().timestamp_millis();
        sqlx::query(crate::db::sql(
            &tx,
            "INSERT INTO schema_migrations(version, name, applied_at) VALUES ($1, $2, $3)",
        ))
        .bind(migration.version)
        .bind(migration.name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
    }
    tx.commit().await?;
    Ok(())
}

/// The version the database is at, for `/ready`.
pub async fn current_version(store: &Store) -> Result<i64, StoreError> {
    let mut conn = store.read().await?;
    let v: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
        .fetch_one(&mut *conn)
        .await?;
    Ok(v.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_placeholder_is_filled_for_both_dialects() {
        for migration in MIGRATIONS {
            for dialect in [Dialect::Sqlite, Dialect::Postgres] {
                let sql = render(migration.sql, dialect);
                assert!(!sql.contains("{{"), "{} for {dialect:?}", migration.name);
            }
        }
        let core = MIGRATIONS[0].sql;
        assert!(
            render(core, Dialect::Postgres).contains("id                 BIGSERIAL PRIMARY KEY,")
        );
        assert!(render(core, Dialect::Sqlite).contains("INTEGER PRIMARY KEY AUTOINCREMENT"));
    }
}
