//! `hardening = "enforce"` on the customer's own buckets and keys: before the settings of
//! `bucket.rs` and `key.rs` are written, what each was is recorded in the tag
//! `radiant-onboard:previous-hardening` (`record_previous`), and offboard reads it back
//! (`parse_previous`), restores each setting as it was and removes the tag. Kept apart because
//! only this path changes, and must give back, what the customer owns.

use aws_sdk_s3::types::{
    BucketVersioningStatus, ObjectOwnership, OwnershipControls, OwnershipControlsRule,
    PublicAccessBlockConfiguration, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};

use super::{BucketHardening, Gap, KeyRotation, Setting};
use crate::engine::EngineError;
use crate::engine::common::{HubLog, changed_status, hub_sdk, hub_worker};
use crate::engine::resources::{build_err, unset};
use crate::outcome::{Change, ChangeAction};

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
