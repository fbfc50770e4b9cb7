//! Text from outside as an attacker would write it: control, bidi,
//! zero-width and combining characters, newlines, and lengths up to 100 KB,
//! in a stream's name, its failure description and the name of whoever
//! disabled its key. Nothing of it reaches the terminal unshown, and the
//! screen's layout is the one a plain name gives.

use proptest::prelude::*;
use unicode_width::UnicodeWidthStr;

use super::*;
use crate::model::TrailEvent;
use crate::text::is_invisible;

/// A string of what attackers reach for, with plain letters between.
fn hostile() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        Just("\u{1b}[2J".to_string()),
        Just("\u{1b}]0;OWNED\u{7}".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\t".to_string()),
        Just("\u{9b}31m".to_string()),
        Just("\u{202e}".to_string()),
        Just("\u{2066}".to_string()),
        Just("\u{2069}".to_string()),
        Just("\u{200b}".to_string()),
        Just("\u{200d}".to_string()),
        Just("\u{feff}".to_string()),
        Just("e\u{301}\u{308}".to_string()),
        Just("数据".to_string()),
        Just("🐻\u{200d}❄\u{fe0f}".to_string()),
        "[a-z]{1,12}",
        Just("fake: all streams OK".to_string()),
    ];
    (prop::collection::vec(part, 1..40), 0usize..3).prop_map(|(parts, long)| {
        let s: String = parts.concat();
        // Now and then, a huge one: 100 KB of the same.
        match long {
            0 => s.repeat(100_000 / s.len().max(1) + 1),
            _ => s,
        }
    })
}

/// The demo at 120x40 with inventory-updates renamed `name`, its failure
/// described by `failure`, and its key disabled by `who` (CloudTrail).
fn app_with(name: &str, failure: &str, who: &str) -> App {
    let mut app = demo_app(120, 40);
    let mut stream = app
        .row_named("inventory-updates")
        .and_then(|r| r.stream.clone())
        .unwrap();
    stream.name = name.to_string();
    stream.encryption.failure.as_mut().unwrap().details = failure.to_string();
    let key = stream.encryption.key_arn.clone();
    let mut names: Vec<String> = app
        .all_rows()
        .into_iter()
        .map(|(_, r)| r.name)
        .filter(|n| n != "inventory-updates")
        .collect();
    names.push(name.to_string());
    app.apply(crate::model::TargetId::FIRST, DataEvent::Names(names));
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Stream {
            name: name.to_string(),
            result: Ok(stream),
            at: fixed_now(),
        },
    );
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Changes(vec![TrailEvent {
            at: fixed_now() - chrono::Duration::minutes(30),
            name: "DisableKey".into(),
            source: crate::model::trail::KMS.into(),
            by: Some(who.to_string()),
            resource: key,
            request_id: Some("r-1".into()),
            error_code: None,
            key: None,
            access_key_id: Some("AKIAHOSTILE".into()),
            event_id: None,
            user_agent: None,
        }]),
    );
    app
}

fn assert_nothing_unshown(t: &Terminal<TestBackend>) {
    for cell in t.backend().buffer().content() {
        let bad = cell
            .symbol()
            .chars()
            .find(|c| c.is_control() || (is_invisible(*c) && *c != '\u{200d}'));
        assert!(bad.is_none(), "{bad:?} reached the terminal");
    }
}

/// Where each line of a screen starts showing `needle`, by line.
fn lines_with(text: &str, needle: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.contains(needle))
        .map(|(i, _)| i)
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn hostile_text_is_shown_never_obeyed_and_keeps_the_layout(
        name in hostile(),
        failure in hostile(),
        who in hostile(),
    ) {
        let plain = app_with("inventory-updates", "KMS key is disabled.", "dana");
        let mut app = app_with(&name, &failure, &who);

        // The table: one line a stream, as with a plain name (the hostile
        // one may sort elsewhere: its name is another), and every line as
        // wide as the screen, no cell spilling into the next.
        let (table, plain_table) = (draw(&app), draw(&plain));
        assert_nothing_unshown(&table);
        let (text, plain_text) = (table.backend().to_string(), plain_table.backend().to_string());
        prop_assert_eq!(text.lines().count(), plain_text.lines().count());
        for other in ["audit-trail", "billing-export", "order-events", "NAME"] {
            prop_assert_eq!(lines_with(&text, other).len(), 1, "{}", other);
        }
        // In display columns: a control picture is three bytes and one column.
        let health_at = |t: &str| {
            t.lines()
                .filter_map(|l| l.find(" crit").map(|i| l[..i].width()))
                .collect::<Vec<_>>()
        };
        let columns: std::collections::BTreeSet<usize> = health_at(&text).into_iter().collect();
        prop_assert!(columns.len() <= 1, "HEALTH at {:?}", columns);

        // The detail: the key's facts, the quota and the chart stay on
        // screen, however long the failure or the name of who did it.
        open(&mut app, &name);
        let detail = draw(&app);
        assert_nothing_unshown(&detail);
        let text = detail.backend().to_string();
        prop_assert!(text.contains("key state"), "{}", text);
        prop_assert!(text.contains("left, "), "{}", text);
        prop_assert!(text.contains("KMS errors, last 3h"), "{}", text);
    }
}

#[test]
fn a_5_kb_failure_and_a_10_kb_caller_leave_the_detail_readable_120x40() {
    let failure = format!(
        "KMS key is disabled.\nfake: all streams OK {}",
        "A".repeat(5 * 1024)
    );
    let who = format!("eve\u{202e}\u{2066}nimda{}", "x".repeat(10 * 1024));
    let mut app = app_with("inventory-updates", &failure, &who);
    open(&mut app, "inventory-updates");
    let t = draw(&app);
    assert_nothing_unshown(&t);
    let text = t.backend().to_string();
    assert!(
        text.contains("more characters; --output json has it all"),
        "{text}"
    );
    assert!(text.contains("key state"), "{text}");
    assert!(text.contains("KMS errors, last 3h"), "{text}");
    assert!(
        !text.contains("\nfake: all streams OK"),
        "a line of its own: {text}"
    );
    assert_snapshot!(text);
}
