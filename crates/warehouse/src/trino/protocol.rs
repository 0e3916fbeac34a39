//! The Trino client REST protocol: submit a statement, follow `nextUri` page by page, cancel
//! with `DELETE nextUri`; with the spooling protocol, decode `inline` segments and download
//! (then acknowledge) `spooled` ones.
//!
//! Owns HTTP, the response documents, retries of "busy" answers (429/502/503/504) and the
//! classification of errors. Does not own value conversion (see `types`).
//!
//! Spooling: every statement is sent with `X-Trino-Query-Data-Encoding: json` (unless the
//! configuration turns it off). A coordinator without spooling ignores the header and answers
//! `data` as an array of rows; one with spooling answers `data` as
//! `{"encoding": "json", "segments": [...]}` where a segment is `{"type": "inline", "data":
//! base64, "metadata": {...}}` or `{"type": "spooled", "uri", "ackUri", "headers", "metadata"}`.
//! Segments are kept in order and fetched only when their rows are needed (one segment in memory
//! at a time); a spooled segment is downloaded with its own `headers` and none of the session's
//! (the URI carries its own authorisation), then acknowledged with `GET ackUri` so the
//! coordinator can delete it. Compressed encodings (`json+zstd`, `json+lz4`) are not requested.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use base64::Engine;
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

/// The only segment encoding requested (and accepted).
pub(crate) const JSON_ENCODING: &str = "json";

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryResults {
    id: Option<String>,
    next_uri: Option<String>,
    columns: Option<Vec<Column>>,
    /// An array of rows (direct protocol) or an encoded-data object (spooling protocol).
    data: Option<Value>,
    error: Option<QueryError>,
}

/// `data` of the spooling protocol.
#[derive(Debug, Deserialize)]
struct EncodedData {
    encoding: String,
    #[serde(default)]
    segments: Vec<Segment>,
}

/// One data segment of the spooling protocol.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub(crate) enum Segment {
    /// Rows encoded in the document itself, base64.
    Inline {
        data: String,
        #[serde(default)]
        metadata: SegmentMetadata,
    },
    /// Rows stored by the coordinator or a worker, to download from `uri`.
    Spooled {
        uri: String,
        #[serde(rename = "ackUri")]
        ack_uri: Option<String>,
        #[serde(default)]
        headers: BTreeMap<String, Vec<String>>,
        #[serde(default)]
        metadata: SegmentMetadata,
    },
}

/// The metadata attributes of a segment that the client checks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SegmentMetadata {
    row_offset: Option<u64>,
    rows_count: Option<u64>,
    segment_size: Option<u64>,
}

/// Rows not yet handed out: decoded, or a segment still to decode or download.
#[derive(Debug)]
enum Pending {
    Rows(Vec<Vec<Value>>),
    Segment(Segment),
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
        if self.config.spooling {
            request = request.header("X-Trino-Query-Data-Encoding", JSON_ENCODING);
        }
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
            .send(|| {
                self.with_session(self.http.post(&url))
                    .header("Content-Type", "text/plain")
                    .body(sql.to_string())
            })
            .await?;
        let mut query = Query {
            client: self.clone(),
            id: None,
            next_uri: None,
            columns: None,
            pages: VecDeque::new(),
            finished: false,
            rows_seen: 0,
        };
        query.absorb(first)?;
        Ok(query)
    }

    /// Decodes an inline segment or downloads a spooled one (then acknowledges it), checking
    /// the row count the metadata announces.
    async fn segment_rows(
        &self,
        segment: Segment,
    ) -> Result<(Vec<Vec<Value>>, SegmentMetadata), WarehouseError> {
        let (bytes, metadata) = match segment {
            Segment::Inline { data, metadata } => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data.trim())
                    .map_err(|e| {
                        WarehouseError::Protocol(format!("Trino inline segment is not base64: {e}"))
                    })?;
                (bytes, metadata)
            }
            Segment::Spooled {
                uri,
                ack_uri,
                headers,
                metadata,
            } => {
                let bytes = self.download(&uri, &headers).await?;
                if let Some(ack) = ack_uri {
                    self.acknowledge(ack, headers);
                }
                (bytes, metadata)
            }
        };
        if let Some(size) = metadata.segment_size
            && size != bytes.len() as u64
        {
            return Err(WarehouseError::Protocol(format!(
                "Trino segment announced {size} bytes but holds {}",
                bytes.len()
            )));
        }
        let rows: Vec<Vec<Value>> = serde_json::from_slice(&bytes).map_err(|e| {
            WarehouseError::Protocol(format!("Trino segment is not a JSON array of rows: {e}"))
        })?;
        if let Some(count) = metadata.rows_count
            && count != rows.len() as u64
        {
            return Err(WarehouseError::Protocol(format!(
                "Trino segment announced {count} rows but holds {}",
                rows.len()
            )));
        }
        Ok((rows, metadata))
    }

    /// `GET uri` of a spooled segment with only the segment's own headers (never the session's
    /// credentials), retrying busy answers.
    async fn download(
        &self,
        uri: &str,
        headers: &BTreeMap<String, Vec<String>>,
    ) -> Result<Vec<u8>, WarehouseError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut request = self.http.get(uri);
            for (name, values) in headers {
                for value in values {
                    request = request.header(name, value);
                }
            }
            let response = request
                .send()
                .await
                .map_err(|e| WarehouseError::Unreachable(format!("Trino spooled segment: {e}")))?;
            let status = response.status();
            if matches!(status.as_u16(), 429 | 502 | 503 | 504) && attempt < MAX_ATTEMPTS {
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt.min(20)))).await;
                continue;
            }
            let body = response
                .bytes()
                .await
                .map_err(|e| WarehouseError::Unreachable(format!("Trino spooled segment: {e}")))?;
            if !status.is_success() {
                let what = format!(
                    "Trino spooled segment answered {status}: {}",
                    String::from_utf8_lossy(&body).trim()
                );
                return Err(if status.is_server_error() {
                    WarehouseError::Unreachable(what)
                } else {
                    WarehouseError::Execution(what)
                });
            }
            return Ok(body.to_vec());
        }
    }

    /// `GET ackUri` in the background: the coordinator may delete the segment (a lost
    /// acknowledgement only delays that until the query's segments expire).
    fn acknowledge(&self, ack_uri: String, headers: BTreeMap<String, Vec<String>>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let mut request = self.http.get(ack_uri);
        for (name, values) in &headers {
            for value in values {
                request = request.header(name, value);
            }
        }
        runtime.spawn(async move {
            if let Err(e) = request.send().await {
                tracing::debug!(error = %e, "acknowledging a Trino spooled segment failed");
            }
        });
    }

    /// Sends a request, retrying busy answers with a growing pause, and parses the document.
    async fn send(
        &self,
        make: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<QueryResults, WarehouseError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let response = make()
                .send()
                .await
                .map_err(|e| WarehouseError::Unreachable(format!("Trino: {e}")))?;
            let status = response.status();
            if matches!(status.as_u16(), 429 | 502 | 503 | 504) && attempt < MAX_ATTEMPTS {
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt.min(20)))).await;
                continue;
            }
            let body = response
                .text()
                .await
                .map_err(|e| WarehouseError::Unreachable(format!("Trino: {e}")))?;
            if status == 401 || status == 403 {
                return Err(WarehouseError::Unreachable(format!(
                    "Trino refused the credentials ({status}): {}",
                    body.trim()
                )));
            }
            if !status.is_success() {
                let what = format!("Trino answered {status}: {}", body.trim());
                return Err(if status.is_server_error() {
                    WarehouseError::Unreachable(what)
                } else {
                    WarehouseError::Protocol(what)
                });
            }
            return serde_json::from_str(&body)
                .map_err(|e| WarehouseError::Protocol(format!("Trino response: {e}")));
        }
    }
}

/// A submitted statement being followed page by page. Dropping it before the end cancels it.
pub(crate) struct Query {
    client: Client,
    id: Option<String>,
    next_uri: Option<String>,
    columns: Option<Vec<Column>>,
    /// Pages received but not yet handed out (read ahead while waiting for the columns);
    /// segments are decoded or downloaded only when their turn comes.
    pages: VecDeque<Pending>,
    finished: bool,
    /// Rows handed out so far (checked against segments' `rowOffset`).
    rows_seen: u64,
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
        match results.data {
            None | Some(Value::Null) => {}
            Some(Value::Array(rows)) => {
                let rows = rows
                    .into_iter()
                    .map(|row| match row {
                        Value::Array(values) => Ok(values),
                        other => Err(WarehouseError::Protocol(format!(
                            "Trino row is not an array: {other}"
                        ))),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                self.pages.push_back(Pending::Rows(rows));
            }
            Some(object @ Value::Object(_)) => {
                let encoded: EncodedData = serde_json::from_value(object)
                    .map_err(|e| WarehouseError::Protocol(format!("Trino encoded data: {e}")))?;
                if encoded.encoding != JSON_ENCODING {
                    self.finished = true;
                    return Err(WarehouseError::Protocol(format!(
                        "Trino answered segments in encoding '{}', but only '{JSON_ENCODING}' was requested",
                        encoded.encoding
                    )));
                }
                self.pages
                    .extend(encoded.segments.into_iter().map(Pending::Segment));
            }
            Some(other) => {
                return Err(WarehouseError::Protocol(format!(
                    "Trino data is neither rows nor segments: {other}"
                )));
            }
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
        let results = self
            .client
            .send(|| self.client.with_session(self.client.http.get(&uri)))
            .await?;
        self.absorb(results)
    }

    /// Waits until the coordinator has described the result columns (reading ahead any data).
    pub(crate) async fn columns(&mut self) -> Result<Vec<Column>, WarehouseError> {
        while self.columns.is_none() {
            if self.finished {
                return Err(WarehouseError::Protocol(
                    "Trino finished the query without describing its columns".into(),
                ));
            }
            self.advance().await?;
        }
        Ok(self.columns.clone().unwrap_or_default())
    }

    /// The next page of rows (possibly empty), or `None` at the end.
    pub(crate) async fn next_page(&mut self) -> Result<Option<Vec<Vec<Value>>>, WarehouseError> {
        loop {
            match self.pages.pop_front() {
                Some(Pending::Rows(rows)) => {
                    self.rows_seen += rows.len() as u64;
                    return Ok(Some(rows));
                }
                Some(Pending::Segment(segment)) => {
                    let (rows, metadata) = self.client.segment_rows(segment).await?;
                    if let Some(offset) = metadata.row_offset
                        && offset != self.rows_seen
                    {
                        return Err(WarehouseError::Protocol(format!(
                            "Trino segment starts at row {offset}, but {} rows came before it",
                            self.rows_seen
                        )));
                    }
                    self.rows_seen += rows.len() as u64;
                    return Ok(Some(rows));
                }
                None => {}
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
        if let (Some(uri), Ok(runtime)) =
            (self.next_uri.take(), tokio::runtime::Handle::try_current())
        {
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
