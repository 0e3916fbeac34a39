//! Figures about this process for the standard `process_*` metrics, read from Linux's
//! `/proc/self` (no other platform is supported; elsewhere the figures are absent).
//!
//! CPU times and the start time are in clock ticks, which Linux fixes at 100 per second for
//! user-visible interfaces (`USER_HZ`) on every supported architecture.

use std::fs;

/// Clock ticks per second of `/proc` times (`USER_HZ`).
const TICKS_PER_SECOND: f64 = 100.0;

/// One reading of the process figures.
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

/// Reads the current figures, `None` when `/proc/self` is unavailable.
pub fn read() -> Option<ProcessStats> {
    let stat = fs::read_to_string("/proc/self/stat").ok()?;
    let status = fs::read_to_string("/proc/self/status").ok()?;
    let boot_time = fs::read_to_string("/proc/stat")
        .ok()
        .and_then(|s| parse_boot_time(&s))?;
    let fields = parse_stat(&stat)?;
    let open_fds = fs::read_dir("/proc/self/fd")
        .map(|d| d.count() as u64)
        .unwrap_or(0);
    let max_fds = fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|s| parse_max_open_files(&s));
    Some(ProcessStats {
        cpu_seconds: (fields.utime + fields.stime) as f64 / TICKS_PER_SECOND,
        resident_memory_bytes: status_kib(&status, "VmRSS:").unwrap_or(0) * 1024,
        virtual_memory_bytes: fields.vsize,
        open_fds,
        max_fds,
        start_time_seconds: boot_time as f64 + fields.starttime as f64 / TICKS_PER_SECOND,
        threads: fields.threads,
    })
}

/// The fields of `/proc/self/stat` that are used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StatFields {
    utime: u64,
    stime: u64,
    threads: u64,
    starttime: u64,
    vsize: u64,
}

/// Parses `/proc/<pid>/stat`; the command name (field 2) may contain spaces and parentheses,
/// so fields are counted from the last `)`.
fn parse_stat(text: &str) -> Option<StatFields> {
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // f[0] is field 3 (state); field n is f[n - 3].
    let field = |n: usize| f.get(n - 3).and_then(|v| v.parse::<u64>().ok());
    Some(StatFields {
        utime: field(14)?,
        stime: field(15)?,
        threads: field(20)?,
        starttime: field(22)?,
        vsize: field(23)?,
    })
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
            StatFields {
                utime: 250,
                stime: 50,
                threads: 7,
                starttime: 123456,
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
    fn this_process_is_readable_on_linux() {
        if cfg!(target_os = "linux") {
            let s = read().expect("/proc/self");
            assert!(s.resident_memory_bytes > 0 && s.open_fds > 0 && s.threads >= 1);
            assert!(s.start_time_seconds > 1_600_000_000.0);
        }
    }
}
