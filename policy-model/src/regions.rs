//! The Regions of each partition, and which of them are opt-in: the one table the product checks
//! a configuration against, and where the regional service principals come from.
//!
//! Sources: AWS General Reference, "AWS Regions" (the Regions of the `aws`, `aws-us-gov` and
//! `aws-cn` partitions); AWS Account Management Reference Guide, "Enable or disable AWS Regions
//! in your account" (the opt-in Regions, disabled by default: `aws-facts.md`, "Opt-in Regions and
//! partitions"). Checked on 2026-12-01. A Region launched later is accepted with
//! `organization.allow_unknown_regions = true`.

use crate::arn::{Partition, Region};

/// Opt-in Regions of the `aws` partition (disabled by default in every account).
pub const OPT_IN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-east-2",
    "ap-south-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-1",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "mx-central-1",
];

/// Regions of the `aws` partition enabled by default.
pub const DEFAULT_REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "sa-east-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "ap-south-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-southeast-1",
    "ap-southeast-2",
];

/// Regions of `aws-us-gov`.
pub const US_GOV_REGIONS: &[&str] = &["us-gov-west-1", "us-gov-east-1"];

/// Regions of `aws-cn`.
pub const CN_REGIONS: &[&str] = &["cn-north-1", "cn-northwest-1"];

/// True when `region` is an opt-in Region.
pub fn is_opt_in(region: &str) -> bool {
    OPT_IN_REGIONS.contains(&region)
}

/// Every Region of `partition` the table knows.
pub fn of_partition(partition: Partition) -> Vec<&'static str> {
    match partition {
        Partition::Aws => DEFAULT_REGIONS
            .iter()
            .chain(OPT_IN_REGIONS)
            .copied()
            .collect(),
        Partition::AwsUsGov => US_GOV_REGIONS.to_vec(),
        Partition::AwsCn => CN_REGIONS.to_vec(),
    }
}

/// True when the table knows `region` (in its partition).
pub fn is_known(region: &str) -> bool {
    of_partition(Partition::of_region(region)).contains(&region)
}

/// The known Region closest to `region` (fewest single-character edits), for a typo's fix.
pub fn nearest(region: &str) -> Option<&'static str> {
    [Partition::Aws, Partition::AwsUsGov, Partition::AwsCn]
        .into_iter()
        .flat_map(of_partition)
        .min_by_key(|known| edit_distance(region, known))
}

/// The regional service principal of `service` in an opt-in `region`
/// (`guardduty.af-south-1.amazonaws.com`); `None` for any other Region.
pub fn regional_principal(service: &str, region: &Region) -> Option<String> {
    is_opt_in(region.as_str()).then(|| format!("{service}.{}.amazonaws.com", region.as_str()))
}

/// Levenshtein distance over bytes (Region names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(previous + cost);
            previous = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_knows_each_partition_and_the_opt_in_regions() {
        assert!(is_known("us-east-1") && is_known("af-south-1") && is_known("us-gov-west-1"));
        assert!(is_known("cn-northwest-1"));
        assert!(!is_known("us-east-99") && !is_known("eu-west-9"));
        assert!(is_opt_in("me-south-1") && !is_opt_in("eu-west-1"));
        assert_eq!(OPT_IN_REGIONS.len(), 17);
        for r in OPT_IN_REGIONS {
            assert!(!DEFAULT_REGIONS.contains(r), "{r} listed twice");
        }
    }

    #[test]
    fn a_typo_gets_the_nearest_region() {
        assert_eq!(nearest("us-east-99"), Some("us-east-1"));
        assert_eq!(nearest("eu-wset-1"), Some("eu-west-1"));
        assert_eq!(nearest("us-gov-wets-1"), Some("us-gov-west-1"));
    }

    #[test]
    fn regional_principals_only_for_opt_in_regions() {
        let r = |s: &str| Region::new(s).unwrap();
        assert_eq!(
            regional_principal("guardduty", &r("af-south-1")).as_deref(),
            Some("guardduty.af-south-1.amazonaws.com")
        );
        assert_eq!(regional_principal("guardduty", &r("eu-west-1")), None);
    }
}
