//! The product's entry in a bucket's event notification configuration: "object-created events
//! (under a prefix) to the topic". S3 replaces the whole configuration on each write, so it is
//! read, merged by Id and written back with everything else in it (queues, functions,
//! EventBridge).
//!
//! S3 refuses two rules that share an event type with overlapping prefix and suffix filters
//! ("Configurations overlap", `aws-facts.md`). [`decide`] finds such a rule from a read, before
//! anything is written: a rule that already delivers those events to an SNS topic of the bucket's
//! account is reused (Radiant subscribes to that topic; nothing is added); any other overlapping
//! rule stops the run with the rule and the ways out.

use aws_sdk_s3::operation::get_bucket_notification_configuration::GetBucketNotificationConfigurationOutput;
use aws_sdk_s3::types::{Event, NotificationConfiguration, TopicConfiguration};
use policy_model::Arn;

use super::bucket::Bucket;
use super::build_err;
use crate::engine::EngineError;
use crate::engine::common::{HubLog, changed_status, hub_sdk, hub_worker};
use crate::outcome::{Change, ChangeAction, Check, ResourceStatus};

/// Id of the product's entry in the findings bucket's notification configuration.
pub(crate) const NOTIFICATION_ID: &str = "radiant-onboard-guardduty-findings";
/// Id of the product's entry in an existing trail's bucket.
pub(crate) const TRAIL_NOTIFICATION_ID: &str = "radiant-onboard-cloudtrail-logs";

/// The event type of the product's entries.
const OBJECT_CREATED: &str = "s3:ObjectCreated:*";

/// The product's notification entry on a bucket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Notification<'a> {
    pub(crate) bucket: Bucket<'a>,
    /// The entry's Id.
    pub(crate) id: &'a str,
    /// The key prefix the entry filters on (`""`: every object).
    pub(crate) prefix: &'a str,
    /// Why the entry exists, as the plan says it.
    pub(crate) purpose: &'a str,
}

/// A rule of a bucket's notification configuration, as plans and errors show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rule {
    pub(crate) id: String,
    pub(crate) events: Vec<String>,
    pub(crate) prefix: String,
    pub(crate) suffix: String,
    /// `sns`, `sqs` or `lambda`.
    pub(crate) kind: &'static str,
    pub(crate) destination: String,
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rule `{}` ({} to {} `{}`, prefix `{}`, suffix `{}`)",
            self.id,
            self.events.join(", "),
            self.kind,
            self.destination,
            self.prefix,
            self.suffix
        )
    }
}

/// What the product's entry needs, decided from the configuration as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Wiring {
    /// The entry is there (or a rule with its Id and topic).
    Present,
    /// The entry is added (nothing overlaps).
    Add,
    /// A rule of the customer's already sends these events to an SNS topic of the bucket's
    /// account: Radiant subscribes to that topic and nothing is added.
    Reuse { rule: Rule, topic: Arn },
    /// A rule of the customer's overlaps and cannot be shared: the run stops before any write.
    Refuse { rule: Rule },
}

/// Every rule of `config` (topics, queues, functions).
pub(crate) fn rules(config: &GetBucketNotificationConfigurationOutput) -> Vec<Rule> {
    fn filter(f: Option<&aws_sdk_s3::types::NotificationConfigurationFilter>) -> (String, String) {
        let mut prefix = String::new();
        let mut suffix = String::new();
        for r in f
            .and_then(|f| f.key())
            .map(|k| k.filter_rules())
            .unwrap_or_default()
        {
            let value = r.value().unwrap_or_default().to_owned();
            match r.name().map(|n| n.as_str().to_ascii_lowercase()).as_deref() {
                Some("prefix") => prefix = value,
                Some("suffix") => suffix = value,
                _ => {}
            }
        }
        (prefix, suffix)
    }
    let events = |e: &[Event]| e.iter().map(|e| e.as_str().to_owned()).collect::<Vec<_>>();
    let mut out = Vec::new();
    for t in config.topic_configurations() {
        let (prefix, suffix) = filter(t.filter());
        out.push(Rule {
            id: t.id().unwrap_or_default().to_owned(),
            events: events(t.events()),
            prefix,
            suffix,
            kind: "sns",
            destination: t.topic_arn().to_owned(),
        });
    }
    for q in config.queue_configurations() {
        let (prefix, suffix) = filter(q.filter());
        out.push(Rule {
            id: q.id().unwrap_or_default().to_owned(),
            events: events(q.events()),
            prefix,
            suffix,
            kind: "sqs",
            destination: q.queue_arn().to_owned(),
        });
    }
    for l in config.lambda_function_configurations() {
        let (prefix, suffix) = filter(l.filter());
        out.push(Rule {
            id: l.id().unwrap_or_default().to_owned(),
            events: events(l.events()),
            prefix,
            suffix,
            kind: "lambda",
            destination: l.lambda_function_arn().to_owned(),
        });
    }
    out
}

/// True when S3 would see event types `a` and `b` as shared (equal, or one a wildcard over the
/// other's family: `s3:ObjectCreated:*` covers `s3:ObjectCreated:Put`).
fn events_overlap(a: &str, b: &str) -> bool {
    let covers = |wild: &str, other: &str| {
        wild.strip_suffix('*')
            .is_some_and(|stem| other.starts_with(stem))
    };
    a == b || covers(a, b) || covers(b, a)
}

/// True when two key filters can match the same key: both prefixes and both suffixes overlap
/// (one is a prefix, resp. suffix, of the other; an empty one matches every key).
fn filters_overlap(a: (&str, &str), b: (&str, &str)) -> bool {
    (a.0.starts_with(b.0) || b.0.starts_with(a.0)) && (a.1.ends_with(b.1) || b.1.ends_with(a.1))
}

/// What the product's entry `id` (object-created events under `prefix` to `topic`) needs on a
/// bucket of `bucket_account` whose rules are `rules`.
pub(crate) fn decide(
    rules: &[Rule],
    id: &str,
    prefix: &str,
    topic: &Arn,
    bucket_account: &str,
) -> Wiring {
    let topic_text = topic.to_string();
    let ours = |r: &Rule| {
        r.kind == "sns"
            && r.destination == topic_text
            && r.events.iter().any(|e| e == OBJECT_CREATED)
            && prefix.starts_with(r.prefix.as_str())
            && r.suffix.is_empty()
    };
    if rules.iter().any(ours) {
        return Wiring::Present;
    }
    let overlapping = rules.iter().filter(|r| r.id != id).find(|r| {
        r.events.iter().any(|e| events_overlap(e, OBJECT_CREATED))
            && filters_overlap((prefix, ""), (&r.prefix, &r.suffix))
    });
    let Some(rule) = overlapping else {
        return Wiring::Add;
    };
    // Reusable: an SNS topic of the bucket's account that receives every object-created event
    // under the prefix (a narrower rule would hide some logs from Radiant).
    let covers_all = r_covers_all(rule, prefix);
    match rule.destination.parse::<Arn>() {
        Ok(arn) if rule.kind == "sns" && arn.account() == bucket_account && covers_all => {
            Wiring::Reuse {
                rule: rule.clone(),
                topic: arn,
            }
        }
        _ => Wiring::Refuse { rule: rule.clone() },
    }
}

/// True when `rule` notifies every object created under `prefix`.
fn r_covers_all(rule: &Rule, prefix: &str) -> bool {
    rule.events
        .iter()
        .any(|e| e == OBJECT_CREATED || e == "s3:*")
        && prefix.starts_with(rule.prefix.as_str())
        && rule.suffix.is_empty()
}

impl<'a> Notification<'a> {
    /// The findings bucket's entry: every new object to the GuardDuty topic.
    pub(crate) fn findings(bucket: Bucket<'a>) -> Self {
        Self {
            bucket,
            id: NOTIFICATION_ID,
            prefix: "",
            purpose: "object-created events of the findings bucket must reach the GuardDuty topic",
        }
    }

    /// An existing trail's bucket entry: new log files under `prefix` (`PREFIX/AWSLogs/`) to the
    /// CloudTrail topic.
    pub(crate) fn trail_logs(bucket: Bucket<'a>, prefix: &'a str) -> Self {
        Self {
            bucket,
            id: TRAIL_NOTIFICATION_ID,
            prefix,
            purpose: "new log files of the reused trail must reach the CloudTrail topic",
        }
    }

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

    /// What the product's entry for `topic` needs on the bucket as it is now (`exists`: the
    /// bucket does; a bucket yet to be created has no rules).
    pub(crate) async fn check(&self, topic: &Arn, exists: bool) -> Result<Wiring, EngineError> {
        if !exists {
            return Ok(Wiring::Add);
        }
        let current = self.read().await?;
        Ok(decide(
            &rules(&current),
            self.id,
            self.prefix,
            topic,
            self.bucket.place.account.as_str(),
        ))
    }

    /// `findings-bucket-notification`: new objects of the findings bucket reach `topic` (the
    /// product's entry, or a customer's SNS rule that is reused), by the rule `ensure` uses.
    pub(crate) async fn verify_findings(&self, topic: Result<Arn, EngineError>) -> Check {
        let bucket = self.bucket;
        let wiring = match (&topic, bucket.read().await) {
            (Ok(t), Ok(true)) => self.check(t, true).await.map_err(|e| e.to_string()),
            (Ok(_), Ok(false)) => Err(format!(
                "the findings bucket `{}` does not exist: run apply",
                bucket.name
            )),
            (Err(e), _) => Err(e.to_string()),
            (_, Err(e)) => Err(e.to_string()),
        };
        let (ok, detail) = match wiring {
            Ok(Wiring::Present) => (true, "new findings reach the GuardDuty topic".to_owned()),
            Ok(Wiring::Reuse { rule, topic }) => (
                true,
                format!("the customer's {rule} reaches `{topic}`, which Radiant reads"),
            ),
            Ok(other) => (
                false,
                format!(
                    "the findings bucket does not notify the GuardDuty topic ({other:?}): run apply"
                ),
            ),
            Err(e) => (false, e),
        };
        Check::hub(
            Some(bucket.place.region.as_str()),
            "findings-bucket-notification",
            ok,
            detail,
        )
    }

    /// `trail-bucket-notification`: new log files of a reused trail reach `topic`; the second
    /// value is true when that is a customer's rule to another topic, which is reused (and
    /// whose policy is then the customer's).
    pub(crate) async fn verify_trail_logs(&self, topic: Result<&Arn, String>) -> (Check, bool) {
        let wiring = match topic {
            Ok(t) => self.check(t, true).await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let reused = matches!(wiring, Ok(Wiring::Reuse { .. }));
        let prefix = self.prefix;
        let (ok, detail) = match wiring {
            Ok(Wiring::Present) => (
                true,
                format!("new log files under `{prefix}` reach the topic"),
            ),
            Ok(Wiring::Reuse { rule, topic }) => {
                (true, format!("the customer's {rule} reaches `{topic}`"))
            }
            Ok(other) => (
                false,
                format!("no notification of new log files under `{prefix}` ({other:?}): run apply"),
            ),
            Err(e) => (false, e),
        };
        let check = Check::hub(
            Some(self.bucket.place.region.as_str()),
            "trail-bucket-notification",
            ok,
            detail,
        );
        (check, reused)
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
        let wiring = current.as_ref().map_or(Wiring::Add, |c| {
            decide(
                &rules(c),
                self.id,
                self.prefix,
                topic,
                place.account.as_str(),
            )
        });
        if wiring == Wiring::Present {
            log.record(
                &resource,
                "s3-bucket-notification",
                ResourceStatus::Unchanged,
                None,
            );
            return Ok(());
        }
        if let Wiring::Reuse { rule, .. } | Wiring::Refuse { rule } = &wiring {
            // Decided from the same read by the hub's check, before anything was written; met
            // here only when the configuration changed in between.
            return Err(overlap_error(&resource, rule));
        }
        let mut merged: Vec<TopicConfiguration> = topics
            .iter()
            .filter(|t| t.id() != Some(self.id))
            .cloned()
            .collect();
        let mut ours = TopicConfiguration::builder()
            .id(self.id)
            .topic_arn(&topic_text)
            .events(Event::from(OBJECT_CREATED));
        if !self.prefix.is_empty() {
            ours = ours.filter(
                aws_sdk_s3::types::NotificationConfigurationFilter::builder()
                    .key(
                        aws_sdk_s3::types::S3KeyFilter::builder()
                            .filter_rules(
                                aws_sdk_s3::types::FilterRule::builder()
                                    .name(aws_sdk_s3::types::FilterRuleName::Prefix)
                                    .value(self.prefix)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            );
        }
        let ours = ours.build().map_err(|e| {
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
            self.purpose,
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
        // Only a bucket that is gone has nothing to remove; any other failure is reported.
        if !self.bucket.read().await? {
            return Ok(());
        }
        let cur = self.read().await?;
        let topics = cur.topic_configurations().to_vec();
        if !topics.iter().any(|t| t.id() == Some(self.id)) {
            return Ok(());
        }
        let kept: Vec<_> = topics
            .into_iter()
            .filter(|t| t.id() != Some(self.id))
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

/// The run stops: `rule` overlaps the product's entry on `resource` and cannot be shared.
pub(crate) fn overlap_error(resource: &str, rule: &Rule) -> EngineError {
    EngineError::Preflight {
        message: format!(
            "the event notification of `{resource}` would overlap the bucket's {rule}: S3 refuses two rules that share an event type with overlapping prefixes and suffixes (\"Configurations overlap\"), and nothing was written. Either narrow that rule with a prefix that does not cover the logs, or deliver its events through an SNS topic of the bucket's account that both it and Radiant subscribe to (the tool then reuses that topic)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, kind: &'static str, dest: &str, events: &[&str], prefix: &str) -> Rule {
        Rule {
            id: id.to_owned(),
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            prefix: prefix.to_owned(),
            suffix: String::new(),
            kind,
            destination: dest.to_owned(),
        }
    }

    fn topic() -> Arn {
        "arn:aws:sns:us-east-1:111111111111:radiant-guardduty"
            .parse()
            .unwrap()
    }

    #[test]
    fn events_and_filters_overlap_as_s3_sees_them() {
        assert!(events_overlap("s3:ObjectCreated:*", "s3:ObjectCreated:Put"));
        assert!(events_overlap("s3:ObjectCreated:Put", "s3:ObjectCreated:*"));
        assert!(!events_overlap("s3:ObjectRemoved:*", "s3:ObjectCreated:*"));
        assert!(filters_overlap(("", ""), ("logs/", ".gz")));
        assert!(filters_overlap(("AWSLogs/", ""), ("AWSLogs/o-1/", "")));
        assert!(!filters_overlap(("a/", ""), ("b/", "")));
        assert!(!filters_overlap(("", ".json"), ("", ".gz")));
    }

    #[test]
    fn a_customer_topic_of_the_bucket_account_is_reused_anything_else_refused() {
        let sns = rule(
            "customer",
            "sns",
            "arn:aws:sns:us-east-1:111111111111:customer-events",
            &["s3:ObjectCreated:*"],
            "",
        );
        assert!(matches!(
            decide(
                std::slice::from_ref(&sns),
                NOTIFICATION_ID,
                "",
                &topic(),
                "111111111111"
            ),
            Wiring::Reuse { .. }
        ));
        // A topic of another account cannot be shared.
        assert!(matches!(
            decide(&[sns], NOTIFICATION_ID, "", &topic(), "222222222222"),
            Wiring::Refuse { .. }
        ));
        let sqs = rule(
            "queue",
            "sqs",
            "arn:aws:sqs:us-east-1:111111111111:q",
            &["s3:ObjectCreated:Put"],
            "",
        );
        assert!(matches!(
            decide(&[sqs], NOTIFICATION_ID, "", &topic(), "111111111111"),
            Wiring::Refuse { .. }
        ));
        // A narrower topic rule would hide objects from Radiant: refused, not reused.
        let narrow = rule(
            "narrow",
            "sns",
            "arn:aws:sns:us-east-1:111111111111:customer-events",
            &["s3:ObjectCreated:Put"],
            "",
        );
        assert!(matches!(
            decide(&[narrow], NOTIFICATION_ID, "", &topic(), "111111111111"),
            Wiring::Refuse { .. }
        ));
    }

    #[test]
    fn disjoint_rules_and_our_own_entry_are_no_conflict() {
        let removed = rule(
            "customer-object-removed",
            "sns",
            "arn:aws:sns:us-east-1:111111111111:customer-events",
            &["s3:ObjectRemoved:*"],
            "",
        );
        assert_eq!(
            decide(
                std::slice::from_ref(&removed),
                NOTIFICATION_ID,
                "",
                &topic(),
                "111111111111"
            ),
            Wiring::Add
        );
        let elsewhere = rule(
            "other-prefix",
            "sqs",
            "arn:aws:sqs:us-east-1:111111111111:q",
            &["s3:ObjectCreated:*"],
            "exports/",
        );
        assert_eq!(
            decide(
                &[elsewhere],
                TRAIL_NOTIFICATION_ID,
                "o-1/AWSLogs/",
                &topic(),
                "111111111111"
            ),
            Wiring::Add
        );
        let ours = rule(
            NOTIFICATION_ID,
            "sns",
            &topic().to_string(),
            &["s3:ObjectCreated:*"],
            "",
        );
        assert_eq!(
            decide(
                &[removed, ours],
                NOTIFICATION_ID,
                "",
                &topic(),
                "111111111111"
            ),
            Wiring::Present
        );
    }
}
