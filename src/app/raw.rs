//! `y`: the selected stream's or key's description as pretty JSON, as k9s
//! shows a resource's YAML. It is firekeeper's model of AWS's answer
//! (serialized with serde), not the response bytes, and says so.

use super::{keys::moved, App, Dialog};
use crate::keymap::UserAction as A;
use crate::keymap::{Mode, UserAction};
use crate::model::Tone;

impl App {
    /// The JSON view of the keys view's row (in `Mode::Keys`) or of the
    /// selected stream.
    pub(super) fn open_raw(&mut self, mode: Mode) {
        // A stream's state not from this run's describe says where from.
        let mut source = None;
        let (what, json) = if mode == Mode::Keys {
            let rows = self.key_rows();
            let Some(row) = rows.get(self.keys_view.selected) else {
                return;
            };
            (
                row.label.clone(),
                row.key.as_ref().map(serde_json::to_string_pretty),
            )
        } else {
            let Some((id, row)) = self.selected_row() else {
                return;
            };
            source = row.provenance.words();
            (
                self.shown(id),
                row.stream.as_ref().map(serde_json::to_string_pretty),
            )
        };
        match json {
            Some(Ok(json)) => {
                self.dialog = Some(Dialog::Raw {
                    title: match source {
                        Some(source) => format!(" {what}: {source} "),
                        None => format!(" {what}: firekeeper's reading of AWS's answer "),
                    },
                    lines: json.lines().map(str::to_string).collect(),
                    scroll: 0,
                });
            }
            Some(Err(e)) => self.say(format!("{what} cannot be shown as JSON: {e}"), Tone::Bad),
            None => self.say(
                format!("{what} is not described yet: nothing to show"),
                Tone::Bad,
            ),
        }
    }

    /// Scrolling the JSON view, or closing it.
    pub(super) fn raw_action(&mut self, action: UserAction) {
        let page = usize::from(self.screen.size.1.saturating_sub(4)).max(1);
        let Some(Dialog::Raw { lines, scroll, .. }) = &mut self.dialog else {
            return;
        };
        if let Some(to) = moved(*scroll, page, action) {
            *scroll = to.min(lines.len().saturating_sub(1));
        } else if matches!(action, A::Raw | A::Back) {
            self.dialog = None;
        }
    }
}
