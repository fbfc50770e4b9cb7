//! The detail's right-hand column: the stream's key as KMS describes it, and
//! the stream's Start/Stop quota.

use ratatui::style::Style;
use ratatui::text::Line;

use super::field;
use crate::app::App;
use crate::health::deletion;
use crate::model::{stamp, when, Row, StreamId};
use crate::model::{KeyState, KeyType, KeyUsage, KmsKey, MultiRegion, RotationKind, Source};
use crate::ui::theme::Theme;

/// The column's lines, each value cut to `width` with `…` where it must be.
/// Sentences (why a key could not be read) are left whole to wrap.
pub fn lines<'a>(
    app: &App,
    id: &StreamId,
    row: &Row,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'a>> {
    let f = |label: &str, value: String, style: Style| field(label, value, style, width, theme);
    let book = app.fleet.keys_of(id.target);
    let plain = Style::default();
    let stream = row.stream.as_ref();
    let arn = stream.and_then(|s| s.encryption.key_arn.as_deref());
    let mut lines = match (
        stream.and_then(|s| s.encryption.key_type.as_ref()),
        arn.and_then(|a| book.key(a)),
    ) {
        (Some(KeyType::CustomerManaged), Some(k)) => described(app, id, k, theme, &f),
        (Some(KeyType::CustomerManaged), None) => {
            // Say why when KMS refused, e.g. no kms:DescribeKey permission.
            let why = arn
                .and_then(|a| book.error(a))
                .map_or(" KMS has not described this key (yet).".to_string(), |e| {
                    format!(" KMS would not describe this key: {e}")
                });
            vec![Line::styled(why, theme.warn())]
        }
        (Some(KeyType::AwsOwned), _) => vec![Line::styled(
            " AWS owned key: managed by Firehose.",
            theme.dim(),
        )],
        (Some(KeyType::Other(raw)), _) => vec![Line::styled(
            format!(" Key type {raw}: not known to firekeeper."),
            theme.unknown(),
        )],
        _ => vec![Line::styled(" No key.", theme.dim())],
    };
    let direct_put = stream.is_none_or(|s| s.source == Source::DirectPut);
    match app.quota(id) {
        Ok(q) if direct_put => {
            let used = match q.refused {
                0 => format!("{}/{} left, {} used in 24 h", q.remaining, q.limit, q.used),
                n => format!(
                    "{}/{} left, {} used, {n} refused",
                    q.remaining, q.limit, q.used
                ),
            };
            lines.push(f(" quota", used, plain));
            if let Some(next) = q.next_slot_at {
                lines.push(f(" next slot", when(next, app.now), plain));
            }
        }
        Ok(_) => match stream.map(|s| &s.source) {
            Some(Source::Other(raw)) => lines.push(f(
                " quota",
                format!("? (source {raw} not known to firekeeper)"),
                theme.unknown(),
            )),
            _ => lines.push(f(" quota", "- (source owns encryption)".into(), plain)),
        },
        Err(why) => lines.push(f(" quota", format!("? ({why})"), theme.warn())),
    }
    lines
}

/// A customer managed key KMS described: state, spec, origin, rotation, how
/// many streams use it and when it is deleted.
fn described<'a>(
    app: &App,
    id: &StreamId,
    k: &KmsKey,
    theme: &Theme,
    f: &impl Fn(&str, String, Style) -> Line<'a>,
) -> Vec<Line<'a>> {
    let plain = Style::default();
    let state_style = if k.state == KeyState::Enabled {
        theme.good()
    } else {
        theme.error()
    };
    // Usage is worth a word only when it is not the one Firehose needs.
    let spec = match k.usage {
        KeyUsage::EncryptDecrypt | KeyUsage::Unreported => k.spec.to_string(),
        ref other => format!("{} · {other}", k.spec),
    };
    let origin = match &k.multi_region {
        MultiRegion::Single => k.origin.to_string(),
        MultiRegion::Primary => format!("{} · multi-Region primary", k.origin),
        MultiRegion::Replica { primary_region } => {
            format!("{} · replica of {primary_region}", k.origin)
        }
    };
    let mut lines = vec![
        f(" key state", k.state.as_str().to_string(), state_style),
        f(" spec", spec, plain),
        f(" origin", origin, plain),
        f(" rotation", rotation_summary(k), plain),
    ];
    match k.rotation.as_ref().and_then(|r| r.on_demand_since) {
        Some(since) => lines.push(f(
            " rotating",
            format!("on demand since {}", stamp(since)),
            theme.warn(),
        )),
        None => lines.push(f(" rotated", last_rotated(app, id, k), plain)),
    }
    let on_key = app.streams_on(&k.arn).len();
    lines.push(f(" streams", format!("{on_key} on this key"), plain));
    if let Some(d) = k.deletion_date {
        let said = deletion(d, app.now);
        let (label, date) = said.split_once(' ').unwrap_or(("deletes", &said));
        lines.push(f(&format!(" {label}"), date.to_string(), theme.warn()));
    }
    lines
}

/// "every 365 d, next 2027-05-06", "off" or "unknown".
fn rotation_summary(k: &KmsKey) -> String {
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
fn last_rotated(app: &App, id: &StreamId, k: &KmsKey) -> String {
    let Some(list) = app.fleet.keys_of(id.target).rotations_of(&k.arn) else {
        return "unknown".to_string();
    };
    let Some(last) = list.iter().max_by_key(|r| r.at) else {
        return "never".to_string();
    };
    let on_demand = list
        .iter()
        .filter(|r| r.kind == RotationKind::OnDemand)
        .count();
    let kind = last.kind.as_str().to_lowercase().replace('_', " ");
    let mut out = format!("{} {kind}", last.at.format("%Y-%m-%d"));
    if on_demand > 0 {
        out.push_str(&format!(" · {on_demand} on demand"));
    }
    out
}
