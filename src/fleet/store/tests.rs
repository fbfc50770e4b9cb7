use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::apply::News;
use super::*;
use crate::change::Request;
use crate::model::KeyId;
use crate::model::{Encryption, Identity, KeyState, KmsKey, Source, Stream};
use crate::quota::{Quota, QuotaBook};
use crate::worker::{DataEvent, Fetch, WorkerCommand};

const US: TargetId = TargetId(0);
const EU: TargetId = TargetId(1);

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
        .expect("a time")
        .to_utc()
}

fn rules() -> Rules {
    Rules {
        window: "3h",
        quota_warning_at: 5,
        unencrypted: crate::model::Severity::Warning,
        sweep_secs: 300,
        metrics_secs: 60,
    }
}

fn info(label: &str, region: &str) -> TargetInfo {
    TargetInfo {
        target: crate::model::Target {
            region: Some(region.into()),
            label: label.into(),
            ..Default::default()
        },
        ..TargetInfo::default()
    }
}

/// Two live targets, us-east-1 and eu-west-1.
fn two() -> Fleet {
    Fleet::new(
        vec![
            (info("us-east-1", "us-east-1"), true),
            (info("eu-west-1", "eu-west-1"), true),
        ],
        Window::H3,
    )
}

fn id(target: TargetId, name: &str) -> StreamId {
    StreamId::new(target, name)
}

fn listed(f: &mut Fleet, target: TargetId, list: &[&str]) -> News {
    let names = list.iter().map(ToString::to_string).collect();
    f.apply(target, DataEvent::Names(names), now())
}

fn shown(f: &Fleet) -> Vec<String> {
    f.order().iter().map(|id| f.shown(id)).collect()
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
    s.series[0] = vec![(now(), 3.0)];
    s
}

fn answer(window: Window, series: BTreeMap<String, KmsSeries>) -> DataEvent {
    DataEvent::Metrics {
        window,
        series,
        unknown: BTreeMap::new(),
        outages: HashMap::new(),
        at: now(),
        as_of: BTreeMap::new(),
    }
}

fn kms(f: &Fleet, id: &StreamId) -> Result<[f64; 4], String> {
    f.knowledge(id.target, rules(), now())
        .kms_sums(&id.name)
        .map_err(str::to_string)
}

fn error_of(f: &Fleet, target: TargetId) -> Option<String> {
    f.part(target).and_then(|p| p.info.error.clone())
}

#[test]
fn one_target_names_its_streams_by_their_own_names() {
    let mut f = Fleet::one(info("us-east-1", "us-east-1"), Window::H3);
    listed(&mut f, US, &["orders"]);
    assert_eq!(shown(&f), ["orders"]);
    let routed = f.route(WorkerCommand::Describe(id(US, "orders")));
    assert_eq!(routed, [(US, WorkerCommand::Describe(id(US, "orders")))]);
}

#[test]
fn each_target_lists_its_own_streams_and_the_same_name_stays_two_streams() {
    let mut f = two();
    listed(&mut f, US, &["orders", "clicks"]);
    listed(&mut f, EU, &["orders"]);
    assert_eq!(
        shown(&f),
        ["clicks@us-east-1", "orders@eu-west-1", "orders@us-east-1"]
    );
    // A new listing of one target replaces only its own names.
    listed(&mut f, US, &["clicks"]);
    assert_eq!(shown(&f), ["clicks@us-east-1", "orders@eu-west-1"]);
}

#[test]
fn a_described_stream_is_its_own_targets() {
    let mut f = two();
    listed(&mut f, US, &["orders"]);
    listed(&mut f, EU, &["orders"]);
    let stream = Stream {
        name: "orders".into(),
        arn: "arn:aws:firehose:eu-west-1:1:deliverystream/orders".into(),
        source: Source::DirectPut,
        status: "ACTIVE".into(),
        encryption: Encryption::default(),
    };
    let news = f.apply(
        EU,
        DataEvent::Stream {
            name: "orders".into(),
            result: Ok(stream),
            at: now(),
        },
        now(),
    );
    assert_eq!(news.described, Some(id(EU, "orders")));
    assert!(f.row(&id(EU, "orders")).unwrap().stream.is_some());
    assert!(f.row(&id(US, "orders")).unwrap().stream.is_none());
}

#[test]
fn a_target_without_metrics_has_its_streams_unknown_never_zero() {
    let mut f = two();
    listed(&mut f, US, &["orders"]);
    listed(&mut f, EU, &["orders", "clicks"]);
    let series = BTreeMap::from([("orders".to_string(), some_errors())]);
    f.apply(US, answer(Window::H3, series), now());
    assert_eq!(kms(&f, &id(US, "orders")).unwrap()[0], 3.0);
    let why = kms(&f, &id(EU, "orders")).unwrap_err();
    assert!(why.contains("not loaded yet"), "{why}");
    assert!(kms(&f, &id(EU, "clicks")).is_err());

    // eu-west-1's metrics fail: its streams say why; us-east-1's stand.
    f.apply(
        EU,
        DataEvent::Failed {
            what: Fetch::Metrics,
            error: CloudError::AccessDenied("cloudwatch:GetMetricData".into()),
        },
        now(),
    );
    assert!(kms(&f, &id(US, "orders")).is_ok());
    let why = kms(&f, &id(EU, "clicks")).unwrap_err();
    assert!(why.contains("access denied"), "{why}");
}

#[test]
fn metrics_of_an_older_window_do_not_count_for_the_new_one() {
    let mut f = two();
    listed(&mut f, US, &["orders"]);
    listed(&mut f, EU, &["orders"]);
    f.apply(US, answer(Window::H3, BTreeMap::new()), now());
    f.apply(EU, answer(Window::H3, BTreeMap::new()), now());
    f.route(WorkerCommand::Window(Window::H24));
    f.apply(US, answer(Window::H24, BTreeMap::new()), now());
    assert!(kms(&f, &id(EU, "orders")).is_err());
    assert!(kms(&f, &id(US, "orders")).is_ok());
}

#[test]
fn a_target_whose_quota_is_not_read_has_its_streams_quota_unknown() {
    let mut f = two();
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
    f.apply(US, DataEvent::Quotas(Ok(book)), now());
    let quota = |f: &Fleet, id: &StreamId| {
        f.knowledge(id.target, rules(), now())
            .quota_of(&id.name)
            .map_err(str::to_string)
    };
    assert_eq!(quota(&f, &id(US, "orders")).unwrap().remaining, 22);
    assert!(quota(&f, &id(EU, "orders")).is_err());

    f.apply(
        EU,
        DataEvent::Quotas(Err("ledger unreadable".into())),
        now(),
    );
    assert_eq!(
        quota(&f, &id(EU, "x")).unwrap_err(),
        "ledger unreadable".to_string()
    );
}

#[test]
fn a_target_that_cannot_list_says_so_in_the_header_and_holds_back_no_other() {
    let mut f = two();
    listed(&mut f, US, &["orders"]);
    let news = f.apply(
        EU,
        DataEvent::Failed {
            what: Fetch::List,
            error: CloudError::AccessDenied("firehose:ListDeliveryStreams".into()),
        },
        now(),
    );
    // Not the whole fleet's "could not list": the target's error, said once.
    assert_eq!(news.error, None);
    assert_eq!(f.list_state(), LoadingState::Loaded);
    assert!(error_of(&f, EU).unwrap().contains("access denied"));
    assert!(news.said.iter().any(|(t, _)| t.starts_with("eu-west-1: ")));
    assert!(error_of(&f, US).is_none());
    // It lists again: the error is gone, and its streams join.
    listed(&mut f, EU, &["clicks"]);
    assert!(error_of(&f, EU).is_none());
    assert_eq!(f.order().len(), 2);
}

#[test]
fn other_failures_reach_the_app_naming_their_target() {
    let mut f = two();
    let news = f.apply(
        EU,
        DataEvent::Failed {
            what: Fetch::Keys,
            error: CloudError::Throttled("kms".into()),
        },
        now(),
    );
    let error = news.error.expect("said");
    assert!(error.contains("throttling"), "{error}");
    let words =
        crate::worker::explain(Fetch::Keys, &CloudError::Throttled("eu-west-1: kms".into()));
    assert_eq!(error, words);
}

#[test]
fn commands_go_to_the_target_of_the_stream() {
    let mut f = two();
    let out = f.route(WorkerCommand::MakeChange {
        target: EU,
        request: Request::Disable {
            stream: "orders".into(),
        },
        streams_on_key: None,
        force: false,
    });
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, EU);
    let out = f.route(WorkerCommand::Interest {
        visible: vec![id(US, "a"), id(EU, "b")],
        nearby: vec![id(EU, "c")],
    });
    assert_eq!(
        out,
        [
            (
                US,
                WorkerCommand::Interest {
                    visible: vec![id(US, "a")],
                    nearby: Vec::new()
                }
            ),
            (
                EU,
                WorkerCommand::Interest {
                    visible: vec![id(EU, "b")],
                    nearby: vec![id(EU, "c")]
                }
            ),
        ]
    );
    let targets: Vec<TargetId> = f
        .route(WorkerCommand::Refresh)
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(targets, [US, EU]);
}

#[test]
fn a_key_change_goes_to_the_target_of_the_key() {
    let mut f = two();
    let key = KeyId {
        target: EU,
        arn: "arn:aws:kms:eu-west-1:111122223333:key/abcd".into(),
    };
    let out = f.route(WorkerCommand::MakeKeyChange {
        key,
        change: crate::key_rotation::KeyChange::RotateNow,
        streams: Vec::new(),
    });
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, EU);
}

#[test]
fn a_target_that_could_not_connect_gets_no_commands() {
    let mut dead = info("eu-west-1", "eu-west-1");
    dead.error = Some("no usable AWS credentials".into());
    let mut f = Fleet::new(
        vec![(info("us-east-1", "us-east-1"), true), (dead, false)],
        Window::H3,
    );
    assert_eq!(f.route(WorkerCommand::Refresh).len(), 1);
    assert!(error_of(&f, EU).is_some());
}

#[test]
fn two_profiles_of_one_account_and_region_list_its_streams_once() {
    let mut f = Fleet::new(
        vec![
            (info("admin/eu-west-1", "eu-west-1"), true),
            (info("reader/eu-west-1", "eu-west-1"), true),
        ],
        Window::H3,
    );
    let (admin, reader) = (TargetId(0), TargetId(1));
    listed(&mut f, admin, &["orders"]);
    listed(&mut f, reader, &["orders"]);
    let same = || identified("111122223333");
    f.apply(admin, same(), now());
    let news = f.apply(reader, same(), now());
    assert_eq!(shown(&f), ["orders@admin/eu-west-1"]);
    let twin = &f.part(reader).unwrap().info;
    assert_eq!(twin.twin.as_deref(), Some("admin/eu-west-1"));
    assert!(twin.error.is_none(), "not an error: nothing is unknown");
    assert_eq!(news.retire, [reader], "its worker retires");
    // Its news is not the fleet's any more.
    let news = listed(&mut f, reader, &["orders", "more"]);
    assert!(!news.changed);
    assert_eq!(f.order().len(), 1);
}

#[test]
fn an_identity_before_any_listing_is_not_an_empty_fleet() {
    let mut f = two();
    f.apply(US, identified("111122223333"), now());
    assert_eq!(f.list_state(), LoadingState::Loading, "still listing");
}

#[test]
fn when_every_target_fails_its_metrics_no_figure_is_current() {
    let mut f = two();
    listed(&mut f, US, &["orders"]);
    listed(&mut f, EU, &["clicks"]);
    let old = now() - chrono::Duration::hours(1);
    let answer_at = |at| DataEvent::Metrics {
        window: Window::H3,
        series: BTreeMap::from([("orders".to_string(), some_errors())]),
        unknown: BTreeMap::new(),
        outages: HashMap::new(),
        at,
        as_of: BTreeMap::new(),
    };
    f.apply(US, answer_at(old), old);
    f.apply(EU, answer_at(old), old);
    let fail = || DataEvent::Failed {
        what: Fetch::Metrics,
        error: CloudError::NoAnswer("cloudwatch".into()),
    };
    f.apply(US, fail(), now());
    f.apply(EU, fail(), now());
    // The last answer is older than a sweep and two fetches: never the
    // last numbers as if current.
    assert!(kms(&f, &id(US, "orders")).is_err());
    assert!(kms(&f, &id(EU, "clicks")).is_err());
}

#[test]
fn a_target_without_current_metrics_is_not_cached_as_clean() {
    let mut f = two();
    f.apply(US, identified("111122223333"), now());
    listed(&mut f, US, &["orders"]);
    assert!(f.saved(US).is_none());
    f.apply(US, answer(Window::H3, BTreeMap::new()), now());
    let (account, saved) = f.saved(US).expect("cached");
    assert_eq!(account, "111122223333");
    assert_eq!(saved.rows.len(), 1);
    assert_eq!(saved.rows[0].name, "orders", "under its own name");
}

fn replica(region: &str, state: KeyState) -> KmsKey {
    use crate::model::{KeyManager, KeySpec, KeyUsage};
    KmsKey {
        id: "mrk-1234abcd".into(),
        arn: format!("arn:aws:kms:{region}:111122223333:key/mrk-1234abcd"),
        state,
        spec: KeySpec::SymmetricDefault,
        usage: KeyUsage::EncryptDecrypt,
        manager: KeyManager::Customer,
        description: String::new(),
        deletion_date: None,
        origin: crate::model::KeyOrigin::AwsKms,
        multi_region: crate::model::MultiRegion::Single,
        rotation: None,
    }
}

fn book_of(key: KmsKey, alias: &str) -> KeyBook {
    let mut book = KeyBook::default();
    book.aliases.insert(key.id.clone(), vec![alias.into()]);
    book.keys.insert(key.id.clone(), key);
    book
}

#[test]
fn replicas_of_a_multi_region_key_keep_each_its_own_state() {
    let mut f = two();
    let us = replica("us-east-1", KeyState::Enabled);
    let eu = replica("eu-west-1", KeyState::Disabled);
    f.apply(
        US,
        DataEvent::Keys(book_of(us.clone(), "alias/orders-us")),
        now(),
    );
    f.apply(
        EU,
        DataEvent::Keys(book_of(eu.clone(), "alias/orders-eu")),
        now(),
    );
    // One id, two keys: the disabled replica never stands for the other.
    let state = |t, arn: &str| f.keys_of(t).key(arn).map(|k| k.state.clone());
    assert_eq!(state(US, &us.arn), Some(KeyState::Enabled));
    assert_eq!(state(EU, &eu.arn), Some(KeyState::Disabled));
    assert_eq!(f.keys_of(US).alias(&us.arn), Some("alias/orders-us"));
    assert_eq!(f.keys_of(EU).alias(&eu.arn), Some("alias/orders-eu"));
}

#[test]
fn keys_are_listed_once_per_target_and_a_failed_list_is_asked_again_alone() {
    let mut f = two();
    let load = |t| Some(WorkerCommand::LoadKeys(t));
    assert_eq!(f.ask_keys(US), load(US));
    assert_eq!(f.ask_keys(EU), load(EU));
    let us = replica("us-east-1", KeyState::Enabled);
    f.apply(
        US,
        DataEvent::AllKeys(book_of(us.clone(), "alias/a")),
        now(),
    );
    let part = |f: &Fleet, t| f.part(t).unwrap().all_keys_state.clone();
    assert_eq!(part(&f, US), LoadingState::Loaded);
    // Not answered yet: still listing, so not asked twice.
    assert_eq!(part(&f, EU), LoadingState::Loading);
    assert_eq!(f.ask_keys(EU), None);
    assert_eq!(f.ask_keys(US), None, "listed: not asked again");
    f.apply(
        EU,
        DataEvent::Failed {
            what: Fetch::AllKeys,
            error: CloudError::AccessDenied("kms:ListKeys".into()),
        },
        now(),
    );
    let LoadingState::Error(why) = part(&f, EU) else {
        panic!("{:?}", part(&f, EU))
    };
    assert!(why.contains("kms:ListKeys"), "{why}");
    // The picker opened again asks the one that failed, its own worker.
    assert_eq!(f.ask_keys(EU), load(EU));
    assert_eq!(
        f.route(WorkerCommand::LoadKeys(EU)),
        [(EU, WorkerCommand::LoadKeys(EU))]
    );
}

#[test]
fn a_change_through_a_target_found_late_to_be_a_twin_still_goes_on() {
    let mut f = Fleet::new(
        vec![
            (info("admin/eu-west-1", "eu-west-1"), true),
            (info("reader/eu-west-1", "eu-west-1"), true),
        ],
        Window::H3,
    );
    let (admin, reader) = (TargetId(0), TargetId(1));
    let same = || identified("111122223333");
    // reader answers first and a change is sent through it...
    f.apply(reader, same(), now());
    listed(&mut f, reader, &["orders"]);
    let sent = f.route(WorkerCommand::Describe(id(reader, "orders")));
    assert_eq!(
        sent,
        [(reader, WorkerCommand::Describe(id(reader, "orders")))]
    );
    // ...then admin answers: reader is its twin, and retires.
    let news = f.apply(admin, same(), now());
    assert_eq!(news.retire, [reader]);
    listed(&mut f, admin, &["orders"]);
    assert!(f.apply(admin, same(), now()).retire.is_empty(), "told once");
    // What the twin describes is the same stream of admin, where its row is.
    let news = f.apply(
        reader,
        DataEvent::Stream {
            name: "orders".into(),
            result: Err(CloudError::Throttled("firehose".into())),
            at: now(),
        },
        now(),
    );
    assert_eq!(
        news.described,
        Some(id(admin, "orders")),
        "the row it is now"
    );
    // A move sent through it can still be stopped.
    let stop = f.route(WorkerCommand::StopMove);
    assert!(
        stop.contains(&(reader, WorkerCommand::StopMove)),
        "{stop:?}"
    );
    // A dialog opened on its row before goes to the same stream of admin.
    let change = f.route(WorkerCommand::Describe(id(reader, "orders")));
    assert_eq!(
        change,
        [(admin, WorkerCommand::Describe(id(admin, "orders")))]
    );
}

#[test]
fn when_no_target_can_list_the_fleet_listing_failed_so_refreshing_ends() {
    let mut f = two();
    let denied = || DataEvent::Failed {
        what: Fetch::List,
        error: CloudError::AccessDenied("firehose:ListDeliveryStreams".into()),
    };
    f.refreshing();
    // us-east-1 may still list: only the header hears of eu-west-1.
    assert!(f.apply(EU, denied(), now()).error.is_none());
    assert_eq!(f.list_state(), LoadingState::Loading);
    let error = f
        .apply(US, denied(), now())
        .error
        .expect("the fleet failed");
    assert!(
        error.contains("us-east-1: firehose:ListDeliveryStreams"),
        "{error}"
    );
    assert!(matches!(f.list_state(), LoadingState::Error(_)));
    assert!(f.none_connected().is_none(), "both are connected");
}

#[test]
fn with_no_target_connected_the_dashboard_says_so_rather_than_listing() {
    let mut dead = info("us-east-1", "us-east-1");
    dead.error = Some("no credentials".into());
    let mut f = Fleet::new(
        vec![(dead, false), (info("eu-west-1", "eu-west-1"), false)],
        Window::H3,
    );
    let text = f.none_connected().expect("a failure").to_string();
    assert!(text.contains("us-east-1: no credentials"), "{text}");
    assert!(matches!(f.list_state(), LoadingState::Error(_)));
    assert!(f.route(WorkerCommand::Refresh).is_empty());
}

#[test]
fn a_target_without_a_worker_never_says_its_keys_are_listing() {
    let mut dead = info("us-east-1", "us-east-1");
    dead.error = Some("no credentials".into());
    let mut f = Fleet::new(
        vec![(dead, false), (info("eu-west-1", "eu-west-1"), true)],
        Window::H3,
    );
    assert_eq!(f.ask_keys(US), None);
    assert_eq!(
        f.part(US).unwrap().all_keys_state,
        LoadingState::Error("not connected: no credentials".into())
    );
}

mod any_order {
    //! Each target's facts arrive in their own order, interleaved with the
    //! others' as the channel happens to deliver them: the fleet made of
    //! them must not depend on that order.
    use super::*;
    use proptest::prelude::*;

    /// Target `t`'s news, in its worker's order.
    fn news_of(t: u16, streams: usize) -> Vec<DataEvent> {
        let names: Vec<String> = (0..streams).map(|i| format!("s{i}")).collect();
        let series = names
            .iter()
            .step_by(2)
            .map(|n| (n.clone(), some_errors()))
            .collect();
        vec![
            DataEvent::Identity(Identity {
                account: format!("11112222333{t}"),
                arn: "arn".into(),
            }),
            DataEvent::Names(names.clone()),
            answer(Window::H3, series),
            DataEvent::Quotas(Ok(QuotaBook::default())),
        ]
    }

    /// What the fleet knows, as plain values.
    fn picture(f: &Fleet) -> Vec<(String, Option<[f64; 4]>, Option<u32>)> {
        f.order()
            .iter()
            .map(|id| {
                let k = f.knowledge(id.target, rules(), now());
                let quota = k.quota_of(&id.name).ok().map(|q| q.remaining);
                (f.shown(id), k.kms_sums(&id.name).ok(), quota)
            })
            .collect()
    }

    fn fleet_of(n: u16) -> Fleet {
        let infos = (0..n)
            .map(|t| {
                let region = format!("region-{t}");
                (info(&region, &region), true)
            })
            .collect();
        Fleet::new(infos, Window::H3)
    }

    proptest! {
        #[test]
        fn merging_targets_facts_in_any_order_gives_the_same_fleet(
            sizes in proptest::collection::vec(0usize..6, 1..5),
            seed in any::<u64>(),
        ) {
            let n = u16::try_from(sizes.len()).unwrap();
            let mut queues: Vec<(TargetId, std::collections::VecDeque<DataEvent>)> = sizes
                .iter()
                .enumerate()
                .map(|(t, &s)| {
                    let t = u16::try_from(t).unwrap();
                    (TargetId(t), news_of(t, s).into())
                })
                .collect();
            let mut in_order = fleet_of(n);
            for (t, q) in &queues {
                for ev in q.clone() {
                    in_order.apply(*t, ev, now());
                }
            }
            // Interleave the targets' queues by the seed, each kept in
            // its own order (one worker's events never overtake).
            let mut shuffled = fleet_of(n);
            let mut state = seed | 1;
            while queues.iter().any(|(_, q)| !q.is_empty()) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let open: Vec<usize> = (0..queues.len()).filter(|&i| !queues[i].1.is_empty()).collect();
                let i = open[usize::try_from(state % open.len() as u64).unwrap()];
                let (t, q) = &mut queues[i];
                let ev = q.pop_front().unwrap();
                shuffled.apply(*t, ev, now());
            }
            prop_assert_eq!(picture(&in_order), picture(&shuffled));
            prop_assert_eq!(in_order.tally(), shuffled.tally());
        }
    }
}
