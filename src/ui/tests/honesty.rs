//! What the screens say of calls AWS refused and of a key KMS would not let
//! the caller grant on: the count apart in the table, the safe reading in
//! the confirmation, and how to send anyway.

use insta::assert_snapshot;

use super::{joined, screen};
use crate::app::testing::{all_keys_event, app_with_refused_calls, demo_app};
use crate::app::App;
use crate::cloud::GrantCheck;
use crate::keymap::UserAction;
use crate::worker::DataEvent;

fn on(app: &mut App, name: &str) {
    while app.selected_row().unwrap().1.name != name {
        app.update(UserAction::Down);
    }
}

#[test]
fn the_table_counts_refused_calls_apart_in_the_quota_cell() {
    for (w, h, cell) in [
        (80, 24, " 0/25 (16r) "),
        (120, 40, " 0/25 (16r) "),
        (160, 48, " 0/25 (16 refused) "),
    ] {
        let mut app = app_with_refused_calls(w, h);
        on(&mut app, "order-events");
        let text = screen(&app);
        let row = text
            .lines()
            .find(|l| l.contains("order-events"))
            .unwrap_or_default();
        assert!(row.contains(cell), "{w}x{h}: {row}\n{text}");
        // The count stays in its place for the rows without refused calls.
        assert!(text.contains(" 25/25 "), "{w}x{h}: {text}");
    }
}

#[test]
fn a_day_filled_by_refused_calls_asks_for_send_80x24() {
    let mut app = app_with_refused_calls(80, 24);
    on(&mut app, "order-events");
    app.update(UserAction::Switch);
    app.update(UserAction::Pick);
    let said = joined(&app);
    assert!(said.contains("counting 16 AWS refused"), "{said}");
    assert!(said.contains("Type send (or the stream's name)"), "{said}");
    assert_snapshot!(screen(&app));
}

#[test]
fn a_grant_kms_denied_is_shown_with_kmss_words_80x24() {
    let mut app = demo_app(80, 24);
    app.apply(crate::model::TargetId::FIRST, all_keys_event());
    on(&mut app, "order-events");
    app.update(UserAction::Switch);
    let at = app
        .picker_items()
        .iter()
        .position(|i| i.label == "alias/locked-down")
        .unwrap();
    for _ in 0..at {
        app.update(UserAction::PickerDown);
    }
    app.update(UserAction::Pick);
    let arn = app
        .fleet
        .part(crate::model::TargetId::FIRST)
        .and_then(|p| p.all_keys.as_ref())
        .and_then(|b| b.keys.values().find(|k| k.id.starts_with("b3a47fc5")))
        .map(|k| k.arn.clone())
        .unwrap();
    app.apply(crate::model::TargetId::FIRST,DataEvent::GrantChecked {
        key: arn,
        check: GrantCheck::Denied(
            "AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/demo/me is not authorized to perform: kms:CreateGrant".into(),
        ),
    });
    let said = joined(&app);
    assert!(
        said.contains("KMS would not let you create the grant Firehose needs"),
        "{said}"
    );
    assert!(
        said.contains("kms:ViaService)"),
        "the sentence is whole: {said}"
    );
    assert_snapshot!(screen(&app));
}
