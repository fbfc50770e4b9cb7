//! The open dashboard tells the engineer who is not looking: a new problem
//! rings the terminal's bell and writes a desktop notification (OSC 9),
//! read here from the bytes the program wrote to its pane (tmux
//! pipe-pane), as a terminal over SSH would receive them.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::tmux::{script, Tmux};
use common::Sandbox;

#[test]
fn a_new_problem_rings_the_bell_and_writes_an_osc_9_notification() {
    let sandbox = Sandbox::new();
    // Warnings notify too here: a stream left unencrypted is one.
    let config = sandbox
        .write_config("[alerts]\nnotify = [\"critical\", \"unknown\", \"warning\"]\nosc = \"9\"\n");
    let bytes = sandbox.path("pane.bytes");
    let tmux = Tmux::start(&script(
        &sandbox,
        &[],
        &format!("--demo --config '{}'", config.display()),
    ));
    let pipe = format!("cat >> '{}'", bytes.display());
    assert!(tmux.tmux(&["pipe-pane", "-o", &pipe]).status.success());
    tmux.wait_for("billing-export");
    tmux.wait_within("refreshed", 60);
    // The first look is the baseline: what is on screen at launch rings
    // nothing.
    std::thread::sleep(Duration::from_secs(7));
    let before = std::fs::read(&bytes).unwrap_or_default();
    assert!(!before.contains(&0x07), "the baseline rang");

    // A problem that stays: encryption stopped on a DirectPut stream (a
    // warning by `[health] unencrypted`). A passing ENABLING is seconds
    // long and may fall between two looks (every 5 s): not a test of
    // ringing.
    tmux.keys(&["/", "w", "a", "f", "Enter"]);
    tmux.wait_for("AWS owned");
    tmux.keys(&["d"]);
    tmux.wait_for("Type the stream's full name");
    for c in "waf-logs".chars() {
        tmux.keys(&[&c.to_string()]);
    }
    tmux.keys(&["Enter"]);

    let start = Instant::now();
    let rang = loop {
        let got = std::fs::read(&bytes).unwrap_or_default();
        let text = String::from_utf8_lossy(&got).into_owned();
        if got.contains(&0x07) && text.contains("\u{1b}]9;firekeeper: ") {
            break text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "no bell and OSC 9 within 40 s; the screen:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let osc = rang.split("\u{1b}]9;").nth(1).unwrap_or_default();
    assert!(osc.contains("waf-logs"), "{osc:?}");
    let screen = tmux.wait_for("new alert");
    assert!(screen.contains("(m)"), "{screen}");
    // The change may still be followed: quit anyway.
    tmux.keys(&["q"]);
    std::thread::sleep(Duration::from_millis(500));
    if tmux.screen().contains("quit anyway?") {
        tmux.keys(&["y"]);
    }
    tmux.wait_for("EXITED");
}
