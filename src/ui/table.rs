//! The stream table. Only the rows on screen are built, so a frame costs about
//! the same at 50 streams or 5,000 (the longest name is measured over all).

use chrono::{DateTime, Utc};
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row as TableRow, Table};
use ratatui::Frame;

use super::theme::Theme;
use unicode_width::UnicodeWidthStr;

use crate::app::{App, LoadingState, SortKey};
use crate::inventory::metric_range;
use crate::model::Stream;
use crate::model::{clock, Row, StreamId};

/// The width of each column: the fixed ones as wide as their widest value,
/// NAME as wide as the longest name (up to a cap), and what is left to KEY
/// and then to a wider TREND, so a wide terminal shows whole aliases and more
/// of the errors' shape instead of a gap after the names.
struct Columns {
    name: u16,
    /// The REGION column holds target labels (TARGET).
    labels: bool,
    /// REGION and ACCOUNT, with several targets: their widths, 0 when not
    /// shown.
    region: u16,
    account: u16,
    source: bool,
    kms: u16,
    /// ERRORS SINCE at every width: its full form (`11:00-11:05`) on wide
    /// terminals, the start of the bucket alone (`~11:00`) on narrow ones.
    since: u16,
    key: u16,
    spark: u16,
    quota: u16,
    health: u16,
    /// STATUS: 16, or 18 while rows carry a provenance mark (`ENABLED =`).
    status: u16,
}

/// NAME never takes more: a longer name is cut, the rest goes to KEY and TREND.
const NAME_CAP: u16 = 40;
/// KEY never takes more: the longest aliases people write fit.
const KEY_CAP: u16 = 40;
const KEY_MIN: u16 = 16;
const SINCE_TITLE: &str = "ERRORS SINCE";
/// The narrow form's title: its values are 6 wide (`~11:00`, `<11-20`).
const SINCE_SHORT: &str = "SINCE";
const SINCE_SHORT_WIDTH: u16 = 6;
/// From this width ERRORS SINCE has its full form.
const SINCE_WIDE_FROM: u16 = 110;

/// The widths of the targets' columns, 0 for one not shown.
#[derive(Clone, Copy)]
struct TargetColumns {
    region: u16,
    account: u16,
    /// Too narrow for REGION and ACCOUNT side by side: one TARGET column
    /// holds each target's label (`prod/eu-west-1`) instead.
    labels: bool,
}

#[allow(clippy::too_many_arguments)]
fn columns(
    width: u16,
    status: u16,
    name: u16,
    kms: u16,
    quota: u16,
    health: u16,
    target: TargetColumns,
) -> Columns {
    let width = width
        .saturating_sub(target.region + u16::from(target.region > 0))
        .saturating_sub(target.account + u16::from(target.account > 0));
    // On a narrow screen the name keeps more of the room than the key,
    // whose alias is cut in the middle anyway.
    let key_min = if width < 96 { 12 } else { KEY_MIN };
    let source = width >= 96;
    // ERRORS SINCE stays at every width; TREND is the first to go.
    let since = if width >= SINCE_WIDE_FROM {
        SINCE_TITLE.len() as u16
    } else {
        SINCE_SHORT_WIDTH
    };
    let spark_min = if width >= 112 { 10 } else { 0 };
    let optional = [(source, 9), (true, since)];
    let count = 6 + u16::from(spark_min > 0) + optional.iter().filter(|(on, _)| *on).count() as u16;
    let shown: u16 = optional.iter().filter(|(on, _)| *on).map(|(_, w)| w).sum();
    let fixed = status + kms + quota + health + shown;
    let avail = width.saturating_sub(fixed + count - 1);
    // A floor, so a name stays readable on a narrow screen; never more
    // than the longest name needs, so short names leave KEY the room.
    // With no target column, a name keeps 14 characters before KEY goes
    // below its minimum: the name says which stream, the detail the key.
    let floor = match (target.labels, target.region > 0) {
        (true, _) => 11,
        (false, true) => 12,
        (false, false) => 16,
    }
    .min(name);
    let name = name
        .min(NAME_CAP)
        .min(avail.saturating_sub(key_min + spark_min))
        .max(floor);
    // KEY first, up to its cap, never past the screen's edge; TREND the
    // rest, at least its minimum.
    let rest = avail.saturating_sub(name);
    let key = rest
        .saturating_sub(spark_min)
        .clamp(key_min.min(rest), KEY_CAP);
    let spark = if spark_min > 0 {
        rest.saturating_sub(key).max(spark_min)
    } else {
        0
    };
    Columns {
        name,
        labels: target.labels,
        region: target.region,
        account: target.account,
        source,
        kms,
        since,
        key,
        spark,
        quota,
        health,
        status,
    }
}

impl Columns {
    fn widths(&self) -> Vec<Constraint> {
        let mut widths = vec![self.name];
        widths.extend([self.region, self.account].into_iter().filter(|w| *w > 0));
        if self.source {
            widths.push(9);
        }
        widths.extend([self.status, self.key, self.kms, self.since]);
        if self.spark > 0 {
            widths.push(self.spark);
        }
        widths.extend([self.quota, self.health]);
        widths.into_iter().map(Constraint::Length).collect()
    }
}

/// How many columns a title or value takes.
fn width_of(s: &str) -> u16 {
    u16::try_from(s.width()).unwrap_or(u16::MAX)
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    if let Some(msg) = instead_of_rows(app) {
        frame.render_widget(Paragraph::new(msg), area);
        return;
    }
    let titles = titles(app, theme);
    let cols = measure(app, &titles, area.width);
    let labels = target_columns(app, 0, area.width).labels;
    let header = header(titles, &cols, labels, theme);
    let rows = app.on_screen().map(|(i, id, row)| {
        let selected = i == app.table.selected;
        let style = if selected {
            theme.selected()
        } else {
            Style::default()
        };
        table_row(app, id, row, selected, &cols, theme).style(style)
    });
    frame.render_widget(
        Table::new(rows, cols.widths())
            .header(header)
            .column_spacing(1),
        area,
    );
}

/// What the table says when it has no row to show: no stream listed (yet,
/// or why not), or none that the filter lets through.
fn instead_of_rows(app: &App) -> Option<String> {
    if app.fleet.order().is_empty() {
        return Some(match &app.fleet.list_state() {
            LoadingState::Error(e) => format!("Could not list streams: {e}"),
            LoadingState::Loaded => "No delivery streams in this account and region.".into(),
            _ => "Listing delivery streams…".into(),
        });
    }
    app.table.visible.is_empty().then(|| nothing_matches(app))
}

/// The columns' widths for this screen, from the titles and the values.
fn measure(app: &App, titles: &[String], width: u16) -> Columns {
    let title = |t: &str| {
        titles
            .iter()
            .find(|x| x.starts_with(t))
            .map_or(0, |x| width_of(x))
    };
    // "21/25*" when the quota is the ledger's alone; wider for a count with
    // refused calls beside it ("0/25 (16 refused)"), never cut. Measured
    // over the rows on screen: refused calls are rare, and a column as wide
    // for every stream would cost every screen its names.
    let wide = width >= WIDE_QUOTA;
    let refused = app
        .on_screen()
        .filter_map(|(_, id, _)| app.quota(id).ok())
        .filter(|q| q.refused > 0)
        .map(|q| width_of(&quota_text(app, &q, wide)))
        .max()
        .unwrap_or(0);
    let quota = if app.quota_ledger_only() { 6 } else { 5 }
        .max(title("QUOTA"))
        .max(refused);
    // "? unknown" is the widest health.
    let health = title("HEALTH").max(9);
    // Measured over every listed name, not just those on screen, so the
    // columns stay put while scrolling; a name's width costs no allocation.
    let order = app.fleet.order();
    let longest = app
        .table
        .visible
        .iter()
        .map(|&i| width_of(&order[i].name))
        .max()
        .unwrap_or(0);
    // Room for the mark of a state from the cache or AWS Config beside the
    // longest status, while any row has one.
    let t = app.fleet.tally();
    let status = if t.cached + t.confirmed > 0 { 18 } else { 16 };
    columns(
        width,
        status,
        longest.saturating_add(2),
        title("KMS ERR").max(7),
        quota,
        health,
        target_columns(app, title("REGION"), width),
    )
}

/// The titles of the columns shown; REGION is TARGET when it holds labels.
fn header(titles: Vec<String>, cols: &Columns, labels: bool, theme: &Theme) -> TableRow<'static> {
    TableRow::new(
        titles
            .into_iter()
            .filter(|t| {
                (cols.region > 0 || !t.starts_with("REGION"))
                    && (cols.account > 0 || t != "ACCOUNT")
            })
            .filter(|t| cols.source || t != "SOURCE")
            .filter(|t| cols.spark > 0 || t != "TREND")
            .map(|t| match t.as_str() {
                SINCE_TITLE if cols.since < SINCE_TITLE.len() as u16 => SINCE_SHORT.to_string(),
                _ => t,
            })
            .map(|t| match t.strip_prefix("REGION") {
                Some(arrow) if labels => format!("TARGET{arrow}"),
                _ => t,
            })
            .map(|t| Cell::from(t).style(theme.title())),
    )
}

/// Every column's title; the sorted column carries an arrow, so the order
/// needs no status-line room.
fn titles(app: &App, theme: &Theme) -> Vec<String> {
    let arrow = |title: &str, key: SortKey, down: bool| {
        if app.table.sort == key {
            format!("{title}{}", theme.arrow(down))
        } else {
            title.to_string()
        }
    };
    vec![
        arrow("  NAME", SortKey::Name, true),
        arrow("REGION", SortKey::Region, true),
        "ACCOUNT".into(),
        "SOURCE".into(),
        arrow("ENCRYPTION", SortKey::Status, true),
        "KEY".into(),
        arrow("KMS ERR", SortKey::KmsErrors, true),
        SINCE_TITLE.into(),
        "TREND".into(),
        arrow("QUOTA", SortKey::QuotaLeft, false),
        // Problems first is health first.
        arrow("HEALTH", SortKey::Problems, true),
    ]
}

/// REGION with several targets, as wide as the widest region; ACCOUNT too
/// when they span several accounts (12 digits, or the profile's name until
/// STS has said).
fn target_columns(app: &App, title: u16, width: u16) -> TargetColumns {
    if !app.fleet.several() {
        return TargetColumns {
            region: 0,
            account: 0,
            labels: false,
        };
    }
    if width < 100 {
        let longest = app.fleet.targets().map(|t| width_of(&t.target.label)).max();
        return TargetColumns {
            region: longest.unwrap_or(0).clamp(6, 14),
            account: 0,
            labels: true,
        };
    }
    let region = app
        .fleet
        .targets()
        .map(|t| width_of(t.target.region.as_deref().unwrap_or("?")))
        .max()
        .unwrap_or(0)
        .max(title);
    let account = if app.many_accounts() {
        app.fleet
            .targets()
            .map(|t| width_of(&account_of(t)))
            .max()
            .unwrap_or(0)
            .max(7)
    } else {
        0
    };
    TargetColumns {
        region,
        account,
        labels: false,
    }
}

/// A target's account as the ACCOUNT column shows it.
fn account_of(t: &crate::estate::TargetInfo) -> String {
    t.target
        .account
        .clone()
        .or_else(|| t.target.profile.clone())
        .unwrap_or_else(|| "?".into())
}

/// What an empty table says: which filter left nothing, and how to undo it.
fn nothing_matches(app: &App) -> String {
    match app.table.quick {
        Some(q) => format!(
            "No stream matches: {} only{}. {} shows every stream.",
            q.label(),
            if app.table.filter.is_empty() {
                String::new()
            } else {
                format!(", \"{}\"", app.table.filter)
            },
            app.keymap.first(crate::keymap::UserAction::Back)
        ),
        None => format!("No stream matches the filter \"{}\".", app.table.filter),
    }
}

fn table_row<'a>(
    app: &App,
    id: &StreamId,
    row: &'a Row,
    selected: bool,
    cols: &Columns,
    theme: &Theme,
) -> TableRow<'a> {
    let health = app.health_level(id, row);
    // A marker as well as reverse video: the cursor stays visible in plain text.
    let marker = match (selected, theme.ascii) {
        (false, _) => "  ",
        (true, false) => "▶ ",
        (true, true) => "> ",
    };
    // With several targets, the name without its target (REGION says it).
    let name = theme.fit(&id.name, usize::from(cols.name).saturating_sub(2));
    let mut cells: Vec<Cell> = vec![Cell::from(format!("{marker}{name}"))];
    cells.extend(target_cells(app, id, cols, theme));
    let Some(stream) = &row.stream else {
        undescribed_cells(row, health, cols, theme, &mut cells);
        return TableRow::new(cells);
    };
    if cols.source {
        cells.push(Cell::from(stream.source.short().to_string()));
    }
    let enc = &stream.encryption;
    let status = if stream.source.owns_encryption() == Some(true) && !cols.source {
        // Without a source column, say plainly whose encryption this is.
        format!("by {}", stream.source.short())
    } else {
        enc.status.as_str().to_string()
    };
    // Where the state comes from, when not from this run's describe.
    let status = match provenance_mark(row.provenance) {
        Some(mark) => format!("{status} {mark}"),
        None => status,
    };
    cells.push(Cell::from(status).style(theme.status(&enc.status)));
    let key = theme.fit_key(&app.key_label(id, stream), usize::from(cols.key));
    cells.push(Cell::from(key));
    cells.push(errors_cell(app, id, cols.kms, theme));
    cells.push(since_cell(app, id, cols.since, theme));
    if cols.spark > 0 {
        let range = metric_range(app.window, app.now);
        let spark = app.fleet.series(id).map_or(String::new(), |s| {
            super::chart::sparkline(s, range, usize::from(cols.spark), theme)
        });
        cells.push(Cell::from(spark).style(theme.error()));
    }
    cells.push(quota_cell(app, id, stream, cols.quota, theme));
    // Acknowledged (`a`): still bad, but someone is on it.
    let acked = || app.alerting.acked(&app.shown(id), app.now);
    let label = if health > crate::health::Health::Ok && acked() {
        "ack"
    } else {
        theme.health_label(health)
    };
    cells.push(Cell::from(label).style(theme.health(health)));
    TableRow::new(cells)
}

/// The STATUS column's mark of a state not described by this run; the
/// header's line says what each means.
pub fn provenance_mark(p: crate::model::Provenance) -> Option<&'static str> {
    use crate::model::Provenance;
    match p {
        Provenance::Described => None,
        Provenance::Cached { .. } => Some("~"),
        Provenance::Confirmed { .. } => Some("="),
        // Its STATUS already says "(AWS Config)".
        Provenance::Recorded { .. } => None,
    }
}

/// REGION (or TARGET) and ACCOUNT of a stream's row, when shown.
fn target_cells(app: &App, id: &StreamId, cols: &Columns, theme: &Theme) -> Vec<Cell<'static>> {
    let mut cells = Vec::new();
    if cols.region > 0 {
        let target = app.target_of(id);
        let region = match target {
            Some(t) if cols.labels => theme.fit(&t.target.label, usize::from(cols.region)),
            Some(t) => t.target.region.clone().unwrap_or_else(|| "?".into()),
            None => "?".into(),
        };
        cells.push(Cell::from(region));
        if cols.account > 0 {
            cells.push(Cell::from(target.map(account_of).unwrap_or_default()));
        }
    }
    cells
}

/// The rest of the row of a stream not described: the failure, or that it
/// is on its way; every figure unknown.
fn undescribed_cells(
    row: &Row,
    health: crate::health::Health,
    cols: &Columns,
    theme: &Theme,
    cells: &mut Vec<Cell<'_>>,
) {
    let (text, style) = match row.error {
        Some(_) => ("ERROR", theme.error()),
        None => (theme.ellipsis(), theme.dim()),
    };
    let blank = || Cell::from("");
    cells.extend(cols.source.then(blank));
    cells.push(Cell::from(text).style(style));
    cells.push(blank());
    cells.push(Cell::from(format!("{:>7}", "?")).style(theme.dim()));
    cells.push(blank());
    cells.extend((cols.spark > 0).then(blank));
    cells.push(Cell::from("    ?").style(theme.dim()));
    // Not described yet is on its way, not unknown: a failed describe is.
    if row.loading() {
        cells.push(Cell::from(theme.loading_label()).style(theme.dim()));
    } else {
        cells.push(Cell::from(theme.health_label(health)).style(theme.health(health)));
    }
}

/// The window's KMS errors, right-aligned, with how old the figure is when
/// CloudWatch was last asked about the stream two minutes ago or more (the
/// sweep's quiet streams: "0·4m"); "?" when CloudWatch did not say.
fn errors_cell(app: &App, id: &StreamId, width: u16, theme: &Theme) -> Cell<'static> {
    let width = usize::from(width);
    match app.kms_sums(id) {
        Ok(sums) => {
            let total: f64 = sums.iter().sum();
            let style = if total > 0.0 {
                theme.error()
            } else {
                Style::default()
            };
            let figure = (total as u64).to_string();
            let age = app
                .knowledge(id.target)
                .kms_as_of(&id.name)
                .map(|t| (app.now - t).num_minutes())
                .filter(|m| *m >= 2)
                .map(|m| format!("{}{m}m", if theme.ascii { "'" } else { "·" }))
                .filter(|a| figure.len() + a.chars().count() <= width);
            let Some(age) = age else {
                return Cell::from(Line::from(Span::styled(format!("{figure:>width$}"), style)));
            };
            let pad = width - figure.len() - age.chars().count();
            Cell::from(Line::from(vec![
                Span::styled(format!("{}{figure}", " ".repeat(pad)), style),
                Span::styled(age, theme.dim()),
            ]))
        }
        Err(_) => Cell::from(format!("{:>width$}", "?")).style(theme.warn()),
    }
}

/// Since when the stream has had KMS errors, as the detail says it: the
/// first erring bucket ("11:00-11:05": they began within it; "~11-20 12:05"
/// for a bucket of another day, starting then), "<" and when that bucket
/// ends when the run began before the data looked at, "-" for none in the
/// window, "?" when the metrics are unknown.
fn since_cell(app: &App, id: &StreamId, width: u16, theme: &Theme) -> Cell<'static> {
    match app.knowledge(id.target).errors_since(&id.name, app.window) {
        Ok(Some(o)) => {
            let (from, to) = o.began();
            let today = |t: DateTime<Utc>| t.date_naive() == app.now.date_naive();
            // The column is as wide as "<11-20 12:05"; a bare time of
            // another day would read as today.
            let day_time = |t: DateTime<Utc>| t.format("%m-%d %H:%M").to_string();
            let hm = |t: DateTime<Utc>| t.format("%H:%M").to_string();
            let day = |t: DateTime<Utc>| t.format("%m-%d").to_string();
            let wide = width >= SINCE_TITLE.len() as u16;
            // Narrow: the bucket's start alone, "~" as it is not the minute.
            let text = match (o.older, today(from) && today(to), wide) {
                (true, true, true) => format!("<{}", clock(to)),
                (true, false, true) => format!("<{}", day_time(to)),
                (false, true, true) => format!("{}-{}", hm(from), hm(to)),
                (false, false, true) => format!("~{}", day_time(from)),
                (true, true, false) => format!("<{}", hm(to)),
                (true, false, false) => format!("<{}", day(to)),
                (false, true, false) => format!("~{}", hm(from)),
                (false, false, false) => format!("~{}", day(from)),
            };
            Cell::from(text).style(theme.error())
        }
        Ok(None) => Cell::from("-").style(theme.dim()),
        Err(_) => Cell::from("?").style(theme.warn()),
    }
}

/// From this width the table says "(16 refused)" beside a count, with room
/// left for TREND; below it "(16r)", the detail saying it in full.
const WIDE_QUOTA: u16 = 160;

/// "21/25", "21/25*" when counted by the ledger alone, and the calls AWS
/// refused beside it: "0/25 (16 refused)", "0/25 (16r)" on a narrow screen.
fn quota_text(app: &App, q: &crate::quota::Quota, wide: bool) -> String {
    let mark = if app.quota_ledger_only() { "*" } else { "" };
    let refused = match (q.refused, wide) {
        (0, _) => String::new(),
        (n, true) => format!(" ({n} refused)"),
        (n, false) => format!(" ({n}r)"),
    };
    format!("{:>2}/{}{mark}{refused}", q.remaining, q.limit)
}

/// What is left of the stream's Start/Stop calls, "-" where they do not
/// apply; the calls AWS refused said in full when the column has the room.
fn quota_cell(
    app: &App,
    id: &StreamId,
    stream: &Stream,
    width: u16,
    theme: &Theme,
) -> Cell<'static> {
    let text = |q: &crate::quota::Quota| {
        let wide = quota_text(app, q, true);
        if width_of(&wide) <= width {
            wide
        } else {
            quota_text(app, q, false)
        }
    };
    match app.quota(id) {
        _ if stream.source.owns_encryption() == Some(true) => Cell::from("    -"),
        _ if stream.source.owns_encryption().is_none() => {
            Cell::from("    ?").style(theme.unknown())
        }
        Ok(q) if q.remaining <= app.settings.quota_warning_at => {
            Cell::from(text(&q)).style(theme.warn())
        }
        Ok(q) => Cell::from(text(&q)),
        Err(_) => Cell::from("    ?").style(theme.warn()),
    }
}
