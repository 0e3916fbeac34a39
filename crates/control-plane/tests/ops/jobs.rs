//! Background jobs (§4.12, §7.3): triggers rate-limited, audited and run; two replicas on one
//! PostgreSQL sharing the trigger window.

use std::time::Duration;

use graph_olap_control_plane::jobs::{self, Job, JobLock};
use graph_olap_store::audit;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{ALICE, CAROL, DAVE, Db, Env, Server};
use crate::{JOB_NAMES, assert_invalid, eventually, value};

crate::on_both_databases!(job_triggers_are_rate_limited_audited_and_run);

async fn job_triggers_are_rate_limited_audited_and_run(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let status = s
        .data(Method::GET, "/api/ops/jobs/status", DAVE, None)
        .await;
    let names: Vec<&str> = status["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, JOB_NAMES, "the order of §4.12");
    for j in status["jobs"].as_array().unwrap() {
        assert_eq!(j["health_status"], "unknown", "{j}");
        assert_eq!(j["triggerable"], j["name"] != "instance_orchestration");
        assert!(
            j["next_run"].is_string(),
            "next_run is known before the first pass: {j}"
        );
        for key in [
            "description",
            "interval_seconds",
            "schedule",
            "running",
            "last_run_at",
            "last_success_at",
            "last_failure_at",
            "last_duration_ms",
            "last_error",
            "consecutive_failures",
            "last_trigger",
        ] {
            assert!(j.get(key).is_some(), "{key} missing: {j}");
        }
    }
    assert_eq!(status["jobs"][0]["schedule"], "every 60s");
    assert_eq!(status["jobs"][3]["interval_seconds"], 86_400);

    // Bad input: a typed error and nothing changed (no trigger recorded, nothing audited).
    let before = s.fingerprint().await;
    let long = "x".repeat(501);
    let bad = [
        (
            json!({"job_name": "instance_orchestration"}),
            "job_name",
            "enum",
        ),
        (json!({"job_name": "vacuum"}), "job_name", "enum"),
        (json!({}), "job_name", "required"),
        (json!({"job_name": 7}), "job_name", "type"),
        (
            json!({"job_name": "lifecycle", "reason": ""}),
            "reason",
            "too_short",
        ),
        (
            json!({"job_name": "lifecycle", "reason": long}),
            "reason",
            "too_long",
        ),
    ];
    for (body, field, reason) in bad {
        let (status, e) = s
            .call(Method::POST, "/api/ops/jobs/trigger", DAVE, Some(body))
            .await;
        assert_invalid(status, &e, field, reason);
    }
    for user in [ALICE, CAROL] {
        let (status, _) = s
            .call(
                Method::POST,
                "/api/ops/jobs/trigger",
                user,
                Some(json!({"job_name": "lifecycle"})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    assert_eq!(s.fingerprint().await, before);

    // One accepted trigger per job per 60 s of the injected clock.
    let accepted = s
        .send(
            Method::POST,
            "/api/ops/jobs/trigger",
            Some(DAVE),
            Some(json!({"job_name": "reconciliation", "reason": "smoke-test"})),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::ACCEPTED, "{}", accepted.body);
    let t = &accepted.body["data"];
    assert_eq!(
        (
            t["job_name"].clone(),
            t["status"].clone(),
            t["triggered_by"].clone(),
            t["reason"].clone()
        ),
        (
            json!("reconciliation"),
            json!("queued"),
            json!(DAVE),
            json!("smoke-test")
        )
    );
    let limited = s
        .send(
            Method::POST,
            "/api/ops/jobs/trigger",
            Some(DAVE),
            Some(json!({"job_name": "reconciliation"})),
        )
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.body["error"]["code"], "RATE_LIMITED");
    assert_eq!(limited.headers["retry-after"], "60");
    assert_eq!(
        limited.body["error"]["details"],
        json!({"job_name": "reconciliation", "retry_after_seconds": 60, "last_triggered_at": t["triggered_at"]})
    );
    let other = s
        .send(
            Method::POST,
            "/api/ops/jobs/trigger",
            Some(DAVE),
            Some(json!({"job_name": "lifecycle"})),
        )
        .await;
    assert_eq!(other.status, StatusCode::ACCEPTED, "windows are per job");
    s.advance(chrono::Duration::milliseconds(59_500));
    let limited = s
        .send(
            Method::POST,
            "/api/ops/jobs/trigger",
            Some(DAVE),
            Some(json!({"job_name": "reconciliation"})),
        )
        .await;
    assert_eq!(
        (
            limited.status,
            limited.headers["retry-after"].to_str().unwrap()
        ),
        (StatusCode::TOO_MANY_REQUESTS, "1")
    );
    assert_eq!(
        limited.body["error"]["details"]["last_triggered_at"], t["triggered_at"],
        "refused triggers do not move the window"
    );
    s.advance(chrono::Duration::milliseconds(500));
    let again = s
        .send(
            Method::POST,
            "/api/ops/jobs/trigger",
            Some(DAVE),
            Some(json!({"job_name": "reconciliation", "reason": "second"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::ACCEPTED);

    let status = s
        .data(Method::GET, "/api/ops/jobs/status", DAVE, None)
        .await;
    let reconciliation = &status["jobs"][0];
    assert_eq!(
        reconciliation["last_trigger"],
        json!({"triggered_at": again.body["data"]["triggered_at"], "triggered_by": DAVE, "reason": "second"})
    );
    assert_eq!(
        reconciliation["next_run"], again.body["data"]["triggered_at"],
        "due at once"
    );
    let audited = s
        .audit(audit::AuditFilter {
            action: Some("job.trigger".into()),
            ..Default::default()
        })
        .await;
    let reasons: Vec<(&str, &str)> = audited
        .iter()
        .map(|a| {
            (
                a.resource_id.as_deref().unwrap(),
                a.details["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("reconciliation", "second"),
            ("lifecycle", "manual-trigger"),
            ("reconciliation", "smoke-test")
        ]
    );
    assert!(
        audited
            .iter()
            .all(|a| a.actor == DAVE && a.resource_type == "background_job")
    );

    // The scheduler picks a trigger up: once it has settled, a trigger runs the job exactly once.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let scheduler = jobs::spawn_scheduler(s.state.clone(), stopped);
    let runs = async |job: &str| {
        value(
            &s.scrape().await,
            &format!("background_job_execution_total{{job_name=\"{job}\",status=\"success\"}}"),
        )
    };
    eventually("the first pass of every job", async || {
        let st = jobs::status(&s.state).await.unwrap();
        st.iter().all(|j| j.last_success_at.is_some() && !j.running)
    })
    .await;
    let before = runs("schema_cache").await;
    let r = s
        .send(
            Method::POST,
            "/api/ops/jobs/trigger",
            Some(DAVE),
            Some(json!({"job_name": "schema_cache", "reason": "refresh now"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    eventually("the triggered run", async || {
        runs("schema_cache").await > before
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        runs("schema_cache").await,
        before + 1.0,
        "one trigger, one run"
    );
    let _ = stop.send(true);
    scheduler.await.unwrap();
}

/// Two replicas with their own pools on one PostgreSQL: the trigger window is shared, a held job
/// lock keeps the other replica from running that job, and a trigger runs the job once in all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_replicas_share_the_trigger_window_and_run_a_job_once() {
    let env = Env::new(Db::Postgres).await;
    let a = env.replica().await;
    let b = env.replica().await;
    let trigger = async |s: &Server, job: &str| {
        s.send(
            Method::POST,
            "/api/ops/jobs/trigger",
            Some(DAVE),
            Some(json!({"job_name": job})),
        )
        .await
    };
    assert_eq!(trigger(&a, "lifecycle").await.status, StatusCode::ACCEPTED);
    let refused = trigger(&b, "lifecycle").await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert_eq!(refused.headers["retry-after"], "60");
    assert_eq!(
        trigger(&b, "export_reconciliation").await.status,
        StatusCode::ACCEPTED
    );

    // Ten concurrent triggers split over both replicas: exactly one is accepted.
    let attempts = (0..10).map(|i| {
        let s = if i % 2 == 0 { &a } else { &b };
        trigger(s, "schema_cache")
    });
    let statuses: Vec<StatusCode> = futures::future::join_all(attempts)
        .await
        .into_iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::ACCEPTED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        9,
        "{statuses:?}"
    );
    a.advance(chrono::Duration::seconds(60));
    assert_eq!(
        trigger(&b, "lifecycle").await.status,
        StatusCode::ACCEPTED,
        "the window is over for both"
    );

    // While replica A holds the lifecycle lock, replica B does not run lifecycle.
    let lock = JobLock::acquire(&a.state, Job::Lifecycle)
        .await
        .unwrap()
        .expect("free");
    let before = jobs::status(&b.state).await.unwrap()[1].clone();
    assert!(
        !jobs::run_recorded(&b.state, Job::Lifecycle).await.unwrap(),
        "locked by the other replica"
    );
    assert_eq!(
        jobs::status(&b.state).await.unwrap()[1],
        before,
        "nothing recorded"
    );
    assert!(
        JobLock::acquire(&b.state, Job::Lifecycle)
            .await
            .unwrap()
            .is_none()
    );
    lock.release().await;
    assert!(jobs::run_recorded(&b.state, Job::Lifecycle).await.unwrap());

    // The lease is a row, not a database session: a holder that goes quiet without releasing
    // it (as a replica cut off from the database, still running the job) fences the others
    // until the lease expires; then another replica takes it.
    let quiet = JobLock::acquire(&a.state, Job::Lifecycle)
        .await
        .unwrap()
        .expect("free");
    drop(quiet);
    assert!(
        JobLock::acquire(&b.state, Job::Lifecycle)
            .await
            .unwrap()
            .is_none(),
        "held until the lease expires"
    );
    assert!(!jobs::run_recorded(&b.state, Job::Lifecycle).await.unwrap());
    a.advance(chrono::Duration::from_std(jobs::JOB_LEASE).unwrap() + chrono::Duration::seconds(1));
    JobLock::acquire(&b.state, Job::Lifecycle)
        .await
        .unwrap()
        .expect("expired, so free")
        .release()
        .await;

    // Both replicas schedule; a trigger on one makes the job run once between them.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let schedulers = [
        jobs::spawn_scheduler(a.state.clone(), stopped.clone()),
        jobs::spawn_scheduler(b.state.clone(), stopped),
    ];
    let runs = async |job: &str| {
        let series =
            format!("background_job_execution_total{{job_name=\"{job}\",status=\"success\"}}");
        value(&a.scrape().await, &series) + value(&b.scrape().await, &series)
    };
    eventually("both schedulers to settle", async || {
        let first = runs("reconciliation").await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let st = jobs::status(&a.state).await.unwrap();
        first >= 1.0
            && runs("reconciliation").await == first
            && st.iter().all(|j| j.last_success_at.is_some() && !j.running)
    })
    .await;
    let before = runs("reconciliation").await;
    assert_eq!(
        trigger(&b, "reconciliation").await.status,
        StatusCode::ACCEPTED
    );
    eventually("the triggered run", async || {
        runs("reconciliation").await > before
    })
    .await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        runs("reconciliation").await,
        before + 1.0,
        "exactly one replica ran it"
    );
    let _ = stop.send(true);
    for s in schedulers {
        s.await.unwrap();
    }
}
