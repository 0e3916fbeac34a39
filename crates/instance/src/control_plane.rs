//! Client of the control plane's internal API as used by an instance server (API.md §9.3, §9.4).
//!
//! Owns: the instance's endpoints (status, bootstrap, progress, metrics, activity,
//! introspection) and the TLS choice of its HTTP client. Does not own: the key header, envelope
//! unwrapping and the retry policy of §9.1 (`graph_olap_server_kit::internal_api`), nor deciding
//! what to report (see `startup.rs` and `lib.rs`).

use std::time::Duration;

use graph_olap_api::instance::{
    ActivityReport, InstanceBootstrap, IntrospectRequest, IntrospectResponse, MetricsAck,
    MetricsReport, ProgressReport, StatusReport, StatusReportAck,
};
use graph_olap_server_kit::RetryPolicy;
use graph_olap_server_kit::internal_api::{CallOptions, InternalApiClient, InternalApiError};
use reqwest::Method;

/// Internal-API client bound to one instance.
#[derive(Debug, Clone)]
pub struct ControlPlaneClient {
    api: InternalApiClient,
    instance_id: i64,
}

impl ControlPlaneClient {
    /// A client for `base_url` (the control plane's `api_url`, without `/api`).
    pub fn new(base_url: &str, internal_key: &str, instance_id: i64) -> Self {
        let mut builder = reqwest::Client::builder();
        if !base_url.starts_with("https://") {
            // A plain-HTTP control plane (the local runtime, an in-cluster service) needs no
            // certificates, and loading the system's root store takes several milliseconds of
            // every instance's startup.
            builder = builder.tls_built_in_root_certs(false);
        }
        let http = builder.build().unwrap_or_default();
        Self {
            api: InternalApiClient::new(http, base_url, internal_key),
            instance_id,
        }
    }

    fn path(&self, suffix: &str) -> String {
        format!("/api/internal/instances/{}/{suffix}", self.instance_id)
    }

    /// `PATCH …/status`.
    pub async fn report_status(
        &self,
        report: &StatusReport,
    ) -> Result<StatusReportAck, InternalApiError> {
        self.api
            .call(Method::PATCH, &self.path("status"), Some(report))
            .await
    }

    /// `PATCH …/status` once, within two seconds: the report sent while the server exits. The
    /// control plane may be stopping itself (`graph-olap up` shutting down), and a stopping
    /// instance must not outstay the runtime's grace period waiting for it; reconciliation
    /// confirms the stop anyway.
    pub async fn report_status_on_exit(
        &self,
        report: &StatusReport,
    ) -> Result<StatusReportAck, InternalApiError> {
        let options = CallOptions {
            timeout: Some(Duration::from_secs(2)),
            retry: Some(RetryPolicy::ONCE),
        };
        self.api
            .call_with(Method::PATCH, &self.path("status"), Some(report), options)
            .await
    }

    /// `GET …/mapping`.
    pub async fn bootstrap(&self) -> Result<InstanceBootstrap, InternalApiError> {
        self.api
            .call::<(), _>(Method::GET, &self.path("mapping"), None)
            .await
    }

    /// `PUT …/progress`.
    pub async fn report_progress(
        &self,
        report: &ProgressReport,
    ) -> Result<serde_json::Value, InternalApiError> {
        self.api
            .call(Method::PUT, &self.path("progress"), Some(report))
            .await
    }

    /// `PUT …/metrics`.
    pub async fn report_metrics(
        &self,
        report: &MetricsReport,
    ) -> Result<MetricsAck, InternalApiError> {
        self.api
            .call(Method::PUT, &self.path("metrics"), Some(report))
            .await
    }

    /// `POST …/activity`.
    pub async fn report_activity(&self, kind: &str) -> Result<serde_json::Value, InternalApiError> {
        let body = ActivityReport {
            at: Some(chrono::Utc::now()),
            kind: kind.to_string(),
        };
        self.api
            .call(Method::POST, &self.path("activity"), Some(&body))
            .await
    }

    /// `POST /api/internal/auth/introspect`.
    pub async fn introspect(&self, token: &str) -> Result<IntrospectResponse, InternalApiError> {
        self.api
            .call(
                Method::POST,
                "/api/internal/auth/introspect",
                Some(&IntrospectRequest {
                    token: token.to_string(),
                }),
            )
            .await
    }
}
