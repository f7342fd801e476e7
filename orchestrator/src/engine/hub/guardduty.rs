//! The GuardDuty findings store: the bucket (with its prefix marker), the key and the topic
//! side by side, then the bucket's hardening, retention and its notification to the topic.

use super::*;

impl Hub<'_> {
    /// The GuardDuty findings store: bucket, key, topic and the bucket's notification.
    pub(super) async fn ensure_guardduty_store(
        &self,
        gd: &GuardDuty,
    ) -> Result<GuardDutyPart, EngineError> {
        let bucket = Box::pin(async {
            let mut part = HubLog::default();
            let bucket = self.findings_bucket(&gd.bucket);
            let (exists, ours) = bucket.ensure_owned(&mut part).await?;
            if ours || self.enforces(&gd.bucket) {
                // The product's own bucket refuses plain HTTP; the patch keeps the statement.
                BucketPolicy { bucket }
                    .ensure(&mut part, exists, vec![deny_insecure(&bucket)?])
                    .await?;
            }
            if !gd.prefix.is_empty() {
                PrefixMarker {
                    bucket,
                    prefix: &gd.prefix,
                }
                .ensure(&mut part, exists)
                .await?;
            }
            Ok::<_, EngineError>((part, exists, ours))
        });
        let key = Box::pin(async {
            let mut part = HubLog::default();
            let k = Key {
                place: self.run.findings_place(self.mode),
                alias: &gd.kms_alias,
            };
            let before = part.journal.actions.len();
            let (key, exists) = k
                .ensure(&mut part, "GuardDuty findings encryption (radiant-onboard)")
                .await?;
            let ours = key_is_ours(&k, &part, before, &key).await;
            self.harden_key(
                &mut part,
                self.run.findings_place(self.mode),
                &key,
                exists,
                ours,
            )
            .await?;
            Ok::<_, EngineError>((part, key))
        });
        let reused = match &self.checks.findings_wiring {
            Some(Wiring::Reuse { rule, topic }) => Some((rule, topic)),
            _ => None,
        };
        let topic = Box::pin(async {
            let mut part = HubLog::default();
            if let Some((_, topic)) = reused {
                return Ok::<_, EngineError>((part, topic.clone()));
            }
            let topic = Topic {
                place: self.run.findings_place(self.mode),
                name: &gd.sns_topic,
            }
            .ensure(&mut part, |t| {
                builders::guardduty_topic_statement(t, &gd.bucket, &self.run.pf.hub)
                    .map_err(|e| invalid("`guardduty.bucket`", e))
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
        self.harden_bucket(
            &mut log,
            self.findings_bucket(&gd.bucket),
            bucket_exists,
            bucket_ours,
            Some(&key),
        )
        .await?;
        // GuardDuty writes under `PREFIX/AWSLogs/`; the prefix marker `PREFIX/` stays.
        let findings_prefix = if gd.prefix.is_empty() {
            "AWSLogs/".to_owned()
        } else {
            format!("{}/AWSLogs/", gd.prefix)
        };
        self.retain(
            &mut log,
            self.findings_bucket(&gd.bucket),
            &findings_prefix,
            bucket_exists,
            bucket_ours,
        )
        .await?;
        let mut notices = Vec::new();
        let notification = Notification::findings(self.findings_bucket(&gd.bucket));
        if let Some((rule, topic)) = reused {
            notices.push(format!(
                "GuardDuty: the findings bucket's {rule} already sends new objects to `{topic}`: Radiant subscribes to that topic; nothing is added to the bucket's notifications"
            ));
            log.record(
                &notification.resource(),
                "s3-bucket-notification",
                ResourceStatus::Unchanged,
                Some(format!("the customer's rule `{}` is reused", rule.id)),
            );
        } else {
            notification.ensure(&mut log, &topic, bucket_exists).await?;
        }
        let destination = super::super::common::findings_destination(self.cfg(), gd);
        Ok(GuardDutyPart {
            log,
            topic,
            key,
            destination,
            notices,
        })
    }
}
