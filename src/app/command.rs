//! The `:` command line, as k9s users reach for it: `:streams`, `:keys`,
//! `:messages`, `:target NAME`, `:sort COLUMN`, `:q`, with Tab completing
//! the word being typed from what exists (targets, sort columns).

use super::{App, View};
use crate::keymap::UserAction as A;
use crate::keymap::UserAction;
use crate::model::{SortKey, Tone};
use crate::worker::WorkerCommand;

/// The commands, as typed after `:`; those taking a word end in a space.
const COMMANDS: &[&str] = &["streams", "keys", "messages", "target ", "sort ", "q"];

/// The sort columns by the names `[ui] sort` takes.
const SORTS: &[(&str, SortKey)] = &[
    ("problems", SortKey::Problems),
    ("name", SortKey::Name),
    ("status", SortKey::Status),
    ("kms-errors", SortKey::KmsErrors),
    ("quota-left", SortKey::QuotaLeft),
    ("region", SortKey::Region),
];

impl App {
    /// The command line, empty.
    pub(super) fn open_command(&mut self) {
        self.screen.command = Some(String::new());
    }

    /// What completes the line as typed: whole lines, for the prompt to
    /// offer and Tab to take.
    pub fn completions(&self) -> Vec<String> {
        let typed = self.screen.command.as_deref().unwrap_or_default();
        let (head, words): (&str, Vec<String>) = if let Some(rest) = typed.strip_prefix("target ") {
            let labels = self
                .fleet
                .parts()
                .iter()
                .map(|p| p.info.target.label.clone());
            (rest, labels.collect())
        } else if let Some(rest) = typed.strip_prefix("sort ") {
            // By region only means something with several targets.
            let several = self.fleet.several();
            let sorts = SORTS
                .iter()
                .filter(|(_, k)| several || *k != SortKey::Region);
            (rest, sorts.map(|(n, _)| (*n).to_string()).collect())
        } else {
            (typed, COMMANDS.iter().map(|c| (*c).to_string()).collect())
        };
        let stem = &typed[..typed.len() - head.len()];
        let mut words: Vec<String> = words
            .into_iter()
            .filter(|w| w.starts_with(head))
            .map(|w| format!("{stem}{w}"))
            .collect();
        words.dedup();
        words
    }

    /// An action while the command line is open.
    pub(super) fn command_action(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        match action {
            A::Cancel => self.screen.command = None,
            A::Erase => {
                if let Some(line) = &mut self.screen.command {
                    line.pop();
                }
            }
            A::Complete => self.complete(),
            A::SubmitName => {
                let line = self.screen.command.take().unwrap_or_default();
                return self.run_command(line.trim());
            }
            _ => {}
        }
        Vec::new()
    }

    /// Tab: the longest start the completions share.
    fn complete(&mut self) {
        let all = self.completions();
        let Some(first) = all.first() else {
            return;
        };
        let shared = all.iter().fold(first.clone(), |acc, w| {
            acc.chars()
                .zip(w.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect()
        });
        if let Some(line) = &mut self.screen.command {
            if shared.len() > line.len() {
                *line = shared;
            }
        }
    }

    fn run_command(&mut self, line: &str) -> Vec<WorkerCommand> {
        let (word, arg) = line.split_once(' ').unwrap_or((line, ""));
        let arg = arg.trim();
        match word {
            "" => {}
            "streams" | "s" => self.screen.view = View::Table,
            "keys" | "k" => self.screen.view = View::Keys,
            "messages" | "m" => self.open_messages(),
            "q" | "quit" => self.request_quit(),
            "target" => self.command_target(arg),
            "sort" => self.command_sort(arg),
            _ => self.say(
                format!("no command :{line}; Tab lists them (streams, keys, messages, target NAME, sort COLUMN, q)"),
                Tone::Bad,
            ),
        }
        self.interest()
    }

    /// `:target NAME`: the table filtered to that target's streams (a
    /// stream's shown name holds its target's label).
    fn command_target(&mut self, name: &str) {
        let labels: Vec<String> = self
            .fleet
            .parts()
            .iter()
            .map(|p| p.info.target.label.clone())
            .collect();
        if !labels.iter().any(|l| l == name) {
            let text = format!("no target {name:?}: the targets are {}", labels.join(", "));
            self.say(text, Tone::Bad);
            return;
        }
        self.screen.view = View::Table;
        self.table.filter = name.to_string();
        self.refresh_view();
        self.select(0);
    }

    /// `:sort COLUMN`, by the names `[ui] sort` takes.
    fn command_sort(&mut self, name: &str) {
        let Some((_, key)) = SORTS.iter().find(|(n, _)| *n == name) else {
            let names: Vec<&str> = SORTS.iter().map(|(n, _)| *n).collect();
            self.say(
                format!("no sort {name:?}: the columns are {}", names.join(", ")),
                Tone::Bad,
            );
            return;
        };
        if *key == SortKey::Region && !self.fleet.several() {
            self.say("sort by region needs several targets", Tone::Bad);
            return;
        }
        self.table.sort = *key;
        self.refresh_view();
    }
}
