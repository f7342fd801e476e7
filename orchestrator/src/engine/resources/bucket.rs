//! S3 buckets of the hub: the bucket itself (created and tagged when missing, deleted by offboard
//! only when tagged), its policy (the product's statements merged in, never a foreign one
//! touched) and the prefix marker object GuardDuty needs for a destination with a prefix.

use std::time::Instant;

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration, Tagging};
use policy_model::planner::plan_fixed;
use policy_model::{PolicyDocument, PolicyKind, Statement};

use super::{Place, build_err, found, tagged};
use crate::engine::EngineError;
use crate::engine::common::{
    HubLog, changed_status, ensure_policy, hub_sdk, hub_worker, parse_policy, plan_err,
};
use crate::outcome::{Change, ChangeAction, ResourceStatus};
use account_worker::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE};

/// A bucket of the hub.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bucket<'a> {
    pub(crate) place: Place<'a>,
    pub(crate) name: &'a str,
}

impl Bucket<'_> {
    /// `arn:PARTITION:s3:::NAME`.
    pub(crate) fn arn(&self) -> String {
        format!("arn:{}:s3:::{}", self.place.partition(), self.name)
    }

    /// True when the bucket exists (and the caller may see it).
    pub(crate) async fn read(&self) -> Result<bool, EngineError> {
        let s3 = self.place.clients.s3(self.place.region.as_str());
        match s3.head_bucket().bucket(self.name).send().await {
            Ok(_) => Ok(true),
            Err(e) => {
                let err = account_worker::WorkerError::from_sdk("s3:HeadBucket", &e);
                let missing = err.is_not_found()
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404);
                if missing {
                    Ok(false)
                } else {
                    Err(hub_worker(&self.arn())(err))
                }
            }
        }
    }

    /// The bucket's Region (`GetBucketLocation`: no constraint is `us-east-1`, `EU` is
    /// `eu-west-1`), or `None` when the bucket does not exist.
    pub(crate) async fn region(&self) -> Result<Option<policy_model::Region>, EngineError> {
        let s3 = self.place.clients.s3(self.place.region.as_str());
        let answer = s3.get_bucket_location().bucket(self.name).send().await;
        let Some(out) = found("s3:GetBucketLocation", &self.arn(), answer)? else {
            return Ok(None);
        };
        let name = match out.location_constraint().map(|c| c.as_str()) {
            None | Some("") => "us-east-1",
            Some("EU") => "eu-west-1",
            Some(other) => other,
        };
        policy_model::Region::new(name)
            .map(Some)
            .map_err(|e| super::invalid("the bucket's Region", e))
    }

    /// True when the bucket belongs to this place's account: `HeadBucket` with
    /// `ExpectedBucketOwner`, which S3 answers 403 when another account owns the bucket
    /// (`aws-facts.md`, "CloudTrail across accounts"). A trail names its bucket, not its owner.
    /// A 403 is also what a caller without `s3:ListBucket` gets: the error that follows from a
    /// `false` says both.
    pub(crate) async fn owned_here(&self) -> Result<bool, EngineError> {
        let s3 = self.place.clients.s3(self.place.region.as_str());
        match s3
            .head_bucket()
            .bucket(self.name)
            .expected_bucket_owner(self.place.account.as_str())
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                if status == Some(403) {
                    Ok(false)
                } else {
                    Err(hub_worker(&self.arn())(
                        account_worker::WorkerError::from_sdk("s3:HeadBucket", &e),
                    ))
                }
            }
        }
    }

    /// Ensures the bucket exists (created and tagged when missing). Returns true when it exists
    /// (in plan mode, a bucket that only apply would create: false).
    pub(crate) async fn ensure(&self, log: &mut HubLog) -> Result<bool, EngineError> {
        let resource = self.arn();
        if self.read().await? {
            log.record(&resource, "s3-bucket", ResourceStatus::Unchanged, None);
            return Ok(true);
        }
        log.journal.changes.push(Change::new(
            &resource,
            ChangeAction::Create,
            None,
            None,
            "the bucket does not exist",
        ));
        if !self.place.apply() {
            log.record(&resource, "s3-bucket", ResourceStatus::Planned, None);
            return Ok(false);
        }
        let region = self.place.region.as_str();
        let s3 = self.place.clients.s3(region);
        let mut req = s3.create_bucket().bucket(self.name);
        if region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        req.send()
            .await
            .map_err(hub_sdk("s3:CreateBucket", &resource))?;
        let tag = aws_sdk_s3::types::Tag::builder()
            .key(MANAGED_TAG_KEY)
            .value(MANAGED_TAG_VALUE)
            .build()
            .map_err(|e| hub_worker(&resource)(build_err("s3:PutBucketTagging", e)))?;
        let tagging = Tagging::builder()
            .tag_set(tag)
            .build()
            .map_err(|e| hub_worker(&resource)(build_err("s3:PutBucketTagging", e)))?;
        s3.put_bucket_tagging()
            .bucket(self.name)
            .tagging(tagging)
            .send()
            .await
            .map_err(hub_sdk("s3:PutBucketTagging", &resource))?;
        log.record(&resource, "s3-bucket", ResourceStatus::Created, None);
        Ok(true)
    }

    /// [`Bucket::ensure`], and whether the bucket is the product's (created by this run, or
    /// tagged by an earlier one): only such a bucket is hardened (`hardening/`).
    pub(crate) async fn ensure_owned(&self, log: &mut HubLog) -> Result<(bool, bool), EngineError> {
        let before = log.journal.actions.len();
        let exists = self.ensure(log).await?;
        let created = log.journal.actions[before..]
            .iter()
            .any(|a| matches!(a.status, ResourceStatus::Created | ResourceStatus::Planned));
        let ours = created || super::hardening::bucket_is_ours(self).await;
        Ok((exists, ours))
    }

    /// Offboard: deletes the bucket, every object version in it first, when the product created
    /// it (tagged); a customer's bucket is left alone.
    pub(crate) async fn remove(&self, log: &mut HubLog) -> Result<(), EngineError> {
        let s3 = self.place.clients.s3(self.place.region.as_str());
        let resource = self.arn();
        let Ok(tags) = s3.get_bucket_tagging().bucket(self.name).send().await else {
            return Ok(());
        };
        if !tagged(
            tags.tag_set()
                .iter()
                .map(|t| (t.key().to_owned(), t.value().to_owned())),
        ) {
            return Ok(());
        }
        let mut previous: Option<Vec<(String, Option<String>)>> = None;
        while self.place.apply() {
            let page = s3
                .list_object_versions()
                .bucket(self.name)
                .send()
                .await
                .map_err(hub_sdk("s3:ListObjectVersions", &resource))?;
            let mut keys: Vec<(String, Option<String>)> = page
                .versions()
                .iter()
                .filter_map(|v| {
                    v.key()
                        .map(|k| (k.to_owned(), v.version_id().map(str::to_owned)))
                })
                .collect();
            keys.extend(page.delete_markers().iter().filter_map(|v| {
                v.key()
                    .map(|k| (k.to_owned(), v.version_id().map(str::to_owned)))
            }));
            if keys.is_empty() {
                break;
            }
            if previous.as_ref() == Some(&keys) {
                // Nothing was deleted by the last round (an object lock, a policy): stop rather
                // than loop.
                return Err(EngineError::Hub {
                    operation: "s3:DeleteObject".to_owned(),
                    resource,
                    kind: account_worker::ErrorKind::Other,
                    message: "the bucket's object versions are not deleted (an object lock or a policy keeps them): empty it by hand or offboard with --keep-data".to_owned(),
                });
            }
            previous = Some(keys.clone());
            for (key, version) in keys {
                s3.delete_object()
                    .bucket(self.name)
                    .key(&key)
                    // "null" names the version written before versioning was enabled; without
                    // a version, a versioned bucket would only add a delete marker.
                    .set_version_id(version)
                    .send()
                    .await
                    .map_err(hub_sdk("s3:DeleteObject", &resource))?;
            }
        }
        if self.place.apply() {
            s3.delete_bucket()
                .bucket(self.name)
                .send()
                .await
                .map_err(hub_sdk("s3:DeleteBucket", &resource))?;
        }
        log.journal.changes.push(Change::new(
            &resource,
            ChangeAction::Delete,
            None,
            None,
            "the product created this bucket (and the logs in it)",
        ));
        log.record(
            &resource,
            "s3-bucket",
            self.place.status(ResourceStatus::Deleted),
            None,
        );
        Ok(())
    }
}

/// The policy of a hub bucket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BucketPolicy<'a> {
    pub(crate) bucket: Bucket<'a>,
}

/// What the product's statements in a bucket policy are (pure: from the configuration and
/// what discovery found); [`BucketPolicy::ensure`] merges them in.
pub(crate) enum BucketPolicyWants<'a> {
    /// The product's trail writes to the bucket.
    TrailDelivery(&'a policy_model::builders::OrgTrail),
    /// A reused trail's bucket of another account: `readers` read its logs under `logs_prefix`.
    TrailReaders {
        bucket: &'a str,
        logs_prefix: &'a str,
        readers: &'a [policy_model::Arn],
        partition: policy_model::Partition,
    },
}

impl BucketPolicy<'_> {
    /// The product's statements for `wants`.
    pub(crate) fn desired(wants: &BucketPolicyWants<'_>) -> Result<Vec<Statement>, EngineError> {
        use policy_model::builders;
        match wants {
            BucketPolicyWants::TrailDelivery(trail) => {
                builders::cloudtrail_bucket_statements(trail)
                    .map_err(|e| super::invalid("`cloudtrail.bucket`", e))
            }
            BucketPolicyWants::TrailReaders {
                bucket,
                logs_prefix,
                readers,
                partition,
            } => builders::trail_reader_bucket_statements(*partition, bucket, logs_prefix, readers)
                .map_err(|e| super::invalid("the trail's bucket", e)),
        }
    }

    /// `arn:PARTITION:s3:::NAME#policy` (the resource named in plans and reports).
    pub(crate) fn resource(&self) -> String {
        format!("{}#policy", self.bucket.arn())
    }

    /// The bucket's policy (`None` when the bucket has none).
    pub(crate) async fn read(&self) -> Result<Option<PolicyDocument>, EngineError> {
        let place = self.bucket.place;
        let s3 = place.clients.s3(place.region.as_str());
        let resource = self.resource();
        let answer = s3.get_bucket_policy().bucket(self.bucket.name).send().await;
        found("s3:GetBucketPolicy", &resource, answer)?
            .and_then(|out| out.policy)
            .map(|t| parse_policy(&resource, "s3:GetBucketPolicy", &t))
            .transpose()
    }

    /// Writes the policy (minified), waiting while a principal it names is not visible yet.
    pub(crate) async fn write(&self, text: String) -> Result<(), EngineError> {
        let place = self.bucket.place;
        let s3 = place.clients.s3(place.region.as_str());
        account_worker::with_propagation_retries(
            place.consistency,
            "the principals of the bucket policy to be accepted",
            Instant::now(),
            || async {
                s3.put_bucket_policy()
                    .bucket(self.bucket.name)
                    .policy(&text)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| account_worker::WorkerError::from_sdk("s3:PutBucketPolicy", &e))
            },
            account_worker::is_propagation_error,
        )
        .await
        .map_err(hub_worker(&self.resource()))
    }

    /// Read-merge-write with the product's `statements` (fixed form); `exists` is false when
    /// the bucket itself is only planned.
    pub(crate) async fn ensure(
        &self,
        log: &mut HubLog,
        exists: bool,
        statements: Vec<Statement>,
    ) -> Result<(), EngineError> {
        let resource = self.resource();
        ensure_policy(
            log,
            self.bucket.place.mode,
            &resource,
            "s3-bucket-policy",
            async || if exists { self.read().await } else { Ok(None) },
            |doc| {
                plan_fixed(doc, statements.clone(), PolicyKind::S3Bucket)
                    .map_err(plan_err(&resource))
            },
            async |text| self.write(text).await,
        )
        .await?;
        Ok(())
    }

    /// Offboard: removes the product's statements (the policy itself when nothing else is left).
    pub(crate) async fn remove(&self, log: &mut HubLog) -> Result<(), EngineError> {
        let place = self.bucket.place;
        let s3 = place.clients.s3(place.region.as_str());
        let resource = self.resource();
        if !self.bucket.read().await.unwrap_or(false) {
            return Ok(());
        }
        let Some(mut doc) = self.read().await? else {
            return Ok(());
        };
        let before = doc.clone();
        if doc.remove_owned_statements().is_empty() {
            return Ok(());
        }
        log.journal.changes.push(Change::policy(
            &resource,
            Some(&before),
            &doc,
            "the product's statements",
        ));
        if place.apply() {
            if doc.statements().is_empty() {
                s3.delete_bucket_policy()
                    .bucket(self.bucket.name)
                    .send()
                    .await
                    .map_err(hub_sdk("s3:DeleteBucketPolicy", &resource))?;
            } else {
                self.write(doc.to_json_minified()).await?;
            }
        }
        log.record(
            &resource,
            "s3-bucket-policy",
            place.status(ResourceStatus::Updated),
            None,
        );
        Ok(())
    }
}

/// The `PREFIX/` marker object GuardDuty needs for a destination with a prefix.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PrefixMarker<'a> {
    pub(crate) bucket: Bucket<'a>,
    pub(crate) prefix: &'a str,
}

impl PrefixMarker<'_> {
    /// Ensures the marker exists (`exists`: the bucket does).
    pub(crate) async fn ensure(&self, log: &mut HubLog, exists: bool) -> Result<(), EngineError> {
        let place = self.bucket.place;
        let s3 = place.clients.s3(place.region.as_str());
        let key = format!("{}/", self.prefix);
        let resource = format!("{}/{key}", self.bucket.arn());
        if exists
            && s3
                .head_object()
                .bucket(self.bucket.name)
                .key(&key)
                .send()
                .await
                .is_ok()
        {
            log.record(
                &resource,
                "s3-prefix-marker",
                ResourceStatus::Unchanged,
                None,
            );
            return Ok(());
        }
        log.journal.changes.push(Change::new(
            &resource,
            ChangeAction::Create,
            None,
            None,
            "GuardDuty needs the prefix marker object",
        ));
        if place.apply() {
            s3.put_object()
                .bucket(self.bucket.name)
                .key(&key)
                .send()
                .await
                .map_err(hub_sdk("s3:PutObject", &resource))?;
        }
        log.record(
            &resource,
            "s3-prefix-marker",
            changed_status(place.mode, true),
            None,
        );
        Ok(())
    }
}
