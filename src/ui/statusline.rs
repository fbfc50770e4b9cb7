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
    if app.filtering {
        let line = Line::from(vec![
            Span::styled("filter: ", theme.key()),
            Span::raw(app.filter.clone()),
            Span::styled("▏", theme.key()),
            Span::styled("   Enter keep · Esc clear", theme.dim()),
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
    let k = |a: UserAction| app.keymap.first(a);
    let hints: Vec<(String, String)> = match &app.view {
        View::Table => vec![
            (
                format!("{}/{}", k(UserAction::Down), k(UserAction::Up)),
                "move".into(),
            ),
            (k(UserAction::Open), "detail".into()),
            (k(UserAction::Filter), filter_hint(app)),
            (k(UserAction::Sort), "sort".into()),
            (k(UserAction::Window), app.window.to_string()),
            (k(UserAction::Rotate), "key".into()),
            (k(UserAction::Disable), "stop".into()),
            (k(UserAction::Help), "help".into()),
            (k(UserAction::Quit), "quit".into()),
        ],
        View::Detail(_) => vec![
            (k(UserAction::Back), "back".into()),
            (
                format!("{}/{}", k(UserAction::Down), k(UserAction::Up)),
                "next/prev".into(),
            ),
            (k(UserAction::Window), app.window.to_string()),
            (k(UserAction::Refresh), "refresh".into()),
            (k(UserAction::Help), "help".into()),
            (k(UserAction::Quit), "quit".into()),
        ],
        View::Help => vec![
            (k(UserAction::Help), "close".into()),
            (k(UserAction::Back), "close".into()),
            (k(UserAction::Quit), "quit".into()),
        ],
    };
    let mut spans = Vec::new();
    let hidden = |what: &str| app.context.read_only && (what == "key" || what == "stop");
    for (key, what) in hints.into_iter().filter(|(_, w)| !hidden(w)) {
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn filter_hint(app: &App) -> String {
    if app.filter.is_empty() {
        "filter".into()
    } else {
        format!("filter:\"{}\" ({} shown)", app.filter, app.visible.len())
    }
}
