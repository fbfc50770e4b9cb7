//! Large fleets, politely (issue 28): a relaunch with a cache is
//! trustworthy within a minute at 1,000 streams, with Firehose's rate of 5
//! describes a second on, and an idle dashboard leaves the account's
//! budget to others.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::tmux::{script, Tmux};
use common::{Enc, Faults, Sandbox, Seeder};

// Shared with tests/moto/check_lookup_events.py, which runs before the suite
// and deletes its streams when done.
const REGION: &str = "af-south-1";
const CHANGED: usize = 10;
const WIDTH: u16 = 160;
const HEIGHT: u16 = 40;

/// How many streams, and how long to watch the idle dashboard:
/// `scripts/bench-restart` runs this test at 5,000 streams, without the
/// idle part.
fn streams() -> usize {
    env_number("FIREKEEPER_RESTART_STREAMS", 1000)
}

fn idle_secs() -> u64 {
    env_number("FIREKEEPER_RESTART_IDLE_SECS", 300)
}

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn name(i: usize) -> String {
    format!("relaunch-{i:04}")
}

/// 1,000 DirectPut streams on AWS owned keys, made a few at a time.
async fn seed(seed: &Seeder) {
    for chunk in (0..streams()).collect::<Vec<_>>().chunks(25) {
        let made = chunk.iter().map(|&i| {
            let n = name(i);
            async move { seed.direct_put(&n, Enc::AwsOwned).await }
        });
        futures::future::join_all(made).await;
    }
}

fn dashboard(sandbox: &Sandbox, config: Option<&std::path::Path>) -> Tmux {
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let mut args = format!(
        "--endpoint-url {} --region {REGION}",
        common::moto_endpoint()
    );
    if let Some(config) = config {
        args.push_str(&format!(" --config '{}'", config.display()));
    }
    Tmux::start_sized(&script(sandbox, &env, &args), WIDTH, HEIGHT)
}

/// DescribeDeliveryStream calls that reached the launcher (throttled or not)
/// and that it passed on to moto.
fn describes(faults: &Faults) -> (u64, u64) {
    faults.calls("DescribeDeliveryStream")
}

#[tokio::test]
async fn a_relaunch_is_trustworthy_within_a_minute_and_an_idle_dashboard_is_polite() {
    let seeder = Seeder::new(REGION).await;
    seed(&seeder).await;
    let faults = Faults::new(REGION);
    // Made long ago, as far as CloudTrail is concerned.
    faults.forget_events();

    // The first run, fast (no AWS rate, 50 describes a second), fills the
    // cache as a run of the day before would have.
    let sandbox = Sandbox::new();
    let fast =
        sandbox.write_config("[aws]\nfirehose_calls_per_second = 50\ndescribe_concurrency = 32\n");
    let first = dashboard(&sandbox, Some(&fast));
    first.wait_within(&format!("{} streams", streams()), 60);
    first.wait_within("refreshed", 60 + streams() as u64 / 10);
    first.keys(&["q"]);
    first.wait_for("EXITED");
    drop(first);

    // Another access key stops encryption on ten streams while no
    // dashboard runs.
    let other =
        aws_sdk_firehose::Client::new(&common::sdk_config_as(REGION, "AKIAOTHERPERSON").await);
    let changed: Vec<String> = (0..CHANGED).map(|i| name(streams() / 2 + i * 37)).collect();
    for n in &changed {
        other
            .stop_delivery_stream_encryption()
            .delivery_stream_name(n)
            .send()
            .await
            .unwrap();
    }

    // The relaunch, at AWS's rate and the default settings.
    faults.firehose_rate(5);
    let before = describes(&faults);
    let started = Instant::now();
    let tmux = dashboard(&sandbox, None);
    // Every row described or confirmed by CloudTrail: the header's clock
    // says "refreshed" only then ("checking…" while rows are from the cache).
    let screen = tmux.wait_within("refreshed", 60);
    let took = started.elapsed();
    assert!(screen.contains(&format!("{CHANGED} disabled")), "{screen}");
    assert!(screen.contains("confirmed"), "{screen}");
    assert!(!screen.contains("checking"), "{screen}");
    // The ten, by name, in their new state: `u` shows the unencrypted.
    tmux.keys(&["u"]);
    let only = tmux.wait_within(changed.last().unwrap(), 10);
    for n in &changed {
        let line = only.lines().find(|l| l.contains(n.as_str())).unwrap_or("");
        assert!(line.contains("DISABLED"), "{n}: {line:?}\n{only}");
    }
    tmux.keys(&["u"]);
    let after_minute = describes(&faults);
    let first_minute = after_minute.1 - before.1;
    eprintln!(
        "relaunch at {} streams, {CHANGED} changed: trustworthy after {took:?}; {first_minute} describes reached moto ({} sent)",
        streams(),
        after_minute.0 - before.0
    );
    // The ten, the rows on screen (a 40-row terminal shows fewer than 40),
    // and a few re-describes of the ten as they settle.
    let bound = CHANGED as u64 + u64::from(HEIGHT) + 5;
    assert!(first_minute <= bound, "{first_minute} describes > {bound}");

    // Idle: five minutes at most 0.3 describes a second (the on-screen
    // refresh and the sweep share 15 a minute).
    let idle = idle_secs();
    if idle > 0 {
        let from = describes(&faults);
        let looks = faults.calls("LookupEvents").0;
        std::thread::sleep(Duration::from_secs(idle));
        let sent = describes(&faults).0 - from.0;
        let rate = sent as f64 / idle as f64;
        eprintln!(
            "idle at {} streams: {sent} describes in {idle} s ({rate:.3}/s), {} LookupEvents",
            streams(),
            faults.calls("LookupEvents").0 - looks
        );
        assert!(rate <= 0.3, "{sent} describes in {idle} s");
    }
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED");
}
