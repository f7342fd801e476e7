//! Hardened log resources: what the tool creates gets the public access block, ACLs disabled,
//! default encryption with its key and an S3 Bucket Key, versioning and key rotation, read back
//! as set and written once; what the customer owns is left as it is and listed as advisories;
//! a setting someone changes afterwards is drift that verify reports.

use crate::engine_support::*;
use integration_tests::{DEFAULT_REGION, SeedSpec, emulator};
use orchestrator::aws::AccountClients;
use orchestrator::aws::sdk::s3::types::{BucketVersioningStatus, VersioningConfiguration};
use orchestrator::engine::{self, VerifyOptions};

/// The hardening settings of `bucket`, as S3 answers them (one line each, for comparisons).
#[expect(
    clippy::expect_used,
    reason = "test fixture: a broken fixture must fail the test loudly"
)]
async fn settings(hub: &AccountClients, bucket: &str) -> Vec<String> {
    let s3 = hub.s3(DEFAULT_REGION);
    let pab = s3
        .get_public_access_block()
        .bucket(bucket)
        .send()
        .await
        .ok()
        .and_then(|o| o.public_access_block_configuration);
    let owner = s3
        .get_bucket_ownership_controls()
        .bucket(bucket)
        .send()
        .await
        .ok()
        .and_then(|o| o.ownership_controls);
    let enc = s3
        .get_bucket_encryption()
        .bucket(bucket)
        .send()
        .await
        .ok()
        .and_then(|o| o.server_side_encryption_configuration);
    let ver = s3
        .get_bucket_versioning()
        .bucket(bucket)
        .send()
        .await
        .expect("versioning");
    vec![
        format!("{pab:?}"),
        format!("{owner:?}"),
        format!("{enc:?}"),
        format!("{:?}", ver.status),
    ]
}

fn verify_opts() -> VerifyOptions {
    VerifyOptions {
        sample_findings: false,
        wait: std::time::Duration::ZERO,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_tool_creates_is_hardened_once_and_drift_is_reported() {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 2,
        regions: vec![DEFAULT_REGION.to_owned()],
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cfg = config(&[DEFAULT_REGION], "");
    let ctx = context(aws.clone(), 4);
    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures(), "{:#?}", applied.hub);
    let mgmt = hub(&aws);
    for bucket in [CT_BUCKET, GD_BUCKET] {
        let s = settings(&mgmt, bucket).await.join("\n");
        for wanted in [
            "block_public_acls: Some(true)",
            "ignore_public_acls: Some(true)",
            "block_public_policy: Some(true)",
            "restrict_public_buckets: Some(true)",
            "BucketOwnerEnforced",
            "AwsKms",
            "bucket_key_enabled: Some(true)",
            "Enabled",
        ] {
            assert!(s.contains(wanted), "{bucket}: {wanted} missing in {s}");
        }
    }
    for alias in [
        "alias/cloudtrail-log-encryption",
        "alias/guardduty-findings",
    ] {
        let kms = mgmt.kms(DEFAULT_REGION);
        let key = kms
            .describe_key()
            .key_id(alias)
            .send()
            .await
            .expect("key")
            .key_metadata
            .expect("metadata")
            .key_id;
        let rotation = kms
            .get_key_rotation_status()
            .key_id(key)
            .send()
            .await
            .expect("rotation");
        assert!(rotation.key_rotation_enabled, "{alias} rotates");
    }

    emu.reset_counters();
    let again = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!again.has_changes(), "{:#?}", again.changes);
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));
    let verified = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify");
    assert!(!verified.has_problems(), "{:#?}", verified.checks);
    assert!(
        verified.checks.iter().any(|c| c.name == "bucket-hardening")
            && verified.checks.iter().any(|c| c.name == "key-rotation")
    );

    // Someone suspends versioning: drift, reported by verify, restored by apply.
    mgmt.s3(DEFAULT_REGION)
        .put_bucket_versioning()
        .bucket(GD_BUCKET)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Suspended)
                .build(),
        )
        .send()
        .await
        .expect("suspend versioning");
    let verified = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify");
    let drift: Vec<_> = verified.checks.iter().filter(|c| !c.ok).collect();
    assert_eq!(drift.len(), 1, "{drift:#?}");
    assert!(drift[0].detail.contains("versioning"), "{drift:#?}");
    let fixed = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(
        fixed
            .changes
            .iter()
            .any(|c| c.resource.ends_with("#versioning")),
        "{:#?}",
        fixed.changes
    );
    let verified = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify");
    assert!(!verified.has_problems(), "{:#?}", verified.checks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_customers_bucket_and_key_are_left_as_they_are_and_listed_as_advisories() {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 1,
        regions: vec![DEFAULT_REGION.to_owned()],
        hub_customer_buckets: vec![CT_BUCKET.to_owned()],
        hub_customer_key_alias: Some("alias/guardduty-findings".to_owned()),
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let mgmt = hub(&aws);
    let before = settings(&mgmt, CT_BUCKET).await;
    let cfg = config(&[DEFAULT_REGION], "");
    let ctx = context(aws.clone(), 4);
    let planned = engine::plan(&cfg, &ctx).await.expect("plan");
    let advisories: Vec<&String> = planned
        .warnings
        .iter()
        .filter(|w| w.starts_with("advisory:"))
        .collect();
    assert!(
        advisories
            .iter()
            .any(|a| a.contains(CT_BUCKET) && a.contains("versioning")),
        "{advisories:#?}"
    );
    assert!(
        advisories.iter().any(|a| a.contains("key-rotation")),
        "{advisories:#?}"
    );
    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures(), "{:#?}", applied.hub);
    assert_eq!(
        settings(&mgmt, CT_BUCKET).await,
        before,
        "the customer's bucket is unchanged"
    );
    assert!(
        !applied.changes.iter().any(|c| c
            .resource
            .starts_with(&format!("arn:aws:s3:::{CT_BUCKET}#"))
            && !c.resource.ends_with("#policy")),
        "no hardening change on the customer's bucket: {:#?}",
        applied.changes
    );
    let verified = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify");
    assert!(!verified.has_problems(), "{:#?}", verified.checks);
    assert!(
        !verified.advisories.is_empty(),
        "verify lists the advisories"
    );
}
