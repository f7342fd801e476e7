//! Verify after onboarding, then offboard: the organization is back to its exact
//! pre-onboarding state (compared with a snapshot taken with the SDK).

mod engine_support;

use std::collections::BTreeMap;

use engine_support::*;
use integration_tests::{SeedSpec, emulator};
use orchestrator::aws::SdkFactory;
use orchestrator::engine::{self, OffboardOptions, VerifyOptions};

fn minify(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .map_or_else(|_| text.to_owned(), |v| v.to_string())
}

#[expect(
    clippy::unwrap_used,
    reason = "test helper: a failed read must fail the test"
)]
async fn snapshot(
    aws: &SdkFactory,
    accounts: &[String],
    regions: &[&str],
) -> BTreeMap<String, String> {
    let mut snap = BTreeMap::new();
    let h = hub(aws);
    let s3 = h.s3("us-east-1");
    let buckets: Vec<String> = s3
        .list_buckets()
        .send()
        .await
        .unwrap()
        .buckets()
        .iter()
        .filter_map(|b| b.name().map(str::to_owned))
        .collect();
    for b in &buckets {
        // Whitespace aside (the product writes minified JSON), the text must be identical:
        // same statements, same order, same keys.
        let policy = s3
            .get_bucket_policy()
            .bucket(b)
            .send()
            .await
            .ok()
            .and_then(|p| p.policy().map(minify));
        snap.insert(format!("bucket {b} policy"), format!("{policy:?}"));
        let notif = s3
            .get_bucket_notification_configuration()
            .bucket(b)
            .send()
            .await
            .ok()
            .map(|n| format!("{:?}", n.topic_configurations()));
        snap.insert(format!("bucket {b} notifications"), format!("{notif:?}"));
    }
    snap.insert("buckets".into(), format!("{buckets:?}"));
    let kms = h.kms("us-east-1");
    let aliases: Vec<String> = kms
        .list_aliases()
        .send()
        .await
        .unwrap()
        .aliases()
        .iter()
        .filter_map(|a| a.alias_name().map(str::to_owned))
        .filter(|a| !a.starts_with("alias/aws/"))
        .collect();
    for a in &aliases {
        let p = kms
            .get_key_policy()
            .key_id(a)
            .policy_name("default")
            .send()
            .await
            .ok()
            .and_then(|p| p.policy().map(minify));
        snap.insert(format!("key {a} policy"), format!("{p:?}"));
    }
    snap.insert("aliases".into(), format!("{aliases:?}"));
    let topics: Vec<String> = h
        .sns("us-east-1")
        .list_topics()
        .send()
        .await
        .unwrap()
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn().map(str::to_owned))
        .collect();
    snap.insert("topics".into(), format!("{topics:?}"));
    let trails: Vec<String> = h
        .cloudtrail("us-east-1")
        .describe_trails()
        .send()
        .await
        .unwrap()
        .trail_list()
        .iter()
        .filter_map(|t| t.name().map(str::to_owned))
        .collect();
    snap.insert("trails".into(), format!("{trails:?}"));
    let iam = h.iam("us-east-1");
    let roles: Vec<String> = iam
        .list_roles()
        .send()
        .await
        .unwrap()
        .roles()
        .iter()
        .map(|r| r.role_name().to_owned())
        .collect();
    snap.insert("hub roles".into(), format!("{roles:?}"));
    let policies: Vec<String> = iam
        .list_policies()
        .scope(orchestrator::aws::sdk::iam::types::PolicyScopeType::Local)
        .send()
        .await
        .unwrap()
        .policies()
        .iter()
        .filter_map(|p| p.policy_name().map(str::to_owned))
        .collect();
    snap.insert("hub policies".into(), format!("{policies:?}"));
    for a in accounts {
        let m = if a == integration_tests::MANAGEMENT_ACCOUNT_ID {
            hub(aws)
        } else {
            member(aws, a).await
        };
        let roles: Vec<String> = m
            .iam("us-east-1")
            .list_roles()
            .send()
            .await
            .unwrap()
            .roles()
            .iter()
            .map(|r| r.role_name().to_owned())
            .collect();
        snap.insert(format!("{a} roles"), format!("{roles:?}"));
        for r in regions {
            let ids = m
                .guardduty(r)
                .list_detectors()
                .send()
                .await
                .unwrap()
                .detector_ids()
                .to_vec();
            snap.insert(format!("{a} {r} detectors"), format!("{ids:?}"));
        }
    }
    snap
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_passes_after_apply_and_offboard_restores_the_exact_previous_state() {
    let emu = emulator();
    let regions = ["us-east-1", "eu-west-1"];
    let seed = emu.seed(&SeedSpec {
        accounts: 6,
        regions: regions.iter().map(|r| r.to_string()).collect(),
        hub_customer_buckets: vec![GD_BUCKET.into()],
        hub_customer_key_alias: Some("alias/guardduty-findings".into()),
        existing_notification_bucket: Some(GD_BUCKET.into()),
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cfg = config(&regions, "");
    let ctx = context(aws.clone(), 8);
    let mut accounts = seed.active_account_ids();
    accounts.push(integration_tests::MANAGEMENT_ACCOUNT_ID.to_owned());

    let before = snapshot(&aws, &accounts, &regions).await;
    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures());
    let onboarded = snapshot(&aws, &accounts, &regions).await;
    assert_ne!(before, onboarded, "apply changed the organization");

    let verified = engine::verify(
        &cfg,
        &ctx,
        &VerifyOptions {
            sample_findings: true,
            wait: std::time::Duration::from_secs(20),
        },
    )
    .await
    .expect("verify");
    let failed: Vec<_> = verified.checks.iter().filter(|c| !c.ok).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(verified.orphans.is_empty());
    assert!(
        verified
            .checks
            .iter()
            .any(|c| c.name == "destination-publishing")
    );

    let off = engine::offboard(&cfg, &ctx, &OffboardOptions { keep_data: false })
        .await
        .expect("offboard");
    assert!(!off.has_failures(), "{:#?}", off.accounts);
    let after = snapshot(&aws, &accounts, &regions).await;
    let diff: Vec<_> = before
        .iter()
        .filter(|(k, v)| after.get(*k) != Some(v))
        .map(|(k, v)| (k, v, after.get(k)))
        .collect();
    assert!(diff.is_empty(), "differs from before onboarding: {diff:#?}");
    assert_eq!(before.len(), after.len());
}
