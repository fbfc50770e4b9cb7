//! Drawing: `render(frame, &App)` and nothing else. No I/O, no locks, no
//! waiting: everything on screen comes from the state.

mod calls;
mod chart;
mod command;
mod detail;
mod dialogs;
mod header;
mod help;
mod keys;
mod messages;
mod moving;
mod raw;
mod statusline;
mod table;
pub mod theme;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::Frame;

use crate::app::{App, View};
use theme::Theme;

/// The smallest terminal the dashboard draws in: below it, names and
/// sentences an on-call engineer needs would be cut without notice.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

const HEADER_ROWS: u16 = 2;
const STATUS_ROWS: u16 = 1;

/// Table body rows that fit a terminal of this height.
pub fn table_viewport(height: u16) -> usize {
    // Header, status line, and the table's own column-title row.
    height.saturating_sub(HEADER_ROWS + STATUS_ROWS + 1).max(1) as usize
}

/// Help lines that fit a terminal of this height: the help box may take the
/// whole body, less its borders and the CloudWatch cost under the keys.
pub fn help_viewport(height: u16) -> usize {
    height
        .saturating_sub(HEADER_ROWS + STATUS_ROWS + 2 + help::COST_ROWS)
        .max(1) as usize
}

/// Draws the whole screen. Whatever any part of it drew, no control character
/// leaves this function: AWS data in a cell can only be shown, never obeyed.
pub fn render(frame: &mut Frame, app: &App) {
    draw(frame, app);
    scrub(frame.buffer_mut());
    if app.settings.markers == crate::config::Markers::Ascii {
        ascii_only(frame.buffer_mut());
    }
}

/// `[ui] markers = "ascii"`: every line, corner, arrow, dot and mark
/// firekeeper draws (its own and ratatui's borders and chart axes) becomes
/// its ASCII stand-in, for terminals and fonts without them. Text from AWS
/// is left as it is: only drawing characters are replaced.
fn ascii_only(buf: &mut Buffer) {
    for cell in &mut buf.content {
        let mut chars = cell.symbol().chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            if let Some(a) = ascii_stand_in(c) {
                cell.set_char(a);
            }
        }
    }
}

/// The ASCII stand-in of a drawing character.
fn ascii_stand_in(c: char) -> Option<char> {
    Some(match c {
        '│' | '┃' | '║' | '▏' | '▕' => '|',
        '─' | '━' | '═' | '—' | '–' => '-',
        '┌' | '┐' | '└' | '┘' | '├' | '┤' | '┬' | '┴' | '┼' | '╭' | '╮' | '╯' | '╰' => {
            '+'
        }
        '…' => '~',
        '↓' => 'v',
        '↑' => '^',
        '→' | '▶' | '⏎' => '>',
        '←' => '<',
        '●' | '•' => '*',
        '▲' => '!',
        '✖' | '✗' => 'x',
        '✓' | '✔' => '+',
        '·' => '.',
        '█' | '▇' | '▆' | '▅' | '▄' | '▃' | '▂' | '▁' => '#',
        _ => return None,
    })
}

/// Replaces every control character in the frame with a visible stand-in of
/// the same width. ratatui 0.29 puts them into cells as they are (they count
/// one column wide), and the backend writes cells out raw, so this is the
/// one place that sees everything the terminal will receive.
fn scrub(buf: &mut Buffer) {
    for cell in &mut buf.content {
        if let Some(safe) = crate::text::cell_symbol(cell.symbol()) {
            cell.set_symbol(&safe);
        }
    }
}

fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = format!(
            "terminal too small: {}x{} (needs {MIN_WIDTH}x{MIN_HEIGHT})",
            area.width, area.height
        );
        frame.render_widget(Line::from(msg), area);
        return;
    }
    let theme = Theme::new(app.settings.color, app.settings.markers);
    let [head, body, status] = Layout::vertical([
        Constraint::Length(HEADER_ROWS),
        Constraint::Min(1),
        Constraint::Length(STATUS_ROWS),
    ])
    .areas(area);
    header::render(frame, head, app, &theme);
    match &app.screen.view {
        View::Table => table::render(frame, body, app, &theme),
        View::Detail(name) => detail::render(frame, body, app, name, &theme),
        View::Keys => keys::render(frame, body, app, &theme),
        View::Move => moving::render(frame, body, app, &theme),
        View::Messages => messages::render(frame, body, app, &theme),
        View::Help => {
            match app.screen.help_from {
                View::Keys => keys::render(frame, body, app, &theme),
                View::Move => moving::render(frame, body, app, &theme),
                _ => table::render(frame, body, app, &theme),
            }
            help::render(frame, body, app, &theme);
        }
    }
    dialogs::render(frame, body, app, &theme);
    statusline::render(frame, status, app, &theme);
}

/// A centred rectangle of at most `w` x `h` inside `area`.
fn popup(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

pub use crate::text::{fit, fit_key};

#[cfg(test)]
mod tests;
