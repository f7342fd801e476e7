//! Output that stays readable at ten thousand accounts (issue #22): lines that differ only by
//! their account are grouped. A kind with more than [`GROUP_ABOVE`] lines shows its first
//! [`SHOWN`] (its first change, for plan changes) where they fall and then one line with the
//! count and the first accounts of the rest; every other line is printed as before, in its
//! order, so a small organization's output is unchanged. `--verbose` prints every line. The
//! JSON outputs are never grouped.

use std::collections::HashMap;

/// A kind with more lines than this is grouped.
pub const GROUP_ABOVE: usize = 20;

/// How many lines of a grouped kind are printed in full (plan changes: one).
pub const SHOWN: usize = 3;

/// How many account IDs the count line names.
const NAMED: usize = 5;

/// The shape of a text: every run of exactly 12 digits (an account ID) becomes `ACCOUNT` and
/// every detector ID (`detector/` then letters and digits) `detector/ID`, so that the same
/// change or failure in two accounts has the same shape.
pub fn shape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let before_ok = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
            let after_ok = i == bytes.len() || !bytes[i].is_ascii_alphanumeric();
            if i - start == 12 && before_ok && after_ok {
                out.push_str("ACCOUNT");
            } else {
                out.push_str(&text[start..i]);
            }
            continue;
        }
        if text[i..].starts_with("detector/") {
            out.push_str("detector/ID");
            i += "detector/".len();
            while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                i += 1;
            }
            continue;
        }
        let c = text[i..].chars().next().unwrap_or(' ');
        out.push(c);
        i += c.len_utf8();
    }
    out
}

/// What to print of each of `keys` (one per line, in order): `Full` for a line printed as is,
/// `Summary` after the last shown line of a grouped kind (with every member of the kind),
/// `Hidden` for the rest of a grouped kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Show {
    Full,
    /// Print the line, then the kind's count line: the indices of every line of the kind.
    FullThenSummary(Vec<usize>),
    Hidden,
}

/// Decides, for lines of the given kinds (in order), which are printed (see [`Show`]).
/// `shown`: how many lines of a grouped kind are printed in full.
pub fn plan(keys: &[String], shown: usize, verbose: bool) -> Vec<Show> {
    let mut members: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, k) in keys.iter().enumerate() {
        members.entry(k.as_str()).or_default().push(i);
    }
    keys.iter()
        .enumerate()
        .map(|(i, k)| {
            let all = &members[k.as_str()];
            if verbose || all.len() <= GROUP_ABOVE {
                return Show::Full;
            }
            let rank = all.iter().position(|&j| j == i).unwrap_or(0);
            if rank + 1 < shown {
                Show::Full
            } else if rank + 1 == shown {
                Show::FullThenSummary(all.clone())
            } else {
                Show::Hidden
            }
        })
        .collect()
}

/// `N more accounts: A, B, C, D, E, ...`: the accounts of a grouped kind not printed in full.
pub fn more_accounts(accounts: &[&str]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for a in accounts {
        if !seen.contains(a) {
            seen.push(a);
        }
    }
    let named: Vec<&str> = seen.iter().take(NAMED).copied().collect();
    let rest = if seen.len() > NAMED { ", ..." } else { "" };
    format!(
        "{} more account{}: {}{rest} (`--verbose` lists each)",
        seen.len(),
        if seen.len() == 1 { "" } else { "s" },
        named.join(", ")
    )
}

/// The account ID in an ARN (its fifth field), when it is one.
pub fn account_of(resource: &str) -> Option<&str> {
    let field = resource.split(':').nth(4)?;
    (field.len() == 12 && field.bytes().all(|b| b.is_ascii_digit())).then_some(field)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_hide_accounts_and_detectors_only() {
        assert_eq!(
            shape("arn:aws:iam::123456789012:role/radiant-aws-member-role"),
            "arn:aws:iam::ACCOUNT:role/radiant-aws-member-role"
        );
        assert_eq!(
            shape("arn:aws:guardduty:us-east-1:123456789012:detector/0a1b2c3d#destination"),
            "arn:aws:guardduty:us-east-1:ACCOUNT:detector/ID#destination"
        );
        // Other numbers stay: a port, a 13-digit number, a version.
        assert_eq!(
            shape("port 4566, 1234567890123, v2"),
            "port 4566, 1234567890123, v2"
        );
        assert_eq!(shape("akey123456789012"), "akey123456789012");
    }

    #[test]
    fn only_kinds_over_the_threshold_are_grouped_and_order_is_kept() {
        let mut keys: Vec<String> = (0..=GROUP_ABOVE).map(|_| "many".to_owned()).collect();
        keys.insert(3, "one".to_owned());
        let show = plan(&keys, 2, false);
        assert_eq!(show[0], Show::Full);
        assert!(matches!(&show[1], Show::FullThenSummary(all) if all.len() == GROUP_ABOVE + 1));
        assert_eq!(show[2], Show::Hidden);
        assert_eq!(show[3], Show::Full, "the other kind keeps its place");
        assert!(show[4..].iter().all(|s| *s == Show::Hidden));
        assert!(plan(&keys, 2, true).iter().all(|s| *s == Show::Full));
        let few: Vec<String> = (0..GROUP_ABOVE).map(|_| "k".to_owned()).collect();
        assert!(plan(&few, 1, false).iter().all(|s| *s == Show::Full));
    }

    #[test]
    fn the_count_line_names_the_first_accounts() {
        let ids = ["111111111111", "222222222222", "222222222222"];
        assert_eq!(
            more_accounts(&ids),
            "2 more accounts: 111111111111, 222222222222 (`--verbose` lists each)"
        );
        let many: Vec<String> = (0..8).map(|i| format!("{i:012}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        assert!(more_accounts(&refs).starts_with("8 more accounts: 000000000000, "));
        assert!(more_accounts(&refs).contains(", ... (`--verbose`"));
    }
}
