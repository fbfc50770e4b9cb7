//! A dashboard filled from the simulator at a fixed moment, for tests and
//! snapshots that must read the same every run.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{App, DashboardContext};
use crate::cloud::scenario::Scenario;
use crate::cloud::sim::SimCloud;
use crate::cloud::Cloud;
use crate::config::Config;
use crate::inventory;
use crate::model::{Row, StreamId, TargetId, Window};
use crate::trail::Trail;
use crate::worker::DataEvent;

pub fn fixed_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
        .expect("valid time")
        .to_utc()
}

/// Everything the worker would have sent for the demo scenario.
pub fn demo_events(window: Window) -> Vec<DataEvent> {
    let now = fixed_now();
    let sim = SimCloud::with_clock(Scenario::builtin(), Arc::new(move || now));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(events_from(&sim, window, now))
}

/// Everything the worker would send the dashboard from this cloud, read at
/// `now`, with an empty ledger: the quota is what CloudTrail shows.
pub async fn events_from(cloud: &dyn Cloud, window: Window, now: DateTime<Utc>) -> Vec<DataEvent> {
    let names = inventory::list_names(cloud, 1000).await.expect("names");
    let described = inventory::describe_all(cloud, &names, 4).await;
    let keys = inventory::load_keys(cloud, described.iter().filter_map(|(_, r)| r.as_ref().ok()))
        .await
        .expect("keys");
    let streams = described.iter().filter_map(|(_, r)| r.as_ref().ok());
    let in_full = inventory::that_can_fail(streams);
    let mut catalog = inventory::Catalog::default();
    let c = &mut catalog;
    let metrics = inventory::load_metrics(cloud, &names, &in_full, &in_full, window, now, c)
        .await
        .expect("metrics");
    let series = Some(&metrics.series);
    let outages = inventory::outages(cloud, window, series, &in_full, now, &mut catalog).await;
    let identity = cloud.identity().await.expect("identity");
    let quotas = Trail::from_config(&Config::builtin())
        .book(cloud, &[], &identity.account, now)
        .await
        .expect("the quota");
    let mut events = vec![DataEvent::Identity(identity), DataEvent::Names(names)];
    events.extend(
        described
            .into_iter()
            .map(|(name, result)| DataEvent::Stream {
                name,
                result,
                at: now,
            }),
    );
    events.push(DataEvent::Keys(keys));
    events.push(DataEvent::Metrics {
        window,
        series: metrics.series,
        unknown: metrics.unknown,
        outages,
        at: now,
        as_of: Default::default(),
    });
    events.push(DataEvent::CloudWatch(cloud.cloudwatch_usage()));
    events.push(DataEvent::Quotas(Ok(quotas)));
    let back = chrono::Duration::hours(crate::trail::FIRST_LOOK_HOURS);
    let changes = crate::trail::read_changes(cloud, now - back, now)
        .await
        .expect("CloudTrail's changes");
    events.push(DataEvent::Changes(changes));
    events
}

pub fn demo_app(width: u16, height: u16) -> App {
    demo_app_with(&Config::builtin(), width, height)
}

pub fn demo_app_with(config: &Config, width: u16, height: u16) -> App {
    demo_app_from(config, width, height, demo_events(Window::H3))
}

/// A dashboard fed these events, as the worker would have sent them.
/// The demo's context: us-east-1, no account until STS answers.
fn demo_context() -> DashboardContext {
    DashboardContext {
        account: None,
        region: "us-east-1".into(),
        profile: None,
        demo: true,
        endpoint: None,
        read_only: false,
    }
}

pub fn demo_app_from(config: &Config, width: u16, height: u16, events: Vec<DataEvent>) -> App {
    let mut app = App::new(demo_context(), config, Window::H3, fixed_now());
    // Tests find streams by walking the table from the top: name order keeps
    // them readable. Each sort has its own tests (ui/tests/table.rs).
    app.table.sort = crate::app::SortKey::Name;
    for ev in events {
        app.apply(TargetId::FIRST, ev);
    }
    app.fit_help(crate::ui::help_viewport(height));
    app.resize(width, height, crate::ui::table_viewport(height));
    app
}

/// What the worker sends for `LoadKeys` on the demo: every key of the account.
pub fn all_keys_event() -> DataEvent {
    DataEvent::AllKeys(all_keys_of(Scenario::builtin()))
}

fn all_keys_of(scenario: Scenario) -> inventory::KeyBook {
    let sim = SimCloud::with_clock(scenario, Arc::new(fixed_now));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let ids = sim.list_keys().await.expect("keys").into_iter().collect();
        inventory::load_keys_for(&sim, &ids).await.expect("keys")
    })
}

/// What the `LoadKeys` of `estate_app` brings: the keys of us-east-1 and
/// of eu-west-1, each from its own target.
pub fn estate_all_keys_events(app: &App) -> Vec<(TargetId, DataEvent)> {
    let mut out = Vec::new();
    for p in app.fleet.parts() {
        let region = p.info.target.region.clone().unwrap_or_default();
        if region != "us-east-1" && region != "eu-west-1" {
            continue;
        }
        let own = all_keys_of(Scenario::builtin().in_target(&region, 0));
        out.push((p.id, DataEvent::AllKeys(own)));
    }
    out
}

/// A dashboard of three targets at a fixed moment: the demo in us-east-1,
/// its first 12 streams in eu-west-1, and ap-south-1, which could not be
/// listed (access denied); all merged as the dashboard merges them.
pub fn estate_app(width: u16, height: u16) -> App {
    estate_app_of(
        &[
            (None, "us-east-1", None),
            (None, "eu-west-1", Some(12)),
            (None, "ap-south-1", Some(0)),
        ],
        width,
        height,
    )
}

/// Two accounts (profiles prod and staging) in eu-west-1, and prod in
/// ap-southeast-2 denied, as `estate_app`.
pub fn estate_accounts_app(width: u16, height: u16) -> App {
    estate_app_of(
        &[
            (Some("prod"), "eu-west-1", Some(12)),
            (Some("staging"), "eu-west-1", Some(8)),
            (Some("prod"), "ap-southeast-2", Some(0)),
        ],
        width,
        height,
    )
}

/// Targets of (profile, region, streams): all the demo's streams, the first
/// N, or 0 for a target whose listing is denied.
fn estate_app_of(targets: &[(Option<&str>, &str, Option<usize>)], width: u16, height: u16) -> App {
    use crate::estate::{label, TargetInfo};
    let now = fixed_now();
    let many = targets.iter().any(|t| t.0 != targets[0].0);
    let infos = targets
        .iter()
        .map(|(profile, region, _)| {
            let info = TargetInfo {
                target: crate::model::Target {
                    profile: profile.map(str::to_string),
                    account: None,
                    region: Some(region.to_string()),
                    label: label(*profile, region, many),
                },
                ..TargetInfo::default()
            };
            (info, true)
        })
        .collect();
    let fleet = crate::fleet::Fleet::new(infos, Window::H3);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut merged = Vec::new();
    let profiles: Vec<Option<&str>> = targets.iter().map(|t| t.0).collect();
    for (i, (profile, region, streams)) in targets.iter().enumerate() {
        let target = TargetId(u16::try_from(i).expect("a few targets"));
        if *streams == Some(0) {
            let denied = crate::cloud::CloudError::AccessDenied(
                "User is not authorized to perform: firehose:ListDeliveryStreams".into(),
            );
            merged.push((
                target,
                DataEvent::Failed {
                    what: crate::worker::Fetch::List,
                    error: denied,
                },
            ));
            continue;
        }
        let account = profiles.iter().position(|p| p == profile).unwrap_or(0);
        let mut scenario = Scenario::builtin().in_target(region, account);
        if let Some(n) = streams {
            scenario = scenario.scaled(*n);
        }
        let sim = SimCloud::with_clock(scenario, Arc::new(move || now));
        for ev in rt.block_on(events_from(&sim, Window::H3, now)) {
            merged.push((target, ev));
        }
    }
    let mut app = App::with_fleet(demo_context(), &Config::builtin(), fleet, now);
    app.table.sort = crate::app::SortKey::Name;
    app.say_unconnected();
    for (target, ev) in merged {
        app.apply(target, ev);
    }
    app.fit_help(crate::ui::help_viewport(height));
    app.resize(width, height, crate::ui::table_viewport(height));
    app
}

/// `order-events` with 16 Starts AWS refused (AccessDenied, by another
/// principal) and 9 it took, in the last hours: only refused calls stand
/// between it and a call.
pub fn refused_book() -> crate::quota::QuotaBook {
    use crate::model::trail::{FIREHOSE, START};
    use crate::model::{KeyRef, TrailEvent};
    let now = fixed_now();
    let call = |i: i64, error: Option<&str>| TrailEvent {
        at: now - chrono::Duration::minutes(10 + i),
        name: START.into(),
        source: FIREHOSE.into(),
        by: Some(
            if error.is_some() {
                "intruder"
            } else {
                "terraform"
            }
            .into(),
        ),
        resource: Some("order-events".into()),
        request_id: Some(format!("req-{i}")),
        error_code: error.map(str::to_string),
        key: Some(KeyRef::AwsOwned),
        access_key_id: None,
        event_id: Some(format!("ev-{i}")),
        user_agent: None,
    };
    let events: Vec<TrailEvent> = (0..25)
        .map(|i| call(i, (i < 16).then_some("AccessDeniedException")))
        .collect();
    crate::quota::merged(&[], Ok(&events), "123456789012", "us-east-1", now)
}

/// The demo with `refused_book`'s quota and every key of the account listed.
pub fn app_with_refused_calls(width: u16, height: u16) -> App {
    let mut app = demo_app(width, height);
    app.apply(
        crate::model::TargetId::FIRST,
        DataEvent::Quotas(Ok(refused_book())),
    );
    app.apply(crate::model::TargetId::FIRST, all_keys_event());
    app
}

impl App {
    /// The table's streams as shown, top to bottom.
    pub fn listed_names(&self) -> Vec<String> {
        (0..self.table.visible.len())
            .filter_map(|i| self.listed(i).map(|(id, _)| self.shown(id)))
            .collect()
    }

    /// Every stream of the fleet with what is known of it, in name order.
    pub fn all_rows(&self) -> Vec<(StreamId, Row)> {
        self.fleet
            .rows()
            .map(|(id, r)| (id.clone(), r.clone()))
            .collect()
    }

    /// The stream shown under this name.
    pub fn id(&self, shown: &str) -> StreamId {
        self.fleet
            .order()
            .iter()
            .find(|id| self.shown(id) == shown)
            .cloned()
            .unwrap_or_else(|| panic!("no stream is shown as {shown}"))
    }

    /// A row to change in place, by its shown name.
    pub fn row_mut(&mut self, shown: &str) -> &mut Row {
        let id = self.id(shown);
        self.fleet.row_mut(&id).expect("listed")
    }
}

impl App {
    /// The row shown under this name, if any.
    pub fn row_named(&self, shown: &str) -> Option<&Row> {
        let id = self
            .fleet
            .order()
            .iter()
            .find(|id| self.shown(id) == shown)?;
        self.row(id)
    }
}

impl App {
    /// The table's rows, top to bottom.
    pub fn visible_rows(&self) -> Vec<(StreamId, Row)> {
        (0..self.table.visible.len())
            .filter_map(|i| self.listed(i).map(|(id, r)| (id.clone(), r.clone())))
            .collect()
    }
}
