//! Operations on a prefix of an object store: listing it relative to a base, clearing it, and
//! deleting single objects where "already gone" is success.

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};

use crate::StorageError;

/// `base` joined with a relative `a/b/c` path (empty segments ignored).
pub fn child(base: &Path, relative: &str) -> Path {
    let mut path = base.clone();
    for part in relative.split('/').filter(|p| !p.is_empty()) {
        path = path.join(part);
    }
    path
}

/// Every object under `base`/`prefix`, as paths relative to `base`, sorted.
pub async fn list_relative(
    store: &dyn ObjectStore,
    base: &Path,
    prefix: &str,
) -> Result<Vec<String>, StorageError> {
    let dir = child(base, prefix);
    let base_text = base.to_string();
    let mut out: Vec<String> = store
        .list(Some(&dir))
        .map_ok(|meta| {
            let full = meta.location.to_string();
            full.strip_prefix(&base_text)
                .unwrap_or(&full)
                .trim_start_matches('/')
                .to_string()
        })
        .try_collect()
        .await?;
    out.sort();
    Ok(out)
}

/// Deletes every object under `prefix` (a previous attempt's files); returns how many.
///
/// On the local filesystem this includes the staging files (`name#N`) of uploads that a killed
/// process left unfinished: the store does not list them, so nothing else would remove them.
pub async fn clear_prefix(
    store: &Arc<dyn ObjectStore>,
    prefix: &Path,
) -> Result<usize, StorageError> {
    let locations: Vec<Path> = store
        .list(Some(prefix))
        .map_ok(|meta| meta.location)
        .try_collect()
        .await?;
    let mut count = locations.len();
    if is_local(store.as_ref()) {
        count += remove_staged_uploads(prefix).await?;
    }
    let mut deletions =
        store.delete_stream(futures::stream::iter(locations.into_iter().map(Ok)).boxed());
    while let Some(result) = deletions.next().await {
        match result {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(count)
}

/// Deletes one object, treating "already gone" as success.
pub async fn delete_quietly(
    store: &Arc<dyn ObjectStore>,
    location: &Path,
) -> Result<(), StorageError> {
    match store.delete(location).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Whether `store` is the local filesystem store that [`crate::open_store`] opens for `file://`
/// URLs (rooted at `/`, so an object path is the absolute file path).
fn is_local(store: &dyn ObjectStore) -> bool {
    store.to_string() == LocalFileSystem::new().to_string()
}

/// Deletes the staging files of unfinished local uploads under `prefix`: a file named
/// `<object>#<digits>` is where the local store writes an object before renaming it into place.
async fn remove_staged_uploads(prefix: &Path) -> Result<usize, StorageError> {
    let root = LocalFileSystem::new().path_to_filesystem(prefix)?;
    tokio::task::spawn_blocking(move || {
        let mut removed = 0;
        let mut dirs = vec![root];
        while let Some(dir) = dirs.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(local_error(e)),
            };
            for entry in entries {
                let entry = entry.map_err(local_error)?;
                let kind = entry.file_type().map_err(local_error)?;
                if kind.is_dir() {
                    dirs.push(entry.path());
                } else if is_staging_name(&entry.file_name().to_string_lossy()) {
                    match std::fs::remove_file(entry.path()) {
                        Ok(()) => removed += 1,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(local_error(e)),
                    }
                }
            }
        }
        Ok(removed)
    })
    .await
    .map_err(|e| local_error(std::io::Error::other(e)))?
}

/// A local filesystem failure, reported as the store's own error.
fn local_error(source: std::io::Error) -> StorageError {
    StorageError::Store(object_store::Error::Generic {
        store: "LocalFileSystem",
        source: Box::new(source),
    })
}

/// `name#123`: the local store's staging name for an upload of `name`.
fn is_staging_name(name: &str) -> bool {
    name.rsplit_once('#').is_some_and(|(object, suffix)| {
        !object.is_empty() && !suffix.is_empty() && suffix.bytes().all(|b| b.is_ascii_digit())
    })
}

#[cfg(test)]
mod tests {
    use super::is_staging_name;

    #[test]
    fn staging_names_are_recognised() {
        assert!(is_staging_name("part-00001.parquet#1"));
        assert!(is_staging_name("manifest.json#42"));
        assert!(!is_staging_name("part-00001.parquet"));
        assert!(!is_staging_name("a#b"));
        assert!(!is_staging_name("#1"));
        assert!(!is_staging_name("a#"));
    }
}
