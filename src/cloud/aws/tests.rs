use aws_smithy_types::DateTime as SmithyTime;

use super::*;
use crate::model::{Encryption, EncryptionStatus, KeyState, KeyType, KeyUsage, Source};

#[test]
fn query_ids_round_trip() {
    assert_eq!(parse_query_id("s124m3"), Some((124, 3)));
    assert_eq!(parse_query_id("s1m4"), None);
    assert_eq!(parse_query_id("x1m1"), None);
}

#[test]
fn error_codes_become_kinds_the_user_can_act_on() {
    let m = || "msg".to_string();
    assert!(matches!(
        classify("ThrottlingException", m()),
        CloudError::Throttled(_)
    ));
    assert!(matches!(
        classify("LimitExceededException", m()),
        CloudError::LimitExceeded(_)
    ));
    assert!(matches!(
        classify("AccessDeniedException", m()),
        CloudError::AccessDenied(_)
    ));
    assert!(matches!(
        classify("ExpiredToken", m()),
        CloudError::Credentials(_)
    ));
    assert!(matches!(
        classify("ResourceInUseException", m()),
        CloudError::InUse(_)
    ));
    assert!(matches!(
        classify("InvalidKMSResourceException", m()),
        CloudError::InvalidKms(_)
    ));
}

#[test]
fn description_converts_with_and_without_encryption() {
    let d = fh::DeliveryStreamDescription::builder()
        .delivery_stream_name("s")
        .delivery_stream_arn("arn:aws:firehose:us-east-1:1:deliverystream/s")
        .delivery_stream_status(fh::DeliveryStreamStatus::Active)
        .delivery_stream_type(fh::DeliveryStreamType::DirectPut)
        .version_id("1")
        .has_more_destinations(false)
        .set_destinations(Some(vec![]))
        .build()
        .unwrap();
    let s = Stream::from(&d);
    assert_eq!(s.source, Source::DirectPut);
    assert_eq!(s.status, "ACTIVE");
    assert_eq!(s.encryption, Encryption::default());

    let enc = fh::DeliveryStreamEncryptionConfiguration::builder()
        .key_type(fh::KeyType::CustomerManagedCmk)
        .key_arn("arn:aws:kms:us-east-1:1:key/k")
        .status(fh::DeliveryStreamEncryptionStatus::EnablingFailed)
        .failure_description(
            fh::FailureDescription::builder()
                .r#type(fh::DeliveryStreamFailureType::DisabledKmsKey)
                .details("disabled")
                .build()
                .unwrap(),
        )
        .build();
    let e = Encryption::from(&enc);
    assert_eq!(e.status, EncryptionStatus::EnablingFailed);
    assert_eq!(e.key_type, Some(KeyType::CustomerManaged));
    assert_eq!(e.failure.unwrap().kind, "DISABLED_KMS_KEY");
}

/// A value the SDK does not know arrives as its `Unknown` variant: it must
/// keep AWS's string, never become a known value (an unknown status once
/// read as DISABLED, "not encrypted").
#[test]
fn an_encryption_value_the_sdk_does_not_know_keeps_aws_string() {
    let enc = fh::DeliveryStreamEncryptionConfiguration::builder()
        .status(fh::DeliveryStreamEncryptionStatus::from("FOO"))
        .key_type(fh::KeyType::from("QUANTUM_CMK"))
        .build();
    assert!(!fh::DeliveryStreamEncryptionStatus::values().contains(&"FOO"));
    let e = Encryption::from(&enc);
    assert_eq!(e.status, EncryptionStatus::Other("FOO".into()));
    assert_eq!(e.key_type, Some(KeyType::Other("QUANTUM_CMK".into())));

    // No status at all is not DISABLED either: AWS said nothing.
    let e = Encryption::from(&fh::DeliveryStreamEncryptionConfiguration::builder().build());
    assert_eq!(e.status, EncryptionStatus::Other(String::new()));
    assert_eq!(e.key_type, None);
}

#[test]
fn a_stream_status_or_source_the_sdk_does_not_know_keeps_aws_string() {
    let d = fh::DeliveryStreamDescription::builder()
        .delivery_stream_name("s")
        .delivery_stream_arn("arn:aws:firehose:us-east-1:1:deliverystream/s")
        .delivery_stream_status(fh::DeliveryStreamStatus::from("HIBERNATING"))
        .delivery_stream_type(fh::DeliveryStreamType::from("IcebergAsSource"))
        .version_id("1")
        .has_more_destinations(false)
        .set_destinations(Some(vec![]))
        .build()
        .unwrap();
    let s = Stream::from(&d);
    assert_eq!(s.status, "HIBERNATING");
    assert_eq!(s.source, Source::Other("IcebergAsSource".into()));
}

#[test]
fn a_key_value_the_sdk_does_not_know_keeps_kms_string() {
    use aws_sdk_kms::types as kms;
    let m = kms::KeyMetadata::builder()
        .key_id("k")
        .arn("arn:aws:kms:us-east-1:1:key/k")
        .key_state(kms::KeyState::from("Archived"))
        .key_spec(kms::KeySpec::from("PQC_9000"))
        .key_usage(kms::KeyUsageType::from("WRAP_UNWRAP"))
        .key_manager(kms::KeyManagerType::Customer)
        .build()
        .unwrap();
    let k = KmsKey::from(&m);
    assert_eq!(k.state, KeyState::Other("Archived".into()));
    assert_eq!(k.spec, KeySpec::Other("PQC_9000".into()));
    assert_eq!(k.usage, KeyUsage::Other("WRAP_UNWRAP".into()));

    // Left out: the state is not guessed, spec and usage are unreported.
    let m = kms::KeyMetadata::builder().key_id("k").build().unwrap();
    let k = KmsKey::from(&m);
    assert_eq!(k.state, KeyState::Other(String::new()));
    assert_eq!(k.spec, KeySpec::Unreported);
    assert_eq!(k.usage, KeyUsage::Unreported);
    let m = kms::KeyMetadata::builder()
        .key_id("k")
        .key_state(kms::KeyState::PendingReplicaDeletion)
        .build()
        .unwrap();
    assert_eq!(KmsKey::from(&m).state, KeyState::PendingReplicaDeletion);
}

#[test]
fn an_sdk_event_converts_from_its_record_and_its_summary() {
    use aws_sdk_cloudtrail::types::{Event, Resource};
    let record = r#"{"eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "userName": "maria.garcia",
            "arn": "arn:aws:iam::123456789012:user/maria.garcia"},
        "eventTime": "2026-11-21T11:15:00Z", "eventSource": "firehose.amazonaws.com",
        "eventName": "StopDeliveryStreamEncryption", "awsRegion": "us-east-1",
        "requestParameters": {"deliveryStreamName": "orders"},
        "responseElements": null, "requestID": "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b",
        "eventID": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d", "readOnly": false,
        "eventType": "AwsApiCall", "managementEvent": true,
        "recipientAccountId": "123456789012", "eventCategory": "Management"}"#;
    let at = SmithyTime::from_secs(1_795_000_000);
    let sdk = Event::builder()
        .event_id("9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d")
        .event_name("StopDeliveryStreamEncryption")
        .event_time(at)
        .event_source("firehose.amazonaws.com")
        .username("maria.garcia")
        .resources(
            Resource::builder()
                .resource_type("AWS::KinesisFirehose::DeliveryStream")
                .resource_name("orders")
                .build(),
        )
        .cloud_trail_event(record)
        .build();
    let e = event_of(&sdk).unwrap();
    assert_eq!(e.by.as_deref(), Some("maria.garcia"));
    assert_eq!(e.resource.as_deref(), Some("orders"));
    assert_eq!(
        e.request_id.as_deref(),
        Some("0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b")
    );
    assert_eq!(
        e.at.to_rfc3339(),
        "2026-11-21T11:15:00+00:00",
        "the record's time"
    );
    // Without its record, an event is what LookupEvents says beside it.
    let bare = Event::builder()
        .event_name("StopDeliveryStreamEncryption")
        .event_time(at)
        .username("maria.garcia")
        .resources(Resource::builder().resource_name("orders").build())
        .build();
    let e = event_of(&bare).unwrap();
    assert_eq!(e.at, from_smithy(&at).unwrap());
    assert_eq!(
        (e.by.as_deref(), e.resource.as_deref()),
        (Some("maria.garcia"), Some("orders"))
    );
    assert_eq!(e.request_id, None);
    assert_eq!(
        event_of(&Event::builder().build()),
        None,
        "no time, no event"
    );
}

/// Endpoints as the environment or a profile's `services` section gives
/// them, by service id.
#[derive(Debug)]
struct Configured(&'static [(&'static str, &'static str)]);

impl aws_types::service_config::LoadServiceConfig for Configured {
    fn load_config(&self, key: aws_types::service_config::ServiceConfigKey<'_>) -> Option<String> {
        self.0
            .iter()
            .find(|(id, _)| *id == key.service_id())
            .map(|(_, url)| url.to_string())
    }
}

#[test]
fn a_deadline_names_the_endpoint_each_service_really_uses() {
    let config = |region: &str, configured: &'static [(&'static str, &'static str)]| {
        SdkConfig::builder()
            .region(Region::new(region.to_string()))
            .service_config(Configured(configured))
            .behavior_version(BehaviorVersion::latest())
            .build()
    };
    // AWS_ENDPOINT_URL_STS (or a profile's sts endpoint_url): STS only.
    let e = endpoints::Endpoints::of(
        &config("us-east-1", &[("STS", "http://127.0.0.1:4566")]),
        "us-east-1",
    );
    assert_eq!(e.get("sts"), "http://127.0.0.1:4566");
    assert_eq!(
        e.get("firehose"),
        "https://firehose.us-east-1.amazonaws.com"
    );
    assert_eq!(
        e.get("monitoring"),
        "https://monitoring.us-east-1.amazonaws.com"
    );
    // The defaults are the partition's, as the SDK's rules give them.
    let cn = endpoints::Endpoints::of(&config("cn-north-1", &[]), "cn-north-1");
    assert_eq!(cn.get("kms"), "https://kms.cn-north-1.amazonaws.com.cn");
    assert_eq!(cn.get("sts"), "https://sts.cn-north-1.amazonaws.com.cn");
    // An endpoint given to the client (--endpoint-url, set on the loader)
    // wins over the rest, as the SDK's clients take it.
    let mut given = SdkConfig::builder()
        .region(Region::new("us-east-1"))
        .endpoint_url("http://localhost:9000")
        .service_config(Configured(&[("STS", "http://127.0.0.1:4566")]))
        .behavior_version(BehaviorVersion::latest());
    given.insert_origin("endpoint_url", aws_types::origin::Origin::shared_config());
    let given = given.build();
    let e = endpoints::Endpoints::of(&given, "us-east-1");
    assert_eq!(e.get("sts"), "http://localhost:9000");
    assert_eq!(e.get("cloudtrail"), "http://localhost:9000");
}
