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
        (None, Some(a)) if is_policy(a) => policy_diff(&empty_policy(a), a),
        (Some(b), None) if is_policy(b) => policy_diff(b, &empty_policy(b)),
        (None, Some(a)) => {
            let mut out = Vec::new();
            value_diff("", &Value::Object(serde_json::Map::new()), a, &mut out);
            out
        }
        (Some(b), None) => {
            let mut out = Vec::new();
            value_diff("", b, &Value::Object(serde_json::Map::new()), &mut out);
            out
        }
        (Some(b), Some(a)) if is_policy(b) && is_policy(a) => policy_diff(b, a),
        (Some(b), Some(a)) => {
            let mut out = Vec::new();
            value_diff("", b, a, &mut out);
            out
        }
    }
}

/// `doc` with no statement (same `Version`), the other side of a create or delete.
fn empty_policy(doc: &Value) -> Value {
    let mut empty = doc.clone();
    if let Some(obj) = empty.as_object_mut() {
        obj.insert("Statement".to_owned(), Value::Array(Vec::new()));
    }
    empty
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

fn at(path: &str, v: &Value) -> String {
    if path.is_empty() {
        compact(v)
    } else {
        format!("{path}: {}", compact(v))
    }
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
                    out.push(line('-', at(path, b)));
                }
            }
            for a in &al {
                if !bl.contains(a) {
                    out.push(line('+', at(path, a)));
                }
            }
        }
        _ => {
            out.push(line('-', at(path, before)));
            out.push(line('+', at(path, after)));
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
    fn a_created_policy_lists_one_line_per_statement() {
        let after = json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "A", "Effect": "Allow"}, {"Sid": "B", "Effect": "Deny"}]});
        let d = diff(None, Some(&after));
        assert_eq!(d.len(), 2, "{d:?}");
        assert!(d.iter().all(|l| l.sign == '+'));
        assert!(d[1].text.starts_with("Statement[Sid=B]: "));
        let settings = json!({"Enable": true, "Features": ["S3_DATA_EVENTS"]});
        let d = diff(None, Some(&settings));
        assert_eq!(d[0].text, "Enable: true");
    }

    #[test]
    fn equal_documents_have_no_difference() {
        let v = json!({"Statement": [{"Sid": "x", "Effect": "Allow"}]});
        assert!(diff(Some(&v), Some(&v)).is_empty());
    }
}
