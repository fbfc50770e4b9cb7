//! Panics: each one goes to the log with its message and a backtrace, and none
//! is lost behind the dashboard. Outside the dashboard the usual message goes
//! to stderr as well. While the dashboard owns the terminal, a panic on its
//! own thread gives the terminal back before saying anything; a panic on
//! another thread (the cloud worker) is only logged here, and whoever owns
//! that thread shows it (the worker turns it into `DataEvent::Crashed`).

use std::any::Any;
use std::backtrace::Backtrace;
use std::cell::Cell;
use std::panic::PanicHookInfo;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once, OnceLock, PoisonError};

static LOG_FILE: OnceLock<PathBuf> = OnceLock::new();
static INSTALL: Once = Once::new();
/// How to give the terminal back, while the dashboard has it.
static TUI: Mutex<Option<Box<dyn Fn() + Send>>> = Mutex::new(None);

thread_local! {
    /// Set on the thread that draws the dashboard: a panic there ends it.
    static UI_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Test hook: `FIREKEEPER_TEST_PANIC=worker` makes the cloud worker's first
/// job panic; `FIREKEEPER_TEST_PANIC=dashboard` makes the dashboard's own
/// loop panic after its first frame. Each place reads it once, at its start,
/// so the tests can see what a user sees when a bug panics there. Nothing
/// else reads it: real code must never panic.
pub const TEST_PANIC_VAR: &str = "FIREKEEPER_TEST_PANIC";

/// Whether the test hook asks for a panic at `place`.
pub fn test_panic_asked(place: &str) -> bool {
    std::env::var_os(TEST_PANIC_VAR).is_some_and(|v| v == place)
}

/// The panic the test hook asked for at `place`.
pub fn test_panic(place: &str) -> ! {
    panic!("{TEST_PANIC_VAR}={place}: the panic the tests asked for")
}

/// Where the log goes: `$XDG_STATE_HOME/firekeeper/firekeeper.log` (the
/// cache dir where the platform has no state dir).
pub fn default_log_path() -> Option<PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "firekeeper")?;
    let dir = dirs.state_dir().unwrap_or(dirs.cache_dir());
    Some(dir.join("firekeeper.log"))
}

/// Records the file the log is written to, once it is open.
pub fn set_log_file(path: PathBuf) {
    let _ = LOG_FILE.set(path);
}

/// The file the log is written to, if one could be opened.
pub fn log_file() -> Option<&'static Path> {
    LOG_FILE.get().map(PathBuf::as_path)
}

/// "see /home/me/.local/state/firekeeper/firekeeper.log", for a message
/// that asks the user to look there.
pub fn where_logged(log: Option<&Path>) -> String {
    match log {
        Some(path) => format!("see {}", path.display()),
        None => "no log file could be opened in the state dir".to_string(),
    }
}

/// A panic's message, whatever it was raised with.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with no message".to_string()
    }
}

/// Installs the panic hook, once; later calls do nothing.
pub fn install() {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| report(info, &*previous)));
    });
}

/// The dashboard now owns the terminal, from this thread; `restore` gives
/// it back. Until `leave_tui`, nothing is written to stderr from the hook
/// but after `restore` on this thread.
pub fn enter_tui(restore: impl Fn() + Send + 'static) {
    install();
    UI_THREAD.with(|ui| ui.set(true));
    *TUI.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(restore));
}

/// The terminal is the shell's again.
pub fn leave_tui() {
    UI_THREAD.with(|ui| ui.set(false));
    *TUI.lock().unwrap_or_else(PoisonError::into_inner) = None;
}

type PanicHook = dyn Fn(&PanicHookInfo<'_>) + Send + Sync;

fn report(info: &PanicHookInfo<'_>, previous: &PanicHook) {
    let message = panic_message(info.payload());
    let thread = std::thread::current();
    let thread = thread.name().unwrap_or("unnamed");
    let location = info
        .location()
        .map_or_else(|| "an unknown place".to_string(), ToString::to_string);
    tracing::error!(
        "panic in thread '{thread}' at {location}: {message}\nbacktrace:\n{}",
        Backtrace::force_capture()
    );
    // The hook may run while a panicking thread holds the lock: never wait.
    let tui = match TUI.try_lock() {
        Ok(guard) => guard,
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return,
    };
    match tui.as_ref() {
        None => previous(info),
        Some(restore) if UI_THREAD.with(Cell::get) => {
            restore();
            eprintln!(
                "firekeeper: internal error: {}; {}",
                crate::text::for_terminal(&message),
                where_logged(log_file())
            );
        }
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_messages_are_read_whatever_their_type() {
        let payload = std::panic::catch_unwind(|| panic!("plain")).unwrap_err();
        assert_eq!(panic_message(&*payload), "plain");
        let n = 3;
        let payload = std::panic::catch_unwind(|| panic!("formatted {n}")).unwrap_err();
        assert_eq!(panic_message(&*payload), "formatted 3");
        let payload = std::panic::catch_unwind(|| std::panic::panic_any(7u8)).unwrap_err();
        assert_eq!(panic_message(&*payload), "a panic with no message");
    }

    #[test]
    fn the_log_is_named_where_it_is() {
        let path = Path::new("/var/log/fk/firekeeper.log");
        assert_eq!(where_logged(Some(path)), "see /var/log/fk/firekeeper.log");
        assert!(where_logged(None).contains("no log file"));
    }
}
