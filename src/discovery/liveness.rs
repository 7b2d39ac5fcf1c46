//! Whether the process that wrote a record is still running, from `/proc`.

use std::fs;

/// When process `pid` started, in clock ticks since boot (field 22 of
/// `/proc/<pid>/stat`), and whether it is a zombie. `None`: no such
/// process (or no `/proc`).
fn stat(pid: u32) -> Option<(u64, bool)> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold anything.
    let after_name = &text[text.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    let state = fields.next()?;
    let start = fields.nth(18)?.parse().ok()?;
    Some((start, matches!(state, "Z" | "X")))
}

/// This process's start, recorded so a later reader can tell a reused pid.
pub(crate) fn own_start() -> Option<u64> {
    stat(std::process::id()).map(|(start, _)| start)
}

/// True while `pid` runs and, when `started` is known, is the same process
/// that wrote the record.
#[cfg_attr(not(feature = "discovery"), allow(dead_code))] // readers only
pub(crate) fn is_alive(pid: u32, started: Option<u64>) -> bool {
    if fs::metadata("/proc/self").is_err() {
        // No way to tell here; keep the record.
        return true;
    }
    match stat(pid) {
        None => false,
        Some((_, true)) => false,
        Some((start, false)) => started.is_none_or(|s| s == start),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_reused_pid_is_not() {
        let me = std::process::id();
        let start = own_start();
        assert!(start.is_some());
        assert!(is_alive(me, start));
        assert!(!is_alive(me, start.map(|s| s + 1)));
        assert!(!is_alive(u32::MAX, None));
    }
}
