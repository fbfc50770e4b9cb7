//! `r` or `d` on a stream not described yet: it is described now, and the
//! picker or the stop dialog opens, with its checks, when the description
//! comes back. Any key pressed meanwhile means the user moved on: nothing
//! pops up later, and the key itself does nothing else (it was typed for a
//! dialog, not for the table), which the status line says.

use super::{App, Describing, View, WorkerCommand};
use crate::keymap::UserAction as A;
use crate::keymap::{KeyInput, UserAction};
use crate::model::Stream;
use crate::model::{StreamId, Tone};

impl App {
    /// The selected stream, if it is described: a change needs to know what
    /// it changes. If it is not, the worker is asked to describe it first
    /// and `then` goes on when it has (the commands for that are returned).
    pub(super) fn changeable(
        &mut self,
        then: UserAction,
    ) -> Result<(StreamId, Stream), Vec<WorkerCommand>> {
        let Some((id, row)) = self.selected_row() else {
            return Err(Vec::new());
        };
        let (id, row) = (id.clone(), row.clone());
        if self.refuse_read_only(&id, then) {
            return Err(Vec::new());
        }
        // A record is not a description: a change is planned on what a
        // describe says.
        if let Some(stream) = row.stream.as_ref().filter(|s| !s.only_recorded()) {
            return Ok((id.clone(), stream.clone()));
        }
        let stream = id.clone();
        self.acknowledge();
        self.work.describing = Some(Describing {
            stream: stream.clone(),
            then,
        });
        Err(vec![WorkerCommand::Describe(stream)])
    }

    /// A description arrived: the change waiting for it goes on, or says
    /// why it cannot. `None` when no change was waiting for this stream.
    pub(super) fn described(&mut self, id: &StreamId) -> Option<Vec<WorkerCommand>> {
        if self.work.describing.as_ref()?.stream != *id {
            return None;
        }
        let waiting = self.work.describing.take()?;
        let name = self.shown(id);
        let row = self.row(id)?;
        let Some(stream) = row.stream.clone().filter(|s| !s.only_recorded()) else {
            let why = row.error.clone().unwrap_or_else(|| "no answer".into());
            let text = format!(
                "{name} could not be described, so {} did not open: {why}",
                what_opens(waiting.then)
            );
            self.say(text, Tone::Bad);
            return Some(Vec::new());
        };
        // Only keys change the screen, and any key ended the wait; this is
        // a guard, not a path.
        if self.dialog.is_some() || !matches!(self.screen.view, View::Table | View::Detail(_)) {
            return Some(Vec::new());
        }
        Some(match waiting.then {
            A::Disable => {
                self.disable_for(id, &stream);
                Vec::new()
            }
            _ => self.picker_for(id, &stream),
        })
    }

    /// The stream waited for left the fleet: say so instead of waiting on.
    pub(super) fn forget_gone(&mut self) {
        let Some(waiting) = &self.work.describing else {
            return;
        };
        if self.row(&waiting.stream).is_none() {
            let text = format!(
                "{} no longer exists: nothing to change",
                self.shown(&waiting.stream)
            );
            self.work.describing = None;
            self.say(text, Tone::Bad);
        }
    }

    /// A key pressed while a description is awaited: the wait ends and the
    /// key is dropped, with a notice, rather than sent to the table (`s`
    /// typed for the picker must not re-sort it). Quit still quits. `true`
    /// when the key was taken here.
    pub(super) fn interrupts_describing(&mut self, input: KeyInput) -> bool {
        if matches!(input, KeyInput::Action(A::Quit)) {
            return false;
        }
        let Some(waiting) = self.work.describing.take() else {
            return false;
        };
        let again = self.keymap.first(waiting.then);
        let text = format!(
            "{} will not open: a key was pressed while {} was described, and did nothing else ({again} to try again)",
            what_opens(waiting.then),
            self.shown(&waiting.stream),
        );
        self.say(text, Tone::Info);
        true
    }

    /// What the status line says while the description is awaited.
    pub fn describing_line(&self) -> Option<String> {
        let waiting = self.work.describing.as_ref()?;
        Some(format!(
            "describing {}… {} opens when AWS answers",
            self.shown(&waiting.stream),
            what_opens(waiting.then)
        ))
    }
}

fn what_opens(then: UserAction) -> &'static str {
    match then {
        A::Disable => "the stop dialog",
        _ => "the key picker",
    }
}
