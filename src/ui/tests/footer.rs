//! The status line's keys: a dialog's own under a dialog, and the on-call
//! answers (`e u K m`) in the table whenever there is room.

use insta::assert_snapshot;

use super::{screen, select};
use crate::app::testing::demo_app;
use crate::keymap::UserAction;

fn last_line(text: &str) -> String {
    text.lines().last().unwrap_or_default().to_string()
}

#[test]
fn under_a_confirmation_the_footer_lists_its_keys_not_the_tables() {
    let mut app = demo_app(80, 24);
    select(&mut app, "marketing-events");
    app.update(UserAction::Switch);
    super::all_keys(&mut app);
    super::press(&mut app, crossterm::event::KeyCode::Enter);
    let footer = last_line(&screen(&app));
    assert!(footer.contains("y send  n cancel"), "{footer}");
    assert!(
        !footer.contains("r key") && !footer.contains("q quit"),
        "{footer}"
    );
    assert_snapshot!(footer);
}

#[test]
fn under_the_picker_and_the_stop_dialog_the_footer_lists_theirs() {
    let mut app = demo_app(80, 24);
    select(&mut app, "marketing-events");
    app.update(UserAction::Switch);
    let footer = last_line(&screen(&app));
    assert!(
        footer.contains("Enter pick") && footer.contains("Esc cancel"),
        "{footer}"
    );
    app.update(UserAction::Cancel);
    app.update(UserAction::Disable);
    let footer = last_line(&screen(&app));
    assert!(
        footer.contains("Esc cancel") && !footer.contains("d stop"),
        "{footer}"
    );
}

#[test]
fn the_table_footer_shows_e_u_k_m_at_80_and_every_key_at_120() {
    let footer = last_line(&screen(&demo_app(80, 24)));
    for hint in [
        "e errors",
        "u unencrypted",
        "K keys",
        "m messages",
        "? help",
        "q quit",
    ] {
        assert!(footer.contains(hint), "{hint}: {footer}");
    }
    let footer = last_line(&screen(&demo_app(120, 40)));
    for hint in [
        "j/k move",
        "Enter open",
        "/ filter",
        "s sort",
        "w 3h",
        "e errors",
        "u unencrypted",
        "K keys",
        "r key",
        "d stop",
        "m messages",
        "? help",
        "q quit",
    ] {
        assert!(footer.contains(hint), "{hint}: {footer}");
    }
}

/// `:s` offers the commands it starts, with the keys that complete, run and
/// close; `:sort ` offers the columns.
#[test]
fn the_command_prompt_offers_its_completions() {
    use crossterm::event::KeyCode;
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let mut app = demo_app(w, h);
        super::press(&mut app, KeyCode::Char(':'));
        super::press(&mut app, KeyCode::Char('s'));
        let started = last_line(&screen(&app));
        super::press(&mut app, KeyCode::Char('o'));
        super::press(&mut app, KeyCode::Tab);
        let columns = last_line(&screen(&app));
        assert!(
            started.starts_with("\":s▏  streams sort  Tab complete"),
            "{started}"
        );
        assert!(
            columns.starts_with("\":sort ▏  problems name status kms-errors quota-left  Tab"),
            "{columns}"
        );
        assert_snapshot!(
            format!("command_prompt_{w}x{h}"),
            format!("{started}\n{columns}")
        );
    }
}

/// The `y` view: the description as pretty JSON with its footer.
#[test]
fn the_json_view_of_a_stream() {
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let mut app = demo_app(w, h);
        select(&mut app, "order-events");
        app.update(UserAction::Raw);
        let text = screen(&app);
        assert!(text.contains("\"name\": \"order-events\""), "{text}");
        assert_snapshot!(format!("json_view_{w}x{h}"), text);
    }
}
