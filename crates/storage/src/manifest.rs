//! A snapshot's `_manifest.json` (layout and fields: [`SnapshotManifest`]): written by the control
//! plane when the snapshot is finalised, read by the instance before it downloads the files.

use graph_olap_api::instance::{MANIFEST_SCHEMA_VERSION, SnapshotManifest};
use object_store::ObjectStoreExt;

/// The manifest's file name inside a snapshot's storage prefix.
pub const MANIFEST_FILE: &str = "_manifest.json";

use crate::{StorageError, open_store};

/// Reads the manifest at `manifest_url` and checks that its schema version is the one this build
/// understands.
pub async fn read_manifest(manifest_url: &str) -> Result<SnapshotManifest, StorageError> {
    let (store, path) = open_store(manifest_url, &Default::default())?;
    let bytes = store
        .get(&path)
        .await
        .map_err(|e| StorageError::Manifest(format!("cannot read {manifest_url}: {e}")))?
        .bytes()
        .await
        .map_err(|e| StorageError::Manifest(format!("cannot read {manifest_url}: {e}")))?;
    let manifest: SnapshotManifest = serde_json::from_slice(&bytes)
        .map_err(|e| StorageError::Manifest(format!("{manifest_url}: invalid JSON: {e}")))?;
    if manifest.schema_version != MANIFEST_SCHEMA_VERSION {
        return Err(StorageError::Manifest(format!(
            "schema_version {} is not supported (expected {MANIFEST_SCHEMA_VERSION})",
            manifest.schema_version
        )));
    }
    Ok(manifest)
}

/// Writes `manifest` as `_manifest.json` under the snapshot prefix `storage_path`.
pub async fn write_manifest(
    storage_path: &str,
    manifest: &SnapshotManifest,
) -> Result<(), StorageError> {
    let body = serde_json::to_vec_pretty(manifest)
        .map_err(|e| StorageError::Manifest(format!("cannot encode: {e}")))?;
    let (store, prefix) = open_store(storage_path, &Default::default())?;
    store.put(&prefix.join(MANIFEST_FILE), body.into()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reads_a_manifest_and_refuses_other_versions_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("file://{}/_manifest.json", dir.path().display());
        let missing = read_manifest(&url).await.unwrap_err();
        assert!(
            matches!(missing, StorageError::Manifest(ref m) if m.contains("cannot read")),
            "{missing}"
        );
        let manifest = serde_json::json!({
            "schema_version": MANIFEST_SCHEMA_VERSION, "snapshot_id": 7, "mapping_id": 1,
            "mapping_version": 2, "nodes": [], "edges": [], "created_at": "2026-01-01T00:00:00Z"
        });
        let parsed: SnapshotManifest = serde_json::from_value(manifest.clone()).unwrap();
        write_manifest(&format!("file://{}/", dir.path().display()), &parsed)
            .await
            .unwrap();
        assert_eq!(read_manifest(&url).await.unwrap(), parsed);
        let mut newer = manifest.clone();
        newer["schema_version"] = serde_json::json!(MANIFEST_SCHEMA_VERSION + 1);
        std::fs::write(dir.path().join("_manifest.json"), newer.to_string()).unwrap();
        let err = read_manifest(&url).await.unwrap_err();
        assert!(err.to_string().contains("schema_version"), "{err}");
        std::fs::write(dir.path().join("_manifest.json"), "{").unwrap();
        assert!(
            read_manifest(&url)
                .await
                .unwrap_err()
                .to_string()
                .contains("invalid JSON")
        );
    }
}
