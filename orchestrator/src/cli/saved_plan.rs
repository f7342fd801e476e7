//! Saved plans (`plan --out FILE`, `apply FILE`, `show FILE`): the plan a team reviewed is the
//! plan that is applied, or nothing is written.
//!
//! A saved plan records the tool version, when it was made, the configuration file (path and
//! sha256), the organization, the accounts it covers and every intended change with the sha256
//! of the resource's state it was computed from (`before_digest`) and of what would be written
//! (`after_digest`). `apply FILE` plans again, read-only, and refuses (exit 2, every difference
//! listed, nothing written) unless the fresh plan is the saved one: same configuration, same
//! organization and accounts, the same changes from the same states. Only then does it apply,
//! and a read-diff-write apply from the same states makes exactly those changes.
//!
//! This module is the saved plan itself: its file ([`save`] for `plan --out`, [`read`] for `show`
//! and `apply FILE`), the comparison of a fresh plan with it, and its rendering. The commands
//! that use it are `plan.rs`, `show.rs` and `apply.rs`.

use orchestrator::config::sha256_hex;
use std::io::{self, Write};
use std::path::Path;

use orchestrator::outcome::{AccountStatus, Change, ChangeAction, RunOutcome};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::CliError;

/// `kind` of a saved plan file.
pub const PLAN_KIND: &str = "radiant-onboard-plan";
/// Version of the saved plan's schema (`docs/report.md`).
pub const PLAN_SCHEMA_VERSION: u32 = 1;

/// A saved plan file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedPlan {
    pub schema_version: u32,
    pub kind: String,
    pub tool_version: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// Seconds since the Unix epoch (what `--max-age` is checked against).
    pub created_at_unix: i64,
    /// The configuration file the plan was made from (absolute when it could be resolved).
    pub config_path: String,
    /// Lowercase hex sha256 of its bytes.
    pub config_digest: String,
    pub organization_id: String,
    pub hub_account_id: String,
    /// The accounts the plan covers (not skipped), sorted.
    pub accounts: Vec<String>,
    /// The plan's accounts line.
    pub summary: String,
    pub warnings: Vec<String>,
    /// The plan's notes (information, nothing to act on).
    #[serde(default)]
    pub notes: Vec<String>,
    pub changes: Vec<PlannedChange>,
}

/// One intended change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedChange {
    pub resource: String,
    /// `create`, `update` or `delete`.
    pub action: String,
    /// sha256 of the state the change was computed from (`null` for a create).
    pub before_digest: Option<String>,
    /// sha256 of what would be written (`null` for a delete).
    pub after_digest: Option<String>,
    /// The state and the document, as `plan --output json` shows them (external IDs redacted).
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
}

fn digest(v: Option<&serde_json::Value>) -> Option<String> {
    v.map(|v| sha256_hex(serde_json::to_string(v).unwrap_or_default().as_bytes()))
}

fn action_name(c: &Change) -> String {
    serde_json::to_value(c.action)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The changes of a plan, as saved (digests of the real documents; the documents redacted).
pub fn planned_changes(
    outcome: &RunOutcome,
    redact: impl Fn(&serde_json::Value) -> serde_json::Value,
) -> Vec<PlannedChange> {
    outcome
        .changes
        .iter()
        .map(|c| {
            // Digests of the redacted documents: the external ID cannot be tested against them
            // offline, and its fingerprint still changes with it.
            let before = c.before.as_ref().map(&redact);
            let after = c.after.as_ref().map(&redact);
            PlannedChange {
                resource: c.resource.clone(),
                action: action_name(c),
                before_digest: digest(before.as_ref()),
                after_digest: digest(after.as_ref()),
                before,
                after,
                reason: c.reason.clone(),
            }
        })
        .collect()
}

/// The accounts a plan covers.
pub fn covered_accounts(outcome: &RunOutcome) -> Vec<String> {
    let mut out: Vec<String> = outcome
        .accounts
        .iter()
        .filter(|a| a.status != AccountStatus::Skipped)
        .map(|a| a.id.clone())
        .collect();
    out.sort();
    out
}

/// Why `plan` (saved) cannot be applied now: `fresh` is the plan made again from the current
/// state with the configuration whose digest is `config_digest`, `now_unix` the time and
/// `max_age_s` the oldest plan accepted. Empty when it can be applied.
pub fn differences(
    plan: &SavedPlan,
    fresh: &RunOutcome,
    config_digest: &str,
    now_unix: i64,
    max_age_s: i64,
) -> Vec<String> {
    let mut out = Vec::new();
    if plan.tool_version != env!("CARGO_PKG_VERSION") {
        out.push(format!(
            "the plan was made by radiant-onboard {}, this is {}: plan again with this version",
            plan.tool_version,
            env!("CARGO_PKG_VERSION")
        ));
    }
    let age = now_unix - plan.created_at_unix;
    if age > max_age_s {
        out.push(format!(
            "the plan is {} old ({}), older than --max-age {}: plan again",
            human_duration(age),
            plan.created_at,
            human_duration(max_age_s)
        ));
    }
    if plan.config_digest != config_digest {
        out.push(format!(
            "the configuration `{}` changed since the plan (sha256 {} then, {} now)",
            plan.config_path,
            short(&plan.config_digest),
            short(config_digest)
        ));
    }
    if plan.hub_account_id != fresh.hub_account_id {
        out.push(format!(
            "the hub account is `{}`, the plan's was `{}`",
            fresh.hub_account_id, plan.hub_account_id
        ));
    }
    if plan.organization_id != fresh.organization_id {
        out.push(format!(
            "the organization is `{}`, the plan's was `{}`",
            fresh.organization_id, plan.organization_id
        ));
    }
    let covered = covered_accounts(fresh);
    for a in covered.iter().filter(|a| !plan.accounts.contains(a)) {
        out.push(format!("account `{a}` is covered now and was not in the plan (it joined the organization or an included OU)"));
    }
    for a in plan.accounts.iter().filter(|a| !covered.contains(a)) {
        out.push(format!("account `{a}` was in the plan and is not covered now (it left, was suspended or excluded)"));
    }
    let fresh_changes = planned_changes(fresh, crate::render::redact_external_ids);
    // A resource can be written twice in one run (a bucket policy by the hub step, then by the
    // patch): the n-th change of a (resource, action) is compared with the n-th.
    let keyed = |changes: &[PlannedChange]| {
        let mut seen: std::collections::BTreeMap<(String, String), usize> =
            std::collections::BTreeMap::new();
        changes
            .iter()
            .map(|c| {
                let k = (c.resource.clone(), c.action.clone());
                let n = seen.entry(k.clone()).or_default();
                *n += 1;
                ((k, *n), c.clone())
            })
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let planned = keyed(&plan.changes);
    let now = keyed(&fresh_changes);
    for (k, c) in &planned {
        match now.get(k) {
            None => out.push(format!(
                "`{}`: the planned {} is no longer what it needs (its state changed since the plan)",
                c.resource, c.action
            )),
            Some(f) if f.before_digest != c.before_digest => out.push(format!(
                "`{}`: its state changed since the plan (the {} was computed from another `before`)",
                c.resource, c.action
            )),
            Some(f) if f.after_digest != c.after_digest => out.push(format!(
                "`{}`: the {} would now write something else than the plan shows",
                c.resource, c.action
            )),
            Some(_) => {}
        }
    }
    for (k, f) in &now {
        if !planned.contains_key(k) {
            out.push(format!(
                "`{}`: a {} that the plan does not have",
                f.resource, f.action
            ));
        }
    }
    out
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// `90s`, `15m`, `3h`, `2d` (the largest whole unit).
pub fn human_duration(s: i64) -> String {
    if s >= 86_400 && s % 86_400 == 0 {
        format!("{}d", s / 86_400)
    } else if s >= 3_600 {
        format!("{}h", s / 3_600)
    } else if s >= 60 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// Parses `--max-age`: a number with `s`, `m`, `h` or `d` (`24h`, `90m`, `2d`).
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: i64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration: use e.g. `24h`, `90m`, `2d`"))?;
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" | "" => 3_600,
        "d" => 86_400,
        _ => return Err(format!("`{text}`: the unit is s, m, h or d (e.g. `24h`)")),
    };
    Ok(n.saturating_mul(factor))
}

/// `resource` with the IDs AWS assigns on creation masked, so that a planned change of a
/// resource that does not exist yet (`detector/(new)`, `key/known-after-apply-ALIAS`) and the
/// change apply made (with the real ID) compare equal.
pub fn masked(resource: &str) -> String {
    let (arn, fragment) = resource
        .split_once('#')
        .map_or((resource, None), |(a, f)| (a, Some(f)));
    let mut parts: Vec<String> = Vec::new();
    let mut segments = arn.split('/').peekable();
    while let Some(seg) = segments.next() {
        parts.push(seg.to_owned());
        let kms_key = seg.ends_with(":key") && arn.contains(":kms:");
        if (seg.ends_with(":detector") || seg == "publishingDestination" || kms_key)
            && segments.next().is_some()
        {
            parts.push("*".to_owned());
        }
    }
    let mut out = parts.join("/");
    if out.ends_with("/publishingDestination") {
        out.push_str("/*");
    }
    if let Some(f) = fragment {
        out.push('#');
        out.push_str(f);
    }
    out
}

/// The changes apply made that the plan did not have (resources compared with [`masked`] IDs;
/// create and update of one resource are one change, as plan cannot tell them apart for a
/// resource that does not exist yet). Empty when apply stayed within the plan.
pub fn unplanned(plan: &SavedPlan, applied: &RunOutcome) -> Vec<String> {
    let mut left: Vec<String> = plan.changes.iter().map(|c| masked(&c.resource)).collect();
    let mut out = Vec::new();
    for c in &applied.changes {
        let m = masked(&c.resource);
        if let Some(i) = left.iter().position(|p| *p == m) {
            left.swap_remove(i);
        } else {
            out.push(format!("{} {}", action_name(c), c.resource));
        }
    }
    out
}

/// A saved plan (`show PLAN`), in the plan's human format: its changes (with the statement diff
/// of each policy document), its warnings, the totals and the accounts line it was made with.
pub fn render_human(
    out: &mut dyn Write,
    plan: &SavedPlan,
    style: crate::render::Style,
) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        style.bold(&format!(
            "Saved plan: made {} by radiant-onboard {} from `{}` (sha256 {}), organization {}",
            plan.created_at,
            plan.tool_version,
            plan.config_path,
            plan.config_digest.get(..12).unwrap_or(&plan.config_digest),
            plan.organization_id
        ))
    )?;
    if plan.changes.is_empty() {
        writeln!(out, "{}", style.bold("No changes: everything is in place."))?;
    }
    let mut counts = [0usize; 3];
    for p in &plan.changes {
        let action = match p.action.as_str() {
            "create" => ChangeAction::Create,
            "delete" => ChangeAction::Delete,
            _ => ChangeAction::Update,
        };
        counts[action as usize] += 1;
        let doc = |v: &Option<Value>| {
            v.as_ref()
                .filter(|v| v.get("Statement").is_some())
                .and_then(|v| policy_model::PolicyDocument::parse(&v.to_string()).ok())
        };
        let c = match (doc(&p.before), doc(&p.after)) {
            (before, Some(after)) => {
                let mut c = Change::policy(
                    &p.resource,
                    before.as_ref(),
                    &after,
                    p.reason.clone().unwrap_or_default(),
                );
                c.action = action;
                c
            }
            _ => Change::new(
                &p.resource,
                action,
                p.before.clone(),
                p.after.clone(),
                p.reason.clone().unwrap_or_default(),
            ),
        };
        crate::render::change(out, &c, style)?;
    }
    crate::render::notes_and_warnings(out, &plan.notes, &plan.warnings, style)?;
    writeln!(out)?;
    writeln!(
        out,
        "{}",
        style.bold(&format!(
            "Plan: {} to create, {} to update, {} to delete.",
            counts[ChangeAction::Create as usize],
            counts[ChangeAction::Update as usize],
            counts[ChangeAction::Delete as usize]
        ))
    )?;
    writeln!(out, "{}", plan.summary)
}

/// `plan --out FILE`: the plan, saved for review and `apply FILE`. A plan with failures is not
/// saved (it could not be applied as it is).
pub fn save(
    outcome: &RunOutcome,
    out: &Path,
    config_path: &Path,
    config_digest: &str,
) -> Result<(), CliError> {
    let now = time::OffsetDateTime::now_utc();
    let saved = SavedPlan {
        schema_version: PLAN_SCHEMA_VERSION,
        kind: PLAN_KIND.to_owned(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at: now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        created_at_unix: now.unix_timestamp(),
        config_path: std::fs::canonicalize(config_path)
            .unwrap_or_else(|_| config_path.to_owned())
            .display()
            .to_string(),
        config_digest: config_digest.to_owned(),
        organization_id: outcome.organization_id.clone(),
        hub_account_id: outcome.hub_account_id.clone(),
        accounts: covered_accounts(outcome),
        summary: crate::render::accounts_summary(&outcome.accounts, outcome.mode),
        warnings: outcome.warnings.clone(),
        notes: outcome.notes.clone(),
        changes: planned_changes(outcome, crate::render::redact_external_ids),
    };
    let text = serde_json::to_string_pretty(&saved).unwrap_or_default() + "\n";
    std::fs::write(out, text).map_err(|source| CliError::Write {
        path: out.to_owned(),
        source,
    })?;
    eprintln!(
        "saved the plan ({} changes) to `{}`: review it (`radiant-onboard show {}`), then `radiant-onboard apply {}`",
        saved.changes.len(),
        out.display(),
        out.display(),
        out.display()
    );
    Ok(())
}

/// Reads a saved plan; exit 2 when the file is not one.
pub fn read(path: &Path) -> Result<SavedPlan, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Usage {
        message: format!("cannot read the plan `{}`: {e}", path.display()),
    })?;
    let plan: SavedPlan = serde_json::from_str(&text).map_err(|e| CliError::Usage {
        message: format!(
            "`{}` is not a plan saved by `radiant-onboard plan --out`: {e}",
            path.display()
        ),
    })?;
    if plan.kind != PLAN_KIND || plan.schema_version != PLAN_SCHEMA_VERSION {
        return Err(CliError::Usage {
            message: format!(
                "`{}` is a `{}` of schema version {}; this radiant-onboard reads `{}` version {}: plan again",
                path.display(),
                plan.kind,
                plan.schema_version,
                PLAN_KIND,
                PLAN_SCHEMA_VERSION
            ),
        });
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_and_print() {
        assert_eq!(parse_duration("24h"), Ok(86_400));
        assert_eq!(parse_duration("90m"), Ok(5_400));
        assert_eq!(parse_duration("2d"), Ok(172_800));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("3w").is_err());
        assert_eq!(human_duration(86_400), "1d");
        assert_eq!(human_duration(7_200), "2h");
        assert_eq!(human_duration(59), "59s");
    }
}

#[cfg(test)]
mod mask_tests {
    use super::*;

    #[test]
    fn ids_aws_assigns_are_masked() {
        assert_eq!(
            masked("arn:aws:guardduty:us-east-1:111111111111:detector/0eb72ae04d9c"),
            masked("arn:aws:guardduty:us-east-1:111111111111:detector/(new)")
        );
        assert_eq!(
            masked(
                "arn:aws:guardduty:us-east-1:111111111111:detector/0eb7/publishingDestination/4c50"
            ),
            masked("arn:aws:guardduty:us-east-1:111111111111:detector/(new)/publishingDestination")
        );
        assert_eq!(
            masked("arn:aws:kms:us-east-1:111111111111:key/a811bc1f#policy"),
            masked("arn:aws:kms:us-east-1:111111111111:key/known-after-apply-x#policy")
        );
        assert_ne!(
            masked("arn:aws:kms:us-east-1:111111111111:key/a811bc1f#policy"),
            masked("arn:aws:kms:us-east-1:111111111111:key/a811bc1f#key-rotation")
        );
        assert_eq!(masked("arn:aws:s3:::b#policy"), "arn:aws:s3:::b#policy");
    }
}
