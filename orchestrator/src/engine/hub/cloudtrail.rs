//! The product's own organization trail: its bucket (with the delivery statements), key (with
//! CloudTrail's and the readers' statements), topic, retention, server access logs, then the
//! trail itself, which needs all of them.

use super::*;

impl Hub<'_> {
    /// The product's own organization trail with its bucket, key and topic (or, with
    /// `existing_trail`, the wiring to the customer's trail).
    pub(super) async fn ensure_cloudtrail(
        &self,
        ct: &CloudTrail,
        hub_role_arn: &Arn,
        role_ready: impl Future<Output = Result<(), EngineError>>,
    ) -> Result<CloudTrailPart, EngineError> {
        let nt = match &ct.trail {
            TrailChoice::Create(nt) => nt,
            TrailChoice::Existing(_) => {
                return self.wire_existing_trail(ct, hub_role_arn, role_ready).await;
            }
        };
        let pf = &self.run.pf;
        let trail = OrgTrail {
            region: pf.home_region.clone(),
            management_account: pf.management.clone(),
            trail_name: nt.trail_name.clone(),
            org_id: pf.org_id.clone(),
            bucket: nt.bucket.to_string(),
            prefix: String::new(),
        };
        let trail_arn = trail
            .trail_arn()
            .map_err(|e| invalid("`cloudtrail.trail_name`", e))?;
        let bucket_statements = BucketPolicy::desired(&BucketPolicyWants::TrailDelivery(&trail))?;
        let key_statements =
            KeyPolicy::desired_for_trail(&trail, std::slice::from_ref(hub_role_arn))?;
        let bucket = Box::pin(async {
            let mut part = HubLog::default();
            let bucket = self.bucket(&nt.bucket);
            let (exists, ours) = bucket.ensure_owned(&mut part).await?;
            let mut statements = bucket_statements;
            if ours || self.enforces(&nt.bucket) {
                // The product's own bucket refuses plain HTTP (hardening).
                statements.push(deny_insecure(&bucket)?);
            }
            BucketPolicy { bucket }
                .ensure(&mut part, exists, statements)
                .await?;
            Ok::<_, EngineError>((part, exists, ours))
        });
        let key = Box::pin(async {
            let mut part = HubLog::default();
            let Some(alias) = &nt.kms_alias else {
                return Ok((part, None));
            };
            let k = Key {
                place: self.place(),
                alias,
            };
            let before = part.journal.actions.len();
            let (key, exists) = k
                .ensure(&mut part, "CloudTrail log encryption (radiant-onboard)")
                .await?;
            let ours = key_is_ours(&k, &part, before, &key).await;
            role_ready.await?;
            KeyPolicy {
                place: self.place(),
                key: &key,
            }
            .ensure(&mut part, exists, key_statements)
            .await?;
            self.harden_key(&mut part, self.place(), &key, exists, ours)
                .await?;
            Ok::<_, EngineError>((part, Some(key)))
        });
        let topic = Box::pin(async {
            let mut part = HubLog::default();
            let topic = Topic {
                place: self.place(),
                name: &ct.sns_topic,
            }
            .ensure(&mut part, |t| {
                Ok(builders::cloudtrail_topic_statement(&trail_arn, t))
            })
            .await?;
            Ok::<_, EngineError>((part, topic))
        });
        let (bucket, key, topic) = futures::join!(bucket, key, topic);
        let (mut log, bucket_exists, bucket_ours) = bucket?;
        let (key_log, key) = key?;
        log.extend(key_log);
        let (topic_log, topic) = topic?;
        log.extend(topic_log);
        // Default encryption names the trail's key, so the bucket is hardened after it.
        self.harden_bucket(
            &mut log,
            self.bucket(&nt.bucket),
            bucket_exists,
            bucket_ours,
            key.as_ref(),
        )
        .await?;
        let notices = Vec::new();
        self.retain(
            &mut log,
            self.bucket(&nt.bucket),
            "AWSLogs/",
            bucket_exists,
            bucket_ours,
        )
        .await?;
        if let Some(logs) = &nt.access_logs_bucket {
            // Logging the customer set elsewhere is kept: the configured bucket is not used, which
            // the user should know (a warning, not a note).
            let kept_elsewhere = self
                .ensure_access_logs(&mut log, nt, logs, bucket_exists)
                .await?;
            log.advisories.extend(kept_elsewhere);
        }
        let topic_arn = topic.to_string();
        let settings = TrailSettings::desired(
            nt,
            &ct.sns_topic,
            &topic,
            &topic_arn,
            key.as_ref(),
            pf.caller.as_str(),
        );
        Trail {
            place: self.run.caller_place(self.mode),
            name: &nt.trail_name,
        }
        .ensure(&mut log, &trail_arn, &settings)
        .await?;
        Ok(CloudTrailPart {
            log,
            topic,
            key,
            bucket: nt.bucket.to_string(),
            notices,
        })
    }

    /// `[retention]` on one of the product's own buckets (a customer's bucket never gets it; a
    /// notice says so when retention is asked for).
    pub(super) async fn retain(
        &self,
        log: &mut HubLog,
        bucket: Bucket<'_>,
        prefix: &str,
        exists: bool,
        ours: bool,
    ) -> Result<(), EngineError> {
        if !ours {
            if self.cfg().retention_days.is_some() {
                log.advisories.push(format!(
                    "advisory: `{}` retention: `[retention]` applies to the tool's own buckets only; the customer's bucket keeps its lifecycle (the tool does not change the customer's resources)",
                    bucket.arn()
                ));
            }
            return Ok(());
        }
        Retention {
            bucket,
            prefix,
            days: self.cfg().retention_days,
        }
        .ensure(log, exists)
        .await
    }

    /// `cloudtrail.access_logs_bucket`: the access logs bucket (created and hardened with SSE-S3,
    /// or adopted), its statement admitting S3's logging service for the CloudTrail bucket, and
    /// the CloudTrail bucket's server access logging to it.
    async fn ensure_access_logs(
        &self,
        log: &mut HubLog,
        nt: &crate::config::NewTrail,
        logs: &policy_model::BucketName,
        trail_bucket_exists: bool,
    ) -> Result<Option<String>, EngineError> {
        let prefix = format!("{}/", nt.bucket);
        let target = self.bucket(logs);
        let (exists, ours) = target.ensure_owned(log).await?;
        let mut statements = vec![
            builders::server_access_logs_statement(
                target.place.partition(),
                logs,
                &prefix,
                &nt.bucket,
                &self.run.pf.hub,
            )
            .map_err(|e| invalid("`cloudtrail.access_logs_bucket`", e))?,
        ];
        if ours || self.enforces(logs) {
            statements.push(deny_insecure(&target)?);
        }
        BucketPolicy { bucket: target }
            .ensure(log, exists, statements)
            .await?;
        // S3 delivers server access logs only to a bucket with SSE-S3 default encryption.
        self.harden_bucket(log, target, exists, ours, None).await?;
        self.retain(log, target, &prefix, exists, ours).await?;
        AccessLogging {
            source: self.bucket(&nt.bucket),
            target: logs,
            prefix: &prefix,
        }
        .ensure(log, trail_bucket_exists)
        .await
    }
}
