//! What firekeeper costs in CloudWatch, counted by the launcher in front of
//! moto (the metrics of each GetMetricData request), over 150 streams of
//! which 100 are on customer keys: `status` asks every stream that can have
//! KMS errors for all four metrics and the others only for the series that
//! exist; a running dashboard asks the quiet ones once a sweep; both give
//! the same KMS figures. The figures are printed for the README.
//!
//! moto's ListMetrics ignores `RecentlyActive` and lists every series put in
//! the region: a superset of what AWS lists, which makes firekeeper ask for
//! more, never less, so the bounds here hold against AWS too.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::tmux::{script, Tmux};
use common::{run, stdout_json, Enc, Faults, Sandbox, Seeder};
use serde_json::Value;

const STREAMS: usize = 150;
/// The streams on customer keys: every one can have KMS errors.
const ON_CUSTOMER_KEYS: u64 = 100;
const ERRING: &str = "s-000";

/// 150 DirectPut streams: two thirds on customer keys, a sixth on the AWS
/// owned key, a sixth unencrypted; one, on a key since disabled, has KMS
/// errors (12 + 3 in the last half hour).
async fn seed_fleet(region: &str) -> Seeder {
    let seed = Seeder::new(region).await;
    let broken = seed.key(Some("alias/broken")).await;
    let keys = [
        seed.key(Some("alias/k1")).await,
        seed.key(Some("alias/k2")).await,
        seed.key(None).await,
    ];
    for i in 0..STREAMS {
        let name = format!("s-{i:03}");
        let enc = match i % 6 {
            _ if i == 0 => Enc::Customer(&broken),
            1 => Enc::AwsOwned,
            4 => Enc::None,
            _ => Enc::Customer(&keys[i % keys.len()]),
        };
        seed.direct_put(&name, enc).await;
    }
    seed.disable_key(&broken).await;
    seed.kms_errors(ERRING, "KMSKeyDisabled", 12.0, 25).await;
    seed.kms_errors(ERRING, "KMSKeyDisabled", 3.0, 5).await;
    seed
}

fn status(sandbox: &Sandbox, region: &str) -> Value {
    let out = run(sandbox
        .against_moto(region)
        .args(["status", "--output", "json", "--window", "3h"]));
    stdout_json(&out)
}

/// Each stream's KMS error total, `None` when unknown.
fn kms_totals(report: &Value) -> Vec<(String, Option<u64>)> {
    report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let sums = s["kms_errors"].as_object();
            let total = sums.map(|m| m.values().map(|v| v.as_u64().unwrap()).sum());
            (s["name"].as_str().unwrap().to_string(), total)
        })
        .collect()
}

#[tokio::test]
async fn status_over_150_streams_asks_every_stream_that_can_fail_and_only_those() {
    let region = "ap-southeast-7";
    let faults = Faults::new(region);
    seed_fleet(region).await;
    let (before, lists_before) = (faults.metrics_requested(), faults.calls("ListMetrics").0);

    let report = status(&Sandbox::new(), region);
    let asked = faults.metrics_requested() - before;
    let lists = faults.calls("ListMetrics").0 - lists_before;
    eprintln!(
        "status over {STREAMS} streams: {asked} metrics requested, {lists} ListMetrics calls"
    );
    // All four metrics of the 100 streams on customer keys (a new series
    // can take 15 minutes to be listed: they are asked whatever ListMetrics
    // says), and 4 more for the erring stream's 24 h look back: 404. Not
    // 604 (every series of every stream), and not the 8 of a listing alone,
    // which could not see a stream that began failing minutes ago.
    assert_eq!(asked, 4 * ON_CUSTOMER_KEYS + 4, "{asked} metrics requested");
    assert_eq!(report["cloudwatch"]["metrics_requested"], asked);
    assert_eq!(report["cloudwatch"]["list_metrics_calls"], lists);
    // Four metric names, with and without RecentlyActive (the look back).
    assert_eq!(lists, 8);

    let totals = kms_totals(&report);
    assert_eq!(totals.len(), STREAMS);
    for (name, total) in totals {
        let expected = if name == ERRING { 15 } else { 0 };
        assert_eq!(total, Some(expected), "{name}: known, not unknown");
    }
}

#[tokio::test]
async fn when_list_metrics_fails_only_streams_that_cannot_fail_are_unknown() {
    let region = "ap-southeast-6";
    let faults = Faults::new(region);
    seed_fleet(region).await;
    faults.add(serde_json::json!({
        "service": "monitoring",
        "operation": "ListMetrics",
        "fault": "error",
        "status": 400,
        "type": "AccessDeniedException",
        "message": "not allowed: cloudwatch:ListMetrics",
    }));
    let report = status(&Sandbox::new(), region);
    faults.clear();
    let streams = report["streams"].as_array().unwrap();
    for (s, (name, total)) in streams.iter().zip(kms_totals(&report)) {
        if name == ERRING {
            assert_eq!(total, Some(15), "{name}");
        } else if s["kms_asked"] == "all_metrics" {
            // On a customer key: asked for in full whatever ListMetrics says.
            assert_eq!(total, Some(0), "{name}");
        } else {
            assert_eq!(total, None, "{name} must be unknown, not 0");
        }
    }
    let asked_in_full = streams.iter().filter(|s| s["kms_asked"] == "all_metrics");
    assert_eq!(asked_in_full.count() as u64, ON_CUSTOMER_KEYS);
    let quiet = report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "s-001")
        .unwrap();
    assert_eq!(quiet["health"], "unknown", "{quiet:#}");
    let problems = quiet["problems"].to_string();
    assert!(problems.contains("ListMetrics"), "{problems}");
}

/// The binary against moto with metrics fetched every 15 s and a sweep
/// every minute, in a tmux window.
fn dashboard_script(sandbox: &Sandbox, region: &str) -> String {
    let config =
        sandbox.write_config("[refresh]\nmetrics_secs = 15\n[cloudwatch]\nsweep_secs = 60\n");
    script(
        sandbox,
        &[
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ],
        &format!(
            "--config '{}' --endpoint-url {} --region {region}",
            config.display(),
            common::moto_endpoint()
        ),
    )
}

// At the defaults (a fetch every 60 s, a sweep every 300 s), 5 minutes make
// 5 fetches and one sweep; at 15 s and 60 s, a minute makes the same, in a
// fifth of the time. The first sweep comes before the streams are
// described, so it asks every stream in full (any may be on a customer
// key); the ones after only the 100 on customer keys. Between sweeps only
// the erring stream is asked, with its 24 h look back.
#[tokio::test]
async fn a_dashboard_sweeps_the_quiet_streams_and_agrees_with_status() {
    let region = "ap-southeast-5";
    let faults = Faults::new(region);
    seed_fleet(region).await;
    let before = faults.metrics_requested();

    let sandbox = Sandbox::new();
    let tmux = Tmux::start(&dashboard_script(&sandbox, region));
    tmux.wait_within("150 streams", 60);
    tmux.wait_within("1 with KMS errors", 60);
    let started = Instant::now();
    std::thread::sleep(Duration::from_secs(61));
    // Only the erring stream in the table: its figure as the dashboard has it.
    tmux.keys(&["/", "s", "-", "0", "0", "0", "Enter"]);
    let screen = tmux.wait_within("alias/broken", 60);
    let row = screen
        .lines()
        .find(|l| l.contains(ERRING) && l.contains("alias/broken"))
        .unwrap_or_else(|| panic!("no row for {ERRING}:\n{screen}"))
        .to_string();
    tmux.keys(&["?"]);
    let help = tmux.wait_within("ListMetrics calls", 60);
    tmux.keys(&["q"]);
    tmux.wait_within("EXITED 0", 60);
    let ran = started.elapsed();
    let asked = faults.metrics_requested() - before;
    let every_fetch = 4 * STREAMS as u64 + 4;
    eprintln!(
        "dashboard over {STREAMS} streams ({ON_CUSTOMER_KEYS} on customer keys), {} s at 15 s fetches and 60 s sweeps: {asked} metrics requested (every series every fetch: {every_fetch} a fetch)",
        ran.as_secs(),
    );
    // Two or three sweeps (the first of every stream), the erring stream's
    // 8 a fetch between them: well under every series every fetch.
    let sweeps = 4 * STREAMS as u64 + 2 * 4 * ON_CUSTOMER_KEYS;
    assert!(asked <= sweeps + 10 * 8, "{asked} metrics requested");
    assert!(
        asked < 6 * every_fetch / 2,
        "{asked} of {}",
        6 * every_fetch
    );
    assert!(help.contains("(estimate)"), "{help}");
    assert!(help.contains("$0.01 per 1,000 metrics"), "{help}");

    let report = status(&sandbox, region);
    let totals = kms_totals(&report);
    let erring = totals.iter().find(|(n, _)| n == ERRING).unwrap().1.unwrap();
    assert!(
        row.split_whitespace().any(|w| w == erring.to_string()),
        "the dashboard shows {row:?}, status says {erring}"
    );
    let with_errors = totals.iter().filter(|(_, t)| *t != Some(0)).count();
    assert_eq!(with_errors, 1, "{totals:?}");
}
