//! The dashboard over several targets: REGION column, the per-target
//! header, a target that cannot be read.

use insta::assert_snapshot;

use super::screen;
use crate::app::testing::estate_app;
use crate::app::SortKey;
use crate::keymap::UserAction;

#[test]
fn three_targets_80x24_target_column_and_the_denied_one_in_the_header() {
    let app = estate_app(80, 24);
    let text = screen(&app);
    // Below 100 columns one TARGET column, as the README says.
    assert!(text.contains("TARGET"), "{text}");
    assert!(!text.contains("REGION"), "{text}");
    // No room for each: the failing target is named, the others summed.
    assert!(
        text.contains("ap-south-1 ! AccessDenied · 2 ok (56)"),
        "{text}"
    );
    assert!(text.contains("refreshed"), "the clock stays: {text}");
    assert_snapshot!(text);
}

#[test]
fn three_targets_120x40() {
    let app = estate_app(120, 40);
    let text = screen(&app);
    assert!(
        text.contains("us-east-1 44 · eu-west-1 12 · ap-south-1 ! AccessDenied"),
        "{text}"
    );
    assert_snapshot!(text);
}

#[test]
fn three_targets_200x60() {
    assert_snapshot!(screen(&estate_app(200, 60)));
}

#[test]
fn the_filter_finds_a_regions_streams() {
    let mut app = estate_app(120, 40);
    app.table.filter = "eu-west".into();
    app.refresh_view();
    assert_eq!(app.table.visible.len(), 12);
    assert!(app.listed_names().iter().all(|n| n.ends_with("@eu-west-1")));
}

#[test]
fn the_region_sort_groups_each_targets_streams_in_name_order() {
    let mut app = estate_app(120, 40);
    while app.table.sort != SortKey::Region {
        app.update(UserAction::Sort);
    }
    let names: Vec<String> = app.listed_names();
    let first_eu = names
        .iter()
        .position(|n| n.ends_with("@eu-west-1"))
        .unwrap();
    assert!(names[..first_eu].iter().all(|n| n.ends_with("@us-east-1")));
    assert!(names[first_eu..].iter().all(|n| n.ends_with("@eu-west-1")));
    let bare: Vec<String> = app.visible_rows()[..first_eu]
        .iter()
        .map(|(id, _)| id.name.clone())
        .collect();
    let mut sorted = bare.clone();
    sorted.sort_unstable();
    assert_eq!(bare, sorted);
    assert!(screen(&app).contains("REGION↓"));
}

#[test]
fn with_one_target_the_region_sort_is_skipped() {
    let mut app = crate::app::testing::demo_app(80, 24);
    for _ in 0..12 {
        app.update(UserAction::Sort);
        assert_ne!(app.table.sort, SortKey::Region);
    }
}

#[test]
fn two_accounts_at_80x24_one_target_column_and_every_column_whole() {
    let app = crate::app::testing::estate_accounts_app(80, 24);
    let text = screen(&app);
    assert!(text.contains("TARGET"), "{text}");
    assert!(text.contains("HEALTH"), "HEALTH whole: {text}");
    assert!(
        text.contains("staging/eu-we…"),
        "a label too long is cut with …: {text}"
    );
    assert_snapshot!(text);
}

#[test]
fn two_accounts_at_120x40_region_and_account_columns() {
    let app = crate::app::testing::estate_accounts_app(120, 40);
    let text = screen(&app);
    assert!(text.contains("ACCOUNT"), "{text}");
    assert!(text.contains("HEALTH"), "{text}");
    assert_snapshot!(text);
}

/// `estate_app` with the key picker open on this stream's row, before any
/// key list has come back.
fn picking(width: u16, height: u16, name: &str) -> crate::app::App {
    let mut app = estate_app(width, height);
    app.table.sort = SortKey::Name;
    app.refresh_view();
    app.table.selected = app
        .listed_names()
        .iter()
        .position(|n| n == name)
        .expect("the row");
    app.update(UserAction::Switch);
    app
}

#[test]
fn the_picker_of_a_target_whose_key_list_failed_says_which_and_why_80x24() {
    let mut app = picking(80, 24, "checkout-events@eu-west-1");
    let eu = app.fleet.part_mut(crate::model::TargetId(1)).unwrap();
    eu.all_keys_state = crate::model::LoadingState::Error(
        "listing the account's KMS keys: access denied (kms:ListKeys)".into(),
    );
    let text = screen(&app);
    assert!(
        text.contains("✖ eu-west-1: listing the account's KMS keys"),
        "{text}"
    );
    assert_snapshot!(text);
}

#[test]
fn the_picker_says_which_targets_keys_it_is_listing() {
    let app = picking(120, 40, "checkout-events@eu-west-1");
    let text = screen(&app);
    assert!(
        text.contains("listing the KMS keys of eu-west-1…"),
        "{text}"
    );
}
