//! The command-line interface: every flag, command and default (the public names of issue 5).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Connect every account of an AWS Organization to Radiant Security (CloudTrail + GuardDuty).
#[derive(Debug, Parser)]
#[command(name = "radiant-onboard", version, about, long_about = None)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Send every AWS request to this endpoint (S3 then uses path-style addressing)
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
    /// AWS profile of the caller (default: the standard credential chain)
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Region of the caller's clients (default: `organization.home_region`)
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// Accounts worked on at once, 1 to 512 (overrides `run.concurrency`)
    #[arg(long, global = true, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=512))]
    pub concurrency: Option<u32>,
    /// Never draw progress bars (they are hidden anyway when stderr is not a terminal)
    #[arg(long, global = true)]
    pub no_progress: bool,
    /// List every change, failure and check; without it, more than 20 lines that differ only
    /// by their account are shown as the first ones and a count
    #[arg(long, short = 'v', global = true)]
    pub verbose: bool,
    /// Log level of the diagnostics written to stderr
    #[arg(long, global = true, value_enum, default_value_t = LogLevel::Warn)]
    pub log_level: LogLevel,
    /// How errors are written to stderr
    #[arg(long, global = true, value_enum, default_value_t = ErrorFormat::Human)]
    pub error_format: ErrorFormat,
}

/// `--log-level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    /// Errors only.
    Error,
    /// Errors and warnings.
    Warn,
    /// Progress of the run's steps.
    Info,
    /// Every AWS call.
    Debug,
    /// Everything.
    Trace,
}

impl LogLevel {
    /// The tracing filter directive.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }
}

/// `--error-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ErrorFormat {
    /// Readable diagnostics.
    Human,
    /// One JSON object on stderr.
    Json,
}

/// `--output` of the reading commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Readable text.
    #[default]
    Human,
    /// JSON on stdout.
    Json,
}

/// The configuration file option.
#[derive(Debug, Args)]
pub struct ConfigArg {
    /// The configuration file [default: onboard.toml]
    #[arg(short = 'c', long = "config", value_name = "FILE")]
    path: Option<PathBuf>,
}

impl ConfigArg {
    /// The file given, or `onboard.toml`.
    pub fn path(&self) -> PathBuf {
        self.path
            .clone()
            .unwrap_or_else(|| PathBuf::from("onboard.toml"))
    }

    /// The file given with `-c`, if any.
    pub fn given(&self) -> Option<&PathBuf> {
        self.path.as_ref()
    }
}

/// Every command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a commented example configuration with every default
    Init {
        /// Where to write it (`-` for stdout)
        #[arg(
            short = 'o',
            long = "output",
            value_name = "FILE",
            default_value = "onboard.toml"
        )]
        output: PathBuf,
        /// Overwrite an existing file
        #[arg(long)]
        force: bool,
    },
    /// Show every intended change (read-only)
    Plan {
        /// The configuration file.
        #[command(flatten)]
        config: ConfigArg,
        /// Output format
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        output: OutputFormat,
        /// Exit 0 when nothing would change and 4 when changes are pending
        #[arg(long)]
        detailed_exitcode: bool,
        /// Show what `offboard` would delete or change instead (read-only)
        #[arg(long)]
        offboard: bool,
        /// With --offboard: plan an offboarding that keeps the buckets, keys and topics
        #[arg(long, requires = "offboard")]
        keep_data: bool,
        /// Save the plan to FILE for review; `apply FILE` applies exactly it
        #[arg(long, value_name = "FILE", conflicts_with = "offboard")]
        out: Option<PathBuf>,
        /// Only these accounts (comma-separated 12-digit IDs, e.g. a new account from an
        /// EventBridge rule): found with DescribeAccount and their parent chain instead of the
        /// organization's listing; the shared documents keep every other account's entries
        #[arg(long, value_name = "ID,...", value_delimiter = ',', conflicts_with_all = ["offboard", "out"])]
        accounts: Vec<String>,
    },
    /// Onboard the organization (shows the plan and asks first)
    Apply {
        /// The configuration file.
        #[command(flatten)]
        config: ConfigArg,
        /// Do not ask for confirmation (required without a terminal); skips the plan preview
        /// (one pass over the accounts) and shows the changes made instead
        #[arg(long)]
        yes: bool,
        /// Write the JSON run report here
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// A plan saved with `plan --out`: apply exactly it (no prompt), or refuse with exit 2
        /// and write nothing when the organization, the configuration or the plan's age moved
        #[arg(value_name = "PLAN")]
        plan: Option<PathBuf>,
        /// With PLAN: the oldest plan accepted (s, m, h or d)
        #[arg(long, value_name = "AGE", default_value = "24h", requires = "plan")]
        max_age: String,
        /// Only these accounts (comma-separated 12-digit IDs, e.g. a new account from an
        /// EventBridge rule): found with DescribeAccount and their parent chain instead of the
        /// organization's listing; the shared documents keep every other account's entries
        #[arg(
            long,
            value_name = "ID,...",
            value_delimiter = ',',
            conflicts_with = "plan"
        )]
        accounts: Vec<String>,
    },
    /// Render a plan saved with `plan --out` as the human plan (reads no AWS)
    Show {
        /// The plan file
        #[arg(value_name = "PLAN")]
        plan: PathBuf,
    },
    /// Check that everything is in place and working (read-only unless --sample-findings)
    Verify {
        /// The configuration file.
        #[command(flatten)]
        config: ConfigArg,
        /// Create GuardDuty sample findings and wait for them to reach the bucket
        #[arg(long)]
        sample_findings: bool,
        /// How long to wait for sample findings, in seconds
        #[arg(long, value_name = "SECONDS", default_value_t = 600)]
        wait: u64,
        /// Output format
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        output: OutputFormat,
        /// Write the JSON report here
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Only these accounts (comma-separated 12-digit IDs, e.g. a new account from an
        /// EventBridge rule): found with DescribeAccount and their parent chain instead of the
        /// organization's listing; the shared documents keep every other account's entries
        #[arg(long, value_name = "ID,...", value_delimiter = ',')]
        accounts: Vec<String>,
    },
    /// Remove what the product created or added (shows the plan and asks first)
    Offboard {
        /// The configuration file.
        #[command(flatten)]
        config: ConfigArg,
        /// Do not ask for confirmation (required without a terminal); skips the plan preview
        /// and shows the changes made instead
        #[arg(long)]
        yes: bool,
        /// Keep the buckets, keys and topics (and the logs in them)
        #[arg(long)]
        keep_data: bool,
        /// Write the JSON run report here
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
    },
    /// List the organization's accounts, included or excluded and why
    Accounts {
        /// The configuration file.
        #[command(flatten)]
        config: ConfigArg,
        /// Output format
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        output: OutputFormat,
    },
    /// Write every policy document the product would apply, for review
    Policies {
        /// The configuration file.
        #[command(flatten)]
        config: ConfigArg,
        /// Directory to write the documents to
        #[arg(long, value_name = "DIR", default_value = "policies")]
        out: PathBuf,
    },
    /// Print the IAM policy the tool itself needs and the permissions of Radiant's roles
    Permissions {
        /// Use the role names of this configuration (optional)
        #[arg(short = 'c', long = "config", value_name = "FILE")]
        config: Option<PathBuf>,
        /// Only what this command calls (plan also covers `plan --offboard` and `policies`)
        #[arg(long = "for", value_enum, value_name = "COMMAND")]
        for_command: Option<ForCommand>,
        /// Output format
        #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
        output: OutputFormat,
    },
    /// Print a shell completion script
    #[command(hide = true)]
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff)
    #[command(hide = true)]
    Man,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn concurrency_outside_range_is_a_usage_error() {
        let err =
            Cli::try_parse_from(["radiant-onboard", "--concurrency", "0", "plan"]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(Cli::try_parse_from(["radiant-onboard", "plan", "--concurrency", "512"]).is_ok());
    }
}

/// `permissions --for COMMAND`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ForCommand {
    Plan,
    Apply,
    Verify,
    Offboard,
    Accounts,
}

impl From<ForCommand> for orchestrator::permissions::Command {
    fn from(c: ForCommand) -> Self {
        match c {
            ForCommand::Plan => Self::Plan,
            ForCommand::Apply => Self::Apply,
            ForCommand::Verify => Self::Verify,
            ForCommand::Offboard => Self::Offboard,
            ForCommand::Accounts => Self::Accounts,
        }
    }
}
