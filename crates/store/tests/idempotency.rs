//! Idempotency-key storage, run identically against SQLite and PostgreSQL: atomic claims under
//! concurrency, completion, release, takeover of expired and abandoned rows, purge.

mod common;

use chrono::{DateTime, Duration, Utc};
use graph_olap_store::Store;
use graph_olap_store::idempotency::{self, Claim, KeyScope, Outcome, Reclaim};

fn scope(key: &str) -> KeyScope {
    KeyScope {
        username: "alice".into(),
        method: "POST".into(),
        path: "/api/mappings".into(),
        key: key.into(),
    }
}

fn reclaim(now: DateTime<Utc>) -> Reclaim {
    Reclaim {
        expired_before: now - Duration::hours(24),
        abandoned_before: now - Duration::minutes(10),
    }
}

async fn claim(store: &Store, scope: &KeyScope, hash: &str, now: DateTime<Utc>) -> Claim {
    let mut tx = store.write().await.unwrap();
    let c = idempotency::claim(&mut tx, scope, hash, now, reclaim(now))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    c
}

async fn claims_complete_and_release(store: &Store) {
    let now = Utc::now();
    let s = scope("k1");
    let Claim::Claimed { claimed_at } = claim(store, &s, "h1", now).await else {
        panic!("first claim must win")
    };
    // While in flight, another claim sees the row without a status.
    let Claim::Held(held) = claim(store, &s, "h1", now).await else {
        panic!("second claim must lose")
    };
    assert_eq!(
        (
            held.body_sha256.as_str(),
            held.status_code,
            held.response.as_deref()
        ),
        ("h1", None, None)
    );
    let mut tx = store.write().await.unwrap();
    assert!(
        idempotency::complete(&mut tx, &s, claimed_at, 201, "{\"body\":1}")
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let Claim::Held(held) = claim(store, &s, "h2", now).await else {
        panic!("completed key stays held")
    };
    assert_eq!(
        (held.status_code, held.response.as_deref()),
        (Some(201), Some("{\"body\":1}"))
    );
    // The same key is independent per user, method and path.
    let other = KeyScope {
        username: "bob".into(),
        ..s.clone()
    };
    assert!(matches!(
        claim(store, &other, "h1", now).await,
        Claim::Claimed { .. }
    ));
    let other = KeyScope {
        path: "/api/mappings/1/copy".into(),
        ..s.clone()
    };
    assert!(matches!(
        claim(store, &other, "h1", now).await,
        Claim::Claimed { .. }
    ));
    // A released (failed) claim is forgotten; a completed one cannot be released.
    let f = scope("k2");
    let Claim::Claimed { claimed_at: at2 } = claim(store, &f, "h", now).await else {
        panic!()
    };
    let mut tx = store.write().await.unwrap();
    assert!(idempotency::release(&mut tx, &f, at2).await.unwrap());
    assert!(!idempotency::release(&mut tx, &s, claimed_at).await.unwrap());
    tx.commit().await.unwrap();
    assert!(matches!(
        claim(store, &f, "other", now).await,
        Claim::Claimed { .. }
    ));
}

async fn expired_and_abandoned_rows_are_taken_over(store: &Store) {
    let start = Utc::now() - Duration::hours(30);
    let done = scope("old-done");
    let Claim::Claimed { claimed_at } = claim(store, &done, "h", start).await else {
        panic!()
    };
    let mut tx = store.write().await.unwrap();
    idempotency::complete(&mut tx, &done, claimed_at, 201, "{}")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let stuck = scope("stuck");
    assert!(matches!(
        claim(store, &stuck, "h", start).await,
        Claim::Claimed { .. }
    ));
    // 5 minutes later: the in-flight row still blocks; the completed one is still replayed.
    let soon = start + Duration::minutes(5);
    assert!(matches!(
        claim(store, &stuck, "h", soon).await,
        Claim::Held(_)
    ));
    assert!(matches!(
        claim(store, &done, "h", soon).await,
        Claim::Held(_)
    ));
    // 11 minutes: the abandoned in-flight row is taken over, the completed one is not (yet).
    let later = start + Duration::minutes(11);
    assert!(matches!(
        claim(store, &stuck, "h2", later).await,
        Claim::Claimed { .. }
    ));
    assert!(matches!(
        claim(store, &done, "h2", later).await,
        Claim::Held(_)
    ));
    // 25 hours: the completed row has expired; a new body may use the key.
    let next_day = start + Duration::hours(25);
    let Claim::Claimed {
        claimed_at: renewed,
    } = claim(store, &done, "h3", next_day).await
    else {
        panic!("expired key must be reclaimable")
    };
    assert_eq!(renewed, next_day);
    // The late completion of the superseded claim does not overwrite the new one.
    let mut tx = store.write().await.unwrap();
    assert!(
        !idempotency::complete(&mut tx, &done, claimed_at, 200, "stale")
            .await
            .unwrap()
    );
    // Purge removes only rows created before the cut-off.
    let purged = idempotency::purge(&mut tx, start + Duration::minutes(5))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        purged, 0,
        "both remaining rows were re-created after the cut-off"
    );
    let mut tx = store.write().await.unwrap();
    assert_eq!(
        idempotency::purge(&mut tx, next_day + Duration::seconds(1))
            .await
            .unwrap(),
        2
    );
    tx.commit().await.unwrap();
    assert!(
        idempotency::get(&mut store.read().await.unwrap(), &done)
            .await
            .unwrap()
            .is_none()
    );
}

/// A claim whose create committed (its outcome recorded in that transaction) but whose response
/// was never stored — the process died in between — keeps answering for its resource: it is not
/// released, not taken over as abandoned, and reads back with its outcome until it expires.
async fn an_outcome_pins_the_claim_until_it_expires(store: &Store) {
    let start = Utc::now() - Duration::hours(30);
    let s = scope("created-then-crashed");
    let Claim::Claimed { claimed_at } = claim(store, &s, "h", start).await else {
        panic!()
    };
    let made = Outcome {
        kind: "mapping".into(),
        id: 42,
    };
    let mut tx = store.write().await.unwrap();
    assert!(
        idempotency::record_outcome(&mut tx, &s, claimed_at, &made)
            .await
            .unwrap()
    );
    // Rolled back with the create, the outcome is gone with it.
    tx.rollback().await.unwrap();
    let held = idempotency::get(&mut store.read().await.unwrap(), &s)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held.outcome, None);
    let mut tx = store.write().await.unwrap();
    idempotency::record_outcome(&mut tx, &s, claimed_at, &made)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.write().await.unwrap();
    assert!(
        !idempotency::release(&mut tx, &s, claimed_at).await.unwrap(),
        "a claim whose create committed must not be released"
    );
    tx.commit().await.unwrap();
    // Long past the abandonment window, the key still answers with its outcome.
    let Claim::Held(held) = claim(store, &s, "h", start + Duration::hours(2)).await else {
        panic!("a claim with an outcome must not be taken over")
    };
    assert_eq!(
        (held.status_code, held.outcome.as_ref()),
        (None, Some(&made))
    );
    // Completing it later still works; after the retention window the key is free again and
    // the new claim starts without the old outcome.
    let Claim::Claimed {
        claimed_at: renewed,
    } = claim(store, &s, "h2", start + Duration::hours(25)).await
    else {
        panic!("an expired key must be reclaimable")
    };
    assert!(
        !idempotency::record_outcome(&mut store.write().await.unwrap(), &s, claimed_at, &made)
            .await
            .unwrap(),
        "the superseded claim cannot record an outcome"
    );
    let fresh = idempotency::get(&mut store.read().await.unwrap(), &s)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (fresh.outcome, fresh.created_at.timestamp_millis()),
        (None, renewed.timestamp_millis())
    );
}

async fn concurrent_claims_have_one_winner(store: &Store) {
    let now = Utc::now();
    let handles: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                matches!(
                    claim(&store, &scope("race"), "h", now).await,
                    Claim::Claimed { .. }
                )
            })
        })
        .collect();
    let winners = futures::future::join_all(handles)
        .await
        .into_iter()
        .filter(|r| *r.as_ref().unwrap())
        .count();
    assert_eq!(winners, 1);
}

suite!(
    claims_complete_and_release,
    expired_and_abandoned_rows_are_taken_over,
    an_outcome_pins_the_claim_until_it_expires,
    concurrent_claims_have_one_winner
);
