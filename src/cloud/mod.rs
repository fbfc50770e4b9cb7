//! The only door to the cloud: one trait and two implementations (the AWS
//! SDK in `aws`, the in-process simulator in `sim`). What they answer is
//! plain data in `model`, which every layer above may read without knowing
//! of the cloud. Nothing outside this module imports an SDK crate.

pub mod aws;
pub mod endpoint;
mod paced;
pub mod scenario;
pub mod series;
pub mod sim;
#[cfg(test)]
pub mod wrap;

use async_trait::async_trait;

pub use paced::Paced;

// The model's types, also where the layers above looked for them before
// they moved to `model`: the re-export goes when every caller names `model`.
use crate::model::{
    Aggregated, Alias, CloudWatchUsage, CredentialFacts, EventPage, EventQuery, Identity, KeyRef,
    KmsKey, KmsMetrics, MetricRange, RecordPage, RecordedStream, Recording, RotationRecord,
    SeriesAsk, SeriesListing, Stream, StreamPage,
};

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
    /// Whether AWS Config records this account and region's Firehose
    /// streams now (`DescribeConfigurationRecorders` and
    /// `DescribeConfigurationRecorderStatus`).
    async fn config_recording(&self) -> Result<Recording, CloudError>;
    /// One page of the streams AWS Config recorded here, up to 100
    /// (`ListDiscoveredResources`, then `BatchGetResourceConfig` for them);
    /// `page` is the token of the page before's `next`.
    async fn recorded_streams(
        &self,
        page: Option<&str>,
    ) -> Result<RecordPage<RecordedStream>, CloudError>;
    /// One page of the streams of every account and region the AWS Config
    /// aggregator `aggregator` covers, up to 100
    /// (`ListAggregateDiscoveredResources`, then
    /// `BatchGetAggregateResourceConfig`); the first asks
    /// `DescribeConfigurationAggregators`, so a name that is not an
    /// aggregator is said as such.
    async fn aggregated_streams(
        &self,
        aggregator: &str,
        page: Option<&str>,
    ) -> Result<RecordPage<Aggregated>, CloudError>;
}
