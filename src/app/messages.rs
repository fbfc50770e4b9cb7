//! What the status line says and the message log keeps. A change's outcome
//! stays on the line until dismissed or replaced by a newer one; a routine
//! notice goes at the next key press or after `NOTICE_SECS`. Outcomes, errors
//! and refusals are kept, in full and with their times, in the log.

use std::collections::VecDeque;

use chrono::{DateTime, Duration, Utc};

use super::{App, View, WorkerCommand};
use crate::keymap::UserAction as A;
use crate::keymap::UserAction;
use crate::model::Tone;

/// How many entries the log keeps: older ones are dropped.
pub const LOG_CAP: usize = 50;
/// How long a notice stays on the status line, by the dashboard's clock.
pub const NOTICE_SECS: i64 = 10;
/// The most of one message kept and shown: a sentence of firekeeper's
/// around a quoted AWS error of up to `text::PROSE_CAP` characters.
const MESSAGE_CAP: usize = 2 * crate::text::PROSE_CAP;

/// One message on the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub tone: Tone,
    pub at: DateTime<Utc>,
    /// The log has it whole, so a cut line can point there.
    pub logged: bool,
}

/// One entry of the message log; an identical message said again counts
/// here instead of filling the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub text: String,
    pub tone: Tone,
    /// When it was said last.
    pub at: DateTime<Utc>,
    /// When it was said first.
    pub first: DateTime<Utc>,
    pub count: u32,
}

/// The status line's messages and the log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Messages {
    /// A word on the last key press or on progress: short-lived.
    pub notice: Option<Message>,
    /// The latest change's outcome: stays until dismissed or replaced.
    pub outcome: Option<Message>,
    /// Newest first, at most `LOG_CAP`.
    pub log: VecDeque<LogEntry>,
    /// The log entry at the top of the message log screen.
    pub scroll: usize,
}

impl Messages {
    /// Keeps `text` in the log; said before, it moves to the top and counts.
    pub fn keep(&mut self, text: &str, tone: Tone, now: DateTime<Utc>) {
        let mut entry = LogEntry {
            text: text.to_string(),
            tone,
            at: now,
            first: now,
            count: 1,
        };
        if let Some(i) = self.log.iter().position(|e| e.text == text) {
            if let Some(old) = self.log.remove(i) {
                entry.first = old.first;
                entry.count = old.count + 1;
            }
        }
        self.log.push_front(entry);
        self.log.truncate(LOG_CAP);
    }

    /// What the status line shows of these, if anything.
    pub fn shown(&self) -> Option<&Message> {
        self.notice.as_ref().or(self.outcome.as_ref())
    }
}

/// A change asked for on a stream not yet described: it goes on when the
/// description comes back, unless the user moved on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Describing {
    pub stream: crate::model::StreamId,
    /// `Switch` or `Disable`.
    pub then: UserAction,
}

impl App {
    /// A routine word for the status line. Refusals and failures (`Bad`)
    /// are kept in the log; so is anything too long for the line, so that
    /// the cut line can say where the rest is.
    pub fn say(&mut self, text: impl Into<String>, tone: Tone) {
        // Messages quote AWS: its newlines and bidi characters are shown,
        // never obeyed, and a hostile error cannot fill the log.
        let text: String = text.into();
        let text = crate::text::shown(&text, MESSAGE_CAP).into_owned();
        let logged = tone == Tone::Bad || text.chars().count() > usize::from(self.screen.size.0);
        if logged {
            self.messages.keep(&text, tone, self.now);
        }
        self.messages.notice = Some(Message {
            text,
            tone,
            at: self.now,
            logged,
        });
    }

    /// A change's outcome: on the status line until dismissed or replaced,
    /// whatever screen opens meanwhile, and in the log.
    pub fn report(&mut self, text: impl Into<String>, tone: Tone) {
        let text = text.into();
        self.messages.keep(&text, tone, self.now);
        // The notice it follows (often "sending…") is over.
        self.messages.notice = None;
        self.messages.outcome = Some(Message {
            text,
            tone,
            at: self.now,
            logged: true,
        });
    }

    /// Something went wrong fetching: the status line says it until the
    /// next good list, and the log counts it.
    pub(super) fn set_error(&mut self, text: String) {
        self.messages.keep(&text, Tone::Bad, self.now);
        self.fleet.freshness.last_error = Some((text, self.now));
    }

    /// With several targets: each one that could not even be connected is
    /// said and kept in the log, as a later failure is; with none
    /// connected, why nothing is listed is the last error, said instead of
    /// "listing…".
    pub fn say_unconnected(&mut self) {
        let unconnected: Vec<String> = self
            .fleet
            .parts()
            .iter()
            .filter(|p| !p.live && self.fleet.several())
            .filter_map(|p| {
                Some(format!(
                    "{}: {}",
                    p.info.target.label,
                    p.info.error.as_ref()?
                ))
            })
            .collect();
        for text in unconnected {
            self.say(text, Tone::Bad);
        }
        self.none_connected();
    }

    /// With several targets of which none could be connected, why nothing
    /// is listed (or refreshed): the last error.
    pub fn none_connected(&mut self) {
        if let Some(none) = self.fleet.none_connected() {
            let words = crate::worker::explain(crate::worker::Fetch::List, &none);
            self.set_error(words);
        }
    }

    /// The key press was seen: a notice has done its work.
    pub(super) fn acknowledge(&mut self) {
        self.messages.notice = None;
    }

    /// Lets go of a notice said long enough ago; true when one went.
    pub(super) fn expire_notice(&mut self) -> bool {
        let old = |m: &Message| self.now - m.at >= Duration::seconds(NOTICE_SECS);
        if self.messages.notice.as_ref().is_some_and(old) {
            self.messages.notice = None;
            return true;
        }
        false
    }

    /// Clears the status line; the log keeps everything.
    pub(super) fn dismiss(&mut self) {
        self.messages.notice = None;
        self.messages.outcome = None;
        self.fleet.freshness.last_error = None;
    }

    /// `m`: the message log, newest at the top.
    pub(super) fn open_messages(&mut self) {
        self.screen.messages_from = self.screen.view.clone();
        self.screen.view = View::Messages;
        self.messages.scroll = 0;
        // Every alert is in the log: seen now.
        self.alerting.unseen = 0;
    }

    /// An action in the message log.
    pub(super) fn messages_action(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        let last = self.messages.log.len().saturating_sub(1);
        // A page is a few entries: each takes a line or more when wrapped.
        let page = (self.table.viewport / 3).max(1);
        let at = self.messages.scroll;
        self.messages.scroll = match super::keys::moved(at, page, action) {
            Some(to) => to,
            None if matches!(action, A::Messages | A::Back) => {
                self.screen.view = std::mem::replace(&mut self.screen.messages_from, View::Table);
                at
            }
            None => at,
        }
        .min(last);
        Vec::new()
    }
}
