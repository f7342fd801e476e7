//! Ownership patches, parsing errors, semantic equality and the diff, case by case.

#![expect(
    clippy::unwrap_used,
    reason = "the fixture helper parses a constant, known-valid policy"
)]

use policy_model::{
    OWNED_SID_PREFIX, ParseError, PatchError, PolicyDocument, Statement, diff, is_owned_sid,
};

const SHARED_BUCKET: &str = r#"{
  "Version": "2012-10-17",
  "Id": "customer",
  "Statement": [
    {"Sid": "CustomerDeny", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
     "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
     "Condition": {"Bool": {"aws:SecureTransport": false}}},
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
  ],
  "x-unknown": {"kept": true}
}"#;

fn shared() -> PolicyDocument {
    PolicyDocument::parse(SHARED_BUCKET).unwrap()
}

fn owned() -> Statement {
    Statement::allow("RadiantOnboardGuardDutyPutObject")
        .principal_service("guardduty.amazonaws.com")
        .action("s3:PutObject")
        .resource("arn:aws:s3:::b/gd/*")
        .condition(
            "StringEquals",
            "aws:SourceArn",
            ["arn:aws:guardduty:us-east-1:111122223333:detector/d1"],
        )
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

#[test]
fn new_documents_are_empty_and_versioned() {
    assert_eq!(
        PolicyDocument::new().to_json_minified(),
        r#"{"Version":"2012-10-17","Statement":[]}"#
    );
    assert!(is_owned_sid(&format!("{OWNED_SID_PREFIX}X")));
    assert!(!is_owned_sid("Radiant"));
}

#[test]
fn ensure_appends_then_replaces_in_place() {
    let mut doc = shared();
    assert!(doc.ensure_statement(owned()).unwrap());
    assert_eq!(doc.statements().len(), 3);
    assert_eq!(
        doc.statements()[2].sid(),
        Some("RadiantOnboardGuardDutyPutObject")
    );
    assert!(
        !doc.ensure_statement(owned()).unwrap(),
        "same statement: no change"
    );

    let replacement = owned().resource("arn:aws:s3:::b/other/*");
    assert!(doc.ensure_statement(replacement).unwrap());
    assert_eq!(doc.statements().len(), 3);
    assert_eq!(
        doc.statement("RadiantOnboardGuardDutyPutObject")
            .unwrap()
            .resource_values(),
        ["arn:aws:s3:::b/gd/*", "arn:aws:s3:::b/other/*"]
    );
    // Unknown top-level keys and their order survive.
    let json = doc.to_json_minified();
    assert!(
        json.starts_with(r#"{"Version":"2012-10-17","Id":"customer","Statement":["#),
        "{json}"
    );
    assert!(json.ends_with(r#""x-unknown":{"kept":true}}"#), "{json}");
}

#[test]
fn foreign_statements_are_refused() {
    let mut doc = shared();
    let foreign = Statement::allow("CustomerDeny")
        .action("s3:*")
        .resource("*");
    assert!(matches!(
        doc.ensure_statement(foreign),
        Err(PatchError::NotOwned { .. })
    ));
    assert!(matches!(
        doc.remove_statement("CustomerDeny"),
        Err(PatchError::NotOwned { .. })
    ));
    let err = doc
        .add_resources("CustomerDeny", &strings(&["arn:aws:s3:::c"]))
        .unwrap_err();
    assert!(err.to_string().contains("`CustomerDeny`"), "{err}");
    let no_sid = Statement::from_value(
        serde_json::json!({"Effect": "Allow", "Action": "a", "Resource": "*"}),
    )
    .unwrap();
    assert!(doc.ensure_statement(no_sid).is_err());
    assert_eq!(doc.to_json_minified(), shared().to_json_minified());
}

#[test]
fn values_are_added_once_and_lists_keep_their_shape() {
    let mut doc = shared();
    doc.ensure_statement(owned()).unwrap();
    let sid = "RadiantOnboardGuardDutyPutObject";
    let d2 = "arn:aws:guardduty:eu-west-1:444455556666:detector/d2";
    assert!(
        doc.add_condition_values(sid, "StringEquals", "aws:SourceArn", &strings(&[d2, d2]))
            .unwrap()
    );
    assert!(
        !doc.add_condition_values(sid, "StringEquals", "aws:SourceArn", &strings(&[d2]))
            .unwrap()
    );
    let s = doc.statement(sid).unwrap();
    assert_eq!(s.condition_values("StringEquals", "aws:SourceArn").len(), 2);

    // A new operator/key is created as a single value.
    assert!(
        doc.add_condition_values(
            sid,
            "StringEquals",
            "aws:SourceAccount",
            &strings(&["444455556666"])
        )
        .unwrap()
    );
    assert!(
        doc.to_json_minified()
            .contains(r#""aws:SourceAccount":"444455556666""#)
    );

    // Removing values: a list stays a list even with one value left.
    assert!(
        doc.remove_condition_values(sid, "StringEquals", "aws:SourceArn", &strings(&[d2]))
            .unwrap()
    );
    assert!(
        doc.to_json_minified().contains(
            r#""aws:SourceArn":["arn:aws:guardduty:us-east-1:111122223333:detector/d1"]"#
        )
    );
    assert!(
        !doc.remove_condition_values(sid, "StringEquals", "aws:SourceArn", &strings(&[d2]))
            .unwrap()
    );
}

#[test]
fn removing_the_last_value_is_refused_because_it_would_widen() {
    let mut doc = shared();
    doc.ensure_statement(owned()).unwrap();
    let before = doc.to_json_minified();
    let sid = "RadiantOnboardGuardDutyPutObject";
    let err = doc
        .remove_condition_values(
            sid,
            "StringEquals",
            "aws:SourceArn",
            &strings(&["arn:aws:guardduty:us-east-1:111122223333:detector/d1"]),
        )
        .unwrap_err();
    assert!(matches!(err, PatchError::WouldEmpty { .. }));
    assert!(
        err.to_string().contains("remove the statement instead"),
        "{err}"
    );
    let err = doc
        .remove_resources(sid, &strings(&["arn:aws:s3:::b/gd/*"]))
        .unwrap_err();
    assert!(matches!(err, PatchError::WouldEmpty { .. }));
    assert_eq!(doc.to_json_minified(), before);
}

#[test]
fn patches_of_a_missing_or_duplicated_sid_are_errors() {
    let mut doc = shared();
    let err = doc
        .add_resources("RadiantOnboardNope", &strings(&["x"]))
        .unwrap_err();
    assert!(matches!(err, PatchError::Missing { .. }));
    assert!(!doc.remove_statement("RadiantOnboardNope").unwrap());

    let twice = PolicyDocument::from_statements([owned(), owned()]);
    let mut twice_doc = twice.clone();
    let err = twice_doc.ensure_statement(owned()).unwrap_err();
    assert!(
        matches!(err, PatchError::Duplicate { count: 2, .. }),
        "{err}"
    );
    // Removal clears every copy.
    assert!(
        twice_doc
            .remove_statement("RadiantOnboardGuardDutyPutObject")
            .unwrap()
    );
    assert!(twice_doc.statements().is_empty());
}

#[test]
fn remove_owned_statements_returns_them_and_keeps_the_rest() {
    let mut doc = shared();
    doc.ensure_statement(owned()).unwrap();
    doc.ensure_statement(
        Statement::allow("RadiantOnboardOther")
            .action("a")
            .resource("*"),
    )
    .unwrap();
    let removed = doc.remove_owned_statements();
    assert_eq!(removed.len(), 2);
    assert_eq!(doc.to_json_minified(), shared().to_json_minified());
    assert!(doc.remove_owned_statements().is_empty());
}

#[test]
fn a_single_statement_object_grows_into_a_list_and_back() {
    let text = r#"{"Version":"2012-10-17","Statement":{"Sid":"Only","Effect":"Allow","Action":"a","Resource":"*"}}"#;
    let mut doc = PolicyDocument::parse(text).unwrap();
    doc.ensure_statement(owned()).unwrap();
    assert!(
        doc.to_json_minified()
            .contains(r#""Statement":[{"Sid":"Only""#)
    );
    doc.remove_statement("RadiantOnboardGuardDutyPutObject")
        .unwrap();
    assert_eq!(doc.to_json_minified(), text);
}

#[test]
fn malformed_policies_are_explained() {
    let cases = [
        ("[1]", "must be a JSON object"),
        (
            r#"{"Statement":"x"}"#,
            "`Statement` must be an object or a list",
        ),
        (
            r#"{"Statement":[{"Sid":"S","Effect":"Maybe"}]}"#,
            "statement `S` is invalid: `Effect` must be `Allow` or `Deny`",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Action":[1]}]}"#,
            "`Action` must be a string or a list of strings",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Principal":"someone"}]}"#,
            "`Principal` must be",
        ),
        (
            r#"{"Statement":[{"Effect":"Allow","Condition":{"StringEquals":"x"}}]}"#,
            "`StringEquals` must map",
        ),
        // The seed's trailing comma.
        (r#"{"Statement":[{"Effect":"Allow",}]}"#, "not valid JSON"),
        ("%7B%22Version", "not valid JSON"),
    ];
    for (text, expected) in cases {
        let err: ParseError = PolicyDocument::parse(text).unwrap_err();
        assert!(err.to_string().contains(expected), "{text}: {err}");
    }
}

#[test]
fn semantic_equality_sees_through_forms_but_not_changes() {
    let a = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["b","a"],"Resource":"r"}]}"#,
    )
    .unwrap();
    let b = PolicyDocument::parse(
        r#"{"Statement":{"Resource":["r"],"Action":["a","b","a"],"Principal":{"AWS":"*"},"Effect":"Allow"},"Version":"2012-10-17"}"#,
    )
    .unwrap();
    assert!(a.semantically_equal(&b));
    let c = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":["b","a"],"Resource":"r"}]}"#,
    )
    .unwrap();
    assert!(!a.semantically_equal(&c));
}

#[test]
fn the_diff_reports_statements_and_values() {
    let mut before = shared();
    before.ensure_statement(owned()).unwrap();
    before
        .ensure_statement(
            Statement::allow("RadiantOnboardGone")
                .action("a")
                .resource("*"),
        )
        .unwrap();
    let mut after = before.clone();
    after.remove_statement("RadiantOnboardGone").unwrap();
    after
        .add_condition_values(
            "RadiantOnboardGuardDutyPutObject",
            "StringEquals",
            "aws:SourceArn",
            &strings(&["arn:aws:guardduty:eu-west-1:444455556666:detector/d2"]),
        )
        .unwrap();
    after
        .remove_resources("RadiantOnboardGuardDutyPutObject", &strings(&["x"]))
        .unwrap();
    after
        .ensure_statement(
            Statement::allow("RadiantOnboardNew")
                .action("b")
                .resource("*"),
        )
        .unwrap();

    let d = diff(&before, &after);
    assert!(!d.is_empty());
    assert_eq!(d.added.len(), 1);
    assert_eq!(d.added[0].sid(), Some("RadiantOnboardNew"));
    assert_eq!(d.removed.len(), 1);
    assert_eq!(d.removed[0].sid(), Some("RadiantOnboardGone"));
    assert_eq!(d.changed.len(), 1);
    let change = &d.changed[0];
    assert_eq!(change.sid, "RadiantOnboardGuardDutyPutObject");
    assert_eq!(change.values_added.len(), 1);
    assert_eq!(
        change.values_added[0].field,
        "Condition.StringEquals.aws:SourceArn"
    );
    assert_eq!(
        change.values_added[0].values,
        ["arn:aws:guardduty:eu-west-1:444455556666:detector/d2"]
    );
    assert!(change.values_removed.is_empty());
    // Serializable for `plan --json`.
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(
        json["changed"][0]["values_added"][0]["field"],
        "Condition.StringEquals.aws:SourceArn"
    );

    assert!(diff(&before, &before).is_empty());
    let mut effect = before.clone();
    let flipped = Statement::deny("RadiantOnboardGone")
        .action("a")
        .resource("*");
    effect.ensure_statement(flipped).unwrap();
    let d = diff(&before, &effect);
    assert_eq!(d.changed[0].fields_changed, ["Effect"]);
}

#[test]
fn set_id_writes_after_version_or_in_place() {
    let mut doc = PolicyDocument::new();
    doc.set_id("radiant");
    assert_eq!(
        doc.to_json_minified(),
        r#"{"Version":"2012-10-17","Id":"radiant","Statement":[]}"#
    );
    doc.set_id("again");
    assert_eq!(doc.id(), Some("again"));
    assert_eq!(doc.version(), Some("2012-10-17"));
}

#[test]
fn redacted_copies_hide_the_external_id_and_nothing_else() {
    let hub: policy_model::Arn = "arn:aws:iam::111111111111:role/radiant-aws-access-role"
        .parse()
        .unwrap();
    let trust = policy_model::builders::member_trust(
        &hub,
        &policy_model::ExternalId::new("secret-credential-id").unwrap(),
    );
    let shown = trust.redacted();
    assert!(trust.to_json_minified().contains("secret-credential-id"));
    assert!(!shown.to_json_minified().contains("secret-credential-id"));
    assert_eq!(
        shown.statements()[0].condition_values("StringEquals", "sts:ExternalId"),
        ["<redacted>"]
    );
    assert_eq!(
        shown.statements()[0].principals("AWS"),
        [hub.to_string().as_str()]
    );
    assert_eq!(
        shared().redacted().to_json_minified(),
        shared().to_json_minified()
    );
    assert!(
        !format!(
            "{:?}",
            policy_model::ExternalId::new("secret-credential-id").unwrap()
        )
        .contains("secret")
    );
}
