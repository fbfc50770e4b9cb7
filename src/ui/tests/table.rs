//! The stream table under each sort, at 80x24, 120x40 and 200x60, and its
//! quick answers. Every snapshot here was read before it was accepted.

use insta::assert_snapshot;

use super::screen;
use crate::app::testing::demo_app;
use crate::app::SortKey;
use crate::keymap::UserAction;

const SORTS: [(SortKey, &str); 5] = [
    (SortKey::Problems, "problems"),
    (SortKey::Name, "name"),
    (SortKey::Status, "status"),
    (SortKey::KmsErrors, "kms_errors"),
    (SortKey::QuotaLeft, "quota_left"),
];

#[test]
fn every_sort_at_every_size_marks_its_column() {
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        for (sort, name) in SORTS {
            let mut app = demo_app(w, h);
            app.table.sort = sort;
            app.refresh_view();
            // As at launch: the cursor on the first row.
            app.update(UserAction::Top);
            let text = screen(&app);
            let title = text.lines().nth(2).unwrap_or_default();
            assert_eq!(
                title.matches('↓').count() + title.matches('↑').count(),
                1,
                "{title}"
            );
            assert!(!text.contains("alias/orders-ev…"), "{text}");
            assert_snapshot!(format!("table_{name}_{w}x{h}"), text);
        }
    }
}

#[test]
fn wide_tables_say_since_when_each_stream_has_kms_errors() {
    let mut app = demo_app(120, 40);
    app.table.sort = SortKey::Problems;
    app.refresh_view();
    let text = screen(&app);
    assert!(text.contains("ERRORS SINCE"), "{text}");
    // Its key was retired more than a day ago: the run began before the
    // 24 h looked at, on another day, so the cell says "before" the end of
    // that first 5-minute bucket, and the date.
    let first = text.lines().nth(3).unwrap_or_default();
    assert!(
        first.contains("clickstream-archive") && first.contains("<11-20 12:10"),
        "{first}"
    );
    // Today's first erring bucket, as a bucket: the errors began within it.
    let marketing = text.lines().find(|l| l.contains("marketing-events"));
    assert!(
        marketing.is_some_and(|l| l.contains(" 09:30-09:31 ")),
        "{text}"
    );
}

#[test]
fn e_lists_the_streams_with_kms_errors_and_the_status_line_says_so() {
    let mut app = demo_app(120, 40);
    app.table.sort = SortKey::Problems;
    app.update(UserAction::OnlyKmsErrors);
    let text = screen(&app);
    assert!(text.contains("filter:KMS errors only (5 shown)"), "{text}");
    assert_snapshot!(text);
}

#[test]
fn u_lists_the_unencrypted_direct_put_streams_and_the_status_line_says_so() {
    let mut app = demo_app(80, 24);
    app.update(UserAction::OnlyUnencrypted);
    let text = screen(&app);
    assert!(
        text.contains("filter:unencrypted DirectPut only ("),
        "{text}"
    );
    assert_snapshot!(text);
}

/// A steady error rate draws a flat TREND at every width: each cell spans
/// the same number of minutes (at 200 columns, cells of 2 and 3 minutes
/// read as `▇▅▇▅`).
#[test]
fn trend_cells_span_the_same_minutes_at_every_width() {
    use crate::inventory::metric_range;
    use crate::model::{KmsSeries, Window};
    use crate::ui::theme::Theme;
    let now = crate::app::testing::fixed_now();
    let range = metric_range(Window::H3, now);
    let mut series = KmsSeries::default();
    let mut t = range.start;
    while t < range.end {
        series.series[1].push((t, 5.0));
        t += chrono::Duration::seconds(i64::from(range.period_secs));
    }
    let theme = Theme::new(true, crate::config::Markers::Braille);
    for width in [10, 37, 70, 79, 100, 179, 180] {
        let spark = super::super::chart::sparkline(&series, range, width, &theme);
        assert_eq!(spark.chars().count(), width, "{width}: {spark:?}");
        let drawn: std::collections::BTreeSet<char> = spark.chars().filter(|c| *c != ' ').collect();
        assert_eq!(drawn.len(), 1, "{width}: {spark:?}");
        assert!(spark.ends_with('█'), "{width}: {spark:?}");
    }
}
