//! What the commands write: stdout (in colour only on a terminal, and never with `NO_COLOR`), the
//! JSON report of `--report` (with the run's metadata from [`Started`]), and the end of a run
//! that writes (`apply`, `apply PLAN`, `offboard`): its summary and its exit code.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use orchestrator::outcome::RunOutcome;
use orchestrator::report::{Report, RunMetadata};

use super::error::{CliError, EXIT_FAILURES, EXIT_OK};
use crate::render::{self, Style};

/// `--verbose`: human outputs list every line instead of grouping those that differ only by
/// their account (set once, when the command line is parsed).
static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Records `--verbose` for [`stdout_style`].
pub(super) fn set_verbose(on: bool) {
    VERBOSE.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// The style of stdout: colour only on a terminal, and never with `NO_COLOR` set.
pub(super) fn stdout_style() -> Style {
    Style {
        color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        verbose: VERBOSE.load(std::sync::atomic::Ordering::Relaxed),
    }
}

/// Writes to stdout (locked once for the whole of `f`); a failure is a write error on `-`.
pub(super) fn write_out(
    f: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    f(&mut out).map_err(|source| CliError::Write {
        path: PathBuf::from("-"),
        source,
    })
}

/// Start time of a run, for the report's metadata.
pub(super) struct Started {
    command: &'static str,
    at: time::OffsetDateTime,
    clock: Instant,
}

impl Started {
    pub(super) fn now(command: &'static str) -> Self {
        Self {
            command,
            at: time::OffsetDateTime::now_utc(),
            clock: Instant::now(),
        }
    }

    pub(super) fn metadata(&self, digest: &str) -> RunMetadata {
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
pub(super) fn write_report(path: &Path, report: &Report) -> Result<(), CliError> {
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

/// `--report PATH`'s JSON Lines beside it (`PATH` with the extension `accounts.jsonl`): one
/// account's result a line, written (and flushed) as soon as the result is final, so that a run
/// that is killed still leaves every account that completed. External IDs are fingerprinted.
pub(super) struct AccountLines {
    file: std::sync::Mutex<std::io::BufWriter<std::fs::File>>,
}

impl orchestrator::engine::AccountSink for AccountLines {
    fn completed(&self, result: &orchestrator::outcome::AccountResult) {
        let value = render::redact_external_ids(&serde_json::to_value(result).unwrap_or_default());
        if let Ok(mut file) = self.file.lock() {
            // A failed write loses a line of the stream, never the run: the report has it all.
            let _ = writeln!(file, "{value}").and_then(|()| file.flush());
        }
    }
}

/// The path of the JSON Lines of the report `report`.
pub(super) fn account_lines_path(report: &Path) -> PathBuf {
    report.with_extension("accounts.jsonl")
}

/// The sink of the JSON Lines of `--report` (none without it), the file created empty.
pub(super) fn account_lines(
    report: Option<&Path>,
) -> Result<Option<std::sync::Arc<dyn orchestrator::engine::AccountSink>>, CliError> {
    let Some(report) = report else {
        return Ok(None);
    };
    let path = account_lines_path(report);
    let file = std::fs::File::create(&path).map_err(|source| CliError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(Some(std::sync::Arc::new(AccountLines {
        file: std::sync::Mutex::new(std::io::BufWriter::new(file)),
    })))
}

/// What the terminal already shows of a run's outcome before its summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shown {
    /// Nothing: the summary starts with the failures, warnings and the accounts line.
    Nothing,
    /// What it did (`applied_human`), with its failures, warnings and accounts line: the
    /// summary adds only the hand-off and the report (each line once).
    Results,
}

/// The end of a run that writes: the report (with `--report`), the summary, and exit 1 when a
/// hub resource, an account or a Region failed.
pub(super) fn finish_run(
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
