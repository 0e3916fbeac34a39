//! [`Client`]: the export worker's calls to the control plane's internal API (API.md §9.2).
//!
//! Owns the HTTP side of the protocol: the `X-Internal-Api-Key` header, envelopes, the error
//! shape, and the retry rule of §9.1 (transport errors and `5xx` retried with exponential backoff
//! 1 s → 10 s, at most 5 attempts; `4xx` never retried). Does not own what the worker does with
//! the answers.

use std::time::Duration;

use graph_olap_api::export::{
    ClaimRequest, ClaimResponse, ClaimedJob, CompleteRequest, ExportJob, FailRequest, HeartbeatAck,
    HeartbeatRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Header carrying the internal service key (§2.4).
pub const INTERNAL_KEY_HEADER: &str = "X-Internal-Api-Key";

/// Retry schedule for transport errors and `5xx` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total (the first call included).
    pub max_attempts: u32,
    /// Delay before the second attempt; doubled after each further failure.
    pub initial_backoff: Duration,
    /// Upper bound of the delay.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// A failed internal API call.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No HTTP answer (connection refused, timeout …), after the retries.
    #[error("control plane unreachable: {0}")]
    Transport(String),
    /// The control plane answered with an error status (after the retries, for `5xx`).
    #[error("control plane answered {status} {code}: {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// `error.code` of the envelope (`LEASE_EXPIRED`, `INVALID_STATE`, …), or `HTTP_<status>`
        /// when the body is not an error envelope.
        code: String,
        /// `error.message`, or the body text.
        message: String,
    },
    /// A success answer whose body does not parse.
    #[error("unexpected control plane response: {0}")]
    Decode(String),
}

impl ClientError {
    /// Whether the answer says this worker no longer holds the job: `409 LEASE_EXPIRED`, a
    /// `409 INVALID_STATE` (cancelled or past its deadline) or `404` (deleted).
    pub fn lease_lost(&self) -> bool {
        matches!(self, ClientError::Api { status: 404, .. })
            || matches!(self, ClientError::Api { status: 409, code, .. } if code == "LEASE_EXPIRED" || code == "INVALID_STATE")
    }

    /// Whether the call failed without a definite answer (transport error or `5xx`).
    pub fn is_transient(&self) -> bool {
        matches!(self, ClientError::Transport(_))
            || matches!(self, ClientError::Api { status, .. } if *status >= 500)
    }
}

/// The internal API client of export workers. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
    retry: RetryPolicy,
    request_timeout: Duration,
}

#[derive(serde::Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(serde::Deserialize)]
struct ErrorEnvelope {
    error: ErrorPart,
}

#[derive(serde::Deserialize)]
struct ErrorPart {
    code: String,
    #[serde(default)]
    message: String,
}

impl Client {
    /// A client for the control plane at `base_url` (e.g. `http://127.0.0.1:8080`) using the
    /// internal key `api_key`, with the default retry policy.
    pub fn new(base_url: impl Into<String>, api_key: impl Into<String>) -> Self {
        Client {
            http: reqwest::Client::new(),
            base_url: base_url.into().trim_end_matches('/').to_string(),
            api_key: api_key.into(),
            retry: RetryPolicy::default(),
            request_timeout: Duration::from_secs(30),
        }
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Replaces the timeout of calls other than long-polling claims (default 30 s).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// `POST /api/internal/export-jobs/claim`; long-polls for up to `wait_seconds`.
    pub async fn claim(&self, request: &ClaimRequest) -> Result<Vec<ClaimedJob>, ClientError> {
        let timeout = self.request_timeout + Duration::from_secs(u64::from(request.wait_seconds));
        let response: ClaimResponse = self
            .post("/api/internal/export-jobs/claim", request, timeout)
            .await?;
        Ok(response.jobs)
    }

    /// `POST /api/internal/export-jobs/{id}/heartbeat`.
    pub async fn heartbeat(
        &self,
        job_id: i64,
        request: &HeartbeatRequest,
    ) -> Result<HeartbeatAck, ClientError> {
        self.post(
            &format!("/api/internal/export-jobs/{job_id}/heartbeat"),
            request,
            self.request_timeout,
        )
        .await
    }

    /// `POST /api/internal/export-jobs/{id}/complete`.
    pub async fn complete(
        &self,
        job_id: i64,
        request: &CompleteRequest,
    ) -> Result<ExportJob, ClientError> {
        self.post(
            &format!("/api/internal/export-jobs/{job_id}/complete"),
            request,
            self.request_timeout,
        )
        .await
    }

    /// `POST /api/internal/export-jobs/{id}/fail`.
    pub async fn fail(&self, job_id: i64, request: &FailRequest) -> Result<ExportJob, ClientError> {
        self.post(
            &format!("/api/internal/export-jobs/{job_id}/fail"),
            request,
            self.request_timeout,
        )
        .await
    }

    /// `GET /api/internal/export-jobs/{id}`.
    pub async fn get(&self, job_id: i64) -> Result<ExportJob, ClientError> {
        let url = format!("{}/api/internal/export-jobs/{job_id}", self.base_url);
        self.with_retries(|| self.http.get(&url).timeout(self.request_timeout))
            .await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        timeout: Duration,
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base_url);
        self.with_retries(|| self.http.post(&url).json(body).timeout(timeout))
            .await
    }

    async fn with_retries<T, F>(&self, build: F) -> Result<T, ClientError>
    where
        T: DeserializeOwned,
        F: Fn() -> reqwest::RequestBuilder,
    {
        let mut attempt = 1;
        loop {
            let result = self.send_once(build()).await;
            match result {
                Err(e) if e.is_transient() && attempt < self.retry.max_attempts => {
                    let delay = self.retry.backoff(attempt);
                    tracing::debug!(error = %e, attempt, ?delay, "internal API call failed; retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn send_once<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let response = request
            .header(INTERNAL_KEY_HEADER, &self.api_key)
            .send()
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        if status.is_success() {
            return serde_json::from_slice::<Data<T>>(&body)
                .map(|d| d.data)
                .map_err(|e| ClientError::Decode(e.to_string()));
        }
        let (code, message) = match serde_json::from_slice::<ErrorEnvelope>(&body) {
            Ok(envelope) => (envelope.error.code, envelope.error.message),
            Err(_) => (
                format!("HTTP_{}", status.as_u16()),
                String::from_utf8_lossy(&body).chars().take(500).collect(),
            ),
        };
        Err(ClientError::Api {
            status: status.as_u16(),
            code,
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_second_up_to_ten() {
        let policy = RetryPolicy::default();
        let delays: Vec<u64> = (1..=6).map(|a| policy.backoff(a).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 10, 10]);
    }

    #[test]
    fn lease_loss_and_transience() {
        let api = |status, code: &str| ClientError::Api {
            status,
            code: code.into(),
            message: String::new(),
        };
        assert!(api(409, "LEASE_EXPIRED").lease_lost());
        assert!(api(409, "INVALID_STATE").lease_lost());
        assert!(api(404, "NOT_FOUND").lease_lost());
        assert!(!api(400, "VALIDATION_FAILED").lease_lost());
        assert!(api(503, "SERVICE_UNAVAILABLE").is_transient());
        assert!(!api(409, "LEASE_EXPIRED").is_transient());
        assert!(ClientError::Transport("refused".into()).is_transient());
    }
}
