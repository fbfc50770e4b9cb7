//! `--aggregator NAME`: the streams of every account and region an AWS
//! Config aggregator covers, as targets of the run. A place the run has
//! credentials for (a profile whose account it is, in that region) is read
//! live as usual, its records only a cold start; every other place is a
//! read-only target, shown from AWS Config's records "as of" their capture
//! time: nothing there is described, and nothing can be changed from here.

use std::collections::BTreeMap;
use std::time::Duration;

use super::TargetInfo;
use crate::cloud::{Cloud, CloudError};
use crate::model::{RecordedStream, Target};

/// Pages read at most: 100,000 streams, so a token that never ends cannot
/// loop.
const MOST_PAGES: usize = 1_000;

/// An account and a region.
pub type Place = (String, String);

/// What the aggregator holds: each place's streams.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aggregate {
    pub name: String,
    pub places: BTreeMap<Place, Vec<RecordedStream>>,
}

/// Reads every page of the aggregator's Firehose streams; each call has the
/// client's deadline, and the whole read `deadline`.
pub async fn read(
    cloud: &dyn Cloud,
    name: &str,
    deadline: Duration,
) -> Result<Aggregate, CloudError> {
    let all = async {
        let mut out = Aggregate {
            name: name.to_string(),
            places: BTreeMap::new(),
        };
        let mut token: Option<String> = None;
        for _ in 0..MOST_PAGES {
            let page = cloud.aggregated_streams(name, token.as_deref()).await?;
            for a in page.items {
                out.places
                    .entry((a.account, a.region))
                    .or_default()
                    .push(a.recorded);
            }
            token = page.next;
            if token.is_none() {
                break;
            }
        }
        Ok(out)
    };
    tokio::time::timeout(deadline, all)
        .await
        .unwrap_or_else(|_| {
            Err(CloudError::NoAnswer(format!(
                "AWS Config: the aggregator {name} was not read within {} s",
                deadline.as_secs()
            )))
        })
}

/// The aggregator's places as the run's targets: each place a live target
/// reads gets its records (`live`, by the live targets' order); every other
/// place is a read-only target, labelled `ACCOUNT/REGION`, with its records.
#[derive(Debug, Default)]
pub struct Placed {
    pub live: Vec<Vec<RecordedStream>>,
    pub read_only: Vec<(TargetInfo, Vec<RecordedStream>)>,
}

/// Places the aggregate beside the live targets (their accounts as STS
/// named them; `None` when it did not).
pub fn place(live: &[TargetInfo], aggregate: Aggregate) -> Placed {
    let mut placed = Placed {
        live: vec![Vec::new(); live.len()],
        read_only: Vec::new(),
    };
    for ((account, region), streams) in aggregate.places {
        let reader = live.iter().position(|t| {
            t.target.account.as_deref() == Some(account.as_str())
                && t.target.region.as_deref() == Some(region.as_str())
        });
        match reader {
            Some(i) => placed.live[i] = streams,
            None => {
                let info = TargetInfo {
                    target: Target {
                        profile: None,
                        label: format!("{account}/{region}"),
                        account: Some(account),
                        region: Some(region),
                    },
                    read_only: Some(aggregate.name.clone()),
                    ..TargetInfo::default()
                };
                placed.read_only.push((info, streams));
            }
        }
    }
    placed
}

/// Why a fact of a read-only target's stream is not known, said short
/// (the longer `why_read_only` is said once beside it).
pub const NO_CREDENTIALS: &str = "no credentials here for its account and region (read-only)";

/// Why a read-only target's streams are not read, for its rows' problems.
pub fn why_read_only(info: &TargetInfo) -> String {
    format!(
        "read-only: shown from AWS Config's aggregator {}; firekeeper has no credentials for account {} in {} (no --profile of that account in that region), so its streams are not described, their KMS errors and quota not read, and nothing can be changed from here",
        info.read_only.as_deref().unwrap_or("?"),
        info.target.account.as_deref().unwrap_or("?"),
        info.target.region.as_deref().unwrap_or("?"),
    )
}

#[cfg(test)]
mod tests;
