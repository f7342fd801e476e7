//! The least-privilege policies built from [`OPERATIONS`](super::OPERATIONS): the caller's (its
//! actions on `*`, and `sts:AssumeRole` limited to the access, hub and member roles by name) and
//! the one the access role needs in member accounts, for every command or for one.

use serde_json::{Value, json};

use super::{Command, Scope, actions_for};

/// The least-privilege IAM policy for the identity that runs the tool (the caller).
///
/// `access_role_name` is the role assumed in member accounts; the `sts:AssumeRole` statement is
/// limited to it and to the hub role (used by verify to prove the ExternalId works).
pub fn caller_policy(
    partition: policy_model::Partition,
    access_role_name: &str,
    hub_role_name: &str,
    member_role_name: &str,
) -> Value {
    caller_policy_for(
        partition,
        access_role_name,
        hub_role_name,
        member_role_name,
        None,
    )
}

/// [`caller_policy`] for one command (`permissions --for COMMAND`; `None`: every command).
pub fn caller_policy_for(
    partition: policy_model::Partition,
    access_role_name: &str,
    hub_role_name: &str,
    member_role_name: &str,
    command: Option<Command>,
) -> Value {
    let all = actions_for(Scope::Caller, command);
    let assume = all.contains(&"sts:AssumeRole");
    let others: Vec<&str> = all.into_iter().filter(|a| *a != "sts:AssumeRole").collect();
    let mut statements = vec![json!({
        "Sid": "RadiantOnboardManage",
        "Effect": "Allow",
        "Action": others,
        "Resource": "*"
    })];
    if assume {
        statements.push(assume_statement(
            partition,
            access_role_name,
            hub_role_name,
            member_role_name,
        ));
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// The `sts:AssumeRole` statement: the access role, the hub role (verify proves its
/// ExternalId) and the member roles, by name.
pub(super) fn assume_statement(
    partition: policy_model::Partition,
    access_role_name: &str,
    hub_role_name: &str,
    member_role_name: &str,
) -> Value {
    json!({
        "Sid": "RadiantOnboardAssumeRoles",
        "Effect": "Allow",
        "Action": "sts:AssumeRole",
        "Resource": [
            format!("arn:{partition}:iam::*:role/{access_role_name}"),
            format!("arn:{partition}:iam::*:role/{hub_role_name}"),
            format!("arn:{partition}:iam::*:role/{member_role_name}")
        ]
    })
}

/// The policy the access role needs inside each member account (a custom access role only:
/// OrganizationAccountAccessRole already grants it).
pub fn member_policy() -> Value {
    member_policy_for(None)
}

/// [`member_policy`] for one command (`None`: every command).
pub fn member_policy_for(command: Option<Command>) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RadiantOnboardMember",
                "Effect": "Allow",
                "Action": actions_for(Scope::Member, command),
                "Resource": "*"
            }
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caller_policy_limits_assume_role_to_named_roles() {
        let p = caller_policy(
            policy_model::Partition::Aws,
            "OrganizationAccountAccessRole",
            "hub",
            "member",
        );
        let s = &p["Statement"][1];
        assert_eq!(s["Action"], "sts:AssumeRole");
        assert_eq!(
            s["Resource"][0],
            "arn:aws:iam::*:role/OrganizationAccountAccessRole"
        );
        let manage = p["Statement"][0]["Action"].as_array().unwrap();
        assert!(!manage.iter().any(|a| a == "sts:AssumeRole"));
        assert!(manage.iter().any(|a| a == "s3:PutBucketPolicy"));
    }
}
