//! AWS Config through the real SDK against the launcher (which answers
//! AWS Config's calls for Firehose streams from moto's state): a cold start
//! of 1,000 streams shows every row's encryption within seconds, marked as
//! AWS Config's; an aggregator over two accounts and two regions lists all
//! four targets' streams, those without credentials read-only. Each test
//! has accounts of its own (the launcher maps an access key to an account),
//! so sharing a region with other tests' default account shares nothing.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::config_service::{aggregator, recorder, seeder_in};
use common::schema::{assert_valid, status_schema};
use common::tmux::{script, Tmux};
use common::{moto_endpoint, run, stdout_json, Enc, Sandbox, Seeder};
use futures::StreamExt;
use serde_json::Value;

/// Seeds `count` DirectPut streams named `prefix-NNNN`: every fourth on the
/// customer key `key`, every fourth AWS owned, the rest not encrypted.
async fn seed_streams(seed: &Seeder, prefix: &str, count: usize, key: &str) {
    futures::stream::iter(0..count)
        .map(|i| async move {
            let name = format!("{prefix}-{i:04}");
            let enc = match i % 4 {
                0 => Enc::Customer(key),
                1 => Enc::AwsOwned,
                _ => Enc::None,
            };
            seed.direct_put(&name, enc).await;
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
}

#[tokio::test]
async fn a_cold_start_of_1000_streams_shows_every_rows_encryption_from_aws_config_within_10_s() {
    let (account, access_key, region) = ("333333333333", "fk-config-cold", "ap-east-1");
    let seed = seeder_in(account, access_key, region).await;
    let key = seed.key(Some("alias/cfg-cold")).await;
    seed_streams(&seed, "cfg-cold", 1000, &key).await;
    recorder(account, region, "on");

    let sandbox = Sandbox::new();
    let env = [
        ("AWS_ACCESS_KEY_ID", access_key),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let args = format!("--endpoint-url {} --region {region}", moto_endpoint());
    let started = Instant::now();
    let tmux = Tmux::start_sized(&script(&sandbox, &env, &args), 160, 48);
    // Every row has its encryption (the header counts no stream still
    // loading), and the rows not described yet say it is AWS Config's.
    let screen = loop {
        let screen = tmux.screen();
        if screen.contains("1000 streams") && !screen.contains("loading ") {
            break screen;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not every row shown within 10 s:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let took = started.elapsed();
    eprintln!("cold start: every row of 1000 shown after {took:?}");
    assert!(screen.contains("from-aws-config"), "{screen}");
    assert!(screen.contains("? (AWS Config)"), "{screen}");
    assert!(screen.contains("alias/cfg-cold"), "{screen}");
    assert!(screen.contains("AWS owned"), "{screen}");
    // Said once, in the message log.
    tmux.keys(&["m"]);
    let log = tmux.wait_for("shown from AWS Config");
    assert!(log.contains("1000 streams shown from AWS Config"), "{log}");
    tmux.keys(&["Escape", "q"]);
    tmux.wait_for("EXITED 0");
}

#[tokio::test]
async fn without_a_recorder_the_usual_describe_pass_runs_and_says_why() {
    let (account, access_key, region) = ("333333333334", "fk-config-none", "ap-east-1");
    let seed = seeder_in(account, access_key, region).await;
    seed.direct_put("cfg-none-a", Enc::AwsOwned).await;
    recorder(account, region, "stopped");
    let sandbox = Sandbox::new();
    let env = [
        ("AWS_ACCESS_KEY_ID", access_key),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let args = format!("--endpoint-url {} --region {region}", moto_endpoint());
    let tmux = Tmux::start_sized(&script(&sandbox, &env, &args), 160, 48);
    let screen = tmux.wait_for("ENABLED");
    assert!(!screen.contains("? (AWS Config)"), "{screen}");
    tmux.keys(&["m"]);
    let log = tmux.wait_for("no cold start from AWS Config");
    assert!(log.contains("recorder default is stopped"), "{log}");
    tmux.keys(&["Escape", "q"]);
    tmux.wait_for("EXITED 0");
}

fn streams_of<'a>(report: &'a Value, target: &str) -> Vec<&'a Value> {
    report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            let place = format!(
                "{}/{}",
                s["account"].as_str().unwrap_or("?"),
                s["region"].as_str().unwrap()
            );
            place == target
        })
        .collect()
}

#[tokio::test]
async fn an_aggregator_over_two_accounts_and_two_regions_lists_all_four_targets_streams() {
    let (a, b) = ("444444444444", "555555555555");
    let (r1, r2) = ("ap-east-1", "ap-southeast-5");
    let (key_a, key_b) = ("fk-config-agg-a", "fk-config-agg-b");
    for (account, access_key) in [(a, key_a), (b, key_b)] {
        for region in [r1, r2] {
            let seed = seeder_in(account, access_key, region).await;
            let tag = format!("agg-{}-{region}", &account[..1]);
            seed.direct_put(&format!("{tag}-plain"), Enc::None).await;
            seed.direct_put(&format!("{tag}-owned"), Enc::AwsOwned)
                .await;
        }
    }
    let every = [(a, r1), (a, r2), (b, r1), (b, r2)];
    aggregator(a, r1, "org", &every);

    let sandbox = Sandbox::new();
    let mut cmd = sandbox.command();
    cmd.env("AWS_ACCESS_KEY_ID", key_a)
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args(["--endpoint-url", &moto_endpoint(), "--region", r1])
        .args(["status", "--output", "json", "--aggregator", "org"]);
    let out = run(&mut cmd);
    let report = stdout_json(&out);
    assert_valid(&status_schema(), &report);
    let targets: Vec<(&str, bool)> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let label = format!(
                "{}/{}",
                t["account"].as_str().unwrap(),
                t["region"].as_str().unwrap()
            );
            (
                Box::leak(label.into_boxed_str()) as &str,
                t.get("read_only_from").is_some(),
            )
        })
        .collect();
    assert_eq!(
        targets,
        [
            ("444444444444/ap-east-1", false),
            ("444444444444/ap-southeast-5", true),
            ("555555555555/ap-east-1", true),
            ("555555555555/ap-southeast-5", true),
        ],
        "{report:#}"
    );
    for (account, region) in every {
        let place = format!("{account}/{region}");
        let streams = streams_of(&report, &place);
        assert_eq!(streams.len(), 2, "{place}: {report:#}");
        let live = (account, region) == (a, r1);
        for s in streams {
            assert_eq!(s["read_only"], !live, "{s:#}");
            if live {
                assert_eq!(s["provenance"], "described");
                assert_eq!(s["as_of"], Value::Null);
                continue;
            }
            assert_eq!(s["provenance"], "recorded", "{s:#}");
            assert!(s["as_of"].is_string(), "{s:#}");
            // Not recorded: not known, never guessed.
            assert_eq!(s["encryption"]["status"], Value::Null);
            assert_eq!(s["stream_status"], Value::Null);
            assert_eq!(s["health"], "unknown");
            let first = s["problems"][0].as_str().unwrap();
            assert!(first.starts_with("Read-only"), "{first}");
            assert!(
                first.contains(&format!("no credentials for account {account} in {region}")),
                "{first}"
            );
        }
    }
    let owned = streams_of(&report, &format!("{b}/{r2}"))
        .into_iter()
        .find(|s| s["name"].as_str().unwrap().ends_with("-owned"))
        .unwrap();
    assert_eq!(owned["encryption"]["key_type"], "AWS_OWNED_CMK");
    // Read-only streams are unknown: the run says so.
    assert_eq!(out.status.code(), Some(1), "{}", common::text(&out));
}

#[tokio::test]
async fn an_aggregator_that_does_not_exist_is_a_target_that_could_not_be_read() {
    let (account, access_key, region) = ("444444444445", "fk-config-agg-none", "ap-southeast-5");
    let seed = seeder_in(account, access_key, region).await;
    seed.direct_put("agg-missing-a", Enc::AwsOwned).await;
    let sandbox = Sandbox::new();
    let mut cmd = sandbox.command();
    cmd.env("AWS_ACCESS_KEY_ID", access_key)
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args(["--endpoint-url", &moto_endpoint(), "--region", region])
        .args(["status", "--output", "json", "--aggregator", "nope"]);
    let out = run(&mut cmd);
    let report = stdout_json(&out);
    assert_valid(&status_schema(), &report);
    let failed = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["error"].is_string())
        .unwrap_or_else(|| panic!("{report:#}"));
    let why = failed["error"].as_str().unwrap();
    assert!(why.contains("aggregator nope could not be read"), "{why}");
    assert!(why.contains("NoSuchConfigurationAggregator"), "{why}");
    // The live target is still read.
    assert_eq!(report["streams"][0]["name"], "agg-missing-a");
    assert_eq!(out.status.code(), Some(1));
}

#[tokio::test]
async fn the_dashboard_shows_an_aggregators_read_only_target_and_refuses_to_change_it() {
    let (live, other) = ("444444444446", "555555555556");
    let region = "ap-southeast-5";
    let (key_live, key_other) = ("fk-config-dash-a", "fk-config-dash-b");
    seeder_in(live, key_live, region)
        .await
        .direct_put("dash-live", Enc::AwsOwned)
        .await;
    seeder_in(other, key_other, region)
        .await
        .direct_put("aaa-read-only", Enc::AwsOwned)
        .await;
    aggregator(live, region, "dash-org", &[(live, region), (other, region)]);

    let sandbox = Sandbox::new();
    let env = [
        ("AWS_ACCESS_KEY_ID", key_live),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let args = format!(
        "--endpoint-url {} --region {region} --aggregator dash-org",
        moto_endpoint()
    );
    let tmux = Tmux::start_sized(&script(&sandbox, &env, &args), 160, 48);
    let screen = tmux.wait_for("read-only");
    assert!(
        screen.contains("555555555556/ap-southeast-5 1 read-only"),
        "{screen}"
    );
    tmux.wait_for("dash-live");
    tmux.keys(&["/"]);
    tmux.keys(&["aaa-read-only", "Enter", "d"]);
    let screen = tmux.wait_for("cannot be changed from here");
    assert!(
        screen.contains("no credentials for account 555555555556"),
        "{screen}"
    );
    tmux.keys(&["Escape", "q"]);
    tmux.wait_for("EXITED 0");
}
