//! The open dashboard's alerts: every few seconds the fleet goes through the
//! same rules as `watch` (`crate::alerts`); each alert is kept in the
//! message log and counted as unseen until the log is opened, and a new one
//! of a health `[alerts] notify` names rings the terminal (bell and a
//! desktop notification, written by the loop) unless its streams are
//! acknowledged (`a`, for `[alerts] ack_hours`). The first look is a
//! baseline: what is on screen at launch is seen, and rings nothing.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::{App, LoadingState};
use crate::alerts::{
    Alert, AlertRules, Alerter, KeySeen, Kind, Observation, SentAlert, StreamSeen,
};
use crate::config::{Config, Notify};
use crate::health::Health;
use crate::model::KeyType;
use crate::model::{StreamId, Tone};

/// How often the fleet is looked at for alerts.
const LOOK_EVERY_SECS: i64 = 5;

#[derive(Debug)]
pub struct Alerting {
    /// Taken out while it looks at the app.
    alerter: Option<Alerter>,
    /// Alerts since the message log was last opened.
    pub unseen: usize,
    /// Acknowledged streams, until when.
    acks: BTreeMap<String, DateTime<Utc>>,
    notify: Vec<Health>,
    ack_for: Duration,
    next_look: Option<DateTime<Utc>>,
    /// Notifications for the terminal, taken by the loop that writes them.
    pub bells: Vec<String>,
    /// What was sent or acknowledged changed: the loop keeps it on disk.
    pub dirty: bool,
    /// The first look is taken: the problems on screen at launch are seen
    /// by whoever launched it, so they ring nothing; what changes after does.
    baselined: bool,
}

impl Alerting {
    pub fn new(
        config: &Config,
        sent: BTreeMap<String, SentAlert>,
        acks: BTreeMap<String, DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Alerting {
        let notify = config
            .alerts
            .notify
            .iter()
            .map(|n| match n {
                Notify::Critical => Health::Critical,
                Notify::Unknown => Health::Unknown,
                Notify::Warning => Health::Warning,
            })
            .collect();
        Alerting {
            alerter: Some(Alerter::new(AlertRules::from_config(config), sent, now)),
            unseen: 0,
            acks,
            notify,
            ack_for: Duration::hours(i64::from(config.alerts.ack_hours.0)),
            next_look: None,
            bells: Vec::new(),
            dirty: false,
            baselined: false,
        }
    }

    /// Whether the stream's problem is acknowledged at `now`.
    pub fn acked(&self, stream: &str, now: DateTime<Utc>) -> bool {
        self.acks.get(stream).is_some_and(|until| *until > now)
    }

    /// Acknowledges the stream's problem until `ack_hours` from now.
    pub fn ack(&mut self, stream: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        let until = now + self.ack_for;
        self.acks.insert(stream.to_string(), until);
        self.acks.retain(|_, u| *u > now);
        self.dirty = true;
        until
    }

    pub fn acks(&self) -> &BTreeMap<String, DateTime<Utc>> {
        &self.acks
    }

    /// What was last sent for each alert id.
    pub fn sent(&self) -> BTreeMap<String, SentAlert> {
        self.alerter
            .as_ref()
            .map(|a| a.sent().clone())
            .unwrap_or_default()
    }

    /// Whether this alert rings: a new problem of a health `notify` names,
    /// on streams not all acknowledged.
    fn rings(&self, a: &Alert, now: DateTime<Utc>) -> bool {
        let news = !matches!(a.kind, Kind::Recovered) && a.severity > Health::Ok;
        let acked = !a.streams.is_empty() && a.streams.iter().all(|s| self.acked(s, now));
        news && self.notify.contains(&a.severity) && !acked
    }
}

impl App {
    /// Looks at the fleet for alerts when one is due and the fleet is
    /// known well enough (loading is not news). True when something new
    /// was logged.
    pub fn look_for_alerts(&mut self) -> bool {
        let now = self.now;
        if self.alerting.next_look.is_some_and(|t| now < t) || !self.ready_for_alerts() {
            return false;
        }
        self.alerting.next_look = Some(now + Duration::seconds(LOOK_EVERY_SECS));
        let Some(mut alerter) = self.alerting.alerter.take() else {
            return false;
        };
        let told = alerter.observe(self.observation(), now);
        self.alerting.alerter = Some(alerter);
        if !std::mem::replace(&mut self.alerting.baselined, true) {
            // Kept as told, so a restart does not ring for them either.
            self.alerting.dirty = true;
            return false;
        }
        for a in &told {
            let tone = match a.severity {
                _ if a.kind == Kind::Recovered => Tone::Good,
                Health::Critical | Health::Unknown => Tone::Bad,
                _ => Tone::Info,
            };
            self.messages.keep(&a.line(), tone, now);
            self.alerting.unseen += 1;
            if self.alerting.rings(a, now) {
                self.alerting.bells.push(a.line());
            }
        }
        self.alerting.dirty |= !told.is_empty();
        !told.is_empty()
    }

    /// `a`: acknowledges the selected stream's problem.
    pub(super) fn ack_selected(&mut self) {
        let Some(name) = self.selected_id().map(|id| self.shown(id)) else {
            return;
        };
        let until = self.alerting.ack(&name, self.now);
        self.say(
            format!(
                "{name}: acknowledged, no notification for it until {}",
                crate::model::clock(until)
            ),
            Tone::Info,
        );
    }
}

impl App {
    /// Whether the app knows enough for a first look to be a baseline and
    /// not a list of things still loading: the streams listed and each
    /// described (or failed), and the metrics and quotas answered once.
    pub fn ready_for_alerts(&self) -> bool {
        let fleet = &self.fleet;
        let answered = |s: &LoadingState| !matches!(s, LoadingState::Loading | LoadingState::Idle);
        let listed = answered(&fleet.list_state()) || !fleet.order().is_empty();
        // A row shown from AWS Config's record is not described yet; a
        // read-only target's never will be, and holds nothing back.
        let described = fleet.rows().all(|(id, r)| {
            let read_only = fleet.part(id.target).is_some_and(|p| p.read_only.is_some());
            let recorded = r
                .stream
                .as_ref()
                .is_some_and(crate::model::Stream::only_recorded);
            read_only || r.error.is_some() || (r.stream.is_some() && !recorded)
        });
        listed && described && answered(&fleet.metrics_state()) && answered(&fleet.quota_state())
    }

    /// The fleet as `app` knows it now. Rows not described yet are left
    /// out: loading is not unknown.
    pub fn observation(&self) -> Observation {
        let app = self;
        let mut out = Observation::default();
        let target_of = |id: &StreamId| {
            app.target_of(id)
                .map_or_else(|| app.context.region.clone(), |t| t.target.label.clone())
        };
        for (id, row) in app.fleet.rows() {
            // Not described yet (loading, or shown from AWS Config's
            // record, which holds no status): nothing to tell of it.
            let recorded = row
                .stream
                .as_ref()
                .is_some_and(crate::model::Stream::only_recorded);
            if (row.stream.is_none() || recorded) && row.error.is_none() {
                continue;
            }
            let part = app.fleet.part(id.target);
            let history = part.map_or(&crate::model::trail::NO_HISTORY, |p| &p.history);
            let (health, problems) = app.health(id, row);
            let stream = row.stream.as_ref();
            let key_arn = stream
                .filter(|s| s.encryption.key_type == Some(KeyType::CustomerManaged))
                .and_then(|s| s.encryption.key_arn.clone());
            let by = key_arn.as_deref().and_then(|arn| {
                let e = history.latest(arn, &crate::alerts::KEY_STATE_CALLS)?;
                matches!(e.name.as_str(), "DisableKey" | "ScheduleKeyDeletion")
                    .then(|| e.by.clone())
                    .flatten()
            });
            let quota_left = stream
                .filter(|s| s.source.owns_encryption() == Some(false))
                .and_then(|_| app.quota(id).ok())
                .map(|q| q.remaining);
            let discard_at = app
                .knowledge(id.target)
                .outages
                .get(&id.name)
                .filter(|o| o.ongoing)
                .map(crate::health::Outage::discard_from);
            let shown = app.shown(id);
            out.streams.insert(
                shown.clone(),
                StreamSeen {
                    stream: shown.clone(),
                    target: target_of(id),
                    health,
                    reason: problems.first().cloned().unwrap_or_default(),
                    key: stream.map(|s| app.key_label(id, s)),
                    key_arn: key_arn.clone(),
                    by,
                    quota_left,
                    discard_at,
                },
            );
            if let Some(arn) = key_arn {
                key_seen(&mut out, app, id, &arn, shown);
            }
        }
        out.unreadable = unreadable(app);
        for p in app.fleet.parts().iter().filter(|p| p.counts()) {
            let mine = p.credentials.access_key_id.as_deref();
            out.changes.extend(
                p.history
                    .events()
                    .iter()
                    .filter(|e| e.error_code.is_none())
                    .filter(|e| mine.is_none() || e.access_key_id.as_deref() != mine)
                    .cloned(),
            );
        }
        out
    }
}

/// A key in use, seen on one more of its streams.
fn key_seen(out: &mut Observation, app: &App, id: &StreamId, arn: &str, stream: String) {
    let Some(part) = app.fleet.part(id.target) else {
        return;
    };
    let Some(k) = part.keys.key(arn) else {
        return;
    };
    let label = part.keys.key_label(arn);
    let latest = part.history.latest(arn, &crate::alerts::KEY_STATE_CALLS);
    let seen = out.keys.entry(arn.to_string()).or_insert_with(|| KeySeen {
        label: label.clone(),
        state: k.state.as_str().to_string(),
        streams: Vec::new(),
        by: latest.map(|e| crate::health::said(&label, e, app.now)),
        by_who: latest.and_then(|e| e.by.clone()),
    });
    seen.streams.push(stream);
}

/// The targets that cannot be read now, with why: with several, each one's
/// own error; with one, the fleet's listing failing or AWS silent.
fn unreadable(app: &App) -> BTreeMap<String, String> {
    if app.fleet.several() {
        return app
            .fleet
            .targets()
            .filter_map(|t| Some((t.target.label.clone(), t.error.clone()?)))
            .collect();
    }
    let why = match (&app.fleet.list_state(), app.fleet.freshness.silent_since) {
        (LoadingState::Error(why), _) => Some(why.clone()),
        (_, Some(since)) => Some(format!(
            "AWS has not answered since {}",
            crate::model::clock(since)
        )),
        _ => None,
    };
    why.map(|w| (app.context.region.clone(), w))
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(health: Health) -> Observation {
        let mut o = Observation::default();
        o.streams.insert(
            "orders".into(),
            StreamSeen {
                stream: "orders".into(),
                target: "us-east-1".into(),
                health,
                reason: "Key alias/orders is Disabled.".into(),
                key: None,
                key_arn: None,
                by: None,
                quota_left: None,
                discard_at: None,
            },
        );
        o
    }

    /// A critical stream rings; acknowledged, its next failure rings
    /// nothing until the ack expires, then rings again.
    #[test]
    fn an_acknowledged_stream_rings_nothing_until_the_ack_expires() {
        let t0 = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let mut config = Config::builtin();
        config.alerts.settle_secs.0 = 0;
        let mut a = Alerting::new(&config, BTreeMap::new(), BTreeMap::new(), t0);
        let look = |a: &mut Alerting, o: Observation, t: DateTime<Utc>| {
            let mut alerter = a.alerter.take().unwrap();
            let told = alerter.observe(o, t);
            a.alerter = Some(alerter);
            told.iter().filter(|x| a.rings(x, t)).count()
        };
        assert_eq!(look(&mut a, seen(Health::Ok), t0), 0);
        assert_eq!(
            look(&mut a, seen(Health::Critical), t0 + Duration::minutes(1)),
            1
        );
        a.ack("orders", t0 + Duration::minutes(2));
        assert_eq!(look(&mut a, seen(Health::Ok), t0 + Duration::minutes(3)), 0);
        assert_eq!(look(&mut a, seen(Health::Ok), t0 + Duration::minutes(4)), 0);
        let t = t0 + Duration::minutes(5);
        assert_eq!(look(&mut a, seen(Health::Critical), t), 0, "acknowledged");
        assert!(a.acked("orders", t0 + Duration::hours(4)));
        assert!(!a.acked("orders", t0 + Duration::hours(4) + Duration::minutes(3)));
        let later = t0 + Duration::hours(5);
        assert_eq!(look(&mut a, seen(Health::Ok), later), 0);
        assert_eq!(
            look(&mut a, seen(Health::Ok), later + Duration::minutes(1)),
            0
        );
        assert_eq!(
            look(&mut a, seen(Health::Critical), later + Duration::minutes(2)),
            1,
            "the ack expired"
        );
    }
}
