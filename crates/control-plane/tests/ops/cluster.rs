//! `/api/cluster/health` (§7.2): every component probed, failures reported, answers cached.

use std::sync::Arc;
use std::time::{Duration, Instant};

use graph_olap_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::black_hole;
use crate::common::{DAVE, Db, Env};

crate::on_both_databases!(cluster_health_probes_every_component_and_caches);

async fn cluster_health_probes_every_component_and_caches(db: Db) {
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
    let health = s.data(Method::GET, "/api/cluster/health", DAVE, None).await;
    assert_eq!(health["status"], "healthy", "{health}");
    for component in ["database", "compute", "warehouse", "object_storage"] {
        let c = &health["components"][component];
        assert_eq!(c["status"], "healthy", "{component}: {health}");
        assert!(
            c["latency_ms"].is_u64() && c["error"].is_null() && c["checked_at"].is_string(),
            "{component}: {c}"
        );
    }

    // Results are reused for up to 10 s of the injected clock, then probed again.
    std::fs::remove_dir_all(runtime_dir.join("units")).unwrap();
    s.advance(chrono::Duration::seconds(9));
    let cached = s.data(Method::GET, "/api/cluster/health", DAVE, None).await;
    assert_eq!(cached, health, "served from the cache");
    s.advance(chrono::Duration::seconds(2));
    let fresh = s.data(Method::GET, "/api/cluster/health", DAVE, None).await;
    assert_ne!(fresh["checked_at"], health["checked_at"]);
    assert_eq!(fresh["status"], "degraded", "{fresh}");
    assert_eq!(fresh["components"]["compute"]["status"], "unhealthy");
    assert!(
        fresh["components"]["compute"]["error"]
            .as_str()
            .is_some_and(|e| !e.is_empty())
    );
    assert_eq!(fresh["components"]["database"]["status"], "healthy");

    // A replica without a runtime, with a warehouse that never answers and an object store it
    // cannot open: every probe is bounded by 2 s and they run in parallel.
    let mut broken = s.state.clone();
    broken.runtime = None;
    broken.cluster_health = Default::default();
    broken.warehouse = Arc::new(
        graph_olap_warehouse::PostgresWarehouse::new(
            &format!("postgres://nobody@127.0.0.1:{}/none", black_hole().await),
            100,
        )
        .unwrap(),
    );
    let mut settings = (*broken.settings).clone();
    settings.storage_root = "ftp://nowhere/snapshots".into();
    broken.settings = Arc::new(settings);
    let b = env.serve(broken).await;
    let started = Instant::now();
    let r = b
        .send(Method::GET, "/api/cluster/health", Some(DAVE), None)
        .await;
    let took = started.elapsed();
    assert_eq!(r.status, StatusCode::OK, "always 200: {}", r.body);
    let h = &r.body["data"];
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_millis(3500),
        "{took:?}"
    );
    assert_eq!(h["status"], "degraded", "{h}");
    assert_eq!(
        h["components"]["compute"],
        json!({"status": "not_configured", "latency_ms": null, "error": null, "checked_at": h["components"]["compute"]["checked_at"]})
    );
    assert_eq!(h["components"]["warehouse"]["status"], "unhealthy");
    assert_eq!(
        h["components"]["warehouse"]["error"],
        "no answer within 2 s"
    );
    assert_eq!(h["components"]["object_storage"]["status"], "unhealthy");
    assert!(
        h["components"]["object_storage"]["error"]
            .as_str()
            .unwrap()
            .contains("unsupported storage scheme"),
        "{h}"
    );
    assert_eq!(h["components"]["database"]["status"], "healthy");

    // With the database gone the cluster is unhealthy (probed in-process: no request could be
    // authenticated without the database).
    let mut no_db = s.state.clone();
    no_db.store = Store::connect(&env.db_url).await.unwrap();
    no_db.store.close().await;
    no_db.cluster_health = Default::default();
    let h = graph_olap_control_plane::ops::cluster::health(&no_db).await;
    assert_eq!(h.status, graph_olap_api::ops::ClusterStatus::Unhealthy);
    assert_eq!(
        h.components.database.status,
        graph_olap_api::ops::ComponentStatus::Unhealthy
    );
}
