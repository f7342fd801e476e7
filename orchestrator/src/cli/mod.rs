//! The `radiant-onboard` commands: parse, load the configuration (before any AWS call), run the
//! engine, render, and pick the exit code.

pub mod args;
pub mod error;
mod render_error;
pub mod saved_plan;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{CommandFactory, Parser};
use orchestrator::aws::{AwsOptions, SdkFactory};
use orchestrator::config::{Config, EXAMPLE_CONFIG, LoadedConfig};
use orchestrator::engine::{self, OffboardOptions, RunContext, VerifyOptions};
use orchestrator::outcome::RunOutcome;
use orchestrator::progress::{NoProgress, Progress};
use orchestrator::report::{Report, RunMetadata};

use crate::render::{self, Style};
use args::{Cli, Command, GlobalArgs, OutputFormat};
use error::{CliError, EXIT_CHANGES, EXIT_FAILURES, EXIT_OK, EXIT_USAGE};

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
    let Cli { global, command } = cli;
    match command {
        Command::Init { output, force } => init(&output, force),
        Command::Permissions {
            config,
            output,
            for_command,
        } => permissions(config.as_deref(), output, for_command.map(Into::into)),
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
        } => {
            let path = config.path();
            let loaded = load(&path)?;
            let what = if offboard {
                PlanOf::Offboard(OffboardOptions { keep_data })
            } else {
                PlanOf::Apply
            };
            let save = out.as_deref().map(|out| (out, path.as_path()));
            block_on(plan(
                &global,
                &loaded,
                what,
                output,
                detailed_exitcode,
                save,
            ))
        }
        Command::Apply {
            config,
            yes,
            report,
            plan,
            max_age,
        } => {
            let started = Started::now("apply");
            if let Some(plan) = plan {
                let max_age =
                    saved_plan::parse_duration(&max_age).map_err(|message| CliError::Usage {
                        message: format!("--max-age: {message}"),
                    })?;
                return block_on(apply_saved(
                    &global,
                    &plan,
                    config.given().cloned(),
                    max_age,
                    report.as_deref(),
                    started,
                ));
            }
            let loaded = load(&config.path())?;
            refuse_without_terminal("apply", yes)?;
            block_on(apply(&global, &loaded, yes, report.as_deref(), started))
        }
        Command::Show { plan } => show(&plan),
        Command::Verify {
            config,
            sample_findings,
            wait,
            output,
            report,
        } => {
            let loaded = load(&config.path())?;
            let started = Started::now("verify");
            let opts = VerifyOptions {
                sample_findings,
                wait: Duration::from_secs(wait),
            };
            block_on(verify(
                &global,
                &loaded,
                &opts,
                output,
                report.as_deref(),
                started,
            ))
        }
        Command::Offboard {
            config,
            yes,
            keep_data,
            report,
        } => {
            let loaded = load(&config.path())?;
            refuse_without_terminal("offboard", yes)?;
            let started = Started::now("offboard");
            let opts = OffboardOptions { keep_data };
            block_on(offboard(
                &global,
                &loaded,
                yes,
                &opts,
                report.as_deref(),
                started,
            ))
        }
        Command::Accounts { config, output } => {
            let loaded = load(&config.path())?;
            block_on(accounts(&global, &loaded, output))
        }
        Command::Policies { config, out } => {
            let loaded = load(&config.path())?;
            block_on(policies(&global, &loaded, &out))
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

/// Loads and validates the configuration: exit 2 on any problem, before any AWS call.
fn load(path: &Path) -> Result<LoadedConfig, CliError> {
    Config::load(path).map_err(|error| CliError::Config {
        path: path.to_owned(),
        error,
    })
}

fn refuse_without_terminal(what: &str, yes: bool) -> Result<(), CliError> {
    if yes || std::io::stdin().is_terminal() {
        return Ok(());
    }
    Err(CliError::Usage {
        message: format!(
            "refusing to {what} without a terminal to confirm on: pass `--yes` to {what} non-interactively (run `plan` first to review)"
        ),
    })
}

fn stdout_style() -> Style {
    Style {
        color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

fn write_out(f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    f(&mut out).map_err(|source| CliError::Write {
        path: PathBuf::from("-"),
        source,
    })
}

/// Builds the run context: SDK factory, progress display and concurrency.
async fn context(
    g: &GlobalArgs,
    cfg: &Config,
    show_progress: bool,
) -> Result<RunContext, CliError> {
    let opts = AwsOptions {
        endpoint_url: g.endpoint_url.clone().filter(|u| !u.is_empty()),
        profile: g.profile.clone(),
        region: g
            .region
            .clone()
            .or_else(|| Some(cfg.organization.home_region.to_string())),
    };
    let aws = SdkFactory::load(&opts)
        .await
        .map_err(engine::EngineError::from)?;
    let progress: Arc<dyn Progress> =
        if show_progress && !g.no_progress && std::io::stderr().is_terminal() {
            Arc::new(render::progress::BarProgress::new())
        } else {
            Arc::new(NoProgress)
        };
    aws.attach_progress(Arc::clone(&progress));
    let concurrency = g.concurrency.unwrap_or(cfg.run.concurrency);
    Ok(RunContext {
        aws,
        progress,
        concurrency: usize::try_from(concurrency).unwrap_or(1),
    })
}

/// Start time of a run, for the report's metadata.
struct Started {
    command: &'static str,
    at: time::OffsetDateTime,
    clock: Instant,
}

impl Started {
    fn now(command: &'static str) -> Self {
        Self {
            command,
            at: time::OffsetDateTime::now_utc(),
            clock: Instant::now(),
        }
    }

    fn metadata(&self, digest: &str) -> RunMetadata {
        RunMetadata {
            tool_version: env!("CARGO_PKG_VERSION").to_owned(),
            command: self.command.to_owned(),
            started_at: self
                .at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            duration_ms: u64::try_from(self.clock.elapsed().as_millis()).unwrap_or(u64::MAX),
            config_digest: digest.to_owned(),
        }
    }
}

/// Writes the report; `sts:ExternalId` values in documents are fingerprinted, the hand-off keeps
/// the external ID (it is one of the values to enter in Radiant).
fn write_report(path: &Path, report: &Report) -> Result<(), CliError> {
    let mut value = render::redact_external_ids(&serde_json::to_value(report).unwrap_or_default());
    if let Some(handoff) = &report.handoff {
        value["handoff"] = serde_json::to_value(handoff).unwrap_or_default();
    }
    let text = serde_json::to_string_pretty(&value).unwrap_or_default();
    std::fs::write(path, text + "\n").map_err(|source| CliError::Write {
        path: path.to_owned(),
        source,
    })
}

fn init(output: &Path, force: bool) -> Result<u8, CliError> {
    if output == Path::new("-") {
        write_out(|o| o.write_all(EXAMPLE_CONFIG.as_bytes()))?;
        return Ok(EXIT_OK);
    }
    if output.exists() && !force {
        return Err(CliError::Usage {
            message: format!(
                "`{}` already exists: pass `--force` to overwrite it or choose another path with `-o`",
                output.display()
            ),
        });
    }
    std::fs::write(output, EXAMPLE_CONFIG).map_err(|source| CliError::Write {
        path: output.to_owned(),
        source,
    })?;
    eprintln!(
        "wrote `{}`: edit the bucket and topic names, set RADIANT_EXTERNAL_ID, then run `radiant-onboard plan -c {}`",
        output.display(),
        output.display()
    );
    Ok(EXIT_OK)
}

fn permissions(
    config: Option<&Path>,
    output: OutputFormat,
    command: Option<orchestrator::permissions::Command>,
) -> Result<u8, CliError> {
    let (partition, access, hub, member, names) = match config {
        Some(path) => {
            let c = load(path)?.config;
            // The log buckets by name, unless a reused trail's bucket (known only when the trail
            // is read) is among them; topics stay any name: a customer's topic that already gets
            // the bucket's notifications may be reused.
            let mut buckets = Vec::new();
            let mut known = true;
            if let Some(ct) = &c.cloudtrail {
                match ct.new_trail() {
                    Some(nt) => {
                        buckets.push(nt.bucket.to_string());
                        buckets.extend(nt.access_logs_bucket.iter().map(ToString::to_string));
                    }
                    None => known = false,
                }
            }
            buckets.extend(c.guardduty.iter().map(|g| g.bucket.to_string()));
            let names = orchestrator::permissions::Names {
                buckets: known.then_some(buckets),
                topics: None,
            };
            (
                policy_model::Partition::of_region(&c.organization.home_region),
                c.organization.access_role_name,
                c.radiant.role_name,
                c.radiant.member_role_name,
                Some(names),
            )
        }
        None => (
            policy_model::Partition::Aws,
            "OrganizationAccountAccessRole".to_owned(),
            "radiant-aws-access-role".to_owned(),
            "radiant-aws-member-role".to_owned(),
            None,
        ),
    };
    match output {
        OutputFormat::Json => write_out(|o| {
            writeln!(
                o,
                "{}",
                serde_json::to_string_pretty(&render::permissions_json(
                    partition,
                    &access,
                    &hub,
                    &member,
                    command,
                    names.as_ref()
                ))
                .unwrap_or_default()
            )
        })?,
        OutputFormat::Human => {
            write_out(|o| {
                render::permissions_human(
                    o,
                    partition,
                    &access,
                    &hub,
                    &member,
                    command,
                    names.as_ref(),
                )
            })?;
        }
    }
    Ok(EXIT_OK)
}

/// What a `plan` is of.
enum PlanOf {
    /// `apply`.
    Apply,
    /// `offboard` with these options.
    Offboard(OffboardOptions),
}

async fn plan(
    g: &GlobalArgs,
    loaded: &LoadedConfig,
    what: PlanOf,
    output: OutputFormat,
    detailed: bool,
    save: Option<(&Path, &Path)>,
) -> Result<u8, CliError> {
    let ctx = context(g, &loaded.config, true).await?;
    let outcome = match what {
        PlanOf::Apply => engine::plan(&loaded.config, &ctx).await?,
        PlanOf::Offboard(opts) => engine::plan_offboard(&loaded.config, &ctx, &opts).await?,
    };
    ctx.progress.finish();
    let saved = match save {
        Some((out, config_path)) if !outcome.has_failures() => {
            save_plan(&outcome, out, config_path, &loaded.digest)?;
            true
        }
        _ => false,
    };
    let failed_save = save.is_some() && !saved;
    let outcome = render::redact_outcome(&outcome);
    match output {
        OutputFormat::Json => write_out(|o| {
            writeln!(
                o,
                "{}",
                serde_json::to_string_pretty(&render::plan_json(&outcome)).unwrap_or_default()
            )
        })?,
        OutputFormat::Human => write_out(|o| render::plan_human(o, &outcome, stdout_style()))?,
    }
    if failed_save && let Some((out, _)) = save {
        eprintln!(
            "the plan has failures (above), so it is not saved to `{}`: fix them and plan again",
            out.display()
        );
    }
    Ok(if outcome.has_failures() {
        EXIT_FAILURES
    } else if detailed && outcome.has_changes() {
        EXIT_CHANGES
    } else {
        EXIT_OK
    })
}

/// `plan --out FILE`: the plan, saved for review and `apply FILE`. A plan with failures is not
/// saved (it could not be applied as it is).
fn save_plan(
    outcome: &RunOutcome,
    out: &Path,
    config_path: &Path,
    config_digest: &str,
) -> Result<(), CliError> {
    let now = time::OffsetDateTime::now_utc();
    let saved = saved_plan::SavedPlan {
        schema_version: saved_plan::PLAN_SCHEMA_VERSION,
        kind: saved_plan::PLAN_KIND.to_owned(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        created_at_unix: now.unix_timestamp(),
        config_path: std::fs::canonicalize(config_path)
            .unwrap_or_else(|_| config_path.to_owned())
            .display()
            .to_string(),
        config_digest: config_digest.to_owned(),
        organization_id: outcome.organization_id.clone(),
        hub_account_id: outcome.hub_account_id.clone(),
        accounts: saved_plan::covered_accounts(outcome),
        summary: render::accounts_summary(&outcome.accounts, outcome.mode),
        warnings: outcome.warnings.clone(),
        changes: saved_plan::planned_changes(outcome, render::redact_external_ids),
    };
    let text = serde_json::to_string_pretty(&saved).unwrap_or_default() + "\n";
    std::fs::write(out, text).map_err(|source| CliError::Write {
        path: out.to_owned(),
        source,
    })?;
    eprintln!(
        "saved the plan ({} changes) to `{}`: review it (`radiant-onboard show {}`), then `radiant-onboard apply {}`",
        saved.changes.len(),
        out.display(),
        out.display(),
        out.display()
    );
    Ok(())
}

/// Reads a saved plan; exit 2 when the file is not one.
fn read_saved_plan(path: &Path) -> Result<saved_plan::SavedPlan, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Usage {
        message: format!("cannot read the plan `{}`: {e}", path.display()),
    })?;
    let plan: saved_plan::SavedPlan = serde_json::from_str(&text).map_err(|e| CliError::Usage {
        message: format!(
            "`{}` is not a plan saved by `radiant-onboard plan --out`: {e}",
            path.display()
        ),
    })?;
    if plan.kind != saved_plan::PLAN_KIND || plan.schema_version != saved_plan::PLAN_SCHEMA_VERSION
    {
        return Err(CliError::Usage {
            message: format!(
                "`{}` is a `{}` of schema version {}; this radiant-onboard reads `{}` version {}: plan again",
                path.display(),
                plan.kind,
                plan.schema_version,
                saved_plan::PLAN_KIND,
                saved_plan::PLAN_SCHEMA_VERSION
            ),
        });
    }
    Ok(plan)
}

/// `show PLAN`: the saved plan as the human plan (no AWS call).
fn show(path: &Path) -> Result<u8, CliError> {
    let plan = read_saved_plan(path)?;
    write_out(|o| saved_plan::render_human(o, &plan, stdout_style()))?;
    Ok(EXIT_OK)
}

/// `apply PLAN`: plans again (read-only) and applies only when the fresh plan is the saved one;
/// otherwise exit 2 with every difference, nothing written.
async fn apply_saved(
    g: &GlobalArgs,
    plan_path: &Path,
    config_override: Option<PathBuf>,
    max_age_s: i64,
    report: Option<&Path>,
    started: Started,
) -> Result<u8, CliError> {
    let plan = read_saved_plan(plan_path)?;
    let config_path = config_override.unwrap_or_else(|| PathBuf::from(&plan.config_path));
    let loaded = load(&config_path)?;
    let cfg = &loaded.config;
    let ctx = context(g, cfg, true).await?;
    let fresh = engine::plan(cfg, &ctx).await?;
    ctx.progress.finish();
    let mut differences = saved_plan::differences(
        &plan,
        &fresh,
        &loaded.digest,
        time::OffsetDateTime::now_utc().unix_timestamp(),
        max_age_s,
    );
    if fresh.has_failures() {
        differences.push("planning again failed for some accounts (see `plan`)".to_owned());
    }
    if !differences.is_empty() {
        return Err(CliError::StalePlan {
            path: plan_path.to_owned(),
            differences,
        });
    }
    eprintln!(
        "the plan `{}` matches the organization: applying its {} changes",
        plan_path.display(),
        plan.changes.len()
    );
    let mut outcome = engine::apply(cfg, &ctx).await?;
    ctx.progress.finish();
    // A read-diff-write apply from the plan's states makes the plan's changes; should anything
    // else have changed between the check and the writes, it is said.
    let outside = saved_plan::unplanned(&plan, &outcome);
    for c in &outside {
        outcome.warnings.push(format!(
            "a change outside the saved plan was made (the organization changed while applying): {c}"
        ));
    }
    write_out(|o| render::applied_human(o, &render::redact_outcome(&outcome), stdout_style()))?;
    let code = finish_run(&outcome, report, &started, &loaded.digest, Shown::Results)?;
    // What nobody reviewed was written: not a success.
    Ok(if outside.is_empty() {
        code
    } else {
        EXIT_FAILURES
    })
}

/// Asks on the terminal; `true` when the user typed `yes`.
fn confirm(question: &str) -> bool {
    eprint!("{question} Only `yes` is accepted: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && answer.trim() == "yes"
}

async fn apply(
    g: &GlobalArgs,
    loaded: &LoadedConfig,
    yes: bool,
    report: Option<&Path>,
    started: Started,
) -> Result<u8, CliError> {
    let cfg = &loaded.config;
    let ctx = context(g, cfg, true).await?;
    if yes {
        // Nobody reviews the plan: one pass, which reads each resource once and writes what
        // differs, then shows what it changed (also in the report).
        let outcome = engine::apply(cfg, &ctx).await?;
        ctx.progress.finish();
        write_out(|o| render::applied_human(o, &render::redact_outcome(&outcome), stdout_style()))?;
        return finish_run(&outcome, report, &started, &loaded.digest, Shown::Results);
    }
    let planned = engine::plan(cfg, &ctx).await?;
    ctx.progress.finish();
    write_out(|o| render::plan_human(o, &render::redact_outcome(&planned), stdout_style()))?;
    if planned.has_changes() && !confirm("Apply these changes?") {
        return Err(CliError::Cancelled { what: "apply" });
    }
    let outcome = engine::apply(cfg, &ctx).await?;
    ctx.progress.finish();
    finish_run(&outcome, report, &started, &loaded.digest, Shown::Nothing)
}

/// What the terminal already shows of a run's outcome before its summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shown {
    /// Nothing: the summary starts with the failures, warnings and the accounts line.
    Nothing,
    /// What it did (`applied_human`), with its failures, warnings and accounts line: the
    /// summary adds only the hand-off and the report (each line once).
    Results,
}

fn finish_run(
    outcome: &RunOutcome,
    report: Option<&Path>,
    started: &Started,
    digest: &str,
    shown: Shown,
) -> Result<u8, CliError> {
    if let Some(path) = report {
        write_report(path, &Report::from_run(started.metadata(digest), outcome))?;
    }
    write_out(|o| {
        writeln!(o)?;
        render::apply_summary(o, outcome, report, shown == Shown::Nothing, stdout_style())
    })?;
    Ok(if outcome.has_failures() {
        EXIT_FAILURES
    } else {
        EXIT_OK
    })
}

async fn verify(
    g: &GlobalArgs,
    loaded: &LoadedConfig,
    opts: &VerifyOptions,
    output: OutputFormat,
    report: Option<&Path>,
    started: Started,
) -> Result<u8, CliError> {
    let ctx = context(g, &loaded.config, true).await?;
    let outcome = engine::verify(&loaded.config, &ctx, opts).await?;
    ctx.progress.finish();
    if let Some(path) = report {
        write_report(
            path,
            &Report::from_verify(started.metadata(&loaded.digest), &outcome),
        )?;
    }
    match output {
        OutputFormat::Json => write_out(|o| {
            writeln!(
                o,
                "{}",
                serde_json::to_string_pretty(&outcome).unwrap_or_default()
            )
        })?,
        OutputFormat::Human => write_out(|o| render::verify_human(o, &outcome, stdout_style()))?,
    }
    Ok(if outcome.has_problems() {
        EXIT_FAILURES
    } else {
        EXIT_OK
    })
}

async fn offboard(
    g: &GlobalArgs,
    loaded: &LoadedConfig,
    yes: bool,
    opts: &OffboardOptions,
    report: Option<&Path>,
    started: Started,
) -> Result<u8, CliError> {
    let cfg = &loaded.config;
    let ctx = context(g, cfg, true).await?;
    if yes {
        // Like `apply --yes`: one pass, then what it deleted or changed.
        let outcome = engine::offboard(cfg, &ctx, opts).await?;
        ctx.progress.finish();
        write_out(|o| render::applied_human(o, &render::redact_outcome(&outcome), stdout_style()))?;
        return finish_run(&outcome, report, &started, &loaded.digest, Shown::Results);
    }
    let planned = engine::plan_offboard(cfg, &ctx, opts).await?;
    ctx.progress.finish();
    write_out(|o| render::plan_human(o, &render::redact_outcome(&planned), stdout_style()))?;
    if planned.has_changes() {
        let what = if opts.keep_data {
            "Delete and change these (buckets, keys and topics are kept)?"
        } else {
            "Delete and change these, including the buckets, keys and topics and the logs in them?"
        };
        if !confirm(what) {
            return Err(CliError::Cancelled { what: "offboard" });
        }
    }
    let outcome = engine::offboard(cfg, &ctx, opts).await?;
    ctx.progress.finish();
    finish_run(&outcome, report, &started, &loaded.digest, Shown::Nothing)
}

async fn accounts(
    g: &GlobalArgs,
    loaded: &LoadedConfig,
    output: OutputFormat,
) -> Result<u8, CliError> {
    let ctx = context(g, &loaded.config, false).await?;
    let discovery = engine::discover(&loaded.config, &ctx).await?;
    match output {
        OutputFormat::Json => write_out(|o| {
            writeln!(
                o,
                "{}",
                serde_json::to_string_pretty(&discovery).unwrap_or_default()
            )
        })?,
        OutputFormat::Human => write_out(|o| render::accounts_human(o, &discovery))?,
    }
    Ok(EXIT_OK)
}

/// One policy document for review: its file stem says what it is; `resources` are the
/// resources it applies to (one document for all members with the same content).
#[derive(Debug)]
struct ReviewDoc {
    stem: String,
    doc: serde_json::Value,
    resources: Vec<String>,
}

/// A file-name-safe form of `s`.
fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// What a document of `resource` is, as a file stem: `hub-role.trust`, `member-role.permissions`,
/// `managed-policy.NAME`, `bucket.NAME.policy`, `key.ALIAS.policy`, `topic.NAME.policy`.
/// `part` is `trust` or `permissions` for a role created with its documents; `aliases` maps a
/// key ARN to its alias name (from the plan's records).
fn review_stem(
    resource: &str,
    part: &str,
    cfg: &Config,
    aliases: &std::collections::BTreeMap<String, String>,
) -> String {
    let (arn, fragment) = resource.split_once('#').unwrap_or((resource, ""));
    let fields: Vec<&str> = arn.splitn(6, ':').collect();
    let service = fields.get(2).copied().unwrap_or_default();
    let tail = fields.get(5).copied().unwrap_or_default();
    match service {
        "iam" => {
            if let Some(name) = tail.strip_prefix("role/") {
                let who = if name == cfg.radiant.role_name {
                    "hub-role".to_owned()
                } else if name == cfg.radiant.member_role_name {
                    "member-role".to_owned()
                } else {
                    format!("role.{}", safe_name(name))
                };
                let what = if part == "trust" || fragment == "trust" {
                    "trust"
                } else {
                    "permissions"
                };
                format!("{who}.{what}")
            } else if let Some(name) = tail.strip_prefix("policy/") {
                format!("managed-policy.{}", safe_name(name))
            } else {
                safe_name(arn)
            }
        }
        "s3" => format!("bucket.{}.policy", safe_name(tail)),
        "kms" => {
            let alias = tail
                .strip_prefix("alias/")
                .map(str::to_owned)
                .or_else(|| aliases.get(arn).cloned())
                .or_else(|| {
                    tail.strip_prefix("key/known-after-apply-")
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| tail.trim_start_matches("key/").to_owned());
            format!("key.{}.policy", safe_name(&alias))
        }
        "sns" => format!("topic.{}.policy", safe_name(tail)),
        _ => safe_name(arn),
    }
}

/// Every policy document of a plan's changes, once per distinct content, named by what it is.
fn review_docs(outcome: &RunOutcome, cfg: &Config) -> Vec<ReviewDoc> {
    // A key's alias, from the hub's records (`kms-alias`, detail = the key's ARN).
    let mut aliases = std::collections::BTreeMap::new();
    for a in &outcome.hub {
        if a.kind.as_deref() == Some("kms-alias")
            && let Some(key) = &a.detail
            && let Some((_, name)) = a.resource.rsplit_once(":alias/")
        {
            aliases.insert(key.clone(), name.to_owned());
        }
    }
    let mut pieces: Vec<(String, &str, serde_json::Value)> = Vec::new();
    for c in &outcome.changes {
        let Some(after) = &c.after else { continue };
        if after.get("Statement").is_some() {
            pieces.push((c.resource.clone(), "", after.clone()));
        }
        // A role created with its documents.
        if let Some(trust) = after.get("AssumeRolePolicyDocument") {
            pieces.push((c.resource.clone(), "trust", trust.clone()));
        }
        if let Some(inline) = after.get("InlinePolicies").and_then(|v| v.as_object()) {
            for doc in inline.values() {
                pieces.push((c.resource.clone(), "permissions", doc.clone()));
            }
        }
    }
    let stems: Vec<String> = pieces
        .iter()
        .map(|(r, part, _)| review_stem(r, part, cfg, &aliases))
        .collect();
    let mut docs: Vec<ReviewDoc> = Vec::new();
    for (i, (resource, _, doc)) in pieces.into_iter().enumerate() {
        let stem = &stems[i];
        // A new key's initial policy (on its alias) is superseded by its full policy
        // (`KEY#policy`) when the plan has one.
        let superseded = resource.contains(":alias/")
            && !resource.contains('#')
            && stems.iter().enumerate().any(|(j, s)| j != i && s == stem);
        if superseded {
            continue;
        }
        let owner = resource
            .split_once('#')
            .map_or(resource.as_str(), |(a, _)| a)
            .to_owned();
        let same_kind: Vec<usize> = docs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.stem == *stem || d.stem.starts_with(&format!("{stem}-")))
            .map(|(j, _)| j)
            .collect();
        if let Some(j) = same_kind.iter().copied().find(|j| docs[*j].doc == doc) {
            if !docs[j].resources.contains(&owner) {
                docs[j].resources.push(owner);
            }
            continue;
        }
        let stem = if same_kind.is_empty() {
            stem.clone()
        } else {
            format!("{stem}-{}", same_kind.len() + 1)
        };
        docs.push(ReviewDoc {
            stem,
            doc,
            resources: vec![owner],
        });
    }
    docs
}

async fn policies(g: &GlobalArgs, loaded: &LoadedConfig, out: &Path) -> Result<u8, CliError> {
    let ctx = context(g, &loaded.config, true).await?;
    let outcome = engine::plan(&loaded.config, &ctx).await?;
    ctx.progress.finish();
    let write_err = |path: &Path, source| CliError::Write {
        path: path.to_owned(),
        source,
    };
    std::fs::create_dir_all(out).map_err(|e| write_err(out, e))?;
    let docs = review_docs(&outcome, &loaded.config);
    let mut index = serde_json::Map::new();
    for d in &docs {
        let name = format!("{}.json", d.stem);
        let path = out.join(&name);
        let text = serde_json::to_string_pretty(&d.doc).unwrap_or_default() + "\n";
        std::fs::write(&path, text).map_err(|e| write_err(&path, e))?;
        index.insert(name, serde_json::json!(d.resources));
    }
    let path = out.join("index.json");
    let text = serde_json::to_string_pretty(&serde_json::json!({ "files": index }))
        .unwrap_or_default()
        + "\n";
    std::fs::write(&path, text).map_err(|e| write_err(&path, e))?;
    eprintln!(
        "wrote {} policy document(s) and index.json (each file and the resources it applies to) to `{}`; documents already in place are not written",
        docs.len(),
        out.display()
    );
    Ok(if outcome.has_failures() {
        EXIT_FAILURES
    } else {
        EXIT_OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn review_files_are_named_by_what_they_are() {
        let cfg = Config::from_toml_str_with_env(EXAMPLE_CONFIG, Some("rs-cred")).unwrap();
        let aliases: std::collections::BTreeMap<String, String> = [(
            "arn:aws:kms:us-east-1:111111111111:key/1234".to_owned(),
            "guardduty-findings".to_owned(),
        )]
        .into();
        let stem = |r: &str, part: &str| review_stem(r, part, &cfg, &aliases);
        assert_eq!(
            stem("arn:aws:s3:::acme-logs#policy", ""),
            "bucket.acme-logs.policy"
        );
        assert_eq!(
            stem(
                "arn:aws:iam::111111111111:role/radiant-aws-access-role#trust",
                ""
            ),
            "hub-role.trust"
        );
        assert_eq!(
            stem(
                "arn:aws:iam::222222222222:role/radiant-aws-member-role",
                "permissions"
            ),
            "member-role.permissions"
        );
        assert_eq!(
            stem(
                "arn:aws:iam::222222222222:role/radiant-aws-member-role#policy/radiant",
                ""
            ),
            "member-role.permissions"
        );
        assert_eq!(
            stem("arn:aws:iam::111111111111:policy/radiant-onboard-hub-1", ""),
            "managed-policy.radiant-onboard-hub-1"
        );
        assert_eq!(
            stem("arn:aws:kms:us-east-1:111111111111:key/1234#policy", ""),
            "key.guardduty-findings.policy"
        );
        assert_eq!(
            stem(
                "arn:aws:kms:us-east-1:111111111111:key/known-after-apply-cloudtrail-log-encryption#policy",
                ""
            ),
            "key.cloudtrail-log-encryption.policy"
        );
        assert_eq!(
            stem(
                "arn:aws:kms:us-east-1:111111111111:alias/guardduty-findings",
                ""
            ),
            "key.guardduty-findings.policy"
        );
        assert_eq!(
            stem("arn:aws:sns:us-east-1:111111111111:acme-topic#policy", ""),
            "topic.acme-topic.policy"
        );
    }

    #[test]
    fn usage_errors_exit_2() {
        let e = CliError::Usage {
            message: "x".into(),
        };
        assert_eq!(e.exit_code(), EXIT_USAGE);
    }
}
