//! The repository suite, run identically against SQLite and PostgreSQL.

mod common;

use chrono::Utc;
use graph_olap_api::{NodeDefinition, PropertyDef, PropertyType};
use graph_olap_store::{Store, audit, config, favorites, jobs, mappings, users};

fn node(label: &str) -> NodeDefinition {
    NodeDefinition {
        label: label.into(),
        sql: format!("SELECT id FROM {label}"),
        primary_key: PropertyDef {
            name: "id".into(),
            ty: PropertyType::parse("STRING").unwrap(),
        },
        properties: vec![],
    }
}

async fn new_mapping(store: &Store, name: &str) -> i64 {
    let mut tx = store.write().await.unwrap();
    let id = mappings::insert(
        &mut tx,
        &mappings::NewMapping {
            owner_username: "alice".into(),
            name: name.into(),
            description: Some("a description".into()),
            ttl: None,
            inactivity_timeout: None,
            expires_at: None,
            node_definitions: vec![node("A")],
            edge_definitions: vec![],
            change_description: None,
        },
        Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn migrations_are_idempotent(store: &Store) {
    graph_olap_store::migrate::run(store).await.unwrap();
    assert_eq!(
        graph_olap_store::migrate::current_version(store)
            .await
            .unwrap(),
        graph_olap_store::migrate::LATEST_VERSION
    );
}

async fn users_and_keys(store: &Store) {
    let now = Utc::now();
    let mut tx = store.write().await.unwrap();
    let u = users::insert(
        &mut tx,
        &users::NewUser {
            username: "carol".into(),
            email: Some("c@x".into()),
            display_name: "Carol".into(),
            role: "admin".into(),
        },
        now,
    )
    .await
    .unwrap();
    assert!(u.is_active);
    let dup = users::insert(
        &mut tx,
        &users::NewUser {
            username: "carol".into(),
            email: None,
            display_name: "C".into(),
            role: "admin".into(),
        },
        now,
    )
    .await;
    assert!(dup.unwrap_err().is_unique_violation());
    tx.rollback().await.unwrap();

    let mut tx = store.write().await.unwrap();
    users::insert(
        &mut tx,
        &users::NewUser {
            username: "carol".into(),
            email: Some("c@x".into()),
            display_name: "Carol".into(),
            role: "admin".into(),
        },
        now,
    )
    .await
    .unwrap();
    let key = users::ApiKey {
        id: "abcdefghijkl".into(),
        name: "k".into(),
        prefix: "gok_abcdefghijkl".into(),
        owner_username: "carol".into(),
        created_at: now,
        created_by: "carol".into(),
        expires_at: None,
        last_used_at: None,
        revoked_at: None,
    };
    users::insert_key(&mut tx, &key, "digest").await.unwrap();
    users::revoke_key(&mut tx, "abcdefghijkl", now)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut conn = store.read().await.unwrap();
    let stored = users::get_key(&mut conn, "abcdefghijkl")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.secret_sha256, "digest");
    assert!(stored.key.revoked_at.is_some());
    assert_eq!(users::count_active_admins(&mut conn).await.unwrap(), 1);
    let (found, total) = users::list(
        &mut conn,
        &users::UserFilter {
            search: Some("CAR".into()),
            ..Default::default()
        },
        0,
        10,
    )
    .await
    .unwrap();
    assert_eq!((found.len(), total), (1, 1));
}

async fn mapping_versions_stay_dense_under_concurrency(store: &Store) {
    let id = new_mapping(store, "concurrent").await;
    let mut handles = Vec::new();
    for i in 0..50 {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            let mut tx = store.write().await.unwrap();
            let current = mappings::get_for_update(&mut tx, id)
                .await
                .unwrap()
                .unwrap();
            let mut nodes = current.node_definitions.clone();
            nodes.push(node(&format!("N{i}")));
            let v = mappings::add_version(
                &mut tx,
                id,
                &format!("update {i}"),
                &nodes,
                &[],
                "alice",
                Utc::now(),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            v
        }));
    }
    let mut versions: Vec<i64> = futures::future::join_all(handles)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect();
    versions.sort();
    assert_eq!(versions, (2..=51).collect::<Vec<_>>());
    let mut conn = store.read().await.unwrap();
    let m = mappings::get(&mut conn, id).await.unwrap().unwrap();
    assert_eq!(m.summary.current_version, 51);
    let (list, total) = mappings::list_versions(&mut conn, id, 0, 100)
        .await
        .unwrap();
    assert_eq!(total, 51);
    assert_eq!(list.first().unwrap().version, 51);
    assert_eq!(list.last().unwrap().version, 1);
}

async fn mapping_list_filters_sort_and_escape(store: &Store) {
    new_mapping(store, "100% pure").await;
    new_mapping(store, "1000 pure").await;
    new_mapping(store, "other_name").await;
    let mut conn = store.read().await.unwrap();
    let filter = mappings::MappingFilter {
        search: Some("100%".into()),
        ..Default::default()
    };
    let (items, total) = mappings::list(
        &mut conn,
        &filter,
        mappings::MappingSort::Name,
        false,
        0,
        50,
    )
    .await
    .unwrap();
    assert_eq!(total, 1, "% must match literally");
    assert_eq!(items[0].name, "100% pure");
    let filter = mappings::MappingFilter {
        search: Some("R_N".into()),
        ..Default::default()
    };
    let (_, total) = mappings::list(
        &mut conn,
        &filter,
        mappings::MappingSort::Name,
        false,
        0,
        50,
    )
    .await
    .unwrap();
    assert_eq!(total, 1, "_ must match literally, case-insensitively");
    let (page, total) = mappings::list(
        &mut conn,
        &Default::default(),
        mappings::MappingSort::Name,
        true,
        1,
        1,
    )
    .await
    .unwrap();
    assert!(total >= 3);
    assert_eq!(page.len(), 1);
}

async fn favorites_cascade(store: &Store) {
    let now = Utc::now();
    let mut tx = store.write().await.unwrap();
    favorites::insert(&mut tx, "alice", "mapping", 7, now)
        .await
        .unwrap();
    favorites::insert(&mut tx, "bob", "mapping", 7, now)
        .await
        .unwrap();
    assert!(
        favorites::insert(&mut tx, "bob", "mapping", 7, now)
            .await
            .unwrap_err()
            .is_unique_violation()
    );
    tx.rollback().await.unwrap();
    let mut tx = store.write().await.unwrap();
    favorites::insert(&mut tx, "alice", "mapping", 7, now)
        .await
        .unwrap();
    favorites::insert(&mut tx, "bob", "mapping", 7, now)
        .await
        .unwrap();
    assert_eq!(
        favorites::remove_for_resource(&mut tx, "mapping", 7)
            .await
            .unwrap(),
        2
    );
    assert!(
        !favorites::remove(&mut tx, "alice", "mapping", 7)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
}

async fn config_and_audit(store: &Store) {
    let mut tx = store.write().await.unwrap();
    config::seed(
        &mut tx,
        "concurrency",
        &serde_json::json!({"per_analyst": 10}),
    )
    .await
    .unwrap();
    config::seed(
        &mut tx,
        "concurrency",
        &serde_json::json!({"per_analyst": 99}),
    )
    .await
    .unwrap();
    let v = config::get(&mut tx, "concurrency").await.unwrap().unwrap();
    assert_eq!(v.value["per_analyst"], 10, "seed never overwrites");
    config::put(
        &mut tx,
        "concurrency",
        &serde_json::json!({"per_analyst": 3}),
        "dave",
        Utc::now(),
    )
    .await
    .unwrap();
    audit::record(
        &mut tx,
        audit::AuditRecord {
            actor: "dave",
            action: "config.update",
            resource_type: "config",
            resource_id: Some("concurrency".into()),
            details: serde_json::json!({"old": 10, "new": 3}),
            request_id: Some("r1"),
        },
        Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let mut conn = store.read().await.unwrap();
    let v = config::get(&mut conn, "concurrency")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (v.value["per_analyst"].as_i64(), v.updated_by.as_deref()),
        (Some(3), Some("dave"))
    );
    let (entries, total) = audit::query(
        &mut conn,
        &audit::AuditFilter {
            actor: Some("dave".into()),
            ..Default::default()
        },
        0,
        10,
    )
    .await
    .unwrap();
    assert_eq!(total, 1);
    assert_eq!(entries[0].details["new"], 3);
}

/// Of replicas racing for a free job lease exactly one gets it; it holds until released or
/// expired, renewal only by its holder.
async fn job_leases_admit_one_holder(store: &Store) {
    let now = Utc::now();
    let until = now + chrono::Duration::seconds(30);
    let takers = (0..8).map(|k| async move {
        let mut tx = store.write().await.unwrap();
        let taken = jobs::take_lease(&mut tx, "lifecycle", &format!("replica-{k}"), now, until)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        taken
    });
    let won = futures::future::join_all(takers).await;
    assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
    let winner = format!("replica-{}", won.iter().position(|w| *w).unwrap());
    let loser = if winner == "replica-0" {
        "replica-1"
    } else {
        "replica-0"
    };
    let mut conn = store.write().await.unwrap();
    assert!(
        !jobs::renew_lease(&mut conn, "lifecycle", loser, until)
            .await
            .unwrap()
    );
    assert!(
        jobs::renew_lease(&mut conn, "lifecycle", &winner, until)
            .await
            .unwrap()
    );
    // Another's release changes nothing; past its expiry the lease is anyone's.
    jobs::release_lease(&mut conn, "lifecycle", loser)
        .await
        .unwrap();
    assert!(
        !jobs::take_lease(&mut conn, "lifecycle", loser, now, until)
            .await
            .unwrap()
    );
    assert!(
        jobs::take_lease(
            &mut conn,
            "lifecycle",
            loser,
            until,
            until + chrono::Duration::seconds(30)
        )
        .await
        .unwrap()
    );
    jobs::release_lease(&mut conn, "lifecycle", loser)
        .await
        .unwrap();
    assert!(
        jobs::take_lease(&mut conn, "lifecycle", &winner, now, until)
            .await
            .unwrap()
    );
    conn.commit().await.unwrap();
}

suite!(
    job_leases_admit_one_holder,
    migrations_are_idempotent,
    users_and_keys,
    mapping_versions_stay_dense_under_concurrency,
    mapping_list_filters_sort_and_escape,
    favorites_cascade,
    config_and_audit,
);
