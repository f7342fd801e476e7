//! The fixture corpus: real-world policy shapes (AWS documentation, the seeds, IAM's URL-encoded
//! output) must round-trip through `PolicyDocument` without losing anything.

#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions build fixed, known-valid inputs"
)]

use std::path::{Path, PathBuf};

use policy_model::{PolicyDocument, Statement};
use serde_json::Value;

fn fixtures() -> Vec<(PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("json" | "txt")))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

/// The JSON the fixture holds, decoded independently of the code under test.
fn expected_json(path: &Path, text: &str) -> Value {
    let json = if path.extension().and_then(|e| e.to_str()) == Some("txt") {
        percent_encoding::percent_decode_str(text.trim())
            .decode_utf8()
            .unwrap()
            .into_owned()
    } else {
        text.to_owned()
    };
    serde_json::from_str(&json).unwrap()
}

#[test]
fn the_corpus_is_not_empty() {
    let files = fixtures();
    assert!(files.len() >= 12, "only {} fixtures", files.len());
    assert!(files.iter().any(|(p, _)| p.extension().unwrap() == "txt"));
}

#[test]
fn every_fixture_round_trips_exactly() {
    for (path, text) in fixtures() {
        let doc =
            PolicyDocument::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let expected = expected_json(&path, &text);
        // Same keys in the same order, same one-vs-many forms, same scalars.
        assert_eq!(
            doc.to_json_minified(),
            expected.to_string(),
            "{}",
            path.display()
        );
        let again = PolicyDocument::parse(&doc.to_json_pretty()).unwrap();
        assert_eq!(
            again.to_json_minified(),
            doc.to_json_minified(),
            "{}",
            path.display()
        );
        assert!(doc.semantically_equal(&again), "{}", path.display());
        assert!(!doc.statements().is_empty(), "{}", path.display());
    }
}

#[test]
fn an_owned_statement_added_then_removed_leaves_every_fixture_byte_identical() {
    for (path, text) in fixtures() {
        let original = PolicyDocument::parse(&text).unwrap();
        let mut doc = original.clone();
        let owned = Statement::allow("RadiantOnboardProbe")
            .principal_service("guardduty.amazonaws.com")
            .action("s3:PutObject")
            .resource("arn:aws:s3:::bucket/*");
        assert!(doc.ensure_statement(owned).unwrap());
        assert!(
            doc.add_resources("RadiantOnboardProbe", &["arn:aws:s3:::other/*".to_owned()])
                .unwrap()
        );
        assert_eq!(doc.statements().len(), original.statements().len() + 1);
        assert!(doc.remove_statement("RadiantOnboardProbe").unwrap());
        assert_eq!(
            doc.to_json_minified(),
            original.to_json_minified(),
            "{}",
            path.display()
        );
    }
}

#[test]
fn url_encoded_iam_output_is_decoded() {
    let (path, text) = fixtures()
        .into_iter()
        .find(|(p, _)| p.ends_with("iam_url_encoded_trust.txt"))
        .unwrap();
    assert!(text.starts_with("%7B"), "{}", path.display());
    let doc = PolicyDocument::parse(&text).unwrap();
    let statement = doc.statement("AssumeRadiantSecurity").unwrap();
    assert_eq!(
        statement.condition_values("StringEquals", "sts:ExternalId"),
        ["rs-cred-1234"]
    );
    assert_eq!(
        statement.principals("AWS"),
        ["arn:aws:sts::649384204969:assumed-role/tenant-aws-access-role/radiant-security"]
    );
}

#[test]
fn shapes_are_read_through_the_accessors() {
    let read = |name: &str| {
        let (_, text) = fixtures()
            .into_iter()
            .find(|(p, _)| p.ends_with(name))
            .unwrap();
        PolicyDocument::parse(&text).unwrap()
    };
    let not_principal = read("not_principal_deny.json");
    assert_eq!(not_principal.id(), Some("first-then-version"));
    let deny = not_principal.statement("DenyAllButAdmins").unwrap();
    assert_eq!(deny.effect(), policy_model::Effect::Deny);
    assert_eq!(deny.not_actions(), ["s3:GetObject"]);
    assert_eq!(deny.not_resources(), ["arn:aws:s3:::reports/public/*"]);
    assert!(
        deny.principals("AWS").is_empty(),
        "NotPrincipal is not Principal"
    );

    let operators = read("condition_operators.json");
    let s = operators.statement("ManyOperators").unwrap();
    assert_eq!(
        s.condition_values("IpAddress", "aws:SourceIp"),
        ["192.0.2.0/24", "203.0.113.0/24"]
    );
    assert_eq!(
        s.condition_values("NumericLessThanEquals", "s3:max-keys"),
        ["10"]
    );
    assert_eq!(
        s.condition_values("BoolIfExists", "aws:MultiFactorAuthPresent"),
        ["true"]
    );

    let single = read("single_statement_object.json");
    assert_eq!(single.statements().len(), 1);
    assert!(single.to_json_minified().contains("\"Statement\":{"));

    let bucket = read("guardduty_destination_bucket.json");
    let any = bucket.statement("Deny non-HTTPS access").unwrap();
    assert_eq!(any.principals("AWS"), ["*"]);
}
