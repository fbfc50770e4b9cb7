//! What is written when a change is dropped part-way: a call stopped in
//! flight, a follow abandoned, and the watch that makes those lines take
//! turns with the change's own.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::Utc;

use super::record::audit_entry;
use super::{ChangeContext, ChangeError, Plan};
use crate::audit::{AuditEntry, AuditLog, AuditOutcome, CallMark};

/// The `unknown` line of a call stopped in flight.
pub(crate) const IN_FLIGHT: &str = "firekeeper stopped while the call was on its way to AWS, before any answer: AWS may have applied it; the next run settles it from CloudTrail or by reading";

/// A call that has left, until its answer is written down: dropped before
/// that (a signal, the dashboard quitting), it audits the call as unknown,
/// so the log never ends a call at `sent` and a later run settles it.
pub(crate) struct InFlight {
    audit: AuditLog,
    line: AuditEntry,
    pub(super) watch: Watch,
}

impl InFlight {
    /// `line` is the `unknown` line to write if dropped; it is given the
    /// call's mark.
    pub(crate) fn new(audit: AuditLog, line: AuditEntry, mark: CallMark) -> InFlight {
        let watch = Watch::armed(mark);
        InFlight {
            audit,
            line: watch.stamp(line),
            watch,
        }
    }

    /// The answer came: nothing to say on drop. Writes of the answer made
    /// under `watch` with `ends` land it as well.
    pub(crate) fn land(self) {
        self.watch.disarm();
    }
}

impl Drop for InFlight {
    /// Written on whichever thread drops the guard, as `Abandoned`'s line
    /// is: rare (stopped mid-call) and short, and the record must not be
    /// lost. The watch's lock makes it wait for an answer being written.
    fn drop(&mut self) {
        let line = AuditEntry {
            time: Utc::now(),
            ..self.line.clone()
        };
        if let Err(e) = self.watch.write(true, || Ok(self.audit.append(&line)?)) {
            tracing::error!("cannot audit a call stopped in flight: {e}");
        }
    }
}

/// Whether a change is still being followed, shared by the `Abandoned`
/// guard and the writes made meanwhile (`None`: nobody watches). The writes
/// run on the blocking pool, where one may be under way when the change is
/// dropped: the lock makes the guard's line and theirs take turns, so it
/// lands neither inside nor after the line that ends the change, and a
/// write that starts after the guard has written is skipped, as it would
/// never have been made.
/// It also carries the call's mark, so every line written under it names
/// the call (`CallMark::call_id`).
#[derive(Debug, Clone, Default)]
pub(super) struct Watch {
    armed: Option<Arc<Mutex<bool>>>,
    mark: CallMark,
}

impl Watch {
    pub(super) fn armed(mark: CallMark) -> Watch {
        Watch {
            armed: Some(Arc::new(Mutex::new(true))),
            mark,
        }
    }

    /// Nobody watches, but the lines still name the call.
    pub(super) fn marked(mark: CallMark) -> Watch {
        Watch { armed: None, mark }
    }

    /// `line`, naming the call this watch is about.
    pub(super) fn stamp(&self, mut line: AuditEntry) -> AuditEntry {
        if line.call.call_id.is_none() {
            line.call.call_id.clone_from(&self.mark.call_id);
        }
        line
    }

    /// Runs `write` (it blocks) unless the change was abandoned. When it
    /// `ends` the change and succeeds, the guard has nothing left to say.
    pub(super) fn write(
        &self,
        ends: bool,
        write: impl FnOnce() -> Result<(), ChangeError>,
    ) -> Result<(), ChangeError> {
        let Some(armed) = &self.armed else {
            return write();
        };
        let mut armed = armed.lock().unwrap_or_else(PoisonError::into_inner);
        if !*armed {
            return Ok(());
        }
        let written = write();
        if ends && written.is_ok() {
            *armed = false;
        }
        written
    }

    pub(super) fn disarm(&self) {
        if let Some(armed) = &self.armed {
            *armed.lock().unwrap_or_else(PoisonError::into_inner) = false;
        }
    }
}

/// Audits "left before AWS finished" if dropped while still armed: the
/// dashboard quitting, or Ctrl-C at the command line, mid-follow.
pub(super) struct Abandoned<'a> {
    ctx: &'a ChangeContext,
    plan: &'a Plan,
    pub(super) watch: Watch,
}

impl<'a> Abandoned<'a> {
    pub(super) fn new(ctx: &'a ChangeContext, plan: &'a Plan, mark: CallMark) -> Self {
        Abandoned {
            ctx,
            plan,
            watch: Watch::armed(mark),
        }
    }

    pub(super) fn disarm(&mut self) {
        self.watch.disarm();
    }
}

impl Drop for Abandoned<'_> {
    /// Drop cannot await, so this line is written on whichever thread drops
    /// the guard, the async runtime's included, after any write of the
    /// change still under way: rare (the user quitting mid-follow) and
    /// short, and the record must not be lost.
    fn drop(&mut self) {
        let why = format!(
            "left before AWS finished: firekeeper stopped following; check with `firekeeper status --stream {}`",
            self.plan.stream.name
        );
        let line = self.watch.stamp(audit_entry(
            self.ctx,
            self.plan,
            AuditOutcome::Unknown,
            &why,
        ));
        let written = self.watch.write(true, || Ok(self.ctx.audit.append(&line)?));
        if let Err(e) = written {
            tracing::error!("cannot audit an abandoned change: {e}");
        }
    }
}
