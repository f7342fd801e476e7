//! A hub step that fails stops the run before any member account is touched, names the failed
//! operation and resource, lets the hub's other (concurrent) parts finish what they started, and
//! is finished by running again.

use crate::engine_support::*;
use integration_tests::{SeedSpec, emulator};
use orchestrator::engine::{self, EngineError};
use orchestrator::outcome::{AccountStatus, ErrorKind};

#[tokio::test]
async fn a_refused_hub_call_stops_before_the_accounts_and_a_second_run_finishes() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 3,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cfg = config(&["us-east-1"], "");

    // Both keys (CloudTrail's and the findings') are refused; the CloudTrail part comes first
    // in the report order (hub role, CloudTrail, GuardDuty), whatever finished first.
    emu.reset_counters();
    emu.deny("kms", "CreateKey", 0);
    let err = engine::apply(&cfg, &context(aws.clone(), 4))
        .await
        .expect_err("the keys cannot be created");
    let EngineError::Hub {
        operation,
        resource,
        kind,
        message,
    } = &err
    else {
        panic!("expected a hub failure, got {err:?}");
    };
    assert_eq!(operation, "kms:CreateKey");
    assert!(
        resource.contains("alias/cloudtrail-log-encryption"),
        "{resource}"
    );
    assert_eq!(*kind, ErrorKind::AccessDenied);
    assert!(message.contains("radiant-onboard permissions"), "{message}");
    for a in &seeded.accounts {
        assert_eq!(calls_of(&emu, &a.id), (0, 0), "{} was touched", a.id);
    }
    // The parts that did not need a key ran to their end: the hub role and the CloudTrail
    // bucket policy are in place.
    let hub = hub(&aws);
    hub.iam("us-east-1")
        .get_role()
        .role_name(&cfg.radiant.role_name)
        .send()
        .await
        .expect("the hub role was created");
    let policy = bucket_policy(&aws, CT_BUCKET).await;
    assert!(
        policy
            .statement(policy_model::builders::sid::CLOUDTRAIL_WRITE)
            .is_some(),
        "{policy:?}"
    );

    // Permission granted: the next run finishes the job, and nothing is left to do.
    emu.allow_all();
    let outcome = engine::apply(&cfg, &context(aws.clone(), 4))
        .await
        .expect("second run");
    assert!(
        outcome
            .accounts
            .iter()
            .all(|a| a.status == AccountStatus::Onboarded),
        "{:#?}",
        outcome.accounts
    );
    let plan = engine::plan(&cfg, &context(aws, 4)).await.expect("plan");
    assert!(!plan.has_changes(), "{:#?}", plan.changes);
}
