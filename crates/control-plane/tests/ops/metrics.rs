//! `/metrics` (API.md §5.2): access, every family, request labels, database gauges, job and
//! export counters, startup durations and lifecycle expiries; the instance reports behind them.

use std::sync::Arc;

use graph_olap_control_plane::jobs::{self, Job};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{ALICE, BOB, CAROL, DAVE, Db, Env, KEY};
use crate::{JOB_NAMES, assert_invalid, prestaged_node, ready_server, report_running, value};

crate::on_both_databases!(
    metrics_are_ops_only_and_every_family_is_present,
    request_metrics_are_labelled_by_route_template,
    database_gauges_views_and_rejections_follow_the_platform,
    job_runs_export_failures_and_startup_durations_are_counted,
    failure_reports_accept_every_documented_instance_error_code,
    a_running_report_stores_the_progress_it_carries,
    lifecycle_expiries_are_counted_by_reason,
);

/// Every family of §5.2 with its type.
const FAMILIES: [(&str, &str); 25] = [
    ("graph_olap_http_requests_total", "counter"),
    ("graph_olap_http_request_duration_seconds", "histogram"),
    ("instances_by_status_total", "gauge"),
    ("snapshots_by_status_total", "gauge"),
    ("export_jobs_by_status_total", "gauge"),
    ("instances_by_wrapper_type_total", "gauge"),
    ("graph_olap_export_queue_depth", "gauge"),
    ("background_job_execution_total", "counter"),
    ("background_job_execution_duration_seconds", "histogram"),
    ("background_job_last_success_timestamp_seconds", "gauge"),
    ("background_job_health_status", "gauge"),
    ("reconciliation_passes_total", "counter"),
    ("lifecycle_passes_total", "counter"),
    ("export_reconciliation_passes_total", "counter"),
    ("ttl_instances_terminated_total", "counter"),
    ("inactive_instances_terminated_total", "counter"),
    ("lifecycle_deletions_total", "counter"),
    ("concurrency_limit_rejections_total", "counter"),
    ("maintenance_mode_enabled", "gauge"),
    ("export_job_failures_total", "counter"),
    ("instance_startup_duration_seconds", "histogram"),
    ("process_cpu_seconds_total", "counter"),
    ("process_resident_memory_bytes", "gauge"),
    ("process_open_fds", "gauge"),
    ("process_start_time_seconds", "gauge"),
];

async fn metrics_are_ops_only_and_every_family_is_present(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    for user in [ALICE, CAROL] {
        let r = s.send(Method::GET, "/metrics", Some(user), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{user}: {}", r.body);
        assert_eq!(r.body["error"]["details"]["required_roles"], json!(["ops"]));
    }
    let anonymous = s.send(Method::GET, "/metrics", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let scraper = s
        .client
        .get(format!("{}/metrics", s.url))
        .header("X-Internal-Api-Key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(
        scraper.status(),
        StatusCode::OK,
        "the internal key may scrape"
    );

    let r = s.send(Method::GET, "/metrics", Some(DAVE), None).await;
    assert_eq!(
        r.headers["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = r.body.as_str().unwrap();
    for (family, kind) in FAMILIES {
        assert!(
            text.contains(&format!("# TYPE {family} {kind}\n")),
            "{family} ({kind}) missing:\n{text}"
        );
    }
    // Fixed-enum label combinations exist from start-up, at 0, before any job ran.
    for job in JOB_NAMES {
        for status in ["success", "failed"] {
            assert_eq!(
                value(
                    text,
                    &format!(
                        "background_job_execution_total{{job_name=\"{job}\",status=\"{status}\"}}"
                    )
                ),
                0.0
            );
        }
        assert_eq!(
            value(
                text,
                &format!("background_job_execution_duration_seconds_count{{job_name=\"{job}\"}}")
            ),
            0.0
        );
        assert_eq!(
            value(
                text,
                &format!("background_job_last_success_timestamp_seconds{{job_name=\"{job}\"}}")
            ),
            0.0
        );
        assert_eq!(
            value(
                text,
                &format!("background_job_health_status{{job_name=\"{job}\"}}")
            ),
            1.0
        );
    }
    for resource in ["instance", "snapshot", "mapping"] {
        for reason in ["ttl", "inactivity"] {
            assert_eq!(
                value(
                    text,
                    &format!(
                        "lifecycle_deletions_total{{resource_type=\"{resource}\",reason=\"{reason}\"}}"
                    )
                ),
                0.0
            );
        }
    }
    for limit in ["per_analyst", "cluster_total"] {
        assert_eq!(
            value(
                text,
                &format!("concurrency_limit_rejections_total{{limit_type=\"{limit}\"}}")
            ),
            0.0
        );
    }
    for code in [
        "WAREHOUSE_ERROR",
        "STORAGE_ERROR",
        "INVALID_DATA",
        "EXPORT_TIMEOUT",
        "LEASE_EXPIRED",
        "CANCELLED",
        "OTHER",
    ] {
        assert_eq!(
            value(
                text,
                &format!("export_job_failures_total{{error_code=\"{code}\"}}")
            ),
            0.0
        );
    }
    for status in [
        "waiting_for_snapshot",
        "starting",
        "running",
        "stopping",
        "failed",
        "terminated",
    ] {
        assert_eq!(
            value(
                text,
                &format!("instances_by_status_total{{status=\"{status}\"}}")
            ),
            0.0
        );
    }
    for status in ["pending", "creating", "ready", "failed", "cancelled"] {
        assert_eq!(
            value(
                text,
                &format!("snapshots_by_status_total{{status=\"{status}\"}}")
            ),
            0.0
        );
    }
    for status in ["pending", "claimed", "completed", "failed", "cancelled"] {
        assert_eq!(
            value(
                text,
                &format!("export_jobs_by_status_total{{status=\"{status}\"}}")
            ),
            0.0
        );
    }
    for series in [
        "reconciliation_passes_total",
        "lifecycle_passes_total",
        "export_reconciliation_passes_total",
        "ttl_instances_terminated_total",
        "inactive_instances_terminated_total",
        "graph_olap_export_queue_depth",
        "maintenance_mode_enabled",
        "instance_startup_duration_seconds_count",
    ] {
        assert_eq!(value(text, series), 0.0, "{series}");
    }
    assert_eq!(value(text, "graph_olap_database_up"), 1.0);
    assert!(value(text, "process_resident_memory_bytes") > 1e6);
    assert!(value(text, "process_open_fds") >= 3.0);
    assert!(value(text, "process_cpu_seconds_total") > 0.0);
    let started = value(text, "process_start_time_seconds");
    assert!(started > 1.6e9 && started <= chrono::Utc::now().timestamp() as f64 + 1.0);

    // GRAPH_OLAP_METRICS_PUBLIC=true opens the scrape to anonymous callers.
    let public = env
        .replica_with(|settings| settings.metrics_public = true, None)
        .await;
    let anonymous = public.send(Method::GET, "/metrics", None, None).await;
    assert_eq!(anonymous.status, StatusCode::OK);
    assert!(
        anonymous
            .body
            .as_str()
            .unwrap()
            .contains("# TYPE graph_olap_http_requests_total counter")
    );
}

async fn request_metrics_are_labelled_by_route_template(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let id = s.prestaged_mapping(ALICE, "routes").await;
    for _ in 0..2 {
        s.data(Method::GET, &format!("/api/mappings/{id}"), ALICE, None)
            .await;
    }
    let (status, _) = s.call(Method::GET, "/api/no/such/route", ALICE, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s.call(Method::GET, "/api/mappings/", BOB, None).await;
    assert_eq!(status, StatusCode::OK);
    let text = s.scrape().await;
    assert_eq!(
        value(
            &text,
            "graph_olap_http_requests_total{method=\"GET\",route=\"/api/mappings/{mapping_id}\",status=\"200\"}"
        ),
        2.0
    );
    assert_eq!(
        value(
            &text,
            "graph_olap_http_requests_total{method=\"POST\",route=\"/api/mappings\",status=\"201\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "graph_olap_http_requests_total{method=\"GET\",route=\"/api/mappings\",status=\"200\"}"
        ),
        1.0,
        "the trailing slash is normalised"
    );
    assert_eq!(
        value(
            &text,
            "graph_olap_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "graph_olap_http_request_duration_seconds_count{method=\"GET\",route=\"/api/mappings/{mapping_id}\"}"
        ),
        2.0
    );
    assert_eq!(
        value(
            &text,
            "graph_olap_http_request_duration_seconds_bucket{method=\"GET\",route=\"/api/mappings/{mapping_id}\",le=\"+Inf\"}"
        ),
        2.0
    );
    assert!(
        !text.contains(&format!("/api/mappings/{id}\"")),
        "raw paths never become labels"
    );
    assert!(!text.contains("/api/no/such/route"));
    // The scrape itself is counted by the next scrape.
    let again = s.scrape().await;
    assert_eq!(
        value(
            &again,
            "graph_olap_http_requests_total{method=\"GET\",route=\"/metrics\",status=\"200\"}"
        ),
        1.0
    );
}

async fn database_gauges_views_and_rejections_follow_the_platform(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let tutorial = s.tutorial_mapping(ALICE).await;
    let staged = s.prestaged_mapping(ALICE, "staged").await;
    let waiting = s.instance(ALICE, tutorial, json!({})).await;
    assert_eq!(waiting["status"], "waiting_for_snapshot");
    let starting = s
        .instance(ALICE, staged, json!({"name": "staged-graph"}))
        .await;
    assert_eq!(starting["status"], "starting");
    s.instance(
        BOB,
        staged,
        json!({"name": "bob-graph", "wrapper_type": "falkordb"}),
    )
    .await;

    // Concurrency: lower alice's limit to her usage; the next creation is refused and counted.
    s.data(
        Method::PUT,
        "/api/config/concurrency",
        DAVE,
        Some(json!({"per_analyst": 2})),
    )
    .await;
    let (status, refused) = s
        .call(
            Method::POST,
            "/api/instances/from-mapping",
            ALICE,
            Some(json!({"mapping_id": staged, "name": "third"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{refused}");
    assert_eq!(refused["error"]["code"], "CONCURRENCY_LIMIT_EXCEEDED");
    assert_eq!(refused["error"]["details"]["limit_type"], "per_analyst");
    assert_eq!(refused["error"]["details"]["current_count"], 2);
    assert_eq!(refused["error"]["details"]["max_allowed"], 2);
    s.data(
        Method::PUT,
        "/api/config/concurrency",
        DAVE,
        Some(json!({"per_analyst": 3, "cluster_total": 3})),
    )
    .await;
    let (status, refused) = s
        .call(
            Method::POST,
            "/api/instances/from-mapping",
            BOB,
            Some(json!({"mapping_id": staged, "name": "fourth"})),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["details"]["limit_type"].clone()),
        (StatusCode::CONFLICT, json!("cluster_total"))
    );
    s.data(
        Method::PUT,
        "/api/config/maintenance",
        DAVE,
        Some(json!({"enabled": true, "message": "upgrade"})),
    )
    .await;

    let text = s.scrape().await;
    assert_eq!(
        value(
            &text,
            "concurrency_limit_rejections_total{limit_type=\"per_analyst\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "concurrency_limit_rejections_total{limit_type=\"cluster_total\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "instances_by_status_total{status=\"waiting_for_snapshot\"}"
        ),
        1.0
    );
    assert_eq!(
        value(&text, "instances_by_status_total{status=\"starting\"}"),
        2.0
    );
    assert_eq!(
        value(&text, "instances_by_status_total{status=\"running\"}"),
        0.0
    );
    for (engine, count) in [("ryugraph", 2.0), ("falkordb", 1.0)] {
        let sample = format!("instances_by_wrapper_type_total{{wrapper_type=\"{engine}\"}}");
        assert_eq!(value(&text, &sample), count, "{sample}");
    }
    assert_eq!(
        value(&text, "snapshots_by_status_total{status=\"pending\"}"),
        1.0
    );
    assert_eq!(
        value(&text, "snapshots_by_status_total{status=\"ready\"}"),
        2.0
    );
    assert_eq!(
        value(&text, "export_jobs_by_status_total{status=\"pending\"}"),
        2.0,
        "one job per node label and edge type"
    );
    assert_eq!(value(&text, "graph_olap_export_queue_depth"), 2.0);
    assert_eq!(value(&text, "maintenance_mode_enabled"), 1.0);

    // The same picture through the ops views.
    let cluster = s
        .data(Method::GET, "/api/cluster/instances", DAVE, None)
        .await;
    assert_eq!(cluster["total"], 3);
    assert_eq!(
        cluster["by_status"],
        json!({"failed": 0, "running": 0, "starting": 2, "stopping": 0, "terminated": 0, "waiting_for_snapshot": 1})
    );
    assert_eq!(
        cluster["by_owner"],
        json!([{"owner_username": ALICE, "count": 2}, {"owner_username": BOB, "count": 1}])
    );
    assert_eq!(
        cluster["by_wrapper_type"],
        json!({"falkordb": 1, "ryugraph": 2})
    );
    assert_eq!(
        cluster["limits"],
        json!({"per_analyst": 3, "cluster_total": 3, "cluster_used": 3, "cluster_available": 0})
    );
    let state = s.data(Method::GET, "/api/ops/state", DAVE, None).await;
    assert_eq!(state["instances"]["total"], 3);
    assert_eq!(
        state["instances"]["without_pod_name"], 2,
        "starting instances that no runtime hosts"
    );
    assert_eq!(state["instances"]["by_status"]["starting"], 2);
    assert_eq!(
        state["snapshots"],
        json!({"total": 3, "by_status": {"cancelled": 0, "creating": 0, "failed": 0, "pending": 1, "ready": 2}})
    );
    assert_eq!(
        state["export_jobs"],
        json!({"total": 2, "by_status": {"cancelled": 0, "claimed": 0, "completed": 0, "failed": 0, "pending": 2}})
    );
    assert_eq!(
        state["exports"], state["export_jobs"],
        "the alias seed 000 reads"
    );
    assert_eq!(state["maintenance"], json!({"enabled": true}));

    // Terminating moves the gauges at the next scrape (they are read from the database).
    s.data(
        Method::POST,
        &format!("/api/instances/{}/terminate", waiting["id"]),
        ALICE,
        None,
    )
    .await;
    let text = s.scrape().await;
    assert_eq!(
        value(&text, "instances_by_status_total{status=\"terminated\"}"),
        1.0
    );
    assert_eq!(
        value(&text, "snapshots_by_status_total{status=\"cancelled\"}"),
        1.0,
        "its snapshot lost its last waiting instance"
    );
    assert_eq!(value(&text, "graph_olap_export_queue_depth"), 0.0);
    for user in [ALICE, CAROL] {
        for path in [
            "/api/cluster/instances",
            "/api/ops/state",
            "/api/cluster/health",
        ] {
            let (status, body) = s.call(Method::GET, path, user, None).await;
            assert_eq!(
                (status, body["error"]["code"].clone()),
                (StatusCode::FORBIDDEN, json!("PERMISSION_DENIED")),
                "{user} {path}"
            );
        }
    }
}

async fn job_runs_export_failures_and_startup_durations_are_counted(db: Db) {
    let env = Env::new(db).await;
    let runtime_dir = env.dir.path().join("runtime");
    let runtime = Arc::new(
        graph_olap_runtime::LocalProcessRuntime::new(graph_olap_runtime::LocalRuntimeConfig::new(
            "/bin/true",
            &runtime_dir,
        ))
        .unwrap(),
    );
    let s = env.replica_with(|_| {}, Some(runtime)).await;
    for job in [
        Job::Lifecycle,
        Job::Reconciliation,
        Job::ExportReconciliation,
    ] {
        assert!(jobs::run_recorded(&s.state, job).await.unwrap());
    }
    let text = s.scrape().await;
    for (job, passes) in [
        ("lifecycle", "lifecycle_passes_total"),
        ("reconciliation", "reconciliation_passes_total"),
        (
            "export_reconciliation",
            "export_reconciliation_passes_total",
        ),
    ] {
        assert_eq!(
            value(
                &text,
                &format!("background_job_execution_total{{job_name=\"{job}\",status=\"success\"}}")
            ),
            1.0,
            "{job}"
        );
        assert_eq!(
            value(
                &text,
                &format!("background_job_execution_duration_seconds_count{{job_name=\"{job}\"}}")
            ),
            1.0
        );
        assert_eq!(value(&text, passes), 1.0);
        let at = value(
            &text,
            &format!("background_job_last_success_timestamp_seconds{{job_name=\"{job}\"}}"),
        );
        assert_eq!(
            at,
            s.state.now().timestamp_millis() as f64 / 1000.0,
            "the database's last success, on the injected clock"
        );
    }
    assert_eq!(
        value(
            &text,
            "background_job_execution_total{job_name=\"schema_cache\",status=\"success\"}"
        ),
        0.0
    );

    // Three failed reconciliations (the runtime lost its unit directory) make the job unhealthy.
    std::fs::remove_dir_all(runtime_dir.join("units")).unwrap();
    for _ in 0..3 {
        assert!(
            jobs::run_recorded(&s.state, Job::Reconciliation)
                .await
                .unwrap()
        );
    }
    let text = s.scrape().await;
    assert_eq!(
        value(
            &text,
            "background_job_execution_total{job_name=\"reconciliation\",status=\"failed\"}"
        ),
        3.0
    );
    assert_eq!(
        value(
            &text,
            "background_job_health_status{job_name=\"reconciliation\"}"
        ),
        0.0
    );
    assert_eq!(
        value(
            &text,
            "background_job_health_status{job_name=\"lifecycle\"}"
        ),
        1.0
    );
    assert_eq!(value(&text, "reconciliation_passes_total"), 4.0);
    let status = s
        .data(Method::GET, "/api/ops/jobs/status", DAVE, None)
        .await;
    let reconciliation = &status["jobs"][0];
    assert_eq!(reconciliation["name"], "reconciliation");
    assert_eq!(
        (
            reconciliation["consecutive_failures"].clone(),
            reconciliation["health_status"].clone()
        ),
        (json!(3), json!("unhealthy"))
    );
    assert!(
        reconciliation["last_error"]
            .as_str()
            .unwrap()
            .contains("runtime"),
        "{reconciliation}"
    );
    assert_eq!(status["jobs"][1]["health_status"], "healthy");
    assert_eq!(
        status["jobs"][3]["health_status"], "unknown",
        "schema_cache never ran here"
    );

    // Export failures are counted by error code: a retried attempt, then a final one.
    let tutorial = s.tutorial_mapping(ALICE).await;
    s.instance(ALICE, tutorial, json!({})).await;
    let claim = json!({"worker_id": "w-1", "limit": 1});
    let (_, claimed) = s
        .internal(
            Method::POST,
            "/api/internal/export-jobs/claim",
            claim.clone(),
        )
        .await;
    let job = &claimed["data"]["jobs"][0];
    let fail = json!({"lease_token": job["lease_token"], "error_code": "WAREHOUSE_ERROR", "error_message": "warehouse went away", "retryable": true});
    let (status, _) = s
        .internal(
            Method::POST,
            &format!("/api/internal/export-jobs/{}/fail", job["id"]),
            fail,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    s.advance(chrono::Duration::seconds(11));
    let (_, claimed) = s
        .internal(Method::POST, "/api/internal/export-jobs/claim", claim)
        .await;
    let job = &claimed["data"]["jobs"][0];
    let fail = json!({"lease_token": job["lease_token"], "error_code": "INVALID_DATA", "error_message": "null key", "retryable": false});
    s.internal(
        Method::POST,
        &format!("/api/internal/export-jobs/{}/fail", job["id"]),
        fail,
    )
    .await;
    let text = s.scrape().await;
    assert_eq!(
        value(
            &text,
            "export_job_failures_total{error_code=\"WAREHOUSE_ERROR\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "export_job_failures_total{error_code=\"INVALID_DATA\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "export_job_failures_total{error_code=\"LEASE_EXPIRED\"}"
        ),
        0.0
    );
    assert_eq!(
        value(&text, "export_jobs_by_status_total{status=\"failed\"}"),
        1.0
    );
    assert_eq!(
        value(&text, "export_jobs_by_status_total{status=\"cancelled\"}"),
        1.0,
        "the sibling job is cancelled"
    );

    // Start-up duration: creation → running, on the injected clock.
    let staged = s.prestaged_mapping(ALICE, "staged").await;
    let inst = s.instance(ALICE, staged, json!({})).await;
    s.advance(chrono::Duration::seconds(42));
    report_running(&s, inst["id"].as_i64().unwrap(), &ready_server().await).await;
    let text = s.scrape().await;
    assert_eq!(value(&text, "instance_startup_duration_seconds_count"), 1.0);
    assert_eq!(value(&text, "instance_startup_duration_seconds_sum"), 42.0);
    assert_eq!(
        value(&text, "instance_startup_duration_seconds_bucket{le=\"30\"}"),
        0.0
    );
    assert_eq!(
        value(&text, "instance_startup_duration_seconds_bucket{le=\"60\"}"),
        1.0
    );
    assert_eq!(
        value(&text, "instances_by_status_total{status=\"running\"}"),
        1.0
    );
}

/// Every instance error code of API.md §1.13 is accepted in a `failed` report and stored;
/// anything else is refused and changes nothing (an instance server reporting `DATABASE_ERROR`
/// or `STARTUP_FAILED` must not be answered with 400).
async fn failure_reports_accept_every_documented_instance_error_code(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let staged = s.prestaged_mapping(ALICE, "failing").await;
    for code in graph_olap_api::InstanceErrorCode::ALL {
        let inst = s
            .instance(ALICE, staged, json!({"name": format!("fails-{code}")}))
            .await;
        let id = inst["id"].as_i64().unwrap();
        let path = format!("/api/internal/instances/{id}/status");
        let (status, body) = s
            .internal(
                Method::PATCH,
                &path,
                json!({"status": "failed", "error_code": "NOT_A_CODE", "error_message": "x"}),
            )
            .await;
        assert_invalid(status, &body, "error_code", "enum");
        let unchanged = s
            .data(Method::GET, &format!("/api/instances/{id}"), ALICE, None)
            .await;
        assert_eq!(unchanged["status"], "starting", "{unchanged}");
        let report = json!({"status": "failed", "error_code": code.as_str(), "error_message": "engine stopped"});
        let (status, body) = s.internal(Method::PATCH, &path, report).await;
        assert_eq!(status, StatusCode::OK, "{code}: {body}");
        let failed = s
            .data(Method::GET, &format!("/api/instances/{id}"), ALICE, None)
            .await;
        assert_eq!(failed["status"], "failed", "{failed}");
        assert_eq!(failed["error_code"], code.as_str(), "{failed}");
    }
}

/// An instance sends its final progress with its `running` report: a malformed one is refused
/// field by field and changes nothing; a valid one is stored with the status.
async fn a_running_report_stores_the_progress_it_carries(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let staged = s.prestaged_mapping(ALICE, "reported").await;
    let id = s.instance(ALICE, staged, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/internal/instances/{id}/status");
    let ready = ready_server().await;
    let step = |name: &str, status: &str, rows: Option<u64>| json!({"name": name, "status": status, "type": rows.map(|_| "node"), "row_count": rows});
    let bad = json!({"status": "running", "internal_url": ready, "progress": {
        "phase": "almost", "steps": [step("", "done", None)],
        "current_step": null, "estimated_remaining_seconds": null}});
    let (status, body) = s.internal(Method::PATCH, &path, bad).await;
    assert_invalid(status, &body, "progress.phase", "enum");
    assert_invalid(status, &body, "progress.steps[0].name", "length");
    assert_invalid(status, &body, "progress.steps[0].status", "enum");
    let unchanged = s
        .data(Method::GET, &format!("/api/instances/{id}"), ALICE, None)
        .await;
    assert_eq!(unchanged["status"], "starting", "{unchanged}");

    let good = json!({"status": "running", "internal_url": ready, "progress": {
        "phase": "ready",
        "steps": [step("download", "completed", None), step("load:Customer", "completed", Some(7))],
        "current_step": null, "estimated_remaining_seconds": null}});
    let (status, body) = s.internal(Method::PATCH, &path, good).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "running", "{body}");
    let progress = s
        .data(
            Method::GET,
            &format!("/api/instances/{id}/progress"),
            ALICE,
            None,
        )
        .await;
    let reported: Vec<(String, String, Option<u64>)> = progress["steps"]
        .as_array()
        .unwrap()
        .iter()
        .skip(2)
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
                s["row_count"].as_u64(),
            )
        })
        .collect();
    assert_eq!(
        reported,
        [
            ("download".to_string(), "completed".to_string(), None),
            (
                "load:Customer".to_string(),
                "completed".to_string(),
                Some(7)
            ),
        ],
        "{progress}"
    );
}

async fn lifecycle_expiries_are_counted_by_reason(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let staged = s.prestaged_mapping(ALICE, "kept").await;
    let short = s
        .instance(ALICE, staged, json!({"name": "short", "ttl": "PT1H"}))
        .await;
    let idle = s
        .instance(
            ALICE,
            staged,
            json!({"name": "idle", "ttl": "P1D", "inactivity_timeout": "PT30M"}),
        )
        .await;
    report_running(&s, idle["id"].as_i64().unwrap(), &ready_server().await).await;
    let doomed = s
        .mapping(
            ALICE,
            json!({"name": "doomed", "ttl": "PT2H", "node_definitions": [prestaged_node()]}),
        )
        .await;
    let quiet = s.mapping(ALICE, json!({"name": "quiet", "inactivity_timeout": "P1D", "node_definitions": [prestaged_node()]})).await;
    let lifecycle = async || {
        assert!(jobs::run_recorded(&s.state, Job::Lifecycle).await.unwrap());
        s.scrape().await
    };

    s.advance(chrono::Duration::minutes(31));
    let text = lifecycle().await;
    assert_eq!(value(&text, "inactive_instances_terminated_total"), 1.0);
    assert_eq!(value(&text, "ttl_instances_terminated_total"), 0.0);
    assert_eq!(
        value(
            &text,
            "lifecycle_deletions_total{resource_type=\"instance\",reason=\"inactivity\"}"
        ),
        1.0
    );
    let idle_now = s
        .data(
            Method::GET,
            &format!("/api/instances/{}", idle["id"]),
            ALICE,
            None,
        )
        .await;
    assert_eq!(
        (
            idle_now["status"].clone(),
            idle_now["termination_reason"].clone()
        ),
        (json!("stopping"), json!("inactivity_timeout"))
    );

    s.advance(chrono::Duration::minutes(30));
    let text = lifecycle().await;
    assert_eq!(value(&text, "ttl_instances_terminated_total"), 1.0);
    assert_eq!(
        value(
            &text,
            "lifecycle_deletions_total{resource_type=\"instance\",reason=\"ttl\"}"
        ),
        1.0
    );
    let short_now = s
        .data(
            Method::GET,
            &format!("/api/instances/{}", short["id"]),
            ALICE,
            None,
        )
        .await;
    assert_eq!(short_now["termination_reason"], "ttl_expired");
    assert_eq!(
        value(
            &text,
            "lifecycle_deletions_total{resource_type=\"mapping\",reason=\"ttl\"}"
        ),
        0.0,
        "not yet"
    );

    s.advance(chrono::Duration::minutes(60));
    let text = lifecycle().await;
    assert_eq!(
        value(
            &text,
            "lifecycle_deletions_total{resource_type=\"mapping\",reason=\"ttl\"}"
        ),
        1.0
    );
    let (status, _) = s
        .call(Method::GET, &format!("/api/mappings/{doomed}"), ALICE, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Snapshots idle for their default inactivity (P3D) go once no active instance uses them;
    // the mapping idle for its P1D goes too; the mapping without a lifecycle stays.
    s.advance(chrono::Duration::days(3));
    let text = lifecycle().await;
    assert_eq!(
        value(
            &text,
            "lifecycle_deletions_total{resource_type=\"snapshot\",reason=\"inactivity\"}"
        ),
        2.0
    );
    assert_eq!(
        value(
            &text,
            "lifecycle_deletions_total{resource_type=\"mapping\",reason=\"inactivity\"}"
        ),
        1.0
    );
    assert_eq!(
        value(
            &text,
            "lifecycle_deletions_total{resource_type=\"snapshot\",reason=\"ttl\"}"
        ),
        0.0
    );
    assert_eq!(value(&text, "lifecycle_passes_total"), 4.0);
    let (status, _) = s
        .call(Method::GET, &format!("/api/mappings/{quiet}"), ALICE, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    s.data(Method::GET, &format!("/api/mappings/{staged}"), ALICE, None)
        .await;
}
