//! The JSON view (`y`): a stream's or key's description, pretty JSON,
//! scrolled, every line through the text policy (JSON escapes control
//! characters, not bidi or invisible ones).

use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::theme::Theme;

/// The widest line kept: an ARN or a policy fits, a hostile value does not.
const LINE_CAP: usize = 400;

pub fn render(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    lines: &[String],
    scroll: usize,
    theme: &Theme,
) {
    frame.render_widget(Clear, area);
    let rows = usize::from(area.height.saturating_sub(2));
    let last = (scroll + rows).min(lines.len());
    let shown = format!(" {}-{last} of {} ", (scroll + 1).min(last), lines.len());
    let block = Block::default()
        .borders(Borders::ALL)
        .title(crate::text::shown(title, 120).into_owned())
        .title_bottom(Line::styled(shown, theme.dim()));
    let text: Vec<Line> = lines
        .iter()
        .skip(scroll)
        .take(rows)
        .map(|l| Line::raw(crate::text::shown(l, LINE_CAP).into_owned()))
        .collect();
    // Wrapped, not cut: an ARN is read whole.
    let text = Paragraph::new(text).block(block).wrap(Wrap { trim: false });
    frame.render_widget(text, area);
}
