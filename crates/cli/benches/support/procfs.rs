//! What the benchmarks read from `/proc`: a process's resident and peak memory (and resetting
//! the peak, so one process's steps can be measured one by one), the machine's available memory
//! and load, and a floor on available memory that stops a step before the machine runs out.
//!
//! Owns only reading (and the peak-reset write of) Linux's `/proc`; it does not decide what a
//! figure means for a benchmark.

/// The number after `key` in a `/proc` text of `Key:  value kB` lines (0 when missing).
pub fn kb_field(text: &str, key: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// `MemAvailable` of the machine in MiB.
pub fn mem_available_mb() -> u64 {
    kb_field(
        &std::fs::read_to_string("/proc/meminfo").unwrap_or_default(),
        "MemAvailable:",
    ) / 1024
}

/// (1-minute load average, threads on the machine).
pub fn loadavg() -> (f64, u64) {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let parts: Vec<&str> = text.split_whitespace().collect();
    let load = parts.first().and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let threads = parts
        .get(3)
        .and_then(|v| v.split('/').nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    (load, threads)
}

/// Resident (`VmRSS`) and peak resident (`VmHWM`) memory of a process in KiB, `None` once it
/// has exited.
pub fn rss_and_peak_kb(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some((kb_field(&status, "VmRSS:"), kb_field(&status, "VmHWM:")))
}

/// Resets a process's peak resident memory (`VmHWM`) to its current resident memory (Linux's
/// `clear_refs` value 5), so that the next [`rss_and_peak_kb`] reports the peak of what ran in
/// between. Returns whether the kernel accepted it (only for our own processes).
pub fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// The machine's memory floor while a benchmark step runs: checked at every poll of the step,
/// it sends SIGKILL to the step's process when available memory falls below the floor — before
/// the kernel's OOM killer picks a process of the machine's other users — and remembers the
/// least available memory it saw.
#[derive(Debug, Clone, Copy)]
pub struct MemoryFloor {
    /// Stop below this much available memory, MiB.
    pub floor_mb: u64,
    /// The least `MemAvailable` seen so far, MiB.
    pub least_mb: u64,
}

impl MemoryFloor {
    /// A floor of `floor_mb` MiB.
    pub fn new(floor_mb: u64) -> MemoryFloor {
        MemoryFloor {
            floor_mb,
            least_mb: u64::MAX,
        }
    }

    /// Reads available memory; below the floor kills `pid` (if given) and returns what was left.
    pub fn check(&mut self, pid: Option<u32>) -> Result<(), u64> {
        let available = mem_available_mb();
        self.least_mb = self.least_mb.min(available);
        if available >= self.floor_mb {
            return Ok(());
        }
        if let Some(pid) = pid {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        Err(available)
    }
}
