//! Two lines on top: where we are pointed, and the fleet at a glance.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::Theme;
use crate::app::App;
use crate::cloud::EncryptionStatus;
use crate::estate::TargetInfo;
use unicode_width::UnicodeWidthStr;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let c = &app.context;
    let mut first = if app.targets.len() > 1 {
        // Room for the rest of the line: demo or profile, and the clock.
        let rest = 8 + app.clock_label().len() + 9;
        targets_line(app, theme, usize::from(area.width).saturating_sub(rest))
    } else {
        vec![
            Span::styled("firekeeper ", theme.title()),
            Span::styled(
                c.account.clone().unwrap_or_else(|| "account ?".into()),
                theme.title(),
            ),
            Span::raw(" · "),
            Span::styled(c.region.clone(), theme.title()),
            Span::raw(" · "),
        ]
    };
    if c.demo {
        first.push(Span::styled("demo", theme.warn()));
    } else if app.many_accounts() {
        first.pop();
    } else {
        first.push(Span::raw(format!(
            "profile {}",
            c.profile.as_deref().unwrap_or("default")
        )));
    }
    if c.read_only {
        first.push(Span::raw(" · "));
        first.push(Span::styled("READ-ONLY", theme.warn()));
    }
    // Freshness before the endpoint: a long URL must not push it off screen.
    let stale = app.from_cache.is_some() && app.last_refresh.is_none()
        || app.last_error.is_some()
        || app.silent_since.is_some()
        || app.fault.is_some();
    first.push(Span::raw(" · "));
    first.push(Span::styled(
        app.clock_label(),
        if stale { theme.warn() } else { theme.dim() },
    ));
    if stale {
        first.push(Span::styled(" (stale)", theme.warn()));
    }
    if let Some(url) = &c.endpoint {
        first.push(Span::raw(format!(" · endpoint {url}")));
    }

    let second = fleet_line(app, theme, usize::from(area.width));
    frame.render_widget(Paragraph::new(vec![Line::from(first), second]), area);
}

/// Each target in a word: its label and stream count, or what is wrong
/// with it ("eu-west-1 ! AccessDenied"); the full error is on the status
/// line and in the message log. Built to fit `width`: the healthy targets'
/// counts go first, then the healthy targets themselves ("+2 ok"); a
/// failing target is always named.
fn targets_line<'a>(app: &App, theme: &Theme, width: usize) -> Vec<Span<'a>> {
    let count = |t: &TargetInfo| app.summary.per_target.get(&t.label).copied().unwrap_or(0);
    let words = |t: &TargetInfo, counts: bool| match &t.error {
        None if t.same_as.is_some() => {
            format!("{} = {}", t.label, t.same_as.as_deref().unwrap_or_default())
        }
        Some(e) => format!("{} ! {}", t.label, short_error(e)),
        None if counts => format!("{} {}", t.label, count(t)),
        None => t.label.clone(),
    };
    let long = |counts: bool| -> usize {
        let targets: usize = app
            .targets
            .iter()
            .map(|t| 3 + words(t, counts).width())
            .sum();
        "firekeeper".len() + targets + 3
    };
    // 0: labels and counts; 1: labels; 2: the healthy ones summed up.
    let fit = if long(true) <= width {
        0
    } else if long(false) <= width {
        1
    } else {
        2
    };
    let mut spans = vec![Span::styled("firekeeper", theme.title())];
    for t in &app.targets {
        if fit == 2 && t.error.is_none() {
            continue;
        }
        spans.push(Span::raw(" · "));
        let text = words(t, fit == 0);
        if t.error.is_some() {
            spans.push(Span::styled(t.label.clone(), theme.title()));
            spans.push(Span::styled(
                text[t.label.len()..].to_string(),
                theme.error(),
            ));
        } else {
            spans.push(Span::styled(text, theme.title()));
        }
    }
    let healthy: Vec<&TargetInfo> = app.targets.iter().filter(|t| t.error.is_none()).collect();
    if fit == 2 && !healthy.is_empty() {
        let streams: usize = healthy.iter().map(|t| count(t)).sum();
        spans.push(Span::raw(format!(" · {} ok ({streams})", healthy.len())));
    }
    spans.push(Span::raw(" · "));
    spans
}

/// An error in a word or two, for the header.
fn short_error(e: &str) -> String {
    let lower = e.to_lowercase();
    let known = [
        ("access denied", "AccessDenied"),
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
        .map_or_else(|| crate::text::fit(e, 24), |(_, word)| word.to_string())
}

/// The fleet at a glance, built to fit `width`: whole items are dropped,
/// the least urgent first (loading, disabled, enabled, changing, failed,
/// the quota mark), never a word cut. The stream count and KMS errors stay.
fn fleet_line<'a>(app: &App, theme: &Theme, width: usize) -> Line<'a> {
    let s = &app.summary;
    // (text, style, rank: higher is dropped first)
    let mut items: Vec<(String, ratatui::style::Style, u8)> = Vec::new();
    let streams = if s.total == 1 { "stream" } else { "streams" };
    items.push((format!("{} {streams} │ ", s.total), Style::default(), 0));
    let kms = if app.metrics_window.is_some() {
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
    if app.quota_ledger_only() {
        // The table's "21/25*": CloudTrail unread, others' calls not counted.
        items.push((
            " │ quota* this machine's calls only".into(),
            theme.warn(),
            1,
        ));
    }
    // Placed before the statuses; taken out if none is left.
    items.push((" │".into(), Style::default(), 0));
    for (status, count) in &s.by_status {
        let rank = match status {
            EncryptionStatus::EnablingFailed | EncryptionStatus::DisablingFailed => 2,
            EncryptionStatus::Enabling | EncryptionStatus::Disabling => 3,
            EncryptionStatus::Enabled => 4,
            EncryptionStatus::Disabled => 5,
        };
        items.push((
            format!(" {count} {}", short(*status)),
            theme.status(*status),
            rank,
        ));
    }
    if s.unknown > 0 {
        items.push((format!(" {} loading", s.unknown), theme.dim(), 6));
    }
    let len = |items: &[(String, _, u8)]| -> usize {
        items
            .iter()
            .map(|(t, _, _)| unicode_width::UnicodeWidthStr::width(t.as_str()))
            .sum()
    };
    while len(&items) > width {
        let Some(worst) = items.iter().map(|(_, _, r)| *r).filter(|r| *r > 0).max() else {
            break;
        };
        let at = items.iter().rposition(|(_, _, r)| *r == worst).unwrap_or(0);
        items.remove(at);
    }
    if items.last().is_some_and(|(t, _, _)| t == " │") {
        items.pop();
    }
    Line::from(
        items
            .into_iter()
            .map(|(t, style, _)| Span::styled(t, style))
            .collect::<Vec<_>>(),
    )
}

fn short(s: EncryptionStatus) -> &'static str {
    match s {
        EncryptionStatus::Enabled => "enabled",
        EncryptionStatus::Enabling => "enabling",
        EncryptionStatus::EnablingFailed => "enabling-failed",
        EncryptionStatus::Disabled => "disabled",
        EncryptionStatus::Disabling => "disabling",
        EncryptionStatus::DisablingFailed => "disabling-failed",
    }
}
