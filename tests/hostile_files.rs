//! Files that are not files: a FIFO, a device or `/dev/null` named as the
//! ledger or the config. None may hang a command or be written to as if it
//! were a ledger; each is refused at once, naming its path and what it is.
//! The `status` and dashboard runs go to moto (their own stream names in a
//! region another binary owns, filtered with `--stream`).

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::tmux::{script, Tmux};
use common::{stdout_json, text, Enc, Sandbox, Seeder};

/// A region of e2e_dashboard's, which runs before this binary (no later one
/// counts its streams): every run here names its own streams.
const REGION: &str = "ca-west-1";

fn fifo(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let c = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid C string; mkfifo has no other precondition.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
    path
}

/// Runs `cmd`, failing the test if it is still running after `limit`: a
/// hang is a failure, never a test that waits for ever.
fn finish_within(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("still running after {limit:?}: it hung");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[tokio::test]
async fn a_fifo_as_ledger_makes_the_quota_unknown_at_once_and_status_exit_1() {
    let _ = common::Faults::new(REGION);
    let seed = Seeder::new(REGION).await;
    seed.direct_put("hf-fifo-ledger", Enc::None).await;
    let sandbox = Sandbox::new();
    let ledger = fifo(&sandbox.path(""), "ledger.jsonl");
    let config = sandbox.write_config(&format!("[ledger]\npath = \"{}\"\n", ledger.display()));
    let mut cmd = sandbox.against_moto(REGION);
    cmd.arg("--config").arg(&config).args([
        "status",
        "--output",
        "json",
        "--stream",
        "hf-fifo-ledger",
    ]);
    let out = finish_within(&mut cmd, Duration::from_secs(40));
    assert_eq!(out.status.code(), Some(1), "quota unknown: {}", text(&out));
    let report = stdout_json(&out);
    let s = &report["streams"][0];
    assert_eq!(s["health"], "unknown", "{s:#}");
    assert_eq!(s["quota"], serde_json::Value::Null);
    let why = format!("{} {}", s["problems"], text(&out));
    assert!(why.contains(&ledger.display().to_string()), "{why}");
    assert!(why.contains("FIFO"), "{why}");
}

#[test]
fn a_fifo_as_config_is_a_usage_error_naming_it() {
    let sandbox = Sandbox::new();
    let config = fifo(&sandbox.path(""), "config.toml");
    let mut cmd = sandbox.command();
    cmd.arg("--config").arg(&config).args(["--demo", "status"]);
    let out = finish_within(&mut cmd, Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&config.display().to_string()), "{err}");
    assert!(err.contains("FIFO"), "{err}");
}

#[tokio::test]
async fn dev_null_as_ledger_is_refused_by_name_and_nothing_is_made_beside_it() {
    let _ = common::Faults::new(REGION);
    let seed = Seeder::new(REGION).await;
    seed.direct_put("hf-dev-null", Enc::None).await;
    let sandbox = Sandbox::new();
    let lock = Path::new("/dev/null.lock");
    let there_before = lock.exists();
    let config = sandbox.write_config("[ledger]\npath = \"/dev/null\"\n");
    let mut cmd = sandbox.against_moto(REGION);
    cmd.arg("--config").arg(&config).args([
        "status",
        "--output",
        "json",
        "--stream",
        "hf-dev-null",
    ]);
    let out = finish_within(&mut cmd, Duration::from_secs(40));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let all = format!(
        "{} {}",
        stdout_json(&out)["streams"][0]["problems"],
        text(&out)
    );
    assert!(all.contains("/dev/null"), "{all}");
    assert!(all.contains("character device"), "{all}");
    if !there_before {
        assert!(!lock.exists(), "a lock file was made beside /dev/null");
    }
}

#[tokio::test]
async fn the_dashboard_with_a_fifo_ledger_exits_within_2_s_of_q() {
    let _ = common::Faults::new(REGION);
    let seed = Seeder::new(REGION).await;
    seed.direct_put("hf-dashboard", Enc::None).await;
    let sandbox = Sandbox::new();
    let ledger = fifo(&sandbox.path(""), "team-ledger.jsonl");
    let config = sandbox.write_config(&format!("[ledger]\npath = \"{}\"\n", ledger.display()));
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let args = format!(
        "--endpoint-url {} --region {REGION} --config '{}'",
        common::moto_endpoint(),
        config.display()
    );
    let tmux = Tmux::start(&script(&sandbox, &env, &args));
    tmux.wait_within("hf-dashboard", 60);
    tmux.wait_within("refreshed", 60);
    // The quota's first read of the ledger has been refused by now.
    std::thread::sleep(Duration::from_secs(2));
    tmux.keys(&["q"]);
    let asked = Instant::now();
    tmux.wait_within("EXITED", 10);
    let took = asked.elapsed();
    assert!(took < Duration::from_secs(2), "exited {took:?} after q");
}
