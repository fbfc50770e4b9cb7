//! Names and messages from AWS are data: printed by `firekeeper status`, they
//! must not clear the screen, move the cursor or retitle the window.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{run, stdout_json, Enc, Sandbox, Seeder};
use firekeeper::cloud::scenario::{Scenario, ScenarioFailure, ScenarioStream};
use firekeeper::cloud::sim::SimCloud;
use firekeeper::config::Config;
use firekeeper::model::Window;
use firekeeper::quota::Ledger;
use firekeeper::status;

const CLEAR: &str = "\x1b[2J";
const TITLE: &str = "\x1b]0;pwned\x07";

/// Bytes a terminal acts on: C0 but the newline, DEL, and C1 (as UTF-8).
fn controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect()
}

fn hostile_scenario(name: &str) -> Scenario {
    let mut scenario = Scenario::builtin();
    let mut stream: ScenarioStream = scenario
        .streams
        .iter()
        .find(|s| s.failure.is_some())
        .cloned()
        .expect("the demo has a failed change");
    stream.name = name.to_string();
    stream.failure = Some(ScenarioFailure {
        kind: format!("DISABLED_KMS_KEY{TITLE}"),
        details: format!("KMS key is disabled.{CLEAR}{TITLE}\u{9b}31m Enable it."),
    });
    scenario.streams.push(stream);
    scenario
}

#[tokio::test]
async fn the_status_table_escapes_control_characters_and_json_stays_escaped() {
    let name = format!("evil{CLEAR}stream{TITLE}");
    let sim = SimCloud::new(hostile_scenario(&name));
    let report = status::gather(
        &sim,
        &Config::builtin(),
        Window::H3,
        &[],
        &Ledger::in_memory(),
    )
    .await
    .unwrap();
    assert!(report.streams.iter().any(|s| s.name == name));

    let table = status::table(&report, status::Cells::Fit(100));
    assert_eq!(controls(&table), Vec::<char>::new(), "{table}");
    assert!(
        table.contains("evil\\u{1b}[2Jstream"),
        "shown, escaped: {table}"
    );
    assert!(
        table.contains("disabled.\\u{1b}[2J\\u{1b}]0;pwned\\u{7}\\u{9b}31m"),
        "{table}"
    );

    // serde_json escapes C0 itself; the name survives the round trip exactly.
    let json = serde_json::to_string_pretty(&report).unwrap();
    assert!(!json.contains('\x1b') && !json.contains('\x07'), "{json}");
    assert!(json.contains("evil\\u001b[2Jstream"), "{json}");
    let back: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(back["streams"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == name.as_str()));
}

/// The bug as users met it: moto, like a misbehaving endpoint, accepts any
/// stream name, and `status` wrote it to the terminal raw.
#[tokio::test]
async fn status_against_moto_writes_no_escape_sequence() {
    let region = "ap-southeast-3";
    let seed = Seeder::new(region).await;
    let name = format!("esc{CLEAR}{TITLE}-stream");
    seed.direct_put(&name, Enc::None).await;
    seed.direct_put("plain-neighbour", Enc::AwsOwned).await;

    let sandbox = Sandbox::new();
    let out = run(sandbox.against_moto(region).arg("status"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(controls(&stdout), Vec::<char>::new(), "{stdout}");
    assert_eq!(controls(&stderr), Vec::<char>::new(), "{stderr}");
    assert!(stdout.contains("esc\\u{1b}[2J\\u{1b}]0;pwned"), "{stdout}");
    assert!(stdout.contains("plain-neighbour"), "{stdout}");

    let out = run(sandbox
        .against_moto(region)
        .args(["status", "--output", "json"]));
    assert!(!out.stdout.contains(&0x1b), "JSON escapes ESC");
    let report = stdout_json(&out);
    assert!(report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["name"] == name.as_str()));

    // A name asked for that AWS does not have is echoed back on stderr.
    let out =
        run(sandbox
            .against_moto(region)
            .args(["status", "--stream", &format!("missing{CLEAR}")]));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("missing\\u{1b}[2J"), "{stderr}");
    assert_eq!(controls(&stderr), Vec::<char>::new(), "{stderr}");
}
