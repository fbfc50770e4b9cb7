use super::*;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::status::{table, Cells};

fn info(label: &str, region: Option<&str>) -> TargetInfo {
    TargetInfo {
        target: crate::model::Target {
            region: region.map(str::to_string),
            label: label.to_string(),
            ..Default::default()
        },
        ..TargetInfo::default()
    }
}

fn sim(region: &str, account: usize) -> SimCloud {
    SimCloud::new(Scenario::builtin().in_target(region, account))
}

async fn gather_two(a: &SimCloud, b: Option<&SimCloud>, only: &[String]) -> Report {
    let mut failed = info("ap-south-1", Some("ap-south-1"));
    failed.error = Some("no credentials".to_string());
    let second = match b {
        Some(b) => Reader {
            info: info(b.region(), Some(b.region())),
            cloud: Some(b),
        },
        None => Reader {
            info: failed,
            cloud: None,
        },
    };
    let parts = vec![
        Reader {
            info: info(a.region(), Some(a.region())),
            cloud: Some(a),
        },
        second,
    ];
    let config = Config::builtin();
    gather_targets(parts, &config, Window::H3, only, &Ledger::in_memory())
        .await
        .unwrap()
}

#[tokio::test]
async fn every_stream_is_listed_once_per_target_with_its_account_and_region() {
    let (east, west) = (sim("us-east-1", 0), sim("eu-west-1", 1));
    let r = gather_two(&east, Some(&west), &[]).await;
    let one = gather_targets(
        vec![Reader {
            info: info("us-east-1", Some("us-east-1")),
            cloud: Some(&sim("us-east-1", 0)),
        }],
        &Config::builtin(),
        Window::H3,
        &[],
        &Ledger::in_memory(),
    )
    .await
    .unwrap();
    assert_eq!(r.streams.len(), 2 * one.streams.len());
    assert_eq!((r.region.as_deref(), r.account.as_deref()), (None, None));
    assert_eq!(one.region.as_deref(), Some("us-east-1"));
    assert_eq!(one.targets.len(), 1);
    let accounts: Vec<Option<&str>> = r
        .targets
        .iter()
        .map(|t| t.target.account.as_deref())
        .collect();
    assert_eq!(accounts, [Some("123456789012"), Some("123567900123")]);
    assert!(r.targets.iter().all(|t| t.error.is_none()));
    for s in &r.streams {
        let t = r
            .targets
            .iter()
            .find(|t| t.target.label == s.target)
            .unwrap();
        assert_eq!(Some(&s.region), t.target.region.as_ref(), "{}", s.name);
        assert_eq!(s.account, t.target.account, "{}", s.name);
        if let Some(arn) = &s.arn {
            assert!(arn.contains(&format!(":{}:", s.region)), "{arn}");
        }
    }
    // The same demo in both: the same healths, so the same exit code.
    assert_eq!(r.exit_code(), one.exit_code());
    assert_eq!(
        r.cloudwatch.metrics_requested,
        2 * one.cloudwatch.metrics_requested
    );
    assert!(r
        .errors
        .iter()
        .all(|e| e.starts_with("us-east-1: ") || e.starts_with("eu-west-1: ")));
}

#[tokio::test]
async fn a_target_that_cannot_be_read_makes_the_run_unknown_never_ok() {
    let east = sim("us-east-1", 0);
    let healthy = vec!["order-events".to_string()];
    let alone = gather_two(&east, Some(&sim("eu-west-1", 0)), &healthy).await;
    assert_eq!(alone.exit_code(), exit::DONE, "{:?}", alone.streams);

    let r = gather_two(&east, None, &healthy).await;
    assert_eq!(r.streams.len(), 1, "the readable target is still reported");
    let failed: Vec<&str> = r.failed().map(|t| t.target.label.as_str()).collect();
    assert_eq!(failed, ["ap-south-1"]);
    assert_eq!(r.targets[1].error.as_deref(), Some("no credentials"));
    assert_eq!(r.exit_code(), exit::UNKNOWN);

    // A critical stream in a target that was read still says critical.
    let critical = vec!["billing-export".to_string()];
    let r = gather_two(&east, None, &critical).await;
    assert_eq!(r.exit_code(), exit::CRITICAL);

    let t = table(&r, Cells::Full);
    assert!(t.contains("ap-south-1: not read: no credentials"), "{t}");
    assert!(t.contains("1 of 2 targets could not be read"), "{t}");
}

#[tokio::test]
async fn a_name_is_missing_only_when_no_target_read_has_it() {
    let (east, west) = (sim("us-east-1", 0), sim("eu-west-1", 0));
    let only = vec!["order-events".to_string(), "nope".to_string()];
    let r = gather_two(&east, Some(&west), &only).await;
    assert_eq!(r.missing, ["nope"]);
    assert_eq!(r.searched(), "any of us-east-1, eu-west-1");

    // Missing here and there, but present in a third: not missing.
    let report = |missing: &[&str]| -> Result<Report, String> {
        let mut r = merge(
            vec![(info("x", Some("x")), Err(String::new()))],
            Window::H1,
            Utc::now(),
        );
        r.targets.clear();
        r.missing = missing.iter().map(ToString::to_string).collect();
        Ok(r)
    };
    let merged = merge(
        vec![
            (info("a", Some("a")), report(&["orders", "nope"])),
            (info("b", Some("b")), report(&["nope"])),
            (info("c", Some("c")), Err("denied".to_string())),
        ],
        Window::H1,
        Utc::now(),
    );
    assert_eq!(merged.missing, ["nope"]);
    assert_eq!(merged.searched(), "any of a, b");
}

#[tokio::test]
async fn the_table_of_several_targets_says_where_each_stream_is() {
    let (east, west) = (sim("us-east-1", 0), sim("eu-west-1", 0));
    let only = vec!["billing-export".to_string()];
    let r = gather_two(&east, Some(&west), &only).await;
    let t = table(&r, Cells::Full);
    let lines: Vec<&str> = t.lines().collect();
    assert!(
        lines[0].starts_with("account 123456789012  regions us-east-1, eu-west-1  window 3h"),
        "{t}"
    );
    let header = lines.iter().find(|l| l.starts_with("NAME")).unwrap();
    assert!(header.starts_with("NAME           REGION    SOURCE"), "{t}");
    assert!(!header.contains("ACCOUNT"), "one account: {t}");
    assert!(t.contains("billing-export@eu-west-1: "), "{t}");
    assert!(t.contains("billing-export@us-east-1: "), "{t}");

    let other = sim("eu-west-1", 1);
    let r = gather_two(&east, Some(&other), &only).await;
    let t = table(&r, Cells::Full);
    assert!(
        t.starts_with("accounts 123456789012, 123567900123  regions"),
        "{t}"
    );
    assert!(t.contains("REGION    ACCOUNT      SOURCE"), "{t}");
}

#[tokio::test]
async fn two_profiles_of_one_account_and_region_report_its_streams_once() {
    let a = sim("eu-west-1", 0);
    let b = sim("eu-west-1", 0);
    let parts = vec![
        Reader {
            info: info("admin/eu-west-1", Some("eu-west-1")),
            cloud: Some(&a),
        },
        Reader {
            info: info("reader/eu-west-1", Some("eu-west-1")),
            cloud: Some(&b),
        },
    ];
    let config = Config::builtin();
    let report = gather_targets(parts, &config, Window::H3, &[], &Ledger::in_memory())
        .await
        .unwrap();
    let once = sim("eu-west-1", 0)
        .list_streams(None, 10_000)
        .await
        .unwrap();
    assert_eq!(report.streams.len(), once.names.len());
    assert_eq!(report.targets[1].twin.as_deref(), Some("admin/eu-west-1"));
    assert!(report.targets[1].error.is_none());
    assert_ne!(
        report.exit_code(),
        exit::UNKNOWN,
        "nothing is unknown for it"
    );
    let text = table(&report, Cells::Full);
    assert!(
        text.contains("reader/eu-west-1: the same account and region as admin/eu-west-1"),
        "{text}"
    );
}
