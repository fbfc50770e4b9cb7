//! Where each of the app's commands goes: to the worker of the target it
//! is about, or to every target's when it is about them all.

use super::Fleet;
use crate::model::{KeyId, LoadingState, StreamId, TargetId};
use crate::worker::WorkerCommand;

impl Fleet {
    /// The workers a command is for. A twin's stream (a dialog opened
    /// before it was found to be one) is the same stream of the first
    /// target, and goes there.
    pub fn route(&mut self, mut command: WorkerCommand) -> Vec<(TargetId, WorkerCommand)> {
        self.rehome(&mut command);
        let counted: Vec<TargetId> = self.counted().map(|p| p.id).collect();
        let all = |c: WorkerCommand| counted.iter().map(|t| (*t, c.clone())).collect();
        match command {
            WorkerCommand::Window(window) => {
                self.set_window(window);
                all(WorkerCommand::Window(window))
            }
            WorkerCommand::Refresh => all(WorkerCommand::Refresh),
            // A move may run in a twin found after it began.
            WorkerCommand::StopMove => self
                .parts
                .iter()
                .filter(|p| p.live)
                .map(|p| (p.id, WorkerCommand::StopMove))
                .collect(),
            // Only ever sent to the twin's own worker.
            WorkerCommand::Retire(twin) => vec![(twin, command)],
            WorkerCommand::Interest { visible, nearby } => {
                self.interest(&counted, &visible, &nearby)
            }
            WorkerCommand::LoadKeys(target)
            | WorkerCommand::MakeChange { target, .. }
            | WorkerCommand::Describe(StreamId { target, .. })
            | WorkerCommand::CheckGrant {
                stream: StreamId { target, .. },
                ..
            }
            | WorkerCommand::MakeKeyChange {
                key: KeyId { target, .. },
                ..
            }
            | WorkerCommand::Move {
                from: KeyId { target, .. },
                ..
            } => vec![(target, command)],
        }
    }

    /// A command about one stream or key, put under the target that stream
    /// or key is listed with; the streams a key's change is about are those
    /// of that target.
    fn rehome(&self, command: &mut WorkerCommand) {
        match command {
            WorkerCommand::LoadKeys(target) | WorkerCommand::MakeChange { target, .. } => {
                *target = self.home(*target);
            }
            WorkerCommand::Describe(id) | WorkerCommand::CheckGrant { stream: id, .. } => {
                *id = self.at_home(id);
            }
            WorkerCommand::MakeKeyChange { key, streams, .. }
            | WorkerCommand::Move {
                from: key, streams, ..
            } => {
                key.target = self.home(key.target);
                *streams = self.own(key.target, streams);
            }
            // About every target: `route` gives each its own share.
            WorkerCommand::Window(_)
            | WorkerCommand::Refresh
            | WorkerCommand::StopMove
            | WorkerCommand::Retire(_)
            | WorkerCommand::Interest { .. } => {}
        }
    }

    /// Each counted target's worker is told which of its own streams are on
    /// screen and which are near it.
    fn interest(
        &self,
        counted: &[TargetId],
        visible: &[StreamId],
        nearby: &[StreamId],
    ) -> Vec<(TargetId, WorkerCommand)> {
        counted
            .iter()
            .map(|&t| {
                let command = WorkerCommand::Interest {
                    visible: self.own(t, visible),
                    nearby: self.own(t, nearby),
                };
                (t, command)
            })
            .collect()
    }

    /// The same stream, under the target whose streams it is listed with.
    fn at_home(&self, id: &StreamId) -> StreamId {
        StreamId::new(self.home(id.target), id.name.clone())
    }

    /// Target `of`'s streams among `ids`.
    fn own(&self, of: TargetId, ids: &[StreamId]) -> Vec<StreamId> {
        ids.iter()
            .map(|id| self.at_home(id))
            .filter(|id| id.target == of)
            .collect()
    }

    /// The key picker of a stream of `target` is open: its every key is
    /// listed once, asked again when its list failed; a target without a
    /// worker is never "listing". The command to send, if any.
    pub fn ask_keys(&mut self, target: TargetId) -> Option<WorkerCommand> {
        let target = self.home(target);
        let p = self.parts.get_mut(target.index())?;
        let wanted = matches!(
            p.all_keys_state,
            LoadingState::Idle | LoadingState::Error(_)
        );
        if !(p.counts() && wanted) {
            return None;
        }
        p.all_keys_state = LoadingState::Loading;
        Some(WorkerCommand::LoadKeys(target))
    }
}
