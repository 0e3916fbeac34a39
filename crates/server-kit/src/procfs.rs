//! Figures about processes read from Linux's `/proc`: the fields of `/proc/PID/stat` used by
//! graph-olap, this process's standard `process_*` metrics, and its resident memory. No other
//! platform is supported; elsewhere every reader returns `None`.
//!
//! CPU times and start times are in clock ticks, which Linux fixes at 100 per second for
//! user-visible interfaces (`USER_HZ`) on every supported architecture.
//!
//! Owns: where each figure is read and how the files are parsed. Does not own: what the figures
//! are used for (metrics, process liveness, status bodies).

use std::fs;

/// Clock ticks per second of `/proc` times (`USER_HZ`).
const TICKS_PER_SECOND: f64 = 100.0;

/// The fields of `/proc/PID/stat` that are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// Field 3: `R`, `S`, `D`, `Z`, `X` …
    pub state: char,
    /// Field 14: user CPU time, in ticks.
    pub utime: u64,
    /// Field 15: system CPU time, in ticks.
    pub stime: u64,
    /// Field 20: OS threads.
    pub threads: u64,
    /// Field 22: start time, in ticks since boot.
    pub start_ticks: u64,
    /// Field 23: virtual memory size in bytes.
    pub vsize: u64,
}

impl ProcStat {
    /// Whether the process has exited and was not reaped yet (`Z`, or `X` while it is removed).
    pub fn is_zombie(&self) -> bool {
        matches!(self.state, 'Z' | 'X')
    }
}

/// Reads `/proc/PID/stat`; `None` when there is no such process.
pub fn stat(pid: u32) -> Option<ProcStat> {
    parse_stat(&fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

/// Parses a `/proc/PID/stat` line. The command name (field 2) may contain spaces and
/// parentheses, so fields are counted from the last `)`.
pub fn parse_stat(text: &str) -> Option<ProcStat> {
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // f[0] is field 3 (state); field n is f[n - 3].
    let field = |n: usize| f.get(n - 3).and_then(|v| v.parse::<u64>().ok());
    let mut state = f.first()?.chars();
    let (Some(state), None) = (state.next(), state.next()) else {
        return None;
    };
    Some(ProcStat {
        state,
        utime: field(14)?,
        stime: field(15)?,
        threads: field(20)?,
        start_ticks: field(22)?,
        vsize: field(23)?,
    })
}

/// One reading of this process's figures, for the standard `process_*` metrics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProcessStats {
    /// User plus system CPU time.
    pub cpu_seconds: f64,
    /// Resident set size.
    pub resident_memory_bytes: u64,
    /// Virtual memory size.
    pub virtual_memory_bytes: u64,
    /// Open file descriptors.
    pub open_fds: u64,
    /// Soft limit on open file descriptors, when known.
    pub max_fds: Option<u64>,
    /// Process start, seconds since the Unix epoch.
    pub start_time_seconds: f64,
    /// OS threads.
    pub threads: u64,
}

/// Reads this process's figures; `None` when `/proc/self` is unavailable.
pub fn self_stats() -> Option<ProcessStats> {
    let stat = parse_stat(&fs::read_to_string("/proc/self/stat").ok()?)?;
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let boot_time = fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| parse_boot_time(&s))?;
    let open_fds = fs::read_dir("/proc/self/fd")
        .map(|d| d.count() as u64)
        .unwrap_or(0);
    let max_fds = fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|s| parse_max_open_files(&s));
    Some(ProcessStats {
        cpu_seconds: (stat.utime + stat.stime) as f64 / TICKS_PER_SECOND,
        resident_memory_bytes: status_kib(&status, "VmRSS:").unwrap_or(0) * 1024,
        virtual_memory_bytes: stat.vsize,
        open_fds,
        max_fds,
        start_time_seconds: boot_time as f64 + stat.start_ticks as f64 / TICKS_PER_SECOND,
        threads: stat.threads,
    })
}

/// Resident pages of this process (field 2 of `/proc/self/statm`) in bytes, counting 4 KiB
/// pages; `None` when `/proc` is unavailable.
pub fn resident_memory_bytes() -> Option<u64> {
    let statm = fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn parse_boot_time(proc_stat: &str) -> Option<u64> {
    proc_stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

fn parse_max_open_files(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_is_parsed_after_a_command_name_with_spaces() {
        let line = "4242 (my (odd) name) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 7 0 123456 987654321 1000 0";
        let f = parse_stat(line).unwrap();
        assert_eq!(
            f,
            ProcStat {
                state: 'S',
                utime: 250,
                stime: 50,
                threads: 7,
                start_ticks: 123456,
                vsize: 987654321
            }
        );
        assert_eq!(
            parse_max_open_files(
                "Limit Soft Hard Units\nMax open files            1024                 4096                 files\n"
            ),
            Some(1024)
        );
        assert_eq!(
            status_kib("Name:\tx\nVmRSS:\t  2048 kB\n", "VmRSS:"),
            Some(2048)
        );
        assert_eq!(
            parse_boot_time("cpu 1 2\nbtime 1700000000\n"),
            Some(1_700_000_000)
        );
    }

    #[test]
    fn parses_start_time_and_state_past_odd_command_names() {
        let start_and_zombie =
            |line: &str| parse_stat(line).map(|s| (s.start_ticks, s.is_zombie()));
        let line = "4242 (we ird) (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615";
        assert_eq!(start_and_zombie(line), Some((987_654, false)));
        let zombie = "7 (a) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0 0";
        assert_eq!(start_and_zombie(zombie), Some((55, true)));
        assert_eq!(start_and_zombie("garbage"), None);
    }

    #[test]
    fn this_process_is_readable_on_linux() {
        if cfg!(target_os = "linux") {
            let s = self_stats().expect("/proc/self");
            assert!(s.resident_memory_bytes > 0 && s.open_fds > 0 && s.threads >= 1);
            assert!(s.start_time_seconds > 1_600_000_000.0);
            assert!(resident_memory_bytes().is_some_and(|b| b > 0));
            let own = stat(std::process::id()).expect("own stat");
            assert!(!own.is_zombie());
        }
    }
}
