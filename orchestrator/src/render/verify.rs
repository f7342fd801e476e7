//! `verify`'s human output: one line per check (grouped at scale, [`super::group`]), the
//! orphans, the enrolment gaps, the advisories and the summary.

use std::io::{self, Write};

use orchestrator::outcome::VerifyOutcome;

use super::{Style, group};

/// `verify`: one line per check, then orphans and a summary.
pub fn verify_human(out: &mut dyn Write, v: &VerifyOutcome, style: Style) -> io::Result<()> {
    // Passed checks of one name and Region are one kind; failed ones, by what they say.
    let keys: Vec<String> = v
        .checks
        .iter()
        .map(|c| {
            let region = c.region.as_deref().unwrap_or("-");
            if c.scope == "hub" {
                format!("hub {} {region}", c.name)
            } else if c.ok {
                format!("ok {} {region}", c.name)
            } else {
                format!("FAIL {} {region} {}", c.name, group::shape(&c.detail))
            }
        })
        .collect();
    for (c, show) in v
        .checks
        .iter()
        .zip(group::plan(&keys, group::SHOWN, style.verbose))
    {
        let mark = if c.ok {
            style.green("ok  ")
        } else {
            style.red("FAIL")
        };
        let region = c.region.as_deref().unwrap_or("-");
        let line = |out: &mut dyn Write| {
            writeln!(
                out,
                "{mark} {:<14} {:<16} {:<28} {}",
                c.scope, region, c.name, c.detail
            )
        };
        match show {
            group::Show::Full => line(out)?,
            group::Show::FullThenSummary(all) => {
                line(out)?;
                let rest: Vec<&str> = all[group::SHOWN..]
                    .iter()
                    .map(|&j| v.checks[j].scope.as_str())
                    .collect();
                writeln!(
                    out,
                    "{mark} ... {} {region} {}: {}",
                    c.name,
                    if c.ok {
                        "passed"
                    } else {
                        "failed the same way"
                    },
                    group::more_accounts(&rest)
                )?;
            }
            group::Show::Hidden => {}
        }
    }
    for o in &v.orphans {
        writeln!(
            out,
            "{} {o}: in a shared policy but not in the organization",
            style.red("orphan")
        )?;
    }
    let gap_keys: Vec<String> = v.gaps.iter().map(|g| g.missing.join(", ")).collect();
    for (g, show) in v
        .gaps
        .iter()
        .zip(group::plan(&gap_keys, group::SHOWN, style.verbose))
    {
        let joined = match (&g.joined, g.waited_s) {
            (Some(at), Some(s)) => format!("joined {at}, {} min ago", s / 60),
            _ => "joined at an unknown time".to_owned(),
        };
        let line = |out: &mut dyn Write| {
            writeln!(
                out,
                "{} {} ({}), {joined}: not covered yet: {}",
                style.red("gap"),
                g.account,
                g.name,
                g.missing.join(", ")
            )
        };
        match show {
            group::Show::Full => line(out)?,
            group::Show::FullThenSummary(all) => {
                line(out)?;
                let rest: Vec<&str> = all[group::SHOWN..]
                    .iter()
                    .map(|&j| v.gaps[j].account.as_str())
                    .collect();
                writeln!(
                    out,
                    "{} ... and {} not covered yet the same way: {}",
                    style.red("gap"),
                    group::more_accounts(&rest),
                    g.missing.join(", ")
                )?;
            }
            group::Show::Hidden => {}
        }
    }
    for a in &v.advisories {
        writeln!(out, "{}", style.yellow(a))?;
    }
    let failed = v.checks.iter().filter(|c| !c.ok).count();
    let gaps = if v.gaps.is_empty() {
        String::new()
    } else {
        let n = v.gaps.len();
        format!(
            ", {n} account{} not covered yet",
            if n == 1 { "" } else { "s" }
        )
    };
    writeln!(
        out,
        "{} checks, {} failed, {} orphans{gaps}",
        v.checks.len(),
        failed,
        v.orphans.len()
    )
}
