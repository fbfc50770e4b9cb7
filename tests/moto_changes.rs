//! `firekeeper rotate` and `disable` through the real SDK against moto: every
//! outcome, refusal, the quota ledger and the audit log. moto enables at once
//! and enforces no limit, so the rules firekeeper keeps are visible here:
//! whatever it refuses, moto never hears of.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{audit, run, stdout_json, text, Enc, Sandbox, Seeder};
use serde_json::Value;

fn status(sandbox: &Sandbox, region: &str, stream: &str) -> Value {
    let out = run(sandbox
        .against_moto(region)
        .args(["status", "--output", "json", "--stream", stream]));
    stdout_json(&out)["streams"][0].clone()
}

#[tokio::test]
async fn switch_enable_and_stop_do_what_they_say_and_are_audited() {
    let region = "us-west-1";
    let seed = Seeder::new(region).await;
    let old = seed.key(Some("alias/rot-old")).await;
    let new = seed.key(Some("alias/rot-new")).await;
    seed.direct_put("rot", Enc::Customer(&old)).await;
    seed.direct_put("plain", Enc::None).await;
    let sandbox = Sandbox::new();

    let out = run(sandbox.against_moto(region).args([
        "rotate",
        "rot",
        "--key",
        "alias/rot-new",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("rot is now encrypted with alias/rot-new (was alias/rot-old)."));
    let s = status(&sandbox, region, "rot");
    assert_eq!(s["encryption"]["key_arn"], new.as_str());
    // The seeder's own Start is in CloudTrail too: AWS counts both.
    assert_eq!(s["quota"]["used_here"], 1, "{s:#}");
    assert_eq!(s["quota"]["used_elsewhere"], 1, "{s:#}");
    assert_eq!(s["quota"]["used"], 2);
    assert_eq!(s["quota"]["remaining"], 23);
    assert!(s["quota"]["next_slot_at"].is_string());

    let out =
        run(sandbox
            .against_moto(region)
            .args(["rotate", "plain", "--key", "aws-owned", "--yes"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(
        status(&sandbox, region, "plain")["encryption"]["key_type"],
        "AWS_OWNED_CMK"
    );

    let out = run(sandbox
        .against_moto(region)
        .args(["disable", "plain", "--yes"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("plain is no longer encrypted by Firehose"));
    assert_eq!(
        status(&sandbox, region, "plain")["encryption"]["status"],
        "DISABLED"
    );

    let lines = audit(&sandbox);
    let outcomes: Vec<&str> = lines
        .iter()
        .map(|l| l["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "sent",
            "accepted",
            "succeeded",
            "sent",
            "accepted",
            "succeeded",
            "sent",
            "accepted",
            "succeeded"
        ]
    );
    let first = &lines[0];
    assert_eq!(first["action"], "rotate");
    assert_eq!(first["stream"], "rot");
    assert_eq!(first["account"], "123456789012");
    assert_eq!(first["region"], region);
    assert_eq!(first["old_key"], "alias/rot-old");
    assert_eq!(first["new_key"], "alias/rot-new");
    assert!(first["caller"].as_str().unwrap().starts_with("arn:aws:"));
    assert_eq!(lines[3]["action"], "enable");
    assert_eq!(lines[6]["action"], "disable");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(sandbox.path("data/firekeeper/audit.jsonl"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn refusals_exit_4_and_send_nothing() {
    let region = "ap-northeast-1";
    let seed = Seeder::new(region).await;
    let good = seed.key(Some("alias/good")).await;
    let off = seed.key(Some("alias/off")).await;
    seed.disable_key(&off).await;
    seed.direct_put("target", Enc::Customer(&good)).await;
    seed.kinesis_sourced("from-kinesis").await;
    let sandbox = Sandbox::new();
    let cases: [(&[&str], &str); 7] = [
        (
            &["rotate", "from-kinesis", "--key", "aws-owned", "--yes"],
            "DirectPut streams only",
        ),
        (
            &["rotate", "target", "--key", "alias/off", "--yes"],
            "is Disabled",
        ),
        (
            &["rotate", "target", "--key", "alias/good", "--yes"],
            "already encrypted with alias/good",
        ),
        (
            &["rotate", "nowhere", "--key", "aws-owned", "--yes"],
            "no delivery stream nowhere",
        ),
        (
            &["rotate", "target", "--key", "alias/missing", "--yes"],
            "no key alias/missing",
        ),
        (
            &[
                "rotate",
                "target",
                "--key",
                "arn:aws:kms:eu-west-3:123456789012:key/abc",
                "--yes",
            ],
            "is in eu-west-3",
        ),
        (&["rotate", "target", "--key", "aws-owned"], "pass --yes"),
    ];
    for (args, words) in cases {
        let out = run(sandbox.against_moto(region).args(args));
        assert_eq!(out.status.code(), Some(4), "{args:?}: {}", text(&out));
        assert!(text(&out).contains(words), "{args:?}: {}", text(&out));
        assert!(text(&out).contains("nothing was sent"), "{args:?}");
    }
    let out = run(sandbox
        .against_moto(region)
        .args(["--read-only", "disable", "target", "--yes"]));
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(text(&out).contains("read-only"));

    // Nothing changed, nothing spent, every refusal on record.
    let s = status(&sandbox, region, "target");
    assert_eq!(s["encryption"]["key_arn"], good.as_str());
    assert_eq!(s["quota"]["used_here"], 0, "{s:#}");
    assert_eq!(s["quota"]["used"], 1, "only the seeder's Start: {s:#}");
    let outcomes: Vec<String> = audit(&sandbox)
        .iter()
        .map(|l| l["outcome"].as_str().unwrap().to_string())
        .collect();
    assert!(outcomes.iter().all(|o| o == "refused"), "{outcomes:?}");
    assert!(outcomes.len() >= 5);
}

#[tokio::test]
async fn the_26th_call_in_24_hours_is_refused_locally_and_the_count_survives_restarts() {
    let region = "ap-southeast-2";
    let seed = Seeder::new(region).await;
    seed.key(Some("alias/q-a")).await;
    seed.key(Some("alias/q-b")).await;
    seed.direct_put("busy", Enc::None).await;
    let sandbox = Sandbox::new();
    for i in 0..25 {
        let key = if i % 2 == 0 { "alias/q-a" } else { "alias/q-b" };
        // Each call is its own process: the ledger on disk carries the count.
        let out = run(sandbox.against_moto(region).args([
            "rotate",
            "busy",
            "--key",
            key,
            "--yes",
            "--no-wait",
        ]));
        assert_eq!(out.status.code(), Some(0), "call {i}: {}", text(&out));
    }
    let out = run(sandbox.against_moto(region).args([
        "rotate",
        "busy",
        "--key",
        "alias/q-b",
        "--yes",
        "--no-wait",
    ]));
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("no Start/Stop calls left"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("the next frees at"), "{}", text(&out));

    let s = status(&sandbox, region, "busy");
    assert_eq!(s["quota"]["used"], 25);
    assert_eq!(s["quota"]["remaining"], 0);
    assert_eq!(s["health"], "warning");
    let sent = audit(&sandbox)
        .iter()
        .filter(|l| l["outcome"] == "sent")
        .count();
    assert_eq!(sent, 25, "the 26th never reached AWS");
    // The last key set is the 25th call's (alias/q-a), not the refused one's.
    let out = run(sandbox
        .against_moto(region)
        .args(["status", "--output", "json"]));
    let report = stdout_json(&out);
    let busy = report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "busy")
        .unwrap();
    assert_eq!(busy["encryption"]["key_alias"], "alias/q-a");
}
