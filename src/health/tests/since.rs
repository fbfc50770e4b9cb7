//! Since when a stream has had KMS errors in the window, and a deletion
//! date's tense.

use super::*;

fn noon() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
        .unwrap()
        .to_utc()
}

#[test]
fn errors_since_is_the_first_erring_bucket_in_the_window_gaps_and_all() {
    let now = noon();
    let at = |m: i64| now - Duration::minutes(m);
    let mut series = KmsSeries::default();
    // Errors 150 to 140 minutes ago, a gap, then again from 30 minutes ago.
    series.series[0] = (140..=150).map(|m| (at(m), 1.0)).collect();
    series.series[2] = (1..=30).map(|m| (at(m), 3.0)).collect();
    series.series[3] = vec![(at(100), 0.0)];
    let o = errors_since(&series, at(180), now, 60).unwrap();
    assert_eq!(
        o.since,
        at(150),
        "the first bucket with errors, not the current run"
    );
    assert_eq!(o.last, at(1));
    assert!(o.ongoing && !o.older);
    assert!(errors_since(&series, at(150), now, 60).unwrap().older);

    let stopped = errors_since(&series, at(180), now + Duration::hours(1), 60).unwrap();
    assert!(
        !stopped.ongoing,
        "an hour without errors is not still failing"
    );
    assert!(errors_since(&KmsSeries::default(), at(180), now, 60).is_none());
}

#[test]
fn a_deletion_date_to_come_says_deletes_and_a_past_one_deleted() {
    let now = noon();
    assert_eq!(
        deletion(now + Duration::days(6), now),
        "deletes 2026-11-27 12:00 UTC"
    );
    assert_eq!(
        deletion(now - Duration::hours(1), now),
        "deleted 2026-11-21 11:00 UTC"
    );
}
