//! The lossless policy document and its ownership patches.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::{ParseError, PatchError};
use crate::statement::{LIST_KEYS, PRINCIPAL_KEYS, Statement, is_owned_sid, strings_of};

/// The policy language version every document the product writes declares.
pub const POLICY_VERSION: &str = "2012-10-17";

/// What [`PolicyDocument::redacted`] writes instead of an external ID.
pub const REDACTED: &str = "<redacted>";

/// How the document wrote its `Statement` key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatementForm {
    /// `"Statement": {...}`: written back as an object while there is exactly one statement.
    Single,
    /// `"Statement": [...]`.
    Many,
}

/// An IAM / S3 / KMS / SNS policy document, kept losslessly.
///
/// Parsing keeps the order of the top-level keys, unknown keys, the one-vs-many form of
/// `Statement` and every statement's JSON as it was, so a document the product does not change
/// serializes to the same JSON (modulo whitespace). The ownership patches
/// ([`PolicyDocument::ensure_statement`] and friends) only touch statements whose Sid starts with
/// [`crate::OWNED_SID_PREFIX`]; foreign statements keep their content and their position.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyDocument {
    // INVARIANT: when `top` holds a `Statement` key its value is a placeholder (`Null`); the
    // statements live in `statements` and are put back at that key's position on output.
    top: Map<String, Value>,
    statements: Vec<Statement>,
    form: StatementForm,
}

impl Default for PolicyDocument {
    fn default() -> Self {
        Self::new()
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl PolicyDocument {
    /// An empty document: `{"Version":"2012-10-17","Statement":[]}`.
    pub fn new() -> Self {
        let mut top = Map::new();
        top.insert(
            "Version".to_owned(),
            Value::String(POLICY_VERSION.to_owned()),
        );
        top.insert("Statement".to_owned(), Value::Null);
        Self {
            top,
            statements: Vec::new(),
            form: StatementForm::Many,
        }
    }

    /// A new document (version `2012-10-17`) holding these statements in this order.
    pub fn from_statements(statements: impl IntoIterator<Item = Statement>) -> Self {
        let mut doc = Self::new();
        doc.statements = statements.into_iter().collect();
        doc
    }

    /// Parses a policy as AWS returns it: plain JSON, or the URL-encoded JSON that IAM returns
    /// (`%7B%22Version%22...`).
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let trimmed = text.trim();
        let decoded;
        let json = if trimmed.starts_with('{') || !trimmed.contains('%') {
            trimmed
        } else {
            decoded = percent_encoding::percent_decode_str(trimmed)
                .decode_utf8()
                .map_err(|_| ParseError::UrlEncoding)?;
            decoded.as_ref()
        };
        let value: Value = serde_json::from_str(json).map_err(|e| ParseError::Json {
            message: e.to_string(),
        })?;
        Self::from_value(value)
    }

    /// Builds a document from a JSON value (see [`PolicyDocument::parse`]).
    pub fn from_value(value: Value) -> Result<Self, ParseError> {
        let Value::Object(mut top) = value else {
            return Err(ParseError::NotAnObject {
                found: json_type(&value),
            });
        };
        let (statements, form) = match top.get_mut("Statement").map(Value::take) {
            None => (Vec::new(), StatementForm::Many),
            Some(Value::Object(one)) => (
                vec![Statement::from_value(Value::Object(one))?],
                StatementForm::Single,
            ),
            Some(Value::Array(items)) => (
                items
                    .into_iter()
                    .map(Statement::from_value)
                    .collect::<Result<Vec<_>, _>>()?,
                StatementForm::Many,
            ),
            Some(_) => return Err(ParseError::StatementShape),
        };
        Ok(Self {
            top,
            statements,
            form,
        })
    }

    /// The document as a JSON value, top-level keys in their original order.
    pub fn to_value(&self) -> Value {
        let statement_value = || {
            if self.form == StatementForm::Single && self.statements.len() == 1 {
                self.statements
                    .first()
                    .map(Statement::to_value)
                    .unwrap_or(Value::Null)
            } else {
                Value::Array(self.statements.iter().map(Statement::to_value).collect())
            }
        };
        let mut out = Map::new();
        for (key, value) in &self.top {
            if key == "Statement" {
                out.insert(key.clone(), statement_value());
            } else {
                out.insert(key.clone(), value.clone());
            }
        }
        if !self.top.contains_key("Statement") && !self.statements.is_empty() {
            out.insert("Statement".to_owned(), statement_value());
        }
        Value::Object(out)
    }

    /// Minified JSON: what the product sends to AWS and what the size limits measure.
    pub fn to_json_minified(&self) -> String {
        self.to_value().to_string()
    }

    /// Indented JSON for people (`policies --out`, plan output).
    pub fn to_json_pretty(&self) -> String {
        // Serializing a `Value` cannot fail (its map keys are strings).
        serde_json::to_string_pretty(&self.to_value()).unwrap_or_else(|_| self.to_json_minified())
    }

    /// A copy for display (plans, reports, logs) with every `sts:ExternalId` condition value
    /// replaced by `<redacted>`: the external ID is a shared secret and must never be logged.
    pub fn redacted(&self) -> Self {
        let mut copy = self.clone();
        for statement in &mut copy.statements {
            let Some(Value::Object(condition)) = statement.raw_mut().get_mut("Condition") else {
                continue;
            };
            for block in condition.values_mut() {
                let Value::Object(keys) = block else {
                    continue;
                };
                for (key, value) in keys.iter_mut() {
                    if key.eq_ignore_ascii_case("sts:ExternalId") {
                        *value = match value {
                            Value::Array(items) => Value::Array(
                                items
                                    .iter()
                                    .map(|_| Value::String(REDACTED.to_owned()))
                                    .collect(),
                            ),
                            _ => Value::String(REDACTED.to_owned()),
                        };
                    }
                }
            }
        }
        copy
    }

    /// The `Version`, when present.
    pub fn version(&self) -> Option<&str> {
        self.top.get("Version").and_then(Value::as_str)
    }

    /// The `Id`, when present.
    pub fn id(&self) -> Option<&str> {
        self.top.get("Id").and_then(Value::as_str)
    }

    /// Sets the `Id` (kept in place when it exists, else written after `Version`).
    pub fn set_id(&mut self, id: impl Into<String>) {
        let id = Value::String(id.into());
        if let Some(slot) = self.top.get_mut("Id") {
            *slot = id;
            return;
        }
        let mut top = Map::new();
        let mut pending = Some(id);
        for (key, value) in std::mem::take(&mut self.top) {
            let is_version = key == "Version";
            top.insert(key, value);
            if is_version && let Some(id) = pending.take() {
                top.insert("Id".to_owned(), id);
            }
        }
        if let Some(id) = pending {
            top.insert("Id".to_owned(), id);
        }
        self.top = top;
    }

    /// The statements, in document order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The first statement with this Sid.
    pub fn statement(&self, sid: &str) -> Option<&Statement> {
        self.statements.iter().find(|s| s.sid() == Some(sid))
    }

    /// The statements the product owns (Sid starting with [`crate::OWNED_SID_PREFIX`]).
    pub fn owned_statements(&self) -> impl Iterator<Item = &Statement> {
        self.statements.iter().filter(|s| s.is_owned())
    }

    /// The statements the product does not own, in document order.
    pub fn foreign_statements(&self) -> impl Iterator<Item = &Statement> {
        self.statements.iter().filter(|s| !s.is_owned())
    }

    /// Whether both documents mean the same: ignores formatting, key order, one-vs-many forms,
    /// the order of values in a list, the order of statements, and `"Principal": "*"` versus
    /// `{"AWS": "*"}`.
    pub fn semantically_equal(&self, other: &Self) -> bool {
        self.canonical() == other.canonical()
    }

    /// A canonical text per statement (sorted) plus the canonical top level without statements.
    fn canonical(&self) -> (String, Vec<String>) {
        let mut top = self.top.clone();
        top.remove("Statement");
        let mut statements: Vec<String> = self
            .statements
            .iter()
            .map(|s| canonical_statement(s.raw()).to_string())
            .collect();
        statements.sort();
        (sorted_value(&Value::Object(top)).to_string(), statements)
    }

    fn owned_index(&self, sid: &str) -> Result<Option<usize>, PatchError> {
        if !is_owned_sid(sid) {
            return Err(PatchError::NotOwned {
                sid: sid.to_owned(),
            });
        }
        let found: Vec<usize> = self
            .statements
            .iter()
            .enumerate()
            .filter(|(_, s)| s.sid() == Some(sid))
            .map(|(i, _)| i)
            .collect();
        match found.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            more => Err(PatchError::Duplicate {
                sid: sid.to_owned(),
                count: more.len(),
            }),
        }
    }

    fn existing_owned_index(&self, sid: &str) -> Result<usize, PatchError> {
        self.owned_index(sid)?.ok_or_else(|| PatchError::Missing {
            sid: sid.to_owned(),
        })
    }

    /// Inserts the owned statement (appended at the end) or replaces the owned statement with
    /// the same Sid in place. `Ok(true)` when the document changed.
    pub fn ensure_statement(&mut self, stmt: Statement) -> Result<bool, PatchError> {
        let sid = stmt.sid().unwrap_or_default().to_owned();
        match self.owned_index(&sid)? {
            Some(i) => {
                let Some(slot) = self.statements.get_mut(i) else {
                    return Ok(false);
                };
                // Compare the exact JSON: a change of form (string vs list, key order) is written.
                if serde_json::to_string(slot.raw()).ok() == serde_json::to_string(stmt.raw()).ok()
                {
                    return Ok(false);
                }
                *slot = stmt;
                Ok(true)
            }
            None => {
                self.statements.push(stmt);
                Ok(true)
            }
        }
    }

    /// Removes the owned statement(s) with this Sid. `Ok(true)` when one was removed.
    pub fn remove_statement(&mut self, sid: &str) -> Result<bool, PatchError> {
        if !is_owned_sid(sid) {
            return Err(PatchError::NotOwned {
                sid: sid.to_owned(),
            });
        }
        let before = self.statements.len();
        self.statements.retain(|s| s.sid() != Some(sid));
        Ok(self.statements.len() != before)
    }

    /// Removes every owned statement and returns them (offboarding).
    pub fn remove_owned_statements(&mut self) -> Vec<Statement> {
        let (owned, foreign) = std::mem::take(&mut self.statements)
            .into_iter()
            .partition(Statement::is_owned);
        self.statements = foreign;
        owned
    }

    /// Adds values to the `Resource` of the owned statement `sid` (values already there are
    /// skipped; a string becomes a list). `Ok(true)` when the document changed.
    pub fn add_resources(&mut self, sid: &str, values: &[String]) -> Result<bool, PatchError> {
        let i = self.existing_owned_index(sid)?;
        self.patch_field(i, sid, &["Resource"], values, true)
    }

    /// Removes values from the `Resource` of the owned statement `sid`. Refuses to remove the
    /// last value. `Ok(true)` when the document changed.
    pub fn remove_resources(&mut self, sid: &str, values: &[String]) -> Result<bool, PatchError> {
        let i = self.existing_owned_index(sid)?;
        self.patch_field(i, sid, &["Resource"], values, false)
    }

    /// Adds values to `Condition.OPERATOR.KEY` of the owned statement `sid`, creating the
    /// operator and key when missing. `Ok(true)` when the document changed.
    pub fn add_condition_values(
        &mut self,
        sid: &str,
        operator: &str,
        key: &str,
        values: &[String],
    ) -> Result<bool, PatchError> {
        let i = self.existing_owned_index(sid)?;
        self.patch_field(i, sid, &["Condition", operator, key], values, true)
    }

    /// Removes values from `Condition.OPERATOR.KEY` of the owned statement `sid`. Refuses to
    /// remove the last value (an absent condition key would widen the statement).
    pub fn remove_condition_values(
        &mut self,
        sid: &str,
        operator: &str,
        key: &str,
        values: &[String],
    ) -> Result<bool, PatchError> {
        let i = self.existing_owned_index(sid)?;
        self.patch_field(i, sid, &["Condition", operator, key], values, false)
    }

    fn patch_field(
        &mut self,
        index: usize,
        sid: &str,
        path: &[&str],
        values: &[String],
        add: bool,
    ) -> Result<bool, PatchError> {
        let field = path.join(".");
        let Some(statement) = self.statements.get_mut(index) else {
            return Err(PatchError::Missing {
                sid: sid.to_owned(),
            });
        };
        let current = lookup(statement.raw(), path);
        let not_a_list = || PatchError::NotAList {
            sid: sid.to_owned(),
            field: field.clone(),
        };
        let mut items: Vec<Value> = match current {
            None => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(v @ (Value::String(_) | Value::Bool(_) | Value::Number(_))) => vec![v.clone()],
            Some(_) => return Err(not_a_list()),
        };
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let before = items.len();
        let was_list = matches!(current, Some(Value::Array(_)));
        if add {
            let mut present: std::collections::HashSet<String> = items.iter().map(text).collect();
            for value in values {
                if present.insert(value.clone()) {
                    items.push(Value::String(value.clone()));
                }
            }
        } else {
            let gone: std::collections::HashSet<&String> = values.iter().collect();
            items.retain(|v| !gone.contains(&text(v)));
        }
        if items.len() == before {
            return Ok(false);
        }
        if items.is_empty() {
            return Err(PatchError::WouldEmpty {
                sid: sid.to_owned(),
                field,
            });
        }
        // A list stays a list; a single value (or a new field) becomes a list only when needed.
        let new_value = if !was_list && items.len() == 1 {
            items.into_iter().next().unwrap_or(Value::Null)
        } else {
            Value::Array(items)
        };
        match path {
            [key] => {
                statement.raw_mut().insert((*key).to_owned(), new_value);
            }
            ["Condition", operator, key] => {
                statement
                    .condition_map_mut(operator)
                    .insert((*key).to_owned(), new_value);
            }
            _ => return Err(not_a_list()),
        }
        Ok(true)
    }
}

fn lookup<'a>(raw: &'a Map<String, Value>, path: &[&str]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut value = raw.get(*first)?;
    for key in rest {
        value = value.get(*key)?;
    }
    Some(value)
}

/// A value with every object's keys sorted, recursively.
fn sorted_value(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> =
                map.iter().map(|(k, v)| (k, sorted_value(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_value).collect()),
        other => other.clone(),
    }
}

fn sorted_set(value: &Value) -> Value {
    let mut items = strings_of(value);
    items.sort();
    items.dedup();
    Value::Array(items.into_iter().map(Value::String).collect())
}

/// The canonical form of a statement: sorted keys, every list a sorted set of strings.
fn canonical_statement(raw: &Map<String, Value>) -> Value {
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for (key, value) in raw {
        let canonical = if LIST_KEYS.contains(&key.as_str()) {
            sorted_set(value)
        } else if PRINCIPAL_KEYS.contains(&key.as_str()) {
            match value {
                Value::String(s) => {
                    let mut map = Map::new();
                    map.insert(
                        "AWS".to_owned(),
                        Value::Array(vec![Value::String(s.clone())]),
                    );
                    Value::Object(map)
                }
                Value::Object(map) => {
                    let sorted: BTreeMap<&String, Value> =
                        map.iter().map(|(k, v)| (k, sorted_set(v))).collect();
                    Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
                }
                other => sorted_value(other),
            }
        } else if key == "Condition" {
            match value {
                Value::Object(operators) => {
                    let sorted: BTreeMap<&String, Value> = operators
                        .iter()
                        .map(|(op, block)| {
                            let keys: BTreeMap<&String, Value> = block
                                .as_object()
                                .map(|b| b.iter().map(|(k, v)| (k, sorted_set(v))).collect())
                                .unwrap_or_default();
                            (
                                op,
                                Value::Object(
                                    keys.into_iter().map(|(k, v)| (k.clone(), v)).collect(),
                                ),
                            )
                        })
                        .collect();
                    Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
                }
                other => sorted_value(other),
            }
        } else {
            sorted_value(value)
        };
        out.insert(key.clone(), canonical);
    }
    Value::Object(out.into_iter().collect())
}

impl Serialize for PolicyDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_value().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PolicyDocument {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_value(value).map_err(serde::de::Error::custom)
    }
}

impl std::str::FromStr for PolicyDocument {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}
