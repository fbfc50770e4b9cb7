//! Two lines on top: where we are pointed, and the fleet at a glance.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::Theme;
use crate::app::App;
use crate::fleet::Part;
use crate::model::EncryptionStatus;
use unicode_width::UnicodeWidthStr;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let c = &app.context;
    // What follows where we are pointed: demo or profile, read-only, the
    // clock; measured first, so that the targets are built to fit beside it.
    let mut tail = Vec::new();
    if c.demo {
        tail.push(Span::styled("demo", theme.warn()));
    } else if !app.many_accounts() {
        tail.push(Span::raw(format!(
            "profile {}",
            c.profile.as_deref().unwrap_or("default")
        )));
    }
    if c.read_only {
        if !tail.is_empty() {
            tail.push(Span::raw(theme.dot()));
        }
        tail.push(Span::styled("READ-ONLY", theme.warn()));
    }
    // Freshness before the endpoint: a long URL must not push it off screen.
    let stale = app.fleet.freshness.from_cache.is_some()
        && app.fleet.freshness.last_refresh.is_none()
        || app.fleet.freshness.last_error.is_some()
        || app.fleet.freshness.silent_since.is_some()
        || app.fleet.freshness.fault.is_some();
    if !tail.is_empty() {
        tail.push(Span::raw(theme.dot()));
    }
    tail.push(Span::styled(
        app.clock_label(),
        if stale { theme.warn() } else { theme.dim() },
    ));
    if stale {
        tail.push(Span::styled(" (stale)", theme.warn()));
    }
    if app.fleet.several() && !c.demo && !app.many_accounts() {
        // The targets come before the profile: without room for both,
        // the profile goes (each target's label says where it looks).
        let tail_width: usize = tail.iter().map(Span::width).sum();
        if targets_width(app, theme) + tail_width > usize::from(area.width) {
            let profile = tail.iter().position(|s| s.content.starts_with("profile "));
            if let Some(i) = profile {
                tail.drain(i..(i + 2).min(tail.len()));
            }
        }
    }
    let mut first = if app.fleet.several() {
        let rest: usize = tail.iter().map(Span::width).sum();
        targets_line(app, theme, usize::from(area.width).saturating_sub(rest))
    } else {
        vec![
            Span::styled("firekeeper ", theme.title()),
            Span::styled(
                c.account.clone().unwrap_or_else(|| "account ?".into()),
                theme.title(),
            ),
            Span::raw(theme.dot()),
            Span::styled(c.region.clone(), theme.title()),
            Span::raw(theme.dot()),
        ]
    };
    first.extend(tail);
    if let Some(url) = &c.endpoint {
        first.push(Span::raw(format!("{}endpoint {url}", theme.dot())));
    }

    let second = fleet_line(app, theme, usize::from(area.width));
    frame.render_widget(Paragraph::new(vec![Line::from(first), second]), area);
}

/// Each target in a word: its label and stream count, or what is wrong
/// with it ("eu-west-1 ! AccessDenied"); the full error is on the status
/// line and in the message log. Built to fit `width`, each step shorter:
/// without counts; the healthy targets summed ("2 ok (56)"); failing ones
/// without the reason ("eu-west-1 !"); failing ones counted ("1 failing").
/// A failing target is named for as long as there is room.
fn targets_line<'a>(app: &App, theme: &Theme, width: usize) -> Vec<Span<'a>> {
    let tally = app.fleet.tally();
    let count = |p: &Part| tally.per_target.get(&p.id).copied().unwrap_or(0);
    let parts = app.fleet.parts();
    let healthy: Vec<&Part> = parts.iter().filter(|p| p.info.error.is_none()).collect();
    let failing: Vec<&Part> = parts.iter().filter(|p| p.info.error.is_some()).collect();
    let summed = || {
        let streams: usize = healthy.iter().map(|t| count(t)).sum();
        format!("{} ok ({streams})", healthy.len())
    };
    // Each item: its text, and how long its target's label is when the
    // rest is the error's (styled apart), else 0.
    let item = |p: &Part, step: u8| -> (String, usize) {
        let t = &p.info;
        match (&t.error, &t.twin) {
            (Some(e), _) if step < 3 => (
                format!("{} ! {}", t.target.label, short_error(e, theme)),
                t.target.label.len(),
            ),
            (Some(_), _) => (format!("{} !", t.target.label), t.target.label.len()),
            (None, Some(first)) => (format!("{} = {first}", t.target.label), 0),
            // Known only from AWS Config's aggregator: said, with its count.
            (None, None) if step == 0 && t.read_only.is_some() => {
                (format!("{} {} read-only", t.target.label, count(p)), 0)
            }
            (None, None) if step == 0 => (format!("{} {}", t.target.label, count(p)), 0),
            (None, None) => (t.target.label.clone(), 0),
        }
    };
    let render = |step: u8| -> Vec<(String, usize)> {
        let mut items: Vec<(String, usize)> = match step {
            0 | 1 => parts.iter().map(|p| item(p, step)).collect(),
            2 | 3 => failing.iter().map(|t| item(t, step)).collect(),
            _ => vec![(format!("{} failing", failing.len()), 0)],
        };
        if step >= 2 && !healthy.is_empty() {
            items.push((summed(), 0));
        }
        items
    };
    let long = |items: &[(String, usize)]| -> usize {
        "firekeeper".len() + items.iter().map(|(t, _)| 3 + t.width()).sum::<usize>() + 3
    };
    let items = (0..=4)
        .map(render)
        .find(|items| long(items) <= width)
        .unwrap_or_else(|| render(4));
    let mut spans = vec![Span::styled("firekeeper", theme.title())];
    for (text, label) in items {
        spans.push(Span::raw(theme.dot()));
        if label > 0 {
            spans.push(Span::styled(text[..label].to_string(), theme.title()));
            spans.push(Span::styled(text[label..].to_string(), theme.error()));
        } else if text.ends_with(" failing") {
            spans.push(Span::styled(text, theme.error()));
        } else {
            spans.push(Span::styled(text, theme.title()));
        }
    }
    spans.push(Span::raw(theme.dot()));
    spans
}

/// How wide the targets are with every count and reason.
fn targets_width(app: &App, theme: &Theme) -> usize {
    targets_line(app, theme, usize::MAX)
        .iter()
        .map(Span::width)
        .sum()
}

/// An error in a word or two, for the header.
fn short_error(e: &str, theme: &Theme) -> String {
    let lower = e.to_lowercase();
    let known = [
        ("access denied", "AccessDenied"),
        ("is in neither", "no such profile"),
        ("no usable aws credentials", "no credentials"),
        ("credentials", "no credentials"),
        ("no answer", "no answer"),
        ("cannot reach", "unreachable"),
        ("throttl", "throttled"),
        ("same account and region", "duplicate"),
        ("no aws region", "no region"),
        ("stopped", "stopped"),
    ];
    known
        .iter()
        .find(|(needle, _)| lower.contains(needle))
        .map_or_else(|| theme.fit(e, 24), |(_, word)| word.to_string())
}

/// The fleet at a glance, built to fit `width`: whole items are dropped,
/// the least urgent first (loading, disabled, enabled, changing, failed,
/// the quota mark), never a word cut. The stream count and KMS errors stay.
fn fleet_line<'a>(app: &App, theme: &Theme, width: usize) -> Line<'a> {
    let s = &app.fleet.tally();
    // (text, style, rank: higher is dropped first)
    let mut items: Vec<Item> = Vec::new();
    let streams = if s.total == 1 { "stream" } else { "streams" };
    let bar = theme.bar();
    items.push((format!("{} {streams}{bar}", s.total), Style::default(), 0));
    let kms = if app.fleet.metrics_state() == crate::model::LoadingState::Loaded {
        format!("{} with KMS errors ({})", s.with_kms_errors, app.window)
    } else {
        format!("KMS errors ? ({})", app.window)
    };
    let kms_style = if s.with_kms_errors > 0 {
        theme.error()
    } else {
        Style::default()
    };
    items.push((kms, kms_style, 0));
    if app.alerting.unseen > 0 {
        // Alerts since the message log was last opened: kept to the last.
        let n = app.alerting.unseen;
        let what = if n == 1 { "alert" } else { "alerts" };
        items.push((format!("{bar}{n} new {what} (m)"), theme.error(), 0));
    }
    if app.quota_ledger_only() {
        // The table's "21/25*": CloudTrail unread, others' calls not counted.
        items.push((
            format!("{bar}quota* this machine's calls only"),
            theme.warn(),
            1,
        ));
    }
    if s.loading > 0 {
        // Until every stream is described, the counts are partial.
        items.push((
            format!("{bar}loading {}/{}", s.loading, s.total),
            theme.warn(),
            1,
        ));
    }
    items.extend(provenance_items(s, theme));
    // Placed before the statuses; taken out if none is left.
    let end = bar.trim_end().to_string();
    items.push((end.clone(), Style::default(), 0));
    items.extend(status_items(s, theme));
    fit_items(&mut items, width, &end);
    Line::from(
        items
            .into_iter()
            .map(|(t, style, _)| Span::styled(t, style))
            .collect::<Vec<_>>(),
    )
}

/// Rows not described by this run, by where their state comes from, each
/// with the mark the table's STATUS shows: from the cache, unconfirmed
/// (`~`, a warning: the counts are as of the cache); confirmed by
/// CloudTrail (`=`). Rows from AWS Config's records are counted with the
/// statuses (`from-aws-config`): their status is what Config does not keep.
fn provenance_items(s: &crate::fleet::Tally, theme: &Theme) -> Vec<Item> {
    let bar = theme.bar();
    let mut items = Vec::new();
    if s.cached > 0 {
        let text = format!("{bar}~ checking cache {}/{}", s.cached, s.total);
        items.push((text, theme.warn(), 1));
    }
    if s.confirmed > 0 {
        let text = format!("{bar}= {} confirmed", s.confirmed);
        items.push((text, theme.dim(), 3));
    }
    items
}

/// One item of the fleet line: its text, style, and rank (higher is
/// dropped first when the line does not fit).
type Item = (String, Style, u8);

/// Each encryption status's count, the failed and changing ones ranked to
/// stay longest; streams whose describe failed, as unknown.
fn status_items(s: &crate::fleet::Tally, theme: &Theme) -> Vec<Item> {
    let mut items = Vec::new();
    for (status, count) in &s.by_status {
        let rank = match status {
            EncryptionStatus::EnablingFailed
            | EncryptionStatus::DisablingFailed
            | EncryptionStatus::Other(_)
            | EncryptionStatus::NotRecorded => 2,
            EncryptionStatus::Enabling | EncryptionStatus::Disabling => 3,
            EncryptionStatus::Enabled => 4,
            EncryptionStatus::Disabled => 5,
        };
        items.push((
            format!(" {count} {}", short(status)),
            theme.status(status),
            rank,
        ));
    }
    // Streams whose describe failed: unknown, not loading.
    if s.unknown > s.loading {
        let failed = s.unknown - s.loading;
        items.push((format!(" {failed} unknown"), theme.unknown(), 2));
    }
    items
}

/// Drops whole items, the highest rank first, until the line fits `width`;
/// the separator `end` goes too when nothing is left after it.
fn fit_items(items: &mut Vec<Item>, width: usize, end: &str) {
    let len = |items: &[Item]| -> usize {
        items
            .iter()
            .map(|(t, _, _)| unicode_width::UnicodeWidthStr::width(t.as_str()))
            .sum()
    };
    while len(items) > width {
        let Some(worst) = items.iter().map(|(_, _, r)| *r).filter(|r| *r > 0).max() else {
            break;
        };
        let at = items.iter().rposition(|(_, _, r)| *r == worst).unwrap_or(0);
        items.remove(at);
    }
    if items.last().is_some_and(|(t, _, _)| *t == end) {
        items.pop();
    }
}

fn short(s: &EncryptionStatus) -> &str {
    match s {
        EncryptionStatus::Enabled => "enabled",
        EncryptionStatus::Enabling => "enabling",
        EncryptionStatus::EnablingFailed => "enabling-failed",
        EncryptionStatus::Disabled => "disabled",
        EncryptionStatus::Disabling => "disabling",
        EncryptionStatus::DisablingFailed => "disabling-failed",
        // AWS's own word: a lower-cased guess could pass for a known status.
        EncryptionStatus::Other(raw) => raw,
        EncryptionStatus::NotRecorded => "from-aws-config",
    }
}
