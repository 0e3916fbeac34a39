//! The Trino client REST protocol: submit a statement, follow `nextUri` page by page, cancel
//! with `DELETE nextUri`.
//!
//! Owns HTTP, the response documents, retries of "busy" answers (429/502/503/504) and the
//! classification of errors. Does not own value conversion (see `types`).

use std::collections::VecDeque;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::TrinoConfig;
use crate::WarehouseError;

/// Attempts per request when the coordinator answers "busy".
const MAX_ATTEMPTS: u32 = 20;

/// An HTTP client bound to one coordinator and session.
#[derive(Clone)]
pub(crate) struct Client {
    http: reqwest::Client,
    config: TrinoConfig,
}

/// One result column as the coordinator describes it.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Column {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) type_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryResults {
    id: Option<String>,
    next_uri: Option<String>,
    columns: Option<Vec<Column>>,
    data: Option<Vec<Vec<Value>>>,
    error: Option<QueryError>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryError {
    message: Option<String>,
    error_name: Option<String>,
    error_type: Option<String>,
}

impl Client {
    pub(crate) fn new(config: TrinoConfig) -> Result<Self, WarehouseError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| WarehouseError::Config(format!("HTTP client: {e}")))?;
        Ok(Client { http, config })
    }

    fn with_session(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let mut request = request
            .header("X-Trino-User", &self.config.user)
            .header("X-Trino-Source", &self.config.source)
            .header("X-Trino-Time-Zone", "UTC");
        if let Some(catalog) = &self.config.catalog {
            request = request.header("X-Trino-Catalog", catalog);
        }
        if let Some(schema) = &self.config.schema {
            request = request.header("X-Trino-Schema", schema);
        }
        if let Some(password) = &self.config.password {
            request = request.basic_auth(&self.config.user, Some(password));
        }
        request
    }

    /// Submits `sql` and returns the running query (its first document already read).
    pub(crate) async fn start(&self, sql: &str) -> Result<Query, WarehouseError> {
        let url = format!("{}/v1/statement", self.config.base_url);
        let first = self
            .send(|| self.with_session(self.http.post(&url)).header("Content-Type", "text/plain").body(sql.to_string()))
            .await?;
        let mut query = Query {
            client: self.clone(),
            id: None,
            next_uri: None,
            columns: None,
            pages: VecDeque::new(),
            finished: false,
        };
        query.absorb(first)?;
        Ok(query)
    }

    /// Sends a request, retrying busy answers with a growing pause, and parses the document.
    async fn send(&self, make: impl Fn() -> reqwest::RequestBuilder) -> Result<QueryResults, WarehouseError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let response = make().send().await.map_err(|e| WarehouseError::Unreachable(format!("Trino: {e}")))?;
            let status = response.status();
            if matches!(status.as_u16(), 429 | 502 | 503 | 504) && attempt < MAX_ATTEMPTS {
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt.min(20)))).await;
                continue;
            }
            let body = response.text().await.map_err(|e| WarehouseError::Unreachable(format!("Trino: {e}")))?;
            if status == 401 || status == 403 {
                return Err(WarehouseError::Unreachable(format!("Trino refused the credentials ({status}): {}", body.trim())));
            }
            if !status.is_success() {
                let what = format!("Trino answered {status}: {}", body.trim());
                return Err(if status.is_server_error() {
                    WarehouseError::Unreachable(what)
                } else {
                    WarehouseError::Protocol(what)
                });
            }
            return serde_json::from_str(&body).map_err(|e| WarehouseError::Protocol(format!("Trino response: {e}")));
        }
    }
}

/// A submitted statement being followed page by page. Dropping it before the end cancels it.
pub(crate) struct Query {
    client: Client,
    id: Option<String>,
    next_uri: Option<String>,
    columns: Option<Vec<Column>>,
    /// Pages received but not yet handed out (read ahead while waiting for the columns).
    pages: VecDeque<Vec<Vec<Value>>>,
    finished: bool,
}

impl Query {
    /// The coordinator's query id.
    pub(crate) fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    fn absorb(&mut self, results: QueryResults) -> Result<(), WarehouseError> {
        if self.id.is_none() {
            self.id = results.id;
        }
        if let Some(error) = results.error {
            self.finished = true;
            self.next_uri = None;
            return Err(self.classify(error));
        }
        if self.columns.is_none() {
            self.columns = results.columns;
        }
        if let Some(data) = results.data {
            self.pages.push_back(data);
        }
        self.next_uri = results.next_uri;
        if self.next_uri.is_none() {
            self.finished = true;
        }
        Ok(())
    }

    fn classify(&self, error: QueryError) -> WarehouseError {
        let message = error.message.unwrap_or_else(|| "query failed".into());
        let name = error.error_name.unwrap_or_default();
        if name == "USER_CANCELED" || name == "ADMINISTRATIVELY_KILLED" {
            return WarehouseError::Cancelled;
        }
        match error.error_type.as_deref() {
            // Before the columns are known the statement failed analysis: it is the SQL's fault.
            Some("USER_ERROR") if self.columns.is_none() => WarehouseError::InvalidSql(message),
            _ => WarehouseError::Execution(format!("{name}: {message}")),
        }
    }

    /// Follows `nextUri` once.
    async fn advance(&mut self) -> Result<(), WarehouseError> {
        let Some(uri) = self.next_uri.clone() else {
            self.finished = true;
            return Ok(());
        };
        let results = self.client.send(|| self.client.with_session(self.client.http.get(&uri))).await?;
        self.absorb(results)
    }

    /// Waits until the coordinator has described the result columns (reading ahead any data).
    pub(crate) async fn columns(&mut self) -> Result<Vec<Column>, WarehouseError> {
        while self.columns.is_none() {
            if self.finished {
                return Err(WarehouseError::Protocol("Trino finished the query without describing its columns".into()));
            }
            self.advance().await?;
        }
        Ok(self.columns.clone().unwrap_or_default())
    }

    /// The next page of rows (possibly empty), or `None` at the end.
    pub(crate) async fn next_page(&mut self) -> Result<Option<Vec<Vec<Value>>>, WarehouseError> {
        loop {
            if let Some(page) = self.pages.pop_front() {
                return Ok(Some(page));
            }
            if self.finished {
                return Ok(None);
            }
            self.advance().await?;
        }
    }

    /// Cancels the query on the coordinator if it is still running (fire and forget).
    pub(crate) fn cancel(&mut self) {
        self.finished = true;
        self.pages.clear();
        if let (Some(uri), Ok(runtime)) = (self.next_uri.take(), tokio::runtime::Handle::try_current()) {
            let request = self.client.with_session(self.client.http.delete(uri));
            runtime.spawn(async move {
                let _ = request.send().await;
            });
        }
    }
}

impl Drop for Query {
    fn drop(&mut self) {
        if !self.finished {
            self.cancel();
        }
    }
}
