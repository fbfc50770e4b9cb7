//! With CloudTrail off the quota is the ledger's count, never a full 25
//! (issue 26): a stream with 3 Start/Stop calls in this machine's ledger
//! shows 22 left, marked as counted by the ledger alone, from the worker's
//! book to the table's QUOTA column.

use chrono::Utc;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use tokio::time::Duration;

use super::super::{DataEvent, Settings};
use super::paused::{start_reading, Scripted};
use crate::app::{App, DashboardContext, SortKey};
use crate::cloud::scenario::Scenario;
use crate::cloud::Cloud;
use crate::config::Config;
use crate::model::{TargetId, Window};
use crate::quota::{Entry, Ledger, Operation, Outcome, QuotaBook, QuotaSource};
use crate::trail::Trail;

const STREAM: &str = "order-events";

/// A ledger holding three calls on `STREAM` in the last 24 hours, made by
/// this machine in the demo's account and region.
fn ledger_with_three_calls(cloud: &dyn Cloud, account: &str) -> Ledger {
    let ledger = Ledger::in_memory();
    let calls = [
        (20, Operation::Stop),
        (19, Operation::Start),
        (2, Operation::Stop),
    ];
    for (hours_ago, action) in calls {
        let at = Utc::now() - chrono::Duration::hours(hours_ago);
        ledger
            .record(&Entry {
                at,
                id: format!("call-{hours_ago}"),
                account: account.to_string(),
                region: cloud.region().to_string(),
                stream: STREAM.to_string(),
                action,
                outcome: Outcome::Accepted,
                request_id: Some(format!("req-{hours_ago}")),
                access_key_id: None,
                error: None,
            })
            .unwrap();
    }
    ledger
}

#[tokio::test(start_paused = true)]
async fn with_cloudtrail_off_three_ledger_calls_leave_22_marked_never_25() {
    let cloud = Scripted::of(Scenario::builtin());
    let account = cloud.sim.identity().await.unwrap().account;
    let ledger = ledger_with_three_calls(&cloud.sim, &account);
    // `[cloudtrail] enabled = false`, as the dashboard reads it from the config.
    let mut config = Config::builtin();
    config.cloudtrail.enabled = false;
    let trail = Trail::from_config(&config);
    let mut w = start_reading(cloud, Settings::from_config(&config), ledger, trail);
    let events = w.during(Duration::from_secs(15)).await;

    let books: Vec<&QuotaBook> = events
        .iter()
        .filter_map(|e| match e {
            DataEvent::Quotas(Ok(book)) => Some(book),
            _ => None,
        })
        .collect();
    assert!(!books.is_empty(), "the quota is read with CloudTrail off");
    for book in &books {
        assert_eq!(book.quota(STREAM).remaining, 22, "{book:?}");
        assert_eq!(book.calls(STREAM).len(), 3);
        let QuotaSource::Ledger(why) = &book.source else {
            panic!("counted by the ledger alone: {:?}", book.source);
        };
        assert_eq!(why, "CloudTrail is off ([cloudtrail] enabled = false)");
    }

    let context = DashboardContext {
        region: "us-east-1".into(),
        ..DashboardContext::default()
    };
    let mut app = App::new(context, &Config::builtin(), Window::H3, Utc::now());
    app.table.sort = SortKey::Name;
    app.resize(160, 60, crate::ui::table_viewport(60));
    for event in events {
        app.apply(TargetId::FIRST, event);
    }
    let mut terminal = Terminal::new(TestBackend::new(160, 60)).unwrap();
    terminal.draw(|f| crate::ui::render(f, &app)).unwrap();
    let screen = terminal.backend().to_string();
    let row = screen
        .lines()
        .find(|l| l.contains(STREAM))
        .unwrap_or_else(|| panic!("{STREAM} on screen: {screen}"));
    assert!(row.contains("22/25*"), "{row}");
    assert!(
        !screen.contains("25/25 "),
        "no unmarked full count: {screen}"
    );
}
