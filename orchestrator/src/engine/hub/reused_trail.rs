//! `cloudtrail.existing_trail`: Radiant wired to a trail that exists (Control Tower's, a
//! customer's), whose bucket and key stay the customer's.

use super::*;

impl Hub<'_> {
    /// `cloudtrail.existing_trail`: the trail, its bucket and key stay as they are; Radiant is
    /// wired to them. A topic in the bucket's account and Region (S3 may publish from that
    /// bucket only), the bucket's notification of new log files under `PREFIX/AWSLogs/` to it
    /// (or the customer's topic that already gets them), the hub role's read access (a
    /// bucket-policy statement only when the bucket is in another account than the hub) and a
    /// decrypt statement in the trail key's policy, in the key's account.
    pub(super) async fn wire_existing_trail(
        &self,
        ct: &CloudTrail,
        hub_role_arn: &Arn,
        role_ready: impl Future<Output = Result<(), EngineError>>,
    ) -> Result<CloudTrailPart, EngineError> {
        let Some(found) = &self.checks.trail else {
            return Err(EngineError::Preflight {
                message: "`cloudtrail.existing_trail` is set but the trail was not read".to_owned(),
            });
        };
        let run = self.run;
        let place = found.bucket_place(run, self.mode);
        let bucket = Bucket {
            place,
            name: &found.bucket,
        };
        let mut log = HubLog::default();
        let mut notices = vec![format!(
            "CloudTrail: the organization trail `{}` is reused (bucket `{}`, prefix `{}`, key {}); no trail is created and it is not changed",
            found.arn,
            found.bucket,
            found.prefix,
            found
                .key
                .as_ref()
                .map_or_else(|| "none (SSE-S3)".to_owned(), |k| format!("`{k}`"))
        )];
        let topic = match &self.checks.trail_wiring {
            Some(Wiring::Reuse { rule, topic }) => {
                notices.push(format!(
                    "CloudTrail: the bucket's {rule} already sends new log files to `{topic}`: Radiant subscribes to that topic; nothing is added to the bucket's notifications"
                ));
                log.record(
                    &format!("{}#notification", bucket.arn()),
                    "s3-bucket-notification",
                    ResourceStatus::Unchanged,
                    Some(format!("the customer's rule `{}` is reused", rule.id)),
                );
                topic.clone()
            }
            _ => {
                // A topic of another account than the hub also lets the hub role subscribe.
                let cross_account = found.bucket_account != run.pf.hub;
                let topic = Topic {
                    place,
                    name: &ct.sns_topic,
                }
                .ensure_all(&mut log, |t| {
                    Topic::desired_for_reused_trail(
                        t,
                        &found.bucket,
                        &found.bucket_account,
                        cross_account.then_some(hub_role_arn),
                    )
                })
                .await?;
                let prefix = found.logs_prefix();
                Notification::trail_logs(bucket, &prefix)
                    .ensure(&mut log, &topic, true)
                    .await?;
                topic
            }
        };
        let mut statements = if found.bucket_account == run.pf.hub {
            Vec::new()
        } else {
            BucketPolicy::desired(&BucketPolicyWants::TrailReaders {
                bucket: &found.bucket,
                logs_prefix: &found.logs_prefix(),
                readers: std::slice::from_ref(hub_role_arn),
                partition: place.partition(),
            })?
        };
        if self.enforces(&found.bucket) {
            statements.push(deny_insecure(&bucket)?);
        }
        role_ready.await?;
        if !statements.is_empty() {
            BucketPolicy { bucket }
                .ensure(&mut log, true, statements)
                .await?;
        }
        if let Some((place, key)) = found.key_place(run, self.mode) {
            admit_reader(&mut log, place, key, hub_role_arn).await?;
        }
        // The trail's bucket and key are the customer's: what they lack is an advisory.
        self.harden_bucket(&mut log, bucket, true, false, found.key.as_ref())
            .await?;
        if let Some((place, key)) = found.key_place(run, self.mode) {
            self.harden_key(&mut log, place, key, true, false).await?;
        }
        Ok(CloudTrailPart {
            log,
            topic,
            key: found.key.clone(),
            bucket: found.bucket.clone(),
            notices,
        })
    }
}

/// The hub role's decrypt statement in the policy of the trail's `key`, in its account and
/// Region (`place`).
async fn admit_reader(
    log: &mut HubLog,
    place: Place<'_>,
    key: &Arn,
    reader: &Arn,
) -> Result<(), EngineError> {
    KeyPolicy { place, key }
        .ensure(
            log,
            true,
            KeyPolicy::desired_for_reused_trail(std::slice::from_ref(reader)),
        )
        .await
}
