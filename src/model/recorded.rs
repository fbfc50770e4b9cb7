//! What AWS Config recorded of a delivery stream (resource type
//! `AWS::KinesisFirehose::DeliveryStream`), as plain data: its name, ARN,
//! source and configured key, captured at a time. AWS Config records the
//! stream with CloudFormation's resource schema (the `configuration` of a
//! configuration item holds `DeliveryStreamName`, `DeliveryStreamType`,
//! `Arn` and `DeliveryStreamEncryptionConfigurationInput` with `KeyType` and
//! `KeyARN`: awslabs/aws-config-resource-schema,
//! `AWS::KinesisFirehose::DeliveryStream.properties.json`). It does not
//! record the stream's status nor its encryption status (ENABLING,
//! ENABLING_FAILED…): those stay not known until a describe says them.

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::{Encryption, EncryptionStatus, KeyType, Source, Stream};

/// The resource type AWS Config records a delivery stream as.
pub const FIREHOSE_TYPE: &str = "AWS::KinesisFirehose::DeliveryStream";

/// AWS Config's limit on the resources one `BatchGetResourceConfig` (or
/// `BatchGetAggregateResourceConfig`) call takes, and the most one
/// `ListDiscoveredResources` page holds (AWS Config API reference).
pub const PER_CALL: usize = 100;

/// An AWS Config aggregator's name as AWS Config takes it (1 to 256
/// letters, digits, `_` or `-`): checked for the flag and the config alike,
/// so a bad one is refused before any call.
pub fn aggregator_name(value: &str) -> Result<String, String> {
    let fits = (1..=256).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if fits {
        Ok(value.to_string())
    } else {
        Err("an AWS Config aggregator name is 1 to 256 letters, digits, '_' or '-'".to_string())
    }
}

/// A stream as AWS Config recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedStream {
    /// What the record says, as a description would: the stream's status
    /// is empty and its encryption status `NotRecorded` (see the module).
    pub stream: Stream,
    /// `configurationItemCaptureTime`: when AWS Config recorded this state.
    pub captured: DateTime<Utc>,
}

/// One stream of an aggregator, with the account and region it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Aggregated {
    pub account: String,
    pub region: String,
    pub recorded: RecordedStream,
}

/// One page of records, and the token of the next page if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPage<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// Whether AWS Config's records can stand for this account and region's
/// streams until they are described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recording {
    /// A recorder records Firehose streams, and is recording. `daily`: it
    /// records them once a day, not on every change.
    On { daily: bool },
    /// Why they cannot, in words for the message log.
    Off(String),
}

/// What `DescribeConfigurationRecorders` and
/// `DescribeConfigurationRecorderStatus` say of one recorder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorder {
    pub name: String,
    /// `recordingGroup.allSupported`.
    pub all_supported: bool,
    /// `recordingGroup.resourceTypes`.
    pub resource_types: Vec<String>,
    /// `recordingGroup.exclusionByResourceTypes.resourceTypes`.
    pub excluded: Vec<String>,
    /// `recordingGroup.recordingStrategy.useOnly`: ALL_SUPPORTED_RESOURCE_TYPES,
    /// INCLUSION_BY_RESOURCE_TYPES or EXCLUSION_BY_RESOURCE_TYPES.
    pub strategy: Option<String>,
    /// The status's `recording`; `None` when no status was given for it.
    pub recording: Option<bool>,
    /// `recordingMode` records Firehose streams daily (its default
    /// frequency, or an override naming the type, is DAILY).
    pub daily: bool,
}

impl Recorder {
    /// Whether its recording group takes Firehose streams.
    pub fn takes_firehose(&self) -> bool {
        let named = self.resource_types.iter().any(|t| t == FIREHOSE_TYPE);
        match self.strategy.as_deref() {
            Some("EXCLUSION_BY_RESOURCE_TYPES") => {
                !self.excluded.iter().any(|t| t == FIREHOSE_TYPE)
            }
            Some("INCLUSION_BY_RESOURCE_TYPES") => named,
            Some("ALL_SUPPORTED_RESOURCE_TYPES") => true,
            _ => self.all_supported || named,
        }
    }
}

/// The verdict on a region's recorders: a record stands for the streams
/// only when a recorder takes Firehose streams and is recording now; a
/// stopped recorder's records may be out of date by any amount.
pub fn recording(recorders: &[Recorder]) -> Recording {
    if recorders.is_empty() {
        return Recording::Off("AWS Config has no configuration recorder here".into());
    }
    let Some(r) = recorders.iter().find(|r| r.takes_firehose()) else {
        return Recording::Off(format!(
            "AWS Config's recorder does not record {FIREHOSE_TYPE}"
        ));
    };
    match r.recording {
        Some(true) => Recording::On { daily: r.daily },
        Some(false) => Recording::Off(format!(
            "AWS Config's recorder {} is stopped: its records may be out of date",
            r.name
        )),
        None => Recording::Off(format!(
            "AWS Config gave no status for its recorder {}: whether it records now is not known",
            r.name
        )),
    }
}

/// The fields of a configuration item (or base configuration item) the
/// record is read from.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConfigItem<'a> {
    /// `configurationItemStatus`: OK, ResourceDiscovered,
    /// ResourceNotRecorded, ResourceDeleted, ResourceDeletedNotRecorded.
    pub status: Option<&'a str>,
    pub resource_name: Option<&'a str>,
    pub arn: Option<&'a str>,
    /// `configuration`: a JSON document, as a string.
    pub configuration: Option<&'a str>,
    pub captured: Option<DateTime<Utc>>,
}

/// The part of the recorded `configuration` firekeeper reads.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Configuration {
    delivery_stream_name: Option<String>,
    delivery_stream_type: Option<String>,
    arn: Option<String>,
    delivery_stream_encryption_configuration_input: Option<EncryptionInput>,
}

#[derive(Debug, Deserialize)]
struct EncryptionInput {
    #[serde(rename = "KeyType")]
    key_type: Option<String>,
    #[serde(rename = "KeyARN", alias = "KeyArn")]
    key_arn: Option<String>,
}

impl RecordedStream {
    /// The record in a configuration item; `Ok(None)` for an item that
    /// holds no state to show (the stream was deleted, or its state was not
    /// recorded); `Err` says what is wrong with an item that should.
    pub fn from_item(item: ConfigItem<'_>) -> Result<Option<RecordedStream>, String> {
        if matches!(
            item.status,
            Some("ResourceDeleted" | "ResourceDeletedNotRecorded" | "ResourceNotRecorded")
        ) {
            return Ok(None);
        }
        let raw = item
            .configuration
            .filter(|c| !c.trim().is_empty())
            .ok_or("the configuration item has no configuration")?;
        let c: Configuration = serde_json::from_str(raw)
            .map_err(|e| format!("the recorded configuration is not readable: {e}"))?;
        let name = c
            .delivery_stream_name
            .or_else(|| item.resource_name.map(str::to_string))
            .filter(|n| !n.is_empty())
            .ok_or("the configuration item names no stream")?;
        let captured = item
            .captured
            .ok_or("the configuration item has no capture time")?;
        let encryption = match c.delivery_stream_encryption_configuration_input {
            Some(e) => Encryption {
                status: EncryptionStatus::NotRecorded,
                key_type: e.key_type.as_deref().map(KeyType::parse),
                key_arn: e.key_arn.filter(|a| !a.is_empty()),
                failure: None,
            },
            None => Encryption {
                status: EncryptionStatus::NotRecorded,
                ..Encryption::default()
            },
        };
        let stream = Stream {
            arn: c
                .arn
                .or_else(|| item.arn.map(str::to_string))
                .unwrap_or_default(),
            name,
            // CloudFormation's default is DirectPut, but a record without
            // the type does not say it: left open.
            source: Source::parse(c.delivery_stream_type.as_deref().unwrap_or_default()),
            status: String::new(),
            encryption,
        };
        Ok(Some(RecordedStream { stream, captured }))
    }
}

impl Stream {
    /// Known only from AWS Config's record: its statuses are not known.
    pub fn only_recorded(&self) -> bool {
        self.encryption.status == EncryptionStatus::NotRecorded
    }
}

#[cfg(test)]
mod tests;
