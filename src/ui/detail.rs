//! Enter: everything known about one stream, its key, its quota and the
//! Start/Stop calls behind it, and the KMS error chart with the time left
//! before Firehose discards records.
//!
//! Rows go first to what must be read in full (the facts, every problem
//! sentence, the calls); the chart takes the rows that are left.

mod key;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::theme::Theme;
use super::{calls, chart, fit};
use crate::app::App;
use crate::model::KeyType;
use crate::model::{ago, Row, StreamId};
use crate::text::{shown, NAME_CAP, PROSE_CAP};

/// Width of the labels in front of every value.
const LABEL: usize = 11;

pub fn render(frame: &mut Frame, area: Rect, app: &App, id: &StreamId, theme: &Theme) {
    let Some(row) = app.row(id) else {
        let name = app.shown(id);
        frame.render_widget(Paragraph::new(format!("{name} is no longer listed.")), area);
        return;
    };
    let (health, problems) = app.health(id, row);
    let (left_w, right_w) = columns(app, id, row, area.width, theme);
    let arn = row
        .stream
        .as_ref()
        .and_then(|s| s.encryption.key_arn.as_deref());
    let arn_inside = arn.is_none_or(|a| LABEL + a.chars().count() <= usize::from(left_w));
    let left = Paragraph::new(stream_lines(app, id, row, left_w, arn_inside, theme))
        .wrap(Wrap { trim: false });
    let right = Paragraph::new(key::lines(app, id, row, usize::from(right_w) - 1, theme))
        .wrap(Wrap { trim: false })
        .block(Block::default().borders(Borders::LEFT));
    let info_rows = left.line_count(left_w).max(right.line_count(right_w));
    let arn_lines = match arn {
        Some(a) if !arn_inside => arn_rows(a, usize::from(area.width), theme),
        _ => Vec::new(),
    };
    let trouble = problem_paragraph(&problems, theme.health(health));
    let listed = calls::listed(area.height);
    let rows = |n: usize| Constraint::Length(n.try_into().unwrap_or(u16::MAX));
    let [title, info, arn_area, trouble_area, history, plot] = Layout::vertical([
        Constraint::Length(1),
        rows(info_rows),
        rows(arn_lines.len()),
        rows(trouble.line_count(area.width)),
        Constraint::Length(calls::height(app, id, (area.width, listed), theme)),
        Constraint::Min(0),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(title_line(app, id, row, health, theme)),
        title,
    );
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Length(left_w), Constraint::Length(right_w)]).areas(info);
    frame.render_widget(left, left_area);
    frame.render_widget(right, right_area);
    frame.render_widget(Paragraph::new(arn_lines), arn_area);
    frame.render_widget(trouble, trouble_area);
    calls::render(frame, history, app, id, listed, theme);
    chart::render(frame, plot, &chart::Input::of(app, id), theme);
}

/// "billing-export  ✖ crit  described 2m ago".
fn title_line<'a>(
    app: &App,
    id: &StreamId,
    row: &Row,
    health: crate::health::Health,
    theme: &Theme,
) -> Line<'a> {
    let described = match (row.provenance.words(), row.described_at) {
        (Some(words), _) => words,
        (None, Some(t)) => format!("described {}", ago(app.now - t)),
        (None, None) => "not described yet".to_string(),
    };
    Line::from(vec![
        Span::styled(
            format!("{}  ", shown(&app.shown(id), NAME_CAP)),
            theme.title(),
        ),
        Span::styled(theme.health_label(health), theme.health(health)),
        Span::styled(format!("  {described}"), theme.dim()),
    ])
}

/// Every problem, each sentence whole: they are what on call acts on.
fn problem_paragraph<'a>(problems: &[String], style: Style) -> Paragraph<'a> {
    let lines: Vec<Line> = if problems.is_empty() {
        vec![Line::styled("No problems.", style)]
    } else {
        problems
            .iter()
            .map(|p| Line::styled(format!("• {}", shown(p, PROSE_CAP)), style))
            .collect()
    };
    Paragraph::new(lines).wrap(Wrap { trim: true })
}

/// The widths of the stream's column and of the key's, border included: the
/// key's gets what its longest line needs (so "25/25 left, 0 used in 24 h"
/// is never cut), and never less than 45 %, while the stream's keeps room for
/// its own longest line.
fn columns(app: &App, id: &StreamId, row: &Row, width: u16, theme: &Theme) -> (u16, u16) {
    let natural = |lines: &[Line]| lines.iter().map(Line::width).max().unwrap_or(0);
    let left = natural(&stream_lines(app, id, row, u16::MAX, false, theme)) as u16;
    let right = natural(&key::lines(app, id, row, usize::MAX, theme)) as u16 + 1;
    let right = right.max(width * 45 / 100).min(width - left.min(width / 2));
    (width - right, right)
}

/// "label      value", the value cut with `…` to fit `width` columns.
fn field<'a>(label: &str, value: String, style: Style, width: usize, theme: &Theme) -> Line<'a> {
    let room = width.saturating_sub(LABEL);
    Line::from(vec![
        Span::styled(format!("{label:<LABEL$}"), theme.dim()),
        Span::styled(fit(&value, room), style),
    ])
}

fn stream_lines<'a>(
    app: &App,
    id: &StreamId,
    row: &'a Row,
    width: u16,
    with_arn: bool,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let Some(s) = &row.stream else {
        return vec![Line::styled(
            row.error.as_deref().map_or_else(
                || "Not described yet…".into(),
                |e| shown(e, PROSE_CAP).into_owned(),
            ),
            theme.dim(),
        )];
    };
    let width = usize::from(width);
    let plain = Style::default();
    let f = |label: &str, value: String, style: Style| field(label, value, style, width, theme);
    let e = &s.encryption;
    let key_type = e.key_type.as_ref().map_or("-", KeyType::as_str).to_string();
    let mut lines = vec![
        f("source", s.source.as_str().to_string(), plain),
        f("stream", s.status.clone(), plain),
        f(
            "encryption",
            e.status.as_str().to_string(),
            theme.status(&e.status),
        ),
        f("key type", key_type, plain),
        f("key", app.key_label(id, s), plain),
    ];
    if with_arn {
        let arn = e.key_arn.clone().unwrap_or_else(|| "-".into());
        lines.push(f("key ARN", arn, plain));
    }
    if let Some(failure) = &e.failure {
        // The details are quoted in full among the problems below.
        lines.push(f("failure", failure.kind.clone(), theme.error()));
    }
    lines
}

/// The key ARN across the whole width, wrapped after a `/` or `:` where it
/// does not fit on one line, the rest under the first part: the key id at
/// its end is what tells two keys apart, so none of it is cut.
fn arn_rows<'a>(arn: &str, width: usize, theme: &Theme) -> Vec<Line<'a>> {
    let room = width.saturating_sub(LABEL).max(8);
    let mut rest: Vec<char> = arn.chars().collect();
    let mut lines = Vec::new();
    while !rest.is_empty() {
        let cut = if rest.len() <= room {
            rest.len()
        } else {
            rest[..room]
                .iter()
                .rposition(|c| matches!(c, '/' | ':'))
                .map_or(room, |i| i + 1)
        };
        let part: String = rest.drain(..cut).collect();
        let label = if lines.is_empty() { "key ARN" } else { "" };
        lines.push(Line::from(vec![
            Span::styled(format!("{label:<LABEL$}"), theme.dim()),
            Span::raw(part),
        ]));
    }
    lines
}
