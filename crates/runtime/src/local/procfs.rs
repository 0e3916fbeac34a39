//! Process identity for the local runtime: telling "our process is alive" from "gone",
//! "zombie" and "the pid now belongs to someone else", by the start time recorded with the pid.
//! Does not own reading `/proc` (`graph_olap_server_kit::procfs`), nor signalling.

use graph_olap_server_kit::procfs;

/// What `/proc` says about a pid recorded together with its start time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Liveness {
    /// The recorded process is alive.
    Alive,
    /// The recorded process has exited but was not reaped yet.
    Zombie,
    /// No such process, or the pid now belongs to a different process.
    Gone,
}

/// The start time of `pid` in clock ticks since boot (field 22 of `/proc/PID/stat`), and
/// whether it is a zombie. `None` when the process does not exist.
pub(crate) fn stat(pid: u32) -> Option<(u64, bool)> {
    procfs::stat(pid).map(|s| (s.start_ticks, s.is_zombie()))
}

/// Whether `pid` is still the process that started at `start_ticks`.
pub(crate) fn liveness(pid: u32, start_ticks: u64) -> Liveness {
    match stat(pid) {
        Some((ticks, _)) if ticks != start_ticks => Liveness::Gone,
        Some((_, true)) => Liveness::Zombie,
        Some((_, false)) => Liveness::Alive,
        None => Liveness::Gone,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn own_process_is_alive() {
        let pid = std::process::id();
        let (ticks, zombie) = super::stat(pid).expect("own stat");
        assert!(!zombie);
        assert_eq!(super::liveness(pid, ticks), super::Liveness::Alive);
        assert_eq!(super::liveness(pid, ticks + 1), super::Liveness::Gone);
    }
}
