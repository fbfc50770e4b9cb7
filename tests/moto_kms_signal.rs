//! The KMS-error signal is never missed, through the real AWS SDK against
//! moto. The launcher's `list_metrics_lag` fault makes ListMetrics leave out
//! a series whose first datapoint is under 15 minutes old, as AWS documents
//! ("After you create a metric, allow up to 15 minutes for the metric to
//! appear"): a stream that starts failing now, on a key that never failed
//! before, is not listed, and must still be seen.
//!
//! Each test owns a region of its own (ISO partitions: no other test binary
//! uses them, and moto serves them like any other).

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::tmux::{script, Tmux};
use common::{run, stdout_json, Enc, Faults, Sandbox, Seeder};
use serde_json::{json, Value};

fn stream<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} missing from {report:#}"))
}

/// Whether ListMetrics, asked as firekeeper asks it, lists any series of
/// this stream: proof that the lag is on, so the test sees what AWS shows.
async fn listed(region: &str, name: &str) -> bool {
    let cw = aws_sdk_cloudwatch::Client::new(&common::sdk_config(region).await);
    let page = cw
        .list_metrics()
        .namespace("AWS/Firehose")
        .metric_name("KMSKeyAccessDenied")
        .send()
        .await
        .unwrap();
    page.metrics()
        .iter()
        .any(|m| m.dimensions().iter().any(|d| d.value() == Some(name)))
}

/// The new series is hidden from ListMetrics for the stream the test names.
fn lag(region: &str, streams: &[&str]) -> Faults {
    let faults = Faults::new(region);
    faults.add(json!({"service": "monitoring", "fault": "list_metrics_lag",
                      "minutes": 15, "streams": streams}));
    faults
}

#[tokio::test]
async fn status_sees_errors_on_an_enabled_key_that_list_metrics_does_not_list_yet() {
    let region = "us-iso-east-1";
    let seed = Seeder::new(region).await;
    let key = seed.key(Some("alias/sig-fresh")).await;
    seed.direct_put("sig-fresh", Enc::Customer(&key)).await;
    seed.direct_put("sig-owned", Enc::AwsOwned).await;
    seed.direct_put("sig-plain", Enc::None).await;
    let faults = lag(region, &["sig-fresh"]);
    // A new key policy took Firehose's access away a minute ago: the key
    // still reads Enabled, and the metric is new.
    seed.kms_errors("sig-fresh", "KMSKeyAccessDenied", 4.0, 1)
        .await;
    assert!(!listed(region, "sig-fresh").await, "the lag is on");

    let sandbox = Sandbox::new();
    let before = faults.metrics_requested();
    let out = run(sandbox.against_moto(region).args([
        "status",
        "--output",
        "json",
        "--stream",
        "sig-fresh",
        "--stream",
        "sig-owned",
        "--stream",
        "sig-plain",
    ]));
    let report = stdout_json(&out);
    assert_eq!(out.status.code(), Some(3), "critical: {report:#}");
    let fresh = stream(&report, "sig-fresh");
    assert_eq!(fresh["kms_errors"]["KMSKeyAccessDenied"], 4, "{fresh:#}");
    assert_eq!(fresh["health"], "critical");
    assert_eq!(fresh["kms_asked"], "all_metrics");
    assert!(fresh["kms_errors_as_of"].is_string(), "{fresh:#}");
    let owned = stream(&report, "sig-owned");
    assert_eq!(owned["kms_asked"], "listed_series");
    assert_eq!(owned["health"], "ok");
    // One look, every stream that can fail asked for all four metrics over
    // the window; those that cannot fail only for what ListMetrics lists.
    let asked = faults.metrics_requested() - before;
    assert!((4..=8).contains(&asked), "{asked} metrics requested");
    assert_eq!(report["cloudwatch"]["metrics_requested"], asked);
}

/// A config that sweeps every minute and reads CloudTrail every 10 s.
fn fast_config(sandbox: &Sandbox, sweep_secs: u64) -> std::path::PathBuf {
    sandbox.write_config(&format!(
        "[cloudwatch]\nsweep_secs = {sweep_secs}\n[cloudtrail]\npoll_secs = 10\n"
    ))
}

fn dashboard(sandbox: &Sandbox, region: &str, config: &std::path::Path) -> Tmux {
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let args = format!(
        "--endpoint-url {} --region {region} --config '{}'",
        common::moto_endpoint(),
        config.display()
    );
    Tmux::start(&script(sandbox, &env, &args))
}

#[tokio::test]
async fn the_dashboard_sweep_finds_errors_list_metrics_does_not_list_within_a_sweep() {
    let region = "us-iso-west-1";
    let seed = Seeder::new(region).await;
    let key = seed.key(Some("alias/sig-swept")).await;
    seed.direct_put("sig-swept", Enc::Customer(&key)).await;
    let _faults = lag(region, &["sig-swept"]);
    let sandbox = Sandbox::new();
    let config = fast_config(&sandbox, 60);
    let tmux = dashboard(&sandbox, region, &config);
    tmux.wait_within("alias/sig-swept", 60);
    tmux.wait_within("0 with KMS errors", 60);
    tmux.wait_within("refreshed", 60);

    seed.kms_errors("sig-swept", "KMSKeyAccessDenied", 3.0, 0)
        .await;
    assert!(!listed(region, "sig-swept").await, "the lag is on");
    // sweep_secs + 60 s at the most.
    let screen = tmux.wait_within("1 with KMS errors", 120);
    assert!(screen.contains("sig-swept"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED");
}

#[tokio::test]
async fn a_new_key_policy_in_cloudtrail_makes_the_dashboard_ask_in_full_at_once() {
    let region = "us-isob-east-1";
    let seed = Seeder::new(region).await;
    let key = seed.key(Some("alias/sig-policy")).await;
    seed.direct_put("sig-policy", Enc::Customer(&key)).await;
    let _faults = lag(region, &["sig-policy"]);
    let sandbox = Sandbox::new();
    // No sweep within the test: only the CloudTrail event can find it.
    let config = fast_config(&sandbox, 3600);
    let tmux = dashboard(&sandbox, region, &config);
    tmux.wait_within("alias/sig-policy", 60);
    tmux.wait_within("0 with KMS errors", 60);
    tmux.wait_within("refreshed", 60);

    // Another access key puts a key policy that leaves Firehose out; KMS
    // refuses Firehose from now on while the key reads Enabled.
    let other = common::sdk_config_as(region, "AKIAOTHERPOLICYMAKER").await;
    let kms = aws_sdk_kms::Client::new(&other);
    let policy = json!({"Version": "2012-10-17", "Statement": [{
        "Sid": "only-admins", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "kms:*", "Resource": "*"}]});
    kms.put_key_policy()
        .key_id(&key)
        .policy_name("default")
        .policy(policy.to_string())
        .send()
        .await
        .unwrap();
    seed.kms_errors("sig-policy", "KMSKeyAccessDenied", 5.0, 0)
        .await;
    assert!(!listed(region, "sig-policy").await, "the lag is on");
    // [cloudtrail] poll_secs + 60 s at the most.
    let screen = tmux.wait_within("1 with KMS errors", 70);
    assert!(screen.contains("sig-policy"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED");
}

#[tokio::test]
async fn a_key_disabled_by_someone_else_turns_its_stream_critical_within_a_cloudtrail_poll() {
    let region = "us-isob-west-1";
    let seed = Seeder::new(region).await;
    let key = seed.key(Some("alias/sig-disabled")).await;
    seed.direct_put("sig-disabled", Enc::Customer(&key)).await;
    let trail = Faults::new(region);
    trail.forget_events();
    let other = "AKIAMALLORYDISABLES1";
    trail.identity(json!({"accessKeyId": other, "userName": "mallory"}));
    let sandbox = Sandbox::new();
    let config = fast_config(&sandbox, 3600);
    let tmux = dashboard(&sandbox, region, &config);
    // Its key shown (cut in the middle at 80 columns).
    tmux.wait_within("alias/si", 60);
    tmux.wait_within("refreshed", 60);

    // Producers' PutRecord calls are refused from now on, before any metric.
    let kms = aws_sdk_kms::Client::new(&common::sdk_config_as(region, other).await);
    let id = key.rsplit_once("key/").map_or(key.as_str(), |(_, id)| id);
    kms.disable_key().key_id(id).send().await.unwrap();
    // [cloudtrail] poll_secs + 60 s at the most.
    let screen = tmux.wait_within("crit", 70);
    let row = screen
        .lines()
        .find(|l| l.contains("sig-disabled") && l.contains("crit"))
        .unwrap_or_else(|| panic!("no critical row:\n{screen}"));
    assert!(row.contains("alias/si"), "{row}");
    tmux.keys(&["Enter"]);
    tmux.wait_within("PutRecord", 30);
    // Who did it, from the same CloudTrail look (wrapped lines joined).
    let start = std::time::Instant::now();
    while !tmux.joined_screen().contains("was disabled by mallory") {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(60),
            "who did it never said:\n{}",
            tmux.joined_screen()
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    tmux.keys(&["Escape", "q"]);
    tmux.wait_for("EXITED");
}
