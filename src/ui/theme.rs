//! Colours and symbols. With colour off (NO_COLOR, --no-color) every fact is
//! still readable: symbols and words carry it, colour only helps.

use ratatui::style::{Color, Modifier, Style};

use crate::config::Markers;
use crate::health::Health;
use crate::model::EncryptionStatus;

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
    pub ascii: bool,
}

impl Theme {
    pub fn new(color: bool, markers: Markers) -> Theme {
        Theme {
            color,
            ascii: markers == Markers::Ascii,
        }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    pub fn title(&self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }

    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }

    pub fn good(&self) -> Style {
        self.fg(Color::Green)
    }

    pub fn key(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }

    pub fn status(&self, s: &EncryptionStatus) -> Style {
        match s {
            EncryptionStatus::EnablingFailed | EncryptionStatus::DisablingFailed => self.error(),
            EncryptionStatus::Enabling | EncryptionStatus::Disabling => {
                self.warn().add_modifier(Modifier::BOLD)
            }
            EncryptionStatus::Enabled => self.good(),
            EncryptionStatus::Disabled => Style::default(),
            EncryptionStatus::Other(_) | EncryptionStatus::NotRecorded => self.unknown(),
        }
    }

    pub fn health(&self, h: Health) -> Style {
        match h {
            Health::Critical => self.error(),
            Health::Warning => self.warn(),
            Health::Unknown => self.unknown(),
            Health::Ok => self.good(),
        }
    }

    /// Not known: it must not read as fine.
    pub fn unknown(&self) -> Style {
        self.fg(Color::Magenta).add_modifier(Modifier::BOLD)
    }

    /// A health marker that reads without colour.
    pub fn health_label(&self, h: Health) -> &'static str {
        match (h, self.ascii) {
            (Health::Critical, false) => "✖ crit",
            (Health::Warning, false) => "▲ warn",
            (Health::Unknown, _) => "? unknown",
            (Health::Ok, false) => "● ok",
            (Health::Critical, true) => "X crit",
            (Health::Warning, true) => "! warn",
            (Health::Ok, true) => "  ok",
        }
    }

    /// HEALTH of a stream not described yet: on its way, not unknown.
    pub fn loading_label(&self) -> &'static str {
        if self.ascii {
            ". loading"
        } else {
            "… loading"
        }
    }

    /// What marks a cut, or a value on its way.
    pub fn ellipsis(&self) -> &'static str {
        if self.ascii {
            "~"
        } else {
            "…"
        }
    }

    /// The bar between the header's items.
    pub fn bar(&self) -> &'static str {
        if self.ascii {
            " | "
        } else {
            " │ "
        }
    }

    /// The dot between where the dashboard is pointed and what follows.
    pub fn dot(&self) -> &'static str {
        if self.ascii {
            " - "
        } else {
            " · "
        }
    }

    /// The arrow of the sorted column.
    pub fn arrow(&self, down: bool) -> &'static str {
        match (down, self.ascii) {
            (true, false) => "↓",
            (false, false) => "↑",
            (true, true) => "v",
            (false, true) => "^",
        }
    }

    /// `text::fit`, its cut marked with [`Theme::ellipsis`].
    pub fn fit(&self, s: &str, w: usize) -> String {
        crate::text::fit_marked(s, w, self.ellipsis())
    }

    /// `text::fit_key` (aliases cut in the middle), marked the same way.
    pub fn fit_key(&self, s: &str, w: usize) -> String {
        crate::text::fit_key_marked(s, w, self.ellipsis())
    }

    /// Per-series colour and shape for the four KMS metrics: four shapes that
    /// tell the series apart without colour, ASCII ones in ASCII mode.
    pub fn series(&self, i: usize) -> (Style, char) {
        const COLORS: [Color; 4] = [Color::Red, Color::Magenta, Color::Yellow, Color::Cyan];
        const ASCII: [char; 4] = ['*', '+', 'o', 'x'];
        const SHAPES: [char; 4] = ['●', '▲', '■', '◆'];
        let symbols = if self.ascii { ASCII } else { SHAPES };
        (self.fg(COLORS[i % 4]), symbols[i % 4])
    }

    /// Sparkline levels.
    pub fn levels(&self) -> &'static [char] {
        if self.ascii {
            &['_', '.', ':', '-', '=', '+', '*', '#']
        } else {
            &['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█']
        }
    }
}
