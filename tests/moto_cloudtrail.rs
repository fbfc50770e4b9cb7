//! The quota as AWS saw it: CloudTrail's event history (the launcher's, in
//! front of moto) merged with the ledger. Others' calls count, ours count
//! once, a day is a day, and when CloudTrail cannot be read `status` says
//! so and goes on with the ledger.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{run, sdk_config_as, stdout_json, text, Enc, Faults, Sandbox, Seeder};
use serde_json::{json, Value};

const START: &str = "StartDeliveryStreamEncryption";

fn status(sandbox: &Sandbox, region: &str, stream: &str) -> Value {
    let out = run(sandbox
        .against_moto(region)
        .args(["status", "--output", "json", "--stream", stream]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    stdout_json(&out)["streams"][0]["quota"].clone()
}

fn counts(q: &Value) -> (u64, u64, u64) {
    (
        q["used"].as_u64().unwrap(),
        q["used_here"].as_u64().unwrap(),
        q["used_elsewhere"].as_u64().unwrap(),
    )
}

/// `n` Starts of `stream` by `user`, `secs_ago` seconds ago.
fn starts_by(stream: &str, user: &str, secs_ago: u64, n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({"eventName": START, "resourceName": stream, "user": user,
                   "at": secs_ago + i as u64})
        })
        .collect()
}

#[tokio::test]
async fn other_peoples_calls_count_ours_count_once_and_the_26th_is_refused() {
    let region = "me-central-1";
    let seed = Seeder::new(region).await;
    let key = seed.key(Some("alias/ct-key")).await;
    seed.direct_put("shared", Enc::None).await;
    let trail = Faults::new(region);
    trail.forget_events();

    // Six Starts by Terraform's role, through the SDK with its own key.
    let terraform = "AKIAFKTERRAFORM00001";
    trail.identity(json!({"accessKeyId": terraform, "type": "AssumedRole",
                          "userName": "deploy", "sessionName": "terraform"}));
    let theirs = aws_sdk_firehose::Client::new(&sdk_config_as(region, terraform).await);
    for _ in 0..6 {
        theirs
            .start_delivery_stream_encryption()
            .delivery_stream_name("shared")
            .delivery_stream_encryption_configuration_input(
                aws_sdk_firehose::types::DeliveryStreamEncryptionConfigurationInput::builder()
                    .key_type(aws_sdk_firehose::types::KeyType::CustomerManagedCmk)
                    .key_arn(&key)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
    }
    // Three by a colleague, 20 hours ago.
    trail.events(&starts_by("shared", "bob", 20 * 3600, 3));

    let sandbox = Sandbox::new();
    let q = status(&sandbox, region, "shared");
    assert_eq!(q["source"], "ledger+cloudtrail", "{q:#}");
    assert_eq!(counts(&q), (9, 0, 9), "{q:#}");
    assert_eq!(q["remaining"], 16);
    let by = |who: &str| {
        q["calls"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["by"] == who)
            .count()
    };
    assert_eq!((by("deploy/terraform"), by("bob")), (6, 3), "{q:#}");
    // The oldest (bob's, 20 h ago) frees first, in about 4 hours.
    let next: chrono::DateTime<chrono::Utc> = q["next_slot_at"].as_str().unwrap().parse().unwrap();
    let hours = (next - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((3.9..4.1).contains(&hours), "{hours} h: {q:#}");

    // Ours, once: the ledger's request id is CloudTrail's.
    let out =
        run(sandbox
            .against_moto(region)
            .args(["rotate", "shared", "--key", "aws-owned", "--yes"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let q = status(&sandbox, region, "shared");
    assert_eq!(counts(&q), (10, 1, 9), "{q:#}");

    // A day is a day: calls 25 hours old are not counted.
    trail.events(&starts_by("shared", "carol", 25 * 3600, 2));
    assert_eq!(counts(&status(&sandbox, region, "shared")), (10, 1, 9));

    // Fifteen more by others make 25: the 26th is refused here, unsent.
    trail.events(&starts_by("shared", "bob", 3600, 15));
    let q = status(&sandbox, region, "shared");
    assert_eq!(
        (q["used"].as_u64(), q["remaining"].as_u64()),
        (Some(25), Some(0))
    );
    let before = trail.calls(START);
    let out = run(sandbox.against_moto(region).args([
        "rotate",
        "shared",
        "--key",
        "alias/ct-key",
        "--yes",
    ]));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(4), "{said}");
    assert!(said.contains("nothing was sent"), "{said}");
    assert!(
        said.contains("by CloudTrail") || said.contains("by others"),
        "{said}"
    );
    assert_eq!(trail.calls(START), before, "moto never heard of it");
}

#[tokio::test]
async fn when_cloudtrail_cannot_be_read_status_counts_the_ledger_and_says_so() {
    let region = "eu-south-2";
    let seed = Seeder::new(region).await;
    seed.direct_put("alone", Enc::None).await;
    let trail = Faults::new(region);
    trail.forget_events();
    trail.events(&starts_by("alone", "bob", 600, 4));
    let sandbox = Sandbox::new();
    assert_eq!(counts(&status(&sandbox, region, "alone")), (4, 0, 4));

    let cases = [
        (
            json!({"service": "cloudtrail", "operation": "LookupEvents", "fault": "error",
                   "status": 400, "type": "AccessDeniedException",
                   "message": "User: arn:aws:iam::123456789012:user/testing is not authorized to perform: cloudtrail:LookupEvents"}),
            "allow cloudtrail:LookupEvents",
        ),
        (
            json!({"service": "cloudtrail", "operation": "LookupEvents", "fault": "error",
                   "status": 400, "type": "ThrottlingException", "message": "Rate exceeded"}),
            "Rate exceeded",
        ),
    ];
    for (fault, why) in cases {
        trail.clear();
        trail.add(fault);
        let out = run(sandbox
            .against_moto(region)
            .args(["status", "--output", "json", "--stream", "alone"]));
        assert_eq!(out.status.code(), Some(0), "still succeeds: {}", text(&out));
        let q = stdout_json(&out)["streams"][0]["quota"].clone();
        assert_eq!(q["source"], "ledger", "{q:#}");
        assert!(
            q["source_reason"].as_str().unwrap().contains(why),
            "{why}: {q:#}"
        );
        assert_eq!(counts(&q), (0, 0, 0), "the ledger alone: {q:#}");

        let out = run(sandbox
            .against_moto(region)
            .args(["status", "--stream", "alone"]));
        let table = text(&out);
        assert_eq!(out.status.code(), Some(0), "{table}");
        assert!(table.contains("25/25*"), "{table}");
        assert!(
            table.contains("* QUOTA counts only this machine's ledger"),
            "{table}"
        );
    }
    trail.clear();

    let config = sandbox.write_config("[cloudtrail]\nenabled = false\n");
    let before = trail.calls("LookupEvents");
    let out = run(sandbox
        .against_moto(region)
        .arg("--config")
        .arg(&config)
        .args(["status", "--output", "json", "--stream", "alone"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let q = stdout_json(&out)["streams"][0]["quota"].clone();
    assert_eq!(q["source"], "ledger", "{q:#}");
    assert!(
        q["source_reason"]
            .as_str()
            .unwrap()
            .contains("enabled = false"),
        "{q:#}"
    );
    assert_eq!(trail.calls("LookupEvents"), before, "off means not asked");
}

#[tokio::test]
async fn the_region_is_read_per_event_name_whatever_the_stream_count() {
    let region = "eu-central-2";
    let seed = Seeder::new(region).await;
    let names: Vec<String> = (0..150).map(|i| format!("pace-{i:03}")).collect();
    for name in &names {
        seed.direct_put(name, Enc::None).await;
    }
    let trail = Faults::new(region);
    trail.forget_events();
    let events: Vec<Value> = (0..40)
        .flat_map(|i| starts_by(&names[i * 3], "terraform", 300 + i as u64 * 60, 1))
        .collect();
    trail.events(&events);

    let sandbox = Sandbox::new();
    let before = trail.calls("LookupEvents");
    let out = run(sandbox
        .against_moto(region)
        .args(["status", "--output", "json"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let after = trail.calls("LookupEvents");
    let report = stdout_json(&out);
    let streams = report["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 150);
    let elsewhere: u64 = streams
        .iter()
        .map(|s| s["quota"]["used_elsewhere"].as_u64().unwrap())
        .sum();
    assert_eq!(elsewhere, 40);
    // Two event names, Start and Stop: at most ⌈40/50⌉ + 2 calls each.
    let lookups = after.0 - before.0;
    assert!(lookups <= 2 * (1 + 2), "{lookups} LookupEvents calls");
    assert!(lookups >= 2, "both names were read: {lookups}");
}
