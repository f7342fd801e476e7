//! What a command that calls AWS starts from: the configuration, loaded and validated before any
//! AWS call (every problem in it is exit 2), and the run context built from it and the global
//! flags (the SDK factory, the progress display, the concurrency).

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Arc;

use orchestrator::aws::{AwsOptions, SdkFactory};
use orchestrator::config::{Config, LoadedConfig};
use orchestrator::engine::{self, RunContext};
use orchestrator::progress::{NoProgress, Progress};

use super::args::GlobalArgs;
use super::error::CliError;
use crate::render;

/// Loads and validates the configuration: exit 2 on any problem, before any AWS call.
pub(super) fn load(path: &Path) -> Result<LoadedConfig, CliError> {
    Config::load(path).map_err(|error| CliError::Config {
        path: path.to_owned(),
        error,
    })
}

/// Builds the run context: SDK factory, progress display and concurrency.
pub(super) async fn run_context(
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
