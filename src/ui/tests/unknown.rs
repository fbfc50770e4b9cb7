//! A value AWS sent that firekeeper does not know, on screen: AWS's string
//! where the value goes, `? unknown` in HEALTH, the sentence in the detail.

use insta::assert_snapshot;

use super::{joined, open, screen, select};
use crate::app::testing::{demo_app_from, demo_events};
use crate::app::App;
use crate::config::Config;
use crate::model::Window;
use crate::model::{EncryptionStatus, KeyState, KmsKey, Stream};
use crate::worker::DataEvent;

/// The demo, with `change` made to one stream's description and `key` to
/// what KMS says of that stream's key.
fn demo_with(name: &str, change: impl Fn(&mut Stream), key: impl Fn(&mut KmsKey)) -> App {
    let mut events = demo_events(Window::H3);
    let mut arn = None;
    for e in &mut events {
        match e {
            DataEvent::Stream {
                name: n,
                result: Ok(s),
                ..
            } if n == name => {
                change(s);
                arn.clone_from(&s.encryption.key_arn);
            }
            DataEvent::Keys(book) => {
                let mine = |k: &&mut KmsKey| Some(&k.arn) == arn.as_ref();
                book.keys.values_mut().filter(mine).for_each(&key);
            }
            _ => {}
        }
    }
    demo_app_from(&Config::builtin(), 100, 30, events)
}

/// The table row of `name`, as drawn with it selected (so on screen).
fn row(app: &mut App, name: &str) -> String {
    select(app, name);
    let text = screen(app);
    text.lines()
        .find(|l| l.contains(name))
        .unwrap_or_default()
        .to_string()
}

#[test]
fn an_unknown_encryption_status_shows_raw_and_unknown_in_table_and_detail() {
    let mut app = demo_with(
        "order-events",
        |s| s.encryption.status = EncryptionStatus::parse("FOO"),
        |_| {},
    );
    let line = row(&mut app, "order-events");
    assert!(line.contains("FOO"), "{line}");
    assert!(line.contains("? unknown"), "{line}");
    open(&mut app, "order-events");
    let text = joined(&app);
    assert!(
        text.contains(
            "AWS reports encryption status FOO (not known to firekeeper): firekeeper cannot tell whether or how the stream is encrypted."
        ),
        "{text}"
    );
    app.screen.size = (80, 24);
    assert_snapshot!(screen(&app));
}

#[test]
fn an_unknown_source_or_key_type_is_never_shown_as_known() {
    let mut app = demo_with(
        "dev-scratch",
        |s| s.source = crate::model::Source::parse("IcebergAsSource"),
        |_| {},
    );
    let line = row(&mut app, "dev-scratch");
    assert!(line.contains("? unknown"), "{line}");
    assert!(!line.contains("no encryption"), "{line}");

    let mut app = demo_with(
        "waf-logs",
        |s| s.encryption.key_type = Some(crate::model::KeyType::parse("QUANTUM_CMK")),
        |_| {},
    );
    let line = row(&mut app, "waf-logs");
    assert!(line.contains("? unknown"), "{line}");
    assert!(!line.contains("AWS owned"), "{line}");
    open(&mut app, "waf-logs");
    let text = joined(&app);
    assert!(
        text.contains("Key type QUANTUM_CMK: not known to firekeeper."),
        "{text}"
    );
    assert!(
        text.contains("AWS reports key type QUANTUM_CMK (not known to firekeeper)"),
        "{text}"
    );
}

#[test]
fn an_unknown_key_state_is_unknown_not_still_changing() {
    let mut app = demo_with(
        "order-events",
        |_| {},
        |k| k.state = KeyState::parse("Archived"),
    );
    let line = row(&mut app, "order-events");
    assert!(line.contains("? unknown"), "{line}");
    open(&mut app, "order-events");
    let text = joined(&app);
    assert!(text.contains("key state Archived"), "{text}");
    assert!(
        text.contains(
            "AWS reports key state Archived (not known to firekeeper) for key alias/orders-events"
        ),
        "{text}"
    );
    assert!(!text.contains("still changing"), "{text}");
}
