//! The simulator's first state, built from a scenario: keys as KMS would
//! describe them, and streams caught wherever the scenario says (mid-change,
//! failed, erroring), with the transitions they are in still to come.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use super::{
    failure_for, Clock, Episode, KeyInUse, PendingChange, SimCloud, SimKey, SimState, SimStream,
};
use crate::cloud::scenario::{
    Scenario, ScenarioErrors, ScenarioFailure, ScenarioKey, ScenarioStream,
};
use crate::model::{
    Encryption, EncryptionStatus, Failure, KeyManager, KeyRotation, KeySpec, KeyState, KeyType,
    KmsKey, KmsMetric, MultiRegion, RotationKind, RotationRecord, Stream,
};

impl SimCloud {
    pub fn new(scenario: Scenario) -> SimCloud {
        SimCloud::with_clock(scenario, Arc::new(Utc::now))
    }

    pub fn with_clock(scenario: Scenario, clock: Clock) -> SimCloud {
        let now = clock();
        let keys = scenario
            .keys
            .iter()
            .map(|k| sim_key(k, &scenario, now))
            .collect();
        let mut sim = SimCloud {
            account: scenario.account.clone(),
            region: scenario.region.clone(),
            transition: Duration::seconds(scenario.transition_secs as i64),
            trail_lag: Duration::seconds(scenario.cloudtrail_lag_secs as i64),
            clock,
            state: Mutex::new(SimState {
                keys,
                streams: BTreeMap::new(),
                history: Vec::new(),
                requests: 0,
                config: super::SimConfig::Recording,
                // A recorder set up with the account, a while before.
                recorded_since: now - Duration::days(30),
            }),
            usage: crate::cloud::series::UsageCounter::new(now),
        };
        let streams = scenario
            .streams
            .iter()
            .map(|s| (s.name.clone(), sim.build_stream(s, now)))
            .collect();
        let state = sim
            .state
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.streams = streams;
        state.seed_history(&scenario, now);
        sim
    }

    fn build_stream(&self, s: &ScenarioStream, now: DateTime<Utc>) -> SimStream {
        let state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = state.scenario_key(s.key.as_deref());
        let status = s.encryption.as_deref().map_or(
            if key.is_some() {
                EncryptionStatus::Enabled
            } else {
                EncryptionStatus::Disabled
            },
            EncryptionStatus::parse,
        );
        let effective = state.key_in_use_at_start(&status, &key, &self.region);
        let encryption = encryption_at_start(status, &key, s.failure.as_ref());
        let settle = s
            .settles_in_secs
            .map_or(self.transition, |secs| Duration::seconds(secs as i64));
        let pending = pending_at_start(&encryption, &key, now + settle);
        let mut episodes: Vec<Episode> = state.key_state_episode(&effective).into_iter().collect();
        episodes.extend(s.errors.iter().map(|e| scenario_episode(e, now)));
        SimStream {
            stream: Stream {
                name: s.name.clone(),
                arn: format!(
                    "arn:aws:firehose:{}:{}:deliverystream/{}",
                    self.region, self.account, s.name
                ),
                source: s.source.clone(),
                status: s.status.clone(),
                encryption,
            },
            effective,
            pending,
            episodes,
            calls: Vec::new(),
        }
    }
}

/// A scenario key as KMS describes it, in its own region or the scenario's.
fn sim_key(k: &ScenarioKey, scenario: &Scenario, now: DateTime<Utc>) -> SimKey {
    let region = k.region.as_deref().unwrap_or(&scenario.region);
    let state_since = now - hours(k.state_since_hours);
    SimKey {
        key: KmsKey {
            id: k.id.clone(),
            arn: format!("arn:aws:kms:{region}:{}:key/{}", scenario.account, k.id),
            deletion_date: (k.state == KeyState::PendingDeletion)
                .then(|| state_since + Duration::days(7)),
            state: k.state.clone(),
            spec: k.spec.clone(),
            usage: k.usage.clone(),
            manager: k.manager.clone(),
            description: k.description.clone(),
            origin: k.origin.clone(),
            multi_region: k
                .replica_of
                .clone()
                .map_or(MultiRegion::Single, |primary_region| MultiRegion::Replica {
                    primary_region,
                }),
            rotation: (k.manager == KeyManager::Customer && k.spec == KeySpec::SymmetricDefault)
                .then(|| KeyRotation {
                    automatic: k.rotation,
                    period_days: k.rotation.then_some(k.rotation_period_days),
                    next_at: k.rotation.then(|| {
                        now + Duration::days(
                            i64::from(k.rotation_period_days) - i64::from(k.rotated_days_ago),
                        )
                    }),
                    on_demand_since: None,
                }),
        },
        rotations: if k.rotation {
            vec![RotationRecord {
                at: now - Duration::days(i64::from(k.rotated_days_ago)),
                kind: RotationKind::Automatic,
            }]
        } else {
            Vec::new()
        },
        on_demand: None,
        aliases: k.aliases.clone(),
        state_since,
        denies_firehose: k.denies_firehose,
    }
}

impl SimState {
    /// The key a scenario stream names (`aws-owned`, a key id or an alias), by
    /// type and ARN; a name that is no key of the scenario is kept as the ARN.
    fn scenario_key(&self, name: Option<&str>) -> Option<KeyInUse> {
        name.map(|k| match k {
            "aws-owned" => (KeyType::AwsOwned, None),
            other => (
                KeyType::CustomerManaged,
                Some(
                    self.find_key(other)
                        .map_or_else(|| other.to_string(), |k| k.key.arn.clone()),
                ),
            ),
        })
    }

    /// What really encrypts a stream that starts in `status` with `key` shown:
    /// a failed enable took effect only if Firehose could use the key.
    fn key_in_use_at_start(
        &self,
        status: &EncryptionStatus,
        key: &Option<KeyInUse>,
        region: &str,
    ) -> Option<KeyInUse> {
        let usable = |k: &KeyInUse| match &k.1 {
            Some(arn) => self
                .find_key(arn)
                .is_some_and(|k| failure_for(k, region).is_none()),
            None => true,
        };
        match status {
            EncryptionStatus::Enabled
            | EncryptionStatus::Disabling
            | EncryptionStatus::DisablingFailed => key.clone(),
            EncryptionStatus::EnablingFailed => key.clone().filter(usable),
            // A scenario's made-up status, standing for one AWS may add:
            // whether Firehose uses the key then is not known.
            EncryptionStatus::Enabling
            | EncryptionStatus::Disabled
            | EncryptionStatus::Other(_)
            | EncryptionStatus::NotRecorded => None,
        }
    }

    /// The errors a stream has had since its key was disabled or began to go
    /// away, if the key in use is one of those.
    fn key_state_episode(&self, effective: &Option<KeyInUse>) -> Option<Episode> {
        let Some((_, Some(arn))) = effective else {
            return None;
        };
        let k = self.find_key(arn)?;
        let metric = match k.key.state {
            KeyState::Disabled => KmsMetric::Disabled,
            KeyState::PendingDeletion | KeyState::Unavailable => KmsMetric::InvalidState,
            _ => return None,
        };
        Some(Episode {
            metric,
            start: k.state_since,
            end: None,
            per_minute: 6.0,
        })
    }
}

/// The encryption Firehose reports for a scenario stream at the start.
fn encryption_at_start(
    status: EncryptionStatus,
    key: &Option<KeyInUse>,
    failure: Option<&ScenarioFailure>,
) -> Encryption {
    let (key_type, key_arn) = key.clone().map_or((None, None), |(t, a)| (Some(t), a));
    Encryption {
        status,
        key_type,
        key_arn,
        failure: failure.map(|f| Failure {
            kind: f.kind.clone(),
            details: f.details.clone(),
        }),
    }
}

/// How a stream that starts mid-change settles at `at`: an enable succeeds
/// with the key it names, a disable leaves no key.
fn pending_at_start(
    encryption: &Encryption,
    key: &Option<KeyInUse>,
    at: DateTime<Utc>,
) -> Option<PendingChange> {
    match encryption.status {
        EncryptionStatus::Enabling => Some(PendingChange {
            at,
            then: Encryption {
                status: EncryptionStatus::Enabled,
                ..encryption.clone()
            },
            effective: key.clone(),
        }),
        EncryptionStatus::Disabling => Some(PendingChange {
            at,
            then: Encryption::default(),
            effective: None,
        }),
        _ => None,
    }
}

/// A run of errors the scenario gives a stream, beyond its key's state; an
/// unknown metric name counts as access denied.
fn scenario_episode(e: &ScenarioErrors, now: DateTime<Utc>) -> Episode {
    Episode {
        metric: e.metric.parse().unwrap_or(KmsMetric::AccessDenied),
        start: now - hours(e.since_hours),
        end: e.until_hours.map(|h| now - hours(h)),
        per_minute: e.per_minute,
    }
}

fn hours(h: f64) -> Duration {
    Duration::seconds((h * 3600.0) as i64)
}
