//! What the user asked for, and what the app asks of the cloud worker.

use crate::config::Window;

/// A user intent, after the keymap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    Open,
    Back,
    Filter,
    Sort,
    Window,
    Refresh,
    Help,
    Quit,
}

/// Work for the cloud worker. The worker merges repeats, so sending one twice
/// costs nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Re-list, re-describe what is on screen, refetch metrics and quotas now.
    Refresh,
    /// Fetch KMS metrics for this window from now on.
    Window(Window),
    /// What the user sees (described first) and what is a page away.
    Interest {
        visible: Vec<String>,
        nearby: Vec<String>,
    },
}
