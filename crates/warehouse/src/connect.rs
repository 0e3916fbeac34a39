//! Choosing and opening a connector from a URL or a typed configuration.
//!
//! Owns the URL syntax of warehouse locations. Does not own where the URL comes from (CLI flags,
//! `GRAPH_OLAP_*` environment, config file).
//!
//! | URL | connector |
//! |---|---|
//! | `datafusion:///abs/dir`, `file:///abs/dir` or a plain path | embedded DataFusion over files |
//! | `postgres://user[:pw]@host[:port]/db` (or `postgresql://`) | PostgreSQL |
//! | `trino://user[:pw]@host[:port][/catalog[/schema]]` | Trino/Starburst over HTTP |
//! | `trinos://…` | the same over HTTPS (needs a TLS-enabled build, see README) |

use std::path::PathBuf;
use std::sync::Arc;

use crate::trino::TrinoConfig;
use crate::{DataFusionWarehouse, PostgresWarehouse, TrinoWarehouse, Warehouse, WarehouseError};

/// Rows per streamed batch used by server connectors unless configured otherwise.
pub const DEFAULT_BATCH_SIZE: usize = 8192;

/// `url` with the password of its `user:password@` part replaced by `***`, for messages and
/// logs: a warehouse URL may carry the warehouse credentials, which must never be shown.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Where the warehouse is and how to talk to it. `Debug` shows URLs with their password
/// redacted ([`redact_url`]).
#[derive(Clone, PartialEq, Eq)]
pub enum WarehouseConfig {
    /// Embedded DataFusion over the files under `root`.
    DataFusion {
        /// The warehouse directory (`<catalog>/<schema>/<table>.parquet|.csv`).
        root: PathBuf,
    },
    /// A PostgreSQL database.
    Postgres {
        /// A `postgres://` connection URL (tokio-postgres syntax).
        url: String,
        /// Rows per streamed batch.
        batch_size: usize,
    },
    /// A Trino or Starburst coordinator.
    Trino(TrinoConfig),
}

impl WarehouseConfig {
    /// Parses a warehouse URL or plain directory path (see the module docs).
    pub fn parse(url: &str) -> Result<Self, WarehouseError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(WarehouseError::Config("empty warehouse location".into()));
        }
        if let Some(rest) = url
            .strip_prefix("datafusion://")
            .or_else(|| url.strip_prefix("file://"))
        {
            if rest.is_empty() {
                return Err(WarehouseError::Config(format!(
                    "'{}' names no directory",
                    redact_url(url)
                )));
            }
            return Ok(WarehouseConfig::DataFusion {
                root: PathBuf::from(rest),
            });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(WarehouseConfig::Postgres {
                url: url.to_string(),
                batch_size: DEFAULT_BATCH_SIZE,
            });
        }
        if url.starts_with("trino://") || url.starts_with("trinos://") {
            return Ok(WarehouseConfig::Trino(TrinoConfig::from_url(url)?));
        }
        if let Some((scheme, _)) = url.split_once("://") {
            return Err(WarehouseError::Config(format!(
                "unknown warehouse scheme '{scheme}': use datafusion://, postgres://, trino:// or trinos://"
            )));
        }
        Ok(WarehouseConfig::DataFusion {
            root: PathBuf::from(url),
        })
    }

    /// Opens the connector. Server warehouses are not contacted here beyond what their
    /// constructor needs; call [`Warehouse::ping`] to probe.
    pub async fn connect(self) -> Result<Arc<dyn Warehouse>, WarehouseError> {
        Ok(match self {
            WarehouseConfig::DataFusion { root } => {
                Arc::new(DataFusionWarehouse::open(root).await?)
            }
            WarehouseConfig::Postgres { url, batch_size } => {
                Arc::new(PostgresWarehouse::new(&url, batch_size)?)
            }
            WarehouseConfig::Trino(config) => Arc::new(TrinoWarehouse::new(config)?),
        })
    }
}

impl std::fmt::Debug for WarehouseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WarehouseConfig::DataFusion { root } => {
                f.debug_struct("DataFusion").field("root", root).finish()
            }
            WarehouseConfig::Postgres { url, batch_size } => f
                .debug_struct("Postgres")
                .field("url", &redact_url(url))
                .field("batch_size", batch_size)
                .finish(),
            WarehouseConfig::Trino(config) => f.debug_tuple("Trino").field(config).finish(),
        }
    }
}

impl std::str::FromStr for WarehouseConfig {
    type Err = WarehouseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        WarehouseConfig::parse(s)
    }
}

/// Opens the warehouse at `url` (a URL or a plain directory path, see the module docs).
pub async fn connect(url: &str) -> Result<Arc<dyn Warehouse>, WarehouseError> {
    WarehouseConfig::parse(url)?.connect().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_scheme() {
        assert_eq!(
            WarehouseConfig::parse("datafusion:///data/wh").unwrap(),
            WarehouseConfig::DataFusion {
                root: "/data/wh".into()
            }
        );
        assert_eq!(
            WarehouseConfig::parse("./wh").unwrap(),
            WarehouseConfig::DataFusion {
                root: "./wh".into()
            }
        );
        assert!(matches!(
            WarehouseConfig::parse("postgres://postgres@127.0.0.1:5432/test").unwrap(),
            WarehouseConfig::Postgres {
                batch_size: DEFAULT_BATCH_SIZE,
                ..
            }
        ));
        let WarehouseConfig::Trino(trino) =
            WarehouseConfig::parse("trino://alice@coord:8080/hive/sales").unwrap()
        else {
            panic!("not trino")
        };
        assert_eq!(trino.base_url, "http://coord:8080");
        assert_eq!(trino.user, "alice");
        assert_eq!(trino.catalog.as_deref(), Some("hive"));
        assert_eq!(trino.schema.as_deref(), Some("sales"));
        assert!(WarehouseConfig::parse("mysql://x").is_err());
        assert!(WarehouseConfig::parse("").is_err());
    }
}
