//! [`InternalApiClient`]: the HTTP side of calls to the control plane's internal API (API.md §9),
//! as made by instance servers and export workers.
//!
//! Owns: the `X-Internal-Api-Key` header, unwrapping the success envelope, reading the error
//! envelope into [`InternalApiError`], per-call timeouts, and the retry rule of §9.1 (transport
//! errors and `5xx` retried with exponential backoff 1 s → 10 s, at most 5 attempts; `4xx` never
//! retried). Does not own: the endpoints and their bodies (each caller's typed wrapper), what an
//! error means to the caller (a lost lease, a refused report), nor TLS settings (the caller
//! builds the `reqwest::Client`).

use std::time::Duration;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Header carrying the internal service key (§2.4).
pub const INTERNAL_KEY_HEADER: &str = "X-Internal-Api-Key";

/// Longest excerpt of a non-envelope error body kept in [`InternalApiError::Api`].
const BODY_EXCERPT_CHARS: usize = 500;

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
    /// The rule of §9.1: 5 attempts, 1 s doubling up to 10 s.
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// One attempt, no retry.
    pub const ONCE: RetryPolicy = RetryPolicy {
        max_attempts: 1,
        initial_backoff: Duration::ZERO,
        max_backoff: Duration::ZERO,
    };

    /// The delay after failed attempt number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// A failed internal-API call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InternalApiError {
    /// No HTTP answer (connection refused, timeout, a body cut short …), after the retries.
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
        /// `error.message`, or the start of the body text.
        message: String,
        /// `error.details.reason`, when present.
        reason: Option<String>,
    },
    /// A success answer whose body does not have the documented shape.
    #[error("unexpected control plane response: {0}")]
    Decode(String),
}

impl InternalApiError {
    /// Whether the call failed without a definite answer (transport error or `5xx`), so that
    /// trying again may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, InternalApiError::Transport(_))
            || matches!(self, InternalApiError::Api { status, .. } if *status >= 500)
    }
}

/// How one call deviates from the client's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallOptions {
    /// Timeout of each attempt, instead of the client's.
    pub timeout: Option<Duration>,
    /// Retry schedule, instead of the client's.
    pub retry: Option<RetryPolicy>,
}

/// A client of the control plane's internal API. Cheap to clone.
#[derive(Debug, Clone)]
pub struct InternalApiClient {
    http: reqwest::Client,
    base_url: String,
    api_key: String,
    retry: RetryPolicy,
    timeout: Duration,
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
    #[serde(default)]
    details: Map<String, Value>,
}

impl InternalApiClient {
    /// A client for the control plane at `base_url` (its `api_url` without `/api`, e.g.
    /// `http://127.0.0.1:8080`) presenting `api_key`, sending through `http`, with the default
    /// retry policy and a 30 s timeout per attempt.
    pub fn new(http: reqwest::Client, base_url: &str, api_key: &str) -> Self {
        InternalApiClient {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key: api_key.to_string(),
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(30),
        }
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Replaces the timeout of each attempt.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The timeout of each attempt.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The control plane's base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Calls `method path` (path from the root, e.g. `/api/internal/export-jobs/claim`) with an
    /// optional JSON body and returns the envelope's `data`, retrying by the client's policy.
    pub async fn call<B, T>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, InternalApiError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.call_with(method, path, body, CallOptions::default())
            .await
    }

    /// [`call`](Self::call) with another timeout or retry policy.
    pub async fn call_with<B, T>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        options: CallOptions,
    ) -> Result<T, InternalApiError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        let retry = options.retry.unwrap_or(self.retry);
        let timeout = options.timeout.unwrap_or(self.timeout);
        let url = format!("{}{path}", self.base_url);
        let mut attempt = 1;
        loop {
            let mut request = self
                .http
                .request(method.clone(), &url)
                .header(INTERNAL_KEY_HEADER, &self.api_key)
                .timeout(timeout);
            if let Some(b) = body {
                request = request.json(b);
            }
            match send_once(request).await {
                Err(e) if e.is_transient() && attempt < retry.max_attempts => {
                    let delay = retry.backoff(attempt);
                    tracing::debug!(error = %e, attempt, ?delay, "internal API call failed; retrying");
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// One attempt: the answer's `data`, or the error it carries.
async fn send_once<T: DeserializeOwned>(
    request: reqwest::RequestBuilder,
) -> Result<T, InternalApiError> {
    let transport = |e: reqwest::Error| InternalApiError::Transport(e.to_string());
    let response = request.send().await.map_err(transport)?;
    let status = response.status();
    let body = response.bytes().await.map_err(transport)?;
    if status.is_success() {
        return serde_json::from_slice::<Data<T>>(&body)
            .map(|d| d.data)
            .map_err(|e| InternalApiError::Decode(e.to_string()));
    }
    Err(error_answer(status.as_u16(), &body))
}

/// Reads an error answer: the envelope's code, message and `details.reason`, or for any other
/// body `HTTP_<status>` and the start of the text.
fn error_answer(status: u16, body: &[u8]) -> InternalApiError {
    match serde_json::from_slice::<ErrorEnvelope>(body) {
        Ok(envelope) => InternalApiError::Api {
            status,
            code: envelope.error.code,
            message: envelope.error.message,
            reason: envelope
                .error
                .details
                .get("reason")
                .and_then(Value::as_str)
                .map(str::to_string),
        },
        Err(_) => InternalApiError::Api {
            status,
            code: format!("HTTP_{status}"),
            message: String::from_utf8_lossy(body)
                .chars()
                .take(BODY_EXCERPT_CHARS)
                .collect(),
            reason: None,
        },
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
    fn transience() {
        let api = |status, code: &str| InternalApiError::Api {
            status,
            code: code.into(),
            message: String::new(),
            reason: None,
        };
        assert!(api(503, "SERVICE_UNAVAILABLE").is_transient());
        assert!(!api(409, "LEASE_EXPIRED").is_transient());
        assert!(!api(400, "VALIDATION_FAILED").is_transient());
        assert!(InternalApiError::Transport("refused".into()).is_transient());
    }

    #[test]
    fn error_answers_keep_code_message_and_reason() {
        let body = br#"{"error":{"code":"INVALID_STATE","message":"no","details":{"reason":"not_ready"}},"meta":{"request_id":"r"}}"#;
        assert_eq!(
            error_answer(409, body),
            InternalApiError::Api {
                status: 409,
                code: "INVALID_STATE".into(),
                message: "no".into(),
                reason: Some("not_ready".into()),
            }
        );
        let long = "x".repeat(800);
        let InternalApiError::Api { code, message, .. } = error_answer(502, long.as_bytes()) else {
            panic!("an API error");
        };
        assert_eq!((code.as_str(), message.len()), ("HTTP_502", 500));
    }
}
