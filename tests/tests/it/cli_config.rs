//! Configuration errors: every invalid file of `tests/fixtures/configs/invalid/` is answered with
//! exit code 2, a message naming the key, and no request reaching the emulator.

use crate::cli_support::{Schema, TempDir, binary, fixtures, run, run_with_env};
use integration_tests::{SeedSpec, emulator};

/// The key a fixture expects, from its first line `# expect-key: KEY`.
#[expect(
    clippy::panic,
    reason = "test helper: a malformed fixture must fail the test"
)]
fn expected_key(text: &str) -> String {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("# expect-key: "))
        .unwrap_or_else(|| panic!("fixture without `# expect-key:` line"))
        .trim()
        .to_owned()
}

#[test]
fn every_invalid_configuration_exits_2_names_the_key_and_calls_nothing() {
    let schema = Schema::load();
    let emu = emulator();
    emu.seed(&SeedSpec::default());
    emu.reset_counters();
    let dir = fixtures().join("invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "only {} invalid fixtures", files.len());
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let key = expected_key(&text);
        let path = file.to_str().unwrap();
        for command in [
            &["plan", "-c", path][..],
            &["apply", "--yes", "-c", path],
            &["verify", "-c", path],
        ] {
            // JSON errors: the issue list names the key.
            let mut args = command.to_vec();
            args.extend(["--error-format", "json"]);
            let r = run(&emu, &args);
            assert_eq!(r.code, 2, "{}: {r:?}", file.display());
            let err = r.json_error();
            schema.check("error_output", &err);
            schema.check("error_object", &err["error"]);
            schema.check_each("issue", &err["error"]["issues"]);
            assert_eq!(err["error"]["kind"], "invalid-configuration", "{r:?}");
            let keys: Vec<&str> = err["error"]["issues"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["key"].as_str().unwrap())
                .collect();
            assert!(
                keys.contains(&key.as_str()),
                "{}: want `{key}`, got {keys:?}",
                file.display()
            );
            let issue = err["error"]["issues"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["key"] == key.as_str())
                .unwrap();
            assert!(
                issue["line"].as_u64().is_some_and(|l| l >= 1),
                "{}: no line in {issue}",
                file.display()
            );
            assert!(r.stdout.is_empty(), "{r:?}");
        }
        // Human errors: the key in backticks, with its line.
        let r = run(&emu, &["plan", "-c", path]);
        assert_eq!(r.code, 2);
        assert!(
            r.stderr.contains(&format!("`{key}`")),
            "{}: {r:?}",
            file.display()
        );
        // The external ID never appears in an error.
        assert!(!r.stderr.contains("rs-test-credential"), "{r:?}");
    }
    let counters = emu.counters();
    assert_eq!(
        counters.total(),
        0,
        "requests reached the emulator: {:?}",
        counters.by_operation()
    );
}

#[test]
fn missing_configuration_file_exits_2() {
    let r = run_with_env(&["plan", "-c", "/nonexistent/onboard.toml"], &[], None);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("/nonexistent/onboard.toml"), "{r:?}");
}

#[test]
fn external_id_may_come_from_the_environment_only() {
    let fixture = fixtures().join("invalid/external_id_missing.toml");
    let path = fixture.to_str().unwrap();
    // `permissions -c` validates the file and calls no AWS API.
    let r = run_with_env(&["permissions", "-c", path], &[], None);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("RADIANT_EXTERNAL_ID"), "{r:?}");
    let env = vec![("RADIANT_EXTERNAL_ID".to_owned(), "rs-from-env".to_owned())];
    let r = run_with_env(&["permissions", "-c", path], &env, None);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        !r.stdout.contains("rs-from-env") && !r.stderr.contains("rs-from-env"),
        "{r:?}"
    );
    // File and environment disagree: exit 2, and neither value is printed.
    let valid = fixtures().join("valid/minimal.toml");
    let r = run_with_env(&["permissions", "-c", valid.to_str().unwrap()], &env, None);
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("radiant.external_id"), "{r:?}");
    assert!(
        !r.stderr.contains("rs-from-env") && !r.stderr.contains("rs-test-credential"),
        "{r:?}"
    );
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["plan", "--concurrency", "0"][..],
        &["plan", "--concurrency", "513"],
        &["plan", "--output", "yaml"],
        &["no-such-command"],
        &["init", "--error-format", "xml"],
    ] {
        let r = run_with_env(args, &[], None);
        assert_eq!(r.code, 2, "{args:?}: {r:?}");
    }
    let r = run_with_env(&["plan", "--bogus", "--error-format", "json"], &[], None);
    assert_eq!(r.code, 2);
    assert_eq!(r.json_error()["error"]["kind"], "usage", "{r:?}");
}

#[test]
fn init_writes_a_valid_example_and_refuses_to_overwrite() {
    let dir = TempDir::new("init");
    let r = run_with_env(&["init"], &[], Some(dir.path()));
    assert_eq!(r.code, 0, "{r:?}");
    let path = dir.path().join("onboard.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    for key in [
        "home_region",
        "access_role_name",
        "principal_arn",
        "publishing_frequency",
        "export",
        "concurrency = 32",
    ] {
        assert!(text.contains(key), "missing `{key}` in\n{text}");
    }
    // The example parses and validates with the library (external ID from the environment).
    let cfg = orchestrator::config::Config::from_toml_str_with_env(&text, Some("rs-x")).unwrap();
    assert_eq!(cfg.run.concurrency, 32);

    std::fs::write(&path, "# mine\n").unwrap();
    let r = run_with_env(&["init"], &[], Some(dir.path()));
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("--force"), "{r:?}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "# mine\n",
        "the file was overwritten"
    );

    let r = run_with_env(&["init", "--force"], &[], Some(dir.path()));
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);

    let r = run_with_env(&["init", "-o", "-"], &[], Some(dir.path()));
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout, text);
}

#[test]
fn valid_fixture_passes_validation() {
    let text = std::fs::read_to_string(fixtures().join("valid/minimal.toml")).unwrap();
    orchestrator::config::Config::from_toml_str_with_env(&text, None).unwrap();
}

#[test]
fn hidden_helpers_print_completions_and_man_page() {
    let r = run_with_env(&["completions", "bash"], &[], None);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(
        r.stdout.contains("radiant-onboard") && r.stdout.contains("complete"),
        "{r:?}"
    );
    let r = run_with_env(&["man"], &[], None);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(".TH"), "{r:?}");
    let help = run_with_env(&["--help"], &[], None);
    assert_eq!(help.code, 0);
    assert!(
        !help.stdout.contains("completions") && !help.stdout.contains("\n  man"),
        "{help:?}"
    );
    assert!(binary().exists());
}

#[test]
fn permissions_for_one_command_lists_only_what_it_calls() {
    let actions = |args: &[&str]| -> Vec<String> {
        let r = run_with_env(args, &[], None);
        assert_eq!(r.code, 0, "{r:?}");
        let v = r.json();
        Schema::load().check("permissions", &v);
        v["caller_policy"]["Statement"][0]["Action"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect()
    };
    let all = actions(&["permissions", "--output", "json"]);
    let plan = actions(&["permissions", "--for", "plan", "--output", "json"]);
    let apply = actions(&["permissions", "--for", "apply", "--output", "json"]);
    let offboard = actions(&["permissions", "--for", "offboard", "--output", "json"]);
    assert!(
        plan.len() < apply.len() && apply.len() < all.len(),
        "{plan:?}"
    );
    assert!(plan.iter().all(|a| all.contains(a)));
    // plan only reads.
    for a in &plan {
        assert!(
            ![
                "Create", "Put", "Delete", "Update", "Enable", "Attach", "Tag"
            ]
            .iter()
            .any(|w| a.split_once(':').unwrap().1.starts_with(w)),
            "plan needs `{a}`"
        );
    }
    assert!(apply.contains(&"iam:CreateRole".to_owned()));
    assert!(!apply.contains(&"iam:DeleteRole".to_owned()));
    assert!(offboard.contains(&"iam:DeleteRole".to_owned()));
    let r = run_with_env(&["permissions", "--for", "destroy"], &[], None);
    assert_eq!(r.code, 2, "{r:?}");
}

#[test]
fn permissions_prints_the_documented_json_and_the_seeds_table() {
    let r = run_with_env(&["permissions", "--output", "json"], &[], None);
    assert_eq!(r.code, 0, "{r:?}");
    let v = r.json();
    Schema::load().check("permissions", &v);
    let assume = &v["caller_policy"]["Statement"][1];
    assert_eq!(assume["Action"], "sts:AssumeRole");
    assert_eq!(
        assume["Resource"][0],
        "arn:aws:iam::*:role/OrganizationAccountAccessRole"
    );
    let human = run_with_env(&["permissions"], &[], None);
    assert_eq!(human.code, 0);
    for p in [
        "sns:ConfirmSubscription",
        "kms:Decrypt",
        "s3:Get*",
        "| STS | sts:AssumeRole | Main |",
    ] {
        assert!(human.stdout.contains(p), "missing `{p}`: {human:?}");
    }
}
