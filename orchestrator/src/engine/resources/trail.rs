//! The organization trail: created (tagged) or brought to the product's settings, event
//! selectors and logging; offboard deletes it only when tagged. The settings are one struct,
//! [`TrailSettings`], used alike by create, update and the comparison with what AWS has.

use aws_sdk_cloudtrail::types::{DataResource, EventSelector, ReadWriteType};
use policy_model::{Arn, Partition};

use super::{Place, build_err, found, tagged};
use crate::engine::EngineError;
use crate::engine::common::{HubLog, changed_status, hub_sdk, hub_worker};
use crate::outcome::{Change, ChangeAction, Check, ResourceStatus};
use account_worker::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE};

/// Everything the product asks of the organization trail.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TrailSettings<'a> {
    pub(crate) name: &'a str,
    pub(crate) bucket: &'a str,
    /// The topic as configured (a name), and its ARN (what `GetTrail` answers).
    pub(crate) topic_name: &'a str,
    pub(crate) topic: &'a Arn,
    pub(crate) key: Option<&'a Arn>,
    /// S3 data events for all objects.
    pub(crate) data_events: bool,
}

/// Applies [`TrailSettings`] to a `CreateTrail` or an `UpdateTrail` request (two builder types
/// with the same setters), so both always ask for the same trail.
macro_rules! with_trail_settings {
    ($req:expr, $s:expr) => {{
        let s: &TrailSettings<'_> = $s;
        let req = $req
            .name(s.name)
            .s3_bucket_name(s.bucket)
            .sns_topic_name(s.topic_name)
            .is_multi_region_trail(true)
            .is_organization_trail(true)
            .include_global_service_events(true)
            .enable_log_file_validation(true);
        match s.key {
            Some(k) => req.kms_key_id(k.to_string()),
            None => req,
        }
    }};
}

impl<'a> TrailSettings<'a> {
    /// What the product asks of its trail (pure): the configured trail, the hub's topic (its
    /// configured `topic_name` and its ARN) and key. A topic in another account than the trail's
    /// (the hub is not the caller) is named by its ARN, as CreateTrail then requires;
    /// `topic_arn_text` holds that text.
    pub(crate) fn desired(
        trail: &'a crate::config::NewTrail,
        topic_name: &'a str,
        topic: &'a Arn,
        topic_arn_text: &'a str,
        key: Option<&'a Arn>,
        trail_account: &str,
    ) -> Self {
        TrailSettings {
            name: &trail.trail_name,
            bucket: &trail.bucket,
            topic_name: if topic.account() == trail_account {
                topic_name
            } else {
                topic_arn_text
            },
            topic,
            key,
            data_events: trail.data_events,
        }
    }

    /// The settings as the plan shows them.
    fn to_json(self) -> serde_json::Value {
        serde_json::json!({
            "S3BucketName": self.bucket,
            "SnsTopicName": self.topic_name,
            "IsMultiRegionTrail": true,
            "IsOrganizationTrail": true,
            "IncludeGlobalServiceEvents": true,
            "LogFileValidationEnabled": true,
            "KmsKeyId": self.key.map(ToString::to_string),
        })
    }

    /// True when `trail` has every setting.
    fn matched_by(self, trail: &aws_sdk_cloudtrail::types::Trail) -> bool {
        let topic = self.topic.to_string();
        let key_ok = match self.key {
            Some(k) => trail
                .kms_key_id
                .as_deref()
                .is_some_and(|id| id == k.to_string() || k.to_string().ends_with(id)),
            None => true,
        };
        trail.s3_bucket_name.as_deref() == Some(self.bucket)
            && trail.sns_topic_arn.as_deref() == Some(topic.as_str())
            && key_ok
            && trail.is_multi_region_trail == Some(true)
            && trail.is_organization_trail == Some(true)
            && trail.include_global_service_events == Some(true)
            && trail.log_file_validation_enabled == Some(true)
    }

    /// Management events Read+Write, and S3 data events for all objects when asked.
    fn selectors(self, partition: Partition) -> Vec<EventSelector> {
        let mut sel = EventSelector::builder()
            .read_write_type(ReadWriteType::All)
            .include_management_events(true);
        if self.data_events {
            sel = sel.data_resources(
                DataResource::builder()
                    .r#type("AWS::S3::Object")
                    .values(format!("arn:{partition}:s3"))
                    .build(),
            );
        }
        vec![sel.build()]
    }

    /// The selectors as the plan shows them.
    fn selectors_json(self, partition: Partition) -> serde_json::Value {
        let data = if self.data_events {
            serde_json::json!([{"Type": "AWS::S3::Object", "Values": [format!("arn:{partition}:s3")]}])
        } else {
            serde_json::json!([])
        };
        serde_json::json!({"ReadWriteType": "All", "IncludeManagementEvents": true, "DataResources": data})
    }

    /// True when `selectors` select at least what the product needs.
    fn covered_by(self, selectors: &[EventSelector], partition: Partition) -> bool {
        let s3_all = format!("arn:{partition}:s3");
        let mgmt = selectors.iter().any(|s| {
            s.read_write_type() == Some(&ReadWriteType::All)
                && s.include_management_events() == Some(true)
        });
        let data = !self.data_events
            || selectors.iter().any(|s| {
                s.data_resources().iter().any(|d| {
                    d.r#type() == Some("AWS::S3::Object")
                        && d.values()
                            .iter()
                            .any(|v| v == &s3_all || v == &format!("{s3_all}:::"))
                }) && s.read_write_type() == Some(&ReadWriteType::All)
            });
        mgmt && data
    }
}

/// The organization trail named `name`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Trail<'a> {
    pub(crate) place: Place<'a>,
    pub(crate) name: &'a str,
}

impl Trail<'_> {
    /// The trail as AWS has it, when it exists.
    pub(crate) async fn read(
        &self,
        resource: &str,
    ) -> Result<Option<aws_sdk_cloudtrail::types::Trail>, EngineError> {
        let client = self.place.clients.cloudtrail(self.place.region.as_str());
        let answer = client.get_trail().name(self.name).send().await;
        Ok(found("cloudtrail:GetTrail", resource, answer)?.and_then(|out| out.trail))
    }

    /// `trail-logging` of the product's trail: it logs and its last delivery did not fail.
    pub(crate) async fn verify(&self) -> Check {
        let status = self.status().await;
        let (ok, detail) = match status {
            Ok(s) => (
                s.is_logging == Some(true) && s.latest_delivery_error.is_none(),
                format!(
                    "logging: {:?}, latest delivery error: {:?}",
                    s.is_logging, s.latest_delivery_error
                ),
            ),
            Err(e) => (false, e.to_string()),
        };
        Check::hub(
            Some(self.place.region.as_str()),
            "trail-logging",
            ok,
            detail,
        )
    }

    /// `trail-logging` of a reused trail (`name` is its ARN): it logs; its deliveries are the
    /// customer's to watch.
    pub(crate) async fn verify_reused(&self) -> Check {
        let (ok, detail) = match self.status().await {
            Ok(s) => (
                s.is_logging == Some(true),
                format!("`{}` logging: {:?}", self.name, s.is_logging),
            ),
            Err(e) => (false, e.to_string()),
        };
        Check::hub(
            Some(self.place.region.as_str()),
            "trail-logging",
            ok,
            detail,
        )
    }

    async fn status(
        &self,
    ) -> Result<
        aws_sdk_cloudtrail::operation::get_trail_status::GetTrailStatusOutput,
        account_worker::WorkerError,
    > {
        self.place
            .clients
            .cloudtrail(self.place.region.as_str())
            .get_trail_status()
            .name(self.name)
            .send()
            .await
            .map_err(|e| account_worker::WorkerError::from_sdk("cloudtrail:GetTrailStatus", &e))
    }

    /// Creates the trail or brings it to `settings`; then its selectors and logging.
    pub(crate) async fn ensure(
        &self,
        log: &mut HubLog,
        arn: &Arn,
        settings: &TrailSettings<'_>,
    ) -> Result<(), EngineError> {
        let place = self.place;
        let partition = place.partition();
        let client = place.clients.cloudtrail(place.region.as_str());
        let resource = arn.to_string();
        let Some(trail) = self.read(&resource).await? else {
            log.journal.changes.push(Change::new(
                &resource,
                ChangeAction::Create,
                None,
                Some(settings.to_json()),
                "the organization trail does not exist",
            ));
            if !place.apply() {
                log.record(&resource, "cloudtrail-trail", ResourceStatus::Planned, None);
                return Ok(());
            }
            let tag = aws_sdk_cloudtrail::types::Tag::builder()
                .key(MANAGED_TAG_KEY)
                .value(MANAGED_TAG_VALUE)
                .build()
                .map_err(|e| hub_worker(&resource)(build_err("cloudtrail:CreateTrail", e)))?;
            with_trail_settings!(client.create_trail().tags_list(tag), settings)
                .send()
                .await
                .map_err(hub_sdk("cloudtrail:CreateTrail", &resource))?;
            client
                .put_event_selectors()
                .trail_name(self.name)
                .set_event_selectors(Some(settings.selectors(partition)))
                .send()
                .await
                .map_err(hub_sdk("cloudtrail:PutEventSelectors", &resource))?;
            client
                .start_logging()
                .name(self.name)
                .send()
                .await
                .map_err(hub_sdk("cloudtrail:StartLogging", &resource))?;
            log.record(&resource, "cloudtrail-trail", ResourceStatus::Created, None);
            return Ok(());
        };
        let mut changed = false;
        if !settings.matched_by(&trail) {
            changed = true;
            let before = serde_json::json!({
                "S3BucketName": trail.s3_bucket_name,
                "SnsTopicArn": trail.sns_topic_arn,
                "IsMultiRegionTrail": trail.is_multi_region_trail,
                "IsOrganizationTrail": trail.is_organization_trail,
                "IncludeGlobalServiceEvents": trail.include_global_service_events,
                "LogFileValidationEnabled": trail.log_file_validation_enabled,
                "KmsKeyId": trail.kms_key_id,
            });
            log.journal.changes.push(Change::new(
                &resource,
                ChangeAction::Update,
                Some(before),
                Some(settings.to_json()),
                "the trail's settings differ",
            ));
            if place.apply() {
                with_trail_settings!(client.update_trail(), settings)
                    .send()
                    .await
                    .map_err(hub_sdk("cloudtrail:UpdateTrail", &resource))?;
            }
        }
        let selectors = client
            .get_event_selectors()
            .trail_name(self.name)
            .send()
            .await
            .map_err(hub_sdk("cloudtrail:GetEventSelectors", &resource))?;
        if !settings.covered_by(selectors.event_selectors(), partition) {
            changed = true;
            log.journal.changes.push(Change::new(
                format!("{resource}#event-selectors"),
                ChangeAction::Update,
                Some(serde_json::json!(format!(
                    "{:?}",
                    selectors.event_selectors()
                ))),
                Some(settings.selectors_json(partition)),
                "management events Read+Write and S3 data events are not all selected",
            ));
            if place.apply() {
                client
                    .put_event_selectors()
                    .trail_name(self.name)
                    .set_event_selectors(Some(settings.selectors(partition)))
                    .send()
                    .await
                    .map_err(hub_sdk("cloudtrail:PutEventSelectors", &resource))?;
            }
        }
        let status = client
            .get_trail_status()
            .name(self.name)
            .send()
            .await
            .map_err(hub_sdk("cloudtrail:GetTrailStatus", &resource))?;
        if status.is_logging != Some(true) {
            changed = true;
            log.journal.changes.push(Change::new(
                &resource,
                ChangeAction::Update,
                Some(serde_json::json!({"IsLogging": false})),
                Some(serde_json::json!({"IsLogging": true})),
                "logging is stopped",
            ));
            if place.apply() {
                client
                    .start_logging()
                    .name(self.name)
                    .send()
                    .await
                    .map_err(hub_sdk("cloudtrail:StartLogging", &resource))?;
            }
        }
        let status = if changed {
            changed_status(place.mode, false)
        } else {
            ResourceStatus::Unchanged
        };
        log.record(&resource, "cloudtrail-trail", status, None);
        Ok(())
    }

    /// Offboard: deletes the trail when the product created it (tagged).
    pub(crate) async fn remove(&self, log: &mut HubLog) -> Result<(), EngineError> {
        let place = self.place;
        let ct = place.clients.cloudtrail(place.region.as_str());
        let Ok(Some(trail)) = self.read("").await else {
            return Ok(());
        };
        let Some(arn) = trail.trail_arn else {
            return Ok(());
        };
        let ours =
            ct.list_tags()
                .resource_id_list(&arn)
                .send()
                .await
                .map(|t| {
                    t.resource_tag_list().iter().any(|r| {
                        tagged(r.tags_list().iter().map(|t| {
                            (t.key().to_owned(), t.value().unwrap_or_default().to_owned())
                        }))
                    })
                })
                .unwrap_or(false);
        if !ours {
            return Ok(());
        }
        if place.apply() {
            ct.delete_trail()
                .name(self.name)
                .send()
                .await
                .map_err(hub_sdk("cloudtrail:DeleteTrail", &arn))?;
        }
        log.journal.changes.push(Change::new(
            &arn,
            ChangeAction::Delete,
            None,
            None,
            "the product created this trail",
        ));
        log.record(
            &arn,
            "cloudtrail-trail",
            place.status(ResourceStatus::Deleted),
            None,
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_trail() -> crate::config::NewTrail {
        crate::config::NewTrail {
            trail_name: "management-events".to_owned(),
            bucket: policy_model::BucketName::new("org-cloudtrail-logs").unwrap(),
            kms_alias: None,
            data_events: true,
            allow_second_trail: false,
            access_logs_bucket: None,
        }
    }

    #[test]
    fn the_desired_trail_names_a_topic_of_another_account_by_its_arn() {
        let trail = new_trail();
        let topic: Arn = "arn:aws:sns:us-east-1:222222222222:radiant-cloudtrail"
            .parse()
            .unwrap();
        let text = topic.to_string();
        let same = TrailSettings::desired(
            &trail,
            "radiant-cloudtrail",
            &topic,
            &text,
            None,
            "222222222222",
        );
        assert_eq!(same.topic_name, "radiant-cloudtrail");
        let other = TrailSettings::desired(
            &trail,
            "radiant-cloudtrail",
            &topic,
            &text,
            None,
            "111111111111",
        );
        assert_eq!(other.topic_name, text);
        assert_eq!(other.to_json()["SnsTopicName"], serde_json::json!(text));
        assert_eq!(other.bucket, "org-cloudtrail-logs");
        assert!(other.data_events);
    }

    #[test]
    fn selectors_ask_for_management_and_s3_data_events_in_the_partition() {
        let trail = new_trail();
        let topic: Arn = "arn:aws-us-gov:sns:us-gov-west-1:222222222222:t"
            .parse()
            .unwrap();
        let text = topic.to_string();
        let s = TrailSettings::desired(&trail, "t", &topic, &text, None, "222222222222");
        let json = s.selectors_json(Partition::AwsUsGov);
        assert_eq!(json["DataResources"][0]["Values"][0], "arn:aws-us-gov:s3");
        assert!(s.covered_by(&s.selectors(Partition::AwsUsGov), Partition::AwsUsGov));
        assert!(!s.covered_by(&s.selectors(Partition::Aws), Partition::AwsUsGov));
    }
}
