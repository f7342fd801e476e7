//! The `radiant-onboard` commands: this module parses the arguments and dispatches each command
//! to its module, which loads the configuration (before any AWS call), runs the engine, renders
//! and picks the exit code: `init`, `permissions`, `plan` (and `plan --offboard`, `plan --out`),
//! `show`, `apply` (and `apply PLAN`), `verify`, `offboard`, `accounts`, `policies`. What several
//! commands share has a module of its own: `context` (the configuration and the run context),
//! `output` (stdout, the report, the end of a run that writes), `confirm` (the guards of the
//! commands that write) and `saved_plan` (the file of `plan --out`, `show` and `apply PLAN`).
//! Errors are `error` (with the exit codes) and `render_error`.

mod accounts;
mod apply;
pub mod args;
mod confirm;
mod context;
pub mod error;
mod init;
mod offboard;
mod output;
mod permissions;
mod plan;
mod policies;
mod render_error;
pub mod saved_plan;
mod show;
mod verify;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser};
use orchestrator::engine::{OffboardOptions, VerifyOptions};

use args::{Cli, Command, GlobalArgs};
use error::{CliError, EXIT_OK, EXIT_USAGE};

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(&e),
    };
    init_tracing(&cli.global);
    let _ = miette::set_hook(Box::new(|_| {
        Box::new(miette::MietteHandlerOpts::new().wrap_lines(false).build())
    }));
    let format = cli.global.error_format;
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            render_error::report(&err, format);
            ExitCode::from(err.exit_code())
        }
    }
}

/// Clap's own errors (and `--help` / `--version`), honouring `--error-format json`.
fn clap_error(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand && e.exit_code() == 0
    {
        let _ = e.print();
        return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(EXIT_OK));
    }
    let json = std::env::args()
        .collect::<Vec<_>>()
        .windows(2)
        .any(|w| w[0] == "--error-format" && w[1] == "json")
        || std::env::args().any(|a| a == "--error-format=json");
    if json {
        let v = serde_json::json!({"error": {
            "kind": "usage", "exit_code": EXIT_USAGE, "message": e.kind().to_string(),
            "help": e.to_string().trim(), "issues": []}});
        eprintln!("{v}");
    } else {
        let _ = e.print();
    }
    ExitCode::from(EXIT_USAGE)
}

/// Diagnostics go to stderr. Third-party crates that could print request details stay at
/// `warn`, so no level prints credentials or signed headers.
fn init_tracing(g: &GlobalArgs) {
    let level = g.log_level.as_str();
    let directives = format!(
        "{level},aws_sigv4=warn,aws_smithy_runtime=warn,aws_smithy_runtime_api=warn,\
         aws_smithy_http_client=warn,hyper=warn,hyper_util=warn,h2=warn,rustls=warn"
    );
    let filter = tracing_subscriber::EnvFilter::try_new(directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(filter)
        .try_init();
}

fn run(cli: Cli) -> Result<u8, CliError> {
    output::set_verbose(cli.global.verbose);
    let Cli { global, command } = cli;
    match command {
        Command::Init { output, force } => init::run(&output, force),
        Command::Permissions {
            config,
            output,
            for_command,
        } => permissions::run(config.as_deref(), output, for_command.map(Into::into)),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "radiant-onboard", &mut std::io::stdout());
            Ok(EXIT_OK)
        }
        Command::Man => {
            let man = clap_mangen::Man::new(Cli::command());
            man.render(&mut std::io::stdout())
                .map_err(|source| CliError::Write {
                    path: PathBuf::from("-"),
                    source,
                })?;
            Ok(EXIT_OK)
        }
        Command::Plan {
            config,
            output,
            detailed_exitcode,
            offboard,
            keep_data,
            out,
            accounts,
        } => {
            let only = context::only(&accounts)?;
            let path = config.path();
            let loaded = context::load(&path)?;
            let what = if offboard {
                plan::PlanOf::Offboard(OffboardOptions { keep_data })
            } else {
                plan::PlanOf::Apply
            };
            let save = out.as_deref().map(|out| (out, path.as_path()));
            block_on(plan::run(
                &global,
                &loaded,
                what,
                output,
                detailed_exitcode,
                save,
                only,
            ))
        }
        Command::Apply {
            config,
            yes,
            report,
            plan,
            max_age,
            accounts,
        } => {
            let only = context::only(&accounts)?;
            let started = output::Started::now("apply");
            if let Some(plan) = plan {
                let max_age =
                    saved_plan::parse_duration(&max_age).map_err(|message| CliError::Usage {
                        message: format!("--max-age: {message}"),
                    })?;
                return block_on(apply::run_saved(
                    &global,
                    &plan,
                    config.given().cloned(),
                    max_age,
                    report.as_deref(),
                    started,
                ));
            }
            let loaded = context::load(&config.path())?;
            confirm::refuse_without_terminal("apply", yes)?;
            block_on(apply::run(
                &global,
                &loaded,
                yes,
                report.as_deref(),
                started,
                only,
            ))
        }
        Command::Show { plan } => show::run(&plan),
        Command::Verify {
            config,
            sample_findings,
            wait,
            output,
            report,
            accounts,
        } => {
            let only = context::only(&accounts)?;
            let loaded = context::load(&config.path())?;
            let started = output::Started::now("verify");
            let opts = VerifyOptions {
                sample_findings,
                wait: Duration::from_secs(wait),
            };
            block_on(verify::run(
                &global,
                &loaded,
                &opts,
                output,
                report.as_deref(),
                started,
                only,
            ))
        }
        Command::Offboard {
            config,
            yes,
            keep_data,
            report,
        } => {
            let loaded = context::load(&config.path())?;
            confirm::refuse_without_terminal("offboard", yes)?;
            let started = output::Started::now("offboard");
            let opts = OffboardOptions { keep_data };
            block_on(offboard::run(
                &global,
                &loaded,
                yes,
                &opts,
                report.as_deref(),
                started,
            ))
        }
        Command::Accounts { config, output } => {
            let loaded = context::load(&config.path())?;
            block_on(accounts::run(&global, &loaded, output))
        }
        Command::Policies { config, out } => {
            let loaded = context::load(&config.path())?;
            block_on(policies::run(&global, &loaded, &out))
        }
    }
}

fn block_on<F: std::future::Future<Output = Result<u8, CliError>>>(f: F) -> Result<u8, CliError> {
    // Blocking threads only resolve host names for new connections; a small pool keeps the
    // number of threads (and of malloc arenas, which inflate the peak RSS) bounded.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(8)
        .build()
        .map_err(CliError::Runtime)?;
    rt.block_on(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_exit_2() {
        let e = CliError::Usage {
            message: "x".into(),
        };
        assert_eq!(e.exit_code(), EXIT_USAGE);
    }
}
