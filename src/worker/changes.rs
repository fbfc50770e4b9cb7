//! A change asked for in the dashboard, as a job of the worker: planned again
//! from fresh descriptions, sent once, followed until it settles, each step
//! reported as it happens.

use std::sync::Arc;

use chrono::Utc;
use futures::FutureExt;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

use super::jobs::Job;
use super::{DataEvent, Worker};
use crate::change::{self, ChangeContext, ChangeError, Ending, Request, Step, Timing};
use crate::cloud::Cloud;
use crate::model::Tone;

impl Worker {
    /// Not bounded by a job deadline: every call in it has one, and
    /// following has its own patience.
    pub(super) fn start_change(&mut self, request: Request, streams_on_key: Option<usize>) {
        let name = request.stream().to_string();
        self.scheduler.finished(&name, true, Instant::now());
        let job = ChangeJob {
            cloud: self.cloud.clone(),
            ctx: self.changes.clone(),
            events: self.events.clone(),
            name,
        };
        self.jobs.push(job.run(request, streams_on_key).boxed());
    }
}

struct ChangeJob {
    cloud: Arc<dyn Cloud>,
    ctx: ChangeContext,
    events: UnboundedSender<DataEvent>,
    name: String,
}

impl ChangeJob {
    async fn run(mut self, request: Request, streams_on_key: Option<usize>) -> Job {
        let result = self.carry_out(&request, streams_on_key).await;
        self.following(false);
        match result {
            Ok((text, tone)) => self.say(text, tone),
            Err(e) => self.say(format!("{}: {e}", self.name), Tone::Bad),
        }
        Job::Changed(self.name)
    }

    /// The outcome in words, and how it reads.
    async fn carry_out(
        &mut self,
        request: &Request,
        streams_on_key: Option<usize>,
    ) -> Result<(String, Tone), ChangeError> {
        self.know_account().await;
        let cloud = self.cloud.as_ref();
        let plan = change::plan(cloud, &self.ctx, request, |_| streams_on_key).await?;
        self.following(true);
        let outcome = change::carry_out(cloud, &self.ctx, &plan, Timing::default(), true, |s| {
            self.step(s);
        })
        .await?;
        let Some((ending, stream)) = outcome else {
            return Ok((
                format!("{}: AWS accepted the change.", self.name),
                Tone::Good,
            ));
        };
        let tone = if ending == Ending::Done {
            Tone::Good
        } else {
            Tone::Bad
        };
        Ok((change::explain(&plan, &ending, &stream), tone))
    }

    /// A change needs the account to be counted in the ledger: if it is not
    /// known yet, ask once more now; `send` refuses, with the reason, if
    /// still not.
    async fn know_account(&mut self) {
        if self.ctx.account.is_some() {
            return;
        }
        match self.cloud.identity().await {
            Ok(id) => {
                self.ctx.account = Some(id.account);
                self.ctx.caller = Some(id.arn);
            }
            Err(e) => tracing::warn!("cannot tell the account for a change: {e}"),
        }
    }

    fn step(&self, step: Step<'_>) {
        let name = &self.name;
        match step {
            Step::Accepted => self.say(
                format!("{name}: AWS accepted the change; following it…"),
                Tone::Info,
            ),
            Step::Unclear(e) => self.say(
                format!("{name}: {e}. AWS may have applied this; checking…"),
                Tone::Info,
            ),
            Step::Confirmed => self.say(
                format!("{name}: AWS had applied the change; following it…"),
                Tone::Info,
            ),
            Step::Seen(s) => {
                let _ = self.events.send(DataEvent::Stream {
                    name: s.name.clone(),
                    result: Ok(s.clone()),
                    at: Utc::now(),
                });
            }
        }
    }

    fn say(&self, text: String, tone: Tone) {
        let _ = self.events.send(DataEvent::ChangeReport {
            stream: self.name.clone(),
            text,
            tone,
        });
    }

    fn following(&self, active: bool) {
        let _ = self.events.send(DataEvent::Following {
            stream: self.name.clone(),
            active,
        });
    }
}
