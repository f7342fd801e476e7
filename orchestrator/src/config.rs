//! The `onboard.toml` configuration: its shape, defaults and validation.
//!
//! The structs mirror the TOML file one to one (`deny_unknown_fields` everywhere). Every value is
//! validated by [`Config::load`] / [`Config::from_toml_str`] before any AWS call is made, so the
//! engine may rely on the invariants documented on each field.

use serde::{Deserialize, Serialize};

/// Radiant's own principal that assumes the hub role (seed documents).
pub const DEFAULT_RADIANT_PRINCIPAL: &str =
    "arn:aws:sts::649384204969:assumed-role/tenant-aws-access-role/radiant-security";

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub organization: OrganizationConfig,
    pub radiant: RadiantConfig,
    #[serde(default)]
    pub cloudtrail: CloudTrailConfig,
    #[serde(default)]
    pub guardduty: GuardDutyConfig,
    #[serde(default)]
    pub run: RunConfig,
}

/// `[organization]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationConfig {
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
}

/// `[radiant]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RadiantConfig {
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

/// `[cloudtrail]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudTrailConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    #[serde(default = "default_trail_name")]
    pub trail_name: String,
    /// Required when enabled.
    #[serde(default)]
    pub bucket: String,
    /// Required when enabled.
    #[serde(default)]
    pub sns_topic: String,
    /// `alias/…`; `None` means SSE-S3.
    #[serde(default)]
    pub kms_alias: Option<String>,
    #[serde(default = "yes")]
    pub data_events: bool,
}

/// `[guardduty]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardDutyConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Required when enabled.
    #[serde(default)]
    pub bucket: String,
    /// Object key prefix without leading or trailing `/`; empty for none.
    #[serde(default)]
    pub prefix: String,
    /// `alias/…`; GuardDuty export requires a key, so required when enabled.
    #[serde(default)]
    pub kms_alias: Option<String>,
    /// Required when enabled.
    #[serde(default)]
    pub sns_topic: String,
    #[serde(default)]
    pub publishing_frequency: PublishingFrequency,
    #[serde(default = "yes")]
    pub s3_protection: bool,
    #[serde(default)]
    pub export: ExportMode,
    /// Opt-in: take over a publishing destination that points to another bucket.
    #[serde(default)]
    pub take_over_destinations: bool,
    /// Opt-in: allow the `aws:SourceOrgID` compact form (unconfirmed for GuardDuty).
    #[serde(default)]
    pub allow_source_org_id: bool,
}

/// `[run]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// 1 to 512.
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
}

/// GuardDuty `FindingPublishingFrequency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PublishingFrequency {
    #[default]
    FifteenMinutes,
    OneHour,
    SixHours,
}

impl PublishingFrequency {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FifteenMinutes => "FIFTEEN_MINUTES",
            Self::OneHour => "ONE_HOUR",
            Self::SixHours => "SIX_HOURS",
        }
    }
}

/// How GuardDuty findings reach the hub bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportMode {
    /// Delegated-admin when a GuardDuty delegated administrator exists, per-account otherwise.
    #[default]
    Auto,
    /// A publishing destination in every member account and Region.
    PerAccount,
    /// Only the GuardDuty delegated administrator exports, per Region.
    DelegatedAdmin,
}

impl Default for CloudTrailConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            trail_name: default_trail_name(),
            bucket: String::new(),
            sns_topic: String::new(),
            kms_alias: None,
            data_events: true,
        }
    }
}

impl Default for GuardDutyConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            bucket: String::new(),
            prefix: String::new(),
            kms_alias: None,
            sns_topic: String::new(),
            publishing_frequency: PublishingFrequency::default(),
            s3_protection: true,
            export: ExportMode::default(),
            take_over_destinations: false,
            allow_source_org_id: false,
        }
    }
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            concurrency: default_concurrency(),
        }
    }
}

fn yes() -> bool {
    true
}
fn default_access_role_name() -> String {
    "OrganizationAccountAccessRole".to_owned()
}
fn default_principal_arn() -> String {
    DEFAULT_RADIANT_PRINCIPAL.to_owned()
}
fn default_role_name() -> String {
    "radiant-aws-access-role".to_owned()
}
fn default_member_role_name() -> String {
    "radiant-aws-member-role".to_owned()
}
fn default_trail_name() -> String {
    "management-events".to_owned()
}
fn default_concurrency() -> u32 {
    32
}
