//! The signals that end a command early: SIGINT (Ctrl-C), SIGTERM (`kill`, a
//! supervisor) and SIGHUP (the terminal or the SSH session gone). They are
//! caught rather than left to kill the process where it stands, so a change
//! under way ends on record: the work is dropped, and its guards write what
//! they must (a call on its way to AWS audited `unknown`, a slot reserved
//! for a call not sent given back, a change being followed audited as left).
//! The exit code is then 128 + the signal's number (130, 143, 129), as shells
//! and supervisors expect.

use std::future::Future;
use std::io::Write;

use tokio::signal::unix::{signal, Signal, SignalKind};

/// The three signals, caught from when this is made to when it is dropped.
pub struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl Signals {
    /// Catches SIGINT, SIGTERM and SIGHUP from now on.
    pub fn catch() -> std::io::Result<Signals> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// The next of the three to arrive: its number.
    pub async fn next(&mut self) -> i32 {
        tokio::select! {
            _ = self.interrupt.recv() => libc::SIGINT,
            _ = self.terminate.recv() => libc::SIGTERM,
            _ = self.hangup.recv() => libc::SIGHUP,
        }
    }
}

/// The exit code for a run ended by `signal`.
pub fn exit_code(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(1)
}

/// The signal's name, for the line that says why firekeeper stopped.
pub fn name(signal: i32) -> &'static str {
    match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGTERM => "SIGTERM",
        libc::SIGHUP => "SIGHUP",
        _ => "a signal",
    }
}

/// Runs `work` to its end, or until a signal: then `work` is dropped, which
/// writes what its guards hold, and the code is the signal's.
pub async fn until_signalled(signals: &mut Signals, work: impl Future<Output = u8>) -> u8 {
    tokio::select! {
        code = work => code,
        signal = signals.next() => stopped_by(signal),
    }
}

/// Says why the run stopped and what became of the change, and gives the
/// signal's exit code. Called once the work has been dropped.
pub fn stopped_by(signal: i32) -> u8 {
    err(&format!(
        "firekeeper: stopped by {}; nothing more is sent. A call already sent is in the audit log (as unknown if AWS had not answered: the next run settles it from CloudTrail), and a quota slot reserved for a call not sent was given back",
        name(signal)
    ));
    exit_code(signal)
}

/// A line on stdout. A terminal that is gone (the SSH session dropped) is
/// no reason to stop: the line is lost, the change goes on to its record.
pub fn out(line: &str) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

/// `out`, without the newline (a prompt), flushed.
pub fn prompt(text: &str) {
    let mut stdout = std::io::stdout();
    let _ = write!(stdout, "{text}");
    let _ = stdout.flush();
}

/// A line on stderr, as `out`.
pub fn err(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// One line typed at the terminal, read on a thread of its own so the run
/// still hears a signal while it waits (a blocked read would hold the task
/// that must drop the work). Empty if stdin closes.
pub async fn read_line() -> String {
    let (tx, rx) = tokio::sync::oneshot::channel();
    // Not the runtime's blocking pool: the runtime waits for its threads at
    // exit, and this one may wait on the terminal for ever.
    let spawned = std::thread::Builder::new()
        .name("prompt".into())
        .spawn(move || {
            let mut answer = String::new();
            let _ = std::io::stdin().read_line(&mut answer);
            let _ = tx.send(answer);
        });
    match spawned {
        Ok(_) => rx.await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}
