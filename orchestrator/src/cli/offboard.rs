//! `offboard`: removes what the product created or added. On a terminal the plan is shown and
//! carried out once the user typed `yes` (the question says whether the buckets, keys and topics
//! go with the logs in them, or are kept with `--keep-data`); with `--yes`, one pass that shows
//! what it deleted or changed.

use std::path::Path;

use orchestrator::config::LoadedConfig;
use orchestrator::engine::{self, OffboardOptions};

use super::args::GlobalArgs;
use super::confirm::confirm;
use super::context;
use super::error::CliError;
use super::output::{Shown, Started, finish_run, stdout_style, write_out};
use crate::render;

/// `offboard` (the plan shown and confirmed) and `offboard --yes` (one pass).
pub(super) async fn run(
    g: &GlobalArgs,
    loaded: &LoadedConfig,
    yes: bool,
    opts: &OffboardOptions,
    report: Option<&Path>,
    started: Started,
) -> Result<u8, CliError> {
    let cfg = &loaded.config;
    let ctx = context::run_context(g, cfg, true).await?;
    if yes {
        // Like `apply --yes`: one pass, then what it deleted or changed.
        let outcome = render::redact_outcome(engine::offboard(cfg, &ctx, opts).await?);
        ctx.progress.finish();
        write_out(|o| render::applied_human(o, &outcome, stdout_style()))?;
        return finish_run(&outcome, report, &started, &loaded.digest, Shown::Results);
    }
    let planned = render::redact_outcome(engine::plan_offboard(cfg, &ctx, opts).await?);
    ctx.progress.finish();
    write_out(|o| render::plan_human(o, &planned, stdout_style()))?;
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
