//! Hardening of the log resources (`aws-facts.md`, "Hardening that CIS / AWS FSBP checks expect
//! of log resources"): for a bucket, the public access block (all four settings), object
//! ownership `BucketOwnerEnforced` (ACLs off), default encryption (SSE-KMS with the key and an
//! S3 Bucket Key, or SSE-S3 without a key) and versioning; for a key, automatic rotation.
//!
//! The product hardens what it owns (created, or tagged by it) in the same read-diff-write way
//! as everything else: each setting is read, compared, written only when it differs, and shown
//! in the plan. What the customer owns (an adopted bucket or key) is never changed: what is
//! missing there is an **advisory**, one line with the check it maps to and the fix.

use aws_sdk_s3::types::{
    BucketVersioningStatus, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};
use policy_model::Arn;

use super::bucket::Bucket;
use super::{Place, build_err, tagged, unset};
use crate::engine::EngineError;
use crate::engine::common::{HubLog, changed_status, hub_sdk, hub_worker};
use crate::outcome::{Change, ChangeAction};

/// One hardening setting, as plans, verify and advisories name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setting {
    PublicAccessBlock,
    ObjectOwnership,
    DefaultEncryption,
    Versioning,
    KeyRotation,
}

impl Setting {
    /// The setting's name in plans and verify (`#public-access-block`, ...).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::PublicAccessBlock => "public-access-block",
            Self::ObjectOwnership => "object-ownership",
            Self::DefaultEncryption => "default-encryption",
            Self::Versioning => "versioning",
            Self::KeyRotation => "key-rotation",
        }
    }

    /// The AWS Foundational Security Best Practices / CIS check the setting maps to, and the
    /// fix, for an advisory.
    pub(crate) fn advice(self) -> &'static str {
        match self {
            Self::PublicAccessBlock => {
                "S3.8 / CIS 2.1.4: turn on all four settings of the bucket's public access block (`aws s3api put-public-access-block`)"
            }
            Self::ObjectOwnership => {
                "S3.12: disable ACLs with object ownership `BucketOwnerEnforced` (`aws s3api put-bucket-ownership-controls`)"
            }
            Self::DefaultEncryption => {
                "S3.17 / CIS 3.x: default encryption with the log key (SSE-KMS) and an S3 Bucket Key (`aws s3api put-bucket-encryption`)"
            }
            Self::Versioning => {
                "S3.14: enable versioning (`aws s3api put-bucket-versioning --versioning-configuration Status=Enabled`)"
            }
            Self::KeyRotation => {
                "KMS.4 / CIS 3.6: enable automatic key rotation (`aws kms enable-key-rotation`)"
            }
        }
    }
}

/// A setting that differs: what it is now and what the product wants.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Gap {
    pub(crate) setting: Setting,
    pub(crate) before: serde_json::Value,
    pub(crate) after: serde_json::Value,
}

/// What the product asks of a log bucket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BucketHardening<'a> {
    pub(crate) bucket: Bucket<'a>,
    /// The key of default encryption (SSE-KMS), or `None` for SSE-S3.
    pub(crate) key: Option<&'a Arn>,
}

/// The codes S3 answers for "this configuration is not set".
const NOT_SET: &[&str] = &[
    "NoSuchPublicAccessBlockConfiguration",
    "OwnershipControlsNotFoundError",
    "ServerSideEncryptionConfigurationNotFoundError",
];

impl BucketHardening<'_> {
    fn resource(&self, s: Setting) -> String {
        format!("{}#{}", self.bucket.arn(), s.name())
    }

    fn s3(&self) -> aws_sdk_s3::Client {
        let place = self.bucket.place;
        place.clients.s3(place.region.as_str())
    }

    /// The wanted encryption, as plans show it.
    fn wanted_encryption(&self) -> serde_json::Value {
        match self.key {
            Some(k) => serde_json::json!({
                "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": k.to_string(), "BucketKeyEnabled": true
            }),
            None => serde_json::json!({ "SSEAlgorithm": "AES256" }),
        }
    }

    /// The settings that differ from what the product wants (`exists`: false for a bucket a
    /// plan would create, whose settings are all to be made).
    pub(crate) async fn gaps(&self, exists: bool) -> Result<Vec<Gap>, EngineError> {
        let wanted_pab = serde_json::json!({
            "BlockPublicAcls": true, "IgnorePublicAcls": true,
            "BlockPublicPolicy": true, "RestrictPublicBuckets": true
        });
        let wanted_owner = serde_json::json!("BucketOwnerEnforced");
        let wanted_enc = self.wanted_encryption();
        let wanted_ver = serde_json::json!("Enabled");
        if !exists {
            return Ok(vec![
                gap(
                    Setting::PublicAccessBlock,
                    serde_json::Value::Null,
                    wanted_pab,
                ),
                gap(
                    Setting::ObjectOwnership,
                    serde_json::Value::Null,
                    wanted_owner,
                ),
                gap(
                    Setting::DefaultEncryption,
                    serde_json::Value::Null,
                    wanted_enc,
                ),
                gap(Setting::Versioning, serde_json::Value::Null, wanted_ver),
            ]);
        }
        let s3 = self.s3();
        let name = self.bucket.name;
        let mut out = Vec::new();
        // Public access block.
        let pab = unset(
            "s3:GetPublicAccessBlock",
            &self.resource(Setting::PublicAccessBlock),
            NOT_SET,
            s3.get_public_access_block().bucket(name).send().await,
        )?
        .and_then(|o| o.public_access_block_configuration)
        .map(|c| {
            serde_json::json!({
                "BlockPublicAcls": c.block_public_acls == Some(true),
                "IgnorePublicAcls": c.ignore_public_acls == Some(true),
                "BlockPublicPolicy": c.block_public_policy == Some(true),
                "RestrictPublicBuckets": c.restrict_public_buckets == Some(true),
            })
        });
        let pab = pab.unwrap_or(serde_json::Value::Null);
        if pab != wanted_pab {
            out.push(gap(Setting::PublicAccessBlock, pab, wanted_pab));
        }
        // Object ownership.
        let owner = unset(
            "s3:GetBucketOwnershipControls",
            &self.resource(Setting::ObjectOwnership),
            NOT_SET,
            s3.get_bucket_ownership_controls().bucket(name).send().await,
        )?
        .and_then(|o| o.ownership_controls)
        .and_then(|c| c.rules.into_iter().next())
        .map(|r| serde_json::json!(r.object_ownership.as_str()));
        let owner = owner.unwrap_or(serde_json::Value::Null);
        if owner != wanted_owner {
            out.push(gap(Setting::ObjectOwnership, owner, wanted_owner));
        }
        // Default encryption.
        let enc = unset(
            "s3:GetBucketEncryption",
            &self.resource(Setting::DefaultEncryption),
            NOT_SET,
            s3.get_bucket_encryption().bucket(name).send().await,
        )?
        .and_then(|o| {
            o.server_side_encryption_configuration
                .and_then(|c| c.rules.into_iter().next())
                .map(|r| {
                    let d = r.apply_server_side_encryption_by_default;
                    let algorithm = d
                        .as_ref()
                        .map(|d| d.sse_algorithm.as_str().to_owned())
                        .unwrap_or_default();
                    if algorithm == "aws:kms" {
                        serde_json::json!({
                            "SSEAlgorithm": algorithm,
                            "KMSMasterKeyID": d.and_then(|d| d.kms_master_key_id),
                            "BucketKeyEnabled": r.bucket_key_enabled == Some(true),
                        })
                    } else {
                        serde_json::json!({ "SSEAlgorithm": algorithm })
                    }
                })
        });
        let enc = enc.unwrap_or(serde_json::Value::Null);
        if !encryption_matches(&enc, &wanted_enc) {
            out.push(gap(Setting::DefaultEncryption, enc, wanted_enc));
        }
        // Versioning.
        let ver = s3
            .get_bucket_versioning()
            .bucket(name)
            .send()
            .await
            .map_err(hub_sdk(
                "s3:GetBucketVersioning",
                self.resource(Setting::Versioning),
            ))?;
        let ver = ver
            .status
            .map_or(serde_json::Value::Null, |s| serde_json::json!(s.as_str()));
        if ver != wanted_ver {
            out.push(gap(Setting::Versioning, ver, wanted_ver));
        }
        Ok(out)
    }

    /// The gaps of a customer's bucket: the same as [`Self::gaps`], except that default
    /// encryption the customer chose with KMS (any key of theirs) is kept: replacing their key
    /// with the tool's, or SSE-KMS with SSE-S3, would break their other writers or weaken it.
    pub(crate) async fn customer_gaps(&self) -> Result<Vec<Gap>, EngineError> {
        let gaps = self.gaps(true).await?;
        Ok(gaps
            .into_iter()
            .filter(|g| {
                g.setting != Setting::DefaultEncryption
                    || !g.before["SSEAlgorithm"]
                        .as_str()
                        .is_some_and(|a| a.starts_with("aws:kms"))
            })
            .collect())
    }

    /// Brings every setting to what the product wants (its own bucket), one change per setting.
    pub(crate) async fn ensure(&self, log: &mut HubLog, exists: bool) -> Result<(), EngineError> {
        let gaps = self.gaps(exists).await?;
        self.apply_gaps(log, &gaps, exists, "hardening").await
    }

    /// Writes each of `gaps` (shown as one change each, `why` first in its reason).
    async fn apply_gaps(
        &self,
        log: &mut HubLog,
        gaps: &[Gap],
        exists: bool,
        why: &str,
    ) -> Result<(), EngineError> {
        let place = self.bucket.place;
        for g in gaps {
            let resource = self.resource(g.setting);
            log.journal.changes.push(Change::new(
                &resource,
                if exists {
                    ChangeAction::Update
                } else {
                    ChangeAction::Create
                },
                (!g.before.is_null()).then(|| g.before.clone()),
                Some(g.after.clone()),
                format!("{why}: {}", g.setting.advice()),
            ));
            if place.apply() {
                self.write(g.setting).await?;
            }
            log.record(
                &resource,
                "s3-bucket-hardening",
                changed_status(place.mode, !exists),
                None,
            );
        }
        Ok(())
    }

    async fn write(&self, setting: Setting) -> Result<(), EngineError> {
        let s3 = self.s3();
        let name = self.bucket.name;
        let resource = self.resource(setting);
        match setting {
            Setting::PublicAccessBlock => {
                s3.put_public_access_block()
                    .bucket(name)
                    .public_access_block_configuration(
                        PublicAccessBlockConfiguration::builder()
                            .block_public_acls(true)
                            .ignore_public_acls(true)
                            .block_public_policy(true)
                            .restrict_public_buckets(true)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(hub_sdk("s3:PutPublicAccessBlock", &resource))?;
            }
            Setting::ObjectOwnership => {
                let rule = OwnershipControlsRule::builder()
                    .object_ownership(ObjectOwnership::BucketOwnerEnforced)
                    .build()
                    .map_err(|e| {
                        hub_worker(&resource)(build_err("s3:PutBucketOwnershipControls", e))
                    })?;
                let controls = OwnershipControls::builder()
                    .rules(rule)
                    .build()
                    .map_err(|e| {
                        hub_worker(&resource)(build_err("s3:PutBucketOwnershipControls", e))
                    })?;
                s3.put_bucket_ownership_controls()
                    .bucket(name)
                    .ownership_controls(controls)
                    .send()
                    .await
                    .map_err(hub_sdk("s3:PutBucketOwnershipControls", &resource))?;
            }
            Setting::DefaultEncryption => {
                let default = match self.key {
                    Some(k) => ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::AwsKms)
                        .kms_master_key_id(k.to_string()),
                    None => ServerSideEncryptionByDefault::builder()
                        .sse_algorithm(ServerSideEncryption::Aes256),
                }
                .build()
                .map_err(|e| hub_worker(&resource)(build_err("s3:PutBucketEncryption", e)))?;
                let rule = ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(default)
                    .bucket_key_enabled(self.key.is_some())
                    .build();
                let config = ServerSideEncryptionConfiguration::builder()
                    .rules(rule)
                    .build()
                    .map_err(|e| hub_worker(&resource)(build_err("s3:PutBucketEncryption", e)))?;
                s3.put_bucket_encryption()
                    .bucket(name)
                    .server_side_encryption_configuration(config)
                    .send()
                    .await
                    .map_err(hub_sdk("s3:PutBucketEncryption", &resource))?;
            }
            Setting::Versioning => {
                s3.put_bucket_versioning()
                    .bucket(name)
                    .versioning_configuration(
                        VersioningConfiguration::builder()
                            .status(BucketVersioningStatus::Enabled)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(hub_sdk("s3:PutBucketVersioning", &resource))?;
            }
            Setting::KeyRotation => {}
        }
        Ok(())
    }
}

/// True when the bucket's encryption is what the product wants (a key named by its ID or ARN).
fn encryption_matches(now: &serde_json::Value, wanted: &serde_json::Value) -> bool {
    if now["SSEAlgorithm"] != wanted["SSEAlgorithm"] {
        return false;
    }
    if wanted["SSEAlgorithm"] != "aws:kms" {
        return true;
    }
    let (Some(have), Some(want)) = (
        now["KMSMasterKeyID"].as_str(),
        wanted["KMSMasterKeyID"].as_str(),
    ) else {
        return false;
    };
    (have == want || want.ends_with(&format!("/{have}"))) && now["BucketKeyEnabled"] == true
}

fn gap(setting: Setting, before: serde_json::Value, after: serde_json::Value) -> Gap {
    Gap {
        setting,
        before,
        after,
    }
}

/// Automatic rotation of a key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeyRotation<'a> {
    pub(crate) place: Place<'a>,
    pub(crate) key: &'a Arn,
}

impl KeyRotation<'_> {
    fn resource(&self) -> String {
        format!("{}#{}", self.key, Setting::KeyRotation.name())
    }

    /// The gap, if rotation is off (`exists`: false for a key a plan would create).
    pub(crate) async fn gap(&self, exists: bool) -> Result<Option<Gap>, EngineError> {
        let wanted = serde_json::json!(true);
        if !exists {
            return Ok(Some(gap(
                Setting::KeyRotation,
                serde_json::Value::Null,
                wanted,
            )));
        }
        let kms = self.place.clients.kms(self.place.region.as_str());
        let out = kms
            .get_key_rotation_status()
            .key_id(self.key.to_string())
            .send()
            .await
            .map_err(hub_sdk("kms:GetKeyRotationStatus", self.resource()))?;
        Ok((!out.key_rotation_enabled)
            .then(|| gap(Setting::KeyRotation, serde_json::json!(false), wanted)))
    }

    /// Turns rotation on (the product's own key).
    pub(crate) async fn ensure(&self, log: &mut HubLog, exists: bool) -> Result<(), EngineError> {
        let Some(g) = self.gap(exists).await? else {
            return Ok(());
        };
        let resource = self.resource();
        log.journal.changes.push(Change::new(
            &resource,
            if exists {
                ChangeAction::Update
            } else {
                ChangeAction::Create
            },
            (!g.before.is_null()).then(|| g.before.clone()),
            Some(g.after.clone()),
            format!("hardening: {}", Setting::KeyRotation.advice()),
        ));
        if self.place.apply() {
            self.place
                .clients
                .kms(self.place.region.as_str())
                .enable_key_rotation()
                .key_id(self.key.to_string())
                .send()
                .await
                .map_err(hub_sdk("kms:EnableKeyRotation", &resource))?;
        }
        log.record(
            &resource,
            "kms-key-rotation",
            changed_status(self.place.mode, !exists),
            None,
        );
        Ok(())
    }
}

/// True when the tags of a bucket mark it as the product's.
pub(crate) async fn bucket_is_ours(bucket: &Bucket<'_>) -> bool {
    let place = bucket.place;
    let s3 = place.clients.s3(place.region.as_str());
    match s3.get_bucket_tagging().bucket(bucket.name).send().await {
        Ok(t) => tagged(
            t.tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned())),
        ),
        Err(_) => false,
    }
}

/// One advisory line for `gap` of the customer's `resource`.
pub(crate) fn advisory(resource: &str, gap: &Gap) -> String {
    format!(
        "advisory: `{resource}` {}: {} (the tool does not change the customer's resources)",
        gap.setting.name(),
        gap.setting.advice()
    )
}

// -- hardening = "enforce": the customer's resources, their previous settings recorded ---------

/// The tag that records, on a customer's bucket or key hardened by `hardening = "enforce"`, what
/// each setting was before, so that offboard restores it exactly. S3 and KMS tag values allow
/// letters, digits, spaces and `+ - = . _ : / @` only: `name=value` tokens, space separated.
pub(crate) const PREVIOUS_HARDENING_TAG: &str = "radiant-onboard:previous-hardening";

/// The tag value for the settings of `gaps` as they were (`before`), merged into `recorded` (an
/// earlier run's record wins: it holds the customer's original value).
pub(crate) fn record_previous(recorded: Option<&str>, gaps: &[Gap]) -> String {
    let mut tokens: Vec<(String, String)> = recorded
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|t| t.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    for g in gaps {
        let name = g.setting.name();
        if tokens.iter().any(|(k, _)| k == name) {
            continue;
        }
        tokens.push((name.to_owned(), encode_value(g.setting, &g.before)));
    }
    tokens
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn encode_value(setting: Setting, before: &serde_json::Value) -> String {
    if before.is_null() {
        return "none".to_owned();
    }
    match setting {
        Setting::PublicAccessBlock => [
            "BlockPublicAcls",
            "IgnorePublicAcls",
            "BlockPublicPolicy",
            "RestrictPublicBuckets",
        ]
        .iter()
        .map(|k| if before[*k] == true { 'T' } else { 'F' })
        .collect(),
        Setting::DefaultEncryption => {
            let algorithm = before["SSEAlgorithm"].as_str().unwrap_or("AES256");
            match before["KMSMasterKeyID"].as_str() {
                Some(key) if algorithm != "AES256" => format!(
                    "{algorithm}@{key}@{}",
                    if before["BucketKeyEnabled"] == true {
                        "bk"
                    } else {
                        "nobk"
                    }
                ),
                _ => algorithm.to_owned(),
            }
        }
        Setting::KeyRotation => before.as_bool().unwrap_or(false).to_string(),
        Setting::ObjectOwnership | Setting::Versioning => {
            before.as_str().unwrap_or("none").to_owned()
        }
    }
}

/// A recorded previous value, read back by offboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Previous {
    /// The setting was absent.
    None,
    /// The public access block's four settings.
    PublicAccessBlock([bool; 4]),
    Ownership(String),
    Encryption {
        algorithm: String,
        key: Option<String>,
        bucket_key: bool,
    },
    Versioning(String),
    Rotation(bool),
}

/// Parses a [`PREVIOUS_HARDENING_TAG`] value (unknown tokens are skipped).
pub(crate) fn parse_previous(text: &str) -> Vec<(Setting, Previous)> {
    let mut out = Vec::new();
    for token in text.split_whitespace() {
        let Some((name, value)) = token.split_once('=') else {
            continue;
        };
        let setting = match name {
            "public-access-block" => Setting::PublicAccessBlock,
            "object-ownership" => Setting::ObjectOwnership,
            "default-encryption" => Setting::DefaultEncryption,
            "versioning" => Setting::Versioning,
            "key-rotation" => Setting::KeyRotation,
            _ => continue,
        };
        let previous = if value == "none" {
            Previous::None
        } else {
            match setting {
                Setting::PublicAccessBlock => {
                    let bits: Vec<bool> = value.chars().map(|c| c == 'T').collect();
                    let Ok(bits) = <[bool; 4]>::try_from(bits) else {
                        continue;
                    };
                    Previous::PublicAccessBlock(bits)
                }
                Setting::ObjectOwnership => Previous::Ownership(value.to_owned()),
                Setting::DefaultEncryption => {
                    let mut parts = value.split('@');
                    let algorithm = parts.next().unwrap_or("AES256").to_owned();
                    let key = parts.next().map(str::to_owned);
                    let bucket_key = parts.next() == Some("bk");
                    Previous::Encryption {
                        algorithm,
                        key,
                        bucket_key,
                    }
                }
                Setting::Versioning => Previous::Versioning(value.to_owned()),
                Setting::KeyRotation => Previous::Rotation(value == "true"),
            }
        };
        out.push((setting, previous));
    }
    out
}

impl BucketHardening<'_> {
    /// `hardening = "enforce"` on the customer's bucket: the same settings as the product's own,
    /// each shown in the plan, with what they were recorded first in
    /// [`PREVIOUS_HARDENING_TAG`] (merged into the bucket's tags) for offboard.
    pub(crate) async fn enforce(&self, log: &mut HubLog) -> Result<(), EngineError> {
        let gaps = self.customer_gaps().await?;
        if gaps.is_empty() {
            return Ok(());
        }
        if self.bucket.place.apply() {
            let s3 = self.s3();
            let mut tags = current_tags(&s3, self.bucket.name, &self.bucket.arn()).await?;
            let recorded = tags
                .iter()
                .find(|(k, _)| k == PREVIOUS_HARDENING_TAG)
                .map(|(_, v)| v.clone());
            let value = record_previous(recorded.as_deref(), &gaps);
            tags.retain(|(k, _)| k != PREVIOUS_HARDENING_TAG);
            tags.push((PREVIOUS_HARDENING_TAG.to_owned(), value));
            put_tags(&s3, self.bucket.name, &tags, &self.bucket.arn()).await?;
        }
        self.apply_gaps(log, &gaps, true, "hardening = \"enforce\" (the previous value is recorded in the tag `radiant-onboard:previous-hardening`; offboard restores it)").await
    }

    /// Offboard: restores the settings `hardening = "enforce"` changed on the customer's bucket
    /// (as [`PREVIOUS_HARDENING_TAG`] recorded them), then removes the tag. Versioning cannot be
    /// turned off once on (S3): a bucket that had none is left `Suspended`.
    pub(crate) async fn restore(&self, log: &mut HubLog) -> Result<Vec<String>, EngineError> {
        let s3 = self.s3();
        let mut notes = Vec::new();
        let mut tags = match current_tags(&s3, self.bucket.name, &self.bucket.arn()).await {
            Ok(tags) => tags,
            // A bucket that is gone has nothing to restore; any other error is said.
            Err(EngineError::Hub {
                kind: account_worker::ErrorKind::NotFound,
                ..
            }) => {
                return Ok(notes);
            }
            Err(e) => {
                notes.push(format!(
                    "`{}`: its tags could not be read ({e}): settings `hardening = \"enforce\"` changed, if any, were not restored; run offboard again",
                    self.bucket.arn()
                ));
                return Ok(notes);
            }
        };
        let Some(recorded) = tags
            .iter()
            .find(|(k, _)| k == PREVIOUS_HARDENING_TAG)
            .map(|(_, v)| v.clone())
        else {
            return Ok(notes);
        };
        let name = self.bucket.name;
        for (setting, previous) in parse_previous(&recorded) {
            let resource = self.resource(setting);
            log.journal.changes.push(Change::new(
                &resource,
                ChangeAction::Update,
                None,
                Some(serde_json::json!(format!("{previous:?}"))),
                "restored as it was before `hardening = \"enforce\"`",
            ));
            if self.bucket.place.apply() {
                self.restore_one(&s3, name, &resource, setting, &previous)
                    .await?;
            }
            if setting == Setting::Versioning {
                notes.push(format!(
                    "`{}`: versioning was not enabled before; S3 cannot turn it off, so it is left suspended",
                    self.bucket.arn()
                ));
            }
            log.record(
                &resource,
                "s3-bucket-hardening",
                changed_status(self.bucket.place.mode, false),
                Some("restored".to_owned()),
            );
        }
        if self.bucket.place.apply() {
            tags.retain(|(k, _)| k != PREVIOUS_HARDENING_TAG);
            put_tags(&s3, name, &tags, &self.bucket.arn()).await?;
        }
        Ok(notes)
    }

    async fn restore_one(
        &self,
        s3: &aws_sdk_s3::Client,
        name: &str,
        resource: &str,
        setting: Setting,
        previous: &Previous,
    ) -> Result<(), EngineError> {
        match (setting, previous) {
            (Setting::PublicAccessBlock, Previous::None) => {
                s3.delete_public_access_block()
                    .bucket(name)
                    .send()
                    .await
                    .map_err(hub_sdk("s3:DeletePublicAccessBlock", resource))?;
            }
            (Setting::PublicAccessBlock, Previous::PublicAccessBlock(b)) => {
                s3.put_public_access_block()
                    .bucket(name)
                    .public_access_block_configuration(
                        PublicAccessBlockConfiguration::builder()
                            .block_public_acls(b[0])
                            .ignore_public_acls(b[1])
                            .block_public_policy(b[2])
                            .restrict_public_buckets(b[3])
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(hub_sdk("s3:PutPublicAccessBlock", resource))?;
            }
            (Setting::ObjectOwnership, Previous::None) => {
                s3.delete_bucket_ownership_controls()
                    .bucket(name)
                    .send()
                    .await
                    .map_err(hub_sdk("s3:DeleteBucketOwnershipControls", resource))?;
            }
            (Setting::ObjectOwnership, Previous::Ownership(o)) => {
                let rule = OwnershipControlsRule::builder()
                    .object_ownership(ObjectOwnership::from(o.as_str()))
                    .build()
                    .map_err(|e| {
                        hub_worker(resource)(build_err("s3:PutBucketOwnershipControls", e))
                    })?;
                let controls = OwnershipControls::builder()
                    .rules(rule)
                    .build()
                    .map_err(|e| {
                        hub_worker(resource)(build_err("s3:PutBucketOwnershipControls", e))
                    })?;
                s3.put_bucket_ownership_controls()
                    .bucket(name)
                    .ownership_controls(controls)
                    .send()
                    .await
                    .map_err(hub_sdk("s3:PutBucketOwnershipControls", resource))?;
            }
            (Setting::DefaultEncryption, previous) => {
                // Every bucket has default encryption since January 2023 (SSE-S3 when nothing
                // else is set; deleting the configuration goes back to it): "none" is SSE-S3.
                let (algorithm, key, bucket_key) = match previous {
                    Previous::Encryption {
                        algorithm,
                        key,
                        bucket_key,
                    } => (algorithm.as_str(), key.clone(), *bucket_key),
                    _ => ("AES256", None, false),
                };
                let default = ServerSideEncryptionByDefault::builder()
                    .sse_algorithm(ServerSideEncryption::from(algorithm))
                    .set_kms_master_key_id(key)
                    .build()
                    .map_err(|e| hub_worker(resource)(build_err("s3:PutBucketEncryption", e)))?;
                let rule = ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(default)
                    .bucket_key_enabled(bucket_key)
                    .build();
                let config = ServerSideEncryptionConfiguration::builder()
                    .rules(rule)
                    .build()
                    .map_err(|e| hub_worker(resource)(build_err("s3:PutBucketEncryption", e)))?;
                s3.put_bucket_encryption()
                    .bucket(name)
                    .server_side_encryption_configuration(config)
                    .send()
                    .await
                    .map_err(hub_sdk("s3:PutBucketEncryption", resource))?;
            }
            (Setting::Versioning, _) => {
                s3.put_bucket_versioning()
                    .bucket(name)
                    .versioning_configuration(
                        VersioningConfiguration::builder()
                            .status(BucketVersioningStatus::Suspended)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(hub_sdk("s3:PutBucketVersioning", resource))?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// The bucket's tags (none: empty).
async fn current_tags(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    resource: &str,
) -> Result<Vec<(String, String)>, EngineError> {
    Ok(unset(
        "s3:GetBucketTagging",
        resource,
        &["NoSuchTagSet"],
        s3.get_bucket_tagging().bucket(bucket).send().await,
    )?
    .map(|t| {
        t.tag_set()
            .iter()
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect()
    })
    .unwrap_or_default())
}

/// Replaces the bucket's tags with `tags` (none: the tag set is deleted).
async fn put_tags(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    tags: &[(String, String)],
    resource: &str,
) -> Result<(), EngineError> {
    if tags.is_empty() {
        s3.delete_bucket_tagging()
            .bucket(bucket)
            .send()
            .await
            .map_err(hub_sdk("s3:DeleteBucketTagging", resource))?;
        return Ok(());
    }
    let mut set = Vec::new();
    for (k, v) in tags {
        set.push(
            aws_sdk_s3::types::Tag::builder()
                .key(k)
                .value(v)
                .build()
                .map_err(|e| hub_worker(resource)(build_err("s3:PutBucketTagging", e)))?,
        );
    }
    let tagging = aws_sdk_s3::types::Tagging::builder()
        .set_tag_set(Some(set))
        .build()
        .map_err(|e| hub_worker(resource)(build_err("s3:PutBucketTagging", e)))?;
    s3.put_bucket_tagging()
        .bucket(bucket)
        .tagging(tagging)
        .send()
        .await
        .map_err(hub_sdk("s3:PutBucketTagging", resource))?;
    Ok(())
}

impl KeyRotation<'_> {
    /// `hardening = "enforce"` on the customer's key: rotation on, what it was recorded first
    /// in [`PREVIOUS_HARDENING_TAG`] for offboard.
    pub(crate) async fn enforce(&self, log: &mut HubLog) -> Result<(), EngineError> {
        let Some(g) = self.gap(true).await? else {
            return Ok(());
        };
        let resource = self.resource();
        log.journal.changes.push(Change::new(
            &resource,
            ChangeAction::Update,
            Some(g.before.clone()),
            Some(g.after.clone()),
            "hardening = \"enforce\" (the previous value is recorded in the tag `radiant-onboard:previous-hardening`; offboard restores it)",
        ));
        if self.place.apply() {
            let kms = self.place.clients.kms(self.place.region.as_str());
            let tag = aws_sdk_kms::types::Tag::builder()
                .tag_key(PREVIOUS_HARDENING_TAG)
                .tag_value(record_previous(None, std::slice::from_ref(&g)))
                .build()
                .map_err(|e| hub_worker(&resource)(build_err("kms:TagResource", e)))?;
            kms.tag_resource()
                .key_id(self.key.to_string())
                .tags(tag)
                .send()
                .await
                .map_err(hub_sdk("kms:TagResource", &resource))?;
            kms.enable_key_rotation()
                .key_id(self.key.to_string())
                .send()
                .await
                .map_err(hub_sdk("kms:EnableKeyRotation", &resource))?;
        }
        log.record(
            &resource,
            "kms-key-rotation",
            changed_status(self.place.mode, false),
            Some("hardening = \"enforce\"".to_owned()),
        );
        Ok(())
    }

    /// Offboard: turns rotation off again on a customer's key `enforce` turned it on for, and
    /// removes the tag.
    pub(crate) async fn restore(&self, log: &mut HubLog) -> Result<Vec<String>, EngineError> {
        let kms = self.place.clients.kms(self.place.region.as_str());
        let mut recorded = None;
        let mut marker: Option<String> = None;
        loop {
            let page = match kms
                .list_resource_tags()
                .key_id(self.key.to_string())
                .set_marker(marker.take())
                .send()
                .await
            {
                Ok(page) => page,
                Err(e) => {
                    let e = account_worker::WorkerError::from_sdk("kms:ListResourceTags", &e);
                    if e.is_not_found() {
                        return Ok(Vec::new());
                    }
                    return Ok(vec![format!(
                        "`{}`: its tags could not be read ({}): key rotation, if `hardening = \"enforce\"` turned it on, was not restored; run offboard again",
                        self.key, e.message
                    )]);
                }
            };
            if let Some(t) = page
                .tags()
                .iter()
                .find(|t| t.tag_key() == PREVIOUS_HARDENING_TAG)
            {
                recorded = Some(t.tag_value().to_owned());
                break;
            }
            marker = page
                .next_marker()
                .filter(|_| page.truncated())
                .map(str::to_owned);
            if marker.is_none() {
                break;
            }
        }
        let Some(recorded) = recorded else {
            return Ok(Vec::new());
        };
        let resource = self.resource();
        let was_on = parse_previous(&recorded)
            .iter()
            .any(|(s, p)| *s == Setting::KeyRotation && *p == Previous::Rotation(true));
        log.journal.changes.push(Change::new(
            &resource,
            ChangeAction::Update,
            Some(serde_json::json!(true)),
            Some(serde_json::json!(was_on)),
            "restored as it was before `hardening = \"enforce\"`",
        ));
        if self.place.apply() {
            if !was_on {
                kms.disable_key_rotation()
                    .key_id(self.key.to_string())
                    .send()
                    .await
                    .map_err(hub_sdk("kms:DisableKeyRotation", &resource))?;
            }
            kms.untag_resource()
                .key_id(self.key.to_string())
                .tag_keys(PREVIOUS_HARDENING_TAG)
                .send()
                .await
                .map_err(hub_sdk("kms:UntagResource", &resource))?;
        }
        log.record(
            &resource,
            "kms-key-rotation",
            changed_status(self.place.mode, false),
            Some("restored".to_owned()),
        );
        Ok(Vec::new())
    }
}
