//! `firekeeper status` through the real AWS SDK against moto. Each test owns a
//! region, so tests share one moto server without seeing each other's streams.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::schema::{assert_valid, status_schema};
use common::{run, sdk_config_as, stdout_json, text, Enc, Faults, Sandbox, Seeder};
use serde_json::{json, Value};

fn stream<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing from {report:#}"))
}

#[tokio::test]
async fn status_json_reports_every_field_for_every_kind_of_stream() {
    let region = "eu-west-1";
    let seed = Seeder::new(region).await;
    let orders = seed.key(Some("alias/orders")).await;
    let bare = seed.key(None).await;
    seed.direct_put("a-plain", Enc::None).await;
    seed.direct_put("b-aws-owned", Enc::AwsOwned).await;
    seed.direct_put("c-orders", Enc::Customer(&orders)).await;
    seed.direct_put("d-bare-key", Enc::Customer(&bare)).await;
    seed.kinesis_sourced("e-from-kinesis").await;
    seed.kms_errors("c-orders", "KMSKeyAccessDenied", 7.0, 20)
        .await;
    seed.kms_errors("c-orders", "KMSKeyNotFound", 2.0, 10).await;

    let sandbox = Sandbox::new();
    let out = run(sandbox
        .against_moto(region)
        .args(["status", "--output", "json", "--window", "1h"]));
    let report = stdout_json(&out);
    assert_eq!(
        out.status.code(),
        Some(3),
        "KMS errors make the run critical"
    );

    // The SDK's answers, as the schema describes them.
    assert_valid(&status_schema(), &report);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["region"], region);
    assert_eq!(report["account"], "123456789012");
    assert_eq!(report["window"], "1h");
    assert!(chrono::DateTime::parse_from_rfc3339(report["generated_at"].as_str().unwrap()).is_ok());
    let names: Vec<&str> = report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "a-plain",
            "b-aws-owned",
            "c-orders",
            "d-bare-key",
            "e-from-kinesis"
        ]
    );

    let plain = stream(&report, "a-plain");
    assert_eq!(plain["source"], "DirectPut");
    assert_eq!(plain["stream_status"], "ACTIVE");
    assert!(plain["arn"]
        .as_str()
        .unwrap()
        .ends_with(":deliverystream/a-plain"));
    assert_eq!(
        plain["encryption"],
        serde_json::json!({"status": "DISABLED", "key_type": null, "key_arn": null,
                           "key_alias": null, "failure": null, "managed_by": "firehose",
                           "key": null})
    );
    // [health] unencrypted defaults to "warning".
    assert_eq!(plain["health"], "warning");
    assert_eq!(
        plain["problems"],
        serde_json::json!([
            "Not encrypted: records are stored without Firehose server-side encryption."
        ])
    );
    assert_no_calls_yet(&plain["quota"]);
    assert_eq!(
        plain["kms_errors"],
        serde_json::json!({"KMSKeyAccessDenied": 0, "KMSKeyDisabled": 0,
                           "KMSKeyInvalidState": 0, "KMSKeyNotFound": 0})
    );

    let owned = stream(&report, "b-aws-owned");
    assert_eq!(owned["encryption"]["status"], "ENABLED");
    assert_eq!(owned["encryption"]["key_type"], "AWS_OWNED_CMK");
    assert_eq!(owned["encryption"]["key_alias"], Value::Null);

    let cmk = stream(&report, "c-orders");
    assert_eq!(cmk["encryption"]["key_type"], "CUSTOMER_MANAGED_CMK");
    assert_eq!(cmk["encryption"]["key_arn"], orders.as_str());
    assert_eq!(cmk["encryption"]["key_alias"], "alias/orders");
    assert_key_as_kms_describes_it(&cmk["encryption"]["key"]);
    assert_eq!(cmk["kms_errors"]["KMSKeyAccessDenied"], 7);
    assert_eq!(cmk["kms_errors"]["KMSKeyNotFound"], 2);
    assert_eq!(cmk["health"], "critical");
    let problem = cmk["problems"][0].as_str().unwrap();
    assert!(
        problem.contains("KMS refused Firehose 9 times"),
        "{problem}"
    );
    assert!(problem.contains("may start discarding"), "{problem}");

    let bare_stream = stream(&report, "d-bare-key");
    assert_eq!(bare_stream["encryption"]["key_alias"], Value::Null);
    assert_eq!(bare_stream["health"], "ok");

    let kinesis = stream(&report, "e-from-kinesis");
    assert_eq!(kinesis["source"], "KinesisStreamAsSource");
    assert_eq!(kinesis["encryption"]["managed_by"], "source");
    assert_eq!(kinesis["quota"], Value::Null, "Start/Stop cannot apply");
    assert_eq!(kinesis["health"], "ok");
}

/// A key disabled by someone else while a stream is ENABLED on it: Firehose
/// refuses producers' records from that moment, before any CloudWatch
/// metric, so the stream is critical at once, says who disabled the key (by
/// CloudTrail), and `status` exits 3. A fleet with warnings alone exits 0.
/// (This test's region once held the old judgement, "a disabled key is a
/// warning"; it keeps the region.)
#[tokio::test]
async fn a_key_disabled_by_someone_else_under_an_enabled_stream_is_critical_and_says_who() {
    let region = "eu-west-2";
    let trail = Faults::new(region);
    trail.forget_events();
    let seed = Seeder::new(region).await;
    let key = seed.key(Some("alias/fk-a")).await;
    seed.direct_put("on-disabled-key", Enc::Customer(&key))
        .await;
    seed.direct_put("unencrypted", Enc::None).await;
    let other = "AKIAFKOTHERCALLER001";
    trail.identity(json!({"accessKeyId": other, "userName": "mallory"}));
    // By id: moto finds keys by id here, not ARN.
    let id = key.rsplit_once("key/").unwrap().1;
    aws_sdk_kms::Client::new(&sdk_config_as(region, other).await)
        .disable_key()
        .key_id(id)
        .send()
        .await
        .unwrap();

    let sandbox = Sandbox::new();
    let out = run(sandbox
        .against_moto(region)
        .args(["status", "--output", "json"]));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let report = stdout_json(&out);
    let s = stream(&report, "on-disabled-key");
    assert_eq!(s["encryption"]["status"], "ENABLED");
    assert_eq!(s["encryption"]["key"]["state"], "Disabled");
    let errors: u64 = s["kms_errors"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(errors, 0, "no metric yet: critical all the same");
    assert_eq!(s["health"], "critical", "{s:#}");
    let problem = s["problems"][0].as_str().unwrap();
    assert!(
        problem.starts_with(
            "Key alias/fk-a is Disabled: Firehose cannot use it, and producers' PutRecord and \
             PutRecordBatch calls are refused (InvalidKMSResourceException). \
             alias/fk-a was disabled by mallory at "
        ),
        "{problem}"
    );
    assert!(problem.ends_with(" UTC (CloudTrail)."), "{problem}");
    // The same facts as fields, in the schema's shape.
    assert_valid(&status_schema(), &report);
    let changed = &s["encryption"]["key"]["changed_by"];
    assert_eq!(changed["event"], "DisableKey", "{s:#}");
    assert_eq!(changed["by"], "mallory");
    let at = changed["at"].as_str().unwrap();
    assert!(
        problem.contains(&format!(" at {} UTC", &at[11..16])),
        "{at}: {problem}"
    );
    assert!(s["encryption"]["key"]["deletion_date"].is_null());

    let out = run(sandbox.against_moto(region).args([
        "status",
        "--output",
        "json",
        "--stream",
        "unencrypted",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        stream(&stdout_json(&out), "unencrypted")["health"],
        "warning"
    );
}

#[tokio::test]
async fn listing_follows_every_page_past_mottos_default_cap() {
    let region = "ap-south-1";
    let seed = Seeder::new(region).await;
    for i in 0..60 {
        seed.direct_put(&format!("fleet-{i:03}"), Enc::AwsOwned)
            .await;
    }
    let sandbox = Sandbox::new();
    // Small pages prove the ExclusiveStartDeliveryStreamName loop; the fast
    // pace keeps the test quick.
    let config = sandbox.write_config(
        "[aws]\nlist_page_size = 7\nfirehose_calls_per_second = 100\ndescribe_concurrency = 16\n",
    );
    let out = run(sandbox
        .against_moto(region)
        .arg("--config")
        .arg(&config)
        .args(["status", "--output", "json"]));
    let report = stdout_json(&out);
    let streams = report["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 60);
    assert_eq!(streams[0]["name"], "fleet-000");
    assert_eq!(streams[59]["name"], "fleet-059");
    assert!(streams
        .iter()
        .all(|s| s["encryption"]["key_type"] == "AWS_OWNED_CMK"));
}

#[tokio::test]
async fn one_unreadable_stream_is_an_error_row_and_the_rest_still_load() {
    let region = "ca-central-1";
    let seed = Seeder::new(region).await;
    seed.direct_put("good", Enc::AwsOwned).await;
    seed.unreadable("half-described").await;
    let sandbox = Sandbox::new();
    let out = run(sandbox
        .against_moto(region)
        .args(["status", "--output", "json"]));
    let report = stdout_json(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a row that could not be read is unknown"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("health unknown for 1 of 2 streams"));
    assert_eq!(stream(&report, "good")["health"], "ok");
    let bad = stream(&report, "half-described");
    assert!(bad["error"].is_string(), "{bad:#}");
    assert_eq!(bad["health"], "unknown");
}

#[tokio::test]
async fn table_output_in_a_pipe_keeps_names_and_aliases_whole() {
    let region = "sa-east-1";
    let seed = Seeder::new(region).await;
    let key = seed
        .key(Some("alias/a-rather-long-alias-name-for-a-key"))
        .await;
    seed.direct_put(
        "a-stream-with-a-very-long-name-indeed-yes",
        Enc::Customer(&key),
    )
    .await;
    let sandbox = Sandbox::new();
    let out = run(sandbox.against_moto(region).args(["status"]));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("NAME"), "{text}");
    // stdout is a pipe here: grep finds the stream and its key on one line.
    let line = text
        .lines()
        .find(|l| l.starts_with("a-stream-with-a-very-long-name-indeed-yes "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        line.contains(" alias/a-rather-long-alias-name-for-a-key "),
        "{text}"
    );
}

#[test]
fn unreachable_endpoint_is_one_clear_line_and_exit_1() {
    let sandbox = Sandbox::new();
    let out = run(sandbox
        .command()
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args([
            "--endpoint-url",
            "http://127.0.0.1:9",
            "--region",
            "us-east-1",
            "status",
        ]));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("cannot reach the AWS endpoint"), "{err}");
}

#[test]
fn missing_credentials_say_what_to_do() {
    let sandbox = Sandbox::new();
    let out = run(sandbox.command().args([
        "--endpoint-url",
        &common::moto_endpoint(),
        "--region",
        "us-east-1",
        "status",
    ]));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("credentials"), "{err}");
    assert!(err.contains("--demo"), "{err}");
}

#[test]
fn bad_config_names_file_line_and_key() {
    let sandbox = Sandbox::new();
    let config = sandbox.write_config("[aws]\nfirehose_calls_per_secnd = 3\n");
    let out = run(sandbox
        .command()
        .arg("--config")
        .arg(&config)
        .args(["status", "--demo"]));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("config.toml:2"), "{err}");
    assert!(err.contains("firehose_calls_per_secnd"), "{err}");
}

#[test]
fn bad_arguments_are_usage_errors() {
    let sandbox = Sandbox::new();
    let out = run(sandbox.command().args(["status", "--output", "yaml"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("yaml"));
}

/// A DirectPut stream's quota with no call made: every figure, and where
/// they come from. Where moto cannot answer LookupEvents, the ledger counts
/// alone and says why; either way the report is made.
fn assert_no_calls_yet(quota: &Value) {
    let quota = quota.as_object().expect("a DirectPut stream has a quota");
    for (key, value) in [
        ("limit", 25),
        ("used", 0),
        ("remaining", 25),
        ("used_here", 0),
        ("used_elsewhere", 0),
    ] {
        assert_eq!(quota[key], value, "{key}: {quota:?}");
    }
    assert_eq!(quota["next_slot_at"], Value::Null);
    assert_eq!(quota["calls"], serde_json::json!([]));
    match quota["source"].as_str() {
        Some("ledger") => assert!(quota["source_reason"].is_string(), "{quota:?}"),
        Some("ledger+cloudtrail") => assert!(!quota.contains_key("source_reason")),
        other => panic!("source {other:?}"),
    }
}

/// A fresh moto key: enabled, symmetric, made by KMS, never rotated, not
/// to be deleted, and no one's change made it what it is.
fn assert_key_as_kms_describes_it(key: &Value) {
    assert_eq!(
        *key,
        serde_json::json!({"state": "Enabled", "spec": "SYMMETRIC_DEFAULT", "origin": "AWS_KMS",
                           "multi_region": {"kind": "single"},
                           "deletion_date": null, "changed_by": null,
                           "rotation": {"automatic": false, "period_days": null, "next_at": null,
                                        "last_at": null, "on_demand_in_progress": false,
                                        "rotations_listed": true, "on_demand_done": 0}})
    );
}
