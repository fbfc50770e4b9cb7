//! CloudWatch through the SDK: which KMS error series exist (ListMetrics)
//! and their datapoints (GetMetricData), each request counted as it leaves.

use std::collections::BTreeMap;

use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat, RecentlyActive};
use futures::StreamExt;

use super::{from_smithy, to_smithy, AwsCloud};
use crate::cloud::series::LIST_PAGE_LIMIT;
use crate::cloud::CloudError;
use crate::model::{KmsMetric, KmsMetrics, MetricRange, MetricSet, SeriesAsk, SeriesListing};

/// GetMetricData takes at most 500 queries a call.
const QUERIES_PER_CALL: usize = 500;
const NAMESPACE: &str = "AWS/Firehose";
const DIMENSION: &str = "DeliveryStreamName";

fn query(id: String, stream: &str, metric: KmsMetric, period: i32) -> MetricDataQuery {
    let metric = Metric::builder()
        .namespace(NAMESPACE)
        .metric_name(metric.name())
        .dimensions(Dimension::builder().name(DIMENSION).value(stream).build())
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(
            MetricStat::builder()
                .metric(metric)
                .period(period)
                .stat("Sum")
                .build(),
        )
        .return_data(true)
        .build()
}

pub(super) fn parse_query_id(id: &str) -> Option<(usize, usize)> {
    let (stream, metric) = id.strip_prefix('s')?.split_once('m')?;
    let metric: usize = metric.parse().ok()?;
    (metric < 4).then_some(())?;
    Some((stream.parse().ok()?, metric))
}

/// The asks in batches of at most 500 queries, each stream's queries in one
/// batch: a stream half read by a failed batch would look clean.
fn batches(asks: &SeriesAsk) -> Vec<Vec<(String, MetricSet)>> {
    let mut out: Vec<Vec<(String, MetricSet)>> = Vec::new();
    let mut queries = 0;
    for (name, set) in asks.iter().filter(|(_, s)| !s.is_empty()) {
        if out.is_empty() || queries + set.len() > QUERIES_PER_CALL {
            out.push(Vec::new());
            queries = 0;
        }
        queries += set.len();
        if let Some(batch) = out.last_mut() {
            batch.push((name.clone(), *set));
        }
    }
    out
}

/// What a query's last `StatusCode` says is wrong with it, if anything.
fn incomplete(code: Option<&str>, metric: KmsMetric) -> Option<String> {
    match code {
        Some("Complete") => None,
        Some("") | None => Some(format!("{} missing from the answer", metric.name())),
        Some(code) => Some(format!("{} {code}", metric.name())),
    }
}

impl AwsCloud {
    pub(super) async fn get_kms_metrics(
        &self,
        asks: &SeriesAsk,
        range: MetricRange,
    ) -> Result<KmsMetrics, CloudError> {
        // Futures built first: a closure inside the combinator would not be
        // Send for every lifetime, which async_trait needs.
        let calls: Vec<_> = batches(asks)
            .into_iter()
            .map(|batch| async move { (self.metrics_batch(&batch, range).await, batch) })
            .collect();
        let mut batches = futures::stream::iter(calls).buffer_unordered(4);
        let mut out = KmsMetrics::default();
        let mut failures = Vec::new();
        // One failed batch leaves its streams unknown; the others still count.
        while let Some((batch, streams)) = batches.next().await {
            match batch {
                Ok(b) => {
                    out.series.extend(b.series);
                    out.unknown.extend(b.unknown);
                }
                Err(e) => {
                    for (name, _) in streams {
                        out.unknown.insert(name, e.to_string());
                    }
                    failures.push(e);
                }
            }
        }
        match failures.into_iter().next() {
            Some(e) if out.series.is_empty() && out.unknown.len() == asks.len() => Err(e),
            _ => Ok(out),
        }
    }

    /// One GetMetricData call (following NextToken) for up to 500 queries.
    /// A query whose final `StatusCode` is not `Complete` leaves its stream
    /// unknown: reading it as zero would be a confident wrong answer.
    async fn metrics_batch(
        &self,
        streams: &[(String, MetricSet)],
        range: MetricRange,
    ) -> Result<KmsMetrics, CloudError> {
        let queries: Vec<MetricDataQuery> = streams
            .iter()
            .enumerate()
            .flat_map(|(i, (s, set))| {
                set.iter()
                    .map(move |m| query(format!("s{i}m{}", m.index()), s, m, range.period_secs))
            })
            .collect();
        let mut out = KmsMetrics::default();
        // The last word on each query: pages repeat a query until it is Complete.
        let mut status: BTreeMap<(usize, usize), String> = BTreeMap::new();
        let mut token = None;
        loop {
            // Every page asks for every query again, and is billed so.
            self.usage.metrics_requested(queries.len());
            let page = self
                .cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(to_smithy(range.start))
                .end_time(to_smithy(range.end))
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| self.fail("monitoring", "GetMetricData", e))?;
            for result in page.metric_data_results() {
                let Some((stream, metric)) = result.id().and_then(parse_query_id) else {
                    continue;
                };
                let Some((name, _)) = streams.get(stream) else {
                    continue;
                };
                let code = result.status_code().map_or("", |c| c.as_str());
                status.insert((stream, metric), code.to_string());
                let points = result
                    .timestamps()
                    .iter()
                    .zip(result.values())
                    .filter_map(|(t, v)| Some((from_smithy(t)?, *v)));
                let series = &mut out.series.entry(name.clone()).or_default().series[metric];
                series.extend(points);
            }
            token = page.next_token().map(str::to_string);
            if token.is_none() {
                break;
            }
        }
        for (i, (name, set)) in streams.iter().enumerate() {
            let bad: Vec<String> = set
                .iter()
                .filter_map(|m| incomplete(status.get(&(i, m.index())).map(String::as_str), m))
                .collect();
            if !bad.is_empty() {
                out.series.remove(name);
                out.unknown.insert(
                    name.clone(),
                    format!(
                        "CloudWatch did not return complete data ({})",
                        bad.join(", ")
                    ),
                );
            }
        }
        for series in out.series.values_mut() {
            for s in &mut series.series {
                s.sort_by_key(|(t, _)| *t);
            }
        }
        out.series
            .retain(|_, s| s.series.iter().any(|s| !s.is_empty()));
        Ok(out)
    }

    /// ListMetrics for the four metric names at once.
    pub(super) async fn list_kms_series(
        &self,
        recently_active: bool,
    ) -> Result<SeriesListing, CloudError> {
        let calls = KmsMetric::ALL.map(|m| self.list_series_of(m, recently_active));
        let mut out = SeriesListing {
            recently_active,
            ..Default::default()
        };
        for (metric, streams) in futures::future::try_join_all(calls).await? {
            for stream in streams {
                out.add(&stream, metric);
            }
        }
        Ok(out)
    }

    /// The streams that have a series of this metric, every page followed:
    /// a listing cut short would clear streams it never reached.
    async fn list_series_of(
        &self,
        metric: KmsMetric,
        recently_active: bool,
    ) -> Result<(KmsMetric, Vec<String>), CloudError> {
        let mut streams = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..LIST_PAGE_LIMIT {
            self.usage.list_metrics_call();
            let page = self
                .cloudwatch
                .list_metrics()
                .namespace(NAMESPACE)
                .metric_name(metric.name())
                .set_recently_active(recently_active.then_some(RecentlyActive::Pt3H))
                .set_next_token(token)
                .send()
                .await
                .map_err(|e| self.fail("monitoring", "ListMetrics", e))?;
            let named = page.metrics().iter().filter_map(|m| {
                m.dimensions()
                    .iter()
                    .find(|d| d.name() == Some(DIMENSION))
                    .and_then(|d| d.value())
                    .map(str::to_string)
            });
            streams.extend(named);
            token = page
                .next_token()
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if token.is_none() {
                return Ok((metric, streams));
            }
        }
        Err(CloudError::Other(format!(
            "ListMetrics for {} went on past {LIST_PAGE_LIMIT} pages: which streams have it is not known",
            metric.name()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_keep_each_stream_whole_and_under_500_queries() {
        let asks: SeriesAsk = (0..300)
            .map(|i| {
                let set = if i % 2 == 0 {
                    MetricSet::ALL
                } else {
                    MetricSet::of(KmsMetric::Disabled)
                };
                (format!("s{i:03}"), set)
            })
            .chain([("empty".to_string(), MetricSet::default())])
            .collect();
        let batches = batches(&asks);
        let sizes: Vec<usize> = batches
            .iter()
            .map(|b| b.iter().map(|(_, s)| s.len()).sum())
            .collect();
        // 150 × 4 + 150 × 1 = 750 queries: 500 in the first, 250 in the second.
        assert_eq!(sizes, [500, 250]);
        let streams: usize = batches.iter().map(Vec::len).sum();
        assert_eq!(streams, 300, "a stream asked for nothing is not sent");
    }
}
