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
  bench       benchmark matrix (or --quick), results in target/bench and docs/benchmarks.md
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
        "demo" => demo::demo(&sh),
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
    // The CLI tests run the real binary; building it here first makes their own build a no-op.
    cmd!(sh, "cargo build -p orchestrator --bin radiant-onboard")
        .env_remove(CARGO_RUN_VAR)
        .run()?;
    cmd!(sh, "cargo test --workspace --all-targets --no-fail-fast")
        .env_remove(CARGO_RUN_VAR)
        .run()?;
    Ok(())
}

/// Builds the optimized `radiant-onboard` binary and returns its path. Release builds use their
/// own target directory (`target/optimized`) so that a long optimized build of the AWS SDK never
/// holds the lock of the development build directory.
pub fn release_binary(sh: &Shell) -> Result<PathBuf> {
    let target_dir = project_root().join("target/optimized");
    cmd!(sh, "cargo build --release --locked -p orchestrator --bin radiant-onboard --target-dir {target_dir}").env_remove(CARGO_RUN_VAR).run()?;
    Ok(target_dir.join("release/radiant-onboard"))
}

/// `cargo run` sets CARGO_MANIFEST_DIR (to `xtask/`) for us; some build scripts (ring's) rerun
/// when it changes, so a cargo started from here with it would invalidate direct builds and the
/// other way round. Every cargo command of xtask runs without it.
const CARGO_RUN_VAR: &str = "CARGO_MANIFEST_DIR";

fn ci(sh: &Shell) -> Result<()> {
    tidy::check(&project_root())?;
    cmd!(sh, "cargo fmt --all --check")
        .env_remove(CARGO_RUN_VAR)
        .run()?;
    cmd!(sh, "cargo clippy --workspace --all-targets -- -D warnings")
        .env_remove(CARGO_RUN_VAR)
        .run()?;
    test(sh)
}
