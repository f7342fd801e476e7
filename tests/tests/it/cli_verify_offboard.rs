//! `verify` and `offboard` against the emulator, with their exit codes and reports.

use crate::cli_support::{Schema, TempDir, enable_trusted_access, run, write_config};
use integration_tests::{SeedSpec, emulator};

#[test]
fn verify_then_offboard_after_apply() {
    let schema = Schema::load();
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 3,
        ous: 1,
        suspended: 1,
        seed: 13,
        ..SeedSpec::default()
    });
    enable_trusted_access(&emu);
    let dir = TempDir::new("verify");
    let config = write_config(dir.path(), "");
    let c = config.to_str().unwrap();
    let r = run(&emu, &["apply", "--yes", "-c", c]);
    assert_eq!(r.code, 0, "{r:?}");

    // verify: everything in place.
    let vreport = dir.path().join("verify.json");
    let r = run(
        &emu,
        &["verify", "-c", c, "--report", vreport.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(" checks, 0 failed, 0 orphans"), "{r:?}");
    let rep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&vreport).unwrap()).unwrap();
    schema.check_report(&rep);
    assert_eq!(rep["totals"]["failed_checks"], 0);
    let r = run(&emu, &["verify", "-c", c, "--output", "json"]);
    assert_eq!(r.code, 0, "{r:?}");
    schema.check("verify_output", &r.json());

    // plan --offboard: what offboard would delete or change, with no write call.
    emu.reset_counters();
    let r = run(
        &emu,
        &[
            "plan",
            "--offboard",
            "-c",
            c,
            "--output",
            "json",
            "--detailed-exitcode",
        ],
    );
    assert_eq!(r.code, 4, "{r:?}");
    assert_eq!(emu.counters().writes(), 0, "plan --offboard must not write");
    let planned = r.json();
    schema.check("plan", &planned);
    assert_eq!(planned["mode"], "offboard-plan");
    let deletes = planned["changes"]
        .as_array()
        .map(|c| c.iter().filter(|c| c["action"] == "delete").count())
        .unwrap_or(0);
    assert!(deletes > 0, "{planned}");
    let r = run(&emu, &["plan", "--offboard", "-c", c]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("to delete"), "{r:?}");
    assert!(r.stdout.contains("to offboard"), "{r:?}");

    // offboard: refused without a terminal, then done with --yes.
    emu.reset_counters();
    let r = run(&emu, &["offboard", "-c", c]);
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(emu.counters().total(), 0);
    let oreport = dir.path().join("offboard.json");
    let r = run(
        &emu,
        &[
            "offboard",
            "--yes",
            "-c",
            c,
            "--report",
            oreport.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let rep: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&oreport).unwrap()).unwrap();
    schema.check_report(&rep);
    assert!(rep["handoff"].is_null());

    // Nothing of the product's is left: the offboard plan is empty.
    let r = run(
        &emu,
        &["plan", "--offboard", "-c", c, "--detailed-exitcode"],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("nothing of radiant-onboard's is left"),
        "{r:?}"
    );
}

#[test]
fn verify_before_apply_finds_problems_and_exits_1() {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 2,
        ous: 0,
        seed: 3,
        ..SeedSpec::default()
    });
    enable_trusted_access(&emu);
    let dir = TempDir::new("verify-early");
    let config = write_config(dir.path(), "");
    let r = run(&emu, &["verify", "-c", config.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("FAIL"), "{r:?}");
}
