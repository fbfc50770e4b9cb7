//! A cold start from AWS Config: with no cache of the fleet, and an account
//! that records its Firehose streams, every stream's recorded configuration
//! is read at once, 100 a call, and shown until it is described. AWS
//! Config's calls spend none of Firehose's budget, so the first full table
//! comes in seconds where describing takes a second per 4 streams. When AWS
//! Config does not record Firehose streams, or cannot be read, the describe
//! pass goes on alone, and why is said once.

use super::jobs::Job;
use super::{explain_config, DataEvent, Worker};
use crate::cloud::CloudError;
use crate::inventory;
use crate::model::{RecordPage, RecordedStream, Recording};

/// How many pages a cold start reads at most: 100,000 streams, far beyond
/// Firehose's per-region quota, so a token that never ends cannot loop.
const MOST_PAGES: usize = 1_000;

/// Where the cold start stands.
#[derive(Debug, Clone, Default)]
pub(super) struct Cold {
    pub pages: usize,
    pub streams: usize,
    /// The latest capture time read, for the closing line.
    pub latest: Option<chrono::DateTime<chrono::Utc>>,
    /// Records read and not sent yet: after the first page they go in
    /// batches of `BATCH`, as the dashboard sorts its table again for each.
    pub held: Vec<RecordedStream>,
}

/// Records sent at once after the first page.
const BATCH: usize = 1_000;

impl Worker {
    /// Asks whether AWS Config records the region's Firehose streams.
    pub(super) fn start_cold(&mut self) {
        let cloud = self.cloud.clone();
        self.push(
            async move { Job::Recording(cloud.config_recording().await) },
            |e| Job::Recording(Err(e)),
        );
    }

    /// Reads the first page when AWS Config records the streams; else says
    /// why the describe pass goes on alone.
    pub(super) fn recording_answered(
        &mut self,
        result: Result<Recording, CloudError>,
    ) -> Option<DataEvent> {
        match result {
            Ok(Recording::On { daily }) => {
                if daily {
                    tracing::info!(
                        "AWS Config records Firehose streams daily: its records may be a day old"
                    );
                }
                self.next_record_page(None);
                None
            }
            Ok(Recording::Off(why)) => Some(DataEvent::ColdStart(format!(
                "no cold start from AWS Config: {why}; describing every stream instead"
            ))),
            Err(e) => Some(DataEvent::ColdStart(format!(
                "no cold start from AWS Config: {}; describing every stream instead",
                explain_config(&e)
            ))),
        }
    }

    fn next_record_page(&mut self, token: Option<String>) {
        let cloud = self.cloud.clone();
        self.push(
            async move { Job::Recorded(cloud.recorded_streams(token.as_deref()).await) },
            |e| Job::Recorded(Err(e)),
        );
    }

    /// A page of records: its customer keys are described and its streams
    /// asked for KMS errors as a describe would have them, and the next
    /// page is read. A page that fails ends the cold start: the streams
    /// not read wait for their describe.
    pub(super) fn records_read(
        &mut self,
        result: Result<RecordPage<RecordedStream>, CloudError>,
    ) -> Option<DataEvent> {
        let page = match result {
            Ok(page) => page,
            Err(e) => {
                let held = std::mem::take(&mut self.cold.held);
                if !held.is_empty() {
                    self.events.post(DataEvent::Recorded(held));
                }
                return Some(DataEvent::ColdStart(format!(
                    "AWS Config's records could not all be read ({}): {} streams were; the rest wait for their describe",
                    explain_config(&e),
                    self.cold.streams
                )));
            }
        };
        self.cold.pages += 1;
        self.cold.streams += page.items.len();
        for r in &page.items {
            self.series.described(&r.stream);
            self.cold.latest = self.cold.latest.max(Some(r.captured));
        }
        self.key_arns.extend(inventory::customer_keys(
            page.items.iter().map(|r| &r.stream),
        ));
        self.cold.held.extend(page.items);
        let last = match page.next {
            Some(token) if self.cold.pages < MOST_PAGES => {
                self.next_record_page(Some(token));
                false
            }
            _ => true,
        };
        let send = last || self.cold.pages == 1 || self.cold.held.len() >= BATCH;
        let event = send.then(|| DataEvent::Recorded(std::mem::take(&mut self.cold.held)));
        if last {
            // The last records first, then the line that says all are shown.
            if let Some(e) = event {
                self.events.post(e);
            }
            self.cold_done();
            return None;
        }
        event
    }

    fn cold_done(&mut self) {
        let latest = self.cold.latest.map_or_else(String::new, |t| {
            format!(", the latest captured {}", crate::model::stamp(t))
        });
        let words = format!(
            "{} streams shown from AWS Config's records{latest}: each is marked so until it is described, problems first",
            self.cold.streams
        );
        self.events.post(DataEvent::ColdStart(words));
    }
}
