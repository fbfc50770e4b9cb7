//! The table's order and its quick answers: problems first, `e`, `u`.

use super::key;
use crate::app::testing::{demo_app, demo_app_with};
use crate::app::{App, Quick, SortKey};
use crate::config::Config;
use crate::health::Health;
use crate::keymap::UserAction;

fn names(app: &App) -> Vec<String> {
    app.listed_names()
}

fn sorted(sort: SortKey) -> App {
    let mut app = demo_app(80, 24);
    app.table.sort = sort;
    app.refresh_view();
    app
}

#[test]
fn the_configured_sort_is_problems_and_the_config_may_name_another() {
    let config = Config::builtin();
    assert_eq!(config.ui.sort, SortKey::Problems);
    let context = crate::app::DashboardContext::default();
    let app = App::new(
        context,
        &config,
        crate::model::Window::H3,
        super::fixed_now(),
    );
    assert_eq!(app.table.sort, SortKey::Problems);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "[ui]\nsort = \"kms-errors\"\n").unwrap();
    let config = Config::load(Some(file.path()), crate::keymap::check).unwrap();
    assert_eq!(config.ui.sort, SortKey::KmsErrors);
    let app = demo_app_with(&config, 80, 24);
    assert!(app.table.visible.len() > 1);
}

#[test]
fn problems_lists_critical_then_unknown_then_warning_then_ok_most_errors_first() {
    let app = sorted(SortKey::Problems);
    let rank = |h: Health| match h {
        Health::Critical => 0,
        Health::Unknown => 1,
        Health::Warning => 2,
        Health::Ok => 3,
    };
    let keys: Vec<(u8, f64)> = app
        .visible_rows()
        .iter()
        .map(|(id, row)| (rank(app.health_level(id, row)), app.kms_total(id)))
        .collect();
    for pair in keys.windows(2) {
        let ((ra, ea), (rb, eb)) = (pair[0], pair[1]);
        assert!(ra < rb || (ra == rb && ea >= eb), "{keys:?}");
    }
    // The worst stream is the first row: Enter answers for it.
    assert_eq!(names(&app)[0], "clickstream-archive");
    assert_eq!(
        {
            let (id, row) = app.listed(0).unwrap();
            app.health_level(id, row)
        },
        Health::Critical
    );
    // Ties keep name order.
    let ok: Vec<String> = app
        .visible_rows()
        .into_iter()
        .filter(|(id, row)| app.health_level(id, row) == Health::Ok)
        .map(|(_, row)| row.name)
        .collect();
    let mut by_name = ok.clone();
    by_name.sort_unstable();
    assert_eq!(ok, by_name);
}

#[test]
fn e_shows_only_streams_with_kms_errors_and_again_shows_all() {
    let mut app = sorted(SortKey::Problems);
    let all = app.table.visible.len();
    app.on_key(key('e'));
    assert_eq!(app.table.quick, Some(Quick::KmsErrors));
    assert_eq!(app.table.visible.len(), app.fleet.tally().with_kms_errors);
    assert!(app
        .visible_rows()
        .iter()
        .all(|(id, _)| app.kms_total(id) > 0.0));
    app.on_key(key('e'));
    assert_eq!(app.table.quick, None);
    assert_eq!(app.table.visible.len(), all);
}

#[test]
fn u_shows_only_unencrypted_direct_put_streams_and_esc_clears_it() {
    let mut app = sorted(SortKey::Name);
    app.on_key(key('u'));
    assert_eq!(app.table.quick, Some(Quick::Unencrypted));
    let shown = names(&app);
    assert!(shown.iter().any(|n| n == "dev-scratch"), "{shown:?}");
    // A source that owns encryption is not "unencrypted".
    assert!(!shown.iter().any(|n| n == "clickstream-raw"), "{shown:?}");
    assert!(!shown.iter().any(|n| n == "audit-trail"), "{shown:?}");
    // u then e: one question at a time.
    app.on_key(key('e'));
    assert_eq!(app.table.quick, Some(Quick::KmsErrors));
    app.update(UserAction::Back);
    assert_eq!(app.table.quick, None);
    assert_eq!(app.table.visible.len(), app.fleet.order().len());
}

#[test]
fn the_filter_matches_the_key_alias_the_table_shows() {
    let mut app = sorted(SortKey::Problems);
    app.on_key(key('/'));
    for c in "legacy-billing".chars() {
        app.on_key(key(c));
    }
    let shown = names(&app);
    assert_eq!(shown, ["billing-export", "billing-invoices"], "{shown:?}");
}

#[test]
fn at_launch_the_cursor_stays_on_the_worst_stream_as_data_arrives() {
    let config = Config::builtin();
    let context = crate::app::DashboardContext::default();
    let mut app = App::new(
        context,
        &config,
        crate::model::Window::H3,
        super::fixed_now(),
    );
    app.resize(80, 24, 20);
    for ev in crate::app::testing::demo_events(crate::model::Window::H3) {
        app.apply(crate::model::TargetId::FIRST, ev);
        assert_eq!(app.table.selected, 0);
    }
    assert_eq!(app.selected_row().unwrap().1.name, "clickstream-archive");
    // Once moved, the cursor follows its stream through a re-sort.
    app.on_key(key('j'));
    let chosen = app.selected_row().unwrap().1.name.clone();
    app.on_key(key('s'));
    assert_eq!(app.selected_row().unwrap().1.name, chosen);
}
