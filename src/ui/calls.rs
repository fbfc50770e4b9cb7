//! In a stream's detail: its Start/Stop calls of the last 24 hours, newest
//! first, whoever made them (time, who, Start or Stop, key, error), and
//! where they were learned.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::theme::Theme;
use crate::app::App;
use crate::keymap::UserAction;
use crate::model::KeyRef;
use crate::model::{stamp, StreamId};
use crate::quota::{CountedCall, Operation, QuotaSource};

pub use crate::app::calls_listed as listed;

/// The rows the section needs at this width, listing `listed` calls.
pub fn height(app: &App, id: &StreamId, (width, listed): (u16, usize), theme: &Theme) -> u16 {
    let width = usize::from(width.max(1));
    lines(app, id, listed, theme)
        .iter()
        .map(|l| l.width().max(1).div_ceil(width))
        .sum::<usize>()
        .try_into()
        .unwrap_or(u16::MAX)
}

pub fn render(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    id: &StreamId,
    listed: usize,
    theme: &Theme,
) {
    frame.render_widget(
        Paragraph::new(lines(app, id, listed, theme)).wrap(Wrap { trim: false }),
        area,
    );
}

fn lines<'a>(app: &App, id: &StreamId, listed: usize, theme: &Theme) -> Vec<Line<'a>> {
    let Some(source) = app.knowledge(id.target).quota_source() else {
        return Vec::new();
    };
    let calls = app.calls(id);
    let skip = app.calls_skipped(id);
    let page = app.keymap.first(UserAction::PageUp);
    let mut lines = vec![summary(calls, source, theme)];
    if skip > 0 {
        lines.push(Line::styled(
            format!("  … {skip} newer ({page})"),
            theme.dim(),
        ));
    }
    lines.extend(
        calls
            .iter()
            .rev()
            .skip(skip)
            .take(listed)
            .map(|c| call_line(app, id, c, theme)),
    );
    // The oldest call frees the next slot: shown whatever is cut.
    let older = calls.len().saturating_sub(skip + listed);
    if let (Some(oldest), true) = (calls.first(), older > 0) {
        let page = app.keymap.first(UserAction::PageDown);
        lines.push(Line::styled(
            format!(
                "  … and {older} older ({page}); the oldest frees a slot at {}:",
                stamp(oldest.at + chrono::Duration::hours(24))
            ),
            theme.dim(),
        ));
        lines.push(call_line(app, id, oldest, theme));
    }
    lines
}

/// How many calls, by whom, and what may be missing from the list: others'
/// calls of the last minutes, or everyone's when CloudTrail was not read.
fn summary<'a>(calls: &[CountedCall], source: &QuotaSource, theme: &Theme) -> Line<'a> {
    let here = calls.iter().filter(|c| c.here).count();
    let (counts, note) = match (calls.len(), source) {
        (0, QuotaSource::LedgerAndCloudTrail) => (
            "No Start/Stop calls in 24 h".to_string(),
            "; others' calls of the last ~15 min may not show yet".to_string(),
        ),
        (n, QuotaSource::LedgerAndCloudTrail) => (
            format!(
                "Start/Stop calls in 24 h: {here} from this machine, {} by others",
                n - here
            ),
            "; others' calls of the last ~15 min may not show yet".to_string(),
        ),
        (n, QuotaSource::Ledger(why)) => (
            format!("Start/Stop calls in 24 h: {n} in this machine's ledger"),
            format!("; others' are not counted: {why}"),
        ),
    };
    let note_style = match source {
        QuotaSource::LedgerAndCloudTrail => theme.dim(),
        QuotaSource::Ledger(_) => theme.warn(),
    };
    Line::from(vec![Span::raw(counts), Span::styled(note, note_style)])
}

/// "  2026-11-21 11:00 UTC  terraform      Start alias/orders-events".
fn call_line<'a>(app: &App, id: &StreamId, c: &CountedCall, theme: &Theme) -> Line<'a> {
    let book = app.fleet.keys_of(id.target);
    let by = match (&c.by, c.here) {
        (Some(by), _) => crate::text::caller(by),
        (None, true) => "this machine".to_string(),
        (None, false) => "?".to_string(),
    };
    let action = match c.action {
        Operation::Start => "Start",
        Operation::Stop => "Stop",
    };
    let key = c.key.as_deref().map_or(String::new(), |k| match k {
        "aws-owned" => book.name_of(KeyRef::AwsOwned),
        arn => book.key_label(arn),
    });
    let mut spans = vec![Span::raw(format!(
        "  {}  {by:<14} {action:<5} {key}",
        stamp(c.at)
    ))];
    if let Some(e) = &c.error {
        let e = crate::text::shown(e, crate::text::PROSE_CAP);
        spans.push(Span::styled(format!("  ✖ {e}"), theme.error()));
    }
    Line::from(spans)
}
