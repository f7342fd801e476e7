//! Tidy checks run by `cargo xtask ci`: the documents that describe the workspace agree with it.
//!
//! - README.md gives the two set-up commands (`cargo xtask demo`, `cargo xtask test`).
//! - ARCHITECTURE.md's code map names every workspace member folder, and names no crate folder
//!   that is not a member.
//! - `.ci/run` calls the README's test command.
//! - The architecture invariants a text search can check, on code outside comments and
//!   `#[cfg(test)]` modules: only `orchestrator/src/aws.rs` uses `aws_config` (one SDK factory);
//!   no clap, indicatif, miette or printing in library modules (only the binary knows the
//!   terminal); no `arn:aws:` literal in orchestrator or account-worker (every ARN carries the
//!   home Region's partition); `render` does not import `cli`, `aws` does not import `engine`;
//!   every source file starts with a `//!` module doc; no product source file (policy-model,
//!   account-worker, orchestrator) holds more than 800 lines before its `#[cfg(test)]` module.
//!
//! Not here: what `cargo xtask test` (which `ci` runs too) already enforces, such as the
//! permissions list matching the calls the tool makes in both directions
//! (`tests/tests/it/cli_permissions.rs`).

use std::path::Path;

use anyhow::{Context, Result, bail};

/// Runs every tidy check against the repository at `root`.
pub fn check(root: &Path) -> Result<()> {
    let read = |name: &str| {
        std::fs::read_to_string(root.join(name)).with_context(|| format!("reading `{name}`"))
    };
    let manifest = read("Cargo.toml")?;
    let members = workspace_members(&manifest)?;
    let mut problems = Vec::new();
    problems.extend(readme_problems(&read("README.md")?));
    problems.extend(architecture_problems(&read("ARCHITECTURE.md")?, &members));
    problems.extend(invariant_problems(root)?);
    if !read(".ci/run")?.contains("cargo xtask test") {
        problems
            .push("`.ci/run` does not run the README's test command `cargo xtask test`".to_owned());
    }
    if problems.is_empty() {
        return Ok(());
    }
    bail!("tidy check failed:\n  - {}", problems.join("\n  - "))
}

/// The `members = [...]` of the root manifest.
pub fn workspace_members(manifest: &str) -> Result<Vec<String>> {
    let start = manifest
        .find("members")
        .context("no `members` in the root Cargo.toml")?;
    let rest = &manifest[start..];
    let open = rest.find('[').context("`members` is not a list")?;
    let close = rest.find(']').context("`members` is not a list")?;
    Ok(rest[open + 1..close]
        .split(',')
        .map(|m| m.trim().trim_matches('"').to_owned())
        .filter(|m| !m.is_empty())
        .collect())
}

fn readme_problems(readme: &str) -> Vec<String> {
    ["cargo xtask demo", "cargo xtask test"]
        .iter()
        .filter(|command| !readme.contains(*command))
        .map(|command| format!("README.md does not give the set-up command `{command}`"))
        .collect()
}

/// The code map must name each member as a folder (`` `NAME/` ``) and name no other crate folder.
fn architecture_problems(architecture: &str, members: &[String]) -> Vec<String> {
    let mut problems: Vec<String> = members
        .iter()
        .filter(|m| !architecture.contains(&format!("`{m}/`")))
        .map(|m| {
            format!("ARCHITECTURE.md's code map does not describe the workspace member `{m}/`")
        })
        .collect();
    for heading in architecture.lines().filter(|l| l.starts_with("### `")) {
        let name = heading
            .trim_start_matches("### `")
            .split('/')
            .next()
            .unwrap_or_default();
        if !name.is_empty() && !members.iter().any(|m| m == name) && name != "docs" && name != ".ci"
        {
            problems.push(format!(
                "ARCHITECTURE.md describes `{name}/`, which is not a workspace member: remove it or add it to `members`"
            ));
        }
    }
    problems
}

/// Source files of the workspace's libraries and binaries (not tests), relative to the root.
fn source_files(root: &Path) -> Result<Vec<std::path::PathBuf>> {
    let mut out = Vec::new();
    for dir in [
        "policy-model/src",
        "account-worker/src",
        "orchestrator/src",
        "xtask/src",
        "tests/src",
    ] {
        collect_rs(&root.join(dir), &mut out)?;
    }
    out.sort();
    Ok(out)
}

fn collect_rs(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<()> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry
            .with_context(|| format!("listing `{}`", dir.display()))?
            .path();
        if path.is_dir() {
            collect_rs(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// The lines of a source file that are code outside its `#[cfg(test)]` module (by convention the
/// last item of a file) and outside comments, with their 1-based numbers.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| {
            let t = l.trim_start();
            !(t.starts_with("//") || t.starts_with('#') && !t.starts_with("#["))
        })
}

/// The most lines a product source file may hold before its `#[cfg(test)]` module: a file
/// longer than that holds more than one room (`ARCHITECTURE.md`).
const MAX_FILE_LINES: usize = 800;

/// The lines of `text` before its first `#[cfg(test)]` line (all of them without one).
fn lines_before_tests(text: &str) -> usize {
    text.lines()
        .take_while(|l| l.trim() != "#[cfg(test)]")
        .count()
}

/// The architecture invariants that a text search can check (ARCHITECTURE.md states them).
pub fn invariant_problems(root: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for path in source_files(root)? {
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading `{rel}`"))?;
        problems.extend(file_problems(&rel, &text));
    }
    Ok(problems)
}

/// The invariants of one file, `rel` being its path from the workspace root.
fn file_problems(rel: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if !text.trim_start().starts_with("//!") {
        problems.push(format!(
            "`{rel}` has no `//!` module doc saying what it is for"
        ));
    }
    let product = rel.starts_with("orchestrator/src/") || rel.starts_with("account-worker/src/");
    let library = (product || rel.starts_with("policy-model/src/"))
        && !(rel == "orchestrator/src/main.rs"
            || rel.starts_with("orchestrator/src/cli/")
            || rel.starts_with("orchestrator/src/render/"));
    let sdk_factory = rel == "orchestrator/src/aws.rs" || rel.starts_with("orchestrator/src/aws/");
    if product || rel.starts_with("policy-model/src/") {
        let lines = lines_before_tests(text);
        if lines > MAX_FILE_LINES {
            problems.push(format!(
                "`{rel}` has {lines} lines before its test module (at most {MAX_FILE_LINES}): split it along its seams into modules of a folder"
            ));
        }
    }
    for (n, line) in code_lines(text) {
        if product && !sdk_factory && line.contains("aws_config::") {
            problems.push(format!(
                "`{rel}:{n}` uses `aws_config`: only `orchestrator/src/aws.rs` (SdkFactory) loads AWS configuration"
            ));
        }
        if library {
            for word in [
                "clap",
                "indicatif",
                "miette",
                "println!",
                "eprintln!",
                "print!(",
            ] {
                if line.contains(word) {
                    problems.push(format!(
                        "`{rel}:{n}` uses `{word}`: only the binary (main.rs, cli/, render/) knows the terminal"
                    ));
                }
            }
        }
        if rel.starts_with("orchestrator/src/render/") && line.contains("crate::cli") {
            problems.push(format!(
                "`{rel}:{n}` imports `cli`: `render` renders the library's data and knows no command"
            ));
        }
        if sdk_factory && line.contains("crate::engine") {
            problems.push(format!(
                "`{rel}:{n}` imports `engine`: the client layer knows nothing of the engine above it"
            ));
        }
        if product && line.contains("arn:aws:") {
            problems.push(format!(
                "`{rel}:{n}` has an `arn:aws:` literal: build ARNs with the partition of the home Region (policy-model)"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invariants_are_checked_on_code_only() {
        let clean = "//! A module.\n// arn:aws: in a comment is fine\nfn f() {}\n#[cfg(test)]\nmod tests { const A: &str = \"arn:aws:s3:::b\"; }\n";
        assert!(file_problems("orchestrator/src/engine/x.rs", clean).is_empty());
        let bad = "fn f() { let a = format!(\"arn:aws:iam::{x}:role/r\"); println!(\"{a}\"); aws_config::defaults(); }\n";
        let problems = file_problems("orchestrator/src/engine/x.rs", bad);
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("`//!`")));
        assert!(problems.iter().any(|p| p.contains("arn:aws:")));
        assert!(problems.iter().any(|p| p.contains("println!")));
        assert!(problems.iter().any(|p| p.contains("aws_config")));
        // The binary may print; the SDK factory may load configuration.
        assert!(
            file_problems(
                "orchestrator/src/cli/mod.rs",
                "//! cli\nfn f() { println!(); }\n"
            )
            .is_empty()
        );
        assert!(
            file_problems(
                "orchestrator/src/aws.rs",
                "//! aws\nfn f() { aws_config::defaults(); }\n"
            )
            .is_empty()
        );
        // Layering: render knows no command, the client layer no engine.
        let render = file_problems(
            "orchestrator/src/render/x.rs",
            "//! r\nuse crate::cli::X;\n",
        );
        assert_eq!(render.len(), 1, "{render:?}");
        let aws = file_problems("orchestrator/src/aws.rs", "//! a\nuse crate::engine::E;\n");
        assert_eq!(aws.len(), 1, "{aws:?}");
    }

    #[test]
    fn a_product_file_over_800_lines_before_its_tests_is_named() {
        let long = format!("//! Long.\n{}", "fn f() {}\n".repeat(800));
        let problems = file_problems("orchestrator/src/engine/long.rs", &long);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("`orchestrator/src/engine/long.rs` has 801 lines"),
            "{problems:?}"
        );
        // The test module does not count, nor do xtask, the tests and the emulator's harness.
        let tested = format!(
            "//! Tested.\n#[cfg(test)]\nmod tests {{\n{}}}\n",
            "fn f() {}\n".repeat(900)
        );
        assert!(file_problems("policy-model/src/x.rs", &tested).is_empty());
        assert!(file_problems("xtask/src/bench.rs", &long).is_empty());
        assert!(file_problems("tests/src/lib.rs", &long).is_empty());
    }

    #[test]
    fn members_are_read_from_the_manifest() {
        let manifest = "[workspace]\nresolver = \"3\"\nmembers = [\"a\", \"b-c\",\n \"d\"]\n";
        assert_eq!(workspace_members(manifest).unwrap(), ["a", "b-c", "d"]);
    }

    #[test]
    fn readme_without_the_test_command_is_reported() {
        let problems = readme_problems("run `cargo xtask demo`");
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("cargo xtask test"));
    }

    #[test]
    fn architecture_must_name_every_member_and_no_stranger() {
        let members = vec!["alpha".to_owned(), "beta".to_owned()];
        let doc = "### `alpha/`\ntext\n### `gamma/`\n";
        let problems = architecture_problems(doc, &members);
        assert!(
            problems.iter().any(|p| p.contains("`beta/`")),
            "{problems:?}"
        );
        assert!(
            problems.iter().any(|p| p.contains("`gamma/`")),
            "{problems:?}"
        );
        assert_eq!(problems.len(), 2);
    }

    #[test]
    fn this_repository_is_tidy() {
        check(&crate::project_root()).unwrap();
    }
}
