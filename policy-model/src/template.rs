//! The CloudFormation template the product deploys through a service-managed StackSet: the
//! member role, built from the very documents the direct fan-out writes (the trust to the hub
//! role with its external ID, the inline permissions, the product's tag), so the two ways of
//! creating a member role cannot drift apart.
//!
//! The template is a JSON value; [`MemberRoleTemplate::body`] is its minified text as
//! `CreateStackSet` / `UpdateStackSet` take it, and [`same_template`] compares a body read back
//! from CloudFormation with the desired one as JSON (key order and white space aside), the rule
//! by which the StackSet is updated only when the template differs.

use serde_json::{Value, json};

use crate::document::PolicyDocument;

/// CloudFormation's limit on a template passed in `TemplateBody` (bytes).
pub const TEMPLATE_BODY_LIMIT: usize = 51_200;

/// The logical ID of the role in the template.
pub const MEMBER_ROLE_LOGICAL_ID: &str = "RadiantMemberRole";

/// What the member role template holds.
#[derive(Debug, Clone, Copy)]
pub struct MemberRoleTemplate<'a> {
    /// The role's name (Radiant assumes it by name in every account).
    pub role_name: &'a str,
    /// The name of its inline permissions policy.
    pub policy_name: &'a str,
    /// The description of the role (the direct fan-out's, word for word).
    pub description: &'a str,
    /// The trust policy: the hub role with the `sts:ExternalId` condition.
    pub trust: &'a PolicyDocument,
    /// The inline permissions.
    pub permissions: &'a PolicyDocument,
    /// Tags of the role (the product's managed tag).
    pub tags: &'a [(&'a str, &'a str)],
}

impl MemberRoleTemplate<'_> {
    /// The template as a JSON value.
    pub fn to_value(&self) -> Value {
        let tags: Vec<Value> = self
            .tags
            .iter()
            .map(|(k, v)| json!({ "Key": k, "Value": v }))
            .collect();
        json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": "The member role radiant-onboard deploys to every covered account: Radiant Security's read access, trusted by the hub role",
            "Resources": {
                MEMBER_ROLE_LOGICAL_ID: {
                    "Type": "AWS::IAM::Role",
                    "Properties": {
                        "RoleName": self.role_name,
                        "Description": self.description,
                        "AssumeRolePolicyDocument": self.trust.to_value(),
                        "Policies": [{
                            "PolicyName": self.policy_name,
                            "PolicyDocument": self.permissions.to_value(),
                        }],
                        "Tags": tags,
                    }
                }
            },
            "Outputs": {
                "RoleArn": { "Value": { "Fn::GetAtt": [MEMBER_ROLE_LOGICAL_ID, "Arn"] } }
            }
        })
    }

    /// The minified text `CreateStackSet` and `UpdateStackSet` take.
    pub fn body(&self) -> String {
        self.to_value().to_string()
    }
}

/// True when `current` (a `TemplateBody` read back from CloudFormation) is the template `desired`
/// describes: equal as JSON, whatever its key order and white space. A body that is not JSON
/// (a YAML template someone put there) differs.
pub fn same_template(current: &str, desired: &Value) -> bool {
    serde_json::from_str::<Value>(current).is_ok_and(|v| &v == desired)
}
