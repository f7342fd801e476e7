//! Discovery against the emulator: the listing runs alongside the hub step, so what a failure
//! leaves behind depends on when it happens. Before anything is written (the first page of each
//! listing is read in preflight) it is a preflight failure with zero writes; after, the run stops
//! before any member account is touched. The OU walk filters accounts with `include_ous`, and
//! otherwise only names each account's OU (a failure there is a warning, not a stop).

use crate::engine_support::*;
use integration_tests::{EmulatorGuard, MANAGEMENT_ACCOUNT_ID, SeedInfo, SeedSpec, emulator};
use orchestrator::engine::{self, EngineError};
use orchestrator::outcome::AccountStatus;

/// Calls counted for member accounts (every account but the management one).
fn member_calls(emu: &EmulatorGuard, seeded: &SeedInfo) -> u64 {
    seeded
        .accounts
        .iter()
        .map(|a| {
            let (reads, writes) = calls_of(emu, &a.id);
            reads + writes
        })
        .sum()
}

async fn seeded_org(emu: &EmulatorGuard, accounts: usize, ous: usize) -> SeedInfo {
    let seeded = emu.seed(&SeedSpec {
        accounts,
        ous,
        ..SeedSpec::default()
    });
    let aws = factory(emu).await;
    enable_trusted_access(&aws).await;
    seeded
}

#[tokio::test]
async fn listing_refused_from_the_first_page_stops_in_preflight_with_nothing_written() {
    let emu = emulator();
    seeded_org(&emu, 3, 0).await;
    let aws = factory(&emu).await;
    for (operation, after) in [("ListAccounts", 0), ("ListRoots", 0)] {
        emu.reset_counters();
        emu.deny("organizations", operation, after);
        let err = engine::apply(&config(&["us-east-1"], ""), &context(aws.clone(), 4))
            .await
            .expect_err("the listing is refused");
        assert!(matches!(err, EngineError::Preflight { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains(&format!("organizations:{operation}")),
            "{err}"
        );
        assert_eq!(writes(&emu), Default::default(), "{operation}");
        // The next iteration denies another operation on a clean slate.
        emu.reset();
        seeded_org(&emu, 3, 0).await;
    }
}

#[tokio::test]
async fn listing_refused_after_the_first_page_stops_before_any_member_account() {
    let emu = emulator();
    // More accounts than one ListAccounts page holds.
    let seeded = seeded_org(&emu, 150, 0).await;
    let aws = factory(&emu).await;
    emu.reset_counters();
    emu.deny("organizations", "ListAccounts", 1);
    let err = engine::apply(&config(&["us-east-1"], ""), &context(aws, 8))
        .await
        .expect_err("the second page is refused");
    let EngineError::Discovery {
        operation, kind, ..
    } = &err
    else {
        panic!("expected a discovery failure, got {err:?}");
    };
    assert_eq!(operation, "organizations:ListAccounts");
    assert_eq!(*kind, orchestrator::outcome::ErrorKind::AccessDenied);
    assert_eq!(member_calls(&emu, &seeded), 0, "no member account touched");
    // The hub step ran alongside the listing and finished what it started.
    let (_, hub_writes) = calls_of(&emu, MANAGEMENT_ACCOUNT_ID);
    assert!(hub_writes > 0);
}

#[tokio::test]
async fn include_ous_onboards_only_the_accounts_below_them() {
    let emu = emulator();
    let seeded = seeded_org(&emu, 6, 3).await;
    let aws = factory(&emu).await;
    let chosen = &seeded.ous[1].id;
    let mut cfg = config(&["us-east-1"], "");
    cfg.organization.include_ous = vec![chosen.clone()];
    emu.reset_counters();
    let outcome = engine::apply(&cfg, &context(aws, 4)).await.expect("apply");
    for a in &seeded.accounts {
        let result = outcome.accounts.iter().find(|r| r.id == a.id);
        if &a.ou_id == chosen {
            let result = result.expect("every account below the OU is reported");
            assert_eq!(result.ou.as_deref(), Some(a.ou_id.as_str()), "{}", a.id);
            assert_eq!(result.status, AccountStatus::Onboarded, "{result:#?}");
        } else {
            // Issue #22: only the included OUs are listed, so an account outside them is
            // neither read nor reported, and never touched.
            assert!(result.is_none(), "{result:#?}");
            assert_eq!(calls_of(&emu, &a.id), (0, 0), "{} untouched", a.id);
        }
    }
    let by_op = emu.counters().by_operation();
    assert_eq!(by_op.get("organizations:ListAccounts"), None, "{by_op:#?}");
    assert!(by_op.contains_key("organizations:ListAccountsForParent"));
}

#[tokio::test]
async fn the_ou_walk_names_each_account_and_its_failure_is_only_a_warning() {
    let emu = emulator();
    let seeded = seeded_org(&emu, 4, 2).await;
    let aws = factory(&emu).await;
    let cfg = config(&["us-east-1"], "");

    // Without `include_ous` the walk runs alongside fan-out 1 and fills in every OU.
    let outcome = engine::apply(&cfg, &context(aws.clone(), 4))
        .await
        .expect("apply");
    for a in &seeded.accounts {
        let result = outcome.accounts.iter().find(|r| r.id == a.id).unwrap();
        assert_eq!(result.ou.as_deref(), Some(a.ou_id.as_str()));
    }
    assert!(outcome.warnings.iter().all(|w| !w.contains("OU")));

    // A walk that is refused leaves the OUs unknown and the run complete.
    emu.deny("organizations", "ListOrganizationalUnitsForParent", 0);
    let outcome = engine::plan(&cfg, &context(aws, 4)).await.expect("plan");
    assert!(!outcome.has_changes(), "{:#?}", outcome.changes);
    assert!(
        outcome
            .warnings
            .iter()
            .any(|w| w.contains("OU") && w.contains("ListOrganizationalUnitsForParent")),
        "{:?}",
        outcome.warnings
    );
    assert!(outcome.accounts.iter().all(|a| a.ou.is_none()));
    assert!(
        outcome
            .accounts
            .iter()
            .all(|a| a.status != AccountStatus::Failed)
    );
}

#[tokio::test]
async fn a_refused_walk_stops_the_run_when_include_ous_needs_it() {
    let emu = emulator();
    let seeded = seeded_org(&emu, 4, 2).await;
    let aws = factory(&emu).await;
    let mut cfg = config(&["us-east-1"], "");
    cfg.organization.include_ous = vec![seeded.ous[0].id.clone()];
    emu.reset_counters();
    emu.deny("organizations", "ListAccountsForParent", 0);
    let err = engine::apply(&cfg, &context(aws, 4))
        .await
        .expect_err("the OU filter cannot be applied");
    assert!(
        matches!(&err, EngineError::Discovery { operation, .. } if operation == "organizations:ListAccountsForParent"),
        "{err:?}"
    );
    assert_eq!(member_calls(&emu, &seeded), 0, "no member account touched");
}
