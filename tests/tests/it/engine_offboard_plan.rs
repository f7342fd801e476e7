//! `plan --offboard`: exactly what `offboard` will delete or change, with no write call.

use std::collections::BTreeSet;

use crate::engine_support::state::snapshot;
use crate::engine_support::*;
use integration_tests::{SeedSpec, emulator};
use orchestrator::engine::{self, OffboardOptions};
use orchestrator::outcome::{AccountStatus, ChangeAction, RunMode, RunOutcome};

fn change_set(o: &RunOutcome) -> BTreeSet<(String, String)> {
    o.changes
        .iter()
        .map(|c| (c.resource.clone(), format!("{:?}", c.action)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offboard_plan_writes_nothing_and_lists_exactly_what_offboard_then_does() {
    let emu = emulator();
    let regions = ["us-east-1"];
    let seed = emu.seed(&SeedSpec {
        accounts: 3,
        regions: regions.iter().map(|r| r.to_string()).collect(),
        // One adopted detector: offboard restores its settings instead of deleting it.
        existing_detectors: 1,
        // The findings bucket is the customer's: offboard strips our statements, keeps it.
        hub_customer_buckets: vec![GD_BUCKET.into()],
        ..SeedSpec::default()
    });
    let aws = factory(&emu).await;
    enable_trusted_access(&aws).await;
    let cfg = config(&regions, "");
    let ctx = context(aws.clone(), 4);
    let mut accounts = seed.active_account_ids();
    accounts.push(integration_tests::MANAGEMENT_ACCOUNT_ID.to_owned());
    let applied = engine::apply(&cfg, &ctx).await.expect("apply");
    assert!(!applied.has_failures());
    let onboarded = snapshot(&aws, &accounts, &regions).await;

    emu.reset_counters();
    let opts = OffboardOptions { keep_data: false };
    let plan = engine::plan_offboard(&cfg, &ctx, &opts)
        .await
        .expect("plan --offboard");
    assert_eq!(
        writes(&emu),
        Default::default(),
        "plan --offboard must not write"
    );
    assert_eq!(snapshot(&aws, &accounts, &regions).await, onboarded);
    assert_eq!(plan.mode, RunMode::OffboardPlan);
    assert!(!plan.has_failures(), "{:#?}", plan.accounts);
    let members = plan
        .accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Planned)
        .count();
    assert_eq!(
        members, 4,
        "every covered account has something to offboard"
    );
    let has = |action: ChangeAction, needle: &str| {
        plan.changes
            .iter()
            .any(|c| c.action == action && c.resource.contains(needle))
    };
    assert!(has(
        ChangeAction::Delete,
        &format!(":role/{}", cfg.radiant.role_name)
    ));
    assert!(has(
        ChangeAction::Delete,
        &format!(":role/{}", cfg.radiant.member_role_name)
    ));
    assert!(
        has(ChangeAction::Delete, ":detector/"),
        "our detectors are deleted"
    );
    assert!(
        has(ChangeAction::Update, ":detector/"),
        "the adopted detector gets its settings back"
    );
    assert!(has(ChangeAction::Update, &format!("{GD_BUCKET}#policy")));
    let bucket_deleted = |name: &str| {
        plan.changes.iter().any(|c| {
            c.action == ChangeAction::Delete && c.resource == format!("arn:aws:s3:::{name}")
        })
    };
    assert!(bucket_deleted(CT_BUCKET), "the product's own bucket goes");
    assert!(!bucket_deleted(GD_BUCKET), "the customer's bucket stays");

    let done = engine::offboard(&cfg, &ctx, &opts).await.expect("offboard");
    assert!(!done.has_failures(), "{:#?}", done.accounts);
    assert_eq!(
        change_set(&done),
        change_set(&plan),
        "offboard did what the plan said"
    );

    let again = engine::plan_offboard(&cfg, &ctx, &opts)
        .await
        .expect("plan --offboard");
    assert!(!again.has_changes(), "{:#?}", again.changes);
}
