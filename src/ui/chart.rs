//! The four KMS error series over the window. Braille and half-block markers
//! come from ratatui; the ASCII mode draws each series with its own character so
//! the chart reads on any terminal and font, colour or not.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph, Widget};
use ratatui::Frame;

use super::theme::Theme;
use crate::cloud::{KmsMetric, KmsSeries};
use crate::config::Markers;
use crate::inventory::metric_range;
use crate::model::Window;

/// `series` is `Err(why)` when the metrics could not be read: the chart says
/// so instead of drawing a reassuring empty plot.
pub fn render(
    frame: &mut Frame,
    area: Rect,
    series: Result<Option<&KmsSeries>, &str>,
    window: Window,
    markers: Markers,
    now: chrono::DateTime<chrono::Utc>,
    theme: &Theme,
) {
    let block = Block::default()
        .borders(Borders::TOP)
        .title(format!(" KMS errors, last {window} "));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [legend_area, plot] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(inner);
    let series = match series {
        Ok(series) => series,
        Err(why) => return not_loaded(frame, inner, why, theme),
    };
    let empty = KmsSeries::default();
    let series = series.unwrap_or(&empty);
    frame.render_widget(
        legend(series, legend_area.width, markers, theme),
        legend_area,
    );
    let points = points(series, window, now);
    let (x_axis, y_axis) = axes(&points, window);
    if series.grand_total() == 0.0 {
        return no_errors(frame, plot, x_axis, y_axis, window, theme);
    }
    let marker = match markers {
        Markers::Braille => Marker::Braille,
        Markers::Block => Marker::HalfBlock,
        Markers::Ascii => Marker::Dot,
    };
    let dataset = |i: usize| {
        Dataset::default()
            .marker(marker)
            .graph_type(GraphType::Line)
            .style(theme.series(i).0)
            .data(&points[i])
    };
    if markers == Markers::Ascii {
        return plot_ascii(
            frame.buffer_mut(),
            plot,
            &points,
            dataset,
            (x_axis, y_axis),
            theme,
        );
    }
    let datasets = (0..4)
        .filter(|i| !points[*i].is_empty())
        .map(dataset)
        .collect();
    frame.render_widget(Chart::new(datasets).x_axis(x_axis).y_axis(y_axis), plot);
}

fn not_loaded(frame: &mut Frame, area: Rect, why: &str, theme: &Theme) {
    let note = Paragraph::new(format!("metrics not loaded: {why}"))
        .wrap(ratatui::widgets::Wrap { trim: true })
        .style(theme.warn());
    frame.render_widget(note, area);
}

/// Each series' marker, name and total over the window.
fn legend<'a>(series: &KmsSeries, width: u16, markers: Markers, theme: &Theme) -> Paragraph<'a> {
    let mut spans = Vec::new();
    // Narrow terminals drop the shared "KMSKey" prefix so all four totals fit.
    let prefix = if width >= 96 { "" } else { "KMSKey" };
    for m in KmsMetric::ALL {
        let (style, symbol) = theme.series(m.index());
        let mark = if markers == Markers::Ascii {
            symbol
        } else {
            '●'
        };
        let name = m.name().strip_prefix(prefix).unwrap_or(m.name());
        spans.push(Span::styled(format!("{mark} "), style));
        spans.push(Span::raw(format!("{name} {}   ", series.total(m) as u64)));
    }
    Paragraph::new(Line::from(spans))
}

/// Each series as (seconds before the window's end, value).
fn points(
    series: &KmsSeries,
    window: Window,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<Vec<(f64, f64)>> {
    let end = metric_range(window, now).end;
    KmsMetric::ALL
        .iter()
        .map(|m| {
            series
                .get(*m)
                .iter()
                .map(|(t, v)| ((*t - end).num_seconds() as f64, *v))
                .collect()
        })
        .collect()
}

/// Time from the window's start to now; errors from 0 to a little over the
/// highest point.
fn axes<'a>(points: &[Vec<(f64, f64)>], window: Window) -> (Axis<'a>, Axis<'a>) {
    let max = points
        .iter()
        .flatten()
        .map(|(_, v)| *v)
        .fold(0.0, f64::max)
        .max(1.0);
    let span = (window.hours() * 3600) as f64;
    let x_axis = Axis::default().bounds([-span, 0.0]).labels(vec![
        Line::from(format!("-{window}")),
        Line::from(format!("-{}", half(window))),
        Line::from("now"),
    ]);
    let y_axis = Axis::default()
        .bounds([0.0, max * 1.1])
        .labels(vec![Line::from("0"), Line::from(format!("{}", max as u64))]);
    (x_axis, y_axis)
}

/// Empty axes that say so in words: a blank plot could be a drawing fault.
fn no_errors(
    frame: &mut Frame,
    plot: Rect,
    x_axis: Axis,
    y_axis: Axis,
    window: Window,
    theme: &Theme,
) {
    frame.render_widget(Chart::new(Vec::new()).x_axis(x_axis).y_axis(y_axis), plot);
    let note = Rect {
        y: plot.y + plot.height / 2,
        height: 1,
        ..plot
    };
    frame.render_widget(
        Paragraph::new(format!("no KMS errors in the last {window}"))
            .alignment(ratatui::layout::Alignment::Center)
            .style(theme.good()),
        note,
    );
}

/// ASCII: draws the axes, then each series alone on a scratch buffer, and
/// copies its dots in with the series' own character.
fn plot_ascii<'a>(
    buf: &mut Buffer,
    plot: Rect,
    points: &[Vec<(f64, f64)>],
    dataset: impl Fn(usize) -> Dataset<'a>,
    (x_axis, y_axis): (Axis<'a>, Axis<'a>),
    theme: &Theme,
) {
    Chart::new(Vec::new())
        .x_axis(x_axis.clone())
        .y_axis(y_axis.clone())
        .render(plot, buf);
    for i in (0..4).filter(|i| !points[*i].is_empty()) {
        let mut scratch = Buffer::empty(plot);
        Chart::new(vec![dataset(i)])
            .x_axis(x_axis.clone())
            .y_axis(y_axis.clone())
            .render(plot, &mut scratch);
        let (style, symbol) = theme.series(i);
        for y in plot.top()..plot.bottom() {
            for x in plot.left()..plot.right() {
                let drawn = scratch.cell((x, y)).is_some_and(|c| c.symbol() == "•");
                if let (true, Some(cell)) = (drawn, buf.cell_mut((x, y))) {
                    cell.set_char(symbol).set_style(style);
                }
            }
        }
    }
}

fn half(window: Window) -> String {
    match window {
        Window::H1 => "30m".into(),
        Window::H3 => "1h30m".into(),
        Window::H12 => "6h".into(),
        Window::H24 => "12h".into(),
    }
}
