//! The message log and the status line's messages, whole screens.

use insta::assert_snapshot;

use super::screen;
use crate::app::testing::{demo_app, fixed_now};
use crate::app::App;
use crate::cloud::CloudError;
use crate::keymap::UserAction;
use crate::model::Tone;
use crate::worker::{DataEvent, Fetch};

const REFUSED: &str = "Changing order-events to alias/locked-down was refused by KMS: AccessDeniedException: the key policy of alias/locked-down does not allow firehose.amazonaws.com to use the key (kms:CreateGrant). The stream stays encrypted with alias/orders-events; nothing was changed.";

/// A morning's session: a change refused, CloudWatch throttling three
/// times, a change done.
fn session(width: u16, height: u16) -> App {
    let mut app = demo_app(width, height);
    let at = |m: i64| fixed_now() + chrono::Duration::minutes(m);
    let outcome = |app: &mut App, text: &str, tone: Tone| {
        app.apply(
            crate::model::TargetId::FIRST,
            DataEvent::ChangeReport {
                stream: "order-events".into(),
                text: text.into(),
                tone,
            },
        );
    };
    app.tick(at(1));
    outcome(&mut app, REFUSED, Tone::Bad);
    for m in [2, 4, 7] {
        app.tick(at(m));
        app.apply(
            crate::model::TargetId::FIRST,
            DataEvent::Failed {
                what: Fetch::Metrics,
                error: CloudError::Throttled("Rate exceeded".into()),
            },
        );
    }
    app.tick(at(9));
    outcome(
        &mut app,
        "billing-export: ENABLED with alias/billing, in 2 min 10 s. The old key alias/legacy-billing is used by no stream now.",
        Tone::Good,
    );
    app
}

fn log_screen(width: u16, height: u16) -> String {
    let mut app = session(width, height);
    app.update(UserAction::Messages);
    screen(&app)
}

#[test]
fn message_log_80x24() {
    let text = log_screen(80, 24);
    assert!(text.contains("×3 since 12:02 UTC"), "{text}");
    assert!(text.contains("nothing was changed."), "in full: {text}");
    assert_snapshot!(text);
}

#[test]
fn message_log_120x40() {
    assert_snapshot!(log_screen(120, 40));
}

#[test]
fn message_log_200x60() {
    assert_snapshot!(log_screen(200, 60));
}

#[test]
fn message_log_empty_says_what_comes_there() {
    let mut app = demo_app(80, 24);
    app.update(UserAction::Messages);
    let text = screen(&app);
    assert!(text.contains("Nothing yet this session."), "{text}");
}

#[test]
fn a_long_outcome_is_cut_on_the_line_and_says_where_the_rest_is() {
    let mut app = session(80, 24);
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::ChangeReport {
            stream: "order-events".into(),
            text: REFUSED.into(),
            tone: Tone::Bad,
        },
    );
    app.update(UserAction::Help);
    let text = screen(&app);
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("\"Changing order-events to alias/locked-down was refused by KMS")
            && last.ends_with("… (m: messages)\""),
        "{last}"
    );
}

#[test]
fn a_short_outcome_leaves_room_for_the_hints_on_a_wide_screen() {
    let app = session(200, 60);
    let text = screen(&app);
    let last = text.lines().last().unwrap();
    assert!(last.contains("billing-export: ENABLED"), "{last}");
    assert!(
        last.contains("m messages (4)") && last.contains("x dismiss") && last.contains("q quit"),
        "{last}"
    );
}
