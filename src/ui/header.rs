//! Two lines on top: where we are pointed, and the fleet at a glance.

use ratatui::layout::Rect;
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

    // KMS errors first: on a narrow terminal the end of the line is cut.
    let s = &app.summary;
    let mut second = vec![Span::raw(format!("{} streams │ ", s.total))];
    let kms = if app.metrics_window.is_some() {
        format!("{} with KMS errors ({})", s.with_kms_errors, app.window)
    } else {
        format!("KMS errors ? ({})", app.window)
    };
    second.push(if s.with_kms_errors > 0 {
        Span::styled(kms, theme.error())
    } else {
        Span::raw(kms)
    });
    if app.quota_ledger_only() {
        // The table's "21/25*": CloudTrail unread, others' calls not counted.
        second.push(Span::raw(" │ "));
        second.push(Span::styled(
            "quota* this machine's calls only",
            theme.warn(),
        ));
    }
    second.push(Span::raw(" │"));
    for (status, count) in &s.by_status {
        second.push(Span::raw(" "));
        second.push(Span::styled(
            format!("{count} {}", short(*status)),
            theme.status(*status),
        ));
    }
    if s.unknown > 0 {
        second.push(Span::styled(format!(" {} loading", s.unknown), theme.dim()));
    }
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), Line::from(second)]),
        area,
    );
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
