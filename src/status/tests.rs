use unicode_width::UnicodeWidthStr;

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
    // The disabled key first, as the cause: producers are refused now, and
    // CloudTrail says by whom. Disabled an hour ago: about 23 hours before
    // data is discarded.
    assert!(
        billing.problems[0].starts_with(
            "Key alias/legacy-billing is Disabled: Firehose cannot use it, and producers' PutRecord and PutRecordBatch calls are refused (InvalidKMSResourceException). alias/legacy-billing was disabled by dana.whitfield at "
        ),
        "{:?}",
        billing.problems
    );
    assert!(
        billing.problems[1].contains("(in 22h") || billing.problems[1].contains("(in 23h"),
        "{:?}",
        billing.problems
    );
    let who = billing
        .problems
        .iter()
        .filter(|p| p.contains("alias/legacy-billing was disabled by dana.whitfield at "))
        .count();
    assert_eq!(who, 1, "said once: {:?}", billing.problems);

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
    let stopped = find(&day, "mobile-crashes");
    assert!(
        stopped.problems[0].contains("The last errors came between "),
        "{:?}",
        stopped.problems
    );
    assert!(stopped.errors_since.is_some());
    assert_eq!(stopped.discard_from, None, "no errors arriving now");
}

/// The first erring bucket is said as a bucket, in words and in JSON, and
/// the discard time is the earliest it can be: the bucket's start + 24 h.
#[tokio::test]
async fn errors_since_is_a_bucket_and_the_discard_time_its_earliest() {
    let r = demo_report(Window::H3).await;
    let billing = find(&r, "billing-export");
    let json = serde_json::to_value(billing).unwrap();
    let since = &json["errors_since"];
    let from = chrono::DateTime::parse_from_rfc3339(since["from"].as_str().unwrap()).unwrap();
    let to = chrono::DateTime::parse_from_rfc3339(since["to"].as_str().unwrap()).unwrap();
    assert_eq!(
        to - from,
        chrono::Duration::minutes(1),
        "the 3h window's 1-minute bucket, within the look back's 5"
    );
    assert!(since["from"].as_str().unwrap().ends_with(":00Z"), "{since}");
    let discard =
        chrono::DateTime::parse_from_rfc3339(json["discard_from"].as_str().unwrap()).unwrap();
    assert_eq!(discard - from, chrono::Duration::hours(24));
    let words = format!(
        "Errors since between {} and {} UTC",
        from.format("%Y-%m-%d %H:%M"),
        to.format("%H:%M")
    );
    let problem = &billing.problems[1];
    assert!(problem.contains(&words), "{words} in {problem}");
    assert!(
        problem.contains(&format!(
            "may start discarding undecryptable records from about {} (in ",
            discard.format("%Y-%m-%d %H:%M UTC")
        )),
        "{problem}"
    );
    // A day's window is read in 5-minute buckets: the errors began within one.
    let day = demo_report(Window::H24).await;
    let json = serde_json::to_value(find(&day, "billing-export")).unwrap();
    let since = &json["errors_since"];
    let from = chrono::DateTime::parse_from_rfc3339(since["from"].as_str().unwrap()).unwrap();
    let to = chrono::DateTime::parse_from_rfc3339(since["to"].as_str().unwrap()).unwrap();
    assert_eq!(to - from, chrono::Duration::minutes(5));
    let quiet = serde_json::to_value(find(&r, "order-events")).unwrap();
    assert_eq!(quiet["errors_since"], serde_json::Value::Null);
    assert_eq!(quiet["discard_from"], serde_json::Value::Null);
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
    let t = table(&r, Cells::Fit(100));
    for line in t.lines() {
        assert!(line.width() <= 100, "too wide: {line}");
    }
    assert!(t.contains("billing-export: KMS refused Firehose"));
    assert!(t.contains("ENABLING_FAILED"));
}

/// The text from display column `at` on; panics when a character straddles
/// that column, which is what a misaligned row looks like.
fn from_column(line: &str, at: usize) -> &str {
    let mut col = 0;
    for (i, c) in line.char_indices() {
        if col == at {
            return &line[i..];
        }
        col += unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        assert!(col <= at, "a character straddles column {at}: {line}");
    }
    panic!("{line} ends before column {at}");
}

#[tokio::test]
async fn wide_characters_keep_the_table_aligned() {
    let mut r = demo_report(Window::H3).await;
    r.streams[0].name = "订单事件流-生产环境-非常长的名字".into();
    r.streams[1].name = "🔥ログ".into();
    r.streams[2].key_label = "alias/鍵-キー-🔑-とても長い別名".into();
    let t = table(&r, Cells::Fit(100));
    let rows: Vec<&str> = t.lines().skip(2).take(4).collect();
    // SOURCE starts after NAME (26) and a space, KEY after three columns,
    // HEALTH after six.
    for line in rows {
        assert!(line.width() <= 100, "too wide: {line}");
        let source = from_column(line, 27);
        assert!(
            ["SOURCE", "DirectPut", "Kinesis"]
                .iter()
                .any(|s| source.starts_with(s)),
            "{line}"
        );
        from_column(line, 54);
        let health = from_column(line, 92);
        assert!(
            ["HEALTH", "OK", "WARNING", "CRITICAL", "UNKNOWN"].contains(&health),
            "{line}"
        );
    }
    assert!(t.contains("订单事件流-生产环境-非常…  DirectPut"), "{t}");
    // A key alias keeps its end (KEY gave QUOTA the room for the demo's
    // refused call, "3/25 (1r)").
    assert!(t.contains("alias/鍵-…長い別名"), "{t}");
}

#[tokio::test]
async fn a_pipe_gets_every_name_and_alias_whole_one_line_a_stream() {
    let mut r = demo_report(Window::H3).await;
    r.streams[0].name = "a-stream-with-a-very-long-name-indeed-yes-it-is".into();
    r.streams[0].key_label = "alias/orders-events-2026-with-a-long-tail".into();
    let t = table(&r, Cells::Full);
    let line = t
        .lines()
        .find(|l| l.starts_with("a-stream-with-a-very-long-name-indeed-yes-it-is "))
        .expect("the whole name starts its line");
    assert!(
        line.contains(" alias/orders-events-2026-with-a-long-tail "),
        "{t}"
    );
    assert!(
        !t.lines()
            .take(2 + r.streams.len() + 1)
            .any(|l| l.contains('…')),
        "{t}"
    );
    // Still aligned: HEALTH starts where its title does.
    let header = t.lines().nth(2).unwrap();
    let at = header.find("HEALTH").unwrap();
    assert!(
        ["OK", "WARNING", "CRITICAL", "UNKNOWN"].contains(&&line[at..]),
        "{line}"
    );
}

#[test]
fn pad_measures_in_display_columns() {
    assert_eq!(pad("数据", 6, false), "数据  ");
    assert_eq!(pad("7", 3, true), "  7");
}

#[test]
fn wrap_counts_display_columns_and_keeps_words_whole() {
    let text = "错误 错误 错误 arn:aws:kms:us-east-1:123456789012:key/long-key-id end";
    // Counted in chars the first three words would fit 12 columns; shown, they take 14.
    let wrapped = wrap(text, 12, "    ");
    assert_eq!(
        wrapped,
        "错误 错误\n    错误\n    arn:aws:kms:us-east-1:123456789012:key/long-key-id\n    end\n"
    );
    assert_eq!(wrap("a  b\tc", 100, "    "), "a b c\n");
    assert_eq!(wrap("  ", 100, "    "), "");
}

#[tokio::test]
async fn the_quota_counts_everyones_calls_and_says_where_they_come_from() {
    let r = demo_report(Window::H3).await;
    let shipping = find(&r, "shipping-updates");
    assert_eq!(shipping.health, Health::Warning);
    assert!(
        shipping.problems[0].starts_with(
            "3 of 25 Start/Stop calls left in 24 h (22 of them by others; 1 refused by AWS: 4 left if refused calls do not count); the next frees at"
        ),
        "{:?}",
        shipping.problems
    );
    let json = serde_json::to_value(shipping).unwrap();
    let quota = &json["quota"];
    // In this order, as scripts read it.
    let text = serde_json::to_string(&shipping.quota).unwrap();
    let order = [
        "limit",
        "used",
        "remaining",
        "remaining_at_most",
        "next_slot_at",
        "used_here",
        "used_elsewhere",
        "refused",
        "calls",
        "source",
    ];
    let at: Vec<usize> = order
        .iter()
        .map(|k| text.find(&format!("\"{k}\":")).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert_eq!(quota.as_object().unwrap().len(), order.len(), "{text}");
    assert_eq!(
        (
            &quota["used"],
            &quota["remaining"],
            &quota["used_here"],
            &quota["used_elsewhere"]
        ),
        (
            &serde_json::json!(21),
            &serde_json::json!(3),
            &serde_json::json!(0),
            &serde_json::json!(22)
        )
    );
    // Maria's Stop that AWS refused is counted apart, with its code.
    assert_eq!(
        quota["refused"],
        serde_json::json!({"count": 1, "codes": {"ResourceInUseException": 1}})
    );
    assert_eq!(quota["remaining_at_most"], 4);
    assert_eq!(quota["source"], "ledger+cloudtrail");
    let calls = quota["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 22);
    let first = calls[0].as_object().unwrap();
    let mut fields: Vec<&str> = first.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["action", "at", "by", "error", "here", "key"]);
    assert_eq!(first["action"], "start");
    assert_eq!(first["by"], "terraform");
    assert!(first["key"]
        .as_str()
        .unwrap()
        .starts_with("arn:aws:kms:us-east-1:"));
    assert_eq!(first["here"], false);
    let refused: Vec<_> = calls.iter().filter(|c| !c["error"].is_null()).collect();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["error"], "ResourceInUseException");
    assert_eq!(refused[0]["action"], "stop");
    // Oldest first; the next slot is the oldest a day on.
    let first_at: chrono::DateTime<Utc> = serde_json::from_value(first["at"].clone()).unwrap();
    let next: chrono::DateTime<Utc> =
        serde_json::from_value(quota["next_slot_at"].clone()).unwrap();
    assert_eq!(next, first_at + chrono::Duration::hours(24));
    // A stream without calls says the same of its source.
    // A day's window is read in 5-minute buckets: the errors began within one.
    let day = demo_report(Window::H24).await;
    let json = serde_json::to_value(find(&day, "billing-export")).unwrap();
    let since = &json["errors_since"];
    let from = chrono::DateTime::parse_from_rfc3339(since["from"].as_str().unwrap()).unwrap();
    let to = chrono::DateTime::parse_from_rfc3339(since["to"].as_str().unwrap()).unwrap();
    assert_eq!(to - from, chrono::Duration::minutes(5));
    let quiet = serde_json::to_value(find(&r, "order-events")).unwrap();
    assert_eq!(quiet["quota"]["calls"], serde_json::json!([]));
    assert_eq!(quiet["quota"]["source"], "ledger+cloudtrail");
    // The table keeps the plain figure, the refused call beside it.
    let t = table(&r, Cells::Fit(100));
    let row = t
        .lines()
        .find(|l| l.starts_with("shipping-updates"))
        .unwrap();
    assert!(row.contains(" 3/25 (1r) WARNING"), "{row}");
    assert!(
        t.contains("QUOTA (Nr), (N refused): N of the calls counted are calls AWS refused"),
        "{t}"
    );
    assert!(!t.contains('*'), "{t}");
    let t = table(&r, Cells::Full);
    assert!(t.contains(" 3/25 (1 refused) WARNING"), "{t}");
}

#[tokio::test]
async fn without_cloudtrail_the_quota_is_the_ledgers_and_the_table_says_so() {
    let sim = SimCloud::new(Scenario::builtin());
    let mut config = Config::builtin();
    config.cloudtrail.enabled = false;
    let only = [
        "shipping-updates".to_string(),
        "clickstream-raw".to_string(),
    ];
    let r = gather(&sim, &config, Window::H3, &only, &Ledger::in_memory())
        .await
        .unwrap();
    assert!(r.errors.is_empty(), "not a failure: {:?}", r.errors);
    let shipping = find(&r, "shipping-updates");
    assert_eq!(shipping.health, Health::Ok, "the ledger knows no calls");
    let quota = serde_json::to_value(&shipping.quota).unwrap();
    assert_eq!(quota["source"], "ledger");
    assert_eq!(
        quota["source_reason"],
        "CloudTrail is off ([cloudtrail] enabled = false)"
    );
    assert_eq!(
        (&quota["used"], &quota["used_elsewhere"]),
        (&serde_json::json!(0), &serde_json::json!(0))
    );
    let t = table(&r, Cells::Fit(100));
    let row = t
        .lines()
        .find(|l| l.starts_with("shipping-updates"))
        .unwrap();
    assert!(row.contains(" 25/25* OK"), "{row}");
    let kinesis = t
        .lines()
        .find(|l| l.starts_with("clickstream-raw"))
        .unwrap();
    assert!(
        kinesis.contains("      - OK"),
        "no quota, no mark: {kinesis}"
    );
    assert!(
        t.contains("\n* QUOTA counts only this machine's ledger: CloudTrail is off ([cloudtrail] enabled = false).\n"),
        "{t}"
    );
    assert!(t.lines().all(|l| l.width() <= 100), "{t}");
}

#[tokio::test]
async fn customer_keys_report_their_state_origin_and_rotation() {
    let r = demo_report(Window::H3).await;
    let json = serde_json::to_value(find(&r, "audit-trail")).unwrap();
    let key = &json["encryption"]["key"];
    assert_eq!(key["state"], "Enabled");
    assert_eq!(key["spec"], "SYMMETRIC_DEFAULT");
    assert_eq!(key["origin"], "AWS_KMS");
    let rotation = &key["rotation"];
    assert_eq!(rotation["automatic"], true);
    assert_eq!(rotation["period_days"], 365);
    assert!(rotation["next_at"].is_string() && rotation["last_at"].is_string());
    assert_eq!(rotation["on_demand_in_progress"], false);
    assert_eq!(rotation["rotations_listed"], true);
    assert_eq!(rotation["on_demand_done"], 0);
    // An AWS owned key, or none: no customer key to describe.
    for name in ["cloudfront-logs", "dev-scratch"] {
        let json = serde_json::to_value(find(&r, name)).unwrap();
        assert!(json["encryption"]["key"].is_null(), "{name}: {json}");
    }
}

mod fit;
mod ledger_only;
mod overlap;
mod unknown;
