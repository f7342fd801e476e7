//! Injected throttling, 500s and dropped connections, and a run aborted half-way: running
//! again converges to the same final state as a clean run (compared resource by resource with
//! a snapshot of the clean run), after which nothing is left to change.

use std::time::Duration;

use crate::engine_support::state::{differences, snapshot};
use crate::engine_support::*;
use integration_tests::{FaultSpec, SeedSpec, emulator};
use orchestrator::engine;
use orchestrator::outcome::{AccountRole, RunOutcome};

fn assert_complete(outcome: &RunOutcome, members: usize, regions: usize) {
    assert!(
        !outcome.has_failures(),
        "{:#?}",
        outcome
            .accounts
            .iter()
            .filter(|a| a.error.is_some() || a.regions.iter().any(|r| r.error.is_some()))
            .collect::<Vec<_>>()
    );
    let m: Vec<_> = outcome
        .accounts
        .iter()
        .filter(|a| a.role == AccountRole::Member && a.skip_reason.is_none())
        .collect();
    assert_eq!(m.len(), members);
    for a in m {
        assert_eq!(a.regions.len(), regions);
        assert!(
            a.regions
                .iter()
                .all(|r| r.detector_id.is_some() && r.destination_id.is_some()),
            "{a:#?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_and_an_aborted_run_converge_on_the_next_run() {
    let emu = emulator();
    let regions = ["us-east-1", "eu-west-1"];
    let spec = SeedSpec {
        accounts: 12,
        regions: regions.iter().map(|r| r.to_string()).collect(),
        existing_detectors: 2,
        seed: 11,
        ..SeedSpec::default()
    };
    let cfg = config(&regions, "");

    // The reference: the same organization onboarded by one clean run.
    let seeded = emu.seed(&spec);
    let mut accounts = seeded.active_account_ids();
    accounts.push(integration_tests::MANAGEMENT_ACCOUNT_ID.to_owned());
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let ctx = context(aws.clone(), 8);
    let clean = engine::apply(&cfg, &ctx).await.expect("clean run");
    assert_complete(&clean, 12, regions.len());
    let reference = snapshot(&aws, &accounts, &regions).await;

    // The same organization again (same seed, same ids), this time the hard way.
    emu.reset();
    assert_eq!(
        emu.seed(&spec).active_account_ids(),
        seeded.active_account_ids()
    );
    enable_trusted_access(&aws).await;

    // A run aborted half-way (the future is dropped mid-flight).
    let aborted =
        tokio::time::timeout(Duration::from_millis(1500), engine::apply(&cfg, &ctx)).await;
    assert!(
        aborted.is_err() || aborted.is_ok_and(|r| r.is_ok()),
        "the run either stopped or finished"
    );

    // Faults everywhere: throttling, 500s, dropped connections. Failures are recorded per
    // account, never abort the others.
    emu.set_faults(&FaultSpec {
        throttle_rps: Some(20.0),
        throttle_burst: 5,
        error_rate: 0.05,
        drop_rate: 0.03,
        seed: 7,
        ..FaultSpec::default()
    });
    let faulty = engine::apply(&cfg, &ctx).await;
    if let Ok(outcome) = &faulty {
        assert_eq!(outcome.accounts.len(), 13, "every account is reported");
        assert!(outcome.retries > 0, "the injected faults were retried");
    }

    // Clean re-run: complete, and nothing left to do afterwards.
    emu.set_faults(&FaultSpec::default());
    let rerun = engine::apply(&cfg, &ctx).await.expect("re-run");
    assert_complete(&rerun, 12, regions.len());
    emu.reset_counters();
    let plan = engine::plan(&cfg, &ctx).await.expect("plan");
    assert!(!plan.has_changes(), "{:#?}", plan.changes);
    assert_eq!(writes(&emu), Default::default());

    let converged = snapshot(&aws, &accounts, &regions).await;
    let diff = differences(&reference, &converged);
    assert!(diff.is_empty(), "differs from the clean run: {diff:#?}");
}
