//! `status` of the real binary on the demo: its JSON against
//! `schema/status.schema.json` (every kind of stream, key and quota the
//! simulator has; tests/moto_status.rs checks the SDK's answers too), and
//! its table in an 80-column terminal.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::schema::{assert_checker_catches_breaks, assert_valid, status_schema};
use common::tmux::{script, Tmux};
use common::{run, stdout_json, Sandbox};
use serde_json::Value;

/// The report as printed, and parsed.
fn demo_json(window: &str) -> (String, Value) {
    let sandbox = Sandbox::new();
    let out = run(sandbox
        .command()
        .args(["--demo", "status", "--output", "json", "--window", window]));
    // The demo has critical streams: exit 3, the report printed in full.
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    (
        String::from_utf8(out.stdout.clone()).unwrap(),
        stdout_json(&out),
    )
}

/// The day's window has the most: errors that stopped, five-minute
/// buckets. The checker must also fail what the schema forbids.
#[test]
fn the_schema_holds_for_the_demo_and_the_checker_catches_breaks() {
    let schema = status_schema();
    let (_, day) = demo_json("24h");
    assert_valid(&schema, &day);
    assert_checker_catches_breaks(&schema, &day);
}

/// What the prose says is in fields too: who disabled the key, when a
/// pending key goes, the source as AWS spells it and as the table does.
#[test]
fn the_facts_of_the_problems_are_fields() {
    let (printed, report) = demo_json("3h");
    assert_valid(&status_schema(), &report);
    assert!(
        printed.starts_with("{\n  \"schema_version\": 1,\n"),
        "schema_version leads: {}",
        &printed[..60]
    );
    let streams = report["streams"].as_array().unwrap();
    let named = |n: &str| streams.iter().find(|s| s["name"] == n).unwrap();
    let billing = named("billing-export");
    let key = &billing["encryption"]["key"];
    assert_eq!(key["changed_by"]["event"], "DisableKey");
    assert_eq!(key["changed_by"]["by"], "dana.whitfield");
    let at = key["changed_by"]["at"].as_str().unwrap();
    let problem = billing["problems"][0].as_str().unwrap();
    assert!(
        problem.contains(&format!(
            "disabled by dana.whitfield at {} UTC",
            &at[11..16]
        )),
        "{at} in {problem}"
    );
    assert!(billing["errors_since"]["from"].is_string());
    assert!(billing["discard_from"].is_string());
    let pending = streams
        .iter()
        .find(|s| s["encryption"]["key"]["state"] == "PendingDeletion")
        .expect("the demo has a key pending deletion");
    assert!(pending["encryption"]["key"]["deletion_date"].is_string());
    assert!(key["deletion_date"].is_null(), "not pending");
    let database = streams
        .iter()
        .find(|s| s["source"] == "DatabaseAsSource")
        .unwrap();
    assert_eq!(database["source_label"], "Database");
}

/// In an 80-column tmux pane (its width from the terminal: no $COLUMNS),
/// every line fits, so the terminal wraps none and splits no word: the
/// pane read with wrapped lines joined is the pane as it is.
#[test]
fn status_in_an_80_column_terminal_splits_no_word() {
    let sandbox = Sandbox::new();
    let tmux = Tmux::start(&script(&sandbox, &[], "--demo status"));
    tmux.wait_for("EXITED 3");
    let lines = |joined: bool| -> Vec<String> {
        let mut args = vec!["capture-pane", "-p", "-S", "-"];
        if joined {
            args.push("-J");
        }
        let out = tmux.tmux(&args);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim_end().to_string())
            .collect()
    };
    let (as_is, joined) = (lines(false), lines(true));
    assert!(as_is.iter().any(|l| l.starts_with("billing-export ")));
    assert!(
        as_is
            .iter()
            .any(|l| l.starts_with("Not shown in 80 columns: SOURCE.")),
        "{as_is:#?}"
    );
    assert!(as_is
        .iter()
        .any(|l| l.starts_with("NAME ") && !l.contains("SOURCE")));
    assert_eq!(as_is, joined, "the terminal wrapped a line");
}
