//! `status` with CloudTrail off counts the ledger's calls (issue 26): three
//! Start/Stop calls of the last day leave 22, marked as the ledger's count,
//! in the table and in JSON.

use super::*;
use crate::quota::{Entry, Operation, Outcome};

const STREAM: &str = "order-events";

#[tokio::test]
async fn with_cloudtrail_off_three_ledger_calls_leave_22_marked() {
    let sim = SimCloud::new(Scenario::builtin());
    let account = sim.identity().await.unwrap().account;
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::at(dir.path().join("ledger.jsonl"));
    for (hours_ago, action) in [
        (20, Operation::Start),
        (3, Operation::Stop),
        (1, Operation::Start),
    ] {
        let entry = Entry {
            at: Utc::now() - chrono::Duration::hours(hours_ago),
            id: format!("call-{hours_ago}"),
            account: account.clone(),
            region: sim.region().to_string(),
            stream: STREAM.to_string(),
            action,
            outcome: Outcome::Accepted,
            request_id: None,
            access_key_id: None,
            error: None,
        };
        ledger.record(&entry).unwrap();
    }
    let mut config = Config::builtin();
    config.cloudtrail.enabled = false;
    let only = [STREAM.to_string()];
    let r = gather(&sim, &config, Window::H3, &only, &ledger)
        .await
        .unwrap();

    let quota = serde_json::to_value(&find(&r, STREAM).quota).unwrap();
    assert_eq!(quota["remaining"], 22, "{quota}");
    assert_eq!(quota["used_here"], 3, "{quota}");
    assert_eq!(quota["calls"].as_array().unwrap().len(), 3);
    assert_eq!(quota["source"], "ledger");
    let row = table(&r, Cells::Fit(100));
    let row = row.lines().find(|l| l.starts_with(STREAM)).unwrap();
    assert!(row.contains(" 22/25* "), "{row}");
}
