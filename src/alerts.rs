//! What is worth telling the on-call engineer who is not looking: the
//! transitions between successive views of the fleet (a stream worse or
//! better, a key in use disabled or enabled again, a quota running low, a
//! discard deadline near, a target lost or back, a change by someone else),
//! computed once here, for `firekeeper watch`, the alert hook and the
//! dashboard's notifications alike.
//!
//! An observation is taken of the fleet as the app knows it
//! ([`Observation::of`]); the [`Alerter`] compares it with the one before
//! and gives the [`Alert`]s. "Can no longer tell" is a transition of its
//! own (to `unknown`), never silence. Streams that change the same way for
//! the same reason (every stream on a key just disabled; every stream when
//! CloudWatch cannot be read) are one alert, naming them all. A recovery is
//! held `[alerts] settle_secs`: a stream that fails again within it is no
//! new alert, only a count on the last one.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::health::Health;

mod build;
mod observe;
pub mod state;

use build::{event_id, group_id, keys, stamp, stream_alert, stream_id, targets};
pub use observe::{KeySeen, Observation, StreamSeen};
pub use state::SentAlert;

/// What kind of change an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Streams' health worsened (or can no longer be told).
    Health,
    /// Streams' health recovered, and stayed so for `settle_secs`.
    Recovered,
    /// A customer key in use changed state (Disabled, PendingDeletion,
    /// enabled again).
    KeyState,
    /// A stream's Start/Stop calls fell to `quota_low` or below.
    QuotaLow,
    /// Firehose starts discarding a stream's undecryptable records within
    /// `discard_warn`.
    DiscardSoon,
    /// A target can no longer be read, or can again.
    Target,
    /// Someone else changed a stream or a key in use (CloudTrail).
    Change,
}

/// One thing to tell, the same for `watch`, the hook and the dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// Stable across repeats and restarts: the same change of the same
    /// streams or key has the same id.
    pub id: String,
    pub kind: Kind,
    /// How bad things are now: what notifications are chosen by.
    pub severity: Health,
    /// The streams it is about, qualified by target where there are several.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub streams: Vec<String>,
    /// The key it is about (name as shown, and ARN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_arn: Option<String>,
    /// The target it is about, when it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub old: String,
    pub new: String,
    /// The sentence the detail shows.
    pub sentence: String,
    /// Who did it, when CloudTrail knows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// RFC 3339, whole seconds.
    pub at: String,
    /// How many times it flapped (recovered and failed again within
    /// `settle_secs`) before this alert: 0 when it did not.
    pub count: u32,
}

impl Alert {
    /// One line for a person: "02:10:03Z CRITICAL billing-export, orders:
    /// Key alias/x is Disabled: …".
    pub fn line(&self) -> String {
        let what = if self.streams.is_empty() {
            self.key
                .clone()
                .or_else(|| self.target.clone())
                .unwrap_or_default()
        } else {
            let mut names: Vec<&str> = self.streams.iter().take(5).map(String::as_str).collect();
            let more = self.streams.len().saturating_sub(names.len());
            let more = (more > 0).then(|| format!("and {more} more"));
            names.extend(more.as_deref());
            names.join(", ")
        };
        let flaps = if self.count > 0 {
            format!(" (flapped {} times)", self.count)
        } else {
            String::new()
        };
        let label = match self.kind {
            Kind::Recovered => "RECOVERED".to_string(),
            _ => self.severity.as_str().to_uppercase(),
        };
        format!(
            "{} {label} {what}: {}{flaps}",
            self.at,
            crate::text::shown(&self.sentence, crate::text::PROSE_CAP)
        )
    }
}

/// What the rules take, from `[alerts]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRules {
    pub quota_low: u32,
    pub discard_warn: Duration,
    pub settle: Duration,
    /// How long a sent alert is not repeated (after a restart, or once
    /// acknowledged) unless it gets worse.
    pub quiet: Duration,
}

impl AlertRules {
    pub fn from_config(config: &crate::config::Config) -> AlertRules {
        let a = &config.alerts;
        AlertRules {
            quota_low: a.quota_low.0,
            discard_warn: Duration::hours(i64::from(a.discard_warn_hours.0)),
            settle: Duration::seconds(i64::try_from(a.settle_secs.0).unwrap_or(i64::MAX)),
            quiet: Duration::hours(i64::from(a.ack_hours.0)),
        }
    }
}

/// A recovery waiting out `settle`.
#[derive(Debug, Clone)]
struct Recovery {
    alert: Alert,
    since: DateTime<Utc>,
}

/// Turns successive observations into alerts: remembers the last one, the
/// recoveries waiting out `settle`, and what was last sent for each id
/// (kept across restarts by the caller, see [`state`]).
#[derive(Debug)]
pub struct Alerter {
    rules: AlertRules,
    last: Option<Observation>,
    pending: BTreeMap<String, Recovery>,
    /// Flaps counted per stream since the last alert about it.
    flaps: BTreeMap<String, u32>,
    sent: BTreeMap<String, SentAlert>,
    /// CloudTrail events already told.
    told: BTreeSet<String>,
    /// Only events after this are news.
    started: DateTime<Utc>,
    /// When the last observation was taken.
    last_at: Option<DateTime<Utc>>,
}

impl Alerter {
    pub fn new(
        rules: AlertRules,
        sent: BTreeMap<String, SentAlert>,
        started: DateTime<Utc>,
    ) -> Alerter {
        Alerter {
            rules,
            last: None,
            pending: BTreeMap::new(),
            flaps: BTreeMap::new(),
            sent,
            told: BTreeSet::new(),
            started,
            last_at: None,
        }
    }

    /// What was last sent for each id, for the caller to keep.
    pub fn sent(&self) -> &BTreeMap<String, SentAlert> {
        &self.sent
    }

    /// The alerts this observation calls for, worst first. The first
    /// observation is the baseline: it tells only what is bad now and was
    /// not already told (within `quiet`) before a restart.
    pub fn observe(&mut self, now: Observation, at: DateTime<Utc>) -> Vec<Alert> {
        let before = self
            .last
            .take()
            .unwrap_or_else(|| self.remembered(&now, at));
        let mut out = Vec::new();
        out.extend(self.health(&before, &now, at));
        out.extend(self.settled(&now, at));
        out.extend(keys(&before, &now, at));
        out.extend(self.quotas(&before, &now, at));
        out.extend(self.discards(&before, &now, at));
        out.extend(targets(&before, &now, at));
        out.extend(self.changes(&now, at));
        // A key's new state is said by its streams' alerts (which name the
        // key and who), or will be once their recovery settles: told alone
        // only when none of its streams changed for it.
        let covered: BTreeSet<String> = out
            .iter()
            .filter(|a| matches!(a.kind, Kind::Health | Kind::Recovered))
            .flat_map(|a| a.streams.iter().cloned())
            .chain(self.pending.keys().cloned())
            .collect();
        let out: Vec<Alert> = out
            .into_iter()
            .filter(|a| a.kind != Kind::KeyState || !a.streams.iter().any(|s| covered.contains(s)))
            .filter(|a| self.not_repeated(a, at))
            .collect();
        for a in &out {
            self.sent.insert(a.id.clone(), SentAlert::of(a, at));
            // Each stream of a grouped alert remembers it too, for the
            // baseline after a restart (see `remembered`).
            if matches!(a.kind, Kind::Health | Kind::Recovered) {
                for name in &a.streams {
                    self.sent.insert(stream_id(name), SentAlert::of(a, at));
                }
            }
        }
        self.last = Some(now);
        self.last_at = Some(at);
        let mut out = out;
        out.sort_by_key(|a| std::cmp::Reverse(a.severity));
        out
    }

    /// The observation before the first: every stream as it was last told
    /// within `quiet` (or ok when not), so what is bad now and was not told
    /// lately is news.
    fn remembered(&self, now: &Observation, at: DateTime<Utc>) -> Observation {
        let mut before = now.clone();
        for (name, s) in &mut before.streams {
            s.health = self
                .sent
                .get(&stream_id(name))
                .filter(|sent| at - sent.at < self.rules.quiet && sent.kind == Kind::Health)
                .map_or(Health::Ok, |sent| sent.severity);
            s.quota_left = None;
            s.discard_at = None;
        }
        before.keys.clear();
        before.unreadable.clear();
        before
    }

    /// An alert told within `quiet` as bad or worse is not told again.
    fn not_repeated(&self, a: &Alert, at: DateTime<Utc>) -> bool {
        match self.sent.get(&a.id) {
            Some(s) if a.kind != Kind::Recovered && s.kind != Kind::Recovered => {
                a.severity > s.severity || at - s.at >= self.rules.quiet || a.new != s.new
            }
            _ => true,
        }
    }

    /// Streams whose health changed: worse at once, grouped by sentence;
    /// better held for `settle`.
    fn health(&mut self, before: &Observation, now: &Observation, at: DateTime<Utc>) -> Vec<Alert> {
        let mut worse: BTreeMap<(Health, String), Vec<String>> = BTreeMap::new();
        for (name, s) in &now.streams {
            let was = before.streams.get(name).map_or(Health::Ok, |b| b.health);
            if s.health == was {
                continue;
            }
            // "Can no longer tell" is news, whatever was known before (even
            // critical: unknown is no recovery); from unknown, only a known
            // health better than critical is one.
            if s.health > was || s.health == Health::Unknown {
                let flapped = self.pending.remove(name).is_some();
                if flapped && s.health != Health::Unknown {
                    // It recovered and failed again within settle: a flap.
                    *self.flaps.entry(name.clone()).or_default() += 1;
                    continue;
                }
                worse
                    .entry((s.health, s.reason.clone()))
                    .or_default()
                    .push(name.clone());
            } else {
                let mut alert = stream_alert(Kind::Recovered, name, s, was, at);
                alert.severity = s.health;
                alert.sentence = if s.reason.is_empty() {
                    format!("{name} is {} again.", s.health.as_str())
                } else {
                    s.reason.clone()
                };
                self.pending
                    .insert(name.clone(), Recovery { alert, since: at });
            }
        }
        worse
            .into_iter()
            .map(|((health, reason), names)| {
                let first = &now.streams[&names[0]];
                let was = before
                    .streams
                    .get(&names[0])
                    .map_or(Health::Ok, |b| b.health);
                let count = names
                    .iter()
                    .map(|n| self.flaps.remove(n).unwrap_or(0))
                    .sum();
                let mut alert = stream_alert(Kind::Health, &names[0], first, was, at);
                alert.severity = health;
                alert.sentence = reason;
                alert.id = group_id("health", health.as_str(), &names);
                alert.streams = names;
                alert.count = count;
                alert
            })
            .collect()
    }

    /// Recoveries that held for `settle`: told now, one alert for the
    /// streams that recovered to the same health together.
    fn settled(&mut self, now: &Observation, at: DateTime<Utc>) -> Vec<Alert> {
        let due: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, p)| at - p.since >= self.rules.settle)
            .map(|(n, _)| n.clone())
            .collect();
        let mut groups: BTreeMap<Health, Vec<Alert>> = BTreeMap::new();
        for name in due {
            let Some(p) = self.pending.remove(&name) else {
                continue;
            };
            // Gone from the fleet meanwhile: nothing left to tell.
            if now.streams.contains_key(&name) {
                let mut a = p.alert;
                a.count = self.flaps.remove(&name).unwrap_or(0);
                groups.entry(a.severity).or_default().push(a);
            }
        }
        groups
            .into_values()
            .map(|mut alerts| {
                let names: Vec<String> = alerts.iter().flat_map(|a| a.streams.clone()).collect();
                let count = alerts.iter().map(|a| a.count).sum();
                let mut first = alerts.swap_remove(0);
                if names.len() > 1 {
                    first.id = group_id("recovered", &first.new, &names);
                    first.sentence = format!("{} streams are {} again.", names.len(), first.new);
                }
                first.streams = names;
                first.count = count;
                first
            })
            .collect()
    }

    fn quotas(&self, before: &Observation, now: &Observation, at: DateTime<Utc>) -> Vec<Alert> {
        let low = self.rules.quota_low;
        now.streams
            .iter()
            .filter_map(|(name, s)| {
                let left = s.quota_left?;
                let was = before.streams.get(name).and_then(|b| b.quota_left);
                (left <= low && was.is_none_or(|w| w > low)).then(|| {
                    let mut a = stream_alert(Kind::QuotaLow, name, s, s.health, at);
                    a.id = format!("quota:{name}");
                    a.severity = a.severity.max(Health::Warning);
                    a.old = was.map_or("?".into(), |w| w.to_string());
                    a.new = left.to_string();
                    a.sentence = format!(
                        "{left} of {} Start/Stop calls left in 24 h.",
                        crate::quota::LIMIT
                    );
                    a
                })
            })
            .collect()
    }

    fn discards(&self, before: &Observation, now: &Observation, at: DateTime<Utc>) -> Vec<Alert> {
        let warn = self.rules.discard_warn;
        now.streams
            .iter()
            .filter_map(|(name, s)| {
                let discard = s.discard_at?;
                // Each judged at its own time: near now, and not at the last look.
                let was_near = before
                    .streams
                    .get(name)
                    .and_then(|b| b.discard_at)
                    .zip(self.last_at)
                    .is_some_and(|(d, then)| d - then <= warn);
                (discard - at <= warn && !was_near).then(|| {
                    let mut a = stream_alert(Kind::DiscardSoon, name, s, s.health, at);
                    a.id = format!("discard:{name}");
                    a.severity = Health::Critical;
                    a.new = stamp(discard);
                    a.sentence = format!(
                        "Firehose starts discarding {name}'s undecryptable records from about {}.",
                        crate::model::when(discard, at)
                    );
                    a
                })
            })
            .collect()
    }

    /// Changes by someone else to a stream of the fleet or a key in use,
    /// told once each.
    fn changes(&mut self, now: &Observation, at: DateTime<Utc>) -> Vec<Alert> {
        let mut out = Vec::new();
        for e in &now.changes {
            let id = format!("change:{}", event_id(e));
            // A key's state is said by its streams' alerts, with who did it.
            let said_elsewhere = KEY_STATE_CALLS.contains(&e.name.as_str());
            if said_elsewhere || e.at < self.started || !self.told.insert(id.clone()) {
                continue;
            }
            let streams: Vec<String> = now
                .streams
                .iter()
                .filter(|(name, s)| {
                    e.resource.as_deref() == Some(s.stream.as_str())
                        || e.resource.as_deref() == s.key_arn.as_deref()
                        || e.resource.as_deref() == Some(name.as_str())
                })
                .map(|(n, _)| n.clone())
                .collect();
            if streams.is_empty() {
                continue;
            }
            let first = &now.streams[&streams[0]];
            let on_key = e.resource.as_deref() == first.key_arn.as_deref();
            let subject = if on_key {
                first.key.clone().unwrap_or_default()
            } else {
                first.stream.clone()
            };
            out.push(Alert {
                id,
                kind: Kind::Change,
                severity: streams
                    .iter()
                    .map(|n| now.streams[n].health)
                    .max()
                    .unwrap_or(Health::Ok),
                key: on_key.then(|| subject.clone()),
                key_arn: on_key.then(|| e.resource.clone()).flatten(),
                target: Some(first.target.clone()),
                old: String::new(),
                new: e.name.clone(),
                sentence: crate::health::said(&subject, e, at),
                by: e.by.clone(),
                at: stamp(at),
                count: 0,
                streams,
            });
        }
        out
    }
}

/// The calls that change a key's state: what they do is told as the key's
/// and its streams' new state, naming who.
pub const KEY_STATE_CALLS: [&str; 4] = [
    "DisableKey",
    "EnableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
];

#[cfg(test)]
mod tests;
