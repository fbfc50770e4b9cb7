//! Every outcome settled, against moto through the launcher: a move stopped
//! by SIGHUP or SIGTERM ends every call on record (a call in flight as
//! `unknown`, slots of calls not sent given back) and exits 129 or 143; the
//! next `status` settles the call whose answer never came from CloudTrail;
//! a `rotate` killed with -9 right after its Start is settled by the next run;
//! and a call that does not answer is said with the endpoint it went to.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{audit, run, stdout_json, text, Enc, Faults, Sandbox, Seeder};
use serde_json::{json, Value};

const START: &str = "StartDeliveryStreamEncryption";

/// The sandbox's ledger, one JSON value a line.
fn ledger(sandbox: &Sandbox) -> Vec<Value> {
    std::fs::read_to_string(sandbox.path("data/firekeeper/ledger.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Each call's lines (by its id), in the order written.
fn by_call(lines: &[Value], key: &str) -> BTreeMap<String, Vec<Value>> {
    let mut calls: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for l in lines {
        if let Some(id) = l[key].as_str() {
            calls.entry(id.to_string()).or_default().push(l.clone());
        }
    }
    calls
}

fn outcome(line: &Value) -> &str {
    line["outcome"].as_str().unwrap()
}

/// Waits until `done` holds, or `limit` passes (then fails, saying `what`).
fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, sig: i32) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: sends a signal to our own child, which has not been waited for.
    assert_eq!(unsafe { libc::kill(pid, sig) }, 0);
}

/// A move of 8 streams off a key, one Start's answer lost (the call is in
/// flight when the signal comes), stopped by `sig` while other calls are
/// reserved and waiting their turn at the Firehose pace.
async fn a_move_stopped_by(region: &str, sig: i32, code: i32) {
    let seed = Seeder::new(region).await;
    let old = seed.key(Some("alias/settle-old")).await;
    seed.key(Some("alias/settle-new")).await;
    for i in 0..8 {
        seed.direct_put(&format!("settle-{i}"), Enc::Customer(&old))
            .await;
    }
    let faults = Faults::new(region);
    // AWS carries the Start out; its answer never comes back in time.
    faults.add(
        json!({"service": "firehose", "operation": START, "fault": "lose_answer", "delay": 120}),
    );
    let seeded = faults.calls(START).0;
    let sandbox = Sandbox::new();
    // One Firehose call a second: calls wait their turn, so some are
    // reserved and not yet sent when the signal lands.
    let config =
        sandbox.write_config("[aws]\ncall_timeout_secs = 60\nfirehose_calls_per_second = 1\n");
    let child = sandbox
        .against_moto(region)
        .arg("--config")
        .arg(&config)
        .args(["rotate", "--from-key", "alias/settle-old"])
        .args(["--key", "alias/settle-new", "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The lost Start has reached AWS, and another call holds a slot with no
    // answer yet.
    wait_for(Duration::from_secs(90), "a second open reservation", || {
        let open = by_call(&ledger(&sandbox), "id")
            .values()
            .filter(|lines| lines.iter().all(|l| l["outcome"] == "sent"))
            .count();
        faults.calls(START).0 > seeded && open >= 2
    });
    signal(&child, sig);
    let out = wait_exit(child, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(code), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("stopped by SIG"), "{said}");
    every_call_ended(&sandbox, faults.calls(START).0 - seeded);

    // The next run settles the lost call from CloudTrail.
    faults.clear();
    let status = run(sandbox
        .against_moto(region)
        .arg("--config")
        .arg(&config)
        .args(["status", "--output", "json"]));
    lost_call_settled(&sandbox, &status);
}

/// No call left at `sent`: the one in flight is `unknown`; a slot is kept
/// only for a call that may have reached AWS (`received` did), and a call
/// stopped before it left gave its slot back.
fn every_call_ended(sandbox: &Sandbox, received: u64) {
    let calls = by_call(&audit(sandbox), "call_id");
    for (id, lines) in &calls {
        assert_ne!(outcome(lines.last().unwrap()), "sent", "{id}: {lines:#?}");
    }
    let last_says = |id: &str, what: &str| {
        calls[id].last().unwrap()["message"]
            .as_str()
            .unwrap()
            .contains(what)
    };
    let in_flight = calls
        .keys()
        .filter(|id| last_says(id, "on its way to AWS"))
        .count();
    assert!(in_flight >= 1, "the lost call is unknown: {calls:#?}");
    let slots = by_call(&ledger(sandbox), "id");
    let unsent: Vec<&String> = slots
        .iter()
        .filter(|(_, l)| l.last().unwrap()["outcome"] == "unsent")
        .map(|(id, _)| id)
        .collect();
    assert!(!unsent.is_empty(), "reserved calls not sent: {slots:#?}");
    for id in &unsent {
        assert_eq!(outcome(calls[*id].last().unwrap()), "refused");
        assert!(last_says(id, "nothing was sent"));
    }
    let kept = (slots.len() - unsent.len()) as u64;
    assert!(kept >= received, "{kept} kept, {received} received");
    assert!(kept <= received + in_flight as u64, "{slots:#?}");
}

/// `status` settled the call whose answer was lost, from CloudTrail, and
/// taught the ledger its request id, so CloudTrail's copy counts once.
fn lost_call_settled(sandbox: &Sandbox, status: &std::process::Output) {
    let said = String::from_utf8_lossy(&status.stderr);
    assert!(
        said.contains("settled: accepted (CloudTrail has the call"),
        "{said}"
    );
    let calls = by_call(&audit(sandbox), "call_id");
    for (id, lines) in &calls {
        assert_ne!(outcome(lines.last().unwrap()), "sent", "{id}");
    }
    let lost = calls
        .values()
        .find(|l| {
            l.iter()
                .any(|x| x["message"].as_str().unwrap().contains("on its way to AWS"))
        })
        .unwrap();
    let last = lost.last().unwrap();
    assert_eq!(outcome(last), "accepted", "{lost:#?}");
    assert!(last["message"]
        .as_str()
        .unwrap()
        .starts_with("settled: accepted"));
    let slots = by_call(&ledger(sandbox), "id");
    let word = slots[last["call_id"].as_str().unwrap()].last().unwrap();
    assert_eq!(word["outcome"], "accepted", "{word:#}");
    assert_eq!(word["request_id"], last["request_id"]);
    for s in stdout_json(status)["streams"].as_array().unwrap() {
        // The seeding's Start, and at most this move's.
        let used = s["quota"]["used"].as_u64().unwrap();
        assert!(used <= 2, "each call once: {s:#}");
    }
}

fn wait_exit(mut child: Child, limit: Duration) -> std::process::Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < limit, "exited within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn a_dropped_ssh_session_mid_move_ends_every_call_and_exits_129() {
    a_move_stopped_by("us-isof-south-1", libc::SIGHUP, 129).await;
}

#[tokio::test]
async fn sigterm_mid_move_ends_every_call_and_exits_143() {
    a_move_stopped_by("eusc-de-east-1", libc::SIGTERM, 143).await;
}

#[tokio::test]
async fn a_switch_killed_right_after_its_start_is_settled_accepted_by_the_next_run() {
    // Another binary's region: this test's stream is its own, by name.
    let region = "ap-southeast-7";
    let seed = Seeder::new(region).await;
    seed.key(Some("alias/settle-k9")).await;
    seed.direct_put("settle-kill9", Enc::None).await;
    let faults = Faults::new(region);
    faults.add(
        json!({"service": "firehose", "operation": START, "fault": "lose_answer", "delay": 120}),
    );
    let sandbox = Sandbox::new();
    let config = sandbox.write_config("[aws]\ncall_timeout_secs = 60\n");
    let before = faults.calls(START).0;
    let mut child = sandbox
        .against_moto(region)
        .arg("--config")
        .arg(&config)
        .args([
            "rotate",
            "settle-kill9",
            "--key",
            "alias/settle-k9",
            "--yes",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(Duration::from_secs(60), "the Start reaching AWS", || {
        faults.calls(START).0 > before
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let lines = audit(&sandbox);
    assert_eq!(
        outcome(lines.last().unwrap()),
        "sent",
        "kill -9 leaves it at sent"
    );
    faults.clear();

    let out = run(sandbox
        .against_moto(region)
        .arg("--config")
        .arg(&config)
        .args(["status", "--output", "json", "--stream", "settle-kill9"]));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("settle-kill9: StartDeliveryStreamEncryption sent at"),
        "{said}"
    );
    assert!(
        said.contains("settled: accepted (CloudTrail has the call"),
        "{said}"
    );
    let lines = audit(&sandbox);
    let last = lines.last().unwrap();
    assert_eq!(outcome(last), "accepted", "{lines:#?}");
    assert_eq!(last["call_id"], lines[lines.len() - 2]["call_id"]);
    let quota = &stdout_json(&out)["streams"][0]["quota"];
    assert_eq!(quota["used"], 1, "the call counts once: {quota:#}");
    assert_eq!(quota["used_here"], 1, "{quota:#}");
    // Settled once: the run after says nothing more of it.
    let again = run(sandbox
        .against_moto(region)
        .arg("--config")
        .arg(&config)
        .args(["status", "--stream", "settle-kill9"]));
    assert!(!String::from_utf8_lossy(&again.stderr).contains("settled"));
    assert_eq!(audit(&sandbox).len(), lines.len());
}

#[test]
fn a_call_that_does_not_answer_names_the_endpoint_it_went_to() {
    // Another binary's region: STS only, no stream of its.
    let region = "mx-central-1";
    let faults = Faults::new(region);
    faults.add(json!({"service": "sts", "fault": "hang"}));
    let endpoint = common::moto_endpoint();
    let sandbox = Sandbox::new();
    let config = sandbox.write_config("[aws]\ncall_timeout_secs = 2\n");
    let status = |cmd: &mut std::process::Command| {
        let out = run(cmd
            .arg("--config")
            .arg(&config)
            .args(["--region", region, "status"]));
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let keys = |cmd: &mut std::process::Command| {
        cmd.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
    };
    let want = format!("no answer from {endpoint} (sts GetCallerIdentity) within 2 s");
    // AWS_ENDPOINT_URL, for every service.
    let mut cmd = sandbox.command();
    keys(&mut cmd);
    let said = status(cmd.env("AWS_ENDPOINT_URL", &endpoint));
    assert!(said.contains(&want), "{said}");
    // STS's own variable.
    let mut cmd = sandbox.command();
    keys(&mut cmd);
    let said = status(cmd.env("AWS_ENDPOINT_URL_STS", &endpoint));
    assert!(said.contains(&want), "{said}");
    // A profile's endpoint_url.
    std::fs::write(
        sandbox.path("aws-config"),
        format!("[profile local]\nendpoint_url = {endpoint}\n"),
    )
    .unwrap();
    let mut cmd = sandbox.command();
    keys(&mut cmd);
    let said = status(cmd.args(["--profile", "local"]));
    assert!(said.contains(&want), "{said}");
    faults.clear();
}
