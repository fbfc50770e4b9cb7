//! The `:` command line on the status line: what is typed, what Tab would
//! complete it to, and the keys that run or close it.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::Theme;
use crate::app::App;
use crate::keymap::UserAction;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let typed = app.screen.command.as_deref().unwrap_or_default();
    let k = |a: UserAction| app.keymap.first(a);
    let completions = app.completions();
    let offered = if completions.is_empty() {
        "no such command".to_string()
    } else {
        // Only the word being typed: `:sort ` offers `name`, not `sort name`.
        let stem = typed.rfind(' ').map_or(0, |i| i + 1);
        let words: Vec<&str> = completions
            .iter()
            .map(|c| c.get(stem..).unwrap_or(c).trim_end())
            .collect();
        words.join(" ")
    };
    let line = Line::from(vec![
        Span::styled(":", theme.key()),
        // Typed text only, through the text policy like the filter's.
        Span::raw(crate::text::shown(typed, 200).into_owned()),
        Span::styled("▏", theme.key()),
        Span::styled(format!("  {offered}"), theme.dim()),
        Span::styled(
            format!(
                "  {} complete · {} run · {} close",
                k(UserAction::Complete),
                k(UserAction::SubmitName),
                k(UserAction::Cancel)
            ),
            theme.dim(),
        ),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}
