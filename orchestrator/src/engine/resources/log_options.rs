//! Optional settings of the product's log buckets (off by default):
//!
//! - `[retention] days = N`: a lifecycle rule (`radiant-onboard-retention`) that expires log
//!   objects and noncurrent versions after N days. It is scoped to the prefix under which the
//!   logs are written (`AWSLogs/`, `PREFIX/AWSLogs/`, the access logs' prefix), so it never
//!   touches GuardDuty's prefix marker object (`PREFIX/`) or anything else of the bucket. Only
//!   the product's own buckets get it: expiring a customer's objects is never the tool's call.
//! - `cloudtrail.access_logs_bucket`: server access logging of the CloudTrail bucket (CIS) to a
//!   bucket the tool creates (hardened like its other buckets, with SSE-S3: S3 delivers server
//!   access logs only to a bucket with SSE-S3 default encryption) or adopts; S3's logging
//!   service is admitted by a bucket-policy statement (`RadiantOnboardServerAccessLogs`), ACLs
//!   being off.
//!
//! Both are read, compared and written only when they differ.

use aws_sdk_s3::types::{
    BucketLifecycleConfiguration, BucketLoggingStatus, ExpirationStatus, LifecycleExpiration,
    LifecycleRule, LifecycleRuleFilter, LoggingEnabled, NoncurrentVersionExpiration,
};

use super::bucket::Bucket;
use super::{build_err, unset};
use crate::engine::EngineError;
use crate::engine::common::{HubLog, changed_status, hub_sdk, hub_worker};
use crate::outcome::{Change, ChangeAction, Check, ResourceStatus};

/// The lifecycle rule's ID.
pub(crate) const RETENTION_RULE_ID: &str = "radiant-onboard-retention";

/// The retention rule of one of the product's buckets.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Retention<'a> {
    pub(crate) bucket: Bucket<'a>,
    /// The prefix the rule covers (where the logs are written).
    pub(crate) prefix: &'a str,
    /// `None`: no rule (a rule of an earlier run is removed).
    pub(crate) days: Option<u32>,
}

/// The rule as plans show it and reads compare it.
fn rule_json(prefix: &str, days: u32) -> serde_json::Value {
    serde_json::json!({
        "ID": RETENTION_RULE_ID,
        "Filter": { "Prefix": prefix },
        "Status": "Enabled",
        "Expiration": { "Days": days },
        "NoncurrentVersionExpiration": { "NoncurrentDays": days },
    })
}

fn read_rule_json(r: &LifecycleRule) -> serde_json::Value {
    serde_json::json!({
        "ID": r.id(),
        "Filter": { "Prefix": r.filter().and_then(LifecycleRuleFilter::prefix).unwrap_or_default() },
        "Status": r.status().as_str(),
        "Expiration": { "Days": r.expiration().and_then(LifecycleExpiration::days) },
        "NoncurrentVersionExpiration": {
            "NoncurrentDays": r.noncurrent_version_expiration().and_then(NoncurrentVersionExpiration::noncurrent_days)
        },
    })
}

impl Retention<'_> {
    fn resource(&self) -> String {
        format!("{}#lifecycle/{RETENTION_RULE_ID}", self.bucket.arn())
    }

    fn s3(&self) -> aws_sdk_s3::Client {
        let place = self.bucket.place;
        place.clients.s3(place.region.as_str())
    }

    /// The bucket's lifecycle rules (none: empty).
    pub(crate) async fn rules(&self) -> Result<Vec<LifecycleRule>, EngineError> {
        Ok(unset(
            "s3:GetBucketLifecycleConfiguration",
            &self.resource(),
            &["NoSuchLifecycleConfiguration"],
            self.s3()
                .get_bucket_lifecycle_configuration()
                .bucket(self.bucket.name)
                .send()
                .await,
        )?
        .map(|o| o.rules().to_vec())
        .unwrap_or_default())
    }

    /// True when the bucket carries exactly the wanted rule (or none when `days` is `None`).
    pub(crate) async fn in_place(&self) -> Result<bool, EngineError> {
        let rules = self.rules().await?;
        let ours = rules.iter().find(|r| r.id() == Some(RETENTION_RULE_ID));
        Ok(match (ours, self.days) {
            (None, None) => true,
            (Some(r), Some(days)) => read_rule_json(r) == rule_json(self.prefix, days),
            _ => false,
        })
    }

    /// `bucket-retention`: the rule is the one the configuration asks for ([`Self::in_place`],
    /// the comparison `ensure` makes).
    pub(crate) async fn verify(&self) -> Check {
        let ok = self.in_place().await.unwrap_or(false);
        let (name, prefix) = (self.bucket.name, self.prefix);
        Check::hub(
            Some(self.bucket.place.region.as_str()),
            "bucket-retention",
            ok,
            if ok {
                format!("`{name}`: objects under `{prefix}` expire after the configured days")
            } else {
                format!(
                    "`{name}`'s lifecycle rule `{RETENTION_RULE_ID}` differs from `[retention]` (drift): run apply"
                )
            },
        )
    }

    /// Brings the rule to what the configuration asks (`exists`: false for a bucket a plan would
    /// create). The bucket's other rules are kept as they are.
    pub(crate) async fn ensure(&self, log: &mut HubLog, exists: bool) -> Result<(), EngineError> {
        let resource = self.resource();
        let rules = if exists {
            self.rules().await?
        } else {
            Vec::new()
        };
        let ours = rules.iter().find(|r| r.id() == Some(RETENTION_RULE_ID));
        let before = ours.map(read_rule_json);
        let after = self.days.map(|d| rule_json(self.prefix, d));
        if before == after {
            if after.is_some() {
                log.record(
                    &resource,
                    "s3-lifecycle-rule",
                    ResourceStatus::Unchanged,
                    None,
                );
            }
            return Ok(());
        }
        let action = match (&before, &after) {
            (None, _) => ChangeAction::Create,
            (_, None) => ChangeAction::Delete,
            _ => ChangeAction::Update,
        };
        log.journal.changes.push(Change::new(
            &resource,
            action,
            before.clone(),
            after.clone(),
            match self.days {
                Some(d) => format!(
                    "[retention] days = {d}: log objects under `{}` and noncurrent versions expire after {d} days (nothing else of the bucket)",
                    self.prefix
                ),
                None => "[retention] is not set: the product's rule goes".to_owned(),
            },
        ));
        let place = self.bucket.place;
        if place.apply() {
            let mut keep: Vec<LifecycleRule> = rules
                .into_iter()
                .filter(|r| r.id() != Some(RETENTION_RULE_ID))
                .collect();
            if let Some(days) = self.days {
                let days = i32::try_from(days).unwrap_or(i32::MAX);
                let rule = LifecycleRule::builder()
                    .id(RETENTION_RULE_ID)
                    .filter(LifecycleRuleFilter::builder().prefix(self.prefix).build())
                    .status(ExpirationStatus::Enabled)
                    .expiration(LifecycleExpiration::builder().days(days).build())
                    .noncurrent_version_expiration(
                        NoncurrentVersionExpiration::builder()
                            .noncurrent_days(days)
                            .build(),
                    )
                    .build()
                    .map_err(|e| {
                        hub_worker(&resource)(build_err("s3:PutBucketLifecycleConfiguration", e))
                    })?;
                keep.push(rule);
            }
            let s3 = self.s3();
            if keep.is_empty() {
                s3.delete_bucket_lifecycle()
                    .bucket(self.bucket.name)
                    .send()
                    .await
                    .map_err(hub_sdk("s3:DeleteBucketLifecycle", &resource))?;
            } else {
                let config = BucketLifecycleConfiguration::builder()
                    .set_rules(Some(keep))
                    .build()
                    .map_err(|e| {
                        hub_worker(&resource)(build_err("s3:PutBucketLifecycleConfiguration", e))
                    })?;
                s3.put_bucket_lifecycle_configuration()
                    .bucket(self.bucket.name)
                    .lifecycle_configuration(config)
                    .send()
                    .await
                    .map_err(hub_sdk("s3:PutBucketLifecycleConfiguration", &resource))?;
            }
        }
        log.record(
            &resource,
            "s3-lifecycle-rule",
            changed_status(place.mode, !exists),
            None,
        );
        Ok(())
    }
}

/// Server access logging of `source` (the CloudTrail bucket) to `target` under `prefix`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AccessLogging<'a> {
    pub(crate) source: Bucket<'a>,
    pub(crate) target: &'a str,
    pub(crate) prefix: &'a str,
}

/// What the source bucket's logging is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LoggingNow {
    Off,
    /// To the configured target and prefix.
    Ours,
    /// To another bucket or prefix (the customer's): left alone.
    Elsewhere {
        target: String,
        prefix: String,
    },
}

impl AccessLogging<'_> {
    fn resource(&self) -> String {
        format!("{}#logging", self.source.arn())
    }

    fn s3(&self) -> aws_sdk_s3::Client {
        let place = self.source.place;
        place.clients.s3(place.region.as_str())
    }

    pub(crate) async fn read(&self) -> Result<LoggingNow, EngineError> {
        let out = self
            .s3()
            .get_bucket_logging()
            .bucket(self.source.name)
            .send()
            .await
            .map_err(hub_sdk("s3:GetBucketLogging", self.resource()))?;
        Ok(match out.logging_enabled() {
            None => LoggingNow::Off,
            Some(l) if l.target_bucket() == self.target && l.target_prefix() == self.prefix => {
                LoggingNow::Ours
            }
            Some(l) => LoggingNow::Elsewhere {
                target: l.target_bucket().to_owned(),
                prefix: l.target_prefix().to_owned(),
            },
        })
    }

    /// `bucket-access-logging`: the source bucket logs its requests, to the configured target
    /// or to one the customer set (which `ensure` keeps).
    pub(crate) async fn verify(&self) -> Check {
        let (source, target, prefix) = (self.source.name, self.target, self.prefix);
        let (ok, detail) = match self.read().await {
            Ok(LoggingNow::Ours) => (
                true,
                format!("`{source}` logs requests to `{target}/{prefix}`"),
            ),
            Ok(LoggingNow::Elsewhere { target, prefix }) => (
                true,
                format!("`{source}` logs requests to `{target}/{prefix}` (the customer's)"),
            ),
            Ok(LoggingNow::Off) => (
                false,
                format!("`{source}` has no server access logging: run apply"),
            ),
            Err(e) => (false, e.to_string()),
        };
        Check::hub(
            Some(self.source.place.region.as_str()),
            "bucket-access-logging",
            ok,
            detail,
        )
    }

    /// Turns logging on to the target (`exists`: false for a source bucket a plan would create).
    /// Logging the customer has set elsewhere is kept: a notice says so.
    pub(crate) async fn ensure(
        &self,
        log: &mut HubLog,
        exists: bool,
    ) -> Result<Option<String>, EngineError> {
        let resource = self.resource();
        let now = if exists {
            self.read().await?
        } else {
            LoggingNow::Off
        };
        match now {
            LoggingNow::Ours => {
                log.record(
                    &resource,
                    "s3-access-logging",
                    ResourceStatus::Unchanged,
                    None,
                );
                return Ok(None);
            }
            LoggingNow::Elsewhere { target, prefix } => {
                log.record(
                    &resource,
                    "s3-access-logging",
                    ResourceStatus::Unchanged,
                    Some(format!("already logs to `{target}/{prefix}`")),
                );
                return Ok(Some(format!(
                    "`{}` already has server access logging to `{target}/{prefix}`: it is kept; `cloudtrail.access_logs_bucket` is not used for it",
                    self.source.arn()
                )));
            }
            LoggingNow::Off => {}
        }
        log.journal.changes.push(Change::new(
            &resource,
            ChangeAction::Create,
            None,
            Some(serde_json::json!({ "TargetBucket": self.target, "TargetPrefix": self.prefix })),
            "server access logging of the CloudTrail bucket (CIS 3.x): `cloudtrail.access_logs_bucket`",
        ));
        let place = self.source.place;
        if place.apply() {
            let enabled = LoggingEnabled::builder()
                .target_bucket(self.target)
                .target_prefix(self.prefix)
                .build()
                .map_err(|e| hub_worker(&resource)(build_err("s3:PutBucketLogging", e)))?;
            self.s3()
                .put_bucket_logging()
                .bucket(self.source.name)
                .bucket_logging_status(
                    BucketLoggingStatus::builder()
                        .logging_enabled(enabled)
                        .build(),
                )
                .send()
                .await
                .map_err(hub_sdk("s3:PutBucketLogging", &resource))?;
        }
        log.record(
            &resource,
            "s3-access-logging",
            changed_status(place.mode, !exists),
            None,
        );
        Ok(None)
    }

    /// Offboard: turns logging off when it goes to the configured target (logging the customer
    /// set elsewhere stays).
    pub(crate) async fn remove(&self, log: &mut HubLog) -> Result<(), EngineError> {
        if !self.source.read().await.unwrap_or(false) || self.read().await? != LoggingNow::Ours {
            return Ok(());
        }
        let resource = self.resource();
        log.journal.changes.push(Change::new(
            &resource,
            ChangeAction::Delete,
            Some(serde_json::json!({ "TargetBucket": self.target, "TargetPrefix": self.prefix })),
            None,
            "the product turned server access logging on",
        ));
        let place = self.source.place;
        if place.apply() {
            self.s3()
                .put_bucket_logging()
                .bucket(self.source.name)
                .bucket_logging_status(BucketLoggingStatus::builder().build())
                .send()
                .await
                .map_err(hub_sdk("s3:PutBucketLogging", &resource))?;
        }
        log.record(
            &resource,
            "s3-access-logging",
            place.status(ResourceStatus::Deleted),
            None,
        );
        Ok(())
    }
}
