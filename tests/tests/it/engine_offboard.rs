//! Verify after onboarding, then offboard: the organization is back to its exact
//! pre-onboarding state (compared with a snapshot taken with the SDK), adopted detectors
//! included: they keep existing and get their previous settings back.

use crate::engine_support::state::{differences, snapshot};
use crate::engine_support::*;
use integration_tests::{SeedSpec, emulator};
use orchestrator::aws::{AwsOptions, SdkFactory};
use orchestrator::engine::{self, OffboardOptions, VerifyOptions};

#[expect(
    clippy::unwrap_used,
    reason = "test helper: a missing detector must fail the test"
)]
async fn detector_of(aws: &SdkFactory, account: &str, region: &str) -> String {
    member(aws, account)
        .await
        .guardduty(region)
        .list_detectors()
        .send()
        .await
        .unwrap()
        .detector_ids()
        .first()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_passes_after_apply_and_offboard_restores_the_exact_previous_state() {
    let emu = emulator();
    let regions = ["us-east-1", "eu-west-1"];
    let seed = emu.seed(&SeedSpec {
        accounts: 6,
        regions: regions.iter().map(|r| r.to_string()).collect(),
        // Adopted detectors (ONE_HOUR, S3 protection off) must get their settings back.
        existing_detectors: 3,
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

    // Radiant's side of the hand-off, in the emulator: Radiant's principal assumes the hub role
    // with the external ID (never without it, never with another), then a member role from there.
    let (key, secret) = emu.credentials_for(&cfg.radiant.principal_arn.to_string());
    let radiant = SdkFactory::load_with_static_credentials(
        &AwsOptions {
            endpoint_url: Some(emu.endpoint().to_owned()),
            profile: None,
            region: Some(integration_tests::DEFAULT_REGION.to_owned()),
        },
        &key,
        &secret,
    )
    .await
    .expect("Radiant's credentials");
    let mgmt = integration_tests::MANAGEMENT_ACCOUNT_ID;
    let from = radiant.caller("649384204969");
    let hub_role = format!("arn:aws:iam::{mgmt}:role/{}", cfg.radiant.role_name);
    for wrong in [None, Some("not-the-external-id")] {
        let refused = radiant
            .assume_role(&from, "us-east-1", mgmt, &hub_role, wrong)
            .await;
        assert!(refused.is_err(), "assumed the hub role with {wrong:?}");
    }
    let as_hub_role = radiant
        .assume_role(&from, "us-east-1", mgmt, &hub_role, Some(EXTERNAL_ID))
        .await
        .expect("Radiant assumes the hub role with the external ID");
    let first = &seed.active_account_ids()[0];
    let member_role = format!("arn:aws:iam::{first}:role/{}", cfg.radiant.member_role_name);
    radiant
        .assume_role(
            &as_hub_role,
            "us-east-1",
            first,
            &member_role,
            Some(EXTERNAL_ID),
        )
        .await
        .expect("the hub role assumes a member role with the external ID");

    // An account that is no longer covered shows up as an orphan of every shared policy that
    // still names it: its detectors (bucket and key policies) and its member role (hub role).
    let gone = seed.active_account_ids()[0].clone();
    let mut narrower = cfg.clone();
    narrower
        .organization
        .exclude_accounts
        .push(gone.parse().expect("an account ID"));
    let narrowed = engine::verify(
        &narrower,
        &ctx,
        &VerifyOptions {
            sample_findings: false,
            wait: std::time::Duration::ZERO,
        },
    )
    .await
    .expect("verify");
    let orphans = &narrowed.orphans;
    assert!(orphans.iter().all(|o| o.contains(&gone)), "{orphans:#?}");
    for region in regions {
        assert!(
            orphans.contains(&format!(
                "arn:aws:guardduty:{region}:{gone}:detector/{}",
                detector_of(&aws, &gone, region).await
            )),
            "{orphans:#?}"
        );
    }
    assert!(
        orphans.contains(&format!(
            "arn:aws:iam::{gone}:role/{}",
            cfg.radiant.member_role_name
        )),
        "{orphans:#?}"
    );
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
    let diff = differences(&before, &after);
    assert!(diff.is_empty(), "differs from before onboarding: {diff:#?}");
}
