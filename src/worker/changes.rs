//! A change asked for in the dashboard, as a job of the worker: planned again
//! from fresh descriptions, sent once, followed until it settles, each step
//! reported as it happens.

use std::sync::Arc;

use chrono::Utc;
use futures::FutureExt;
use tokio::time::Instant;

use super::jobs::Job;
use super::{DataEvent, Worker};
use crate::change::{self, ChangeContext, ChangeError, ChangeTiming, Ending, Request, Step};
use crate::cloud::Cloud;
use crate::model::Tone;

impl Worker {
    /// Not bounded by a job deadline: every call in it has one, and
    /// following has its own patience.
    pub(super) fn start_change(
        &mut self,
        request: Request,
        streams_on_key: Option<usize>,
        force: bool,
    ) {
        let name = request.stream().to_string();
        self.scheduler.finished(&name, true, Instant::now());
        let job = ChangeJob {
            cloud: self.cloud.clone(),
            ctx: ChangeContext {
                force,
                ..self.changes.clone()
            },
            events: self.events.fresh(),
            name,
        };
        self.changing += 1;
        self.jobs.push(job.run(request, streams_on_key).boxed());
    }
}

impl Worker {
    /// A CreateGrant dry run on the key for a confirmation, by its deadline:
    /// one KMS call, whose answer the dialog shows.
    pub(super) fn start_grant_check(&mut self, key: String) {
        let cloud = self.cloud.clone();
        let asked = key.clone();
        self.push(
            async move {
                let check = cloud.grant_check(&key).await;
                Job::GrantChecked(key, check)
            },
            move |e| Job::GrantChecked(asked, crate::cloud::GrantCheck::Unknown(e.to_string())),
        );
    }
}

impl Worker {
    /// Rotating a key's material: planned again from a fresh description of
    /// the key, sent once, followed; each step on the status line.
    pub(super) fn start_key_change(
        &mut self,
        key: String,
        change: crate::key_rotation::KeyChange,
        streams: Vec<String>,
    ) {
        let job = KeyJob {
            cloud: self.cloud.clone(),
            ctx: self.changes.clone(),
            events: self.events.fresh(),
            key,
            followed: None,
        };
        self.changing += 1;
        self.jobs.push(job.run(change, streams).boxed());
    }
}

struct KeyJob {
    cloud: Arc<dyn Cloud>,
    ctx: ChangeContext,
    events: super::Outbox,
    key: String,
    /// What the dashboard was told is being followed, to take it back.
    followed: Option<String>,
}

impl KeyJob {
    async fn run(mut self, change: crate::key_rotation::KeyChange, streams: Vec<String>) -> Job {
        let (text, tone) = self.carry_out(change, streams).await;
        if let Some(followed) = self.followed.take() {
            self.events.post(DataEvent::Following {
                stream: followed,
                active: false,
            });
        }
        self.say(text, tone);
        self.events.flush().await;
        Job::KeyChanged
    }

    /// Quitting while the change is sent or followed asks first, as for a
    /// stream: the audit log would not have its outcome.
    fn following(&mut self, label: &str) {
        let followed = format!("the key material of {label}");
        self.events.post(DataEvent::Following {
            stream: followed.clone(),
            active: true,
        });
        self.followed = Some(followed);
    }

    async fn carry_out(
        &mut self,
        change: crate::key_rotation::KeyChange,
        streams: Vec<String>,
    ) -> (String, Tone) {
        use crate::key_rotation::{self, KeyEnding, KeyProgress};
        know_account(self.cloud.as_ref(), &mut self.ctx).await;
        let cloud = self.cloud.clone();
        let cloud = cloud.as_ref();
        let plan = match key_rotation::plan(cloud, &self.ctx, &self.key, change, streams).await {
            Ok(plan) => plan,
            Err(e) => return (e.to_string(), Tone::Bad),
        };
        let label = plan.label.clone();
        self.following(&label);
        let timing = key_rotation::RotationTiming::default();
        let ending = key_rotation::carry_out(cloud, &self.ctx, &plan, timing, true, |progress| {
            match progress {
                KeyProgress::Said(step) => {
                    self.say(format!("{label}: {}", step.trim()), Tone::Info);
                }
                // Said on screen: a line on stderr would land in the
                // middle of the dashboard's.
                KeyProgress::NotAudited(why) => self.say(format!("{label}: {why}"), Tone::Bad),
            }
        })
        .await;
        match ending {
            Ok(KeyEnding::Done(Some(at))) => (
                format!(
                    "{label}: key material rotated at {}.",
                    crate::model::stamp(at)
                ),
                Tone::Good,
            ),
            Ok(KeyEnding::Done(None) | KeyEnding::Sent) => (format!("{label}: done."), Tone::Good),
            Ok(KeyEnding::TimedOut) => (
                format!("{label}: not shown done yet; KMS may still be rotating."),
                Tone::Bad,
            ),
            Ok(KeyEnding::Unconfirmed { seen, cause }) => (
                format!(
                    "{label}: {cause} and {}; nothing was sent again.",
                    if seen {
                        "the key does not show the change: KMS probably did not apply it"
                    } else {
                        "the key could not be read: the outcome is not known"
                    }
                ),
                Tone::Bad,
            ),
            Err(e) => (format!("{label}: {e}"), Tone::Bad),
        }
    }

    fn say(&self, text: String, tone: Tone) {
        self.events.post(DataEvent::ChangeReport {
            stream: self.key.clone(),
            text,
            tone,
        });
    }
}

struct ChangeJob {
    cloud: Arc<dyn Cloud>,
    ctx: ChangeContext,
    events: super::Outbox,
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
        self.events.flush().await;
        Job::Changed(self.name)
    }

    /// The outcome in words, and how it reads.
    async fn carry_out(
        &mut self,
        request: &Request,
        streams_on_key: Option<usize>,
    ) -> Result<(String, Tone), ChangeError> {
        know_account(self.cloud.as_ref(), &mut self.ctx).await;
        let cloud = self.cloud.as_ref();
        let plan = change::plan(cloud, &self.ctx, request, |_| streams_on_key).await?;
        self.following(true);
        let outcome = change::carry_out(
            cloud,
            &self.ctx,
            &plan,
            ChangeTiming::default(),
            true,
            |s| {
                self.step(s);
            },
        )
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
        let mut text = change::explain(&plan, &ending, &stream);
        if let Some(note) = change::accepted_past_refused(&plan).filter(|_| self.ctx.force) {
            text = format!("{text} {note}.");
        }
        Ok((text, tone))
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
                self.events.post(DataEvent::Stream {
                    name: s.name.clone(),
                    result: Ok(s.clone()),
                    at: Utc::now(),
                });
            }
        }
    }

    fn say(&self, text: String, tone: Tone) {
        self.events.post(DataEvent::ChangeReport {
            stream: self.name.clone(),
            text,
            tone,
        });
    }

    fn following(&self, active: bool) {
        self.events.post(DataEvent::Following {
            stream: self.name.clone(),
            active,
        });
    }
}

impl Worker {
    /// A move off a key, confirmed by the user: its streams at the Firehose
    /// pace, several followed at once, each reported as it goes. A second
    /// move while one runs is not started: the dashboard offers only one.
    pub(super) fn start_move(
        &mut self,
        from: String,
        to: crate::model::KeyRef,
        streams: Vec<String>,
        streams_on_new: Option<usize>,
    ) {
        if self.moving.is_some() {
            // The last move is still ending (its last stream has reported,
            // its job not yet): say so rather than leave the view waiting.
            for stream in streams {
                self.events.post(DataEvent::Moving {
                    stream,
                    stage: change::moving::Stage::NotSent,
                    words: "not sent: the last move was still ending; press M again".into(),
                });
            }
            self.events.post(DataEvent::MoveOver);
            return;
        }
        let stop = change::StopSwitch::default();
        self.moving = Some(stop.clone());
        let ctx = ChangeContext {
            stop,
            ..self.changes.clone()
        };
        let job = MoveJob {
            cloud: self.cloud.clone(),
            ctx,
            events: self.events.fresh(),
            from,
            to,
            streams_on_new,
        };
        self.changing += 1;
        self.jobs.push(job.run(streams).boxed());
    }
}

struct MoveJob {
    cloud: Arc<dyn Cloud>,
    ctx: ChangeContext,
    events: super::Outbox,
    from: String,
    to: crate::model::KeyRef,
    streams_on_new: Option<usize>,
}

impl MoveJob {
    async fn run(mut self, streams: Vec<String>) -> Job {
        use futures::StreamExt;
        know_account(self.cloud.as_ref(), &mut self.ctx).await;
        let this = &self;
        futures::stream::iter(streams)
            .map(|name| this.move_one(name))
            .buffer_unordered(change::moving::AT_ONCE)
            .collect::<Vec<()>>()
            .await;
        self.events.flush().await;
        Job::Moved
    }

    /// One stream of the move, its events in order on an outbox of its own.
    async fn move_one(&self, name: String) {
        let out = self.events.fresh();
        self.move_stream(&out, name).await;
        out.flush().await;
    }

    async fn move_stream(&self, out: &super::Outbox, name: String) {
        use change::moving::{self, Stage, Update};
        let stage = |stage: Stage, words: String| {
            out.post(DataEvent::Moving {
                stream: name.clone(),
                stage,
                words,
            });
        };
        if self.ctx.stop.stopped() {
            stage(Stage::NotSent, "not sent: the move was stopped".into());
            return;
        }
        // Taken up: from here until AWS answers, the row is no longer
        // waiting its turn.
        stage(
            Stage::Sending,
            "sending: reading it once more, then the call".into(),
        );
        let request = Request::Switch {
            stream: name.clone(),
            key: self.to.clone(),
        };
        let cloud = self.cloud.as_ref();
        let plan =
            match moving::plan_one(cloud, &self.ctx, &self.from, &request, self.streams_on_new)
                .await
            {
                Ok(plan) => plan,
                Err(why) => return stage(Stage::Skipped, why),
            };
        let following = |active| {
            out.post(DataEvent::Following {
                stream: name.clone(),
                active,
            });
        };
        following(true);
        moving::send_one(cloud, &self.ctx, &plan, true, |update| match update {
            Update::Stage(s, words) => stage(s, words),
            Update::Seen(s) => {
                out.post(DataEvent::Stream {
                    name: s.name.clone(),
                    result: Ok(s.clone()),
                    at: Utc::now(),
                });
            }
        })
        .await;
        following(false);
    }
}

/// A change needs the account to be counted in the ledger: if it is not
/// known yet, ask once more now; `send` refuses, with the reason, if still
/// not.
async fn know_account(cloud: &dyn Cloud, ctx: &mut ChangeContext) {
    if ctx.account.is_some() {
        return;
    }
    match cloud.identity().await {
        Ok(id) => {
            ctx.account = Some(id.account);
            ctx.caller = Some(id.arn);
        }
        Err(e) => tracing::warn!("cannot tell the account for a change: {e}"),
    }
}
