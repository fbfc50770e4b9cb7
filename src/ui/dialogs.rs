//! The change dialogs: the key picker, the confirmation, and the type-the-name
//! dialog for stopping encryption.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::theme::Theme;
use super::{fit, fit_key};
use crate::app::{App, Confirm, Dialog, LoadingState, PickFor, PickItem, Picker};
use crate::keymap::{Keymap, UserAction};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match &app.dialog {
        Some(Dialog::Picker(p)) => picker(frame, super::popup(area, 76, 20), app, p, theme),
        Some(Dialog::Confirm(c)) => {
            // As tall as its content, wrapped in the 74 columns inside.
            let (body, answer) = confirm_lines(c, &app.shown(&c.stream), &app.keymap, theme);
            let height = rows(&body) + rows(&answer) + 2;
            let title = if matches!(c.request, crate::change::Request::Disable { .. }) {
                format!(" Stop encryption of {} ", app.shown(&c.stream))
            } else {
                format!(" Change encryption of {} ", app.shown(&c.stream))
            };
            let area = super::popup(area, 76, height);
            pinned(frame, area, &title, body, answer);
        }
        Some(Dialog::KeyConfirm(plan, _)) => {
            let text = crate::key_rotation::describe(plan);
            // Each line wraps in the 74 columns inside the box.
            let rows: u16 = text
                .lines()
                .map(|l| l.chars().count().div_ceil(74).max(1) as u16)
                .sum();
            // And the period's choice, for automatic rotation.
            let auto = !matches!(plan.change, crate::key_rotation::KeyChange::RotateNow);
            let height = rows + 4 + if auto { 2 } else { 0 };
            key_confirm(
                frame,
                super::popup(area, 76, height),
                &text,
                plan,
                &app.keymap,
                theme,
            );
        }
        Some(Dialog::Quit(under_way)) => quit(
            frame,
            super::popup(area, 64, 7),
            under_way,
            &app.keymap,
            theme,
        ),
        Some(Dialog::Raw {
            title,
            lines,
            scroll,
        }) => {
            let area = super::popup(
                area,
                area.width.saturating_sub(4),
                area.height.saturating_sub(2),
            );
            super::raw::render(frame, area, title, lines, *scroll, theme);
        }
        None => {}
    }
}

/// A dialog's hint names the keys the user really has, remapped or not.
fn key(keymap: &Keymap, action: UserAction) -> String {
    match keymap.first(action).as_str() {
        "Up" => "↑".to_string(),
        "Down" => "↓".to_string(),
        "Left" => "←".to_string(),
        "Right" => "→".to_string(),
        other => other.to_string(),
    }
}

/// Every key of an action, "n/Esc", leaving out a capital that only repeats
/// a letter already shown.
fn keys(keymap: &Keymap, action: UserAction) -> String {
    let all = keymap.keys(action);
    let names: Vec<&str> = all.split(' ').collect();
    names
        .iter()
        .filter(|k| {
            let lower = k.to_lowercase();
            lower == **k || !names.contains(&lower.as_str())
        })
        .copied()
        .collect::<Vec<_>>()
        .join("/")
}

/// Rotating a key's material: the plan in the command line's words, and y/n.
fn key_confirm(
    frame: &mut Frame,
    area: Rect,
    text: &str,
    plan: &crate::key_rotation::KeyPlan,
    keymap: &Keymap,
    theme: &Theme,
) {
    frame.render_widget(Clear, area);
    use crate::key_rotation::KeyChange;
    let (title, yes) = match plan.change {
        KeyChange::RotateNow => (" Rotate the key material? ", "rotate now"),
        KeyChange::AutoOn(_) => (" Rotate automatically? ", "turn it on"),
        KeyChange::AutoOff => (" Stop rotating automatically? ", "turn it off"),
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines: Vec<Line> = text
        .lines()
        .map(|l| {
            if l.starts_with("Refused") {
                Line::styled(l.to_string(), theme.error())
            } else if l.starts_with("Warning") {
                Line::styled(l.to_string(), theme.warn())
            } else {
                Line::from(l.to_string())
            }
        })
        .collect();
    if matches!(plan.change, KeyChange::AutoOn(_) | KeyChange::AutoOff) {
        lines.push(Line::from(""));
        lines.push(Line::styled(period_choice(plan, keymap), theme.key()));
    }
    // The answer keeps the last row, whatever the text above it needs: a
    // screen too short for the whole plan still says how to answer.
    let answer = if plan.verdict.allowed() {
        Line::styled(
            format!(
                "{} {yes}   {} cancel",
                key(keymap, UserAction::ConfirmYes),
                keys(keymap, UserAction::ConfirmNo)
            ),
            theme.key(),
        )
    } else {
        Line::styled(
            format!(
                "This change cannot be made.   {} close",
                keys(keymap, UserAction::ConfirmNo)
            ),
            theme.key(),
        )
    };
    let (text_area, answer_area) = last_row(inner);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text_area);
    frame.render_widget(Paragraph::new(answer), answer_area);
}

/// An area without its last row (and a blank row above it), and that row.
fn last_row(area: Rect) -> (Rect, Rect) {
    let answer = Rect {
        y: area.y + area.height.saturating_sub(1),
        height: area.height.min(1),
        ..area
    };
    let text = Rect {
        height: area.height.saturating_sub(2),
        ..area
    };
    (text, answer)
}

fn quit(frame: &mut Frame, area: Rect, under_way: &[String], keymap: &Keymap, theme: &Theme) {
    frame.render_widget(Clear, area);
    let block = Block::default().borders(Borders::ALL).title(" Quit? ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let what = match under_way {
        [one] => format!("{one} is still under way"),
        many => format!("{} are still under way", many.join(", ")),
    };
    let lines = vec![
        Line::styled(
            format!(
                "{what}; quit anyway? {}/{}",
                key(keymap, UserAction::ConfirmYes),
                key(keymap, UserAction::ConfirmNo)
            ),
            theme.warn(),
        ),
        Line::from(""),
        Line::styled(
            "Quitting records the outcome as unknown (\"left before AWS finished\").",
            theme.dim(),
        ),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
}

fn picker(frame: &mut Frame, area: Rect, app: &App, p: &Picker, theme: &Theme) {
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(match &p.purpose {
            PickFor::Stream(id) => format!(" Encrypt {} with… ", app.shown(id)),
            PickFor::MoveOff { label, .. } => format!(" Move every stream off {label} to… "),
        });
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![Line::from(vec![
        Span::styled("type to filter: ", theme.dim()),
        Span::raw(p.filter.clone()),
        Span::styled("▏", theme.key()),
    ])];
    let items = app.picker_items();
    let room = inner.height.saturating_sub(3) as usize;
    let start = p.selected.saturating_sub(room.saturating_sub(1));
    let width = inner.width as usize;
    for (i, item) in items.iter().enumerate().skip(start).take(room) {
        lines.push(item_line(item, i == p.selected, width, theme));
    }
    lines.extend(listing_lines(app, p, items.is_empty(), theme));
    let footer = Rect {
        y: inner.y + inner.height.saturating_sub(1),
        height: 1,
        ..inner
    };
    // Wrapped for the reason keys could not be listed; the rows are cut to fit.
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    frame.render_widget(Paragraph::new(picker_keys_line(&app.keymap, theme)), footer);
}

/// One key the picker offers: its label, and what it is, what to mind or
/// why it cannot be used.
fn item_line(item: &PickItem, selected: bool, width: usize, theme: &Theme) -> Line<'static> {
    let marker = if selected { "▶ " } else { "  " };
    let text = match (&item.problem, &item.warning) {
        (None, None) => format!("{marker}{:<32} {}", fit_key(&item.label, 32), item.detail),
        (None, Some(warning)) => {
            format!("{marker}{:<32} ▲ {warning}", fit_key(&item.label, 32))
        }
        (Some(why), _) => format!("{marker}{:<32} ✖ {why}", fit_key(&item.label, 32)),
    };
    let style = match (selected, &item.problem, &item.warning) {
        (true, _, _) => theme.selected(),
        (false, Some(_), _) => theme.dim(),
        (false, None, Some(_)) => theme.warn(),
        (false, None, None) => Style::default(),
    };
    Line::styled(fit(&text, width), style)
}

/// Below the keys: that none matches the filter, that they are still being
/// listed, or why they could not be and how to ask again.
fn listing_lines(app: &App, p: &Picker, no_items: bool, theme: &Theme) -> Vec<Line<'static>> {
    let (listing, what) = app.picker_keys();
    match listing {
        LoadingState::Loaded if no_items => vec![Line::styled(
            format!(
                "  no key matches \"{}\": {} deletes",
                p.filter,
                key(&app.keymap, UserAction::Erase)
            ),
            theme.warn(),
        )],
        LoadingState::Loaded => Vec::new(),
        LoadingState::Idle | LoadingState::Loading => {
            vec![Line::styled(format!("  listing {what}…"), theme.dim())]
        }
        LoadingState::Error(why) => {
            let why = crate::text::shown(&why, crate::text::PROSE_CAP);
            let again = app.keymap.first(match p.purpose {
                PickFor::Stream(_) => UserAction::Switch,
                PickFor::MoveOff { .. } => UserAction::MoveOff,
            });
            vec![
                Line::styled(format!("  ✖ {why}"), theme.error()),
                Line::styled(
                    format!(
                        "  Esc, then {again}, to try again; the AWS owned key needs no listing"
                    ),
                    theme.dim(),
                ),
            ]
        }
    }
}

/// The picker's last row: the keys that answer it.
fn picker_keys_line(keymap: &Keymap, theme: &Theme) -> Line<'static> {
    Line::styled(
        format!(
            "{}/{} choose · {} pick · {} cancel · greyed keys cannot be used",
            key(keymap, UserAction::PickerUp),
            key(keymap, UserAction::PickerDown),
            key(keymap, UserAction::Pick),
            key(keymap, UserAction::Cancel)
        ),
        theme.dim(),
    )
}

/// Rows these lines take wrapped in the 74 columns inside a dialog, as
/// the paragraph wraps them (at words).
fn rows(lines: &[Line]) -> u16 {
    let wrapped = Paragraph::new(lines.to_vec()).wrap(Wrap { trim: false });
    u16::try_from(wrapped.line_count(74)).unwrap_or(u16::MAX)
}

/// A dialog whose answer keeps the last rows, whatever the text above it
/// needs: a screen too short for every sentence still says how to answer.
fn pinned(frame: &mut Frame, area: Rect, title: &str, body: Vec<Line>, answer: Vec<Line>) {
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title.to_string());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let below = rows(&answer).min(inner.height);
    let text = Rect {
        height: inner.height - below,
        ..inner
    };
    let bottom = Rect {
        y: inner.y + inner.height - below,
        height: below,
        ..inner
    };
    frame.render_widget(Paragraph::new(body).wrap(Wrap { trim: false }), text);
    frame.render_widget(Paragraph::new(answer).wrap(Wrap { trim: false }), bottom);
}

/// The confirmation's text, and how to answer it.
fn confirm_lines<'a>(
    c: &Confirm,
    shown: &str,
    keymap: &Keymap,
    theme: &Theme,
) -> (Vec<Line<'a>>, Vec<Line<'a>>) {
    let stopping = matches!(c.request, crate::change::Request::Disable { .. });
    let field = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{label:<8}"), theme.dim()),
            Span::raw(value),
        ])
    };
    let mut lines = vec![
        field("stream", shown.to_string()),
        field("key", format!("{} → {}", c.old_label, c.new_label)),
        field("quota", quota_line(c)),
        Line::from(""),
    ];
    for r in c.verdict.refusals.iter().chain(&c.verdict.overridable) {
        let r = crate::text::shown(r, crate::text::PROSE_CAP);
        lines.push(Line::styled(format!("✖ {r}"), theme.error()));
    }
    for w in &c.verdict.warnings {
        let w = crate::text::shown(w, crate::text::PROSE_CAP);
        lines.push(Line::styled(format!("▲ {w}"), theme.warn()));
    }
    if c.grant_pending {
        lines.push(Line::styled(
            format!(
                "… asking KMS whether you may create the grant Firehose needs on {}",
                c.new_label
            ),
            theme.dim(),
        ));
    }
    let mut answer = answer(c, shown, stopping, keymap, theme);
    if lines.len() > 4 {
        answer.insert(0, Line::from(""));
    }
    (lines, answer)
}

/// "3 of 25 calls left in 24 h; 2 after this one", with the calls AWS
/// refused when there are any.
fn quota_line(c: &Confirm) -> String {
    match c.quota {
        Some(q) if q.refused > 0 => format!(
            "{} of {} calls left in 24 h counting {} AWS refused ({} if they do not count); {} after this one",
            q.remaining,
            q.limit,
            q.refused,
            q.remaining_at_most,
            q.remaining.saturating_sub(1)
        ),
        Some(q) => format!(
            "{} of {} calls left in 24 h; {} after this one",
            q.remaining,
            q.limit,
            q.remaining.saturating_sub(1)
        ),
        None => "? (not known yet; checked before sending)".to_string(),
    }
}

/// The dialog's last lines: how to answer it.
fn answer<'a>(
    c: &Confirm,
    shown: &str,
    stopping: bool,
    keymap: &Keymap,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let forced = c.verdict.forceable();
    match &c.typed {
        _ if !c.verdict.sendable(true) => vec![Line::styled(
            format!(
                "This change cannot be made. {} closes.",
                keys(keymap, UserAction::ConfirmNo)
            ),
            theme.error(),
        )],
        Some(typed) => {
            let what = match (forced, stopping) {
                (true, true) => "Type the stream's full name, then {enter}, to stop it anyway ({esc} cancels):",
                (true, false) => "Type send (or the stream's name), then {enter}, to send anyway ({esc} cancels):",
                _ => "Type the stream's full name, then {enter}, to stop its encryption ({esc} cancels):",
            };
            let prompt = what
                .replace("{enter}", &key(keymap, UserAction::SubmitName))
                .replace("{esc}", &key(keymap, UserAction::Cancel));
            let named = typed == shown || *typed == c.stream.name;
            let matches = named || (forced && !stopping && typed == "send");
            let style = if matches {
                theme.good()
            } else {
                Style::default()
            };
            let mut spans = vec![
                Span::styled(format!("> {typed}"), style),
                Span::styled("▏", theme.key()),
            ];
            if c.mismatch {
                spans.push(Span::styled(
                    format!("  does not match {shown}"),
                    theme.error(),
                ));
            }
            vec![Line::from(prompt), Line::from(spans)]
        }
        None => vec![Line::from(vec![
            Span::styled(key(keymap, UserAction::ConfirmYes), theme.key()),
            Span::raw(" send the change   "),
            Span::styled(keys(keymap, UserAction::ConfirmNo), theme.key()),
            Span::raw(" cancel (default)"),
        ])],
    }
}

/// "←/→ period: off · 90 · 180 · [365] · 730 · 1095 · 1825 · 2560 days".
fn period_choice(plan: &crate::key_rotation::KeyPlan, keymap: &Keymap) -> String {
    use crate::key_rotation::{KeyChange, PERIODS};
    let rotating = plan.key.rotation.as_ref().is_some_and(|r| r.automatic);
    let mark = |text: String, chosen: bool| {
        if chosen {
            format!("[{text}]")
        } else {
            text
        }
    };
    let mut options = Vec::new();
    if rotating {
        options.push(mark("off".into(), plan.change == KeyChange::AutoOff));
    }
    options.extend(
        PERIODS
            .iter()
            .map(|d| mark(d.to_string(), plan.change == KeyChange::AutoOn(*d))),
    );
    format!(
        "{}/{} period: {} days",
        key(keymap, UserAction::PeriodShorter),
        key(keymap, UserAction::PeriodLonger),
        options.join(" · ")
    )
}
