//! `init`: writes the commented example configuration (`-o -` prints it), and never over an
//! existing file without `--force`.

use std::path::Path;

use orchestrator::config::EXAMPLE_CONFIG;

use super::error::{CliError, EXIT_OK};
use super::output::write_out;

pub(super) fn run(output: &Path, force: bool) -> Result<u8, CliError> {
    if output == Path::new("-") {
        write_out(|o| o.write_all(EXAMPLE_CONFIG.as_bytes()))?;
        return Ok(EXIT_OK);
    }
    if output.exists() && !force {
        return Err(CliError::Usage {
            message: format!(
                "`{}` already exists: pass `--force` to overwrite it or choose another path with `-o`",
                output.display()
            ),
        });
    }
    std::fs::write(output, EXAMPLE_CONFIG).map_err(|source| CliError::Write {
        path: output.to_owned(),
        source,
    })?;
    eprintln!(
        "wrote `{}`: edit the bucket and topic names, set RADIANT_EXTERNAL_ID, then run `radiant-onboard plan -c {}`",
        output.display(),
        output.display()
    );
    Ok(EXIT_OK)
}
