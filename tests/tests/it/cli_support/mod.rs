//! Shared helpers of the CLI tests: the real `radiant-onboard` binary, run as a user would.
//!
//! The tests that use them run in parallel in one process: nothing here may change what the
//! process shares (its environment, its current directory), and every file a test writes goes
//! to a [`TempDir`] of its own.

#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a failure must fail the test loudly"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use integration_tests::EmulatorGuard;

/// Path of the `radiant-onboard` binary next to this test binary, built once if needed (the
/// first caller builds it; tests that call at the same time wait for that build).
pub fn binary() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        // target/<profile>/deps/<test> -> target/<profile>
        let profile_dir = exe.parent().unwrap().parent().unwrap().to_owned();
        let target_dir = profile_dir.parent().unwrap().to_owned();
        let bin = profile_dir.join(format!("radiant-onboard{}", std::env::consts::EXE_SUFFIX));
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            "-p",
            "orchestrator",
            "--bin",
            "radiant-onboard",
        ])
        .arg("--target-dir")
        .arg(&target_dir);
        // `cargo test` runs this binary with the variables of its package (CARGO_PKG_NAME,
        // CARGO_MANIFEST_DIR, ...). Build scripts such as ring's declare `rerun-if-env-changed` on
        // some of them, so a cargo started with them rebuilds the AWS SDK stack, and the next plain
        // `cargo build` rebuilds it again (as `xtask::cargo_env` explains): build in the caller's
        // own environment instead, where the binary `cargo xtask test` built first is up to date.
        for (name, _) in std::env::vars_os() {
            if name.to_str().is_some_and(is_cargo_package_var) {
                cmd.env_remove(name);
            }
        }
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().unwrap();
        assert!(status.success(), "building radiant-onboard failed");
        assert!(bin.exists(), "no binary at {}", bin.display());
        bin
    })
}

/// The variables cargo sets for the package whose test it runs (none of the user's, such as
/// CARGO_HOME or CARGO_TARGET_DIR).
fn is_cargo_package_var(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_MANIFEST_")
        || matches!(
            name,
            "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE"
        )
}

/// The fixtures folder `tests/fixtures/configs`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/configs")
}

/// A fresh empty directory under the system's temporary folder, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates it. Its name is unique among the tests of this binary, which run in parallel in
    /// one process (a sequence number, not only the clock), and fails the test if it exists.
    pub fn new(name: &str) -> Self {
        static SEQUENCE: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "radiant-cli-{name}-{}-{}-{}",
            std::process::id(),
            SEQUENCE.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir(&dir).unwrap();
        Self(dir)
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The result of one run.
pub struct Run {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Standard output parsed as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// The last line of standard error parsed as the JSON error object (log lines may come
    /// before it).
    pub fn json_error(&self) -> serde_json::Value {
        let last = self.stderr.trim().lines().last().unwrap_or_default();
        serde_json::from_str(last)
            .unwrap_or_else(|e| panic!("stderr is not JSON ({e}):\n{}", self.stderr))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs the binary with `args`, no terminal (stdin closed), a clean environment plus `env`.
pub fn run_with_env(args: &[&str], env: &[(String, String)], cwd: Option<&Path>) -> Run {
    let mut cmd = Command::new(binary());
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(dir) = cwd {
        cmd.current_dir(dir);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Runs the binary against the emulator (its endpoint and credentials in the environment).
pub fn run(emu: &EmulatorGuard, args: &[&str]) -> Run {
    run_with_env(args, &emu.env(), None)
}

/// Writes a configuration file for the emulator's organization into `dir` and returns its path.
pub fn write_config(dir: &Path, extra_guardduty: &str) -> PathBuf {
    let text = format!(
        r#"[organization]
home_region = "us-east-1"
regions = ["us-east-1"]

[radiant]
external_id = "rs-test-credential-0001"

[cloudtrail]
bucket = "acme-cloudtrail-logs"
sns_topic = "acme-cloudtrail-delivery"
kms_alias = "alias/cloudtrail-log-encryption"

[guardduty]
bucket = "acme-guardduty-findings"
sns_topic = "acme-guardduty-findings"
kms_alias = "alias/guardduty-findings"
{extra_guardduty}

[run]
concurrency = 8
"#
    );
    let path = dir.join("onboard.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The object schemas documented in `docs/report.md` (`### object: NAME` tables).
pub struct Schema {
    objects: std::collections::BTreeMap<String, Vec<(String, String)>>,
}

impl Schema {
    /// Parses `docs/report.md`.
    pub fn load() -> Self {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/report.md");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut objects = std::collections::BTreeMap::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if let Some(name) = line.strip_prefix("### object: ") {
                current = Some(name.trim().to_owned());
                objects.insert(name.trim().to_owned(), Vec::new());
                continue;
            }
            if line.starts_with('#') {
                current = None;
                continue;
            }
            let Some(name) = &current else { continue };
            let cells: Vec<&str> = line.split(" | ").map(str::trim).collect();
            if cells.len() >= 3 && cells[0].starts_with("| `") {
                let key = cells[0]
                    .trim_start_matches("| ")
                    .trim_matches('`')
                    .to_owned();
                let ty = cells[1].replace("\\|", "|");
                objects.get_mut(name).unwrap().push((key, ty));
            }
        }
        assert!(
            objects.len() >= 10,
            "docs/report.md has too few object tables"
        );
        Self { objects }
    }

    /// Asserts that `value` is exactly the documented object `name`: every key with its type,
    /// no other key.
    pub fn check(&self, name: &str, value: &serde_json::Value) {
        let fields = self
            .objects
            .get(name)
            .unwrap_or_else(|| panic!("docs/report.md documents no object `{name}`"));
        let obj = value
            .as_object()
            .unwrap_or_else(|| panic!("`{name}` is not an object: {value}"));
        for (key, ty) in fields {
            let v = obj
                .get(key)
                .unwrap_or_else(|| panic!("`{name}` lacks documented key `{key}`: {value}"));
            let ok = ty.split('|').any(|t| match t {
                "string" => v.is_string(),
                "integer" => v.is_u64() || v.is_i64(),
                "boolean" => v.is_boolean(),
                "array" => v.is_array(),
                "object" => v.is_object(),
                "null" => v.is_null(),
                "any" => true,
                other => panic!("unknown type `{other}` in docs/report.md"),
            });
            assert!(ok, "`{name}.{key}` should be {ty}, is {v}");
        }
        for key in obj.keys() {
            assert!(
                fields.iter().any(|(k, _)| k == key),
                "`{name}` has undocumented key `{key}`"
            );
        }
    }

    /// Checks each element of the array `value` against `name`.
    pub fn check_each(&self, name: &str, value: &serde_json::Value) {
        for item in value
            .as_array()
            .unwrap_or_else(|| panic!("not an array: {value}"))
        {
            self.check(name, item);
        }
    }

    /// Checks `new_accounts` (of a report or a plan) and its coverages, when it is not null.
    pub fn check_new_accounts(&self, value: &serde_json::Value) {
        if value.is_null() {
            return;
        }
        self.check("new_accounts", value);
        for part in ["member_role", "guardduty", "cloudtrail"] {
            if !value[part].is_null() {
                self.check("coverage", &value[part]);
            }
        }
    }

    /// Checks a whole run report, nested objects included.
    pub fn check_report(&self, report: &serde_json::Value) {
        self.check("report", report);
        self.check("run", &report["run"]);
        self.check("totals", &report["totals"]);
        self.check_each("hub_resource", &report["hub"]);
        for r in report["hub"].as_array().unwrap() {
            if !r["error"].is_null() {
                self.check("error_record", &r["error"]);
            }
        }
        self.check_each("account", &report["accounts"]);
        for a in report["accounts"].as_array().unwrap() {
            self.check_each("region", &a["regions"]);
            self.check_each("action", &a["actions"]);
            if !a["error"].is_null() {
                self.check("error_record", &a["error"]);
            }
            for r in a["regions"].as_array().unwrap() {
                if !r["error"].is_null() {
                    self.check("error_record", &r["error"]);
                }
            }
        }
        self.check_each("change", &report["changes"]);
        self.check_each("size_decision", &report["size_decisions"]);
        if !report["handoff"].is_null() {
            self.check("handoff", &report["handoff"]);
        }
        self.check_new_accounts(&report["new_accounts"]);
        if !report["verify"].is_null() {
            self.check("verify", &report["verify"]);
            self.check_each("check", &report["verify"]["checks"]);
            self.check_each("enrolment_gap", &report["verify"]["gaps"]);
        }
    }
}

/// Enables CloudTrail trusted access in the emulator's organization (a documented precondition
/// that preflight checks; the user does it once with the AWS CLI).
/// The management account's SDK configuration for the emulator (a test's own changes).
async fn management_conf(emu: &EmulatorGuard) -> aws_config::SdkConfig {
    let env: std::collections::HashMap<String, String> = emu.env().into_iter().collect();
    let creds = aws_sdk_organizations::config::Credentials::new(
        env["AWS_ACCESS_KEY_ID"].clone(),
        env["AWS_SECRET_ACCESS_KEY"].clone(),
        None,
        None,
        "emulator",
    );
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(emu.endpoint())
        .region(aws_config::Region::new(env["AWS_REGION"].clone()))
        .credentials_provider(creds)
        .load()
        .await
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// A new account in the organization's root (as `CreateAccount` from the management account).
pub fn create_account(emu: &EmulatorGuard, name: &str) {
    block_on(async {
        aws_sdk_organizations::Client::new(&management_conf(emu).await)
            .create_account()
            .account_name(name)
            .email(format!("{name}@example.com"))
            .send()
            .await
            .unwrap();
    });
}

/// Replaces the policy of the management account's `bucket` (someone else's edit).
pub fn put_bucket_policy(emu: &EmulatorGuard, bucket: &str, policy: &str) {
    block_on(async {
        let conf = management_conf(emu).await;
        let s3 = orchestrator::aws::sdk::s3::Client::from_conf(
            orchestrator::aws::sdk::s3::config::Builder::from(&conf)
                .force_path_style(true)
                .build(),
        );
        s3.put_bucket_policy()
            .bucket(bucket)
            .policy(policy)
            .send()
            .await
            .unwrap();
    });
}

pub fn enable_trusted_access(emu: &EmulatorGuard) {
    let env: std::collections::HashMap<String, String> = emu.env().into_iter().collect();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let creds = aws_sdk_organizations::config::Credentials::new(
            env["AWS_ACCESS_KEY_ID"].clone(),
            env["AWS_SECRET_ACCESS_KEY"].clone(),
            None,
            None,
            "emulator",
        );
        let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(emu.endpoint())
            .region(aws_config::Region::new(env["AWS_REGION"].clone()))
            .credentials_provider(creds)
            .load()
            .await;
        aws_sdk_organizations::Client::new(&conf)
            .enable_aws_service_access()
            .service_principal("cloudtrail.amazonaws.com")
            .send()
            .await
            .unwrap();
    });
}
