//! `status` in a terminal: the table fits its width by leaving columns out,
//! least important first, and the prose wraps between words, so the
//! terminal never breaks one.

use unicode_width::UnicodeWidthStr;

use super::*;
use crate::status::table::{layout, Column, Widest};
use crate::text::{escape, shown, NAME_CAP, PROSE_CAP};

async fn demo(region: &str, account: usize) -> Report {
    let sim = SimCloud::new(Scenario::builtin().in_target(region, account));
    gather(
        &sim,
        &Config::builtin(),
        Window::H3,
        &[],
        &Ledger::in_memory(),
    )
    .await
    .unwrap()
}

fn info(region: &str) -> TargetInfo {
    TargetInfo {
        target: crate::model::Target {
            region: Some(region.to_string()),
            label: region.to_string(),
            ..Default::default()
        },
        ..TargetInfo::default()
    }
}

/// Every paragraph whole: its words follow one another in the table's
/// words, which holds only if no line break fell inside a word.
fn assert_words_whole(table: &str, paragraph: &str) {
    let all: Vec<&str> = table.split_whitespace().collect();
    let want: Vec<&str> = paragraph.split_whitespace().collect();
    assert!(
        all.windows(want.len()).any(|w| w == want.as_slice()),
        "a word of this was split:\n{paragraph}\n\n{table}"
    );
}

fn header(table: &str) -> &str {
    table.lines().find(|l| l.starts_with("NAME")).unwrap()
}

#[tokio::test]
async fn at_80_columns_source_goes_and_no_line_or_word_is_broken() {
    let r = demo("us-east-1", 0).await;
    let t = table(&r, Cells::Fit(80));
    for line in t.lines() {
        assert!(line.width() <= 80, "too wide ({}): {line}", line.width());
    }
    let head = header(&t);
    for kept in ["NAME", "ENCRYPTION", "KEY", "KMS ERR", "QUOTA", "HEALTH"] {
        assert!(head.contains(kept), "{kept} kept: {head}");
    }
    assert!(!head.contains("SOURCE"), "{head}");
    assert!(t.contains("Not shown in 80 columns: SOURCE."), "{t}");
    // A name and a problem are whole, and a count with refused calls.
    assert!(t.contains("\nbilling-export "), "{t}");
    assert!(t.contains(" 3/25 (1r) WARNING"), "{t}");
    for s in &r.streams {
        for p in &s.problems {
            let line = format!(
                "{}: {}",
                escape(&shown(&s.name, NAME_CAP)),
                escape(&shown(p, PROSE_CAP))
            );
            assert_words_whole(&t, &line);
        }
    }
}

#[tokio::test]
async fn at_100_columns_and_wider_every_column_shows() {
    let r = demo("us-east-1", 0).await;
    for width in [100, 200] {
        let t = table(&r, Cells::Fit(width));
        assert!(header(&t).contains("SOURCE"), "{t}");
        assert!(!t.contains("Not shown"), "{t}");
        assert!(t.lines().all(|l| l.width() <= width), "{t}");
    }
    // Room to spare shows a key's alias whole.
    let row = |width: usize| {
        let t = table(&r, Cells::Fit(width));
        let row = t.lines().find(|l| l.starts_with("clickstream-archive "));
        row.unwrap().to_string()
    };
    assert!(!row(100).contains(" alias/retired-clickstream "));
    assert!(row(200).contains(" alias/retired-clickstream "));
}

/// Two targets at 80 columns: REGION goes before the stream's own facts,
/// and the names say their target instead.
#[tokio::test]
async fn two_targets_at_80_columns_name_their_target() {
    let (east, west) = (demo("us-east-1", 0).await, demo("eu-west-1", 1).await);
    let r = merge(
        vec![(info("us-east-1"), Ok(east)), (info("eu-west-1"), Ok(west))],
        Window::H3,
        Utc::now(),
    );
    let t = table(&r, Cells::Fit(80));
    assert!(t.lines().all(|l| l.width() <= 80), "{t}");
    let head = header(&t);
    assert!(
        !head.contains("REGION") && !head.contains("SOURCE"),
        "{head}"
    );
    assert!(head.contains("KEY") && head.contains("HEALTH"), "{head}");
    assert!(t.contains("\nsecurity-findings@eu-west-1 "), "whole: {t}");
    assert!(
        t.contains("Not shown in 80 columns: SOURCE, ACCOUNT, QUOTA, REGION."),
        "{t}"
    );
    // Wide enough, REGION is back and the names are bare.
    let wide = table(&r, Cells::Fit(140));
    assert!(header(&wide).contains("REGION"), "{wide}");
    assert!(wide.contains("\naudit-trail "), "{wide}");
}

/// The order columns give up room in, one target.
#[test]
fn columns_give_up_room_least_important_first() {
    use Column::*;
    let all = [Name, Source, Encryption, Key, KmsErrors, Quota, Health];
    let widest = Widest {
        quota: 5,
        name: 20,
        qualified: 30,
        key: 22,
    };
    let fit = |width: usize| layout(&all, false, widest, width);
    let full = fit(100);
    assert_eq!(full.widths, vec![26, 9, 16, 22, 7, 6, 8]);
    assert!(full.left_out.is_empty());
    let at_80 = fit(80);
    assert_eq!(at_80.left_out, vec![Source]);
    assert_eq!(
        at_80.widths,
        vec![20, 16, 18, 7, 6, 8],
        "NAME and KEY narrower, KEY given the room left"
    );
    let at_60 = fit(60);
    assert_eq!(at_60.left_out, vec![Source, Quota, Key]);
    assert_eq!(at_60.widths, vec![20, 16, 7, 8], "NAME takes the room left");
    let tiny = fit(30);
    assert_eq!(tiny.columns, vec![Name, Health]);
    assert_eq!(tiny.widths, vec![20, 8]);
    let tinier = fit(12);
    assert_eq!(tinier.widths, vec![8, 8], "NAME never below 8");
    // "0/25 (16r)" widens QUOTA: KEY gives the room at 100 columns.
    let refused = layout(
        &all,
        false,
        Widest {
            quota: 10,
            ..widest
        },
        100,
    );
    assert_eq!(refused.widths, vec![26, 9, 16, 18, 7, 10, 8]);
    // Wider, KEY takes room up to its widest alias; never a name's target
    // while REGION shows.
    let wide = layout(&all, true, Widest { key: 40, ..widest }, 200);
    assert_eq!(wide.widths, vec![26, 9, 16, 40, 7, 6, 8]);
    assert!(!wide.qualified);
}
