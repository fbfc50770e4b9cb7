//! Text from outside (AWS answers, the config, the keyboard) made safe to put
//! on a terminal. A stream name or a failure description is data: it must not
//! be able to move the cursor, clear the screen or retitle the window, so no
//! control character (C0, DEL, C1) reaches the terminal as it is. Ordinary
//! Unicode, wide characters and emoji included, passes unchanged.
//!
//! Two choke points use this module: `ui::render` scrubs every cell of the
//! frame it drew (see [`cell_symbol`]), and every line-oriented output
//! (`status` table, `rotate`/`disable` messages, stderr) goes through
//! [`for_terminal`] or [`escape`].

use std::borrow::Cow;
use std::fmt::Write as _;

use unicode_width::UnicodeWidthStr;

/// C0 (U+0000–U+001F), DEL (U+007F) and C1 (U+0080–U+009F): the characters a
/// terminal may act on instead of showing.
pub fn is_control(c: char) -> bool {
    c.is_control()
}

/// One line's worth of text with every control character written as a Rust
/// escape (`\u{1b}`), newlines included: for a table cell or a one-line message.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_except(s, None)
}

/// Text for line-oriented output: every control character escaped except the
/// newline, so a multi-line message keeps its lines and nothing else.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    escape_except(s, Some('\n'))
}

fn escape_except(s: &str, keep: Option<char>) -> Cow<'_, str> {
    let unsafe_char = |c: char| is_control(c) && Some(c) != keep;
    if !s.chars().any(unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
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
    let first = symbol.chars().find(|c| is_control(*c))?;
    let visible: String = symbol.chars().filter(|c| !is_control(*c)).collect();
    if !visible.is_empty() {
        return Some(visible);
    }
    Some(picture(first).to_string())
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
    if s.width() <= w {
        return s.to_string();
    }
    if w == 0 {
        return String::new();
    }
    format!("{}…", head(s, w - 1))
}

/// How many columns a caller's name takes at most on screen and in
/// sentences: a federated or role session name can run to hundreds of
/// characters, and the sentence around it must still be read.
pub const CALLER_COLUMNS: usize = 64;

/// A caller's name as CloudTrail gave it (see `cloud::trail::caller`), cut
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
    if label.width() <= w || !label.starts_with("alias/") || w < 8 {
        return fit(label, w);
    }
    let room = w - 1;
    // The last part after a separator is what names differ by (-2026, _v2);
    // it never takes more than half, so the start still says which family.
    let last = label.rfind(['-', '_', '/', '.']).unwrap_or(0);
    let keep_end = label[last..].width().clamp(1, room / 2);
    let end = tail(label, keep_end);
    let start = head(label, room - end.width());
    format!("{start}…{end}")
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
        assert_eq!(escape("a\nb\tc\r"), "a\\u{a}b\\u{9}c\\u{d}");
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

    #[test]
    fn typed_control_characters_are_dropped() {
        assert_eq!(typed('a'), Some('a'));
        assert_eq!(typed('é'), Some('é'));
        for c in ['\x1b', '\x07', '\u{9b}', '\x7f', '\0', '\n'] {
            assert_eq!(typed(c), None, "{c:?}");
        }
    }
}
