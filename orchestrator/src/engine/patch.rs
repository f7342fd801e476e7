//! Patch once, single writer: the hub bucket and key policies admit every exporting detector,
//! the hub role's AssumeRole covers every member role, in the form the size planner chose.
//! Each document is re-read right before its write and re-merged (see `common::ensure_policy`).

use account_worker::{Mode, WorkerError};
use policy_model::builders::{self, FindingsBucket, HubRolePermissions, S3ReadScope, sid};
use policy_model::planner::{
    AttachmentBudget, GuardDutySources, MemberRoles, plan_guardduty_bucket, plan_guardduty_key,
    plan_hub_role, plan_hub_role_org_scoped,
};
use policy_model::{Arn, PolicyDocument};

use super::EngineError;
use super::common::{HubLog, changed_status, ensure_policy, hub_sdk, hub_worker, plan_err};
use super::hub::HubFacts;
use super::resources::Place;
use super::resources::bucket::{Bucket, BucketPolicy};
use super::resources::key::KeyPolicy;
use super::resources::managed_policy::{ManagedPolicy, hub_policy_name, is_hub_policy_name};
use crate::aws::AccountClients;
use crate::config::{Config, GuardDuty, MemberDeploy};
use crate::outcome::{Change, ChangeAction, ResourceStatus};

/// Values of `Condition.OPERATOR.KEY` of the owned statement `sid` in `doc`.
fn condition_values(doc: &PolicyDocument, sid: &str, operator: &str, key: &str) -> Vec<String> {
    doc.statement(sid)
        .map(|s| s.condition_values(operator, key))
        .unwrap_or_default()
}

/// The accounts whose entries a shared document keeps although this run does not give them:
/// those that failed in this run (a transient failure never revokes an account that was
/// onboarded before), and, in a run of some accounts only (`--accounts`), every other account.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keep<'a> {
    pub(crate) failed: &'a [String],
    /// The run's accounts, when it covers only these.
    pub(crate) only: Option<&'a [String]>,
}

impl Keep<'_> {
    /// True when this run does not give every account its entries (some failed, or it covers
    /// some accounts only).
    pub(crate) fn partial(&self) -> bool {
        !self.failed.is_empty() || self.only.is_some()
    }

    fn keeps(&self, account: &str) -> bool {
        self.failed.iter().any(|f| f == account)
            || self
                .only
                .is_some_and(|run| !run.iter().any(|a| a == account))
    }
}

/// Detector ARNs already admitted by `doc` whose accounts are kept.
fn retained_detectors(doc: &PolicyDocument, statement_sid: &str, keep: Keep<'_>) -> Vec<Arn> {
    condition_values(doc, statement_sid, "StringEquals", "aws:SourceArn")
        .iter()
        .filter_map(|v| v.parse::<Arn>().ok())
        .filter(|a| keep.keeps(a.account()))
        .collect()
}

/// Accounts admitted by `doc`'s account list whose detectors are neither `known` nor retained
/// as ARNs (the document is in an account-list form): kept as accounts, and the Regions of the
/// regional GuardDuty principals the statement admits for them.
fn retained_accounts(
    doc: &PolicyDocument,
    statement_sid: &str,
    keep: Keep<'_>,
    known: &[Arn],
) -> (Vec<policy_model::AccountId>, Vec<policy_model::Region>) {
    let accounts: Vec<policy_model::AccountId> =
        condition_values(doc, statement_sid, "StringEquals", "aws:SourceAccount")
            .iter()
            .filter(|a| keep.keeps(a) && !known.iter().any(|k| k.account() == a.as_str()))
            .filter_map(|a| policy_model::AccountId::new(a).ok())
            .collect();
    if accounts.is_empty() {
        return (accounts, Vec::new());
    }
    let regions = doc
        .statement(statement_sid)
        .map(|s| {
            s.principals("Service")
                .iter()
                .filter_map(|p| {
                    p.strip_prefix("guardduty.")
                        .and_then(|r| r.strip_suffix(".amazonaws.com"))
                        .and_then(|r| policy_model::Region::new(r).ok())
                })
                .collect()
        })
        .unwrap_or_default();
    (accounts, regions)
}

/// True when the hub role's AssumeRole statement is in the organization-scoped form (a role
/// ARN with `*` for its account).
fn org_scoped_now(docs: &[(String, Option<PolicyDocument>)]) -> bool {
    docs.iter().any(|(_, d)| {
        d.as_ref()
            .and_then(|d| d.statement(sid::ASSUME_MEMBER_ROLES))
            .is_some_and(|s| s.resource_values().iter().any(|r| r.contains(":iam::*:")))
    })
}

fn merge_arns(base: &[Arn], extra: Vec<Arn>) -> Vec<Arn> {
    let mut all = base.to_vec();
    for a in extra {
        if !all.contains(&a) {
            all.push(a);
        }
    }
    all
}

/// The shared-policy step.
pub(crate) struct Patcher<'a> {
    pub(crate) cfg: &'a Config,
    pub(crate) consistency: &'a account_worker::Consistency,
    pub(crate) hub: &'a AccountClients,
    pub(crate) facts: &'a HubFacts,
    pub(crate) mode: Mode,
}

impl Patcher<'_> {
    /// Where the shared documents live: the hub account, the home Region.
    fn place(&self) -> Place<'_> {
        Place {
            clients: self.hub,
            account: &self.facts.account,
            region: &self.facts.findings_region,
            mode: self.mode,
            consistency: self.consistency,
        }
    }

    /// False when the hub step only planned the findings bucket (plan mode, bucket missing).
    pub(crate) fn findings_bucket_exists(&self, gd: &GuardDuty, log: &HubLog) -> bool {
        !log.journal.actions.iter().any(|r| {
            r.kind.as_deref() == Some("s3-bucket")
                && r.resource.ends_with(&format!(":::{}", gd.bucket))
                && r.status == ResourceStatus::Planned
        })
    }

    /// Findings bucket and key policies admit `detectors` (plus the detectors of the accounts in
    /// `keep_accounts` that they admit already). The two documents are patched concurrently
    /// (one writer each); the log lists the bucket policy first.
    pub(crate) async fn admit_detectors(
        &self,
        gd: &GuardDuty,
        log: &mut HubLog,
        bucket_exists: bool,
        detectors: &[Arn],
        keep: Keep<'_>,
    ) -> Result<(), EngineError> {
        let sources = |doc: &PolicyDocument, sids: &[&str]| {
            // The statement that carries the document's conditions: in the merged bucket form
            // `GUARDDUTY_EXPORT` holds them, else the first of `sids` the document has.
            let statement_sid = sids
                .iter()
                .copied()
                .find(|s| doc.statement(s).is_some())
                .unwrap_or(sids[0]);
            let detectors = merge_arns(detectors, retained_detectors(doc, statement_sid, keep));
            let (retained_accounts, retained_regions) =
                retained_accounts(doc, statement_sid, keep, &detectors);
            let org_form =
                !condition_values(doc, statement_sid, "StringEquals", "aws:SourceOrgID").is_empty();
            GuardDutySources {
                detectors,
                org_id: Some(self.facts.org_id.clone()),
                allow_source_org_id: gd.allow_source_org_id,
                retained_accounts,
                retained_regions,
                keep_org_form: org_form && keep.partial(),
            }
        };
        let place = self.place();
        let findings_policy = BucketPolicy {
            bucket: Bucket {
                place,
                name: &gd.bucket,
            },
        };
        let bucket = FindingsBucket {
            partition: self.facts.partition,
            bucket: gd.bucket.to_string(),
            prefix: gd.prefix.clone(),
        };
        let resource = findings_policy.resource();
        let mut bucket_log = HubLog::default();
        let bucket_policy = Box::pin(ensure_policy(
            &mut bucket_log,
            self.mode,
            &resource,
            "s3-bucket-policy",
            async || {
                if !bucket_exists {
                    return Ok(None);
                }
                findings_policy.read().await
            },
            |doc| {
                plan_guardduty_bucket(
                    doc,
                    &bucket,
                    &sources(doc, &[sid::GUARDDUTY_PUT_OBJECT, sid::GUARDDUTY_EXPORT]),
                )
                .map_err(plan_err(&resource))
            },
            async |text| findings_policy.write(text).await,
        ));
        let Some(key) = &self.facts.guardduty_key else {
            bucket_policy.await?;
            log.extend(bucket_log);
            return Ok(());
        };
        let key_policy_of = KeyPolicy { place, key };
        let key_resource = key_policy_of.resource();
        let key_exists = !key
            .resource()
            .starts_with(&format!("key/{}", super::common::KNOWN_AFTER_APPLY_KEY));
        let fresh =
            policy_model::builders::new_key_policy(self.facts.partition, &self.facts.account);
        let mut key_log = HubLog::default();
        let key_policy = Box::pin(ensure_policy(
            &mut key_log,
            self.mode,
            &key_resource,
            "kms-key-policy",
            async || {
                if !key_exists {
                    return Ok(Some(fresh.clone()));
                }
                key_policy_of.read().await
            },
            |doc| {
                plan_guardduty_key(doc, key, &sources(doc, &[sid::GUARDDUTY_GENERATE_DATA_KEY]))
                    .map_err(plan_err(&key_resource))
            },
            async |text| key_policy_of.write(text).await,
        ));
        let (bucket_policy, key_policy) = futures::join!(bucket_policy, key_policy);
        bucket_policy?;
        log.extend(bucket_log);
        key_policy?;
        log.extend(key_log);
        Ok(())
    }

    /// The hub role's managed policies: base permissions plus AssumeRole on `member_roles`
    /// (plus those of `keep_accounts` already listed), in the planned form.
    /// False when the hub step only planned the hub role (plan mode, role missing).
    pub(crate) fn hub_role_exists(&self, log: &HubLog) -> bool {
        // A plan that only updates the role's trust (another external ID) has the role: only a
        // planned creation means it is missing.
        let trust = format!("{}#trust", self.facts.hub_role_arn);
        self.mode == Mode::Apply
            || !log
                .journal
                .changes
                .iter()
                .any(|c| c.resource == trust && c.action == ChangeAction::Create)
    }

    pub(crate) async fn hub_role_permissions(
        &self,
        log: &mut HubLog,
        role_exists: bool,
        member_roles: &[Arn],
        keep_accounts: Keep<'_>,
    ) -> Result<(), EngineError> {
        let iam = self.hub.iam(self.facts.region.as_str());
        let role_name = &self.cfg.radiant.role_name;
        let role_resource = self.facts.hub_role_arn.to_string();

        // Attached policies and the attachment quota.
        let mut attached: Vec<(String, String)> = Vec::new();
        if role_exists {
            let out = iam
                .list_attached_role_policies()
                .role_name(role_name)
                .max_items(100)
                .send()
                .await
                .map_err(hub_sdk("iam:ListAttachedRolePolicies", &role_resource))?;
            attached = out
                .attached_policies()
                .iter()
                .map(|p| {
                    (
                        p.policy_name().unwrap_or_default().to_owned(),
                        p.policy_arn().unwrap_or_default().to_owned(),
                    )
                })
                .collect();
        }
        let ours: Vec<(String, String)> = attached
            .iter()
            .filter(|(n, _)| is_hub_policy_name(role_name, n))
            .cloned()
            .collect();
        let foreign = attached.len() - ours.len();
        let quota = self.attachment_quota(&role_resource).await?;
        let budget = AttachmentBudget {
            quota,
            already_attached: foreign,
        };

        // Member roles already listed for accounts that failed this run are kept.
        let mut current_docs: Vec<(String, Option<PolicyDocument>)> = Vec::new();
        for i in 0..ours.len().max(1) {
            let name = hub_policy_name(role_name, i);
            let arn = format!(
                "arn:{}:iam::{}:policy/{name}",
                self.facts.partition, self.facts.account
            );
            let doc = if ours.iter().any(|(n, _)| n == &name) {
                self.read_managed(&arn).await?
            } else {
                None
            };
            current_docs.push((arn, doc));
        }
        let mut keep: Vec<Arn> = Vec::new();
        for (_, doc) in &current_docs {
            let Some(s) = doc
                .as_ref()
                .and_then(|d| d.statement(sid::ASSUME_MEMBER_ROLES))
            else {
                continue;
            };
            for a in s
                .resource_values()
                .iter()
                .filter_map(|r| r.parse::<Arn>().ok())
            {
                if keep_accounts.keeps(a.account()) && !keep.contains(&a) {
                    keep.push(a);
                }
            }
        }
        let members = MemberRoles {
            arns: merge_arns(member_roles, keep),
            role_name: self.cfg.radiant.member_role_name.clone(),
            org_id: Some(self.facts.org_id.clone()),
        };
        let mut topics = Vec::new();
        topics.extend(self.facts.cloudtrail_topic.clone());
        topics.extend(self.facts.guardduty_topic.clone());
        let mut keys = Vec::new();
        keys.extend(self.facts.cloudtrail_key.clone());
        keys.extend(self.facts.guardduty_key.clone());
        let s3_scope = if self.cfg.radiant.least_privilege_s3 {
            let mut buckets = Vec::new();
            if let Some(bucket) = &self.facts.cloudtrail_bucket {
                buckets.push(bucket.clone());
            }
            if let Some(gd) = &self.cfg.guardduty {
                buckets.push(gd.bucket.to_string());
            }
            S3ReadScope::Buckets(buckets)
        } else {
            S3ReadScope::AllBuckets
        };
        let input = HubRolePermissions {
            partition: self.facts.partition,
            s3_scope,
            topics,
            kms_keys: keys,
        };
        let planned = match self.cfg.members.deploy {
            // A StackSet deploys the member roles, also to accounts that join later: the form
            // that names no account, so that no newcomer needs this policy rewritten.
            MemberDeploy::Stackset => {
                let ous = &self.cfg.organization.include_ous;
                // The root, or no filter: the whole organization, which the org ID alone says.
                let paths: Vec<String> = if ous.iter().any(|ou| ou.starts_with("r-")) {
                    Vec::new()
                } else {
                    ous.iter()
                        .map(|ou| builders::org_path_pattern(&self.facts.org_id, ou))
                        .collect()
                };
                plan_hub_role_org_scoped(
                    &input,
                    &self.cfg.radiant.member_role_name,
                    &self.facts.org_id,
                    &paths,
                    &self.cfg.organization.exclude_accounts,
                    budget,
                )
            }
            // The organization-scoped form already in place (the explicit list did not fit) is
            // kept by a run that does not name every account: a list of this run's accounts
            // would revoke the others.
            MemberDeploy::Direct if keep_accounts.partial() && org_scoped_now(&current_docs) => {
                plan_hub_role_org_scoped(
                    &input,
                    &self.cfg.radiant.member_role_name,
                    &self.facts.org_id,
                    &[],
                    &[],
                    budget,
                )
                .map(|mut p| {
                    p.decision.reason = format!(
                        "sts:AssumeRole covers `arn:{}:iam::*:role/{}` in organization `{}` (aws:ResourceOrgID), the form already in place, kept: this run does not name every account",
                        self.facts.partition, self.cfg.radiant.member_role_name, self.facts.org_id
                    );
                    p
                })
            }
            MemberDeploy::Direct => plan_hub_role(&input, &members, budget),
        }
        .map_err(plan_err(&role_resource))?;
        log.decision(
            &format!("{role_resource}#managed-policies"),
            &planned.decision,
        );

        for (i, doc) in planned.documents.iter().enumerate() {
            let name = hub_policy_name(role_name, i);
            let arn = format!(
                "arn:{}:iam::{}:policy/{name}",
                self.facts.partition, self.facts.account
            );
            let is_attached = ours.iter().any(|(n, _)| n == &name);
            // Read right before the write (the earlier read served the plan only).
            let current = if is_attached {
                match current_docs.get(i) {
                    Some((_, d)) => d.clone(),
                    None => self.read_managed(&arn).await?,
                }
            } else if role_exists {
                self.read_managed(&arn).await?
            } else {
                None
            };
            let unchanged =
                is_attached && current.as_ref().is_some_and(|c| c.semantically_equal(doc));
            if unchanged {
                log.record(&arn, "iam-managed-policy", ResourceStatus::Unchanged, None);
                continue;
            }
            let mut change = Change::policy(
                &arn,
                current.as_ref(),
                doc,
                "the hub role's permissions differ",
            );
            if current.is_some() {
                change.action = ChangeAction::Update;
            }
            log.journal.changes.push(change);
            if self.mode == Mode::Apply {
                match &current {
                    None => self.create_managed(&name, &arn, doc).await?,
                    Some(c) if !c.semantically_equal(doc) => self.new_version(&arn, doc).await?,
                    Some(_) => {}
                }
                if !is_attached {
                    iam.attach_role_policy()
                        .role_name(role_name)
                        .policy_arn(&arn)
                        .send()
                        .await
                        .map_err(hub_sdk("iam:AttachRolePolicy", &arn))?;
                }
            }
            log.record(
                &arn,
                "iam-managed-policy",
                changed_status(self.mode, current.is_none()),
                None,
            );
        }
        // Policies of an earlier, larger split that are no longer needed.
        for (name, arn) in &ours {
            let index = (0..ours.len() + planned.documents.len() + 1)
                .find(|i| &hub_policy_name(role_name, *i) == name);
            if index.is_some_and(|i| i < planned.documents.len()) {
                continue;
            }
            log.journal.changes.push(Change::new(
                arn,
                ChangeAction::Delete,
                None,
                None,
                "no longer needed by the planned form",
            ));
            if self.mode == Mode::Apply {
                self.delete_managed(role_name, arn).await?;
            }
            log.record(
                arn,
                "iam-managed-policy",
                if self.mode == Mode::Apply {
                    ResourceStatus::Deleted
                } else {
                    ResourceStatus::Planned
                },
                None,
            );
        }
        Ok(())
    }

    async fn attachment_quota(&self, resource: &str) -> Result<usize, EngineError> {
        let iam = self.hub.iam(self.facts.region.as_str());
        match iam.get_account_summary().send().await {
            Ok(out) => Ok(out
                .summary_map()
                .and_then(|m| {
                    m.get(&aws_sdk_iam::types::SummaryKeyType::AttachedPoliciesPerRoleQuota)
                })
                .and_then(|v| usize::try_from(*v).ok())
                .filter(|v| *v > 0)
                .unwrap_or(policy_model::planner::DEFAULT_ATTACHMENT_QUOTA)),
            Err(e) => {
                let err = WorkerError::from_sdk("iam:GetAccountSummary", &e);
                if err.kind == account_worker::ErrorKind::AccessDenied {
                    Ok(policy_model::planner::DEFAULT_ATTACHMENT_QUOTA)
                } else {
                    Err(hub_worker(resource)(err))
                }
            }
        }
    }

    fn managed<'b>(&'b self, arn: &'b str) -> ManagedPolicy<'b> {
        ManagedPolicy {
            place: self.place(),
            arn,
        }
    }

    /// The default version's document of a managed policy (`None` when it does not exist).
    pub(crate) async fn read_managed(
        &self,
        arn: &str,
    ) -> Result<Option<PolicyDocument>, EngineError> {
        self.managed(arn).read().await
    }

    async fn create_managed(
        &self,
        name: &str,
        arn: &str,
        doc: &PolicyDocument,
    ) -> Result<(), EngineError> {
        self.managed(arn).create(name, doc).await
    }

    /// A new default version; at the 5-version limit the oldest non-default version goes first.
    async fn new_version(&self, arn: &str, doc: &PolicyDocument) -> Result<(), EngineError> {
        self.managed(arn).update(doc).await
    }

    /// Detaches and deletes one of the product's managed policies (all versions).
    pub(crate) async fn delete_managed(
        &self,
        role_name: &str,
        arn: &str,
    ) -> Result<(), EngineError> {
        self.managed(arn).remove(role_name).await
    }
}
