//! Issue 26's keys in a real terminal (tmux), on the demo: `/` leaves the
//! cursor on the first match, and `c` writes the ARN with OSC 52.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::tmux::{script, Tmux};
use common::Sandbox;

/// The name on the row the cursor marks.
fn cursor_row(screen: &str) -> Option<String> {
    let line = screen.lines().find(|l| l.starts_with('▶'))?;
    line.trim_start_matches('▶')
        .split_whitespace()
        .next()
        .map(str::to_string)
}

#[test]
fn slash_audit_enter_d_stops_the_first_match_not_the_row_the_cursor_had() {
    let sandbox = Sandbox::new();
    let tmux = Tmux::start(&script(&sandbox, &[], "--demo"));
    tmux.wait_for("ledger-audit");
    // Every stream described: rows still loading sort last and move when
    // their answer comes.
    tmux.wait_within("refreshed", 60);
    // The cursor on the second of the two matches, as a user leaves it:
    // from the bottom up, as ledger-audit sorts after audit-trail.
    tmux.keys(&["G"]);
    for _ in 0..60 {
        if cursor_row(&tmux.screen()).as_deref() == Some("ledger-audit") {
            break;
        }
        tmux.keys(&["k"]);
    }
    let screen = tmux.screen();
    assert_eq!(
        cursor_row(&screen).as_deref(),
        Some("ledger-audit"),
        "{screen}"
    );
    // Described, so that it sorts where it belongs: a row still loading
    // moves when its answer comes, and the cursor stays with its stream.
    let start = std::time::Instant::now();
    while !tmux
        .screen()
        .lines()
        .any(|l| l.starts_with("▶ ledger-audit") && l.contains("ENABLED"))
    {
        assert!(start.elapsed() < std::time::Duration::from_secs(30));
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    tmux.keys(&["/", "a", "u", "d", "i", "t", "Enter"]);
    let screen = tmux.wait_for("filter:\"audit\"");
    let first = screen
        .lines()
        .map(|l| l.trim_start_matches('▶').trim_start())
        .find(|l| l.starts_with("audit-trail") || l.starts_with("ledger-audit"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_string();
    assert_eq!(first, "audit-trail", "{screen}");
    assert_eq!(
        cursor_row(&screen).as_deref(),
        Some("audit-trail"),
        "{screen}"
    );
    tmux.keys(&["d"]);
    let screen = tmux.wait_for("encryption of");
    assert!(screen.contains("audit-trail"), "{screen}");
    assert!(!screen.contains("of ledger-audit"), "{screen}");
}

#[test]
fn c_writes_the_arn_to_the_terminal_with_osc_52() {
    let sandbox = Sandbox::new();
    let tmux = Tmux::start(&script(&sandbox, &[], "--demo"));
    tmux.wait_for("audit-trail");
    let bytes = sandbox.path("pane");
    let pipe = format!("cat >> '{}'", bytes.display());
    assert!(tmux.tmux(&["pipe-pane", "-O", &pipe]).status.success());
    tmux.keys(&["/", "a", "u", "d", "i", "t", "-", "t", "Enter", "c"]);
    tmux.wait_for("clipboard");
    let arn = "arn:aws:firehose:us-east-1:123456789012:deliverystream/audit-trail";
    // base64 of the ARN above, as `base64 -w0` writes it.
    let coded =
        "YXJuOmF3czpmaXJlaG9zZTp1cy1lYXN0LTE6MTIzNDU2Nzg5MDEyOmRlbGl2ZXJ5c3RyZWFtL2F1ZGl0LXRyYWls";
    let start = std::time::Instant::now();
    loop {
        let written = std::fs::read(&bytes).unwrap_or_default();
        let written = String::from_utf8_lossy(&written);
        if written.contains(&format!("\x1b]52;c;{coded}\x07")) {
            break;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "no OSC 52 with the base64 of {arn} in what was written: {written:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
