//! What the run tells the user at its end (pure): the values to enter in Radiant's AWS
//! connector, and what covers an account that joins the organization after the run.
//!
//! Radiant's connector asks for each topic's "SNS Topic Name" and looks for it in the hub's
//! account and home Region (where the role it assumes lives): a topic there is given by its
//! name; a topic anywhere else (a reused trail's bucket in Log Archive when the hub is another
//! account, a bucket in another Region) only by its ARN, and the hand-off says why.

use policy_model::{AccountId, Arn, Region};

use crate::config::{Config, MemberDeploy, TrailChoice};
use crate::outcome::{Coverage, NewAccounts};

use super::Topology;

/// One topic of the hand-off: what to enter, its ARN, and why the name alone will not do.
pub(crate) struct HandoffTopic {
    pub(crate) enter: String,
    pub(crate) arn: String,
    pub(crate) note: Option<String>,
}

/// The hand-off of `topic`, for a hub in `hub` whose home Region is `home`.
pub(crate) fn topic(topic: &Arn, hub: &AccountId, home: &Region) -> HandoffTopic {
    let arn = topic.to_string();
    let (account, region) = (topic.account(), topic.region());
    if account == hub.as_str() && region == home.as_str() {
        return HandoffTopic {
            enter: topic.resource().to_owned(),
            arn,
            note: None,
        };
    }
    let place = if account == hub.as_str() {
        format!("in `{region}`, not in the hub's home Region `{home}`")
    } else {
        format!("in the account `{account}`, not in the hub's account `{hub}`")
    };
    HandoffTopic {
        enter: arn.clone(),
        arn,
        note: Some(format!(
            "the topic is {place}: enter its ARN, since Radiant looks a name up in the hub's account and home Region"
        )),
    }
}

/// What covers an account that joins after the run, by what the configuration and the
/// organization's GuardDuty allow.
pub(crate) fn new_accounts(cfg: &Config, topology: &Topology) -> NewAccounts {
    let apply_accounts = "run `radiant-onboard apply --accounts NEW_ACCOUNT_ID` when an account joins (docs/runbook.md, \"Enrolment\", has the EventBridge rules that do it)";
    let member_role = match cfg.members.deploy {
        MemberDeploy::Stackset => Coverage {
            automatic: true,
            by: format!(
                "StackSet automatic deployment (`{}`)",
                cfg.members.stackset_name
            ),
        },
        MemberDeploy::Direct => Coverage {
            automatic: false,
            by: format!(
                "not automatic with `[members] deploy = \"direct\"`: set `deploy = \"stackset\"`, or {apply_accounts}"
            ),
        },
    };
    let guardduty = cfg.guardduty.as_ref().map(|gd| {
        match (&gd.admin_account_id, topology) {
            (Some(admin), _) => Coverage {
                automatic: true,
                by: format!(
                    "organization auto-enable (`AutoEnableOrganizationMembers = ALL`) of the delegated administrator `{admin}`, which exports for its members"
                ),
            },
            (None, Topology::DelegatedAdmin { admin_account_id }) => Coverage {
                automatic: false,
                by: format!(
                    "not managed: the delegated administrator `{admin_account_id}` adds new members only if its organization configuration auto-enables them, which the tool does not manage; set `guardduty.export = \"delegated-admin\"` with `admin_account_id = \"{admin_account_id}\"`, or {apply_accounts}"
                ),
            },
            (None, Topology::PerAccount) => Coverage {
                automatic: false,
                by: format!(
                    "not automatic: every account exports its own findings (per-account export), so a new account needs its detector and destination; manage GuardDuty through a delegated administrator (`guardduty.export = \"delegated-admin\"`, `admin_account_id`), or {apply_accounts}"
                ),
            },
        }
    });
    let cloudtrail = cfg.cloudtrail.as_ref().map(|ct| Coverage {
        automatic: true,
        by: match &ct.trail {
            TrailChoice::Create(nt) => format!("the organization trail `{}`", nt.trail_name),
            TrailChoice::Existing(_) => "the organization trail that is reused".to_owned(),
        },
    });
    NewAccounts {
        member_role,
        guardduty,
        cloudtrail,
    }
}
