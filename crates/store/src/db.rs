//! Connections: one [`Store`] over SQLite or PostgreSQL through sqlx's `Any` driver.
//!
//! SQLite gets a single writer connection (write transactions queue instead of failing with
//! `SQLITE_BUSY`) and a pool of WAL readers; PostgreSQL uses one pool for both. SQL is written
//! once with `$1`-style placeholders; [`sql`] rewrites them to SQLite's explicit `?1` form.

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, AssertSqlSafe, Connection, Executor};

use crate::error::StoreError;

/// Which SQL database backs the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Embedded single-file database (`graph-olap up`).
    Sqlite,
    /// Production database; several control-plane replicas may share it.
    Postgres,
}

/// A pooled read connection.
pub type Conn = PoolConnection<Any>;
/// An open write transaction; commit it or it rolls back on drop. Dereferences to the
/// connection the repositories take (`&mut *tx`).
#[derive(Debug)]
pub struct WriteTx(sqlx::Transaction<'static, Any>);

impl WriteTx {
    /// Commits the transaction.
    pub async fn commit(self) -> Result<(), StoreError> {
        Ok(self.0.commit().await?)
    }

    /// Rolls the transaction back (dropping it does the same, without waiting).
    pub async fn rollback(self) -> Result<(), StoreError> {
        Ok(self.0.rollback().await?)
    }
}

impl std::ops::Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.0
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.0
    }
}

/// Handle to the metadata database.
#[derive(Debug, Clone)]
pub struct Store {
    writer: AnyPool,
    reader: AnyPool,
    dialect: Dialect,
    url_redacted: String,
}

impl Store {
    /// Connects to `url` (`sqlite://PATH` or `postgres://…`) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let dialect = if url.starts_with("sqlite:") {
            Dialect::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Dialect::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact(url)));
        };
        let store = match dialect {
            Dialect::Sqlite => {
                let url = if url.contains('?') {
                    url.to_string()
                } else {
                    format!("{url}?mode=rwc")
                };
                let options = AnyConnectOptions::from_str(&url)?;
                let writer = AnyPoolOptions::new()
                    .max_connections(1)
                    .after_connect(|conn, _| Box::pin(async move { sqlite_pragmas(conn).await }))
                    .connect_with(options.clone())
                    .await?;
                sqlx::raw_sql("PRAGMA journal_mode = WAL")
                    .execute(&writer)
                    .await?;
                let reader = AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _| Box::pin(async move { sqlite_pragmas(conn).await }))
                    .connect_with(options)
                    .await?;
                Store {
                    writer,
                    reader,
                    dialect,
                    url_redacted: redact(&url),
                }
            }
            Dialect::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(20)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?;
                Store {
                    writer: pool.clone(),
                    reader: pool,
                    dialect,
                    url_redacted: redact(url),
                }
            }
        };
        crate::migrate::run(&store).await?;
        Ok(store)
    }

    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The URL with any password removed, for logs and health output.
    pub fn url_redacted(&self) -> &str {
        &self.url_redacted
    }

    /// A connection for reads (never use it to write on SQLite).
    pub async fn read(&self) -> Result<Conn, StoreError> {
        Ok(self.reader.acquire().await?)
    }

    /// Starts a write transaction. On SQLite write transactions are serialised through one connection.
    pub async fn write(&self) -> Result<WriteTx, StoreError> {
        Ok(WriteTx(self.writer.begin().await?))
    }

    /// `SELECT 1` with a timeout, for readiness and cluster health.
    pub async fn ping(&self, timeout: Duration) -> Result<(), StoreError> {
        let probe = async {
            let mut conn = self.reader.acquire().await?;
            conn.ping().await?;
            sqlx::raw_sql("SELECT 1").execute(&mut *conn).await?;
            Ok::<(), sqlx::Error>(())
        };
        match tokio::time::timeout(timeout, probe).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(StoreError::Database(sqlx::Error::PoolTimedOut)),
        }
    }

    /// Closes every pooled connection.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

async fn sqlite_pragmas(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    conn.execute(
        "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL",
    )
    .await?;
    Ok(())
}

/// Removes the password from a database URL.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Adapts SQL written with `$1` placeholders to the connection's dialect (`?1` on SQLite).
pub fn sql(conn: &AnyConnection, text: &str) -> AssertSqlSafe<String> {
    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '$' && chars.peek().is_some_and(|n| n.is_ascii_digit()) {
                out.push('?');
            } else {
                out.push(c);
            }
        }
        AssertSqlSafe(out)
    } else {
        AssertSqlSafe(text.to_string())
    }
}

/// The dialect of a live connection.
pub fn dialect_of(conn: &AnyConnection) -> Dialect {
    if conn.backend_name().eq_ignore_ascii_case("sqlite") {
        Dialect::Sqlite
    } else {
        Dialect::Postgres
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_only() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
    }
}
