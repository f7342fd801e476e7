//! The configuration file as written: the serde schema (`deny_unknown_fields` everywhere,
//! defaults filled in), with strings where the parsed [`super::Config`] has types. Validation
//! (`validate.rs`) reports every problem at once; [`RawConfig::parse`] then builds the typed
//! configuration, so a value is checked once, at load time.

use policy_model::{AccountId, Arn, BucketName, ExternalId, KmsAlias, Region};
use serde::{Deserialize, Serialize};

use super::locate::Locator;
use super::{
    CloudTrail, CloudTrailConfig, Config, ConfigIssue, ExistingTrail, GuardDuty, GuardDutyConfig,
    HardeningMode, MembersConfig, NewTrail, OrganizationConfig, RadiantConfig, RetentionConfig,
    RunConfig, TrailChoice, default_access_role_name, default_member_role_name,
    default_principal_arn, default_role_name, default_trail_name,
};

/// The whole configuration file as written (strings), before it is checked and parsed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub organization: RawOrganizationConfig,
    pub radiant: RawRadiantConfig,
    #[serde(default)]
    pub cloudtrail: CloudTrailConfig,
    #[serde(default)]
    pub guardduty: GuardDutyConfig,
    #[serde(default)]
    pub run: RunConfig,
    #[serde(default)]
    pub members: MembersConfig,
    #[serde(default)]
    pub hardening: HardeningMode,
    #[serde(default)]
    pub retention: Option<RetentionConfig>,
}

/// `[organization]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOrganizationConfig {
    /// 12 digits. `None`: the caller's account (resolved at preflight).
    #[serde(default)]
    pub hub_account_id: Option<String>,
    /// Region of the hub's buckets, keys, topics and trail.
    pub home_region: String,
    /// GuardDuty Regions; non-empty, no duplicates.
    pub regions: Vec<String>,
    #[serde(default = "default_access_role_name")]
    pub access_role_name: String,
    /// OU IDs (`ou-…`) or the root ID (`r-…`), recursive; empty means the whole organization.
    #[serde(default)]
    pub include_ous: Vec<String>,
    /// 12-digit account IDs.
    #[serde(default)]
    pub exclude_accounts: Vec<String>,
    /// Opt-in: accept a Region the product's table does not know (launched after this release).
    #[serde(default)]
    pub allow_unknown_regions: bool,
}

/// `[radiant]`
///
/// `Debug` redacts `external_id`: it is a secret-ish value printed only in the hand-off.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRadiantConfig {
    /// Radiant's credential ID (RS_CREDENTIAL_ID). After loading it is always `Some`: taken from
    /// the file or from `RADIANT_EXTERNAL_ID`.
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default = "default_principal_arn")]
    pub principal_arn: String,
    #[serde(default = "default_role_name")]
    pub role_name: String,
    #[serde(default = "default_member_role_name")]
    pub member_role_name: String,
    /// Opt-in: scope s3:Get*/s3:List* to the two log buckets instead of `arn:aws:s3:::*`.
    #[serde(default)]
    pub least_privilege_s3: bool,
}

impl std::fmt::Debug for RawRadiantConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawRadiantConfig")
            .field(
                "external_id",
                &self.external_id.as_ref().map(|_| "<redacted>"),
            )
            .field("principal_arn", &self.principal_arn)
            .field("role_name", &self.role_name)
            .field("member_role_name", &self.member_role_name)
            .field("least_privilege_s3", &self.least_privilege_s3)
            .finish()
    }
}

impl RawConfig {
    /// The typed configuration. Validation has already checked every value; a value that the
    /// types still refuse is reported as an issue of its key, never as a later failure.
    pub(super) fn parse(self, loc: &Locator) -> Result<Config, Vec<ConfigIssue>> {
        let mut issues = Vec::new();
        let mut issue = |key: &str, index: Option<usize>, value: Option<&str>, e: String| {
            let (table, name) = key.split_once('.').unwrap_or(("", key));
            issues.push(ConfigIssue {
                key: match index {
                    Some(i) => format!("{key}[{i}]"),
                    None => key.to_owned(),
                },
                line: loc.line(table, name).or_else(|| loc.table_line(table)),
                value: value.map(str::to_owned),
                message: e,
            });
        };
        let o = self.organization;
        let hub_account_id = match o.hub_account_id.as_deref().map(AccountId::new) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(e)) => {
                issue(
                    "organization.hub_account_id",
                    None,
                    o.hub_account_id.as_deref(),
                    e.to_string(),
                );
                None
            }
        };
        let home_region = Region::new(&o.home_region)
            .map_err(|e| {
                issue(
                    "organization.home_region",
                    None,
                    Some(&o.home_region),
                    e.to_string(),
                )
            })
            .ok();
        let mut regions = Vec::new();
        for (i, r) in o.regions.iter().enumerate() {
            match Region::new(r) {
                Ok(r) => regions.push(r),
                Err(e) => issue("organization.regions", Some(i), Some(r), e.to_string()),
            }
        }
        let mut exclude_accounts = Vec::new();
        for (i, a) in o.exclude_accounts.iter().enumerate() {
            match AccountId::new(a) {
                Ok(a) => exclude_accounts.push(a),
                Err(e) => issue(
                    "organization.exclude_accounts",
                    Some(i),
                    Some(a),
                    e.to_string(),
                ),
            }
        }
        let r = self.radiant;
        let external_id = ExternalId::new(r.external_id.as_deref().unwrap_or_default())
            // INVARIANT: the external ID is never echoed in an error.
            .map_err(|e| {
                issue(
                    "radiant.external_id",
                    None,
                    Some("<redacted>"),
                    e.to_string(),
                )
            })
            .ok();
        let principal_arn = r
            .principal_arn
            .parse::<Arn>()
            .map_err(|e| {
                issue(
                    "radiant.principal_arn",
                    None,
                    Some(&r.principal_arn),
                    e.to_string(),
                )
            })
            .ok();
        let c = self.cloudtrail;
        let cloudtrail = if !c.enabled {
            None
        } else if let Some(existing) = &c.existing_trail {
            let trail = if existing == "auto" {
                Some(ExistingTrail::Auto)
            } else {
                existing
                    .parse::<Arn>()
                    .map_err(|e| {
                        issue(
                            "cloudtrail.existing_trail",
                            None,
                            Some(existing),
                            e.to_string(),
                        )
                    })
                    .ok()
                    .map(ExistingTrail::Arn)
            };
            trail.map(|t| CloudTrail {
                sns_topic: c.sns_topic.clone(),
                trail: TrailChoice::Existing(t),
            })
        } else {
            let bucket = BucketName::new(&c.bucket)
                .map_err(|e| issue("cloudtrail.bucket", None, Some(&c.bucket), e.to_string()))
                .ok();
            let kms_alias = match c.kms_alias.as_deref().map(KmsAlias::new) {
                None => Some(None),
                Some(Ok(a)) => Some(Some(a)),
                Some(Err(e)) => {
                    issue(
                        "cloudtrail.kms_alias",
                        None,
                        c.kms_alias.as_deref(),
                        e.to_string(),
                    );
                    None
                }
            };
            let access_logs_bucket = match c.access_logs_bucket.as_deref().map(BucketName::new) {
                None => Some(None),
                Some(Ok(b)) => Some(Some(b)),
                Some(Err(e)) => {
                    issue(
                        "cloudtrail.access_logs_bucket",
                        None,
                        c.access_logs_bucket.as_deref(),
                        e.to_string(),
                    );
                    None
                }
            };
            match (bucket, kms_alias, access_logs_bucket) {
                (Some(bucket), Some(kms_alias), Some(access_logs_bucket)) => Some(CloudTrail {
                    sns_topic: c.sns_topic,
                    trail: TrailChoice::Create(NewTrail {
                        trail_name: c.trail_name.unwrap_or_else(default_trail_name),
                        bucket,
                        kms_alias,
                        data_events: c.data_events.unwrap_or(true),
                        allow_second_trail: c.allow_second_trail,
                        access_logs_bucket,
                    }),
                }),
                _ => None,
            }
        };
        let g = self.guardduty;
        let guardduty = if g.enabled {
            let bucket = BucketName::new(&g.bucket)
                .map_err(|e| issue("guardduty.bucket", None, Some(&g.bucket), e.to_string()))
                .ok();
            let alias = g.kms_alias.as_deref().unwrap_or_default();
            let kms_alias = KmsAlias::new(alias)
                .map_err(|e| issue("guardduty.kms_alias", None, Some(alias), e.to_string()))
                .ok();
            let admin_account_id = match g.admin_account_id.as_deref().map(AccountId::new) {
                None => Some(None),
                Some(Ok(id)) => Some(Some(id)),
                Some(Err(e)) => {
                    issue(
                        "guardduty.admin_account_id",
                        None,
                        g.admin_account_id.as_deref(),
                        e.to_string(),
                    );
                    None
                }
            };
            match (bucket, kms_alias, admin_account_id) {
                (Some(bucket), Some(kms_alias), Some(admin_account_id)) => Some(GuardDuty {
                    bucket,
                    prefix: g.prefix,
                    kms_alias,
                    sns_topic: g.sns_topic,
                    publishing_frequency: g.publishing_frequency,
                    s3_protection: g.s3_protection,
                    export: g.export,
                    take_over_destinations: g.take_over_destinations,
                    allow_source_org_id: g.allow_source_org_id,
                    admin_account_id,
                }),
                _ => None,
            }
        } else {
            None
        };
        let (Some(home_region), Some(external_id), Some(principal_arn), true) =
            (home_region, external_id, principal_arn, issues.is_empty())
        else {
            return Err(issues);
        };
        Ok(Config {
            organization: OrganizationConfig {
                hub_account_id,
                home_region,
                regions,
                access_role_name: o.access_role_name,
                include_ous: o.include_ous,
                exclude_accounts,
                allow_unknown_regions: o.allow_unknown_regions,
            },
            radiant: RadiantConfig {
                external_id,
                principal_arn,
                role_name: r.role_name,
                member_role_name: r.member_role_name,
                least_privilege_s3: r.least_privilege_s3,
            },
            cloudtrail,
            guardduty,
            run: self.run,
            members: self.members,
            hardening: self.hardening,
            retention_days: self.retention.map(|r| r.days),
        })
    }
}
