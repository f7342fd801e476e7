//! `cargo xtask`: the project's own automation (tests, CI checks, emulator, demo, bench, dist).
//!
//! Every command works on a fresh machine: anything it needs beyond the Rust toolchain and
//! `python3` (the emulator's virtual environment) it installs under `target/` itself.

mod bench;
mod demo;
mod dist;
mod emulator;
mod server;
mod tidy;

use std::path::PathBuf;

use anyhow::{Result, bail};
use xshell::{Shell, cmd};

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  test        run the whole test suite (sets up the emulator's Python environment first)
  ci          cargo fmt --check, cargo clippy -D warnings, then `test`
  emulator    start the AWS emulator (see `cargo xtask emulator --help`)
  demo        emulator + simulated organization + plan + apply + verify
              (--landing-zone: a Control Tower-like organization, hub in Log Archive)
  bench       benchmark matrix (--quick: one small scenario; --only TEXT: matching scenarios),
              results in target/bench, and docs/benchmarks.md after a full run
  dist        stripped release build + tarball (binary, docs, completions, man page) + SHA256SUMS
              [--allow-dirty]
  release     --version X.Y.Z: changelog check, version bump, ci, dist, annotated tag (no push)
";

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let sh = Shell::new()?;
    sh.change_dir(project_root());
    match command.as_str() {
        "test" => test(&sh),
        "ci" => ci(&sh),
        "emulator" => emulator::run(&sh, &rest),
        "demo" => demo::demo(&sh, &rest),
        "bench" => bench::bench(&sh, &rest),
        "dist" => {
            let allow_dirty = match rest.as_slice() {
                [] => false,
                [flag] if flag == "--allow-dirty" => true,
                other => bail!(
                    "unexpected arguments {other:?}: usage `cargo xtask dist [--allow-dirty]`"
                ),
            };
            dist::dist(&sh, &dist::DistOptions { allow_dirty }).map(drop)
        }
        "release" => match rest.as_slice() {
            [flag, version] if flag == "--version" => dist::release(&sh, version),
            _ => bail!("usage: `cargo xtask release --version X.Y.Z`"),
        },
        "tidy" => tidy::check(&project_root()),
        "" | "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => bail!("unknown command `{other}`\n\n{USAGE}"),
    }
}

/// The workspace root (the parent of `xtask/`).
pub fn project_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// The README's test command: emulator environment, emulator self-tests, then every Rust test.
fn test(sh: &Shell) -> Result<()> {
    let python = emulator::ensure_venv(sh)?;
    emulator::self_test(sh, &python)?;
    let _env = sh.push_env(emulator::PYTHON_ENV_VAR, &python);
    // The CLI tests run the real binary; building it here first makes their own build a no-op
    // (and the demo's, which uses the same binary).
    dev_binary(sh)?;
    cargo_env(cmd!(
        sh,
        "cargo test --workspace --all-targets --no-fail-fast"
    ))
    .run()?;
    Ok(())
}

/// Builds the development `radiant-onboard` binary (the build `cargo xtask test` makes first, so
/// the demo after the tests builds nothing, and a demo on a fresh clone builds the dependencies
/// once, without optimizations, which takes a few minutes instead of the optimized build's
/// quarter of an hour) and returns its path. The demo's time is the emulator's, not the binary's.
pub fn dev_binary(sh: &Shell) -> Result<PathBuf> {
    cargo_env(cmd!(
        sh,
        "cargo build -p orchestrator --bin radiant-onboard"
    ))
    .run()?;
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| project_root().join("target"), PathBuf::from);
    Ok(target_dir
        .join("debug")
        .join(format!("radiant-onboard{}", std::env::consts::EXE_SUFFIX)))
}

/// Builds the optimized `radiant-onboard` binary and returns its path. Release builds use their
/// own target directory (`target/optimized`) so that a long optimized build of the AWS SDK never
/// holds the lock of the development build directory.
/// With `CARGO_TARGET_DIR` set, it goes to `$CARGO_TARGET_DIR/optimized` instead (so that a
/// scratch clone, e.g. for a release rehearsal, can share the compiled dependencies).
pub fn release_binary(sh: &Shell) -> Result<PathBuf> {
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| project_root().join("target"), PathBuf::from)
        .join("optimized");
    cargo_env(cmd!(sh, "cargo build --release --locked -p orchestrator --bin radiant-onboard --target-dir {target_dir}")).run()?;
    Ok(target_dir.join("release/radiant-onboard"))
}

/// `cargo run` gives xtask the variables cargo sets for a package (CARGO_PKG_NAME=xtask,
/// CARGO_MANIFEST_DIR=xtask/, ...). Build scripts such as ring's declare
/// `rerun-if-env-changed` on several of them, so a cargo started from here with them would rebuild
/// the AWS SDK stack on every switch between `cargo xtask ...` and a plain `cargo build` (the
/// fingerprint log says `EnvVarChanged { name: "CARGO_PKG_NAME", old_value: Some("xtask") }`).
/// Every cargo command of xtask goes through this, so it runs in the caller's own environment.
pub fn cargo_env(mut cmd: xshell::Cmd<'_>) -> xshell::Cmd<'_> {
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if is_cargo_run_var(name) {
            cmd = cmd.env_remove(name);
        }
    }
    cmd
}

/// The variables cargo sets for the package it runs (and none of the user's, such as CARGO_HOME).
fn is_cargo_run_var(name: &str) -> bool {
    name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_MANIFEST_")
        || matches!(
            name,
            "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE"
        )
}

fn ci(sh: &Shell) -> Result<()> {
    tidy::check(&project_root())?;
    cargo_env(cmd!(sh, "cargo fmt --all --check")).run()?;
    cargo_env(cmd!(
        sh,
        "cargo clippy --workspace --all-targets -- -D warnings"
    ))
    .run()?;
    test(sh)
}
