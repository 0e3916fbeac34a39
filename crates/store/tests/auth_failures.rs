//! Shared failed-authentication windows, run identically against SQLite and PostgreSQL: counts
//! from concurrent writers all land, an ended window restarts at one, purge drops ended windows.

mod common;

use chrono::{Duration, Utc};
use graph_olap_store::Store;
use graph_olap_store::auth_failures;

const WINDOW: Duration = Duration::seconds(60);

async fn counts_accumulate_and_an_ended_window_restarts(store: &Store) {
    let start = Utc::now() - Duration::hours(1);
    let record = |peer: &'static str, at| async move {
        let mut tx = store.write().await.unwrap();
        let w = auth_failures::record(&mut tx, peer, at, at - WINDOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        w
    };
    for n in 1..=3 {
        let w = record("10.0.0.1", start + Duration::seconds(n)).await;
        assert_eq!(w.failures, n, "failure {n} counted");
        assert_eq!(
            w.opened_at.timestamp_millis(),
            (start + Duration::seconds(1)).timestamp_millis(),
            "the window keeps its opening instant"
        );
    }
    // Another address has its own window.
    assert_eq!(record("10.0.0.2", start).await.failures, 1);
    // Past the window, the next failure opens a new one at one.
    let later = start + Duration::seconds(1) + WINDOW + Duration::seconds(1);
    let w = record("10.0.0.1", later).await;
    assert_eq!(
        (w.failures, w.opened_at.timestamp_millis()),
        (1, later.timestamp_millis())
    );
    // Purge drops the windows opened before its cut-off only.
    let mut tx = store.write().await.unwrap();
    assert_eq!(
        auth_failures::purge(&mut tx, start + Duration::seconds(30))
            .await
            .unwrap(),
        1,
        "only 10.0.0.2's ended window"
    );
    tx.commit().await.unwrap();
    assert_eq!(record("10.0.0.1", later).await.failures, 2);
}

async fn concurrent_failures_are_all_counted(store: &Store) {
    let now = Utc::now();
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut tx = store.write().await.unwrap();
                let w = auth_failures::record(&mut tx, "10.9.9.9", now, now - WINDOW)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
                w.failures
            })
        })
        .collect();
    let mut seen: Vec<i64> = futures::future::join_all(handles)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (1..=16).collect::<Vec<_>>(),
        "each writer saw its own count"
    );
}

suite!(
    counts_accumulate_and_an_ended_window_restarts,
    concurrent_failures_are_all_counted
);
