//! Statement- and value-level differences between two JSON documents (policy documents mostly).

use serde_json::Value;

/// One line of a rendered difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    /// `+` added, `-` removed, `~` changed (a header for the lines below it).
    pub sign: char,
    /// What changed, e.g. `Statement[Sid=GuardDutyPut].Condition.StringEquals.aws:SourceAccount: "1111"`.
    pub text: String,
}

fn line(sign: char, text: String) -> DiffLine {
    DiffLine { sign, text }
}

/// The differences from `before` to `after` (either may be absent: create or delete).
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<DiffLine> {
    match (before, after) {
        (None, None) => Vec::new(),
        (None, Some(a)) => vec![line('+', compact(a))],
        (Some(b), None) => vec![line('-', compact(b))],
        (Some(b), Some(a)) if is_policy(b) && is_policy(a) => policy_diff(b, a),
        (Some(b), Some(a)) => {
            let mut out = Vec::new();
            value_diff("", b, a, &mut out);
            out
        }
    }
}

fn is_policy(v: &Value) -> bool {
    v.get("Statement").is_some()
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// A one-or-many value as a list.
fn as_list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(other) => vec![other],
    }
}

fn sid(v: &Value) -> Option<&str> {
    v.get("Sid").and_then(Value::as_str)
}

fn label(v: &Value, index: usize) -> String {
    match sid(v) {
        Some(s) => format!("Statement[Sid={s}]"),
        None => format!("Statement[{index}]"),
    }
}

fn policy_diff(before: &Value, after: &Value) -> Vec<DiffLine> {
    let mut out = Vec::new();
    // Top-level keys other than Statement (Version, Id).
    if let (Some(b), Some(a)) = (before.as_object(), after.as_object()) {
        for (k, bv) in b {
            if k == "Statement" {
                continue;
            }
            match a.get(k) {
                None => out.push(line('-', format!("{k}: {}", compact(bv)))),
                Some(av) if av != bv => value_diff(k, bv, av, &mut out),
                Some(_) => {}
            }
        }
        for (k, av) in a {
            if k != "Statement" && !b.contains_key(k) {
                out.push(line('+', format!("{k}: {}", compact(av))));
            }
        }
    }
    let bs = as_list(before.get("Statement"));
    let as_ = as_list(after.get("Statement"));
    for (i, b) in bs.iter().enumerate() {
        if as_.iter().any(|a| a == b) {
            continue;
        }
        let same_sid = sid(b).and_then(|s| as_.iter().find(|a| sid(a) == Some(s)));
        match same_sid {
            Some(a) => {
                let name = label(b, i);
                out.push(line('~', name.clone()));
                value_diff(&name, b, a, &mut out);
            }
            None => out.push(line('-', format!("{}: {}", label(b, i), compact(b)))),
        }
    }
    for (i, a) in as_.iter().enumerate() {
        let matched = bs
            .iter()
            .any(|b| b == a || (sid(a).is_some() && sid(b) == sid(a)));
        if !matched {
            out.push(line('+', format!("{}: {}", label(a, i), compact(a))));
        }
    }
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Key-by-key differences; arrays (and one-or-many values) compare as sets of values.
fn value_diff(path: &str, before: &Value, after: &Value, out: &mut Vec<DiffLine>) {
    if before == after {
        return;
    }
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            for (k, bv) in b {
                match a.get(k) {
                    None => out.push(line('-', format!("{}: {}", join(path, k), compact(bv)))),
                    Some(av) => value_diff(&join(path, k), bv, av, out),
                }
            }
            for (k, av) in a {
                if !b.contains_key(k) {
                    out.push(line('+', format!("{}: {}", join(path, k), compact(av))));
                }
            }
        }
        (Value::Array(_), _) | (_, Value::Array(_)) => {
            let bl = as_list(Some(before));
            let al = as_list(Some(after));
            for b in &bl {
                if !al.contains(b) {
                    out.push(line('-', format!("{path}: {}", compact(b))));
                }
            }
            for a in &al {
                if !bl.contains(a) {
                    out.push(line('+', format!("{path}: {}", compact(a))));
                }
            }
        }
        _ => {
            out.push(line('-', format!("{path}: {}", compact(before))));
            out.push(line('+', format!("{path}: {}", compact(after))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn added_account_shows_as_one_added_value() {
        let before = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": "s3:PutObject",
             "Condition": {"StringEquals": {"aws:SourceAccount": "111111111111"}}}]});
        let after = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": "s3:PutObject",
             "Condition": {"StringEquals": {"aws:SourceAccount": ["111111111111", "222222222222"]}}}]});
        let d = diff(Some(&before), Some(&after));
        assert_eq!(
            d,
            vec![
                line('~', "Statement[Sid=A]".into()),
                line(
                    '+',
                    "Statement[Sid=A].Condition.StringEquals.aws:SourceAccount: \"222222222222\""
                        .into()
                ),
            ]
        );
    }

    #[test]
    fn statements_without_sid_are_added_and_removed_whole() {
        let before = json!({"Statement": {"Effect": "Allow", "Action": "a:B"}});
        let after = json!({"Statement": [{"Effect": "Allow", "Action": "a:C"}]});
        let d = diff(Some(&before), Some(&after));
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].sign, '-');
        assert_eq!(d[1].sign, '+');
        assert!(d[1].text.contains("a:C"));
    }

    #[test]
    fn equal_documents_have_no_difference() {
        let v = json!({"Statement": [{"Sid": "x", "Effect": "Allow"}]});
        assert!(diff(Some(&v), Some(&v)).is_empty());
    }
}
