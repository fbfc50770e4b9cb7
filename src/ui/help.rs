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
use crate::text::thousands;

/// Its width; the height is the content's, as far as the screen allows.
const WIDTH: u16 = 64;

/// Rows under the keys for what the dashboard costs in CloudWatch.
pub const COST_ROWS: u16 = 3;

pub fn render(frame: &mut Frame, body: Rect, app: &App, theme: &Theme) {
    let help = app.help_lines();
    let area = super::popup(body, WIDTH, help.len() as u16 + 2 + COST_ROWS);
    let width = area.width.saturating_sub(2) as usize;
    let rows = area.height.saturating_sub(2 + COST_ROWS) as usize;
    let first = app.screen.help_scroll.min(help.len().saturating_sub(rows));
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
    let cost = cost_lines(app)
        .into_iter()
        .map(|l| Line::styled(fit(&format!("  {l}"), width), theme.dim()));
    let lines: Vec<Line> = lines.into_iter().chain(cost).collect();
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

/// Which streams CloudWatch is asked about and how often, the running
/// count of what was asked, and what it would cost a day at that rate.
fn cost_lines(app: &App) -> [String; COST_ROWS as usize] {
    let coverage = format!(
        "Customer-key streams: all KMS metrics at least every {}",
        crate::model::span(chrono::Duration::seconds(
            i64::try_from(app.settings.sweep_secs).unwrap_or(i64::MAX)
        ))
    );
    let Some(usage) = &app.fleet.cloudwatch() else {
        return [
            coverage,
            "CloudWatch: nothing asked yet".into(),
            String::new(),
        ];
    };
    let cost = match usage.dollars_per_day(app.now) {
        // Fractions of a cent matter only under a dollar.
        Some(d) if d < 1.0 => format!("≈ ${d:.4}/day at $0.01 per 1,000 metrics (estimate)"),
        Some(d) => format!("≈ ${d:.2}/day at $0.01 per 1,000 metrics (estimate)"),
        None => "cost a day at $0.01 per 1,000 metrics: after a minute".to_string(),
    };
    [
        coverage,
        format!(
            "CloudWatch: {} metrics requested, {} ListMetrics calls",
            thousands(usage.metrics_requested as usize),
            thousands(usage.list_metrics_calls as usize)
        ),
        cost,
    ]
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
