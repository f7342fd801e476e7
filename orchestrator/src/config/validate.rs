//! Validation of a parsed configuration: every value is checked, each problem becomes a
//! [`ConfigIssue`] with its key, line, value and fix, and all of them are reported at once.

use super::locate::Locator;
use super::{ConfigIssue, DEFAULT_RADIANT_PRINCIPAL, EXTERNAL_ID_ENV, RawConfig};

impl RawConfig {
    /// Checks every value; pushes one issue per problem.
    pub(super) fn validate(&self, loc: &Locator, issues: &mut Vec<ConfigIssue>) {
        let mut v = Validator { loc, issues };
        let o = &self.organization;
        if let Some(id) = &o.hub_account_id {
            v.check(
                "organization",
                "hub_account_id",
                id,
                is_account_id(id),
                "an account ID is exactly 12 digits, e.g. \"123456789012\"",
            );
        }
        v.check(
            "organization",
            "home_region",
            &o.home_region,
            is_region(&o.home_region),
            "use a Region code such as \"us-east-1\"",
        );
        if o.regions.is_empty() {
            v.push(
                "organization",
                "regions",
                None,
                None,
                "list at least one GuardDuty Region, e.g. [\"us-east-1\"]",
            );
        }
        let home_ok = is_region(&o.home_region);
        if home_ok {
            v.known_region(None, &o.home_region, o.allow_unknown_regions);
        }
        for (i, r) in o.regions.iter().enumerate() {
            v.check_indexed(
                "organization",
                "regions",
                i,
                r,
                is_region(r),
                "use a Region code such as \"eu-west-1\"",
            );
            if is_region(r) {
                v.known_region(Some(i), r, o.allow_unknown_regions);
                if home_ok {
                    v.same_partition(i, r, &o.home_region);
                    if self.guardduty.enabled {
                        v.export_rule(i, r, &o.home_region);
                    }
                }
            }
            if o.regions[..i].contains(r) {
                v.push(
                    "organization",
                    "regions",
                    Some(i),
                    Some(r),
                    "this Region is listed twice; remove the duplicate",
                );
            }
        }
        v.check(
            "organization",
            "access_role_name",
            &o.access_role_name,
            is_role_name(&o.access_role_name),
            ROLE_NAME_FIX,
        );
        for (i, ou) in o.include_ous.iter().enumerate() {
            v.check_indexed(
                "organization",
                "include_ous",
                i,
                ou,
                is_ou_or_root_id(ou),
                "use an OU ID (\"ou-ab12-cdef3456\") or the root ID (\"r-ab12\")",
            );
        }
        for (i, id) in o.exclude_accounts.iter().enumerate() {
            v.check_indexed(
                "organization",
                "exclude_accounts",
                i,
                id,
                is_account_id(id),
                "an account ID is exactly 12 digits, e.g. \"123456789012\"",
            );
            if o.hub_account_id.as_deref() == Some(id.as_str()) {
                v.push(
                    "organization",
                    "exclude_accounts",
                    Some(i),
                    Some(id),
                    "the hub account cannot be excluded; remove it from the list",
                );
            }
        }

        let r = &self.radiant;
        match &r.external_id {
            None => v.push(
                "radiant",
                "external_id",
                None,
                None,
                &format!(
                    "missing: set `external_id` in `[radiant]` or the `{EXTERNAL_ID_ENV}` environment variable to the credential ID Radiant shows"
                ),
            ),
            Some(id) if !is_external_id(id) => v.push(
                "radiant",
                "external_id",
                None,
                // INVARIANT: the external ID is never echoed in an error.
                Some("<redacted>"),
                "an external ID has 2 to 1224 characters among letters, digits and +=,.@:/-_; copy it from Radiant's connector page",
            ),
            Some(_) => {}
        }
        v.check(
            "radiant",
            "principal_arn",
            &r.principal_arn,
            is_principal_arn(&r.principal_arn),
            &format!("use an IAM or STS principal ARN such as \"{DEFAULT_RADIANT_PRINCIPAL}\""),
        );
        v.check(
            "radiant",
            "role_name",
            &r.role_name,
            is_role_name(&r.role_name),
            ROLE_NAME_FIX,
        );
        v.check(
            "radiant",
            "member_role_name",
            &r.member_role_name,
            is_role_name(&r.member_role_name),
            ROLE_NAME_FIX,
        );

        v.check(
            "members",
            "stackset_name",
            &self.members.stackset_name,
            is_stackset_name(&self.members.stackset_name),
            "a StackSet name starts with a letter and holds only letters, digits and hyphens, at most 128 characters, e.g. \"RadiantOnboardMemberRole\"",
        );
        v.check(
            "members",
            "operation_timeout_s",
            &self.members.operation_timeout_s.to_string(),
            (60..=86_400).contains(&self.members.operation_timeout_s),
            "a StackSet operation over hundreds of accounts takes minutes: give 60 to 86400 seconds (default 1800)",
        );
        let c = &self.cloudtrail;
        let g = &self.guardduty;
        if let Some(r) = &self.retention {
            v.check(
                "retention",
                "days",
                &r.days.to_string(),
                r.days >= 1,
                "log objects expire after at least 1 day; set `days` to the number of days to keep them (e.g. 365), or remove `[retention]` to keep them forever",
            );
        }
        if !c.enabled && !g.enabled {
            v.push(
                "cloudtrail",
                "enabled",
                None,
                Some("false"),
                "both CloudTrail and GuardDuty are disabled, so there is nothing to onboard; enable at least one",
            );
        }
        if c.enabled
            && let Some(existing) = &c.existing_trail
        {
            v.check(
                "cloudtrail",
                "existing_trail",
                existing,
                existing == "auto" || is_trail_arn(existing),
                "use \"auto\" (the organization's only organization trail) or the trail's ARN, `arn:PARTITION:cloudtrail:REGION:ACCOUNT:trail/NAME` (e.g. Control Tower's `.../trail/aws-controltower-BaselineCloudTrail`)",
            );
            v.required_topic("cloudtrail", &c.sns_topic);
            let set = [
                ("trail_name", c.trail_name.clone()),
                ("bucket", (!c.bucket.is_empty()).then(|| c.bucket.clone())),
                ("kms_alias", c.kms_alias.clone()),
                ("data_events", c.data_events.map(|d| d.to_string())),
                (
                    "allow_second_trail",
                    c.allow_second_trail.then(|| "true".to_owned()),
                ),
                ("access_logs_bucket", c.access_logs_bucket.clone()),
            ];
            for (key, value) in set {
                if let Some(value) = value {
                    v.push(
                        "cloudtrail",
                        key,
                        None,
                        Some(&value),
                        "`existing_trail` reuses that trail with its own bucket, key and settings, which the tool never changes; remove this key (or remove `existing_trail` to create a trail)",
                    );
                }
            }
        } else if c.enabled {
            let name = c
                .trail_name
                .clone()
                .unwrap_or_else(super::default_trail_name);
            v.check(
                "cloudtrail",
                "trail_name",
                &name,
                is_trail_name(&name),
                "a trail name has 3 to 128 letters, digits, '.', '_' or '-', starts and ends with a letter or digit",
            );
            v.not_control_tower("cloudtrail", "trail_name", &name);
            v.required_bucket("cloudtrail", &c.bucket);
            if let Some(logs) = &c.access_logs_bucket {
                v.check(
                    "cloudtrail",
                    "access_logs_bucket",
                    logs,
                    is_bucket_name(logs),
                    "an S3 bucket name has 3 to 63 lowercase letters, digits, '.' or '-', starts and ends with a letter or digit, is not an IP address and has no reserved prefix or suffix",
                );
                v.check(
                    "cloudtrail",
                    "access_logs_bucket",
                    logs,
                    *logs != c.bucket && (!g.enabled || *logs != g.bucket),
                    "server access logs go to a bucket of their own (a bucket that logs to itself logs its own log writes without end); name another bucket",
                );
                v.not_control_tower("cloudtrail", "access_logs_bucket", logs);
            }
            v.required_topic("cloudtrail", &c.sns_topic);
            if let Some(alias) = &c.kms_alias {
                v.check(
                    "cloudtrail",
                    "kms_alias",
                    alias,
                    is_kms_alias(alias),
                    ALIAS_FIX,
                );
            }
        }
        if g.enabled {
            v.required_bucket("guardduty", &g.bucket);
            v.required_topic("guardduty", &g.sns_topic);
            match &g.kms_alias {
                None => v.push(
                    "guardduty",
                    "kms_alias",
                    None,
                    None,
                    "missing: GuardDuty export needs a KMS key; set e.g. kms_alias = \"alias/guardduty-findings\"",
                ),
                Some(alias) => {
                    v.check("guardduty", "kms_alias", alias, is_kms_alias(alias), ALIAS_FIX)
                }
            }
            if let Some(admin) = &g.admin_account_id {
                v.check(
                    "guardduty",
                    "admin_account_id",
                    admin,
                    is_account_id(admin),
                    "an account ID is exactly 12 digits, e.g. \"123456789012\"",
                );
                if g.export != super::ExportMode::DelegatedAdmin {
                    v.push(
                        "guardduty",
                        "admin_account_id",
                        None,
                        Some(admin),
                        "the tool manages GuardDuty through this administrator only with `export = \"delegated-admin\"`; set it, or remove `admin_account_id`",
                    );
                }
                if o.exclude_accounts.contains(admin) {
                    v.push(
                        "guardduty",
                        "admin_account_id",
                        None,
                        Some(admin),
                        "GuardDuty's administrator cannot be excluded: remove it from `organization.exclude_accounts`",
                    );
                }
            }
            v.check(
                "guardduty",
                "prefix",
                &g.prefix,
                is_prefix(&g.prefix),
                "a prefix has no leading or trailing '/', no empty segment and at most 512 characters, e.g. \"guardduty\"",
            );
        }
        if c.enabled && g.enabled {
            if !c.bucket.is_empty() && c.bucket == g.bucket {
                v.push(
                    "guardduty",
                    "bucket",
                    None,
                    Some(&g.bucket),
                    "the GuardDuty bucket must differ from `cloudtrail.bucket` (its event notification would fire for CloudTrail logs too); choose another name",
                );
            }
            if !c.sns_topic.is_empty() && c.sns_topic == g.sns_topic {
                v.push(
                    "guardduty",
                    "sns_topic",
                    None,
                    Some(&g.sns_topic),
                    "Radiant needs two topics: choose a name different from `cloudtrail.sns_topic`",
                );
            }
        }
        let n = self.run.concurrency;
        v.check(
            "run",
            "concurrency",
            &n.to_string(),
            (1..=512).contains(&n),
            "use a number from 1 to 512",
        );
        let t = self.run.consistency_timeout_s;
        v.check(
            "run",
            "consistency_timeout_s",
            &t.to_string(),
            (1..=3600).contains(&t),
            "use a number of seconds from 1 to 3600 (AWS usually needs a few seconds, rarely a minute)",
        );
    }
}

const ROLE_NAME_FIX: &str = "an IAM role name has 1 to 64 letters, digits or +=,.@_- characters";
const ALIAS_FIX: &str = "use \"alias/NAME\" with letters, digits, '/', '_' or '-'; names under \"alias/aws/\" are reserved for AWS managed keys";

struct Validator<'a> {
    loc: &'a Locator,
    issues: &'a mut Vec<ConfigIssue>,
}

impl Validator<'_> {
    fn push(
        &mut self,
        table: &str,
        key: &str,
        index: Option<usize>,
        value: Option<&str>,
        message: &str,
    ) {
        let line = self
            .loc
            .line(table, key)
            .or_else(|| self.loc.table_line(table));
        let key = match index {
            Some(i) => format!("{table}.{key}[{i}]"),
            None => format!("{table}.{key}"),
        };
        self.issues.push(ConfigIssue {
            key,
            line,
            value: value.map(str::to_owned),
            message: message.to_owned(),
        });
    }

    fn check(&mut self, table: &str, key: &str, value: &str, ok: bool, fix: &str) {
        if !ok {
            self.push(table, key, None, Some(value), fix);
        }
    }

    /// A Region of the table of policy-model (unless `allow_unknown_regions`): a typo is
    /// named with the nearest known Region.
    fn known_region(&mut self, index: Option<usize>, region: &str, allow_unknown: bool) {
        if allow_unknown || policy_model::regions::is_known(region) {
            return;
        }
        let partition = policy_model::Partition::of_region(region);
        let nearest = policy_model::regions::nearest(region)
            .map(|n| format!("did you mean \"{n}\"? "))
            .unwrap_or_default();
        let fix = format!(
            "not a Region of the `{partition}` partition; {nearest}For a Region launched after this release, set `organization.allow_unknown_regions = true`"
        );
        let key = if index.is_some() {
            "regions"
        } else {
            "home_region"
        };
        self.push("organization", key, index, Some(region), &fix);
    }

    /// Every Region of the configuration is in the home Region's partition (an organization
    /// lives in one).
    fn same_partition(&mut self, index: usize, region: &str, home: &str) {
        let (p, h) = (
            policy_model::Partition::of_region(region),
            policy_model::Partition::of_region(home),
        );
        if p != h {
            self.push(
                "organization",
                "regions",
                Some(index),
                Some(region),
                &format!(
                    "this Region is in the `{p}` partition but `home_region` `{home}` is in `{h}`: an organization lives in one partition; list only `{h}` Regions"
                ),
            );
        }
    }

    /// GuardDuty's export rules (`aws-facts.md`, "Opt-in Regions"): the findings bucket is in the
    /// home Region; a commercial Region cannot export to an opt-in Region's bucket, nor one
    /// opt-in Region to another's.
    fn export_rule(&mut self, index: usize, region: &str, home: &str) {
        use policy_model::regions::is_opt_in;
        if region == home || !is_opt_in(home) {
            return;
        }
        let why = if is_opt_in(region) {
            format!(
                "findings of the opt-in Region `{region}` cannot be exported to a bucket in another opt-in Region (`home_region` `{home}`): AWS refuses it"
            )
        } else {
            format!(
                "findings of the commercial Region `{region}` cannot be exported to a bucket in the opt-in Region `{home}` (`home_region`): AWS refuses it"
            )
        };
        self.push(
            "organization",
            "regions",
            Some(index),
            Some(region),
            &format!(
                "{why}; set `home_region` to a Region enabled by default (e.g. \"us-east-1\"), to which every Region may export, or list only `{home}`"
            ),
        );
    }

    fn check_indexed(
        &mut self,
        table: &str,
        key: &str,
        index: usize,
        value: &str,
        ok: bool,
        fix: &str,
    ) {
        if !ok {
            self.push(table, key, Some(index), Some(value), fix);
        }
    }

    fn required_bucket(&mut self, table: &str, bucket: &str) {
        if bucket.is_empty() {
            self.push(
                table,
                "bucket",
                None,
                None,
                &format!("missing: `{table}` is enabled, so set `bucket` to an S3 bucket name, or set `enabled = false`"),
            );
        } else {
            self.check(
                table,
                "bucket",
                bucket,
                is_bucket_name(bucket),
                "an S3 bucket name has 3 to 63 lowercase letters, digits, '.' or '-', starts and ends with a letter or digit, is not an IP address and has no reserved prefix or suffix",
            );
            self.not_control_tower(table, "bucket", bucket);
        }
    }

    /// Control Tower's resources (`aws-controltower*`) are never the tool's to create or change:
    /// its mandatory guardrails deny it (`aws-facts.md`, "Landing zones").
    fn not_control_tower(&mut self, table: &str, key: &str, value: &str) {
        self.check(
            table,
            key,
            value,
            !value.starts_with("aws-controltower"),
            "names starting with `aws-controltower` are Control Tower's, whose guardrails deny changing them; choose another name (to read Control Tower's trail, use `cloudtrail.existing_trail = \"auto\"`)",
        );
    }

    fn required_topic(&mut self, table: &str, topic: &str) {
        if topic.is_empty() {
            self.push(
                table,
                "sns_topic",
                None,
                None,
                &format!("missing: `{table}` is enabled, so set `sns_topic` to an SNS topic name, or set `enabled = false`"),
            );
        } else {
            self.check(
                table,
                "sns_topic",
                topic,
                is_topic_name(topic),
                "a Standard SNS topic name has 1 to 256 letters, digits, '-' or '_' (no \".fifo\")",
            );
            self.not_control_tower(table, "sns_topic", topic);
        }
    }
}

/// Exactly 12 ASCII digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// A Region code such as `us-east-1`, `us-gov-west-1` or `ap-southeast-4`.
pub fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() < 3 || parts.len() > 5 {
        return false;
    }
    let Some((last, head)) = parts.split_last() else {
        return false;
    };
    !last.is_empty()
        && last.len() <= 2
        && last.bytes().all(|b| b.is_ascii_digit())
        && head[0].len() == 2
        && head
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
}

/// A CloudFormation StackSet name: a letter, then letters, digits and hyphens; 1 to 128.
pub fn is_stackset_name(s: &str) -> bool {
    (1..=128).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// An IAM role name: 1 to 64 of `[A-Za-z0-9+=,.@_-]`.
pub fn is_role_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// `ou-xxxx-yyyyyyyy` or `r-xxxx`.
pub fn is_ou_or_root_id(s: &str) -> bool {
    let lower_alnum = |p: &str| {
        p.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    if let Some(rest) = s.strip_prefix("ou-") {
        match rest.split_once('-') {
            Some((a, b)) => {
                (4..=32).contains(&a.len())
                    && (8..=32).contains(&b.len())
                    && lower_alnum(a)
                    && lower_alnum(b)
            }
            None => false,
        }
    } else if let Some(rest) = s.strip_prefix("r-") {
        (4..=32).contains(&rest.len()) && lower_alnum(rest)
    } else {
        false
    }
}

/// STS `ExternalId`: 2 to 1224 of `[\w+=,.@:/-]`.
pub fn is_external_id(s: &str) -> bool {
    (2..=1224).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@:/-".contains(&b))
}

/// An IAM or STS principal ARN (`arn:PARTITION:iam::ACCOUNT:...` or `arn:PARTITION:sts::ACCOUNT:...`).
pub fn is_principal_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    parts.len() == 6
        && parts[0] == "arn"
        && matches!(parts[1], "aws" | "aws-us-gov" | "aws-cn")
        && matches!(parts[2], "iam" | "sts")
        && parts[3].is_empty()
        && is_account_id(parts[4])
        && !parts[5].is_empty()
        && !s.contains(char::is_whitespace)
}

/// S3 general purpose bucket naming rules.
pub fn is_bucket_name(s: &str) -> bool {
    let b = s.as_bytes();
    (3..=63).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'.' || *c == b'-')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !s.contains("..")
        && !s.contains(".-")
        && !s.contains("-.")
        && !(s.split('.').count() == 4 && s.split('.').all(|p| p.parse::<u8>().is_ok()))
        && !s.starts_with("xn--")
        && !s.starts_with("sthree-")
        && !s.starts_with("amzn-s3-demo-")
        && !s.ends_with("-s3alias")
        && !s.ends_with("--ol-s3")
        && !s.ends_with(".mrap")
        && !s.ends_with("--x-s3")
}

/// A Standard SNS topic name: 1 to 256 of `[A-Za-z0-9_-]`.
pub fn is_topic_name(s: &str) -> bool {
    (1..=256).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A customer KMS alias: `alias/NAME`, not under `alias/aws/`.
pub fn is_kms_alias(s: &str) -> bool {
    match s.strip_prefix("alias/") {
        Some(name) => {
            !name.is_empty()
                && s.len() <= 256
                && !name.starts_with("aws/")
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/_-".contains(&b))
        }
        None => false,
    }
}

/// A CloudTrail trail name.
/// `arn:PARTITION:cloudtrail:REGION:ACCOUNT:trail/NAME`.
pub fn is_trail_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", partition, "cloudtrail", region, account, resource] => {
            partition.starts_with("aws")
                && is_region(region)
                && is_account_id(account)
                && resource.strip_prefix("trail/").is_some_and(is_trail_name)
        }
        _ => false,
    }
}

pub fn is_trail_name(s: &str) -> bool {
    let b = s.as_bytes();
    (3..=128).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(c))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && !["._", "_.", ".-", "-.", "_-", "-_", "..", "__", "--"]
            .iter()
            .any(|p| s.contains(p))
}

/// An S3 key prefix without leading/trailing `/` (empty allowed).
pub fn is_prefix(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= 512
            && !s.starts_with('/')
            && !s.ends_with('/')
            && !s.contains("//")
            && !s.chars().any(char::is_control))
}
