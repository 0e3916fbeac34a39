//! Signalling a unit's process group and waiting for its leader to go. Owns the SIGTERM →
//! grace → SIGKILL sequence; does not own the unit records.

use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use super::procfs::{Liveness, liveness};
use crate::RuntimeError;

/// How long to wait for a process to disappear after SIGKILL before giving up.
const KILL_WAIT: Duration = Duration::from_secs(5);
/// Polling period while waiting for a process to exit.
const POLL: Duration = Duration::from_millis(20);

/// Stops the process group led by `pid` (started at `start_ticks`): SIGTERM, up to `grace` for
/// the leader to exit, then SIGKILL. Does nothing when the leader is not our live process any
/// more (a pid or group id of a gone process may have been reused by someone else).
pub(crate) async fn terminate_group(
    name: &str,
    pid: u32,
    start_ticks: u64,
    grace: Duration,
) -> Result<(), RuntimeError> {
    if liveness(pid, start_ticks) != Liveness::Alive {
        return Ok(());
    }
    send(name, pid, Signal::SIGTERM)?;
    if wait_gone(pid, start_ticks, grace).await {
        return Ok(());
    }
    tracing::warn!(
        unit = name,
        pid,
        grace_ms = grace.as_millis() as u64,
        "unit ignored SIGTERM; sending SIGKILL"
    );
    if liveness(pid, start_ticks) == Liveness::Alive {
        send(name, pid, Signal::SIGKILL)?;
    }
    if wait_gone(pid, start_ticks, KILL_WAIT).await {
        Ok(())
    } else {
        Err(RuntimeError::StopTimedOut {
            name: name.to_owned(),
            pid,
        })
    }
}

/// Sends `signal` to the process group `pid`; a group that no longer exists is not an error.
fn send(name: &str, pid: u32, signal: Signal) -> Result<(), RuntimeError> {
    let group = i32::try_from(pid)
        .map(Pid::from_raw)
        .map_err(|_| RuntimeError::Signal {
            name: name.to_owned(),
            pid,
            source: Errno::EINVAL,
        })?;
    match killpg(group, signal) {
        Ok(()) | Err(Errno::ESRCH) => Ok(()),
        Err(source) => Err(RuntimeError::Signal {
            name: name.to_owned(),
            pid,
            source,
        }),
    }
}

/// Waits up to `timeout` for the process to stop being alive (exited, zombie or gone); returns
/// whether it did.
pub(crate) async fn wait_gone(pid: u32, start_ticks: u64, timeout: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if liveness(pid, start_ticks) != Liveness::Alive {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}
