//! Shared helpers of the CLI tests: the real `radiant-onboard` binary, run as a user would.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use integration_tests::EmulatorGuard;

/// Path of the `radiant-onboard` binary next to this test binary, built once if needed.
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
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            cmd.arg("--release");
        }
        let status = cmd.status().unwrap();
        assert!(status.success(), "building radiant-onboard failed");
        assert!(bin.exists(), "no binary at {}", bin.display());
        bin
    })
}

/// The fixtures folder `tests/fixtures/configs`.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/configs")
}

/// A fresh empty directory under the system's temporary folder, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates it.
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "radiant-cli-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&dir).unwrap();
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

    /// Standard error parsed as the JSON error object.
    pub fn json_error(&self) -> serde_json::Value {
        serde_json::from_str(self.stderr.trim())
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
