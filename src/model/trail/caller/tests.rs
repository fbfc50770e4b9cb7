//! Every `userIdentity` shape of the AWS CloudTrail User Guide ("CloudTrail
//! userIdentity element", and the FederatedUser record of its service
//! pages), as CloudTrail writes it.

use serde_json::{json, Value};

use super::*;
use crate::model::trail::{LookupSummary, TrailEvent};

const HOME: Option<&str> = Some("123456789012");

fn named(identity: Value) -> String {
    name(&identity, HOME).unwrap()
}

#[test]
fn an_iam_user_is_its_user_name() {
    let alice = json!({
        "type": "IAMUser",
        "principalId": "AIDAJ45Q7YFFAREXAMPLE",
        "arn": "arn:aws:iam::123456789012:user/Alice",
        "accountId": "123456789012",
        "accessKeyId": "",
        "userName": "Alice"
    });
    assert_eq!(named(alice), "Alice");
    let no_user_name = json!({"type": "IAMUser",
        "arn": "arn:aws:iam::123456789012:user/ops/Alice", "accountId": "123456789012"});
    assert_eq!(named(no_user_name), "Alice", "the ARN's last part");
}

#[test]
fn an_assumed_role_is_role_slash_session() {
    let doc = json!({
        "type": "AssumedRole",
        "principalId": "AROAIDPPEZS35WEXAMPLE:AssumedRoleSessionName",
        "arn": "arn:aws:sts::123456789012:assumed-role/RoleToBeAssumed/MySessionName",
        "accountId": "123456789012",
        "accessKeyId": "",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAIDPPEZS35WEXAMPLE",
                "arn": "arn:aws:iam::123456789012:role/RoleToBeAssumed",
                "accountId": "123456789012",
                "userName": "RoleToBeAssumed"
            },
            "signInSessionArn": "arn:aws:signin:us-east-1:123456789012:session/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
            "attributes": {"mfaAuthenticated": "false", "creationDate": "20131102T010628Z"}
        }
    });
    assert_eq!(named(doc), "RoleToBeAssumed/MySessionName");
    let sso = json!({
        "type": "AssumedRole",
        "principalId": "AROA4EXAMPLESSOROLE1:alice@example.com",
        "arn": "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123abcd/alice@example.com",
        "accountId": "123456789012",
        "sessionContext": {"sessionIssuer": {
            "type": "Role",
            "arn": "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_0123abcd",
            "userName": "AWSReservedSSO_Admin_0123abcd"}}
    });
    assert_eq!(
        named(sso),
        "AWSReservedSSO_Admin_0123abcd/alice@example.com"
    );
    // CloudFormation acting with a stack's service role.
    let stack = json!({
        "type": "AssumedRole",
        "principalId": "AROA4EXAMPLECFNROLE1:AWSCloudFormation",
        "arn": "arn:aws:sts::123456789012:assumed-role/cfn-deployer/AWSCloudFormation",
        "accountId": "123456789012",
        "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "cfn-deployer"}},
        "invokedBy": "cloudformation.amazonaws.com"
    });
    assert_eq!(named(stack), "cfn-deployer/AWSCloudFormation");
    // Without a session context, the ARN says both; without an ARN, the
    // principal id says the session.
    let bare = json!({"type": "AssumedRole",
        "arn": "arn:aws:sts::123456789012:assumed-role/deploy/terraform"});
    assert_eq!(named(bare), "deploy/terraform");
    let id_only = json!({"type": "AssumedRole", "principalId": "AROAEXAMPLE:ci-run-7"});
    assert_eq!(named(id_only), "ci-run-7");
}

#[test]
fn a_federated_user_is_its_federated_name_and_who_issued_it() {
    // The record AWS CodeBuild's guide shows (GetFederationToken by an IAM user).
    let codebuild = json!({
        "type": "FederatedUser",
        "principalId": "123456789012:Bob",
        "arn": "arn:aws:sts::123456789012:federated-user/Bob",
        "accountId": "123456789012",
        "accessKeyId": "ASIAEXAMPLEFEDERATED",
        "sessionContext": {
            "attributes": {"mfaAuthenticated": "false", "creationDate": "2016-09-06T17:59:10Z"},
            "sessionIssuer": {
                "type": "IAMUser",
                "principalId": "AIDAEXAMPLEBROKER01",
                "arn": "arn:aws:iam::123456789012:user/federation-broker",
                "accountId": "123456789012",
                "userName": "federation-broker"
            }
        }
    });
    assert_eq!(named(codebuild), "federated-user/Bob via federation-broker");
    let by_root = json!({"type": "FederatedUser", "principalId": "123456789012:Bob",
        "sessionContext": {"sessionIssuer": {"type": "Root",
            "arn": "arn:aws:iam::123456789012:root"}}});
    assert_eq!(named(by_root), "federated-user/Bob via root");
    let alone = json!({"type": "FederatedUser",
        "arn": "arn:aws:sts::123456789012:federated-user/ops-bot"});
    assert_eq!(named(alone), "federated-user/ops-bot");
}

#[test]
fn an_identity_center_user_is_its_user_id() {
    let doc = json!({
        "type": "IdentityCenterUser",
        "accountId": "123456789012",
        "onBehalfOf": {
            "userId": "544894e8-80c1-707f-60e3-3ba6510dfac1",
            "identityStoreArn": "arn:aws:identitystore::123456789012:identitystore/d-9067642ac7"
        },
        "credentialId": "EXAMPLEVHULjJdTUdPJfofVa1sufHDoj7aYcOYcxFVllWR_Whr1fEXAMPLE"
    });
    assert_eq!(
        named(doc),
        "identity-center user 544894e8-80c1-707f-60e3-3ba6510dfac1"
    );
    // The instance may be another account's: the id alone says who.
    let elsewhere = json!({"type": "IdentityCenterUser", "accountId": "444455556666",
        "onBehalfOf": {"userId": "94d00cd8-e9e6-4810-b177-b08e84775435"}});
    assert_eq!(
        named(elsewhere),
        "identity-center user 94d00cd8-e9e6-4810-b177-b08e84775435"
    );
}

#[test]
fn another_account_service_and_root_say_so() {
    let account = json!({"type": "AWSAccount", "principalId": "AIDAJ45Q7YFFAREXAMPLE",
        "accountId": "444455556666"});
    assert_eq!(named(account), "account 444455556666");
    let service = json!({"type": "AWSService", "invokedBy": "cloudformation.amazonaws.com"});
    assert_eq!(named(service), "cloudformation.amazonaws.com");
    let root = json!({"type": "Root", "principalId": "123456789012",
        "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012",
        "userName": "my-account-alias"});
    assert_eq!(named(root), "root");
    // A role session of another account: that account first, so that a cut
    // name still says whose it is.
    let foreign = json!({"type": "AssumedRole",
        "arn": "arn:aws:sts::444455556666:assumed-role/cfn-deployer/deploy-1",
        "accountId": "444455556666",
        "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "cfn-deployer"}}});
    assert_eq!(
        named(foreign.clone()),
        "account 444455556666: cfn-deployer/deploy-1"
    );
    assert_eq!(
        name(&foreign, None).as_deref(),
        Some("cfn-deployer/deploy-1"),
        "no recipient account: nothing to compare"
    );
}

#[test]
fn other_types_and_bare_records_still_name_someone() {
    let web = json!({"type": "WebIdentityUser",
        "principalId": "accounts.google.com:app.apps.googleusercontent.com:user-id",
        "userName": "user-id", "identityProvider": "accounts.google.com"});
    assert_eq!(named(web), "user-id");
    let role = json!({"type": "Role", "arn": "arn:aws:iam::123456789012:role/ingest"});
    assert_eq!(named(role), "ingest");
    let unknown = json!({"type": "Unknown", "principalId": "AROAEXAMPLEID:session"});
    assert_eq!(named(unknown), "AROAEXAMPLEID:session", "the principal id");
    let new_type = json!({"type": "SomethingNew", "accountId": "123456789012"});
    assert_eq!(named(new_type), "account 123456789012");
    let service_unnamed = json!({"type": "AWSService", "principalId": "AIDAEXAMPLE"});
    assert_eq!(named(service_unnamed), "AIDAEXAMPLE");
    assert_eq!(name(&json!({"type": "Unknown"}), HOME), None);
    assert_eq!(name(&json!("IAMUser"), HOME), None);
    // Nothing in the record or beside it: said so, never left out.
    let record = r#"{"eventTime": "2026-11-21T10:00:00Z", "eventName": "DisableKey",
        "userIdentity": {"type": "Unknown"}}"#;
    let e = TrailEvent::from_record(Some(record), LookupSummary::default()).unwrap();
    assert_eq!(e.by.as_deref(), Some(UNNAMED));
    let summary = LookupSummary {
        username: Some("HIDDEN".into()),
        ..LookupSummary::default()
    };
    let e = TrailEvent::from_record(Some(record), summary).unwrap();
    assert_eq!(e.by.as_deref(), Some("HIDDEN"), "LookupEvents' Username");
}

#[test]
fn the_record_says_which_account_is_home() {
    let record = r#"{"eventTime": "2026-11-21T10:00:00Z", "eventName": "DisableKey",
        "recipientAccountId": "123456789012",
        "userIdentity": {"type": "IAMUser", "userName": "ops",
            "accountId": "444455556666"}}"#;
    let e = TrailEvent::from_record(Some(record), LookupSummary::default()).unwrap();
    assert_eq!(e.by.as_deref(), Some("account 444455556666: ops"));
}

#[test]
fn a_long_name_is_cut_at_64_columns_on_screen_and_kept_whole_elsewhere() {
    let session = "x".repeat(80);
    let long = json!({"type": "AssumedRole",
        "arn": format!("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Admin_0123abcd/{session}")});
    let whole = named(long);
    assert_eq!(whole.len(), "AWSReservedSSO_Admin_0123abcd/".len() + 80);
    let shown = crate::text::caller(&whole);
    assert_eq!(shown.chars().count(), 64);
    assert!(shown.ends_with('…'), "{shown}");
    assert!(whole.starts_with(shown.trim_end_matches('…')));
    let short = "AWSReservedSSO_Admin_0123abcd/alice@example.com";
    assert_eq!(crate::text::caller(short), short, "under the cap: as it is");
    assert_eq!(crate::text::caller(&"y".repeat(64)), "y".repeat(64));
}
