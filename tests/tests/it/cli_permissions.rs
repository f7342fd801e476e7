//! The tool's permission list is derived from the calls it makes: every (service, operation)
//! that the emulator saw during plan, apply, accounts and policies maps to an action in
//! `orchestrator::permissions::OPERATIONS`.

use std::collections::BTreeSet;

use crate::cli_support::{TempDir, enable_trusted_access, run, write_config};
use integration_tests::{SeedSpec, emulator};
use orchestrator::permissions::{self, Scope};

#[test]
fn every_call_of_plan_apply_accounts_policies_is_covered_by_the_permissions_list() {
    let emu = emulator();
    let seed = emu.seed(&SeedSpec {
        accounts: 3,
        ous: 1,
        regions: vec!["us-east-1".to_owned(), "eu-west-1".to_owned()],
        existing_detectors: 1,
        seed: 21,
        ..SeedSpec::default()
    });
    enable_trusted_access(&emu);
    let dir = TempDir::new("perms");
    let config = write_config(dir.path(), "");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "regions = [\"us-east-1\"]",
        "regions = [\"us-east-1\", \"eu-west-1\"]",
    );
    std::fs::write(&config, text).unwrap();
    let c = config.to_str().unwrap();
    emu.reset_counters();
    for args in [
        &["plan", "-c", c][..],
        &[
            "policies",
            "-c",
            c,
            "--out",
            dir.path().join("p").to_str().unwrap(),
        ],
        &["apply", "--yes", "-c", c],
        &["accounts", "-c", c],
    ] {
        let r = run(&emu, args);
        assert_eq!(r.code, 0, "{args:?}: {r:?}");
    }
    let counters = emu.counters();
    let mut missing = BTreeSet::new();
    let mut seen = BTreeSet::new();
    for call in &counters.calls {
        // The emulator names GuardDuty's REST tagging route by its path
        // (`POST /tags/ARN`); that route is the TagResource operation.
        let operation = if call.service == "guardduty" && call.operation.starts_with("POST /tags/")
        {
            "TagResource".to_owned()
        } else {
            call.operation.clone()
        };
        seen.insert((call.service.clone(), operation.clone()));
        let Some(op) = permissions::OPERATIONS
            .iter()
            .find(|o| o.service == call.service && o.operation == operation)
        else {
            missing.insert(format!("{}:{}", call.service, operation));
            continue;
        };
        // Calls made inside member accounts must be allowed for the access role.
        let member = seed.accounts.iter().any(|a| a.id == call.account);
        if member {
            assert!(
                matches!(op.scope, Scope::Member | Scope::Both),
                "{}:{} runs in member account {} but is listed as caller-only",
                call.service,
                call.operation,
                call.account
            );
        }
    }
    assert!(
        missing.is_empty(),
        "calls without a permission entry: {missing:?}"
    );
    assert!(seen.len() > 10, "too few operations seen: {seen:?}");
}
