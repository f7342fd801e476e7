//! Output that stays readable at scale (issue #22 item 5): at 1,000 accounts the human plan
//! groups the changes that differ only by their account (the first shown in full, then a count
//! and the first accounts), `--verbose` lists every one, and the JSON stays complete.

use integration_tests::{SeedSpec, emulator};

use crate::cli_support::{TempDir, enable_trusted_access, run, write_config};

/// The bound this test states for the human plan of 1,000 accounts in one Region.
const MAX_PLAN_LINES: usize = 250;

#[test]
fn a_plan_of_1000_accounts_stays_short_and_its_json_complete() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 1000,
        ous: 10,
        seed: 45,
        ..SeedSpec::default()
    });
    enable_trusted_access(&emu);
    let dir = TempDir::new("grouped-plan");
    let config = write_config(dir.path(), "");
    let c = config.to_str().unwrap();
    let members = seeded.active_account_ids();

    let human = run(&emu, &["plan", "-c", c]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    let lines = human.stdout.lines().count();
    assert!(lines <= MAX_PLAN_LINES, "{lines} lines:\n{}", human.stdout);
    // One member role in full, then the count of the others.
    let grouped = human
        .stdout
        .lines()
        .find(|l| l.contains("... and the same create in"))
        .unwrap_or_else(|| panic!("no grouped line:\n{}", human.stdout));
    assert!(grouped.contains("more accounts: "), "{grouped}");
    assert!(grouped.contains("`--verbose` lists each"), "{grouped}");
    assert!(
        human
            .stdout
            .contains(&format!("{} accounts:", members.len() + 1))
    );

    // The JSON names every member's role.
    let json = run(&emu, &["plan", "-c", c, "--output", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let changes = value["changes"].as_array().unwrap();
    for m in &members {
        let role = format!("arn:aws:iam::{m}:role/radiant-aws-member-role");
        assert!(
            changes.iter().any(|ch| ch["resource"] == role.as_str()),
            "{role} missing from the JSON plan"
        );
    }

    // --verbose lists each account's change.
    let verbose = run(&emu, &["plan", "-c", c, "--verbose"]);
    assert_eq!(verbose.code, 0, "{}", verbose.stderr);
    for m in members.iter().take(50) {
        assert!(
            verbose.stdout.contains(&format!(
                "+ create arn:aws:iam::{m}:role/radiant-aws-member-role"
            )),
            "{m}"
        );
    }
    assert!(verbose.stdout.lines().count() > members.len());
}
