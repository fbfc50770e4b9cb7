//! `--aggregator NAME` (or `[aws] aggregator`): before the dashboard or
//! `status` starts, the aggregator is read with the first target's client
//! and each target's account asked of STS; every account and region it
//! covers that no target reads becomes a read-only target. An aggregator
//! that cannot be read is a target that could not be read: said, and it
//! holds back no other.

use std::time::Duration;

use super::connect::Connected;
use super::Cli;
use crate::config::Config;
use crate::estate::aggregator::{self, Placed};
use crate::estate::TargetInfo;
use crate::model::{RecordedStream, Target};
use crate::text;

/// The aggregator asked for: the flag's, else the config's.
pub fn asked(cli: &Cli, config: &Config) -> Option<String> {
    cli.aggregator
        .clone()
        .or_else(|| config.aws.aggregator.0.clone())
}

/// The run's targets with the aggregator's places added, and each target's
/// records from it (a live target's, its cold start; a read-only one's, its
/// rows), in the order of `connected` after the additions.
pub async fn widen(
    cli: &Cli,
    config: &Config,
    connected: &mut Vec<Connected>,
) -> Vec<Vec<RecordedStream>> {
    let mut records = vec![Vec::new(); connected.len()];
    let Some(name) = asked(cli, config) else {
        return records;
    };
    let deadline = Duration::from_secs(config.aws.call_timeout_secs.0 * 6);
    let read = match connected.iter().find_map(|c| c.cloud.as_ref().ok()) {
        Some(cloud) => aggregator::read(cloud.as_ref(), &name, deadline)
            .await
            .map_err(|e| text::one_line(&anyhow::Error::from(e))),
        None => Err("no target could be connected to read it with".to_string()),
    };
    let aggregate = match read {
        Ok(a) => a,
        Err(why) => {
            connected.push(unread(&name, why));
            records.push(Vec::new());
            return records;
        }
    };
    name_accounts(connected).await;
    let live: Vec<TargetInfo> = connected.iter().map(|c| c.info.clone()).collect();
    let Placed { live, read_only } = aggregator::place(&live, aggregate);
    for (target, streams) in records.iter_mut().zip(live) {
        *target = streams;
    }
    for (info, streams) in read_only {
        connected.push(Connected {
            info,
            cloud: Err(anyhow::anyhow!("read-only: no credentials for it")),
        });
        records.push(streams);
    }
    records
}

/// Each connected target's account, as STS names it, to match the
/// aggregator's accounts; one STS does not answer stays unmatched (its
/// places are read-only, and the dashboard finds the twin once it answers).
async fn name_accounts(connected: &mut [Connected]) {
    let asks = connected.iter().map(|c| async {
        match &c.cloud {
            Ok(cloud) => cloud.identity().await.ok().map(|id| id.account),
            Err(_) => None,
        }
    });
    let accounts = futures::future::join_all(asks).await;
    for (c, account) in connected.iter_mut().zip(accounts) {
        if account.is_some() {
            c.info.target.account = account;
        }
    }
}

/// The aggregator as a target that could not be read, and why.
fn unread(name: &str, why: String) -> Connected {
    let info = TargetInfo {
        target: Target {
            label: format!("aggregator {name}"),
            ..Target::default()
        },
        error: Some(format!(
            "AWS Config aggregator {name} could not be read: {why}"
        )),
        ..TargetInfo::default()
    };
    Connected {
        info,
        cloud: Err(anyhow::anyhow!("the aggregator could not be read")),
    }
}
