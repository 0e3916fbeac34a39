//! The on-disk record of each local unit (`work_dir/units/{name}.json`). Owns its format
//! (versioned, unknown fields refused), atomic writes (temporary file + rename) and serialised
//! read-modify-write within one runtime object. Does not own deciding whether a unit is alive.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::RuntimeError;

/// The record format this build writes and reads.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Everything needed to find, identify and stop a unit's process after a control-plane restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UnitRecord {
    pub schema_version: u32,
    pub name: String,
    pub instance_id: i64,
    pub url_slug: String,
    pub cpu_cores: u32,
    pub memory_gb: Option<u32>,
    /// Names of the environment variables given in the spec; their values (secrets) are not kept.
    pub env_names: Vec<String>,
    /// Process id, which is also the process group id.
    pub pid: u32,
    /// Start time of the process in clock ticks since boot, so a reused pid is never taken for ours.
    pub start_ticks: u64,
    pub port: u16,
    pub internal_url: String,
    pub started_at: DateTime<Utc>,
    /// Set when a stop was requested through the runtime.
    pub stop_requested_at: Option<DateTime<Utc>>,
    /// Set by the runtime object that spawned the process, when it reaps it.
    pub exit: Option<ExitRecord>,
}

/// How a reaped unit process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExitRecord {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct VersionProbe {
    schema_version: u32,
}

/// The directory of unit records.
#[derive(Debug)]
pub(crate) struct RecordDir {
    dir: PathBuf,
    /// Serialises read-modify-write cycles of this runtime object.
    lock: Mutex<()>,
}

impl RecordDir {
    /// Uses (and creates) `dir`.
    pub(crate) fn open(dir: PathBuf) -> Result<Self, RuntimeError> {
        std::fs::create_dir_all(&dir).map_err(|source| RuntimeError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(Self {
            dir,
            lock: Mutex::new(()),
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// The record of `name`, if any.
    pub(crate) async fn read(&self, name: &str) -> Result<Option<UnitRecord>, RuntimeError> {
        read_file(&self.path(name)).await
    }

    /// Every record, sorted by unit name.
    pub(crate) async fn read_all(&self) -> Result<Vec<UnitRecord>, RuntimeError> {
        let io = |source| RuntimeError::Io {
            path: self.dir.clone(),
            source,
        };
        let mut entries = tokio::fs::read_dir(&self.dir).await.map_err(io)?;
        let mut records = Vec::new();
        while let Some(entry) = entries.next_entry().await.map_err(io)? {
            let path = entry.path();
            let is_record = path.extension().is_some_and(|e| e == "json")
                && !entry.file_name().to_string_lossy().starts_with('.');
            if is_record && let Some(record) = read_file(&path).await? {
                records.push(record);
            }
        }
        records.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(records)
    }

    /// Writes `record` atomically, replacing any previous record of that unit.
    pub(crate) async fn write(&self, record: &UnitRecord) -> Result<(), RuntimeError> {
        let _guard = self.lock.lock().await;
        self.write_unlocked(record).await
    }

    async fn write_unlocked(&self, record: &UnitRecord) -> Result<(), RuntimeError> {
        let path = self.path(&record.name);
        let tmp = self.dir.join(format!(".{}.json.tmp", record.name));
        let bytes = serde_json::to_vec_pretty(record).expect("a unit record always serialises");
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| RuntimeError::Io { path, source }
        };
        tokio::fs::write(&tmp, &bytes).await.map_err(io(&tmp))?;
        tokio::fs::rename(&tmp, &path).await.map_err(io(&path))
    }

    /// Applies `change` to the record of `name` if it still describes process `pid`; returns
    /// whether it did. A record removed or replaced meanwhile is left alone.
    pub(crate) async fn update(
        &self,
        name: &str,
        pid: u32,
        change: impl FnOnce(&mut UnitRecord),
    ) -> Result<bool, RuntimeError> {
        let _guard = self.lock.lock().await;
        let Some(mut record) = self.read(name).await? else {
            return Ok(false);
        };
        if record.pid != pid {
            return Ok(false);
        }
        change(&mut record);
        self.write_unlocked(&record).await?;
        Ok(true)
    }

    /// Removes the record of `name` if it still describes process `pid` (any record when `pid`
    /// is `None`). Missing records are fine.
    pub(crate) async fn remove(&self, name: &str, pid: Option<u32>) -> Result<(), RuntimeError> {
        let _guard = self.lock.lock().await;
        if let Some(pid) = pid
            && self.read(name).await?.is_some_and(|r| r.pid != pid)
        {
            return Ok(());
        }
        let path = self.path(name);
        match tokio::fs::remove_file(&path).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(RuntimeError::Io { path, source: e })
            }
            _ => Ok(()),
        }
    }
}

async fn read_file(path: &Path) -> Result<Option<UnitRecord>, RuntimeError> {
    let bytes = match tokio::fs::read(path).await {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(RuntimeError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let corrupt = |source| RuntimeError::CorruptRecord {
        path: path.to_path_buf(),
        source,
    };
    let probe: VersionProbe = serde_json::from_slice(&bytes).map_err(corrupt)?;
    if probe.schema_version != SCHEMA_VERSION {
        return Err(RuntimeError::RecordVersion {
            path: path.to_path_buf(),
            found: probe.schema_version,
            expected: SCHEMA_VERSION,
        });
    }
    serde_json::from_slice(&bytes).map(Some).map_err(corrupt)
}
