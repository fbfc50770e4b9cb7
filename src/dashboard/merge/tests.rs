use super::*;
use crate::cloud::{Encryption, Identity, Source};
use crate::quota::Quota;
use chrono::Utc;

fn info(label: &str, region: &str) -> TargetInfo {
    TargetInfo {
        region: Some(region.into()),
        label: label.into(),
        ..TargetInfo::default()
    }
}

/// Two live targets, us-east-1 and eu-west-1.
fn two() -> Merger {
    Merger::new(
        vec![
            (info("us-east-1", "us-east-1"), true),
            (info("eu-west-1", "eu-west-1"), true),
        ],
        Window::H3,
    )
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

fn listed(m: &mut Merger, lane: usize, list: &[&str]) -> Vec<DataEvent> {
    m.apply(lane, DataEvent::Names(names(list)))
}

fn merged_names(events: &[DataEvent]) -> Vec<String> {
    events
        .iter()
        .find_map(|e| match e {
            DataEvent::Names(n) => Some(n.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

fn metrics_of(
    events: &[DataEvent],
) -> Option<(BTreeMap<String, KmsSeries>, BTreeMap<String, String>)> {
    events.iter().find_map(|e| match e {
        DataEvent::Metrics {
            series, unknown, ..
        } => Some((series.clone(), unknown.clone())),
        _ => None,
    })
}

/// What STS answers for a target of this account.
fn identified(account: &str) -> DataEvent {
    DataEvent::Identity(Identity {
        account: account.into(),
        arn: "arn".into(),
    })
}

fn some_errors() -> KmsSeries {
    let mut s = KmsSeries::default();
    s.series[0] = vec![(Utc::now(), 3.0)];
    s
}

#[test]
fn one_target_passes_everything_through_untouched() {
    let mut m = Merger::new(vec![(info("us-east-1", "us-east-1"), true)], Window::H3);
    let out = m.apply(0, DataEvent::Names(names(&["orders"])));
    assert_eq!(merged_names(&out), ["orders"]);
    let routed = m.route(WorkerCommand::Describe("orders".into()));
    assert_eq!(routed, [(0, WorkerCommand::Describe("orders".into()))]);
}

#[test]
fn each_target_lists_its_own_streams_and_the_same_name_stays_two_streams() {
    let mut m = two();
    listed(&mut m, 0, &["orders", "clicks"]);
    let out = listed(&mut m, 1, &["orders"]);
    let mut all = merged_names(&out);
    all.sort();
    assert_eq!(
        all,
        ["clicks@us-east-1", "orders@eu-west-1", "orders@us-east-1"]
    );
    // A new listing of one target replaces only its own names.
    let out = listed(&mut m, 0, &["clicks"]);
    let mut all = merged_names(&out);
    all.sort();
    assert_eq!(all, ["clicks@us-east-1", "orders@eu-west-1"]);
}

#[test]
fn a_described_stream_carries_its_qualified_name() {
    let mut m = two();
    let stream = Stream {
        name: "orders".into(),
        arn: "arn:aws:firehose:eu-west-1:1:deliverystream/orders".into(),
        source: Source::DirectPut,
        status: "ACTIVE".into(),
        encryption: Encryption::default(),
    };
    let out = m.apply(
        1,
        DataEvent::Stream {
            name: "orders".into(),
            result: Ok(stream),
            at: Utc::now(),
        },
    );
    let [DataEvent::Stream { name, result, .. }] = out.as_slice() else {
        panic!("one stream event: {out:?}")
    };
    assert_eq!(name, "orders@eu-west-1");
    assert_eq!(result.as_ref().unwrap().name, "orders@eu-west-1");
}

#[test]
fn a_target_without_metrics_has_its_streams_unknown_never_zero() {
    let mut m = two();
    listed(&mut m, 0, &["orders"]);
    listed(&mut m, 1, &["orders", "clicks"]);
    let out = m.apply(
        0,
        DataEvent::Metrics {
            window: Window::H3,
            series: BTreeMap::from([("orders".to_string(), some_errors())]),
            unknown: BTreeMap::new(),
            outages: HashMap::new(),
            at: chrono::DateTime::UNIX_EPOCH,
            as_of: BTreeMap::new(),
        },
    );
    let (series, unknown) = metrics_of(&out).expect("merged metrics");
    assert!(series.contains_key("orders@us-east-1"));
    assert!(
        unknown["orders@eu-west-1"].contains("not read yet"),
        "{unknown:?}"
    );
    assert!(unknown.contains_key("clicks@eu-west-1"));
    assert!(!unknown.contains_key("orders@us-east-1"));

    // eu-west-1's metrics fail: its streams say why; us-east-1's stand.
    let out = m.apply(
        1,
        DataEvent::Failed {
            what: Fetch::Metrics,
            error: CloudError::AccessDenied("cloudwatch:GetMetricData".into()),
        },
    );
    let (series, unknown) = metrics_of(&out).expect("merged metrics");
    assert!(series.contains_key("orders@us-east-1"));
    assert!(
        unknown["clicks@eu-west-1"].contains("access denied"),
        "{unknown:?}"
    );
}

#[test]
fn metrics_of_an_older_window_do_not_count_for_the_new_one() {
    let mut m = two();
    listed(&mut m, 0, &["orders"]);
    listed(&mut m, 1, &["orders"]);
    let answer = |window| DataEvent::Metrics {
        window,
        series: BTreeMap::new(),
        unknown: BTreeMap::new(),
        outages: HashMap::new(),
        at: chrono::DateTime::UNIX_EPOCH,
        as_of: BTreeMap::new(),
    };
    m.apply(0, answer(Window::H3));
    m.apply(1, answer(Window::H3));
    m.route(WorkerCommand::Window(Window::H24));
    let out = m.apply(0, answer(Window::H24));
    let (_, unknown) = metrics_of(&out).expect("merged metrics");
    assert!(unknown.contains_key("orders@eu-west-1"), "{unknown:?}");
    assert!(!unknown.contains_key("orders@us-east-1"));
}

#[test]
fn a_target_whose_quota_is_not_read_has_its_streams_quota_unknown() {
    let mut m = two();
    let book = QuotaBook {
        quotas: HashMap::from([(
            "orders".to_string(),
            Quota {
                limit: 25,
                used: 3,
                remaining: 22,
                ..Quota::unused()
            },
        )]),
        source: QuotaSource::LedgerAndCloudTrail,
        ..QuotaBook::default()
    };
    let out = m.apply(0, DataEvent::Quotas(Ok(book)));
    let [DataEvent::Quotas(Ok(merged))] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(merged.quota("orders@us-east-1").remaining, 22);
    assert!(merged.unread("orders@eu-west-1").is_some());
    assert!(merged.unread("orders@us-east-1").is_none());

    let out = m.apply(1, DataEvent::Quotas(Err("ledger unreadable".into())));
    let [DataEvent::Quotas(Ok(merged))] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(merged.unread("x@eu-west-1"), Some("ledger unreadable"));
}

#[test]
fn a_target_that_cannot_list_says_so_in_the_header_and_holds_back_no_other() {
    let mut m = two();
    listed(&mut m, 0, &["orders"]);
    let out = m.apply(
        1,
        DataEvent::Failed {
            what: Fetch::List,
            error: CloudError::AccessDenied("firehose:ListDeliveryStreams".into()),
        },
    );
    // Not the app's whole-fleet "could not list": the target's error.
    assert!(!out.iter().any(|e| matches!(e, DataEvent::Failed { .. })));
    let targets = m.targets();
    assert!(targets[1]
        .error
        .as_deref()
        .unwrap()
        .contains("access denied"));
    assert!(targets[0].error.is_none());
    // It lists again: the error is gone, and its streams join.
    let out = listed(&mut m, 1, &["clicks"]);
    assert!(m.targets()[1].error.is_none());
    assert_eq!(merged_names(&out).len(), 2);
    assert!(out.iter().any(|e| matches!(e, DataEvent::Targets(_))));
}

#[test]
fn other_failures_reach_the_app_naming_their_target() {
    let mut m = two();
    let out = m.apply(
        1,
        DataEvent::Failed {
            what: Fetch::Keys,
            error: CloudError::Throttled("kms".into()),
        },
    );
    let [DataEvent::Failed { error, .. }] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(error, &CloudError::Throttled("eu-west-1: kms".into()));
}

#[test]
fn commands_go_to_the_target_of_the_stream_with_its_own_name() {
    let mut m = two();
    let out = m.route(WorkerCommand::MakeChange {
        request: Request::Disable {
            stream: "orders@eu-west-1".into(),
        },
        streams_on_key: None,
        force: false,
    });
    assert_eq!(
        out,
        [(
            1,
            WorkerCommand::MakeChange {
                request: Request::Disable {
                    stream: "orders".into()
                },
                streams_on_key: None,
                force: false,
            }
        )]
    );
    let out = m.route(WorkerCommand::Interest {
        visible: names(&["a@us-east-1", "b@eu-west-1"]),
        nearby: names(&["c@eu-west-1"]),
    });
    assert_eq!(
        out,
        [
            (
                0,
                WorkerCommand::Interest {
                    visible: names(&["a"]),
                    nearby: Vec::new()
                }
            ),
            (
                1,
                WorkerCommand::Interest {
                    visible: names(&["b"]),
                    nearby: names(&["c"])
                }
            ),
        ]
    );
    let lanes: Vec<usize> = m
        .route(WorkerCommand::Refresh)
        .into_iter()
        .map(|(i, _)| i)
        .collect();
    assert_eq!(lanes, [0, 1]);
}

#[test]
fn a_key_change_goes_to_the_target_of_the_key() {
    let mut m = two();
    m.apply(
        1,
        DataEvent::Identity(Identity {
            account: "111122223333".into(),
            arn: "arn:aws:iam::111122223333:user/x".into(),
        }),
    );
    let key = "arn:aws:kms:eu-west-1:111122223333:key/abcd";
    let out = m.route(WorkerCommand::MakeKeyChange {
        key: key.into(),
        change: crate::key_rotation::KeyChange::RotateNow,
        streams: Vec::new(),
    });
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, 1);
}

#[test]
fn a_target_that_could_not_connect_gets_no_commands() {
    let mut dead = info("eu-west-1", "eu-west-1");
    dead.error = Some("no usable AWS credentials".into());
    let mut m = Merger::new(
        vec![(info("us-east-1", "us-east-1"), true), (dead, false)],
        Window::H3,
    );
    assert_eq!(m.route(WorkerCommand::Refresh).len(), 1);
    assert!(m
        .route(WorkerCommand::Describe("x@eu-west-1".into()))
        .is_empty());
    assert!(m.targets()[1].error.is_some());
}

#[test]
fn two_profiles_of_one_account_and_region_list_its_streams_once() {
    let mut m = Merger::new(
        vec![
            (info("admin/eu-west-1", "eu-west-1"), true),
            (info("reader/eu-west-1", "eu-west-1"), true),
        ],
        Window::H3,
    );
    listed(&mut m, 0, &["orders"]);
    listed(&mut m, 1, &["orders"]);
    let same = || identified("111122223333");
    m.apply(0, same());
    let out = m.apply(1, same());
    assert_eq!(merged_names(&out), ["orders@admin/eu-west-1"]);
    assert_eq!(m.targets()[1].same_as.as_deref(), Some("admin/eu-west-1"));
    assert!(
        m.targets()[1].error.is_none(),
        "not an error: nothing is unknown"
    );
    // Its news is not the fleet's any more.
    assert!(listed(&mut m, 1, &["orders", "more"]).is_empty());
}

#[test]
fn change_reports_name_their_target() {
    let mut m = two();
    let out = m.apply(
        1,
        DataEvent::ChangeReport {
            stream: "orders".into(),
            text: "orders: encryption stopped".into(),
            tone: crate::model::Tone::Good,
        },
    );
    let [DataEvent::ChangeReport { stream, text, .. }] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(stream, "orders@eu-west-1");
    assert!(text.starts_with("eu-west-1: "), "{text}");
}

#[test]
fn an_identity_before_any_listing_is_not_an_empty_fleet() {
    let mut m = two();
    let out = m.apply(0, identified("111122223333"));
    assert!(
        !out.iter().any(|e| matches!(e, DataEvent::Names(_))),
        "the table keeps saying it is listing: {out:?}"
    );
}

#[test]
fn when_every_target_fails_its_metrics_every_stream_is_unknown() {
    let mut m = two();
    listed(&mut m, 0, &["orders"]);
    listed(&mut m, 1, &["clicks"]);
    let answer = || DataEvent::Metrics {
        window: Window::H3,
        series: BTreeMap::from([("x".to_string(), some_errors())]),
        unknown: BTreeMap::new(),
        outages: HashMap::new(),
        at: chrono::DateTime::UNIX_EPOCH,
        as_of: BTreeMap::new(),
    };
    m.apply(0, answer());
    m.apply(1, answer());
    let fail = || DataEvent::Failed {
        what: Fetch::Metrics,
        error: CloudError::NoAnswer("cloudwatch".into()),
    };
    m.apply(0, fail());
    let out = m.apply(1, fail());
    let (series, unknown) = metrics_of(&out).expect("still said, all unknown");
    assert!(series.is_empty(), "{series:?}");
    assert!(unknown.contains_key("orders@us-east-1") && unknown.contains_key("clicks@eu-west-1"));
}

#[test]
fn a_target_without_current_metrics_is_not_cached_as_clean() {
    let mut m = two();
    let id = || identified("111122223333");
    m.apply(0, id());
    listed(&mut m, 0, &["orders"]);
    let rows = Vec::new();
    let none = BTreeMap::new();
    let outages = HashMap::new();
    assert!(m.saved_for(0, &rows, &none, &outages).is_none());
    m.apply(
        0,
        DataEvent::Metrics {
            window: Window::H3,
            series: BTreeMap::new(),
            unknown: BTreeMap::new(),
            outages: HashMap::new(),
            at: chrono::DateTime::UNIX_EPOCH,
            as_of: BTreeMap::new(),
        },
    );
    assert!(m.saved_for(0, &rows, &none, &outages).is_some());
}

fn replica(region: &str, state: crate::cloud::KeyState) -> crate::cloud::KmsKey {
    use crate::cloud::{KeyManager, KeySpec, KeyUsage, KmsKey};
    KmsKey {
        id: "mrk-1234abcd".into(),
        arn: format!("arn:aws:kms:{region}:111122223333:key/mrk-1234abcd"),
        state,
        spec: KeySpec::SymmetricDefault,
        usage: KeyUsage::EncryptDecrypt,
        manager: KeyManager::Customer,
        description: String::new(),
        deletion_date: None,
        origin: crate::cloud::KeyOrigin::AwsKms,
        multi_region: crate::cloud::MultiRegion::Single,
        rotation: None,
    }
}

fn book_of(key: crate::cloud::KmsKey, alias: &str) -> KeyBook {
    let mut book = KeyBook::default();
    book.aliases.insert(key.id.clone(), vec![alias.into()]);
    book.keys.insert(key.id.clone(), key);
    book
}

fn merged_keys(events: &[DataEvent]) -> KeyBook {
    events
        .iter()
        .find_map(|e| match e {
            DataEvent::Keys(b) | DataEvent::AllKeys(b) => Some(b.clone()),
            _ => None,
        })
        .expect("a key book")
}

#[test]
fn replicas_of_a_multi_region_key_keep_each_its_own_state() {
    use crate::cloud::KeyState;
    let mut m = two();
    let us = replica("us-east-1", KeyState::Enabled);
    let eu = replica("eu-west-1", KeyState::Disabled);
    m.apply(0, DataEvent::Keys(book_of(us.clone(), "alias/orders-us")));
    let out = m.apply(1, DataEvent::Keys(book_of(eu.clone(), "alias/orders-eu")));
    let book = merged_keys(&out);
    // One id, two keys: the disabled replica never stands for the other.
    assert_eq!(
        book.key(&us.arn).map(|k| k.state.clone()),
        Some(KeyState::Enabled)
    );
    assert_eq!(
        book.key(&eu.arn).map(|k| k.state.clone()),
        Some(KeyState::Disabled)
    );
    assert_eq!(book.alias(&us.arn), Some("alias/orders-us"));
    assert_eq!(book.alias(&eu.arn), Some("alias/orders-eu"));
}

#[test]
fn keys_are_listed_once_per_target_and_a_failed_list_is_asked_again_alone() {
    use crate::cloud::KeyState;
    let mut m = two();
    let routed = m.route(WorkerCommand::LoadKeys);
    assert_eq!(
        routed,
        [(0, WorkerCommand::LoadKeys), (1, WorkerCommand::LoadKeys)]
    );
    let us = replica("us-east-1", KeyState::Enabled);
    let out = m.apply(0, DataEvent::AllKeys(book_of(us.clone(), "alias/a")));
    assert!(matches!(
        &m.targets()[0].key_list,
        KeyList::Listed(arns) if arns.contains(&us.arn)
    ));
    assert!(out.iter().any(|e| matches!(e, DataEvent::Targets(_))));
    // Not answered yet: still listing, so not asked twice.
    assert_eq!(m.targets()[1].key_list, KeyList::Listing);
    assert!(m.route(WorkerCommand::LoadKeys).is_empty());
    let out = m.apply(
        1,
        DataEvent::Failed {
            what: Fetch::AllKeys,
            error: CloudError::AccessDenied("kms:ListKeys".into()),
        },
    );
    let KeyList::Failed(why) = &m.targets()[1].key_list else {
        panic!("{:?}", m.targets()[1].key_list)
    };
    assert!(why.contains("kms:ListKeys"), "{why}");
    assert!(out.iter().any(|e| matches!(e, DataEvent::Targets(_))));
    // The picker opened again asks the one that failed, not the other.
    assert_eq!(
        m.route(WorkerCommand::LoadKeys),
        [(1, WorkerCommand::LoadKeys)]
    );
}

#[test]
fn a_picker_asks_only_its_own_target_for_keys() {
    let mut m = two();
    assert_eq!(
        m.route(WorkerCommand::LoadKeysOf("eu-west-1".into())),
        [(1, WorkerCommand::LoadKeys)]
    );
    assert_eq!(m.targets()[0].key_list, KeyList::NotAsked);
    assert_eq!(m.targets()[1].key_list, KeyList::Listing);
    assert!(m
        .route(WorkerCommand::LoadKeysOf("eu-west-1".into()))
        .is_empty());
}

#[test]
fn a_change_through_a_target_found_late_to_be_a_duplicate_is_still_said_and_it_retires() {
    let mut m = Merger::new(
        vec![
            (info("admin/eu-west-1", "eu-west-1"), true),
            (info("reader/eu-west-1", "eu-west-1"), true),
        ],
        Window::H3,
    );
    let same = || identified("111122223333");
    // reader answers first and a change is sent through it: the app
    // follows it as orders@reader/eu-west-1...
    m.apply(1, same());
    listed(&mut m, 1, &["orders"]);
    let sent = m.route(WorkerCommand::Describe("orders@reader/eu-west-1".into()));
    assert_eq!(sent, [(1, WorkerCommand::Describe("orders".into()))]);
    let following = |m: &mut Merger, active| {
        let out = m.apply(
            1,
            DataEvent::Following {
                stream: "orders".into(),
                active,
            },
        );
        let [DataEvent::Following { stream, .. }] = out.as_slice() else {
            panic!("{out:?}")
        };
        stream.clone()
    };
    assert_eq!(following(&mut m, true), "orders@reader/eu-west-1");
    assert!(m.retiring().is_empty());
    // ...then admin answers: reader is its duplicate, and retires.
    m.apply(0, same());
    listed(&mut m, 0, &["orders"]);
    assert_eq!(m.retiring(), [(1, WorkerCommand::Retire)]);
    assert!(m.retiring().is_empty(), "told once");
    // The change's end is said under the name it was followed by, so the
    // app stops following it.
    let described = m.apply(
        1,
        DataEvent::Stream {
            name: "orders".into(),
            result: Err(CloudError::Throttled("firehose".into())),
            at: Utc::now(),
        },
    );
    let [DataEvent::Stream { name, .. }] = described.as_slice() else {
        panic!("{described:?}")
    };
    assert_eq!(name, "orders@admin/eu-west-1", "the row it is now");
    assert_eq!(following(&mut m, false), "orders@reader/eu-west-1");
    let out = m.apply(
        1,
        DataEvent::ChangeReport {
            stream: "orders".into(),
            text: "orders: encrypted with alias/new".into(),
            tone: crate::model::Tone::Good,
        },
    );
    let [DataEvent::ChangeReport { text, .. }] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert!(text.starts_with("reader/eu-west-1: orders"), "{text}");
    let out = m.apply(1, DataEvent::MoveOver);
    assert!(matches!(out.as_slice(), [DataEvent::MoveOver]), "{out:?}");
    // A move sent through it can still be stopped.
    let stop = m.route(WorkerCommand::StopMove);
    assert!(stop.contains(&(1, WorkerCommand::StopMove)), "{stop:?}");
    // A dialog opened on its row before goes to the same stream of admin.
    let change = m.route(WorkerCommand::Describe("orders@reader/eu-west-1".into()));
    assert_eq!(change, [(0, WorkerCommand::Describe("orders".into()))]);
}

#[test]
fn when_no_target_can_list_the_fleet_listing_failed_so_refreshing_ends() {
    let mut m = two();
    let denied = || DataEvent::Failed {
        what: Fetch::List,
        error: CloudError::AccessDenied("firehose:ListDeliveryStreams".into()),
    };
    let failed = |out: &[DataEvent]| {
        out.iter().any(|e| {
            matches!(
                e,
                DataEvent::Failed {
                    what: Fetch::List,
                    ..
                }
            )
        })
    };
    // us-east-1 may still list: only the header hears of eu-west-1.
    assert!(!failed(&m.apply(1, denied())));
    let out = m.apply(0, denied());
    let error = out.iter().find_map(|e| match e {
        DataEvent::Failed { error, .. } => Some(error.clone()),
        _ => None,
    });
    assert_eq!(
        error,
        Some(CloudError::AccessDenied(
            "us-east-1: firehose:ListDeliveryStreams".into()
        ))
    );
    assert!(m.none_connected().is_none(), "both are connected");
}

#[test]
fn with_no_target_connected_the_dashboard_says_so_rather_than_listing() {
    let mut dead = info("us-east-1", "us-east-1");
    dead.error = Some("no credentials".into());
    let mut m = Merger::new(
        vec![(dead, false), (info("eu-west-1", "eu-west-1"), false)],
        Window::H3,
    );
    let Some(DataEvent::Failed { error, .. }) = m.none_connected() else {
        panic!("a failure expected")
    };
    let text = error.to_string();
    assert!(text.contains("us-east-1: no credentials"), "{text}");
    assert!(m.route(WorkerCommand::Refresh).is_empty());
}

#[test]
fn a_target_without_a_worker_never_says_its_keys_are_listing() {
    let mut dead = info("us-east-1", "us-east-1");
    dead.error = Some("no credentials".into());
    let mut m = Merger::new(
        vec![(dead, false), (info("eu-west-1", "eu-west-1"), true)],
        Window::H3,
    );
    assert!(m
        .route(WorkerCommand::LoadKeysOf("us-east-1".into()))
        .is_empty());
    assert_eq!(
        m.targets()[0].key_list,
        KeyList::Failed("not connected: no credentials".into())
    );
}
