//! The caller's policy scoped per resource (`permissions -c`): each action on the resources it
//! acts on, named from the configuration (the log buckets and their objects, Radiant's roles, the
//! hub role's managed policies, the topics, the keys), and `*` only for the actions that take no
//! resource ARN. Which resource an action takes follows AWS's Service Authorization Reference.

use serde_json::{Value, json};

use super::policy::assume_statement;
use super::{Command, Scope, actions_for};

/// The names the caller's policy is scoped to: `None` for a kind means any name (no
/// configuration given, or a name only known at run time, such as a reused trail's bucket).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Names {
    /// The log buckets (`cloudtrail.bucket`, `guardduty.bucket`, `access_logs_bucket`).
    pub buckets: Option<Vec<String>>,
    /// The SNS topics (`cloudtrail.sns_topic`, `guardduty.sns_topic`).
    pub topics: Option<Vec<String>>,
}

/// The resource an action of the caller is scoped to (Service Authorization Reference: the
/// resource types each action supports); `Any` for an action that takes no resource ARN, or
/// whose resource is only known at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Resource {
    Any,
    Bucket,
    Object,
    HubRole,
    HubPolicy,
    Topic,
    Key,
}

fn resource_of(action: &str) -> Resource {
    let (service, name) = action.split_once(':').unwrap_or(("", action));
    match service {
        "s3" if matches!(
            name,
            "GetObject" | "PutObject" | "DeleteObject" | "DeleteObjectVersion"
        ) =>
        {
            Resource::Object
        }
        "s3" => Resource::Bucket,
        "iam" if name == "CreateServiceLinkedRole" || name == "GetAccountSummary" => Resource::Any,
        "iam" if name.contains("Role") => Resource::HubRole,
        "iam" if name.contains("Policy") => Resource::HubPolicy,
        "sns" if name.starts_with("List") => Resource::Any,
        "sns" => Resource::Topic,
        "kms" if name == "CreateKey" || name.starts_with("List") && name != "ListResourceTags" => {
            Resource::Any
        }
        "kms" => Resource::Key,
        _ => Resource::Any,
    }
}

/// [`caller_policy_for`](super::caller_policy_for) with each action scoped to the resources it
/// acts on: the log buckets and their objects, the hub role and its managed policies, the topics,
/// the keys; `*` only for the actions that take no resource ARN (listing, creating a key,
/// Organizations, STS's GetCallerIdentity, ...).
pub fn caller_policy_scoped(
    partition: policy_model::Partition,
    access_role_name: &str,
    hub_role_name: &str,
    member_role_name: &str,
    command: Option<Command>,
    names: &Names,
) -> Value {
    let all = actions_for(Scope::Caller, command);
    let assume = all.contains(&"sts:AssumeRole");
    let mut by_resource: std::collections::BTreeMap<Resource, Vec<&str>> =
        std::collections::BTreeMap::new();
    for a in all.into_iter().filter(|a| *a != "sts:AssumeRole") {
        by_resource.entry(resource_of(a)).or_default().push(a);
    }
    let each = |names: &Option<Vec<String>>, f: &dyn Fn(&str) -> String| -> Vec<String> {
        match names {
            Some(list) if !list.is_empty() => list.iter().map(|n| f(n)).collect(),
            _ => vec![f("*")],
        }
    };
    let mut statements = Vec::new();
    for (resource, actions) in by_resource {
        let (sid, resources): (&str, Vec<String>) = match resource {
            Resource::Any => ("RadiantOnboardManage", vec!["*".to_owned()]),
            Resource::Bucket => (
                "RadiantOnboardLogBuckets",
                each(&names.buckets, &|b| format!("arn:{partition}:s3:::{b}")),
            ),
            Resource::Object => (
                "RadiantOnboardLogObjects",
                each(&names.buckets, &|b| format!("arn:{partition}:s3:::{b}/*")),
            ),
            // The member role too: with a hub elsewhere the management account is a member,
            // whose member role is written with the caller's own credentials.
            Resource::HubRole => (
                "RadiantOnboardRoles",
                vec![
                    format!("arn:{partition}:iam::*:role/{hub_role_name}"),
                    format!("arn:{partition}:iam::*:role/{member_role_name}"),
                ],
            ),
            Resource::HubPolicy => (
                "RadiantOnboardHubRolePolicies",
                vec![format!(
                    "arn:{partition}:iam::*:policy/{hub_role_name}-permissions*"
                )],
            ),
            Resource::Topic => (
                "RadiantOnboardTopics",
                each(&names.topics, &|t| format!("arn:{partition}:sns:*:*:{t}")),
            ),
            Resource::Key => (
                "RadiantOnboardKeys",
                vec![
                    format!("arn:{partition}:kms:*:*:key/*"),
                    format!("arn:{partition}:kms:*:*:alias/*"),
                ],
            ),
        };
        statements.push(json!({
            "Sid": sid,
            "Effect": "Allow",
            "Action": actions,
            "Resource": if resources.len() == 1 { json!(resources[0]) } else { json!(resources) },
        }));
    }
    if assume {
        // Second, after the unscoped statement, as in the unscoped policy.
        statements.insert(
            1.min(statements.len()),
            assume_statement(partition, access_role_name, hub_role_name, member_role_name),
        );
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permissions::caller_policy;

    #[test]
    fn the_caller_policy_scopes_each_action_to_its_resources() {
        let names = Names {
            buckets: Some(vec!["acme-ct".to_owned(), "acme-gd".to_owned()]),
            topics: Some(vec!["acme-topic".to_owned()]),
        };
        let p = caller_policy_scoped(
            policy_model::Partition::Aws,
            "OrganizationAccountAccessRole",
            "radiant-aws-access-role",
            "radiant-aws-member-role",
            None,
            &names,
        );
        let statements = p["Statement"].as_array().unwrap();
        let of = |sid: &str| {
            statements
                .iter()
                .find(|s| s["Sid"] == sid)
                .unwrap_or_else(|| panic!("{sid}: {p:#}"))
                .clone()
        };
        assert_eq!(
            of("RadiantOnboardLogBuckets")["Resource"],
            json!(["arn:aws:s3:::acme-ct", "arn:aws:s3:::acme-gd"])
        );
        assert_eq!(
            of("RadiantOnboardLogObjects")["Resource"],
            json!(["arn:aws:s3:::acme-ct/*", "arn:aws:s3:::acme-gd/*"])
        );
        assert!(
            of("RadiantOnboardLogObjects")["Action"]
                .as_array()
                .unwrap()
                .contains(&json!("s3:DeleteObjectVersion"))
        );
        assert_eq!(
            of("RadiantOnboardRoles")["Resource"],
            json!([
                "arn:aws:iam::*:role/radiant-aws-access-role",
                "arn:aws:iam::*:role/radiant-aws-member-role"
            ])
        );
        assert_eq!(
            of("RadiantOnboardTopics")["Resource"],
            "arn:aws:sns:*:*:acme-topic"
        );
        // Every action is granted once, and the `*` statement has no S3, role or topic action.
        let mut seen = std::collections::BTreeSet::new();
        for s in statements {
            for a in s["Action"]
                .as_array()
                .cloned()
                .unwrap_or_else(|| vec![s["Action"].clone()])
            {
                assert!(seen.insert(a.as_str().unwrap().to_owned()), "{a} twice");
            }
        }
        let any = of("RadiantOnboardManage");
        for a in any["Action"].as_array().unwrap() {
            let a = a.as_str().unwrap();
            assert!(
                !a.starts_with("s3:")
                    && !a.starts_with("sns:Set")
                    && (!a.contains("Role") || a == "iam:CreateServiceLinkedRole"),
                "{a} is granted on *"
            );
        }
        let unscoped = caller_policy(
            policy_model::Partition::Aws,
            "OrganizationAccountAccessRole",
            "radiant-aws-access-role",
            "radiant-aws-member-role",
        );
        assert_eq!(unscoped["Statement"][0]["Sid"], "RadiantOnboardManage");
    }
}
