//! Tidy checks run by `cargo xtask ci`: the documents that describe the workspace agree with it.
//!
//! - README.md gives the two set-up commands (`cargo xtask demo`, `cargo xtask test`).
//! - ARCHITECTURE.md's code map names every workspace member folder, and names no crate folder
//!   that is not a member.
//! - `.ci/run` calls the README's test command.

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

#[cfg(test)]
mod tests {
    use super::*;

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
