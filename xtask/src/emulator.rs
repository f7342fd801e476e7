//! The AWS emulator: moto's server plus our extension, in a virtual environment under `target/`.
//! (Placeholder until the emulator issue lands: no environment, no self-tests.)

use std::path::PathBuf;

use anyhow::{Result, bail};
use xshell::Shell;

/// Environment variable through which test binaries find the emulator's Python interpreter.
pub const PYTHON_ENV_VAR: &str = "RADIANT_EMULATOR_PYTHON";

pub fn ensure_venv(_sh: &Shell) -> Result<PathBuf> {
    Ok(PathBuf::from("python3"))
}

pub fn self_test(_sh: &Shell, _python: &std::path::Path) -> Result<()> {
    Ok(())
}

pub fn run(_sh: &Shell, _args: &[String]) -> Result<()> {
    bail!("the emulator is not available yet")
}
