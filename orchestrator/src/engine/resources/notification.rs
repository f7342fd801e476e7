//! The product's entry in a bucket's event notification configuration: "all object-created
//! events to the topic". S3 replaces the whole configuration on each write, so it is read,
//! merged by Id and written back with everything else in it (queues, functions, EventBridge).

use aws_sdk_s3::operation::get_bucket_notification_configuration::GetBucketNotificationConfigurationOutput;
use aws_sdk_s3::types::{Event, NotificationConfiguration, TopicConfiguration};
use policy_model::Arn;

use super::bucket::Bucket;
use super::build_err;
use crate::engine::EngineError;
use crate::engine::common::{HubLog, changed_status, hub_sdk, hub_worker};
use crate::outcome::{Change, ChangeAction, ResourceStatus};

/// Id of the product's entry in the findings bucket's notification configuration.
pub(crate) const NOTIFICATION_ID: &str = "radiant-onboard-guardduty-findings";

/// The product's notification entry on a bucket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Notification<'a> {
    pub(crate) bucket: Bucket<'a>,
}

impl Notification<'_> {
    /// `arn:PARTITION:s3:::NAME#notification`.
    pub(crate) fn resource(&self) -> String {
        format!("{}#notification", self.bucket.arn())
    }

    /// The bucket's whole notification configuration.
    pub(crate) async fn read(
        &self,
    ) -> Result<GetBucketNotificationConfigurationOutput, EngineError> {
        let place = self.bucket.place;
        place
            .clients
            .s3(place.region.as_str())
            .get_bucket_notification_configuration()
            .bucket(self.bucket.name)
            .send()
            .await
            .map_err(hub_sdk(
                "s3:GetBucketNotificationConfiguration",
                &self.resource(),
            ))
    }

    /// Writes `topics` with the rest of `current` unchanged.
    async fn write(
        &self,
        topics: Vec<TopicConfiguration>,
        current: Option<&GetBucketNotificationConfigurationOutput>,
    ) -> Result<(), EngineError> {
        let place = self.bucket.place;
        let mut config =
            NotificationConfiguration::builder().set_topic_configurations(Some(topics));
        if let Some(c) = current {
            config = config
                .set_queue_configurations(Some(c.queue_configurations().to_vec()))
                .set_lambda_function_configurations(Some(
                    c.lambda_function_configurations().to_vec(),
                ))
                .set_event_bridge_configuration(c.event_bridge_configuration().cloned());
        }
        place
            .clients
            .s3(place.region.as_str())
            .put_bucket_notification_configuration()
            .bucket(self.bucket.name)
            .notification_configuration(config.build())
            .send()
            .await
            .map_err(hub_sdk(
                "s3:PutBucketNotificationConfiguration",
                &self.resource(),
            ))?;
        Ok(())
    }

    /// Adds the product's entry for `topic` (`exists`: the bucket does).
    pub(crate) async fn ensure(
        &self,
        log: &mut HubLog,
        topic: &Arn,
        exists: bool,
    ) -> Result<(), EngineError> {
        let place = self.bucket.place;
        let resource = self.resource();
        let current = if exists {
            Some(self.read().await?)
        } else {
            None
        };
        let topics = current
            .as_ref()
            .map(|c| c.topic_configurations().to_vec())
            .unwrap_or_default();
        let topic_text = topic.to_string();
        let ours_ok = topics.iter().any(|t| {
            t.topic_arn() == topic_text
                && t.events()
                    .iter()
                    .any(|e| e.as_str() == "s3:ObjectCreated:*")
        });
        if ours_ok {
            log.record(
                &resource,
                "s3-bucket-notification",
                ResourceStatus::Unchanged,
                None,
            );
            return Ok(());
        }
        let mut merged: Vec<TopicConfiguration> = topics
            .iter()
            .filter(|t| t.id() != Some(NOTIFICATION_ID))
            .cloned()
            .collect();
        let ours = TopicConfiguration::builder()
            .id(NOTIFICATION_ID)
            .topic_arn(&topic_text)
            .events(Event::from("s3:ObjectCreated:*"))
            .build()
            .map_err(|e| {
                hub_worker(&resource)(build_err("s3:PutBucketNotificationConfiguration", e))
            })?;
        merged.push(ours);
        let summary = |list: &[TopicConfiguration]| {
            serde_json::json!(
                list.iter()
                    .map(|t| serde_json::json!({"Id": t.id(), "TopicArn": t.topic_arn()}))
                    .collect::<Vec<_>>()
            )
        };
        log.journal.changes.push(Change::new(
            &resource,
            if topics.is_empty() {
                ChangeAction::Create
            } else {
                ChangeAction::Update
            },
            Some(summary(&topics)),
            Some(summary(&merged)),
            "object-created events of the findings bucket must reach the GuardDuty topic",
        ));
        if place.apply() {
            self.write(merged, current.as_ref()).await?;
        }
        log.record(
            &resource,
            "s3-bucket-notification",
            changed_status(place.mode, topics.is_empty()),
            None,
        );
        Ok(())
    }

    /// Offboard: removes the product's entry; every other rule stays.
    pub(crate) async fn remove(&self, log: &mut HubLog) -> Result<(), EngineError> {
        let place = self.bucket.place;
        let resource = self.resource();
        let Ok(cur) = self.read().await else {
            return Ok(());
        };
        let topics = cur.topic_configurations().to_vec();
        if !topics.iter().any(|t| t.id() == Some(NOTIFICATION_ID)) {
            return Ok(());
        }
        let kept: Vec<_> = topics
            .into_iter()
            .filter(|t| t.id() != Some(NOTIFICATION_ID))
            .collect();
        if place.apply() {
            self.write(kept, Some(&cur)).await?;
        }
        log.journal.changes.push(Change::new(
            &resource,
            ChangeAction::Delete,
            None,
            None,
            "the product's notification entry",
        ));
        log.record(
            &resource,
            "s3-bucket-notification",
            place.status(ResourceStatus::Updated),
            None,
        );
        Ok(())
    }
}
