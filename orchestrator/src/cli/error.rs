//! Errors that end a command, with their exit codes.

use std::path::PathBuf;

use orchestrator::config::ConfigError;
use orchestrator::engine::EngineError;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: some accounts failed, or verify found problems.
pub const EXIT_FAILURES: u8 = 1;
/// Exit code: invalid configuration or usage; nothing called, nothing written.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: preflight failed; nothing written.
pub const EXIT_PREFLIGHT: u8 = 3;
/// Exit code of `plan --detailed-exitcode` when changes are pending.
pub const EXIT_CHANGES: u8 = 4;

/// Why a command stopped.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The configuration file is missing or invalid (exit 2).
    #[error("{error}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        error: ConfigError,
    },
    /// The command line cannot be carried out as given (exit 2).
    #[error("{message}")]
    Usage {
        /// What is wrong and what to do.
        message: String,
    },
    /// The engine stopped the run.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// An output file could not be written (exit 1).
    #[error("cannot write `{path}`: {source}; check the path and its permissions")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The user declined the confirmation prompt (exit 1).
    #[error("{what} cancelled: nothing was written")]
    Cancelled {
        /// `apply` or `offboard`.
        what: &'static str,
    },
    /// The async runtime could not start (exit 1).
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// A saved plan no longer matches the organization, its configuration or its age (exit 2):
    /// nothing was written.
    #[error("the saved plan `{}` cannot be applied, the world moved since it was made:\n{}", path.display(), differences.iter().map(|d| format!("  - {d}")).collect::<Vec<_>>().join("\n"))]
    StalePlan {
        /// The plan file.
        path: PathBuf,
        /// Every difference found.
        differences: Vec<String>,
    },
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Config { .. } | Self::Usage { .. } | Self::StalePlan { .. } => EXIT_USAGE,
            Self::Engine(EngineError::Preflight { .. }) => EXIT_PREFLIGHT,
            Self::Engine(
                EngineError::Hub { .. }
                | EngineError::Discovery { .. }
                | EngineError::PolicySize { .. },
            ) => EXIT_FAILURES,
            Self::Write { .. } | Self::Cancelled { .. } | Self::Runtime(_) => EXIT_FAILURES,
        }
    }

    /// A stable, kebab-case name for the error (`--error-format json`, `docs/runbook.md`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Config { .. } => "invalid-configuration",
            Self::Usage { .. } => "usage",
            Self::Engine(EngineError::Preflight { .. }) => "preflight",
            Self::Engine(EngineError::Hub { .. }) => "hub-failure",
            Self::Engine(EngineError::Discovery { .. }) => "discovery",
            Self::Engine(EngineError::PolicySize { .. }) => "policy-size",
            Self::Write { .. } => "write",
            Self::Cancelled { .. } => "cancelled",
            Self::Runtime(_) => "runtime",
            Self::StalePlan { .. } => "stale-plan",
        }
    }

    /// What to do about it, for the human rendering.
    pub fn help(&self) -> Option<String> {
        match self {
            Self::Config { .. } => Some(
                "fix the values above, then run the command again; nothing was called".to_owned(),
            ),
            Self::Engine(EngineError::Preflight { .. }) => {
                Some("nothing was written; see docs/runbook.md (preflight)".to_owned())
            }
            Self::Engine(EngineError::Hub { .. }) => Some(
                "accounts were not touched; fix the hub resource and run `apply` again (see docs/runbook.md)"
                    .to_owned(),
            ),
            Self::Engine(EngineError::Discovery { .. }) => Some(
                "accounts were not touched (hub resources may have been written); fix the cause and run `apply` again"
                    .to_owned(),
            ),
            Self::Engine(EngineError::PolicySize { .. }) => Some(
                "see docs/runbook.md (policy-size) for the opt-in compact forms".to_owned(),
            ),
            Self::StalePlan { .. } => Some(
                "nothing was written; make a new plan (`plan --out FILE`), review it and apply that one"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}
