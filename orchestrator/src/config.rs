//! The `onboard.toml` configuration: its shape, defaults and validation.
//!
//! The structs mirror the TOML file one to one (`deny_unknown_fields` everywhere). Every value is
//! validated by [`Config::load`] / [`Config::from_toml_str`] before any AWS call is made, so the
//! engine may rely on the invariants documented on each field.

use serde::{Deserialize, Serialize};

/// Radiant's own principal that assumes the hub role (seed documents).
pub const DEFAULT_RADIANT_PRINCIPAL: &str = policy_model::RADIANT_PRINCIPAL;

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
///
/// `Debug` redacts `external_id`: it is a secret-ish value printed only in the hand-off.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
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
            consistency_timeout_s: default_consistency_timeout_s(),
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
fn default_consistency_timeout_s() -> u64 {
    120
}

impl std::fmt::Debug for RadiantConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RadiantConfig")
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
        let mut config: Self =
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
        if issues.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid(issues))
        }
    }

    /// Checks every value; pushes one issue per problem.
    fn validate(&self, loc: &Locator, issues: &mut Vec<ConfigIssue>) {
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
        for (i, r) in o.regions.iter().enumerate() {
            v.check_indexed(
                "organization",
                "regions",
                i,
                r,
                is_region(r),
                "use a Region code such as \"eu-west-1\"",
            );
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

        let c = &self.cloudtrail;
        let g = &self.guardduty;
        if !c.enabled && !g.enabled {
            v.push(
                "cloudtrail",
                "enabled",
                None,
                Some("false"),
                "both CloudTrail and GuardDuty are disabled, so there is nothing to onboard; enable at least one",
            );
        }
        if c.enabled {
            v.check(
                "cloudtrail",
                "trail_name",
                &c.trail_name,
                is_trail_name(&c.trail_name),
                "a trail name has 3 to 128 letters, digits, '.', '_' or '-', starts and ends with a letter or digit",
            );
            v.required_bucket("cloudtrail", &c.bucket);
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
        }
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
        }
    }
}

/// Finds the line of `key` inside `[table]` in the source text.
struct Locator {
    /// (table, key, 1-based line) for every `key = ...` line; table headers have an empty key.
    entries: Vec<(String, String, usize)>,
}

impl Locator {
    fn new(text: &str) -> Self {
        let mut entries = Vec::new();
        let mut table = String::new();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if let Some(rest) = line.strip_prefix('[') {
                let name = rest
                    .split(']')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches('"');
                table = name.to_owned();
                entries.push((table.clone(), String::new(), i + 1));
            } else if let Some((key, _)) = line.split_once('=') {
                let key = key.trim().trim_matches('"');
                if !key.is_empty() && !key.starts_with('#') {
                    // Dotted keys at top level (`organization.regions = ...`) are split.
                    let (t, k) = match (table.is_empty(), key.rsplit_once('.')) {
                        (true, Some((t, k))) => (t.trim().to_owned(), k.trim().to_owned()),
                        _ => (table.clone(), key.to_owned()),
                    };
                    entries.push((t, k, i + 1));
                }
            }
        }
        Self { entries }
    }

    fn line(&self, table: &str, key: &str) -> Option<usize> {
        self.entries
            .iter()
            .find(|(t, k, _)| t == table && k == key)
            .map(|(_, _, l)| *l)
    }

    fn table_line(&self, table: &str) -> Option<usize> {
        self.line(table, "")
    }

    /// The table whose header precedes `line` (1-based).
    fn table_at(&self, line: usize) -> String {
        self.entries
            .iter()
            .rfind(|(_, k, l)| k.is_empty() && *l <= line)
            .map(|(t, _, _)| t.clone())
            .unwrap_or_default()
    }
}

/// Turns a TOML/serde error into an issue naming the key and the line.
fn syntax_issue(text: &str, err: &toml::de::Error) -> ConfigIssue {
    let message = err.message().trim().replace('\n', " ");
    let mut line = err
        .span()
        .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
    let locator = Locator::new(text);
    let lines: Vec<&str> = text.lines().collect();
    let key_at = |l: usize| -> Option<String> {
        let raw = lines.get(l.checked_sub(1)?)?.trim();
        if raw.starts_with('[') || raw.starts_with('#') {
            return None;
        }
        let (k, _) = raw.split_once('=')?;
        let k = k.trim().trim_matches('"');
        (!k.is_empty()).then(|| k.to_owned())
    };
    let header_at = |l: usize| -> Option<String> {
        let raw = lines.get(l.checked_sub(1)?)?.trim();
        let rest = raw.strip_prefix('[')?;
        Some(rest.split(']').next().unwrap_or("").trim().to_owned())
    };
    let quoted = between_backticks(&message);
    let is_unknown = message.starts_with("unknown field");
    let is_missing = message.starts_with("missing field");
    let is_value = message.starts_with("invalid") || message.starts_with("unknown variant");
    let mut key_on_line = line.and_then(key_at);
    if key_on_line.is_none() && !is_unknown && !is_missing && !is_value {
        // A syntax error is reported at the token after the mistake (often the next table's
        // header): name the closest key written before it.
        if let Some(l) = line {
            let previous = (1..l).rev().find(|&p| {
                lines.get(p - 1).is_some_and(|r| {
                    let r = r.trim();
                    !r.is_empty() && !r.starts_with('#')
                })
            });
            if let Some(p) = previous.filter(|&p| key_at(p).is_some()) {
                key_on_line = key_at(p);
                line = Some(p);
            }
        }
    }
    let table = line.map(|l| locator.table_at(l)).unwrap_or_default();
    let join = |k: &str| {
        if table.is_empty() {
            k.to_owned()
        } else {
            format!("{table}.{k}")
        }
    };
    let (key, fix) = if is_unknown {
        let key = match (line.and_then(header_at), &quoted) {
            // An unknown table: the span is its header.
            (Some(h), Some(q)) if h == *q || h.ends_with(&format!(".{q}")) => h,
            _ => join(&quoted.clone().or(key_on_line).unwrap_or_default()),
        };
        (
            key,
            "remove it or fix its spelling (see `radiant-onboard init` for every key)",
        )
    } else if is_missing {
        let k = quoted.clone().unwrap_or_default();
        (
            join(&k),
            "add it (see `radiant-onboard init` for an example)",
        )
    } else if let Some(k) = key_on_line {
        (
            join(&k),
            if is_value {
                "fix the value (see `radiant-onboard init` for the expected form)"
            } else {
                "fix the TOML syntax of this entry"
            },
        )
    } else {
        (
            if table.is_empty() {
                "(file)".to_owned()
            } else {
                table.clone()
            },
            "fix the TOML syntax",
        )
    };
    let value = if is_value { quoted } else { None };
    ConfigIssue {
        key,
        line,
        value,
        message: format!("{message}; {fix}"),
    }
}

fn between_backticks(s: &str) -> Option<String> {
    let start = s.find('`')? + 1;
    let len = s[start..].find('`')?;
    Some(s[start..start + len].to_owned())
}

/// Lowercase hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(bytes);
    hash.iter().map(|b| format!("{b:02x}")).collect()
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
            c.guardduty.publishing_frequency,
            PublishingFrequency::FifteenMinutes
        );
    }

    #[test]
    fn env_supplies_missing_external_id_and_conflict_is_an_error() {
        let text = GOOD.replace("external_id = \"rs-cred-0001\"", "");
        let c = Config::from_toml_str_with_env(&text, Some("from-env")).unwrap();
        assert_eq!(c.radiant.external_id.as_deref(), Some("from-env"));
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

/// The commented example written by `radiant-onboard init`: every key with its default.
///
/// INVARIANT: it parses and validates once `RADIANT_EXTERNAL_ID` is set (tested below).
pub const EXAMPLE_CONFIG: &str = r#"# radiant-onboard configuration (docs/configuration.md describes every key).
# Unknown keys are errors. Values shown are the defaults unless marked "example".

[organization]
# Account that centralizes the logs (the hub). Default: the caller's account.
# hub_account_id = "123456789012"
# Region of the hub's buckets, keys, topics and trail (example).
home_region = "us-east-1"
# GuardDuty Regions, each enabled in every covered account (example).
regions = ["us-east-1"]
# Role the tool assumes in each member account.
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
trail_name = "management-events"
# Required when enabled (example names).
bucket = "acme-cloudtrail-logs"
sns_topic = "acme-cloudtrail-delivery"
# SSE-KMS for the log files; omit for SSE-S3.
# kms_alias = "alias/cloudtrail-log-encryption"
# S3 data events for all objects.
data_events = true

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
# true: take over a publishing destination that points to another bucket.
take_over_destinations = false
# true: use the aws:SourceOrgID compact form for GuardDuty (unconfirmed by AWS; opt-in).
allow_source_org_id = false

[run]
# Accounts worked on at once, 1 to 512.
concurrency = 32
# Seconds to wait for a write to become visible to AWS (new roles, bucket and key policies).
consistency_timeout_s = 120
"#;

#[cfg(test)]
mod example_tests {
    use super::*;

    #[test]
    fn example_config_is_valid_and_shows_every_default() {
        let c = Config::from_toml_str_with_env(EXAMPLE_CONFIG, Some("rs-cred")).unwrap();
        assert_eq!(c.organization.access_role_name, default_access_role_name());
        assert_eq!(c.radiant.principal_arn, DEFAULT_RADIANT_PRINCIPAL);
        assert_eq!(c.run, RunConfig::default());
        let g = GuardDutyConfig {
            bucket: c.guardduty.bucket.clone(),
            sns_topic: c.guardduty.sns_topic.clone(),
            kms_alias: c.guardduty.kms_alias.clone(),
            ..Default::default()
        };
        assert_eq!(c.guardduty, g);
        assert_eq!(c.cloudtrail.trail_name, default_trail_name());
    }
}
