//! Text from outside (AWS answers, CloudTrail records, the config, arguments,
//! the environment, the keyboard) made safe to put on a terminal: the one
//! text policy. A stream name or a failure description is data: it must not
//! be able to move the cursor, clear the screen, retitle the window, read as
//! firekeeper's own prose or fill the screen.
//!
//! - Control characters (C0, DEL, C1) never reach the terminal as they are:
//!   a picture in a dashboard cell (`␛`), a Rust escape in text (`\u{1b}`).
//! - A newline becomes a visible `⏎`, so injected text cannot start a line
//!   of its own that reads as firekeeper's.
//! - Bidirectional controls and invisible format characters (Unicode
//!   category Cf: U+200B–U+200F, U+202A–U+202E, U+2066–U+2069, U+FEFF and
//!   their kin) become a visible `�`, or `<U+202E>` in text: the text shown is
//!   the text stored (Trojan Source, CVE-2021-42574). A zero-width joiner
//!   between two pictographs is an emoji sequence and stays.
//! - Each field has a display cap ([`NAME_CAP`], [`PROSE_CAP`]), ending in
//!   "… (N more characters; --output json has it all)". JSON keeps the
//!   exact value, escaped by serde, up to [`FIELD_LIMIT`] bytes.
//!
//! Ordinary Unicode, wide characters and emoji included, passes unchanged.
//! Choke points: `ui::render` scrubs every cell of the frame it drew (see
//! [`cell_symbol`]); text from outside is put through [`shown`] before it
//! becomes a widget (ratatui splits a cell's text at newlines); every
//! line-oriented output (`status` table, `rotate`/`disable` messages,
//! stderr, clap's errors) goes through [`for_terminal`] or [`escape`].

use std::borrow::Cow;
use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr;

/// C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F): the characters a
/// terminal may act on instead of showing.
pub fn is_control(c: char) -> bool {
    c.is_control()
}

/// Unicode format characters (general category Cf) and the invisible
/// fillers: they reorder text (bidi controls) or take no room, so what is
/// shown is not what is stored.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x115F..=0x1160
            | 0x17B4..=0x17B5
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0x3164
            | 0xFEFF
            | 0xFFA0
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}

/// A pictograph an emoji sequence joins with U+200D (ZWJ): the joiner
/// between two of them is part of one emoji (🐻‍❄️), not hidden text.
fn pictograph(c: char) -> bool {
    matches!(c as u32, 0x2190..=0x2BFF | 0x1F000..=0x1FAFF)
}

/// Whether the character at `i` of `chars` is one the policy replaces:
/// control or invisible, a joiner inside an emoji sequence excepted.
fn hidden_at(chars: &[char], i: usize) -> bool {
    let c = chars[i];
    if c == '\u{200d}' {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        // Before it may be a variation selector (❄️ is U+2744 U+FE0F).
        let before = match before {
            Some('\u{fe0f}') => i.checked_sub(2).map(|j| chars[j]),
            b => b,
        };
        return !(before.is_some_and(pictograph) && after.is_some_and(pictograph));
    }
    is_invisible(c)
}

/// What a dashboard or text output shows of a field from outside: newlines
/// as `⏎`, invisible and bidi characters as `�`, cut after `cap` characters
/// with how many more there are. Control characters other than the newline
/// are left to the cell scrub or to [`escape`], which show them as they are
/// today. Borrowed when nothing needs doing.
pub fn shown(s: &str, cap: usize) -> Cow<'_, str> {
    let len = s.chars().count();
    let needs =
        len > cap || s.contains('\n') || s.chars().any(|c| is_invisible(c) || c == '\u{200d}');
    if !needs {
        return Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len().min(cap.saturating_mul(4)) + 64);
    let mut i = 0;
    while i < chars.len().min(cap) {
        match chars[i] {
            '\r' if chars.get(i + 1) == Some(&'\n') => {}
            '\n' => out.push('⏎'),
            _ if hidden_at(&chars, i) => out.push('\u{fffd}'),
            c => out.push(c),
        }
        i += 1;
    }
    if len > cap {
        let _ = write!(
            out,
            "… ({} more characters; --output json has it all)",
            thousands(len - cap)
        );
    }
    Cow::Owned(out)
}

/// A name from outside as shown: a stream, key, caller or profile.
pub const NAME_CAP: usize = 64;
/// A sentence or description from outside as shown: a failure description,
/// an error message, a key's description.
pub const PROSE_CAP: usize = 1000;
/// The most of one field from outside that firekeeper keeps, in bytes, JSON
/// included: a hostile answer cannot balloon memory.
pub const FIELD_LIMIT: usize = 64 * 1024;

/// A field from outside as firekeeper keeps it: whole up to [`FIELD_LIMIT`]
/// bytes, else cut at a character boundary with a note saying so.
pub fn bounded(s: String) -> String {
    if s.len() <= FIELD_LIMIT {
        return s;
    }
    let mut end = FIELD_LIMIT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!(
        "{}… (cut by firekeeper at {} of {} bytes)",
        &s[..end],
        thousands(end),
        thousands(s.len())
    )
}

/// 1234567 as "1,234,567".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One line's worth of text with every control character written as a Rust
/// escape (`\u{1b}`), a newline as `⏎`, and an invisible or bidi character
/// as `<U+202E>`: for a table cell or a one-line message.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_except(s, None)
}

/// Text for line-oriented output: as [`escape`], except that the newline is
/// kept, so a multi-line message keeps its lines and nothing else. Text from
/// outside inside such a message is put through [`shown`] first, so its own
/// newlines never start a line.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    escape_except(s, Some('\n'))
}

fn escape_except(s: &str, keep: Option<char>) -> Cow<'_, str> {
    let chars: Vec<char> = s.chars().collect();
    let unsafe_at = |i: usize| {
        let c = chars[i];
        Some(c) != keep && (is_control(c) || hidden_at(&chars, i))
    };
    if !(0..chars.len()).any(unsafe_at) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for (i, c) in chars.iter().enumerate() {
        if !unsafe_at(i) {
            out.push(*c);
        } else if *c == '\n' {
            out.push('⏎');
        } else if is_control(*c) {
            let _ = write!(out, "\\u{{{:x}}}", *c as u32);
        } else {
            let _ = write!(out, "<U+{:04X}>", *c as u32);
        }
    }
    Cow::Owned(out)
}

/// What a terminal cell holding `symbol` shows instead, if `symbol` has a
/// control character in it; `None` when it is safe as it is. A cell is one
/// column wide, so the replacement is one column too: the control picture
/// (`␛` for ESC, `␇` for BEL, `␡` for DEL), or `�` for C1, which has none.
/// Visible characters that share the cell with a control are kept.
pub fn cell_symbol(symbol: &str) -> Option<String> {
    let chars: Vec<char> = symbol.chars().collect();
    let bad = |i: usize| is_control(chars[i]) || hidden_at(&chars, i);
    let first = (0..chars.len()).find(|i| bad(*i))?;
    let visible: String = (0..chars.len())
        .filter(|i| !bad(*i))
        .map(|i| chars[i])
        .collect();
    if !visible.is_empty() {
        return Some(visible);
    }
    // A zero-width character alone in a cell: shown, one column wide.
    Some(if is_control(chars[first]) {
        picture(chars[first]).to_string()
    } else {
        "\u{fffd}".to_string()
    })
}

/// The Unicode control picture for a control character.
fn picture(c: char) -> char {
    match c as u32 {
        n @ 0x00..=0x1f => char::from_u32(0x2400 + n).unwrap_or('\u{fffd}'),
        0x7f => '\u{2421}',
        _ => '\u{fffd}',
    }
}

/// A character typed or pasted into a text field, if it may go there.
/// Control characters are dropped: they would reach the screen when the
/// field is drawn, and no stream, key or alias name has one.
pub fn typed(c: char) -> Option<char> {
    (!is_control(c)).then_some(c)
}

/// Cuts text to `w` display columns, marking the cut with `…` at the end.
/// Columns, not chars: a CJK character or an emoji takes two, and a table
/// must stay aligned.
pub fn fit(s: &str, w: usize) -> String {
    fit_marked(s, w, "…")
}

/// [`fit`], the cut marked with `mark` (one column wide): `~` where only
/// ASCII may be drawn.
pub fn fit_marked(s: &str, w: usize, mark: &str) -> String {
    // The policy first: a newline or a bidi character is shown, and counted.
    let s = &*shown(s, usize::MAX);
    if s.width() <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    format!("{}{mark}", head(s, w - 1))
}

/// How many columns a caller's name takes at most on screen and in
/// sentences: a federated or role session name can run to hundreds of
/// characters, and the sentence around it must still be read.
pub const CALLER_COLUMNS: usize = 64;

/// A caller's name as CloudTrail gave it (see `model::trail::caller`), cut
/// to [`CALLER_COLUMNS`] with `…`: for the screen and for sentences. JSON
/// fields keep the whole name.
pub fn caller(name: &str) -> String {
    fit(name, CALLER_COLUMNS)
}

/// A key's name cut to `w` display columns. Aliases are cut in the middle,
/// keeping their distinguishing end: `alias/orders…-2026` still tells
/// alias/orders-events from alias/orders-events-2026, which an end cut
/// (`alias/orders-ev…`) cannot. Every other label is cut at the end. The one
/// way a key label is shortened: the table, the keys view, the picker.
pub fn fit_key(label: &str, w: usize) -> String {
    fit_key_marked(label, w, "…")
}

/// [`fit_key`], the cut marked with `mark` (one column wide).
pub fn fit_key_marked(label: &str, w: usize, mark: &str) -> String {
    let label = &*shown(label, usize::MAX);
    if label.width() <= w || !label.starts_with("alias/") || w < 8 {
        return fit_marked(label, w, mark);
    }
    let room = w - 1;
    // The last part after a separator is what names differ by (-2026, _v2);
    // it never takes more than half, so the start still says which family.
    let last = label.rfind(['-', '_', '/', '.']).unwrap_or(0);
    let keep_end = label[last..].width().clamp(1, room / 2);
    let end = tail(label, keep_end);
    let start = head(label, room - end.width());
    format!("{start}{mark}{end}")
}

/// The longest start of `s` at most `w` columns wide. Measured as a prefix,
/// not char by char, so that sequences unicode-width sizes as a whole (emoji
/// with modifiers) are counted as they are shown.
fn head(s: &str, w: usize) -> &str {
    let end = s
        .char_indices()
        .map(|(i, c)| i + c.len_utf8())
        .take_while(|&end| s[..end].width() <= w)
        .last()
        .unwrap_or(0);
    &s[..end]
}

/// The longest end of `s` at most `w` columns wide.
fn tail(s: &str, w: usize) -> &str {
    let start = s
        .char_indices()
        .rev()
        .map(|(i, _)| i)
        .take_while(|&i| s[i..].width() <= w)
        .last()
        .unwrap_or(s.len());
    &s[start..]
}

/// A writer for the log file: each write (tracing writes one event a call)
/// goes out with every control, bidi and invisible character escaped, and
/// a newline inside it as `⏎`, so AWS's text in a log line can neither act
/// on the terminal of whoever reads the log nor forge a line of its own.
pub struct Escaping<W>(pub W);

impl<W: std::io::Write> std::io::Write for Escaping<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let (body, end) = match text.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (&*text, ""),
        };
        self.0
            .write_all(format!("{}{end}", escape(body)).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// An error and its causes on one line, each said once. Many errors quote
/// their cause in their own message and also return it as `source()`;
/// anyhow's `{:#}` would then print it twice ("os error 2: os error 2").
pub fn one_line(err: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in err.chain() {
        let part = cause.to_string();
        if text.contains(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_cuts_at_the_end_in_display_columns() {
        assert_eq!(fit("billing", 9), "billing");
        assert_eq!(fit("billing-export", 9), "billing-…");
        assert_eq!(fit("数据流名", 6), "数据…");
        // A wide character that would straddle the edge is left out whole.
        assert_eq!(fit("ab数据", 4), "ab…");
        assert_eq!(fit("abc", 0), "");
    }

    #[test]
    fn key_aliases_are_cut_in_the_middle_keeping_the_end_that_differs() {
        assert_eq!(
            fit_key("alias/orders-events-2026", 18),
            "alias/orders…-2026"
        );
        assert_eq!(fit_key("alias/orders-events", 18), "alias/orde…-events");
        assert_ne!(
            fit_key("alias/orders-events-2026", 16),
            fit_key("alias/orders-events", 16)
        );
        assert_eq!(fit_key("alias/orders-events-2026", 16).width(), 16);
        // A long last part takes at most half.
        assert_eq!(fit_key("alias/retired-clickstream", 16), "alias/re…kstream");
        assert_eq!(fit_key("alias/payments", 16), "alias/payments");
        // Not an alias: the end is cut, as for any other text.
        assert_eq!(
            fit_key("not encrypted (enabling with alias/x failed)", 16),
            "not encrypted (…"
        );
        assert!(fit_key("alias/鍵-キー-🔑-とても長い", 16).width() <= 16);
    }

    const HOSTILE: &str = "evil\x1b[2J\x1b]0;pwned\x07name\u{9b}31m\u{7f}";

    #[test]
    fn escape_writes_every_control_character_as_a_rust_escape() {
        assert_eq!(
            escape(HOSTILE),
            "evil\\u{1b}[2J\\u{1b}]0;pwned\\u{7}name\\u{9b}31m\\u{7f}"
        );
        assert_eq!(escape("a\nb\tc\r"), "a⏎b\\u{9}c\\u{d}");
        assert_eq!(escape("\0"), "\\u{0}");
    }

    #[test]
    fn for_terminal_keeps_lines_and_nothing_else() {
        assert_eq!(
            for_terminal("one\ntwo\x1b[2J\r"),
            "one\ntwo\\u{1b}[2J\\u{d}"
        );
    }

    #[test]
    fn ordinary_unicode_passes_unchanged_and_unallocated() {
        for s in [
            "billing-export",
            "café ✖ ▲ ● → …",
            "日本語のストリーム",
            "🐻‍❄️ e\u{301}",
            "\u{a0}no-break space",
        ] {
            assert!(matches!(escape(s), Cow::Borrowed(_)), "{s}");
            assert!(matches!(for_terminal(s), Cow::Borrowed(_)), "{s}");
            assert_eq!(cell_symbol(s), None, "{s}");
        }
    }

    #[test]
    fn no_escape_output_has_a_control_character() {
        let every: String = (0u32..0x200).filter_map(char::from_u32).collect();
        assert!(!escape(&every).chars().any(is_control));
        assert!(!for_terminal(&every)
            .chars()
            .any(|c| is_control(c) && c != '\n'));
    }

    #[test]
    fn a_cell_shows_a_picture_of_its_control_character() {
        assert_eq!(cell_symbol("\x1b").as_deref(), Some("␛"));
        assert_eq!(cell_symbol("\x07").as_deref(), Some("␇"));
        assert_eq!(cell_symbol("\x7f").as_deref(), Some("␡"));
        assert_eq!(cell_symbol("\u{9b}").as_deref(), Some("\u{fffd}"));
        assert_eq!(cell_symbol("\r\n").as_deref(), Some("␍"));
        assert_eq!(cell_symbol("a\x1b").as_deref(), Some("a"));
        assert_eq!(cell_symbol("x"), None);
    }

    const TROJAN: &str = "admin\u{202e}\u{2066}nimda-ecivres\u{2069}\u{200b}";

    #[test]
    fn bidi_and_invisible_characters_are_shown_never_obeyed() {
        assert_eq!(shown(TROJAN, NAME_CAP), "admin��nimda-ecivres��");
        assert_eq!(
            escape(TROJAN),
            "admin<U+202E><U+2066>nimda-ecivres<U+2069><U+200B>"
        );
        assert_eq!(for_terminal("a\u{feff}b\nc"), "a<U+FEFF>b\nc");
        // A cell holding a zero-width character behind a visible one keeps
        // the visible one; alone, it shows as one replacement character.
        assert_eq!(cell_symbol("a\u{202e}").as_deref(), Some("a"));
        assert_eq!(cell_symbol("\u{200b}").as_deref(), Some("\u{fffd}"));
    }

    #[test]
    fn an_emoji_joiner_stays_and_a_lone_joiner_does_not() {
        let polar = "🐻\u{200d}❄\u{fe0f}";
        assert!(
            matches!(shown(polar, NAME_CAP), Cow::Borrowed(_)) || shown(polar, NAME_CAP) == polar
        );
        assert_eq!(escape(polar), polar);
        assert_eq!(shown("ad\u{200d}min", NAME_CAP), "ad\u{fffd}min");
    }

    #[test]
    fn newlines_become_visible_and_long_fields_say_how_much_is_cut() {
        assert_eq!(
            shown("eve\nfake: all streams OK", 100),
            "eve⏎fake: all streams OK"
        );
        assert_eq!(shown("a\r\nb", 100), "a⏎b");
        let long = "x".repeat(10_240);
        assert_eq!(
            shown(&long, NAME_CAP),
            format!(
                "{}… (10,176 more characters; --output json has it all)",
                "x".repeat(64)
            )
        );
        assert!(matches!(
            shown("billing-export", NAME_CAP),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn a_field_is_kept_whole_up_to_64_kb() {
        let small = "é".repeat(100);
        assert_eq!(bounded(small.clone()), small);
        let big = "é".repeat(40_000);
        let kept = bounded(big);
        assert!(kept.len() < FIELD_LIMIT + 100, "{}", kept.len());
        assert!(
            kept.ends_with("(cut by firekeeper at 65,536 of 80,000 bytes)"),
            "{}",
            &kept[kept.len() - 60..]
        );
    }

    #[test]
    fn a_log_line_cannot_act_on_a_terminal_or_forge_a_line() {
        use std::io::Write as _;
        let mut log = Escaping(Vec::new());
        log.write_all(b"WARN cannot read: eve\x1b]0;x\x07\nINFO all streams OK\xe2\x80\xae\n")
            .unwrap();
        assert_eq!(
            String::from_utf8(log.0).unwrap(),
            "WARN cannot read: eve\\u{1b}]0;x\\u{7}⏎INFO all streams OK<U+202E>\n"
        );
    }

    #[test]
    fn typed_control_characters_are_dropped() {
        assert_eq!(typed('a'), Some('a'));
        assert_eq!(typed('é'), Some('é'));
        for c in ['\x1b', '\x07', '\u{9b}', '\x7f', '\0', '\n'] {
            assert_eq!(typed(c), None, "{c:?}");
        }
    }
}
