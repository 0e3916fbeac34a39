//! Path traversal in storage locations (docs/security.md): a snapshot location is built from
//! the storage root, the owner's username, ids and node labels, so whatever a segment spells,
//! reading, writing, listing and clearing must stay under the location's own prefix — on real
//! files in a temporary directory.

use std::sync::Arc;

use graph_olap_storage::{Location, child, clear_prefix, list_relative, open_store};
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

#[test]
fn dot_segments_in_storage_urls_are_refused() {
    for url in [
        "s3://bucket/root/../other",
        "s3://bucket/root/./x",
        "gs://bucket/../x",
        "az://container/a/../../b",
        "file:///tmp/root/../etc",
        "/tmp/root/../../etc",
    ] {
        let refused = Location::parse(url);
        assert!(refused.is_err(), "{url} was accepted as {refused:?}");
    }
}

#[test]
fn joined_segments_cannot_climb_out_of_their_base() {
    let base = Path::from("root/alice/1/v1/7");
    for relative in ["../../../../etc/passwd", "nodes/../../x", "./x", "%2e%2e/x"] {
        let joined = child(&base, relative);
        assert!(
            joined.as_ref().starts_with("root/alice/1/v1/7/"),
            "{relative} → {joined}"
        );
        assert!(
            joined
                .parts()
                .all(|p| p.as_ref() != ".." && p.as_ref() != "."),
            "{relative} → {joined}"
        );
    }
}

/// Writes `name` under `dir` (outside any snapshot prefix).
fn bystander(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "not yours").unwrap();
    path
}

#[tokio::test]
async fn percent_encoded_dots_stay_literal_on_a_local_store() {
    let dir = tempfile::tempdir().unwrap();
    let outside = bystander(dir.path(), "x/victim.parquet");
    let inside = bystander(dir.path(), "root/keep.parquet");
    // A username may contain `%` and `.`: `%2e%2e` must not act as `..` anywhere.
    let url = format!("file://{}/root/%2e%2e/", dir.path().display());
    let (store, prefix) = open_store(&url, &Default::default()).unwrap();
    let store: Arc<dyn ObjectStore> = store;
    let target = child(&prefix, "x/part-0.parquet");
    store
        .put(&target, PutPayload::from_static(b"snapshot bytes"))
        .await
        .unwrap();
    let written = dir.path().join("root/%2e%2e/x/part-0.parquet");
    assert!(written.is_file(), "the part file is under the root");
    assert_eq!(
        list_relative(store.as_ref(), &prefix, "x").await.unwrap(),
        vec!["x/part-0.parquet".to_string()]
    );
    assert_eq!(clear_prefix(&store, &prefix).await.unwrap(), 1);
    assert!(!written.exists());
    assert!(outside.is_file(), "nothing outside the prefix was touched");
    assert!(inside.is_file(), "nothing beside the prefix was touched");
}
