//! `verify`: checks that what the product set up is in place and working (with
//! `--sample-findings`, that GuardDuty's sample findings reach the bucket within `--wait`
//! seconds), human or JSON, and writes the report of `--report`; exit 1 on any problem.

use policy_model::AccountId;
use std::path::Path;

use orchestrator::config::LoadedConfig;
use orchestrator::engine::{self, VerifyOptions};
use orchestrator::report::Report;

use super::args::{GlobalArgs, OutputFormat};
use super::context;
use super::error::{CliError, EXIT_FAILURES, EXIT_OK};
use super::output::{Started, stdout_style, write_out, write_report};
use crate::render;

pub(super) async fn run(
    g: &GlobalArgs,
    loaded: &LoadedConfig,
    opts: &VerifyOptions,
    output: OutputFormat,
    report: Option<&Path>,
    started: Started,
    only: Option<Vec<AccountId>>,
) -> Result<u8, CliError> {
    let mut ctx = context::run_context(g, &loaded.config, true).await?;
    ctx.only = only;
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
