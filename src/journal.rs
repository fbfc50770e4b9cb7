//! Append-only JSON-lines files: the quota ledger and the audit log. Both are
//! written one synced line at a time, read by skipping what cannot be parsed,
//! and created with modes that do not depend on the user's umask: a private
//! file must not become readable by others, and a team's shared ledger must
//! stay writable by the whole group.

use std::fs::{File, OpenOptions, Permissions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Who may read and write a state file that firekeeper creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sharing {
    /// The user only: files 0600, directories 0700.
    Private,
    /// The user and the file's group (a team's ledger): files 0660. Never
    /// world-writable.
    Group,
}

impl Sharing {
    pub fn file_mode(self) -> u32 {
        match self {
            Sharing::Private => 0o600,
            Sharing::Group => 0o660,
        }
    }
}

/// The effective user id of this process.
pub fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Whether the directory lets its group write, the sign of a team's
/// directory (often with the setgid bit so new files take its group).
pub fn group_writable(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|m| m.mode() & 0o020 != 0)
}

/// Creates `dir` and its missing parents. Private directories are made 0700
/// whatever the umask; existing directories are left as they are.
pub fn create_dir(dir: &Path, sharing: Sharing) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mode = match sharing {
        Sharing::Private => 0o700,
        // The group's directory is the administrator's to set up (setgid,
        // group); firekeeper only creates what is missing, and never lets
        // the umask widen it.
        Sharing::Group => 0o770,
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(dir)?;
    // The umask narrows the mode asked for (0770 is 0750 under 022, and the
    // team could not create files in it); set it exactly.
    std::fs::set_permissions(dir, Permissions::from_mode(mode))
}

/// Follows symbolic links to the file they name, so a linked ledger is read,
/// written, locked and compacted where it really lives. A dangling link
/// resolves to where its target would be created.
pub fn resolve_links(path: &Path) -> PathBuf {
    let mut path = path.to_path_buf();
    // As the kernel does: give up on a loop after 40 links.
    for _ in 0..40 {
        match std::fs::read_link(&path) {
            Ok(target) => {
                path = match path.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            Err(_) => break,
        }
    }
    path
}

/// What a path is when it is not a regular file, in words: "a FIFO (named
/// pipe)", "a character device"…; `None` for a regular file.
fn not_regular(meta: &std::fs::Metadata) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    Some(if t.is_file() {
        return None;
    } else if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else {
        "not a regular file"
    })
}

/// The error for a path that is something other than a regular file.
fn refused(kind: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("it is {kind}, not a regular file: point firekeeper at a file"),
    )
}

/// Refuses a path that exists and is not a regular file (a FIFO, socket,
/// device or directory), before anything is created beside it: a FIFO
/// would block an open for ever, and `/dev/null` would swallow every
/// record while `status` said all was well. A missing path is fine.
pub fn ensure_regular(path: &Path) -> io::Result<()> {
    match std::fs::metadata(path) {
        Ok(meta) => not_regular(&meta).map_or(Ok(()), |kind| Err(refused(kind))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Opens with `O_NONBLOCK`, so that a FIFO or device named in place of a
/// file cannot hold the open (and the process) for ever, then refuses it
/// unless it is a regular file (checked on the open file: no race with a
/// swap in between). A regular file ignores `O_NONBLOCK`.
pub fn open_regular(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    let file = options.custom_flags(libc::O_NONBLOCK).open(path)?;
    match not_regular(&file.metadata()?) {
        None => Ok(file),
        Some(kind) => Err(refused(kind)),
    }
}

/// The whole of a regular file (see `open_regular`), at most `limit` bytes
/// and one more, so the caller can tell it was longer.
pub fn read_regular(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path, OpenOptions::new().read(true))?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Opens `path` to read and append, creating it with exactly the mode
/// `sharing` asks for. An existing file keeps its owner, group and mode;
/// anything but a regular file is refused (see `open_regular`).
pub fn open_append(path: &Path, sharing: Sharing) -> io::Result<File> {
    match open_regular(
        path,
        OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .mode(sharing.file_mode()),
    ) {
        Ok(file) => {
            // The umask may have taken bits away (0660 under umask 022 is
            // 0640, and the team could not write); set them exactly.
            file.set_permissions(Permissions::from_mode(sharing.file_mode()))?;
            Ok(file)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            open_regular(path, OpenOptions::new().read(true).append(true))
        }
        Err(e) => Err(e),
    }
}

/// Appends one line with one `write`, after a newline if the file ends in a
/// torn line (a writer killed mid-line), then syncs. One write keeps lines
/// from two processes apart; a crash leaves at most this line torn.
pub fn append_line(file: &mut File, line: &str) -> io::Result<()> {
    let mut bytes = Vec::with_capacity(line.len() + 2);
    if !ends_with_newline(file)? {
        bytes.push(b'\n');
    }
    bytes.extend_from_slice(line.as_bytes());
    bytes.push(b'\n');
    file.write_all(&bytes)?;
    file.sync_data()
}

fn ends_with_newline(file: &mut File) -> io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// The non-empty lines of a journal that are UTF-8; the others are logged
/// and skipped, so one bad line costs that line only.
pub fn lines<'a>(bytes: &'a [u8], what: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .filter_map(move |(i, line)| match std::str::from_utf8(line) {
            Ok(text) if text.trim().is_empty() => None,
            Ok(text) => Some(text),
            Err(_) => {
                tracing::warn!("{what}: line {} is not UTF-8; skipped", i + 1);
                None
            }
        })
}

/// Runs blocking file work (a wait for the ledger's lock, a synced append) on
/// tokio's blocking pool, so the tasks sharing the async runtime (the
/// worker, the dashboard's loop) keep running meanwhile.
///
/// The blocking pool rather than one I/O thread of our own: a ledger stuck
/// behind another process's lock for `quota::LOCK_PATIENCE` would hold up
/// every audit line queued behind it on a single thread, while the pool runs
/// them side by side. Order is kept where it matters because each flow awaits
/// one write before it starts the next. And work once started runs to its
/// end even if the awaiting future is dropped, so a line is never cut short
/// by the user quitting.
pub async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> io::Result<T> {
    match tokio::task::spawn_blocking(work).await {
        Ok(done) => Ok(done),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        // Only a runtime shutting down cancels work that has not started.
        Err(_) => Err(io::Error::other("not written: firekeeper is shutting down")),
    }
}
