//! SDK types converted to our model: nothing past this border sees them.

use aws_sdk_firehose::types as fh;
use aws_smithy_types::DateTime as SmithyTime;
use chrono::{DateTime, Utc};

use crate::model::trail::LookupSummary;
use crate::model::{
    Encryption, EncryptionStatus, Failure, KeyManager, KeyOrigin, KeySpec, KeyState, KeyType,
    KeyUsage, KmsKey, MultiRegion, Source, Stream, TrailEvent,
};

impl From<&fh::DeliveryStreamDescription> for Stream {
    fn from(d: &fh::DeliveryStreamDescription) -> Stream {
        Stream {
            name: d.delivery_stream_name().to_string(),
            arn: d.delivery_stream_arn().to_string(),
            source: Source::parse(d.delivery_stream_type().as_str()),
            status: d.delivery_stream_status().as_str().to_string(),
            encryption: d
                .delivery_stream_encryption_configuration()
                .map(Encryption::from)
                .unwrap_or_default(),
        }
    }
}

/// A value the SDK does not know (its `Unknown` variant) keeps AWS's string,
/// so it is shown as sent and judged `unknown`, never read as a known one. A
/// configuration with no status at all has the empty string: AWS said nothing.
impl From<&fh::DeliveryStreamEncryptionConfiguration> for Encryption {
    fn from(c: &fh::DeliveryStreamEncryptionConfiguration) -> Encryption {
        Encryption {
            status: EncryptionStatus::parse(c.status().map_or("", |s| s.as_str())),
            key_type: c.key_type().map(|t| KeyType::parse(t.as_str())),
            key_arn: c.key_arn().map(str::to_string),
            failure: c.failure_description().map(|f| Failure {
                // A hostile answer cannot balloon memory (see `text::bounded`).
                kind: crate::text::bounded(f.r#type().as_str().to_string()),
                details: crate::text::bounded(f.details().to_string()),
            }),
        }
    }
}

/// What `DescribeKey` says, without the rotation status (asked separately).
/// A value the SDK does not know keeps KMS's string, as for streams; a field
/// KMS left out is the empty string, `Unreported` where that is not a reason
/// to refuse a key.
impl From<&aws_sdk_kms::types::KeyMetadata> for KmsKey {
    fn from(m: &aws_sdk_kms::types::KeyMetadata) -> KmsKey {
        let multi_region = match m.multi_region_configuration() {
            Some(c)
                if c.multi_region_key_type()
                    == Some(&aws_sdk_kms::types::MultiRegionKeyType::Replica) =>
            {
                MultiRegion::Replica {
                    primary_region: c
                        .primary_key()
                        .and_then(|p| p.region())
                        .unwrap_or_default()
                        .to_string(),
                }
            }
            Some(_) if m.multi_region() == Some(true) => MultiRegion::Primary,
            _ => MultiRegion::Single,
        };
        KmsKey {
            id: m.key_id().to_string(),
            arn: m.arn().unwrap_or_default().to_string(),
            state: KeyState::parse(m.key_state().map_or("", |s| s.as_str())),
            spec: m
                .key_spec()
                .map_or(KeySpec::Unreported, |s| KeySpec::parse(s.as_str())),
            usage: m
                .key_usage()
                .map_or(KeyUsage::Unreported, |u| KeyUsage::parse(u.as_str())),
            manager: m
                .key_manager()
                .map_or(KeyManager::Unreported, |k| KeyManager::parse(k.as_str())),
            description: crate::text::bounded(m.description().unwrap_or_default().to_string()),
            deletion_date: m.deletion_date().and_then(from_smithy),
            origin: m
                .origin()
                .map_or(KeyOrigin::Unreported, |o| KeyOrigin::parse(o.as_str())),
            multi_region,
            rotation: None,
        }
    }
}

pub(super) fn to_smithy(t: DateTime<Utc>) -> SmithyTime {
    SmithyTime::from_millis(t.timestamp_millis())
}

pub(super) fn from_smithy(t: &SmithyTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(t.to_millis().ok()?)
}

/// Our event from the SDK's: the `CloudTrailEvent` record, with what
/// LookupEvents says beside it for whatever the record lacks.
pub(super) fn event_of(e: &aws_sdk_cloudtrail::types::Event) -> Option<TrailEvent> {
    let summary = LookupSummary {
        at: e.event_time().and_then(from_smithy),
        name: e.event_name().map(str::to_string),
        source: e.event_source().map(str::to_string),
        username: e.username().map(str::to_string),
        access_key_id: e.access_key_id().map(str::to_string),
        event_id: e.event_id().map(str::to_string),
        resources: e
            .resources()
            .iter()
            .filter_map(|r| r.resource_name().map(str::to_string))
            .collect(),
    };
    TrailEvent::from_record(e.cloud_trail_event(), summary)
}
