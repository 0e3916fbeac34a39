//! Trino/Starburst connector speaking the client REST protocol: `POST /v1/statement`, then
//! follow `nextUri` until the query finishes; `DELETE nextUri` cancels.
//!
//! Owns the protocol client ([`protocol`]), the Trino-type-to-Arrow conversion ([`types`]) and
//! the metadata listing over `system.metadata.catalogs` and each catalog's
//! `information_schema`. Does not own TLS: the workspace's reqwest is built without a TLS
//! backend, so `https://` (`trinos://`) coordinators fail with a configuration error until a TLS
//! feature is enabled. The spooling protocol is requested with `X-Trino-Query-Data-Encoding:
//! json` (see [`protocol`]); coordinators without it answer plain JSON pages.

mod protocol;
pub mod types;

use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};
use futures::StreamExt;

use crate::metadata::{
    CatalogFailure, CatalogMeta, ColumnMeta, SchemaMeta, TableMeta, WarehouseMetadata,
};
use crate::{BatchStream, Warehouse, WarehouseError};
use protocol::{Client, Column};
use types::TrinoType;

/// How to reach a Trino coordinator. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
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
    /// Catalogs listed by `metadata`; `None` lists every catalog except `system`.
    pub catalogs: Option<Vec<String>>,
    /// Ask for the spooling protocol (`X-Trino-Query-Data-Encoding: json`); default on,
    /// `?spooling=false` in the URL turns it off.
    pub spooling: bool,
}

impl std::fmt::Debug for TrinoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrinoConfig")
            .field("base_url", &self.base_url)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("catalog", &self.catalog)
            .field("schema", &self.schema)
            .field("source", &self.source)
            .field("catalogs", &self.catalogs)
            .field("spooling", &self.spooling)
            .finish()
    }
}

impl TrinoConfig {
    /// Parses `trino://user[:password]@host[:port][/catalog[/schema]][?spooling=false]`
    /// (`trinos://` for HTTPS).
    pub fn from_url(url: &str) -> Result<Self, WarehouseError> {
        let bad = |why: &str| {
            WarehouseError::Config(format!(
                "invalid Trino URL '{}': {why}",
                crate::connect::redact_url(url)
            ))
        };
        let (url_part, query) = url.split_once('?').unwrap_or((url, ""));
        let mut spooling = true;
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("spooling", "true" | "on" | "1")) => spooling = true,
                Some(("spooling", "false" | "off" | "0")) => spooling = false,
                _ => {
                    return Err(bad(&format!(
                        "unknown option '{pair}' (supported: spooling=true|false)"
                    )));
                }
            }
        }
        let url = url_part;
        let (https, rest) = if let Some(r) = url.strip_prefix("trinos://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("trino://") {
            (false, r)
        } else {
            return Err(bad("expected trino:// or trinos://"));
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (userinfo, host) = authority
            .rsplit_once('@')
            .ok_or_else(|| bad("a user is required (trino://user@host)"))?;
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
        let host = if host.contains(':') {
            host.to_string()
        } else {
            format!("{host}:{}", if https { 443 } else { 8080 })
        };
        let mut segments = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        Ok(TrinoConfig {
            base_url: format!("{}://{host}", if https { "https" } else { "http" }),
            user,
            password,
            catalog: segments.next(),
            schema: segments.next(),
            source: "graph-olap".into(),
            catalogs: None,
            spooling,
        })
    }
}

/// A Trino or Starburst coordinator spoken to over the client REST protocol.
pub struct TrinoWarehouse {
    client: Client,
    catalogs: Option<Vec<String>>,
}

impl TrinoWarehouse {
    /// A connector for the coordinator described by `config`. Nothing is contacted yet.
    pub fn new(config: TrinoConfig) -> Result<Self, WarehouseError> {
        if config.base_url.starts_with("https://") {
            return Err(WarehouseError::Config(
                "HTTPS Trino coordinators need a TLS-enabled build (reqwest is built without TLS here); use trino:// through a TLS-terminating proxy"
                    .into(),
            ));
        }
        let catalogs = config.catalogs.clone();
        Ok(TrinoWarehouse {
            client: Client::new(config)?,
            catalogs,
        })
    }

    /// Runs a small metadata query to completion and returns its rows as JSON values.
    async fn rows(&self, sql: &str) -> Result<Vec<Vec<serde_json::Value>>, WarehouseError> {
        let mut query = self.client.start(sql).await?;
        let mut rows = Vec::new();
        while let Some(page) = query.next_page().await? {
            rows.extend(page);
        }
        Ok(rows)
    }

    async fn list_catalog(&self, catalog: &str) -> Result<CatalogMeta, WarehouseError> {
        use std::collections::BTreeMap;
        let quoted = quote_identifier(catalog);
        let mut schemas: BTreeMap<String, BTreeMap<String, TableMeta>> = BTreeMap::new();
        for row in self
            .rows(&format!("SELECT schema_name FROM {quoted}.information_schema.schemata WHERE schema_name <> 'information_schema'"))
            .await?
        {
            schemas.entry(text(&row, 0)).or_default();
        }
        for row in self
            .rows(&format!(
                "SELECT table_schema, table_name, table_type FROM {quoted}.information_schema.tables WHERE table_schema <> 'information_schema'"
            ))
            .await?
        {
            let table = TableMeta { name: text(&row, 1), table_type: text(&row, 2), comment: None, columns: Vec::new() };
            schemas.entry(text(&row, 0)).or_default().insert(table.name.clone(), table);
        }
        for row in self
            .rows(&format!(
                "SELECT table_schema, table_name, column_name, data_type, is_nullable, ordinal_position, column_default \
                 FROM {quoted}.information_schema.columns WHERE table_schema <> 'information_schema'"
            ))
            .await?
        {
            if let Some(table) = schemas.get_mut(&text(&row, 0)).and_then(|s| s.get_mut(&text(&row, 1))) {
                table.columns.push(ColumnMeta {
                    name: text(&row, 2),
                    data_type: text(&row, 3),
                    is_nullable: text(&row, 4) == "YES",
                    ordinal_position: row.get(5).and_then(|v| v.as_u64()).unwrap_or(0) as u32,
                    column_default: row.get(6).and_then(|v| v.as_str()).map(str::to_string),
                    comment: None,
                });
            }
        }
        Ok(CatalogMeta {
            name: catalog.to_string(),
            schemas: schemas
                .into_iter()
                .map(|(name, tables)| SchemaMeta {
                    name,
                    tables: tables.into_values().collect(),
                })
                .collect(),
        })
    }
}

fn text(row: &[serde_json::Value], index: usize) -> String {
    row.get(index)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

/// `"name"` with embedded quotes doubled.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The statement without trailing semicolons and whitespace, so it can be wrapped.
fn strip_terminator(sql: &str) -> &str {
    sql.trim_end().trim_end_matches(';').trim_end()
}

fn schema_of(columns: &[Column]) -> Result<(Vec<TrinoType>, SchemaRef), WarehouseError> {
    let types: Vec<TrinoType> = columns
        .iter()
        .map(|c| TrinoType::parse(&c.type_name))
        .collect();
    let fields: Vec<Field> = columns
        .iter()
        .zip(&types)
        .map(|(c, t)| Field::new(&c.name, t.arrow_type(), true))
        .collect();
    Ok((types, Arc::new(Schema::new(fields))))
}

#[async_trait::async_trait]
impl Warehouse for TrinoWarehouse {
    fn kind(&self) -> &'static str {
        "trino"
    }

    async fn ping(&self) -> Result<(), WarehouseError> {
        self.rows("SELECT 1").await.map(|_| ())
    }

    async fn describe(&self, sql: &str) -> Result<SchemaRef, WarehouseError> {
        let wrapped = format!(
            "SELECT * FROM (\n{}\n) AS graph_olap_describe LIMIT 0",
            strip_terminator(sql)
        );
        let mut query = self.client.start(&wrapped).await?;
        let columns = query.columns().await?;
        query.cancel();
        Ok(schema_of(&columns)?.1)
    }

    async fn metadata(&self) -> Result<WarehouseMetadata, WarehouseError> {
        let names: Vec<String> = match &self.catalogs {
            Some(list) => list.clone(),
            None => self
                .rows("SELECT catalog_name FROM system.metadata.catalogs")
                .await?
                .iter()
                .map(|r| text(r, 0))
                .filter(|c| c != "system")
                .collect(),
        };
        let mut metadata = WarehouseMetadata::default();
        for catalog in names {
            match self.list_catalog(&catalog).await {
                Ok(meta) => metadata.catalogs.push(meta),
                Err(e) if e.is_unreachable() => return Err(e),
                Err(e) => metadata.failures.push(CatalogFailure {
                    catalog,
                    message: e.to_string(),
                }),
            }
        }
        metadata.sort();
        Ok(metadata)
    }

    async fn query(&self, sql: &str) -> Result<BatchStream, WarehouseError> {
        let mut query = self.client.start(strip_terminator(sql)).await?;
        let columns = query.columns().await?;
        let (types, schema) = schema_of(&columns)?;
        let query_id = query.id().map(str::to_string);
        let batch_schema = schema.clone();
        let batches = futures::stream::unfold(Some(query), move |state| {
            let types = types.clone();
            let schema = batch_schema.clone();
            async move {
                let mut query = state?;
                loop {
                    match query.next_page().await {
                        Ok(Some(rows)) if rows.is_empty() => continue,
                        Ok(Some(rows)) => {
                            let batch = types::rows_to_batch(&schema, &types, &rows)
                                .map_err(WarehouseError::Execution);
                            return Some((batch, Some(query)));
                        }
                        Ok(None) => return None,
                        Err(e) => return Some((Err(e), None)),
                    }
                }
            }
        })
        .boxed();
        Ok(BatchStream {
            schema,
            batches,
            query_id,
        })
    }
}
