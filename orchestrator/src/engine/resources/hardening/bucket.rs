//! The hardening of a log bucket: the public access block (all four settings), object ownership
//! `BucketOwnerEnforced`, default encryption and versioning. Each is read and compared with what
//! the product wants (`gaps`; `customer_gaps` keeps a customer's own KMS encryption), and written
//! one setting at a time, each a change of its own in the plan (`ensure`, on a bucket the product
//! owns).

use aws_sdk_s3::types::{
    BucketVersioningStatus, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};
use policy_model::Arn;

use super::{Gap, Setting, gap};
use crate::engine::EngineError;
use crate::engine::common::{HubLog, changed_status, hub_sdk, hub_worker};
use crate::engine::resources::bucket::Bucket;
use crate::engine::resources::{build_err, unset};
use crate::outcome::{Change, ChangeAction};

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
    pub(super) fn resource(&self, s: Setting) -> String {
        format!("{}#{}", self.bucket.arn(), s.name())
    }

    pub(super) fn s3(&self) -> aws_sdk_s3::Client {
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
    pub(super) async fn apply_gaps(
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
