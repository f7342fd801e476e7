//! Saved plans: `plan --out FILE` then `apply FILE` writes exactly the reviewed changes; a plan
//! the world moved away from (a foreign edit, a new account, a configuration edit, its age) is
//! refused with exit 2 and nothing written; `show FILE` renders it.

use std::path::Path;

use crate::cli_support::{Run, Schema, TempDir, enable_trusted_access, run, write_config};
use integration_tests::{EmulatorGuard, SeedSpec, emulator};

const CT_BUCKET: &str = "acme-cloudtrail-logs";

/// A resource with the IDs AWS assigns on creation masked (the product's rule, restated).
fn masked(resource: &str) -> String {
    let (arn, fragment) = resource
        .split_once('#')
        .map_or((resource, ""), |(a, f)| (a, f));
    let mut out = Vec::new();
    let mut it = arn.split('/');
    while let Some(seg) = it.next() {
        out.push(seg.to_owned());
        if (seg.ends_with(":detector")
            || seg == "publishingDestination"
            || (seg.ends_with(":key") && arn.contains(":kms:")))
            && it.next().is_some()
        {
            out.push("*".to_owned());
        }
    }
    let mut m = out.join("/");
    if m.ends_with("/publishingDestination") {
        m.push_str("/*");
    }
    format!("{m}#{fragment}")
}

fn plan_to(emu: &EmulatorGuard, config: &str, out: &Path) -> Run {
    run(
        emu,
        &[
            "plan",
            "-c",
            config,
            "--out",
            out.to_str().unwrap_or_default(),
        ],
    )
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default()).unwrap_or_default()
}

/// (resource, action) of every change in `changes`, sorted.
fn change_keys(changes: &serde_json::Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = changes
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| {
                    (
                        c["resource"].as_str().unwrap_or_default().to_owned(),
                        c["action"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn a_saved_plan_is_shown_then_applied_exactly() {
    let schema = Schema::load();
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 3,
        ous: 1,
        seed: 41,
        ..SeedSpec::default()
    });
    enable_trusted_access(&emu);
    let dir = TempDir::new("saved-plan");
    let config = write_config(dir.path(), "");
    let c = config.to_str().unwrap_or_default();
    let plan = dir.path().join("plan.json");

    emu.reset_counters();
    let r = plan_to(&emu, c, &plan);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(emu.counters().writes(), 0, "plan writes nothing");
    let saved = read_json(&plan);
    schema.check("saved_plan", &saved);
    for change in saved["changes"].as_array().into_iter().flatten() {
        schema.check("planned_change", change);
    }
    assert!(
        !std::fs::read_to_string(&plan)
            .unwrap_or_default()
            .contains("rs-test-credential-0001"),
        "the external ID is not in the plan file"
    );
    let planned = change_keys(&saved["changes"]);
    assert!(!planned.is_empty());

    // show: the human plan, read from the file alone.
    let shown = run(&emu, &["show", plan.to_str().unwrap_or_default()]);
    assert_eq!(shown.code, 0, "{shown:?}");
    assert!(shown.stdout.contains("Saved plan: made "), "{shown:?}");
    assert!(
        shown.stdout.contains(&format!(
            "Plan: {} to create",
            planned.iter().filter(|(_, a)| a == "create").count()
        )),
        "{shown:?}"
    );

    // apply PLAN: exactly the planned changes, then nothing is left to do.
    let report = dir.path().join("apply.json");
    emu.reset_counters();
    let r = run(
        &emu,
        &[
            "apply",
            plan.to_str().unwrap_or_default(),
            "--report",
            report.to_str().unwrap_or_default(),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(emu.counters().writes() > 0);
    // Every change apply made is one of the plan's (a resource AWS names on creation is planned
    // with a placeholder: its ID is masked), and none is left undone: a re-plan is empty.
    let applied = read_json(&report);
    let mut left: Vec<String> = planned.iter().map(|(r, _)| masked(r)).collect();
    let made = change_keys(&applied["changes"]);
    assert!(!made.is_empty());
    for (resource, action) in &made {
        let m = masked(resource);
        let i = left
            .iter()
            .position(|p| *p == m)
            .unwrap_or_else(|| panic!("{action} {resource} is not in the plan: {planned:#?}"));
        left.swap_remove(i);
    }
    assert!(
        !applied["warnings"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|w| w
                .as_str()
                .unwrap_or_default()
                .contains("outside the saved plan")),
        "{applied:#?}"
    );
    let again = run(&emu, &["plan", "-c", c, "--detailed-exitcode"]);
    assert_eq!(again.code, 0, "nothing left to do: {again:?}");
}

/// Plans, changes the world with `change`, and expects `apply PLAN` to refuse (exit 2, every
/// difference named, nothing written).
fn refused_after(
    name: &str,
    change: impl FnOnce(&EmulatorGuard, &Path),
    wanted: &str,
    extra: &[&str],
) {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 2,
        ous: 1,
        hub_customer_buckets: vec![CT_BUCKET.to_owned()],
        seed: 42,
        ..SeedSpec::default()
    });
    enable_trusted_access(&emu);
    let dir = TempDir::new(name);
    let config = write_config(dir.path(), "");
    let c = config.to_str().unwrap_or_default();
    let plan = dir.path().join("plan.json");
    let r = plan_to(&emu, c, &plan);
    assert_eq!(r.code, 0, "{r:?}");
    change(&emu, &config);
    emu.reset_counters();
    let mut args = vec!["apply", plan.to_str().unwrap_or_default()];
    args.extend_from_slice(extra);
    let r = run(&emu, &args);
    assert_eq!(r.code, 2, "{name}: {r:?}");
    assert!(r.stderr.contains(wanted), "{name}: {r:?}");
    assert!(r.stderr.contains("nothing was written"), "{name}: {r:?}");
    assert_eq!(emu.counters().writes(), 0, "{name}: nothing written");
}

#[test]
fn a_foreign_edit_to_a_bucket_policy_invalidates_the_plan() {
    refused_after(
        "foreign-edit",
        |emu, _| {
            let policy = serde_json::json!({
                "Version": "2012-10-17",
                "Statement": [{
                    "Sid": "SomeoneElse",
                    "Effect": "Allow",
                    "Principal": { "AWS": "arn:aws:iam::123456789012:root" },
                    "Action": "s3:GetObject",
                    "Resource": format!("arn:aws:s3:::{CT_BUCKET}/*")
                }]
            });
            crate::cli_support::put_bucket_policy(emu, CT_BUCKET, &policy.to_string());
        },
        &format!("arn:aws:s3:::{CT_BUCKET}#policy"),
        &[],
    );
}

#[test]
fn a_new_account_invalidates_the_plan() {
    refused_after(
        "new-account",
        |emu, _| crate::cli_support::create_account(emu, "joined-later"),
        "was not in the plan",
        &[],
    );
}

#[test]
fn a_configuration_edit_invalidates_the_plan() {
    refused_after(
        "config-edit",
        |_, config| {
            let text = std::fs::read_to_string(config).unwrap_or_default();
            std::fs::write(config, text.replace("concurrency = 8", "concurrency = 4"))
                .unwrap_or_default();
        },
        "changed since the plan",
        &[],
    );
}

#[test]
fn an_old_plan_is_refused() {
    refused_after(
        "old-plan",
        |_, _| std::thread::sleep(std::time::Duration::from_millis(2100)),
        "older than --max-age",
        &["--max-age", "1s"],
    );
}
