//! One policy statement, kept losslessly, with a builder for the statements the product writes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::OWNED_SID_PREFIX;
use crate::error::ParseError;

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Effect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

impl Effect {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "Allow",
            Self::Deny => "Deny",
        }
    }
}

/// Keys whose value is a string or a list of strings.
pub(crate) const LIST_KEYS: [&str; 4] = ["Action", "NotAction", "Resource", "NotResource"];
/// Keys whose value is `"*"` or an object of principal type -> one-or-many.
pub(crate) const PRINCIPAL_KEYS: [&str; 2] = ["Principal", "NotPrincipal"];

/// One statement of a policy document.
///
/// The statement keeps the exact JSON object it was parsed from (key order, one-vs-many form,
/// unknown keys, booleans and numbers in conditions), so a statement the product does not change
/// serializes back to the same JSON. Accessors interpret it; the builder methods
/// ([`Statement::allow`], [`Statement::action`], ...) write the canonical key order `Sid`,
/// `Effect`, `Principal`, `Action`, `Resource`, `Condition`.
///
/// A single value is written as a string and a second value turns it into a list, the way the
/// AWS documentation writes policies.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    // INVARIANT: `raw` passed `Statement::from_value` validation: `Sid` and `Effect` are strings
    // (`Effect` is `Allow` or `Deny`), list keys hold a string or an array of strings,
    // `Condition` is an object of objects.
    raw: Map<String, Value>,
}

fn one_or_many(values: Vec<String>) -> Value {
    if values.len() == 1 {
        values
            .into_iter()
            .map(Value::String)
            .next()
            .unwrap_or(Value::Null)
    } else {
        Value::Array(values.into_iter().map(Value::String).collect())
    }
}

/// Appends `value` to a one-or-many slot: absent -> string, string -> list of two, list -> pushed.
fn push_one_or_many(slot: Option<&mut Value>, value: String) -> Option<Value> {
    match slot {
        None => Some(Value::String(value)),
        Some(existing @ Value::String(_)) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, Value::String(value)]);
            None
        }
        Some(Value::Array(items)) => {
            items.push(Value::String(value));
            None
        }
        Some(other) => {
            *other = Value::String(value);
            None
        }
    }
}

/// The strings of a one-or-many value (numbers and booleans as their JSON text).
pub(crate) fn strings_of(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.iter().map(scalar_text).collect(),
        other => vec![scalar_text(other)],
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Statement {
    fn with_effect(sid: &str, effect: Effect) -> Self {
        let mut raw = Map::new();
        raw.insert("Sid".to_owned(), Value::String(sid.to_owned()));
        raw.insert(
            "Effect".to_owned(),
            Value::String(effect.as_str().to_owned()),
        );
        Self { raw }
    }

    /// A new `Allow` statement with this Sid.
    pub fn allow(sid: impl AsRef<str>) -> Self {
        Self::with_effect(sid.as_ref(), Effect::Allow)
    }

    /// A new `Deny` statement with this Sid.
    pub fn deny(sid: impl AsRef<str>) -> Self {
        Self::with_effect(sid.as_ref(), Effect::Deny)
    }

    fn principal_entry(mut self, kind: &str, value: String) -> Self {
        let principal = self
            .raw
            .entry("Principal")
            .or_insert_with(|| Value::Object(Map::new()));
        if !principal.is_object() {
            *principal = Value::Object(Map::new());
        }
        if let Value::Object(map) = principal
            && let Some(new) = push_one_or_many(map.get_mut(kind), value)
        {
            map.insert(kind.to_owned(), new);
        }
        self
    }

    /// Adds a service principal, e.g. `cloudtrail.amazonaws.com`.
    pub fn principal_service(self, service: impl Into<String>) -> Self {
        self.principal_entry("Service", service.into())
    }

    /// Adds an AWS principal (account root, role or assumed-role ARN, or `*`).
    pub fn principal_aws(self, principal: impl Into<String>) -> Self {
        self.principal_entry("AWS", principal.into())
    }

    /// Sets `"Principal": "*"` (anyone; always narrow it with conditions).
    pub fn principal_any(mut self) -> Self {
        self.raw
            .insert("Principal".to_owned(), Value::String("*".to_owned()));
        self
    }

    fn push_list(mut self, key: &str, value: String) -> Self {
        if let Some(new) = push_one_or_many(self.raw.get_mut(key), value) {
            self.raw.insert(key.to_owned(), new);
        }
        self
    }

    fn set_list(mut self, key: &str, values: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let mut items: Vec<Value> = match self.raw.remove(key) {
            Some(Value::Array(items)) => items,
            Some(Value::String(s)) => vec![Value::String(s)],
            _ => Vec::new(),
        };
        items.extend(values.into_iter().map(|v| Value::String(v.into())));
        self.raw.insert(key.to_owned(), Value::Array(items));
        self
    }

    /// Adds one action (a string; a second call makes it a list).
    pub fn action(self, action: impl Into<String>) -> Self {
        self.push_list("Action", action.into())
    }

    /// Adds actions, always written as a list.
    pub fn actions(self, actions: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.set_list("Action", actions)
    }

    /// Adds one resource (a string; a second call makes it a list).
    pub fn resource(self, resource: impl Into<String>) -> Self {
        self.push_list("Resource", resource.into())
    }

    /// Adds resources, always written as a list.
    pub fn resources(self, resources: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.set_list("Resource", resources)
    }

    /// Sets `Condition.OPERATOR.KEY` to the values: a string for exactly one value, a list
    /// otherwise. Replaces values already there for that operator and key.
    pub fn condition(
        mut self,
        operator: impl Into<String>,
        key: impl Into<String>,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let values: Vec<String> = values.into_iter().map(Into::into).collect();
        self.condition_map_mut(&operator.into())
            .insert(key.into(), one_or_many(values));
        self
    }

    /// Like [`Statement::condition`] but always writes a list, even for one value.
    pub fn condition_list(
        mut self,
        operator: impl Into<String>,
        key: impl Into<String>,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let values: Vec<Value> = values
            .into_iter()
            .map(|v| Value::String(v.into()))
            .collect();
        self.condition_map_mut(&operator.into())
            .insert(key.into(), Value::Array(values));
        self
    }

    /// The operator's map in `Condition`, created when missing.
    pub(crate) fn condition_map_mut(&mut self, operator: &str) -> &mut Map<String, Value> {
        let condition = self
            .raw
            .entry("Condition")
            .or_insert_with(|| Value::Object(Map::new()));
        if !condition.is_object() {
            *condition = Value::Object(Map::new());
        }
        let Value::Object(condition) = condition else {
            unreachable_object()
        };
        let block = condition
            .entry(operator)
            .or_insert_with(|| Value::Object(Map::new()));
        if !block.is_object() {
            *block = Value::Object(Map::new());
        }
        let Value::Object(block) = block else {
            unreachable_object()
        };
        block
    }

    /// Parses one statement from JSON, validating the shapes the accessors rely on.
    pub fn from_value(value: Value) -> Result<Self, ParseError> {
        let Value::Object(raw) = value else {
            return Err(ParseError::Statement {
                sid: None,
                reason: "a statement must be a JSON object".to_owned(),
            });
        };
        let sid = raw.get("Sid").and_then(Value::as_str).map(str::to_owned);
        let bad = |reason: String| ParseError::Statement {
            sid: sid.clone(),
            reason,
        };
        if raw.get("Sid").is_some_and(|s| !s.is_string()) {
            return Err(bad("`Sid` must be a string".to_owned()));
        }
        match raw.get("Effect") {
            Some(Value::String(e)) if e == "Allow" || e == "Deny" => {}
            Some(other) => {
                return Err(bad(format!(
                    "`Effect` must be `Allow` or `Deny`, found `{other}`"
                )));
            }
            None => return Err(bad("`Effect` is missing".to_owned())),
        }
        for key in LIST_KEYS {
            if raw.get(key).is_some_and(|v| !is_string_or_strings(v)) {
                return Err(bad(format!(
                    "`{key}` must be a string or a list of strings"
                )));
            }
        }
        for key in PRINCIPAL_KEYS {
            match raw.get(key) {
                None => {}
                Some(Value::String(s)) if s == "*" => {}
                Some(Value::Object(map)) if map.values().all(is_string_or_strings) => {}
                Some(_) => {
                    return Err(bad(format!(
                        "`{key}` must be `\"*\"` or an object of principal type to one or many strings"
                    )));
                }
            }
        }
        if let Some(condition) = raw.get("Condition") {
            let Value::Object(condition) = condition else {
                return Err(bad("`Condition` must be an object".to_owned()));
            };
            for (operator, block) in condition {
                if !block.is_object() {
                    return Err(bad(format!(
                        "condition operator `{operator}` must map to an object of keys"
                    )));
                }
            }
        }
        Ok(Self { raw })
    }

    /// The statement's JSON object.
    pub fn raw(&self) -> &Map<String, Value> {
        &self.raw
    }

    pub(crate) fn raw_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.raw
    }

    /// The statement as a JSON value.
    pub fn to_value(&self) -> Value {
        Value::Object(self.raw.clone())
    }

    /// The Sid, when there is one.
    pub fn sid(&self) -> Option<&str> {
        self.raw.get("Sid").and_then(Value::as_str)
    }

    /// Whether the product owns this statement: its Sid starts with [`OWNED_SID_PREFIX`].
    pub fn is_owned(&self) -> bool {
        self.sid().is_some_and(is_owned_sid)
    }

    /// The effect.
    pub fn effect(&self) -> Effect {
        match self.raw.get("Effect").and_then(Value::as_str) {
            Some("Deny") => Effect::Deny,
            // INVARIANT: validated as `Allow` or `Deny` on construction.
            _ => Effect::Allow,
        }
    }

    fn list(&self, key: &str) -> Vec<&str> {
        match self.raw.get(key) {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// The `Action` values, in document order.
    pub fn action_values(&self) -> Vec<&str> {
        self.list("Action")
    }

    /// The `NotAction` values.
    pub fn not_actions(&self) -> Vec<&str> {
        self.list("NotAction")
    }

    /// The `Resource` values, in document order.
    pub fn resource_values(&self) -> Vec<&str> {
        self.list("Resource")
    }

    /// The `NotResource` values.
    pub fn not_resources(&self) -> Vec<&str> {
        self.list("NotResource")
    }

    /// The values of one principal type (`AWS`, `Service`, `Federated`, `CanonicalUser`) in
    /// `Principal`; `["*"]` for `"Principal": "*"`.
    pub fn principals(&self, kind: &str) -> Vec<&str> {
        match self.raw.get("Principal") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Object(map)) => match map.get(kind) {
                Some(Value::String(s)) => vec![s.as_str()],
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// The values of `Condition.OPERATOR.KEY` (numbers and booleans as their JSON text); empty
    /// when absent.
    pub fn condition_values(&self, operator: &str, key: &str) -> Vec<String> {
        self.raw
            .get("Condition")
            .and_then(|c| c.get(operator))
            .and_then(|b| b.get(key))
            .map(strings_of)
            .unwrap_or_default()
    }
}

#[expect(
    clippy::panic,
    reason = "called right after the value was made an object; cannot happen"
)]
fn unreachable_object() -> ! {
    panic!("value was just made an object")
}

fn is_string_or_strings(value: &Value) -> bool {
    match value {
        Value::String(_) => true,
        Value::Array(items) => items.iter().all(Value::is_string),
        _ => false,
    }
}

/// Whether a Sid is one the product owns.
pub fn is_owned_sid(sid: &str) -> bool {
    sid.starts_with(OWNED_SID_PREFIX)
}

impl Serialize for Statement {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Statement {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_value(value).map_err(serde::de::Error::custom)
    }
}
