//! Trino/Starburst connector (being written; every call reports it is not available yet).

use arrow::datatypes::SchemaRef;

use crate::{BatchStream, Warehouse, WarehouseError, WarehouseMetadata};

/// How to reach a Trino coordinator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrinoConfig {
    /// `http://host:port` or `https://host:port`, no trailing slash.
    pub base_url: String,
    /// Sent as `X-Trino-User`.
    pub user: String,
    /// Basic-auth password, if any.
    pub password: Option<String>,
    /// Sent as `X-Trino-Catalog`.
    pub catalog: Option<String>,
    /// Sent as `X-Trino-Schema`.
    pub schema: Option<String>,
    /// Sent as `X-Trino-Source`.
    pub source: String,
}

impl TrinoConfig {
    /// Parses `trino://user[:password]@host[:port][/catalog[/schema]]` (`trinos://` for HTTPS).
    pub fn from_url(url: &str) -> Result<Self, WarehouseError> {
        let bad = |why: &str| WarehouseError::Config(format!("invalid Trino URL '{url}': {why}"));
        let (https, rest) = if let Some(r) = url.strip_prefix("trinos://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("trino://") {
            (false, r)
        } else {
            return Err(bad("expected trino:// or trinos://"));
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, host) = authority.rsplit_once('@').ok_or_else(|| bad("a user is required (trino://user@host)"))?;
        let (user, password) = match userinfo.split_once(':') {
            Some((u, p)) => (u.to_string(), Some(p.to_string())),
            None => (userinfo.to_string(), None),
        };
        if user.is_empty() {
            return Err(bad("empty user"));
        }
        if host.is_empty() {
            return Err(bad("empty host"));
        }
        let host = if host.contains(':') { host.to_string() } else { format!("{host}:{}", if https { 443 } else { 8080 }) };
        let mut segments = path.split('/').filter(|s| !s.is_empty()).map(str::to_string);
        Ok(TrinoConfig {
            base_url: format!("{}://{host}", if https { "https" } else { "http" }),
            user,
            password,
            catalog: segments.next(),
            schema: segments.next(),
            source: "graph-olap".into(),
        })
    }
}

/// A Trino or Starburst coordinator spoken to over the client REST protocol.
pub struct TrinoWarehouse {
    config: TrinoConfig,
}

impl TrinoWarehouse {
    /// A connector for the coordinator described by `config`.
    pub fn new(config: TrinoConfig) -> Result<Self, WarehouseError> {
        Ok(TrinoWarehouse { config })
    }

    fn not_yet(&self) -> WarehouseError {
        WarehouseError::Config(format!("the Trino connector is not available yet ({})", self.config.base_url))
    }
}

#[async_trait::async_trait]
impl Warehouse for TrinoWarehouse {
    fn kind(&self) -> &'static str {
        "trino"
    }
    async fn ping(&self) -> Result<(), WarehouseError> {
        Err(self.not_yet())
    }
    async fn describe(&self, _sql: &str) -> Result<SchemaRef, WarehouseError> {
        Err(self.not_yet())
    }
    async fn metadata(&self) -> Result<WarehouseMetadata, WarehouseError> {
        Err(self.not_yet())
    }
    async fn query(&self, _sql: &str) -> Result<BatchStream, WarehouseError> {
        Err(self.not_yet())
    }
}
