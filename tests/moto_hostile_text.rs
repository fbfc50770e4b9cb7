//! Text an attacker controls, through the real binary against moto: a 5 KB
//! failure description holding a newline and a bidi override (the launcher's
//! `describe_failure` fault), a 10 KB user name and a role session name with
//! a newline and bidi controls in CloudTrail records. `status` shows them,
//! never obeys them, and keeps them whole in JSON.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{run, stdout_json, Enc, Faults, Sandbox, Seeder};
use serde_json::json;

/// Owned by moto_cost, which runs before this binary: every run here names
/// its own streams, and leaves none where a later binary counts them.
const REGION: &str = "ap-southeast-5";

#[tokio::test]
async fn hostile_text_from_aws_is_shown_never_obeyed_in_status() {
    let seed = Seeder::new(REGION).await;
    let key = seed.key(Some("alias/ht-key")).await;
    seed.direct_put("ht-victim", Enc::Customer(&key)).await;
    let faults = Faults::new(REGION);
    let failure = format!(
        "KMS refused.\nfake: all streams OK \u{202e}{}",
        "A".repeat(5 * 1024)
    );
    faults.add(json!({"service": "firehose", "fault": "describe_failure",
                      "streams": ["ht-victim"], "message": failure}));
    let long_user = "u".repeat(10 * 1024);
    let session = "ops\u{202e}\u{2066}\nfake: quota 25/25 OK\u{2069}";
    faults.identity(
        json!({"accessKeyId": "AKIAHOSTILESESSION01", "type": "AssumedRole",
                           "userName": "deployer", "sessionName": session}),
    );
    faults.events(&[
        json!({"eventName": "StartDeliveryStreamEncryption", "resourceName": "ht-victim",
               "user": long_user, "at": 600}),
        json!({"eventName": "StartDeliveryStreamEncryption", "resourceName": "ht-victim",
               "accessKeyId": "AKIAHOSTILESESSION01", "at": 300}),
    ]);

    let sandbox = Sandbox::new();
    let out = run(sandbox
        .against_moto(REGION)
        .args(["status", "--stream", "ht-victim"]));
    faults.clear();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!out.stdout.contains(&0x1b), "ESC in: {text}");
    let rlo = "\u{202e}".as_bytes();
    assert!(
        !out.stdout.windows(3).any(|w| w == rlo),
        "U+202E in: {text}"
    );
    assert!(
        !text.lines().any(|l| l.trim_start().starts_with("fake:")),
        "injected text read as a line of firekeeper's: {text}"
    );
    assert!(text.contains("KMS refused.⏎fake: all"), "{text}");
    assert!(text.contains("--output json has it all"), "{text}");
    assert!(text.lines().count() < 60, "{} lines", text.lines().count());

    // JSON keeps the exact values.
    let out = run(sandbox.against_moto(REGION).args([
        "status",
        "--output",
        "json",
        "--stream",
        "ht-victim",
    ]));
    let report = stdout_json(&out);
    let s = &report["streams"][0];
    let calls = s["quota"]["calls"].as_array().unwrap();
    assert!(
        calls
            .iter()
            .any(|c| c["by"].as_str() == Some(long_user.as_str())),
        "the whole 10 KB name in JSON: {calls:?}"
    );
}
