//! `firekeeper rotate --from-key OLD --key NEW` against moto: every stream on
//! OLD ends on NEW, nothing else is touched, and a move killed half-way
//! finishes when run again without sending any stream twice.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{run, text, Enc, Faults, Sandbox, Seeder};

const START: &str = "StartDeliveryStreamEncryption";

async fn key_of(seed: &Seeder, stream: &str) -> Option<String> {
    seed.firehose
        .describe_delivery_stream()
        .delivery_stream_name(stream)
        .send()
        .await
        .unwrap()
        .delivery_stream_description()
        .unwrap()
        .delivery_stream_encryption_configuration()
        .and_then(|e| e.key_arn().map(str::to_string))
}

async fn fleet(
    seed: &Seeder,
    region: &str,
    prefix: &str,
    n: usize,
) -> (String, String, Vec<String>) {
    let a = seed.key(Some(&format!("alias/{prefix}-a"))).await;
    let b = seed.key(Some(&format!("alias/{prefix}-b"))).await;
    let names: Vec<String> = (0..n).map(|i| format!("{prefix}-{i:02}")).collect();
    for name in &names {
        seed.direct_put(name, Enc::Customer(&a)).await;
    }
    let _ = region;
    (a, b, names)
}

#[tokio::test]
async fn every_stream_on_the_old_key_moves_and_nothing_else_is_touched() {
    let region = "il-central-1";
    let seed = Seeder::new(region).await;
    let (_, b, names) = fleet(&seed, region, "mv", 20).await;
    let other = seed.key(Some("alias/mv-other")).await;
    seed.direct_put("mv-elsewhere", Enc::Customer(&other)).await;
    seed.kinesis_sourced("mv-kinesis").await;
    let faults = Faults::new(region);
    let before = faults.calls(START);

    let sandbox = Sandbox::new();
    let out = run(sandbox.against_moto(region).args([
        "rotate",
        "--from-key",
        "alias/mv-a",
        "--key",
        "alias/mv-b",
        "--yes",
    ]));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("Plan     20 to send, 0 skipped"), "{said}");
    assert!(
        said.contains("Moved 20 of 20 streams off alias/mv-a"),
        "{said}"
    );
    for name in &names {
        assert_eq!(
            key_of(&seed, name).await.as_deref(),
            Some(b.as_str()),
            "{name}"
        );
    }
    assert_eq!(
        key_of(&seed, "mv-elsewhere").await.as_deref(),
        Some(other.as_str())
    );
    assert_eq!(faults.calls(START).0 - before.0, 20, "one call a stream");
    assert_eq!(
        common::audit(&sandbox)
            .iter()
            .filter(|e| e["outcome"] == "succeeded")
            .count(),
        20
    );

    // Nothing left on the old key: refused, nothing sent.
    let out = run(sandbox.against_moto(region).args([
        "rotate",
        "--from-key",
        "alias/mv-a",
        "--key",
        "alias/mv-b",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(text(&out).contains("nothing to move"), "{}", text(&out));
}

#[tokio::test]
async fn a_move_killed_half_way_finishes_on_a_rerun_and_sends_no_stream_twice() {
    let region = "me-south-1";
    let seed = Seeder::new(region).await;
    let (_, b, names) = fleet(&seed, region, "kill", 20).await;
    let faults = Faults::new(region);
    let before = faults.calls(START).0;
    let sandbox = Sandbox::new();
    // Slow enough to stop half-way.
    let config = sandbox.write_config("[aws]\nfirehose_calls_per_second = 2\n");
    let mut child = sandbox
        .against_moto(region)
        .arg("--config")
        .arg(&config)
        .args([
            "rotate",
            "--from-key",
            "alias/kill-a",
            "--key",
            "alias/kill-b",
            "--yes",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while faults.calls(START).0 - before < 8 {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "the move never got going"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let first_run = faults.calls(START).0 - before;
    assert!(first_run < 20, "killed before the end: {first_run}");

    let out = run(sandbox.against_moto(region).args([
        "rotate",
        "--from-key",
        "alias/kill-a",
        "--key",
        "alias/kill-b",
        "--yes",
    ]));
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    for name in &names {
        assert_eq!(
            key_of(&seed, name).await.as_deref(),
            Some(b.as_str()),
            "{name}"
        );
    }
    assert_eq!(
        faults.calls(START).0 - before,
        20,
        "every stream sent exactly once over both runs ({first_run} in the first)"
    );
}
