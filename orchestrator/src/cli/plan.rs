//! `plan` and `plan --offboard`: the read side of `apply` or of `offboard`, shown as the changes
//! they would make (human or JSON). `--out FILE` saves a plan without failures for `show` and
//! `apply FILE`; `--detailed-exitcode` exits 4 when changes are pending.

use policy_model::AccountId;
use std::path::Path;

use orchestrator::config::LoadedConfig;
use orchestrator::engine::{self, OffboardOptions};

use super::args::{GlobalArgs, OutputFormat};
use super::context;
use super::error::{CliError, EXIT_CHANGES, EXIT_FAILURES, EXIT_OK};
use super::output::{stdout_style, write_out};
use super::saved_plan;
use crate::render;

/// What a `plan` is of.
pub(super) enum PlanOf {
    /// `apply`.
    Apply,
    /// `offboard` with these options.
    Offboard(OffboardOptions),
}

pub(super) async fn run(
    g: &GlobalArgs,
    loaded: &LoadedConfig,
    what: PlanOf,
    output: OutputFormat,
    detailed: bool,
    save: Option<(&Path, &Path)>,
    only: Option<Vec<AccountId>>,
) -> Result<u8, CliError> {
    let mut ctx = context::run_context(g, &loaded.config, true).await?;
    ctx.only = only;
    let outcome = match what {
        PlanOf::Apply => engine::plan(&loaded.config, &ctx).await?,
        PlanOf::Offboard(opts) => engine::plan_offboard(&loaded.config, &ctx, &opts).await?,
    };
    ctx.progress.finish();
    let saved = match save {
        Some((out, config_path)) if !outcome.has_failures() => {
            saved_plan::save(&outcome, out, config_path, &loaded.digest)?;
            true
        }
        _ => false,
    };
    let failed_save = save.is_some() && !saved;
    let outcome = render::redact_outcome(outcome);
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
