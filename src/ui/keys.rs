//! The keys view: one row a key the fleet uses, worst first. Over SSH at
//! 80x24 it answers "which key is hurting us" in one key press.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::widgets::{Cell, Paragraph, Row as TableRow, Table};
use ratatui::Frame;

use super::theme::Theme;
use super::{fit, fit_key};
use crate::app::{App, KeyRow, KeySort};
use crate::model::KeyState;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let rows = app.key_rows();
    if rows.is_empty() {
        let msg = if app.keys_view.filter.is_empty() {
            "No stream uses a customer managed key.".to_string()
        } else {
            format!("No key matches the filter \"{}\".", app.keys_view.filter)
        };
        frame.render_widget(Paragraph::new(msg), area);
        return;
    }
    let wide = area.width >= 100;
    // The key's name takes what the other columns leave, up to 40.
    let fixed: u16 = 12 + 8 + 10 + 8 + 5 + 7 + 7 + if wide { 10 } else { 0 };
    let key_width = area.width.saturating_sub(fixed).clamp(12, 40);
    let arrow = |title: &str, sort: KeySort| {
        if app.keys_view.sort == sort {
            format!("{title}↓")
        } else {
            title.to_string()
        }
    };
    let mut titles = vec![
        arrow("  KEY", KeySort::Name),
        "STATE".to_string(),
        "ORIGIN".to_string(),
        "ROTATION".to_string(),
        "ROTATED".to_string(),
        arrow("STREAMS", KeySort::Streams),
        "ERR".to_string(),
        arrow("HEALTH", KeySort::Problems),
    ];
    if !wide {
        titles.remove(2);
    }
    let header = TableRow::new(
        titles
            .into_iter()
            .map(|t| Cell::from(t).style(theme.title())),
    );
    let height = area.height.saturating_sub(1) as usize;
    let selected = app.keys_view.selected.min(rows.len() - 1);
    let offset = selected.saturating_sub(height.saturating_sub(1));
    let body = rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(height)
        .map(|(i, r)| row(app, r, i == selected, wide, key_width, theme));
    let mut widths = vec![Constraint::Length(key_width), Constraint::Length(12)];
    if wide {
        widths.push(Constraint::Length(9));
    }
    widths.extend([
        Constraint::Length(8),
        Constraint::Length(10),
        Constraint::Length(8),
        Constraint::Length(5),
        Constraint::Length(7),
    ]);
    frame.render_widget(
        Table::new(body, widths).header(header).column_spacing(1),
        area,
    );
}

fn row<'a>(
    app: &App,
    r: &KeyRow,
    selected: bool,
    wide: bool,
    key_width: u16,
    theme: &Theme,
) -> TableRow<'a> {
    let marker = match (selected, theme.ascii) {
        (false, _) => "  ",
        (true, false) => "▶ ",
        (true, true) => "> ",
    };
    let label = format!("{marker}{}", fit_key(&r.label, usize::from(key_width) - 2));
    let (state, state_style) = match &r.key {
        Some(k) if k.state == KeyState::Enabled => (k.state.as_str().to_string(), Style::default()),
        Some(k) => (k.state.as_str().to_string(), theme.error()),
        None => ("?".to_string(), theme.warn()),
    };
    let rotation = match r.key.as_ref().and_then(|k| k.rotation.as_ref()) {
        Some(rot) if rot.on_demand_since.is_some() => "rotating".to_string(),
        Some(rot) if rot.automatic => rot
            .period_days
            .map_or("on".to_string(), |d| format!("{d} d")),
        Some(_) => "off".to_string(),
        None => "?".to_string(),
    };
    let rotated = r
        .key
        .as_ref()
        .and_then(|k| app.fleet.keys_of(r.id.target).rotations_of(&k.arn))
        .map_or("?".to_string(), |list| {
            list.iter()
                .map(|x| x.at)
                .max()
                .map_or("never".to_string(), |at| at.format("%Y-%m-%d").to_string())
        });
    let erring = match r.erring {
        Some(0) => Cell::from("    0"),
        Some(n) => Cell::from(format!("{n:>5}")).style(theme.error()),
        None => Cell::from("    ?").style(theme.warn()),
    };
    let mut cells = vec![
        Cell::from(label),
        Cell::from(fit(&state, 12)).style(state_style),
    ];
    if wide {
        let origin = r
            .key
            .as_ref()
            .map_or("?".to_string(), |k| k.origin.to_string());
        cells.push(Cell::from(fit(&origin, 9)));
    }
    cells.extend([
        Cell::from(rotation),
        Cell::from(rotated),
        Cell::from(format!("{:>7}", r.streams)),
        erring,
        Cell::from(theme.health_label(r.health)).style(theme.health(r.health)),
    ]);
    let style = if selected {
        theme.selected()
    } else {
        Style::default()
    };
    TableRow::new(cells).style(style)
}
