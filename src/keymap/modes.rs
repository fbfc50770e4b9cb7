//! What a key press can mean, and where: every action, every mode of the
//! dashboard, and the actions each mode offers with the words the help screen
//! says for them there.

use crossterm::event::MouseEventKind;

/// A user intent, after the keymap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserAction {
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
    /// Only the streams with KMS errors in the window, or all again.
    OnlyKmsErrors,
    /// Only the DirectPut streams without encryption, or all again.
    OnlyUnencrypted,
    Window,
    Refresh,
    /// Change the selected stream's key (or enable encryption).
    Switch,
    /// Stop the selected stream's encryption.
    Disable,
    /// The keys view: every key the fleet uses, one row a key.
    Keys,
    /// Rotate the key material of the selected stream's (or row's) key.
    RotateMaterial,
    /// Turn the keys view row's automatic rotation on (or off, if on).
    AutoRotation,
    /// Move every stream off the keys view row's key (to a key picked next).
    MoveOff,
    Help,
    Quit,
    /// Close the filter prompt, keeping what was typed.
    FilterKeep,
    /// Close the filter prompt and show every stream again.
    FilterClear,
    /// Delete the last character of a text field.
    Erase,
    PickerUp,
    PickerDown,
    /// Use the highlighted key: the confirmation follows.
    Pick,
    /// Close the key picker or the stop dialog, changing nothing.
    Cancel,
    /// Yes to the question a dialog asks (send the change, quit anyway).
    ConfirmYes,
    /// No to the question a dialog asks: the dialog closes, nothing happens.
    ConfirmNo,
    /// Automatic rotation's confirmation: a shorter period (or off).
    PeriodShorter,
    /// Automatic rotation's confirmation: a longer period.
    PeriodLonger,
    /// Stop the encryption, once the stream's full name is typed.
    SubmitName,
    /// The message log: the last outcomes and errors in full.
    Messages,
    /// Clear the status line's message (it stays in the message log).
    Dismiss,
    /// Acknowledge the stream's problem: no notification for it for
    /// `[alerts] ack_hours`.
    Ack,
    /// Copy the selected stream's or key's ARN to the terminal's clipboard
    /// (OSC 52, which crosses SSH and tmux).
    CopyArn,
    /// The `:` command line.
    Command,
    /// Complete the command line's word.
    Complete,
    /// The selected stream's or key's description, as JSON.
    Raw,
}

impl UserAction {
    /// Every action, in the order of the `[keys]` section.
    pub const ALL: &'static [UserAction] = &[
        UserAction::Up,
        UserAction::Down,
        UserAction::Top,
        UserAction::Bottom,
        UserAction::PageUp,
        UserAction::PageDown,
        UserAction::Open,
        UserAction::Back,
        UserAction::Filter,
        UserAction::Sort,
        UserAction::OnlyKmsErrors,
        UserAction::OnlyUnencrypted,
        UserAction::Window,
        UserAction::Refresh,
        UserAction::Switch,
        UserAction::Disable,
        UserAction::Keys,
        UserAction::RotateMaterial,
        UserAction::AutoRotation,
        UserAction::MoveOff,
        UserAction::Help,
        UserAction::Quit,
        UserAction::FilterKeep,
        UserAction::FilterClear,
        UserAction::Erase,
        UserAction::PickerUp,
        UserAction::PickerDown,
        UserAction::Pick,
        UserAction::Cancel,
        UserAction::ConfirmYes,
        UserAction::ConfirmNo,
        UserAction::PeriodShorter,
        UserAction::PeriodLonger,
        UserAction::SubmitName,
        UserAction::Messages,
        UserAction::Dismiss,
        UserAction::Ack,
        UserAction::CopyArn,
        UserAction::Command,
        UserAction::Complete,
        UserAction::Raw,
    ];

    /// The action's name in the `[keys]` section of the config file.
    pub fn name(self) -> &'static str {
        match self {
            UserAction::Up => "up",
            UserAction::Down => "down",
            UserAction::Top => "top",
            UserAction::Bottom => "bottom",
            UserAction::PageUp => "page_up",
            UserAction::PageDown => "page_down",
            UserAction::Open => "open",
            UserAction::Back => "back",
            UserAction::Filter => "filter",
            UserAction::Sort => "sort",
            UserAction::OnlyKmsErrors => "only_kms_errors",
            UserAction::OnlyUnencrypted => "only_unencrypted",
            UserAction::Window => "window",
            UserAction::Refresh => "refresh",
            UserAction::Switch => "rotate",
            UserAction::Disable => "disable",
            UserAction::Keys => "keys",
            UserAction::RotateMaterial => "rotate_material",
            UserAction::AutoRotation => "auto_rotation",
            UserAction::MoveOff => "move_off",
            UserAction::Help => "help",
            UserAction::Quit => "quit",
            UserAction::FilterKeep => "filter_keep",
            UserAction::FilterClear => "filter_clear",
            UserAction::Erase => "erase",
            UserAction::PickerUp => "picker_up",
            UserAction::PickerDown => "picker_down",
            UserAction::Pick => "pick",
            UserAction::Cancel => "cancel",
            UserAction::ConfirmYes => "confirm_yes",
            UserAction::ConfirmNo => "confirm_no",
            UserAction::PeriodShorter => "period_shorter",
            UserAction::PeriodLonger => "period_longer",
            UserAction::SubmitName => "submit_name",
            UserAction::Messages => "messages",
            UserAction::Dismiss => "dismiss",
            UserAction::Ack => "ack",
            UserAction::CopyArn => "copy_arn",
            UserAction::Command => "command",
            UserAction::Complete => "complete",
            UserAction::Raw => "raw",
        }
    }

    /// Whether the action starts a change to a stream: refused, and its keys
    /// not offered, in read-only mode.
    pub fn changes_something(self) -> bool {
        matches!(
            self,
            UserAction::Switch
                | UserAction::Disable
                | UserAction::RotateMaterial
                | UserAction::AutoRotation
                | UserAction::MoveOff
        )
    }
}

/// Where the keys go: each mode has its own map from keys to actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    Table,
    Detail,
    /// The keys view.
    Keys,
    Filter,
    Picker,
    /// The confirmation of a key change: y or n.
    Confirm,
    /// The stop dialog, where the stream's name is typed.
    TypedName,
    Help,
    /// "A change is still being followed; quit anyway?"
    QuitConfirm,
    /// The plan of a move off a key, where the old key's name is typed.
    MovePlan,
    /// A move under way, or over: its progress.
    Moving,
    /// The message log.
    Messages,
    /// The `:` command line.
    Command,
    /// A stream's or key's description as JSON.
    Raw,
}

use UserAction as A;

/// The table and the detail view offer the same actions; `Open` does nothing
/// in the detail, as it always did, and `Back` leaves it.
const BROWSE: &[(UserAction, &str)] = &[
    (A::Up, "move up"),
    (A::Down, "move down"),
    (A::Top, "first stream"),
    (A::Bottom, "last stream"),
    (A::PageUp, "page up (detail: newer calls)"),
    (A::PageDown, "page down (detail: older calls)"),
    (A::Open, "open the stream's detail"),
    (A::Back, "back / close / clear filter"),
    (A::Filter, "filter by name, key or status"),
    (A::Sort, "sort: problems, name, status, KMS errors, quota"),
    (
        A::OnlyKmsErrors,
        "only streams with KMS errors (again: all)",
    ),
    (
        A::OnlyUnencrypted,
        "only unencrypted DirectPut (again: all)",
    ),
    (A::Window, "cycle KMS error window: 1h, 3h, 12h, 24h"),
    (A::Refresh, "refresh everything now"),
    (A::Switch, "change the stream's key, or enable encryption"),
    (A::Disable, "stop the stream's encryption"),
    (A::Keys, "keys view: every key the fleet uses"),
    (A::RotateMaterial, "rotate the key's material (KMS)"),
    (A::Ack, "acknowledge the problem: quiet for ack_hours"),
    (A::CopyArn, "copy the stream's ARN to the clipboard"),
    (A::Raw, "the stream's description as JSON"),
    COMMAND_KEY,
    MESSAGES_KEY,
    DISMISS,
    (A::Help, "show or hide this help"),
    (A::Quit, "quit (Ctrl-c always quits)"),
];

/// The same words wherever the message log and dismissing are offered.
const MESSAGES_KEY: (UserAction, &str) = (A::Messages, "message log: outcomes and errors in full");
const DISMISS: (UserAction, &str) = (A::Dismiss, "clear the status line's message");
const COMMAND_KEY: (UserAction, &str) = (A::Command, "command line, k9s style (Tab completes)");

const COMMAND: &[(UserAction, &str)] = &[
    (A::Complete, "complete the word (targets, sort columns)"),
    (A::SubmitName, "run the command"),
    (A::Cancel, "close, doing nothing"),
    ERASE,
];

const KEYS: &[(UserAction, &str)] = &[
    (A::Up, "move up"),
    (A::Down, "move down"),
    (A::Top, "first key"),
    (A::Bottom, "last key"),
    (A::PageUp, "page up"),
    (A::PageDown, "page down"),
    (A::Open, "show the key's streams"),
    (A::Back, "clear the filter, or back to the streams"),
    (A::Filter, "filter by alias, id or state"),
    (A::Sort, "cycle sort: problems, name, streams"),
    (A::Window, "cycle KMS error window: 1h, 3h, 12h, 24h"),
    (A::Refresh, "refresh everything now"),
    (A::Keys, "back to the streams"),
    (A::RotateMaterial, "rotate the key's material (KMS)"),
    (
        A::AutoRotation,
        "automatic rotation on/off (←/→: the period)",
    ),
    (A::MoveOff, "move every stream off the key (plan first)"),
    (A::CopyArn, "copy the key's ARN to the clipboard"),
    (A::Raw, "the key's description as JSON"),
    COMMAND_KEY,
    MESSAGES_KEY,
    DISMISS,
    (A::Help, "show or hide this help"),
    (A::Quit, "quit (Ctrl-c always quits)"),
];

const ERASE: (UserAction, &str) = (A::Erase, "delete the last character");

const FILTER: &[(UserAction, &str)] = &[
    (A::FilterKeep, "keep the filter, close the prompt"),
    (A::FilterClear, "clear the filter, close the prompt"),
    ERASE,
];

const PICKER: &[(UserAction, &str)] = &[
    (A::PickerUp, "previous key"),
    (A::PickerDown, "next key"),
    (A::Pick, "use this key (a confirmation follows)"),
    (A::Cancel, "close, changing nothing"),
    ERASE,
];

const CONFIRM: &[(UserAction, &str)] = &[
    (A::ConfirmYes, "send the change"),
    (A::ConfirmNo, "cancel (the default: other keys do nothing)"),
    (
        A::PeriodShorter,
        "automatic rotation: a shorter period, or off",
    ),
    (A::PeriodLonger, "automatic rotation: a longer period"),
];

const TYPED_NAME: &[(UserAction, &str)] = &[
    (A::SubmitName, "stop, or send anyway, once it is typed"),
    (A::Cancel, "close, changing nothing"),
    ERASE,
];

const MOVE_PLAN: &[(UserAction, &str)] = &[
    (A::SubmitName, "start, once the old key's name is typed"),
    (A::Cancel, "close, moving nothing"),
    (A::PickerUp, "scroll the plan up"),
    (A::PickerDown, "scroll the plan down"),
    ERASE,
];

const MOVING: &[(UserAction, &str)] = &[
    (A::Up, "scroll up"),
    (A::Down, "scroll down"),
    (A::Top, "to the top"),
    (A::Bottom, "to the end"),
    (A::PageUp, "page up"),
    (A::PageDown, "page down"),
    (A::Back, "stop sending, follow what was sent; over: close"),
    (A::Keys, "keys view (the move goes on; M shows it again)"),
    (A::MoveOff, "over: plan a new move off the same key"),
    MESSAGES_KEY,
    DISMISS,
    (A::Help, "show or hide this help"),
    (A::Quit, "quit (asks first while streams are followed)"),
];

const HELP: &[(UserAction, &str)] = &[
    (A::Up, "scroll up"),
    (A::Down, "scroll down"),
    (A::Top, "to the top"),
    (A::Bottom, "to the end"),
    (A::PageUp, "page up"),
    (A::PageDown, "page down"),
    (A::Help, "close this help"),
    (A::Back, "close this help"),
    MESSAGES_KEY,
    (A::Quit, "quit"),
];

const MESSAGES: &[(UserAction, &str)] = &[
    (A::Up, "newer message"),
    (A::Down, "older message"),
    (A::Top, "the newest"),
    (A::Bottom, "the oldest"),
    (A::PageUp, "page up"),
    (A::PageDown, "page down"),
    (A::Messages, "close the message log"),
    (A::Back, "close the message log"),
    DISMISS,
    (A::Quit, "quit"),
];

const RAW: &[(UserAction, &str)] = &[
    (A::Up, "scroll up"),
    (A::Down, "scroll down"),
    (A::Top, "to the top"),
    (A::Bottom, "to the end"),
    (A::PageUp, "page up"),
    (A::PageDown, "page down"),
    (A::Raw, "close"),
    (A::Back, "close"),
    (A::Quit, "quit"),
];

const QUIT_CONFIRM: &[(UserAction, &str)] = &[
    (A::ConfirmYes, "quit: the outcome is recorded as unknown"),
    (A::ConfirmNo, "stay, and keep following the change"),
];

impl Mode {
    pub const ALL: &'static [Mode] = &[
        Mode::Table,
        Mode::Detail,
        Mode::Keys,
        Mode::Filter,
        Mode::Picker,
        Mode::Confirm,
        Mode::TypedName,
        Mode::Help,
        Mode::QuitConfirm,
        Mode::MovePlan,
        Mode::Moving,
        Mode::Messages,
        Mode::Command,
        Mode::Raw,
    ];

    /// The actions this mode offers, with what each does here, in help order.
    pub fn actions(self) -> &'static [(UserAction, &'static str)] {
        match self {
            Mode::Table | Mode::Detail => BROWSE,
            Mode::Keys => KEYS,
            Mode::Filter => FILTER,
            Mode::Picker => PICKER,
            Mode::Confirm => CONFIRM,
            Mode::TypedName => TYPED_NAME,
            Mode::Help => HELP,
            Mode::QuitConfirm => QUIT_CONFIRM,
            Mode::MovePlan => MOVE_PLAN,
            Mode::Moving => MOVING,
            Mode::Messages => MESSAGES,
            Mode::Command => COMMAND,
            Mode::Raw => RAW,
        }
    }

    pub fn offers(self, action: UserAction) -> bool {
        self.actions().iter().any(|(a, _)| *a == action)
    }

    /// Whether a printable character typed here goes into a text field: it
    /// is never looked up in the keymap, so text can hold any letter.
    pub fn takes_text(self) -> bool {
        matches!(
            self,
            Mode::Filter | Mode::Picker | Mode::TypedName | Mode::MovePlan | Mode::Command
        )
    }

    /// The mode in words, for config errors: "`x` … in the key picker".
    pub fn name(self) -> &'static str {
        match self {
            Mode::Table => "the table",
            Mode::Detail => "the detail view",
            Mode::Keys => "the keys view",
            Mode::Filter => "the filter prompt",
            Mode::Picker => "the key picker",
            Mode::Confirm => "the change confirmation",
            Mode::TypedName => "the stop dialog",
            Mode::Help => "the help",
            Mode::QuitConfirm => "the quit question",
            Mode::MovePlan => "the move's plan",
            Mode::Moving => "the move's progress",
            Mode::Messages => "the message log",
            Mode::Command => "the command line",
            Mode::Raw => "the JSON view",
        }
    }

    /// The action that leads here, if one does: read-only mode hides the
    /// keys of modes that only a change leads to.
    pub fn opened_by(self) -> Option<UserAction> {
        match self {
            Mode::Table | Mode::Detail => None,
            Mode::Keys => Some(A::Keys),
            Mode::Filter => Some(A::Filter),
            Mode::Picker | Mode::Confirm => Some(A::Switch),
            Mode::TypedName => Some(A::Disable),
            Mode::Help => Some(A::Help),
            Mode::QuitConfirm => Some(A::Quit),
            Mode::MovePlan | Mode::Moving => Some(A::MoveOff),
            Mode::Messages => Some(A::Messages),
            Mode::Command => Some(A::Command),
            Mode::Raw => Some(A::Raw),
        }
    }

    /// The actions that leave the mode: at least one must keep a key, or
    /// the user is stuck there (Ctrl-c aside, which asks to quit).
    pub fn exits(self) -> &'static [UserAction] {
        match self {
            Mode::Table => &[A::Quit],
            Mode::Detail => &[A::Back, A::Quit],
            Mode::Keys => &[A::Keys, A::Back, A::Quit],
            Mode::Filter => &[A::FilterKeep, A::FilterClear],
            // Picking and sending may be refused; only these always work.
            Mode::Picker | Mode::TypedName => &[A::Cancel],
            Mode::Confirm => &[A::ConfirmNo],
            Mode::Help => &[A::Help, A::Back, A::Quit],
            Mode::QuitConfirm => &[A::ConfirmYes, A::ConfirmNo],
            Mode::MovePlan => &[A::Cancel],
            Mode::Moving => &[A::Back, A::Keys, A::Quit],
            Mode::Messages => &[A::Messages, A::Back, A::Quit],
            Mode::Command => &[A::Cancel],
            Mode::Raw => &[A::Raw, A::Back, A::Quit],
        }
    }

    /// What the mouse wheel means here. In the filter prompt it moves
    /// through the streams it lets through, as it always did.
    pub fn wheel(self, kind: MouseEventKind) -> Option<UserAction> {
        let (up, down) = match self {
            Mode::Table
            | Mode::Detail
            | Mode::Keys
            | Mode::Help
            | Mode::Filter
            | Mode::Moving
            | Mode::Messages
            | Mode::Raw => (A::Up, A::Down),
            Mode::Picker | Mode::MovePlan => (A::PickerUp, A::PickerDown),
            Mode::Confirm | Mode::TypedName | Mode::QuitConfirm | Mode::Command => return None,
        };
        match kind {
            MouseEventKind::ScrollUp => Some(up),
            MouseEventKind::ScrollDown => Some(down),
            _ => None,
        }
    }
}

/// The help screen's parts: a title and the modes whose keys it lists. The
/// table and the detail view offer the same actions, so they share one.
pub const HELP_SECTIONS: &[(&str, &[Mode])] = &[
    ("Stream table and detail", &[Mode::Table, Mode::Detail]),
    ("Keys view: one row a key the fleet uses", &[Mode::Keys]),
    ("Filter prompt: type a name, key or status", &[Mode::Filter]),
    ("Key picker: type to narrow the list", &[Mode::Picker]),
    ("Confirming a key change", &[Mode::Confirm]),
    (
        "Stopping encryption, or sending anyway: type the name (or send)",
        &[Mode::TypedName],
    ),
    (
        "Move off a key: the plan (type the old key's name)",
        &[Mode::MovePlan],
    ),
    ("Move off a key: progress", &[Mode::Moving]),
    ("Message log: newest first", &[Mode::Messages]),
    ("Command line (:), Tab completes", &[Mode::Command]),
    (
        "JSON view (y): the description as firekeeper read it",
        &[Mode::Raw],
    ),
    ("Quitting while a change is followed", &[Mode::QuitConfirm]),
    ("This help", &[Mode::Help]),
];
