//! The real binary in a real pseudo-terminal (tmux), as an engineer over SSH
//! would use it: on the demo and against moto.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::tmux::{script, Tmux};
use common::{run, Enc, Faults, Sandbox, Seeder};

fn pid_of(sandbox: &Sandbox) -> String {
    let path = sandbox.path("pid");
    let start = Instant::now();
    while !Path::new(&path).exists() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::read_to_string(path).unwrap().trim().to_string()
}

#[test]
fn demo_starts_filters_opens_detail_and_quits_cleanly() {
    let sandbox = Sandbox::new();
    let tmux = Tmux::start(&script(&sandbox, &[], "--demo"));
    let screen = tmux.wait_for("billing-export");
    assert!(screen.contains("demo"), "{screen}");
    tmux.wait_for("ENABLING_FAILED");

    tmux.keys(&["/", "b", "i", "l", "l", "Enter"]);
    let screen = tmux.wait_for("filter:\"bill\"");
    assert!(!screen.contains("audit-trail"), "filtered out:\n{screen}");
    assert!(screen.contains("billing-invoices"), "{screen}");

    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("KMS errors, last 3h");
    // The detail wraps its sentences at the pane's width, between words.
    let words = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("Firehose may start discarding"), "{screen}");

    tmux.keys(&["Escape"]);
    tmux.wait_for("NAME");
    tmux.keys(&["?"]);
    tmux.wait_for("refresh everything now");
    tmux.keys(&["?", "q"]);
    let screen = tmux.wait_for("EXITED 0");
    assert!(
        !screen.contains("billing-export"),
        "alternate screen left:\n{screen}"
    );
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    // 128 + the signal's number, as shells and supervisors expect.
    for (signal, code) in [("TERM", 143), ("HUP", 129)] {
        let sandbox = Sandbox::new();
        let tmux = Tmux::start(&script(&sandbox, &[], "--demo --no-color"));
        tmux.wait_for("billing-export");
        let pid = pid_of(&sandbox);
        assert!(Command::new("kill")
            .args([&format!("-{signal}"), &pid])
            .status()
            .unwrap()
            .success());
        let screen = tmux.wait_for(&format!("EXITED {code}"));
        assert!(
            !screen.contains("billing-export"),
            "{signal}: screen not restored:\n{screen}"
        );
        // Raw mode is off again: the shell echoes what is typed.
        tmux.keys(&["e", "c", "h", "o"]);
        tmux.wait_for("echo");
    }
}

/// A loopback TCP relay to moto that can be switched off, so one endpoint URL
/// can go from answering to unreachable.
struct Relay {
    port: u16,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Relay {
    fn to(target: &str) -> Relay {
        use std::net::{TcpListener, TcpStream};
        let target = target.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(std::sync::atomic::Ordering::SeqCst) {
                    return;
                }
                let (Ok(client), Ok(server)) = (conn, TcpStream::connect(&target)) else {
                    continue;
                };
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (mut c1, mut s1) = (client, server);
                std::thread::spawn(move || std::io::copy(&mut c1, &mut s1));
                std::thread::spawn(move || std::io::copy(&mut s2, &mut c2));
            }
        });
        Relay { port, stop }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Closes the port: new connections are refused.
    fn stop(&self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

#[tokio::test]
async fn against_moto_the_seeded_streams_appear_and_are_cached_for_the_next_start() {
    let region = "eu-north-1";
    let seed = Seeder::new(region).await;
    let key = seed.key(Some("alias/e2e")).await;
    seed.direct_put("e2e-customer", Enc::Customer(&key)).await;
    seed.direct_put("e2e-owned", Enc::AwsOwned).await;
    seed.direct_put("e2e-plain", Enc::None).await;
    seed.kms_errors("e2e-customer", "KMSKeyDisabled", 5.0, 5)
        .await;

    let relay = Relay::to(&common::moto_endpoint());
    let sandbox = Sandbox::new();
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let args = format!("--endpoint-url {} --region {region}", relay.url());
    let tmux = Tmux::start(&script(&sandbox, &env, &args));
    tmux.wait_for("alias/e2e");
    tmux.wait_for("AWS owned");
    tmux.wait_for("DISABLED");
    let screen = tmux.wait_for("1 with KMS errors");
    assert!(screen.contains("123456789012"), "{screen}");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("KMS errors, last 3h");
    assert!(screen.contains("e2e-customer"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
    drop(tmux);
    assert_cache_is_tidy_and_private(&sandbox.path("cache/firekeeper"));

    // AWS is now unreachable: the next start still shows the fleet at once,
    // from the cache, marked stale, with the reason on the status line.
    relay.stop();
    std::fs::remove_file(sandbox.path("pid")).ok();
    let tmux = Tmux::start(&script(&sandbox, &env, &args));
    let screen = tmux.wait_for("e2e-customer");
    assert!(screen.contains("alias/e2e"), "{screen}");
    assert!(screen.contains("cached"), "{screen}");
    let screen = tmux.wait_for("cannot reach AWS");
    assert!(screen.contains("(stale)"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
}

/// After a run that did not crash: the snapshot and its pointer, no
/// temporary file, nothing readable by others.
fn assert_cache_is_tidy_and_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(dir), 0o700);
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
        names.push(path.file_name().unwrap().to_string_lossy().into_owned());
    }
    assert!(
        names.iter().all(|n| !n.contains(".tmp")),
        "temporary files left: {names:?}"
    );
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn without_a_terminal_the_dashboard_points_to_status() {
    let sandbox = Sandbox::new();
    let out = run(sandbox.command().arg("--demo"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("firekeeper status"), "{err}");
}

#[test]
fn switching_from_the_dashboard_follows_the_change_to_its_end() {
    let sandbox = Sandbox::new();
    let tmux = Tmux::start(&script(&sandbox, &[], "--demo"));
    tmux.wait_for("billing-export");
    // A key whose policy denies Firehose's grant: KMS says so to a dry run,
    // and the confirmation refuses with its words before a call is spent.
    tmux.keys(&["/", "o", "r", "d", "e", "r", "-", "e", "v", "Enter"]);
    tmux.wait_for("filter:\"order-ev\"");
    // Described: its key shown (cut in the middle at 80 columns).
    tmux.wait_for("alias/ord");
    tmux.keys(&["r"]);
    tmux.wait_for("Encrypt order-events with");
    tmux.wait_for("alias/locked-down");
    tmux.keys(&["l", "o", "c", "k", "Enter"]);
    let screen = tmux.wait_for("KMS would not let you create the grant");
    assert!(screen.contains("Type send"), "{screen}");
    tmux.keys(&["y"]);
    std::thread::sleep(Duration::from_millis(300));
    let screen = tmux.wait_for("Type send");
    assert!(!screen.contains("ENABLING"), "y sends nothing:\n{screen}");
    tmux.keys(&["Escape"]);
    let screen = tmux.wait_for("25/25");
    assert!(!screen.contains("24/25"), "no call spent:\n{screen}");

    // Sent anyway (send typed): AWS fails the change and the old key stays.
    tmux.keys(&["r"]);
    tmux.wait_for("Encrypt order-events with");
    tmux.keys(&["l", "o", "c", "k", "Enter"]);
    tmux.wait_for("Type send");
    tmux.keys(&["s", "e", "n", "d", "Enter"]);
    let screen = tmux.wait_for("stays encrypted with its old key");
    assert!(screen.contains("ENABLING_FAILED"), "{screen}");
    assert!(screen.contains("24/25"), "one call spent:\n{screen}");

    // Then a good key: ENABLING, then ENABLED on the new key.
    tmux.keys(&["r"]);
    tmux.wait_for("Encrypt order-events with");
    for c in "events-2026".chars() {
        tmux.keys(&[&c.to_string()]);
    }
    tmux.keys(&["Enter"]);
    tmux.wait_for("y send the change");
    tmux.keys(&["y"]);
    let screen = tmux.wait_for("now encrypted with alias/orders-events-2026");
    assert!(screen.contains("23/25"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
}

#[test]
fn stopping_from_the_dashboard_needs_the_name() {
    let sandbox = Sandbox::new();
    let tmux = Tmux::start(&script(&sandbox, &[], "--demo"));
    tmux.wait_for("billing-export");
    tmux.keys(&["/", "w", "a", "f", "Enter"]);
    tmux.wait_for("AWS owned");
    tmux.keys(&["d"]);
    tmux.wait_for("Type the stream's full name");
    tmux.keys(&["w", "a", "f", "Enter"]);
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        tmux.screen().contains("Type the stream's full name"),
        "not the full name yet"
    );
    tmux.keys(&["-", "l", "o", "g", "s", "Enter"]);
    tmux.wait_for("waf-logs is no longer encrypted by Firehose");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
}

#[tokio::test]
async fn a_silent_endpoint_is_named_on_screen_and_the_dashboard_recovers_by_itself() {
    let region = "ap-northeast-2";
    let seed = Seeder::new(region).await;
    seed.direct_put("quiet-owned", Enc::AwsOwned).await;
    let faults = Faults::new(region);
    // CloudWatch down for the whole test: the KMS column says "?", never 0.
    faults.add(serde_json::json!({"service": "monitoring", "fault": "error", "status": 500}));
    // Firehose accepts connections and never answers (a black hole).
    faults.add(serde_json::json!({"service": "firehose", "fault": "hang"}));
    let sandbox = Sandbox::new();
    let config = sandbox.write_config("[aws]\ncall_timeout_secs = 2\n");
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
    ];
    let args = format!(
        "--config {} --endpoint-url {} --region {region}",
        config.display(),
        common::moto_endpoint()
    );
    let tmux = Tmux::start(&script(&sandbox, &env, &args));
    let screen = tmux.wait_for("no answer from AWS for");
    assert!(
        screen.contains("(stale)") || screen.contains("loading"),
        "{screen}"
    );

    // The endpoint answers again: the fleet appears and the line goes.
    faults.clear();
    faults.add(serde_json::json!({"service": "monitoring", "fault": "error", "status": 500}));
    let screen = tmux.wait_for("quiet-owned");
    let row = screen
        .lines()
        .find(|l| l.contains("quiet-owned"))
        .unwrap()
        .to_string();
    let start = Instant::now();
    let row = loop {
        let screen = tmux.screen();
        let row = screen
            .lines()
            .find(|l| l.contains("quiet-owned"))
            .map(str::to_string)
            .unwrap_or(row.clone());
        if row.contains("unknown") || start.elapsed() > Duration::from_secs(30) {
            break row;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(row.contains("? unknown"), "{row}");
    assert!(
        !row.contains("      0 "),
        "KMS errors unknown, not 0: {row}"
    );
    let start = Instant::now();
    while tmux.screen().contains("no answer from AWS") {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "still silent: {}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
    faults.clear();
}

/// A bug that panics in the cloud worker: the dashboard says so and names the
/// log, the log has the panic with a backtrace, and quitting gives the
/// terminal back with a non-zero exit and the reason. The panic comes from the
/// documented test hook `FIREKEEPER_TEST_PANIC=worker`.
#[test]
fn a_worker_panic_is_shown_logged_with_a_backtrace_and_exits_non_zero() {
    let sandbox = Sandbox::new();
    let env = [("FIREKEEPER_TEST_PANIC", "worker")];
    let tmux = Tmux::start(&script(&sandbox, &env, "--demo --no-color"));
    let log = sandbox.path("state/firekeeper/firekeeper.log");
    let screen = tmux.wait_for("internal error: see");
    assert!(
        screen.contains(&format!("internal error: see {}", log.display())),
        "the real log file is named:\n{screen}"
    );
    assert!(
        !screen.contains("panicked at"),
        "nothing raw on the dashboard:\n{screen}"
    );

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains("FIREKEEPER_TEST_PANIC=worker: the panic the tests asked for"),
        "{text}"
    );
    assert!(text.contains("backtrace:"), "{text}");
    assert!(
        text.contains("firekeeper::worker"),
        "the backtrace names the worker's frames:\n{text}"
    );

    tmux.keys(&["q"]);
    let screen = tmux.wait_for("EXITED");
    assert!(screen.contains("EXITED 1"), "{screen}");
    let said = tmux.joined_screen();
    assert!(
        said.contains(
            "internal error: the cloud worker stopped (FIREKEEPER_TEST_PANIC=worker: the panic the tests asked for)"
        ),
        "the reason is left on the restored screen:\n{said}"
    );
    assert!(
        said.contains(&format!("Details and a backtrace: see {}", log.display())),
        "{said}"
    );
    assert!(
        !screen.contains("billing-export"),
        "screen restored:\n{screen}"
    );
    tmux.keys(&["e", "c", "h", "o"]);
    tmux.wait_for("echo");
}

/// A bug that panics in the dashboard's own loop: the terminal is given back
/// first, then the reason and the log are named, and the exit is non-zero.
#[test]
fn a_dashboard_panic_restores_the_terminal_then_names_the_log() {
    let sandbox = Sandbox::new();
    let env = [("FIREKEEPER_TEST_PANIC", "dashboard")];
    let tmux = Tmux::start(&script(&sandbox, &env, "--demo --no-color"));
    let log = sandbox.path("state/firekeeper/firekeeper.log");
    let screen = tmux.wait_for("EXITED");
    assert!(screen.contains("EXITED 101"), "{screen}");
    let said = tmux.joined_screen();
    assert!(
        said.contains("firekeeper: internal error: FIREKEEPER_TEST_PANIC=dashboard"),
        "{screen}"
    );
    assert!(said.contains(&format!("see {}", log.display())), "{screen}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("panic in thread 'main'"), "{text}");
    assert!(text.contains("firekeeper::dashboard"), "{text}");
    tmux.keys(&["e", "c", "h", "o"]);
    tmux.wait_for("echo");
}

/// Who changed what, as an on-call engineer sees it: a colleague stops a
/// stream far off screen and disables a key from their own credentials; the
/// dashboard hears of both from CloudTrail within a poll.
#[tokio::test]
async fn changes_by_others_show_within_a_poll_and_say_who() {
    let region = "ca-west-1";
    let seed = Seeder::new(region).await;
    let key = seed.key(Some("alias/watch-key")).await;
    seed.direct_put("aa-keyed", Enc::Customer(&key)).await;
    for i in 0..40 {
        seed.direct_put(&format!("mid-{i:02}"), Enc::None).await;
    }
    seed.direct_put("zz-far", Enc::AwsOwned).await;
    let trail = Faults::new(region);
    trail.forget_events();
    // The history holds read calls too, as AWS's does: the dashboard's own
    // describes must not read as changes. Lookups unthrottled: this test
    // asks too.
    trail.trail_settings(serde_json::json!({"record_reads": true, "lookups_per_second": 100}));
    let alice = "AKIAFKCONSOLEALICE01";
    trail.identity(serde_json::json!({"accessKeyId": alice, "userName": "alice@example.com"}));

    let sandbox = Sandbox::new();
    let config = sandbox.write_config("[cloudtrail]\npoll_secs = 10\n");
    let env = [
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("FIREKEEPER_LOG", "info,firekeeper=debug"),
    ];
    let args = format!(
        "--endpoint-url {} --region {region} --config '{}'",
        common::moto_endpoint(),
        config.display()
    );
    let tmux = Tmux::start(&script(&sandbox, &env, &args));
    tmux.wait_for("alias/watch-key");
    // Every stream described once and the first look taken.
    std::thread::sleep(Duration::from_secs(12));

    let theirs = common::sdk_config_as(region, alice).await;
    // CloudTrail dates events to the second.
    let stopped_at = aws_sdk_cloudtrail::primitives::DateTime::from(
        std::time::SystemTime::now() - Duration::from_secs(1),
    );
    aws_sdk_firehose::Client::new(&theirs)
        .stop_delivery_stream_encryption()
        .delivery_stream_name("zz-far")
        .send()
        .await
        .unwrap();
    // Within poll_secs + 15 s, firekeeper describes it, off screen as it is.
    let history = aws_sdk_cloudtrail::Client::new(&common::sdk_config(region).await);
    let start = Instant::now();
    while !described_since(&history, "zz-far", stopped_at).await {
        assert!(
            start.elapsed() < Duration::from_secs(25),
            "zz-far was not described within 25 s of the stop:\n{}",
            log_of(&sandbox)
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tmux.keys(&["/", "z", "z", "Enter"]);
    tmux.wait_for("DISABLED");

    // A key disabled by a colleague: the stream's detail says who.
    // By id: moto finds keys by id here, not ARN.
    let key_id = key.rsplit_once("key/").unwrap().1;
    aws_sdk_kms::Client::new(&theirs)
        .disable_key()
        .key_id(key_id)
        .send()
        .await
        .unwrap();
    tmux.keys(&["/", "BSpace", "BSpace", "a", "a", "Enter", "Enter"]);
    let start = Instant::now();
    loop {
        let screen = tmux.joined_screen();
        if screen.contains("alias/watch-key was disabled by alice@example.com at") {
            assert!(screen.contains("(CloudTrail)"), "{screen}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the detail never said who disabled the key:\n{screen}\n{}",
            log_of(&sandbox)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    tmux.keys(&["Escape", "q"]);
    tmux.wait_for("EXITED 0");
    let log = log_of(&sandbox);
    assert!(
        !log.contains("describing aa-keyed now"),
        "our own calls are no news:\n{log}"
    );
}

/// What firekeeper logged in this sandbox.
fn log_of(sandbox: &Sandbox) -> String {
    let dir = sandbox.path("state/firekeeper");
    std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "log"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect()
}

/// Whether firekeeper (user "testing") described `stream` since `since`, by
/// the launcher's CloudTrail, which records read calls in this test.
async fn described_since(
    history: &aws_sdk_cloudtrail::Client,
    stream: &str,
    since: aws_sdk_cloudtrail::primitives::DateTime,
) -> bool {
    use aws_sdk_cloudtrail::types::{LookupAttribute, LookupAttributeKey};
    let page = history
        .lookup_events()
        .lookup_attributes(
            LookupAttribute::builder()
                .attribute_key(LookupAttributeKey::ResourceName)
                .attribute_value(stream)
                .build()
                .unwrap(),
        )
        .start_time(since)
        .send()
        .await
        .unwrap();
    page.events().iter().any(|e| {
        e.event_name() == Some("DescribeDeliveryStream") && e.username() == Some("testing")
    })
}

/// The keys view on the demo, as on call over SSH: K, the retiring key's
/// streams, then R to rotate a key's material, followed to the end.
#[test]
fn keys_view_and_rotating_key_material_on_the_demo() {
    let sandbox = Sandbox::new();
    let tmux = Tmux::start(&script(&sandbox, &[], "--demo"));
    tmux.wait_for("billing-export");
    tmux.keys(&["K"]);
    let screen = tmux.wait_for("alias/ledger-2019");
    assert!(screen.contains("HEALTH"), "{screen}");
    // Its six streams.
    tmux.keys(&["/", "l", "e", "d", "g", "e", "r", "Enter", "Enter"]);
    let screen = tmux.wait_for("ledger-sync");
    assert!(screen.contains("key:alias/ledger-2019"), "{screen}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("ROTATED");
    tmux.keys(&["R"]);
    let screen = tmux.wait_for("Rotate the key material?");
    // Which key its streams keep using, never that they "keep working".
    assert!(
        screen.contains("the 6 streams on it keep using alias/ledger-2019"),
        "{screen}"
    );
    assert!(!screen.contains("keep working"), "{screen}");
    tmux.keys(&["y"]);
    let screen = tmux.wait_for("key material rotated at");
    assert!(screen.contains("alias/ledger-2019"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
}

/// The demo's showcase: K, the retiring key, M, the new key picked, the plan
/// read, the old key's name typed, and the progress watched to the end.
#[test]
fn moving_every_stream_off_the_retiring_key_on_the_demo() {
    let sandbox = Sandbox::new();
    let tmux = Tmux::start(&script(&sandbox, &[], "--demo"));
    tmux.wait_for("billing-export");
    // The demo starts cold, from its AWS Config: a move is planned on
    // descriptions, so every stream is described first.
    let start = Instant::now();
    while tmux.screen().contains("from-aws-config") {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    tmux.keys(&["K"]);
    tmux.wait_for("alias/ledger-2019");
    // The keys view's filter leaves the retiring key alone under the cursor.
    tmux.keys(&["/", "2", "0", "1", "9", "Enter"]);
    tmux.wait_for("filter:\"2019\"");
    tmux.keys(&["M"]);
    tmux.wait_for("Move every stream off alias/ledger-2019 to…");
    for c in "ledger-2026".chars() {
        tmux.keys(&[&c.to_string()]);
    }
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Type alias/ledger-2019 to move 6 streams");
    assert!(
        screen.contains("6 streams on the key: 6 to send, 0 skipped"),
        "{screen}"
    );
    for c in "alias/ledger-2019".chars() {
        tmux.keys(&[&c.to_string()]);
    }
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("6 done · 0 ENABLING · 0 sent · 0 waiting · 0 failed");
    assert!(screen.contains("Over."), "{screen}");
    assert!(
        screen.contains("move off alias/ledger-2019: 6 of 6 moved to alias/ledger-2026"),
        "{screen}"
    );
    // Back in the keys view the outcome stays on the status line until x;
    // the new key carries the six streams, the old one none.
    tmux.keys(&["Escape", "Escape"]);
    let screen = tmux.wait_for("alias/ledger-2026");
    assert!(
        screen.contains("move off alias/ledger-2019: 6 of 6 moved"),
        "{screen}"
    );
    tmux.keys(&["x"]);
    let screen = tmux.wait_for("q quit");
    assert!(!screen.contains("alias/ledger-2019"), "{screen}");
    let audit = std::fs::read_to_string(sandbox.path("data/firekeeper/demo-audit.jsonl"))
        .unwrap_or_default();
    assert_eq!(
        audit.matches("\"outcome\":\"accepted\"").count(),
        6,
        "{audit}"
    );
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
}

#[test]
fn a_refused_change_in_a_terminal_says_its_reasons_once() {
    let sandbox = Sandbox::new();
    let t = Tmux::start(&script(
        &sandbox,
        &[],
        "--demo rotate kafka-bridge --key alias/payments --yes",
    ));
    let screen = t.wait_for("EXITED");
    assert!(screen.contains("EXITED 4"), "{screen}");
    let joined = t.joined_screen();
    assert_eq!(
        joined.matches("that source owns encryption").count(),
        1,
        "{joined}"
    );
    assert!(joined.contains("refused, nothing was sent (the reasons are above)"));
}

#[test]
fn a_refused_change_in_a_pipe_repeats_its_reasons_on_stderr() {
    let sandbox = Sandbox::new();
    let out = run(sandbox.command().args([
        "--demo",
        "rotate",
        "kafka-bridge",
        "--key",
        "alias/payments",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("that source owns encryption"), "{err}");
}
