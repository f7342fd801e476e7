//! Human and JSON rendering of outcomes, the hand-off and errors. Only the binary renders.

pub mod diff;
pub mod group;
mod verify;
pub use verify::verify_human;

pub mod progress;

use std::collections::BTreeMap;
use std::io::{self, Write};

use orchestrator::engine::{Discovery, Topology};
use orchestrator::outcome::{
    AccountResult, AccountStatus, Change, ChangeAction, Coverage, Handoff, NewAccounts, RunMode,
    RunOutcome,
};
use orchestrator::permissions;
use serde_json::{Value, json};

/// ANSI styling, or none.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Whether to emit ANSI colour codes.
    pub color: bool,
    /// `--verbose`: every line, never grouped ([`group`]).
    pub verbose: bool,
}

impl Style {
    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
    fn green(self, t: &str) -> String {
        self.paint("32", t)
    }
    fn red(self, t: &str) -> String {
        self.paint("31", t)
    }
    pub fn yellow(self, t: &str) -> String {
        self.paint("33", t)
    }
    pub fn bold(self, t: &str) -> String {
        self.paint("1", t)
    }
}

fn action_word(a: ChangeAction) -> (&'static str, char) {
    match a {
        ChangeAction::Create => ("create", '+'),
        ChangeAction::Update => ("update", '~'),
        ChangeAction::Delete => ("delete", '-'),
    }
}

/// The per-account summary line, e.g.
/// `312 accounts: 300 to onboard, 10 unchanged, 2 skipped: suspended`.
pub fn accounts_summary(accounts: &[AccountResult], mode: RunMode) -> String {
    let count = |s: AccountStatus| accounts.iter().filter(|a| a.status == s).count();
    let mut parts = Vec::new();
    let planned_word = match mode {
        RunMode::Offboard | RunMode::OffboardPlan => "to offboard",
        _ => "to onboard",
    };
    for (status, word) in [
        (AccountStatus::Planned, planned_word),
        (AccountStatus::Onboarded, "onboarded"),
        (AccountStatus::Offboarded, "offboarded"),
        (AccountStatus::Unchanged, "unchanged"),
        (AccountStatus::Failed, "failed"),
    ] {
        let n = count(status);
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    let skipped: Vec<&AccountResult> = accounts
        .iter()
        .filter(|a| a.status == AccountStatus::Skipped)
        .collect();
    if !skipped.is_empty() {
        let mut reasons: BTreeMap<&str, usize> = BTreeMap::new();
        for a in &skipped {
            *reasons
                .entry(a.skip_reason.as_deref().unwrap_or("no reason given"))
                .or_default() += 1;
        }
        let reasons = if reasons.len() == 1 {
            reasons.keys().map(|r| (*r).to_owned()).collect::<Vec<_>>()
        } else {
            reasons.iter().map(|(r, n)| format!("{n} {r}")).collect()
        };
        parts.push(format!("{} skipped: {}", skipped.len(), reasons.join(", ")));
    }
    let noun = if accounts.len() == 1 {
        "account"
    } else {
        "accounts"
    };
    if parts.is_empty() {
        format!("{} {noun}", accounts.len())
    } else {
        format!("{} {noun}: {}", accounts.len(), parts.join(", "))
    }
}

/// Replaces every `sts:ExternalId` condition value with a short fingerprint, so plans show that
/// the external ID changes without printing it.
///
/// INVARIANT: the external ID is printed only in the hand-off.
pub fn redact_external_ids(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            // A statement diff's field values (`{"field": "Condition.StringEquals.sts:ExternalId",
            // "values": [...]}`) carry the value under another key.
            let external_field = map
                .get("field")
                .and_then(Value::as_str)
                .is_some_and(|f| f.to_ascii_lowercase().ends_with("sts:externalid"));
            Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = if k.eq_ignore_ascii_case("sts:ExternalId")
                            || (external_field && k == "values")
                        {
                            fingerprint(v)
                        } else {
                            redact_external_ids(v)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(redact_external_ids).collect()),
        // A document kept as text (a template body that is not JSON, say) that names an
        // external ID: redacted inside when it parses, else not shown.
        Value::String(text) if text.contains("sts:ExternalId") => {
            match serde_json::from_str::<Value>(text) {
                Ok(parsed) => Value::String(redact_external_ids(&parsed).to_string()),
                Err(_) => {
                    Value::String("<not shown: a document that holds an external ID>".to_owned())
                }
            }
        }
        other => other.clone(),
    }
}

fn fingerprint(v: &Value) -> Value {
    match v {
        // Already a fingerprint: left as it is (redacting twice gives the same text).
        Value::String(s) if s.starts_with("<external-id sha256:") => v.clone(),
        Value::String(s) => {
            let hex = orchestrator::config::sha256_hex(s.as_bytes());
            Value::String(format!("<external-id sha256:{}>", &hex[..8]))
        }
        Value::Array(items) => Value::Array(items.iter().map(fingerprint).collect()),
        other => other.clone(),
    }
}

/// The outcome (consumed, not copied) with every change's documents passed through
/// [`redact_external_ids`] (the typed
/// `diff` is left alone: JSON outputs go through [`redact_external_ids`] as a whole).
pub fn redact_outcome(mut o: RunOutcome) -> RunOutcome {
    for c in &mut o.changes {
        c.before = c.before.as_ref().map(redact_external_ids);
        c.after = c.after.as_ref().map(redact_external_ids);
    }
    o
}

/// Renders one change with its diff.
pub fn change(out: &mut dyn Write, c: &Change, style: Style) -> io::Result<()> {
    let (word, sign) = action_word(c.action);
    let head = format!("{sign} {word} {}", c.resource);
    let head = match c.action {
        ChangeAction::Create => style.green(&head),
        ChangeAction::Update => style.yellow(&head),
        ChangeAction::Delete => style.red(&head),
    };
    writeln!(out, "{head}")?;
    if let Some(reason) = &c.reason {
        writeln!(out, "    # {reason}")?;
    }
    for l in diff::diff(c.before.as_ref(), c.after.as_ref()) {
        let text = format!("    {} {}", l.sign, l.text);
        let text = match l.sign {
            '+' => style.green(&text),
            '-' => style.red(&text),
            _ => style.yellow(&text),
        };
        writeln!(out, "{text}")?;
    }
    Ok(())
}

/// The human plan: every change with its diff, the size forms, failures and the summaries.
pub fn plan_human(out: &mut dyn Write, o: &RunOutcome, style: Style) -> io::Result<()> {
    changes_human(out, o, style, "Plan")
}

/// The changes an `apply --yes` made (it does not show a plan first), in the plan's format.
pub fn applied_human(out: &mut dyn Write, o: &RunOutcome, style: Style) -> io::Result<()> {
    changes_human(out, o, style, "Applied")
}

fn changes_human(out: &mut dyn Write, o: &RunOutcome, style: Style, label: &str) -> io::Result<()> {
    if o.changes.is_empty() {
        let nothing = if matches!(o.mode, RunMode::Offboard | RunMode::OffboardPlan) {
            "No changes: nothing of radiant-onboard's is left to remove."
        } else {
            "No changes: everything is in place."
        };
        writeln!(out, "{}", style.bold(nothing))?;
    }
    let keys: Vec<String> = o
        .changes
        .iter()
        .map(|c| format!("{:?} {}", c.action, group::shape(&c.resource)))
        .collect();
    for (c, show) in o.changes.iter().zip(group::plan(&keys, 1, style.verbose)) {
        match show {
            group::Show::Full => change(out, c, style)?,
            group::Show::FullThenSummary(all) => {
                change(out, c, style)?;
                let rest: Vec<&str> = all[1..]
                    .iter()
                    .filter_map(|&j| group::account_of(&o.changes[j].resource))
                    .collect();
                writeln!(
                    out,
                    "{}",
                    style.bold(&format!(
                        "  ... and the same {} in {}",
                        action_word(c.action).0,
                        group::more_accounts(&rest)
                    ))
                )?;
            }
            group::Show::Hidden => {}
        }
    }
    if !o.size_decisions.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", style.bold("Shared policy sizes:"))?;
        for d in &o.size_decisions {
            writeln!(
                out,
                "  {}: form `{}` ({} of {}): {}",
                d.document, d.form, d.size, d.limit, d.reason
            )?;
        }
    }
    failures(out, o, style)?;
    notes_and_warnings(out, &o.notes, &o.warnings, style)?;
    if let (Some(n), "Plan") = (&o.new_accounts, label) {
        writeln!(out)?;
        new_accounts(out, n, style)?;
    }
    writeln!(out)?;
    let n = |a: ChangeAction| o.changes.iter().filter(|c| c.action == a).count();
    writeln!(
        out,
        "{}",
        style.bold(&format!(
            "{label}: {} to create, {} to update, {} to delete.",
            n(ChangeAction::Create),
            n(ChangeAction::Update),
            n(ChangeAction::Delete)
        ))
    )?;
    writeln!(out, "{}", accounts_summary(&o.accounts, o.mode))
}

/// Failed hub resources and accounts, one line each; the same failure (or Region skip) in many
/// accounts is grouped ([`group`]).
pub fn failures(out: &mut dyn Write, o: &RunOutcome, style: Style) -> io::Result<()> {
    for r in &o.hub {
        if let Some(e) = &r.error {
            writeln!(
                out,
                "{} hub {}: {} failed ({:?}, {}): {}",
                style.red("failed:"),
                r.resource,
                e.operation,
                e.kind,
                e.code,
                e.message
            )?;
        }
    }
    // (kind of line, account, the line, what the count line says of the kind)
    let mut lines: Vec<(String, &str, String, String)> = Vec::new();
    for a in &o.accounts {
        if let Some(e) = &a.error {
            lines.push((
                format!(
                    "failed {} {:?} {} {}",
                    e.operation,
                    e.kind,
                    e.code,
                    group::shape(&e.message)
                ),
                &a.id,
                format!(
                    "{} account {} ({}): {} failed ({:?}, {}): {}",
                    style.red("failed:"),
                    a.id,
                    a.name,
                    e.operation,
                    e.kind,
                    e.code,
                    e.message
                ),
                format!(
                    "{} ... and {} the same way: {} failed ({:?}, {})",
                    style.red("failed:"),
                    "{more}",
                    e.operation,
                    e.kind,
                    e.code
                ),
            ));
        }
        for r in &a.regions {
            if let Some(reason) = &r.skip_reason {
                lines.push((
                    format!("skipped {} {}", r.region, group::shape(reason)),
                    &a.id,
                    format!(
                        "{} account {} {}: {reason}",
                        style.yellow("skipped:"),
                        a.id,
                        r.region
                    ),
                    format!(
                        "{} ... and {} {}: {}",
                        style.yellow("skipped:"),
                        "{more}",
                        r.region,
                        group::shape(reason)
                    ),
                ));
            }
            if let Some(e) = &r.error {
                lines.push((
                    format!(
                        "failed {} {} {:?} {} {}",
                        r.region,
                        e.operation,
                        e.kind,
                        e.code,
                        group::shape(&e.message)
                    ),
                    &a.id,
                    format!(
                        "{} account {} {}: {} failed ({:?}, {}): {}",
                        style.red("failed:"),
                        a.id,
                        r.region,
                        e.operation,
                        e.kind,
                        e.code,
                        e.message
                    ),
                    format!(
                        "{} ... and {} the same way in {}: {} failed ({:?}, {})",
                        style.red("failed:"),
                        "{more}",
                        r.region,
                        e.operation,
                        e.kind,
                        e.code
                    ),
                ));
            }
        }
    }
    let keys: Vec<String> = lines.iter().map(|l| l.0.clone()).collect();
    for (i, show) in group::plan(&keys, group::SHOWN, style.verbose)
        .into_iter()
        .enumerate()
    {
        match show {
            group::Show::Full => writeln!(out, "{}", lines[i].2)?,
            group::Show::FullThenSummary(all) => {
                writeln!(out, "{}", lines[i].2)?;
                let rest: Vec<&str> = all[group::SHOWN..].iter().map(|&j| lines[j].1).collect();
                writeln!(
                    out,
                    "{}",
                    lines[i].3.replace("{more}", &group::more_accounts(&rest))
                )?;
            }
            group::Show::Hidden => {}
        }
    }
    Ok(())
}

/// The run's notes (information: `note:`) and then its warnings (`warning:`, what the user
/// should act on), one line each.
pub fn notes_and_warnings(
    out: &mut dyn Write,
    notes: &[String],
    warnings: &[String],
    style: Style,
) -> io::Result<()> {
    for n in notes {
        writeln!(out, "{} {n}", style.bold("note:"))?;
    }
    for w in warnings {
        writeln!(out, "{} {w}", style.yellow("warning:"))?;
    }
    Ok(())
}

/// The machine-readable plan (`plan --output json`), documented in `docs/report.md`.
pub fn plan_json(o: &RunOutcome) -> Value {
    redact_external_ids(&json!({
        "schema_version": orchestrator::report::SCHEMA_VERSION,
        "mode": o.mode,
        "changes": o.changes,
        "size_decisions": o.size_decisions,
        "summary": accounts_summary(&o.accounts, o.mode),
        "totals": orchestrator::report::Totals::of_accounts(&o.accounts),
        "warnings": o.warnings,
        "notes": o.notes,
        "new_accounts": o.new_accounts,
    }))
}

/// The end of `apply`: what was done, the values to enter in Radiant, the report's path.
pub fn apply_summary(
    out: &mut dyn Write,
    o: &RunOutcome,
    report: Option<&std::path::Path>,
    with_results: bool,
    style: Style,
) -> io::Result<()> {
    // `with_results` is false when `applied_human` already printed the failures, the warnings
    // and the accounts line: each is shown once.
    if with_results {
        failures(out, o, style)?;
        notes_and_warnings(out, &o.notes, &o.warnings, style)?;
        writeln!(out, "{}", accounts_summary(&o.accounts, o.mode))?;
    }
    if !matches!(o.mode, RunMode::Offboard | RunMode::OffboardPlan) {
        writeln!(out)?;
        handoff(out, &o.handoff, style)?;
        if let Some(n) = &o.new_accounts {
            writeln!(out)?;
            new_accounts(out, n, style)?;
        }
    }
    if let Some(p) = report {
        writeln!(out)?;
        writeln!(out, "Report: {}", p.display())?;
    }
    Ok(())
}

/// The hand-off: the values the user types into Radiant. The only place the external ID is shown.
pub fn handoff(out: &mut dyn Write, h: &Handoff, style: Style) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        style.bold("Enter these values in Radiant's AWS connector:")
    )?;
    let topic = |out: &mut dyn Write, what: &str, t: &Option<String>, note: &Option<String>| {
        let Some(t) = t else { return Ok(()) };
        match note {
            None => writeln!(
                out,
                "  {what} SNS topic name:{:pad$}{t}",
                "",
                pad = 12 - what.len()
            ),
            Some(why) => {
                writeln!(
                    out,
                    "  {what} SNS topic ARN:{:pad$}{t}",
                    "",
                    pad = 13 - what.len()
                )?;
                writeln!(out, "    ({why})")
            }
        }
    };
    topic(
        out,
        "CloudTrail",
        &h.cloudtrail_sns_topic,
        &h.cloudtrail_sns_topic_note,
    )?;
    topic(
        out,
        "GuardDuty",
        &h.guardduty_sns_topic,
        &h.guardduty_sns_topic_note,
    )?;
    writeln!(out, "  Role ARN:                   {}", h.role_arn)?;
    writeln!(out, "  External ID:                {}", h.external_id)
}

/// What covers an account that joins after the run, one line per part.
pub fn new_accounts(out: &mut dyn Write, n: &NewAccounts, style: Style) -> io::Result<()> {
    let title = if n.automatic() {
        "New accounts are covered without a run of the tool:"
    } else {
        "New accounts:"
    };
    writeln!(out, "{}", style.bold(title))?;
    let line = |out: &mut dyn Write, what: &str, c: &Coverage| {
        let by = if c.automatic {
            format!("by {}", c.by)
        } else {
            style.yellow(&c.by)
        };
        writeln!(out, "  {what:<12} {by}")
    };
    line(out, "member role", &n.member_role)?;
    if let Some(c) = &n.guardduty {
        line(out, "GuardDuty", c)?;
    }
    if let Some(c) = &n.cloudtrail {
        line(out, "CloudTrail", c)?;
    }
    Ok(())
}

/// `accounts`: one line per account, included or excluded and why.
pub fn accounts_human(out: &mut dyn Write, d: &Discovery) -> io::Result<()> {
    writeln!(
        out,
        "Organization {} (management account {}, hub {})",
        d.organization_id, d.management_account_id, d.hub_account_id
    )?;
    match &d.topology {
        Topology::PerAccount => writeln!(out, "GuardDuty export: per account")?,
        Topology::DelegatedAdmin { admin_account_id } => writeln!(
            out,
            "GuardDuty export: delegated administrator {admin_account_id}"
        )?,
    }
    writeln!(
        out,
        "{:<14} {:<10} {:<24} {:<28} NAME",
        "ACCOUNT", "STATUS", "OU", "INCLUDED"
    )?;
    for a in &d.accounts {
        let included = match (&a.skip_reason, a.is_hub) {
            (Some(r), _) => format!("no: {r}"),
            (None, true) => "yes (hub)".to_owned(),
            (None, false) => "yes".to_owned(),
        };
        writeln!(
            out,
            "{:<14} {:<10} {:<24} {:<28} {}",
            a.id,
            a.status,
            a.ou.as_deref().unwrap_or("-"),
            included,
            a.name
        )?;
    }
    let n = d.accounts.iter().filter(|a| a.included()).count();
    writeln!(
        out,
        "{} accounts, {} included, {} excluded",
        d.accounts.len(),
        n,
        d.accounts.len() - n
    )
}

/// `permissions`: the tool's policies and Radiant's table.
pub fn permissions_json(
    partition: policy_model::Partition,
    access_role: &str,
    hub_role: &str,
    member_role: &str,
    command: Option<permissions::Command>,
    names: Option<&permissions::Names>,
) -> Value {
    let operations: Vec<Value> = permissions::OPERATIONS
        .iter()
        .filter(|o| o.called_by(command))
        .map(|o| {
            let mut v = json!(o);
            v["commands"] = json!(o.commands().collect::<Vec<_>>());
            v
        })
        .collect();
    json!({
        "command": command,
        "caller_policy": caller_policy(partition, access_role, hub_role, member_role, command, names),
        "member_access_role_policy": permissions::member_policy_for(command),
        "operations": operations,
        "dependent_actions": permissions::DEPENDENT_ACTIONS,
        "radiant_role_permissions": permissions::RADIANT_PERMISSIONS,
    })
}

/// The caller's policy: scoped to the configuration's names when one is given.
fn caller_policy(
    partition: policy_model::Partition,
    access_role: &str,
    hub_role: &str,
    member_role: &str,
    command: Option<permissions::Command>,
    names: Option<&permissions::Names>,
) -> Value {
    match names {
        Some(names) => permissions::caller_policy_scoped(
            partition,
            access_role,
            hub_role,
            member_role,
            command,
            names,
        ),
        None => {
            permissions::caller_policy_for(partition, access_role, hub_role, member_role, command)
        }
    }
}

/// `permissions` for humans.
pub fn permissions_human(
    out: &mut dyn Write,
    partition: policy_model::Partition,
    access_role: &str,
    hub_role: &str,
    member_role: &str,
    command: Option<permissions::Command>,
    names: Option<&permissions::Names>,
) -> io::Result<()> {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    writeln!(
        out,
        "# Policy for the identity that runs radiant-onboard (management / hub account){}",
        command.map_or_else(String::new, |c| format!(
            ", for `{}` only",
            json!(c).as_str().unwrap_or_default()
        ))
    )?;
    writeln!(
        out,
        "{}",
        pretty(&caller_policy(
            partition,
            access_role,
            hub_role,
            member_role,
            command,
            names
        ))
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "# Policy the access role `{access_role}` needs in each member account\n# (OrganizationAccountAccessRole already has it; only a custom access role needs it)"
    )?;
    writeln!(out, "{}", pretty(&permissions::member_policy_for(command)))?;
    writeln!(out)?;
    writeln!(
        out,
        "# Permissions of Radiant's roles (hub role `{hub_role}`, member role `{member_role}`)"
    )?;
    writeln!(
        out,
        "| API / Service | Permission name | Account | Connector | Details |"
    )?;
    writeln!(out, "| --- | --- | --- | --- | --- |")?;
    for r in permissions::RADIANT_PERMISSIONS {
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            r.service, r.permission, r.account, r.connector, r.details
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use orchestrator::outcome::{AccountRole, Check, VerifyOutcome};

    fn acc(status: AccountStatus, reason: Option<&str>) -> AccountResult {
        AccountResult {
            id: "111111111111".into(),
            name: "a".into(),
            ou: None,
            role: AccountRole::Member,
            status,
            member_role_arn: None,
            regions: Vec::new(),
            actions: Vec::new(),
            error: None,
            skip_reason: reason.map(str::to_owned),
        }
    }

    const PLAIN: Style = Style {
        color: false,
        verbose: false,
    };

    fn check(scope: &str, region: Option<&str>, name: &str, ok: bool, detail: String) -> Check {
        Check {
            scope: scope.to_owned(),
            region: region.map(str::to_owned),
            name: name.to_owned(),
            ok,
            detail,
        }
    }

    fn render(f: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// 1,000 accounts that all failed the same way (the message names each one's role) and 5
    /// that failed otherwise: the human failures stay under 15 lines, `--verbose` has them all.
    #[test]
    fn failures_of_1000_accounts_are_grouped_by_kind_of_error() {
        let mut o = RunOutcome::default();
        for i in 0..1005u64 {
            let mut a = acc(AccountStatus::Failed, None);
            a.id = format!("{:012}", 100_000_000_000 + i);
            let (code, message) = if i < 1000 {
                (
                    "AccessDenied",
                    format!(
                        "not authorized on arn:aws:iam::{}:role/OrganizationAccountAccessRole",
                        a.id
                    ),
                )
            } else {
                ("Throttling", "Rate exceeded".to_owned())
            };
            a.error = Some(orchestrator::outcome::ErrorRecord {
                kind: orchestrator::outcome::ErrorKind::AccessDenied,
                operation: "sts:AssumeRole".into(),
                code: code.into(),
                message,
            });
            o.accounts.push(a);
        }
        let text = render(|out| failures(out, &o, PLAIN));
        assert!(text.lines().count() < 15, "{text}");
        assert!(
            text.contains("... and 997 more accounts: 100000000003, "),
            "{text}"
        );
        assert_eq!(text.matches("Rate exceeded").count(), 5, "{text}");
        let all = render(|out| {
            failures(
                out,
                &o,
                Style {
                    verbose: true,
                    ..PLAIN
                },
            )
        });
        assert_eq!(all.lines().count(), 1005);
    }

    /// `verify` of 1,000 accounts x 2 checks, 10 of them failing: the passed checks are one
    /// group each, every failure's kind shows its first lines; under 30 lines in all.
    #[test]
    fn verify_of_1000_accounts_is_grouped_by_check() {
        let mut v = VerifyOutcome::default();
        for i in 0..1000u64 {
            let id = format!("{:012}", 200_000_000_000 + i);
            v.checks.push(check(
                &id,
                None,
                "member-role-trusts-hub-role",
                true,
                format!("arn:aws:iam::{id}:role/radiant-aws-member-role trusts the hub role"),
            ));
            let failing = i % 100 == 0;
            v.checks.push(check(
                &id,
                Some("us-east-1"),
                "detector-enabled",
                !failing,
                if failing {
                    "no detector: run apply".to_owned()
                } else {
                    format!("detector/{i:032x} ENABLED")
                },
            ));
        }
        let text = render(|out| verify_human(out, &v, PLAIN));
        assert!(text.lines().count() < 30, "{text}");
        assert!(
            text.contains("member-role-trusts-hub-role - passed: 997 more accounts"),
            "{text}"
        );
        assert_eq!(text.matches("no detector: run apply").count(), 10, "{text}");
        assert!(
            text.ends_with("2000 checks, 10 failed, 0 orphans\n"),
            "{text}"
        );
    }

    #[test]
    fn summary_line_has_the_issue_form() {
        let mut v = Vec::new();
        for _ in 0..300 {
            v.push(acc(AccountStatus::Planned, None));
        }
        for _ in 0..10 {
            v.push(acc(AccountStatus::Unchanged, None));
        }
        v.push(acc(AccountStatus::Skipped, Some("suspended")));
        v.push(acc(AccountStatus::Skipped, Some("suspended")));
        assert_eq!(
            accounts_summary(&v, RunMode::Plan),
            "312 accounts: 300 to onboard, 10 unchanged, 2 skipped: suspended"
        );
        v.push(acc(AccountStatus::Skipped, Some("excluded")));
        assert!(
            accounts_summary(&v, RunMode::Plan).ends_with("3 skipped: 1 excluded, 2 suspended")
        );
    }

    #[test]
    fn external_ids_are_fingerprinted() {
        let doc = json!({"Statement": [{"Condition": {"StringEquals": {"sts:ExternalId": "secret-id"}}}]});
        let red = redact_external_ids(&doc);
        let text = red.to_string();
        assert!(!text.contains("secret-id"));
        assert!(text.contains("<external-id sha256:"));
        let other = redact_external_ids(&json!({"sts:ExternalId": "other-id"}));
        assert_ne!(
            red["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"],
            other["sts:ExternalId"]
        );
    }

    #[test]
    fn external_ids_in_statement_diffs_and_document_text_are_fingerprinted() {
        let report = json!({"diff": {"changed": [{"sid": "T", "added": [
            {"field": "Condition.StringEquals.sts:ExternalId", "values": ["secret-id"]},
            {"field": "Resource", "values": ["arn:aws:iam::111111111111:role/r"]}
        ]}]}, "before": "Resources: {Cond: {sts:ExternalId: secret-id}}",
        "after": "{\"Condition\":{\"StringEquals\":{\"sts:ExternalId\":\"secret-id\"}}}"});
        let text = redact_external_ids(&report).to_string();
        assert!(!text.contains("secret-id"), "{text}");
        assert!(text.contains("arn:aws:iam::111111111111:role/r"), "{text}");
        assert!(text.contains("<external-id sha256:"), "{text}");
    }

    #[test]
    fn handoff_prints_every_value() {
        let h = Handoff {
            cloudtrail_sns_topic: Some("ct".into()),
            guardduty_sns_topic: Some("gd".into()),
            role_arn: "arn:aws:iam::111111111111:role/r".into(),
            external_id: "ext".into(),
            ..Handoff::default()
        };
        let mut out = Vec::new();
        handoff(
            &mut out,
            &h,
            Style {
                color: false,
                verbose: false,
            },
        )
        .unwrap();
        let s = String::from_utf8(out).unwrap();
        for v in ["ct", "gd", "arn:aws:iam::111111111111:role/r", "ext"] {
            assert!(s.contains(v), "{s}");
        }
    }
}
