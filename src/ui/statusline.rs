//! The bottom line: the keys that work here, or what went wrong.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::theme::Theme;
use crate::app::{App, Dialog, View};
use crate::keymap::{Mode, UserAction};
use crate::model::Tone;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let k = |a: UserAction| app.keymap.first(a);
    if app.screen.command.is_some() {
        super::command::render(frame, area, app, theme);
        return;
    }
    if app.table.filtering {
        let line = Line::from(vec![
            Span::styled("filter: ", theme.key()),
            Span::raw(if matches!(app.screen.view, View::Keys) {
                app.keys_view.filter.clone()
            } else {
                app.table.filter.clone()
            }),
            Span::styled("▏", theme.key()),
            Span::styled(
                format!(
                    "   {} keep · {} clear",
                    k(UserAction::FilterKeep),
                    k(UserAction::FilterClear)
                ),
                theme.dim(),
            ),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    if app.fleet.freshness.fault.is_some() {
        // Before any other message: nothing on screen is refreshed any more.
        let line = Line::from(vec![
            Span::styled("! internal error: ", theme.error()),
            Span::styled(
                crate::crash::where_logged(app.screen.log_file.as_deref()),
                theme.error(),
            ),
            Span::styled(" · data no longer refreshes", theme.error()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let width = usize::from(area.width);
    let line = match said(app, theme) {
        Some(said) => message_line(app, said, width, theme),
        None => Line::from(hint_spans(app, width, theme)),
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The one message the line has room for: what is under way for the user,
/// the latest notice or outcome, AWS's silence, the last error.
struct Said {
    text: String,
    style: Style,
    /// The message log has it whole.
    logged: bool,
}

fn said(app: &App, theme: &Theme) -> Option<Said> {
    // The log shows every message whole: the line says how to leave it.
    if app.screen.view == View::Messages {
        return None;
    }
    if let Some(text) = app.describing_line() {
        return Some(Said {
            text,
            style: theme.key(),
            logged: false,
        });
    }
    if let Some(m) = app.messages.shown() {
        let style = match m.tone {
            Tone::Good => theme.good(),
            Tone::Bad => theme.error(),
            Tone::Info => theme.key(),
        };
        return Some(Said {
            text: m.text.clone(),
            style,
            logged: m.logged,
        });
    }
    let (text, logged) = match (app.silence(), &app.fleet.freshness.last_error) {
        (Some(silence), _) => (silence, false),
        (None, Some((error, _))) => (error.clone(), true),
        (None, None) => return None,
    };
    Some(Said {
        text: format!("! {text}"),
        style: theme.error(),
        logged,
    })
}

/// The message, cut with a pointer to the log when too long; the key hints
/// after it when there is room for some.
fn message_line(app: &App, said: Said, width: usize, theme: &Theme) -> Line<'static> {
    let used = said.text.width();
    if used > width {
        let rest = if said.logged {
            format!("… ({}: messages)", app.keymap.first(UserAction::Messages))
        } else {
            "…".to_string()
        };
        let cut = cut_to(&said.text, width.saturating_sub(rest.width()));
        return Line::styled(format!("{cut}{rest}"), said.style);
    }
    let mut spans = vec![Span::styled(said.text, said.style)];
    let room = width - used;
    if room >= HINT_ROOM {
        spans.push(Span::styled(" │ ", theme.dim()));
        spans.extend(hint_spans(app, room - 3, theme));
    }
    Line::from(spans)
}

/// Columns a message must leave free before hints go beside it: fewer would
/// show a hint or two cut off from the rest.
const HINT_ROOM: usize = 30;

/// The longest start of `text` that fits `cols` columns.
fn cut_to(text: &str, cols: usize) -> &str {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += c.width().unwrap_or(0);
        if used > cols {
            return &text[..i];
        }
    }
    text
}

/// The hints that fit `width`, whole: the least needed go first.
fn hint_spans(app: &App, width: usize, theme: &Theme) -> Vec<Span<'static>> {
    let mut hints: Vec<(UserAction, String, String)> = hints(app)
        .into_iter()
        .filter(|(action, _, _)| !(app.context.read_only && action.changes_something()))
        .collect();
    let cols = |h: &[(UserAction, String, String)]| {
        h.iter()
            .map(|(_, key, what)| key.width() + what.width() + 3)
            .sum::<usize>()
            .saturating_sub(2)
    };
    while cols(&hints) > width && hints.len() > 1 {
        let drop = hints
            .iter()
            .enumerate()
            .min_by_key(|(i, (a, _, _))| drop_rank(*a, *i))
            .map_or(0, |(i, _)| i);
        hints.remove(drop);
    }
    let mut spans = Vec::new();
    for (_, key, what) in hints {
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    spans
}

/// The order hints leave a short line in: first those shown elsewhere too
/// (the header says the window and the sort) or least needed to find one's
/// way; then the others from the end; last the on-call answers (`e u K m`),
/// the filter (it says what the table shows), help and quit.
const DROP_FIRST: &[UserAction] = &[
    UserAction::Window,
    UserAction::Sort,
    UserAction::Refresh,
    UserAction::Open,
    UserAction::Down,
    UserAction::Disable,
    UserAction::Switch,
    UserAction::Back,
];

/// Kept longest, the most needed last.
const KEEP_LAST: &[UserAction] = &[
    UserAction::Keys,
    UserAction::Dismiss,
    UserAction::OnlyUnencrypted,
    UserAction::OnlyKmsErrors,
    UserAction::Messages,
    UserAction::Filter,
    UserAction::Help,
    UserAction::Quit,
];

/// Which hint goes first: the lowest rank.
fn drop_rank(action: UserAction, at: usize) -> (u8, usize) {
    if let Some(p) = DROP_FIRST.iter().position(|a| *a == action) {
        (0, p)
    } else if let Some(p) = KEEP_LAST.iter().position(|a| *a == action) {
        (2, p)
    } else {
        (1, usize::MAX - at)
    }
}

/// The keys that work here, each with the action it stands for; the
/// message log's and dismissing's when there is something for them.
fn hints(app: &App) -> Vec<(UserAction, String, String)> {
    use UserAction as A;
    let mut hints = view_hints(app);
    let k = |a: UserAction| app.keymap.first(a);
    let mode = app.mode();
    let mut extra = Vec::new();
    let log = app.messages.log.len();
    // In the table and the detail the log is an on-call answer: offered
    // even while empty.
    let browsing = matches!(mode, Mode::Table | Mode::Detail);
    if (log > 0 || browsing) && mode.offers(A::Messages) && mode != Mode::Messages {
        let what = match log {
            0 => "messages".to_string(),
            n => format!("messages ({n})"),
        };
        extra.push((A::Messages, k(A::Messages), what));
    }
    let shown = app.messages.shown().is_some() || app.fleet.freshness.last_error.is_some();
    if shown && mode.offers(A::Dismiss) {
        extra.push((A::Dismiss, k(A::Dismiss), "dismiss".to_string()));
    }
    let at = hints
        .iter()
        .position(|(a, _, _)| matches!(a, A::Help | A::Quit))
        .unwrap_or(hints.len());
    hints.splice(at..at, extra);
    hints
}

/// The keys of the view itself.
fn view_hints(app: &App) -> Vec<(UserAction, String, String)> {
    use UserAction as A;
    let k = |a: UserAction| app.keymap.first(a);
    let hint = |a: UserAction, what: &str| (a, k(a), what.to_string());
    let pair = |a: UserAction, b: UserAction, what: &str| {
        (a, format!("{}/{}", k(a), k(b)), what.to_string())
    };
    if app.dialog.is_some() {
        return dialog_hints(app);
    }
    match &app.screen.view {
        View::Table => vec![
            pair(A::Down, A::Up, "move"),
            hint(A::Open, "open"),
            hint(A::Filter, &filter_hint(app)),
            hint(A::Sort, "sort"),
            hint(A::Window, &app.window.to_string()),
            hint(A::OnlyKmsErrors, "errors"),
            hint(A::OnlyUnencrypted, "unencrypted"),
            hint(A::Keys, "keys"),
            hint(A::Switch, "key"),
            hint(A::Disable, "stop"),
            hint(A::Help, "help"),
            hint(A::Quit, "quit"),
        ],
        View::Keys => vec![
            pair(A::Down, A::Up, "move"),
            hint(A::Open, "streams"),
            hint(A::Filter, &keys_filter_hint(app)),
            // The sorted column carries the arrow.
            hint(A::Sort, "sort"),
            hint(A::MoveOff, "move off"),
            hint(A::Keys, "back"),
            hint(A::Help, "help"),
            hint(A::Quit, "quit"),
        ],
        // The move's own last line says what Enter and Esc do.
        View::Move if app.mode() == Mode::MovePlan => {
            vec![pair(A::PickerDown, A::PickerUp, "scroll")]
        }
        View::Move => vec![
            pair(A::Down, A::Up, "scroll"),
            hint(A::Help, "help"),
            hint(A::Quit, "quit"),
        ],
        View::Detail(_) => vec![
            hint(A::Back, "back"),
            pair(A::Down, A::Up, "next/prev"),
            hint(A::Window, &app.window.to_string()),
            hint(A::Refresh, "refresh"),
            hint(A::Help, "help"),
            hint(A::Quit, "quit"),
        ],
        View::Messages => vec![
            pair(A::Down, A::Up, "scroll"),
            hint(A::Messages, "close"),
            hint(A::Back, "close"),
            hint(A::Quit, "quit"),
        ],
        View::Help => {
            let scrolls = app.help_lines().len() > app.screen.help_rows;
            let scroll = scrolls.then(|| pair(A::Down, A::Up, "scroll"));
            scroll
                .into_iter()
                .chain([
                    hint(A::Help, "close"),
                    hint(A::Back, "close"),
                    hint(A::Quit, "quit"),
                ])
                .collect()
        }
    }
}

/// Under a dialog, the dialog's own keys: the table's do nothing there.
fn dialog_hints(app: &App) -> Vec<(UserAction, String, String)> {
    use crate::key_rotation::KeyChange;
    use UserAction as A;
    let k = |a: UserAction| app.keymap.first(a);
    let hint = |a: UserAction, what: &str| (a, k(a), what.to_string());
    let pair = |a: UserAction, b: UserAction, what: &str| {
        (a, format!("{}/{}", k(a), k(b)), what.to_string())
    };
    match &app.dialog {
        Some(Dialog::Picker(_)) => vec![
            pair(A::PickerDown, A::PickerUp, "move"),
            hint(A::Pick, "pick"),
            hint(A::Erase, "erase"),
            hint(A::Cancel, "cancel"),
        ],
        Some(Dialog::Confirm(c)) if c.typed.is_some() => vec![
            hint(A::SubmitName, "submit the name"),
            hint(A::Erase, "erase"),
            hint(A::Cancel, "cancel"),
        ],
        Some(Dialog::Confirm(_)) => vec![hint(A::ConfirmYes, "send"), hint(A::ConfirmNo, "cancel")],
        Some(Dialog::KeyConfirm(plan, _)) => {
            // The dialog's own words for yes.
            let yes = match plan.change {
                KeyChange::RotateNow => "rotate now",
                KeyChange::AutoOn(_) => "turn it on",
                KeyChange::AutoOff => "turn it off",
            };
            let mut keys = vec![hint(A::ConfirmYes, yes), hint(A::ConfirmNo, "cancel")];
            if !matches!(plan.change, KeyChange::RotateNow) {
                keys.push(pair(A::PeriodShorter, A::PeriodLonger, "period"));
            }
            keys
        }
        Some(Dialog::Raw { .. }) => vec![
            pair(A::Down, A::Up, "scroll"),
            hint(A::Raw, "close"),
            hint(A::Back, "close"),
            hint(A::Quit, "quit"),
        ],
        Some(Dialog::Quit(_)) => vec![hint(A::ConfirmYes, "quit"), hint(A::ConfirmNo, "stay")],
        None => Vec::new(),
    }
}

fn filter_hint(app: &App) -> String {
    let key = app
        .table
        .only_key
        .as_ref()
        .map_or(String::new(), |(_, label)| format!("key:{label} "));
    // e and u say which question the table answers now.
    let quick = app
        .table
        .quick
        .map_or(String::new(), |q| format!("{} only", q.label()));
    let typed = match (app.table.filter.is_empty(), quick.is_empty()) {
        (true, false) => String::new(),
        (false, false) => format!(" \"{}\"", app.table.filter),
        _ => format!("\"{}\"", app.table.filter),
    };
    if app.table.filter.is_empty() && key.is_empty() && quick.is_empty() {
        "filter".into()
    } else {
        format!(
            "filter:{key}{quick}{typed} ({} shown)",
            app.table.visible.len()
        )
    }
}

fn keys_filter_hint(app: &App) -> String {
    if app.keys_view.filter.is_empty() {
        "filter".into()
    } else {
        format!("filter:\"{}\"", app.keys_view.filter)
    }
}
