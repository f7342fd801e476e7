//! SNS topics of the hub (Standard, tagged when the product creates them) and their access
//! policies (the product's statement merged in; offboard deletes only a tagged topic).

use std::sync::atomic::{AtomicBool, Ordering};

use policy_model::planner::plan_fixed;
use policy_model::{Arn, PolicyDocument, PolicyKind, Statement};

use super::{Place, build_err, found, invalid, tagged};
use crate::engine::EngineError;
use crate::engine::common::{
    HubLog, changed_status, ensure_policy, holds_fixed, hub_sdk, hub_worker, parse_policy, plan_err,
};
use crate::outcome::{Change, ChangeAction, Check, ResourceStatus};
use account_worker::{MANAGED_TAG_KEY, MANAGED_TAG_VALUE};

/// A topic of the hub and its policy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Topic<'a> {
    pub(crate) place: Place<'a>,
    pub(crate) name: &'a str,
}

/// What `GetTopicAttributes` said: `None` when the topic does not exist, else its policy text.
type TopicState = Option<Option<String>>;

impl Topic<'_> {
    /// The topic's ARN.
    pub(crate) fn arn(&self) -> Result<Arn, EngineError> {
        Arn::sns_topic(self.place.region, self.place.account, self.name)
            .map_err(|e| invalid("the SNS topic name", e))
    }

    /// Whether the topic exists, and its policy text.
    pub(crate) async fn read(&self) -> Result<TopicState, EngineError> {
        let sns = self.place.clients.sns(self.place.region.as_str());
        let resource = self.arn()?.to_string();
        let answer = sns.get_topic_attributes().topic_arn(&resource).send().await;
        Ok(
            found("sns:GetTopicAttributes", &resource, answer)?.map(|out| {
                out.attributes
                    .as_ref()
                    .and_then(|a| a.get("Policy"))
                    .cloned()
            }),
        )
    }

    /// Ensures the topic exists and its policy holds `statement(topic_arn)`.
    pub(crate) async fn ensure(
        &self,
        log: &mut HubLog,
        statement: impl Fn(&Arn) -> Result<Statement, EngineError>,
    ) -> Result<Arn, EngineError> {
        self.ensure_all(log, |t| Ok(vec![statement(t)?])).await
    }

    /// Ensures the topic exists and its policy holds every statement of `statements(topic_arn)`.
    pub(crate) async fn ensure_all(
        &self,
        log: &mut HubLog,
        statements: impl Fn(&Arn) -> Result<Vec<Statement>, EngineError>,
    ) -> Result<Arn, EngineError> {
        let place = self.place;
        let sns = place.clients.sns(place.region.as_str());
        let arn = self.arn()?;
        let resource = arn.to_string();
        let current = self.read().await?;
        let exists = current.is_some();
        if exists {
            log.record(&resource, "sns-topic", ResourceStatus::Unchanged, None);
        } else {
            log.journal.changes.push(Change::new(
                &resource,
                ChangeAction::Create,
                None,
                None,
                "the topic does not exist",
            ));
            if place.apply() {
                let tag = aws_sdk_sns::types::Tag::builder()
                    .key(MANAGED_TAG_KEY)
                    .value(MANAGED_TAG_VALUE)
                    .build()
                    .map_err(|e| hub_worker(&resource)(build_err("sns:CreateTopic", e)))?;
                sns.create_topic()
                    .name(self.name)
                    .tags(tag)
                    .send()
                    .await
                    .map_err(hub_sdk("sns:CreateTopic", &resource))?;
            }
            log.record(
                &resource,
                "sns-topic",
                changed_status(place.mode, true),
                None,
            );
        }
        let wanted = statements(&arn)?;
        let policy_resource = format!("{resource}#policy");
        let first = current.flatten();
        let used_first = AtomicBool::new(false);
        let parse = |t: &str| parse_policy(&policy_resource, "sns:GetTopicAttributes", t);
        ensure_policy(
            log,
            place.mode,
            &policy_resource,
            "sns-topic-policy",
            async || {
                if !exists && !place.apply() {
                    return Ok(None);
                }
                // The first read reuses GetTopicAttributes' answer; later reads go to AWS.
                if exists && !used_first.swap(true, Ordering::Relaxed) {
                    return first.as_deref().map(parse).transpose();
                }
                self.read()
                    .await
                    .map(|state| state.flatten())?
                    .as_deref()
                    .map(parse)
                    .transpose()
            },
            |doc| {
                plan_fixed(doc, wanted.clone(), PolicyKind::SnsTopic)
                    .map_err(plan_err(&policy_resource))
            },
            async |text| self.write_policy(text).await,
        )
        .await?;
        Ok(arn)
    }

    /// The statements of the topic a reused trail's bucket notifies (pure): S3 may publish from
    /// `bucket` of `bucket_account`; a topic of another account than the hub also lets the hub
    /// role subscribe (`subscriber`).
    pub(crate) fn desired_for_reused_trail(
        topic: &Arn,
        bucket: &str,
        bucket_account: &policy_model::AccountId,
        subscriber: Option<&Arn>,
    ) -> Result<Vec<Statement>, EngineError> {
        let mut wanted = vec![
            policy_model::builders::trail_bucket_topic_statement(topic, bucket, bucket_account)
                .map_err(|e| invalid("the trail's bucket", e))?,
        ];
        if let Some(role) = subscriber {
            wanted.push(policy_model::builders::topic_subscriber_statement(
                topic, role,
            ));
        }
        Ok(wanted)
    }

    /// `name` (e.g. `trail-topic-policy`): the topic exists and its policy holds `statements`
    /// as `ensure` writes them.
    pub(crate) async fn verify_policy(
        &self,
        name: &str,
        statements: &[Statement],
        ok_detail: String,
        fail_detail: String,
    ) -> Check {
        let ok = self
            .read()
            .await
            .ok()
            .flatten()
            .flatten()
            .and_then(|text| PolicyDocument::parse(&text).ok())
            .is_some_and(|d| holds_fixed(&d, statements, PolicyKind::SnsTopic));
        Check::hub(
            Some(self.place.region.as_str()),
            name,
            ok,
            if ok { ok_detail } else { fail_detail },
        )
    }

    async fn write_policy(&self, text: String) -> Result<(), EngineError> {
        let sns = self.place.clients.sns(self.place.region.as_str());
        let resource = self.arn()?.to_string();
        sns.set_topic_attributes()
            .topic_arn(&resource)
            .attribute_name("Policy")
            .attribute_value(text)
            .send()
            .await
            .map_err(hub_sdk(
                "sns:SetTopicAttributes",
                &format!("{resource}#policy"),
            ))?;
        Ok(())
    }

    /// Offboard: a topic the product created is deleted unless `keep_data`; otherwise only the
    /// product's policy statements go.
    pub(crate) async fn remove(
        &self,
        log: &mut HubLog,
        keep_data: bool,
    ) -> Result<(), EngineError> {
        let place = self.place;
        let sns = place.clients.sns(place.region.as_str());
        let arn = self.arn()?.to_string();
        let Ok(Some(policy)) = self.read().await else {
            return Ok(());
        };
        let ours = sns
            .list_tags_for_resource()
            .resource_arn(&arn)
            .send()
            .await
            .map(|t| {
                tagged(
                    t.tags()
                        .iter()
                        .map(|t| (t.key().to_owned(), t.value().to_owned())),
                )
            })
            .unwrap_or(false);
        if ours && !keep_data {
            if place.apply() {
                sns.delete_topic()
                    .topic_arn(&arn)
                    .send()
                    .await
                    .map_err(hub_sdk("sns:DeleteTopic", &arn))?;
            }
            log.journal.changes.push(Change::new(
                &arn,
                ChangeAction::Delete,
                None,
                None,
                "the product created this topic",
            ));
            log.record(
                &arn,
                "sns-topic",
                place.status(ResourceStatus::Deleted),
                None,
            );
            return Ok(());
        }
        let resource = format!("{arn}#policy");
        let Some(text) = policy else {
            return Ok(());
        };
        let mut doc: PolicyDocument = parse_policy(&resource, "sns:GetTopicAttributes", &text)?;
        let before = doc.clone();
        if doc.remove_owned_statements().is_empty() {
            return Ok(());
        }
        if place.apply() {
            self.write_policy(doc.to_json_minified()).await?;
        }
        log.journal.changes.push(Change::policy(
            &resource,
            Some(&before),
            &doc,
            "the product's statements",
        ));
        log.record(
            &resource,
            "sns-topic-policy",
            place.status(ResourceStatus::Updated),
            None,
        );
        Ok(())
    }
}
