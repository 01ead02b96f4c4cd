//! Small file-system helpers shared by the phases: atomic writes that touch a file only when its
//! content changes (so the workspace diff shows real changes only, and a crash never leaves a
//! half-written file).

use std::io::{self, Write};
use std::path::Path;

/// Writes `content` to `path` through a temporary file and a rename, unless the file already
/// holds exactly that content. Returns whether it wrote. Parent folders are created.
pub fn write_if_changed(path: &Path, content: &str) -> io::Result<bool> {
    if std::fs::read(path).is_ok_and(|existing| existing == content.as_bytes()) {
        return Ok(false);
    }
    write_atomic(path, content.as_bytes())?;
    Ok(true)
}

/// Writes `bytes` to `path` through a temporary sibling file, synced, then renamed over it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let parent = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let mut temporary = tempfile::NamedTempFile::new_in(parent)?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|error| error.error)?;
    Ok(())
}

/// A suffix no other temporary name of this process or another has: the process id, the time
/// in nanoseconds and a per-process counter.
pub fn unique_suffix() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}-{nanos}-{count}", std::process::id())
}
