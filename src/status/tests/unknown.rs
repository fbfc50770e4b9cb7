//! A value AWS sent that firekeeper does not know reaches `status` as AWS
//! sent it: in its JSON field, `health: "unknown"`, the sentence among the
//! problems, and the unknown exit code. Never a guessed default.

use super::*;
use crate::cloud::scenario::ScenarioStream;
use crate::model::exit;

/// The demo, with three streams the simulator describes with values
/// firekeeper does not know (it passes a scenario's strings through, as the
/// SDK passes through a value it does not know).
fn strange_streams() -> SimCloud {
    let mut scenario = Scenario::builtin();
    let like = |name: &str| -> ScenarioStream {
        let mut s = scenario
            .streams
            .iter()
            .find(|s| s.name == "order-events")
            .cloned()
            .unwrap();
        s.name = name.to_string();
        s.errors.clear();
        s
    };
    let mut foo = like("status-foo");
    foo.encryption = Some("FOO".into());
    let mut iceberg = like("iceberg");
    iceberg.source = Source::parse("IcebergAsSource");
    let mut sleepy = like("sleepy");
    sleepy.status = "HIBERNATING".into();
    scenario.streams.extend([foo, iceberg, sleepy]);
    SimCloud::new(scenario)
}

#[tokio::test]
async fn unknown_values_are_shown_raw_judged_unknown_and_exit_unknown() {
    let sim = strange_streams();
    for (name, said) in [
        (
            "status-foo",
            "encryption status FOO (not known to firekeeper)",
        ),
        (
            "iceberg",
            "source IcebergAsSource (not known to firekeeper)",
        ),
        (
            "sleepy",
            "stream status HIBERNATING (not known to firekeeper)",
        ),
    ] {
        let only = vec![name.to_string()];
        let r = gather(
            &sim,
            &Config::builtin(),
            Window::H3,
            &only,
            &Ledger::in_memory(),
        )
        .await
        .unwrap();
        let s = find(&r, name);
        assert_eq!(s.health, Health::Unknown, "{name}: {:?}", s.problems);
        assert!(
            s.problems.iter().any(|p| p.contains(said)),
            "{name}: {:?}",
            s.problems
        );
        assert_eq!(r.exit_code(), exit::UNKNOWN, "{name}");
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["streams"][0]["health"], "unknown");
        let table = table(&r, Cells::Full);
        assert!(table.contains("UNKNOWN"), "{table}");
    }

    let only = vec!["status-foo".into(), "iceberg".into(), "sleepy".into()];
    let r = gather(
        &sim,
        &Config::builtin(),
        Window::H3,
        &only,
        &Ledger::in_memory(),
    )
    .await
    .unwrap();
    let json = serde_json::to_value(&r).unwrap();
    let by_name = |n: &str| {
        json["streams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by_name("status-foo")["encryption"]["status"], "FOO");
    let iceberg = by_name("iceberg");
    assert_eq!(iceberg["source"], "IcebergAsSource");
    assert_eq!(iceberg["encryption"]["managed_by"], "unknown");
    assert_eq!(by_name("sleepy")["stream_status"], "HIBERNATING");
}
