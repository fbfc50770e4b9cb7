//! Two lines on top: where we are pointed, and the fleet at a glance.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::Theme;
use crate::app::App;
use crate::cloud::EncryptionStatus;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let c = &app.context;
    let mut first = vec![
        Span::styled("firekeeper ", theme.title()),
        Span::styled(
            c.account.clone().unwrap_or_else(|| "account ?".into()),
            theme.title(),
        ),
        Span::raw(" · "),
        Span::styled(c.region.clone(), theme.title()),
        Span::raw(" · "),
    ];
    if c.demo {
        first.push(Span::styled("demo", theme.warn()));
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
