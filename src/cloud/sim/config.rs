//! AWS Config in the simulator: a recorder that records the region's
//! Firehose streams, as the demo's account would have, so `--demo` shows the
//! cold start; tests turn it off or deny it. What it records is what AWS
//! Config keeps of a stream: its name, ARN, source and configured key (the
//! key a Start named, even one that failed), never its statuses, captured
//! when the configuration last changed.

use chrono::{DateTime, Utc};

use super::{SimCloud, SimStream};
use crate::cloud::CloudError;
use crate::model::recorded::PER_CALL;
use crate::model::{
    Aggregated, Encryption, EncryptionStatus, RecordPage, RecordedStream, Recording,
};

/// What the simulated AWS Config answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimConfig {
    /// It records Firehose streams, continuously.
    Recording,
    /// Its recorder is stopped, or records other types: why, as the model
    /// says it.
    Off(String),
    /// Every AWS Config call is refused (`AccessDeniedException`).
    Denied,
}

impl SimCloud {
    /// Sets what AWS Config answers from now on.
    pub fn set_config(&self, config: SimConfig) {
        self.settled().0.config = config;
    }

    pub(super) fn config_answer(&self) -> Result<Recording, CloudError> {
        let (state, _) = self.settled();
        match &state.config {
            SimConfig::Recording => Ok(Recording::On { daily: false }),
            SimConfig::Off(why) => Ok(Recording::Off(why.clone())),
            SimConfig::Denied => Err(self.config_denied("DescribeConfigurationRecorders")),
        }
    }

    /// A page of the streams' records, after the name `page` holds: the
    /// token is the last name of the page before, as good as AWS's opaque one.
    pub(super) fn records(
        &self,
        page: Option<&str>,
    ) -> Result<RecordPage<RecordedStream>, CloudError> {
        let (state, _) = self.settled();
        if state.config == SimConfig::Denied {
            return Err(self.config_denied("ListDiscoveredResources"));
        }
        let mut after = state
            .streams
            .iter()
            .filter(|(n, _)| page.is_none_or(|p| n.as_str() > p));
        let items: Vec<RecordedStream> = after
            .by_ref()
            .take(PER_CALL)
            .map(|(_, s)| record(s, state.recorded_since))
            .collect();
        let next = after
            .next()
            .and(items.last().map(|r| r.stream.name.clone()));
        Ok(RecordPage { items, next })
    }

    /// The demo's aggregator covers its own account and region: any other
    /// name is not an aggregator there, as AWS Config says.
    pub(super) fn aggregate(
        &self,
        aggregator: &str,
        page: Option<&str>,
    ) -> Result<RecordPage<Aggregated>, CloudError> {
        if aggregator != DEMO_AGGREGATOR {
            return Err(CloudError::NotFound(format!(
                "NoSuchConfigurationAggregatorException: the configuration aggregator {aggregator} does not exist (the demo's is {DEMO_AGGREGATOR})"
            )));
        }
        let own = self.records(page)?;
        Ok(RecordPage {
            items: own
                .items
                .into_iter()
                .map(|recorded| Aggregated {
                    account: self.account.clone(),
                    region: self.region.clone(),
                    recorded,
                })
                .collect(),
            next: own.next,
        })
    }

    fn config_denied(&self, operation: &str) -> CloudError {
        CloudError::AccessDenied(format!(
            "User: arn:aws:sts::{}:assumed-role/demo/{} is not authorized to perform: config:{operation}",
            self.account,
            super::history::SESSION
        ))
    }
}

/// The name of the demo's aggregator.
pub const DEMO_AGGREGATOR: &str = "demo-organization";

/// What AWS Config holds of a stream: its configured key, as a Start or
/// Stop set it, captured at that call (or when recording began).
fn record(s: &SimStream, since: DateTime<Utc>) -> RecordedStream {
    let configured = match s.stream.encryption.status {
        EncryptionStatus::Disabled | EncryptionStatus::Disabling => Encryption::default(),
        _ => s.stream.encryption.clone(),
    };
    let mut stream = s.stream.clone();
    stream.status = String::new();
    stream.encryption = Encryption {
        status: EncryptionStatus::NotRecorded,
        failure: None,
        ..configured
    };
    RecordedStream {
        stream,
        captured: s.calls.last().copied().unwrap_or(since).max(since),
    }
}
