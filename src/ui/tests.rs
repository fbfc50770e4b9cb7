//! Whole screens, as a person at an 80x24 SSH session or a wide terminal sees
//! them. Every snapshot here was read before it was accepted.

use insta::assert_snapshot;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;

use super::render;
use crate::app::testing::{demo_app, demo_app_from, demo_app_with, demo_events, fixed_now};
use crate::app::App;
use crate::cloud::CloudError;
use crate::config::{Config, Markers};
use crate::keymap::UserAction;
use crate::worker::DataEvent;

mod cost;
mod detail;
mod every_key;
mod footer;
mod honesty;
mod hostile;
mod loading;
mod messages;
mod moving;
mod restart;
mod table;
mod targets;
mod unknown;

fn draw(app: &App) -> Terminal<TestBackend> {
    let (w, h) = app.screen.size;
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(f, app)).unwrap();
    t
}

fn screen(app: &App) -> String {
    draw(app).backend().to_string()
}

fn open(app: &mut App, name: &str) {
    while app.selected_row().unwrap().1.name != name {
        app.update(UserAction::Down);
    }
    app.update(UserAction::Open);
}

#[test]
fn table_80x24() {
    assert_snapshot!(screen(&demo_app(80, 24)));
}

#[test]
fn table_160x48_shows_source_and_trend() {
    assert_snapshot!(screen(&demo_app(160, 48)));
}

#[test]
fn detail_with_chart_80x24() {
    let mut app = demo_app(80, 24);
    open(&mut app, "billing-export");
    assert_snapshot!(screen(&app));
}

#[test]
fn detail_with_chart_160x48() {
    let mut app = demo_app(160, 48);
    open(&mut app, "marketing-events");
    assert_snapshot!(screen(&app));
}

#[test]
fn detail_lists_the_calls_behind_the_quota_80x24() {
    let mut app = demo_app(80, 24);
    open(&mut app, "shipping-updates");
    let text = screen(&app);
    assert!(text.contains("22 by others"), "{text}");
    assert!(text.contains("terraform"), "{text}");
    assert!(text.contains("… and 20 older"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn detail_lists_the_calls_behind_the_quota_160x48() {
    let mut app = demo_app(160, 48);
    open(&mut app, "shipping-updates");
    let text = screen(&app);
    assert!(
        text.contains("22 by others; others' calls of the last ~15 min may not show yet"),
        "{text}"
    );
    assert!(
        text.contains("maria.garcia   Stop    ✖ ResourceInUseException"),
        "{text}"
    );
    assert_snapshot!(text);
}

#[test]
fn table_marks_a_quota_that_counts_only_this_machines_calls_80x24() {
    let mut app = demo_app(80, 24);
    let book = crate::quota::QuotaBook {
        source: crate::quota::QuotaSource::Ledger(
            "CloudTrail's event history could not be read (AccessDenied)".into(),
        ),
        ..Default::default()
    };
    app.apply(crate::model::TargetId::FIRST, DataEvent::Quotas(Ok(book)));
    let text = screen(&app);
    assert!(text.contains("25/25*"), "{text}");
    assert!(text.contains("quota* this machine's calls only"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn detail_says_who_disabled_the_key_by_cloudtrail() {
    let mut app = demo_app(100, 30);
    open(&mut app, "billing-invoices");
    let text = joined(&app);
    assert!(
        text.contains(
            "alias/legacy-billing was disabled by dana.whitfield at 11:00 UTC (CloudTrail)."
        ),
        "{text}"
    );
    assert_eq!(
        text.matches("was disabled by").count(),
        1,
        "said once: {text}"
    );
}

/// The screen's text with lines joined, for sentences that wrap.
fn joined(app: &App) -> String {
    screen(app)
        .lines()
        .map(|l| l.trim_matches('"').trim_end())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn detail_says_when_only_this_machines_calls_are_counted() {
    let mut app = demo_app(100, 30);
    let book = crate::quota::QuotaBook {
        source: crate::quota::QuotaSource::Ledger(
            "CloudTrail is off ([cloudtrail] enabled = false)".into(),
        ),
        ..Default::default()
    };
    app.apply(crate::model::TargetId::FIRST, DataEvent::Quotas(Ok(book)));
    open(&mut app, "shipping-updates");
    let text = screen(&app);
    assert!(
        text.contains("Start/Stop calls in 24 h: 0 in this machine's ledger; others' are not counted: CloudTrail is off"),
        "{text}"
    );
    assert!(text.contains("25/25 left"), "{text}");
}

#[test]
fn detail_ascii_markers_read_without_braille() {
    let mut config = Config::builtin();
    config.ui.markers = Markers::Ascii;
    let mut app = demo_app_with(&config, 100, 30);
    open(&mut app, "billing-export");
    let text = screen(&app);
    // Only ASCII: no Braille, and no line, arrow or cut mark either.
    assert!(text.is_ascii(), "{text}");
    assert!(
        text.contains('+'),
        "KMSKeyDisabled drawn with its own symbol"
    );
    assert_snapshot!(text);
}

#[test]
fn detail_of_failed_change_quotes_the_failure() {
    let mut app = demo_app(100, 30);
    open(&mut app, "inventory-updates");
    let text = screen(&app);
    assert!(text.contains("DISABLED_KMS_KEY"));
    assert_snapshot!(text);
}

#[test]
fn help_lists_every_binding() {
    let mut app = demo_app(80, 24);
    app.update(UserAction::Help);
    let text = screen(&app);
    for k in ["move up", "Ctrl-r", "sort: problems", "quit"] {
        assert!(text.contains(k), "{k}");
    }
    assert_snapshot!(text);
}

#[test]
fn help_scrolled_to_the_end_shows_the_dialog_keys() {
    let mut app = demo_app(80, 24);
    app.update(UserAction::Help);
    app.update(UserAction::Bottom);
    let text = screen(&app);
    for k in ["n N Esc", "Remap keys", "close this help"] {
        assert!(text.contains(k), "{k}");
    }
    assert_snapshot!(text);
}

#[test]
fn filter_prompt_and_results() {
    let mut app = demo_app(80, 24);
    app.update(UserAction::Filter);
    for c in "pay".chars() {
        app.on_key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char(c),
        ));
    }
    assert_snapshot!(screen(&app));
}

#[test]
fn error_banner_keeps_the_table() {
    let mut app = demo_app(80, 24);
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Failed {
            what: crate::worker::Fetch::List,
            error: CloudError::Unreachable("connection refused".into()),
        },
    );
    let text = screen(&app);
    assert!(text.contains("cannot reach AWS"));
    assert!(text.contains("billing-export"), "data kept");
    assert!(text.contains("(stale)"));
    assert_snapshot!(text);
}

#[test]
fn tiny_terminal_asks_to_be_enlarged() {
    let app = demo_app(50, 10);
    assert_snapshot!(screen(&app));
}

#[test]
fn loading_before_the_first_answer() {
    let context = crate::app::DashboardContext {
        region: "eu-west-1".into(),
        profile: Some("prod".into()),
        ..Default::default()
    };
    let mut app = App::new(
        context,
        &Config::builtin(),
        crate::model::Window::H3,
        fixed_now(),
    );
    app.resize(80, 24, super::table_viewport(24));
    assert_snapshot!(screen(&app));
}

#[test]
fn no_color_keeps_every_fact_in_plain_text() {
    let mut config = Config::builtin();
    config.ui.color = false;
    let app = demo_app_with(&config, 80, 24);
    let t = draw(&app);
    let buf = t.backend().buffer();
    assert!(
        buf.content()
            .iter()
            .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
        "no colour anywhere"
    );
    let text = t.backend().to_string();
    for fact in [
        "✖ crit",
        "▲ warn",
        "● ok",
        "ENABLING_FAILED",
        "ENABLING ",
        "▶ audit-trail",
    ] {
        assert!(text.contains(fact), "{fact}");
    }
    assert_snapshot!(text);
}

#[test]
fn rendering_builds_only_visible_rows() {
    // A frame at 5,000 streams reads like a frame at 40: same visible rows.
    let mut app = demo_app(80, 24);
    let mut names: Vec<String> = app.all_rows().into_iter().map(|(_, r)| r.name).collect();
    names.extend((0..5000).map(|i| format!("zz-{i:05}")));
    app.apply(crate::model::TargetId::FIRST, DataEvent::Names(names));
    let text = screen(&app);
    assert!(text.contains("audit-trail"));
    assert!(!text.contains("zz-04999"));
}

fn all_keys(app: &mut App) {
    app.apply(
        crate::model::TargetId::FIRST,
        crate::app::testing::all_keys_event(),
    );
}

fn select(app: &mut App, name: &str) {
    while app.selected_row().unwrap().1.name != name {
        app.update(UserAction::Down);
    }
}

fn press(app: &mut App, code: crossterm::event::KeyCode) {
    app.on_key(crossterm::event::KeyEvent::from(code));
}

#[test]
fn key_picker_greys_out_unusable_keys() {
    let mut app = demo_app(100, 30);
    select(&mut app, "order-events");
    app.update(UserAction::Switch);
    all_keys(&mut app);
    let text = screen(&app);
    assert!(text.contains("✖ is Disabled, not Enabled"));
    assert!(text.contains("AWS owned key"));
    assert_snapshot!(text);
}

#[test]
fn confirmation_shows_the_change_quota_and_warnings() {
    let mut app = demo_app(100, 30);
    select(&mut app, "marketing-events");
    app.update(UserAction::Switch);
    all_keys(&mut app);
    for c in "events-2026".chars() {
        press(&mut app, crossterm::event::KeyCode::Char(c));
    }
    press(&mut app, crossterm::event::KeyCode::Enter);
    let text = screen(&app);
    assert!(text.contains("alias/analytics → alias/orders-events-2026"));
    assert!(text.contains("KMS is refusing marketing-events right now"));
    assert_snapshot!(text);
}

#[test]
fn dialog_hints_name_the_keys_as_remapped() {
    let config = crate::config::Config::parse(
        "[keys]\nconfirm_yes = [\"s\"]\nconfirm_no = [\"x\", \"Esc\"]\n",
        std::path::Path::new("config.toml"),
        crate::keymap::check,
    )
    .unwrap();
    let mut app = crate::app::testing::demo_app_with(&config, 100, 30);
    select(&mut app, "marketing-events");
    app.update(UserAction::Switch);
    all_keys(&mut app);
    for c in "2026".chars() {
        press(&mut app, crossterm::event::KeyCode::Char(c));
    }
    press(&mut app, crossterm::event::KeyCode::Enter);
    let text = screen(&app);
    assert!(text.contains("s send the change   x/Esc cancel"), "{text}");
}

#[test]
fn refused_confirmation_says_the_change_cannot_be_made() {
    let mut app = demo_app(80, 24);
    // ENABLING: refused before the picker opens, no key chosen for nothing.
    select(&mut app, "fraud-signals");
    app.update(UserAction::Switch);
    let text = screen(&app);
    assert!(text.contains("cannot be made"));
    assert!(
        text.contains("wait until the current change settles"),
        "{text}"
    );
    assert_snapshot!(text);
}

#[test]
fn stop_dialog_asks_for_the_name() {
    let mut app = demo_app(80, 24);
    select(&mut app, "order-events");
    app.update(UserAction::Disable);
    for c in "order".chars() {
        press(&mut app, crossterm::event::KeyCode::Char(c));
    }
    let text = screen(&app);
    assert!(text.contains("> order"));
    assert_snapshot!(text);
}

#[test]
fn read_only_hides_the_change_keys() {
    let mut config = Config::builtin();
    config.read_only = true;
    let mut app = demo_app_with(&config, 80, 24);
    app.context.read_only = true;
    let text = screen(&app);
    assert!(text.contains("READ-ONLY"));
    assert!(!text.contains("r key"));
    app.update(UserAction::Help);
    let text = screen(&app);
    assert!(!text.contains("stop the stream's encryption"));
    assert!(text.contains("move up"));
}

#[test]
fn detail_says_why_kms_would_not_describe_the_key() {
    let mut app = demo_app(120, 30);
    let arn = app
        .row_named("order-events")
        .and_then(|r| r.stream.as_ref())
        .and_then(|s| s.encryption.key_arn.clone())
        .unwrap();
    let id = crate::model::key_id_of(&arn).to_string();
    let book = &mut app
        .fleet
        .part_mut(crate::model::TargetId::FIRST)
        .unwrap()
        .keys;
    book.keys.remove(&id);
    book.errors.insert(
        id,
        CloudError::AccessDenied("not authorized to perform kms:DescribeKey".into()),
    );
    open(&mut app, "order-events");
    let text = screen(&app);
    assert!(
        text.contains("KMS would not describe this key: access denied"),
        "{text}"
    );
}

#[test]
fn unknown_rows_and_quota_say_what_is_not_known() {
    let mut app = demo_app(80, 24);
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Quotas(Err(
            "the ledger could not be read (Permission denied)".into()
        )),
    );
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Stream {
            name: "billing-invoices".into(),
            result: Err(CloudError::Throttled("Rate exceeded".into())),
            at: fixed_now(),
        },
    );
    let text = screen(&app);
    assert!(text.contains("? unknown"), "{text}");
    assert!(
        !text.contains("25/25"),
        "no full quota when the ledger is unread"
    );
    let line = |name: &str| text.lines().find(|l| l.contains(name)).unwrap().to_string();
    assert!(
        line("audit-trail").contains("    ? ? unknown"),
        "{}",
        line("audit-trail")
    );
    assert!(
        line("clickstream-raw").contains("- ● ok"),
        "quota does not apply to a Kinesis source"
    );
    assert_snapshot!(text);
}

#[test]
fn metrics_never_loaded_show_question_marks_and_say_why() {
    let events = demo_events(crate::model::Window::H3)
        .into_iter()
        .filter(|e| !matches!(e, DataEvent::Metrics { .. }))
        .collect();
    let mut app = demo_app_from(&Config::builtin(), 80, 24, events);
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Failed {
            what: crate::worker::Fetch::Metrics,
            error: CloudError::Server("InternalFailure: We encountered an internal error".into()),
        },
    );
    let table = screen(&app);
    assert!(
        !table.contains("      0 "),
        "no KMS error count is a 0: {table}"
    );
    open(&mut app, "order-events");
    let detail = screen(&app);
    assert!(
        detail.contains("metrics not loaded: reading KMS metrics"),
        "{detail}"
    );
    assert!(!detail.contains("no KMS errors"));
    assert_snapshot!(detail);
}

#[test]
fn silence_from_aws_is_counted_and_ends_when_aws_answers() {
    let mut app = demo_app(80, 24);
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Failed {
            what: crate::worker::Fetch::List,
            error: CloudError::NoAnswer(
                "http://127.0.0.1:9 (firehose ListDeliveryStreams) within 20 s: it did not answer"
                    .into(),
            ),
        },
    );
    assert!(app.tick(fixed_now() + chrono::Duration::seconds(20)));
    let text = screen(&app);
    assert!(
        text.contains("no answer from AWS for 40 s; showing data from 12:00 UTC"),
        "{text}"
    );
    assert!(
        text.contains("(stale)") && text.contains("billing-export"),
        "data kept, marked stale"
    );
    assert_snapshot!(text);
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Names(app.all_rows().into_iter().map(|(_, r)| r.name).collect()),
    );
    let text = screen(&app);
    assert!(!text.contains("no answer"), "recovered: {text}");
    assert!(!text.contains("(stale)"));
}

/// What a hostile or broken endpoint could put in a stream's name and failure
/// description: clear the screen, retitle the window, ring the bell, and an
/// 8-bit CSI.
const CLEAR: &str = "\x1b[2J";
const TITLE: &str = "\x1b]0;pwned\x07";

#[test]
fn control_characters_from_aws_are_shown_never_obeyed() {
    let mut app = demo_app(100, 30);
    let mut stream = app
        .row_named("inventory-updates")
        .and_then(|r| r.stream.clone())
        .unwrap();
    let name = format!("evil{CLEAR}stream{TITLE}");
    stream.name = name.clone();
    let failure = stream.encryption.failure.as_mut().unwrap();
    failure.details = format!("KMS key is disabled.{CLEAR}{TITLE}\u{9b}31m Enable it.");
    let mut names: Vec<String> = app.all_rows().into_iter().map(|(_, r)| r.name).collect();
    names.push(name.clone());
    app.apply(crate::model::TargetId::FIRST, DataEvent::Names(names));
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Stream {
            name: name.clone(),
            result: Ok(stream),
            at: fixed_now(),
        },
    );
    let table = draw(&app);
    assert_no_control_characters(&table);
    open(&mut app, &name);
    let detail = draw(&app);
    assert_no_control_characters(&detail);
    let text = detail.backend().to_string();
    assert!(text.contains("evil␛[2Jstream␛]0;pwned␇"), "{text}");
    assert!(text.contains("disabled.␛[2J␛]0;pwned␇�31m"), "{text}");
    assert_snapshot!(text);
}

fn assert_no_control_characters(t: &Terminal<TestBackend>) {
    for cell in t.backend().buffer().content() {
        assert!(
            !cell.symbol().chars().any(char::is_control),
            "{:?} reached the terminal",
            cell.symbol()
        );
    }
}

#[test]
fn a_worker_panic_points_to_the_log_and_marks_the_data_stale() {
    let mut app = demo_app(80, 24);
    app.screen.log_file = Some("/home/ops/.local/state/firekeeper/firekeeper.log".into());
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Crashed("attempt to subtract with overflow".into()),
    );
    let text = screen(&app);
    assert!(
        text.contains("! internal error: see /home/ops/.local/state/firekeeper/firekeeper.log"),
        "{text}"
    );
    assert!(text.contains("(stale)"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn keys_view_80x24() {
    let mut app = demo_app(80, 24);
    app.update(UserAction::Keys);
    let text = screen(&app);
    assert!(text.contains("alias/legacy-billing"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn keys_view_160x48() {
    let mut app = demo_app(160, 48);
    app.update(UserAction::Keys);
    assert_snapshot!(screen(&app));
}

#[test]
fn rotate_material_confirmation_80x24() {
    let mut app = demo_app(80, 24);
    app.update(UserAction::Keys);
    while app.key_rows()[app.keys_view.selected].label != "alias/payments" {
        app.update(UserAction::Down);
    }
    app.update(UserAction::RotateMaterial);
    let text = screen(&app);
    assert!(text.contains("Rotate the key material?"), "{text}");
    // pii-redacted, on alias/payments, has KMS errors: no stream is said
    // to keep working, and the answer keeps its row.
    let said = joined(&app);
    assert!(
        said.contains("the 7 streams on it keep using alias/payments"),
        "{said}"
    );
    assert!(
        said.contains("1 of them has KMS errors in the last 3h (pii-redacted)"),
        "{said}"
    );
    assert!(!said.contains("keep working"), "{said}");
    assert!(said.contains("y rotate now"), "{said}");
    assert_snapshot!(text);
}

/// The demo's showcase at 80x24: K, the retiring key, M, alias/ledger-2026.
fn move_planned() -> App {
    let mut app = demo_app(80, 24);
    app.apply(
        crate::model::TargetId::FIRST,
        crate::app::testing::all_keys_event(),
    );
    app.update(UserAction::Keys);
    while app.key_rows()[app.keys_view.selected].label != "alias/ledger-2019" {
        app.update(UserAction::Down);
    }
    app.update(UserAction::MoveOff);
    let at = app
        .picker_items()
        .iter()
        .position(|i| i.label == "alias/ledger-2026")
        .unwrap();
    for _ in 0..at {
        app.update(UserAction::PickerDown);
    }
    app.update(UserAction::Pick);
    app
}

#[test]
fn move_plan_80x24() {
    let app = move_planned();
    let text = screen(&app);
    assert!(
        text.contains("6 streams on the key: 6 to send, 0 skipped"),
        "{text}"
    );
    assert!(
        text.contains("Type alias/ledger-2019 to move 6 streams"),
        "{text}"
    );
    assert_snapshot!(text);
}

#[test]
fn move_progress_80x24() {
    use crate::change::moving::Stage;
    let mut app = move_planned();
    for c in "alias/ledger-2019".chars() {
        app.on_key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Char(c),
        ));
    }
    app.update(UserAction::SubmitName);
    let mut step = |name: &str, stage: Stage, words: &str, secs: i64| {
        app.now = fixed_now() + chrono::Duration::seconds(secs);
        app.apply(
            crate::model::TargetId::FIRST,
            DataEvent::Moving {
                stream: name.into(),
                stage,
                words: words.into(),
            },
        );
    };
    step(
        "ledger-archive",
        Stage::Sent,
        "sent; AWS accepted the call",
        1,
    );
    step(
        "ledger-audit",
        Stage::Sent,
        "sent; AWS accepted the call",
        1,
    );
    step(
        "ledger-events",
        Stage::Sent,
        "sent; AWS accepted the call",
        2,
    );
    step(
        "ledger-exports",
        Stage::Sent,
        "sent; AWS accepted the call",
        2,
    );
    step(
        "ledger-archive",
        Stage::Done,
        "ledger-archive is now encrypted with alias/ledger-2026.",
        61,
    );
    step("ledger-audit", Stage::Failed, "ledger-audit: ENABLING_FAILED: KMS refused the new key (AccessDeniedException); ledger-audit is still encrypted with alias/ledger-2019.", 65);
    step("ledger-events", Stage::Enabling, "ENABLING (following)", 66);
    step(
        "ledger-snapshots",
        Stage::Sent,
        "sent; AWS accepted the call",
        66,
    );
    app.now = fixed_now() + chrono::Duration::seconds(70);
    app.update(UserAction::Down);
    let text = screen(&app);
    assert!(
        text.contains("1 done · 1 ENABLING · 2 sent · 1 waiting · 1 failed · 0 skipped"),
        "{text}"
    );
    assert!(
        text.contains("still encrypted with alias/ledger-2019"),
        "the failure in full: {text}"
    );
    assert_snapshot!(text);
}

#[test]
fn header_line_two_drops_whole_items_never_a_word() {
    for width in [80, 100, 120, 200] {
        let app = demo_app(width, 24);
        let text = screen(&app);
        let line = text.lines().nth(1).unwrap().trim_matches('"').trim_end();
        assert!(line.contains("5 with KMS errors (3h)"), "{width}: {line}");
        let last = line.rsplit(' ').next().unwrap();
        assert!(
            [
                "(3h)",
                "enabling-failed",
                "disabling-failed",
                "enabling",
                "disabling",
                "enabled",
                "disabled"
            ]
            .contains(&last),
            "{width}: ends with `{last}`: {line}"
        );
    }
    // Failed streams go before enabled ones.
    let text = screen(&demo_app(80, 24));
    assert!(
        text.contains("2 enabling-failed 1 disabling-failed"),
        "{text}"
    );
}

#[test]
fn a_picker_filter_that_matches_nothing_says_so() {
    let mut app = demo_app(100, 30);
    select(&mut app, "order-events");
    app.update(UserAction::Switch);
    all_keys(&mut app);
    for c in "zzz".chars() {
        press(&mut app, crossterm::event::KeyCode::Char(c));
    }
    let text = screen(&app);
    assert!(
        text.contains("no key matches \"zzz\": Backspace deletes"),
        "{text}"
    );
}

#[test]
fn every_sort_marks_its_column_at_80x24() {
    let mut app = demo_app(80, 24);
    for mark in ["NAME↓", "ENCRYPTION↓", "KMS ERR↓", "QUOTA↑"] {
        let text = screen(&app);
        let titles = text.lines().nth(2).unwrap();
        assert!(titles.contains(mark), "`{mark}` in {titles}");
        app.update(UserAction::Sort);
    }
}
