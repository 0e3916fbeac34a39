//! Client of the control plane's internal API as used by an instance server (API.md §9.3, §9.4).
//!
//! Owns: the HTTP calls (status, bootstrap, progress, metrics, activity, introspection), the
//! internal-key header, envelope unwrapping and the retry policy of §9.1 (transport errors and
//! 5xx retried with exponential backoff 1 s → 10 s, at most 5 attempts; 4xx never retried).
//! Does not own: deciding what to report (see `startup.rs` and `lib.rs`).

use std::time::Duration;

use graph_olap_api::instance::{
    ActivityReport, InstanceBootstrap, IntrospectRequest, IntrospectResponse, MetricsAck,
    MetricsReport, ProgressReport, StatusReport, StatusReportAck,
};
use graph_olap_api::{Envelope, ErrorEnvelope};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Failure of an internal-API call.
#[derive(Debug, thiserror::Error)]
pub enum ControlPlaneError {
    /// The control plane answered with an error envelope (or an unexpected status).
    #[error("control plane answered {status}: {code} {message}")]
    Status {
        /// HTTP status.
        status: u16,
        /// Error code, e.g. `INVALID_STATE`.
        code: String,
        /// Message.
        message: String,
        /// `details.reason`, when present.
        reason: Option<String>,
    },
    /// Transport failure after all retries.
    #[error("control plane unreachable: {0}")]
    Transport(String),
    /// The body did not have the documented shape.
    #[error("unexpected control-plane response: {0}")]
    Decode(String),
}

/// Internal-API client bound to one instance.
#[derive(Debug, Clone)]
pub struct ControlPlaneClient {
    http: reqwest::Client,
    base: String,
    key: String,
    instance_id: i64,
    attempts: u32,
}

impl ControlPlaneClient {
    /// A client for `base_url` (the control plane's `api_url`, without `/api`).
    pub fn new(base_url: &str, internal_key: &str, instance_id: i64) -> Self {
        let mut builder = reqwest::Client::builder().timeout(Duration::from_secs(30));
        if !base_url.starts_with("https://") {
            // A plain-HTTP control plane (the local runtime, an in-cluster service) needs no
            // certificates, and loading the system's root store takes several milliseconds of
            // every instance's startup.
            builder = builder.tls_built_in_root_certs(false);
        }
        let http = builder.build().unwrap_or_default();
        Self {
            http,
            base: base_url.trim_end_matches('/').to_string(),
            key: internal_key.to_string(),
            instance_id,
            attempts: 5,
        }
    }

    fn url(&self, suffix: &str) -> String {
        format!(
            "{}/api/internal/instances/{}/{suffix}",
            self.base, self.instance_id
        )
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        url: String,
        body: Option<&B>,
    ) -> Result<T, ControlPlaneError> {
        self.call_with(method, url, body, self.attempts, None).await
    }

    async fn call_with<B: Serialize, T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        url: String,
        body: Option<&B>,
        attempts: u32,
        timeout: Option<Duration>,
    ) -> Result<T, ControlPlaneError> {
        let mut delay = Duration::from_secs(1);
        let mut last = String::new();
        for attempt in 1..=attempts {
            let mut request = self
                .http
                .request(method.clone(), &url)
                .header("X-Internal-Api-Key", &self.key);
            if let Some(t) = timeout {
                request = request.timeout(t);
            }
            if let Some(b) = body {
                request = request.json(b);
            }
            match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    let bytes = response
                        .bytes()
                        .await
                        .map_err(|e| ControlPlaneError::Transport(e.to_string()))?;
                    if status.is_success() {
                        let env: Envelope<T> = serde_json::from_slice(&bytes)
                            .map_err(|e| ControlPlaneError::Decode(e.to_string()))?;
                        return Ok(env.data);
                    }
                    let (code, message, reason) =
                        match serde_json::from_slice::<ErrorEnvelope>(&bytes) {
                            Ok(e) => (
                                e.error.code.as_str().to_string(),
                                e.error.message,
                                e.error
                                    .details
                                    .get("reason")
                                    .and_then(|r| r.as_str())
                                    .map(str::to_string),
                            ),
                            Err(_) => (
                                String::new(),
                                String::from_utf8_lossy(&bytes).into_owned(),
                                None,
                            ),
                        };
                    let err = ControlPlaneError::Status {
                        status: status.as_u16(),
                        code,
                        message,
                        reason,
                    };
                    if status.is_client_error() || attempt == attempts {
                        return Err(err);
                    }
                    last = err.to_string();
                }
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(10));
        }
        Err(ControlPlaneError::Transport(last))
    }

    /// `PATCH …/status`.
    pub async fn report_status(
        &self,
        report: &StatusReport,
    ) -> Result<StatusReportAck, ControlPlaneError> {
        self.call(reqwest::Method::PATCH, self.url("status"), Some(report))
            .await
    }

    /// `PATCH …/status` once, within two seconds: the report sent while the server exits. The
    /// control plane may be stopping itself (`graph-olap up` shutting down), and a stopping
    /// instance must not outstay the runtime's grace period waiting for it; reconciliation
    /// confirms the stop anyway.
    pub async fn report_status_on_exit(
        &self,
        report: &StatusReport,
    ) -> Result<StatusReportAck, ControlPlaneError> {
        self.call_with(
            reqwest::Method::PATCH,
            self.url("status"),
            Some(report),
            1,
            Some(Duration::from_secs(2)),
        )
        .await
    }

    /// `GET …/mapping`.
    pub async fn bootstrap(&self) -> Result<InstanceBootstrap, ControlPlaneError> {
        self.call::<(), _>(reqwest::Method::GET, self.url("mapping"), None)
            .await
    }

    /// `PUT …/progress`.
    pub async fn report_progress(
        &self,
        report: &ProgressReport,
    ) -> Result<serde_json::Value, ControlPlaneError> {
        self.call(reqwest::Method::PUT, self.url("progress"), Some(report))
            .await
    }

    /// `PUT …/metrics`.
    pub async fn report_metrics(
        &self,
        report: &MetricsReport,
    ) -> Result<MetricsAck, ControlPlaneError> {
        self.call(reqwest::Method::PUT, self.url("metrics"), Some(report))
            .await
    }

    /// `POST …/activity`.
    pub async fn report_activity(
        &self,
        kind: &str,
    ) -> Result<serde_json::Value, ControlPlaneError> {
        let body = ActivityReport {
            at: Some(chrono::Utc::now()),
            kind: kind.to_string(),
        };
        self.call(reqwest::Method::POST, self.url("activity"), Some(&body))
            .await
    }

    /// `POST /api/internal/auth/introspect`.
    pub async fn introspect(&self, token: &str) -> Result<IntrospectResponse, ControlPlaneError> {
        let url = format!("{}/api/internal/auth/introspect", self.base);
        self.call(
            reqwest::Method::POST,
            url,
            Some(&IntrospectRequest {
                token: token.to_string(),
            }),
        )
        .await
    }
}
