//! Taking over the terminal and always giving it back: on quit, on Ctrl-C, on
//! SIGTERM/SIGHUP (the main loop turns those into a quit), on an error, and
//! on a panic of the thread that draws (see `crash`). A panic elsewhere, in
//! the cloud worker, leaves the dashboard running to say so.

use std::io::{stdout, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

pub type Term = Terminal<CrosstermBackend<Stdout>>;

/// Whether the dashboard has the terminal now. Giving it back twice would
/// leave the alternate screen twice, and the second time moves the cursor
/// back over whatever was printed in between (the panic's message).
static TAKEN: AtomicBool = AtomicBool::new(false);

/// Restores the terminal when dropped.
pub struct Guard {
    mouse: bool,
}

impl Guard {
    pub fn enter(mouse: bool) -> std::io::Result<(Guard, Term)> {
        crate::crash::enter_tui(move || restore(mouse));
        if let Err(e) = enable_raw_mode() {
            crate::crash::leave_tui();
            return Err(e);
        }
        TAKEN.store(true, Ordering::SeqCst);
        let guard = Guard { mouse };
        execute!(stdout(), EnterAlternateScreen)?;
        if mouse {
            execute!(stdout(), EnableMouseCapture)?;
        }
        let mut terminal = Terminal::new(CrosstermBackend::new(stdout()))?;
        terminal.hide_cursor()?;
        terminal.clear()?;
        Ok((guard, terminal))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore(self.mouse);
        crate::crash::leave_tui();
    }
}

fn restore(mouse: bool) {
    if !TAKEN.swap(false, Ordering::SeqCst) {
        return;
    }
    if mouse {
        let _ = execute!(stdout(), DisableMouseCapture);
    }
    let _ = execute!(stdout(), LeaveAlternateScreen, crossterm::cursor::Show);
    let _ = disable_raw_mode();
}
