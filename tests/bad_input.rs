//! What the real binary says to bad arguments, environment and config files:
//! one line naming what to fix, the right exit code, and never a panic or a
//! Rust debug dump. Nothing here reaches the network: every endpoint is
//! refused before a call is made, or is a closed port on loopback.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Output;

use common::{run, text, Sandbox};

/// What a panic or a `{:?}` of an SDK type looks like on stderr.
const DUMPS: [&str; 7] = [
    "panicked",
    "RUST_BACKTRACE",
    "stack backtrace",
    "Request {",
    "SdkBody",
    "Uri {",
    "Some(",
];

fn assert_clean(out: &Output) {
    let all = text(out);
    for dump in DUMPS {
        assert!(!all.contains(dump), "{dump:?} in: {all}");
    }
}

/// The binary in a sandboxed home, with dummy credentials and a region, so
/// nothing it does depends on the machine it runs on.
fn firekeeper(sandbox: &Sandbox) -> std::process::Command {
    let mut cmd = sandbox.command();
    cmd.env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1");
    cmd
}

#[test]
fn an_empty_or_malformed_endpoint_flag_is_a_usage_error() {
    let sandbox = Sandbox::new();
    for value in [
        "",
        "notaurl",
        "localhost:4566",
        "ftp://host",
        "http://",
        "http://h:99999",
    ] {
        for args in [vec!["status"], vec![], vec!["disable", "s", "--yes"]] {
            let out = run(firekeeper(&sandbox)
                .args(["--endpoint-url", value])
                .args(&args));
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{value:?} {args:?}: {err}");
            assert!(err.contains("--endpoint-url"), "{err}");
            assert!(err.contains(&format!("'{value}'")), "{err}");
            assert!(err.contains("http://"), "says what to write: {err}");
            assert_clean(&out);
        }
    }
}

#[test]
fn an_empty_or_malformed_endpoint_variable_is_a_usage_error() {
    let sandbox = Sandbox::new();
    for var in [
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_FIREHOSE",
        "AWS_ENDPOINT_URL_KMS",
        "AWS_ENDPOINT_URL_CLOUDWATCH",
        "AWS_ENDPOINT_URL_STS",
    ] {
        for value in ["", "notaurl"] {
            for args in [vec!["status"], vec![]] {
                let out = run(firekeeper(&sandbox).env(var, value).args(&args));
                let err = String::from_utf8_lossy(&out.stderr);
                assert_eq!(
                    out.status.code(),
                    Some(2),
                    "{var}={value:?} {args:?}: {err}"
                );
                assert!(err.contains(&format!("'{value}' for {var}")), "{err}");
                assert_clean(&out);
            }
        }
    }
}

#[test]
fn the_flag_overrides_a_bad_variable_and_nothing_panics() {
    // A closed port on loopback: refused at once, never the internet.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let sandbox = Sandbox::new();
    let config = sandbox.write_config("[aws]\ncall_timeout_secs = 2\n");
    let out = run(firekeeper(&sandbox)
        .env("AWS_ENDPOINT_URL", "")
        .env("AWS_ENDPOINT_URL_STS", "notaurl")
        .arg("--config")
        .arg(&config)
        .args(["--endpoint-url", &url, "status"]));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains(&url), "{}", text(&out));
    assert_clean(&out);
}

#[test]
fn a_bad_endpoint_in_the_aws_config_file_is_refused_by_name() {
    let sandbox = Sandbox::new();
    for line in ["endpoint_url =", "endpoint_url = notaurl"] {
        std::fs::write(sandbox.path("aws-config"), format!("[default]\n{line}\n")).unwrap();
        let out = run(firekeeper(&sandbox).arg("status"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{line}: {err}");
        assert!(
            err.contains("endpoint_url") && err.contains("AWS config file"),
            "{err}"
        );
        assert_clean(&out);
    }
}

#[test]
fn odd_aws_arguments_and_variables_are_usage_errors() {
    let sandbox = Sandbox::new();
    let cases: [(&[&str], &str); 6] = [
        (&["--region", "", "status"], "--region"),
        (&["--region", "us east 1", "status"], "--region"),
        (&["--profile", "", "status"], "--profile"),
        (&["--window", "x", "status"], "--window"),
        (&["status", "--window", "2h"], "--window"),
        (&["--demo-streams", "0", "status"], "--demo-streams"),
    ];
    for (args, flag) in cases {
        let out = run(firekeeper(&sandbox).args(args));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert_clean(&out);
    }
    for (var, value) in [("AWS_REGION", ""), ("AWS_REGION", "not a region")] {
        let out = run(firekeeper(&sandbox).env(var, value).arg("status"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}={value:?}: {err}");
        assert!(err.contains(&format!("'{value}' for {var}")), "{err}");
        assert_clean(&out);
    }
}

#[test]
fn config_errors_name_file_line_and_key_and_each_cause_once() {
    let sandbox = Sandbox::new();
    let config = sandbox.write_config("[aws]\ncall_timeout_secs = -1\n");
    let out = run(firekeeper(&sandbox)
        .arg("--config")
        .arg(&config)
        .arg("status"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(
        err.trim_end(),
        format!(
            "firekeeper: {}:2: [aws] call_timeout_secs: -1 is out of range: use 1 to 300",
            config.display()
        )
    );

    let missing = sandbox.path("missing.toml");
    let out = run(firekeeper(&sandbox)
        .arg("--config")
        .arg(&missing)
        .arg("status"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(&missing.display().to_string()), "{err}");
    assert_eq!(err.matches("os error 2").count(), 1, "{err}");

    // Not a file at all: a usage error, refused before anything is read.
    for path in ["/dev/zero", "/"] {
        let out = run(firekeeper(&sandbox).args(["--config", path, "status"]));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(path), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert_clean(&out);
    }
}

/// clap echoes an offending value in its errors; a terminal title sequence
/// or a bidi override in an argument is refused and named escaped, and no
/// ESC byte reaches stderr.
#[test]
fn hostile_arguments_are_named_escaped_and_never_obeyed() {
    let sandbox = Sandbox::new();
    let cases: [&[&str]; 3] = [
        &["--region", "us-east-1\u{1b}]2;HIJACKED\u{7}", "status"],
        &["status", "--stream", "admin\u{202e}\u{2066}nimda"],
        &["--bogus\u{1b}[2J"],
    ];
    for args in cases {
        let out = run(firekeeper(&sandbox).args(args));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.stderr.contains(&0x1b), "ESC in: {err:?}");
        assert!(
            !err.contains('\u{202e}') && !err.contains('\u{7}'),
            "{err:?}"
        );
        assert!(
            err.contains("\\u{1b}") || err.contains("<U+202E>"),
            "the value is named as given, escaped: {err}"
        );
        assert_clean(&out);
    }
}
