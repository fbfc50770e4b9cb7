//! Alerts as they are built: about keys and targets from two observations,
//! about one stream, and the ids that keep an alert the same run after run.

use std::collections::BTreeSet;
use std::hash::Hasher;

use chrono::{DateTime, SecondsFormat, Utc};

use super::{observe, Alert, Kind, Observation};
use crate::health::Health;
use crate::model::TrailEvent;

/// Keys in use whose state changed.
pub(super) fn keys(before: &Observation, now: &Observation, at: DateTime<Utc>) -> Vec<Alert> {
    now.keys
        .iter()
        .filter_map(|(arn, k)| {
            let was = before.keys.get(arn)?;
            (was.state != k.state).then(|| Alert {
                id: format!("key:{arn}:{}", k.state),
                kind: Kind::KeyState,
                severity: if k.state == "Enabled" {
                    Health::Ok
                } else {
                    Health::Critical
                },
                streams: k.streams.clone(),
                key: Some(k.label.clone()),
                key_arn: Some(arn.clone()),
                target: None,
                old: was.state.clone(),
                new: k.state.clone(),
                sentence: match &k.by {
                    Some(said) => said.clone(),
                    None => format!("Key {} is now {} (was {}).", k.label, k.state, was.state),
                },
                by: k.by_who.clone(),
                at: stamp(at),
                count: 0,
            })
        })
        .collect()
}

/// Targets that can no longer be read, or can again.
pub(super) fn targets(before: &Observation, now: &Observation, at: DateTime<Utc>) -> Vec<Alert> {
    let labels: BTreeSet<&String> = before
        .unreadable
        .keys()
        .chain(now.unreadable.keys())
        .collect();
    labels
        .into_iter()
        .filter_map(|label| {
            let (was, is) = (before.unreadable.get(label), now.unreadable.get(label));
            let (severity, old, new, sentence) = match (was, is) {
                (None, Some(why)) => (
                    Health::Unknown,
                    "readable",
                    "unreadable",
                    format!("{label} can no longer be read: {why}"),
                ),
                (Some(_), None) => (
                    Health::Ok,
                    "unreadable",
                    "readable",
                    format!("{label} can be read again."),
                ),
                _ => return None,
            };
            Some(Alert {
                id: format!("target:{label}"),
                kind: Kind::Target,
                severity,
                streams: Vec::new(),
                key: None,
                key_arn: None,
                target: Some(label.clone()),
                old: old.into(),
                new: new.into(),
                sentence,
                by: None,
                at: stamp(at),
                count: 0,
            })
        })
        .collect()
}

pub(super) fn stream_id(name: &str) -> String {
    format!("health:{name}")
}

/// An alert about one stream, before the caller sets what differs.
pub(super) fn stream_alert(
    kind: Kind,
    name: &str,
    s: &observe::StreamSeen,
    was: Health,
    at: DateTime<Utc>,
) -> Alert {
    Alert {
        id: stream_id(name),
        kind,
        severity: s.health,
        streams: vec![name.to_string()],
        key: s.key.clone(),
        key_arn: s.key_arn.clone(),
        target: Some(s.target.clone()),
        old: was.as_str().into(),
        new: s.health.as_str().into(),
        sentence: s.reason.clone(),
        by: s.by.clone(),
        at: stamp(at),
        count: 0,
    }
}

/// A stable id for a change shared by several streams: the same streams
/// and the same new state give the same id, run after run.
pub(super) fn group_id(kind: &str, state: &str, names: &[String]) -> String {
    if let [one] = names {
        return format!("{kind}:{one}");
    }
    let mut sorted: Vec<&String> = names.iter().collect();
    sorted.sort();
    let mut h = fnv::FnvHasher::default();
    for n in sorted {
        h.write(n.as_bytes());
        h.write_u8(0);
    }
    format!("{kind}:{state}:{:016x}", h.finish())
}

/// A CloudTrail event's identity: its event id, else its request id, else
/// what it did when.
pub(super) fn event_id(e: &TrailEvent) -> String {
    e.event_id
        .clone()
        .or_else(|| e.request_id.clone())
        .unwrap_or_else(|| {
            format!(
                "{}/{}/{}",
                e.name,
                e.resource.as_deref().unwrap_or(""),
                e.at.timestamp()
            )
        })
}

pub(super) fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}
