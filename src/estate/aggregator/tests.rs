use chrono::Utc;

use super::*;
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::{SimCloud, DEMO_AGGREGATOR};
use crate::model::{Encryption, EncryptionStatus, Source, Stream};

fn recorded(name: &str) -> RecordedStream {
    RecordedStream {
        stream: Stream {
            name: name.into(),
            arn: format!("arn:aws:firehose:x:1:deliverystream/{name}"),
            source: Source::DirectPut,
            status: String::new(),
            encryption: Encryption {
                status: EncryptionStatus::NotRecorded,
                ..Encryption::default()
            },
        },
        captured: Utc::now(),
    }
}

fn live(account: Option<&str>, region: &str) -> TargetInfo {
    TargetInfo {
        target: Target {
            profile: Some("prod".into()),
            account: account.map(str::to_string),
            region: Some(region.into()),
            label: region.into(),
        },
        ..TargetInfo::default()
    }
}

#[test]
fn places_with_credentials_are_read_live_and_the_others_read_only() {
    let mut places = BTreeMap::new();
    for (account, region, name) in [
        ("111111111111", "eu-west-1", "a"),
        ("111111111111", "us-east-1", "b"),
        ("222222222222", "eu-west-1", "c"),
        ("222222222222", "us-east-1", "d"),
    ] {
        places.insert(
            (account.to_string(), region.to_string()),
            vec![recorded(name)],
        );
    }
    let aggregate = Aggregate {
        name: "org".into(),
        places,
    };
    // The second live target's account is not known (STS did not answer):
    // its place cannot be matched, and is read-only.
    let targets = [
        live(Some("111111111111"), "eu-west-1"),
        live(None, "us-east-1"),
    ];
    let placed = place(&targets, aggregate);
    assert_eq!(placed.live[0].len(), 1);
    assert_eq!(placed.live[0][0].stream.name, "a");
    assert!(placed.live[1].is_empty());
    let labels: Vec<&str> = placed
        .read_only
        .iter()
        .map(|(i, _)| i.target.label.as_str())
        .collect();
    assert_eq!(
        labels,
        [
            "111111111111/us-east-1",
            "222222222222/eu-west-1",
            "222222222222/us-east-1"
        ]
    );
    let (info, streams) = &placed.read_only[1];
    assert_eq!(info.read_only.as_deref(), Some("org"));
    assert_eq!(info.target.account.as_deref(), Some("222222222222"));
    assert_eq!(streams[0].stream.name, "c");
    let why = why_read_only(info);
    assert!(
        why.contains("no credentials for account 222222222222 in eu-west-1"),
        "{why}"
    );
}

#[tokio::test]
async fn every_page_of_the_aggregator_is_read_and_a_wrong_name_is_said() {
    let sim = SimCloud::new(Scenario::builtin().scaled(250));
    let read = read(&sim, DEMO_AGGREGATOR, Duration::from_secs(5))
        .await
        .unwrap();
    let streams: usize = read.places.values().map(Vec::len).sum();
    assert_eq!(streams, 250, "three pages of 100, 100 and 50");
    assert_eq!(read.places.len(), 1);
    let err = super::read(&sim, "nope", Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}
