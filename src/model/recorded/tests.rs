use chrono::TimeZone;

use super::*;

/// A configuration item's `configuration` as AWS Config records a stream:
/// CloudFormation's property names, the destination beside the key.
const RECORDED: &str = r#"{
  "DeliveryStreamName": "orders",
  "DeliveryStreamType": "DirectPut",
  "Arn": "arn:aws:firehose:eu-west-1:123456789012:deliverystream/orders",
  "DeliveryStreamEncryptionConfigurationInput": {
    "KeyType": "CUSTOMER_MANAGED_CMK",
    "KeyARN": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  },
  "ExtendedS3DestinationConfiguration": {
    "BucketARN": "arn:aws:s3:::orders-archive",
    "RoleARN": "arn:aws:iam::123456789012:role/firehose",
    "BufferingHints": { "IntervalInSeconds": 300, "SizeInMBs": 5 }
  }
}"#;

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 30, 0).unwrap()
}

fn item(configuration: &str) -> ConfigItem<'_> {
    ConfigItem {
        status: Some("OK"),
        resource_name: Some("orders"),
        arn: Some("arn:aws:firehose:eu-west-1:123456789012:deliverystream/orders"),
        configuration: Some(configuration),
        captured: Some(at()),
    }
}

#[test]
fn a_recorded_stream_has_its_key_and_source_and_no_status() {
    let r = RecordedStream::from_item(item(RECORDED)).unwrap().unwrap();
    assert_eq!(r.captured, at());
    assert_eq!(r.stream.name, "orders");
    assert_eq!(r.stream.source, Source::DirectPut);
    assert_eq!(
        r.stream.arn,
        "arn:aws:firehose:eu-west-1:123456789012:deliverystream/orders"
    );
    let enc = &r.stream.encryption;
    assert_eq!(enc.key_type, Some(KeyType::CustomerManaged));
    assert_eq!(
        enc.key_arn.as_deref(),
        Some("arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    );
    // Not recorded: never guessed.
    assert_eq!(enc.status, EncryptionStatus::NotRecorded);
    assert_eq!(r.stream.status, "");
    assert!(r.stream.only_recorded());
}

#[test]
fn no_encryption_input_records_no_key_and_an_aws_owned_key_has_no_arn() {
    let plain = r#"{"DeliveryStreamName":"logs","DeliveryStreamType":"KinesisStreamAsSource"}"#;
    let r = RecordedStream::from_item(item(plain)).unwrap().unwrap();
    assert_eq!(r.stream.source, Source::KinesisStreamAsSource);
    assert_eq!(r.stream.encryption.key_type, None);
    assert_eq!(r.stream.encryption.status, EncryptionStatus::NotRecorded);
    // The item's ARN when the configuration has none.
    assert!(r.stream.arn.ends_with("deliverystream/orders"));
    let owned = r#"{"DeliveryStreamName":"a","DeliveryStreamEncryptionConfigurationInput":{"KeyType":"AWS_OWNED_CMK"}}"#;
    let r = RecordedStream::from_item(item(owned)).unwrap().unwrap();
    assert_eq!(r.stream.encryption.key_type, Some(KeyType::AwsOwned));
    assert_eq!(r.stream.encryption.key_arn, None);
    // No type recorded: not known, not DirectPut.
    assert_eq!(r.stream.source, Source::Other(String::new()));
}

#[test]
fn deleted_and_unrecorded_items_hold_no_state_and_broken_ones_say_why() {
    for status in [
        "ResourceDeleted",
        "ResourceDeletedNotRecorded",
        "ResourceNotRecorded",
    ] {
        let i = ConfigItem {
            status: Some(status),
            ..item(RECORDED)
        };
        assert_eq!(RecordedStream::from_item(i), Ok(None), "{status}");
    }
    let err = RecordedStream::from_item(item("not json")).unwrap_err();
    assert!(err.contains("not readable"), "{err}");
    let no_time = ConfigItem {
        captured: None,
        ..item(RECORDED)
    };
    assert!(RecordedStream::from_item(no_time)
        .unwrap_err()
        .contains("capture time"));
    let empty = ConfigItem {
        configuration: Some(""),
        ..item(RECORDED)
    };
    assert!(RecordedStream::from_item(empty).is_err());
}

fn recorder(strategy: Option<&str>, types: &[&str], excluded: &[&str]) -> Recorder {
    Recorder {
        name: "default".into(),
        all_supported: false,
        resource_types: types.iter().map(ToString::to_string).collect(),
        excluded: excluded.iter().map(ToString::to_string).collect(),
        strategy: strategy.map(str::to_string),
        recording: Some(true),
        daily: false,
    }
}

#[test]
fn a_recorder_takes_firehose_by_its_strategy() {
    let all = Recorder {
        all_supported: true,
        ..recorder(None, &[], &[])
    };
    assert!(all.takes_firehose());
    assert!(recorder(None, &[FIREHOSE_TYPE], &[]).takes_firehose());
    assert!(!recorder(None, &["AWS::S3::Bucket"], &[]).takes_firehose());
    assert!(recorder(
        Some("EXCLUSION_BY_RESOURCE_TYPES"),
        &[],
        &["AWS::S3::Bucket"]
    )
    .takes_firehose());
    assert!(!recorder(Some("EXCLUSION_BY_RESOURCE_TYPES"), &[], &[FIREHOSE_TYPE]).takes_firehose());
    assert!(!recorder(
        Some("INCLUSION_BY_RESOURCE_TYPES"),
        &["AWS::S3::Bucket"],
        &[]
    )
    .takes_firehose());
}

#[test]
fn records_stand_only_for_a_recorder_that_takes_firehose_and_is_recording() {
    assert!(
        matches!(recording(&[]), Recording::Off(why) if why.contains("no configuration recorder"))
    );
    let other = recorder(None, &["AWS::S3::Bucket"], &[]);
    assert!(matches!(recording(&[other]), Recording::Off(why) if why.contains(FIREHOSE_TYPE)));
    let on = recorder(None, &[FIREHOSE_TYPE], &[]);
    assert_eq!(
        recording(std::slice::from_ref(&on)),
        Recording::On { daily: false }
    );
    let stopped = Recorder {
        recording: Some(false),
        ..on.clone()
    };
    assert!(matches!(recording(&[stopped]), Recording::Off(why) if why.contains("stopped")));
    let silent = Recorder {
        recording: None,
        ..on
    };
    assert!(matches!(recording(&[silent]), Recording::Off(why) if why.contains("not known")));
}
