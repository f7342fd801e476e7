//! A structured diff of two policy documents, for the plan output.
//!
//! Statements are matched by Sid; statements without a Sid are matched by their canonical
//! content (so they are either unchanged, added or removed). Within a matched statement the
//! string lists (`Action`, `Resource`, principals, condition values) are compared as sets and
//! reported as values added / removed; any other difference is a changed field.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;

use crate::document::PolicyDocument;
use crate::statement::{LIST_KEYS, PRINCIPAL_KEYS, Statement, strings_of};

/// Values added to or removed from one field of a statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldValues {
    /// The field: `Action`, `Resource`, `Principal.AWS`, `Condition.StringEquals.aws:SourceArn`...
    pub field: String,
    /// The values, in the order of the document they come from.
    pub values: Vec<String>,
}

/// How one statement (same Sid in both documents) changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatementChange {
    /// The Sid.
    pub sid: String,
    /// Values that appear only in the new statement.
    pub values_added: Vec<FieldValues>,
    /// Values that appear only in the old statement.
    pub values_removed: Vec<FieldValues>,
    /// Other fields whose value changed (e.g. `Effect`), or whose shape changed.
    pub fields_changed: Vec<String>,
}

/// The difference between two documents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyDiff {
    /// Statements only in the new document.
    pub added: Vec<Statement>,
    /// Statements only in the old document.
    pub removed: Vec<Statement>,
    /// Statements present in both whose meaning changed.
    pub changed: Vec<StatementChange>,
}

impl PolicyDiff {
    /// Whether the documents' statements mean the same.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// The string lists of a statement, by field path.
fn fields(statement: &Statement) -> Vec<(String, Vec<String>)> {
    let raw = statement.raw();
    let mut out = Vec::new();
    for key in LIST_KEYS {
        if let Some(value) = raw.get(key) {
            out.push((key.to_owned(), strings_of(value)));
        }
    }
    for key in PRINCIPAL_KEYS {
        match raw.get(key) {
            Some(Value::Object(map)) => {
                for (kind, value) in map {
                    out.push((format!("{key}.{kind}"), strings_of(value)));
                }
            }
            Some(Value::String(s)) => out.push((format!("{key}.AWS"), vec![s.clone()])),
            _ => {}
        }
    }
    if let Some(Value::Object(condition)) = raw.get("Condition") {
        for (operator, block) in condition {
            if let Value::Object(keys) = block {
                for (key, value) in keys {
                    out.push((format!("Condition.{operator}.{key}"), strings_of(value)));
                }
            }
        }
    }
    out
}

fn compare(sid: &str, before: &Statement, after: &Statement) -> Option<StatementChange> {
    let old = fields(before);
    let new = fields(after);
    let mut values_added = Vec::new();
    let mut values_removed = Vec::new();
    let lookup = |list: &[(String, Vec<String>)], field: &str| -> HashSet<String> {
        list.iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.iter().cloned().collect())
            .unwrap_or_default()
    };
    for (field, values) in &new {
        let previous = lookup(&old, field);
        let added: Vec<String> = values
            .iter()
            .filter(|v| !previous.contains(*v))
            .cloned()
            .collect();
        if !added.is_empty() {
            values_added.push(FieldValues {
                field: field.clone(),
                values: added,
            });
        }
    }
    for (field, values) in &old {
        let next = lookup(&new, field);
        let removed: Vec<String> = values
            .iter()
            .filter(|v| !next.contains(*v))
            .cloned()
            .collect();
        if !removed.is_empty() {
            values_removed.push(FieldValues {
                field: field.clone(),
                values: removed,
            });
        }
    }
    let mut fields_changed = Vec::new();
    let list_like =
        |key: &str| LIST_KEYS.contains(&key) || PRINCIPAL_KEYS.contains(&key) || key == "Condition";
    let mut keys: Vec<&String> = before.raw().keys().collect();
    for key in after.raw().keys() {
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    for key in keys {
        if list_like(key) {
            continue;
        }
        if before.raw().get(key) != after.raw().get(key) {
            fields_changed.push(key.clone());
        }
    }
    if values_added.is_empty() && values_removed.is_empty() && fields_changed.is_empty() {
        // Same sets; a `Principal: "*"` vs `{"AWS": "*"}` change or a reordering means the same.
        return None;
    }
    Some(StatementChange {
        sid: sid.to_owned(),
        values_added,
        values_removed,
        fields_changed,
    })
}

fn same_meaning(a: &Statement, b: &Statement) -> bool {
    PolicyDocument::from_statements([a.clone()])
        .semantically_equal(&PolicyDocument::from_statements([b.clone()]))
}

/// The difference from `before` to `after`.
pub fn diff(before: &PolicyDocument, after: &PolicyDocument) -> PolicyDiff {
    let mut added = Vec::new();
    let mut removed = Vec::new();
    let mut changed = Vec::new();
    let mut unmatched_before: Vec<&Statement> = before.statements().iter().collect();
    for statement in after.statements() {
        let position = match statement.sid() {
            Some(sid) => unmatched_before.iter().position(|b| b.sid() == Some(sid)),
            None => unmatched_before
                .iter()
                .position(|b| b.sid().is_none() && same_meaning(b, statement)),
        };
        match position {
            Some(i) => {
                let old = unmatched_before.remove(i);
                if let Some(sid) = statement.sid()
                    && let Some(change) = compare(sid, old, statement)
                {
                    changed.push(change);
                }
            }
            None => added.push(statement.clone()),
        }
    }
    removed.extend(unmatched_before.into_iter().cloned());
    PolicyDiff {
        added,
        removed,
        changed,
    }
}
