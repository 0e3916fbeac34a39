//! One `/metrics` scrape (API.md §5.2): the in-process families of [`crate::ops::metrics`], gauges
//! read from the shared database at scrape time (instances, snapshots and export jobs by status,
//! the export queue depth, background-job health, maintenance mode) and the `process_*` figures.
//!
//! When the database cannot be read, the database gauges are left without samples and
//! `graph_olap_database_up` is 0, so the scrape still succeeds and says what is wrong.

use std::collections::BTreeMap;

use graph_olap_api::export::ExportJobStatus;
use graph_olap_api::instance::WRAPPER_TYPES;
use graph_olap_api::{InstanceStatus, SnapshotStatus};
use graph_olap_server_kit::error::ApiError;
use graph_olap_store::jobs::{self, JobState};
use graph_olap_store::stats::{self, StatusTable};

use crate::jobs::Job;
use crate::ops::metrics::Exposition;
use crate::state::AppState;

/// The database figures of a scrape.
struct DatabaseGauges {
    instances: BTreeMap<String, i64>,
    snapshots: BTreeMap<String, i64>,
    export_jobs: BTreeMap<String, i64>,
    engines: BTreeMap<String, i64>,
    jobs: Vec<JobState>,
    maintenance: bool,
}

async fn read_database(state: &AppState) -> Result<DatabaseGauges, ApiError> {
    let mut conn = state.store.read().await?;
    Ok(DatabaseGauges {
        instances: stats::count_by_status(&mut conn, StatusTable::Instances).await?,
        snapshots: stats::count_by_status(&mut conn, StatusTable::Snapshots).await?,
        export_jobs: stats::count_by_status(&mut conn, StatusTable::ExportJobs).await?,
        engines: stats::instances_by_wrapper_type(&mut conn).await?,
        jobs: jobs::all(&mut conn).await?,
        maintenance: crate::services::platform_config::maintenance(&mut conn)
            .await?
            .value
            .enabled,
    })
}

fn by_status(
    out: &mut Exposition,
    name: &str,
    help: &str,
    statuses: &[&str],
    counts: Option<&BTreeMap<String, i64>>,
) {
    out.family(name, "gauge", help);
    let Some(counts) = counts else { return };
    for s in statuses {
        out.sample(
            name,
            &[("status", s)],
            counts.get(*s).copied().unwrap_or(0) as f64,
        );
    }
}

fn job_gauges(out: &mut Exposition, jobs: Option<&[JobState]>) {
    let find = |job: Job| jobs.and_then(|all| all.iter().find(|s| s.name == job.name()));
    out.family(
        "background_job_last_success_timestamp_seconds",
        "gauge",
        "End of the last successful run of each job (0 = never), from the database",
    );
    if jobs.is_some() {
        for job in Job::ALL {
            let at = find(job)
                .and_then(|s| s.last_success_at)
                .map(|t| t.timestamp_millis() as f64 / 1000.0)
                .unwrap_or(0.0);
            out.sample(
                "background_job_last_success_timestamp_seconds",
                &[("job_name", job.name())],
                at,
            );
        }
    }
    out.family(
        "background_job_health_status",
        "gauge",
        "1 while a job is healthy, 0 after 3 or more consecutive failures",
    );
    if jobs.is_some() {
        for job in Job::ALL {
            let failures = find(job).map(|s| s.consecutive_failures).unwrap_or(0);
            out.sample(
                "background_job_health_status",
                &[("job_name", job.name())],
                if failures >= crate::jobs::UNHEALTHY_AFTER {
                    0.0
                } else {
                    1.0
                },
            );
        }
    }
}

fn process_metrics(out: &mut Exposition) {
    let Some(p) = graph_olap_server_kit::procfs::self_stats() else {
        return;
    };
    out.family(
        "process_cpu_seconds_total",
        "counter",
        "User and system CPU time spent, in seconds",
    );
    out.sample("process_cpu_seconds_total", &[], p.cpu_seconds);
    out.gauge(
        "process_resident_memory_bytes",
        "Resident memory size in bytes",
        p.resident_memory_bytes as f64,
    );
    out.gauge(
        "process_virtual_memory_bytes",
        "Virtual memory size in bytes",
        p.virtual_memory_bytes as f64,
    );
    out.gauge(
        "process_open_fds",
        "Open file descriptors",
        p.open_fds as f64,
    );
    if let Some(max) = p.max_fds {
        out.gauge(
            "process_max_fds",
            "Maximum number of open file descriptors",
            max as f64,
        );
    }
    out.gauge(
        "process_start_time_seconds",
        "Start time of the process since the Unix epoch, in seconds",
        p.start_time_seconds,
    );
    out.gauge(
        "process_threads",
        "OS threads of the process",
        p.threads as f64,
    );
}

/// Renders a complete scrape.
pub async fn render(state: &AppState) -> String {
    let db = match read_database(state).await {
        Ok(db) => Some(db),
        Err(e) => {
            tracing::warn!(error = %e.message, "metrics scrape could not read the database");
            None
        }
    };
    let mut out = Exposition::default();
    state.metrics.render(&mut out);
    out.gauge(
        "graph_olap_database_up",
        "1 when this scrape could read the metadata database",
        if db.is_some() { 1.0 } else { 0.0 },
    );
    by_status(
        &mut out,
        "instances_by_status_total",
        "Instances per status, from the database",
        &InstanceStatus::names(),
        db.as_ref().map(|d| &d.instances),
    );
    by_status(
        &mut out,
        "snapshots_by_status_total",
        "Snapshots per status, from the database",
        &SnapshotStatus::names(),
        db.as_ref().map(|d| &d.snapshots),
    );
    by_status(
        &mut out,
        "export_jobs_by_status_total",
        "Export jobs per status, from the database",
        &ExportJobStatus::names(),
        db.as_ref().map(|d| &d.export_jobs),
    );
    let engines = "instances_by_wrapper_type_total";
    out.family(
        engines,
        "gauge",
        "Instances not terminated per engine (wrapper_type), from the database",
    );
    if let Some(d) = &db {
        for engine in WRAPPER_TYPES {
            let n = d.engines.get(engine).copied().unwrap_or(0);
            out.sample(engines, &[("wrapper_type", engine)], n as f64);
        }
    }
    out.family(
        "graph_olap_export_queue_depth",
        "gauge",
        "Export jobs waiting to be claimed (pending)",
    );
    if let Some(d) = &db {
        out.sample(
            "graph_olap_export_queue_depth",
            &[],
            d.export_jobs.get("pending").copied().unwrap_or(0) as f64,
        );
    }
    job_gauges(&mut out, db.as_ref().map(|d| d.jobs.as_slice()));
    out.family(
        "maintenance_mode_enabled",
        "gauge",
        "1 while maintenance mode blocks new instances",
    );
    if let Some(d) = &db {
        out.sample(
            "maintenance_mode_enabled",
            &[],
            if d.maintenance { 1.0 } else { 0.0 },
        );
    }
    process_metrics(&mut out);
    out.finish()
}
