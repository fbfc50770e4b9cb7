//! One look at the fleet as the app knows it: what the alert rules compare
//! from one look to the next.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::app::{App, LoadingState};
use crate::cloud::{KeyType, TrailEvent};
use crate::health::Health;

/// The fleet at one moment, as far as alerts go.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observation {
    /// By the name the table shows (qualified by target with several).
    pub streams: BTreeMap<String, StreamSeen>,
    /// The customer keys in use, by ARN.
    pub keys: BTreeMap<String, KeySeen>,
    /// Targets that cannot be read, with why.
    pub unreadable: BTreeMap<String, String>,
    /// CloudTrail's changes to the fleet by someone other than this
    /// machine's credentials, oldest first.
    pub changes: Vec<TrailEvent>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StreamSeen {
    /// The stream's own name, as AWS has it.
    pub stream: String,
    pub target: String,
    pub health: Health,
    /// The first problem, worst first: the sentence the detail shows.
    pub reason: String,
    pub key: Option<String>,
    pub key_arn: Option<String>,
    /// Who broke its key, when CloudTrail says.
    pub by: Option<String>,
    /// Start/Stop calls left, when known and when they apply.
    pub quota_left: Option<u32>,
    /// When Firehose starts discarding its undecryptable records, while
    /// KMS errors are still arriving.
    pub discard_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KeySeen {
    pub label: String,
    /// KMS's word for its state (`Enabled`, `Disabled`, …).
    pub state: String,
    pub streams: Vec<String>,
    /// "alias/x was disabled by dana at 02:10 UTC (CloudTrail).", when
    /// CloudTrail says who made the latest change of state.
    pub by: Option<String>,
    pub by_who: Option<String>,
}

/// The KMS calls that change a key's state, for who changed it last.
const KEY_STATE: [&str; 4] = [
    "DisableKey",
    "EnableKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
];

impl Observation {
    /// Whether the app knows enough for a first look to be a baseline and
    /// not a list of things still loading: the streams listed and each
    /// described (or failed), and the metrics and quotas answered once.
    pub fn ready(app: &App) -> bool {
        let listed = !matches!(app.list_state, LoadingState::Loading | LoadingState::Idle)
            || !app.rows.is_empty();
        let described = app
            .rows
            .iter()
            .all(|r| r.stream.is_some() || r.error.is_some());
        let answered = |s: &LoadingState| !matches!(s, LoadingState::Loading | LoadingState::Idle);
        listed
            && described
            && (app.metrics_window.is_some() || answered(&app.metrics_state))
            && answered(&app.quota_state)
    }

    /// The fleet as `app` knows it now. Rows not described yet are left
    /// out: loading is not unknown.
    pub fn of(app: &App) -> Observation {
        let mut out = Observation::default();
        let target_of = |name: &str| {
            app.target_of(name)
                .map_or_else(|| app.context.region.clone(), |t| t.label.clone())
        };
        for row in &app.rows {
            if row.stream.is_none() && row.error.is_none() {
                continue;
            }
            let (health, problems) = app.health(row);
            let stream = row.stream.as_ref();
            let key_arn = stream
                .filter(|s| s.encryption.key_type == Some(KeyType::CustomerManaged))
                .and_then(|s| s.encryption.key_arn.clone());
            let by = key_arn.as_deref().and_then(|arn| {
                let e = app.history.latest(arn, &KEY_STATE)?;
                matches!(e.name.as_str(), "DisableKey" | "ScheduleKeyDeletion")
                    .then(|| e.by.clone())
                    .flatten()
            });
            let quota_left = stream
                .filter(|s| s.source.owns_encryption() == Some(false))
                .and_then(|s| app.quota(&s.name).ok())
                .map(|q| q.remaining);
            let discard_at = app
                .outages
                .get(&row.name)
                .filter(|o| o.ongoing)
                .map(crate::health::Outage::discard_from);
            out.streams.insert(
                row.name.clone(),
                StreamSeen {
                    stream: stream.map_or_else(|| row.name.clone(), |s| s.name.clone()),
                    target: target_of(&row.name),
                    health,
                    reason: problems.first().cloned().unwrap_or_default(),
                    key: stream.map(|s| app.keys.label(s)),
                    key_arn: key_arn.clone(),
                    by,
                    quota_left,
                    discard_at,
                },
            );
            if let Some(arn) = key_arn {
                out.key_seen(app, &arn, &row.name);
            }
        }
        out.unreadable = unreadable(app);
        let mine = app.credentials.access_key_id.as_deref();
        out.changes = app
            .history
            .events()
            .iter()
            .filter(|e| e.error_code.is_none())
            .filter(|e| mine.is_none() || e.access_key_id.as_deref() != mine)
            .cloned()
            .collect();
        out
    }

    fn key_seen(&mut self, app: &App, arn: &str, stream: &str) {
        let Some(k) = app.keys.key(arn) else {
            return;
        };
        let label = app.keys.key_label(arn);
        let latest = app.history.latest(arn, &KEY_STATE);
        let seen = self.keys.entry(arn.to_string()).or_insert_with(|| KeySeen {
            label: label.clone(),
            state: k.state.as_str().to_string(),
            streams: Vec::new(),
            by: latest.map(|e| crate::health::said(&label, e, app.now)),
            by_who: latest.and_then(|e| e.by.clone()),
        });
        seen.streams.push(stream.to_string());
    }
}

/// The targets that cannot be read now, with why: with several, each one's
/// own error; with one, the fleet's listing failing or AWS silent.
fn unreadable(app: &App) -> BTreeMap<String, String> {
    if !app.targets.is_empty() {
        return app
            .targets
            .iter()
            .filter_map(|t| Some((t.label.clone(), t.error.clone()?)))
            .collect();
    }
    let why = match (&app.list_state, app.silent_since) {
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
