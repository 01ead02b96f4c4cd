//! The live memory folder's lock: an advisory lock (`flock`) on the folder's own directory
//! handle. Writers of the live folder (notes) hold it shared; phase 2 holds it exclusively while
//! it carries those writes into its consolidated copy and swaps the copy in. A swap replaces the
//! folder at its path, so a lock taken on the old folder is worthless afterwards: after locking,
//! the holder checks that its handle is still the folder at `root` and starts over when not.

use std::io;
use std::path::Path;
use std::time::Duration;

#[cfg(not(unix))]
use cap_std::ambient_authority;
use cap_std::fs::Dir;

/// How many times a writer waits for a folder that is missing because a swap is half done.
const MISSING_ROOT_WAITS: u32 = 50;
/// How long each of those waits lasts.
const MISSING_ROOT_WAIT: Duration = Duration::from_millis(20);
/// How many times the lock is retaken after the folder was swapped under it.
const MAX_SWAPPED_RETRIES: u32 = 100;

/// Shared (writers) or exclusive (the phase-2 swap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LockMode {
    /// Many holders at once: writers that must land before or after a swap, never during it.
    Shared,
    /// One holder: the swap.
    Exclusive,
}

/// A held lock; released when dropped.
#[derive(Debug)]
pub(crate) struct FolderLock {
    _file: std::fs::File,
}

/// Opens the folder `root` and locks it in `mode`. `None` when it does not exist (and `create`
/// is false). With `create`, a missing folder is created — unless a phase-2 swap is half done
/// (the folder moved aside, the new one not yet in place), which is waited out first.
pub(crate) fn open_locked(
    root: &Path,
    mode: LockMode,
    create: bool,
) -> io::Result<Option<(Dir, FolderLock)>> {
    let mut waits = 0;
    let mut retries = 0;
    loop {
        let file = match open_folder(root) {
            Ok(file) => file,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                if !create {
                    return Ok(None);
                }
                if crate::workspace::swap_in_progress(root) && waits < MISSING_ROOT_WAITS {
                    waits += 1;
                    std::thread::sleep(MISSING_ROOT_WAIT);
                    continue;
                }
                std::fs::create_dir_all(root)?;
                continue;
            }
            Err(error) => return Err(error),
        };
        match mode {
            LockMode::Shared => lock_shared(&file)?,
            LockMode::Exclusive => lock_exclusive(&file)?,
        }
        if still_at(&file, root)? || retries >= MAX_SWAPPED_RETRIES {
            // The service works through a duplicate of the locked handle: the very folder
            // whose lock is held, whatever happens at `root` afterwards.
            let dir = Dir::from_std_file(file.try_clone()?);
            return Ok(Some((dir, FolderLock { _file: file })));
        }
        // The folder was swapped while this waited: the lock is on the old one. Start over.
        retries += 1;
    }
}

/// Opens the folder itself as a file (read-only), the handle `flock` works on.
#[cfg(unix)]
fn open_folder(root: &Path) -> io::Result<std::fs::File> {
    let file = std::fs::File::open(root)?;
    if !file.metadata()?.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a folder", root.display()),
        ));
    }
    Ok(file)
}

/// Where folders cannot be opened as files, the ambient directory handle stands in.
#[cfg(not(unix))]
fn open_folder(root: &Path) -> io::Result<std::fs::File> {
    Dir::open_ambient_dir(root, ambient_authority()).map(Dir::into_std_file)
}

#[cfg(unix)]
fn lock_shared(file: &std::fs::File) -> io::Result<()> {
    file.lock_shared()
}

#[cfg(unix)]
fn lock_exclusive(file: &std::fs::File) -> io::Result<()> {
    file.lock()
}

#[cfg(not(unix))]
fn lock_shared(_file: &std::fs::File) -> io::Result<()> {
    Ok(())
}

#[cfg(not(unix))]
fn lock_exclusive(_file: &std::fs::File) -> io::Result<()> {
    Ok(())
}

/// Whether the open folder `file` is still the folder at `root`.
#[cfg(unix)]
fn still_at(file: &std::fs::File, root: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let held = file.metadata()?;
    match std::fs::metadata(root) {
        Ok(current) => Ok(held.dev() == current.dev() && held.ino() == current.ino()),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(error),
    }
}

#[cfg(not(unix))]
fn still_at(_file: &std::fs::File, _root: &Path) -> io::Result<bool> {
    Ok(true)
}
