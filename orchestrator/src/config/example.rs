//! The commented example configuration that `radiant-onboard init` writes.

/// The commented example written by `radiant-onboard init`: every key with its default.
///
/// INVARIANT: it parses and validates once `RADIANT_EXTERNAL_ID` is set (tested below).
pub const EXAMPLE_CONFIG: &str = r#"# radiant-onboard configuration (docs/configuration.md describes every key).
# Unknown keys are errors. Values shown are the defaults unless marked "example".

# What the tool does to the customer's own (adopted) buckets and keys that lack a hardening
# setting (public access block, ACLs disabled, SSE-KMS with a Bucket Key, versioning, TLS only,
# key rotation): "advise" lists them as advisories and changes nothing; "enforce" applies the
# same settings as to the tool's own (shown in the plan; offboard restores what they were).
# The tool's own buckets and keys are always hardened. (A top-level key: before any [table].)
hardening = "advise"

# Optional, off by default: log objects and noncurrent versions in the tool's own buckets expire
# after this many days (only under the prefix the logs are written to).
# [retention]
# days = 365

[organization]
# Account that centralizes the logs (the hub), e.g. a landing zone's Log Archive account.
# Default: the caller's account. When it is another account, run with the management account's
# credentials: the hub's resources are created through access_role_name.
# hub_account_id = "123456789012"
# Region of the hub's buckets, keys, topics and trail (example).
home_region = "us-east-1"
# GuardDuty Regions, each enabled in every covered account (example).
regions = ["us-east-1"]
# Role the tool assumes in each member account (Control Tower: "AWSControlTowerExecution").
access_role_name = "OrganizationAccountAccessRole"
# OU IDs ("ou-...") or the root ID ("r-..."), recursive; empty means the whole organization.
include_ous = []
# 12-digit account IDs left out of the onboarding.
exclude_accounts = []

[radiant]
# The credential ID Radiant shows (RS_CREDENTIAL_ID). Prefer the RADIANT_EXTERNAL_ID
# environment variable so the value stays out of files under version control.
# external_id = "..."
# Radiant's principal that assumes the hub role.
# principal_arn = "arn:aws:sts::649384204969:assumed-role/tenant-aws-access-role/radiant-security"
# Radiant enforces this name for the hub role.
role_name = "radiant-aws-access-role"
member_role_name = "radiant-aws-member-role"
# true: scope s3:Get*/s3:List* to the two log buckets instead of every bucket (the seeds' form).
least_privilege_s3 = false

[cloudtrail]
enabled = true
# A landing zone (Control Tower, LZA) already has an organization trail: reuse it instead of
# creating a second one (which bills every management event again). "auto" picks the
# organization's only organization trail; or give its ARN. Then trail_name, bucket, kms_alias
# and data_events are not set: the trail keeps its own, the tool never changes it.
# existing_trail = "auto"
# true: create this trail even when the organization already has another organization trail.
# allow_second_trail = false
trail_name = "management-events"
# Required when enabled (example names).
bucket = "acme-cloudtrail-logs"
sns_topic = "acme-cloudtrail-delivery"
# SSE-KMS for the log files; omit for SSE-S3.
# kms_alias = "alias/cloudtrail-log-encryption"
# S3 data events for all objects.
data_events = true
# Optional: server access logging of the CloudTrail bucket (CIS) to this bucket, created (or
# adopted) in the hub; not with existing_trail.
# access_logs_bucket = "acme-s3-access-logs"

[guardduty]
enabled = true
# Required when enabled (example names).
bucket = "acme-guardduty-findings"
sns_topic = "acme-guardduty-findings"
kms_alias = "alias/guardduty-findings"
# Object key prefix without leading or trailing "/"; empty for none.
prefix = ""
# FIFTEEN_MINUTES | ONE_HOUR | SIX_HOURS
publishing_frequency = "FIFTEEN_MINUTES"
s3_protection = true
# auto | per-account | delegated-admin
export = "auto"
# With export = "delegated-admin": the account (e.g. a landing zone's Audit account) that the
# tool designates GuardDuty's delegated administrator in every Region (from the management
# account), with auto-enable for all members and S3 protection; covered accounts are added as
# members; only the administrator exports, and members' GuardDuty is never changed one by one.
# admin_account_id = "123456789012"
# true: take over a publishing destination that points to another bucket.
take_over_destinations = false
# true: use the aws:SourceOrgID compact form for GuardDuty (unconfirmed by AWS; opt-in).
allow_source_org_id = false

[members]
# How each member account gets its member role: "direct" (this tool creates it in each covered
# account; an account that joins later waits for the next run) or "stackset" (one
# service-managed CloudFormation StackSet with automatic deployment to the covered OUs: an
# account that joins the organization gets its role within minutes, without a run of the tool;
# needs StackSets' trusted access, which apply turns on).
deploy = "direct"
# The StackSet's name (deploy = "stackset").
stackset_name = "RadiantOnboardMemberRole"
# Seconds a StackSet operation may take before apply reports the accounts it has not finished.
operation_timeout_s = 1800

[run]
# Accounts worked on at once, 1 to 512.
concurrency = 32
# Seconds to wait for a write to become visible to AWS (new roles, bucket and key policies).
consistency_timeout_s = 120
"#;

#[cfg(test)]
mod example_tests {
    use super::*;
    use crate::config::*;

    #[test]
    fn example_config_is_valid_and_shows_every_default() {
        let c = Config::from_toml_str_with_env(EXAMPLE_CONFIG, Some("rs-cred")).unwrap();
        assert_eq!(c.organization.access_role_name, default_access_role_name());
        assert_eq!(
            c.radiant.principal_arn.to_string(),
            DEFAULT_RADIANT_PRINCIPAL
        );
        assert_eq!(c.run, RunConfig::default());
        // Every default, as written in the file.
        let raw: RawConfig = toml::from_str(EXAMPLE_CONFIG).unwrap();
        let g = GuardDutyConfig {
            bucket: raw.guardduty.bucket.clone(),
            sns_topic: raw.guardduty.sns_topic.clone(),
            kms_alias: raw.guardduty.kms_alias.clone(),
            ..Default::default()
        };
        assert_eq!(raw.guardduty, g);
        assert_eq!(
            c.cloudtrail
                .and_then(|ct| ct.new_trail().map(|t| t.trail_name.clone())),
            Some(default_trail_name())
        );
    }
}
