//! CPU time of the calling thread, read from `/proc/thread-self/schedstat` (Linux), so that a
//! single-core throughput is measured in CPU-seconds and stays meaningful on a machine shared
//! with other work. Falls back to wall-clock time where the file is missing.

use std::time::Instant;

/// Nanoseconds the current thread has run on a CPU, when the kernel reports it.
fn thread_cpu_nanos() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// Runs `work` and returns the seconds it took: thread CPU time when available, else wall time.
pub fn seconds(work: impl FnOnce()) -> f64 {
    let wall = Instant::now();
    let before = thread_cpu_nanos();
    work();
    match (before, thread_cpu_nanos()) {
        (Some(before), Some(after)) if after > before => (after - before) as f64 / 1e9,
        _ => wall.elapsed().as_secs_f64(),
    }
}
