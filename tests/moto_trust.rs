//! What firekeeper says when AWS does not answer, answers in part, or loses
//! an answer: against moto, with faults injected in front of it by the test
//! launcher (tests/moto/launch.py), which imitates what AWS and networks do.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{audit, run, stdout_json, text, Enc, Faults, Sandbox, Seeder};
use serde_json::{json, Value};

fn only(report: &Value, name: &str) -> Value {
    report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {report:#}"))
        .clone()
}

#[test]
fn status_against_an_endpoint_that_never_answers_exits_1_within_60_s() {
    // Accepts TCP connections (the kernel's backlog does) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", silent.local_addr().unwrap());
    let sandbox = Sandbox::new();
    let started = Instant::now();
    let out = run(sandbox
        .command()
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args(["--endpoint-url", &url, "--region", "us-east-1", "status"]));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(60), "took {took:?}");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains(&format!("no answer from {url}")), "{err}");
    assert!(err.contains("did not answer"), "{err}");
    drop(silent);
}

#[tokio::test]
async fn cloudwatch_down_or_incomplete_makes_health_unknown_never_zero() {
    let region = "us-east-2";
    let seed = Seeder::new(region).await;
    seed.direct_put("cw-owned", Enc::AwsOwned).await;
    // A zero datapoint: the series exists (ListMetrics lists it), so
    // GetMetricData is asked for it and its answer can be incomplete.
    seed.kms_errors("cw-owned", "KMSKeyAccessDenied", 0.0, 30)
        .await;
    let faults = Faults::new(region);
    let sandbox = Sandbox::new();
    let config = sandbox.write_config("[aws]\ncall_timeout_secs = 5\n");
    let status = || {
        run(sandbox
            .against_moto(region)
            .arg("--config")
            .arg(&config)
            .args(["status", "--output", "json"]))
    };

    let healthy = status();
    assert_eq!(healthy.status.code(), Some(0), "{}", text(&healthy));
    assert_eq!(only(&stdout_json(&healthy), "cw-owned")["health"], "ok");

    // An outage: CloudWatch answers 500 InternalFailure to every call.
    faults.add(json!({"service": "monitoring", "fault": "error", "status": 500}));
    let out = status();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let s = only(&stdout_json(&out), "cw-owned");
    assert_eq!(s["kms_errors"], Value::Null);
    assert_eq!(s["health"], "unknown");
    assert!(String::from_utf8_lossy(&out.stderr).contains("health unknown for 1 of 1 stream"));

    // Answers whose queries did not complete: PartialData, InternalError.
    for code in ["PartialData", "InternalError"] {
        faults.clear();
        faults.add(json!({"service": "monitoring", "fault": "metric_status", "value": code}));
        let out = status();
        assert_eq!(out.status.code(), Some(1), "{code}: {}", text(&out));
        let s = only(&stdout_json(&out), "cw-owned");
        assert_eq!(s["kms_errors"], Value::Null, "{code}");
        assert_eq!(s["health"], "unknown", "{code}");
        assert!(
            s["problems"][0].as_str().unwrap().contains(code),
            "{code}: {s:#}"
        );
    }
    faults.clear();
}

#[tokio::test]
async fn a_start_whose_answer_is_lost_is_sent_once_and_settled_by_reading() {
    let region = "eu-west-3";
    let seed = Seeder::new(region).await;
    seed.key(Some("alias/lost-answer")).await;
    seed.direct_put("lost-answer", Enc::None).await;
    let faults = Faults::new(region);
    // The call reaches moto and takes effect; its answer never comes back
    // before the client gives up, as when a network drops the response.
    faults.add(json!({
        "service": "firehose",
        "operation": "StartDeliveryStreamEncryption",
        "fault": "lose_answer",
        "delay": 10
    }));
    let sandbox = Sandbox::new();
    let config = sandbox.write_config("[aws]\ncall_timeout_secs = 3\n");
    let out = run(sandbox
        .against_moto(region)
        .arg("--config")
        .arg(&config)
        .args([
            "rotate",
            "lost-answer",
            "--key",
            "alias/lost-answer",
            "--yes",
        ]));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("AWS may have applied this; checking"),
        "{said}"
    );
    assert!(
        said.contains("lost-answer is now encrypted with alias/lost-answer"),
        "{said}"
    );

    assert_eq!(
        faults.calls("StartDeliveryStreamEncryption"),
        (1, 1),
        "sent exactly once"
    );
    let outcomes: Vec<String> = audit(&sandbox)
        .iter()
        .map(|e| e["outcome"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(outcomes, ["sent", "unknown", "accepted", "succeeded"]);

    faults.clear();
    let out = run(sandbox.against_moto(region).args([
        "status",
        "--output",
        "json",
        "--stream",
        "lost-answer",
    ]));
    let s = only(&stdout_json(&out), "lost-answer");
    // The ledger has no request id for it, but CloudTrail's copy is known
    // by its access key and time: counted once.
    assert_eq!(s["quota"]["used_here"], 1, "the ledger counts the one call");
    assert_eq!(s["quota"]["used"], 1, "not again from CloudTrail: {s:#}");
    let ours: Vec<&Value> = s["quota"]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["here"] == true)
        .collect();
    assert_eq!(ours[0]["by"], "testing", "CloudTrail says who: {s:#}");
    assert_eq!(s["encryption"]["status"], "ENABLED");
}

#[tokio::test]
async fn a_key_at_its_500_stream_limit_is_refused_without_exhausting_the_stream() {
    let region = "eu-central-1";
    let seed = Seeder::new(region).await;
    let a = seed.key(Some("alias/full-a")).await;
    seed.key(Some("alias/full-b")).await;
    seed.key(Some("alias/full-c")).await;
    seed.direct_put("full-key", Enc::Customer(&a)).await;
    let faults = Faults::new(region);
    // AWS answers LimitExceededException both for the 25 daily calls and for
    // a customer key that already encrypts 500 streams; this is the latter.
    faults.add(json!({
        "service": "firehose",
        "operation": "StartDeliveryStreamEncryption",
        "fault": "error",
        "status": 400,
        "type": "LimitExceededException",
        "message": "The KMS key is already used to encrypt the maximum number of delivery streams (500).",
        "times": 1
    }));
    let sandbox = Sandbox::new();
    let out = run(sandbox.against_moto(region).args([
        "rotate",
        "full-key",
        "--key",
        "alias/full-b",
        "--yes",
    ]));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(4), "{said}");
    assert!(said.contains("choose another key"), "{said}");
    assert!(said.contains("quota is not exhausted"), "{said}");

    let out = run(sandbox
        .against_moto(region)
        .args(["status", "--output", "json", "--stream", "full-key"]));
    let s = only(&stdout_json(&out), "full-key");
    // AWS answered, so the refused call counts (CloudTrail has it too, once),
    // beside the seeder's Start; the stream is not exhausted.
    assert_eq!(s["quota"]["remaining"], 23, "counted, not exhausted: {s:#}");
    assert_eq!(s["quota"]["used_here"], 1, "{s:#}");
    let refused = s["quota"]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["here"] == true)
        .unwrap()
        .clone();
    assert_eq!(refused["error"], "LimitExceededException", "{s:#}");

    let out = run(sandbox.against_moto(region).args([
        "rotate",
        "full-key",
        "--key",
        "alias/full-c",
        "--yes",
    ]));
    assert_eq!(
        out.status.code(),
        Some(0),
        "another key still works: {}",
        text(&out)
    );
    faults.clear();
}

#[tokio::test]
async fn status_for_a_name_aws_does_not_have_is_exit_1_not_a_critical_row() {
    let region = "us-east-1";
    let sandbox = Sandbox::new();
    let out = run(sandbox
        .against_moto(region)
        .args(["status", "--stream", "no-such-stream-typo"]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "firekeeper: no delivery stream named no-such-stream-typo in us-east-1"
    );
    assert!(out.stdout.is_empty());
}
