//! The change flows in the dashboard: `r` opens the key picker, a pick opens
//! the confirmation, `d` opens the type-the-name dialog. What is shown is
//! checked here with the same rules the worker applies again before sending.

use super::{App, Confirm, Dialog, PickFor, PickItem, Picker, WorkerCommand};
use crate::change::Request;
use crate::inventory::{AWS_OWNED, NO_ENCRYPTION};
use crate::keymap::UserAction as A;
use crate::keymap::UserAction;
use crate::model::EncryptionCall;
use crate::model::KeyRef;
use crate::model::LoadingState;
use crate::model::{key_id_of, KeyType, KmsKey, Stream};
use crate::model::{KeyId, StreamId, TargetId, Tone};
use crate::preflight;

impl App {
    /// `r`: the key picker for the selected stream, once it is described.
    pub(super) fn open_picker(&mut self) -> Vec<WorkerCommand> {
        match self.changeable(A::Switch) {
            Ok((id, stream)) => self.picker_for(&id, &stream),
            Err(commands) => commands,
        }
    }

    /// The key picker for a described stream, or why it cannot change.
    pub(super) fn picker_for(&mut self, id: &StreamId, stream: &Stream) -> Vec<WorkerCommand> {
        let quota = self.quota(id).ok();
        let refusals = preflight::stream_refusals(stream, quota.as_ref(), self.now);
        if !refusals.is_empty() {
            // Refused before a key is chosen for nothing, as `d` is.
            let old_label = self.key_label(id, stream);
            self.dialog = Some(Dialog::Confirm(Confirm {
                request: Request::Switch {
                    stream: id.name.clone(),
                    key: KeyRef::AwsOwned,
                },
                stream: id.clone(),
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
        self.open_key_picker(PickFor::Stream(id.clone()))
    }

    /// The key picker, and the account's keys listed if they are not yet.
    pub(super) fn open_key_picker(&mut self, purpose: PickFor) -> Vec<WorkerCommand> {
        self.dialog = Some(Dialog::Picker(Picker {
            purpose,
            filter: String::new(),
            selected: 0,
        }));
        // The stream's own target lists its keys, or is asked again after
        // a failure ("listing…" until the answer); no other target is asked.
        let target = self.picker_target();
        target
            .and_then(|t| self.fleet.ask_keys(t))
            .into_iter()
            .collect()
    }

    /// The target whose keys the open picker offers: the stream's, or the
    /// key's.
    fn picker_target(&self) -> Option<TargetId> {
        let Some(Dialog::Picker(p)) = &self.dialog else {
            return None;
        };
        match &p.purpose {
            PickFor::Stream(id) => Some(id.target),
            PickFor::MoveOff { key, .. } => Some(key.target),
        }
    }

    /// Where the open picker's list of customer keys stands, and what it
    /// lists in words ("the account's KMS keys", "the KMS keys of
    /// eu-west-1"). A failure names the target, with several.
    pub fn picker_keys(&self) -> (LoadingState, String) {
        let Some(part) = self.picker_target().and_then(|t| self.fleet.part(t)) else {
            let why = "the account and region of these streams are not known yet";
            return (LoadingState::Error(why.into()), String::new());
        };
        let what = match self.fleet.label_of(part.id) {
            Some(label) => format!("the KMS keys of {label}"),
            None => "the account's KMS keys".to_string(),
        };
        let state = match (&part.all_keys, &part.all_keys_state) {
            (Some(_), _) => LoadingState::Loaded,
            (None, LoadingState::Error(why)) => {
                LoadingState::Error(self.fleet.about(part.id, why.clone()))
            }
            (None, _) => LoadingState::Loading,
        };
        (state, what)
    }

    /// Every key the open picker's target listed.
    fn picker_book(&self) -> Option<&crate::inventory::KeyBook> {
        self.fleet.part(self.picker_target()?)?.all_keys.as_ref()
    }

    /// `d`: the stop-encryption dialog for the selected stream, once it is
    /// described.
    pub(super) fn open_disable(&mut self) -> Vec<WorkerCommand> {
        match self.changeable(A::Disable) {
            Ok((id, stream)) => self.disable_for(&id, &stream),
            Err(commands) => return commands,
        }
        Vec::new()
    }

    /// The stop dialog for a described stream.
    pub(super) fn disable_for(&mut self, id: &StreamId, stream: &Stream) {
        let mut confirm = self.preview(
            id,
            stream,
            Request::Disable {
                stream: id.name.clone(),
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
            PickFor::Stream(id) => (self.row(id).and_then(|r| r.stream.as_ref()), None),
            PickFor::MoveOff { key, .. } => (None, Some(key.arn.as_str())),
        };
        let region = match &p.purpose {
            PickFor::Stream(id) => self.region_of(id),
            PickFor::MoveOff { key, .. } => {
                crate::model::region_of_arn(&key.arn).unwrap_or(&self.context.region)
            }
        };
        let mut items = vec![PickItem {
            key: KeyRef::AwsOwned,
            label: AWS_OWNED.into(),
            detail: "managed by Firehose, no KMS charges".into(),
            problem: current
                .filter(|s| {
                    s.encryption.key_type == Some(KeyType::AwsOwned)
                        && s.encryption.status == crate::model::EncryptionStatus::Enabled
                })
                .map(|_| "already in use".to_string()),
            warning: None,
        }];
        // A stream can use only the keys its own target listed: those of
        // its account and region.
        let target = self.picker_target().unwrap_or_default();
        if let Some(book) = self.picker_book() {
            let mut keys: Vec<&KmsKey> = book
                .keys
                .values()
                .filter(|k| k.manager == crate::model::KeyManager::Customer)
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
                        && s.encryption.status == crate::model::EncryptionStatus::Enabled
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
                    warning: self.key_warning(target, &k.arn),
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
            KeyRef::Customer(arn) => self.picker_book().and_then(|b| b.key(arn)).cloned(),
        };
        let id = match purpose {
            PickFor::Stream(id) => id,
            PickFor::MoveOff { key, .. } => {
                self.dialog = None;
                self.plan_move(&key, item.key.clone(), target);
                return Vec::new();
            }
        };
        let Some(stream) = self.row(&id).and_then(|r| r.stream.clone()) else {
            return Vec::new();
        };
        let request = Request::Switch {
            stream: id.name.clone(),
            key: item.key.clone(),
        };
        // Asked afresh each time: a key policy may have changed since.
        let check = match &item.key {
            KeyRef::Customer(arn) => {
                self.fleet.forget_grant_check(id.target, arn);
                vec![WorkerCommand::CheckGrant {
                    stream: id.clone(),
                    key: arn.clone(),
                }]
            }
            KeyRef::AwsOwned => Vec::new(),
        };
        self.dialog = Some(Dialog::Confirm(self.preview(&id, &stream, request, target)));
        check
    }

    /// An action of the confirmation or of the stop dialog.
    /// The confirmation for rotating a key's material, from what the
    /// dashboard knows: the key, its streams and its rotations so far.
    pub(super) fn open_key_rotation(&mut self, id: &KeyId, change: crate::key_rotation::KeyChange) {
        use crate::key_rotation::{verdict, KeyPlan};
        let (arn, book) = (id.arn.as_str(), self.fleet.keys_of(id.target));
        let Some(key) = book.key(arn).cloned() else {
            let text = format!(
                "{} is not described by KMS yet; try again in a moment",
                book.key_label(arn)
            );
            self.say(text, Tone::Bad);
            return;
        };
        let label = book.key_label(arn);
        let rotations = book.rotations_of(&key.arn).cloned();
        let on_key = self.streams_on(arn);
        let spanned = self.targets_of(&on_key);
        if spanned.len() > 1 {
            let text = self.spanned_refusal(&label, &spanned);
            self.say(text, Tone::Bad);
            return;
        }
        let account = self.account_of(id.target);
        let facts = (account.as_deref(), self.context.read_only);
        let plan = KeyPlan {
            verdict: verdict(&key, &label, change, facts, self.now),
            rotations,
            erring: self.erring(&on_key),
            window: self.window.label().to_string(),
            key,
            label,
            change,
            streams: on_key.iter().map(|s| s.name.clone()).collect(),
        };
        self.dialog = Some(Dialog::KeyConfirm(Box::new(plan), id.target));
    }

    /// The streams encrypted with a key, as last described, in every target.
    pub fn streams_on(&self, arn: &str) -> Vec<StreamId> {
        self.fleet
            .rows()
            .filter(|(_, r)| r.encrypted_with(arn))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// The account a change is made from: the target's, else the
    /// dashboard's.
    fn account_of(&self, target: TargetId) -> Option<String> {
        self.fleet
            .part(target)
            .and_then(|p| p.info.target.account.clone())
            .or_else(|| self.context.account.clone())
    }

    /// Which of these streams have KMS errors in the window, or why that is
    /// not known for one of them.
    fn erring(&self, streams: &[StreamId]) -> Result<Vec<String>, String> {
        let mut erring = Vec::new();
        for id in streams {
            let name = self.shown(id);
            let sums = self
                .kms_sums(id)
                .map_err(|why| format!("KMS errors of {name}: {why}"))?;
            if sums.iter().sum::<f64>() > 0.0 {
                erring.push(name);
            }
        }
        Ok(erring)
    }

    /// An answer in a confirmation dialog, for a key or for a stream.
    pub(super) fn confirm_action(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        if matches!(self.dialog, Some(Dialog::KeyConfirm(..))) {
            self.key_confirm_action(action)
        } else {
            self.stream_confirm_action(action)
        }
    }

    /// The confirmation of a change to a key: its rotation period stepped,
    /// or the change sent to KMS or called off.
    fn key_confirm_action(&mut self, action: UserAction) -> Vec<WorkerCommand> {
        let account = match &self.dialog {
            Some(Dialog::KeyConfirm(_, target)) => self.account_of(*target),
            _ => None,
        };
        let Some(Dialog::KeyConfirm(plan, target)) = &mut self.dialog else {
            return Vec::new();
        };
        let target = *target;
        match action {
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
                    key: KeyId {
                        target,
                        arn: plan.key.arn.clone(),
                    },
                    change: plan.change,
                    streams: plan
                        .streams
                        .iter()
                        .map(|n| StreamId::new(target, n.clone()))
                        .collect(),
                };
                let text = format!("{}: sending the change to KMS…", plan.label);
                self.dialog = None;
                self.say(text, Tone::Info);
                vec![command]
            }
            _ => Vec::new(),
        }
    }

    /// The confirmation of a change to a stream: answered, or its name
    /// typed, and the change sent to AWS once the answer allows it.
    fn stream_confirm_action(&mut self, action: UserAction) -> Vec<WorkerCommand> {
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
                let shown = self.fleet.shown(&c.stream);
                c.mismatch = !send && *typed != shown && *typed != c.stream.name;
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
                    format!("{}: sending the change to AWS…", self.shown(&c.stream)),
                    Tone::Info,
                );
                vec![WorkerCommand::MakeChange {
                    target: c.stream.target,
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
        id: &StreamId,
        stream: &Stream,
        request: Request,
        target: Option<KmsKey>,
    ) -> Confirm {
        let part = self.fleet.part(id.target);
        let (change, new_label) = match (&request, target) {
            (Request::Disable { .. }, _) => (EncryptionCall::Stop, NO_ENCRYPTION.to_string()),
            (_, Some(k)) => {
                let book = part.and_then(|p| p.all_keys.as_ref());
                let label = book
                    .unwrap_or(self.fleet.keys_of(id.target))
                    .key_label(&k.arn);
                (EncryptionCall::Start(KeyRef::Customer(k)), label)
            }
            (_, None) => (
                EncryptionCall::Start(KeyRef::AwsOwned),
                AWS_OWNED.to_string(),
            ),
        };
        let streams_on_key = match &change {
            EncryptionCall::Start(KeyRef::Customer(k)) => Some(self.streams_on(&k.arn).len()),
            _ => None,
        };
        let quota = self.quota(id).ok();
        let refused = crate::quota::RefusedCalls::of(self.calls(id));
        let (grant, grant_pending) = match &change {
            EncryptionCall::Start(KeyRef::Customer(k)) => {
                let known = part.and_then(|p| p.grant_checks.get(&k.arn));
                (known, known.is_none())
            }
            _ => (None, false),
        };
        let facts = preflight::ChangeFacts {
            stream,
            change: &change,
            region: self.region_of(id),
            quota,
            refused: Some(&refused),
            grant,
            account: part
                .and_then(|p| p.info.target.account.as_deref())
                .or(self.context.account.as_deref()),
            streams_on_key,
            kms_errors_now: self.kms_sums(id).map_or(0.0, |s| s.iter().sum()),
            errors_window: self.window.label(),
            credentials: part.map(|p| p.credentials.clone()).unwrap_or_default(),
            now: self.now,
        };
        let mut verdict = preflight::check(&facts, &new_label);
        let source = self
            .knowledge(id.target)
            .quota_source()
            .and_then(crate::quota::QuotaSource::warning);
        verdict.warnings.extend(source.filter(|_| quota.is_some()));
        let old_label = self.key_label(id, stream);
        // Stopping, or sending past a refusal AWS may not share, is typed.
        let typed =
            (matches!(request, Request::Disable { .. }) || verdict.forceable()).then(String::new);
        Confirm {
            request,
            stream: id.clone(),
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
