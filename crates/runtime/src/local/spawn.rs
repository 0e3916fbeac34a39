//! Launching one unit process: the command line, environment, process group, log file, and the
//! reaper task that records how the process ended. Does not own port choice or stopping.

use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;

use chrono::Utc;
use tokio::process::{Child, Command};
use tokio::sync::watch;

use super::LocalRuntimeConfig;
use super::record::{ExitRecord, RecordDir};
use crate::{RuntimeError, UnitSpec};

/// Environment variable through which the unit learns its own unit name.
pub(crate) const POD_NAME_ENV: &str = "GRAPH_OLAP_POD_NAME";
/// Environment variable naming the unit's working directory (downloaded snapshot, database).
pub(crate) const DATA_DIR_ENV: &str = "GRAPH_OLAP_INSTANCE_DATA_DIR";

/// Where a unit keeps its files: under the runtime's work directory, so they are found (and
/// removed) by the runtime that stops the unit, even after a control-plane restart.
pub(crate) fn data_dir(config: &LocalRuntimeConfig, name: &str) -> std::path::PathBuf {
    config.work_dir.join("data").join(name)
}

/// Spawns the instance server for `spec` listening on `listen`, in its own process group,
/// with stdout and stderr appended to `log_path`.
pub(crate) fn spawn(
    config: &LocalRuntimeConfig,
    spec: &UnitSpec,
    listen: SocketAddr,
    internal_url: &str,
    log_path: &Path,
) -> Result<Child, RuntimeError> {
    let log_io = |source| RuntimeError::Io {
        path: log_path.to_path_buf(),
        source,
    };
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path)
        .map_err(log_io)?;
    let header = format!(
        "--- {} starting unit {} (instance {}) on {listen}\n",
        Utc::now().to_rfc3339(),
        spec.name(),
        spec.instance_id
    );
    std::io::Write::write_all(&mut log, header.as_bytes()).map_err(log_io)?;
    let stderr = log.try_clone().map_err(log_io)?;

    let mut command = Command::new(&config.program);
    command
        .args(&config.args)
        .arg("--instance-id")
        .arg(spec.instance_id.to_string())
        .arg("--listen")
        .arg(listen.to_string())
        .arg("--internal-url")
        .arg(internal_url)
        .env(POD_NAME_ENV, spec.name())
        .env(DATA_DIR_ENV, data_dir(config, &spec.name()))
        .env(crate::MALLOC_ARENA_MAX.0, crate::MALLOC_ARENA_MAX.1)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::from(log))
        .stderr(Stdio::from(stderr))
        .process_group(0)
        .kill_on_drop(false);
    command.spawn().map_err(|source| RuntimeError::SpawnFailed {
        program: config.program.clone(),
        source,
    })
}

/// Waits for `child` in the background, records its exit status in its unit record and then
/// signals the returned channel (`true` once the exit is recorded or the wait failed).
pub(crate) fn reap(
    records: Arc<RecordDir>,
    name: String,
    pid: u32,
    mut child: Child,
) -> watch::Receiver<bool> {
    let (tx, rx) = watch::channel(false);
    tokio::spawn(async move {
        let exit = match child.wait().await {
            Ok(status) => ExitRecord {
                code: status.code(),
                signal: status.signal(),
                at: Utc::now(),
            },
            Err(e) => {
                tracing::warn!(unit = %name, pid, error = %e, "waiting for the unit process failed");
                ExitRecord {
                    code: None,
                    signal: None,
                    at: Utc::now(),
                }
            }
        };
        tracing::info!(unit = %name, pid, code = ?exit.code, signal = ?exit.signal, "unit process exited");
        if let Err(e) = records.update(&name, pid, |r| r.exit = Some(exit)).await {
            tracing::warn!(unit = %name, pid, error = %e, "could not record the unit's exit status");
        }
        let _ = tx.send(true);
    });
    rx
}
