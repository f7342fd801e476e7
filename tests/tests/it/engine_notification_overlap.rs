//! Bucket notifications S3 would refuse ("Configurations overlap"): the findings bucket already
//! notifies a consumer of every new object. The overlap is found by reading, before anything is
//! written: a rule that delivers to an SNS topic of the bucket's account is reused (nothing is
//! added; Radiant subscribes to that topic); any other overlapping rule stops the run with the
//! rule named and nothing written.

use crate::engine_support::*;
use integration_tests::{DEFAULT_REGION, MANAGEMENT_ACCOUNT_ID, SeedSpec, emulator};
use orchestrator::aws::sdk::s3::types::{Event, NotificationConfiguration, TopicConfiguration};
use orchestrator::engine::{self, EngineError, OffboardOptions};

/// Creates the findings bucket with one rule for every new object, to a customer SNS topic.
#[expect(
    clippy::expect_used,
    reason = "test fixture: a broken fixture must fail the test loudly"
)]
async fn findings_bucket_with_rule(aws: &orchestrator::aws::SdkFactory) -> String {
    let mgmt = hub(aws);
    let s3 = mgmt.s3(DEFAULT_REGION);
    s3.create_bucket()
        .bucket(GD_BUCKET)
        .send()
        .await
        .expect("create the bucket");
    let config = {
        let topic = customer_topic(
            &mgmt,
            "customer-bucket-events",
            GD_BUCKET,
            MANAGEMENT_ACCOUNT_ID,
        )
        .await;
        let rule = TopicConfiguration::builder()
            .id("customer-new-objects")
            .topic_arn(&topic)
            .events(Event::from("s3:ObjectCreated:*"))
            .build()
            .expect("rule");
        (
            NotificationConfiguration::builder().topic_configurations(rule),
            topic,
        )
    };
    s3.put_bucket_notification_configuration()
        .bucket(GD_BUCKET)
        .notification_configuration(config.0.build())
        .send()
        .await
        .expect("put the customer's rule");
    config.1
}

#[expect(
    clippy::expect_used,
    reason = "test fixture: a broken fixture must fail the test loudly"
)]
async fn rules_of(aws: &orchestrator::aws::SdkFactory) -> Vec<String> {
    let out = hub(aws)
        .s3(DEFAULT_REGION)
        .get_bucket_notification_configuration()
        .bucket(GD_BUCKET)
        .send()
        .await
        .expect("read");
    out.topic_configurations()
        .iter()
        .map(|t| format!("{}->{}", t.id().unwrap_or_default(), t.topic_arn()))
        .chain(
            out.queue_configurations()
                .iter()
                .map(|q| format!("{}->{}", q.id().unwrap_or_default(), q.queue_arn())),
        )
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_topic_that_already_gets_every_new_object_is_reused() {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 2,
        regions: vec![DEFAULT_REGION.to_owned()],
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let topic = findings_bucket_with_rule(&aws).await;
    let before = rules_of(&aws).await;
    let cfg = config(&[DEFAULT_REGION], "");
    let ctx = context(aws.clone(), 4);

    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(
        !applied.has_failures(),
        "{:#?} {:#?}",
        applied.hub,
        applied.accounts
    );
    assert_eq!(rules_of(&aws).await, before, "nothing added to the rules");
    // The customer's topic is in the hub's account and home Region: Radiant takes its name.
    assert_eq!(
        applied.handoff.guardduty_sns_topic_arn.as_deref(),
        Some(topic.as_str())
    );
    assert_eq!(
        applied.handoff.guardduty_sns_topic.as_deref(),
        topic.rsplit(':').next()
    );
    assert_eq!(applied.handoff.guardduty_sns_topic_note, None);
    assert!(
        applied
            .notes
            .iter()
            .any(|w| w.contains("customer-new-objects")),
        "{:#?}",
        applied.notes
    );
    let topics = hub(&aws)
        .sns(DEFAULT_REGION)
        .list_topics()
        .send()
        .await
        .expect("topics");
    assert!(
        !topics.topics().iter().any(|t| t
            .topic_arn()
            .is_some_and(|a| a.ends_with(":radiant-guardduty"))),
        "no topic of the product's for the findings: {:?}",
        topics.topics()
    );
    let role_policies = format!("{:?}", applied.changes);
    assert!(
        role_policies.contains(&topic),
        "the hub role may subscribe to the customer's topic"
    );

    emu.reset_counters();
    let again = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!again.has_changes(), "{:#?}", again.changes);
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));

    let opts = OffboardOptions { keep_data: true };
    engine::offboard(&cfg, &ctx, &opts).await.expect("offboard");
    assert_eq!(rules_of(&aws).await, before, "the customer's rule stays");
    hub(&aws)
        .sns(DEFAULT_REGION)
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .expect("the customer's topic stays");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overlapping_queue_rule_stops_plan_and_apply_before_any_write() {
    let emu = emulator();
    // A queue (admitting S3) that gets every new object put in the findings bucket.
    emu.seed(&SeedSpec {
        accounts: 2,
        regions: vec![DEFAULT_REGION.to_owned()],
        existing_notification_rules: vec![serde_json::json!({
            "bucket": GD_BUCKET,
            "account": "management",
            "id": "customer-new-objects",
            "events": ["s3:ObjectCreated:Put"],
            "destination": "sqs",
        })],
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let before = rules_of(&aws).await;
    let cfg = config(&[DEFAULT_REGION], "");
    let ctx = context(aws.clone(), 4);
    emu.reset_counters();
    for run in ["plan", "apply"] {
        let err = if run == "plan" {
            engine::plan(&cfg, &ctx).await
        } else {
            engine::apply(&cfg, &ctx).await
        }
        .expect_err("refused");
        let EngineError::Preflight { message } = &err else {
            panic!("{run}: a preflight refusal, got {err:?}");
        };
        assert!(
            message.contains("customer-new-objects")
                && message.contains("sqs")
                && message.contains("prefix")
                && message.contains("SNS topic"),
            "{run}: names the rule and the ways out: {message}"
        );
    }
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));
    assert_eq!(rules_of(&aws).await, before);
}
