//! The detail view as on call reads it: every sentence whole at 80x24, the
//! chart in the rows left, since when the errors run, and four series that
//! stay apart without colour.

use chrono::Duration;
use insta::assert_snapshot;

use super::{joined, open, screen};
use crate::app::testing::{demo_app, demo_app_with, fixed_now};
use crate::app::App;
use crate::config::{Config, Markers};

const SIZES: [(u16, u16); 3] = [(80, 24), (120, 40), (200, 60)];

#[test]
fn a_failed_change_quotes_its_failure_in_full_at_every_size() {
    for (w, h) in SIZES {
        let mut app = demo_app(w, h);
        open(&mut app, "inventory-updates");
        let text = joined(&app);
        assert!(
            text.contains(
                "Enabling or changing encryption failed (DISABLED_KMS_KEY): KMS key \
                 arn:aws:kms:us-east-1:123456789012:key/6e5f2b70-9062-4d34-8f81-a2b3c4d5e6f7 \
                 is disabled. Enable the key or choose another. AWS did not say whether the \
                 old key is still in use: a stream that was encrypted before the failed change \
                 keeps its old key (Firehose API reference), one that was not stays unencrypted."
            ),
            "{w}x{h}: {text}"
        );
        assert!(
            text.contains("1f0e7c2a-4b1d-4e8f-9a3c-5d6e7f809a1b"),
            "the stream's key ARN, whole"
        );
        assert!(
            text.contains("25/25 left, 0 used in 24 h"),
            "{w}x{h}: {text}"
        );
        assert!(
            text.contains("KMS errors, last 3h: none up to 12:00 UTC — CloudWatch answered"),
            "no errors: one line: {text}"
        );
        assert_snapshot!(format!("inventory_updates_{w}x{h}"), screen(&app));
    }
}

#[test]
fn kms_errors_say_since_when_and_when_data_is_lost_at_every_size() {
    for (w, h) in SIZES {
        let mut app = demo_app(w, h);
        open(&mut app, "billing-export");
        let text = joined(&app);
        for whole in [
            "KMS refused Firehose 364 times in the last 3h (KMSKeyDisabled 364).",
            "Firehose may start discarding undecryptable records from about 2026-11-22 11:00 UTC (in 23h 00m).",
            "alias/legacy-billing was disabled by dana.whitfield at 11:00 UTC (CloudTrail).",
            "Key alias/legacy-billing is Disabled: Firehose cannot use it, and producers' PutRecord and PutRecordBatch calls are refused (InvalidKMSResourceException).",
            "KMS errors, last 3h: since between 11:00 and 11:01 UTC, still failing",
            "Errors since between 2026-11-21 11:00 and 11:01 UTC (up to 1h 00m ago);",
            "25/25 left, 0 used in 24 h",
            "6e5f2b70-9062-4d34-8f81-a2b3c4d5e6f7",
        ] {
            assert!(text.contains(whole), "{w}x{h} lacks {whole:?}: {text}");
        }
        assert!(
            text.contains("errors per 1 min"),
            "the y-axis' unit: {text}"
        );
        assert_snapshot!(format!("billing_export_{w}x{h}"), screen(&app));
    }
}

/// billing-export with errors in all four series, each a different height.
fn four_series(app: &mut App) {
    let series = app
        .fleet
        .metrics_mut(crate::model::TargetId::FIRST)
        .unwrap()
        .series
        .get_mut("billing-export")
        .unwrap();
    let disabled = series.series[1].clone();
    for (i, scale) in [(0, 3.0), (2, 0.4), (3, 2.0)] {
        series.series[i] = disabled.iter().map(|(t, v)| (*t, v * scale)).collect();
    }
}

#[test]
fn without_colour_braille_draws_four_shapes_its_legend_names() {
    let mut config = Config::builtin();
    config.ui.color = false;
    config.ui.markers = Markers::Braille;
    for (w, h) in [(80, 24), (120, 40), (200, 60)] {
        let mut app = demo_app_with(&config, w, h);
        four_series(&mut app);
        open(&mut app, "billing-export");
        let text = screen(&app);
        // The legend is the line under the chart's heading.
        let legend = text
            .lines()
            .skip_while(|l| !l.contains("KMS errors, last 3h: since"))
            .nth(1)
            .unwrap_or_else(|| panic!("no legend at {w}x{h}:\n{text}"));
        let marks: Vec<char> = ["AccessDenied", "Disabled", "InvalidState", "NotFound"]
            .iter()
            .map(|name| {
                let at = legend
                    .find(&format!(" KMSKey{name}"))
                    .or_else(|| legend.find(&format!(" {name}")))
                    .unwrap_or_else(|| panic!("{name} in the legend at {w}x{h}: {legend}"));
                legend[..at].chars().last().unwrap()
            })
            .collect();
        let mut unique = marks.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(
            unique.len(),
            4,
            "four different markers at {w}x{h}: {legend}"
        );
        let plot: String = text.lines().skip_while(|l| *l != legend).skip(1).collect();
        // At 80x24 the rows left hold one sparkline: it must carry its
        // series' shape. Taller, every series is plotted in its own.
        let drawn = marks.iter().filter(|m| plot.contains(**m)).count();
        let want = if h >= 40 { 4 } else { 1 };
        assert!(
            drawn >= want,
            "{drawn} shapes in the plot at {w}x{h}:\n{text}"
        );
        assert!(
            !text.chars().any(|c| ('\u{2801}'..='\u{28FF}').contains(&c)),
            "Braille dots cannot tell series apart without colour"
        );
        if (w, h) == (120, 40) {
            // The name the snapshot had before the other sizes joined it.
            assert_snapshot!(text);
        } else {
            assert_snapshot!(format!("without_colour_braille_{w}x{h}"), text);
        }
    }
}

#[test]
fn the_bucket_still_filling_is_left_out_and_the_axis_says_where_data_ends() {
    let mut app = demo_app(120, 40);
    let series = app
        .fleet
        .metrics_mut(crate::model::TargetId::FIRST)
        .unwrap()
        .series
        .get_mut("billing-export")
        .unwrap();
    // The bucket that began at "now" has counted nothing but a burst yet.
    series.series[1].retain(|(t, _)| *t < fixed_now());
    series.series[1].push((fixed_now(), 999.0));
    series.series[1].push((fixed_now() - Duration::minutes(1), 5.0));
    open(&mut app, "billing-export");
    let text = screen(&app);
    assert!(text.contains("to 12:00 UTC"), "{text}");
    let axis: Vec<&str> = text.lines().filter(|l| l.contains(" │")).collect();
    assert!(
        !axis
            .iter()
            .any(|l| l.trim_start_matches('"').starts_with("999")),
        "the partial bucket sets no scale: {text}"
    );
}

#[test]
fn a_key_pending_deletion_says_when_it_deletes_in_the_future_tense() {
    let mut app = demo_app(80, 24);
    open(&mut app, "clickstream-archive");
    let text = joined(&app);
    assert!(text.contains("deletes   2026-11-27 06:00 UTC"), "{text}");
    assert!(
        text.contains("is pending deletion (deletes 2026-11-27 06:00 UTC)"),
        "{text}"
    );
    assert!(!text.contains("deleted 2026"), "{text}");
}

#[test]
fn unknown_metrics_say_unknown_never_none() {
    let mut app = demo_app(80, 24);
    app.fleet
        .metrics_mut(crate::model::TargetId::FIRST)
        .unwrap()
        .unknown
        .insert(
            "inventory-updates".into(),
            "GetMetricData was throttled".into(),
        );
    open(&mut app, "inventory-updates");
    let text = joined(&app);
    assert!(
        text.contains(
            "KMS errors, last 3h: unknown — metrics not loaded: GetMetricData was throttled"
        ),
        "{text}"
    );
    assert!(!text.contains("none —"), "{text}");
}

#[test]
fn the_calls_list_scrolls_and_keeps_the_call_that_sets_the_next_slot() {
    for (w, h) in SIZES {
        let mut app = demo_app(w, h);
        open(&mut app, "shipping-updates");
        let shown = app.screen.view.clone();
        app.update(crate::keymap::UserAction::PageDown);
        assert_eq!(app.screen.view, shown, "{w}x{h}: the same stream");
        let text = joined(&app);
        assert!(text.contains("newer (PageUp)"), "{w}x{h}: {text}");
        assert!(
            text.contains("2026-11-20 13:00 UTC  terraform      Start alias/orders-events"),
            "{w}x{h}: the oldest call, which sets the next slot: {text}"
        );
        assert_snapshot!(format!("calls_scrolled_{w}x{h}"), screen(&app));
        app.update(crate::keymap::UserAction::PageUp);
        assert!(!joined(&app).contains("newer (PageUp)"), "{w}x{h}");
    }
}
