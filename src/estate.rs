//! Where firekeeper looks: targets, each a profile's account in one region,
//! and how the streams of several are told apart in one table.
//!
//! AWS's limits and records are per account and region (Firehose's 5 calls
//! a second, the 25 Start/Stop calls, CloudTrail's history), so each target
//! gets its own cloud client, pace, cache, ledger scope and error state. A
//! stream is known across targets by its `StreamId` (target and name); it
//! is shown as `orders@eu-west-1` (`model::shown_name`).

use serde::Serialize;

use crate::config::Config;

pub mod aggregator;

/// One place to look, as asked for: a profile (`None`: AWS_PROFILE or the
/// default chain) and a region (`None`: AWS_REGION or the profile's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    pub profile: Option<String>,
    pub region: Option<String>,
}

/// Every target of a run: each profile in each region, flags before the
/// config. Always at least one.
pub fn targets(profiles: &[String], regions: &[String], config: &Config) -> Vec<TargetSpec> {
    let pick = |flags: &[String], configured: &[String]| -> Vec<Option<String>> {
        let list = if flags.is_empty() { configured } else { flags };
        let mut out: Vec<Option<String>> = Vec::new();
        for name in list {
            if !out.iter().flatten().any(|n| n == name) {
                out.push(Some(name.clone()));
            }
        }
        if out.is_empty() {
            out.push(None);
        }
        out
    };
    let profiles = pick(profiles, &config.aws.profiles.0);
    let regions = pick(regions, &config.aws.regions.0);
    profiles
        .iter()
        .flat_map(|p| {
            regions.iter().map(move |r| TargetSpec {
                profile: p.clone(),
                region: r.clone(),
            })
        })
        .collect()
}

/// How a target is named on screen and in qualified stream names: its
/// region, or `profile/region` when several profiles are watched.
pub fn label(profile: Option<&str>, region: &str, many_profiles: bool) -> String {
    match profile {
        Some(p) if many_profiles => format!("{p}/{region}"),
        _ => region.to_string(),
    }
}

/// Whether the targets span more than one profile.
pub fn many_profiles(targets: &[TargetSpec]) -> bool {
    let first = targets.first().map(|t| &t.profile);
    targets.iter().any(|t| Some(&t.profile) != first)
}

/// What is known of a target as a whole, for the header, the columns and
/// `status`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TargetInfo {
    #[serde(flatten)]
    pub target: crate::model::Target,
    /// Why the target cannot be read (no credentials, region disabled, no
    /// answer, access denied), while it cannot.
    pub error: Option<String>,
    /// The label of an earlier target of the same account and region
    /// (another profile of it): this one is its twin, and its streams are
    /// listed once, under that one.
    #[serde(rename = "same_as", skip_serializing_if = "Option::is_none")]
    pub twin: Option<String>,
    /// The AWS Config aggregator this target is known from, when the run
    /// has no credentials for it: its streams are read-only, shown from
    /// the aggregator's records.
    #[serde(rename = "read_only_from", skip_serializing_if = "Option::is_none")]
    pub read_only: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(regions: &[&str], profiles: &[&str]) -> Config {
        let mut c = Config::builtin();
        c.aws.regions.0 = regions.iter().map(ToString::to_string).collect();
        c.aws.profiles.0 = profiles.iter().map(ToString::to_string).collect();
        c
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn every_profile_in_every_region_flags_before_config() {
        let c = config(&["eu-west-1"], &["ops"]);
        let t = targets(
            &names(&["a", "b"]),
            &names(&["us-east-1", "ap-south-1"]),
            &c,
        );
        let pairs: Vec<(Option<&str>, Option<&str>)> = t
            .iter()
            .map(|t| (t.profile.as_deref(), t.region.as_deref()))
            .collect();
        assert_eq!(
            pairs,
            [
                (Some("a"), Some("us-east-1")),
                (Some("a"), Some("ap-south-1")),
                (Some("b"), Some("us-east-1")),
                (Some("b"), Some("ap-south-1")),
            ]
        );
        assert!(many_profiles(&t));
        let from_config = targets(&[], &[], &c);
        assert_eq!(
            from_config,
            [TargetSpec {
                profile: Some("ops".into()),
                region: Some("eu-west-1".into())
            }]
        );
    }

    #[test]
    fn nothing_asked_is_one_target_from_the_environment_and_repeats_count_once() {
        let t = targets(&[], &[], &config(&[], &[]));
        assert_eq!(
            t,
            [TargetSpec {
                profile: None,
                region: None
            }]
        );
        let t = targets(&[], &names(&["eu-west-1", "eu-west-1"]), &config(&[], &[]));
        assert_eq!(t.len(), 1);
        assert!(!many_profiles(&t));
    }

    #[test]
    fn a_target_is_labelled_by_its_region_and_by_its_profile_among_several() {
        assert_eq!(label(Some("prod"), "eu-west-1", true), "prod/eu-west-1");
        assert_eq!(label(Some("prod"), "eu-west-1", false), "eu-west-1");
    }
}
