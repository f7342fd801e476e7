//! Hardened log resources: what the tool creates gets the public access block, ACLs disabled,
//! default encryption with its key and an S3 Bucket Key, versioning and key rotation, read back
//! as set and written once; what the customer owns is left as it is and listed as advisories;
//! a setting someone changes afterwards is drift that verify reports.

use crate::engine_support::*;
use integration_tests::{DEFAULT_REGION, SeedSpec, emulator};
use orchestrator::aws::AccountClients;
use orchestrator::aws::sdk::s3::types::{
    BucketVersioningStatus, ServerSideEncryption, ServerSideEncryptionByDefault,
    ServerSideEncryptionConfiguration, ServerSideEncryptionRule, VersioningConfiguration,
};
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

/// The key rotation of `alias` in the management account.
#[expect(
    clippy::expect_used,
    reason = "test fixture: a broken fixture must fail the test loudly"
)]
async fn rotation(hub: &AccountClients, alias: &str) -> bool {
    let kms = hub.kms(DEFAULT_REGION);
    let key = kms
        .describe_key()
        .key_id(alias)
        .send()
        .await
        .expect("key")
        .key_metadata
        .expect("metadata")
        .key_id;
    kms.get_key_rotation_status()
        .key_id(key)
        .send()
        .await
        .expect("rotation")
        .key_rotation_enabled
}

/// The policy of `bucket` as text (none: empty).
async fn policy_text(hub: &AccountClients, bucket: &str) -> String {
    hub.s3(DEFAULT_REGION)
        .get_bucket_policy()
        .bucket(bucket)
        .send()
        .await
        .ok()
        .and_then(|p| p.policy)
        .unwrap_or_default()
}

/// The tags of `bucket` (none: empty), as `key=value` lines.
async fn bucket_tags(hub: &AccountClients, bucket: &str) -> Vec<String> {
    hub.s3(DEFAULT_REGION)
        .get_bucket_tagging()
        .bucket(bucket)
        .send()
        .await
        .map(|t| {
            t.tag_set()
                .iter()
                .map(|t| format!("{}={}", t.key(), t.value()))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enforce_hardens_the_customers_bucket_and_key_and_offboard_restores_them() {
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
    // A bucket from before S3's 2023 defaults: no public access block, ACLs enabled.
    let s3 = mgmt.s3(DEFAULT_REGION);
    s3.delete_public_access_block()
        .bucket(CT_BUCKET)
        .send()
        .await
        .expect("no public access block");
    s3.delete_bucket_ownership_controls()
        .bucket(CT_BUCKET)
        .send()
        .await
        .expect("no ownership controls");
    // The customer encrypts the bucket with a key of theirs: enforce keeps it (replacing it with
    // the tool's key would break the customer's other writers).
    let customer_key = mgmt
        .kms(DEFAULT_REGION)
        .describe_key()
        .key_id("alias/guardduty-findings")
        .send()
        .await
        .expect("the customer's key")
        .key_metadata
        .expect("metadata")
        .arn
        .expect("an ARN");
    s3.put_bucket_encryption()
        .bucket(CT_BUCKET)
        .server_side_encryption_configuration(
            ServerSideEncryptionConfiguration::builder()
                .rules(
                    ServerSideEncryptionRule::builder()
                        .apply_server_side_encryption_by_default(
                            ServerSideEncryptionByDefault::builder()
                                .sse_algorithm(ServerSideEncryption::AwsKms)
                                .kms_master_key_id(&customer_key)
                                .build()
                                .expect("encryption"),
                        )
                        .build(),
                )
                .build()
                .expect("configuration"),
        )
        .send()
        .await
        .expect("the customer's encryption");
    let before = settings(&mgmt, CT_BUCKET).await;
    assert_eq!(before[..2], ["None".to_owned(), "None".to_owned()]);
    let tags_before = bucket_tags(&mgmt, CT_BUCKET).await;
    assert!(!rotation(&mgmt, "alias/guardduty-findings").await);
    let mut cfg = config(&[DEFAULT_REGION], "");
    cfg.hardening = orchestrator::config::HardeningMode::Enforce;
    let ctx = context(aws.clone(), 4);

    // The plan shows each setting of the customer's bucket and key; nothing is an advisory.
    let planned = engine::plan(&cfg, &ctx).await.expect("plan");
    let customer = format!("arn:aws:s3:::{CT_BUCKET}#");
    assert!(
        !planned
            .changes
            .iter()
            .any(|c| c.resource == format!("{customer}default-encryption")),
        "the customer's KMS encryption is kept: {:#?}",
        planned.changes
    );
    for setting in ["public-access-block", "object-ownership", "versioning"] {
        assert!(
            planned
                .changes
                .iter()
                .any(|c| c.resource == format!("{customer}{setting}")),
            "{setting}: {:#?}",
            planned.changes
        );
    }
    assert!(
        planned
            .changes
            .iter()
            .any(|c| c.resource.ends_with("#key-rotation")),
        "{:#?}",
        planned.changes
    );
    assert!(
        !planned.warnings.iter().any(|w| w.starts_with("advisory:")),
        "{:#?}",
        planned.warnings
    );

    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures(), "{:#?}", applied.hub);
    let s = settings(&mgmt, CT_BUCKET).await.join("\n");
    for wanted in [
        "block_public_acls: Some(true)",
        "BucketOwnerEnforced",
        "AwsKms",
        "Enabled",
    ] {
        assert!(s.contains(wanted), "{wanted} missing in {s}");
    }
    let encryption = mgmt
        .s3(DEFAULT_REGION)
        .get_bucket_encryption()
        .bucket(CT_BUCKET)
        .send()
        .await
        .expect("encryption")
        .server_side_encryption_configuration
        .expect("a configuration");
    assert_eq!(
        encryption.rules()[0]
            .apply_server_side_encryption_by_default()
            .and_then(|d| d.kms_master_key_id()),
        Some(customer_key.as_str()),
        "the customer's key is kept"
    );
    assert!(rotation(&mgmt, "alias/guardduty-findings").await);
    assert!(
        policy_text(&mgmt, CT_BUCKET)
            .await
            .contains("RadiantOnboardDenyInsecureTransport")
    );
    assert!(
        bucket_tags(&mgmt, CT_BUCKET)
            .await
            .iter()
            .any(|t| t.starts_with("radiant-onboard:previous-hardening=")),
        "the previous settings are recorded"
    );

    emu.reset_counters();
    let again = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!again.has_changes(), "{:#?}", again.changes);
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));
    let verified = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify");
    assert!(!verified.has_problems(), "{:#?}", verified.checks);
    assert!(verified.advisories.is_empty(), "{:#?}", verified.advisories);

    // Offboard gives the customer's bucket and key back as they were (versioning, once on,
    // can only be suspended).
    let off = engine::offboard(&cfg, &ctx, &engine::OffboardOptions { keep_data: false })
        .await
        .expect("offboard");
    assert!(!off.has_failures(), "{:#?}", off.accounts);
    let after = settings(&mgmt, CT_BUCKET).await;
    assert_eq!(
        after[..3],
        before[..3],
        "access block, ownership, encryption"
    );
    assert_eq!(after[3], "Some(Suspended)");
    assert_eq!(before[3], "None");
    assert!(off.warnings.iter().any(|w| w.contains("suspended")));
    assert_eq!(bucket_tags(&mgmt, CT_BUCKET).await, tags_before);
    assert!(!rotation(&mgmt, "alias/guardduty-findings").await);
    assert!(
        !policy_text(&mgmt, CT_BUCKET)
            .await
            .contains("RadiantOnboard")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_and_access_logs_are_set_on_the_tools_buckets_and_undone_by_offboard() {
    const LOGS: &str = "org-s3-access-logs";
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 1,
        regions: vec![DEFAULT_REGION.to_owned()],
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let mgmt = hub(&aws);
    let mut cfg = config(&[DEFAULT_REGION], "prefix = \"radiant/findings\"");
    cfg.retention_days = Some(400);
    if let Some(ct) = cfg.cloudtrail.as_mut()
        && let orchestrator::config::TrailChoice::Create(nt) = &mut ct.trail
    {
        nt.access_logs_bucket = Some(policy_model::BucketName::new(LOGS).expect("a name"));
    }
    let ctx = context(aws.clone(), 4);
    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures(), "{:#?}", applied.hub);
    let s3 = mgmt.s3(DEFAULT_REGION);
    for (bucket, prefix) in [
        (CT_BUCKET, "AWSLogs/".to_owned()),
        (GD_BUCKET, "radiant/findings/AWSLogs/".to_owned()),
        (LOGS, format!("{CT_BUCKET}/")),
    ] {
        let rules = s3
            .get_bucket_lifecycle_configuration()
            .bucket(bucket)
            .send()
            .await
            .expect("lifecycle");
        let rule = rules
            .rules()
            .iter()
            .find(|r| r.id() == Some("radiant-onboard-retention"))
            .expect("the retention rule");
        let filter = rule
            .filter()
            .and_then(|f| f.prefix())
            .unwrap_or_default()
            .to_owned();
        assert_eq!(filter, prefix, "{bucket}");
        assert_eq!(rule.expiration().and_then(|e| e.days()), Some(400));
        assert_eq!(
            rule.noncurrent_version_expiration()
                .and_then(|e| e.noncurrent_days()),
            Some(400)
        );
    }
    // GuardDuty's prefix marker is outside the rule.
    let marker = "radiant/findings/";
    s3.head_object()
        .bucket(GD_BUCKET)
        .key(marker)
        .send()
        .await
        .expect("the prefix marker exists");
    assert!(!marker.starts_with("radiant/findings/AWSLogs/"));
    // Server access logging of the CloudTrail bucket, to a hardened bucket with SSE-S3.
    let logging = s3
        .get_bucket_logging()
        .bucket(CT_BUCKET)
        .send()
        .await
        .expect("logging");
    let enabled = logging.logging_enabled().expect("logging on");
    assert_eq!(enabled.target_bucket(), LOGS);
    assert_eq!(enabled.target_prefix(), format!("{CT_BUCKET}/"));
    let logs = settings(&mgmt, LOGS).await.join("\n");
    for wanted in [
        "block_public_acls: Some(true)",
        "BucketOwnerEnforced",
        "Aes256",
        "Enabled",
    ] {
        assert!(logs.contains(wanted), "{wanted} missing in {logs}");
    }
    let policy = policy_text(&mgmt, LOGS).await;
    assert!(
        policy.contains("RadiantOnboardServerAccessLogs")
            && policy.contains("logging.s3.amazonaws.com")
            && policy.contains("RadiantOnboardDenyInsecureTransport"),
        "{policy}"
    );

    emu.reset_counters();
    let again = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!again.has_changes(), "{:#?}", again.changes);
    assert!(writes(&emu).is_empty(), "{:#?}", writes(&emu));
    let verified = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify");
    assert!(!verified.has_problems(), "{:#?}", verified.checks);
    for name in ["bucket-retention", "bucket-access-logging"] {
        assert!(
            verified.checks.iter().any(|c| c.name == name),
            "verify checks {name}"
        );
    }
    // Someone removes the lifecycle of the CloudTrail bucket: drift.
    s3.delete_bucket_lifecycle()
        .bucket(CT_BUCKET)
        .send()
        .await
        .expect("delete lifecycle");
    let drifted = engine::verify(&cfg, &ctx, &verify_opts())
        .await
        .expect("verify");
    let bad: Vec<_> = drifted.checks.iter().filter(|c| !c.ok).collect();
    assert_eq!(bad.len(), 1, "{bad:#?}");
    assert_eq!(bad[0].name, "bucket-retention");

    let off = engine::offboard(&cfg, &ctx, &engine::OffboardOptions { keep_data: false })
        .await
        .expect("offboard");
    assert!(!off.has_failures(), "{:#?}", off.accounts);
    for bucket in [CT_BUCKET, GD_BUCKET, LOGS] {
        assert!(
            s3.head_bucket().bucket(bucket).send().await.is_err(),
            "{bucket} is deleted"
        );
    }
}

/// The product's CloudTrail bucket refuses a request made without TLS (its policy's
/// `RadiantOnboardDenyInsecureTransport`, evaluated by the emulator).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cloudtrail_bucket_refuses_plain_http() {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 1,
        regions: vec![DEFAULT_REGION.to_owned()],
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cfg = config(&[DEFAULT_REGION], "");
    let ctx = context(aws.clone(), 4);
    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures(), "{:#?}", applied.hub);
    let s3 = hub(&aws).s3(DEFAULT_REGION);
    let over_tls = s3.list_objects_v2().bucket(CT_BUCKET).send().await;
    assert!(over_tls.is_ok(), "{over_tls:?}");
    let plain = s3
        .list_objects_v2()
        .bucket(CT_BUCKET)
        .customize()
        .mutate_request(|r| {
            r.headers_mut()
                .insert("x-radiant-insecure-transport", "true");
        })
        .send()
        .await;
    let err = plain.expect_err("plain HTTP is refused");
    let code = err
        .raw_response()
        .map(|r| r.status().as_u16())
        .unwrap_or_default();
    assert_eq!(code, 403, "{err:?}");
}
