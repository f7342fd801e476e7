//! Renders a [`CliError`] on stderr (it lives with the CLI, whose error it is: `render` itself
//! only renders the library's data): miette diagnostics for humans, one JSON object otherwise.

use std::io::Write;

use miette::{LabeledSpan, MietteDiagnostic, NamedSource, Report};
use serde_json::json;

use super::args::ErrorFormat;
use super::error::CliError;

/// Writes `err` to stderr in `format`.
pub fn report(err: &CliError, format: ErrorFormat) {
    let mut stderr = std::io::stderr().lock();
    match format {
        ErrorFormat::Json => {
            let _ = writeln!(stderr, "{}", to_json(err));
        }
        ErrorFormat::Human => human(err, &mut stderr),
    }
}

/// The JSON form: `{"error": {"kind", "exit_code", "message", "issues"}}`.
pub fn to_json(err: &CliError) -> serde_json::Value {
    let issues = match err {
        CliError::Config { error, .. } => serde_json::to_value(error.issues()).unwrap_or_default(),
        _ => json!([]),
    };
    json!({
        "error": {
            "kind": err.kind(),
            "exit_code": err.exit_code(),
            "message": err.to_string(),
            "help": err.help(),
            "issues": issues,
        }
    })
}

fn line_span(text: &str, line: usize) -> Option<(usize, usize)> {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return Some((offset, l.trim_end().len().max(1)));
        }
        offset += l.len();
    }
    None
}

/// Masks the value of `external_id` lines, keeping every byte offset (the labels point into it).
///
/// INVARIANT: the external ID is shown only in the hand-off, never in an error.
fn redact_external_id(text: &str) -> String {
    text.split_inclusive('\n')
        .map(|line| {
            let trimmed = line.trim_start().trim_start_matches('"');
            match line.find('=') {
                Some(eq) if trimmed.starts_with("external_id") => {
                    let (head, tail) = line.split_at(eq + 1);
                    let masked: String = tail
                        .chars()
                        .map(|c| if c.is_whitespace() { c } else { '*' })
                        .collect();
                    format!("{head}{masked}")
                }
                _ => line.to_owned(),
            }
        })
        .collect()
}

fn human(err: &CliError, out: &mut dyn Write) {
    if let CliError::Config { path, error } = err {
        let issues = error.issues();
        if !issues.is_empty() {
            let text = redact_external_id(&std::fs::read_to_string(path).unwrap_or_default());
            for issue in &issues {
                let mut diag = MietteDiagnostic::new(format!("invalid configuration: {issue}"))
                    .with_code(err.kind());
                if let Some((start, len)) = issue.line.and_then(|l| line_span(&text, l)) {
                    diag = diag.with_label(LabeledSpan::at(start..start + len, issue.key.clone()));
                }
                let report = Report::new(diag)
                    .with_source_code(NamedSource::new(path.display().to_string(), text.clone()));
                let _ = writeln!(out, "{report:?}");
            }
            let _ = writeln!(
                out,
                "error: {} problem(s) in `{}`; fix them and run again (nothing was called)",
                issues.len(),
                path.display()
            );
            return;
        }
    }
    let mut diag = MietteDiagnostic::new(err.to_string()).with_code(err.kind());
    if let Some(help) = err.help() {
        diag = diag.with_help(help);
    }
    let _ = writeln!(out, "{:?}", Report::new(diag));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_id_is_masked_and_offsets_kept() {
        let text = "[radiant]\nexternal_id = \"secret-1\"\nrole_name = \"x\"\n";
        let masked = redact_external_id(text);
        assert!(!masked.contains("secret-1"));
        assert_eq!(masked.len(), text.len());
        assert!(masked.ends_with("role_name = \"x\"\n"));
    }
}
