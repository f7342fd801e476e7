//! `show PLAN`: a plan saved by `plan --out`, in the plan's human format. It reads no AWS, so a
//! plan can be reviewed by someone without credentials for the organization.

use std::path::Path;

use super::error::{CliError, EXIT_OK};
use super::output::{stdout_style, write_out};
use super::saved_plan;

/// `show PLAN`: the saved plan as the human plan (no AWS call).
pub(super) fn run(path: &Path) -> Result<u8, CliError> {
    let plan = saved_plan::read(path)?;
    write_out(|o| saved_plan::render_human(o, &plan, stdout_style()))?;
    Ok(EXIT_OK)
}
