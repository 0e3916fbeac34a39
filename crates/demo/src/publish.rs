//! Making a generated demo warehouse visible atomically, and recognising one already there.
//!
//! Owns the staging directory, the renames and the manifest file. Does not own what the files
//! contain.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{DemoError, DemoSummary, MANIFEST_SCHEMA_VERSION};

/// File name of the manifest written last into the warehouse directory (hidden from the
/// embedded connector's table scan by its leading dot).
pub const MANIFEST_FILE: &str = ".graph-olap-demo.json";

/// Prefix of staging directories, inside (or, for a new warehouse, beside) `out_dir`.
const STAGING_PREFIX: &str = ".demo-staging-";

/// The summary of the demo warehouse completely generated in `out_dir`, or `None` when there is
/// none (or an interrupted generation left no manifest). An unknown manifest version is an error.
pub fn existing(out_dir: &Path) -> Result<Option<DemoSummary>, DemoError> {
    let path = out_dir.join(MANIFEST_FILE);
    let text = match fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(DemoError::io(&path, e)),
    };
    let summary: DemoSummary = serde_json::from_str(&text).map_err(|e| DemoError::Manifest {
        path: path.clone(),
        message: e.to_string(),
    })?;
    if summary.schema_version != MANIFEST_SCHEMA_VERSION {
        return Err(DemoError::Manifest {
            path,
            message: format!(
                "schema_version {} is not supported (this build reads {MANIFEST_SCHEMA_VERSION}); delete the demo files and generate again",
                summary.schema_version
            ),
        });
    }
    let complete = summary
        .tables
        .iter()
        .all(|t| out_dir.join(t.relative_path()).is_file());
    Ok(complete.then_some(summary))
}

/// Runs `write` into a fresh staging directory, then moves its files into `out_dir`.
pub(crate) fn publish(
    out_dir: &Path,
    write: impl FnOnce(&Path) -> Result<DemoSummary, DemoError>,
) -> Result<DemoSummary, DemoError> {
    let parent = match out_dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| DemoError::io(&parent, e))?;
    let fresh = !out_dir.exists();
    let staging_home = if fresh {
        parent.clone()
    } else {
        out_dir.to_path_buf()
    };
    remove_stale_staging(&staging_home);
    let staging = staging_home.join(format!(
        "{STAGING_PREFIX}{}-{}",
        std::process::id(),
        unique_suffix()
    ));
    fs::create_dir(&staging).map_err(|e| DemoError::io(&staging, e))?;

    let result = write(&staging).and_then(|summary| {
        write_manifest(&staging, &summary)?;
        if fresh && fs::rename(&staging, out_dir).is_ok() {
            sync_dir(&parent);
            return Ok(summary);
        }
        move_into(&staging, out_dir, &summary)?;
        Ok(summary)
    });
    if staging.exists() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// Moves every table file, then the manifest, from `staging` into the existing `out_dir`.
fn move_into(staging: &Path, out_dir: &Path, summary: &DemoSummary) -> Result<(), DemoError> {
    fs::create_dir_all(out_dir).map_err(|e| DemoError::io(out_dir, e))?;
    let manifest = out_dir.join(MANIFEST_FILE);
    match fs::remove_file(&manifest) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(DemoError::io(&manifest, e)),
    }
    for table in &summary.tables {
        let relative = table.relative_path();
        let target = out_dir.join(&relative);
        let target_dir = target.parent().expect("table paths have a parent");
        fs::create_dir_all(target_dir).map_err(|e| DemoError::io(target_dir, e))?;
        fs::rename(staging.join(&relative), &target).map_err(|e| DemoError::io(&target, e))?;
        sync_dir(target_dir);
    }
    fs::rename(staging.join(MANIFEST_FILE), &manifest).map_err(|e| DemoError::io(&manifest, e))?;
    sync_dir(out_dir);
    Ok(())
}

fn write_manifest(dir: &Path, summary: &DemoSummary) -> Result<(), DemoError> {
    let path = dir.join(MANIFEST_FILE);
    let text = serde_json::to_string_pretty(summary).expect("the summary serialises");
    fs::write(&path, text).map_err(|e| DemoError::io(&path, e))
}

/// Removes staging directories left by interrupted runs.
fn remove_stale_staging(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(STAGING_PREFIX)
        {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

/// Makes a rename durable where the platform allows syncing a directory.
fn sync_dir(dir: &Path) {
    if let Ok(handle) = fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}

fn unique_suffix() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}
