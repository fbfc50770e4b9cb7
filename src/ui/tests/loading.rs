//! The table while streams are still being described: `… loading`, not
//! `? unknown`; after every judged row; counted in the header, which says
//! "refreshed" only once every stream is described; and the cursor stays
//! on its stream while rows arrive.

use insta::assert_snapshot;

use super::screen;
use crate::app::testing::{demo_app_from, demo_events};
use crate::app::{App, SortKey};
use crate::cloud::CloudError;
use crate::config::Config;
use crate::keymap::UserAction;
use crate::model::{TargetId, Window};
use crate::worker::DataEvent;

/// Described first, as if the worker had got this far; one of them failed.
const FIRST: [&str; 6] = [
    "billing-export",
    "dev-scratch",
    "audit-trail",
    "inventory-updates",
    "lambda-logs",
    "order-returns",
];
const FAILED: &str = "order-returns";

/// The demo with only [`FIRST`] described, sorted problems first as at
/// launch; the other descriptions, in the order the worker would send them.
fn half_loaded(width: u16, height: u16) -> (App, Vec<DataEvent>) {
    let mut now = Vec::new();
    let mut later = Vec::new();
    for e in demo_events(Window::H3) {
        match e {
            DataEvent::Stream { ref name, at, .. } if name == FAILED => {
                now.push(DataEvent::Stream {
                    name: name.clone(),
                    result: Err(CloudError::Throttled("Rate exceeded".into())),
                    at,
                });
            }
            DataEvent::Stream { ref name, .. } if !FIRST.contains(&name.as_str()) => {
                later.push(e);
            }
            e => now.push(e),
        }
    }
    let mut app = demo_app_from(&Config::builtin(), width, height, now);
    app.table.sort = SortKey::Problems;
    app.refresh_view();
    (app, later)
}

fn row_of<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines().find(|l| l.contains(name)).unwrap_or_default()
}

#[test]
fn loading_rows_say_loading_sort_last_and_are_counted() {
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let (app, _) = half_loaded(w, h);
        let text = screen(&app);
        let loading = 44 - FIRST.len();
        assert!(text.contains(&format!("loading {loading}/44")), "{text}");
        assert!(!text.contains("refreshed"), "{text}");
        assert!(text.lines().next().unwrap_or_default().contains("loading…"));
        assert!(
            row_of(&text, "checkout-events").contains("… loading"),
            "{text}"
        );
        assert!(row_of(&text, FAILED).contains("? unknown"), "{text}");
        let names = app.listed_names();
        let first_loading = names.iter().position(|n| !FIRST.contains(&n.as_str()));
        assert_eq!(first_loading, Some(FIRST.len()), "{names:?}");
        assert_snapshot!(format!("loading_{w}x{h}"), text);
    }
}

#[test]
fn refreshed_once_every_stream_is_described() {
    let (mut app, later) = half_loaded(80, 24);
    for e in later {
        app.apply(TargetId::FIRST, e);
    }
    let text = screen(&app);
    assert!(text.contains("refreshed"), "{text}");
    assert!(!text.contains("loading"), "{text}");
}

#[test]
fn the_cursor_stays_on_its_stream_and_its_row_while_rows_arrive() {
    let (mut app, later) = half_loaded(120, 40);
    app.update(UserAction::Down);
    app.update(UserAction::Down);
    let id = app.selected_id().cloned();
    let row = app.table.selected - app.table.offset;
    for e in later {
        app.apply(TargetId::FIRST, e);
        assert_eq!(app.selected_id(), id.as_ref());
        assert_eq!(app.table.selected - app.table.offset, row);
    }
}
