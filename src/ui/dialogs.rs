//! The change dialogs: the key picker, the confirmation, and the type-the-name
//! dialog for stopping encryption.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::theme::Theme;
use super::{fit, fit_key};
use crate::app::{App, Confirm, Dialog, PickFor, Picker, PickerKeys};
use crate::keymap::{Keymap, UserAction};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    match &app.dialog {
        Some(Dialog::Picker(p)) => picker(frame, super::popup(area, 76, 20), app, p, theme),
        Some(Dialog::Confirm(c)) => {
            // As tall as its content: a sentence of the verdict may wrap once.
            let notes = c.verdict.refusals.len() + c.verdict.warnings.len();
            let height =
                2 + 4 + 2 + notes as u16 * 2 + u16::from(notes > 0) + u16::from(c.typed.is_some());
            confirm(frame, super::popup(area, 76, height), c, &app.keymap, theme);
        }
        Some(Dialog::KeyConfirm(plan)) => {
            let text = crate::key_rotation::cli::describe(plan);
            // Each line may wrap once in the 76 columns of the box.
            let rows: u16 = text
                .lines()
                .map(|l| if l.chars().count() > 74 { 2 } else { 1 })
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
    lines.push(Line::from(""));
    lines.push(if plan.verdict.allowed() {
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
    });
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
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
            PickFor::Stream(name) => format!(" Encrypt {name} with… "),
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
        let marker = if i == p.selected { "▶ " } else { "  " };
        let text = match &item.problem {
            None => format!("{marker}{:<32} {}", fit_key(&item.label, 32), item.detail),
            Some(why) => format!("{marker}{:<32} ✖ {why}", fit_key(&item.label, 32)),
        };
        let style = match (i == p.selected, item.problem.is_some()) {
            (true, _) => theme.selected(),
            (false, true) => theme.dim(),
            (false, false) => Style::default(),
        };
        lines.push(Line::styled(fit(&text, width), style));
    }
    match app.picker_keys() {
        PickerKeys::Listed if items.is_empty() => lines.push(Line::styled(
            format!(
                "  no key matches \"{}\": {} deletes",
                p.filter,
                key(&app.keymap, UserAction::Erase)
            ),
            theme.warn(),
        )),
        PickerKeys::Listed => {}
        PickerKeys::Listing(what) => {
            lines.push(Line::styled(format!("  listing {what}…"), theme.dim()));
        }
        PickerKeys::Failed(why) => {
            let why = crate::text::shown(&why, crate::text::PROSE_CAP);
            lines.push(Line::styled(format!("  ✖ {why}"), theme.error()));
            let again = app.keymap.first(match p.purpose {
                PickFor::Stream(_) => UserAction::Rotate,
                PickFor::MoveOff { .. } => UserAction::MoveOff,
            });
            lines.push(Line::styled(
                format!("  Esc, then {again}, to try again; the AWS owned key needs no listing"),
                theme.dim(),
            ));
        }
    }
    let footer = Rect {
        y: inner.y + inner.height.saturating_sub(1),
        height: 1,
        ..inner
    };
    // Wrapped for the reason keys could not be listed; the rows are cut to fit.
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!(
                "{}/{} choose · {} pick · {} cancel · greyed keys cannot be used",
                key(&app.keymap, UserAction::PickerUp),
                key(&app.keymap, UserAction::PickerDown),
                key(&app.keymap, UserAction::Pick),
                key(&app.keymap, UserAction::Cancel)
            ),
            theme.dim(),
        )),
        footer,
    );
}

fn confirm(frame: &mut Frame, area: Rect, c: &Confirm, keymap: &Keymap, theme: &Theme) {
    frame.render_widget(Clear, area);
    let title = if c.typed.is_some() {
        format!(" Stop encryption of {} ", c.stream)
    } else {
        format!(" Change encryption of {} ", c.stream)
    };
    let field = |label: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{label:<8}"), theme.dim()),
            Span::raw(value),
        ])
    };
    let mut lines = vec![
        field("stream", c.stream.clone()),
        field("key", format!("{} → {}", c.old_label, c.new_label)),
        field(
            "quota",
            match c.quota {
                Some(q) => format!(
                    "{} of {} calls left in 24 h; {} after this one",
                    q.remaining,
                    q.limit,
                    q.remaining.saturating_sub(1)
                ),
                None => "? (not known yet; checked before sending)".to_string(),
            },
        ),
        Line::from(""),
    ];
    for r in &c.verdict.refusals {
        let r = crate::text::shown(r, crate::text::PROSE_CAP);
        lines.push(Line::styled(format!("✖ {r}"), theme.error()));
    }
    for w in &c.verdict.warnings {
        let w = crate::text::shown(w, crate::text::PROSE_CAP);
        lines.push(Line::styled(format!("▲ {w}"), theme.warn()));
    }
    if !c.verdict.refusals.is_empty() || !c.verdict.warnings.is_empty() {
        lines.push(Line::from(""));
    }
    match (&c.typed, c.verdict.allowed()) {
        (_, false) => lines.push(Line::styled(
            format!(
                "This change cannot be made. {} closes.",
                keys(keymap, UserAction::ConfirmNo)
            ),
            theme.error(),
        )),
        (Some(typed), true) => {
            lines.push(Line::from(format!(
                "Type the stream's full name, then {}, to stop its encryption ({} cancels):",
                key(keymap, UserAction::SubmitName),
                key(keymap, UserAction::Cancel)
            )));
            let style = if *typed == c.stream {
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
                    format!("  does not match {}", c.stream),
                    theme.error(),
                ));
            }
            lines.push(Line::from(spans));
        }
        (None, true) => lines.push(Line::from(vec![
            Span::styled(key(keymap, UserAction::ConfirmYes), theme.key()),
            Span::raw(" send the change   "),
            Span::styled(keys(keymap, UserAction::ConfirmNo), theme.key()),
            Span::raw(" cancel (default)"),
        ])),
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).title(title)),
        area,
    );
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
