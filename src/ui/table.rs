//! The stream table. Only the rows on screen are built, so a frame costs the
//! same at 50 streams or 5,000.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TableRow, Table};
use ratatui::Frame;

use super::theme::Theme;
use super::fit_key;
use crate::app::{App, LoadingState, SortKey};
use crate::cloud::{KmsSeries, MetricRange, Source};
use crate::inventory::metric_range;
use crate::model::Row;

/// Which optional columns fit.
struct Columns {
    source: bool,
    spark: usize,
    key: u16,
}

fn columns(width: u16) -> Columns {
    Columns {
        source: width >= 96,
        spark: if width >= 130 {
            16
        } else if width >= 112 {
            10
        } else {
            0
        },
        key: if width >= 120 {
            26
        } else if width >= 96 {
            22
        } else {
            16
        },
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if app.rows.is_empty() {
        let msg = match &app.list_state {
            LoadingState::Error(e) => format!("Could not list streams: {e}"),
            LoadingState::Loaded => "No delivery streams in this account and region.".into(),
            _ => "Listing delivery streams…".into(),
        };
        frame.render_widget(Paragraph::new(msg), area);
        return;
    }
    if app.visible.is_empty() {
        let msg = format!("No stream matches the filter \"{}\".", app.filter);
        frame.render_widget(Paragraph::new(msg), area);
        return;
    }
    let cols = columns(area.width);
    // The sorted column carries an arrow, so the order needs no status-line room.
    let arrow = |title: &str, key: SortKey, down: bool| {
        if app.sort == key {
            format!("{title}{}", if down { "↓" } else { "↑" })
        } else {
            title.to_string()
        }
    };
    let mut titles = vec![arrow("  NAME", SortKey::Name, true)];
    if cols.source {
        titles.push("SOURCE".into());
    }
    titles.push(arrow("ENCRYPTION", SortKey::Status, true));
    titles.push("KEY".into());
    let kms_title = arrow("KMS ERR", SortKey::KmsErrors, true);
    // Wide enough for the sort's arrow: a mark cut off marks nothing.
    let kms_width = u16::try_from(kms_title.chars().count()).unwrap_or(8);
    titles.push(kms_title);
    if cols.spark > 0 {
        titles.push("TREND".into());
    }
    let quota_title = arrow("QUOTA", SortKey::QuotaLeft, false);
    let quota_title_width = u16::try_from(quota_title.chars().count()).unwrap_or(6);
    titles.push(quota_title);
    titles.push("HEALTH".into());
    let header = TableRow::new(
        titles
            .into_iter()
            .map(|t| Cell::from(t).style(theme.title())),
    );

    let rows = app.on_screen().map(|(i, row)| {
        let selected = i == app.selected;
        let style = if selected {
            theme.selected()
        } else {
            Style::default()
        };
        table_row(app, row, selected, &cols, theme).style(style)
    });

    let mut widths = vec![Constraint::Min(12)];
    if cols.source {
        widths.push(Constraint::Length(9));
    }
    widths.extend([
        Constraint::Length(16),
        Constraint::Length(cols.key),
        Constraint::Length(kms_width),
    ]);
    if cols.spark > 0 {
        widths.push(Constraint::Length(cols.spark as u16));
    }
    // "21/25*" when the quota is the ledger's alone.
    let quota_width = if app.quota_ledger_only() { 6 } else { 5 }.max(quota_title_width);
    widths.extend([Constraint::Length(quota_width), Constraint::Length(9)]);
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        area,
    );
}

fn table_row<'a>(
    app: &App,
    row: &'a Row,
    selected: bool,
    cols: &Columns,
    theme: &Theme,
) -> TableRow<'a> {
    let health = app.health_level(row);
    // A marker as well as reverse video: the cursor stays visible in plain text.
    let marker = match (selected, theme.ascii) {
        (false, _) => "  ",
        (true, false) => "▶ ",
        (true, true) => "> ",
    };
    let mut cells: Vec<Cell> = vec![Cell::from(format!("{marker}{}", row.name))];
    let Some(stream) = &row.stream else {
        if cols.source {
            cells.push(Cell::from(""));
        }
        let text = if row.error.is_some() { "ERROR" } else { "…" };
        let style = if row.error.is_some() {
            theme.error()
        } else {
            theme.dim()
        };
        cells.push(Cell::from(text).style(style));
        cells.push(Cell::from(""));
        cells.push(Cell::from(format!("{:>7}", "?")).style(theme.dim()));
        if cols.spark > 0 {
            cells.push(Cell::from(""));
        }
        cells.push(Cell::from("    ?").style(theme.dim()));
        cells.push(Cell::from(theme.health_label(health)).style(theme.health(health)));
        return TableRow::new(cells);
    };
    if cols.source {
        cells.push(Cell::from(stream.source.short().to_string()));
    }
    let enc = &stream.encryption;
    let status = if stream.source != Source::DirectPut && !cols.source {
        // Without a source column, say plainly whose encryption this is.
        format!("by {}", stream.source.short())
    } else {
        enc.status.as_str().to_string()
    };
    cells.push(Cell::from(status).style(theme.status(enc.status)));
    cells.push(Cell::from(fit_key(
        &app.keys.label(stream),
        cols.key as usize,
    )));
    let errors = match app.kms_sums(&row.name) {
        Ok(sums) => {
            let total: f64 = sums.iter().sum();
            let style = if total > 0.0 {
                theme.error()
            } else {
                Style::default()
            };
            Cell::from(Line::from(Span::styled(
                format!("{:>7}", total as u64),
                style,
            )))
        }
        Err(_) => Cell::from(format!("{:>7}", "?")).style(theme.warn()),
    };
    cells.push(errors);
    if cols.spark > 0 {
        let range = metric_range(app.window, app.now);
        let spark = app
            .metrics
            .get(&row.name)
            .map_or(String::new(), |s| sparkline(s, range, cols.spark, theme));
        cells.push(Cell::from(spark).style(theme.error()));
    }
    let mark = if app.quota_ledger_only() { "*" } else { "" };
    let quota = match app.quota(&row.name) {
        _ if stream.source != Source::DirectPut => Cell::from("    -"),
        Ok(q) if q.remaining <= app.settings.quota_warning_at => {
            Cell::from(format!("{:>2}/{}{mark}", q.remaining, q.limit)).style(theme.warn())
        }
        Ok(q) => Cell::from(format!("{:>2}/{}{mark}", q.remaining, q.limit)),
        Err(_) => Cell::from("    ?").style(theme.warn()),
    };
    cells.push(quota);
    cells.push(Cell::from(theme.health_label(health)).style(theme.health(health)));
    TableRow::new(cells)
}

/// The window's combined KMS errors squeezed into `width` characters, placed
/// in time: errors that began an hour ago fill only the last hour's cells.
pub fn sparkline(series: &KmsSeries, range: MetricRange, width: usize, theme: &Theme) -> String {
    if width == 0 {
        return String::new();
    }
    let span = (range.end - range.start).num_seconds().max(1) as f64;
    let mut buckets = vec![0.0f64; width];
    for (t, v) in series.combined() {
        let offset = (t - range.start).num_seconds() as f64 / span;
        if (0.0..1.0).contains(&offset) {
            buckets[(offset * width as f64) as usize] += v;
        }
    }
    let max = buckets.iter().cloned().fold(0.0, f64::max);
    let levels = theme.levels();
    buckets
        .iter()
        .map(|v| {
            if *v <= 0.0 {
                ' '
            } else {
                levels[((v / max) * (levels.len() - 1) as f64).round() as usize]
            }
        })
        .collect()
}
