//! The two guards of the commands that write (`apply`, `offboard`): without `--yes` they need a
//! terminal to ask on, and are refused (exit 2, before any AWS call) when there is none; on a
//! terminal they write only once the user typed `yes`.

use std::io::{IsTerminal, Write};

use super::error::CliError;

/// Refuses `what` (exit 2) when there is neither `--yes` nor a terminal to ask on.
pub(super) fn refuse_without_terminal(what: &str, yes: bool) -> Result<(), CliError> {
    if yes || std::io::stdin().is_terminal() {
        return Ok(());
    }
    Err(CliError::Usage {
        message: format!(
            "refusing to {what} without a terminal to confirm on: pass `--yes` to {what} non-interactively (run `plan` first to review)"
        ),
    })
}

/// Asks on the terminal; `true` when the user typed `yes`.
pub(super) fn confirm(question: &str) -> bool {
    eprint!("{question} Only `yes` is accepted: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok() && answer.trim() == "yes"
}
