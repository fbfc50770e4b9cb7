//! The quota ledger across processes: killed writers and concurrent writers.
//! The test binary re-runs itself as the child process (FK_LEDGER_CHILD set).

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::Utc;
use firekeeper::quota::{self, Call, Entry, Ledger, Operation, Outcome};

fn call(stream: &str) -> Call {
    Call {
        account: "123456789012".into(),
        region: "us-east-1".into(),
        stream: stream.into(),
        action: Operation::Start,
        access_key_id: None,
        force: false,
    }
}

/// The child: reserves and records calls on FK_LEDGER_PATH as fast as it can,
/// FK_LEDGER_CALLS times (or forever), for stream FK_LEDGER_STREAM.
#[test]
fn child() {
    let Ok(path) = std::env::var("FK_LEDGER_CHILD") else {
        return;
    };
    let ledger = Ledger::at(path.into());
    let stream = std::env::var("FK_LEDGER_STREAM").unwrap();
    let calls: usize = std::env::var("FK_LEDGER_CALLS").map_or(usize::MAX, |n| n.parse().unwrap());
    for _ in 0..calls {
        let now = Utc::now();
        match ledger.reserve(&call(&stream), now).unwrap() {
            Ok(id) => ledger
                .record(&Entry {
                    at: now,
                    id,
                    account: "123456789012".into(),
                    region: "us-east-1".into(),
                    stream: stream.clone(),
                    action: Operation::Start,
                    outcome: Outcome::Accepted,
                    request_id: None,
                    access_key_id: None,
                    error: None,
                })
                .unwrap(),
            Err(_) => println!("REFUSED"),
        }
    }
}

fn spawn(path: &std::path::Path, stream: &str, calls: Option<usize>) -> std::process::Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("FK_LEDGER_CHILD", path)
        .env("FK_LEDGER_STREAM", stream)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(n) = calls {
        cmd.env("FK_LEDGER_CALLS", n.to_string());
    }
    cmd.spawn().unwrap()
}

#[test]
fn a_writer_killed_at_any_moment_leaves_a_readable_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.jsonl");
    for round in 0..6 {
        // Each round uses a fresh stream so the quota never stops the writer.
        let mut child = spawn(&path, &format!("s{round}"), None);
        std::thread::sleep(Duration::from_millis(150 + round * 37));
        child.kill().unwrap(); // SIGKILL: no chance to finish a line
        child.wait().unwrap();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        let parsed = quota::parse_entries(&text);
        assert!(
            parsed.len() + 1 >= lines.len(),
            "at most one torn line: {} lines, {} readable",
            lines.len(),
            parsed.len()
        );
        // And the ledger still takes new calls after the crash.
        Ledger::at(path.clone())
            .reserve(&call("after-crash"), Utc::now())
            .unwrap()
            .unwrap();
    }
    assert!(!quota::parse_entries(&std::fs::read_to_string(&path).unwrap()).is_empty());
}

#[test]
fn two_processes_cannot_overrun_a_streams_quota_together() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.jsonl");
    let a = spawn(&path, "shared", Some(20));
    let b = spawn(&path, "shared", Some(20));
    let out_a = a.wait_with_output().unwrap();
    let out_b = b.wait_with_output().unwrap();
    let refused = String::from_utf8_lossy(&out_a.stdout)
        .matches("REFUSED")
        .count()
        + String::from_utf8_lossy(&out_b.stdout)
            .matches("REFUSED")
            .count();
    let entries = Ledger::at(path).read().unwrap();
    let q = quota::quotas(&entries, "123456789012", "us-east-1", Utc::now());
    assert_eq!(q["shared"].used, 25, "exactly the limit was taken");
    assert_eq!(q["shared"].remaining, 0);
    assert_eq!(refused, 15, "40 attempts, 25 granted, 15 refused");
}
