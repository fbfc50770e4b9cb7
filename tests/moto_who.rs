//! "Who did it" and "since when", through the real binary against moto and
//! the launcher's CloudTrail stand-in: the name `status` gives each
//! documented `userIdentity` type (CloudTrail's record shapes, injected by
//! the launcher), who is named beside a key disabled, enabled and disabled
//! again, and the first erring bucket said as a bucket.
//!
//! The binary owns eu-isoe-west-1 (no other test binary uses it; moto serves
//! it, and its ARNs, `arn:aws:…:eu-isoe-west-1:…`, are the ones firekeeper
//! and the launcher both read). Its tests run side by side there, each with
//! its own streams and keys, read with `--stream`. Only the alice/bob/carol
//! test changes the region's CloudTrail delay; the others rely only on
//! events that delay cannot hide, or that name the same caller either way.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{run, sdk_config_as, stdout_json, text, Enc, Faults, Sandbox, Seeder};
use serde_json::{json, Value};

const REGION: &str = "eu-isoe-west-1";

fn stream<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing from {report:#}"))
}

/// `status --output json` of the streams named, with any extra arguments.
fn status_json(streams: &[&str], extra: &[&str]) -> Value {
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.against_moto(REGION);
    cmd.args(["status", "--output", "json"]).args(extra);
    for s in streams {
        cmd.args(["--stream", s]);
    }
    let out = run(&mut cmd);
    assert!(matches!(out.status.code(), Some(0 | 3)), "{}", text(&out));
    stdout_json(&out)
}

/// `status` as a person reads it, its words joined by single spaces (the
/// problems wrap at the terminal's width).
fn status_text(streams: &[&str]) -> String {
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.against_moto(REGION);
    cmd.arg("status");
    for s in streams {
        cmd.args(["--stream", s]);
    }
    let out = run(&mut cmd);
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn rfc(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("{v}")))
        .unwrap()
        .to_utc()
}

/// A Start on `stream` by `identity` (an `/_firekeeper/identities` spec
/// without its access key), `minutes_ago`.
fn start_by(stream: &str, identity: Value, minutes_ago: i64) -> Value {
    json!({"eventName": "StartDeliveryStreamEncryption", "resourceName": stream,
           "at": minutes_ago * 60, "identity": identity})
}

#[tokio::test]
async fn each_documented_caller_type_is_named_in_the_quota_calls() {
    let seed = Seeder::new(REGION).await;
    // Not encrypted: seeding makes no Start of its own.
    seed.direct_put("who-calls", Enc::None).await;
    let trail = Faults::new(REGION);
    let long_session = format!("ci-{}", "x".repeat(97));
    let callers = [
        (
            json!({"type": "IAMUser", "userName": "Alice"}),
            "Alice".to_string(),
        ),
        (
            json!({"type": "AssumedRole", "userName": "AWSReservedSSO_Admin_0123abcd",
                   "sessionName": "alice@example.com"}),
            "AWSReservedSSO_Admin_0123abcd/alice@example.com".into(),
        ),
        (
            json!({"type": "AssumedRole", "userName": "cfn-deployer",
                   "sessionName": "AWSCloudFormation",
                   "invokedBy": "cloudformation.amazonaws.com"}),
            "cfn-deployer/AWSCloudFormation".into(),
        ),
        (
            json!({"type": "FederatedUser", "userName": "Bob", "issuer": "federation-broker"}),
            "federated-user/Bob via federation-broker".into(),
        ),
        (
            json!({"type": "IdentityCenterUser",
                   "userId": "544894e8-80c1-707f-60e3-3ba6510dfac1"}),
            "identity-center user 544894e8-80c1-707f-60e3-3ba6510dfac1".into(),
        ),
        (
            json!({"type": "AWSAccount", "accountId": "444455556666"}),
            "account 444455556666".into(),
        ),
        (
            json!({"type": "AWSService", "invokedBy": "firehose.amazonaws.com"}),
            "firehose.amazonaws.com".into(),
        ),
        (json!({"type": "Root"}), "root".into()),
        (
            json!({"type": "AssumedRole", "userName": "ops", "sessionName": "deploy-1",
                   "accountId": "444455556666"}),
            "account 444455556666: ops/deploy-1".into(),
        ),
        (
            json!({"type": "AssumedRole", "userName": "ci", "sessionName": long_session}),
            format!("ci/{long_session}"),
        ),
    ];
    let events: Vec<Value> = callers
        .iter()
        .enumerate()
        .map(|(i, (identity, _))| start_by("who-calls", identity.clone(), 60 - 3 * i as i64))
        .collect();
    trail.events(&events);

    let report = status_json(&["who-calls"], &[]);
    let quota = &stream(&report, "who-calls")["quota"];
    assert_eq!(quota["source"], "ledger+cloudtrail", "{quota:#}");
    let said: Vec<&str> = quota["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["by"].as_str().unwrap_or_else(|| panic!("a null by: {c}")))
        .collect();
    let expected: Vec<&str> = callers.iter().map(|(_, name)| name.as_str()).collect();
    assert_eq!(said, expected, "oldest first, every caller named, in full");
    assert_eq!(quota["used_elsewhere"], callers.len());
}

#[tokio::test]
async fn a_key_disabled_by_someone_says_who_in_words_cut_at_64_columns() {
    let seed = Seeder::new(REGION).await;
    let trail = Faults::new(REGION);
    let center = seed.key(Some("alias/who-center")).await;
    let long = seed.key(Some("alias/who-long")).await;
    seed.direct_put("who-center", Enc::Customer(&center)).await;
    seed.direct_put("who-long", Enc::Customer(&long)).await;
    let user_id = "94d00cd8-e9e6-4810-b177-b08e84775435";
    let long_session = format!("release-{}", "y".repeat(90));
    let by_center = json!({"type": "IdentityCenterUser", "userId": user_id});
    let by_long = json!({"type": "AssumedRole", "userName": "AWSReservedSSO_Ops_89ab",
                         "sessionName": long_session});
    for (access_key, identity, arn) in [
        ("AKIAFKWHOCENTER00001", &by_center, &center),
        ("AKIAFKWHOLONGNAME001", &by_long, &long),
    ] {
        let mut spec = identity.clone();
        spec["accessKeyId"] = access_key.into();
        trail.identity(spec);
        // The same caller's call, a quarter of an hour ago: whatever the
        // region's CloudTrail delay hides of the call below, this one says
        // the same name.
        trail.events(&[json!({"eventName": "DisableKey", "keyId": arn, "at": 900,
                              "accessKeyId": access_key, "identity": identity})]);
        let id = arn.rsplit_once("key/").unwrap().1;
        aws_sdk_kms::Client::new(&sdk_config_as(REGION, access_key).await)
            .disable_key()
            .key_id(id)
            .send()
            .await
            .unwrap();
    }

    let words = status_text(&["who-center", "who-long"]);
    assert!(
        words.contains(&format!(
            "alias/who-center was disabled by identity-center user {user_id} at "
        )),
        "{words}"
    );
    let whole = format!("AWSReservedSSO_Ops_89ab/{long_session}");
    let cut: String = whole.chars().take(63).collect();
    assert!(
        words.contains(&format!("alias/who-long was disabled by {cut}… at ")),
        "cut at 64 columns: {words}"
    );
    assert!(!words.contains(&whole), "never whole on screen: {words}");
    assert!(!words.contains("someone"), "{words}");
}

/// Puts the region's CloudTrail delay back however the test ends: the
/// other tests of this binary share the region.
struct NoDelay(Faults);

impl Drop for NoDelay {
    fn drop(&mut self) {
        self.0.trail_settings(json!({"lookup_delay_seconds": 0}));
    }
}

#[tokio::test]
async fn a_key_disabled_enabled_and_disabled_again_names_carol_once_her_call_shows() {
    let seed = Seeder::new(REGION).await;
    let key = seed.key(Some("alias/who-abc")).await;
    seed.direct_put("who-abc", Enc::Customer(&key)).await;
    let trail = NoDelay(Faults::new(REGION));
    let carol = "AKIAFKWHOCAROL000001";
    trail
        .0
        .identity(json!({"accessKeyId": carol, "userName": "carol"}));
    // Alice disabled the key half an hour ago, Bob enabled it ten minutes
    // later; Carol disables it now.
    trail.0.events(&[
        json!({"eventName": "DisableKey", "keyId": key, "at": 1800, "user": "alice"}),
        json!({"eventName": "EnableKey", "keyId": key, "at": 1200, "user": "bob"}),
    ]);
    let id = key.rsplit_once("key/").unwrap().1;
    aws_sdk_kms::Client::new(&sdk_config_as(REGION, carol).await)
        .disable_key()
        .key_id(id)
        .send()
        .await
        .unwrap();

    // CloudTrail shows a call minutes after it is made: Carol's is not
    // there yet. The key is Disabled, and no one is named for it.
    trail.0.trail_settings(json!({"lookup_delay_seconds": 600}));
    let report = status_json(&["who-abc"], &[]);
    let s = stream(&report, "who-abc");
    assert_eq!(s["encryption"]["key"]["state"], "Disabled");
    assert_eq!(s["health"], "critical");
    let problems = s["problems"].to_string();
    assert!(
        problems.contains("Key alias/who-abc is Disabled"),
        "{problems}"
    );
    assert!(!problems.contains("disabled by"), "no one yet: {problems}");
    assert!(!problems.contains("alice"), "{problems}");

    // Once it shows, Carol is named.
    trail.0.trail_settings(json!({"lookup_delay_seconds": 0}));
    let report = status_json(&["who-abc"], &[]);
    let problems = stream(&report, "who-abc")["problems"].to_string();
    assert!(
        problems.contains("alias/who-abc was disabled by carol at "),
        "{problems}"
    );
    assert!(!problems.contains("alice"), "{problems}");
}

#[tokio::test]
async fn the_first_erring_bucket_is_said_as_a_bucket_and_the_discard_time_its_earliest() {
    let seed = Seeder::new(REGION).await;
    let key = seed.key(Some("alias/who-buckets")).await;
    seed.direct_put("who-buckets", Enc::Customer(&key)).await;
    let before = Utc::now() - Duration::minutes(20);
    seed.kms_errors("who-buckets", "KMSKeyAccessDenied", 5.0, 20)
        .await;
    let after = Utc::now() - Duration::minutes(20);
    // Still arriving ten minutes later: one run (no gap of 15 minutes).
    seed.kms_errors("who-buckets", "KMSKeyAccessDenied", 3.0, 10)
        .await;

    for (window, bucket) in [("1h", 60), ("24h", 300)] {
        let report = status_json(&["who-buckets"], &["--window", window]);
        let s = stream(&report, "who-buckets");
        let since = &s["errors_since"];
        let (from, to) = (rfc(&since["from"]), rfc(&since["to"]));
        assert_eq!((to - from).num_seconds(), bucket, "{window}: {since}");
        assert_eq!(from.timestamp() % bucket, 0, "a bucket's start: {since}");
        // The first error was published inside the bucket said.
        assert!(
            from <= after && before < to,
            "{window}: {since} vs {before}..{after}"
        );
        assert!(
            since["from"].as_str().unwrap().ends_with(":00Z"),
            "whole seconds, UTC: {since}"
        );
        let discard = rfc(&s["discard_from"]);
        assert_eq!(discard - from, Duration::hours(24), "{window}");
        let problem = s["problems"][0].as_str().unwrap();
        let words = format!(
            "Errors since between {} and {} UTC (up to ",
            from.format("%Y-%m-%d %H:%M"),
            to.format("%H:%M")
        );
        assert!(problem.contains(&words), "{words} in {problem}");
        let earliest = format!(
            "Firehose may start discarding undecryptable records from about {} (in ",
            discard.format("%Y-%m-%d %H:%M UTC")
        );
        assert!(problem.contains(&earliest), "{earliest} in {problem}");
    }

    // A stream with no errors has neither.
    seed.direct_put("who-quiet", Enc::Customer(&key)).await;
    let report = status_json(&["who-quiet"], &[]);
    let quiet = stream(&report, "who-quiet");
    assert_eq!(quiet["errors_since"], Value::Null);
    assert_eq!(quiet["discard_from"], Value::Null);
}
