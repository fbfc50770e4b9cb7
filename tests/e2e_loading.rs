//! Issue 26 in a real terminal (tmux): `r` on a row still loading, then
//! typing `s` and `x`, leaves the table's sort as it was. The picker waits
//! for the stream's description; a key typed meanwhile ends the wait and is
//! dropped with a notice, never sent to the table (where `s` re-sorts).
//!
//! A row stays loading only while its describe gets no answer, so the
//! launcher holds every DescribeDeliveryStream (a `hang` fault). Faults are
//! scoped by region and every region moto knows is taken by another test, so
//! this test runs a launcher of its own, with the suite's moto (installed by
//! scripts/test in target/moto-venv).

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region};
use aws_sdk_firehose::config::Credentials;
use common::tmux::{script, Tmux};
use common::{Enc, Sandbox, Seeder};

const REGION: &str = "us-east-1";

/// A launcher (tests/moto/launch.py) of this test's own, on a free port;
/// stopped when dropped.
struct Launcher {
    child: Child,
    endpoint: String,
}

impl Launcher {
    fn start() -> Launcher {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = root.join("target/moto-venv/bin/python");
        assert!(
            python.exists(),
            "{} is missing: run the suite with ./scripts/test, which installs moto",
            python.display()
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(python)
            .arg(root.join("tests/moto/launch.py"))
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the launcher starts");
        let launcher = Launcher {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let start = Instant::now();
        while launcher.http("GET", "/moto-api/", "").is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "moto never answered"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        launcher
    }

    /// The answer's status line and body, or `None` when nothing answers.
    fn http(&self, method: &str, path: &str, body: &str) -> Option<String> {
        let addr = self.endpoint.trim_start_matches("http://");
        let mut s = TcpStream::connect(addr).ok()?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        if out.starts_with("HTTP/1.1 200") {
            return Some(out);
        }
        // moto's own page may be slow to come up; a control call must work.
        assert_eq!(method, "GET", "{method} {path}: {out}");
        None
    }

    async fn seeder(&self) -> Seeder {
        let c = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new("testing", "testing", None, None, "moto"))
            .load()
            .await;
        Seeder {
            firehose: aws_sdk_firehose::Client::new(&c),
            kms: aws_sdk_kms::Client::new(&c),
            cloudwatch: aws_sdk_cloudwatch::Client::new(&c),
        }
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The table's title line (the sorted column carries the arrow).
fn titles(screen: &str) -> String {
    let line = screen
        .lines()
        .find(|l| l.contains("NAME") && l.contains("HEALTH"))
        .unwrap_or_else(|| panic!("no table titles: {screen}"));
    line.to_string()
}

/// The stream names in the table, top to bottom.
fn rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .map(|l| l.trim_start_matches('▶').trim_start())
        .filter(|l| l.starts_with("loading-"))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn r_on_a_loading_row_then_s_and_x_leaves_the_sort_unchanged() {
    let launcher = Launcher::start();
    let seed = launcher.seeder().await;
    let key = seed.key(Some("alias/loading")).await;
    for i in 0..6 {
        let enc = if i % 2 == 0 {
            Enc::Customer(&key)
        } else {
            Enc::None
        };
        seed.direct_put(&format!("loading-{i}"), enc).await;
    }
    // Every describe is held: the rows stay loading, and so does the one
    // `r` asks for.
    let fault = serde_json::json!({"region": REGION, "service": "firehose",
        "operation": "DescribeDeliveryStream", "fault": "hang"});
    launcher.http("POST", "/_firekeeper/faults", &fault.to_string());

    let sandbox = Sandbox::new();
    let config = sandbox.write_config("[aws]\ncall_timeout_secs = 300\n");
    let args = format!(
        "--config '{}' --endpoint-url {} --region {REGION}",
        config.display(),
        launcher.endpoint
    );
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let tmux = Tmux::start_sized(&script(&sandbox, &env, &args), 120, 40);
    let start = Instant::now();
    while rows(&tmux.screen()).len() < 6 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let before = tmux.wait_for("… loading");
    let (titles_before, rows_before) = (titles(&before), rows(&before));
    assert!(titles_before.contains("HEALTH↓"), "{titles_before}");

    tmux.keys(&["r"]);
    let waiting = tmux.wait_for("the key picker opens when AWS answers");
    assert!(waiting.contains("describing loading-"), "{waiting}");
    tmux.keys(&["s"]);
    let told = tmux.wait_for("the key picker will not open");
    assert!(told.contains("a key was pressed while loading-"), "{told}");
    tmux.keys(&["x"]);
    std::thread::sleep(Duration::from_millis(500));

    let after = tmux.screen();
    assert_eq!(titles(&after), titles_before, "the sort is unchanged");
    assert_eq!(rows(&after), rows_before, "the rows are in the same order");
    assert!(after.contains("… loading"), "still loading: {after}");
    assert!(
        !after.contains(" with… ") && !after.contains("picker opens"),
        "no picker: {after}"
    );
    launcher.http(
        "DELETE",
        &format!("/_firekeeper/faults?region={REGION}"),
        "",
    );
}
