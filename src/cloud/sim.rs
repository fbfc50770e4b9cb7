//! An in-process Firehose + KMS + CloudWatch for `--demo` and for tests. It keeps
//! AWS's rules so the demo tells the truth: encryption changes are asynchronous,
//! Start+Stop share 25 calls per stream per 24 hours, only DirectPut streams can be
//! encrypted, and keys that are disabled, pending deletion or asymmetric fail the
//! change while an encrypted stream keeps its old key.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::cloud::series::UsageCounter;
use crate::cloud::{CallAnswer, Cloud, CloudError};
use crate::model::{
    key_id_of, Alias, CloudWatchUsage, Encryption, EncryptionStatus, EventPage, EventQuery,
    Failure, Identity, KeyRef, KeySpec, KeyState, KeyType, KeyUsage, KmsKey, KmsMetric, KmsMetrics,
    MetricRange, RotationRecord, SeriesAsk, SeriesListing, Source, Stream, StreamPage, TrailEvent,
};

mod config;
mod history;
mod metrics;
mod rotation;
mod setup;

/// Where the simulator reads the time; tests move it by hand.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// AWS's combined Start+Stop limit per stream per rolling 24 hours.
pub const CALLS_PER_DAY: usize = 25;

pub struct SimCloud {
    account: String,
    region: String,
    transition: Duration,
    /// How long CloudTrail takes to show a call.
    trail_lag: Duration,
    clock: Clock,
    state: Mutex<SimState>,
    /// What was asked of CloudWatch, as AWS would count it.
    usage: UsageCounter,
}

struct SimState {
    keys: Vec<SimKey>,
    streams: BTreeMap<String, SimStream>,
    /// CloudTrail's event history, oldest first.
    history: Vec<TrailEvent>,
    /// Request ids given so far.
    requests: u64,
    /// What AWS Config answers, and since when it has recorded.
    config: SimConfig,
    recorded_since: DateTime<Utc>,
}

pub use config::{SimConfig, DEMO_AGGREGATOR};

struct SimKey {
    key: KmsKey,
    aliases: Vec<String>,
    /// Rotations of the material, newest first.
    rotations: Vec<RotationRecord>,
    /// When the on-demand rotation under way began.
    on_demand: Option<DateTime<Utc>>,
    state_since: DateTime<Utc>,
    denies_firehose: bool,
}

struct SimStream {
    stream: Stream,
    /// The key that really encrypts the data: kept through a failed change.
    effective: Option<KeyInUse>,
    pending: Option<PendingChange>,
    episodes: Vec<Episode>,
    calls: Vec<DateTime<Utc>>,
}

struct PendingChange {
    at: DateTime<Utc>,
    then: Encryption,
    effective: Option<KeyInUse>,
}

/// The key that really encrypts a stream's data, by type and ARN (none for
/// the AWS owned key).
type KeyInUse = (KeyType, Option<String>);

/// A run of KMS errors on one stream.
struct Episode {
    metric: KmsMetric,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    per_minute: f64,
}

impl SimCloud {
    /// Applies every transition whose time has come, then hands out the state.
    fn settled(&self) -> (MutexGuard<'_, SimState>, DateTime<Utc>) {
        let now = (self.clock)();
        // A panic while holding the lock leaves consistent data behind (every
        // change is a single assignment), so a poisoned lock is still usable.
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for s in state.streams.values_mut() {
            let due = s.pending.as_ref().is_some_and(|p| p.at <= now);
            if let Some(p) = s.pending.take_if(|_| due) {
                s.stream.encryption = p.then;
                if s.effective != p.effective {
                    for e in s.episodes.iter_mut().filter(|e| e.end.is_none()) {
                        e.end = Some(p.at);
                    }
                }
                s.effective = p.effective;
            }
        }
        state.settle_rotations(now);
        (state, now)
    }

    fn not_found(&self, name: &str) -> CloudError {
        CloudError::NotFound(format!(
            "Firehose {name} under account {} not found.",
            self.account
        ))
    }

    /// The checks AWS makes before accepting Start or Stop; records the call.
    fn accept_change<'a>(
        &self,
        state: &'a mut SimState,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<&'a mut SimStream, CloudError> {
        let s = state
            .streams
            .get_mut(name)
            .ok_or_else(|| self.not_found(name))?;
        if s.stream.source != Source::DirectPut {
            return Err(CloudError::InvalidArgument(format!(
                "Server-side encryption is not supported for {name}: its source is {}, which owns encryption.",
                s.stream.source.as_str()
            )));
        }
        if s.stream.status != "ACTIVE" || s.stream.encryption.status.is_transition() {
            return Err(CloudError::InUse(format!(
                "Firehose {name} is not ACTIVE (stream {}, encryption {}).",
                s.stream.status, s.stream.encryption.status
            )));
        }
        s.calls.retain(|t| now - *t < Duration::hours(24));
        if s.calls.len() >= CALLS_PER_DAY {
            return Err(CloudError::LimitExceeded(format!(
                "Firehose {name} has reached the limit of {CALLS_PER_DAY} StartDeliveryStreamEncryption and StopDeliveryStreamEncryption calls in 24 hours."
            )));
        }
        s.calls.push(now);
        Ok(s)
    }
}

impl SimCloud {
    /// What AWS does with a Start: checks, counts and begins the change.
    fn start(
        &self,
        state: &mut SimState,
        name: &str,
        key: &KeyRef,
        now: DateTime<Utc>,
    ) -> Result<(), CloudError> {
        let (key_type, key_arn, failure) = match key {
            KeyRef::AwsOwned => (KeyType::AwsOwned, None, None),
            KeyRef::Customer(arn) => match state.find_key(arn) {
                Some(k) => (
                    KeyType::CustomerManaged,
                    Some(k.key.arn.clone()),
                    failure_for(k, &self.region),
                ),
                None => (
                    KeyType::CustomerManaged,
                    Some(arn.clone()),
                    Some(Failure {
                        kind: "KMS_KEY_NOT_FOUND".into(),
                        details: format!("KMS key {arn} does not exist."),
                    }),
                ),
            },
        };
        let transition = self.transition;
        let s = self.accept_change(state, name, now)?;
        let requested = (key_type.clone(), key_arn.clone());
        let then = match failure {
            None => Encryption {
                status: EncryptionStatus::Enabled,
                key_type: Some(key_type.clone()),
                key_arn: key_arn.clone(),
                failure: None,
            },
            Some(failure) => {
                // A failed change leaves an encrypted stream on its old key.
                let shown = s.effective.clone().unwrap_or(requested.clone());
                Encryption {
                    status: EncryptionStatus::EnablingFailed,
                    key_type: Some(shown.0),
                    key_arn: shown.1,
                    failure: Some(failure),
                }
            }
        };
        let effective = if then.status == EncryptionStatus::Enabled {
            Some(requested)
        } else {
            s.effective.clone()
        };
        s.stream.encryption = Encryption {
            status: EncryptionStatus::Enabling,
            key_type: Some(key_type),
            key_arn,
            failure: None,
        };
        s.pending = Some(PendingChange {
            at: now + transition,
            then,
            effective,
        });
        Ok(())
    }

    /// What AWS does with a Stop.
    fn stop(&self, state: &mut SimState, name: &str, now: DateTime<Utc>) -> Result<(), CloudError> {
        let transition = self.transition;
        let s = self.accept_change(state, name, now)?;
        s.stream.encryption.status = EncryptionStatus::Disabling;
        s.stream.encryption.failure = None;
        s.pending = Some(PendingChange {
            at: now + transition,
            then: Encryption::default(),
            effective: None,
        });
        Ok(())
    }
}

/// Why Firehose would fail to use this key.
fn failure_for(sim_key: &SimKey, region: &str) -> Option<Failure> {
    let key = &sim_key.key;
    let fail = |kind: &str, why: String| {
        Some(Failure {
            kind: kind.to_string(),
            details: format!("KMS key {} {why}", key.arn),
        })
    };
    if key.region() != Some(region) {
        return fail(
            "KMS_KEY_NOT_FOUND",
            format!("is not in {region}: the key must be in the stream's region."),
        );
    }
    match key.state {
        KeyState::Enabled => {}
        KeyState::Disabled => return fail("DISABLED_KMS_KEY", "is disabled.".into()),
        KeyState::PendingDeletion => return fail("INVALID_KMS_KEY", "is pending deletion.".into()),
        ref other => {
            return fail(
                "INVALID_KMS_KEY",
                format!("is in state {}.", other.as_str()),
            )
        }
    }
    if key.spec != KeySpec::SymmetricDefault {
        return fail(
            "INVALID_KMS_KEY",
            format!(
                "is asymmetric ({}). Firehose supports only symmetric keys.",
                key.spec
            ),
        );
    }
    if key.usage != KeyUsage::EncryptDecrypt {
        return fail(
            "INVALID_KMS_KEY",
            format!("has usage {}, not {}.", key.usage, KeyUsage::EncryptDecrypt),
        );
    }
    if sim_key.denies_firehose {
        return fail(
            "KMS_ACCESS_DENIED",
            "denies Firehose: the key policy does not allow kms:CreateGrant for firehose.amazonaws.com.".into(),
        );
    }
    None
}

impl SimState {
    fn find_key_mut(&mut self, key: &str) -> Option<&mut SimKey> {
        let alias = key
            .rsplit_once(":alias/")
            .map_or(key.to_string(), |(_, a)| format!("alias/{a}"));
        let id = key_id_of(key);
        self.keys
            .iter_mut()
            .find(|k| k.key.id == id || k.key.arn == key || k.aliases.contains(&alias))
    }

    fn find_key(&self, key: &str) -> Option<&SimKey> {
        let alias = key
            .rsplit_once(":alias/")
            .map_or(key.to_string(), |(_, a)| format!("alias/{a}"));
        let id = key_id_of(key);
        self.keys
            .iter()
            .find(|k| k.key.id == id || k.key.arn == key || k.aliases.contains(&alias))
    }
}

#[async_trait]
impl Cloud for SimCloud {
    fn region(&self) -> &str {
        &self.region
    }

    async fn grant_check(&self, key_arn: &str) -> crate::cloud::GrantCheck {
        use crate::cloud::GrantCheck;
        let (state, _) = self.settled();
        match state.find_key(key_arn) {
            // The demo's key whose policy denies Firehose's grant, as KMS
            // answers a dry run of it.
            Some(k) if k.denies_firehose => GrantCheck::Denied(format!(
                "AccessDeniedException: User: {} is not authorized to perform: kms:CreateGrant on resource: {} because no resource-based policy allows the kms:CreateGrant action",
                format_args!("arn:aws:sts::{}:assumed-role/demo/{}", self.account, history::SESSION),
                k.key.arn
            )),
            Some(_) => GrantCheck::WouldSucceed,
            None => GrantCheck::Unknown(format!("NotFoundException: Key '{key_arn}' does not exist")),
        }
    }

    async fn credentials(&self) -> crate::model::CredentialFacts {
        crate::model::CredentialFacts {
            access_key_id: Some(history::ACCESS_KEY_ID.to_string()),
            ..Default::default()
        }
    }

    async fn identity(&self) -> Result<Identity, CloudError> {
        Ok(Identity {
            account: self.account.clone(),
            arn: format!(
                "arn:aws:sts::{}:assumed-role/demo/{}",
                self.account,
                history::SESSION
            ),
        })
    }

    async fn list_streams(
        &self,
        start_after: Option<&str>,
        limit: u32,
    ) -> Result<StreamPage, CloudError> {
        let (state, _) = self.settled();
        let mut names = state
            .streams
            .keys()
            .filter(|n| start_after.is_none_or(|s| n.as_str() > s));
        let page: Vec<String> = names
            .by_ref()
            .take(limit.max(1) as usize)
            .cloned()
            .collect();
        let has_more = names.next().is_some();
        Ok(StreamPage {
            names: page,
            has_more,
        })
    }

    async fn describe_stream(&self, name: &str) -> Result<Stream, CloudError> {
        let (state, _) = self.settled();
        state
            .streams
            .get(name)
            .map(|s| s.stream.clone())
            .ok_or_else(|| self.not_found(name))
    }

    async fn start_encryption(&self, name: &str, key: &KeyRef) -> CallAnswer {
        let (mut state, now) = self.settled();
        let result = self.start(&mut state, name, key, now);
        let id = self.record_call(&mut state, name, Some(key), &result, now);
        CallAnswer::answered(result, Some(id))
    }

    async fn stop_encryption(&self, name: &str) -> CallAnswer {
        let (mut state, now) = self.settled();
        let result = self.stop(&mut state, name, now);
        let id = self.record_call(&mut state, name, None, &result, now);
        CallAnswer::answered(result, Some(id))
    }

    async fn list_keys(&self) -> Result<Vec<String>, CloudError> {
        let (state, _) = self.settled();
        Ok(state
            .keys
            .iter()
            .filter(|k| k.key.region() == Some(self.region.as_str()))
            .map(|k| k.key.id.clone())
            .collect())
    }

    async fn list_aliases(&self) -> Result<Vec<Alias>, CloudError> {
        let (state, _) = self.settled();
        Ok(state
            .keys
            .iter()
            .filter(|k| k.key.region() == Some(self.region.as_str()))
            .flat_map(|k| {
                k.aliases.iter().map(|a| Alias {
                    name: a.clone(),
                    target_key_id: Some(k.key.id.clone()),
                })
            })
            .collect())
    }

    async fn describe_key(&self, key: &str) -> Result<KmsKey, CloudError> {
        let (state, _) = self.settled();
        state
            .find_key(key)
            .map(|k| k.key.clone())
            .ok_or_else(|| CloudError::NotFound(format!("Key '{key}' does not exist")))
    }

    async fn key_rotations(&self, key: &str) -> Result<Vec<RotationRecord>, CloudError> {
        let (state, _) = self.settled();
        state
            .find_key(key)
            .map(|k| k.rotations.clone())
            .ok_or_else(|| CloudError::NotFound(format!("Key '{key}' does not exist")))
    }

    async fn rotate_key_now(&self, key: &str) -> CallAnswer {
        self.rotate_now(key)
    }

    async fn set_auto_rotation(&self, key: &str, period_days: Option<u32>) -> CallAnswer {
        self.auto_rotation(key, period_days)
    }

    async fn kms_metrics(
        &self,
        asks: &SeriesAsk,
        range: MetricRange,
    ) -> Result<KmsMetrics, CloudError> {
        let (state, now) = self.settled();
        self.usage
            .metrics_requested(asks.values().map(|s| s.len()).sum());
        Ok(metrics::read(&state.streams, asks, range, now))
    }

    async fn list_metrics(&self, recently_active: bool) -> Result<SeriesListing, CloudError> {
        let (state, now) = self.settled();
        let listing = metrics::listing(&state.streams, recently_active, now);
        for _ in 0..metrics::pages(&listing) {
            self.usage.list_metrics_call();
        }
        Ok(listing)
    }

    fn cloudwatch_usage(&self) -> CloudWatchUsage {
        self.usage.usage()
    }

    async fn lookup_events(&self, query: &EventQuery) -> Result<EventPage, CloudError> {
        let (state, now) = self.settled();
        history::lookup(&state.history, query, now - self.trail_lag)
    }

    async fn config_recording(&self) -> Result<crate::model::Recording, CloudError> {
        self.config_answer()
    }

    async fn recorded_streams(
        &self,
        page: Option<&str>,
    ) -> Result<crate::model::RecordPage<crate::model::RecordedStream>, CloudError> {
        self.records(page)
    }

    async fn aggregated_streams(
        &self,
        aggregator: &str,
        page: Option<&str>,
    ) -> Result<crate::model::RecordPage<crate::model::Aggregated>, CloudError> {
        self.aggregate(aggregator, page)
    }
}

#[cfg(test)]
mod tests;
