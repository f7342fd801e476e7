//! The AWS emulator: moto's server plus our extension (`xtask/emulator/radiant_emulator`), run
//! from a virtual environment under `target/emulator-venv` that this module creates and keeps
//! in step with `xtask/emulator/requirements.txt`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use xshell::{Shell, cmd};

/// Environment variable through which test binaries find the emulator's Python interpreter.
pub const PYTHON_ENV_VAR: &str = "RADIANT_EMULATOR_PYTHON";

const USAGE: &str = "\
usage: cargo xtask emulator [--port P] [--accounts N] [--ous M] [--regions r1,r2]
                            [--latency-ms L] [--jitter-ms J] [--throttle RPS] [--throttle-burst B]
                            [--fault-rate F] [--drop-rate D] [--seed S]

Starts the AWS emulator in the foreground on 127.0.0.1 (port 0 = a free port), seeds an
organization when --accounts is given, prints the endpoint and the environment variables to
use, and runs until Ctrl-C.
";

/// Flags passed through to `python -m radiant_emulator`, each taking one value.
const VALUE_FLAGS: &[&str] = &[
    "--port",
    "--accounts",
    "--ous",
    "--regions",
    "--latency-ms",
    "--jitter-ms",
    "--throttle",
    "--throttle-burst",
    "--fault-rate",
    "--drop-rate",
    "--seed",
    "--suspended",
    "--existing-detectors",
    "--foreign-destinations",
];

fn emulator_dir(sh: &Shell) -> PathBuf {
    sh.current_dir().join("xtask").join("emulator")
}

fn venv_dir(sh: &Shell) -> PathBuf {
    sh.current_dir().join("target").join("emulator-venv")
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// FNV-1a: a hash that is stable across Rust versions (unlike `DefaultHasher`).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in bytes {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Creates `target/emulator-venv` once and installs the pinned requirements; re-installs only
/// when `requirements.txt` changed (a stamp file keeps its hash). Returns the venv's python.
pub fn ensure_venv(sh: &Shell) -> Result<PathBuf> {
    let requirements = emulator_dir(sh).join("requirements.txt");
    let content = std::fs::read(&requirements)
        .with_context(|| format!("cannot read `{}`", requirements.display()))?;
    let wanted = format!("{:016x}\n", fnv1a(&content));
    let venv = venv_dir(sh);
    let python = venv_python(&venv);
    let stamp = venv.join("radiant-requirements.stamp");
    let current = std::fs::read_to_string(&stamp).unwrap_or_default();
    if python.exists() && current == wanted {
        return Ok(python);
    }
    if !python.exists() {
        eprintln!("emulator: creating {}", venv.display());
        let host_python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
        cmd!(sh, "{host_python} -m venv {venv}")
            .run()
            .context("cannot create the emulator's virtual environment: install python3 (3.11+) with the venv module")?;
    }
    eprintln!(
        "emulator: installing pinned packages from {}",
        requirements.display()
    );
    cmd!(
        sh,
        "{python} -m pip install --quiet --disable-pip-version-check --no-input -r {requirements}"
    )
    .run()
    .context("cannot install the emulator's packages: check that PyPI is reachable")?;
    std::fs::write(&stamp, wanted).context("cannot write the emulator's stamp file")?;
    Ok(python)
}

/// Runs the emulator's own pytest suite with the venv's python.
pub fn self_test(sh: &Shell, python: &Path) -> Result<()> {
    let dir = emulator_dir(sh);
    let _path = sh.push_env("PYTHONPATH", &dir);
    let _dir = sh.push_dir(&dir);
    cmd!(sh, "{python} -m pytest -q -p no:cacheprovider tests")
        .run()
        .context("the emulator's self-tests failed")?;
    Ok(())
}

/// `cargo xtask emulator ...`: runs the emulator in the foreground until Ctrl-C.
pub fn run(sh: &Shell, args: &[String]) -> Result<()> {
    let mut passed: Vec<String> = Vec::new();
    let mut port = "0".to_owned();
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        if arg == "-h" || arg == "--help" {
            print!("{USAGE}");
            return Ok(());
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) => (flag, Some(value.to_owned())),
            None => (arg.as_str(), None),
        };
        if !VALUE_FLAGS.contains(&flag) {
            bail!("unknown option `{arg}`\n\n{USAGE}");
        }
        let value = match inline {
            Some(value) => value,
            None => iter
                .next()
                .cloned()
                .with_context(|| format!("option `{flag}` needs a value"))?,
        };
        if flag == "--port" {
            port = value;
        } else {
            passed.push(flag.to_owned());
            passed.push(value);
        }
    }
    let python = ensure_venv(sh)?;
    let dir = emulator_dir(sh);
    let _path = sh.push_env("PYTHONPATH", &dir);
    cmd!(
        sh,
        "{python} -m radiant_emulator --port {port} --print-env {passed...}"
    )
    .run()
    .context("the emulator stopped with an error")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::fnv1a;

    #[test]
    fn fnv1a_is_stable() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
