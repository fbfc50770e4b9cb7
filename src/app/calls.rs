//! The detail's Start/Stop calls of the last 24 hours: how many are listed
//! at a height, and which, as PgDn/PgUp scroll to older and newer ones.

use super::{App, View};
use crate::keymap::UserAction as A;
use crate::keymap::UserAction;
use crate::model::StreamId;

/// How many calls to list in a detail view this tall; the rest are counted
/// (and the oldest, which sets the next slot, always shown), so the KMS
/// chart keeps some room.
pub fn listed(height: u16) -> usize {
    match height {
        h if h >= 40 => 8,
        h if h >= 30 => 4,
        _ => 2,
    }
}

/// How far the detail's calls list is scrolled, and for which stream: a
/// stream opened since starts at its newest call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallsScroll {
    pub stream: Option<StreamId>,
    /// Newest calls scrolled past.
    pub skip: usize,
}

impl App {
    /// The newest calls of `id` scrolled past in its detail.
    pub fn calls_skipped(&self, id: &StreamId) -> usize {
        let s = &self.screen.calls;
        if s.stream.as_ref() != Some(id) {
            return 0;
        }
        s.skip.min(self.most_skipped(id))
    }

    /// As far as the list scrolls: its last page holds the oldest call.
    fn most_skipped(&self, id: &StreamId) -> usize {
        let listed = listed(self.screen.size.1);
        self.calls(id).len().saturating_sub(listed)
    }

    /// PgDn or PgUp in the detail: a page of older or newer calls.
    pub(super) fn scroll_calls(&mut self, action: UserAction) {
        let View::Detail(id) = &self.screen.view else {
            return;
        };
        let id = id.clone();
        let page = listed(self.screen.size.1);
        let at = self.calls_skipped(&id);
        let skip = match action {
            A::PageDown => (at + page).min(self.most_skipped(&id)),
            A::PageUp => at.saturating_sub(page),
            _ => at,
        };
        self.screen.calls = CallsScroll {
            stream: Some(id),
            skip,
        };
    }
}
