//! Property laws of the document model and its ownership patches.
//!
//! - parse ∘ serialize is the identity (minified, pretty and URL-encoded);
//! - every patch applied twice equals the patch applied once;
//! - patches never change or reorder foreign statements;
//! - semantic equality ignores list order and one-vs-many, and notices a real change.

#![expect(
    clippy::unwrap_used,
    reason = "strategies build values that are valid by construction"
)]

use policy_model::{PolicyDocument, Statement};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

const CASES: u32 = 64;

fn one_or_many(pool: &'static [&'static str]) -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(pool).prop_map(|s| json!(s)),
        prop::sample::subsequence(pool, 0..=pool.len().min(4)).prop_map(|v| json!(v)),
    ]
}

const ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "s3:*",
    "kms:Decrypt",
    "sts:AssumeRole",
    "SNS:Publish",
];
const RESOURCES: &[&str] = &[
    "*",
    "arn:aws:s3:::logs",
    "arn:aws:s3:::logs/*",
    "arn:aws:sns:us-east-1:111122223333:t",
    "arn:aws:kms:us-east-1:111122223333:key/k",
];
const PRINCIPALS: &[&str] = &[
    "arn:aws:iam::111122223333:root",
    "arn:aws:iam::444455556666:role/r",
    "*",
];
const SERVICES: &[&str] = &[
    "cloudtrail.amazonaws.com",
    "guardduty.amazonaws.com",
    "s3.amazonaws.com",
];
const OPERATORS: &[&str] = &[
    "StringEquals",
    "StringLike",
    "ArnLike",
    "ForAnyValue:StringEquals",
    "Bool",
    "IpAddress",
];
const KEYS: &[&str] = &[
    "aws:SourceArn",
    "aws:SourceAccount",
    "aws:SecureTransport",
    "aws:SourceIp",
];
const VALUES: &[&str] = &["a", "b", "111122223333", "arn:aws:s3:::x", "false"];

fn principal() -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!("*"))),
        one_or_many(PRINCIPALS).prop_map(|v| Some(json!({ "AWS": v }))),
        (one_or_many(SERVICES), one_or_many(PRINCIPALS))
            .prop_map(|(s, a)| Some(json!({ "Service": s, "AWS": a }))),
    ]
}

fn condition() -> impl Strategy<Value = Option<Value>> {
    let block = prop::collection::vec(
        (
            prop::sample::select(KEYS),
            prop_oneof![
                one_or_many(VALUES),
                any::<bool>().prop_map(|b| json!(b)),
                (0u32..100).prop_map(|n| json!(n)),
            ],
        ),
        1..3,
    );
    prop_oneof![
        Just(None),
        prop::collection::vec((prop::sample::select(OPERATORS), block), 1..3).prop_map(|blocks| {
            let mut condition = Map::new();
            for (op, keys) in blocks {
                let mut map = Map::new();
                for (k, v) in keys {
                    map.insert(k.to_owned(), v);
                }
                condition.insert(op.to_owned(), Value::Object(map));
            }
            Some(Value::Object(condition))
        }),
    ]
}

/// A statement as JSON with an optional Sid; keys in a random but valid order.
fn statement_json(sid: Option<String>) -> impl Strategy<Value = Value> {
    (
        prop::bool::ANY,
        principal(),
        prop::bool::ANY,
        one_or_many(ACTIONS),
        prop::bool::ANY,
        one_or_many(RESOURCES),
        condition(),
        prop::bool::ANY,
    )
        .prop_map(
            move |(deny, principal, not_action, actions, not_resource, resources, cond, extra)| {
                let mut map = Map::new();
                if let Some(sid) = &sid {
                    map.insert("Sid".to_owned(), json!(sid));
                }
                map.insert(
                    "Effect".to_owned(),
                    json!(if deny { "Deny" } else { "Allow" }),
                );
                if let Some(p) = principal {
                    let key = if deny && extra {
                        "NotPrincipal"
                    } else {
                        "Principal"
                    };
                    map.insert(key.to_owned(), p);
                }
                let action_key = if not_action { "NotAction" } else { "Action" };
                map.insert(action_key.to_owned(), actions);
                let resource_key = if not_resource {
                    "NotResource"
                } else {
                    "Resource"
                };
                map.insert(resource_key.to_owned(), resources);
                if let Some(c) = cond {
                    map.insert("Condition".to_owned(), c);
                }
                Value::Object(map)
            },
        )
}

/// Foreign statements (Sid `ForeignN` or none) and owned statements with unique Sids,
/// interleaved.
fn document_json() -> impl Strategy<Value = Value> {
    let foreign = prop::collection::vec(
        (prop::bool::ANY, 0u8..50)
            .prop_flat_map(|(with_sid, n)| statement_json(with_sid.then(|| format!("Foreign{n}")))),
        0..5,
    );
    let owned = prop::collection::vec(0usize..4, 0..3).prop_flat_map(|ids| {
        let mut ids = ids;
        ids.sort_unstable();
        ids.dedup();
        ids.into_iter()
            .map(|i| statement_json(Some(format!("RadiantOnboard{i}"))))
            .collect::<Vec<_>>()
    });
    (
        foreign,
        owned,
        prop::collection::vec(any::<usize>(), 3),
        prop::bool::ANY,
    )
        .prop_map(|(foreign, owned, positions, with_id)| {
            // Foreign Sids are unique, as AWS requires within one policy.
            let mut statements: Vec<Value> = foreign
                .into_iter()
                .enumerate()
                .map(|(i, mut s)| {
                    if let Some(sid) = s.get_mut("Sid") {
                        *sid = json!(format!("Foreign{i}"));
                    }
                    s
                })
                .collect();
            for (i, s) in owned.into_iter().enumerate() {
                let at = positions[i % positions.len()] % (statements.len() + 1);
                statements.insert(at, s);
            }
            let mut doc = Map::new();
            if with_id {
                doc.insert("Id".to_owned(), json!("generated"));
            }
            doc.insert("Version".to_owned(), json!("2012-10-17"));
            if statements.len() == 1 && with_id {
                doc.insert("Statement".to_owned(), statements.pop().unwrap());
            } else {
                doc.insert("Statement".to_owned(), Value::Array(statements));
            }
            Value::Object(doc)
        })
}

#[derive(Debug, Clone)]
enum Patch {
    Ensure(Statement),
    Remove(String),
    RemoveOwned,
    AddResources(String, Vec<String>),
    RemoveResources(String, Vec<String>),
    AddCondition(String, String, String, Vec<String>),
    RemoveCondition(String, String, String, Vec<String>),
}

fn owned_sid() -> impl Strategy<Value = String> {
    (0usize..5).prop_map(|i| format!("RadiantOnboard{i}"))
}

fn values(pool: &'static [&'static str]) -> impl Strategy<Value = Vec<String>> {
    prop::sample::subsequence(pool, 1..=2).prop_map(|v| v.into_iter().map(str::to_owned).collect())
}

fn patch() -> impl Strategy<Value = Patch> {
    prop_oneof![
        owned_sid().prop_flat_map(|sid| statement_json(Some(sid))
            .prop_map(|v| Patch::Ensure(Statement::from_value(v).unwrap()))),
        owned_sid().prop_map(Patch::Remove),
        Just(Patch::RemoveOwned),
        (owned_sid(), values(RESOURCES)).prop_map(|(s, v)| Patch::AddResources(s, v)),
        (owned_sid(), values(RESOURCES)).prop_map(|(s, v)| Patch::RemoveResources(s, v)),
        (
            owned_sid(),
            prop::sample::select(OPERATORS),
            prop::sample::select(KEYS),
            values(VALUES)
        )
            .prop_map(|(s, o, k, v)| Patch::AddCondition(s, o.to_owned(), k.to_owned(), v)),
        (
            owned_sid(),
            prop::sample::select(OPERATORS),
            prop::sample::select(KEYS),
            values(VALUES)
        )
            .prop_map(|(s, o, k, v)| Patch::RemoveCondition(
                s,
                o.to_owned(),
                k.to_owned(),
                v
            )),
    ]
}

/// Applies the patch; `Some(changed)` on success, `None` when refused.
fn apply(doc: &mut PolicyDocument, patch: &Patch) -> Option<bool> {
    match patch {
        Patch::Ensure(s) => doc.ensure_statement(s.clone()).ok(),
        Patch::Remove(sid) => doc.remove_statement(sid).ok(),
        Patch::RemoveOwned => Some(!doc.remove_owned_statements().is_empty()),
        Patch::AddResources(sid, v) => doc.add_resources(sid, v).ok(),
        Patch::RemoveResources(sid, v) => doc.remove_resources(sid, v).ok(),
        Patch::AddCondition(sid, o, k, v) => doc.add_condition_values(sid, o, k, v).ok(),
        Patch::RemoveCondition(sid, o, k, v) => doc.remove_condition_values(sid, o, k, v).ok(),
    }
}

fn foreign_json(doc: &PolicyDocument) -> Vec<String> {
    doc.foreign_statements()
        .map(|s| serde_json::to_string(s).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn parse_then_serialize_is_the_identity(value in document_json()) {
        let text = value.to_string();
        let doc = PolicyDocument::parse(&text).unwrap();
        prop_assert_eq!(doc.to_json_minified(), text.clone());
        let pretty = PolicyDocument::parse(&doc.to_json_pretty()).unwrap();
        prop_assert_eq!(pretty.to_json_minified(), text.clone());
        let encoded: String =
            percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        let decoded = PolicyDocument::parse(&encoded).unwrap();
        prop_assert_eq!(decoded.to_json_minified(), text);
    }

    #[test]
    fn a_patch_applied_twice_equals_once(value in document_json(), patch in patch()) {
        let mut once = PolicyDocument::from_value(value).unwrap();
        let first = apply(&mut once, &patch);
        let mut twice = once.clone();
        let second = apply(&mut twice, &patch);
        prop_assert_eq!(twice.to_json_minified(), once.to_json_minified());
        // The second application reports no change (or is refused the same way).
        match first {
            Some(_) => prop_assert_eq!(second, Some(false)),
            None => prop_assert_eq!(second, None),
        }
    }

    #[test]
    fn patches_never_change_or_reorder_foreign_statements(
        value in document_json(),
        patches in prop::collection::vec(patch(), 1..8),
    ) {
        let original = PolicyDocument::from_value(value).unwrap();
        let mut doc = original.clone();
        for patch in &patches {
            let before = doc.to_json_minified();
            if apply(&mut doc, patch).is_none() {
                // A refused patch leaves the document untouched.
                prop_assert_eq!(doc.to_json_minified(), before);
            }
            prop_assert_eq!(foreign_json(&doc), foreign_json(&original));
        }
        // Top-level keys other than Statement are untouched too.
        let top = |d: &PolicyDocument| {
            let mut v = d.to_value();
            v.as_object_mut().unwrap().remove("Statement");
            v
        };
        prop_assert_eq!(top(&doc), top(&original));
    }

    #[test]
    fn semantic_equality_ignores_order_and_one_vs_many(value in document_json()) {
        let doc = PolicyDocument::from_value(value.clone()).unwrap();
        // Reverse every list and unwrap single-element lists, reverse statement order.
        fn shuffle(v: &Value) -> Value {
            match v {
                Value::Array(items) if items.len() == 1 && items[0].is_string() => items[0].clone(),
                Value::Array(items) => Value::Array(items.iter().rev().map(shuffle).collect()),
                Value::Object(map) => {
                    let mut keys: Vec<_> = map.iter().collect();
                    keys.reverse();
                    Value::Object(keys.into_iter().map(|(k, v)| (k.clone(), shuffle(v))).collect())
                }
                other => other.clone(),
            }
        }
        let shuffled_value = shuffle(&value);
        let shuffled = PolicyDocument::from_value(shuffled_value).unwrap();
        prop_assert!(doc.semantically_equal(&shuffled));

        let mut changed = doc.clone();
        let extra = Statement::allow("RadiantOnboardExtra").action("s3:GetObject").resource("*");
        changed.ensure_statement(extra).unwrap();
        prop_assert!(!doc.semantically_equal(&changed));
        prop_assert!(!policy_model::diff(&doc, &changed).is_empty());
        prop_assert!(policy_model::diff(&doc, &shuffled).is_empty());
    }
}
