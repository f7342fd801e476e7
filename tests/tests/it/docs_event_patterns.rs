//! The EventBridge rules of `docs/runbook.md` ("Enrolment: accounts that join later") against
//! the sample events of `tests/fixtures/events/` (their sources: that folder's README).
//!
//! Each pattern is the JSON block after a `<!-- event-pattern: NAME -->` line, with the paths
//! of the new account's ID in `<!-- account-id-path: PATH -->` lines; `NAME.json` is its
//! sample. Checked: each pattern matches its own sample and no other kind's, no pattern matches
//! a failed variant of any sample, and every documented path (also shown in the text) gives the
//! sample's new account. The matcher is EventBridge's, cut down to what the rules use: nested
//! objects, and arrays of exact values (an array in the event matches when one of its elements
//! is listed). Anything else in a pattern (a scalar leaf, a content filter such as `prefix`)
//! fails the test instead of being skipped. No emulator.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value};

/// The runbook's section with the rules.
const SECTION: &str = "## Enrolment: accounts that join later";

/// Every documented kind and its sample's new account (made up, see the fixtures' README).
const KINDS: [(&str, &str); 4] = [
    ("control-tower-create-managed-account", "444455556666"),
    ("control-tower-update-managed-account", "777788889999"),
    ("organizations-create-account-result", "555566667777"),
    ("organizations-accept-handshake", "888899990000"),
];

/// A rule as the runbook documents it.
struct Documented {
    name: String,
    pattern: Value,
    account_id_paths: Vec<String>,
}

/// A file of the repository, by its path from `tests/`.
fn read(relative: &str) -> Result<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The enrolment section of the runbook: from its heading to the next `## ` heading.
fn section(runbook: &str) -> Result<&str, String> {
    let start = runbook
        .find(&format!("\n{SECTION}\n"))
        .ok_or_else(|| format!("docs/runbook.md has no `{SECTION}` section"))?;
    let body = &runbook[start + 1..];
    let end = body[SECTION.len()..]
        .find("\n## ")
        .map_or(body.len(), |i| SECTION.len() + i);
    Ok(&body[..end])
}

/// The value of a `<!-- KEY: VALUE -->` line.
fn marker<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.trim()
        .strip_prefix("<!-- ")?
        .strip_suffix(" -->")?
        .strip_prefix(key)?
        .strip_prefix(": ")
        .map(str::trim)
}

/// The marked patterns of the section, in order.
fn documented(section: &str) -> Result<Vec<Documented>, String> {
    let lines: Vec<&str> = section.lines().collect();
    let mut rules = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(name) = marker(lines[i], "event-pattern") else {
            i += 1;
            continue;
        };
        let mut account_id_paths = Vec::new();
        i += 1;
        while let Some(path) = lines.get(i).and_then(|l| marker(l, "account-id-path")) {
            account_id_paths.push(path.to_owned());
            i += 1;
        }
        if lines.get(i).map(|l| l.trim()) != Some("```json") {
            return Err(format!(
                "`{name}`: the marker lines must be followed by a ```json block"
            ));
        }
        let body_start = i + 1;
        let body_len = lines[body_start..]
            .iter()
            .position(|l| l.trim() == "```")
            .ok_or_else(|| format!("`{name}`: the JSON block is not closed"))?;
        let json = lines[body_start..body_start + body_len].join("\n");
        let pattern = serde_json::from_str(&json)
            .map_err(|e| format!("`{name}`: the pattern is not JSON: {e}"))?;
        rules.push(Documented {
            name: name.to_owned(),
            pattern,
            account_id_paths,
        });
        i = body_start + body_len + 1;
    }
    let blocks = lines.iter().filter(|l| l.trim() == "```json").count();
    if blocks != rules.len() {
        return Err(format!(
            "{blocks} JSON blocks in the section but {} marked as event patterns",
            rules.len()
        ));
    }
    Ok(rules)
}

/// The sample event `tests/fixtures/events/NAME.json`.
fn sample(name: &str) -> Result<Value, String> {
    let text = read(&format!("fixtures/events/{name}.json"))?;
    serde_json::from_str(&text).map_err(|e| format!("fixtures/events/{name}.json: {e}"))
}

/// Checks that `pattern` uses only what [`matches`] implements, as EventBridge would parse it.
fn validate(pattern: &Value, at: &str) -> Result<(), String> {
    let Value::Object(fields) = pattern else {
        return Err(format!("`{at}`: a pattern is a JSON object"));
    };
    if fields.is_empty() {
        return Err(format!("`{at}`: an empty object matches nothing useful"));
    }
    for (key, value) in fields {
        let at = if at.is_empty() {
            key.clone()
        } else {
            format!("{at}.{key}")
        };
        match value {
            Value::Object(_) => validate(value, &at)?,
            Value::Array(values) if values.is_empty() => {
                return Err(format!("`{at}`: an empty array matches nothing"));
            }
            Value::Array(values) => {
                if let Some(v) = values.iter().find(|v| v.is_object() || v.is_array()) {
                    return Err(format!(
                        "`{at}`: `{v}` is a content filter; this matcher supports exact values only"
                    ));
                }
            }
            _ => {
                return Err(format!(
                    "`{at}`: a leaf must be an array of values, not `{value}` (EventBridge refuses it)"
                ));
            }
        }
    }
    Ok(())
}

/// EventBridge's matching for a [`validate`]d pattern: every field of the pattern must be in
/// the event; an object matches recursively; an array of values matches a scalar equal to one
/// of them, or an array in the event holding one of them.
fn matches(pattern: &Value, event: &Value) -> Result<bool, String> {
    validate(pattern, "")?;
    Ok(match_fields(pattern, event))
}

fn match_fields(pattern: &Value, event: &Value) -> bool {
    let (Some(fields), Some(event)) = (pattern.as_object(), event.as_object()) else {
        return false;
    };
    fields
        .iter()
        .all(|(key, wanted)| match (wanted, event.get(key)) {
            (_, None) => false,
            (Value::Object(_), Some(value)) => match_fields(wanted, value),
            (Value::Array(values), Some(Value::Array(items))) => {
                items.iter().any(|item| values.contains(item))
            }
            (Value::Array(values), Some(value)) => !value.is_object() && values.contains(value),
            _ => false,
        })
}

/// The value at a dotted path; a segment `name[key=value]` is the one element of the array
/// `name` whose `key` is the string `value` (none or several: an error).
fn extract<'a>(event: &'a Value, path: &str) -> Result<&'a Value, String> {
    let mut current = event;
    for segment in path.split('.') {
        let field = |value: &'a Value, name: &str| {
            value
                .get(name)
                .ok_or_else(|| format!("`{path}`: no field `{name}`"))
        };
        current = match segment.strip_suffix(']').and_then(|s| s.split_once('[')) {
            None => field(current, segment)?,
            Some((name, selector)) => {
                let (key, wanted) = selector
                    .split_once('=')
                    .ok_or_else(|| format!("`{path}`: `[{selector}]` is not `[key=value]`"))?;
                let elements = field(current, name)?
                    .as_array()
                    .ok_or_else(|| format!("`{path}`: `{name}` is not an array"))?;
                let found: Vec<&Value> = elements
                    .iter()
                    .filter(|e| e.get(key).and_then(Value::as_str) == Some(wanted))
                    .collect();
                match found.as_slice() {
                    [one] => *one,
                    _ => {
                        return Err(format!(
                            "`{path}`: {} elements of `{name}` have `{key}` = `{wanted}`",
                            found.len()
                        ));
                    }
                }
            }
        };
    }
    Ok(current)
}

/// The `serviceEventDetails.KEY` object of an event's `detail`.
fn status<'a>(
    detail: &'a mut Map<String, Value>,
    kind: &str,
    key: &str,
) -> Result<&'a mut Map<String, Value>, String> {
    detail
        .get_mut("serviceEventDetails")
        .and_then(|d| d.get_mut(key))
        .and_then(Value::as_object_mut)
        .ok_or_else(|| format!("`{kind}`: no `serviceEventDetails.{key}`"))
}

/// The sample of `kind` as it looks when the step failed: Control Tower's and Organizations'
/// `state` `FAILED` (without an account ID, and with a failure reason, for `CreateAccountResult`,
/// as in the Organizations User Guide); a refused `AcceptHandshake` has an `errorCode` and no
/// `responseElements`.
fn failed(kind: &str, mut event: Value) -> Result<Value, String> {
    let detail = event
        .get_mut("detail")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| format!("`{kind}`: no `detail`"))?;
    match kind {
        "control-tower-create-managed-account" => {
            let s = status(detail, kind, "createManagedAccountStatus")?;
            s.insert("state".into(), "FAILED".into());
        }
        "control-tower-update-managed-account" => {
            let s = status(detail, kind, "updateManagedAccountStatus")?;
            s.insert("state".into(), "FAILED".into());
        }
        "organizations-create-account-result" => {
            let s = status(detail, kind, "createAccountStatus")?;
            s.insert("state".into(), "FAILED".into());
            s.remove("accountId");
            s.insert("failureReason".into(), "EMAIL_ALREADY_EXISTS".into());
        }
        "organizations-accept-handshake" => {
            detail.insert("responseElements".into(), Value::Null);
            detail.insert(
                "errorCode".into(),
                "HandshakeConstraintViolationException".into(),
            );
        }
        _ => return Err(format!("no failed variant for `{kind}`")),
    }
    Ok(event)
}

/// The section's text and its rules.
fn load() -> Result<(String, Vec<Documented>), String> {
    let runbook = read("../docs/runbook.md")?;
    let text = section(&runbook)?.to_owned();
    let rules = documented(&text).map_err(|e| format!("docs/runbook.md: {e}"))?;
    Ok((text, rules))
}

/// Every kind's sample.
fn samples() -> Result<Vec<(&'static str, Value)>, String> {
    KINDS
        .iter()
        .map(|(kind, _)| Ok((*kind, sample(kind)?)))
        .collect()
}

#[test]
fn the_runbook_documents_one_pattern_per_kind() {
    let (_, rules) = load().unwrap_or_else(|e| panic!("{e}"));
    let documented: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
    let kinds: Vec<&str> = KINDS.iter().map(|(kind, _)| *kind).collect();
    assert_eq!(documented, kinds, "the runbook's patterns, in order");
    let unique: BTreeSet<&str> = documented.iter().copied().collect();
    assert_eq!(unique.len(), documented.len(), "a kind documented twice");
}

#[test]
fn each_pattern_matches_its_own_sample_and_no_other() {
    let (_, rules) = load().unwrap_or_else(|e| panic!("{e}"));
    let samples = samples().unwrap_or_else(|e| panic!("{e}"));
    for rule in &rules {
        for (kind, event) in &samples {
            let matched =
                matches(&rule.pattern, event).unwrap_or_else(|e| panic!("`{}`: {e}", rule.name));
            assert_eq!(
                matched,
                rule.name == *kind,
                "pattern `{}` against the `{kind}` sample",
                rule.name
            );
        }
    }
}

#[test]
fn no_pattern_matches_a_failed_event() {
    let (_, rules) = load().unwrap_or_else(|e| panic!("{e}"));
    for (kind, event) in samples().unwrap_or_else(|e| panic!("{e}")) {
        let failed = failed(kind, event).unwrap_or_else(|e| panic!("{e}"));
        for rule in &rules {
            let matched =
                matches(&rule.pattern, &failed).unwrap_or_else(|e| panic!("`{}`: {e}", rule.name));
            assert!(
                !matched,
                "pattern `{}` matches the failed `{kind}` event",
                rule.name
            );
        }
    }
}

#[test]
fn every_documented_account_id_path_gives_the_new_account() {
    let (text, rules) = load().unwrap_or_else(|e| panic!("{e}"));
    for rule in &rules {
        let expected = KINDS
            .iter()
            .find(|(kind, _)| *kind == rule.name)
            .map(|(_, account)| *account)
            .unwrap_or_else(|| panic!("`{}` is not a known kind", rule.name));
        let event = sample(&rule.name).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !rule.account_id_paths.is_empty(),
            "`{}` has no `account-id-path` marker",
            rule.name
        );
        for path in &rule.account_id_paths {
            let id = extract(&event, path).unwrap_or_else(|e| panic!("`{}`: {e}", rule.name));
            assert_eq!(id.as_str(), Some(expected), "`{}`: `{path}`", rule.name);
            assert!(
                text.contains(&format!("`{path}`")),
                "`{}`: the path `{path}` is in a marker but not in the text",
                rule.name
            );
        }
        // The envelope's `account` is the management account, never the new one.
        assert_ne!(
            event.get("account").and_then(Value::as_str),
            Some(expected),
            "`{}`: the sample's `account` is the new account",
            rule.name
        );
    }
}

#[test]
fn the_traps_named_in_the_runbook_do_not_match() {
    let samples = samples().unwrap_or_else(|e| panic!("{e}"));
    let event = |kind: &str| {
        samples
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, e)| e)
            .unwrap_or_else(|| panic!("no `{kind}` sample"))
    };
    let create_result = event("organizations-create-account-result");
    let accept = event("organizations-accept-handshake");
    let check = |pattern: &str, event: &Value| {
        let pattern: Value = serde_json::from_str(pattern).unwrap_or_else(|e| panic!("{e}"));
        matches(&pattern, event).unwrap_or_else(|e| panic!("{e}"))
    };

    // SRA rules with one detail-type for both events: each misses the other kind.
    let service_only = r#"{"source": ["aws.organizations"],
        "detail-type": ["AWS Service Event via CloudTrail"],
        "detail": {"eventSource": ["organizations.amazonaws.com"],
                   "eventName": ["AcceptHandshake", "CreateAccountResult"]}}"#;
    assert!(check(service_only, create_result));
    assert!(!check(service_only, accept));
    let api_only = service_only.replace("AWS Service Event", "AWS API Call");
    assert!(check(&api_only, accept));
    assert!(!check(&api_only, create_result));

    // The event name's case, and `eventName` outside `detail`.
    let wrong_case = r#"{"detail": {"eventName": ["AcceptHandShake"]}}"#;
    assert!(!check(wrong_case, accept));
    let top_level = r#"{"source": ["aws.organizations"], "eventName": ["CreateAccountResult"]}"#;
    assert!(!check(top_level, create_result));

    // SRA's Lambdas read `responseElements` at the top of the event, where it is not.
    assert!(
        extract(
            accept,
            "responseElements.handshake.parties[type=ACCOUNT].id"
        )
        .is_err()
    );
    // Selecting a party that is not there (an invitation by email has no `ACCOUNT` party) is an
    // error, not a silent miss.
    assert!(
        extract(
            accept,
            "detail.responseElements.handshake.parties[type=EMAIL].id"
        )
        .is_err()
    );

    // A scalar leaf: EventBridge refuses the pattern, so does the matcher.
    let scalar: Value = serde_json::from_str(r#"{"detail": {"eventName": "CreateAccountResult"}}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches(&scalar, create_result).is_err());
}
