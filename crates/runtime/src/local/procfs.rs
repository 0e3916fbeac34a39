//! Process identity from `/proc/PID/stat`. Owns telling "our process is alive" from "gone",
//! "zombie" and "the pid now belongs to someone else". Does not own signalling.

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
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// Parses a `/proc/PID/stat` line. The command name (field 2) may contain spaces and
/// parentheses, so fields are counted from the last `)`.
fn parse_stat(text: &str) -> Option<(u64, bool)> {
    let rest = &text[text.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    // After the state (field 3), field 22 is the 19th field.
    let start_ticks = fields.nth(18)?.parse().ok()?;
    Some((start_ticks, state == "Z" || state == "X"))
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
    use super::parse_stat;

    #[test]
    fn parses_start_time_and_state_past_odd_command_names() {
        let line = "4242 (we ird) (x)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 100 18446744073709551615";
        assert_eq!(parse_stat(line), Some((987_654, false)));
        let zombie = "7 (a) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0 0";
        assert_eq!(parse_stat(zombie), Some((55, true)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn own_process_is_alive() {
        let pid = std::process::id();
        let (ticks, zombie) = super::stat(pid).expect("own stat");
        assert!(!zombie);
        assert_eq!(super::liveness(pid, ticks), super::Liveness::Alive);
        assert_eq!(super::liveness(pid, ticks + 1), super::Liveness::Gone);
    }
}
