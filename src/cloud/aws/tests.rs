use super::*;

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
