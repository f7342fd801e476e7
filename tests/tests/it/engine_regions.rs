//! Every Region an organization uses: opt-in Regions disabled in some accounts, a Region denied
//! by an SCP in one OU. Apply exits without failure, every enabled (account, Region) exports, the
//! others are skipped with their reason; a re-run writes nothing; a Region enabled later is
//! onboarded by the next run, alone.

use crate::engine_support::*;
use integration_tests::{DEFAULT_REGION, SeedSpec, emulator};
use orchestrator::engine;

const REGIONS: [&str; 4] = ["us-east-1", "eu-west-1", "af-south-1", "me-south-1"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_and_denied_regions_are_skipped_with_their_reason_and_picked_up_later() {
    let emu = emulator();
    let mut disabled = serde_json::Map::new();
    disabled.insert("first:5".to_owned(), serde_json::json!(["af-south-1"]));
    let seeded = emu.seed(&SeedSpec {
        accounts: 20,
        ous: 2,
        regions: REGIONS.iter().map(|r| (*r).to_owned()).collect(),
        disabled_regions: disabled,
        region_deny: Some(serde_json::json!({"ou": "ou-index:2", "regions": ["me-south-1"]})),
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    // The management account reads each account's Regions (Account Management, trusted access).
    hub(&aws)
        .organizations(DEFAULT_REGION)
        .enable_aws_service_access()
        .service_principal("account.amazonaws.com")
        .send()
        .await
        .expect("trusted access for Account Management");
    let cfg = config(&REGIONS, "");
    let ctx = context(aws.clone(), 8);
    let first_five: Vec<&str> = seeded.accounts[..5].iter().map(|a| a.id.as_str()).collect();
    let denied_ou = &seeded.ous[1].id;
    let in_denied_ou = |id: &str| {
        seeded
            .accounts
            .iter()
            .any(|a| a.id == id && &a.ou_id == denied_ou)
    };

    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(
        !applied.has_failures(),
        "{:#?}",
        applied
            .accounts
            .iter()
            .filter(|a| a.error.is_some() || a.regions.iter().any(|r| r.error.is_some()))
            .collect::<Vec<_>>()
    );
    let mut skipped = 0;
    for a in &applied.accounts {
        for r in &a.regions {
            let disabled = r.region == "af-south-1" && first_five.contains(&a.id.as_str());
            let denied = r.region == "me-south-1" && in_denied_ou(&a.id);
            match (&r.skip_reason, disabled, denied) {
                (Some(why), true, _) => {
                    assert!(why.starts_with("region-disabled"), "{}: {why}", a.id);
                    skipped += 1;
                }
                (Some(why), false, true) => {
                    assert!(why.starts_with("scp-denied"), "{}: {why}", a.id);
                    skipped += 1;
                }
                (None, false, false) => assert!(
                    r.destination_id.is_some(),
                    "{} {} exports: {r:#?}",
                    a.id,
                    r.region
                ),
                other => panic!("{} {}: unexpected {other:?}", a.id, r.region),
            }
        }
    }
    assert!(
        skipped > 5,
        "{skipped} skipped: 5 disabled and at least one denied"
    );

    emu.reset_counters();
    let again = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!again.has_changes(), "{:#?}", again.changes);
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));

    // af-south-1 enabled in one account: the next run onboards just that (account, Region).
    let enabled = first_five[0];
    emu.set_region(enabled, "af-south-1", true);
    emu.reset_counters();
    let later = engine::apply(&cfg, &ctx).await.expect("after enabling");
    assert!(!later.has_failures());
    let accounts_written: std::collections::BTreeSet<String> = emu
        .counters()
        .calls
        .into_iter()
        .filter(|c| c.write && c.service == "guardduty")
        .map(|c| c.account)
        .collect();
    assert_eq!(
        accounts_written.into_iter().collect::<Vec<_>>(),
        vec![enabled.to_owned()],
        "only that account's GuardDuty was written"
    );
    let row = later
        .accounts
        .iter()
        .find(|a| a.id == enabled)
        .and_then(|a| a.regions.iter().find(|r| r.region == "af-south-1"))
        .expect("the Region");
    assert!(
        row.skip_reason.is_none() && row.destination_id.is_some(),
        "{row:#?}"
    );
    // The findings bucket and key policies admit GuardDuty's regional principals.
    let policy = bucket_policy(&aws, GD_BUCKET).await.to_json_minified();
    for p in [
        "guardduty.af-south-1.amazonaws.com",
        "guardduty.me-south-1.amazonaws.com",
    ] {
        assert!(policy.contains(p), "{p}: {policy}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adopted_findings_bucket_in_another_region_gets_its_topic_and_key_there() {
    const OTHER: &str = "eu-west-1";
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 2,
        regions: vec![DEFAULT_REGION.to_owned(), OTHER.to_owned()],
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    // The customer's findings bucket already exists, in eu-west-1.
    findings_bucket_in_eu_west_1(&aws).await;
    let cfg = config(&[DEFAULT_REGION, OTHER], "");
    let ctx = context(aws.clone(), 4);
    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(
        !applied.has_failures(),
        "{:#?} {:#?}",
        applied.hub,
        applied.accounts
    );
    // The GuardDuty topic is in the bucket's Region, not the home Region: the hand-off gives
    // its ARN and says why its name alone will not do.
    let gd_topic = applied
        .handoff
        .guardduty_sns_topic_arn
        .clone()
        .expect("a topic");
    assert!(
        gd_topic.starts_with(&format!("arn:aws:sns:{OTHER}:")),
        "{gd_topic}"
    );
    assert_eq!(
        applied.handoff.guardduty_sns_topic.as_deref(),
        Some(gd_topic.as_str())
    );
    let note = applied
        .handoff
        .guardduty_sns_topic_note
        .clone()
        .expect("a note");
    assert!(note.contains(OTHER) && note.contains("ARN"), "{note}");
    // The CloudTrail topic is in the home Region: its name.
    assert_eq!(
        applied.handoff.cloudtrail_sns_topic.as_deref(),
        Some("radiant-cloudtrail")
    );
    let resources: Vec<&str> = applied.hub.iter().map(|a| a.resource.as_str()).collect();
    assert!(
        resources
            .iter()
            .any(|r| r.starts_with(&format!("arn:aws:sns:{OTHER}:"))
                && r.ends_with(":radiant-guardduty")),
        "the findings topic is in the bucket's Region: {resources:#?}"
    );
    assert!(
        resources
            .iter()
            .any(|r| r.starts_with(&format!("arn:aws:kms:{OTHER}:"))),
        "the findings key is in the bucket's Region: {resources:#?}"
    );
    assert!(
        applied
            .accounts
            .iter()
            .flat_map(|a| a.regions.iter())
            .all(|r| r.destination_id.is_some()),
        "every detector exports: {:#?}",
        applied.accounts
    );
    emu.reset_counters();
    let again = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!again.has_changes(), "{:#?}", again.changes);
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_in_another_region_than_its_bucket_stops_before_any_write() {
    const OTHER: &str = "eu-west-1";
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 1,
        regions: vec![DEFAULT_REGION.to_owned()],
        // The customer's key, with the configured alias, in the home Region.
        hub_customer_key_alias: Some("alias/guardduty-findings".to_owned()),
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    findings_bucket_in_eu_west_1(&aws).await;
    let cfg = config(&[DEFAULT_REGION], "");
    emu.reset_counters();
    let err = engine::apply(&cfg, &context(aws.clone(), 2))
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains(OTHER)
            && text.contains(DEFAULT_REGION)
            && text.contains("alias/guardduty-findings"),
        "{text}"
    );
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));
}

/// The customer's findings bucket, already there, in eu-west-1.
#[expect(
    clippy::expect_used,
    reason = "test fixture: a broken fixture must fail the test loudly"
)]
async fn findings_bucket_in_eu_west_1(aws: &orchestrator::aws::SdkFactory) {
    use orchestrator::aws::sdk::s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    hub(aws)
        .s3("eu-west-1")
        .create_bucket()
        .bucket(GD_BUCKET)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("the customer's bucket");
}

/// Regression: a Region skipped in an account (not enabled there) put the placeholder detector
/// ARN `detector/knownafterapply` of that (account, Region) into the shared bucket and key
/// policies on apply, where only a plan may show a detector that is not created yet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_skipped_region_puts_no_placeholder_detector_in_the_shared_policies() {
    let emu = emulator();
    let mut disabled = serde_json::Map::new();
    disabled.insert("first:1".to_owned(), serde_json::json!(["af-south-1"]));
    let seeded = emu.seed(&SeedSpec {
        accounts: 3,
        ous: 1,
        regions: vec!["us-east-1".to_owned(), "af-south-1".to_owned()],
        disabled_regions: disabled,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cfg = config(&["us-east-1", "af-south-1"], "");
    let applied = engine::apply(&cfg, &context(aws.clone(), 4))
        .await
        .expect("apply");
    assert!(!applied.has_failures(), "{:#?}", applied.accounts);
    let skipped = &seeded.accounts[0].id;
    let bucket = bucket_policy(&aws, GD_BUCKET).await.to_json_minified();
    assert!(!bucket.contains("knownafterapply"), "{bucket}");
    assert!(
        !bucket.contains(&format!("af-south-1:{skipped}:detector")),
        "{bucket}"
    );
    // Every other (account, Region) is admitted.
    for a in seeded.active_account_ids() {
        assert!(
            bucket.contains(&format!("us-east-1:{a}:detector/")),
            "{a}: {bucket}"
        );
        if &a != skipped {
            assert!(
                bucket.contains(&format!("af-south-1:{a}:detector/")),
                "{a}: {bucket}"
            );
        }
    }
    // A re-run writes nothing.
    emu.reset_counters();
    let again = engine::apply(&cfg, &context(aws, 4)).await.expect("re-run");
    assert!(!again.has_failures());
    assert_eq!(emu.counters().writes(), 0, "{:#?}", writes(&emu));
}
