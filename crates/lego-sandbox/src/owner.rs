//! Who owns a sandbox: a pid and its start time, so that `gc` can tell a live owner from a dead
//! one (and from a new process that reused its pid).

/// The start time of a process (field 22 of `/proc/PID/stat`, clock ticks since boot), `None`
/// when it does not exist.
pub(crate) fn process_start(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19).map(str::to_owned)
}

/// Whether process `pid` lives and, when `start` is known, is the one that started then.
pub(crate) fn owner_alive(pid: u32, start: Option<&str>) -> bool {
    match process_start(pid) {
        None => false,
        // A recorded start time that differs: the pid was reused by another process.
        Some(now) => start.is_none_or(|s| s.is_empty() || s == now),
    }
}
