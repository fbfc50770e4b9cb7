//! The help screen says what the dashboard has asked of CloudWatch and what
//! that would cost a day, labelled as an estimate.

use super::screen;
use crate::app::testing::demo_app;
use crate::keymap::UserAction;
use crate::model::CloudWatchUsage;
use crate::worker::DataEvent;

#[test]
fn help_shows_the_running_count_and_the_cost_a_day_at_the_public_price() {
    let mut app = demo_app(80, 24);
    let since = app.now - chrono::Duration::hours(1);
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::CloudWatch(CloudWatchUsage {
            metrics_requested: 6_000,
            list_metrics_calls: 48,
            since,
        }),
    );
    app.update(UserAction::Help);
    let text = screen(&app);
    assert!(
        text.contains("CloudWatch: 6,000 metrics requested, 48 ListMetrics calls"),
        "{text}"
    );
    // 6,000 an hour is 144,000 a day.
    assert!(
        text.contains("≈ $1.44/day at $0.01 per 1,000 metrics (estimate)"),
        "{text}"
    );
    // Scrolled to the end, the figures stay under the keys.
    app.update(UserAction::Bottom);
    assert!(screen(&app).contains("(estimate)"));
}
