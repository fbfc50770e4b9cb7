use super::*;

/// A StartDeliveryStreamEncryption record as CloudTrail keeps it (the shape
/// of the AWS CloudTrail User Guide's record contents, with a role session
/// that Terraform runs as).
const TERRAFORM_START: &str = r#"{
  "eventVersion": "1.09",
  "userIdentity": {
    "type": "AssumedRole",
    "principalId": "AROA4EXAMPLE7ROLEID01:terraform",
    "arn": "arn:aws:sts::123456789012:assumed-role/deploy/terraform",
    "accountId": "123456789012",
    "accessKeyId": "ASIA4EXAMPLEKEYID001",
    "sessionContext": {
      "sessionIssuer": {
        "type": "Role",
        "principalId": "AROA4EXAMPLE7ROLEID01",
        "arn": "arn:aws:iam::123456789012:role/deploy",
        "accountId": "123456789012",
        "userName": "deploy"
      },
      "attributes": {
        "creationDate": "2026-11-21T09:58:02Z",
        "mfaAuthenticated": "false"
      }
    }
  },
  "eventTime": "2026-11-21T10:04:31Z",
  "eventSource": "firehose.amazonaws.com",
  "eventName": "StartDeliveryStreamEncryption",
  "awsRegion": "us-east-1",
  "sourceIPAddress": "198.51.100.7",
  "userAgent": "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 terraform-provider-aws/5.80.0",
  "requestParameters": {
    "deliveryStreamName": "shipping-updates",
    "deliveryStreamEncryptionConfigurationInput": {
      "keyARN": "arn:aws:kms:us-east-1:123456789012:key/1f0e7c2a-4b1d-4e8f-9a3c-5d6e7f809a1b",
      "keyType": "CUSTOMER_MANAGED_CMK"
    }
  },
  "responseElements": null,
  "requestID": "d4b5c1e0-8a1f-4c3e-9b7a-2f6e0c9d1a23",
  "eventID": "6c1f3e2a-0b9d-4f47-8e65-1a2b3c4d5e6f",
  "readOnly": false,
  "eventType": "AwsApiCall",
  "managementEvent": true,
  "recipientAccountId": "123456789012",
  "eventCategory": "Management",
  "tlsDetails": {
    "tlsVersion": "TLSv1.3",
    "cipherSuite": "TLS_AES_128_GCM_SHA256",
    "clientProvidedHostHeader": "firehose.us-east-1.amazonaws.com"
  }
}"#;

/// A Stop that AWS refused, by an IAM user.
const REFUSED_STOP: &str = r#"{
  "eventVersion": "1.09",
  "userIdentity": {
    "type": "IAMUser",
    "principalId": "AIDA4EXAMPLEUSERID01",
    "arn": "arn:aws:iam::123456789012:user/maria.garcia",
    "accountId": "123456789012",
    "accessKeyId": "AKIA4EXAMPLEKEYID002",
    "userName": "maria.garcia"
  },
  "eventTime": "2026-11-21T11:15:00Z",
  "eventSource": "firehose.amazonaws.com",
  "eventName": "StopDeliveryStreamEncryption",
  "awsRegion": "us-east-1",
  "sourceIPAddress": "203.0.113.20",
  "userAgent": "aws-cli/2.22.0",
  "errorCode": "ResourceInUseException",
  "errorMessage": "Firehose shipping-updates is not in the ACTIVE state.",
  "requestParameters": {"deliveryStreamName": "shipping-updates"},
  "responseElements": null,
  "requestID": "0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b",
  "eventID": "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d",
  "readOnly": false,
  "eventType": "AwsApiCall",
  "managementEvent": true,
  "recipientAccountId": "123456789012",
  "eventCategory": "Management"
}"#;

/// DisableKey on a key, by someone signed in through IAM Identity Center.
const DISABLE_KEY: &str = r#"{
  "eventVersion": "1.09",
  "userIdentity": {
    "type": "AssumedRole",
    "principalId": "AROA4EXAMPLESSOROLE1:dana.whitfield@example.com",
    "arn": "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/dana.whitfield@example.com",
    "accountId": "123456789012",
    "sessionContext": {
      "sessionIssuer": {
        "type": "Role",
        "arn": "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123456789abcdef",
        "userName": "AWSReservedSSO_Admin_0123456789abcdef"
      }
    }
  },
  "eventTime": "2026-11-21T16:55:00Z",
  "eventSource": "kms.amazonaws.com",
  "eventName": "DisableKey",
  "awsRegion": "us-east-1",
  "requestParameters": {"keyId": "6e5f2b70-9062-4d34-8f81-a2b3c4d5e6f7"},
  "responseElements": null,
  "requestID": "5f4e3d2c-1b0a-4f9e-8d7c-6b5a4f3e2d1c",
  "eventID": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
  "readOnly": false,
  "resources": [
    {
      "accountId": "123456789012",
      "type": "AWS::KMS::Key",
      "ARN": "arn:aws:kms:us-east-1:123456789012:key/6e5f2b70-9062-4d34-8f81-a2b3c4d5e6f7"
    }
  ],
  "eventType": "AwsApiCall",
  "managementEvent": true,
  "recipientAccountId": "123456789012",
  "eventCategory": "Management"
}"#;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn a_start_names_its_caller_stream_key_and_request() {
    let e = TrailEvent::from_record(Some(TERRAFORM_START), LookupSummary::default()).unwrap();
    assert_eq!(
        e,
        TrailEvent {
            at: at("2026-11-21T10:04:31Z"),
            name: START.into(),
            source: FIREHOSE.into(),
            by: Some("deploy/terraform".into()),
            resource: Some("shipping-updates".into()),
            request_id: Some("d4b5c1e0-8a1f-4c3e-9b7a-2f6e0c9d1a23".into()),
            error_code: None,
            key: Some(KeyRef::Customer(
                "arn:aws:kms:us-east-1:123456789012:key/1f0e7c2a-4b1d-4e8f-9a3c-5d6e7f809a1b"
                    .into()
            )),
            access_key_id: Some("ASIA4EXAMPLEKEYID001".into()),
            event_id: Some("6c1f3e2a-0b9d-4f47-8e65-1a2b3c4d5e6f".into()),
            user_agent: Some(
                "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 terraform-provider-aws/5.80.0".into()
            ),
        }
    );
    assert!(e.spends_quota());
}

#[test]
fn a_refused_stop_keeps_its_error_code_and_the_users_name() {
    let e = TrailEvent::from_record(Some(REFUSED_STOP), LookupSummary::default()).unwrap();
    assert_eq!(e.name, STOP);
    assert_eq!(e.by.as_deref(), Some("maria.garcia"));
    assert_eq!(e.error_code.as_deref(), Some("ResourceInUseException"));
    assert_eq!(e.resource.as_deref(), Some("shipping-updates"));
    assert_eq!(e.key, None, "a Stop names no key");
}

#[test]
fn a_kms_event_is_about_its_key_and_a_sso_session_is_named() {
    let e = TrailEvent::from_record(Some(DISABLE_KEY), LookupSummary::default()).unwrap();
    assert_eq!(e.name, "DisableKey");
    assert_eq!(e.source, KMS);
    assert_eq!(
        e.by.as_deref(),
        Some("AWSReservedSSO_Admin_0123456789abcdef/dana.whitfield@example.com")
    );
    assert_eq!(
        e.resource.as_deref(),
        Some("arn:aws:kms:us-east-1:123456789012:key/6e5f2b70-9062-4d34-8f81-a2b3c4d5e6f7")
    );
    assert!(!e.spends_quota());
}

#[test]
fn an_aws_owned_key_and_other_callers_read_plainly() {
    let record = r#"{"eventTime": "2026-11-21T10:00:00Z",
        "eventName": "StartDeliveryStreamEncryption",
        "userIdentity": {"type": "Root", "arn": "arn:aws:iam::123456789012:root"},
        "requestParameters": {"DeliveryStreamName": "s",
            "DeliveryStreamEncryptionConfigurationInput": {"KeyType": "AWS_OWNED_CMK"}}}"#;
    let e = TrailEvent::from_record(Some(record), LookupSummary::default()).unwrap();
    assert_eq!(e.key, Some(KeyRef::AwsOwned));
    assert_eq!(e.by.as_deref(), Some("root"));
    assert_eq!(e.resource.as_deref(), Some("s"), "any case of the name");
}

#[test]
fn what_the_record_lacks_comes_from_the_summary() {
    let summary = LookupSummary {
        at: Some(at("2026-11-21T12:00:00Z")),
        name: Some(STOP.into()),
        source: Some(FIREHOSE.into()),
        username: Some("someone".into()),
        access_key_id: Some("AKIA4EXAMPLEKEYID009".into()),
        resources: vec!["orders".into()],
        event_id: Some("0d1e2f3a-4b5c-4d6e-8f7a-8b9c0d1e2f3a".into()),
    };
    for record in [None, Some("not json {"), Some("{}"), Some("[1, 2]")] {
        let e = TrailEvent::from_record(record, summary.clone()).unwrap();
        assert_eq!(e.at, at("2026-11-21T12:00:00Z"), "{record:?}");
        assert_eq!(e.by.as_deref(), Some("someone"));
        assert_eq!(e.resource.as_deref(), Some("orders"));
        assert_eq!(e.access_key_id.as_deref(), Some("AKIA4EXAMPLEKEYID009"));
        assert_eq!((e.request_id, e.error_code, e.key), (None, None, None));
    }
    // A record with no time, beside a summary with none, is no event.
    assert_eq!(
        TrailEvent::from_record(Some("{}"), LookupSummary::default()),
        None
    );
    // A customer key type without an ARN names no key.
    let odd = r#"{"eventTime": "2026-11-21T10:00:00Z", "eventName": "StartDeliveryStreamEncryption",
        "requestParameters": {"deliveryStreamEncryptionConfigurationInput": {"keyType": "CUSTOMER_MANAGED_CMK"}},
        "errorCode": ""}"#;
    let e = TrailEvent::from_record(Some(odd), LookupSummary::default()).unwrap();
    assert_eq!((e.key, e.error_code), (None, None));
    assert_eq!(e.by.as_deref(), Some(UNNAMED), "someone, never nobody");
}

fn key_event(name: &str, at_: &str, by: &str, rid: Option<&str>) -> TrailEvent {
    TrailEvent {
        at: at(at_),
        name: name.into(),
        source: KMS.into(),
        by: Some(by.into()),
        resource: Some("arn:aws:kms:us-east-1:123456789012:key/k".into()),
        request_id: rid.map(str::to_string),
        error_code: None,
        key: None,
        access_key_id: None,
        event_id: None,
        user_agent: None,
    }
}

#[test]
fn history_keeps_each_call_once_and_says_the_latest() {
    let now = at("2026-11-21T12:00:00Z");
    let mut h = History::default();
    let first = vec![
        key_event("DisableKey", "2026-11-21T09:00:00Z", "ana", Some("r1")),
        key_event("EnableKey", "2026-11-21T10:00:00Z", "ben", Some("r2")),
        key_event("DisableKey", "2026-11-21T11:00:00Z", "cho", None),
    ];
    assert_eq!(h.add(first.clone(), now).len(), 3);
    // A later look reads the same minutes again: nothing new.
    assert!(h.add(first, now).is_empty());
    let key = "arn:aws:kms:us-east-1:123456789012:key/k";
    let latest = h.latest(key, &["DisableKey"]).unwrap();
    assert_eq!(latest.by.as_deref(), Some("cho"));
    assert_eq!(
        h.latest(key, &["DisableKey", "EnableKey"])
            .unwrap()
            .by
            .as_deref(),
        Some("cho")
    );
    assert!(h.latest("another", &["DisableKey"]).is_none());
    // Two days on, the old calls are forgotten, and may be told again.
    let later = at("2026-11-23T11:30:00Z");
    let fresh = key_event("PutKeyPolicy", "2026-11-23T11:00:00Z", "dev", Some("r4"));
    assert_eq!(h.add(vec![fresh], later).len(), 1);
    assert_eq!(h.len(), 1);
    assert!(h.latest(key, &["DisableKey"]).is_none());
}

#[test]
fn deeds_read_as_sentences() {
    let e = key_event("ScheduleKeyDeletion", "2026-11-21T09:00:00Z", "ana", None);
    assert_eq!(e.deed(), Some("was scheduled for deletion"));
    let read = key_event("DescribeKey", "2026-11-21T09:00:00Z", "ana", None);
    assert_eq!(read.deed(), None, "a read changes nothing");
}

#[test]
fn a_look_that_reads_an_event_again_takes_it_once_by_its_event_id() {
    let now = at("2026-11-21T12:00:00Z");
    let with_id = |id: &str, rid: Option<&str>| TrailEvent {
        event_id: Some(id.into()),
        user_agent: None,
        ..key_event("DisableKey", "2026-11-21T11:10:00Z", "alice", rid)
    };
    let mut h = History::default();
    // Two calls at the same second on the same key, neither with a request
    // id (a record that lost it): two events, by their ids.
    let first = vec![with_id("ev-1", None), with_id("ev-2", None)];
    assert_eq!(h.add(first.clone(), now).len(), 2);
    // The next look overlaps the last hour and reads both again.
    assert!(h.add(first, now).is_empty(), "each event once");
    // One delivered late, dated within the overlap, is new.
    let late = with_id("ev-3", Some("r-3"));
    assert_eq!(h.add(vec![late.clone(), late], now).len(), 1);
    assert_eq!(h.len(), 3);
}
