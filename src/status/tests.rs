use super::*;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;

async fn demo_report(window: Window) -> Report {
    let sim = SimCloud::new(Scenario::builtin());
    gather(&sim, &Config::builtin(), window, &[], &Ledger::in_memory())
        .await
        .unwrap()
}

fn find<'a>(r: &'a Report, name: &str) -> &'a StreamReport {
    r.streams.iter().find(|s| s.name == name).unwrap()
}

#[tokio::test]
async fn demo_report_is_sorted_and_explains_each_kind_of_trouble() {
    let r = demo_report(Window::H3).await;
    assert_eq!(r.account.as_deref(), Some("123456789012"));
    let names: Vec<_> = r.streams.iter().map(|s| s.name.clone()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);

    let billing = find(&r, "billing-export");
    assert_eq!(billing.health, Health::Critical);
    assert!(billing.kms_errors.as_ref().unwrap()["KMSKeyDisabled"] > 0);
    // Disabled 7 hours ago: about 17 hours before data is discarded.
    assert!(
        billing.problems[0].contains("(in 16h") || billing.problems[0].contains("(in 17h"),
        "{:?}",
        billing.problems
    );

    let ok = find(&r, "order-events");
    assert_eq!(ok.health, Health::Ok);
    assert_eq!(
        ok.encryption.as_ref().unwrap().key_alias.as_deref(),
        Some("alias/orders-events")
    );

    assert_eq!(
        find(&r, "fraud-signals").health,
        Health::Warning,
        "ENABLING"
    );
    assert_eq!(
        find(&r, "inventory-updates").health,
        Health::Critical,
        "ENABLING_FAILED"
    );
    let kinesis = find(&r, "clickstream-raw");
    assert_eq!(kinesis.source, Some(Source::KinesisStreamAsSource));
    assert_eq!(kinesis.encryption.as_ref().unwrap().key_type, None);

    // An error that stopped 19 hours ago is outside a 3 hour window.
    assert_eq!(find(&r, "mobile-crashes").health, Health::Ok);
    let day = demo_report(Window::H24).await;
    assert_eq!(find(&day, "mobile-crashes").health, Health::Critical);
    assert!(find(&day, "mobile-crashes").problems[0].contains("stopped at"));
}

#[tokio::test]
async fn a_name_aws_does_not_have_is_missing_not_a_critical_row() {
    let sim = SimCloud::new(Scenario::builtin());
    let only = vec!["order-events".to_string(), "nope".to_string()];
    let r = gather(
        &sim,
        &Config::builtin(),
        Window::H1,
        &only,
        &Ledger::in_memory(),
    )
    .await
    .unwrap();
    assert_eq!(r.streams.len(), 1);
    assert_eq!(r.missing, ["nope"]);
    assert_eq!(r.worst(), Health::Ok);
    assert_eq!(find(&r, "order-events").health, Health::Ok);
}

#[tokio::test]
async fn json_has_the_contract_fields() {
    let r = demo_report(Window::H3).await;
    let v = serde_json::to_value(&r).unwrap();
    for key in ["generated_at", "region", "account", "window", "streams"] {
        assert!(v.get(key).is_some(), "{key}");
    }
    assert_eq!(v["window"], "3h");
    let s = &v["streams"][0];
    for key in [
        "name",
        "arn",
        "source",
        "stream_status",
        "encryption",
        "kms_errors",
        "quota",
        "health",
        "problems",
    ] {
        assert!(s.get(key).is_some(), "{key}");
    }
    for key in [
        "status",
        "key_type",
        "key_arn",
        "key_alias",
        "failure",
        "managed_by",
    ] {
        assert!(s["encryption"].get(key).is_some(), "encryption.{key}");
    }
    for key in ["limit", "used", "remaining", "next_slot_at"] {
        assert!(s["quota"].get(key).is_some(), "quota.{key}");
    }
    assert_eq!(s["kms_errors"].as_object().unwrap().len(), 4);
    assert_eq!(s["encryption"]["managed_by"], "firehose");
    let kinesis = &v["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["source"] == "KinesisStreamAsSource")
        .unwrap();
    assert_eq!(kinesis["encryption"]["managed_by"], "source");
    assert!(kinesis["quota"].is_null());
}

#[tokio::test]
async fn table_fits_100_columns_and_names_problems() {
    let r = demo_report(Window::H3).await;
    let t = table(&r);
    for line in t.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line}");
    }
    assert!(t.contains("billing-export: KMS refused Firehose"));
    assert!(t.contains("ENABLING_FAILED"));
}
