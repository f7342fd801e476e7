//! `policies --out DIR`: every policy document a plan would write, for review before `apply`:
//! one file per distinct document, named by what it is (`hub-role.trust`, `bucket.NAME.policy`,
//! ...; the member role's StackSet template `stackset.NAME.template`), and `index.json` with the
//! resources each applies to (the member roles share one file when their documents are the same).

use std::path::Path;

use orchestrator::config::{Config, LoadedConfig};
use orchestrator::engine;
use orchestrator::outcome::RunOutcome;

use super::args::GlobalArgs;
use super::context;
use super::error::{CliError, EXIT_FAILURES, EXIT_OK};

/// One policy document for review: its file stem says what it is; `resources` are the
/// resources it applies to (one document for all members with the same content).
#[derive(Debug)]
struct ReviewDoc {
    stem: String,
    doc: serde_json::Value,
    resources: Vec<String>,
}

/// A file-name-safe form of `s`.
fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// What a document of `resource` is, as a file stem: `hub-role.trust`, `member-role.permissions`,
/// `managed-policy.NAME`, `bucket.NAME.policy`, `key.ALIAS.policy`, `topic.NAME.policy`.
/// `part` is `trust` or `permissions` for a role created with its documents; `aliases` maps a
/// key ARN to its alias name (from the plan's records).
fn review_stem(
    resource: &str,
    part: &str,
    cfg: &Config,
    aliases: &std::collections::BTreeMap<String, String>,
) -> String {
    let (arn, fragment) = resource.split_once('#').unwrap_or((resource, ""));
    let fields: Vec<&str> = arn.splitn(6, ':').collect();
    let service = fields.get(2).copied().unwrap_or_default();
    let tail = fields.get(5).copied().unwrap_or_default();
    match service {
        "iam" => {
            if let Some(name) = tail.strip_prefix("role/") {
                let who = if name == cfg.radiant.role_name {
                    "hub-role".to_owned()
                } else if name == cfg.radiant.member_role_name {
                    "member-role".to_owned()
                } else {
                    format!("role.{}", safe_name(name))
                };
                let what = if part == "trust" || fragment == "trust" {
                    "trust"
                } else {
                    "permissions"
                };
                format!("{who}.{what}")
            } else if let Some(name) = tail.strip_prefix("policy/") {
                format!("managed-policy.{}", safe_name(name))
            } else {
                safe_name(arn)
            }
        }
        "s3" => format!("bucket.{}.policy", safe_name(tail)),
        "kms" => {
            let alias = tail
                .strip_prefix("alias/")
                .map(str::to_owned)
                .or_else(|| aliases.get(arn).cloned())
                .or_else(|| {
                    tail.strip_prefix("key/known-after-apply-")
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| tail.trim_start_matches("key/").to_owned());
            format!("key.{}.policy", safe_name(&alias))
        }
        "sns" => format!("topic.{}.policy", safe_name(tail)),
        "cloudformation" => {
            let name = safe_name(tail.trim_start_matches("stackset/"));
            match fragment.strip_prefix("template-") {
                // One of the role's documents inside the template (`#template-trust`, ...).
                Some(part) => format!("stackset.{name}.{}", safe_name(part)),
                None => format!("stackset.{name}.template"),
            }
        }
        _ => safe_name(arn),
    }
}

/// Every policy document of a plan's changes, once per distinct content, named by what it is.
fn review_docs(outcome: &RunOutcome, cfg: &Config) -> Vec<ReviewDoc> {
    // A key's alias, from the hub's records (`kms-alias`, detail = the key's ARN).
    let mut aliases = std::collections::BTreeMap::new();
    for a in &outcome.hub {
        if a.kind.as_deref() == Some("kms-alias")
            && let Some(key) = &a.detail
            && let Some((_, name)) = a.resource.rsplit_once(":alias/")
        {
            aliases.insert(key.clone(), name.to_owned());
        }
    }
    let mut pieces: Vec<(String, &str, serde_json::Value)> = Vec::new();
    for c in &outcome.changes {
        let Some(after) = &c.after else { continue };
        if after.get("Statement").is_some() {
            pieces.push((c.resource.clone(), "", after.clone()));
        }
        // A role created with its documents.
        if let Some(trust) = after.get("AssumeRolePolicyDocument") {
            pieces.push((c.resource.clone(), "trust", trust.clone()));
        }
        if let Some(inline) = after.get("InlinePolicies").and_then(|v| v.as_object()) {
            for doc in inline.values() {
                pieces.push((c.resource.clone(), "permissions", doc.clone()));
            }
        }
        // The member role's StackSet: its template (created, or updated).
        if let Some(template) = after.get("TemplateBody") {
            pieces.push((c.resource.clone(), "template", template.clone()));
        } else if c.resource.ends_with("#template") {
            pieces.push((c.resource.clone(), "template", after.clone()));
        }
    }
    let stems: Vec<String> = pieces
        .iter()
        .map(|(r, part, _)| review_stem(r, part, cfg, &aliases))
        .collect();
    let mut docs: Vec<ReviewDoc> = Vec::new();
    for (i, (resource, _, doc)) in pieces.into_iter().enumerate() {
        let stem = &stems[i];
        // A new key's initial policy (on its alias) is superseded by its full policy
        // (`KEY#policy`) when the plan has one.
        let superseded = resource.contains(":alias/")
            && !resource.contains('#')
            && stems.iter().enumerate().any(|(j, s)| j != i && s == stem);
        if superseded {
            continue;
        }
        let owner = resource
            .split_once('#')
            .map_or(resource.as_str(), |(a, _)| a)
            .to_owned();
        let same_kind: Vec<usize> = docs
            .iter()
            .enumerate()
            .filter(|(_, d)| d.stem == *stem || d.stem.starts_with(&format!("{stem}-")))
            .map(|(j, _)| j)
            .collect();
        if let Some(j) = same_kind.iter().copied().find(|j| docs[*j].doc == doc) {
            if !docs[j].resources.contains(&owner) {
                docs[j].resources.push(owner);
            }
            continue;
        }
        let stem = if same_kind.is_empty() {
            stem.clone()
        } else {
            format!("{stem}-{}", same_kind.len() + 1)
        };
        docs.push(ReviewDoc {
            stem,
            doc,
            resources: vec![owner],
        });
    }
    docs
}

pub(super) async fn run(g: &GlobalArgs, loaded: &LoadedConfig, out: &Path) -> Result<u8, CliError> {
    let ctx = context::run_context(g, &loaded.config, true).await?;
    let outcome = engine::plan(&loaded.config, &ctx).await?;
    ctx.progress.finish();
    let write_err = |path: &Path, source| CliError::Write {
        path: path.to_owned(),
        source,
    };
    std::fs::create_dir_all(out).map_err(|e| write_err(out, e))?;
    let docs = review_docs(&outcome, &loaded.config);
    let mut index = serde_json::Map::new();
    for d in &docs {
        let name = format!("{}.json", d.stem);
        let path = out.join(&name);
        let text = serde_json::to_string_pretty(&d.doc).unwrap_or_default() + "\n";
        std::fs::write(&path, text).map_err(|e| write_err(&path, e))?;
        index.insert(name, serde_json::json!(d.resources));
    }
    let path = out.join("index.json");
    let text = serde_json::to_string_pretty(&serde_json::json!({ "files": index }))
        .unwrap_or_default()
        + "\n";
    std::fs::write(&path, text).map_err(|e| write_err(&path, e))?;
    eprintln!(
        "wrote {} policy document(s) and index.json (each file and the resources it applies to) to `{}`; documents already in place are not written",
        docs.len(),
        out.display()
    );
    Ok(if outcome.has_failures() {
        EXIT_FAILURES
    } else {
        EXIT_OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use orchestrator::config::EXAMPLE_CONFIG;

    #[test]
    fn review_files_are_named_by_what_they_are() {
        let cfg = Config::from_toml_str_with_env(EXAMPLE_CONFIG, Some("rs-cred")).unwrap();
        let aliases: std::collections::BTreeMap<String, String> = [(
            "arn:aws:kms:us-east-1:111111111111:key/1234".to_owned(),
            "guardduty-findings".to_owned(),
        )]
        .into();
        let stem = |r: &str, part: &str| review_stem(r, part, &cfg, &aliases);
        assert_eq!(
            stem(
                "arn:aws:cloudformation:us-east-1:111111111111:stackset/RadiantOnboardMemberRole#template",
                "template"
            ),
            "stackset.RadiantOnboardMemberRole.template"
        );
        assert_eq!(
            stem(
                "arn:aws:cloudformation:us-east-1:111111111111:stackset/RadiantOnboardMemberRole#template-trust",
                ""
            ),
            "stackset.RadiantOnboardMemberRole.trust"
        );
        assert_eq!(
            stem("arn:aws:s3:::acme-logs#policy", ""),
            "bucket.acme-logs.policy"
        );
        assert_eq!(
            stem(
                "arn:aws:iam::111111111111:role/radiant-aws-access-role#trust",
                ""
            ),
            "hub-role.trust"
        );
        assert_eq!(
            stem(
                "arn:aws:iam::222222222222:role/radiant-aws-member-role",
                "permissions"
            ),
            "member-role.permissions"
        );
        assert_eq!(
            stem(
                "arn:aws:iam::222222222222:role/radiant-aws-member-role#policy/radiant",
                ""
            ),
            "member-role.permissions"
        );
        assert_eq!(
            stem("arn:aws:iam::111111111111:policy/radiant-onboard-hub-1", ""),
            "managed-policy.radiant-onboard-hub-1"
        );
        assert_eq!(
            stem("arn:aws:kms:us-east-1:111111111111:key/1234#policy", ""),
            "key.guardduty-findings.policy"
        );
        assert_eq!(
            stem(
                "arn:aws:kms:us-east-1:111111111111:key/known-after-apply-cloudtrail-log-encryption#policy",
                ""
            ),
            "key.cloudtrail-log-encryption.policy"
        );
        assert_eq!(
            stem(
                "arn:aws:kms:us-east-1:111111111111:alias/guardduty-findings",
                ""
            ),
            "key.guardduty-findings.policy"
        );
        assert_eq!(
            stem("arn:aws:sns:us-east-1:111111111111:acme-topic#policy", ""),
            "topic.acme-topic.policy"
        );
    }
}
