//! The `onboard.toml` configuration: its shape, defaults and validation.
//!
//! The structs mirror the TOML file one to one (`deny_unknown_fields` everywhere). Every value is
//! validated by [`Config::load`] / [`Config::from_toml_str`] before any AWS call is made, so the
//! engine may rely on the invariants documented on each field.
//!
//! The schema and loading are here; `validate.rs` checks the values, `locate.rs` finds the line
//! of each key for the messages, `example.rs` holds the example `init` writes.

use policy_model::{AccountId, Arn, BucketName, ExternalId, KmsAlias, Region};
use serde::{Deserialize, Serialize};

mod schema;
pub use schema::{RawConfig, RawOrganizationConfig, RawRadiantConfig};

mod example;
mod locate;
mod validate;

pub use example::EXAMPLE_CONFIG;
use locate::{Locator, syntax_issue};
pub use validate::{
    is_account_id, is_bucket_name, is_external_id, is_kms_alias, is_ou_or_root_id, is_prefix,
    is_principal_arn, is_region, is_role_name, is_stackset_name, is_topic_name, is_trail_name,
};

/// Radiant's own principal that assumes the hub role (seed documents).
pub const DEFAULT_RADIANT_PRINCIPAL: &str = policy_model::RADIANT_PRINCIPAL;

/// The whole configuration, parsed: every value has been checked and carries its type, so
/// the engine never checks a string again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub organization: OrganizationConfig,
    pub radiant: RadiantConfig,
    /// `None` when `[cloudtrail] enabled = false`.
    pub cloudtrail: Option<CloudTrail>,
    /// `None` when `[guardduty] enabled = false`.
    pub guardduty: Option<GuardDuty>,
    pub run: RunConfig,
    /// `[members]`: how the member roles are deployed.
    pub members: MembersConfig,
    /// Top-level `hardening`: the customer's adopted buckets and keys are only advised about
    /// (the default), or hardened like the product's own.
    pub hardening: HardeningMode,
    /// `[retention] days`: log objects (and noncurrent versions) of the product's own buckets
    /// expire after that many days. `None`: kept forever (the default).
    pub retention_days: Option<u32>,
}

/// What the tool does to the customer's own (adopted) buckets and keys that lack a hardening
/// setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HardeningMode {
    /// List what is missing as advisories; change nothing.
    #[default]
    Advise,
    /// Apply the same settings as to the product's own resources (shown in the plan first);
    /// offboard restores what they were.
    Enforce,
}

/// `[retention]` as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionConfig {
    /// Days after which log objects and noncurrent versions expire (at least 1).
    pub days: u32,
}

/// `[organization]`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationConfig {
    /// `None`: the caller's account (resolved at preflight).
    pub hub_account_id: Option<AccountId>,
    /// Region of the hub's buckets, keys, topics and trail.
    pub home_region: Region,
    /// GuardDuty Regions; non-empty, no duplicates.
    pub regions: Vec<Region>,
    /// A valid IAM role name.
    pub access_role_name: String,
    /// OU IDs (`ou-…`) or the root ID (`r-…`), recursive; empty means the whole organization.
    pub include_ous: Vec<String>,
    pub exclude_accounts: Vec<AccountId>,
    /// Opt-in: a Region the table of policy-model does not know was accepted.
    pub allow_unknown_regions: bool,
}

/// `[cloudtrail]` of an enabled CloudTrail part, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloudTrail {
    /// A valid Standard SNS topic name: the topic Radiant subscribes to.
    pub sns_topic: String,
    /// The trail the product creates, or the organization's own it reuses.
    pub trail: TrailChoice,
}

/// Which organization trail Radiant reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrailChoice {
    /// The product creates (and owns) the trail, its bucket and key.
    Create(NewTrail),
    /// `cloudtrail.existing_trail`: the organization's trail is reused, never modified.
    Existing(ExistingTrail),
}

/// The trail the product creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTrail {
    /// A valid trail name.
    pub trail_name: String,
    pub bucket: BucketName,
    /// `None` means SSE-S3.
    pub kms_alias: Option<KmsAlias>,
    pub data_events: bool,
    /// Opt-in: create the trail even when the organization already has another organization
    /// trail (a second copy of every management event is billed).
    pub allow_second_trail: bool,
    /// `cloudtrail.access_logs_bucket`: server access logging of the trail's bucket to this
    /// bucket (created, or adopted, by the tool in the hub).
    pub access_logs_bucket: Option<BucketName>,
}

/// `cloudtrail.existing_trail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExistingTrail {
    /// The organization's only organization trail.
    Auto,
    /// This trail.
    Arn(Arn),
}

impl CloudTrail {
    /// The trail the product creates, unless an existing one is reused.
    pub fn new_trail(&self) -> Option<&NewTrail> {
        match &self.trail {
            TrailChoice::Create(t) => Some(t),
            TrailChoice::Existing(_) => None,
        }
    }
}

/// `[guardduty]` of an enabled GuardDuty part, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardDuty {
    pub bucket: BucketName,
    /// Object key prefix without leading or trailing `/`; empty for none.
    pub prefix: String,
    /// GuardDuty export requires a key.
    pub kms_alias: KmsAlias,
    /// A valid Standard SNS topic name.
    pub sns_topic: String,
    pub publishing_frequency: PublishingFrequency,
    pub s3_protection: bool,
    pub export: ExportMode,
    /// Opt-in: take over a publishing destination that points to another bucket.
    pub take_over_destinations: bool,
    /// Opt-in: allow the `aws:SourceOrgID` compact form (unconfirmed for GuardDuty).
    pub allow_source_org_id: bool,
    /// With `export = "delegated-admin"`: the account the tool makes (or finds) GuardDuty's
    /// delegated administrator, which then manages every covered account's GuardDuty.
    pub admin_account_id: Option<AccountId>,
}

/// `[radiant]`, parsed. `Debug` redacts the external ID ([`ExternalId`] does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RadiantConfig {
    /// Radiant's credential ID (RS_CREDENTIAL_ID), from the file or `RADIANT_EXTERNAL_ID`.
    pub external_id: ExternalId,
    /// The principal that assumes the hub role.
    pub principal_arn: Arn,
    /// Valid IAM role names.
    pub role_name: String,
    pub member_role_name: String,
    /// Opt-in: scope s3:Get*/s3:List* to the two log buckets instead of every bucket.
    pub least_privilege_s3: bool,
}

/// `[cloudtrail]` as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudTrailConfig {
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Default `management-events`; refused with `existing_trail`.
    #[serde(default)]
    pub trail_name: Option<String>,
    /// Required when enabled.
    #[serde(default)]
    pub bucket: String,
    /// Required when enabled.
    #[serde(default)]
    pub sns_topic: String,
    /// `alias/…`; `None` means SSE-S3.
    #[serde(default)]
    pub kms_alias: Option<String>,
    /// Default true; refused with `existing_trail`.
    #[serde(default)]
    pub data_events: Option<bool>,
    /// `"auto"` or a trail ARN: reuse the organization's trail instead of creating one.
    #[serde(default)]
    pub existing_trail: Option<String>,
    /// Opt-in: create a trail even when another organization trail exists.
    #[serde(default)]
    pub allow_second_trail: bool,
    /// Server access logging of the CloudTrail bucket to this bucket; refused with
    /// `existing_trail`.
    #[serde(default)]
    pub access_logs_bucket: Option<String>,
}

/// `[guardduty]` as written.
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
    /// 12 digits; only with `export = "delegated-admin"`.
    #[serde(default)]
    pub admin_account_id: Option<String>,
}

/// `[members]`: how each member account gets its member role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembersConfig {
    /// `direct` (the fan-out creates each role) or `stackset` (a service-managed StackSet with
    /// automatic deployment, which also covers accounts that join later).
    #[serde(default)]
    pub deploy: MemberDeploy,
    /// The StackSet's name (`deploy = "stackset"`): a letter, then letters, digits and hyphens,
    /// at most 128 characters.
    #[serde(default = "default_stackset_name")]
    pub stackset_name: String,
    /// Seconds a StackSet operation may take before apply reports the accounts it has not
    /// finished (they are finished by the next run), 60 to 86400.
    #[serde(default = "default_operation_timeout_s")]
    pub operation_timeout_s: u64,
}

/// How the member roles are deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MemberDeploy {
    /// The fan-out creates the role in each covered account (an account that joins later needs
    /// a run of the tool).
    #[default]
    Direct,
    /// One service-managed StackSet with automatic deployment to the covered OUs: an account
    /// that joins gets its role from CloudFormation, without a run of the tool.
    Stackset,
}

impl Default for MembersConfig {
    fn default() -> Self {
        Self {
            deploy: MemberDeploy::Direct,
            stackset_name: default_stackset_name(),
            operation_timeout_s: default_operation_timeout_s(),
        }
    }
}

/// `[run]`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// 1 to 512.
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
    /// Seconds a step waits for a write it depends on to become visible (IAM principals,
    /// bucket and key policies), 1 to 3600.
    #[serde(default = "default_consistency_timeout_s")]
    pub consistency_timeout_s: u64,
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
            trail_name: None,
            bucket: String::new(),
            sns_topic: String::new(),
            kms_alias: None,
            data_events: None,
            existing_trail: None,
            allow_second_trail: false,
            access_logs_bucket: None,
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
            admin_account_id: None,
        }
    }
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            concurrency: default_concurrency(),
            consistency_timeout_s: default_consistency_timeout_s(),
        }
    }
}

fn yes() -> bool {
    true
}
pub(super) fn default_access_role_name() -> String {
    "OrganizationAccountAccessRole".to_owned()
}
pub(super) fn default_principal_arn() -> String {
    DEFAULT_RADIANT_PRINCIPAL.to_owned()
}
pub(super) fn default_role_name() -> String {
    "radiant-aws-access-role".to_owned()
}
pub(super) fn default_member_role_name() -> String {
    "radiant-aws-member-role".to_owned()
}
fn default_operation_timeout_s() -> u64 {
    1800
}
pub(super) fn default_stackset_name() -> String {
    "RadiantOnboardMemberRole".to_owned()
}
pub(super) fn default_trail_name() -> String {
    "management-events".to_owned()
}
fn default_concurrency() -> u32 {
    32
}
fn default_consistency_timeout_s() -> u64 {
    120
}

/// The environment variable that supplies `radiant.external_id` when the file does not.
pub const EXTERNAL_ID_ENV: &str = "RADIANT_EXTERNAL_ID";

/// One problem found in a configuration file: the key, where it is, the bad value and the fix.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfigIssue {
    /// Dotted key, e.g. `guardduty.kms_alias` or `organization.regions[1]`.
    pub key: String,
    /// 1-based line in the file, when the key (or its table) appears in it.
    pub line: Option<usize>,
    /// The offending value as written (never the external ID itself), `None` when missing.
    pub value: Option<String>,
    /// What is wrong and what to do, lowercase, no final period.
    pub message: String,
}

impl std::fmt::Display for ConfigIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "`{}`", self.key)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        if let Some(value) = &self.value {
            write!(f, ": value `{value}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Why a configuration could not be loaded. Every variant maps to exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read configuration file `{path}`: {source}; check the path given with `-c`")]
    Read {
        /// The path given by the user.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not match the expected shape.
    #[error("invalid configuration: {0}")]
    Syntax(ConfigIssue),
    /// One or more values are invalid.
    #[error("invalid configuration: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ConfigIssue>),
}

impl ConfigError {
    /// Every issue carried by this error (empty for read errors).
    pub fn issues(&self) -> Vec<ConfigIssue> {
        match self {
            Self::Read { .. } => Vec::new(),
            Self::Syntax(issue) => vec![issue.clone()],
            Self::Invalid(issues) => issues.clone(),
        }
    }
}

/// A loaded, validated configuration together with facts about its source.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The validated configuration (`radiant.external_id` is `Some`).
    pub config: Config,
    /// Lowercase hex sha256 of the file's bytes (the report's configuration digest).
    pub digest: String,
}

impl Config {
    /// Reads, parses and validates `path`; `RADIANT_EXTERNAL_ID` supplies the external ID when
    /// the file does not. No AWS call is made.
    pub fn load(path: &std::path::Path) -> Result<LoadedConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let env = std::env::var(EXTERNAL_ID_ENV).ok();
        let config = Self::from_toml_str_with_env(&text, env.as_deref())?;
        Ok(LoadedConfig {
            config,
            digest: sha256_hex(text.as_bytes()),
        })
    }

    /// Parses and validates `text`, taking the external ID from `RADIANT_EXTERNAL_ID` when the
    /// text has none.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        let env = std::env::var(EXTERNAL_ID_ENV).ok();
        Self::from_toml_str_with_env(text, env.as_deref())
    }

    /// Parses and validates `text` with an explicit value for `RADIANT_EXTERNAL_ID`.
    pub fn from_toml_str_with_env(
        text: &str,
        env_external_id: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let mut config: RawConfig =
            toml::from_str(text).map_err(|e| ConfigError::Syntax(syntax_issue(text, &e)))?;
        let locator = Locator::new(text);
        let mut issues = Vec::new();
        let env_external_id = env_external_id.filter(|v| !v.is_empty());
        match (&config.radiant.external_id, env_external_id) {
            (Some(file), Some(env)) if file != env => issues.push(ConfigIssue {
                key: "radiant.external_id".into(),
                line: locator.line("radiant", "external_id"),
                value: None,
                message: format!(
                    "the file and `{EXTERNAL_ID_ENV}` give different external IDs; remove one of them"
                ),
            }),
            (None, Some(env)) => config.radiant.external_id = Some(env.to_owned()),
            _ => {}
        }
        config.validate(&locator, &mut issues);
        if !issues.is_empty() {
            return Err(ConfigError::Invalid(issues));
        }
        config.parse(&locator).map_err(ConfigError::Invalid)
    }
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(bytes);
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[organization]
home_region = "us-east-1"
regions = ["us-east-1", "eu-west-1"]

[radiant]
external_id = "rs-cred-0001"

[cloudtrail]
bucket = "acme-cloudtrail-logs"
sns_topic = "acme-cloudtrail-delivery"

[guardduty]
bucket = "acme-guardduty-findings"
sns_topic = "acme-guardduty-findings"
kms_alias = "alias/guardduty-findings"
"#;

    #[test]
    fn good_config_loads_with_defaults() {
        let c = Config::from_toml_str_with_env(GOOD, None).unwrap();
        assert_eq!(c.radiant.role_name, "radiant-aws-access-role");
        assert_eq!(c.run.concurrency, 32);
        assert_eq!(
            c.guardduty.map(|g| g.publishing_frequency),
            Some(PublishingFrequency::FifteenMinutes)
        );
    }

    #[test]
    fn a_disabled_part_is_absent_and_an_enabled_one_is_typed() {
        let c = Config::from_toml_str_with_env(GOOD, None).unwrap();
        let ct = c.cloudtrail.unwrap();
        let nt = ct.new_trail().unwrap();
        assert_eq!(nt.bucket, "acme-cloudtrail-logs");
        assert_eq!(nt.kms_alias, None);
        assert_eq!(nt.trail_name, "management-events");
        assert!(nt.data_events && !nt.allow_second_trail);
        let off = GOOD.replace("[cloudtrail]", "[cloudtrail]\nenabled = false");
        let c = Config::from_toml_str_with_env(&off, None).unwrap();
        assert!(c.cloudtrail.is_none());
        assert_eq!(c.guardduty.unwrap().kms_alias, "alias/guardduty-findings");
    }

    #[test]
    fn hardening_retention_and_access_logs_are_opt_in_and_checked() {
        let c = Config::from_toml_str_with_env(GOOD, None).unwrap();
        assert_eq!(c.hardening, HardeningMode::Advise);
        assert_eq!(c.retention_days, None);
        assert_eq!(
            c.cloudtrail
                .unwrap()
                .new_trail()
                .unwrap()
                .access_logs_bucket,
            None
        );
        let on = format!(
            "hardening = \"enforce\"\n[retention]\ndays = 365\n{}",
            GOOD.replace(
                "[cloudtrail]",
                "[cloudtrail]\naccess_logs_bucket = \"acme-s3-access-logs\""
            )
        );
        let c = Config::from_toml_str_with_env(&on, None).unwrap();
        assert_eq!(c.hardening, HardeningMode::Enforce);
        assert_eq!(c.retention_days, Some(365));
        assert_eq!(
            c.cloudtrail
                .unwrap()
                .new_trail()
                .unwrap()
                .access_logs_bucket
                .as_ref()
                .map(|b| b.as_str().to_owned()),
            Some("acme-s3-access-logs".to_owned())
        );
        let keys = |text: &str| -> Vec<String> {
            Config::from_toml_str_with_env(text, None)
                .unwrap_err()
                .issues()
                .iter()
                .map(|i| i.key.clone())
                .collect()
        };
        assert_eq!(
            keys(&format!("[retention]\ndays = 0\n{GOOD}")),
            ["retention.days"]
        );
        assert_eq!(
            keys(&GOOD.replace(
                "[cloudtrail]",
                "[cloudtrail]\naccess_logs_bucket = \"acme-cloudtrail-logs\""
            )),
            ["cloudtrail.access_logs_bucket"],
            "a bucket that logs to itself"
        );
        let reuse = GOOD.replace(
            "bucket = \"acme-cloudtrail-logs\"\n",
            "existing_trail = \"auto\"\naccess_logs_bucket = \"acme-s3-access-logs\"\n",
        );
        assert_eq!(keys(&reuse), ["cloudtrail.access_logs_bucket"]);
        let bad = format!("hardening = \"strict\"\n{GOOD}");
        assert!(Config::from_toml_str_with_env(&bad, None).is_err());
    }

    #[test]
    fn an_existing_trail_is_auto_or_an_arn_and_refuses_the_keys_of_a_created_one() {
        let reuse = GOOD.replace(
            "bucket = \"acme-cloudtrail-logs\"",
            "existing_trail = \"auto\"",
        );
        let c = Config::from_toml_str_with_env(&reuse, None).unwrap();
        let ct = c.cloudtrail.unwrap();
        assert_eq!(ct.trail, TrailChoice::Existing(ExistingTrail::Auto));
        assert!(ct.new_trail().is_none());
        let arn =
            "arn:aws:cloudtrail:us-east-1:123456789012:trail/aws-controltower-BaselineCloudTrail";
        let by_arn = GOOD.replace(
            "bucket = \"acme-cloudtrail-logs\"",
            &format!("existing_trail = \"{arn}\""),
        );
        let c = Config::from_toml_str_with_env(&by_arn, None).unwrap();
        assert_eq!(
            c.cloudtrail.unwrap().trail,
            TrailChoice::Existing(ExistingTrail::Arn(arn.parse().unwrap()))
        );
        // Each key of a created trail is refused by name.
        for (key, line) in [
            ("bucket", "bucket = \"x-logs\""),
            ("trail_name", "trail_name = \"mine\""),
            ("kms_alias", "kms_alias = \"alias/mine\""),
            ("data_events", "data_events = false"),
            ("allow_second_trail", "allow_second_trail = true"),
        ] {
            let text = reuse.replace(
                "existing_trail = \"auto\"",
                &format!("existing_trail = \"auto\"\n{line}"),
            );
            let Err(ConfigError::Invalid(issues)) = Config::from_toml_str_with_env(&text, None)
            else {
                panic!("{key} with existing_trail must be refused");
            };
            assert!(
                issues.iter().any(|i| i.key == format!("cloudtrail.{key}")
                    && i.message.contains("existing_trail")),
                "{key}: {issues:?}"
            );
        }
        let bad = reuse.replace("\"auto\"", "\"management-events\"");
        let Err(ConfigError::Invalid(issues)) = Config::from_toml_str_with_env(&bad, None) else {
            panic!("a trail name is not a trail ARN");
        };
        assert_eq!(issues[0].key, "cloudtrail.existing_trail");
    }

    #[test]
    fn control_towers_names_are_refused_for_what_the_tool_creates() {
        for (from, to, key) in [
            (
                "bucket = \"acme-cloudtrail-logs\"",
                "bucket = \"aws-controltower-logs-123456789012-us-east-1\"",
                "cloudtrail.bucket",
            ),
            (
                "sns_topic = \"acme-cloudtrail-delivery\"",
                "sns_topic = \"aws-controltower-AllConfigNotifications\"",
                "cloudtrail.sns_topic",
            ),
            (
                "[cloudtrail]",
                "[cloudtrail]\ntrail_name = \"aws-controltower-BaselineCloudTrail\"",
                "cloudtrail.trail_name",
            ),
        ] {
            let text = GOOD.replace(from, to);
            let Err(ConfigError::Invalid(issues)) = Config::from_toml_str_with_env(&text, None)
            else {
                panic!("{key}: Control Tower's name must be refused");
            };
            assert!(
                issues
                    .iter()
                    .any(|i| i.key == key && i.message.contains("aws-controltower")),
                "{key}: {issues:?}"
            );
        }
    }

    #[test]
    fn a_guardduty_administrator_needs_the_delegated_admin_export() {
        let with = |lines: &str| GOOD.replace("[guardduty]", &format!("[guardduty]\n{lines}"));
        let ok = with("export = \"delegated-admin\"\nadmin_account_id = \"111111111111\"");
        let c = Config::from_toml_str_with_env(&ok, None).unwrap();
        assert_eq!(
            c.guardduty.unwrap().admin_account_id.unwrap(),
            "111111111111"
        );
        for (lines, why) in [
            ("admin_account_id = \"111111111111\"", "delegated-admin"),
            (
                "export = \"delegated-admin\"\nadmin_account_id = \"1111\"",
                "12 digits",
            ),
        ] {
            let Err(ConfigError::Invalid(issues)) =
                Config::from_toml_str_with_env(&with(lines), None)
            else {
                panic!("`{lines}` must be refused");
            };
            assert!(
                issues
                    .iter()
                    .any(|i| i.key == "guardduty.admin_account_id" && i.message.contains(why)),
                "{lines}: {issues:?}"
            );
        }
    }

    /// The issues of `GOOD` with its Regions replaced.
    fn region_issues(home: &str, regions: &str, extra: &str) -> Vec<ConfigIssue> {
        let text = GOOD
            .replace(
                "home_region = \"us-east-1\"",
                &format!("home_region = \"{home}\"\n{extra}"),
            )
            .replace(
                "regions = [\"us-east-1\", \"eu-west-1\"]",
                &format!("regions = {regions}"),
            );
        match Config::from_toml_str_with_env(&text, None) {
            Ok(_) => Vec::new(),
            Err(ConfigError::Invalid(issues)) => issues,
            Err(e) => panic!("{e:?}"),
        }
    }

    #[test]
    fn a_region_typo_names_the_nearest_region_unless_unknown_regions_are_allowed() {
        let issues = region_issues("us-east-1", "[\"us-east-99\"]", "");
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].key, "organization.regions[0]");
        assert_eq!(issues[0].value.as_deref(), Some("us-east-99"));
        assert!(issues[0].message.contains("\"us-east-1\""), "{issues:?}");
        let issues = region_issues("eu-wset-1", "[\"eu-west-1\"]", "");
        assert_eq!(issues[0].key, "organization.home_region");
        assert!(issues[0].message.contains("eu-west-1"));
        assert!(
            region_issues(
                "us-east-1",
                "[\"us-east-99\"]",
                "allow_unknown_regions = true"
            )
            .is_empty()
        );
    }

    #[test]
    fn regions_of_two_partitions_are_refused() {
        let issues = region_issues("us-east-1", "[\"us-east-1\", \"us-gov-west-1\"]", "");
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert_eq!(issues[0].key, "organization.regions[1]");
        assert!(
            issues[0].message.contains("aws-us-gov") && issues[0].message.contains("one partition")
        );
        assert!(
            region_issues(
                "us-gov-west-1",
                "[\"us-gov-west-1\", \"us-gov-east-1\"]",
                ""
            )
            .is_empty()
        );
    }

    #[test]
    fn guardduty_export_rules_of_opt_in_regions_are_checked() {
        // A commercial home Region takes every Region's findings, opt-in ones included.
        assert!(
            region_issues(
                "us-east-1",
                "[\"us-east-1\", \"af-south-1\", \"me-south-1\"]",
                ""
            )
            .is_empty()
        );
        // An opt-in home Region takes only its own.
        assert!(region_issues("af-south-1", "[\"af-south-1\"]", "").is_empty());
        let issues = region_issues(
            "af-south-1",
            "[\"af-south-1\", \"eu-west-1\", \"me-south-1\"]",
            "",
        );
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert!(
            issues[0].message.contains("commercial Region `eu-west-1`"),
            "{issues:?}"
        );
        assert!(
            issues[1].message.contains("opt-in Region `me-south-1`"),
            "{issues:?}"
        );
        assert!(issues.iter().all(|i| i.message.contains("home_region")));
    }

    #[test]
    fn env_supplies_missing_external_id_and_conflict_is_an_error() {
        let text = GOOD.replace("external_id = \"rs-cred-0001\"", "");
        let c = Config::from_toml_str_with_env(&text, Some("from-env")).unwrap();
        assert_eq!(Some(c.radiant.external_id.as_str()), Some("from-env"));
        let err = Config::from_toml_str_with_env(GOOD, Some("other")).unwrap_err();
        assert!(err.to_string().contains("radiant.external_id"), "{err}");
        let err = Config::from_toml_str_with_env(&text, None).unwrap_err();
        assert!(err.to_string().contains("radiant.external_id"), "{err}");
    }

    #[test]
    fn debug_redacts_external_id() {
        let c = Config::from_toml_str_with_env(GOOD, None).unwrap();
        assert!(!format!("{c:?}").contains("rs-cred-0001"));
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let text = GOOD.replace("[run]", "").replace(
            "sns_topic = \"acme-cloudtrail-delivery\"",
            "sns_topic = \"acme-cloudtrail-delivery\"\nbuckett = \"x\"",
        );
        let err = Config::from_toml_str_with_env(&text, None).unwrap_err();
        let issue = &err.issues()[0];
        assert_eq!(issue.key, "cloudtrail.buckett");
        assert_eq!(issue.line, Some(12));
    }

    #[test]
    fn keys_of_inline_tables_are_located_as_toml_reads_them() {
        // The old line scanner saw only `radiant = {...}` here and gave no line at all.
        let without = GOOD.replace("[radiant]\nexternal_id = \"rs-cred-0001\"\n", "");
        assert_ne!(without, GOOD);
        let text = format!(
            "# radiant first, as an inline table\nradiant = {{ external_id = \"rs-cred-0001\", role_name = \"bad role\" }}\n{without}"
        );
        let err = Config::from_toml_str_with_env(&text, None).unwrap_err();
        let issue = &err.issues()[0];
        assert_eq!(issue.key, "radiant.role_name");
        assert_eq!(issue.line, Some(2));
    }

    #[test]
    fn bad_value_names_key_line_and_value() {
        let text = GOOD.replace("\"eu-west-1\"", "\"eu-west\"");
        let err = Config::from_toml_str_with_env(&text, None).unwrap_err();
        let issue = &err.issues()[0];
        assert_eq!(issue.key, "organization.regions[1]");
        assert_eq!(issue.line, Some(4));
        assert_eq!(issue.value.as_deref(), Some("eu-west"));
    }

    #[test]
    fn validators_accept_and_reject() {
        assert!(is_region("us-gov-west-1") && is_region("ap-southeast-4"));
        assert!(!is_region("US-east-1") && !is_region("useast1") && !is_region("us-east"));
        assert!(
            is_bucket_name("acme-logs.v2")
                && !is_bucket_name("Acme")
                && !is_bucket_name("192.168.1.1")
        );
        assert!(
            is_kms_alias("alias/a/b_c-d")
                && !is_kms_alias("alias/aws/s3")
                && !is_kms_alias("key/x")
        );
        assert!(
            is_ou_or_root_id("ou-ab12-cdef3456")
                && is_ou_or_root_id("r-ab12")
                && !is_ou_or_root_id("ou-x")
        );
        assert!(is_trail_name("management-events") && !is_trail_name("a-"));
        assert!(is_prefix("") && is_prefix("a/b") && !is_prefix("/a") && !is_prefix("a/"));
        assert!(is_principal_arn(DEFAULT_RADIANT_PRINCIPAL) && !is_principal_arn("arn:aws:s3:::b"));
    }
}
