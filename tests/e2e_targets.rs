//! The dashboard over two regions at once, in a real terminal (tmux) against
//! moto: one table with a REGION column (at 140 columns here; below 100 it
//! is one TARGET column), a header naming each region, `/`
//! and `s` by region, a change acting on its own row's region only, and one
//! region failing while the other keeps working.

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use aws_sdk_firehose::types::DeliveryStreamEncryptionStatus as Status;
use common::tmux::{script, Tmux};
use common::{Enc, Faults, Sandbox, Seeder};

/// The two regions of the first tests; no other test file uses them.
const WEST: &str = "us-gov-west-1";
const EAST: &str = "us-gov-east-1";

/// These tests are about targets, not about fitting 80 columns (the
/// snapshots at 80x24 are): wide enough for every key's alias whole.
const WIDE: (u16, u16) = (140, 30);

const CREDENTIALS: [(&str, &str); 2] = [
    ("AWS_ACCESS_KEY_ID", "testing"),
    ("AWS_SECRET_ACCESS_KEY", "testing"),
];

/// Waits up to `secs` for the screen to satisfy `ok`; fails with the screen.
fn wait_until(tmux: &Tmux, secs: u64, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let screen = tmux.screen();
        if ok(&screen) {
            return screen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "waited {secs} s for {what}; the screen shows:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The table's rows as (name, region, the rest of the line), in screen order:
/// the lines under the title line whose second cell is one of `regions`.
fn rows<'a>(screen: &'a str, regions: &[&str]) -> Vec<(&'a str, &'a str, &'a str)> {
    screen
        .lines()
        .skip_while(|l| !l.contains("NAME"))
        .skip(1)
        .filter_map(|l| {
            let mut cells = l.trim_start_matches(['▶', ' ']).split_whitespace();
            let (name, region) = (cells.next()?, cells.next()?);
            regions.contains(&region).then_some((name, region, l))
        })
        .collect()
}

/// The (name, region) pairs on screen, sorted, for comparing sets.
fn pairs(screen: &str, regions: &[&str]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = rows(screen, regions)
        .into_iter()
        .map(|(n, r, _)| (n.to_string(), r.to_string()))
        .collect();
    v.sort();
    v
}

fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list
        .iter()
        .map(|(n, r)| (n.to_string(), r.to_string()))
        .collect();
    v.sort();
    v
}

/// The fleet of both regions: `shared` in each on that region's own
/// customer key, and names of one region only.
async fn seed_two_regions() -> (Seeder, Seeder) {
    let west = Seeder::new(WEST).await;
    let key = west.key(Some("alias/west-key")).await;
    west.direct_put("shared", Enc::Customer(&key)).await;
    west.direct_put("w-only", Enc::AwsOwned).await;
    let east = Seeder::new(EAST).await;
    let key = east.key(Some("alias/east-key")).await;
    east.direct_put("shared", Enc::Customer(&key)).await;
    east.direct_put("e-one", Enc::None).await;
    east.direct_put("e-two", Enc::AwsOwned).await;
    (west, east)
}

/// Every stream, in the region sort's order.
const FLEET: [(&str, &str); 5] = [
    ("shared", WEST),
    ("w-only", WEST),
    ("e-one", EAST),
    ("e-two", EAST),
    ("shared", EAST),
];

/// Every stream once per region, each described (its key or "AWS owned"
/// or "no encryption" shown, not "…").
fn wait_for_fleet(tmux: &Tmux) -> String {
    let want = owned(&FLEET);
    wait_until(tmux, 90, "both regions' streams, described", |s| {
        pairs(s, &[WEST, EAST]) == want
            && rows(s, &[WEST, EAST])
                .iter()
                .all(|r| !r.2.split_whitespace().any(|cell| cell == "…"))
    })
}

async fn encryption(seed: &Seeder, name: &str) -> Status {
    let d = seed
        .firehose
        .describe_delivery_stream()
        .delivery_stream_name(name)
        .send()
        .await
        .unwrap();
    d.delivery_stream_description()
        .unwrap()
        .delivery_stream_encryption_configuration()
        .and_then(|e| e.status())
        .cloned()
        .unwrap_or(Status::Disabled)
}

fn type_text(tmux: &Tmux, text: &str) {
    for c in text.chars() {
        tmux.keys(&[&c.to_string()]);
    }
}

#[tokio::test]
async fn two_regions_in_one_table_filtered_sorted_and_changed_each_on_its_own() {
    let (west, east) = seed_two_regions().await;
    let sandbox = Sandbox::new();
    let endpoint = common::moto_endpoint();

    // The comma form: one table of both regions.
    let args = format!("--endpoint-url {endpoint} --region {WEST},{EAST}");
    let tmux = Tmux::start_sized(&script(&sandbox, &CREDENTIALS, &args), WIDE.0, WIDE.1);
    let screen = wait_for_fleet(&tmux);
    // From 100 columns REGION is a column of its own (below, one TARGET
    // column: the snapshots at 80x24 show it).
    assert!(screen.contains("REGION"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
    drop(tmux);
    std::fs::remove_file(sandbox.path("pid")).ok();

    // The repeated form.
    let args = format!("--endpoint-url {endpoint} --region {WEST} --region {EAST}");
    let tmux = Tmux::start_sized(&script(&sandbox, &CREDENTIALS, &args), WIDE.0, WIDE.1);
    let screen = wait_for_fleet(&tmux);
    let title = screen.lines().find(|l| l.contains("NAME")).unwrap();
    assert!(title.contains("REGION"), "{screen}");
    // One account: no ACCOUNT column.
    assert!(!title.contains("ACCOUNT"), "{screen}");
    // The shared name twice, once per region, each with its own key.
    let shared: Vec<_> = rows(&screen, &[WEST, EAST])
        .into_iter()
        .filter(|r| r.0 == "shared")
        .collect();
    assert_eq!(shared.len(), 2, "{screen}");
    for (_, region, line) in &shared {
        let alias = if *region == WEST {
            "west-key"
        } else {
            "east-key"
        };
        assert!(
            line.contains(alias),
            "{region}'s shared on its key:\n{screen}"
        );
    }
    // Each region and its count of streams, in the header's first line.
    let header = screen.lines().next().unwrap();
    assert!(
        header.starts_with(&format!("firekeeper · {WEST} 2 · {EAST} 3 · ")),
        "{header}"
    );

    // `/` and the region: only its rows; Esc brings both back.
    tmux.keys(&["/"]);
    type_text(&tmux, "gov-east");
    tmux.keys(&["Enter"]);
    let screen = wait_until(&tmux, 10, "only us-gov-east-1's rows", |s| {
        pairs(s, &[WEST, EAST]) == owned(&FLEET[2..])
    });
    assert!(screen.contains("filter:\"gov-east\" (3 shown)"), "{screen}");
    tmux.keys(&["Escape"]);
    wait_until(&tmux, 10, "both regions again", |s| {
        pairs(s, &[WEST, EAST]) == owned(&FLEET)
    });

    // `s` until the region sort: REGION marked, rows grouped by region in
    // the header's order (the order given), by name within each.
    let mut screen = tmux.screen();
    for _ in 0..8 {
        if title_line(&screen).contains("REGION↓") {
            break;
        }
        tmux.keys(&["s"]);
        screen = tmux.screen();
    }
    assert!(title_line(&screen).contains("REGION↓"), "{screen}");
    let order: Vec<(&str, &str)> = rows(&screen, &[WEST, EAST])
        .iter()
        .map(|r| (r.0, r.1))
        .collect();
    assert_eq!(order, FLEET, "{screen}");

    stop_east_shared_from_its_row(&tmux, &west, &east).await;
    tmux.keys(&["q"]);
    tmux.wait_for("EXITED 0");
}

/// Stops encryption of us-gov-east-1's shared, from its row: the dialog
/// names the region and its key, and only that stream changes.
async fn stop_east_shared_from_its_row(tmux: &Tmux, west: &Seeder, east: &Seeder) {
    tmux.keys(&["/"]);
    type_text(tmux, "gov-east");
    tmux.keys(&["Enter"]);
    wait_until(tmux, 10, "only us-gov-east-1's rows", |s| {
        pairs(s, &[WEST, EAST]) == owned(&FLEET[2..])
    });
    select(tmux, "shared", EAST);
    tmux.keys(&["d"]);
    let screen = tmux.wait_for(&format!("Stop encryption of shared@{EAST}"));
    assert!(screen.contains("alias/east-key"), "{screen}");
    assert!(!screen.contains("alias/west-key"), "{screen}");
    assert!(screen.contains("Type the stream's full name"), "{screen}");
    type_text(tmux, "shared");
    tmux.keys(&["Enter"]);
    tmux.wait_within(&format!("{EAST}: shared is no longer encrypted"), 60);
    let screen = wait_until(tmux, 30, "us-gov-east-1's shared unencrypted", |s| {
        rows(s, &[EAST])
            .iter()
            .any(|r| r.0 == "shared" && r.2.contains("no encryption"))
    });
    assert_eq!(encryption(east, "shared").await, Status::Disabled);
    assert_eq!(
        encryption(west, "shared").await,
        Status::Enabled,
        "the same name in {WEST} is untouched"
    );
    // And the table says the same of both.
    tmux.keys(&["Escape"]);
    let screen2 = wait_until(tmux, 10, "both regions again", |s| {
        pairs(s, &[WEST, EAST]) == owned(&FLEET)
    });
    let west_shared = rows(&screen2, &[WEST])
        .into_iter()
        .find(|r| r.0 == "shared")
        .unwrap();
    assert!(
        west_shared.2.contains("ENABLED") && west_shared.2.contains("west-key"),
        "{screen}\n{screen2}"
    );
}

/// The message log's text with its box and wrapping taken away: one line.
fn messages(screen: &str) -> String {
    screen
        .lines()
        .filter_map(|l| l.trim().strip_prefix('│')?.strip_suffix('│'))
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn title_line(screen: &str) -> &str {
    screen.lines().find(|l| l.contains("NAME")).unwrap_or("")
}

/// Moves the cursor down to the row of `name` in `region`.
fn select(tmux: &Tmux, name: &str, region: &str) {
    tmux.keys(&["g"]);
    for _ in 0..10 {
        let screen = tmux.screen();
        let on = rows(&screen, &[WEST, EAST])
            .into_iter()
            .find(|r| r.2.starts_with('▶'));
        if on.is_some_and(|r| r.0 == name && r.1 == region) {
            return;
        }
        tmux.keys(&["j"]);
    }
    panic!(
        "{name} in {region} never under the cursor:\n{}",
        tmux.screen()
    );
}

/// One region denies firehose:ListDeliveryStreams: the header names it with
/// a word or two, the other region's streams are shown and described, and
/// the message log has the whole reason.
#[tokio::test]
async fn a_region_that_denies_listing_is_named_and_the_other_keeps_working() {
    let (good, denied) = ("cn-north-1", "ap-east-2");
    let seed = Seeder::new(good).await;
    let key = seed.key(Some("alias/cn-key")).await;
    seed.direct_put("cn-keyed", Enc::Customer(&key)).await;
    seed.direct_put("cn-plain", Enc::None).await;
    Seeder::new(denied)
        .await
        .direct_put("hidden", Enc::AwsOwned)
        .await;
    let faults = Faults::new(denied);
    faults.add(serde_json::json!({
        "service": "firehose",
        "fault": "error",
        "status": 400,
        "type": "AccessDeniedException",
        "message": "User: arn:aws:iam::123456789012:user/testing is not authorized to perform: firehose:ListDeliveryStreams",
    }));

    let sandbox = Sandbox::new();
    let args = format!(
        "--endpoint-url {} --region {good},{denied}",
        common::moto_endpoint()
    );
    let tmux = Tmux::start_sized(&script(&sandbox, &CREDENTIALS, &args), WIDE.0, WIDE.1);
    // Described, with their quota read: the denied region leaves nothing
    // of the good one's unknown.
    let screen = wait_until(&tmux, 60, "the good region's streams, known", |s| {
        let rows = rows(s, &[good, denied]);
        pairs(s, &[good, denied]) == owned(&[("cn-keyed", good), ("cn-plain", good)])
            && s.contains("alias/cn-key")
            && s.contains("no encryption")
            && rows
                .iter()
                .all(|r| r.2.contains("/25") && !r.2.contains("unknown"))
    });
    let screen = if screen.contains(&format!("{denied} !")) {
        screen
    } else {
        tmux.wait_for(&format!("{denied} !"))
    };
    let header = screen.lines().next().unwrap();
    assert!(
        header.starts_with(&format!(
            "firekeeper · {good} 2 · {denied} ! AccessDenied · "
        )),
        "{header}"
    );
    assert!(!screen.contains("hidden"), "{screen}");

    tmux.keys(&["m"]);
    let log = wait_until(&tmux, 10, "the message log", |s| s.contains("Messages"));
    let joined = messages(&log);
    assert!(
        joined.contains(&format!("{denied}: access denied listing streams")),
        "{log}"
    );
    assert!(
        joined.contains("not authorized to perform: firehose:ListDeliveryStreams"),
        "the whole reason:\n{joined}"
    );
    tmux.keys(&["Escape", "q"]);
    tmux.wait_for("EXITED 0");
    faults.clear();
}

/// `--profile good,missing`: the missing profile's target cannot connect; the
/// good one's streams are shown and its target's label carries its count.
#[tokio::test]
async fn a_profile_that_does_not_exist_is_named_and_the_other_keeps_working() {
    let region = "cn-northwest-1";
    let seed = Seeder::new(region).await;
    seed.direct_put("np-owned", Enc::AwsOwned).await;
    let sandbox = Sandbox::new();
    std::fs::write(
        sandbox.path("aws-config"),
        format!("[profile good]\nregion = {region}\n"),
    )
    .unwrap();
    std::fs::write(
        sandbox.path("aws-credentials"),
        "[good]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
    )
    .unwrap();
    let args = format!(
        "--endpoint-url {} --region {region} --profile good,missing",
        common::moto_endpoint()
    );
    let tmux = Tmux::start(&script(&sandbox, &[], &args));
    // REGION and ACCOUNT together need more than 80 columns (at 80 the
    // table is clipped on the right: HEALTH is cut).
    tmux.tmux(&["resize-window", "-x", "120", "-y", "30"]);
    let screen = wait_until(&tmux, 60, "the good profile's stream, known", |s| {
        s.contains("AWS owned") && s.contains("missing/") && s.contains("/25 ")
    });
    let header = screen.lines().next().unwrap();
    assert!(
        header.starts_with(&format!(
            "firekeeper · good/{region} 1 · missing/{region} ! no such profile · "
        )),
        "{header}"
    );
    let row = screen.lines().find(|l| l.contains("np-owned")).unwrap();
    assert!(
        row.contains(region) && row.contains("123456789012"),
        "{row}"
    );
    assert!(row.contains("● ok"), "{row}");
    let title = title_line(&screen);
    assert!(
        title.contains("REGION") && title.contains("ACCOUNT"),
        "{screen}"
    );
    tmux.keys(&["m"]);
    let log = wait_until(&tmux, 10, "the message log", |s| s.contains("Messages"));
    let joined = messages(&log);
    assert!(
        joined.contains(&format!(
            "missing/{region}: no usable AWS credentials: profile missing is in neither"
        )),
        "{joined}"
    );
    tmux.keys(&["Escape", "q"]);
    tmux.wait_for("EXITED 0");
}
