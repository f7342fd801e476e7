//! `accounts`: the organization's accounts, each included or excluded and why, human or JSON.
//! It runs discovery alone, without a progress display.

use orchestrator::config::LoadedConfig;
use orchestrator::engine;

use super::args::{GlobalArgs, OutputFormat};
use super::context;
use super::error::{CliError, EXIT_OK};
use super::output::write_out;
use crate::render;

pub(super) async fn run(
    g: &GlobalArgs,
    loaded: &LoadedConfig,
    output: OutputFormat,
) -> Result<u8, CliError> {
    let ctx = context::run_context(g, &loaded.config, false).await?;
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
