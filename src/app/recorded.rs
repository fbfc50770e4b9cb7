//! Rows shown from AWS Config's records: those whose record or metrics show
//! a problem are described first, and none is changed on its record alone.

use super::{App, Confirm, Dialog, WorkerCommand};
use crate::change::Request;
use crate::keymap::UserAction;
use crate::model::{KeyRef, StreamId, TargetId, Tone};
use crate::preflight;

impl App {
    /// Describe, before the rest, target `from`'s rows still shown from
    /// AWS Config whose record or metrics show a problem. Each is asked
    /// again only while it is still not described (the worker merges
    /// repeats), so a steady fleet costs nothing more.
    /// `only`: the names of a page of records just taken (each page is
    /// judged once, not the whole fleet again); `None` after metrics or
    /// keys, which may show a problem on any recorded row.
    pub(super) fn hurry_recorded(
        &self,
        from: TargetId,
        only: Option<&[String]>,
    ) -> Vec<WorkerCommand> {
        self.fleet
            .recorded_problems(from, only, self.rules(), self.now)
            .into_iter()
            .map(WorkerCommand::Describe)
            .collect()
    }
}

impl App {
    /// A change asked of a read-only target's stream (known only from an
    /// AWS Config aggregator): refused, in the change's own dialog, with
    /// why; `false` when the stream's target can be changed.
    pub(super) fn refuse_read_only(&mut self, id: &StreamId, then: UserAction) -> bool {
        let Some(why) = self.fleet.part(id.target).and_then(|p| p.read_only.clone()) else {
            return false;
        };
        let name = self.shown(id);
        let request = match then {
            UserAction::Disable => Request::Disable {
                stream: id.name.clone(),
            },
            _ => Request::Switch {
                stream: id.name.clone(),
                key: KeyRef::AwsOwned,
            },
        };
        let old_label = match self.row(id).and_then(|r| r.stream.as_ref()) {
            Some(s) => self.key_label(id, s),
            None => "?".to_string(),
        };
        self.dialog = Some(Dialog::Confirm(Confirm {
            request,
            stream: id.clone(),
            old_label,
            new_label: "another key".into(),
            quota: None,
            verdict: preflight::Verdict {
                refusals: vec![format!("{name} cannot be changed from here: it is {why}.")],
                ..Default::default()
            },
            streams_on_key: None,
            typed: None,
            mismatch: false,
            grant_pending: false,
        }));
        true
    }
}

impl App {
    /// Said as a notice (the next key clears it from the status line) and
    /// kept in the message log whatever its length or tone: how a cold
    /// start went, or why there was none.
    pub(super) fn say_kept(&mut self, text: String, tone: Tone) {
        self.say(text, tone);
        if let Some(notice) = self.messages.notice.as_mut().filter(|n| !n.logged) {
            notice.logged = true;
            let (text, now) = (notice.text.clone(), self.now);
            self.messages.keep(&text, tone, now);
        }
    }
}
