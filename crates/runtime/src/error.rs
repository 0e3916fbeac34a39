//! Errors of the runtime layer. Owns the failure kinds and their messages; the control plane maps
//! them to instance error codes and API errors.

use std::path::PathBuf;

/// Why a runtime operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The unit spec cannot be run (for example a `url_slug` that is not a safe file name).
    #[error("invalid unit spec: {reason}")]
    InvalidSpec {
        /// What is wrong with the spec.
        reason: String,
    },
    /// The instance-server program could not be started.
    #[error("could not start `{}`: {source} (check the runtime's program path)", program.display())]
    SpawnFailed {
        /// The program that was executed.
        program: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// No unit of that name is known to the runtime.
    #[error("runtime unit `{name}` not found")]
    NotFound {
        /// The unit name.
        name: String,
    },
    /// No free TCP port could be reserved for a new unit.
    #[error("no free TCP port on {host}: {source}")]
    NoFreePort {
        /// The bind host that was tried.
        host: std::net::IpAddr,
        /// The last bind error.
        source: std::io::Error,
    },
    /// Reading or writing the runtime's working directory failed.
    #[error("runtime file `{}`: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The operating-system error.
        source: std::io::Error,
    },
    /// A unit record on disk cannot be parsed.
    #[error("unit record `{}` is corrupt: {source} (stop the process by hand and delete the file)", path.display())]
    CorruptRecord {
        /// The record file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// A unit record on disk was written by an incompatible version of graph-olap.
    #[error("unit record `{}` has schema_version {found}, this build reads {expected}", path.display())]
    RecordVersion {
        /// The record file.
        path: PathBuf,
        /// The version found in the file.
        found: u32,
        /// The version this build writes and reads.
        expected: u32,
    },
    /// Sending a signal to a unit's process group failed.
    #[error("could not signal unit `{name}` (pid {pid}): {source}")]
    Signal {
        /// The unit name.
        name: String,
        /// The process (group) id.
        pid: u32,
        /// The error from `kill(2)`.
        source: nix::errno::Errno,
    },
    /// The unit's process was still alive after SIGKILL and the extra wait.
    #[error("unit `{name}` (pid {pid}) did not exit after SIGKILL")]
    StopTimedOut {
        /// The unit name.
        name: String,
        /// The process id.
        pid: u32,
    },
    /// A runtime setting is invalid or does not work with the cluster; names the setting.
    #[error("runtime setting `{setting}`: {reason}")]
    Config {
        /// The setting, e.g. `kubernetes.namespace`.
        setting: String,
        /// What is wrong, including the cluster's answer when there is one.
        reason: String,
    },
    /// The Kubernetes API refused or failed an operation.
    #[error("Kubernetes {operation} failed: {reason}")]
    Kubernetes {
        /// What was attempted, e.g. `create pod wrapper-abc`.
        operation: String,
        /// The API's reason and message (`Forbidden: pods is forbidden: …`) or the transport error.
        reason: String,
        /// The HTTP status of the API's answer, when there was one.
        status: Option<u16>,
    },
    /// The runtime cannot make this change; says why and what happens instead.
    #[error("not supported here: {reason}")]
    Unsupported {
        /// Why, and what to do instead.
        reason: String,
    },
}
