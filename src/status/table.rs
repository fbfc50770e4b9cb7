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
    /// Fit a terminal this many columns wide, for a person: columns of at
    /// most 100 in all (one target), long values cut with `…` (key aliases
    /// in the middle, `alias/orders…-2026`); narrower, the least important
    /// columns are narrowed or left out (`layout`) and prose wraps at word
    /// boundaries within the width, so the terminal never breaks a word.
    Fit(usize),
    /// Every value in full, columns as wide as their widest value: for a
    /// pipe, where `grep` and `awk` must find the whole name.
    Full,
}

/// How wide the terminal on stdout is: `$COLUMNS` when it holds a width
/// (so a user or script can choose), else what the terminal says, else 100.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
        .or_else(|| {
            crossterm::terminal::size()
                .ok()
                .map(|(w, _)| usize::from(w))
        })
        .filter(|c| *c > 0)
        .unwrap_or(100)
}

/// The report as an aligned table, problems beneath. Names, labels and AWS's
/// words are data: any control character in them is written as an escape
/// (`\u{1b}`), so the table cannot drive the terminal.
pub fn table(report: &Report, cells: Cells) -> String {
    let all = columns(report);
    let many = report.targets.len() > 1;
    let (columns, widths, left_out, qualified) = match cells {
        Cells::Fit(width) => {
            let fit = layout(&all, many, Widest::of(report, cells), width);
            (fit.columns, Some(fit.widths), fit.left_out, fit.qualified)
        }
        Cells::Full => (all, None, Vec::new(), false),
    };
    let mut lines = vec![columns.iter().map(|c| c.title().to_string()).collect()];
    lines.extend(report.streams.iter().map(|s| {
        columns
            .iter()
            .map(|c| match c {
                Column::Name if qualified => crate::model::shown_name(&s.name, Some(&s.target)),
                c => c.cell(s, cells),
            })
            .map(|cell| escape(&shown(&cell, NAME_CAP)).into_owned())
            .collect::<Vec<String>>()
    }));
    let widths = widths.unwrap_or_else(|| {
        (0..columns.len())
            .map(|i| lines.iter().map(|l| l[i].width()).max().unwrap_or(0))
            .collect()
    });
    let prose = match cells {
        Cells::Fit(width) => width.clamp(20, 100),
        Cells::Full => 100,
    };
    let mut out = heading(report, prose);
    for line in &lines {
        out.push_str(&table_line(&columns, line, &widths));
    }
    out.push_str(&notes(report, &columns, &left_out, cells, prose));
    out.push_str(&problems(report, prose));
    for e in &report.errors {
        out.push_str(&wrap(&format!("error: {}", escape(e)), prose, "    "));
    }
    out.push_str(&summary(report));
    // Whatever a future line forgets to escape is escaped here.
    crate::text::for_terminal(&out).into_owned()
}

/// What the table's marks mean, and which columns a narrow terminal left
/// out, each wrapped to `prose` columns.
fn notes(
    report: &Report,
    columns: &[Column],
    left_out: &[Column],
    cells: Cells,
    prose: usize,
) -> String {
    let mut out = String::new();
    let quota = columns.contains(&Column::Quota);
    if let Some(why) = report.quota_source.as_ref().and_then(QuotaSource::reason) {
        let marked = report
            .streams
            .iter()
            .any(|s| s.quota.as_ref().is_some_and(|q| q.source_reason.is_some()));
        if marked && quota {
            let note = format!("* QUOTA counts only this machine's ledger: {why}.");
            out.push_str(&wrap(&escape(&note), prose, "  "));
        }
    }
    if quota
        && report
            .streams
            .iter()
            .any(|s| s.quota.as_ref().is_some_and(|q| q.refused.count > 0))
    {
        let note = "QUOTA (Nr), (N refused): N of the calls counted are calls AWS refused. AWS does not document whether refused calls count against the 25 a day: QUOTA counts them (the safe reading); `rotate`/`disable --force` sends anyway, and AWS's answer settles it.";
        out.push_str(&wrap(note, prose, "  "));
    }
    if let (false, Cells::Fit(width)) = (left_out.is_empty(), cells) {
        let titles: Vec<&str> = left_out.iter().map(|c| c.title()).collect();
        let note = format!(
            "Not shown in {width} columns: {}. A wider terminal or `--output json` shows every column; so does a pipe.",
            titles.join(", ")
        );
        out.push_str(&wrap(&note, prose, "  "));
    }
    out
}

/// Each stream's problems, one paragraph each, wrapped to `prose` columns.
fn problems(report: &Report, prose: usize) -> String {
    let many = report.targets.len() > 1;
    let with_problems: Vec<_> = report
        .streams
        .iter()
        .filter(|s| !s.problems.is_empty())
        .collect();
    if with_problems.is_empty() {
        return String::new();
    }
    let mut out = "\nProblems\n".to_string();
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
            out.push_str(&wrap(&line, prose, "    "));
        }
    }
    out
}

/// The columns a terminal shows, their widths, and the columns left out.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Layout {
    pub(super) columns: Vec<Column>,
    pub(super) widths: Vec<usize>,
    pub(super) left_out: Vec<Column>,
    /// Each name says its target (`orders@eu-west-1`): REGION or ACCOUNT,
    /// which tell namesakes apart, is left out.
    pub(super) qualified: bool,
}

/// One way to give up room, tried in order until the table fits.
#[derive(Clone, Copy)]
enum Give {
    Drop(Column),
    Narrow(Column, usize),
}

/// Least important first. SOURCE and ACCOUNT go first (the one is in the
/// detail, the other in the name's target); names and aliases are cut
/// before QUOTA goes; HEALTH and NAME stay, whatever the width.
const GIVE_UP: [Give; 11] = [
    Give::Drop(Column::Source),
    Give::Drop(Column::Account),
    Give::Narrow(Column::Key, 16),
    Give::Narrow(Column::Name, 20),
    Give::Narrow(Column::Key, 14),
    Give::Narrow(Column::Name, 18),
    Give::Drop(Column::Quota),
    Give::Drop(Column::Region),
    Give::Drop(Column::Key),
    Give::Drop(Column::Encryption),
    Give::Drop(Column::KmsErrors),
];

/// The widest cells of the columns whose width depends on their values.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Widest {
    pub(super) quota: usize,
    pub(super) name: usize,
    /// The widest `name@target`, for when the name must say its target.
    pub(super) qualified: usize,
    pub(super) key: usize,
}

impl Widest {
    fn of(report: &Report, cells: Cells) -> Widest {
        let widest = |cell: &dyn Fn(&StreamReport) -> String| {
            let shown = |s| shown(&cell(s), NAME_CAP).width();
            report.streams.iter().map(shown).max().unwrap_or(0)
        };
        Widest {
            quota: widest(&|s| Column::Quota.cell(s, cells)),
            name: widest(&|s| s.name.clone()),
            qualified: widest(&|s| crate::model::shown_name(&s.name, Some(&s.target))),
            key: widest(&|s| s.key_label.clone()),
        }
    }
}

/// The columns and widths that fit `width` terminal columns. A count with
/// refused calls beside it ("0/25 (16r)") is never cut: QUOTA widens for
/// it and KEY, whose aliases are cut in the middle anyway, gives up the
/// room. Then `GIVE_UP`, step by step, and NAME narrows to what is left
/// (never below 8). Room to spare goes to NAME, then KEY, up to their
/// widest values: a name that says its target, once REGION is left out.
pub(super) fn layout(all: &[Column], many: bool, widest: Widest, width: usize) -> Layout {
    let mut widths: Vec<(Column, usize)> = all.iter().map(|c| (*c, c.width())).collect();
    let extra = widest.quota.saturating_sub(Column::Quota.width());
    for (c, w) in &mut widths {
        match c {
            Column::Quota => *w += extra,
            Column::Key => *w = w.saturating_sub(extra).max(12),
            _ => {}
        }
    }
    let total = |ws: &[(Column, usize)]| -> usize {
        ws.iter()
            .map(|(_, w)| w + 1)
            .sum::<usize>()
            .saturating_sub(1)
    };
    let mut left_out = Vec::new();
    for give in GIVE_UP {
        if total(&widths) <= width {
            break;
        }
        match give {
            Give::Drop(gone) => {
                if widths.iter().any(|(c, _)| *c == gone) {
                    widths.retain(|(c, _)| *c != gone);
                    left_out.push(gone);
                }
            }
            Give::Narrow(narrowed, to) => {
                for (c, w) in &mut widths {
                    if *c == narrowed {
                        *w = (*w).min(to);
                    }
                }
            }
        }
    }
    let over = total(&widths).saturating_sub(width);
    let qualified =
        many && (left_out.contains(&Column::Region) || left_out.contains(&Column::Account));
    let name = if qualified {
        widest.qualified
    } else {
        widest.name
    };
    let mut spare = width.saturating_sub(total(&widths));
    for (c, w) in &mut widths {
        let want = match c {
            Column::Name => {
                *w = w.saturating_sub(over).max(8);
                name
            }
            Column::Key => widest.key,
            _ => continue,
        };
        let grow = want.saturating_sub(*w).min(spare);
        *w += grow;
        spare -= grow;
    }
    Layout {
        columns: widths.iter().map(|(c, _)| *c).collect(),
        widths: widths.iter().map(|(_, w)| *w).collect(),
        left_out,
        qualified,
    }
}

/// Where and when: the one account and region, or every target's, and
/// a line for each target that could not be read.
fn heading(report: &Report, prose: usize) -> String {
    let when = format!("window {}  at {}", report.window, report.generated_at);
    if report.targets.len() <= 1 {
        let account = escape(report.account.as_deref().unwrap_or("unknown"));
        let region = escape(report.region.as_deref().unwrap_or("unknown"));
        let parts = [
            format!("account {account}"),
            format!("region {region}"),
            when,
        ];
        return spaced(&parts, prose) + "\n";
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
    let parts = [
        listed("account", &accounts),
        listed("region", &regions),
        when,
    ];
    let mut out = spaced(&parts, prose);
    for t in report.targets.iter().filter(|t| t.error.is_some()) {
        let line = format!(
            "{}: not read: {}",
            escape(&t.target.label),
            escape(t.error.as_deref().unwrap_or_default())
        );
        out.push_str(&wrap(&line, prose, "    "));
    }
    for t in &report.targets {
        if let Some(first) = &t.twin {
            let line = format!(
                "{}: the same account and region as {}: its streams are listed there",
                escape(&t.target.label),
                escape(first)
            );
            out.push_str(&wrap(&line, prose, "    "));
        }
    }
    out + "\n"
}

/// `parts` two spaces apart, on as few lines as `width` allows; a part too
/// long for a line of its own wraps between its words.
fn spaced(parts: &[String], width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for part in parts {
        if !line.is_empty() && line.width() + 2 + part.width() <= width {
            line.push_str("  ");
            line.push_str(part);
            continue;
        }
        if !line.is_empty() {
            out.push_str(&line);
            out.push('\n');
        }
        line.clone_from(part);
        if line.width() > width {
            out.push_str(&wrap(part, width, "    "));
            line.clear();
        }
    }
    if !line.is_empty() {
        out.push_str(&line);
        out.push('\n');
    }
    out
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
pub(super) enum Column {
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
                        (n, Cells::Fit(_)) => format!(" ({n}r)"),
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
