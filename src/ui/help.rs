//! `?`: every key binding, from the same keymap the app uses.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::theme::Theme;
use crate::app::App;
use crate::keymap::{changes, BINDABLE};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let mut lines: Vec<Line> = BINDABLE
        .iter()
        .filter(|(action, _, _)| !(app.context.read_only && changes(*action)))
        .map(|(action, _, what)| {
            Line::from(vec![
                Span::styled(format!("{:>12}  ", app.keymap.keys(*action)), theme.key()),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::from(Span::styled(
        "  Filter: type a name, key or status; Enter keeps, Esc clears.",
        theme.dim(),
    )));
    lines.push(Line::from(Span::styled(
        "  Remap keys in the [keys] section of the config file.",
        theme.dim(),
    )));
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::default().borders(Borders::ALL).title(" Keys ")),
        area,
    );
}
