//! `m`: the message log. The last outcomes and errors whole, wrapped, each
//! with its time, newest first; the status line only has room for a cut one.

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Padding, Paragraph};
use ratatui::Frame;

use super::theme::Theme;
use crate::app::{App, LogEntry, LOG_CAP};
use crate::model::{clock, stamp, Tone};

/// The time column: "14:02 UTC" and two spaces.
const TIME_COLS: usize = 11;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let log = &app.messages.log;
    let title = format!(" Messages: the last {LOG_CAP} outcomes and errors, newest first ");
    let mut block = Block::default()
        .borders(Borders::ALL)
        .padding(Padding::horizontal(1))
        .title(title);
    let inner = block.inner(area);
    let (width, rows) = (usize::from(inner.width), usize::from(inner.height));
    if log.is_empty() {
        let lines = vec![
            Line::from("Nothing yet this session."),
            Line::styled(
                "Each change's outcome and every error AWS gave will be listed here in full.",
                theme.dim(),
            ),
        ];
        frame.render_widget(Paragraph::new(lines).block(block), area);
        return;
    }
    let first = app.messages.scroll.min(log.len() - 1);
    let mut lines = Vec::new();
    let mut last = first;
    for (i, entry) in log.iter().enumerate().skip(first) {
        let entry_lines = entry_lines(entry, app.now, width, theme);
        // An entry is shown whole, unless it alone is taller than the box.
        if lines.len() + entry_lines.len() > rows && i > first {
            break;
        }
        lines.extend(entry_lines);
        last = i;
    }
    block = block.title_bottom(format!(" {}-{} of {} ", first + 1, last + 1, log.len()));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// One entry: its time, then its words wrapped beside it; a repeated one
/// says how often and since when.
fn entry_lines(
    entry: &LogEntry,
    now: DateTime<Utc>,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let (mark, style) = tone(entry.tone, theme);
    let mut text = format!("{mark}{}", entry.text);
    if entry.count > 1 {
        text.push_str(&format!(
            " (×{} since {})",
            entry.count,
            when(entry.first, now)
        ));
    }
    let wrap = width.saturating_sub(TIME_COLS).max(10);
    let options = textwrap::Options::new(wrap)
        .subsequent_indent("  ")
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::wrap(&text, options)
        .into_iter()
        .enumerate()
        .map(|(i, part)| {
            let time = if i == 0 {
                format!("{:<TIME_COLS$}", when(entry.at, now))
            } else {
                " ".repeat(TIME_COLS)
            };
            Line::from(vec![
                Span::styled(time, theme.dim()),
                Span::styled(part.into_owned(), style),
            ])
        })
        .collect()
}

/// A time of today by the clock; an older one with its date.
fn when(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if t.date_naive() == now.date_naive() {
        clock(t)
    } else {
        stamp(t)
    }
}

/// How an entry reads: a mark that says it without colour, and its colour.
fn tone(tone: Tone, theme: &Theme) -> (&'static str, Style) {
    match tone {
        Tone::Good => ("✓ ", theme.good()),
        Tone::Bad => ("! ", theme.error()),
        Tone::Info => ("· ", Style::default()),
    }
}
