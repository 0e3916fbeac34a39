//! [`Client`]: the export worker's calls to the control plane's internal API (API.md §9.2).
//!
//! Owns the export-job endpoints and their bodies, and what an error answer means to a worker
//! ([`lease_lost`]). Does not own the HTTP side (key header, envelopes, the retry rule of §9.1:
//! `graph_olap_server_kit::internal_api`), nor what the worker does with the answers.

use std::time::Duration;

use graph_olap_api::export::{
    ClaimRequest, ClaimResponse, ClaimedJob, CompleteRequest, ExportJob, FailRequest, HeartbeatAck,
    HeartbeatRequest,
};
use graph_olap_server_kit::RetryPolicy;
use graph_olap_server_kit::internal_api::{CallOptions, InternalApiClient, InternalApiError};
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Whether the answer says this worker no longer holds the job: `409 LEASE_EXPIRED`, a
/// `409 INVALID_STATE` (cancelled or past its deadline) or `404` (deleted).
pub fn lease_lost(error: &InternalApiError) -> bool {
    matches!(error, InternalApiError::Api { status: 404, .. })
        || matches!(error, InternalApiError::Api { status: 409, code, .. } if code == "LEASE_EXPIRED" || code == "INVALID_STATE")
}

/// The internal API client of export workers. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    api: InternalApiClient,
}

impl Client {
    /// A client for the control plane at `base_url` (e.g. `http://127.0.0.1:8080`) using the
    /// internal key `api_key`, with the default retry policy.
    pub fn new(base_url: &str, api_key: &str) -> Self {
        Client {
            api: InternalApiClient::new(reqwest::Client::new(), base_url, api_key),
        }
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.api = self.api.with_retry(retry);
        self
    }

    /// Replaces the timeout of calls other than long-polling claims (default 30 s).
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.api = self.api.with_timeout(timeout);
        self
    }

    /// `POST /api/internal/export-jobs/claim`; long-polls for up to `wait_seconds`.
    pub async fn claim(&self, request: &ClaimRequest) -> Result<Vec<ClaimedJob>, InternalApiError> {
        let timeout = self.api.timeout() + Duration::from_secs(u64::from(request.wait_seconds));
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
    ) -> Result<HeartbeatAck, InternalApiError> {
        self.post(
            &format!("/api/internal/export-jobs/{job_id}/heartbeat"),
            request,
            self.api.timeout(),
        )
        .await
    }

    /// `POST /api/internal/export-jobs/{id}/complete`.
    pub async fn complete(
        &self,
        job_id: i64,
        request: &CompleteRequest,
    ) -> Result<ExportJob, InternalApiError> {
        self.post(
            &format!("/api/internal/export-jobs/{job_id}/complete"),
            request,
            self.api.timeout(),
        )
        .await
    }

    /// `POST /api/internal/export-jobs/{id}/fail`.
    pub async fn fail(
        &self,
        job_id: i64,
        request: &FailRequest,
    ) -> Result<ExportJob, InternalApiError> {
        self.post(
            &format!("/api/internal/export-jobs/{job_id}/fail"),
            request,
            self.api.timeout(),
        )
        .await
    }

    /// `GET /api/internal/export-jobs/{id}`.
    pub async fn get(&self, job_id: i64) -> Result<ExportJob, InternalApiError> {
        let path = format!("/api/internal/export-jobs/{job_id}");
        self.api.call(Method::GET, &path, None::<&()>).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        timeout: Duration,
    ) -> Result<T, InternalApiError> {
        let options = CallOptions {
            timeout: Some(timeout),
            retry: None,
        };
        self.api
            .call_with(Method::POST, path, Some(body), options)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lease_loss_and_transience() {
        let api = |status, code: &str| InternalApiError::Api {
            status,
            code: code.into(),
            message: String::new(),
            reason: None,
        };
        assert!(lease_lost(&api(409, "LEASE_EXPIRED")));
        assert!(lease_lost(&api(409, "INVALID_STATE")));
        assert!(lease_lost(&api(404, "NOT_FOUND")));
        assert!(!lease_lost(&api(400, "VALIDATION_FAILED")));
        assert!(api(503, "SERVICE_UNAVAILABLE").is_transient());
        assert!(!api(409, "LEASE_EXPIRED").is_transient());
        assert!(InternalApiError::Transport("refused".into()).is_transient());
    }
}
