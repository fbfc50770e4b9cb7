//! The only door to the cloud: one trait, our own model types, and two
//! implementations (the AWS SDK in `aws`, the in-process simulator in `sim`).
//! CloudTrail's event history has its model in `trail`.
//! Nothing outside this module imports an SDK crate.

pub mod aws;
mod encryption_call;
pub mod endpoint;
mod names;
mod paced;
pub mod scenario;
pub mod series;
pub mod sim;
pub mod trail;
#[cfg(test)]
pub mod wrap;

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use encryption_call::EncryptionCall;
pub use names::{
    EncryptionStatus, KeyManager, KeyOrigin, KeySpec, KeyState, KeyType, KeyUsage, KmsMetric,
    RotationKind, Source,
};
pub use paced::Paced;
pub use series::{CloudWatchUsage, MetricSet, SeriesAsk, SeriesListing};
pub use trail::{EventPage, EventQuery, History, Lookup, TrailEvent};

/// Why Firehose could not enable or disable encryption (`FailureDescription`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    #[serde(rename = "type")]
    pub kind: String,
    pub details: String,
}

/// A stream's encryption as Firehose reports it. A stream with no configuration
/// at all is `Disabled` with no key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Encryption {
    pub status: EncryptionStatus,
    pub key_type: Option<KeyType>,
    pub key_arn: Option<String>,
    pub failure: Option<Failure>,
}

impl Default for Encryption {
    fn default() -> Self {
        Encryption {
            status: EncryptionStatus::Disabled,
            key_type: None,
            key_arn: None,
            failure: None,
        }
    }
}

/// One delivery stream, as described by `DescribeDeliveryStream`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stream {
    pub name: String,
    pub arn: String,
    pub source: Source,
    /// `DeliveryStreamStatus`: ACTIVE, CREATING, DELETING, ...
    pub status: String,
    pub encryption: Encryption,
}

/// The key id of a key ARN (`arn:aws:kms:r:a:key/ID` → `ID`); an id stays as it is.
pub fn key_id_of(arn_or_id: &str) -> &str {
    arn_or_id
        .rsplit_once("key/")
        .map_or(arn_or_id, |(_, id)| id)
}

/// The region of an ARN, if it is one.
pub fn region_of_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next()? == "arn").then_some(())?;
    parts.nth(2).filter(|r| !r.is_empty())
}

/// What KMS says about one key (`DescribeKey` plus rotation status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KmsKey {
    pub id: String,
    pub arn: String,
    pub state: KeyState,
    pub spec: KeySpec,
    pub usage: KeyUsage,
    pub manager: KeyManager,
    pub description: String,
    pub deletion_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub origin: KeyOrigin,
    #[serde(default)]
    pub multi_region: MultiRegion,
    /// Rotation of the key material (`GetKeyRotationStatus`); `None` when
    /// KMS would not say (no permission, or a key that cannot rotate).
    pub rotation: Option<KeyRotation>,
}

impl KmsKey {
    pub fn region(&self) -> Option<&str> {
        region_of_arn(&self.arn)
    }

    /// Automatic rotation on, when known.
    pub fn rotation_enabled(&self) -> Option<bool> {
        self.rotation.as_ref().map(|r| r.automatic)
    }
}

/// Whether a key is one of a multi-Region set, and which.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MultiRegion {
    #[default]
    Single,
    Primary,
    /// Rotated only through its primary, in that region.
    Replica {
        primary_region: String,
    },
}

/// What `GetKeyRotationStatus` says of a key's material.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KeyRotation {
    /// Rotated every `period_days` by KMS.
    pub automatic: bool,
    pub period_days: Option<u32>,
    pub next_at: Option<DateTime<Utc>>,
    /// An on-demand rotation started then and is not finished.
    pub on_demand_since: Option<DateTime<Utc>>,
}

/// One rotation of a key's material (`ListKeyRotations`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationRecord {
    pub at: DateTime<Utc>,
    pub kind: RotationKind,
}

/// One KMS alias and the key it points at (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    pub name: String,
    pub target_key_id: Option<String>,
}

/// Datapoints of one metric, oldest first.
pub type Series = Vec<(DateTime<Utc>, f64)>;

/// The four KMS error series of one stream over a time range.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KmsSeries {
    pub series: [Series; 4],
}

impl KmsSeries {
    pub fn get(&self, metric: KmsMetric) -> &Series {
        &self.series[metric.index()]
    }

    pub fn total(&self, metric: KmsMetric) -> f64 {
        self.get(metric).iter().map(|(_, v)| v).sum()
    }

    pub fn grand_total(&self) -> f64 {
        KmsMetric::ALL.iter().map(|m| self.total(*m)).sum()
    }

    /// Per-timestamp sum over the four metrics, oldest first.
    pub fn combined(&self) -> Series {
        let mut by_time: BTreeMap<DateTime<Utc>, f64> = BTreeMap::new();
        for series in &self.series {
            for (t, v) in series {
                *by_time.entry(*t).or_default() += v;
            }
        }
        by_time.into_iter().collect()
    }
}

/// What CloudWatch answered for a set of streams: the series it gave in full,
/// and the streams whose data it could not give (a failed batch, or a query
/// whose `StatusCode` was not `Complete`), with the reason. A stream in
/// none of the three had no datapoints: zero errors, known.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KmsMetrics {
    pub series: BTreeMap<String, KmsSeries>,
    pub unknown: BTreeMap<String, String>,
    /// Streams that can have KMS errors but were not asked this time (the
    /// dashboard sweeps them less often): not known to be clean now, only
    /// as of when they were last asked.
    pub not_asked: std::collections::BTreeSet<String>,
}

/// A time range and resolution for metric queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricRange {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub period_secs: i32,
}

/// One page of `ListDeliveryStreams`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamPage {
    pub names: Vec<String>,
    pub has_more: bool,
}

/// Who the credentials belong to (`sts:GetCallerIdentity`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: String,
    pub arn: String,
}

/// Which key encrypts a stream: the one type for every stage of a choice.
/// `KeyRef<String>` is a key as named (by the user: id, ARN, alias or alias
/// ARN; to AWS: the key ARN), `KeyRef<KmsKey>` a key KMS has described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRef<K = String> {
    AwsOwned,
    Customer(K),
}

impl KeyRef<String> {
    /// A key named on the command line: `aws-owned`, or a key id, key ARN,
    /// `alias/NAME` or alias ARN.
    pub fn parse(s: &str) -> KeyRef {
        if s.eq_ignore_ascii_case("aws-owned") {
            KeyRef::AwsOwned
        } else {
            KeyRef::Customer(s.to_string())
        }
    }
}

impl KeyRef<KmsKey> {
    /// The key as Firehose is asked for it: by ARN.
    pub fn by_arn(&self) -> KeyRef {
        match self {
            KeyRef::AwsOwned => KeyRef::AwsOwned,
            KeyRef::Customer(k) => KeyRef::Customer(k.arn.clone()),
        }
    }
}

/// Errors from the cloud, in words for the person at the terminal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloudError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("in use: {0}")]
    InUse(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    #[error("KMS refused: {0}")]
    InvalidKms(String),
    #[error("throttled by AWS: {0}")]
    Throttled(String),
    #[error("access denied: {0}")]
    AccessDenied(String),
    #[error(
        "no usable AWS credentials: {0}. Check the profile's credentials (--profile or AWS_PROFILE), or run `aws sso login`, or try --demo"
    )]
    Credentials(String),
    #[error("cannot reach the AWS endpoint: {0}. Check the network, --region and --endpoint-url")]
    Unreachable(String),
    /// The call went out and no answer came before the deadline: AWS may or
    /// may not have acted on it.
    #[error("no answer from {0}")]
    NoAnswer(String),
    /// AWS answered with a server error (HTTP 5xx): it may or may not have acted.
    #[error("AWS failed to answer properly: {0}")]
    Server(String),
    #[error("{0}")]
    Other(String),
}

impl CloudError {
    /// The error code AWS uses for this kind of refusal, for an answer
    /// whose own code was not kept (the simulator's): Firehose's and KMS's
    /// documented exception names. `None` where there is no single one.
    pub fn code(&self) -> Option<String> {
        let code = match self {
            CloudError::NotFound(_) => "ResourceNotFoundException",
            CloudError::InUse(_) => "ResourceInUseException",
            CloudError::InvalidArgument(_) => "InvalidArgumentException",
            CloudError::LimitExceeded(_) => "LimitExceededException",
            CloudError::InvalidKms(_) => "InvalidKMSResourceException",
            CloudError::Throttled(_) => "ThrottlingException",
            CloudError::AccessDenied(_) => "AccessDeniedException",
            _ => return None,
        };
        Some(code.to_string())
    }

    /// AWS could not be heard from at all (no network, no answer, no
    /// credentials): a fleet-wide condition, not something about one stream.
    pub fn is_connection(&self) -> bool {
        matches!(
            self,
            CloudError::Unreachable(_) | CloudError::NoAnswer(_) | CloudError::Credentials(_)
        )
    }
}

/// What became of a Start or Stop: AWS's verdict, and the request id it gave
/// the call when it answered (success or error), which CloudTrail records too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallAnswer {
    pub result: Result<(), CloudError>,
    /// AWS's id for the request, from its answer.
    pub request_id: Option<String>,
    /// An answer came back from AWS, so the call reached it. False when
    /// none came: the call was lost on the way, or never left (no
    /// credentials to sign it with); the error says which.
    pub answered: bool,
    /// AWS's error code (`AccessDeniedException`), when it answered with
    /// one: the ledger keeps it, so a refused call is counted apart.
    pub code: Option<String>,
}

impl CallAnswer {
    /// An answer from AWS.
    pub fn answered(result: Result<(), CloudError>, request_id: Option<String>) -> CallAnswer {
        let code = result.as_ref().err().and_then(CloudError::code);
        CallAnswer {
            result,
            request_id,
            answered: true,
            code,
        }
    }

    /// A call that had no answer: the error says why.
    pub fn unanswered(error: CloudError) -> CallAnswer {
        CallAnswer {
            result: Err(error),
            request_id: None,
            answered: false,
            code: None,
        }
    }
}

/// What KMS said when asked whether the caller may create the grant
/// Firehose needs on a key (`CreateGrant` with `DryRun`). The KMS developer
/// guide, "Testing your permissions": a call with DryRun always fails;
/// `DryRunOperationException` means it would have succeeded,
/// `AccessDeniedException` that the caller may not perform it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantCheck {
    /// DryRunOperationException: the grant would be created.
    WouldSucceed,
    /// AccessDeniedException, in KMS's words.
    Denied(String),
    /// Anything else (no answer, throttled, a validation error, an endpoint
    /// that does not know DryRun): not known either way.
    Unknown(String),
}

/// How the caller authenticates, as far as the 6-hour rule goes (Firehose cannot create its KMS grant
/// with session credentials older than 6 hours).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CredentialFacts {
    /// Session credentials (a session token is present).
    pub temporary: bool,
    pub expires_at: Option<DateTime<Utc>>,
    /// The access key calls are signed with: CloudTrail records it with each
    /// call, which is how a call whose answer was lost is recognised there.
    pub access_key_id: Option<String>,
}

/// Everything firekeeper asks of Firehose, KMS, CloudWatch, CloudTrail and STS.
#[async_trait]
pub trait Cloud: Send + Sync {
    /// The region this client talks to.
    fn region(&self) -> &str;
    async fn identity(&self) -> Result<Identity, CloudError>;
    /// One page of stream names, in name order, after `start_after`.
    async fn list_streams(
        &self,
        start_after: Option<&str>,
        limit: u32,
    ) -> Result<StreamPage, CloudError>;
    async fn describe_stream(&self, name: &str) -> Result<Stream, CloudError>;
    /// Starts (or switches) a stream's encryption: sent once, never retried.
    async fn start_encryption(&self, name: &str, key: &KeyRef) -> CallAnswer;
    /// Stops a stream's encryption: sent once, never retried.
    async fn stop_encryption(&self, name: &str) -> CallAnswer;
    /// Waits for a Start or Stop's turn at the pace (see `Paced`), so the
    /// call made next leaves at once: a change stopped while it waits here
    /// has not left, and gives its quota slot back.
    async fn change_turn(&self) {}
    /// Ids of every KMS key in the account and region.
    async fn list_keys(&self) -> Result<Vec<String>, CloudError>;
    async fn list_aliases(&self) -> Result<Vec<Alias>, CloudError>;
    /// `key` is an id, key ARN, alias name or alias ARN.
    async fn describe_key(&self, key: &str) -> Result<KmsKey, CloudError>;
    /// The rotations of a key's material, newest first (`ListKeyRotations`).
    async fn key_rotations(&self, key: &str) -> Result<Vec<RotationRecord>, CloudError>;
    /// Rotates a key's material now (`RotateKeyOnDemand`): sent once, never
    /// retried.
    async fn rotate_key_now(&self, key: &str) -> CallAnswer;
    /// Turns automatic rotation on every `period_days`, or off (`None`):
    /// sent once.
    async fn set_auto_rotation(&self, key: &str, period_days: Option<u32>) -> CallAnswer;
    /// Whether the caller may create the grant Firehose needs on the key
    /// `key_arn` (KMS `CreateGrant` with `DryRun`): asked before a Start
    /// with a customer key, so a key that would fail costs no call.
    async fn grant_check(&self, key_arn: &str) -> GrantCheck;
    /// Whether the credentials in use are temporary, for the 6-hour rule.
    async fn credentials(&self) -> CredentialFacts {
        CredentialFacts::default()
    }
    /// KMS error series for many streams, only the metrics asked of each
    /// (GetMetricData); streams with no datapoints are absent from both maps.
    /// Fails only when nothing at all could be read.
    async fn kms_metrics(
        &self,
        asks: &SeriesAsk,
        range: MetricRange,
    ) -> Result<KmsMetrics, CloudError>;
    /// Which KMS error series exist, by stream (ListMetrics for each metric
    /// name, following NextToken to the end): with `recently_active`, only
    /// those with datapoints in the past 3 hours; else in the past two weeks.
    async fn list_metrics(&self, recently_active: bool) -> Result<SeriesListing, CloudError>;
    /// What this client has asked of CloudWatch so far.
    fn cloudwatch_usage(&self) -> CloudWatchUsage;
    /// One page of CloudTrail's event history (LookupEvents): the events
    /// of the query's attribute and time range, newest first.
    async fn lookup_events(&self, query: &EventQuery) -> Result<EventPage, CloudError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_and_region_come_from_arns() {
        let arn = "arn:aws:kms:eu-west-1:123456789012:key/abcd-1234";
        assert_eq!(key_id_of(arn), "abcd-1234");
        assert_eq!(key_id_of("abcd-1234"), "abcd-1234");
        assert_eq!(region_of_arn(arn), Some("eu-west-1"));
        assert_eq!(region_of_arn("abcd"), None);
    }

    #[test]
    fn combined_series_adds_metrics_at_each_time() {
        let t0 = DateTime::from_timestamp(0, 0).unwrap();
        let t1 = DateTime::from_timestamp(60, 0).unwrap();
        let mut s = KmsSeries::default();
        s.series[0] = vec![(t0, 1.0), (t1, 2.0)];
        s.series[1] = vec![(t1, 3.0)];
        assert_eq!(s.combined(), vec![(t0, 1.0), (t1, 5.0)]);
        assert_eq!(s.grand_total(), 6.0);
    }
}
