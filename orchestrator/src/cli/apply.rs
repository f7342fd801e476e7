//! `apply`: on a terminal, the plan shown and applied once the user typed `yes`; with `--yes`,
//! one pass that shows what it changed; with a saved plan (`apply PLAN`), planned again and
//! applied only when the fresh plan is the saved one, or nothing is written.

use policy_model::AccountId;
use std::path::{Path, PathBuf};

use orchestrator::config::LoadedConfig;
use orchestrator::engine;

use super::args::GlobalArgs;
use super::confirm::confirm;
use super::context;
use super::error::{CliError, EXIT_FAILURES};
use super::output::{Shown, Started, account_lines, finish_run, stdout_style, write_out};
use super::saved_plan;
use crate::render;

/// `apply` (the plan shown and confirmed) and `apply --yes` (one pass).
pub(super) async fn run(
    g: &GlobalArgs,
    loaded: &LoadedConfig,
    yes: bool,
    report: Option<&Path>,
    started: Started,
    only: Option<Vec<AccountId>>,
) -> Result<u8, CliError> {
    let cfg = &loaded.config;
    let mut ctx = context::run_context(g, cfg, true).await?;
    ctx.only = only;
    if yes {
        // Nobody reviews the plan: one pass, which reads each resource once and writes what
        // differs, then shows what it changed (also in the report).
        ctx.sink = account_lines(report)?;
        let outcome = render::redact_outcome(engine::apply(cfg, &ctx).await?);
        ctx.progress.finish();
        write_out(|o| render::applied_human(o, &outcome, stdout_style()))?;
        return finish_run(&outcome, report, &started, &loaded.digest, Shown::Results);
    }
    let planned = render::redact_outcome(engine::plan(cfg, &ctx).await?);
    ctx.progress.finish();
    write_out(|o| render::plan_human(o, &planned, stdout_style()))?;
    if planned.has_changes() && !confirm("Apply these changes?") {
        return Err(CliError::Cancelled { what: "apply" });
    }
    ctx.sink = account_lines(report)?;
    let outcome = engine::apply(cfg, &ctx).await?;
    ctx.progress.finish();
    finish_run(&outcome, report, &started, &loaded.digest, Shown::Nothing)
}

/// `apply PLAN`: plans again (read-only) and applies only when the fresh plan is the saved one;
/// otherwise exit 2 with every difference, nothing written.
pub(super) async fn run_saved(
    g: &GlobalArgs,
    plan_path: &Path,
    config_override: Option<PathBuf>,
    max_age_s: i64,
    report: Option<&Path>,
    started: Started,
) -> Result<u8, CliError> {
    let plan = saved_plan::read(plan_path)?;
    let config_path = config_override.unwrap_or_else(|| PathBuf::from(&plan.config_path));
    let loaded = context::load(&config_path)?;
    let cfg = &loaded.config;
    let mut ctx = context::run_context(g, cfg, true).await?;
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
    ctx.sink = account_lines(report)?;
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
    let outcome = render::redact_outcome(outcome);
    write_out(|o| render::applied_human(o, &outcome, stdout_style()))?;
    let code = finish_run(&outcome, report, &started, &loaded.digest, Shown::Results)?;
    // What nobody reviewed was written: not a success.
    Ok(if outside.is_empty() {
        code
    } else {
        EXIT_FAILURES
    })
}
