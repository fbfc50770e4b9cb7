//! The change commands against the built-in simulator, which (unlike moto)
//! follows AWS's asynchronous rules: ENABLING, then ENABLED or ENABLING_FAILED.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{run, Sandbox};

fn text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_good_key_goes_enabling_then_enabled() {
    let sandbox = Sandbox::new();
    let out = run(sandbox.command().args([
        "--demo",
        "rotate",
        "order-events",
        "--key",
        "alias/orders-events-2026",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    let enabling = t.find("  ENABLING\n").expect("ENABLING shown");
    let enabled = t.find("  ENABLED\n").expect("ENABLED shown");
    assert!(enabling < enabled);
    assert!(t.contains(
        "order-events is now encrypted with alias/orders-events-2026 (was alias/orders-events)."
    ));
}

#[test]
fn a_failed_change_exits_5_and_says_the_old_key_stays() {
    let sandbox = Sandbox::new();
    let rotate = [
        "--demo",
        "rotate",
        "order-events",
        "--key",
        "alias/locked-down",
        "--yes",
    ];
    // KMS would not let the caller create Firehose's grant on the key: refused
    // with KMS's words before a Start is spent (the demo's quota is kept in
    // memory per run, so the next run shows the call AWS failed).
    let out = run(sandbox.command().args(rotate));
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("KMS would not let you create the grant Firehose needs on alias/locked-down (AccessDeniedException"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("ENABLING"), "nothing was sent");
    // Sent anyway, the change fails as AWS fails it.
    let out = run(sandbox.command().args(rotate).arg("--force"));
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("ENABLING_FAILED"), "{t}");
    assert!(t.contains("AWS said KMS_ACCESS_DENIED"), "{t}");
    assert!(
        t.contains("Key change FAILED: order-events stays encrypted with its old key, alias/orders-events;"),
        "{t}"
    );
}

#[test]
fn no_wait_returns_once_aws_accepted() {
    let sandbox = Sandbox::new();
    let out =
        run(sandbox
            .command()
            .args(["--demo", "disable", "checkout-events", "--yes", "--no-wait"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("AWS accepted the call."));
    assert!(!t.contains("DISABLED\n"), "did not wait: {t}");
}

#[test]
fn a_move_to_a_key_kms_would_not_grant_on_spends_no_start() {
    let sandbox = Sandbox::new();
    let out = run(sandbox.command().args([
        "--demo",
        "rotate",
        "--from-key",
        "alias/ledger-2019",
        "--key",
        "alias/locked-down",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("0 to send, 6 skipped"), "{t}");
    assert!(t.contains("KMS would not let you create the grant"), "{t}");
    assert!(!t.contains("sent;"), "no Start left: {t}");
}
