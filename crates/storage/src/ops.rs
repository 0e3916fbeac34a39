//! Operations on a prefix of an object store: listing it relative to a base, clearing it, and
//! deleting single objects where "already gone" is success.

use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
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
pub async fn clear_prefix(
    store: &Arc<dyn ObjectStore>,
    prefix: &Path,
) -> Result<usize, StorageError> {
    let locations: Vec<Path> = store
        .list(Some(prefix))
        .map_ok(|meta| meta.location)
        .try_collect()
        .await?;
    let count = locations.len();
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
