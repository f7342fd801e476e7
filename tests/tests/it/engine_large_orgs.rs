//! Organizations at its real limits (issue #22): `ListAccounts` pages of 20 (the emulator
//! refuses more), a caller throttled at a few requests per second, and the calls that do not
//! grow with the number of accounts; `include_ous` lists only those OUs.

#![expect(
    clippy::expect_used,
    reason = "test: a failed set-up must fail the test loudly"
)]

use std::collections::BTreeMap;

use crate::engine_support::*;
use integration_tests::{FaultSpec, SeedSpec, emulator};
use orchestrator::engine;

/// The Organizations calls of a plan of an organization of `accounts` members in 10 OUs.
async fn organizations_calls_of_a_plan(accounts: usize) -> BTreeMap<String, u64> {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts,
        ous: 10,
        seed: 41,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cfg = config(&["us-east-1"], "");
    emu.reset_counters();
    let planned = engine::plan(&cfg, &context(aws, 32)).await.expect("plan");
    assert!(!planned.has_failures());
    assert_eq!(planned.accounts.len(), accounts + 1);
    emu.counters()
        .by_operation()
        .into_iter()
        .filter(|(op, _)| op.starts_with("organizations:"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_listing_grows_with_the_accounts_in_pages_of_twenty() {
    let mut small = organizations_calls_of_a_plan(100).await;
    let mut large = organizations_calls_of_a_plan(1000).await;
    // 101 and 1,001 accounts (the management account too), 20 a page.
    assert_eq!(small.remove("organizations:ListAccounts"), Some(6));
    assert_eq!(large.remove("organizations:ListAccounts"), Some(51));
    // Every other call (the OU walk included: the same 10 OUs) is the same.
    small.remove("organizations:ListAccountsForParent");
    large.remove("organizations:ListAccountsForParent");
    assert_eq!(small, large);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_account_run_finishes_with_organizations_throttled_at_two_per_second() {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 500,
        ous: 5,
        seed: 42,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let mut faults = FaultSpec::default();
    faults.service_rps.insert("organizations".to_owned(), 2.0);
    faults.service_burst.insert("organizations".to_owned(), 2);
    emu.set_faults(&faults);
    let cfg = config(&["us-east-1"], "");
    let applied = engine::apply(&cfg, &context(aws, 32)).await.expect("apply");
    assert!(!applied.has_failures(), "{:#?}", applied.hub);
    assert_eq!(applied.accounts.len(), 501);
    let throttled: u64 = emu
        .counters()
        .calls
        .iter()
        .filter(|c| c.service == "organizations")
        .map(|c| c.faulted)
        .sum();
    assert!(throttled > 0, "Organizations was never throttled");
    assert!(applied.throttles > 0, "the run saw no throttling answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_ous_lists_only_those_ous_accounts() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 60,
        ous: 4,
        seed: 43,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let ou = seeded.ous[0].id.clone();
    let mut cfg = config(&["us-east-1"], "");
    cfg.organization.include_ous = vec![ou.clone()];
    emu.reset_counters();
    let planned = engine::plan(&cfg, &context(aws, 16)).await.expect("plan");
    assert!(!planned.has_failures());
    let calls = emu.counters().by_operation();
    assert!(
        !calls.contains_key("organizations:ListAccounts"),
        "{calls:#?}"
    );
    assert!(calls.contains_key("organizations:ListAccountsForParent"));
    let in_ou: Vec<&str> = seeded
        .accounts
        .iter()
        .filter(|a| a.ou_id == ou)
        .map(|a| a.id.as_str())
        .collect();
    let covered: Vec<&str> = planned
        .accounts
        .iter()
        .filter(|a| a.skip_reason.is_none())
        .map(|a| a.id.as_str())
        .collect();
    // The OU's accounts and the hub (the management account, outside it), nothing else.
    assert_eq!(covered.len(), in_ou.len() + 1, "{covered:?}");
    assert!(in_ou.iter().all(|a| covered.contains(a)));
    assert!(covered.contains(&integration_tests::MANAGEMENT_ACCOUNT_ID));
}

/// One `sts:AssumeRole` per member account per run, its credentials used in every Region of
/// that account (3 here): the count does not grow with the Regions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_assume_role_per_account_whatever_the_regions() {
    let regions = ["us-east-1", "us-west-2", "eu-west-1"];
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 12,
        ous: 2,
        regions: regions.iter().map(|r| (*r).to_owned()).collect(),
        seed: 44,
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cfg = config(&regions, "");
    emu.reset_counters();
    let applied = engine::apply(&cfg, &context(aws, 8)).await.expect("apply");
    assert!(!applied.has_failures(), "{:#?}", applied.hub);
    let members = seeded.active_account_ids();
    let counters = emu.counters();
    let assumed = counters.by_operation().get("sts:AssumeRole").copied();
    assert_eq!(
        assumed,
        Some(members.len() as u64),
        "{:#?}",
        counters.by_operation()
    );
    // And each member account did work in every Region with those credentials.
    for m in &members {
        let in_account: u64 = counters
            .calls
            .iter()
            .filter(|c| &c.account == m && c.service == "guardduty")
            .map(|c| c.count)
            .sum();
        assert!(in_account >= regions.len() as u64, "{m}: {in_account}");
    }
}
