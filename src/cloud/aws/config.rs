//! AWS Config: whether it records the region's Firehose streams, and their
//! recorded configurations, in this account or over an aggregator. Each
//! call has the client's deadline; a page is at most 100 streams, the most
//! `BatchGetResourceConfig` takes in one call (AWS Config API reference).

use aws_sdk_config::types as cfg;
use chrono::{DateTime, Utc};

use super::{from_smithy, AwsCloud};
use crate::cloud::CloudError;
use crate::model::recorded::{self, ConfigItem, Recorder, FIREHOSE_TYPE, PER_CALL};
use crate::model::{Aggregated, RecordPage, RecordedStream, Recording};

/// Rounds of `BatchGet…` for the keys AWS Config left unprocessed (it does
/// so when it is busy, and says which): after these, the page goes without
/// them and their rows wait for their describe.
const UNPROCESSED_ROUNDS: usize = 3;

impl AwsCloud {
    pub(super) async fn recording(&self) -> Result<Recording, CloudError> {
        let recorders = self
            .config
            .describe_configuration_recorders()
            .send()
            .await
            .map_err(|e| self.fail("config", "DescribeConfigurationRecorders", e))?;
        if recorders.configuration_recorders().is_empty() {
            return Ok(recorded::recording(&[]));
        }
        let statuses = self
            .config
            .describe_configuration_recorder_status()
            .send()
            .await
            .map_err(|e| self.fail("config", "DescribeConfigurationRecorderStatus", e))?;
        let list: Vec<Recorder> = recorders
            .configuration_recorders()
            .iter()
            .map(|r| {
                let status = statuses
                    .configuration_recorders_status()
                    .iter()
                    .find(|s| s.name() == r.name());
                recorder(r, status)
            })
            .collect();
        Ok(recorded::recording(&list))
    }

    pub(super) async fn recorded_page(
        &self,
        page: Option<&str>,
    ) -> Result<RecordPage<RecordedStream>, CloudError> {
        let listed = self
            .config
            .list_discovered_resources()
            .resource_type(cfg::ResourceType::from(FIREHOSE_TYPE))
            .limit(PER_CALL as i32)
            .set_next_token(page.map(str::to_string))
            .send()
            .await
            .map_err(|e| self.fail("config", "ListDiscoveredResources", e))?;
        let mut keys: Vec<cfg::ResourceKey> = listed
            .resource_identifiers()
            .iter()
            .filter_map(|r| {
                cfg::ResourceKey::builder()
                    .resource_type(cfg::ResourceType::from(FIREHOSE_TYPE))
                    .resource_id(r.resource_id()?)
                    .build()
                    .ok()
            })
            .collect();
        let mut items = Vec::new();
        for _ in 0..UNPROCESSED_ROUNDS {
            if keys.is_empty() {
                break;
            }
            let out = self
                .config
                .batch_get_resource_config()
                .set_resource_keys(Some(std::mem::take(&mut keys)))
                .send()
                .await
                .map_err(|e| self.fail("config", "BatchGetResourceConfig", e))?;
            items.extend(out.base_configuration_items().iter().filter_map(record_of));
            keys = out.unprocessed_resource_keys().to_vec();
        }
        Ok(RecordPage {
            items,
            next: listed.next_token().map(str::to_string),
        })
    }

    pub(super) async fn aggregated_page(
        &self,
        aggregator: &str,
        page: Option<&str>,
    ) -> Result<RecordPage<Aggregated>, CloudError> {
        if page.is_none() {
            self.config
                .describe_configuration_aggregators()
                .configuration_aggregator_names(aggregator)
                .send()
                .await
                .map_err(|e| self.fail("config", "DescribeConfigurationAggregators", e))?;
        }
        let listed = self
            .config
            .list_aggregate_discovered_resources()
            .configuration_aggregator_name(aggregator)
            .resource_type(cfg::ResourceType::from(FIREHOSE_TYPE))
            .limit(PER_CALL as i32)
            .set_next_token(page.map(str::to_string))
            .send()
            .await
            .map_err(|e| self.fail("config", "ListAggregateDiscoveredResources", e))?;
        let mut ids = listed.resource_identifiers().to_vec();
        let mut items = Vec::new();
        for _ in 0..UNPROCESSED_ROUNDS {
            if ids.is_empty() {
                break;
            }
            let out = self
                .config
                .batch_get_aggregate_resource_config()
                .configuration_aggregator_name(aggregator)
                .set_resource_identifiers(Some(std::mem::take(&mut ids)))
                .send()
                .await
                .map_err(|e| self.fail("config", "BatchGetAggregateResourceConfig", e))?;
            items.extend(out.base_configuration_items().iter().filter_map(|item| {
                Some(Aggregated {
                    account: item.account_id()?.to_string(),
                    region: item.aws_region()?.to_string(),
                    recorded: record_of(item)?,
                })
            }));
            ids = out.unprocessed_resource_identifiers().to_vec();
        }
        Ok(RecordPage {
            items,
            next: listed.next_token().map(str::to_string),
        })
    }
}

/// A recorder and its status, as the model reads them.
fn recorder(
    r: &cfg::ConfigurationRecorder,
    status: Option<&cfg::ConfigurationRecorderStatus>,
) -> Recorder {
    let group = r.recording_group();
    let firehose = cfg::ResourceType::from(FIREHOSE_TYPE);
    let daily = r.recording_mode().is_some_and(|m| {
        let overridden = m
            .recording_mode_overrides()
            .iter()
            .find(|o| o.resource_types().contains(&firehose));
        let frequency = overridden.map_or(m.recording_frequency(), |o| o.recording_frequency());
        *frequency == cfg::RecordingFrequency::Daily
    });
    Recorder {
        name: r.name().unwrap_or_default().to_string(),
        all_supported: group.is_some_and(cfg::RecordingGroup::all_supported),
        resource_types: group.map_or_else(Vec::new, |g| {
            g.resource_types()
                .iter()
                .map(|t| t.as_str().to_string())
                .collect()
        }),
        excluded: group
            .and_then(cfg::RecordingGroup::exclusion_by_resource_types)
            .map_or_else(Vec::new, |x| {
                x.resource_types()
                    .iter()
                    .map(|t| t.as_str().to_string())
                    .collect()
            }),
        strategy: group
            .and_then(cfg::RecordingGroup::recording_strategy)
            .and_then(cfg::RecordingStrategy::use_only)
            .map(|s| s.as_str().to_string()),
        recording: status.map(cfg::ConfigurationRecorderStatus::recording),
        daily,
    }
}

/// The stream in a configuration item; one that holds no state, or cannot
/// be read, is left out (logged): its row waits for its describe.
fn record_of(item: &cfg::BaseConfigurationItem) -> Option<RecordedStream> {
    let captured: Option<DateTime<Utc>> =
        item.configuration_item_capture_time().and_then(from_smithy);
    let read = RecordedStream::from_item(ConfigItem {
        status: item
            .configuration_item_status()
            .map(cfg::ConfigurationItemStatus::as_str),
        resource_name: item.resource_name(),
        arn: item.arn(),
        configuration: item.configuration(),
        captured,
    });
    match read {
        Ok(record) => record,
        Err(why) => {
            tracing::warn!(
                "AWS Config's record of {} is left out: {why}",
                item.resource_name().unwrap_or("a stream")
            );
            None
        }
    }
}
