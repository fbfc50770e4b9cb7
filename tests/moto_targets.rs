//! `firekeeper status` over several targets through the real SDK against
//! moto, which serves every region behind one endpoint: each region's
//! streams, keys and metrics are its own, a target that cannot be read does
//! not hide the others, and a change refuses to guess which target it is for.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{moto_endpoint, run, stdout_json, text, Enc, Faults, Sandbox, Seeder};
use serde_json::Value;

const ACCOUNT: &str = "123456789012";

/// The one stream of that name in that region; panics if there are more.
fn stream<'a>(report: &'a Value, name: &str, region: &str) -> &'a Value {
    let found: Vec<&Value> = report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"] == name && s["region"] == region)
        .collect();
    assert_eq!(found.len(), 1, "{name} in {region}: {report:#}");
    found[0]
}

/// The (name, region) of this file's streams (named `tg-…`): the same
/// regions also hold those of tests/e2e_targets.rs, which runs first against
/// the same moto.
fn places(report: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"].as_str().is_some_and(|n| n.starts_with("tg-")))
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["region"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn status_reads_every_region_with_its_own_keys_and_metrics() {
    let (east, gov) = ("ap-east-2", "us-gov-west-1");
    let (east_faults, gov_faults) = (Faults::new(east), Faults::new(gov));
    let (east_seed, gov_seed) = (Seeder::new(east).await, Seeder::new(gov).await);
    // The same alias and the same stream name in both regions: each is its
    // region's own.
    let east_key = east_seed.key(Some("alias/tg-orders")).await;
    let gov_key = gov_seed.key(Some("alias/tg-orders")).await;
    east_seed
        .direct_put("tg-shared", Enc::Customer(&east_key))
        .await;
    east_seed.direct_put("tg-east-only", Enc::AwsOwned).await;
    gov_seed
        .direct_put("tg-shared", Enc::Customer(&gov_key))
        .await;
    gov_seed.direct_put("tg-gov-only", Enc::AwsOwned).await;
    gov_seed
        .kms_errors("tg-shared", "KMSKeyAccessDenied", 3.0, 10)
        .await;
    let before = east_faults.metrics_requested() + gov_faults.metrics_requested();

    let sandbox = Sandbox::new();
    let out = run(sandbox.against_moto(east).args([
        "--region", gov, "status", "--output", "json", "--window", "1h",
    ]));
    let report = stdout_json(&out);
    assert_eq!(
        out.status.code(),
        Some(3),
        "KMS errors in {gov}: {}",
        text(&out)
    );

    let expected: Vec<(String, String)> = [
        ("tg-east-only", east),
        ("tg-gov-only", gov),
        ("tg-shared", east),
        ("tg-shared", gov),
    ]
    .iter()
    .map(|(n, r)| (n.to_string(), r.to_string()))
    .collect();
    assert_eq!(places(&report), expected, "each stream once per region");
    assert!(report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["account"] == ACCOUNT));
    assert_eq!(report["region"], Value::Null);
    assert_eq!(report["account"], Value::Null);
    assert_eq!(
        report["targets"],
        serde_json::json!([
            {"profile": null, "account": ACCOUNT, "region": east, "error": null},
            {"profile": null, "account": ACCOUNT, "region": gov, "error": null},
        ])
    );

    for (region, key) in [(east, &east_key), (gov, &gov_key)] {
        let shared = stream(&report, "tg-shared", region);
        let enc = &shared["encryption"];
        assert_eq!(enc["key_arn"], key.as_str(), "{shared:#}");
        assert!(key.contains(&format!(":{region}:")), "{key}");
        assert_eq!(enc["key_alias"], "alias/tg-orders");
        assert_eq!(enc["key"]["state"], "Enabled", "described in {region}");
        assert!(shared["arn"]
            .as_str()
            .unwrap()
            .contains(&format!(":{region}:")));
    }
    let errors = |region| stream(&report, "tg-shared", region)["kms_errors"].clone();
    assert_eq!(errors(gov)["KMSKeyAccessDenied"], 3);
    assert_eq!(stream(&report, "tg-shared", gov)["health"], "critical");
    assert!(errors(east).as_object().unwrap().values().all(|v| v == 0));
    assert_eq!(stream(&report, "tg-shared", east)["health"], "ok");
    let asked = east_faults.metrics_requested() + gov_faults.metrics_requested() - before;
    assert!(asked > 0);
    assert_eq!(
        report["cloudwatch"]["metrics_requested"], asked,
        "the total over both regions"
    );

    comma_form_as_a_table(&sandbox, east, gov);
    missing_only_when_in_no_region(&sandbox, east, gov);
}

/// The comma form, as a table: a REGION column, one account so no
/// ACCOUNT column, and each namesake on its own line.
fn comma_form_as_a_table(sandbox: &Sandbox, east: &str, gov: &str) {
    let out = run(sandbox
        .command()
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args(["--endpoint-url", &moto_endpoint()])
        .args([
            "--region",
            &format!("{east},{gov}"),
            "status",
            "--window",
            "1h",
        ]));
    assert_eq!(out.status.code(), Some(3));
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        table.starts_with(&format!(
            "account {ACCOUNT}  regions {east}, {gov}  window 1h"
        )),
        "{table}"
    );
    assert!(table.contains("NAME"), "{table}");
    let header = table.lines().find(|l| l.starts_with("NAME")).unwrap();
    assert!(
        header.contains("REGION") && !header.contains("ACCOUNT"),
        "{table}"
    );
    let shared_rows = table
        .lines()
        .filter(|l| l.starts_with("tg-shared "))
        .count();
    assert_eq!(shared_rows, 2, "{table}");
    assert!(
        table.contains(&format!("tg-shared@{gov}: KMS refused")),
        "{table}"
    );
}

/// A name is missing only when no region has it.
fn missing_only_when_in_no_region(sandbox: &Sandbox, east: &str, gov: &str) {
    let out = run(sandbox.against_moto(east).args([
        "--region",
        gov,
        "status",
        "--output",
        "json",
        "--stream",
        "tg-east-only",
        "--stream",
        "tg-nowhere",
    ]));
    let report = stdout_json(&out);
    assert_eq!(
        places(&report),
        [("tg-east-only".to_string(), east.to_string())]
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "no delivery stream named tg-nowhere in any of {east}, {gov}"
        )),
        "{err}"
    );
    assert!(!err.contains("named tg-east-only"), "{err}");
    assert_eq!(out.status.code(), Some(1), "a name in no region: {err}");
}

#[tokio::test]
async fn a_target_that_cannot_be_read_does_not_hide_the_others() {
    let (good, denied) = ("us-gov-east-1", "cn-north-1");
    let seed = Seeder::new(good).await;
    seed.direct_put("tg-fine", Enc::AwsOwned).await;
    let sandbox = Sandbox::new();

    // A profile the AWS config does not have, beside one it has.
    std::fs::write(
        sandbox.path("aws-config"),
        "[profile good]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    )
    .unwrap();
    let out = run(sandbox.command().args([
        "--endpoint-url",
        &moto_endpoint(),
        "--region",
        good,
        "--profile",
        "good,ghost",
        "status",
        "--output",
        "json",
    ]));
    let report = stdout_json(&out);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(
        out.status.code(),
        Some(1),
        "a target not read is unknown: {err}"
    );
    assert_eq!(places(&report), [("tg-fine".to_string(), good.to_string())]);
    assert_eq!(stream(&report, "tg-fine", good)["health"], "ok");
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2, "{report:#}");
    assert_eq!(targets[0]["profile"], "good");
    assert_eq!(targets[0]["account"], ACCOUNT);
    assert_eq!(targets[0]["error"], Value::Null);
    assert_eq!(targets[1]["profile"], "ghost");
    assert_eq!(targets[1]["region"], good);
    let why = targets[1]["error"].as_str().unwrap();
    assert!(why.contains("no usable AWS credentials"), "says why: {why}");
    assert!(
        why.contains("profile ghost is in neither") && why.contains("profiles there: good"),
        "names the profile: {why}"
    );
    assert!(
        err.contains(&format!("firekeeper: ghost/{good}: ")),
        "stderr names the target: {err}"
    );

    // With keys in the environment the SDK's chain needs no profile
    // section: the same missing profile is not refused then.
    let out =
        run(sandbox
            .against_moto(good)
            .args(["--profile", "ghost", "status", "--output", "json"]));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!err.contains("is in neither"), "{err}");
    let report = stdout_json(&out);
    assert_eq!(stream(&report, "tg-fine", good)["health"], "ok", "{err}");

    // A region that denies everything, beside a critical stream elsewhere:
    // critical wins, and the denied region is reported.
    let faults = Faults::new(denied);
    faults.add(serde_json::json!({
        "service": "firehose", "fault": "error", "status": 400,
        "type": "AccessDeniedException",
        "message": "User is not authorized to perform: firehose:ListDeliveryStreams",
    }));
    let key = seed.key(Some("alias/tg-gone")).await;
    seed.direct_put("tg-broken", Enc::Customer(&key)).await;
    seed.kms_errors("tg-broken", "KMSKeyDisabled", 5.0, 5).await;
    let out = run(sandbox
        .against_moto(good)
        .args(["--region", denied, "status", "--output", "json"]));
    let report = stdout_json(&out);
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    faults.clear();
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(stream(&report, "tg-broken", good)["health"], "critical");
    assert_eq!(stream(&report, "tg-fine", good)["health"], "ok");
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(targets[0]["error"], Value::Null);
    assert_eq!(targets[1]["region"], denied);
    let why = targets[1]["error"].as_str().unwrap();
    assert!(why.contains("not authorized"), "{why}");
    assert!(err.contains(&format!("firekeeper: {denied}: ")), "{err}");

    faults.add(serde_json::json!({
        "service": "firehose", "fault": "error", "status": 400,
        "type": "AccessDeniedException", "message": "denied",
    }));
    let out = run(sandbox
        .against_moto(good)
        .args(["--region", denied, "status"]));
    faults.clear();
    let table = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(table.contains(&format!("{denied}: not read: ")), "{table}");
    assert!(
        table.contains("1 of 2 targets could not be read"),
        "{table}"
    );
}

#[tokio::test]
async fn a_change_with_several_targets_refuses_and_one_region_proceeds() {
    let (region, other) = ("cn-northwest-1", "eu-isoe-west-1");
    let seed = Seeder::new(region).await;
    seed.direct_put("tg-change", Enc::AwsOwned).await;
    let faults = Faults::new(region);
    let sandbox = Sandbox::new();
    let pick = "pick one with --region";

    let by_flags: [&[&str]; 3] = [
        &["--region", other, "disable", "tg-change", "--yes"],
        &[
            "--region",
            other,
            "rotate",
            "tg-change",
            "--key",
            "aws-owned",
            "--yes",
        ],
        &["--region", other, "key", "rotate", "alias/tg-any", "--yes"],
    ];
    for args in by_flags {
        let out = run(sandbox.against_moto(region).args(args));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(pick) && err.contains(region) && err.contains(other),
            "{err}"
        );
    }

    let config = sandbox.write_config(&format!("[aws]\nregions = [\"{region}\", \"{other}\"]\n"));
    let config = config.to_str().unwrap();
    let from_config = sandbox
        .command()
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args(["--endpoint-url", &moto_endpoint(), "--config", config])
        .args(["disable", "tg-change", "--yes"])
        .output()
        .unwrap();
    assert_eq!(from_config.status.code(), Some(2), "{}", text(&from_config));
    assert!(String::from_utf8_lossy(&from_config.stderr).contains(pick));
    assert_eq!(
        faults.calls("StopDeliveryStreamEncryption").0,
        0,
        "whatever is refused, AWS never hears of"
    );

    // One region named on the command line wins over the config's two.
    let out = run(sandbox.against_moto(region).args([
        "--config",
        config,
        "disable",
        "tg-change",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(faults.calls("StopDeliveryStreamEncryption").0, 1);
    let out = run(sandbox.against_moto(region).args([
        "status",
        "--output",
        "json",
        "--stream",
        "tg-change",
    ]));
    let report = stdout_json(&out);
    assert_eq!(
        stream(&report, "tg-change", region)["encryption"]["status"],
        "DISABLED"
    );
}
