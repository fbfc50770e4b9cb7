//! `?`: every key of every mode, from the same keymap the app uses, scrolled
//! when it does not fit.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::fit;
use super::theme::Theme;
use crate::app::App;
use crate::keymap::HelpLine;

/// Its width; the height is the content's, as far as the screen allows.
const WIDTH: u16 = 64;

pub fn render(frame: &mut Frame, body: Rect, app: &App, theme: &Theme) {
    let help = app.help_lines();
    let area = super::popup(body, WIDTH, help.len() as u16 + 2);
    let width = area.width.saturating_sub(2) as usize;
    let rows = area.height.saturating_sub(2) as usize;
    let first = app.help_scroll.min(help.len().saturating_sub(rows));
    let lines: Vec<Line> = help
        .iter()
        .skip(first)
        .take(rows)
        .map(|l| line(l, width, theme))
        .collect();
    let mut block = Block::default().borders(Borders::ALL).title(" Keys ");
    if help.len() > rows {
        let last = (first + rows).min(help.len());
        block = block.title_bottom(format!(" {}-{last} of {} ", first + 1, help.len()));
    }
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn line<'a>(l: &HelpLine, width: usize, theme: &Theme) -> Line<'a> {
    match l {
        HelpLine::Section(title) => Line::styled(fit(&format!(" {title}"), width), theme.title()),
        HelpLine::Binding { keys, what } => Line::from(vec![
            Span::styled(format!("{keys:>12}  "), theme.key()),
            Span::raw(fit(what, width.saturating_sub(14))),
        ]),
        HelpLine::Blank => Line::from(""),
        HelpLine::Note(note) => Line::styled(fit(&format!("  {note}"), width), theme.dim()),
    }
}
