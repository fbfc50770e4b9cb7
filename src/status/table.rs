//! The report as a table for people: one target as it always was; several
//! with a REGION column (and ACCOUNT when they span accounts), and a line
//! for each target that could not be read.

use unicode_width::UnicodeWidthStr;

use super::{ManagedBy, Report, StreamReport};
use crate::health::Health;
use crate::quota::QuotaSource;
use crate::text::{escape, shown, NAME_CAP, PROSE_CAP};

/// How the table meets a value longer than its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cells {
    /// Fit 100 columns (one target; several add their REGION and ACCOUNT
    /// columns to that), for a person at a terminal: long values are cut
    /// with `…`, key aliases in the middle (`alias/orders…-2026`).
    Fit,
    /// Every value in full, columns as wide as their widest value: for a
    /// pipe, where `grep` and `awk` must find the whole name.
    Full,
}

/// The report as an aligned table, problems beneath. Names, labels and AWS's
/// words are data: any control character in them is written as an escape
/// (`\u{1b}`), so the table cannot drive the terminal.
pub fn table(report: &Report, cells: Cells) -> String {
    let many = report.targets.len() > 1;
    let mut out = heading(report);
    let columns = columns(report);
    let mut lines = vec![columns.iter().map(|c| c.title().to_string()).collect()];
    lines.extend(report.streams.iter().map(|s| {
        columns
            .iter()
            .map(|c| escape(&shown(&c.cell(s, cells), NAME_CAP)).into_owned())
            .collect::<Vec<String>>()
    }));
    let widths: Vec<usize> = match cells {
        Cells::Fit => fit_widths(&columns, &lines),
        Cells::Full => (0..columns.len())
            .map(|i| lines.iter().map(|l| l[i].width()).max().unwrap_or(0))
            .collect(),
    };
    for line in &lines {
        out.push_str(&table_line(&columns, line, &widths));
    }
    if let Some(why) = report.quota_source.as_ref().and_then(QuotaSource::reason) {
        let marked = report
            .streams
            .iter()
            .any(|s| s.quota.as_ref().is_some_and(|q| q.source_reason.is_some()));
        if marked {
            let note = format!("* QUOTA counts only this machine's ledger: {why}.");
            out.push_str(&wrap(&escape(&note), 100, "  "));
        }
    }
    if report
        .streams
        .iter()
        .any(|s| s.quota.as_ref().is_some_and(|q| q.refused.count > 0))
    {
        let note = "QUOTA (Nr), (N refused): N of the calls counted are calls AWS refused. AWS does not document whether refused calls count against the 25 a day: QUOTA counts them (the safe reading); `rotate`/`disable --force` sends anyway, and AWS's answer settles it.";
        out.push_str(&wrap(note, 100, "  "));
    }
    let with_problems: Vec<_> = report
        .streams
        .iter()
        .filter(|s| !s.problems.is_empty())
        .collect();
    if !with_problems.is_empty() {
        out.push_str("\nProblems\n");
        for s in with_problems {
            let name = if many {
                crate::model::shown_name(&s.name, Some(&s.target))
            } else {
                s.name.clone()
            };
            for p in &s.problems {
                let line = format!(
                    "{}: {}",
                    escape(&shown(&name, NAME_CAP)),
                    escape(&shown(p, PROSE_CAP))
                );
                out.push_str(&wrap(&line, 100, "    "));
            }
        }
    }
    for e in &report.errors {
        out.push_str(&wrap(&format!("error: {}", escape(e)), 100, "    "));
    }
    out.push_str(&summary(report));
    // Whatever a future line forgets to escape is escaped here.
    crate::text::for_terminal(&out).into_owned()
}

/// The widths that fit 100 columns. A count with refused calls beside it
/// ("0/25 (16r)") is never cut: QUOTA widens for it and KEY, whose aliases
/// are cut in the middle anyway, gives up the room.
fn fit_widths(columns: &[Column], lines: &[Vec<String>]) -> Vec<usize> {
    let at = |want: Column| columns.iter().position(|c| *c == want);
    let mut widths: Vec<usize> = columns.iter().map(|c| c.width()).collect();
    if let (Some(q), Some(k)) = (at(Column::Quota), at(Column::Key)) {
        let widest = lines.iter().map(|l| l[q].width()).max().unwrap_or(0);
        let extra = widest.saturating_sub(widths[q]);
        widths[q] += extra;
        widths[k] = widths[k].saturating_sub(extra).max(12);
    }
    widths
}

/// Where and when: the one account and region, or every target's, and
/// a line for each target that could not be read.
fn heading(report: &Report) -> String {
    let when = format!("window {}  at {}", report.window, report.generated_at);
    if report.targets.len() <= 1 {
        return format!(
            "account {}  region {}  {when}\n\n",
            escape(report.account.as_deref().unwrap_or("unknown")),
            escape(report.region.as_deref().unwrap_or("unknown")),
        );
    }
    let accounts = distinct(
        report
            .targets
            .iter()
            .filter_map(|t| t.target.account.as_deref()),
    );
    let regions = distinct(
        report
            .targets
            .iter()
            .filter_map(|t| t.target.region.as_deref()),
    );
    let mut out = format!(
        "{}  {}  {when}\n",
        listed("account", &accounts),
        listed("region", &regions)
    );
    for t in report.targets.iter().filter(|t| t.error.is_some()) {
        let line = format!(
            "{}: not read: {}",
            escape(&t.target.label),
            escape(t.error.as_deref().unwrap_or_default())
        );
        out.push_str(&wrap(&line, 100, "    "));
    }
    for t in &report.targets {
        if let Some(first) = &t.twin {
            let line = format!(
                "{}: the same account and region as {}: its streams are listed there",
                escape(&t.target.label),
                escape(first)
            );
            out.push_str(&wrap(&line, 100, "    "));
        }
    }
    out + "\n"
}

/// Each value once, in the order first seen.
fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// "account 1234", "accounts 1234, 5678", "account unknown".
fn listed(what: &str, values: &[&str]) -> String {
    match values {
        [] => format!("{what} unknown"),
        [one] => format!("{what} {}", escape(one)),
        many => format!(
            "{what}s {}",
            many.iter()
                .map(|v| escape(v).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The closing counts, and how many targets could not be read.
fn summary(report: &Report) -> String {
    let count = |h: Health| report.streams.iter().filter(|s| s.health == h).count();
    let mut out = format!(
        "\n{}: {} ok, {} warning, {} unknown, {} critical\n",
        plural(report.streams.len(), "stream"),
        count(Health::Ok),
        count(Health::Warning),
        count(Health::Unknown),
        count(Health::Critical)
    );
    let failed = report.targets.iter().filter(|t| t.error.is_some()).count();
    if report.targets.len() > 1 && failed > 0 {
        out.push_str(&format!(
            "{failed} of {} targets could not be read\n",
            report.targets.len()
        ));
    }
    out
}

/// A column of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Name,
    Region,
    Account,
    Source,
    Encryption,
    Key,
    KmsErrors,
    Quota,
    Health,
}

/// The columns for this report: REGION only with several targets, ACCOUNT
/// only when their streams span accounts.
fn columns(report: &Report) -> Vec<Column> {
    use Column::*;
    let mut out = vec![Name];
    if report.targets.len() > 1 {
        out.push(Region);
        let accounts = distinct(report.streams.iter().filter_map(|s| s.account.as_deref()));
        if accounts.len() > 1 {
            out.push(Account);
        }
    }
    out.extend([Source, Encryption, Key, KmsErrors, Quota, Health]);
    out
}

impl Column {
    fn title(self) -> &'static str {
        match self {
            Column::Name => "NAME",
            Column::Region => "REGION",
            Column::Account => "ACCOUNT",
            Column::Source => "SOURCE",
            Column::Encryption => "ENCRYPTION",
            Column::Key => "KEY",
            Column::KmsErrors => "KMS ERR",
            Column::Quota => "QUOTA",
            Column::Health => "HEALTH",
        }
    }

    /// Its width when the table fits a terminal. QUOTA is 6 wide: "21/25*"
    /// when CloudTrail was not read; REGION fits every region's name.
    fn width(self) -> usize {
        match self {
            Column::Name => 26,
            Column::Region => 14,
            Column::Account => 12,
            Column::Source => 9,
            Column::Encryption => 16,
            Column::Key => 22,
            Column::KmsErrors => 7,
            Column::Quota => 6,
            Column::Health => 8,
        }
    }

    /// Numbers line up on the right.
    fn right(self) -> bool {
        matches!(self, Column::KmsErrors | Column::Quota)
    }

    /// One stream's cell, in full and not yet escaped; the calls AWS
    /// refused beside QUOTA, short in a table that fits a terminal.
    fn cell(self, s: &StreamReport, cells: Cells) -> String {
        let enc = s.encryption.as_ref();
        match self {
            Column::Name => s.name.clone(),
            Column::Region => s.region.clone(),
            Column::Account => s.account.clone().unwrap_or_else(|| "?".to_string()),
            Column::Source => s.source.as_ref().map_or("?", |x| x.short()).to_string(),
            Column::Encryption => enc.map_or("ERROR", |e| e.status.as_str()).to_string(),
            Column::Key => s.key_label.clone(),
            Column::KmsErrors => s
                .kms_errors
                .as_ref()
                .map_or("?".to_string(), |m| m.values().sum::<u64>().to_string()),
            Column::Quota => match (&s.quota, enc.map(|e| e.managed_by)) {
                (Some(q), _) => format!(
                    "{}/{}{}{}",
                    q.counts.remaining,
                    q.counts.limit,
                    if q.source_reason.is_some() { "*" } else { "" },
                    match (q.counts.refused, cells) {
                        (0, _) => String::new(),
                        (n, Cells::Fit) => format!(" ({n}r)"),
                        (n, Cells::Full) => format!(" ({n} refused)"),
                    }
                ),
                (None, Some(ManagedBy::Source)) => "-".to_string(),
                (None, _) => "?".to_string(),
            },
            Column::Health => s.health.as_str().to_uppercase(),
        }
    }
}

/// One aligned line; a cell wider than its column is cut to fit it.
fn table_line(columns: &[Column], cells: &[String], widths: &[usize]) -> String {
    let mut line = String::new();
    for ((column, cell), &w) in columns.iter().zip(cells).zip(widths) {
        let cell = if *column == Column::Key {
            crate::text::fit_key(cell, w)
        } else {
            crate::text::fit(cell, w)
        };
        line.push_str(&pad(&cell, w, column.right()));
        line.push(' ');
    }
    line.trim_end().to_string() + "\n"
}

/// "1 stream", "3 streams".
fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// Pads a cell to `w` display columns (`format!`'s padding counts chars).
pub(super) fn pad(cell: &str, w: usize, right: bool) -> String {
    let gap = " ".repeat(w.saturating_sub(cell.width()));
    if right {
        gap + cell
    } else {
        format!("{cell}{gap}")
    }
}

/// Word-wraps `text` to `width` display columns, continuation lines indented.
/// Any run of whitespace is one space; a word longer than a line is kept whole
/// and never split at a hyphen (an ARN or a stream name must stay copyable).
pub(super) fn wrap(text: &str, width: usize, indent: &str) -> String {
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if words.is_empty() {
        return String::new();
    }
    let options = textwrap::Options::new(width)
        .subsequent_indent(indent)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .wrap_algorithm(textwrap::WrapAlgorithm::FirstFit);
    textwrap::wrap(&words, options)
        .iter()
        .map(|line| format!("{line}\n"))
        .collect()
}
