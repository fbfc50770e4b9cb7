//! The four KMS error series over the window, in the rows the detail has
//! left. No errors, or errors not known, is one line that says which. The
//! current bucket is still filling, so it is left out and the time axis says
//! where the data ends: a half-counted bucket would dip to 0 and read as
//! "the errors stopped".
//!
//! Braille and half-block markers come from ratatui when colour tells the
//! series apart; in ASCII mode, or without colour, each series is drawn with
//! its own shape, the one its legend entry shows.

use chrono::{DateTime, Duration, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType, Paragraph, Widget, Wrap};
use ratatui::Frame;

use super::theme::Theme;
use crate::app::App;
use crate::config::Markers;
use crate::health::Outage;
use crate::model::{between, clock, span, stamp, StreamId, Window};
use crate::model::{KmsMetric, KmsSeries};

/// Below this many rows for the plot, each erring series gets a one-line
/// sparkline instead: axes with one row of data say nothing.
const MIN_PLOT_ROWS: u16 = 4;

/// What the chart shows of one stream.
pub struct Input<'a> {
    /// `Ok(None)`: CloudWatch answered with no data for the stream; `Err`
    /// says why it could not be read.
    pub series: Result<Option<&'a KmsSeries>, &'a str>,
    /// Since when the stream has had errors, by `Knowledge::errors_since`.
    pub since: Result<Option<Outage>, &'a str>,
    /// Up to when CloudWatch was asked about the stream.
    pub as_of: Option<DateTime<Utc>>,
    /// The window the series were read for.
    pub window: Window,
    pub markers: Markers,
    pub now: DateTime<Utc>,
}

impl<'a> Input<'a> {
    pub fn of(app: &'a App, id: &StreamId) -> Input<'a> {
        // The fleet keeps only the series of the chosen window: until its
        // answer comes, they are unknown ("not loaded yet").
        let window = app.window;
        let k = app.knowledge(id.target);
        Input {
            series: app.kms_sums(id).map(|_| app.fleet.series(id)),
            since: k.errors_since(&id.name, window),
            as_of: k.kms_as_of(&id.name),
            window,
            markers: app.settings.markers,
            now: app.now,
        }
    }

    /// Where the complete buckets end: the start of the one still filling.
    fn end(&self) -> DateTime<Utc> {
        let period = i64::from(self.window.period_secs());
        let secs = self.now.timestamp().div_euclid(period) * period;
        DateTime::from_timestamp(secs, 0).unwrap_or(self.now)
    }

    /// "errors per 1 min": what one point counts.
    fn unit(&self) -> String {
        format!("errors per {} min", self.window.period_secs() / 60)
    }
}

pub fn render(frame: &mut Frame, area: Rect, input: &Input, theme: &Theme) {
    if area.height == 0 {
        return;
    }
    let window = input.window;
    let series = match input.series {
        Err(why) => {
            let text = format!("KMS errors, last {window}: unknown — metrics not loaded: {why}");
            let note = Paragraph::new(text).wrap(Wrap { trim: true });
            return frame.render_widget(note.style(theme.warn()), area);
        }
        Ok(Some(s)) if s.grand_total() > 0.0 => s,
        Ok(_) => {
            // Never "none" for minutes CloudWatch was not asked about: the
            // sweep asks a quiet stream every few minutes, not every minute.
            let upto = input
                .as_of
                .map_or(String::new(), |t| format!(" up to {}", up_to(t, input.now)));
            let text = format!("KMS errors, last {window}: none{upto} — CloudWatch answered");
            return frame.render_widget(Paragraph::new(text).style(theme.good()), area);
        }
    };
    let heading = match input.since {
        Ok(Some(o)) => format!(" KMS errors, last {window}: {} ", since(&o, input)),
        _ => format!(" KMS errors, last {window} "),
    };
    let block = Block::default().borders(Borders::TOP).title(heading);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [legend_area, plot] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(inner);
    let shapes = input.markers == Markers::Ascii || !theme.color;
    frame.render_widget(
        legend(series, legend_area.width, shapes, theme),
        legend_area,
    );
    let points = points(series, input);
    if plot.height <= MIN_PLOT_ROWS {
        return sparklines(frame, plot, (&points, shapes), input, theme);
    }
    // What a point counts, on a row of its own above the plot: as the y
    // axis's title it would sit on the data.
    let [unit_area, plot] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(plot);
    let unit = Line::styled(input.unit(), theme.dim());
    frame.render_widget(Paragraph::new(unit), unit_area);
    draw_plot(frame, plot, &points, (input, shapes), theme);
}

/// "02:10 UTC", with the date when it is not today's, and how long ago
/// when that is over a minute.
fn up_to(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let at = if t.date_naive() == now.date_naive() {
        clock(t)
    } else {
        stamp(t)
    };
    if now - t >= chrono::Duration::minutes(2) {
        format!("{at} ({} ago)", span(now - t))
    } else {
        at
    }
}

/// The axes and the series over them, in Braille or half blocks, or in each
/// series' own shape when `shapes`.
fn draw_plot(
    frame: &mut Frame,
    plot: Rect,
    points: &[Vec<(f64, f64)>],
    (input, shapes): (&Input, bool),
    theme: &Theme,
) {
    let axes = axes(points, input);
    let marker = match input.markers {
        Markers::Braille if !shapes => Marker::Braille,
        Markers::Block if !shapes => Marker::HalfBlock,
        _ => Marker::Dot,
    };
    let dataset = |i: usize| {
        Dataset::default()
            .marker(marker)
            .graph_type(GraphType::Line)
            .style(theme.series(i).0)
            .data(&points[i])
    };
    if shapes {
        return plot_shapes(frame.buffer_mut(), plot, points, dataset, axes, theme);
    }
    let datasets = (0..4)
        .filter(|i| !points[*i].is_empty())
        .map(dataset)
        .collect();
    let (x_axis, y_axis) = axes;
    frame.render_widget(Chart::new(datasets).x_axis(x_axis).y_axis(y_axis), plot);
}

/// "since between 11:00 and 11:05 UTC, still failing", or
/// between when and when they came: CloudWatch knows a time only to its
/// bucket.
fn since(o: &Outage, input: &Input) -> String {
    let at = |t: DateTime<Utc>| {
        if t.date_naive() == input.now.date_naive() {
            clock(t)
        } else {
            stamp(t)
        }
    };
    let (from, to) = o.began();
    let today = Some(input.now);
    match (o.ongoing, o.older) {
        (true, true) => format!("since before {}, still failing", at(to)),
        // How long ago is in the problem sentence: at 80 columns the title
        // has no room for it.
        (true, false) => format!("since {}, still failing", between(from, to, today)),
        (false, _) => {
            let end = o.last + o.bucket();
            format!(
                "{}, none for {}",
                between(from, end, today),
                span(input.now - end)
            )
        }
    }
}

/// A series' colour and the mark its legend entry shows: its own shape when
/// the plot draws shapes, a dot of its colour when the plot is Braille or
/// half blocks in colour.
fn mark(i: usize, shapes: bool, theme: &Theme) -> (ratatui::style::Style, char) {
    let (style, symbol) = theme.series(i);
    (style, if shapes { symbol } else { '●' })
}

/// Each series' marker, name and total over the window.
fn legend<'a>(series: &KmsSeries, width: u16, shapes: bool, theme: &Theme) -> Paragraph<'a> {
    let mut spans = Vec::new();
    // Narrow terminals drop the shared "KMSKey" prefix so all four totals fit.
    let prefix = if width >= 96 { "" } else { "KMSKey" };
    for m in KmsMetric::ALL {
        let (style, mark) = mark(m.index(), shapes, theme);
        let name = m.name().strip_prefix(prefix).unwrap_or(m.name());
        spans.push(Span::styled(format!("{mark} "), style));
        spans.push(Span::raw(format!("{name} {}   ", series.total(m) as u64)));
    }
    Paragraph::new(Line::from(spans))
}

/// Each series as (seconds before the last complete bucket ends, value),
/// the bucket still filling left out.
fn points(series: &KmsSeries, input: &Input) -> Vec<Vec<(f64, f64)>> {
    let end = input.end();
    let period = Duration::seconds(i64::from(input.window.period_secs()));
    KmsMetric::ALL
        .iter()
        .map(|m| {
            series
                .get(*m)
                .iter()
                .filter(|(t, _)| *t + period <= end)
                .map(|(t, v)| ((*t - end).num_seconds() as f64, *v))
                .collect()
        })
        .collect()
}

/// Time from the window's start to where the complete data ends; errors per
/// bucket from 0 to a little over the highest point.
fn axes<'a>(points: &[Vec<(f64, f64)>], input: &Input) -> (Axis<'a>, Axis<'a>) {
    let max = highest(points.iter().flatten());
    let window = input.window;
    let span = (window.hours() * 3600) as f64;
    let x_axis = Axis::default().bounds([-span, 0.0]).labels(vec![
        Line::from(format!("-{window}")),
        Line::from(format!("-{}", half(window))),
        Line::from(format!("to {}", clock(input.end()))),
    ]);
    let y_axis = Axis::default()
        .bounds([0.0, max * 1.1])
        .labels(vec![Line::from("0"), Line::from(format!("{}", max as u64))]);
    (x_axis, y_axis)
}

fn highest<'p>(points: impl Iterator<Item = &'p (f64, f64)>) -> f64 {
    points.map(|(_, v)| *v).fold(0.0, f64::max).max(1.0)
}

/// Too few rows for axes: one line per series with errors, its shape, its
/// highest bucket and a sparkline over the window.
fn sparklines(
    frame: &mut Frame,
    area: Rect,
    (points, shapes): (&[Vec<(f64, f64)>], bool),
    input: &Input,
    theme: &Theme,
) {
    let span = (input.window.hours() * 3600) as f64;
    let erring = (0..4).filter(|i| points[*i].iter().any(|(_, v)| *v > 0.0));
    let lines: Vec<Line> = erring
        .map(|i| {
            let (style, symbol) = mark(i, shapes, theme);
            let max = highest(points[i].iter());
            let head = format!("{symbol} max {} {}  ", max as u64, input.unit());
            let width = usize::from(area.width).saturating_sub(head.chars().count());
            let mut cells = vec![0.0f64; width];
            for (t, v) in &points[i] {
                let at = ((span + t) / span * width as f64) as usize;
                if let Some(c) = cells.get_mut(at) {
                    *c = c.max(*v);
                }
            }
            let levels = theme.levels();
            let top = (levels.len() - 1) as f64;
            let spark: String = cells
                .iter()
                .map(|v| match *v {
                    v if v <= 0.0 => ' ',
                    v => levels[((v / max) * top).round() as usize],
                })
                .collect();
            Line::from(vec![Span::styled(head, style), Span::styled(spark, style)])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

/// Draws the axes, then each series alone on a scratch buffer, and copies
/// its dots in with the series' own shape.
fn plot_shapes<'a>(
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

/// The window's combined KMS errors squeezed into `width` characters, placed
/// in time: errors that began an hour ago fill only the last hour's cells.
/// Every cell spans the same whole number of periods, counted back from the
/// window's end; cells left over at the start are blank (before the
/// window), so the shape never zigzags from cells of 2 and 3 minutes.
pub fn sparkline(
    series: &KmsSeries,
    range: crate::model::MetricRange,
    width: usize,
    theme: &Theme,
) -> String {
    if width == 0 {
        return String::new();
    }
    let period = i64::from(range.period_secs.max(1));
    let periods = ((range.end - range.start).num_seconds() / period).max(1) as usize;
    let per = periods.div_ceil(width);
    let cells = periods.div_ceil(per);
    let span = period * per as i64;
    let mut buckets = vec![0.0f64; cells];
    for (t, v) in series.combined() {
        let back = (range.end - t).num_seconds() - 1;
        if t >= range.start && back >= 0 {
            let k = (back / span) as usize;
            if let Some(b) = cells.checked_sub(k + 1).and_then(|i| buckets.get_mut(i)) {
                *b += v;
            }
        }
    }
    let max = buckets.iter().cloned().fold(0.0, f64::max);
    let levels = theme.levels();
    let spark = buckets.iter().map(|v| {
        if *v <= 0.0 {
            ' '
        } else {
            levels[((v / max) * (levels.len() - 1) as f64).round() as usize]
        }
    });
    std::iter::repeat_n(' ', width - cells)
        .chain(spark)
        .collect()
}
