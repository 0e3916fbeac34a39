//! Prometheus metrics of this process (API.md §5.2): the registry of counters and histograms
//! that live in memory, the HTTP middleware that counts requests by route template, and the
//! writer of the text exposition format (version 0.0.4), written by hand.
//!
//! Owns: request, background-job, expiry, rejection, export-failure and startup-duration
//! families, each seeded at construction with every label combination that depends only on
//! fixed enums, so a scrape never depends on a first event. Does not own: gauges that describe
//! the shared database (instances by status, queue depth, job health) or process figures — the
//! scrape (`crate::ops::scrape`) reads those at scrape time and writes them with [`Exposition`].
//!
//! Counters are per process (each replica is scraped on its own, as Prometheus expects).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// Route label of requests that matched no route (keeps label cardinality bounded).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// Buckets (seconds) of HTTP request latency.
const HTTP_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Buckets (seconds) of background job runs.
const JOB_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
];
/// Buckets (seconds) of instance start-up, creation → running.
const STARTUP_BUCKETS: &[f64] = &[
    1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0,
];

/// Export job error codes (API.md §1.13), the label values of `export_job_failures_total`.
pub const EXPORT_ERROR_CODES: [&str; 7] = [
    "WAREHOUSE_ERROR",
    "STORAGE_ERROR",
    "INVALID_DATA",
    "EXPORT_TIMEOUT",
    "LEASE_EXPIRED",
    "CANCELLED",
    "OTHER",
];
/// Resource types that expire (label values of `lifecycle_deletions_total`).
pub const EXPIRING_RESOURCES: [&str; 3] = ["instance", "snapshot", "mapping"];
/// Concurrency limit types (label values of `concurrency_limit_rejections_total`).
pub const LIMIT_TYPES: [&str; 2] = ["per_analyst", "cluster_total"];

/// Why the lifecycle pass removed a resource (§4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// Its TTL passed.
    Ttl,
    /// Its inactivity timeout passed.
    Inactivity,
}

impl Expiry {
    /// Label value.
    pub fn label(self) -> &'static str {
        match self {
            Expiry::Ttl => "ttl",
            Expiry::Inactivity => "inactivity",
        }
    }
}

/// Text of one scrape in the Prometheus exposition format.
#[derive(Debug, Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// Starts a family: its `# HELP` and `# TYPE` lines.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    /// One sample line.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (key, val)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{key}=\"{}\"", escape_label(val));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", format_value(value));
    }

    /// A single unlabelled gauge family with its value.
    pub fn gauge(&mut self, name: &str, help: &str, value: f64) {
        self.family(name, "gauge", help);
        self.sample(name, &[], value);
    }

    /// The finished text.
    pub fn finish(self) -> String {
        self.text
    }
}

fn escape_label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

fn pairs<'a>(names: &'a [&'a str], values: &'a [String]) -> Vec<(&'a str, &'a str)> {
    names
        .iter()
        .copied()
        .zip(values.iter().map(String::as_str))
        .collect()
}

/// A counter family with fixed label names.
#[derive(Debug)]
struct Counters {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    series: Mutex<BTreeMap<Vec<String>, f64>>,
}

impl Counters {
    fn new(name: &'static str, help: &'static str, labels: &'static [&'static str]) -> Self {
        Self {
            name,
            help,
            labels,
            series: Mutex::new(BTreeMap::new()),
        }
    }

    fn key(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    /// Makes the series exist at 0.
    fn seed(&self, values: &[&str]) {
        self.series
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(Self::key(values))
            .or_insert(0.0);
    }

    fn inc(&self, values: &[&str]) {
        *self
            .series
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(Self::key(values))
            .or_insert(0.0) += 1.0;
    }

    fn render(&self, out: &mut Exposition) {
        out.family(self.name, "counter", self.help);
        for (values, v) in self.series.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            out.sample(self.name, &pairs(self.labels, values), *v);
        }
    }
}

/// Observations of one histogram series.
#[derive(Debug, Clone)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

/// A histogram family with fixed label names and buckets.
#[derive(Debug)]
struct Histograms {
    name: &'static str,
    help: &'static str,
    labels: &'static [&'static str],
    buckets: &'static [f64],
    series: Mutex<BTreeMap<Vec<String>, Histogram>>,
}

impl Histograms {
    fn new(
        name: &'static str,
        help: &'static str,
        labels: &'static [&'static str],
        buckets: &'static [f64],
    ) -> Self {
        Self {
            name,
            help,
            labels,
            buckets,
            series: Mutex::new(BTreeMap::new()),
        }
    }

    fn empty(&self) -> Histogram {
        Histogram {
            counts: vec![0; self.buckets.len()],
            sum: 0.0,
            count: 0,
        }
    }

    fn seed(&self, values: &[&str]) {
        let empty = self.empty();
        self.series
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(Counters::key(values))
            .or_insert(empty);
    }

    fn observe(&self, values: &[&str], seconds: f64) {
        let empty = self.empty();
        let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
        let h = series.entry(Counters::key(values)).or_insert(empty);
        for (i, upper) in self.buckets.iter().enumerate() {
            if seconds <= *upper {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.count += 1;
    }

    fn render(&self, out: &mut Exposition) {
        out.family(self.name, "histogram", self.help);
        let bucket = format!("{}_bucket", self.name);
        for (values, h) in self.series.lock().unwrap_or_else(|p| p.into_inner()).iter() {
            let base = pairs(self.labels, values);
            for (upper, n) in self.buckets.iter().zip(&h.counts) {
                let le = format_value(*upper);
                let mut labels = base.clone();
                labels.push(("le", &le));
                out.sample(&bucket, &labels, *n as f64);
            }
            let mut labels = base.clone();
            labels.push(("le", "+Inf"));
            out.sample(&bucket, &labels, h.count as f64);
            out.sample(&format!("{}_sum", self.name), &base, h.sum);
            out.sample(&format!("{}_count", self.name), &base, h.count as f64);
        }
    }
}

/// The in-process metrics registry, shared through `AppState`.
#[derive(Debug)]
pub struct Metrics {
    http_requests: Counters,
    http_duration: Histograms,
    job_runs: Counters,
    job_duration: Histograms,
    reconciliation_passes: Counters,
    lifecycle_passes: Counters,
    export_reconciliation_passes: Counters,
    ttl_terminated: Counters,
    inactive_terminated: Counters,
    lifecycle_deletions: Counters,
    concurrency_rejections: Counters,
    export_failures: Counters,
    instance_startup: Histograms,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every fixed-enum series present at 0.
    pub fn new() -> Self {
        let m = Metrics {
            http_requests: Counters::new(
                "graph_olap_http_requests_total",
                "HTTP requests served, by method, route template and status",
                &["method", "route", "status"],
            ),
            http_duration: Histograms::new(
                "graph_olap_http_request_duration_seconds",
                "HTTP request latency, by method and route template",
                &["method", "route"],
                HTTP_BUCKETS,
            ),
            job_runs: Counters::new(
                "background_job_execution_total",
                "Background job runs on this replica, by job and outcome",
                &["job_name", "status"],
            ),
            job_duration: Histograms::new(
                "background_job_execution_duration_seconds",
                "Duration of background job runs on this replica",
                &["job_name"],
                JOB_BUCKETS,
            ),
            reconciliation_passes: Counters::new(
                "reconciliation_passes_total",
                "Runs of the reconciliation job on this replica",
                &[],
            ),
            lifecycle_passes: Counters::new(
                "lifecycle_passes_total",
                "Runs of the lifecycle job on this replica",
                &[],
            ),
            export_reconciliation_passes: Counters::new(
                "export_reconciliation_passes_total",
                "Runs of the export_reconciliation job on this replica",
                &[],
            ),
            ttl_terminated: Counters::new(
                "ttl_instances_terminated_total",
                "Instances terminated because their TTL passed",
                &[],
            ),
            inactive_terminated: Counters::new(
                "inactive_instances_terminated_total",
                "Instances terminated because their inactivity timeout passed",
                &[],
            ),
            lifecycle_deletions: Counters::new(
                "lifecycle_deletions_total",
                "Resources removed by the lifecycle job (instances terminated, snapshots and mappings deleted)",
                &["resource_type", "reason"],
            ),
            concurrency_rejections: Counters::new(
                "concurrency_limit_rejections_total",
                "Instance creations refused by a concurrency limit",
                &["limit_type"],
            ),
            export_failures: Counters::new(
                "export_job_failures_total",
                "Export job attempts that ended in failure (retried or final), by error code",
                &["error_code"],
            ),
            instance_startup: Histograms::new(
                "instance_startup_duration_seconds",
                "Time from instance creation to running",
                &[],
                STARTUP_BUCKETS,
            ),
        };
        for job in crate::jobs::Job::ALL {
            for status in ["success", "failed"] {
                m.job_runs.seed(&[job.name(), status]);
            }
            m.job_duration.seed(&[job.name()]);
        }
        for c in [
            &m.reconciliation_passes,
            &m.lifecycle_passes,
            &m.export_reconciliation_passes,
            &m.ttl_terminated,
            &m.inactive_terminated,
        ] {
            c.seed(&[]);
        }
        for resource in EXPIRING_RESOURCES {
            for reason in [Expiry::Ttl, Expiry::Inactivity] {
                m.lifecycle_deletions.seed(&[resource, reason.label()]);
            }
        }
        for limit in LIMIT_TYPES {
            m.concurrency_rejections.seed(&[limit]);
        }
        for code in EXPORT_ERROR_CODES {
            m.export_failures.seed(&[code]);
        }
        m.instance_startup.seed(&[]);
        m
    }

    /// One served HTTP request.
    pub fn record_request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.http_requests
            .inc(&[method, route, &status.to_string()]);
        self.http_duration.observe(&[method, route], seconds);
    }

    /// One finished background job run.
    pub fn record_job_run(&self, job: crate::jobs::Job, succeeded: bool, seconds: f64) {
        use crate::jobs::Job;
        self.job_runs
            .inc(&[job.name(), if succeeded { "success" } else { "failed" }]);
        self.job_duration.observe(&[job.name()], seconds);
        match job {
            Job::Reconciliation => self.reconciliation_passes.inc(&[]),
            Job::Lifecycle => self.lifecycle_passes.inc(&[]),
            Job::ExportReconciliation => self.export_reconciliation_passes.inc(&[]),
            Job::SchemaCache | Job::InstanceOrchestration => {}
        }
    }

    /// An instance terminated by the lifecycle job.
    pub fn record_instance_expired(&self, why: Expiry) {
        match why {
            Expiry::Ttl => self.ttl_terminated.inc(&[]),
            Expiry::Inactivity => self.inactive_terminated.inc(&[]),
        }
        self.lifecycle_deletions.inc(&["instance", why.label()]);
    }

    /// A snapshot or mapping deleted by the lifecycle job.
    pub fn record_lifecycle_deletion(&self, resource_type: &str, why: Expiry) {
        self.lifecycle_deletions.inc(&[resource_type, why.label()]);
    }

    /// An instance creation refused by the `limit_type` limit.
    pub fn record_concurrency_rejection(&self, limit_type: &str) {
        self.concurrency_rejections.inc(&[limit_type]);
    }

    /// An export job attempt that failed with `error_code` (unknown codes count as `OTHER`).
    pub fn record_export_failure(&self, error_code: &str) {
        let code = if EXPORT_ERROR_CODES.contains(&error_code) {
            error_code
        } else {
            "OTHER"
        };
        self.export_failures.inc(&[code]);
    }

    /// An instance that became running `seconds` after it was created.
    pub fn record_instance_startup(&self, seconds: f64) {
        self.instance_startup.observe(&[], seconds.max(0.0));
    }

    /// Writes every in-process family.
    pub fn render(&self, out: &mut Exposition) {
        self.http_requests.render(out);
        self.http_duration.render(out);
        self.job_runs.render(out);
        self.job_duration.render(out);
        for c in [
            &self.reconciliation_passes,
            &self.lifecycle_passes,
            &self.export_reconciliation_passes,
            &self.ttl_terminated,
            &self.inactive_terminated,
            &self.lifecycle_deletions,
            &self.concurrency_rejections,
            &self.export_failures,
        ] {
            c.render(out);
        }
        self.instance_startup.render(out);
    }
}

/// Methods used as label values; anything else is counted as `OTHER`.
const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
];

/// Middleware counting every request by method, route template (never the raw path) and status.
pub async fn http_layer(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let method = METHODS
        .iter()
        .find(|m| **m == request.method().as_str())
        .copied()
        .unwrap_or("OTHER");
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| UNMATCHED_ROUTE.to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.record_request(
        method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_series_render_at_zero_and_histograms_are_cumulative() {
        let m = Metrics::new();
        m.record_instance_startup(7.0);
        m.record_export_failure("NOT_A_CODE");
        let mut out = Exposition::default();
        m.render(&mut out);
        let text = out.finish();
        assert!(
            text.contains(
                "background_job_execution_total{job_name=\"lifecycle\",status=\"failed\"} 0\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("concurrency_limit_rejections_total{limit_type=\"cluster_total\"} 0\n")
        );
        assert!(text.contains("export_job_failures_total{error_code=\"OTHER\"} 1\n"));
        assert!(text.contains("instance_startup_duration_seconds_bucket{le=\"5\"} 0\n"));
        assert!(text.contains("instance_startup_duration_seconds_bucket{le=\"10\"} 1\n"));
        assert!(text.contains("instance_startup_duration_seconds_bucket{le=\"+Inf\"} 1\n"));
        assert!(text.contains("instance_startup_duration_seconds_sum 7\n"));
        assert!(text.contains("# TYPE graph_olap_http_requests_total counter\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = Exposition::default();
        out.sample("x", &[("route", "a\"b\\c\nd")], 1.5);
        assert_eq!(out.finish(), "x{route=\"a\\\"b\\\\c\\nd\"} 1.5\n");
    }
}
