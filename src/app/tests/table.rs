//! The table's order and its quick answers: problems first, `e`, `u`.

use super::key;
use crate::app::testing::{demo_app, demo_app_with};
use crate::app::{App, Quick, SortKey};
use crate::config::Config;
use crate::health::Health;
use crate::keymap::UserAction;

fn names(app: &App) -> Vec<&str> {
    app.visible
        .iter()
        .map(|&i| app.rows[i].name.as_str())
        .collect()
}

fn sorted(sort: SortKey) -> App {
    let mut app = demo_app(80, 24);
    app.sort = sort;
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
    assert_eq!(app.sort, SortKey::Problems);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), "[ui]\nsort = \"kms-errors\"\n").unwrap();
    let config = Config::load(Some(file.path()), crate::keymap::check).unwrap();
    assert_eq!(config.ui.sort, SortKey::KmsErrors);
    let app = demo_app_with(&config, 80, 24);
    assert!(app.visible.len() > 1);
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
        .visible
        .iter()
        .map(|&i| {
            let row = &app.rows[i];
            (rank(app.health_level(row)), app.kms_total(&row.name))
        })
        .collect();
    for pair in keys.windows(2) {
        let ((ra, ea), (rb, eb)) = (pair[0], pair[1]);
        assert!(ra < rb || (ra == rb && ea >= eb), "{keys:?}");
    }
    // The worst stream is the first row: Enter answers for it.
    assert_eq!(names(&app)[0], "clickstream-archive");
    assert_eq!(
        app.health_level(&app.rows[app.visible[0]]),
        Health::Critical
    );
    // Ties keep name order.
    let ok: Vec<&str> = app
        .visible
        .iter()
        .filter(|&&i| app.health_level(&app.rows[i]) == Health::Ok)
        .map(|&i| app.rows[i].name.as_str())
        .collect();
    let mut by_name = ok.clone();
    by_name.sort_unstable();
    assert_eq!(ok, by_name);
}

#[test]
fn e_shows_only_streams_with_kms_errors_and_again_shows_all() {
    let mut app = sorted(SortKey::Problems);
    let all = app.visible.len();
    app.on_key(key('e'));
    assert_eq!(app.quick, Some(Quick::KmsErrors));
    assert_eq!(app.visible.len(), app.summary.with_kms_errors);
    assert!(names(&app).iter().all(|n| app.kms_total(n) > 0.0));
    app.on_key(key('e'));
    assert_eq!(app.quick, None);
    assert_eq!(app.visible.len(), all);
}

#[test]
fn u_shows_only_unencrypted_direct_put_streams_and_esc_clears_it() {
    let mut app = sorted(SortKey::Name);
    app.on_key(key('u'));
    assert_eq!(app.quick, Some(Quick::Unencrypted));
    let shown = names(&app);
    assert!(shown.contains(&"dev-scratch"), "{shown:?}");
    // A source that owns encryption is not "unencrypted".
    assert!(!shown.contains(&"clickstream-raw"), "{shown:?}");
    assert!(!shown.contains(&"audit-trail"), "{shown:?}");
    // u then e: one question at a time.
    app.on_key(key('e'));
    assert_eq!(app.quick, Some(Quick::KmsErrors));
    app.update(UserAction::Back);
    assert_eq!(app.quick, None);
    assert_eq!(app.visible.len(), app.rows.len());
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
        app.apply(ev);
        assert_eq!(app.selected, 0);
    }
    assert_eq!(app.selected_row().unwrap().name, "clickstream-archive");
    // Once moved, the cursor follows its stream through a re-sort.
    app.on_key(key('j'));
    let chosen = app.selected_row().unwrap().name.clone();
    app.on_key(key('s'));
    assert_eq!(app.selected_row().unwrap().name, chosen);
}
