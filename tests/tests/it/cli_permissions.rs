//! The tool's permission list is derived from the calls it makes, and checked both ways.
//!
//! The first test: every (service, operation) that the emulator saw during plan, apply, accounts
//! and policies maps to an action in `orchestrator::permissions::OPERATIONS`. The second runs
//! every command that calls AWS (plan, policies, apply, accounts, verify with and without sample
//! findings, plan --offboard and offboard, with and without --keep-data) over scenarios that reach
//! the code paths that matter (adopted detectors and foreign destinations, the hub's own too;
//! customer buckets, key and notification; two Regions; changed trusts, trail and shared
//! policies; a caller that is not the management account) and checks that every call seen is
//! listed with exactly the scope it was made in (the caller's account: `Caller`; a member's,
//! through the access role: `Member`; both: `Both`), that every listed operation was called, and
//! that every dependent action belongs to an operation that was. An operation the emulator cannot
//! reach goes into `UNREACHABLE`, with the reason; `cargo xtask tidy` does not repeat this check.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::cli_support::{Run, TempDir, enable_trusted_access, run, run_with_env, write_config};
use integration_tests::{
    ACCESS_KEY_ID, Counters, DEFAULT_REGION, EmulatorGuard, MANAGEMENT_ACCOUNT_ID,
    SECRET_ACCESS_KEY, SeedInfo, SeedSpec, emulator,
};
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

// ---------------------------------------------------------------------------------------------
// Both directions, over every command that calls AWS: every call seen has an entry with the scope
// it was called in, and every entry was called by some scenario below.

/// Entries of `OPERATIONS` (or one side of a `Both` entry) that the product calls on a path no
/// scenario of the emulator can reach: (service, operation, side, why). Keep it empty if you can:
/// a scenario that reaches the call is worth more than a line here.
const UNREACHABLE: &[(&str, &str, Side, &str)] = &[];

/// Operations a command calls on a path no scenario takes, with the reason (`permissions --for`
/// must still grant them).
const NOT_IN_SCENARIOS: &[(&str, &str, permissions::Command, &str)] = &[
    (
        "s3",
        "PutBucketPublicAccessBlock",
        permissions::Command::Offboard,
        "offboard restores an enforced bucket's public access block when it had one with other settings",
    ),
    (
        "s3",
        "PutBucketOwnershipControls",
        permissions::Command::Offboard,
        "offboard restores an enforced bucket's previous ownership controls (ObjectWriter, BucketOwnerPreferred)",
    ),
    (
        "s3",
        "PutBucketTagging",
        permissions::Command::Offboard,
        "offboard removes the previous-hardening tag from a bucket that has other tags",
    ),
];

/// Who made a call: the identity that runs the tool (the hub), or the access role in a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Caller,
    Member,
}

impl Side {
    fn scope(sides: &BTreeSet<Side>) -> Option<Scope> {
        match (sides.contains(&Side::Caller), sides.contains(&Side::Member)) {
            (true, true) => Some(Scope::Both),
            (true, false) => Some(Scope::Caller),
            (false, true) => Some(Scope::Member),
            (false, false) => None,
        }
    }
}

/// The emulator names some REST routes by their path (GuardDuty's tagging routes with an
/// encoded ARN): the operation they are.
fn operation_name(service: &str, operation: &str) -> String {
    match (service, operation) {
        ("guardduty", o) if o.starts_with("POST /tags/") => "TagResource".to_owned(),
        ("guardduty", o) if o.starts_with("DELETE /tags/") => "UntagResource".to_owned(),
        (_, o) => o.to_owned(),
    }
}

/// The calls seen: (service, operation) -> side -> the scenario steps that made it.
#[derive(Default)]
struct Coverage {
    seen: BTreeMap<(String, String), BTreeMap<Side, BTreeSet<String>>>,
    /// (service, operation) -> the commands that called it (`permissions --for`).
    by_command: BTreeMap<(String, String), BTreeSet<permissions::Command>>,
}

/// The command of a step label (`scenario: apply --yes -c`): `plan --offboard` and `policies`
/// are `plan` (read-only).
fn command_of(step: &str) -> permissions::Command {
    let args = step.split_once(": ").map_or(step, |(_, a)| a);
    match args.split_whitespace().next().unwrap_or_default() {
        "apply" => permissions::Command::Apply,
        "verify" => permissions::Command::Verify,
        "offboard" => permissions::Command::Offboard,
        "accounts" => permissions::Command::Accounts,
        _ => permissions::Command::Plan,
    }
}

impl Coverage {
    /// Adds the counters of one step; `hub` is the caller's account.
    fn record(&mut self, counters: &Counters, seed: &SeedInfo, hub: &str, step: &str) {
        for call in &counters.calls {
            let side = if call.account == hub {
                Side::Caller
            } else {
                assert!(
                    call.account == MANAGEMENT_ACCOUNT_ID
                        || seed.accounts.iter().any(|a| a.id == call.account),
                    "{step}: {}:{} made by `{}`, outside the organization",
                    call.service,
                    call.operation,
                    call.account
                );
                Side::Member
            };
            let key = (
                call.service.clone(),
                operation_name(&call.service, &call.operation),
            );
            self.by_command
                .entry(key.clone())
                .or_default()
                .insert(command_of(step));
            self.seen
                .entry(key)
                .or_default()
                .entry(side)
                .or_default()
                .insert(step.to_owned());
        }
    }

    fn sides(&self, service: &str, operation: &str) -> BTreeSet<Side> {
        self.seen
            .get(&(service.to_owned(), operation.to_owned()))
            .map(|s| s.keys().copied().collect())
            .unwrap_or_default()
    }

    /// Everything that does not hold, one line each.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for ((service, operation), by_side) in &self.seen {
            let steps = |side: Side| {
                by_side
                    .get(&side)
                    .and_then(|s| s.iter().next())
                    .cloned()
                    .unwrap_or_default()
            };
            let Some(op) = permissions::OPERATIONS
                .iter()
                .find(|o| o.service == service && o.operation == operation)
            else {
                let side = *by_side.keys().next().unwrap_or(&Side::Caller);
                problems.push(format!(
                    "{service}:{operation} is called ({side:?}, e.g. `{}`) but has no entry in OPERATIONS",
                    steps(side)
                ));
                continue;
            };
            let mut sides: BTreeSet<Side> = by_side.keys().copied().collect();
            sides.extend(
                UNREACHABLE
                    .iter()
                    .filter(|u| u.0 == service && u.1 == operation)
                    .map(|u| u.2),
            );
            let observed = Side::scope(&sides);
            if observed != Some(op.scope) {
                problems.push(format!(
                    "{service}:{operation} is listed as {:?} but called as {observed:?} (caller e.g. `{}`, member e.g. `{}`)",
                    op.scope,
                    steps(Side::Caller),
                    steps(Side::Member)
                ));
            }
        }
        for op in permissions::OPERATIONS {
            if self.sides(op.service, op.operation).is_empty()
                && !UNREACHABLE
                    .iter()
                    .any(|u| u.0 == op.service && u.1 == op.operation)
            {
                problems.push(format!(
                    "{}:{} ({:?}) is listed but no scenario calls it",
                    op.service, op.operation, op.scope
                ));
            }
        }
        for d in permissions::DEPENDENT_ACTIONS {
            if self.sides(d.service, d.operation).is_empty() {
                problems.push(format!(
                    "{} is listed for {}:{}, which no scenario calls",
                    d.action, d.service, d.operation
                ));
            }
        }
        // Per command (`permissions --for COMMAND`): exactly the commands that call it.
        for op in permissions::OPERATIONS {
            let mut seen = self
                .by_command
                .get(&(op.service.to_owned(), op.operation.to_owned()))
                .cloned()
                .unwrap_or_default();
            if permissions::is_read(op.operation)
                && (seen.contains(&permissions::Command::Apply)
                    || seen.contains(&permissions::Command::Offboard))
            {
                seen.insert(permissions::Command::Plan);
            }
            seen.extend(
                NOT_IN_SCENARIOS
                    .iter()
                    .filter(|n| n.0 == op.service && n.1 == op.operation)
                    .map(|n| n.2),
            );
            let listed: BTreeSet<permissions::Command> = op.commands().collect();
            if !seen.is_empty() && seen != listed {
                problems.push(format!(
                    "{}:{} is listed for {listed:?} but called by {seen:?}",
                    op.service, op.operation
                ));
            }
        }
        for (service, operation, side, _) in UNREACHABLE {
            if self.sides(service, operation).contains(side) {
                problems.push(format!(
                    "{service}:{operation} ({side:?}) is allow-listed as unreachable but a scenario calls it: remove it from UNREACHABLE"
                ));
            }
        }
        problems
    }
}

/// The configuration of one step: the CLI tests' organization, with what a scenario varies.
struct Settings<'a> {
    regions: &'a [&'a str],
    external_id: &'a str,
    cloudtrail_key: &'a str,
    /// Extra lines of the `[organization]`, `[cloudtrail]` and `[guardduty]` tables, and
    /// top-level lines (before the first table).
    organization: &'a str,
    cloudtrail: &'a str,
    guardduty: &'a str,
    top: &'a str,
}

impl Default for Settings<'_> {
    fn default() -> Self {
        Settings {
            regions: &REGIONS,
            external_id: "rs-test-credential-0001",
            cloudtrail_key: "alias/cloudtrail-log-encryption",
            organization: "",
            cloudtrail: "",
            guardduty: "",
            top: "",
        }
    }
}

/// One organization in an emulator of its own, and the commands run against it.
struct Scenario {
    name: &'static str,
    emu: EmulatorGuard,
    seed: SeedInfo,
    dir: TempDir,
    /// The caller's environment (the management account's unless the scenario says otherwise).
    env: Vec<(String, String)>,
    /// The caller's account.
    hub: String,
}

impl Scenario {
    fn new(name: &'static str, spec: &SeedSpec) -> Self {
        let emu = emulator();
        let seed = emu.seed(spec);
        enable_trusted_access(&emu);
        let env = emu.env();
        Self {
            name,
            emu,
            seed,
            dir: TempDir::new(name),
            env,
            hub: MANAGEMENT_ACCOUNT_ID.to_owned(),
        }
    }

    /// Writes the configuration `file` and returns its path.
    #[expect(
        clippy::unwrap_used,
        reason = "test helper: a failed set-up must fail the test loudly"
    )]
    fn config(&self, file: &str, s: &Settings) -> String {
        let regions = s
            .regions
            .iter()
            .map(|r| format!("\"{r}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let text = format!(
            r#"{top}
[organization]
home_region = "us-east-1"
regions = [{regions}]
{organization}

[radiant]
external_id = "{external_id}"

[cloudtrail]
bucket = "{CT_BUCKET}"
sns_topic = "acme-cloudtrail-delivery"
kms_alias = "{cloudtrail_key}"
{cloudtrail}

[guardduty]
bucket = "{GD_BUCKET}"
sns_topic = "acme-guardduty-findings"
kms_alias = "{GD_KEY_ALIAS}"
{guardduty}

[run]
concurrency = 8
"#,
            organization = s.organization,
            external_id = s.external_id,
            cloudtrail_key = s.cloudtrail_key,
            guardduty = s.guardduty,
            cloudtrail = s.cloudtrail,
            top = s.top,
        );
        let path = self.dir.path().join(file);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }

    /// Runs one command from a clean slate of counters, checks its exit code and records its
    /// calls.
    fn step(&self, cov: &mut Coverage, args: &[&str], code: i32) -> Run {
        self.emu.reset_counters();
        let r = run_with_env(args, &self.env, None);
        let label: Vec<&str> = args
            .iter()
            .copied()
            .filter(|a| !Path::new(a).is_absolute())
            .collect();
        let label = format!("{}: {}", self.name, label.join(" "));
        assert_eq!(r.code, code, "{label}: {r:?}");
        cov.record(&self.emu.counters(), &self.seed, &self.hub, &label);
        r
    }
}

const CT_BUCKET: &str = "acme-cloudtrail-logs";
const GD_BUCKET: &str = "acme-guardduty-findings";
const GD_KEY_ALIAS: &str = "alias/guardduty-findings";
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// Adopted detectors (the hub's too), foreign destinations taken over (the hub's too), a
/// customer CloudTrail bucket, a customer findings key and a findings bucket that already
/// notifies a customer topic; every command, then offboarding.
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a failed set-up must fail the test loudly"
)]
fn adopt_everything(cov: &mut Coverage) {
    let s = Scenario::new(
        "adopt",
        &SeedSpec {
            accounts: 3,
            ous: 1,
            regions: REGIONS.iter().map(|r| (*r).to_owned()).collect(),
            existing_detectors: 2,
            foreign_destinations: 1,
            management_detector: true,
            hub_customer_buckets: vec![CT_BUCKET.to_owned()],
            hub_customer_key_alias: Some(GD_KEY_ALIAS.to_owned()),
            existing_notification_bucket: Some(GD_BUCKET.to_owned()),
            seed: 31,
            ..SeedSpec::default()
        },
    );
    let c = s.config(
        "onboard.toml",
        &Settings {
            guardduty: "take_over_destinations = true",
            ..Settings::default()
        },
    );
    let policies = s.dir.path().join("policies");
    let policies = policies.to_str().unwrap();
    s.step(cov, &["plan", "-c", &c], 0);
    s.step(cov, &["policies", "-c", &c, "--out", policies], 0);
    s.step(cov, &["apply", "--yes", "-c", &c], 0);
    s.step(cov, &["accounts", "-c", &c], 0);
    s.step(cov, &["verify", "-c", &c], 0);
    s.step(
        cov,
        &["verify", "-c", &c, "--sample-findings", "--wait", "20"],
        0,
    );
    s.step(cov, &["plan", "--offboard", "-c", &c], 0);
    s.step(cov, &["offboard", "--yes", "-c", &c], 0);
}

/// Everything created by the tool (findings under a prefix); applied again with another
/// ExternalId, another CloudTrail key and one account excluded, and back (the trusts, the trail
/// and the shared policies change); offboarded keeping the data, onboarded again over what was
/// kept, then offboarded for good with findings in the bucket.
fn create_change_keep_and_delete(cov: &mut Coverage) {
    let s = Scenario::new(
        "create",
        &SeedSpec {
            accounts: 2,
            ous: 1,
            regions: REGIONS.iter().map(|r| (*r).to_owned()).collect(),
            seed: 32,
            ..SeedSpec::default()
        },
    );
    let prefix = Settings {
        guardduty: "prefix = \"radiant/findings\"",
        ..Settings::default()
    };
    let c = s.config("onboard.toml", &prefix);
    let excluded = format!("exclude_accounts = [\"{}\"]", s.seed.accounts[1].id);
    let changed = s.config(
        "changed.toml",
        &Settings {
            external_id: "rs-test-credential-0002",
            cloudtrail_key: "alias/cloudtrail-log-encryption-2",
            organization: &excluded,
            ..prefix
        },
    );
    s.step(cov, &["apply", "--yes", "-c", &c], 0);
    // Someone loosens the findings bucket (public access block and ownership controls gone):
    // the next apply restores them.
    loosen_bucket(&s.emu, GD_BUCKET);
    s.step(cov, &["apply", "--yes", "-c", &changed], 0);
    s.step(cov, &["apply", "--yes", "-c", &c], 0);
    s.step(cov, &["plan", "--offboard", "--keep-data", "-c", &c], 0);
    s.step(cov, &["offboard", "--yes", "--keep-data", "-c", &c], 0);
    s.step(cov, &["apply", "--yes", "-c", &c], 0);
    s.step(
        cov,
        &["verify", "-c", &c, "--sample-findings", "--wait", "20"],
        0,
    );
    s.step(cov, &["offboard", "--yes", "-c", &c], 0);
}

/// `hardening = "enforce"` on the customer's buckets and key (one from before S3's 2023
/// defaults), `[retention]` and server access logging of the CloudTrail bucket; every command,
/// then offboarding, which restores the customer's settings.
fn enforce_retention_access_logs(cov: &mut Coverage) {
    let s = Scenario::new(
        "enforce",
        &SeedSpec {
            accounts: 2,
            ous: 1,
            regions: REGIONS.iter().map(|r| (*r).to_owned()).collect(),
            hub_customer_buckets: vec![CT_BUCKET.to_owned(), GD_BUCKET.to_owned()],
            hub_customer_key_alias: Some(GD_KEY_ALIAS.to_owned()),
            seed: 35,
            ..SeedSpec::default()
        },
    );
    loosen_bucket(&s.emu, CT_BUCKET);
    let c = s.config(
        "onboard.toml",
        &Settings {
            top: "hardening = \"enforce\"\n\n[retention]\ndays = 365\n",
            cloudtrail: "access_logs_bucket = \"acme-s3-access-logs\"",
            ..Settings::default()
        },
    );
    // Without `[retention]`, the rule goes again.
    let kept = s.config(
        "kept.toml",
        &Settings {
            top: "hardening = \"enforce\"\n",
            cloudtrail: "access_logs_bucket = \"acme-s3-access-logs\"",
            ..Settings::default()
        },
    );
    s.step(cov, &["plan", "-c", &c], 0);
    s.step(cov, &["apply", "--yes", "-c", &c], 0);
    s.step(cov, &["apply", "--yes", "-c", &kept], 0);
    s.step(cov, &["apply", "--yes", "-c", &c], 0);
    s.step(cov, &["verify", "-c", &c], 0);
    s.step(cov, &["plan", "--offboard", "-c", &c], 0);
    s.step(cov, &["offboard", "--yes", "-c", &c], 0);
}

/// GuardDuty through a managed delegated administrator (a member account): designated from the
/// management account, organization configuration and members from the administrator; every
/// command, then offboarding.
fn delegated_administrator(cov: &mut Coverage) {
    let s = Scenario::new(
        "delegated-admin",
        &SeedSpec {
            accounts: 3,
            ous: 1,
            regions: REGIONS.iter().map(|r| (*r).to_owned()).collect(),
            seed: 34,
            ..SeedSpec::default()
        },
    );
    let admin = format!(
        "export = \"delegated-admin\"\nadmin_account_id = \"{}\"",
        s.seed.accounts[0].id
    );
    let c = s.config(
        "onboard.toml",
        &Settings {
            guardduty: &admin,
            ..Settings::default()
        },
    );
    s.step(cov, &["plan", "-c", &c], 0);
    s.step(cov, &["apply", "--yes", "-c", &c], 0);
    // A member's S3 protection turned off: apply turns it on again through the administrator.
    member_s3_protection_off(&s.emu, &s.seed.accounts[0].id, &s.seed.accounts[1].id);
    s.step(cov, &["apply", "--yes", "-c", &c], 0);
    s.step(cov, &["verify", "-c", &c], 0);
    // One account only (`--accounts`): found with DescribeAccount and its parents, its
    // membership read with GetMembers, no listing.
    let one = s.seed.accounts[1].id.clone();
    s.step(cov, &["apply", "--yes", "-c", &c, "--accounts", &one], 0);
    s.step(cov, &["verify", "-c", &c, "--accounts", &one], 0);
    s.step(cov, &["plan", "--offboard", "-c", &c], 0);
    s.step(cov, &["offboard", "--yes", "-c", &c], 0);
}

/// Member roles by the StackSet (`[members] deploy = "stackset"`): trusted access turned on, the
/// StackSet and its instances created, its template updated (another external ID), verified;
/// then back to `direct` (the StackSet's instances and the StackSet removed), to `stackset`
/// again, and offboarding.
fn stackset_members(cov: &mut Coverage) {
    let s = Scenario::new(
        "stackset",
        &SeedSpec {
            accounts: 3,
            ous: 1,
            regions: vec!["us-east-1".to_owned()],
            seed: 35,
            ..SeedSpec::default()
        },
    );
    let stackset = Settings {
        regions: &["us-east-1"],
        top: "[members]\ndeploy = \"stackset\"\n",
        ..Settings::default()
    };
    let c = s.config("onboard.toml", &stackset);
    s.step(cov, &["plan", "-c", &c], 0);
    s.step(cov, &["apply", "--yes", "-c", &c], 0);
    s.step(cov, &["verify", "-c", &c], 0);
    let rotated = s.config(
        "rotated.toml",
        &Settings {
            external_id: "rs-test-credential-0002",
            ..stackset
        },
    );
    s.step(cov, &["apply", "--yes", "-c", &rotated], 0);
    let direct = s.config(
        "direct.toml",
        &Settings {
            regions: &["us-east-1"],
            external_id: "rs-test-credential-0002",
            ..Settings::default()
        },
    );
    s.step(cov, &["apply", "--yes", "-c", &direct], 0);
    s.step(cov, &["apply", "--yes", "-c", &rotated], 0);
    s.step(cov, &["plan", "--offboard", "-c", &rotated], 0);
    s.step(cov, &["offboard", "--yes", "-c", &rotated], 0);
}

/// Turns the S3 protection of GuardDuty's `member` off, from its administrator `admin`, in the
/// home Region (as a console user would).
#[expect(
    clippy::expect_used,
    reason = "test helper: a failed set-up must fail the test loudly"
)]
fn member_s3_protection_off(emu: &EmulatorGuard, admin: &str, member: &str) {
    use orchestrator::aws::sdk::guardduty::types::{
        FeatureStatus, MemberFeaturesConfiguration, OrgFeature,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async {
        let aws = crate::engine_support::factory(emu).await;
        let gd = crate::engine_support::member(&aws, admin)
            .await
            .guardduty(DEFAULT_REGION);
        let detector = gd
            .list_detectors()
            .send()
            .await
            .expect("detectors")
            .detector_ids()
            .first()
            .cloned()
            .expect("the administrator's detector");
        gd.update_member_detectors()
            .detector_id(detector)
            .account_ids(member)
            .features(
                MemberFeaturesConfiguration::builder()
                    .name(OrgFeature::S3DataEvents)
                    .status(FeatureStatus::Disabled)
                    .build(),
            )
            .send()
            .await
            .expect("S3 protection off");
    });
}

/// An opt-in Region, disabled in one account: the Regions each account has enabled are read;
/// every command, then offboarding.
fn opt_in_regions(cov: &mut Coverage) {
    let mut disabled = serde_json::Map::new();
    disabled.insert("first:1".to_owned(), serde_json::json!(["af-south-1"]));
    let s = Scenario::new(
        "opt-in",
        &SeedSpec {
            accounts: 2,
            ous: 1,
            regions: vec!["us-east-1".to_owned(), "af-south-1".to_owned()],
            disabled_regions: disabled,
            seed: 35,
            ..SeedSpec::default()
        },
    );
    let c = s.config(
        "onboard.toml",
        &Settings {
            regions: &["us-east-1", "af-south-1"],
            ..Settings::default()
        },
    );
    s.step(cov, &["plan", "-c", &c], 0);
    s.step(cov, &["apply", "--yes", "-c", &c], 0);
    s.step(cov, &["verify", "-c", &c], 0);
    s.step(cov, &["offboard", "--yes", "-c", &c], 0);
}

/// Deletes the public access block and the ownership controls of the management account's
/// `bucket` (drift the next apply repairs).
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a failed set-up must fail the test loudly"
)]
fn loosen_bucket(emu: &EmulatorGuard, bucket: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(emu.endpoint())
            .region(aws_config::Region::new(DEFAULT_REGION))
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
                None,
                None,
                "emulator",
            ))
            .load()
            .await;
        let s3 = orchestrator::aws::sdk::s3::Client::from_conf(
            orchestrator::aws::sdk::s3::config::Builder::from(&conf)
                .force_path_style(true)
                .build(),
        );
        s3.delete_public_access_block()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
        s3.delete_bucket_ownership_controls()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
    });
}

/// Returns the environment of a session of `account`'s access role: a caller that is neither
/// the management account nor a delegated administrator.
#[expect(
    clippy::unwrap_used,
    reason = "test helper: a failed set-up must fail the test loudly"
)]
fn member_env(emu: &EmulatorGuard, account: &str) -> Vec<(String, String)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let creds = rt.block_on(async {
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(emu.endpoint())
            .region(aws_config::Region::new(DEFAULT_REGION))
            .credentials_provider(aws_sdk_sts::config::Credentials::new(
                ACCESS_KEY_ID,
                SECRET_ACCESS_KEY,
                None,
                None,
                "emulator",
            ))
            .load()
            .await;
        aws_sdk_sts::Client::new(&conf)
            .assume_role()
            .role_arn(format!(
                "arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
            ))
            .role_session_name("not-the-management-account")
            .send()
            .await
            .unwrap()
            .credentials
            .unwrap()
    });
    let mut env: Vec<(String, String)> = emu
        .env()
        .into_iter()
        .filter(|(k, _)| k != "AWS_ACCESS_KEY_ID" && k != "AWS_SECRET_ACCESS_KEY")
        .collect();
    env.push(("AWS_ACCESS_KEY_ID".into(), creds.access_key_id));
    env.push(("AWS_SECRET_ACCESS_KEY".into(), creds.secret_access_key));
    env.push(("AWS_SESSION_TOKEN".into(), creds.session_token));
    env
}

/// A caller that is not the management account: preflight asks whether it is CloudTrail's
/// delegated administrator. (moto knows no delegated administrator for CloudTrail, so the run
/// stops at preflight, exit 3, nothing written; the call is what this step measures.)
fn caller_outside_the_management_account(cov: &mut Coverage) {
    let mut s = Scenario::new(
        "member-caller",
        &SeedSpec {
            accounts: 2,
            ous: 0,
            seed: 33,
            ..SeedSpec::default()
        },
    );
    let caller = s.seed.accounts[0].id.clone();
    s.env = member_env(&s.emu, &caller);
    s.hub = caller;
    let c = s.config(
        "onboard.toml",
        &Settings {
            regions: &["us-east-1"],
            ..Settings::default()
        },
    );
    let r = s.step(cov, &["plan", "-c", &c], 3);
    assert!(r.stderr.contains("preflight"), "{r:?}");
    // Every command asks the same in its preflight.
    for args in [
        &["apply", "--yes", "-c", &c][..],
        &["verify", "-c", &c],
        &["offboard", "--yes", "-c", &c],
        &["accounts", "-c", &c],
    ] {
        let r = s.step(cov, args, 3);
        assert!(r.stderr.contains("preflight"), "{r:?}");
    }
    assert!(
        s.emu
            .counters()
            .calls("organizations", "ListDelegatedAdministrators")
            > 0,
        "{r:?}"
    );
}

#[test]
fn every_call_is_listed_with_its_scope_and_every_listed_operation_is_called() {
    let mut cov = Coverage::default();
    adopt_everything(&mut cov);
    create_change_keep_and_delete(&mut cov);
    caller_outside_the_management_account(&mut cov);
    delegated_administrator(&mut cov);
    opt_in_regions(&mut cov);
    enforce_retention_access_logs(&mut cov);
    stackset_members(&mut cov);
    if let Ok(path) = std::env::var("RADIANT_DUMP_COMMANDS") {
        let dump: BTreeMap<String, Vec<String>> = cov
            .by_command
            .iter()
            .map(|((s, o), c)| {
                (
                    format!("{s}:{o}"),
                    c.iter().map(|c| format!("{c:?}")).collect(),
                )
            })
            .collect();
        std::fs::write(path, serde_json::to_string_pretty(&dump).unwrap()).unwrap();
    }
    let problems = cov.problems();
    assert!(
        problems.is_empty(),
        "the permissions list and the calls differ:\n  {}",
        problems.join("\n  ")
    );
}
