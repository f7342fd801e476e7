//! Whose hardening a log bucket or key is, and what follows from it, once for `ensure` and
//! `verify`: the product's own (created or tagged by it) is hardened and a setting someone
//! changed is drift, a failed check; the customer's under `hardening = "enforce"` is hardened too
//! (its previous values recorded, `enforce.rs`), never Control Tower's, whose guardrails deny it;
//! any other customer's is left as it is and what it lacks is an advisory.

use policy_model::builders;

use super::{BucketHardening, KeyRotation, advisory, bucket_is_ours};
use crate::engine::EngineError;
use crate::engine::common::HubLog;
use crate::engine::resources::bucket::{Bucket, BucketPolicy};
use crate::engine::resources::key::Key;
use crate::engine::resources::log_options::Retention;
use crate::engine::resources::{CONTROL_TOWER_PREFIX, Place};
use crate::outcome::Check;

/// Who holds a log resource's hardening.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holder {
    /// The product's own: hardened; drift is a failure.
    Own,
    /// The customer's, hardened by `hardening = "enforce"`.
    Enforced,
    /// The customer's, left as it is: advisories.
    Customer,
}

impl Holder {
    /// The holder of the bucket `name` (`own`: created or tagged by the product).
    pub(crate) fn of_bucket(own: bool, enforce: bool, name: &str) -> Self {
        if own {
            Self::Own
        } else if enforce && !name.starts_with(CONTROL_TOWER_PREFIX) {
            Self::Enforced
        } else {
            Self::Customer
        }
    }

    /// The holder of a key (`own`: created or tagged by the product).
    pub(crate) fn of_key(own: bool, enforce: bool) -> Self {
        match (own, enforce) {
            (true, _) => Self::Own,
            (false, true) => Self::Enforced,
            (false, false) => Self::Customer,
        }
    }

    /// True when the product holds the resource to its settings (its own or enforced).
    pub(crate) fn hardens(self) -> bool {
        self != Self::Customer
    }
}

/// The advisory of a customer's bucket that accepts plain HTTP.
pub(crate) fn insecure_transport_advisory(bucket: &str) -> String {
    format!(
        "advisory: `{bucket}` deny-insecure-transport: S3.5: add a bucket-policy statement denying `s3:*` when `aws:SecureTransport` is false (the tool does not change the customer's resources)"
    )
}

impl BucketHardening<'_> {
    /// `ensure` by holder: the product's own bucket is hardened, an enforced one too with its
    /// previous values recorded; for the customer's, what it lacks (plain HTTP included) goes to
    /// the advisories (`exists`: false for a bucket a plan would create).
    pub(crate) async fn harden(
        &self,
        log: &mut HubLog,
        exists: bool,
        holder: Holder,
    ) -> Result<(), EngineError> {
        match holder {
            Holder::Own => return self.ensure(log, exists).await,
            Holder::Enforced => return self.enforce(log).await,
            Holder::Customer => {}
        }
        let bucket = self.bucket;
        let gaps = if exists {
            self.customer_gaps().await?
        } else {
            Vec::new()
        };
        for g in gaps {
            log.advisories.push(advisory(&bucket.arn(), &g));
        }
        let policy = BucketPolicy { bucket }.read().await?;
        if !policy
            .as_ref()
            .is_some_and(builders::denies_insecure_transport)
        {
            log.advisories
                .push(insecure_transport_advisory(&bucket.arn()));
        }
        Ok(())
    }
}

impl KeyRotation<'_> {
    /// `ensure` by holder: rotation on for the product's own key and an enforced one; an
    /// advisory for the customer's.
    pub(crate) async fn harden(
        &self,
        log: &mut HubLog,
        exists: bool,
        holder: Holder,
    ) -> Result<(), EngineError> {
        match holder {
            Holder::Own => self.ensure(log, exists).await,
            Holder::Enforced => self.enforce(log).await,
            Holder::Customer => {
                if let Some(g) = self.gap(exists).await? {
                    log.advisories.push(advisory(&self.key.to_string(), &g));
                }
                Ok(())
            }
        }
    }
}

/// A log bucket as `verify` checks it: the bucket, the alias of its key, and the prefix that
/// `[retention]` covers.
#[derive(Debug, Clone)]
pub(crate) struct LogBucket<'a> {
    pub(crate) place: Place<'a>,
    pub(crate) name: &'a str,
    pub(crate) alias: Option<&'a str>,
    pub(crate) retention_prefix: String,
}

impl LogBucket<'_> {
    /// The checks of the bucket (and of its key): retention, the refusal of plain HTTP, the
    /// four bucket settings and the key's rotation, where the product holds them; advisories
    /// for the customer's. A bucket that does not exist is not checked here (its own checks
    /// say so).
    pub(crate) async fn verify(
        &self,
        enforce: bool,
        retention_days: Option<u32>,
    ) -> (Vec<Check>, Vec<String>) {
        let mut checks = Vec::new();
        let mut advisories = Vec::new();
        let (place, name) = (self.place, self.name);
        let region = Some(place.region.as_str());
        let bucket = Bucket { place, name };
        if !bucket.read().await.unwrap_or(false) {
            return (checks, advisories);
        }
        let key = match self.alias {
            Some(alias) => (Key { place, alias }).read().await.ok().flatten(),
            None => None,
        };
        let key_arn = key.as_ref().map(|(arn, _)| arn);
        let own = bucket_is_ours(&bucket).await;
        if own && retention_days.is_some() {
            let retention = Retention {
                bucket,
                prefix: &self.retention_prefix,
                days: retention_days,
            };
            checks.push(retention.verify().await);
        }
        let holder = Holder::of_bucket(own, enforce, name);
        let tls_only = BucketPolicy { bucket }
            .read()
            .await
            .ok()
            .flatten()
            .is_some_and(|d| builders::denies_insecure_transport(&d));
        if holder.hardens() {
            checks.push(Check::hub(
                region,
                "bucket-denies-insecure-transport",
                tls_only,
                if tls_only {
                    format!("`{name}` refuses plain HTTP")
                } else {
                    format!("`{name}`'s policy lost its statement refusing plain HTTP (drift): run apply")
                },
            ));
        } else if !tls_only {
            advisories.push(insecure_transport_advisory(&bucket.arn()));
        }
        let hardening = BucketHardening {
            bucket,
            key: key_arn,
        };
        let gaps = if own {
            hardening.gaps(true).await
        } else {
            hardening.customer_gaps().await
        };
        match gaps {
            Ok(gaps) if holder.hardens() => checks.push(Check::hub(
                region,
                "bucket-hardening",
                gaps.is_empty(),
                if gaps.is_empty() {
                    format!("`{name}`: public access block, ACLs disabled, default encryption, versioning")
                } else {
                    format!(
                        "`{name}` drifted: {}; run apply",
                        gaps.iter()
                            .map(|g| format!("{} is {} (wanted {})", g.setting.name(), g.before, g.after))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                },
            )),
            Ok(gaps) => advisories.extend(gaps.iter().map(|g| advisory(&bucket.arn(), g))),
            Err(e) => checks.push(Check::hub(region, "bucket-hardening", false, e.to_string())),
        }
        if let (Some((arn, id)), Some(alias)) = (&key, self.alias) {
            // Under `enforce` every key is held to rotation: its tags need not be read.
            let own = !enforce && (Key { place, alias }).is_ours(id).await;
            let (check, advisory) = (KeyRotation { place, key: arn })
                .verify(alias, Holder::of_key(own, enforce))
                .await;
            checks.extend(check);
            advisories.extend(advisory);
        }
        (checks, advisories)
    }
}

impl KeyRotation<'_> {
    /// `key-rotation` of the key `alias` when the product holds it; the advisory of the
    /// customer's otherwise.
    pub(crate) async fn verify(
        &self,
        alias: &str,
        holder: Holder,
    ) -> (Option<Check>, Option<String>) {
        let region = Some(self.place.region.as_str());
        match self.gap(true).await {
            Ok(gap) if holder.hardens() => (
                Some(Check::hub(
                    region,
                    "key-rotation",
                    gap.is_none(),
                    if gap.is_none() {
                        format!("`{alias}` rotates automatically")
                    } else {
                        format!("`{alias}` has automatic rotation off (drift): run apply")
                    },
                )),
                None,
            ),
            Ok(gap) => (None, gap.map(|g| advisory(&self.key.to_string(), &g))),
            Err(e) => (
                Some(Check::hub(region, "key-rotation", false, e.to_string())),
                None,
            ),
        }
    }
}
