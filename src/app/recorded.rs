//! Rows shown from AWS Config's records: those whose record or metrics show
//! a problem are described first, and none is changed on its record alone.

use super::{App, WorkerCommand};
use crate::model::TargetId;

impl App {
    /// Describe, before the rest, target `from`'s rows still shown from
    /// AWS Config whose record or metrics show a problem. Each is asked
    /// again only while it is still not described (the worker merges
    /// repeats), so a steady fleet costs nothing more.
    pub(super) fn hurry_recorded(&self, from: TargetId) -> Vec<WorkerCommand> {
        self.fleet
            .recorded_problems(from, self.rules(), self.now)
            .into_iter()
            .map(WorkerCommand::Describe)
            .collect()
    }
}
