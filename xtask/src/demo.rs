//! `cargo xtask demo`: the main job end to end on this machine.
//!
//! Builds the release binary, starts the emulator, seeds an organization (100 accounts in 3 OUs,
//! 2 Regions, 2 suspended, some existing detectors, a foreign publishing destination, hub
//! buckets and key that already hold customer statements and a bucket notification), then runs
//! `plan`, `apply --yes` (with the progress display), `verify --sample-findings` and `policies`,
//! and stops the emulator. Everything it writes is under `target/demo/`.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::json;
use xshell::Shell;

use crate::server::Server;

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
const CLOUDTRAIL_BUCKET: &str = "acme-cloudtrail-logs";
const GUARDDUTY_BUCKET: &str = "acme-guardduty-findings";
const GUARDDUTY_KEY_ALIAS: &str = "alias/guardduty-findings";
/// A made-up Radiant credential ID for the simulated run.
const DEMO_EXTERNAL_ID: &str = "demo-7f3c2a91-radiant-credential";

pub fn demo(sh: &Shell) -> Result<()> {
    let root = crate::project_root();
    let python = crate::emulator::ensure_venv(sh)?;
    println!("demo: building the release binary");
    let binary = crate::release_binary(sh)?;

    let out = root.join("target/demo");
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    std::fs::create_dir_all(&out)?;

    println!("demo: starting the AWS emulator");
    let server = Server::start(&root, &python, &[])?;
    let seeded = server.post(
        "seed",
        &json!({
            "accounts": 100,
            "ous": 3,
            "regions": REGIONS,
            "suspended": 2,
            "existing_detectors": 5,
            "foreign_destinations": 1,
            "hub_customer_buckets": [CLOUDTRAIL_BUCKET, GUARDDUTY_BUCKET],
            "hub_customer_key_alias": GUARDDUTY_KEY_ALIAS,
            "existing_notification_bucket": GUARDDUTY_BUCKET,
            "seed": 2026,
        }),
    )?;
    let members = seeded["accounts"].as_array().map_or(0, Vec::len);
    println!(
        "demo: emulator at {} with organization {} (management account {}, {members} member accounts)",
        server.endpoint(),
        seeded["organization_id"].as_str().unwrap_or("?"),
        seeded["management_account_id"].as_str().unwrap_or("?"),
    );

    let config = out.join("onboard.toml");
    std::fs::write(&config, demo_config())?;
    let env = server.client_env(REGIONS[0]);
    let run = |args: &[&str]| run_step(&binary, &config, &env, args);

    step("plan: every change, read-only");
    run(&["plan"])?;
    step("apply --yes");
    let apply_report = out.join("apply-report.json");
    run(&["apply", "--yes", "--report", path_str(&apply_report)?])?;
    step("verify --sample-findings");
    let verify_report = out.join("verify-report.json");
    run(&[
        "verify",
        "--sample-findings",
        "--wait",
        "120",
        "--report",
        path_str(&verify_report)?,
    ])?;
    step("plan again: nothing left to do");
    run(&["plan", "--detailed-exitcode"])?;
    let policies = out.join("policies");
    run(&["policies", "--out", path_str(&policies)?])?;

    let counters = server.get("counters")?;
    drop(server);
    println!();
    println!(
        "demo: done; the emulator served {} AWS calls ({} writes)",
        counters["total"], counters["writes"]
    );
    println!("demo: configuration      {}", config.display());
    println!("demo: apply report       {}", apply_report.display());
    println!("demo: verify report      {}", verify_report.display());
    println!("demo: rendered policies  {}", policies.display());
    println!("demo: the emulator is stopped; nothing is left running");
    Ok(())
}

fn step(title: &str) {
    println!("\n==> radiant-onboard {title}");
}

fn run_step(binary: &Path, config: &Path, env: &[(String, String)], args: &[&str]) -> Result<()> {
    let status = Command::new(binary)
        .args(args)
        .arg("--config")
        .arg(config)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("RADIANT_EXTERNAL_ID", DEMO_EXTERNAL_ID)
        .status()
        .with_context(|| format!("running `{}`", binary.display()))?;
    if !status.success() {
        bail!("`radiant-onboard {}` failed with {status}", args.join(" "));
    }
    Ok(())
}

fn path_str(path: &Path) -> Result<&str> {
    path.to_str().context("the project path is not UTF-8")
}

fn demo_config() -> String {
    format!(
        r#"# radiant-onboard demo configuration (written by `cargo xtask demo`)
[organization]
home_region = "{home}"
regions = ["{r0}", "{r1}"]
access_role_name = "OrganizationAccountAccessRole"

[radiant]
# external_id comes from RADIANT_EXTERNAL_ID
role_name = "radiant-aws-access-role"
member_role_name = "radiant-aws-member-role"

[cloudtrail]
trail_name = "management-events"
bucket = "{CLOUDTRAIL_BUCKET}"
sns_topic = "acme-cloudtrail-delivery"
kms_alias = "alias/cloudtrail-log-encryption"

[guardduty]
bucket = "{GUARDDUTY_BUCKET}"
kms_alias = "{GUARDDUTY_KEY_ALIAS}"
sns_topic = "acme-guardduty-findings"
publishing_frequency = "FIFTEEN_MINUTES"
export = "per-account"

[run]
concurrency = 32
"#,
        home = REGIONS[0],
        r0 = REGIONS[0],
        r1 = REGIONS[1],
    )
}
