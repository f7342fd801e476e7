//! `cargo xtask demo`: the main job end to end on this machine.
//!
//! Builds the binary (the development build that `cargo xtask test` makes too, so the demo after
//! the tests builds nothing), starts the emulator, seeds an organization (100 accounts in 3 OUs,
//! 2 Regions, 2 suspended, some existing detectors, a foreign publishing destination, hub
//! buckets and key that already hold customer statements and a bucket notification), then runs
//! `plan`, `policies`, `apply --yes` (with the progress display), `verify --sample-findings` and
//! `plan` again, and stops the emulator. Everything it writes is under `target/demo/`.
//!
//! `cargo xtask demo --landing-zone` runs plan / apply / verify on a Control Tower-like
//! organization instead (hub in Log Archive, the organization trail reused, GuardDuty through
//! Audit, member roles by a StackSet), then creates two accounts and shows `verify` covering them
//! with no run of apply, under `target/demo-landing-zone/`.

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

pub fn demo(sh: &Shell, args: &[String]) -> Result<()> {
    match args {
        [] => {}
        [flag] if flag == "--landing-zone" => return landing_zone(sh),
        other => bail!("unexpected arguments {other:?}: usage `cargo xtask demo [--landing-zone]`"),
    }
    let (binary, out, server) = prepare(sh, "target/demo")?;
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
            // The organization gave CloudTrail trusted access already (a preflight check).
            "trusted_services": ["cloudtrail.amazonaws.com"],
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
    step("policies: the documents apply will write, for a security review");
    let policies = out.join("policies");
    run(&["policies", "--out", path_str(&policies)?])?;
    step("apply --yes");
    let apply_report = out.join("apply-report.json");
    run(&["apply", "--yes", "--report", path_str(&apply_report)?])?;
    step("verify --sample-findings");
    let verify_report = out.join("verify-report.json");
    let verified = run_step_code(
        &binary,
        &config,
        &env,
        &[
            "verify",
            "--sample-findings",
            "--wait",
            "120",
            "--report",
            path_str(&verify_report)?,
        ],
    )?;
    // The seeded account that exports findings to a bucket of its own keeps doing so (GuardDuty
    // allows one destination per detector, and the demo does not opt in to take it over), so
    // verify reports exactly that account's destination and nothing else.
    let foreign: Vec<&str> = seeded["foreign_destinations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["account"].as_str())
        .collect();
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&verify_report)?)?;
    let failed: Vec<&serde_json::Value> = report["verify"]["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["ok"] == json!(false))
        .collect();
    let expected = |c: &&serde_json::Value| {
        c["name"] == json!("destination-publishing")
            && c["scope"].as_str().is_some_and(|a| foreign.contains(&a))
    };
    if verified != 0 && (failed.is_empty() || !failed.iter().all(expected)) {
        bail!(
            "`radiant-onboard verify` failed ({verified}) beyond the customer's own destination; see {}",
            verify_report.display()
        );
    }
    for c in &failed {
        println!(
            "demo: as expected, account {} keeps exporting to its own bucket: {}",
            c["scope"].as_str().unwrap_or("?"),
            c["detail"].as_str().unwrap_or("?")
        );
    }
    step("plan again: nothing left to do");
    run(&["plan", "--detailed-exitcode"])?;

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

/// `cargo xtask demo --landing-zone`: a Control Tower-like organization (management, Log
/// Archive and Audit accounts, `aws-controltower-BaselineCloudTrail` writing to Log Archive,
/// the mandatory guardrails as SCP denials). The hub is Log Archive, reached from the management
/// account's credentials; the organization trail is reused. Shows that no second trail is made
/// and that no guardrail was hit.
fn landing_zone(sh: &Shell) -> Result<()> {
    let (binary, out, server) = prepare(sh, "target/demo-landing-zone")?;
    let python = crate::emulator::ensure_venv(sh)?;
    let seeded = server.post(
        "seed",
        &json!({
            "accounts": 30,
            "ous": 2,
            "regions": REGIONS,
            "landing_zone": true,
            "seed": 2026,
        }),
    )?;
    let lz = &seeded["landing_zone"];
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("?").to_owned();
    let (log_archive, trail) = (text(&lz["log_archive"]), text(&lz["trail_arn"]));
    println!(
        "demo: landing zone: management {}, Log Archive {log_archive}, Audit {}, trail {trail} writing to {}",
        text(&lz["management"]),
        text(&lz["audit"]),
        text(&lz["trail_bucket"])
    );
    let config = out.join("onboard.toml");
    std::fs::write(
        &config,
        landing_zone_config(&log_archive, &text(&lz["audit"])),
    )?;
    let env = server.client_env(REGIONS[0]);
    let run = |args: &[&str]| run_step(&binary, &config, &env, args);
    step("plan: the hub in Log Archive, the organization trail reused");
    run(&["plan"])?;
    step("apply --yes");
    let apply_report = out.join("apply-report.json");
    run(&["apply", "--yes", "--report", path_str(&apply_report)?])?;
    step("verify");
    run(&["verify"])?;
    step("plan again: nothing left to do");
    run(&["plan", "--detailed-exitcode"])?;
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&apply_report)?)?;
    let trails_made: Vec<&serde_json::Value> = report["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| {
            c["resource"]
                .as_str()
                .is_some_and(|r| r.contains(":trail/"))
        })
        .collect();
    if !trails_made.is_empty() {
        bail!("the run changed a trail: {trails_made:?}");
    }
    let guardrails = server.get("guardrails")?;
    if guardrails["denials"] != json!(0) {
        bail!("Control Tower's guardrails denied calls: {guardrails}");
    }

    // Zero-touch enrolment: two accounts join (as Account Factory creates them), and nobody
    // runs apply.
    let workloads = seeded["ous"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let joined = create_accounts(
        &python,
        &env,
        &workloads,
        &["demo-joined-1", "demo-joined-2"],
    )?;
    step(&format!(
        "verify, after {} joined (no apply in between)",
        joined.join(" and ")
    ));
    let verify_json = out.join("verify-after-join.json");
    run_step_code(
        &binary,
        &config,
        &env,
        &["verify", "--report", path_str(&verify_json)?],
    )?;
    let verified: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&verify_json)?)?;
    let checks = verified["verify"]["checks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for account in &joined {
        let of: Vec<&serde_json::Value> = checks
            .iter()
            .filter(|c| c["scope"] == json!(account))
            .collect();
        let ok = !of.is_empty() && of.iter().all(|c| c["ok"] == json!(true));
        if !ok {
            bail!("the account {account} that joined is not covered: {of:?}");
        }
    }
    drop(server);
    println!();
    println!("demo: no second trail was made; {trail} is reused as it is");
    println!("demo: Control Tower's guardrails denied no call");
    println!(
        "demo: {} joined after apply and are covered with no run of the tool (member role by StackSet automatic deployment, GuardDuty by the administrator's auto-enable, CloudTrail by the organization trail)",
        joined.join(" and ")
    );
    println!("demo: configuration      {}", config.display());
    println!("demo: apply report       {}", apply_report.display());
    println!("demo: the emulator is stopped; nothing is left running");
    Ok(())
}

/// Creates accounts in the OU `ou` through Organizations' API (`CreateAccount`, then
/// `MoveAccount`), as Account Factory would, with the emulator's Python (boto3 is in its
/// environment); their IDs.
fn create_accounts(
    python: &Path,
    env: &[(String, String)],
    ou: &str,
    names: &[&str],
) -> Result<Vec<String>> {
    const SCRIPT: &str = r#"
import os, sys, boto3
org = boto3.client("organizations", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
root = org.list_roots()["Roots"][0]["Id"]
for name in sys.argv[2:]:
    req = org.create_account(AccountName=name, Email=name + "@example.com")["CreateAccountStatus"]["Id"]
    account = org.describe_create_account_status(CreateAccountRequestId=req)["CreateAccountStatus"]["AccountId"]
    org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=sys.argv[1])
    print(account)
"#;
    let output = Command::new(python)
        .args(["-c", SCRIPT, ou])
        .args(names)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .context("creating the demo's new accounts")?;
    if !output.status.success() {
        bail!(
            "creating the demo's new accounts failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect())
}

fn landing_zone_config(log_archive: &str, audit: &str) -> String {
    format!(
        r#"# radiant-onboard landing-zone demo configuration (written by `cargo xtask demo --landing-zone`)
[organization]
# Log Archive centralizes the logs; the run uses the management account's credentials.
hub_account_id = "{log_archive}"
home_region = "{home}"
regions = ["{r0}", "{r1}"]
access_role_name = "OrganizationAccountAccessRole"

[radiant]
# external_id comes from RADIANT_EXTERNAL_ID

[cloudtrail]
# Control Tower's organization trail is reused: no second trail.
existing_trail = "auto"
sns_topic = "acme-cloudtrail-delivery"

[guardduty]
bucket = "{GUARDDUTY_BUCKET}"
kms_alias = "{GUARDDUTY_KEY_ALIAS}"
sns_topic = "acme-guardduty-findings"
# Audit is GuardDuty's delegated administrator: it exports for every member and auto-enables
# the accounts that join.
export = "delegated-admin"
admin_account_id = "{audit}"

[members]
# A service-managed StackSet deploys the member role, also to accounts that join later.
deploy = "stackset"

[run]
concurrency = 16
"#,
        home = REGIONS[0],
        r0 = REGIONS[0],
        r1 = REGIONS[1],
    )
}

/// The release binary, an empty output folder `dir` (under the project root) and a running
/// emulator.
fn prepare(sh: &Shell, dir: &str) -> Result<(std::path::PathBuf, std::path::PathBuf, Server)> {
    let root = crate::project_root();
    let python = crate::emulator::ensure_venv(sh)?;
    println!("demo: building radiant-onboard (the build `cargo xtask test` shares)");
    let binary = crate::dev_binary(sh)?;
    let out = root.join(dir);
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    std::fs::create_dir_all(&out)?;
    println!("demo: starting the AWS emulator");
    let server = Server::start(&root, &python, &[])?;
    Ok((binary, out, server))
}

fn step(title: &str) {
    println!("\n==> radiant-onboard {title}");
}

fn run_step(binary: &Path, config: &Path, env: &[(String, String)], args: &[&str]) -> Result<()> {
    let code = run_step_code(binary, config, env, args)?;
    if code != 0 {
        bail!(
            "`radiant-onboard {}` failed with exit code {code}",
            args.join(" ")
        );
    }
    Ok(())
}

/// Runs one step and returns its exit code (-1 when it was killed by a signal).
fn run_step_code(
    binary: &Path,
    config: &Path,
    env: &[(String, String)],
    args: &[&str],
) -> Result<i32> {
    let status = Command::new(binary)
        .args(args)
        .arg("--config")
        .arg(config)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env("RADIANT_EXTERNAL_ID", DEMO_EXTERNAL_ID)
        .status()
        .with_context(|| format!("running `{}`", binary.display()))?;
    Ok(status.code().unwrap_or(-1))
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
