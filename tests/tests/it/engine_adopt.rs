//! Existing resources are adopted and merged into: customer statements and notifications
//! survive byte-for-byte, existing detectors are updated (never duplicated), foreign
//! destinations are left alone; and `plan` makes no write call at all.

use crate::engine_support::*;
use integration_tests::{SeedSpec, emulator};
use orchestrator::engine;
use orchestrator::outcome::{AccountStatus, ChangeAction};
use policy_model::PolicyDocument;

fn foreign(doc: &PolicyDocument) -> Vec<serde_json::Value> {
    doc.foreign_statements().map(|s| s.to_value()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn existing_resources_are_adopted_and_customer_content_survives() {
    let emu = emulator();
    let seed = emu.seed(&SeedSpec {
        accounts: 8,
        regions: vec!["us-east-1".into()],
        existing_detectors: 3,
        foreign_destinations: 1,
        hub_customer_buckets: vec![GD_BUCKET.into(), CT_BUCKET.into()],
        hub_customer_key_alias: Some("alias/guardduty-findings".into()),
        existing_notification_bucket: Some(GD_BUCKET.into()),
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cfg = config(&["us-east-1"], "");
    let ctx = context(aws.clone(), 8);

    let gd_before = foreign(&bucket_policy(&aws, GD_BUCKET).await);
    let ct_before = foreign(&bucket_policy(&aws, CT_BUCKET).await);
    let key = seed.hub_customer_key.clone().expect("seeded key");
    let kms = hub(&aws).kms("us-east-1");
    let key_before = PolicyDocument::parse(
        kms.get_key_policy()
            .key_id(&key.key_id)
            .policy_name("default")
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    let s3 = hub(&aws).s3("us-east-1");
    let notif_before = s3
        .get_bucket_notification_configuration()
        .bucket(GD_BUCKET)
        .send()
        .await
        .unwrap();
    let customer_topic = notif_before.topic_configurations().to_vec();
    assert_eq!(customer_topic.len(), 1);

    // Plan first: no write call at all, and it announces the changes.
    emu.reset_counters();
    let planned = engine::plan(&cfg, &ctx).await.expect("plan");
    assert_eq!(writes(&emu), Default::default(), "plan must not write");
    assert!(planned.has_changes());
    assert!(
        planned
            .accounts
            .iter()
            .any(|a| a.status == AccountStatus::Planned)
    );

    let outcome = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(
        !outcome.has_failures(),
        "{:#?}",
        outcome
            .accounts
            .iter()
            .filter(|a| a.status == AccountStatus::Failed)
            .collect::<Vec<_>>()
    );

    // Customer statements: same JSON, same order.
    let gd_after = bucket_policy(&aws, GD_BUCKET).await;
    assert_eq!(foreign(&gd_after), gd_before);
    assert!(gd_after.owned_statements().count() >= 1);
    assert_eq!(foreign(&bucket_policy(&aws, CT_BUCKET).await), ct_before);
    let key_after = PolicyDocument::parse(
        kms.get_key_policy()
            .key_id(&key.key_id)
            .policy_name("default")
            .send()
            .await
            .unwrap()
            .policy()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(foreign(&key_after), foreign(&key_before));
    assert!(
        key_after.owned_statements().count() >= 1,
        "the key policy admits the detectors"
    );

    // The customer's notification is still there, next to ours.
    let notif_after = s3
        .get_bucket_notification_configuration()
        .bucket(GD_BUCKET)
        .send()
        .await
        .unwrap();
    let topics = notif_after.topic_configurations();
    assert!(
        topics.contains(&customer_topic[0]),
        "customer notification kept: {topics:?}"
    );
    assert_eq!(topics.len(), 2);

    // Existing detectors were updated in place, never duplicated.
    for d in &seed.existing_detectors {
        let m = member(&aws, &d.account).await;
        let gd = m.guardduty(&d.region);
        let ids = gd
            .list_detectors()
            .send()
            .await
            .unwrap()
            .detector_ids()
            .to_vec();
        assert_eq!(
            ids,
            vec![d.detector_id.clone()],
            "one detector, the customer's"
        );
        // The adopted detector now has the configured settings (read back from GuardDuty), and
        // the update is in the outcome with the customer's previous settings.
        let live = gd
            .get_detector()
            .detector_id(&d.detector_id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            live.finding_publishing_frequency().map(|f| f.as_str()),
            Some("FIFTEEN_MINUTES")
        );
        assert!(
            live.features()
                .iter()
                .any(|f| f.name().map(|n| n.as_str()) == Some("S3_DATA_EVENTS")
                    && f.status().map(|s| s.as_str()) == Some("ENABLED")),
            "{:?}",
            live.features()
        );
        let arn = format!(
            "arn:aws:guardduty:{}:{}:detector/{}",
            d.region, d.account, d.detector_id
        );
        let change = outcome
            .changes
            .iter()
            .find(|c| c.resource == arn)
            .expect("detector update");
        assert_eq!(change.action, ChangeAction::Update);
        let after = change.after.as_ref().unwrap();
        assert_eq!(after["FindingPublishingFrequency"], "FIFTEEN_MINUTES");
        assert_eq!(after["S3_DATA_EVENTS"], "ENABLED");
        assert_eq!(
            change.before.as_ref().unwrap()["FindingPublishingFrequency"],
            "ONE_HOUR"
        );
        let account = outcome.accounts.iter().find(|a| a.id == d.account).unwrap();
        assert_eq!(
            account.regions[0].detector_id.as_deref(),
            Some(d.detector_id.as_str())
        );
    }

    // A destination that points elsewhere is reported and left alone.
    for f in &seed.foreign_destinations {
        let account = outcome.accounts.iter().find(|a| a.id == f.account).unwrap();
        let region = account
            .regions
            .iter()
            .find(|r| r.region == f.region)
            .unwrap();
        assert!(
            region
                .destination_note
                .as_deref()
                .unwrap_or_default()
                .contains(&f.bucket),
            "{region:?}"
        );
        let m = member(&aws, &f.account).await;
        let out = m
            .guardduty(&f.region)
            .describe_publishing_destination()
            .detector_id(&f.detector_id)
            .destination_id(&f.destination_id)
            .send()
            .await
            .unwrap();
        assert_eq!(
            out.destination_properties()
                .and_then(|p| p.destination_arn()),
            Some(format!("arn:aws:s3:::{}", f.bucket).as_str())
        );
    }
    assert!(
        outcome
            .changes
            .iter()
            .all(|c| c.action != ChangeAction::Delete)
    );

    // A second run over the adopted resources has nothing left to do.
    emu.reset_counters();
    let again = engine::plan(&cfg, &ctx).await.expect("plan after apply");
    assert!(!again.has_changes(), "{:#?}", again.changes);
    assert_eq!(emu.counters().writes(), 0);
}
