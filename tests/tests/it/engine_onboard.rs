//! Onboarding from scratch, the zero-write re-run, the per-account call budget, suspended
//! accounts and adopted detectors, against the emulator.

use crate::engine_support::*;
use integration_tests::{SeedSpec, emulator};
use orchestrator::engine;
use orchestrator::outcome::{AccountRole, AccountStatus};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifty_account_two_region_org_from_scratch_then_a_rerun_writes_nothing() {
    let emu = emulator();
    let regions = ["us-east-1", "eu-west-1"];
    let seed = emu.seed(&SeedSpec {
        accounts: 50,
        ous: 3,
        regions: regions.iter().map(|r| r.to_string()).collect(),
        suspended: 2,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cfg = config(&regions, "");
    let ctx = context(aws.clone(), 16);

    // Plan from scratch: every change announced, no write call.
    emu.reset_counters();
    let planned = engine::plan(&cfg, &ctx).await.expect("plan");
    assert_eq!(writes(&emu), Default::default(), "plan must not write");
    assert!(!planned.has_failures());
    assert_eq!(
        planned
            .accounts
            .iter()
            .filter(|a| a.status == AccountStatus::Planned)
            .count(),
        49
    );

    emu.reset_counters();
    let first = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(
        !first.has_failures(),
        "failures: {:#?}",
        first
            .accounts
            .iter()
            .filter(|a| a.status == AccountStatus::Failed)
            .collect::<Vec<_>>()
    );
    let members: Vec<_> = first
        .accounts
        .iter()
        .filter(|a| a.role == AccountRole::Member && a.status == AccountStatus::Onboarded)
        .collect();
    assert_eq!(members.len(), 48, "48 active members are onboarded");
    let skipped: Vec<_> = first
        .accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Skipped)
        .collect();
    assert_eq!(skipped.len(), 2);
    assert!(skipped.iter().all(|a| {
        a.skip_reason
            .as_deref()
            .unwrap_or_default()
            .contains("SUSPENDED")
    }));

    // Call budget of a member account with nothing in place: 4 + 4 x Regions, the AssumeRole
    // being made by the hub.
    let budget = 4 + 4 * regions.len() as u64;
    for m in &members {
        let (reads, writes) = calls_of(&emu, &m.id);
        assert!(
            1 + reads + writes <= budget,
            "account {} made {} calls",
            m.id,
            1 + reads + writes
        );
        assert_eq!(
            writes,
            2 + 2 * regions.len() as u64,
            "account {}: role, policy, detector and destination per Region",
            m.id
        );
    }
    // Every detector exports to the hub bucket.
    for m in &members {
        assert_eq!(m.regions.len(), 2);
        for r in &m.regions {
            assert!(
                r.detector_id.is_some() && r.destination_id.is_some(),
                "{} {}: {r:?}",
                m.id,
                r.region
            );
        }
    }
    assert_eq!(seed.management_account_id, first.hub_account_id);

    // The same again: zero writes, reads only.
    emu.reset_counters();
    let second = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert!(!second.has_failures());
    assert_eq!(writes(&emu), Default::default(), "a re-run writes nothing");
    assert!(
        !second.has_changes(),
        "changes on re-run: {:#?}",
        second.changes
    );
    assert!(
        second
            .accounts
            .iter()
            .all(|a| matches!(a.status, AccountStatus::Unchanged | AccountStatus::Skipped))
    );
}
