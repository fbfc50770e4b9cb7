//! The move off a key: its plan (what will be sent, what is skipped and why),
//! then its progress, one row a stream, with counts and the time left.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TableRow, Table};
use ratatui::Frame;

use super::fit;
use super::theme::Theme;
use crate::app::{App, Move, MovePhase};
use crate::change::moving::{Stage, AT_ONCE};
use crate::keymap::UserAction;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let Some(m) = &app.work.moving else {
        return;
    };
    let notes = notes(m);
    let selected = selected_note(m, theme);
    let head = 3 + notes.len() as u16;
    // The selected stream's word is read whole, however long: the table
    // keeps its header and two rows, the note takes what it needs of the rest.
    let room = area.height.saturating_sub(head + 1 + 3);
    let note_rows = selected
        .as_ref()
        .map_or(0, |p| p.line_count(area.width))
        .try_into()
        .unwrap_or(u16::MAX)
        .clamp(2, room.max(2));
    let [top, table, note, bottom] = Layout::vertical([
        Constraint::Length(head),
        Constraint::Min(3),
        Constraint::Length(note_rows),
        Constraint::Length(1),
    ])
    .areas(area);
    let width = usize::from(area.width);
    let mut lines = vec![Line::styled(
        fit(
            &format!("Move every stream off {} to {}", m.from_label, m.to_label),
            width,
        ),
        theme.title(),
    )];
    for line in summary(m, app.now) {
        lines.push(Line::from(fit(&line, width)));
    }
    for (text, style) in notes {
        lines.push(Line::styled(fit(&text, width), style(theme)));
    }
    frame.render_widget(Paragraph::new(lines), top);
    streams(frame, table, m, theme);
    if let Some(p) = selected {
        frame.render_widget(p, note);
    }
    frame.render_widget(Paragraph::new(footer(app, m, theme)), bottom);
}

/// The selected stream's latest word in full, wrapped at words: a failure
/// says what to do.
fn selected_note<'a>(m: &Move, theme: &Theme) -> Option<Paragraph<'a>> {
    let r = m.rows.get(m.selected)?;
    let text = if r.note.is_empty() {
        format!("{}: {}", r.name, r.stage.word())
    } else {
        format!("{}: {}", r.name, r.note)
    };
    Some(
        Paragraph::new(Line::styled(
            crate::text::shown(&text, crate::text::PROSE_CAP).into_owned(),
            stage_style(r.stage, theme),
        ))
        .wrap(ratatui::widgets::Wrap { trim: true }),
    )
}

type Styler = fn(&Theme) -> Style;

/// Sentences above the table: why nothing may be sent, streams not looked at.
fn notes(m: &Move) -> Vec<(String, Styler)> {
    let mut out: Vec<(String, Styler)> = Vec::new();
    if let Some(why) = &m.refusal {
        out.push((
            format!("Refused: {why}. Nothing will be sent."),
            Theme::error,
        ));
    }
    if m.undescribed > 0 {
        out.push((
            format!(
                "{} not described yet may also use the key: not in this move (M again once described)",
                streams_word(m.undescribed)
            ),
            Theme::warn,
        ));
    }
    out
}

/// Counts, then the pace and how long is left.
fn summary(m: &Move, now: chrono::DateTime<chrono::Utc>) -> [String; 2] {
    let c = m.counts();
    let left = match m.secs_left(now) {
        Some((secs, measured)) => format!(
            "{}{}",
            duration(secs),
            if measured { " left" } else { " left (a guess)" }
        ),
        None if m.phase == MovePhase::Over => "over".into(),
        None => "following the last calls".into(),
    };
    let pace = format!("{AT_ONCE} at a time, each followed to ENABLED");
    let counts = match m.phase {
        MovePhase::Plan => format!(
            "{} on the key: {} to send, {} skipped",
            streams_word(m.rows.len()),
            c.waiting,
            c.skipped
        ),
        _ => format!(
            "{} done · {} ENABLING · {} sent{} · {} waiting · {} failed · {} skipped{}",
            c.done,
            c.enabling,
            c.sent,
            if c.sending > 0 {
                format!(" · {} sending", c.sending)
            } else {
                String::new()
            },
            c.waiting,
            c.failed,
            c.skipped,
            if c.other > 0 {
                format!(" · {} not moved", c.other)
            } else {
                String::new()
            }
        ),
    };
    [counts, format!("{pace} · {left}")]
}

fn streams_word(n: usize) -> String {
    if n == 1 {
        "1 stream".into()
    } else {
        format!("{n} streams")
    }
}

fn duration(secs: i64) -> String {
    match secs {
        ..=59 => "under a minute".into(),
        60..=119 => "about 1 min".into(),
        _ => format!("about {} min", (secs + 59) / 60),
    }
}

fn streams(frame: &mut Frame, area: Rect, m: &Move, theme: &Theme) {
    let name_width = m
        .rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(6)
        .clamp(6, 32) as u16
        + 2;
    let header = TableRow::new(
        ["  STREAM", "STAGE", "QUOTA", "NOTE"]
            .into_iter()
            .map(|t| Cell::from(t).style(theme.title())),
    );
    let note_width = area.width.saturating_sub(name_width + 9 + 6 + 3).max(10);
    let room = usize::from(area.height.saturating_sub(1)).max(1);
    let scroll = m.selected.saturating_sub(room - 1);
    let body = m
        .rows
        .iter()
        .enumerate()
        .skip(scroll)
        .take(room)
        .map(|(i, r)| {
            let quota = r
                .quota
                .map_or("?".to_string(), |q| format!("{}/{}", q.remaining, q.limit));
            let marker = match (i == m.selected, theme.ascii) {
                (false, _) => "  ",
                (true, false) => "▶ ",
                (true, true) => "> ",
            };
            TableRow::new(vec![
                Cell::from(format!(
                    "{marker}{}",
                    fit(&r.name, usize::from(name_width) - 2)
                )),
                Cell::from(r.stage.word()).style(stage_style(r.stage, theme)),
                Cell::from(quota),
                Cell::from(fit(&r.note, usize::from(note_width))).style(theme.dim()),
            ])
        });
    let widths = [
        Constraint::Length(name_width),
        Constraint::Length(9),
        Constraint::Length(6),
        Constraint::Length(note_width),
    ];
    frame.render_widget(
        Table::new(body, widths).header(header).column_spacing(1),
        area,
    );
}

fn stage_style(stage: Stage, theme: &Theme) -> Style {
    match stage {
        Stage::Done | Stage::NotWaited => theme.good(),
        Stage::Failed | Stage::Rejected | Stage::Unclear => theme.error(),
        Stage::Skipped | Stage::NotSent => theme.dim(),
        Stage::Sending | Stage::Sent | Stage::Checking | Stage::Enabling => theme.key(),
        Stage::Waiting => Style::default(),
    }
}

/// The plan's question, or what Esc does now.
fn footer<'a>(app: &App, m: &Move, theme: &Theme) -> Line<'a> {
    let k = |a: UserAction| app.keymap.first(a);
    match m.phase {
        MovePhase::Plan if m.refusal.is_some() => Line::styled(
            format!("{} close, moving nothing", k(UserAction::Cancel)),
            theme.key(),
        ),
        MovePhase::Plan => {
            let ask = format!(
                "Type {} to move {}: ",
                m.from_label,
                streams_word(m.sendable().count())
            );
            let mut spans = vec![
                Span::styled(ask, theme.key()),
                Span::raw(m.typed.clone()),
                Span::styled("▏", theme.key()),
            ];
            if m.mismatch {
                spans.push(Span::styled(
                    format!("  does not match {}", m.from_label),
                    theme.error(),
                ));
            } else {
                spans.push(Span::styled(
                    format!(
                        "  {} start · {} cancel",
                        k(UserAction::SubmitName),
                        k(UserAction::Cancel)
                    ),
                    theme.dim(),
                ));
            }
            Line::from(spans)
        }
        MovePhase::Running => Line::styled(
            format!(
                "{} stop sending (calls sent are still followed) · {} keys view, the move goes on",
                k(UserAction::Back),
                k(UserAction::Keys)
            ),
            theme.key(),
        ),
        MovePhase::Stopping => Line::styled(
            "Stopped sending: following the calls already sent to the end".to_string(),
            theme.warn(),
        ),
        MovePhase::Over => Line::styled(
            format!(
                "Over. {} back to the keys ({} on the key: this again) · {} a new move",
                k(UserAction::Back),
                k(UserAction::MoveOff),
                k(UserAction::MoveOff),
            ),
            theme.key(),
        ),
    }
}
