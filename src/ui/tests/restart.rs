//! A start from the cache: rows shown from it are marked `~` and the header
//! says it is checking them, until CloudTrail confirms them (`=`, "no change
//! since") or a describe replaces them; the clock says "refreshed" only then.

use insta::assert_snapshot;

use super::{open, screen};
use crate::app::testing::{demo_app_from, demo_events, fixed_now};
use crate::app::App;
use crate::config::Config;
use crate::model::{TargetId, Window};
use crate::worker::{DataEvent, Restarted};

fn row_of<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines().find(|l| l.contains(name)).unwrap_or_default()
}

/// The demo as an earlier run cached it two hours ago, then listed again.
fn restarted(width: u16, height: u16) -> App {
    let config = Config::builtin();
    let before = demo_app_from(&config, width, height, demo_events(Window::H3));
    let (account, saved) = before.fleet.saved(TargetId::FIRST).expect("cacheable");
    let dir = tempfile::tempdir().unwrap();
    let cache = crate::cache::Cache::new(dir.path().into(), None, "us-east-1", None);
    let mut snap = cache.snapshot(&account, saved);
    snap.saved_at = fixed_now() - chrono::Duration::hours(2);
    let mut app = demo_app_from(&config, width, height, Vec::new());
    app.restore(TargetId::FIRST, snap);
    let names: Vec<String> = app.listed_names();
    app.apply(TargetId::FIRST, DataEvent::Names(names));
    app
}

#[test]
fn cached_rows_are_marked_until_cloudtrail_confirms_them() {
    let mut app = restarted(120, 40);
    let text = screen(&app);
    assert!(text.contains("~ checking cache 44/44"), "{text}");
    assert!(
        text.lines()
            .next()
            .unwrap_or_default()
            .contains("checking…"),
        "{text}"
    );
    assert!(
        row_of(&text, "billing-export").contains("ENABLED ~"),
        "{text}"
    );
    assert_snapshot!("restart_checking_120x40", text);

    let since = fixed_now() - chrono::Duration::hours(3);
    let mut names = app.listed_names();
    names.retain(|n| n != "billing-export");
    app.apply(
        TargetId::FIRST,
        DataEvent::Restarted(Restarted::Confirmed {
            names,
            named: 1,
            since,
            checked: fixed_now(),
        }),
    );
    let text = screen(&app);
    // billing-export was named by CloudTrail: still from the cache until
    // its describe comes.
    assert!(text.contains("~ checking cache 1/44"), "{text}");
    assert!(text.contains("= 43 confirmed"), "{text}");
    assert!(row_of(&text, "audit-trail").contains(" ="), "{text}");
    let described = demo_events(Window::H3)
        .into_iter()
        .find(|e| matches!(e, DataEvent::Stream { name, .. } if name == "billing-export"))
        .unwrap();
    app.apply(TargetId::FIRST, described);
    let text = screen(&app);
    assert!(!text.contains("checking"), "{text}");
    assert!(
        text.lines()
            .next()
            .unwrap_or_default()
            .contains("refreshed"),
        "{text}"
    );
    assert!(!row_of(&text, "billing-export").contains(" ="), "{text}");
    assert_snapshot!("restart_confirmed_120x40", text);

    open(&mut app, "audit-trail");
    let text = screen(&app);
    assert!(
        text.contains("confirmed: CloudTrail shows no change since 09:00 UTC"),
        "{text}"
    );
}

#[test]
fn the_message_log_says_what_the_restart_came_to() {
    let mut app = restarted(120, 40);
    app.apply(
        TargetId::FIRST,
        DataEvent::Restarted(Restarted::FullPass(
            "every stream is described again: CloudTrail is off ([cloudtrail] enabled = false)"
                .into(),
        )),
    );
    let text = screen(&app);
    assert!(text.contains("CloudTrail is off"), "{text}");
    assert!(text.contains("~ checking cache 44/44"), "{text}");
}
