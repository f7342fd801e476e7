//! 300 accounts: the explicit AssumeRole list overflows one managed policy, the planner picks a
//! form that fits, and every written document is within its limit.

use crate::engine_support::*;
use integration_tests::{SeedSpec, emulator};
use orchestrator::engine;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_accounts_apply_within_every_limit() {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 300,
        ous: 4,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cfg = config(&["us-east-1"], "");
    let ctx = context(aws.clone(), 32);

    let outcome = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(
        !outcome.has_failures(),
        "{:#?}",
        outcome
            .accounts
            .iter()
            .filter(|a| a.error.is_some())
            .take(3)
            .collect::<Vec<_>>()
    );
    assert_eq!(
        outcome
            .accounts
            .iter()
            .filter(|a| a.regions.iter().any(|r| r.destination_id.is_some()))
            .count(),
        301
    );
    for d in &outcome.size_decisions {
        assert!(d.size <= d.limit, "{d:#?}");
    }
    let role = outcome
        .size_decisions
        .iter()
        .find(|d| d.document.ends_with("#managed-policies"))
        .expect("hub role decision");
    assert_ne!(
        role.form, "explicit-list",
        "300 role ARNs do not fit one managed policy: {role:#?}"
    );
    // The emulator enforces the same limits: nothing was rejected, and the hub role holds the
    // planned policies.
    let attached = hub(&aws)
        .iam("us-east-1")
        .list_attached_role_policies()
        .role_name("radiant-aws-access-role")
        .send()
        .await
        .unwrap();
    assert!(!attached.attached_policies().is_empty());
}
