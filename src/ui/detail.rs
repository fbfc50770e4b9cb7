//! Enter: everything known about one stream, its key, its quota and the
//! Start/Stop calls behind it, and the KMS error chart with the time left
//! before Firehose discards records.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};
use ratatui::Frame;

use super::theme::Theme;
use super::{calls, chart};
use crate::app::App;
use crate::cloud::KeyType;
use crate::model::{ago, stamp, when, Row};

pub fn render(frame: &mut Frame, area: Rect, app: &App, name: &str, theme: &Theme) {
    let Some(row) = app.row(name) else {
        frame.render_widget(Paragraph::new(format!("{name} is no longer listed.")), area);
        return;
    };
    let (health, problems) = app.health(row);
    let info_rows = 7;
    // Room for every problem once wrapped, within reason.
    let width = area.width.max(1) as usize;
    let wrapped: usize = problems
        .iter()
        .map(|p| (p.chars().count() + 2).div_ceil(width))
        .sum();
    let problem_rows = (wrapped as u16).clamp(1, 6);
    let listed = calls::listed(area.height);
    let call_rows = calls::height(app, name, (area.width, listed), theme);
    let [title, info, trouble, history, plot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(info_rows),
        Constraint::Length(problem_rows),
        Constraint::Length(call_rows),
        Constraint::Min(5),
    ])
    .areas(area);
    let described = row
        .described_at
        .map_or("not described yet".to_string(), |t| {
            format!("described {}", ago(app.now - t))
        });
    let title_line = Line::from(vec![
        Span::styled(format!("{name}  "), theme.title()),
        Span::styled(theme.health_label(health), theme.health(health)),
        Span::styled(format!("  {described}"), theme.dim()),
    ]);
    frame.render_widget(Paragraph::new(title_line), title);

    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(info);
    frame.render_widget(Paragraph::new(stream_lines(app, row, theme)), left);
    frame.render_widget(
        Paragraph::new(key_lines(app, row, theme)).block(Block::default().borders(Borders::LEFT)),
        right,
    );

    let style = theme.health(health);
    let lines: Vec<Line> = if problems.is_empty() {
        vec![Line::styled("No problems.", style)]
    } else {
        problems
            .iter()
            .map(|p| Line::styled(format!("• {p}"), style))
            .collect()
    };
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), trouble);
    calls::render(frame, history, app, name, listed, theme);

    chart::render(
        frame,
        plot,
        app.kms_sums(name).map(|_| app.metrics.get(name)),
        app.window,
        app.settings.markers,
        app.now,
        theme,
    );
}

fn field<'a>(label: &'a str, value: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!("{label:<11}"), theme.dim()),
        Span::raw(value),
    ])
}

fn stream_lines<'a>(app: &App, row: &'a Row, theme: &Theme) -> Vec<Line<'a>> {
    let Some(s) = &row.stream else {
        return vec![Line::styled(
            row.error
                .clone()
                .unwrap_or_else(|| "Not described yet…".into()),
            theme.dim(),
        )];
    };
    let e = &s.encryption;
    let mut lines = vec![
        field("source", s.source.as_str().to_string(), theme),
        field("stream", s.status.clone(), theme),
        Line::from(vec![
            Span::styled(format!("{:<11}", "encryption"), theme.dim()),
            Span::styled(e.status.as_str(), theme.status(e.status)),
        ]),
        field(
            "key type",
            e.key_type.map_or("-", KeyType::as_str).to_string(),
            theme,
        ),
        field("key", app.keys.label(s), theme),
        field(
            "key ARN",
            e.key_arn.clone().unwrap_or_else(|| "-".into()),
            theme,
        ),
    ];
    if let Some(f) = &e.failure {
        // The details are quoted in full among the problems below.
        lines.push(Line::styled(
            format!("failure    {}", f.kind),
            theme.error(),
        ));
    }
    lines
}

/// "every 365 d, next 2027-05-06", "off" or "unknown".
fn rotation_summary(k: &crate::cloud::KmsKey) -> String {
    match &k.rotation {
        None => "unknown".to_string(),
        Some(r) if r.automatic => format!(
            "every {} d{}",
            r.period_days.map_or("?".to_string(), |d| d.to_string()),
            r.next_at.map_or(String::new(), |n| format!(
                ", next {}",
                n.format("%Y-%m-%d")
            ))
        ),
        Some(_) => "off".to_string(),
    }
}

/// The latest rotation of the key's material and how it came about, with
/// how many were on demand.
fn last_rotated(app: &App, k: &crate::cloud::KmsKey) -> String {
    let Some(list) = app.keys.rotations.get(&k.id) else {
        return "unknown".to_string();
    };
    let Some(last) = list.iter().max_by_key(|r| r.at) else {
        return "never".to_string();
    };
    let on_demand = list
        .iter()
        .filter(|r| r.kind == crate::cloud::RotationKind::OnDemand)
        .count();
    let kind = last.kind.as_str().to_lowercase().replace('_', " ");
    let mut out = format!("{} {kind}", last.at.format("%Y-%m-%d"));
    if on_demand > 0 {
        out.push_str(&format!(" · {on_demand} on demand"));
    }
    out
}

fn key_lines<'a>(app: &App, row: &Row, theme: &Theme) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    let stream = row.stream.as_ref();
    let arn = stream.and_then(|s| s.encryption.key_arn.as_deref());
    match (
        stream.and_then(|s| s.encryption.key_type),
        arn.and_then(|a| app.keys.key(a)),
    ) {
        (Some(KeyType::CustomerManaged), Some(k)) => {
            let state_style = if k.state == crate::cloud::KeyState::Enabled {
                theme.good()
            } else {
                theme.error()
            };
            lines.push(Line::from(vec![
                Span::styled(format!(" {:<10}", "key state"), theme.dim()),
                Span::styled(k.state.as_str().to_string(), state_style),
            ]));
            // Usage is worth a line only when it is not the one Firehose needs.
            let spec = match k.usage {
                crate::cloud::KeyUsage::EncryptDecrypt | crate::cloud::KeyUsage::Unreported => {
                    k.spec.to_string()
                }
                ref other => format!("{} · {other}", k.spec),
            };
            lines.push(field(" spec", spec, theme));
            let origin = match &k.multi_region {
                crate::cloud::MultiRegion::Single => k.origin.to_string(),
                crate::cloud::MultiRegion::Primary => {
                    format!("{} · multi-Region primary", k.origin)
                }
                crate::cloud::MultiRegion::Replica { primary_region } => {
                    format!("{} · replica of {primary_region}", k.origin)
                }
            };
            lines.push(field(" origin", origin, theme));
            lines.push(field(" rotation", rotation_summary(k), theme));
            if let Some(since) = k.rotation.as_ref().and_then(|r| r.on_demand_since) {
                lines.push(Line::from(vec![
                    Span::styled(format!("{:<11}", " rotating"), theme.dim()),
                    Span::styled(format!("on demand since {}", stamp(since)), theme.warn()),
                ]));
            } else {
                lines.push(field(" rotated", last_rotated(app, k), theme));
            }
            let on_key = app.rows.iter().filter(|r| r.encrypted_with(&k.arn)).count();
            lines.push(field(" streams", format!("{on_key} on this key"), theme));
            if let Some(d) = k.deletion_date {
                lines.push(field(" deletes", stamp(d), theme));
            }
        }
        (Some(KeyType::CustomerManaged), None) => {
            // Say why when KMS refused, e.g. no kms:DescribeKey permission.
            let why = arn
                .and_then(|a| app.keys.errors.get(crate::cloud::key_id_of(a)))
                .map_or(" KMS has not described this key (yet).".to_string(), |e| {
                    format!(" KMS would not describe this key: {e}")
                });
            lines.push(Line::styled(why, theme.warn()));
        }
        (Some(KeyType::AwsOwned), _) => lines.push(Line::styled(
            " AWS owned key: managed by Firehose.",
            theme.dim(),
        )),
        _ => lines.push(Line::styled(" No key.", theme.dim())),
    }
    let direct_put = stream.is_none_or(|s| s.source == crate::cloud::Source::DirectPut);
    let q = match app.quota(&row.name) {
        Ok(q) if direct_put => q,
        Ok(_) => {
            lines.push(field(" quota", "- (source owns encryption)".into(), theme));
            return lines;
        }
        Err(why) => {
            lines.push(Line::from(vec![
                Span::styled(format!("{:<11}", " quota"), theme.dim()),
                Span::styled(format!("? ({why})"), theme.warn()),
            ]));
            return lines;
        }
    };
    lines.push(field(
        " quota",
        format!("{}/{} left, {} used in 24 h", q.remaining, q.limit, q.used),
        theme,
    ));
    if let Some(next) = q.next_slot_at {
        lines.push(field(" next slot", when(next, app.now), theme));
    }
    lines
}
