//! Waiting for eventual consistency by deadline: with the emulator's propagation delay on (a
//! policy reaches GuardDuty's destination check, a fresh role becomes a valid principal, only
//! seconds after it was written), apply converges in one run; a deadline shorter than the delay
//! fails the affected accounts with AWS's error, and the next run finishes them.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::engine_support::*;
use integration_tests::{SeedSpec, emulator};
use orchestrator::engine::{self, RunContext};
use orchestrator::outcome::AccountStatus;
use orchestrator::progress::Progress;

/// A progress that keeps what the engine said it waits for.
#[derive(Default)]
struct Waits(Mutex<Vec<String>>);

impl Progress for Waits {
    fn phase(&self, _name: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
    fn retried(&self) {}
    fn throttled(&self) {}
    fn finish(&self) {}
    fn waiting(&self, what: &str, _waited: Duration) {
        if let Ok(mut w) = self.0.lock() {
            w.push(what.to_owned());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_converges_under_ten_seconds_of_propagation_delay() {
    let emu = emulator();
    let regions = ["us-east-1"];
    emu.seed(&SeedSpec {
        accounts: 3,
        regions: regions.iter().map(|r| r.to_string()).collect(),
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    emu.set_propagation(10.0, 10.0);
    let cfg = config(&regions, "");
    let waits = Arc::new(Waits::default());
    let ctx = RunContext {
        aws,
        progress: waits.clone(),
        concurrency: 4,
        only: None,
        sink: None,
    };

    let out = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(
        !out.has_failures(),
        "failures: {:#?}",
        out.accounts
            .iter()
            .filter(|a| a.status == AccountStatus::Failed
                || a.regions.iter().any(|r| r.error.is_some()))
            .collect::<Vec<_>>()
    );
    assert!(
        out.accounts
            .iter()
            .filter(|a| a.status != AccountStatus::Skipped)
            .all(|a| a.regions.iter().all(|r| r.destination_id.is_some()))
    );
    let seen = waits.0.lock().map(|w| w.clone()).unwrap_or_default();
    assert!(
        seen.iter()
            .any(|w| w.contains("policies to reach GuardDuty")),
        "the progress display names what is awaited: {seen:?}"
    );
    assert!(
        seen.iter()
            .any(|w| w.contains("principals of the key policy")),
        "the fresh hub role was awaited as a principal of the CloudTrail key policy: {seen:?}"
    );

    // Converged: nothing left to do.
    emu.set_propagation(0.0, 0.0);
    let again = engine::plan(&cfg, &ctx).await.expect("plan");
    assert!(!again.has_changes(), "{:#?}", again.changes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_shorter_than_the_delay_fails_the_destinations_and_a_rerun_finishes_them() {
    let emu = emulator();
    let regions = ["us-east-1"];
    emu.seed(&SeedSpec {
        accounts: 2,
        regions: regions.iter().map(|r| r.to_string()).collect(),
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    emu.set_propagation(8.0, 0.0);
    let short = config(&regions, "[run]\nconsistency_timeout_s = 2");
    let ctx = context(aws, 4);

    let first = engine::apply(&short, &ctx).await.expect("apply");
    let failed: Vec<_> = first
        .accounts
        .iter()
        .flat_map(|a| a.regions.iter())
        .filter_map(|r| r.error.as_ref())
        .collect();
    assert!(
        !failed.is_empty(),
        "the 2 s deadline is shorter than the 8 s delay"
    );
    assert!(
        failed
            .iter()
            .all(|e| e.operation == "guardduty:CreatePublishingDestination"
                && e.code == "BadRequestException"),
        "{failed:#?}"
    );

    // The policies become visible (the delay is switched off rather than slept through); the
    // same configuration's next run finishes the destinations.
    emu.set_propagation(0.0, 0.0);
    let second = engine::apply(&short, &ctx).await.expect("apply");
    assert!(!second.has_failures(), "{:#?}", second.accounts);
}
