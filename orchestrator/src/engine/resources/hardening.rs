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
use super::{Place, build_err, tagged};
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

/// True when the S3 error means "this configuration is not set".
fn not_set(code: &str) -> bool {
    matches!(
        code,
        "NoSuchPublicAccessBlockConfiguration"
            | "OwnershipControlsNotFoundError"
            | "ServerSideEncryptionConfigurationNotFoundError"
    )
}

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
        let sdk_code = |e: &dyn aws_smithy_types::error::metadata::ProvideErrorMetadata| {
            e.code().unwrap_or_default().to_owned()
        };
        let mut out = Vec::new();
        // Public access block.
        let pab = match s3.get_public_access_block().bucket(name).send().await {
            Ok(o) => o.public_access_block_configuration.map(|c| {
                serde_json::json!({
                    "BlockPublicAcls": c.block_public_acls == Some(true),
                    "IgnorePublicAcls": c.ignore_public_acls == Some(true),
                    "BlockPublicPolicy": c.block_public_policy == Some(true),
                    "RestrictPublicBuckets": c.restrict_public_buckets == Some(true),
                })
            }),
            Err(e) if e.as_service_error().is_some_and(|s| not_set(&sdk_code(s))) => None,
            Err(e) => {
                return Err(hub_sdk(
                    "s3:GetPublicAccessBlock",
                    self.resource(Setting::PublicAccessBlock),
                )(e));
            }
        };
        let pab = pab.unwrap_or(serde_json::Value::Null);
        if pab != wanted_pab {
            out.push(gap(Setting::PublicAccessBlock, pab, wanted_pab));
        }
        // Object ownership.
        let owner = match s3.get_bucket_ownership_controls().bucket(name).send().await {
            Ok(o) => o
                .ownership_controls
                .and_then(|c| c.rules.into_iter().next())
                .map(|r| serde_json::json!(r.object_ownership.as_str())),
            Err(e) if e.as_service_error().is_some_and(|s| not_set(&sdk_code(s))) => None,
            Err(e) => {
                return Err(hub_sdk(
                    "s3:GetBucketOwnershipControls",
                    self.resource(Setting::ObjectOwnership),
                )(e));
            }
        };
        let owner = owner.unwrap_or(serde_json::Value::Null);
        if owner != wanted_owner {
            out.push(gap(Setting::ObjectOwnership, owner, wanted_owner));
        }
        // Default encryption.
        let enc = match s3.get_bucket_encryption().bucket(name).send().await {
            Ok(o) => o
                .server_side_encryption_configuration
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
                }),
            Err(e) if e.as_service_error().is_some_and(|s| not_set(&sdk_code(s))) => None,
            Err(e) => {
                return Err(hub_sdk(
                    "s3:GetBucketEncryption",
                    self.resource(Setting::DefaultEncryption),
                )(e));
            }
        };
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

    /// Brings every setting to what the product wants (its own bucket), one change per setting.
    pub(crate) async fn ensure(&self, log: &mut HubLog, exists: bool) -> Result<(), EngineError> {
        let place = self.bucket.place;
        let gaps = self.gaps(exists).await?;
        for g in &gaps {
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
                format!("hardening: {}", g.setting.advice()),
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
