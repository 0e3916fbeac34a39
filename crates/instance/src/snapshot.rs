//! Fetching a snapshot from the object store into the instance's data directory, verifying it
//! against its manifest.
//!
//! Owns: the per-table file lists (from `_manifest.json`, or by listing `nodes/{label}/` and
//! `edges/{type}/` for pre-staged snapshots, after waiting for them to arrive), downloads
//! (hashed as they are written; a local store's file copied in large blocks), and the checks
//! documented on the manifest's type ([`graph_olap_api::instance::SnapshotManifest`]). Does not
//! own: storage URLs, opening stores and reading the manifest (`graph-olap-storage`), nor loading
//! the files into the engine.

use std::path::{Path, PathBuf};

use futures::StreamExt;
use graph_olap_api::instance::{InstanceBootstrap, ManifestFile};
use graph_olap_engine::{EdgeLoad, NodeLoad};
use graph_olap_storage::{StorageError, child, list_relative, open_store, read_manifest};
use object_store::path::Path as StorePath;
use object_store::{GetResultPayload, ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

/// Why a snapshot could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The storage path is not a usable URL or the store is unavailable.
    #[error("object store: {0}")]
    Storage(String),
    /// The manifest is missing, unreadable, of another version, or incomplete.
    #[error("manifest: {0}")]
    Manifest(String),
    /// A downloaded file does not match its manifest entry.
    #[error("verification failed for {path}: {message}")]
    Verify {
        /// Relative path of the file.
        path: String,
        /// What differs.
        message: String,
    },
    /// A pre-staged snapshot's files did not all arrive within the wait (API.md §4.11).
    #[error(
        "pre-staged snapshot incomplete after waiting {waited_seconds} s: no files under {missing} of {storage_path}; upload the Parquet files there and start a new instance"
    )]
    NotStaged {
        /// The snapshot's storage prefix.
        storage_path: String,
        /// The node label directories still empty, e.g. `nodes/Customer/`.
        missing: String,
        /// How long the instance waited.
        waited_seconds: u64,
    },
    /// Local disk.
    #[error("local file: {0}")]
    Io(#[from] std::io::Error),
}

impl From<StorageError> for SnapshotError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Manifest(message) => SnapshotError::Manifest(message),
            StorageError::Config(message) => SnapshotError::Storage(message),
            StorageError::Store(inner) => SnapshotError::Storage(inner.to_string()),
        }
    }
}

/// The snapshot on local disk, ready for [`graph_olap_engine::GraphEngine::load`].
#[derive(Debug, Clone)]
pub struct LocalSnapshot {
    /// Node tables with their local files.
    pub nodes: Vec<NodeLoad>,
    /// Edge tables with their local files.
    pub edges: Vec<EdgeLoad>,
    /// Bytes downloaded.
    pub bytes: u64,
    /// Files downloaded.
    pub files: usize,
}

struct Planned {
    relative: String,
    expected: Option<ManifestFile>,
}

async fn download(
    store: &dyn ObjectStore,
    base: &StorePath,
    plan: &Planned,
    dest_root: &Path,
) -> Result<(PathBuf, u64), SnapshotError> {
    let local = dest_root.join(&plan.relative);
    if let Some(parent) = local.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let result = store
        .get(&child(base, &plan.relative))
        .await
        .map_err(|e| SnapshotError::Storage(format!("{}: {e}", plan.relative)))?;
    let range = result.range.clone();
    let (size, digest) = match result.payload {
        // A local store hands over the open file: one blocking copy in large blocks instead of
        // the store's stream of 8 KiB chunks, each a blocking task of its own (and a second one
        // per write), which made the download a tenth of a scale-100 cold start.
        GetResultPayload::File(source, _) => {
            let dest = local.clone();
            tokio::task::spawn_blocking(move || copy_hashing(source, range, &dest))
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))??
        }
        GetResultPayload::Stream(mut stream) => {
            let file = tokio::fs::File::create(&local).await?;
            let mut file = tokio::io::BufWriter::with_capacity(COPY_BLOCK, file);
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            while let Some(chunk) = stream.next().await {
                let chunk =
                    chunk.map_err(|e| SnapshotError::Storage(format!("{}: {e}", plan.relative)))?;
                hasher.update(&chunk);
                size += chunk.len() as u64;
                file.write_all(&chunk).await?;
            }
            file.flush().await?;
            (size, hasher.finalize().into())
        }
    };
    if let Some(expected) = &plan.expected {
        let fail = |message: String| SnapshotError::Verify {
            path: plan.relative.clone(),
            message,
        };
        if size != expected.size_bytes {
            return Err(fail(format!(
                "size {size} bytes, manifest says {}",
                expected.size_bytes
            )));
        }
        if let Some(sum) = &expected.sha256 {
            let actual = hex::encode(digest);
            if !actual.eq_ignore_ascii_case(sum) {
                return Err(fail(format!("sha256 {actual}, manifest says {sum}")));
            }
        }
        let rows =
            parquet_rows(&local).map_err(|e| fail(format!("not a readable Parquet file: {e}")))?;
        if rows != expected.row_count {
            return Err(fail(format!(
                "{rows} rows, manifest says {}",
                expected.row_count
            )));
        }
    }
    Ok((local, size))
}

/// Bytes moved per read and write when copying a snapshot file.
const COPY_BLOCK: usize = 1 << 20;

/// Copies `range` of `source` to a new file at `dest`, returning its size and SHA-256.
fn copy_hashing(
    mut source: std::fs::File,
    range: std::ops::Range<u64>,
    dest: &Path,
) -> std::io::Result<(u64, [u8; 32])> {
    use std::io::{Read, Seek, SeekFrom, Write};
    source.seek(SeekFrom::Start(range.start))?;
    let mut source = source.take(range.end.saturating_sub(range.start));
    let mut out = std::fs::File::create(dest)?;
    let mut hasher = Sha256::new();
    let mut block = vec![0u8; COPY_BLOCK];
    let mut size = 0u64;
    loop {
        let n = source.read(&mut block)?;
        if n == 0 {
            break;
        }
        hasher.update(&block[..n]);
        out.write_all(&block[..n])?;
        size += n as u64;
    }
    Ok((size, hasher.finalize().into()))
}

fn parquet_rows(path: &Path) -> Result<u64, String> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let reader = SerializedFileReader::new(file).map_err(|e| e.to_string())?;
    Ok(u64::try_from(reader.metadata().file_metadata().num_rows()).unwrap_or(0))
}

/// How often a pre-staged snapshot's node directories are listed while waiting for its files.
const PRESTAGED_POLL: std::time::Duration = std::time::Duration::from_millis(500);

/// Waits until every node label directory of a pre-staged snapshot holds at least one object, up
/// to `boot.prestaged_wait_seconds` (API.md §4.11): an instance must not become `running` with an
/// empty graph because files arrived late.
async fn wait_for_prestaged(
    store: &dyn ObjectStore,
    base: &StorePath,
    boot: &InstanceBootstrap,
) -> Result<(), SnapshotError> {
    let started = std::time::Instant::now();
    let wait = std::time::Duration::from_secs(boot.prestaged_wait_seconds);
    loop {
        let mut missing = Vec::new();
        for def in &boot.node_definitions {
            let prefix = format!("nodes/{}/", def.label);
            if list_relative(store, base, &prefix).await?.is_empty() {
                missing.push(prefix);
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        if started.elapsed() >= wait {
            return Err(SnapshotError::NotStaged {
                storage_path: boot.storage_path.clone(),
                missing: missing.join(", "),
                waited_seconds: started.elapsed().as_secs(),
            });
        }
        tokio::time::sleep(PRESTAGED_POLL.min(wait.saturating_sub(started.elapsed()))).await;
    }
}

/// Files downloaded at the same time: enough to hide per-request latency of an object store (and
/// the open/verify cost of small local files) without flooding it.
const PARALLEL_DOWNLOADS: usize = 8;

/// Downloads every table's files into `dest` (same relative layout) and verifies them, up to
/// [`PARALLEL_DOWNLOADS`] files at a time. `on_file` is called after each file with (relative
/// path, bytes).
pub async fn fetch(
    boot: &InstanceBootstrap,
    dest: &Path,
    mut on_file: impl FnMut(&str, u64),
) -> Result<LocalSnapshot, SnapshotError> {
    let root = if boot.storage_path.ends_with('/') {
        boot.storage_path.clone()
    } else {
        format!("{}/", boot.storage_path)
    };
    let (store, base) = open_store(&root, &Default::default())?;
    let manifest = match &boot.manifest_path {
        Some(m) => Some(read_manifest(m).await?),
        None => None,
    };
    if manifest.is_none() && boot.prestaged {
        wait_for_prestaged(store.as_ref(), &base, boot).await?;
    }
    let plan_for = |kind: &str, name: &str| -> Result<Option<Vec<Planned>>, SnapshotError> {
        let Some(m) = &manifest else { return Ok(None) };
        let tables = if kind == "nodes" { &m.nodes } else { &m.edges };
        let table = tables
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| SnapshotError::Manifest(format!("no entry for {kind}/{name}")))?;
        let sum: u64 = table.files.iter().map(|f| f.row_count).sum();
        if sum != table.row_count {
            return Err(SnapshotError::Manifest(format!(
                "{kind}/{name}: files hold {sum} rows, table row_count says {}",
                table.row_count
            )));
        }
        Ok(Some(
            table
                .files
                .iter()
                .map(|f| Planned {
                    relative: f.path.clone(),
                    expected: Some(f.clone()),
                })
                .collect(),
        ))
    };
    // Every table's files, nodes first: (table index, planned file).
    let tables: Vec<(&str, &str)> = boot
        .node_definitions
        .iter()
        .map(|d| ("nodes", d.label.as_str()))
        .chain(
            boot.edge_definitions
                .iter()
                .map(|d| ("edges", d.edge_type.as_str())),
        )
        .collect();
    let mut planned: Vec<(usize, Planned)> = Vec::new();
    for (t, (kind, name)) in tables.iter().enumerate() {
        let files = match plan_for(kind, name)? {
            Some(p) => p,
            None => list_relative(store.as_ref(), &base, &format!("{kind}/{name}/"))
                .await?
                .into_iter()
                .map(|relative| Planned {
                    relative,
                    expected: None,
                })
                .collect(),
        };
        planned.extend(files.into_iter().map(|p| (t, p)));
    }
    let store = store.as_ref();
    let base = &base;
    // The futures are built up front (not in a stream closure) so the whole fetch stays `Send`.
    let pending: Vec<_> = planned
        .iter()
        .map(|(t, p)| async move {
            download(store, base, p, dest)
                .await
                .map(|(local, size)| (*t, p, local, size))
        })
        .collect();
    let mut downloads = futures::stream::iter(pending).buffered(PARALLEL_DOWNLOADS);
    let mut files: Vec<Vec<PathBuf>> = vec![Vec::new(); tables.len()];
    let mut snapshot = LocalSnapshot {
        nodes: Vec::new(),
        edges: Vec::new(),
        bytes: 0,
        files: 0,
    };
    while let Some(done) = downloads.next().await {
        let (t, p, local, size) = done?;
        snapshot.bytes += size;
        snapshot.files += 1;
        on_file(&p.relative, size);
        files[t].push(local);
    }
    let mut files = files.into_iter();
    for def in &boot.node_definitions {
        snapshot.nodes.push(NodeLoad {
            definition: def.clone(),
            files: files.next().unwrap_or_default(),
        });
    }
    for def in &boot.edge_definitions {
        snapshot.edges.push(EdgeLoad {
            definition: def.clone(),
            files: files.next().unwrap_or_default(),
        });
    }
    Ok(snapshot)
}
