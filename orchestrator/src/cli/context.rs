//! What a command that calls AWS starts from: the configuration, loaded and validated before any
//! AWS call (every problem in it is exit 2), and the run context built from it and the global
//! flags (the SDK factory, the progress display, the concurrency).

use policy_model::AccountId;
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
        only: None,
        sink: None,
    })
}

/// `--accounts`: the account IDs given (`None` when none was), each checked (exit 2 naming a
/// bad one).
pub(super) fn only(accounts: &[String]) -> Result<Option<Vec<AccountId>>, CliError> {
    if accounts.is_empty() {
        return Ok(None);
    }
    let mut out = Vec::new();
    for a in accounts.iter().map(|a| a.trim()) {
        let id = AccountId::new(a).map_err(|_| CliError::Usage {
            message: format!(
                "--accounts: `{a}` is not an account ID; give 12-digit IDs separated by commas, e.g. `--accounts 111122223333,444455556666`"
            ),
        })?;
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(Some(out))
}
