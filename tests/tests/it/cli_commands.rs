//! Every command of the CLI against the emulator, with its exit codes and JSON outputs checked
//! against `docs/report.md`.

use crate::cli_support::{Schema, TempDir, enable_trusted_access, run, write_config};
use integration_tests::{SeedSpec, emulator};

const EXTERNAL_ID: &str = "rs-test-credential-0001";

#[test]
fn plan_accounts_policies_apply_then_nothing_left_to_do() {
    let schema = Schema::load();
    let emu = emulator();
    let seed = emu.seed(&SeedSpec {
        accounts: 4,
        ous: 2,
        suspended: 1,
        seed: 11,
        ..SeedSpec::default()
    });
    enable_trusted_access(&emu);
    let dir = TempDir::new("e2e");
    let config = write_config(dir.path(), "");
    let c = config.to_str().unwrap();

    // plan: read-only, human output with the summary line, JSON with the documented schema.
    emu.reset_counters();
    let r = run(&emu, &["plan", "-c", c]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("Plan: "), "{r:?}");
    assert!(r.stdout.contains("5 accounts: "), "{r:?}");
    assert!(r.stdout.contains("1 skipped"), "{r:?}");
    // The trust policies carry the external ID, shown only as a fingerprint.
    assert!(!r.stdout.contains(EXTERNAL_ID), "{r:?}");
    assert!(r.stdout.contains("<external-id sha256:"), "{r:?}");
    let r = run(&emu, &["plan", "-c", c, "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(!r.stdout.contains(EXTERNAL_ID), "{r:?}");
    let plan = r.json();
    schema.check("plan", &plan);
    schema.check_each("change", &plan["changes"]);
    schema.check_each("size_decision", &plan["size_decisions"]);
    schema.check("totals", &plan["totals"]);
    assert!(!plan["changes"].as_array().unwrap().is_empty());
    let r = run(&emu, &["plan", "-c", c, "--detailed-exitcode"]);
    assert_eq!(r.code, 4, "{r:?}");
    assert_eq!(
        emu.counters().writes(),
        0,
        "plan wrote: {:?}",
        emu.counters().write_operations()
    );

    // apply without a terminal and without --yes: refused before any call.
    emu.reset_counters();
    let r = run(&emu, &["apply", "-c", c]);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--yes"), "{r:?}");
    assert_eq!(emu.counters().total(), 0);

    // accounts: every account, included or not, and why.
    let r = run(&emu, &["accounts", "-c", c, "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    let d = r.json();
    schema.check("discovery", &d);
    schema.check_each("discovered_account", &d["accounts"]);
    assert_eq!(d["accounts"].as_array().unwrap().len(), 5);
    let suspended = &seed
        .accounts
        .iter()
        .find(|a| a.status == "SUSPENDED")
        .unwrap()
        .id;
    let r = run(&emu, &["accounts", "-c", c]);
    assert_eq!(r.code, 0, "{r:?}");
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with(suspended.as_str()))
        .unwrap();
    assert!(line.contains("no: "), "{line}");

    // policies: every document written for review, each valid JSON with statements.
    let out = dir.path().join("policies");
    let r = run(&emu, &["policies", "-c", c, "--out", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{r:?}");
    let files: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(!files.is_empty());
    for f in files.iter().filter(|f| !f.ends_with("index.json")) {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        assert!(v.get("Statement").is_some(), "{}", f.display());
    }
    // Named by what they are, the member role's documents once for every member, and an index
    // of the resources each file applies to.
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("index.json")).unwrap()).unwrap();
    let index = index["files"].as_object().unwrap().clone();
    let names: Vec<&String> = index.keys().collect();
    for wanted in [
        "hub-role.trust.json",
        "member-role.trust.json",
        "member-role.permissions.json",
        "bucket.acme-cloudtrail-logs.policy.json",
        "key.cloudtrail-log-encryption.policy.json",
        "key.guardduty-findings.policy.json",
    ] {
        assert!(index.contains_key(wanted), "{wanted} missing in {names:?}");
        assert!(out.join(wanted).exists(), "{wanted}");
    }
    assert_eq!(
        index.len() + 1,
        files.len(),
        "every file is in the index: {names:?}"
    );
    let members = index["member-role.trust.json"].as_array().unwrap();
    assert!(
        members.len() > 1,
        "one trust document for all members: {members:?}"
    );
    assert!(
        !names
            .iter()
            .any(|n| n.contains("known-after-apply") || n.starts_with("arn_")),
        "{names:?}"
    );

    // apply --yes: hand-off values and the report.
    let report = dir.path().join("apply.json");
    let r = run(
        &emu,
        &[
            "apply",
            "--yes",
            "-c",
            c,
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    // No plan first (nobody reviews it): the changes it made, in the plan's format.
    assert!(!r.stdout.contains("Plan: "), "{r:?}");
    assert!(r.stdout.contains("Applied: "), "{r:?}");
    // The accounts line and each warning are printed once (the summary after the changes
    // repeats neither).
    let summary_lines = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("5 accounts: "))
        .count();
    assert_eq!(summary_lines, 1, "{}", r.stdout);
    let warnings: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.contains("warning:"))
        .collect();
    let unique: std::collections::BTreeSet<&str> = warnings.iter().copied().collect();
    assert_eq!(warnings.len(), unique.len(), "{}", r.stdout);
    for v in [
        "acme-cloudtrail-delivery",
        "acme-guardduty-findings",
        "radiant-aws-access-role",
        EXTERNAL_ID,
    ] {
        assert!(r.stdout.contains(v), "hand-off lacks `{v}`: {r:?}");
    }
    assert!(r.stdout.contains(report.to_str().unwrap()), "{r:?}");
    assert!(!r.stderr.contains(EXTERNAL_ID), "external ID logged: {r:?}");
    let rep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    schema.check_report(&rep);
    assert_eq!(rep["run"]["command"], "apply");
    assert_eq!(rep["handoff"]["external_id"], EXTERNAL_ID);
    let mut without_handoff = rep.clone();
    without_handoff["handoff"] = serde_json::Value::Null;
    assert!(
        !without_handoff.to_string().contains(EXTERNAL_ID),
        "the external ID is in the report outside the hand-off"
    );
    assert_eq!(rep["totals"]["accounts"], 5);
    assert_eq!(rep["totals"]["skipped"], 1);
    assert_eq!(rep["totals"]["failed"], 0);
    let digest = rep["run"]["config_digest"].as_str().unwrap();
    assert_eq!(
        digest,
        orchestrator::config::sha256_hex(&std::fs::read(&config).unwrap())
    );
    assert!(rep["api_calls"].as_object().unwrap().contains_key("iam"));

    // plan again: nothing to do.
    emu.reset_counters();
    let r = run(&emu, &["plan", "-c", c, "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(emu.counters().writes(), 0);
}

#[test]
fn failed_accounts_exit_1_and_are_in_the_report() {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 2,
        ous: 0,
        seed: 5,
        ..SeedSpec::default()
    });
    enable_trusted_access(&emu);
    let dir = TempDir::new("failed");
    let config = write_config(dir.path(), "");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "regions = [\"us-east-1\"]",
        "regions = [\"us-east-1\"]\naccess_role_name = \"NoSuchAccessRole\"",
    );
    std::fs::write(&config, text).unwrap();
    let report = dir.path().join("r.json");
    let r = run(
        &emu,
        &[
            "apply",
            "--yes",
            "--no-progress",
            "-c",
            config.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1, "{r:?}");
    let rep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    Schema::load().check_report(&rep);
    assert_eq!(rep["totals"]["failed"], 2, "{rep:#}");
    let failed = rep["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["status"] == "failed")
        .unwrap();
    assert_eq!(failed["error"]["kind"], "access-denied", "{failed:#}");
    assert!(r.stdout.contains("failed:"), "{r:?}");
}

#[test]
fn preflight_failure_exits_3_and_writes_nothing() {
    let emu = emulator(); // reset, no organization seeded
    let dir = TempDir::new("preflight");
    let config = write_config(dir.path(), "");
    emu.reset_counters();
    apply_fails_with(&emu, &config, 3, "preflight");
    assert_eq!(
        emu.counters().writes(),
        0,
        "{:?}",
        emu.counters().write_operations()
    );
}

#[test]
fn missing_trusted_access_is_a_preflight_failure() {
    let emu = emulator();
    emu.seed(&SeedSpec::default());
    let dir = TempDir::new("preflight-trusted");
    let config = write_config(dir.path(), "");
    emu.reset_counters();
    let r = run(&emu, &["plan", "-c", config.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("trusted access"), "{r:?}");
    assert_eq!(emu.counters().writes(), 0);
}

/// Runs `apply --yes --error-format json` and checks the run-level error: the exit code, the
/// documented error object and its `kind`. Returns the error object.
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a temporary path that is not UTF-8 must fail the test"
)]
fn apply_fails_with(
    emu: &integration_tests::EmulatorGuard,
    config: &std::path::Path,
    code: i32,
    kind: &str,
) -> serde_json::Value {
    let r = run(
        emu,
        &[
            "apply",
            "--yes",
            "-c",
            config.to_str().unwrap(),
            "--error-format",
            "json",
        ],
    );
    assert_eq!(r.code, code, "{r:?}");
    let err = r.json_error();
    Schema::load().check("error_object", &err["error"]);
    assert_eq!(err["error"]["kind"], kind, "{err:#}");
    err
}

/// Seeds `accounts` members, refuses `service:operation` after `after` answers, and checks that
/// `apply` stops with exit 1, error `kind`, and a message naming the refused call.
fn refused_apply_fails_with(
    accounts: usize,
    service: &str,
    operation: &str,
    after: u32,
    kind: &str,
) {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts,
        ..SeedSpec::default()
    });
    enable_trusted_access(&emu);
    let dir = TempDir::new(kind);
    let config = write_config(dir.path(), "");
    emu.deny(service, operation, after);
    let err = apply_fails_with(&emu, &config, 1, kind);
    let message = err["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("{service}:{operation}")),
        "{err:#}"
    );
}

#[test]
fn listing_refused_mid_run_exits_1_as_a_discovery_failure() {
    // More accounts than one ListAccounts page holds; the second page is refused.
    refused_apply_fails_with(120, "organizations", "ListAccounts", 1, "discovery");
}

#[test]
fn a_refused_hub_call_exits_1_as_a_hub_failure() {
    refused_apply_fails_with(2, "sns", "CreateTopic", 0, "hub-failure");
}

#[test]
fn debug_log_names_every_call_and_never_a_credential() {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 2,
        ..SeedSpec::default()
    });
    enable_trusted_access(&emu);
    let dir = TempDir::new("debug-log");
    let config = write_config(dir.path(), "");
    emu.reset_counters();
    let r = run(
        &emu,
        &[
            "plan",
            "-c",
            config.to_str().unwrap(),
            "--log-level",
            "debug",
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let logged: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("aws call"))
        .collect();
    let counted: u64 = emu.counters().total();
    assert_eq!(logged.len() as u64, counted, "one line per call: {r:?}");
    for op in [
        "GetCallerIdentity",
        "ListAccounts",
        "AssumeRole",
        "ListDetectors",
    ] {
        assert!(
            logged
                .iter()
                .any(|l| l.contains(&format!("operation=\"{op}\""))),
            "{op} not logged: {r:?}"
        );
    }
    assert!(
        logged.iter().any(|l| l.contains("status=404")),
        "statuses are logged: {r:?}"
    );
    for secret in [
        integration_tests::SECRET_ACCESS_KEY,
        integration_tests::ACCESS_KEY_ID,
        "X-Amz-Security-Token",
        "Authorization",
    ] {
        assert!(!r.stderr.contains(secret), "{secret} in the log");
    }
}

#[test]
fn a_second_organization_trail_and_an_overlapping_notification_exit_3_with_nothing_written() {
    // A landing zone's trail exists: creating a second one is refused, with its cost.
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 2,
        landing_zone: true,
        ..SeedSpec::default()
    });
    let dir = TempDir::new("second-trail");
    let config = write_config(dir.path(), "");
    emu.reset_counters();
    let r = run(
        &emu,
        &[
            "apply",
            "--yes",
            "--no-progress",
            "-c",
            config.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert!(
        r.stderr.contains("$2.00 per 100,000") && r.stderr.contains("existing_trail"),
        "{r:?}"
    );
    assert_eq!(emu.counters().writes(), 0, "nothing written");

    // A queue rule that gets every new object of the findings bucket: refused, named.
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 2,
        existing_notification_rules: vec![serde_json::json!({
            "bucket": "acme-guardduty-findings",
            "account": "management",
            "id": "customer-new-objects",
            "events": ["s3:ObjectCreated:*"],
            "destination": "sqs",
        })],
        ..SeedSpec::default()
    });
    enable_trusted_access(&emu);
    let dir = TempDir::new("overlap");
    let config = write_config(dir.path(), "");
    emu.reset_counters();
    let r = run(
        &emu,
        &[
            "apply",
            "--yes",
            "--no-progress",
            "-c",
            config.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("customer-new-objects"), "{r:?}");
    assert_eq!(emu.counters().writes(), 0, "nothing written");
}
