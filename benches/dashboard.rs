//! What the dashboard costs per frame and at start-up, at 50 and 5,000 streams.
//! Run: cargo bench --bench dashboard

// Test code: a failed unwrap is a failed test, which is what it should be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

use firekeeper::app::{App, DashboardContext};
use firekeeper::cache::{Cache, Saved};
use firekeeper::config::Config;
use firekeeper::inventory::KeyBook;
use firekeeper::keymap::UserAction;
use firekeeper::model::Row;
use firekeeper::model::TargetId;
use firekeeper::model::Window;
use firekeeper::model::{Encryption, EncryptionStatus, KeyType, Source, Stream};
use firekeeper::ui;

fn rows(count: usize) -> Vec<Row> {
    (0..count)
        .map(|i| {
            let name = format!("stream-{i:05}");
            Row {
                stream: Some(Stream {
                    arn: format!("arn:aws:firehose:us-east-1:123456789012:deliverystream/{name}"),
                    name: name.clone(),
                    source: Source::DirectPut,
                    status: "ACTIVE".into(),
                    encryption: Encryption {
                        status: EncryptionStatus::Enabled,
                        key_type: Some(KeyType::CustomerManaged),
                        key_arn: Some(format!("arn:aws:kms:us-east-1:123456789012:key/k{}", i % 7)),
                        failure: None,
                    },
                }),
                name,
                error: None,
                described_at: Some(Utc::now()),
                provenance: Default::default(),
            }
        })
        .collect()
}

fn app(count: usize) -> App {
    let mut app = App::new(
        DashboardContext::default(),
        &Config::builtin(),
        Window::H3,
        Utc::now(),
    );
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::new(dir.path().into(), None, "us-east-1", None);
    save(&cache, count);
    app.restore(TargetId::FIRST, cache.load().unwrap());
    app.resize(160, 48, ui::table_viewport(48));
    app
}

fn save(cache: &Cache, count: usize) {
    let rows = rows(count);
    let saved = Saved {
        rows,
        keys: KeyBook::default(),
        window: Window::H3,
        metrics: BTreeMap::new(),
        outages: HashMap::new(),
    };
    cache.save("123456789012", saved).unwrap();
}

fn render(c: &mut Criterion) {
    let mut group = c.benchmark_group("render one frame 160x48");
    for count in [50, 5_000] {
        let mut app = app(count);
        app.update(UserAction::PageDown);
        let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
        group.bench_with_input(BenchmarkId::from_parameter(count), &count, |b, _| {
            b.iter(|| {
                terminal.draw(|f| ui::render(f, &app)).unwrap();
            });
        });
    }
    group.finish();
}

fn first_frame(c: &mut Criterion) {
    // What stands between launch and the first frame with a cached fleet:
    // reading the snapshot, building the state, drawing.
    let mut group = c.benchmark_group("cache load + first frame");
    group.sample_size(20);
    for count in [50, 5_000] {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::new(dir.path().into(), None, "us-east-1", None);
        save(&cache, count);
        group.bench_with_input(BenchmarkId::from_parameter(count), &count, |b, _| {
            b.iter(|| {
                let mut app = App::new(
                    DashboardContext::default(),
                    &Config::builtin(),
                    Window::H3,
                    Utc::now(),
                );
                app.restore(TargetId::FIRST, cache.load().unwrap());
                app.resize(160, 48, ui::table_viewport(48));
                let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();
                terminal.draw(|f| ui::render(f, &app)).unwrap();
            });
        });
    }
    group.finish();
}

fn update(c: &mut Criterion) {
    // One describe result arriving: the state change the UI makes 4 times a second.
    let mut group = c.benchmark_group("apply one describe result");
    for count in [50, 5_000] {
        let mut app = app(count);
        let mut flip = false;
        group.bench_with_input(BenchmarkId::from_parameter(count), &count, |b, _| {
            b.iter(|| {
                flip = !flip;
                let first = app.fleet.order()[0].clone();
                let mut stream = app.row(&first).unwrap().stream.clone().unwrap();
                stream.status = if flip {
                    "ACTIVE".into()
                } else {
                    "UPDATING".into()
                };
                app.apply(
                    TargetId::FIRST,
                    firekeeper::worker::DataEvent::Stream {
                        name: stream.name.clone(),
                        result: Ok(stream),
                        at: Utc::now(),
                    },
                )
            });
        });
    }
    group.finish();
}

criterion_group!(benches, render, first_frame, update);
criterion_main!(benches);
