//! `--report`'s JSON Lines (issue #22 item 4): each account's result is written as soon as it is
//! final, so a run killed midway leaves every account that completed before the kill; a run
//! that ends leaves one line per account, the same results as the report.

#![expect(
    clippy::unwrap_used,
    reason = "test: a failure must fail the test loudly"
)]

use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use integration_tests::{FaultSpec, SeedSpec, emulator};

use crate::cli_support::{TempDir, binary, enable_trusted_access, run, write_config};
use crate::engine_support::{factory, member};

fn lines_of(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.ends_with('}'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_finished_run_streams_one_line_per_account_as_in_the_report() {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 6,
        ous: 1,
        suspended: 1,
        seed: 46,
        ..SeedSpec::default()
    });
    enable_trusted_access(&emu);
    let dir = TempDir::new("stream-done");
    let config = write_config(dir.path(), "");
    let report = dir.path().join("run.json");
    let r = run(
        &emu,
        &[
            "apply",
            "--yes",
            "-c",
            config.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{r:?}");
    let streamed = lines_of(&dir.path().join("run.accounts.jsonl"));
    let full: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let accounts = full["accounts"].as_array().unwrap();
    assert_eq!(streamed.len(), accounts.len());
    for a in accounts {
        let line = streamed
            .iter()
            .find(|l| l["id"] == a["id"])
            .unwrap_or_else(|| panic!("{} not streamed", a["id"]));
        assert_eq!(line, a);
    }
}

#[test]
fn a_killed_run_leaves_every_account_that_completed() {
    let emu = emulator();
    let seeded = emu.seed(&SeedSpec {
        accounts: 120,
        ous: 2,
        seed: 47,
        ..SeedSpec::default()
    });
    enable_trusted_access(&emu);
    let dir = TempDir::new("stream-killed");
    let config = write_config(dir.path(), "");
    let report = dir.path().join("run.json");
    let jsonl = dir.path().join("run.accounts.jsonl");
    emu.set_faults(&FaultSpec {
        latency_ms: 40,
        ..FaultSpec::default()
    });
    let mut child = Command::new(binary())
        .args([
            "apply",
            "--yes",
            "--concurrency",
            "4",
            "-c",
            config.to_str().unwrap(),
            "--report",
            report.to_str().unwrap(),
        ])
        .env_clear()
        .envs(emu.env())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some accounts have completed their last step (fan-out 2).
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed midway"
        );
        if lines_of(&jsonl).len() >= 10 {
            break;
        }
        assert!(Instant::now() < deadline, "no account completed in time");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    emu.set_faults(&FaultSpec::default());
    assert!(!report.exists(), "the killed run wrote no final report");

    let streamed = lines_of(&jsonl);
    let ids: BTreeSet<String> = streamed
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), streamed.len(), "each account once");
    assert!(
        ids.len() < seeded.active_account_ids().len() + 1,
        "killed midway"
    );
    // Every account the stream names as onboarded did complete: its detector exports.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let aws = factory(&emu).await;
        for line in &streamed {
            let id = line["id"].as_str().unwrap();
            assert_eq!(line["status"], "onboarded", "{line}");
            if id == integration_tests::MANAGEMENT_ACCOUNT_ID {
                continue;
            }
            let gd = member(&aws, id).await.guardduty("us-east-1");
            let detector = gd.list_detectors().send().await.unwrap().detector_ids()[0].clone();
            let destinations = gd
                .list_publishing_destinations()
                .detector_id(detector)
                .send()
                .await
                .unwrap();
            assert_eq!(destinations.destinations().len(), 1, "{id}");
        }
    });
}

/// Peak RSS (KiB) of `radiant-onboard ARGS` run to its end, from `getrusage(RUSAGE_CHILDREN)`
/// of a Python parent (the emulator's), and its exit code.
fn peak_rss_kib(emu: &integration_tests::EmulatorGuard, args: &[&str]) -> (i32, u64) {
    let python = integration_tests::python_path().unwrap();
    let out = Command::new(python)
        .arg("-c")
        .arg(
            "import resource, subprocess, sys\n\
             r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n\
             print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
        )
        .arg(binary())
        .args(args)
        .env_clear()
        .envs(emu.env())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let code = parts.next().unwrap().parse().unwrap();
    let kib = parts.next().unwrap().parse().unwrap();
    (code, kib)
}

/// The bound this test states for the peak RSS of a plan of 2,000 accounts in one Region.
const MAX_PEAK_MB_AT_2000: u64 = 150;

#[test]
fn a_plan_of_2000_accounts_stays_within_its_memory_bound() {
    let emu = emulator();
    emu.seed(&SeedSpec {
        accounts: 2000,
        ous: 10,
        seed: 48,
        ..SeedSpec::default()
    });
    enable_trusted_access(&emu);
    let dir = TempDir::new("memory");
    // 2,000 detectors fit the findings bucket's policy only in the organization form.
    let config = write_config(dir.path(), "allow_source_org_id = true");
    let (code, kib) = peak_rss_kib(&emu, &["plan", "-c", config.to_str().unwrap()]);
    assert_eq!(code, 0);
    eprintln!("peak RSS of a plan of 2,000 accounts: {} MB", kib / 1024);
    assert!(
        kib / 1024 <= MAX_PEAK_MB_AT_2000,
        "{} MB over {MAX_PEAK_MB_AT_2000} MB",
        kib / 1024
    );
}
