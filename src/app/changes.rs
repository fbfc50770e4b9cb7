//! The change flows in the dashboard: `r` opens the key picker, a pick opens
//! the confirmation, `d` opens the type-the-name dialog. What is shown is
//! checked here with the same rules the worker applies again before sending.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::update::typed;
use super::{App, Confirm, Dialog, PickItem, Picker, WorkerCommand};
use crate::change::Request;
use crate::cloud::KeyRef;
use crate::cloud::{key_id_of, KeyType, KmsKey, Stream};
use crate::model::Tone;
use crate::preflight::{self, Change};

impl App {
    /// `r`: the key picker for the selected stream.
    pub(super) fn open_picker(&mut self) -> Vec<WorkerCommand> {
        let Some(stream) = self.changeable() else {
            return Vec::new();
        };
        self.dialog = Some(Dialog::Picker(Picker {
            stream: stream.name.clone(),
            filter: String::new(),
            selected: 0,
        }));
        if self.all_keys.is_none() {
            // Asked again after a failure: "listing…" until the answer.
            self.all_keys_error = None;
            return vec![WorkerCommand::LoadKeys];
        }
        Vec::new()
    }

    /// `d`: the stop-encryption dialog for the selected stream.
    pub(super) fn open_disable(&mut self) {
        let Some(stream) = self.changeable().cloned() else {
            return;
        };
        let mut confirm = self.preview(
            &stream,
            Request::Disable {
                stream: stream.name.clone(),
            },
            None,
        );
        confirm.typed = Some(String::new());
        self.dialog = Some(Dialog::Confirm(confirm));
    }

    /// The selected stream, if a change may be asked for it now.
    fn changeable(&mut self) -> Option<&Stream> {
        if self.context.read_only {
            self.message = Some((
                "read-only mode: changes are off (started with --read-only or read_only = true)"
                    .into(),
                Tone::Bad,
            ));
            return None;
        }
        let row = self.selected_row()?;
        if row.stream.is_none() {
            self.message = Some((
                format!("{} is not described yet; try again in a moment", row.name),
                Tone::Info,
            ));
            return None;
        }
        self.selected_row().and_then(|r| r.stream.as_ref())
    }

    /// The keys the picker offers, filtered: the AWS owned key first, then
    /// the account's customer keys, unusable ones with the reason.
    pub fn picker_items(&self) -> Vec<PickItem> {
        let Some(Dialog::Picker(p)) = &self.dialog else {
            return Vec::new();
        };
        let current = self.row(&p.stream).and_then(|r| r.stream.as_ref());
        let mut items = vec![PickItem {
            key: KeyRef::AwsOwned,
            label: "AWS owned key".into(),
            detail: "managed by Firehose, no KMS charges".into(),
            problem: current
                .filter(|s| {
                    s.encryption.key_type == Some(KeyType::AwsOwned)
                        && s.encryption.status == crate::cloud::EncryptionStatus::Enabled
                })
                .map(|_| "already in use".to_string()),
        }];
        if let Some(book) = &self.all_keys {
            let mut keys: Vec<&KmsKey> = book
                .keys
                .values()
                .filter(|k| k.manager == "CUSTOMER")
                .collect();
            keys.sort_by_key(|k| {
                (
                    book.alias(&k.id).is_none(),
                    book.alias(&k.id).map(str::to_string),
                    k.id.clone(),
                )
            });
            for k in keys {
                let label = book
                    .alias(&k.id)
                    .map_or_else(|| k.id.clone(), str::to_string);
                let in_use = current.is_some_and(|s| {
                    s.encryption.key_arn.as_deref().map(key_id_of) == Some(k.id.as_str())
                        && s.encryption.status == crate::cloud::EncryptionStatus::Enabled
                });
                let problem = preflight::key_problem(k, &self.context.region)
                    .or_else(|| in_use.then(|| "already in use".to_string()));
                items.push(PickItem {
                    key: KeyRef::Customer(k.arn.clone()),
                    detail: format!("{} {}", k.state.as_str(), k.spec),
                    label,
                    problem,
                });
            }
        }
        let needle = p.filter.to_lowercase();
        items.retain(|i| {
            needle.is_empty()
                || i.label.to_lowercase().contains(&needle)
                || i.detail.to_lowercase().contains(&needle)
        });
        items
    }

    /// Keys while a dialog is open.
    pub(super) fn dialog_key(&mut self, ev: KeyEvent) -> Vec<WorkerCommand> {
        let ctrl_c = ev.code == KeyCode::Char('c') && ev.modifiers.contains(KeyModifiers::CONTROL);
        match self.dialog.take() {
            Some(Dialog::Quit(_)) => {
                // A second Ctrl-c is as good as yes: the user means it.
                if ctrl_c || matches!(ev.code, KeyCode::Char('y' | 'Y')) {
                    self.quit = true;
                } else if !matches!(ev.code, KeyCode::Char('n' | 'N') | KeyCode::Esc) {
                    self.dialog = Some(Dialog::Quit(self.following.iter().cloned().collect()));
                }
                Vec::new()
            }
            _ if ctrl_c => {
                self.request_quit();
                Vec::new()
            }
            Some(Dialog::Picker(p)) => self.picker_key(p, ev),
            Some(Dialog::Confirm(c)) => self.confirm_key(c, ev),
            None => Vec::new(),
        }
    }

    /// Quits, unless a change is still being followed: then asks first, as
    /// quitting leaves its outcome unrecorded.
    pub fn request_quit(&mut self) {
        if self.following.is_empty() {
            self.quit = true;
        } else {
            self.dialog = Some(Dialog::Quit(self.following.iter().cloned().collect()));
        }
    }

    fn picker_key(&mut self, mut p: Picker, ev: KeyEvent) -> Vec<WorkerCommand> {
        match ev.code {
            KeyCode::Esc => return Vec::new(),
            KeyCode::Up => p.selected = p.selected.saturating_sub(1),
            KeyCode::Down => p.selected += 1,
            KeyCode::Backspace => {
                p.filter.pop();
                p.selected = 0;
            }
            KeyCode::Char(_) => {
                if let Some(c) = typed(&ev) {
                    p.filter.push(c);
                    p.selected = 0;
                }
            }
            KeyCode::Enter => {
                self.dialog = Some(Dialog::Picker(p.clone()));
                let items = self.picker_items();
                let Some(item) = items.get(p.selected.min(items.len().saturating_sub(1))) else {
                    return Vec::new();
                };
                if let Some(problem) = &item.problem {
                    self.message =
                        Some((format!("cannot use {}: {problem}", item.label), Tone::Bad));
                    return Vec::new();
                }
                let target = match &item.key {
                    KeyRef::AwsOwned => None,
                    KeyRef::Customer(arn) => {
                        self.all_keys.as_ref().and_then(|b| b.key(arn)).cloned()
                    }
                };
                let Some(stream) = self.row(&p.stream).and_then(|r| r.stream.clone()) else {
                    return Vec::new();
                };
                let request = Request::Rotate {
                    stream: p.stream.clone(),
                    key: item.key.clone(),
                };
                let confirm = self.preview(&stream, request, target);
                self.dialog = Some(Dialog::Confirm(confirm));
                return Vec::new();
            }
            _ => {}
        }
        let count = {
            self.dialog = Some(Dialog::Picker(p));
            self.picker_items().len()
        };
        if let Some(Dialog::Picker(p)) = &mut self.dialog {
            p.selected = p.selected.min(count.saturating_sub(1));
        }
        Vec::new()
    }

    fn confirm_key(&mut self, mut c: Confirm, ev: KeyEvent) -> Vec<WorkerCommand> {
        let go = match (&mut c.typed, ev.code) {
            (_, KeyCode::Esc) => return Vec::new(),
            (Some(name), KeyCode::Char(_)) => {
                name.extend(typed(&ev));
                false
            }
            (Some(typed), KeyCode::Backspace) => {
                typed.pop();
                false
            }
            (Some(typed), KeyCode::Enter) => *typed == c.stream,
            (None, KeyCode::Char('y' | 'Y')) => true,
            (None, KeyCode::Char('n' | 'N')) => return Vec::new(),
            // Anything else, Enter included, keeps the dialog: cancel is the default.
            _ => false,
        };
        if go && c.verdict.allowed() {
            self.message = Some((
                format!("{}: sending the change to AWS…", c.stream),
                Tone::Info,
            ));
            return vec![WorkerCommand::Change {
                request: c.request,
                streams_on_key: c.streams_on_key,
            }];
        }
        self.dialog = Some(Dialog::Confirm(c));
        Vec::new()
    }

    /// The confirmation for a change, checked against what the dashboard knows.
    fn preview(&self, stream: &Stream, request: Request, target: Option<KmsKey>) -> Confirm {
        let (change, new_label) = match (&request, target) {
            (Request::Disable { .. }, _) => (Change::Stop, "no encryption".to_string()),
            (_, Some(k)) => {
                let label = self
                    .all_keys
                    .as_ref()
                    .map_or_else(|| k.id.clone(), |b| b.key_label(&k.id));
                (Change::Start(KeyRef::Customer(k)), label)
            }
            (_, None) => (Change::Start(KeyRef::AwsOwned), "AWS owned key".to_string()),
        };
        let streams_on_key = match &change {
            Change::Start(KeyRef::Customer(k)) => Some(
                self.rows
                    .iter()
                    .filter(|r| {
                        r.stream.as_ref().is_some_and(|s| {
                            s.encryption.key_arn.as_deref() == Some(k.arn.as_str())
                        })
                    })
                    .count(),
            ),
            _ => None,
        };
        let quota = self.quota(&stream.name).ok();
        let facts = preflight::ChangeFacts {
            stream,
            change: &change,
            region: &self.context.region,
            quota,
            streams_on_key,
            kms_errors_now: self.kms_sums(&stream.name).map_or(0.0, |s| s.iter().sum()),
            errors_window: self.window.label(),
            credentials: self.credentials,
            now: self.now,
        };
        let verdict = preflight::check(&facts, &new_label);
        let old_label = crate::change::current_key_label(stream, &self.keys);
        Confirm {
            request,
            stream: stream.name.clone(),
            old_label,
            new_label,
            quota,
            verdict,
            streams_on_key,
            typed: None,
        }
    }
}
