//! The ledger and audit log as a team uses them, and what firekeeper does
//! when they are damaged, unwritable or shared, through the real binary
//! against moto. Another user is a real second Unix user (setpriv) when the
//! tests run as root, and this user with another umask when not.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Stdio;

use common::{
    as_user, audit, reachable_copy, root, run, stdout_json, text, Enc, Faults, Sandbox, Seeder,
};
use serde_json::Value;

const ACCOUNT: &str = "123456789012";

fn ledger_line(region: &str, stream: &str, id: &str, at: &str) -> String {
    format!(
        r#"{{"at":"{at}","id":"{id}","account":"{ACCOUNT}","region":"{region}","stream":"{stream}","action":"start","outcome":"accepted"}}"#
    )
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().mode() & 0o7777
}

#[tokio::test]
async fn a_shared_ledger_stays_usable_by_both_users_through_compaction() {
    let region = "us-west-2";
    let seed = Seeder::new(region).await;
    for s in ["team-a", "team-b"] {
        seed.direct_put(s, Enc::None).await;
    }
    let base = tempfile::tempdir().unwrap();
    std::fs::set_permissions(base.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let program = reachable_copy(base.path());
    // The team's directory as the README sets it up: group-owned, setgid.
    const TEAM: u32 = 42420;
    let team = base.path().join("team");
    std::fs::create_dir(&team).unwrap();
    if root() {
        std::os::unix::fs::chown(&team, Some(0), Some(TEAM)).unwrap();
    }
    std::fs::set_permissions(&team, std::fs::Permissions::from_mode(0o2770)).unwrap();
    let ledger = team.join("ledger.jsonl");

    // Two engineers, each with a home of their own and a config naming the
    // team's ledger; alice's umask is 000 (nothing masked), bob's 077.
    let person = |name: &str, uid: u32, umask: &'static str| {
        let sandbox = Sandbox::new();
        sandbox.write_config(&format!("[ledger]\npath = \"{}\"\n", ledger.display()));
        if root() {
            std::os::unix::fs::chown(sandbox.dir.path(), Some(uid), Some(uid)).unwrap();
            std::os::unix::fs::chown(sandbox.path("config.toml"), Some(uid), Some(uid)).unwrap();
        }
        (name.to_string(), sandbox, uid, umask)
    };
    let alice = person("alice", 42421, "000");
    let bob = person("bob", 42422, "077");
    let firekeeper = |who: &(String, Sandbox, u32, &str), args: &[&str]| {
        let (_, sandbox, uid, umask) = who;
        let mut cmd = sandbox.against_moto(region);
        cmd.arg("--config")
            .arg(sandbox.path("config.toml"))
            .args(args)
            // Compact at every reservation, so the test need not make 5,000.
            .env("FIREKEEPER_LEDGER_COMPACT_AT", "1");
        let groups = [TEAM];
        let out = run(&mut as_user(
            &cmd,
            &program,
            Some((*uid, *uid, &groups)),
            umask,
        ));
        (out.status.code(), text(&out), out.stdout)
    };

    let (code, out, _) = firekeeper(&alice, &["rotate", "team-a", "--key", "aws-owned", "--yes"]);
    assert_eq!(code, Some(0), "{out}");
    let meta = std::fs::metadata(&ledger).unwrap();
    assert_eq!(mode(&ledger), 0o660, "the team can read and write it");
    assert_eq!(mode(&team.join("ledger.lock")), 0o660);
    if root() {
        assert_eq!((meta.uid(), meta.gid()), (42421, TEAM));
    }

    // An old line for compaction to drop.
    let old = ledger_line(region, "team-a", "old-1", "2026-01-01T00:00:00Z");
    let mut text_now = std::fs::read_to_string(&ledger).unwrap();
    text_now.push_str(&old);
    text_now.push('\n');
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&ledger)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text_now.as_bytes()))
        .unwrap();

    // Bob reads and writes alice's ledger. A rewritten copy would be his,
    // so he does not compact it (when he really is another user).
    let (code, out, stdout) = firekeeper(&bob, &["status", "--output", "json"]);
    assert!(code == Some(0) || code == Some(1), "{out}");
    let report: Value = serde_json::from_slice(&stdout).unwrap();
    let a = report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "team-a")
        .unwrap();
    assert_eq!(a["quota"]["used"], 1, "bob sees alice's call: {out}");
    let (code, out, _) = firekeeper(&bob, &["rotate", "team-b", "--key", "aws-owned", "--yes"]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(mode(&ledger), 0o660);

    // Alice's next call compacts: the old line goes, owner, group and mode stay.
    let (code, out, _) = firekeeper(&alice, &["disable", "team-a", "--yes"]);
    assert_eq!(code, Some(0), "{out}");
    let after = std::fs::read_to_string(&ledger).unwrap();
    assert!(!after.contains("old-1"), "compacted: {after}");
    let meta_after = std::fs::metadata(&ledger).unwrap();
    assert_eq!(
        (meta_after.uid(), meta_after.gid(), mode(&ledger)),
        (meta.uid(), meta.gid(), 0o660)
    );
    let leftovers: Vec<_> = std::fs::read_dir(&team)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "ledger.jsonl" && n != "ledger.lock")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // And both still read and write.
    let (code, out, _) = firekeeper(&bob, &["disable", "team-b", "--yes"]);
    assert_eq!(code, Some(0), "{out}");
    let (_, _, stdout) = firekeeper(&alice, &["status", "--output", "json"]);
    let report: Value = serde_json::from_slice(&stdout).unwrap();
    for s in report["streams"].as_array().unwrap() {
        assert_eq!(s["quota"]["used"], 2, "{}: {s}", s["name"]);
    }
    // Each engineer's own files stay private whatever their umask.
    for (_, sandbox, _, _) in [&alice, &bob] {
        let data = sandbox.path("data/firekeeper");
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("audit.jsonl")), 0o600);
    }
}

#[tokio::test]
async fn a_damaged_or_unreadable_ledger_leaves_status_working() {
    let region = "ap-southeast-1";
    let seed = Seeder::new(region).await;
    for s in ["dmg-a", "dmg-b"] {
        seed.direct_put(s, Enc::AwsOwned).await;
    }
    let sandbox = Sandbox::new();
    let dir = sandbox.path("data/firekeeper");
    std::fs::create_dir_all(&dir).unwrap();
    let ledger = dir.join("ledger.jsonl");
    let now = chrono::Utc::now().to_rfc3339();
    let mut bytes = ledger_line(region, "dmg-a", "c1", &now).into_bytes();
    bytes.extend_from_slice(b"\n\xff\xfe not UTF-8 \xc3\x28\n");
    bytes.extend_from_slice(ledger_line(region, "dmg-a", "c2", &now).as_bytes());
    bytes.extend_from_slice(b"\n");
    // Clock skew: a call dated 2099 holds no slot.
    bytes.extend_from_slice(ledger_line(region, "dmg-b", "c3", "2099-01-01T00:00:00Z").as_bytes());
    bytes.extend_from_slice(b"\n");
    std::fs::write(&ledger, bytes).unwrap();

    let out = run(sandbox
        .against_moto(region)
        .args(["status", "--output", "json"]));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = stdout_json(&out);
    let streams = report["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 2);
    let quota = |name: &str| streams.iter().find(|s| s["name"] == name).unwrap()["quota"].clone();
    // Each stream's seeding Start is CloudTrail's; the ledger's lines are here.
    assert_eq!(
        quota("dmg-a")["used_here"],
        2,
        "the bad line costs only itself"
    );
    assert_eq!(
        quota("dmg-b")["used_here"],
        0,
        "a future-dated call holds no slot"
    );

    // Unreadable: mode 000, read by a user who is not root (root reads
    // anything), or a directory in its place when not root... either way
    // every stream is still reported, with its quota unknown.
    std::fs::set_permissions(&ledger, std::fs::Permissions::from_mode(0o000)).unwrap();
    let program = reachable_copy(sandbox.dir.path());
    let mut cmd = sandbox.against_moto(region);
    cmd.args(["status", "--output", "json"]);
    let out = if root() {
        // The sandbox becomes that user's home; the ledger stays root's, 000.
        for p in [
            sandbox.dir.path().to_path_buf(),
            sandbox.path("data"),
            dir.clone(),
        ] {
            std::os::unix::fs::chown(&p, Some(42431), Some(42431)).unwrap();
        }
        run(&mut as_user(
            &cmd,
            &program,
            Some((42431, 42431, &[])),
            "022",
        ))
    } else {
        run(&mut cmd)
    };
    assert_eq!(out.status.code(), Some(1), "unknown quota: {}", text(&out));
    let report = stdout_json(&out);
    let streams = report["streams"].as_array().unwrap();
    assert_eq!(streams.len(), 2, "every stream is still reported");
    for s in streams {
        assert_eq!(s["quota"], Value::Null);
        assert_eq!(s["health"], "unknown");
        assert!(
            s["problems"]
                .to_string()
                .contains("ledger could not be read"),
            "{s}"
        );
        assert_eq!(s["encryption"]["key_type"], "AWS_OWNED_CMK");
    }
}

#[tokio::test]
async fn an_unwritable_audit_log_spends_no_quota_and_refusals_are_audited() {
    let region = "ap-northeast-3";
    let seed = Seeder::new(region).await;
    seed.direct_put("aud", Enc::None).await;
    let sandbox = Sandbox::new();
    let audit_path = sandbox.path("data/firekeeper/audit.jsonl");
    std::fs::create_dir_all(&audit_path).unwrap();
    for _ in 0..3 {
        let out = run(sandbox.against_moto(region).args([
            "rotate",
            "aud",
            "--key",
            "aws-owned",
            "--yes",
        ]));
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(text(&out).contains("audit log"), "{}", text(&out));
    }
    let out = run(sandbox
        .against_moto(region)
        .args(["status", "--output", "json", "--stream", "aud"]));
    let s = &stdout_json(&out)["streams"][0];
    assert_eq!(
        s["quota"]["used"], 0,
        "three refused attempts spent nothing"
    );
    assert_eq!(s["encryption"]["status"], "DISABLED");

    std::fs::remove_dir(&audit_path).unwrap();
    let out = run(sandbox.against_moto(region).args([
        "rotate",
        "no-such-stream",
        "--key",
        "aws-owned",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let out = run(sandbox.against_moto(region).args([
        "rotate",
        "aud",
        "--key",
        "alias/no-such-key",
        "--yes",
    ]));
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let lines = audit(&sandbox);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines.iter().all(|l| l["outcome"] == "refused"));
    assert!(lines[0]["message"]
        .as_str()
        .unwrap()
        .contains("no delivery stream no-such-stream"));
    assert!(lines[1]["message"]
        .as_str()
        .unwrap()
        .contains("no key alias/no-such-key"));
    assert_eq!(mode(&sandbox.path("data/firekeeper/audit.jsonl")), 0o600);
}

#[tokio::test]
async fn a_change_overtaken_by_a_colleague_ends_at_the_next_look() {
    let region = "eu-south-1";
    let seed = Seeder::new(region).await;
    let old = seed.key(Some("alias/ov-old")).await;
    seed.key(Some("alias/ov-mine")).await;
    let theirs = seed.key(Some("alias/ov-theirs")).await;
    seed.direct_put("ov", Enc::Customer(&old)).await;
    let faults = Faults::new(region);
    let sandbox = Sandbox::new();
    let mut child = sandbox
        .against_moto(region)
        .args(["rotate", "ov", "--key", "alias/ov-mine", "--yes"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "ended early: {seen}"
        );
        seen.push_str(&line);
        if line.starts_with("AWS accepted the call") {
            break;
        }
    }
    // Just after AWS accepted it, a colleague switches the stream to their key.
    seed.firehose
        .start_delivery_stream_encryption()
        .delivery_stream_name("ov")
        .delivery_stream_encryption_configuration_input(
            aws_sdk_firehose::types::DeliveryStreamEncryptionConfigurationInput::builder()
                .key_type(aws_sdk_firehose::types::KeyType::CustomerManagedCmk)
                .key_arn(&theirs)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let (describes_before, _) = faults.calls("DescribeDeliveryStream");
    let mut all = seen;
    std::io::Read::read_to_string(&mut stdout, &mut all).unwrap();
    let out = child.wait_with_output().unwrap();
    all.push_str(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains(
            "ov was changed by someone else to alias/ov-theirs while firekeeper was following"
        ),
        "{all}"
    );
    let (describes_after, _) = faults.calls("DescribeDeliveryStream");
    assert_eq!(
        describes_after - describes_before,
        1,
        "it ended at the next look"
    );
    let last = audit(&sandbox).pop().unwrap();
    assert_eq!(last["outcome"], "superseded");
}
