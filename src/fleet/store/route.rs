//! Where each of the app's commands goes: to the worker of the target it
//! is about, or to every target's when it is about them all.

use super::Fleet;
use crate::model::{LoadingState, StreamId, TargetId};
use crate::worker::WorkerCommand;

impl Fleet {
    /// The workers a command is for. A twin's stream (a dialog opened
    /// before it was found to be one) is the same stream of the first
    /// target, and goes there.
    pub fn route(&mut self, command: WorkerCommand) -> Vec<(TargetId, WorkerCommand)> {
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
            WorkerCommand::Retire(twin) => vec![(twin, WorkerCommand::Retire(twin))],
            WorkerCommand::LoadKeys(target) => {
                let target = self.home(target);
                vec![(target, WorkerCommand::LoadKeys(target))]
            }
            WorkerCommand::Interest { visible, nearby } => counted
                .iter()
                .map(|&t| {
                    let command = WorkerCommand::Interest {
                        visible: self.own(t, &visible),
                        nearby: self.own(t, &nearby),
                    };
                    (t, command)
                })
                .collect(),
            WorkerCommand::Describe(id) => {
                let id = self.at_home(&id);
                vec![(id.target, WorkerCommand::Describe(id))]
            }
            WorkerCommand::MakeChange {
                target,
                request,
                streams_on_key,
                force,
            } => {
                let target = self.home(target);
                let command = WorkerCommand::MakeChange {
                    target,
                    request,
                    streams_on_key,
                    force,
                };
                vec![(target, command)]
            }
            WorkerCommand::CheckGrant { stream, key } => {
                let stream = self.at_home(&stream);
                vec![(stream.target, WorkerCommand::CheckGrant { stream, key })]
            }
            WorkerCommand::MakeKeyChange {
                mut key,
                change,
                streams,
            } => {
                key.target = self.home(key.target);
                let streams = self.own(key.target, &streams);
                let target = key.target;
                let command = WorkerCommand::MakeKeyChange {
                    key,
                    change,
                    streams,
                };
                vec![(target, command)]
            }
            WorkerCommand::Move {
                mut from,
                to,
                streams,
                streams_on_new,
            } => {
                from.target = self.home(from.target);
                let streams = self.own(from.target, &streams);
                let target = from.target;
                let command = WorkerCommand::Move {
                    from,
                    to,
                    streams,
                    streams_on_new,
                };
                vec![(target, command)]
            }
        }
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
