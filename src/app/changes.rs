//! The change flows in the dashboard: `r` opens the key picker, a pick opens
//! the confirmation, `d` opens the type-the-name dialog. What is shown is
//! checked here with the same rules the worker applies again before sending.

use super::{App, Confirm, Dialog, PickFor, PickItem, Picker, WorkerCommand};
use crate::change::Request;
use crate::cloud::EncryptionCall;
use crate::cloud::KeyRef;
use crate::cloud::{key_id_of, KeyType, KmsKey, Stream};
use crate::estate::KeyList;
use crate::inventory::{AWS_OWNED, NO_ENCRYPTION};
use crate::keymap::UserAction as A;
use crate::keymap::UserAction;
use crate::model::Tone;
use crate::preflight;

/// Where the picker's list of customer keys stands, in its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PickerKeys {
    Listed,
    /// What is being listed: "the KMS keys of eu-west-1".
    Listing(String),
    /// Why there are none to offer; opening the picker again asks again.
    Failed(String),
}

impl App {
    /// `r`: the key picker for the selected stream, once it is described.
    pub(super) fn open_picker(&mut self) -> Vec<WorkerCommand> {
        match self.changeable(A::Switch) {
            Ok(stream) => self.picker_for(&stream),
            Err(commands) => commands,
        }
    }

    /// The key picker for a described stream, or why it cannot change.
    pub(super) fn picker_for(&mut self, stream: &Stream) -> Vec<WorkerCommand> {
        let quota = self.quota(&stream.name).ok();
        let refusals = preflight::stream_refusals(stream, quota.as_ref(), self.now);
        if !refusals.is_empty() {
            // Refused before a key is chosen for nothing, as `d` is.
            let old_label = self.keys.label(stream);
            self.dialog = Some(Dialog::Confirm(Confirm {
                request: Request::Switch {
                    stream: stream.name.clone(),
                    key: KeyRef::AwsOwned,
                },
                stream: stream.name.clone(),
                old_label,
                new_label: "another key".into(),
                quota,
                verdict: preflight::Verdict {
                    refusals,
                    ..Default::default()
                },
                streams_on_key: None,
                typed: None,
                mismatch: false,
                grant_pending: false,
            }));
            return Vec::new();
        }
        let purpose = PickFor::Stream(stream.name.clone());
        self.open_key_picker(purpose)
    }

    /// The key picker, and the account's keys listed if they are not yet.
    pub(super) fn open_key_picker(&mut self, purpose: PickFor) -> Vec<WorkerCommand> {
        self.dialog = Some(Dialog::Picker(Picker {
            purpose,
            filter: String::new(),
            selected: 0,
        }));
        if self.targets.len() < 2 {
            if self.all_keys.is_none() {
                // Asked again after a failure: "listing…" until the answer.
                self.all_keys_error = None;
                return vec![WorkerCommand::LoadKeys];
            }
            return Vec::new();
        }
        // Several targets: the stream's own target lists its keys, or is
        // asked again after a failure; no other target is asked.
        let label = self.picker_target().map(|t| t.label.clone());
        let target = self
            .targets
            .iter_mut()
            .find(|t| Some(&t.label) == label.as_ref());
        match target {
            Some(t) if t.key_list.wanted() => {
                t.key_list = KeyList::Listing;
                vec![WorkerCommand::LoadKeysOf(t.label.clone())]
            }
            _ => Vec::new(),
        }
    }

    /// The target whose keys the open picker offers, with several targets.
    fn picker_target(&self) -> Option<&crate::estate::TargetInfo> {
        let Some(Dialog::Picker(p)) = &self.dialog else {
            return None;
        };
        match &p.purpose {
            PickFor::Stream(name) => self.target_of(name),
            PickFor::MoveOff { arn, .. } => self.target_of_key(arn),
        }
    }

    /// Where the open picker's list of customer keys stands.
    pub fn picker_keys(&self) -> PickerKeys {
        if self.targets.len() < 2 {
            return match (&self.all_keys, &self.all_keys_error) {
                (Some(_), _) => PickerKeys::Listed,
                (None, None) => PickerKeys::Listing("the account's KMS keys".into()),
                (None, Some(why)) => PickerKeys::Failed(why.clone()),
            };
        }
        let Some(t) = self.picker_target() else {
            return PickerKeys::Failed(
                "the account and region of these streams are not known yet".into(),
            );
        };
        match &t.key_list {
            KeyList::Listed(_) if self.all_keys.is_some() => PickerKeys::Listed,
            KeyList::Failed(why) => PickerKeys::Failed(format!("{}: {why}", t.label)),
            _ => PickerKeys::Listing(format!("the KMS keys of {}", t.label)),
        }
    }

    /// `d`: the stop-encryption dialog for the selected stream, once it is
    /// described.
    pub(super) fn open_disable(&mut self) -> Vec<WorkerCommand> {
        match self.changeable(A::Disable) {
            Ok(stream) => self.disable_for(&stream),
            Err(commands) => return commands,
        }
        Vec::new()
    }

    /// The stop dialog for a described stream.
    pub(super) fn disable_for(&mut self, stream: &Stream) {
        let mut confirm = self.preview(
            stream,
            Request::Disable {
                stream: stream.name.clone(),
            },
            None,
        );
        confirm.typed = Some(String::new());
        self.dialog = Some(Dialog::Confirm(confirm));
    }

    /// The keys the picker offers, filtered: the AWS owned key first, then
    /// the account's customer keys, unusable ones with the reason.
    pub fn picker_items(&self) -> Vec<PickItem> {
        let Some(Dialog::Picker(p)) = &self.dialog else {
            return Vec::new();
        };
        let (current, moving_off) = match &p.purpose {
            PickFor::Stream(name) => (self.row(name).and_then(|r| r.stream.as_ref()), None),
            PickFor::MoveOff { arn, .. } => (None, Some(arn.as_str())),
        };
        let region = match &p.purpose {
            PickFor::Stream(name) => self.region_of(name),
            PickFor::MoveOff { arn, .. } => {
                crate::cloud::region_of_arn(arn).unwrap_or(&self.context.region)
            }
        };
        // With several targets the keys listed are every target's: a
        // stream can use only those its own target listed, the keys of
        // its account and region.
        let listed = match self.picker_target().map(|t| &t.key_list) {
            Some(KeyList::Listed(arns)) => Some(arns),
            _ => None,
        };
        let theirs =
            |k: &KmsKey| self.targets.len() < 2 || listed.is_some_and(|a| a.contains(&k.arn));
        let mut items = vec![PickItem {
            key: KeyRef::AwsOwned,
            label: AWS_OWNED.into(),
            detail: "managed by Firehose, no KMS charges".into(),
            problem: current
                .filter(|s| {
                    s.encryption.key_type == Some(KeyType::AwsOwned)
                        && s.encryption.status == crate::cloud::EncryptionStatus::Enabled
                })
                .map(|_| "already in use".to_string()),
            warning: None,
        }];
        if let Some(book) = &self.all_keys {
            let mut keys: Vec<&KmsKey> = book
                .keys
                .values()
                .filter(|k| k.manager == crate::cloud::KeyManager::Customer && theirs(k))
                .collect();
            keys.sort_by_key(|k| {
                (
                    book.alias(&k.arn).is_none(),
                    book.alias(&k.arn).map(str::to_string),
                    k.id.clone(),
                )
            });
            for k in keys {
                let label = book
                    .alias(&k.arn)
                    .map_or_else(|| k.id.clone(), str::to_string);
                let in_use = current.is_some_and(|s| {
                    s.encryption.key_arn.as_deref().map(key_id_of) == Some(k.id.as_str())
                        && s.encryption.status == crate::cloud::EncryptionStatus::Enabled
                });
                let problem = preflight::key_problem(k, region)
                    .or_else(|| in_use.then(|| "already in use".to_string()))
                    .or_else(|| {
                        (moving_off == Some(k.arn.as_str()))
                            .then(|| "the key being moved off".to_string())
                    });
                items.push(PickItem {
                    key: KeyRef::Customer(k.arn.clone()),
                    detail: format!("{} {}", k.state.as_str(), k.spec),
                    warning: self.key_warning(&k.arn),
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

    /// An action of the key picker.
    pub(super) fn picker_action(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        let Some(Dialog::Picker(p)) = &mut self.dialog else {
            return Vec::new();
        };
        match action {
            A::PickerUp => p.selected = p.selected.saturating_sub(1),
            A::PickerDown => p.selected += 1,
            A::Erase => {
                p.filter.pop();
                p.selected = 0;
            }
            A::Cancel => self.dialog = None,
            A::Pick => return self.pick(),
            _ => {}
        }
        let count = self.picker_items().len();
        if let Some(Dialog::Picker(p)) = &mut self.dialog {
            p.selected = p.selected.min(count.saturating_sub(1));
        }
        Vec::new()
    }

    /// The highlighted key: its confirmation, or why it cannot be used.
    fn pick(&mut self) -> Vec<WorkerCommand> {
        let Some(Dialog::Picker(p)) = &self.dialog else {
            return Vec::new();
        };
        let (purpose, selected) = (p.purpose.clone(), p.selected);
        let items = self.picker_items();
        let Some(item) = items.get(selected.min(items.len().saturating_sub(1))) else {
            return Vec::new();
        };
        if let Some(problem) = &item.problem {
            self.say(format!("cannot use {}: {problem}", item.label), Tone::Bad);
            return Vec::new();
        }
        let target = match &item.key {
            KeyRef::AwsOwned => None,
            KeyRef::Customer(arn) => self.all_keys.as_ref().and_then(|b| b.key(arn)).cloned(),
        };
        let name = match purpose {
            PickFor::Stream(name) => name,
            PickFor::MoveOff { arn, .. } => {
                self.dialog = None;
                self.plan_move(&arn, item.key.clone(), target);
                return Vec::new();
            }
        };
        let Some(stream) = self.row(&name).and_then(|r| r.stream.clone()) else {
            return Vec::new();
        };
        let request = Request::Switch {
            stream: name.clone(),
            key: item.key.clone(),
        };
        // Asked afresh each time: a key policy may have changed since.
        let check = match &item.key {
            KeyRef::Customer(arn) => {
                self.grant_checks.remove(arn);
                vec![WorkerCommand::CheckGrant {
                    stream: name,
                    key: arn.clone(),
                }]
            }
            KeyRef::AwsOwned => Vec::new(),
        };
        self.dialog = Some(Dialog::Confirm(self.preview(&stream, request, target)));
        check
    }

    /// An action of the confirmation or of the stop dialog.
    /// The confirmation for rotating a key's material, from what the
    /// dashboard knows: the key, its streams and its rotations so far.
    pub(super) fn open_key_rotation(&mut self, arn: &str, change: crate::key_rotation::KeyChange) {
        use crate::key_rotation::{verdict, KeyPlan};
        let Some(key) = self.keys.key(arn).cloned() else {
            let text = format!(
                "{} is not described by KMS yet; try again in a moment",
                self.keys.key_label(arn)
            );
            self.say(text, Tone::Bad);
            return;
        };
        let label = self.keys.key_label(arn);
        let streams: Vec<String> = self
            .rows
            .iter()
            .filter(|r| r.encrypted_with(arn))
            .map(|r| r.name.clone())
            .collect();
        let spanned = self.targets_of(streams.iter().map(String::as_str));
        if spanned.len() > 1 {
            let text = self.spanned_refusal(&label, &spanned);
            self.say(text, Tone::Bad);
            return;
        }
        let account = self.account_for_key(arn);
        let facts = (account.as_deref(), self.context.read_only);
        let plan = KeyPlan {
            verdict: verdict(&key, &label, change, facts, self.now),
            rotations: self.keys.rotations_of(&key.arn).cloned(),
            erring: self.erring(&streams),
            window: self.window.label().to_string(),
            key,
            label,
            change,
            streams,
        };
        self.dialog = Some(Dialog::KeyConfirm(Box::new(plan)));
    }

    /// The account a change to the key is made from: the target of its
    /// streams (or of its ARN), else the dashboard's.
    fn account_for_key(&self, arn: &str) -> Option<String> {
        self.target_of_key(arn)
            .and_then(|t| t.account.clone())
            .or_else(|| self.context.account.clone())
    }

    /// Which of these streams have KMS errors in the window, or why that is
    /// not known for one of them.
    fn erring(&self, streams: &[String]) -> Result<Vec<String>, String> {
        let mut erring = Vec::new();
        for name in streams {
            let sums = self
                .kms_sums(name)
                .map_err(|why| format!("KMS errors of {name}: {why}"))?;
            if sums.iter().sum::<f64>() > 0.0 {
                erring.push(name.clone());
            }
        }
        Ok(erring)
    }

    pub(super) fn confirm_action(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        let account = match &self.dialog {
            Some(Dialog::KeyConfirm(plan)) => self.account_for_key(&plan.key.arn),
            _ => None,
        };
        if let Some(Dialog::KeyConfirm(plan)) = &mut self.dialog {
            return match action {
                A::PeriodShorter | A::PeriodLonger => {
                    let rotating = plan.key.rotation.as_ref().is_some_and(|r| r.automatic);
                    let change = plan.change.step_period(action == A::PeriodLonger, rotating);
                    if change != plan.change {
                        plan.change = change;
                        plan.verdict = crate::key_rotation::verdict(
                            &plan.key,
                            &plan.label,
                            change,
                            (account.as_deref(), self.context.read_only),
                            self.now,
                        );
                    }
                    Vec::new()
                }
                A::ConfirmNo => {
                    self.dialog = None;
                    Vec::new()
                }
                A::ConfirmYes if plan.verdict.allowed() => {
                    let command = WorkerCommand::MakeKeyChange {
                        key: plan.key.arn.clone(),
                        change: plan.change,
                        streams: plan.streams.clone(),
                    };
                    let text = format!("{}: sending the change to KMS…", plan.label);
                    self.dialog = None;
                    self.say(text, Tone::Info);
                    vec![command]
                }
                _ => Vec::new(),
            };
        }
        let Some(Dialog::Confirm(c)) = &mut self.dialog else {
            return Vec::new();
        };
        let go = match (action, &mut c.typed) {
            (A::ConfirmNo, None) | (A::Cancel, Some(_)) => {
                self.dialog = None;
                false
            }
            (A::ConfirmYes, None) => true,
            (A::SubmitName, Some(typed)) => {
                // With several targets the name is shown with its region;
                // the stream's own name is what people type. Sending past
                // a refusal AWS may not share also takes `send`.
                let stopping = matches!(c.request, Request::Disable { .. });
                let send = c.verdict.forceable() && !stopping && typed == "send";
                c.mismatch = !send && *typed != c.stream && typed != crate::estate::bare(&c.stream);
                !c.mismatch
            }
            (A::Erase, Some(typed)) => {
                typed.pop();
                c.mismatch = false;
                false
            }
            _ => false,
        };
        match self.dialog.take() {
            Some(Dialog::Confirm(c)) if go && c.verdict.sendable(c.typed.is_some()) => {
                self.say(
                    format!("{}: sending the change to AWS…", c.stream),
                    Tone::Info,
                );
                vec![WorkerCommand::MakeChange {
                    force: c.verdict.forceable(),
                    request: c.request,
                    streams_on_key: c.streams_on_key,
                }]
            }
            kept => {
                self.dialog = kept;
                Vec::new()
            }
        }
    }

    /// The confirmation for a change, checked against what the dashboard knows.
    pub(super) fn preview(
        &self,
        stream: &Stream,
        request: Request,
        target: Option<KmsKey>,
    ) -> Confirm {
        let (change, new_label) = match (&request, target) {
            (Request::Disable { .. }, _) => (EncryptionCall::Stop, NO_ENCRYPTION.to_string()),
            (_, Some(k)) => {
                let label = self
                    .all_keys
                    .as_ref()
                    .unwrap_or(&self.keys)
                    .key_label(&k.arn);
                (EncryptionCall::Start(KeyRef::Customer(k)), label)
            }
            (_, None) => (
                EncryptionCall::Start(KeyRef::AwsOwned),
                AWS_OWNED.to_string(),
            ),
        };
        let streams_on_key = match &change {
            EncryptionCall::Start(KeyRef::Customer(k)) => Some(
                self.rows
                    .iter()
                    .filter(|r| r.encrypted_with(&k.arn))
                    .count(),
            ),
            _ => None,
        };
        let quota = self.quota(&stream.name).ok();
        let refused = crate::quota::RefusedCalls::of(self.calls(&stream.name));
        let (grant, grant_pending) = match &change {
            EncryptionCall::Start(KeyRef::Customer(k)) => {
                let known = self.grant_checks.get(&k.arn);
                (known, known.is_none())
            }
            _ => (None, false),
        };
        let facts = preflight::ChangeFacts {
            stream,
            change: &change,
            region: self.region_of(&stream.name),
            quota,
            refused: Some(&refused),
            grant,
            account: self
                .target_of(&stream.name)
                .and_then(|t| t.account.as_deref())
                .or(self.context.account.as_deref()),
            streams_on_key,
            kms_errors_now: self.kms_sums(&stream.name).map_or(0.0, |s| s.iter().sum()),
            errors_window: self.window.label(),
            credentials: self
                .target_of(&stream.name)
                .and_then(|t| t.credentials.clone())
                .unwrap_or_else(|| self.credentials.clone()),
            now: self.now,
        };
        let mut verdict = preflight::check(&facts, &new_label);
        let source = self
            .knowledge()
            .quota_source()
            .and_then(crate::quota::QuotaSource::warning);
        verdict.warnings.extend(source.filter(|_| quota.is_some()));
        let old_label = self.keys.label(stream);
        // Stopping, or sending past a refusal AWS may not share, is typed.
        let typed =
            (matches!(request, Request::Disable { .. }) || verdict.forceable()).then(String::new);
        Confirm {
            request,
            stream: stream.name.clone(),
            old_label,
            new_label,
            quota,
            verdict,
            streams_on_key,
            typed,
            mismatch: false,
            grant_pending,
        }
    }
}
