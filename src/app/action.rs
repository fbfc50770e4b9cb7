//! What the user asked for, and what the app asks of the cloud worker.

use crate::model::Window;

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
    /// Change the selected stream's key (or enable encryption).
    Rotate,
    /// Stop the selected stream's encryption.
    Disable,
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
    /// List every KMS key of the account, for the key picker.
    LoadKeys,
    /// Make a change, confirmed by the user; the worker plans it again from
    /// fresh descriptions, so the checks never rest on stale data.
    Change {
        request: crate::change::Request,
        streams_on_key: Option<usize>,
    },
}
