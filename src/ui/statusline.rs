//! The bottom line: the keys that work here, or what went wrong.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::Theme;
use crate::app::{App, View};
use crate::keymap::UserAction;
use crate::model::Tone;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let k = |a: UserAction| app.keymap.first(a);
    if app.filtering {
        let line = Line::from(vec![
            Span::styled("filter: ", theme.key()),
            Span::raw(if matches!(app.view, View::Keys) {
                app.keys_view.filter.clone()
            } else {
                app.filter.clone()
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
    if app.fault.is_some() {
        // Before any other message: nothing on screen is refreshed any more.
        let line = Line::from(vec![
            Span::styled("! internal error: ", theme.error()),
            Span::styled(
                crate::crash::where_logged(app.log_file.as_deref()),
                theme.error(),
            ),
            Span::styled(" · data no longer refreshes", theme.error()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    if let Some((text, tone)) = &app.message {
        let style = match tone {
            Tone::Good => theme.good(),
            Tone::Bad => theme.error(),
            Tone::Info => theme.key(),
        };
        frame.render_widget(Paragraph::new(Line::styled(text.clone(), style)), area);
        return;
    }
    if let Some(silence) = app.silence() {
        let line = Line::from(vec![
            Span::styled("! ", theme.error()),
            Span::styled(silence, theme.error()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    if let Some((error, _)) = &app.last_error {
        let line = Line::from(vec![
            Span::styled("! ", theme.error()),
            Span::styled(error.clone(), theme.error()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let mut spans = Vec::new();
    for (action, key, what) in hints(app) {
        if app.context.read_only && action.changes_something() {
            continue;
        }
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The keys that work here, each with the action it stands for.
fn hints(app: &App) -> Vec<(UserAction, String, String)> {
    use UserAction as A;
    let k = |a: UserAction| app.keymap.first(a);
    let hint = |a: UserAction, what: &str| (a, k(a), what.to_string());
    let pair = |a: UserAction, b: UserAction, what: &str| {
        (a, format!("{}/{}", k(a), k(b)), what.to_string())
    };
    match &app.view {
        View::Table => vec![
            pair(A::Down, A::Up, "move"),
            hint(A::Open, "detail"),
            hint(A::Filter, &filter_hint(app)),
            hint(A::Sort, "sort"),
            hint(A::Window, &app.window.to_string()),
            hint(A::Rotate, "key"),
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
        View::Move if app.mode() == crate::keymap::Mode::MovePlan => {
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
        View::Help => {
            let scrolls = app.help_lines().len() > app.help_rows;
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

fn filter_hint(app: &App) -> String {
    let key = app
        .only_key
        .as_ref()
        .map_or(String::new(), |(_, label)| format!("key:{label} "));
    // e and u say which question the table answers now.
    let quick = app
        .quick
        .map_or(String::new(), |q| format!("{} only", q.label()));
    let typed = match (app.filter.is_empty(), quick.is_empty()) {
        (true, false) => String::new(),
        (false, false) => format!(" \"{}\"", app.filter),
        _ => format!("\"{}\"", app.filter),
    };
    if app.filter.is_empty() && key.is_empty() && quick.is_empty() {
        "filter".into()
    } else {
        format!("filter:{key}{quick}{typed} ({} shown)", app.visible.len())
    }
}

fn keys_filter_hint(app: &App) -> String {
    if app.keys_view.filter.is_empty() {
        "filter".into()
    } else {
        format!("filter:\"{}\"", app.keys_view.filter)
    }
}
