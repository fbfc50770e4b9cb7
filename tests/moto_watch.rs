//! `firekeeper watch --output jsonl` through the real binary against moto:
//! a key in use disabled by someone else is one critical line naming the
//! key, its streams and who; enabling it again one recovery line; a
//! CloudWatch outage one unknown line, not one a minute. And the alert hook
//! gets the same JSON, and is killed at its deadline.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use common::{Enc, Faults, Sandbox, Seeder};
use serde_json::{json, Value};

/// A region of moto_kms_signal's, which runs before this binary.
const REGION: &str = "us-iso-west-1";

/// `watch` running, its JSON lines arriving on a channel.
struct Watching {
    child: Child,
    lines: Receiver<Value>,
}

impl Watching {
    fn start(sandbox: &Sandbox, config: &std::path::Path) -> Watching {
        let mut child = sandbox
            .against_moto(REGION)
            .arg("--config")
            .arg(config)
            .args(["watch", "--output", "jsonl", "--for", "10m"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Watching { child, lines }
    }

    /// The first line `pick` accepts within `secs`, and every line before it.
    fn wait(&self, secs: u64, what: &str, pick: impl Fn(&Value) -> bool) -> (Value, Vec<Value>) {
        let end = Instant::now() + Duration::from_secs(secs);
        let mut seen = Vec::new();
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(v) if pick(&v) => return (v, seen),
                Ok(v) => seen.push(v),
                Err(_) => break,
            }
        }
        panic!("no {what} within {secs} s; lines: {seen:#?}")
    }

    /// Every line that comes within `secs`.
    fn drain(&self, secs: u64) -> Vec<Value> {
        let end = Instant::now() + Duration::from_secs(secs);
        let mut seen = Vec::new();
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(v) => seen.push(v),
                Err(_) => break,
            }
        }
        seen
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn names(v: &Value) -> Vec<&str> {
    v["streams"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn about(v: &Value, stream: &str) -> bool {
    names(v).contains(&stream)
}

#[tokio::test]
async fn a_disabled_key_is_one_line_its_recovery_one_and_an_outage_one() {
    let seed = Seeder::new(REGION).await;
    let key = seed.key(Some("alias/w-key")).await;
    seed.direct_put("w-orders", Enc::Customer(&key)).await;
    seed.direct_put("w-clicks", Enc::Customer(&key)).await;
    let faults = Faults::new(REGION);
    let other = "AKIAWATCHMALLORY0001";
    faults.identity(json!({"accessKeyId": other, "userName": "mallory"}));
    let sandbox = Sandbox::new();
    let config = sandbox.write_config(
        "[cloudtrail]\npoll_secs = 10\n[alerts]\nsettle_secs = 0\n\
         [refresh]\nmetrics_secs = 15\n[cloudwatch]\nsweep_secs = 60\n",
    );
    let watch = Watching::start(&sandbox, &config);
    let (baseline, _) = watch.wait(120, "baseline", |v| v["kind"] == "baseline");
    assert!(
        baseline["counts"]["ok"].as_u64().unwrap() >= 2,
        "{baseline}"
    );

    // Mallory disables the key both streams use.
    let kms = aws_sdk_kms::Client::new(&common::sdk_config_as(REGION, other).await);
    let id = key.rsplit_once("key/").map_or(key.as_str(), |(_, id)| id);
    kms.disable_key().key_id(id).send().await.unwrap();
    // [cloudtrail] poll_secs + 60 s at the most.
    let (told, _) = watch.wait(70, "a critical line", |v| {
        about(v, "w-orders") && v["severity"] == "critical"
    });
    assert_eq!(told["kind"], "health", "{told:#}");
    assert!(
        about(&told, "w-clicks"),
        "both streams in one line: {told:#}"
    );
    assert_eq!(told["key"], "alias/w-key", "{told:#}");
    assert_eq!(told["by"], "mallory", "{told:#}");
    let more = watch.drain(20);
    assert!(
        !more
            .iter()
            .any(|v| about(v, "w-orders") || v["key"] == "alias/w-key"),
        "said once: {more:#?}"
    );

    // Enabled again: one recovery line for both.
    kms.enable_key().key_id(id).send().await.unwrap();
    let (back, _) = watch.wait(70, "a recovery", |v| about(v, "w-orders"));
    assert_eq!(back["kind"], "recovered", "{back:#}");
    assert!(about(&back, "w-clicks"), "{back:#}");
    let more = watch.drain(20);
    assert!(
        !more.iter().any(|v| about(v, "w-orders")),
        "once: {more:#?}"
    );

    // CloudWatch stops answering: once the figures are older than a sweep
    // and two fetches, one line says the fleet can no longer be told.
    faults.add(json!({"service": "monitoring", "fault": "error", "status": 500}));
    let (blind, _) = watch.wait(150, "an unknown line", |v| {
        about(v, "w-orders") && v["severity"] == "unknown"
    });
    assert!(
        about(&blind, "w-clicks"),
        "one line for the fleet: {blind:#}"
    );
    let more = watch.drain(45);
    faults.clear();
    assert!(
        !more.iter().any(|v| v["severity"] == "unknown"),
        "not one a minute: {more:#?}"
    );
}

#[test]
fn the_hook_gets_each_alert_as_watch_prints_it_and_is_killed_at_its_deadline() {
    let sandbox = Sandbox::new();
    let seen = sandbox.path("hook-input.jsonl");
    let hook = sandbox.path("hook.sh");
    std::fs::write(
        &hook,
        format!("#!/bin/sh\ncat >> '{}'\nsleep 30\n", seen.display()),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let config = sandbox.write_config(&format!(
        "[alerts]\ncommand = [\"{}\"]\ncommand_timeout_secs = 2\n",
        hook.display()
    ));
    let started = Instant::now();
    let out = common::run(
        sandbox
            .command()
            .arg("--config")
            .arg(&config)
            .args(["--demo", "watch", "--output", "jsonl", "--for", "30s"]),
    );
    assert_eq!(out.status.code(), Some(0), "{}", common::text(&out));
    assert!(started.elapsed() < Duration::from_secs(60));
    let mut printed: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &Value| v["kind"] != "baseline")
        .collect();
    assert!(!printed.is_empty(), "the demo has critical streams");
    let mut hooked: Vec<Value> = std::fs::read_to_string(&seen)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Each alert's hook runs on its own: they may finish in any order.
    let by_id = |v: &Value| v["id"].as_str().unwrap().to_string();
    printed.sort_by_key(by_id);
    hooked.sort_by_key(by_id);
    assert_eq!(hooked, printed, "the hook gets what watch prints");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("killed after 2 s"), "{err}");
}
