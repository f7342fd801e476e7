//! Preflight and discovery: who the caller is, the organization, trusted access, the accounts
//! (paginated, ACTIVE only, OU filter, exclusions) and the GuardDuty topology.

use std::collections::{BTreeMap, BTreeSet};

use account_worker::WorkerError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use policy_model::{AccountId, OrgId, Region};

use super::{DiscoveredAccount, Discovery, EngineError, Topology};
use crate::aws::AccountClients;
use crate::config::{Config, ExportMode};

const CLOUDTRAIL_PRINCIPAL: &str = "cloudtrail.amazonaws.com";

fn pre(message: impl Into<String>) -> EngineError {
    EngineError::Preflight {
        message: message.into(),
    }
}

fn pre_sdk(op: &'static str, what: &'static str) -> impl Fn(WorkerError) -> EngineError {
    pre_sdk_named(op.to_owned(), what)
}

/// The organization and the caller, checked.
#[derive(Debug, Clone)]
pub(crate) struct Preflight {
    pub(crate) caller: AccountId,
    /// The account that centralizes the logs (`organization.hub_account_id`, else the
    /// caller's). When it is not the caller's, the caller is the management account and the hub's
    /// resources are written through the access role.
    pub(crate) hub: AccountId,
    pub(crate) management: AccountId,
    pub(crate) org_id: OrgId,
    pub(crate) home_region: Region,
}

/// Step 1: nothing is written.
pub(crate) async fn preflight(
    cfg: &Config,
    caller: &AccountClients,
) -> Result<Preflight, EngineError> {
    // The Regions were parsed (and checked non-empty) when the configuration was loaded.
    let home_region = cfg.organization.home_region.clone();
    let home = home_region.as_str();
    let sts = caller.sts(home);
    let ident = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| WorkerError::from_sdk("sts:GetCallerIdentity", &e))
        .map_err(pre_sdk(
            "sts:GetCallerIdentity",
            "the AWS credentials do not work",
        ))?;
    let caller_id = AccountId::new(ident.account().unwrap_or_default()).map_err(|e| {
        pre(format!(
            "sts:GetCallerIdentity returned an unusable account: {e}"
        ))
    })?;
    let org = caller.organizations(home);
    let described = org
        .describe_organization()
        .send()
        .await
        .map_err(|e| WorkerError::from_sdk("organizations:DescribeOrganization", &e))
        .map_err(|e| {
            if e.code == "AWSOrganizationsNotInUseException" {
                pre(format!("account `{caller_id}` is not in an AWS Organization; run from the organization's management account"))
            } else {
                pre_sdk("organizations:DescribeOrganization", "the organization cannot be read")(e)
            }
        })?;
    let o = described
        .organization
        .ok_or_else(|| pre("organizations:DescribeOrganization returned no organization"))?;
    let org_id = OrgId::new(o.id().unwrap_or_default())
        .map_err(|e| pre(format!("unusable organization ID: {e}")))?;
    let management = AccountId::new(o.master_account_id().unwrap_or_default())
        .map_err(|e| pre(format!("unusable management account ID: {e}")))?;
    if o.feature_set().map(|f| f.as_str()) != Some("ALL") {
        return Err(pre(format!(
            "organization `{org_id}` does not have all features enabled; enable all features in AWS Organizations first"
        )));
    }
    let hub = cfg
        .organization
        .hub_account_id
        .clone()
        .unwrap_or_else(|| caller_id.clone());
    if hub != caller_id && caller_id != management {
        return Err(pre(format!(
            "`organization.hub_account_id` is `{hub}` but the credentials belong to account `{caller_id}`, which is neither the hub nor the management account `{management}`; run with credentials of the management account (it reaches the hub through `organization.access_role_name`) or of the hub itself"
        )));
    }
    if caller_id != management && cfg.cloudtrail.is_some() {
        let admins = org
            .list_delegated_administrators()
            .service_principal(CLOUDTRAIL_PRINCIPAL)
            .send()
            .await
            .map_err(|e| WorkerError::from_sdk("organizations:ListDelegatedAdministrators", &e))
            .map_err(pre_sdk(
                "organizations:ListDelegatedAdministrators",
                "the delegated administrators cannot be read",
            ))?;
        let delegated = admins
            .delegated_administrators()
            .iter()
            .any(|a| a.id() == Some(caller_id.as_str()));
        if !delegated {
            return Err(pre(format!(
                "account `{caller_id}` is neither the management account `{management}` nor a CloudTrail delegated administrator; run from the management account or register the hub with `aws organizations register-delegated-administrator --service-principal cloudtrail.amazonaws.com`"
            )));
        }
    }
    if cfg.cloudtrail.is_some() {
        let access = org
            .list_aws_service_access_for_organization()
            .send()
            .await
            .map_err(|e| {
                WorkerError::from_sdk("organizations:ListAWSServiceAccessForOrganization", &e)
            })
            .map_err(pre_sdk(
                "organizations:ListAWSServiceAccessForOrganization",
                "trusted access cannot be read",
            ))?;
        let enabled = access
            .enabled_service_principals()
            .iter()
            .any(|p| p.service_principal() == Some(CLOUDTRAIL_PRINCIPAL));
        if !enabled {
            return Err(pre(
                "trusted access for CloudTrail is not enabled in the organization; run `aws organizations enable-aws-service-access --service-principal cloudtrail.amazonaws.com`",
            ));
        }
    }
    Ok(Preflight {
        caller: caller_id,
        hub,
        management,
        org_id,
        home_region,
    })
}

/// The status given to an ID of `--accounts` that the organization does not have.
const NOT_IN_ORGANIZATION: &str = "NOT_IN_ORGANIZATION";

/// An account as ListAccounts returns it.
pub(crate) type RawAccount = aws_sdk_organizations::types::Account;

/// Step 3, in one go: the topology, every account and the OU tree. Every failure is a preflight
/// failure (this is used before anything is written).
pub(crate) async fn discover_accounts(
    cfg: &Config,
    caller: &AccountClients,
    pf: &Preflight,
) -> Result<Discovery, EngineError> {
    let topology = choose_topology(cfg, caller, pf).await?;
    let found = Discoverer::start(cfg, caller, pf, None)
        .await?
        .finish(caller, pf)
        .await
        .map_err(listing_failed)?;
    let mut parent_of = found.parent_of;
    if let Some(walk) = found.pending_walk {
        parent_of = walk.finish().await.map_err(listing_failed)?;
    }
    Ok(decide(cfg, pf, &found.raw, &parent_of, topology))
}

fn listing_failed(e: WorkerError) -> EngineError {
    let op = e.operation.clone();
    pre_sdk_named(op, "the organization's accounts cannot be listed")(e)
}

fn pre_sdk_named(op: String, what: &'static str) -> impl Fn(WorkerError) -> EngineError {
    move |e| {
        let hint = match e.kind {
            account_worker::ErrorKind::AccessDenied | account_worker::ErrorKind::ScpDenied => {
                "; give the caller the permissions listed by `radiant-onboard permissions`"
            }
            _ => "",
        };
        pre(format!(
            "{what}: {op} failed ({}): {}{hint}",
            e.code, e.message
        ))
    }
}

/// A failure of the part of discovery that runs alongside the hub step (after its first page
/// was read): the hub may have been written, the accounts were not touched.
pub(crate) fn discovery_failed(e: WorkerError) -> EngineError {
    EngineError::Discovery {
        operation: e.operation,
        kind: e.kind,
        message: format!("{} ({})", e.message, e.code),
    }
}

/// Paginated ListAccounts. The first page is read by [`AccountListing::start`], before anything
/// is written, so a caller who may not list the accounts fails in preflight; the other pages are
/// read by [`AccountListing::finish`], which may run alongside the hub step.
pub(crate) struct AccountListing {
    org: aws_sdk_organizations::Client,
    raw: Vec<RawAccount>,
    token: Option<String>,
}

impl AccountListing {
    /// Reads the first page.
    pub(crate) async fn start(
        caller: &AccountClients,
        pf: &Preflight,
    ) -> Result<Self, EngineError> {
        let mut listing = Self {
            org: caller.organizations(pf.home_region.as_str()),
            raw: Vec::new(),
            token: None,
        };
        listing.next_page().await.map_err(listing_failed)?;
        Ok(listing)
    }

    async fn next_page(&mut self) -> Result<(), WorkerError> {
        let page = self
            .org
            .list_accounts()
            .set_next_token(self.token.take())
            .send()
            .await
            .map_err(|e| WorkerError::from_sdk("organizations:ListAccounts", &e))?;
        self.raw.extend(page.accounts().iter().cloned());
        self.token = page.next_token().map(str::to_owned);
        Ok(())
    }

    /// Reads the remaining pages; every account, in ListAccounts order.
    pub(crate) async fn finish(mut self) -> Result<Vec<RawAccount>, WorkerError> {
        while self.token.is_some() {
            self.next_page().await?;
        }
        Ok(self.raw)
    }
}

/// The OU tree, walked once from the roots: the parent of every account and every OU. The roots
/// are read by [`OuWalk::start`] before anything is written; [`OuWalk::finish`] walks the rest
/// and may run alongside other work.
pub(crate) struct OuWalk {
    org: aws_sdk_organizations::Client,
    roots: Vec<String>,
}

impl OuWalk {
    /// Reads the roots.
    pub(crate) async fn start(
        caller: &AccountClients,
        pf: &Preflight,
    ) -> Result<Self, EngineError> {
        let org = caller.organizations(pf.home_region.as_str());
        let roots = org
            .list_roots()
            .send()
            .await
            .map_err(|e| WorkerError::from_sdk("organizations:ListRoots", &e))
            .map_err(listing_failed)?;
        let roots = roots
            .roots()
            .iter()
            .filter_map(|r| r.id().map(str::to_owned))
            .collect();
        Ok(Self { org, roots })
    }

    /// Walks the tree: child ID -> parent ID, for accounts and OUs.
    pub(crate) async fn finish(self) -> Result<BTreeMap<String, String>, WorkerError> {
        let org = self.org;
        let mut parent_of: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = self.roots;
        while let Some(parent) = queue.pop() {
            for id in child_ous(&org, &parent).await? {
                parent_of.insert(id.clone(), parent.clone());
                queue.push(id);
            }
            for a in accounts_for_parent(&org, &parent).await? {
                if let Some(id) = a.id() {
                    parent_of.insert(id.to_owned(), parent.clone());
                }
            }
        }
        Ok(parent_of)
    }
}

/// The OUs directly below `parent`, every page.
async fn child_ous(
    org: &aws_sdk_organizations::Client,
    parent: &str,
) -> Result<Vec<String>, WorkerError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = org
            .list_organizational_units_for_parent()
            .parent_id(parent)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| {
                WorkerError::from_sdk("organizations:ListOrganizationalUnitsForParent", &e)
            })?;
        out.extend(
            page.organizational_units()
                .iter()
                .filter_map(|ou| ou.id().map(str::to_owned)),
        );
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// The accounts directly in `parent`, every page.
async fn accounts_for_parent(
    org: &aws_sdk_organizations::Client,
    parent: &str,
) -> Result<Vec<RawAccount>, WorkerError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = org
            .list_accounts_for_parent()
            .parent_id(parent)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| WorkerError::from_sdk("organizations:ListAccountsForParent", &e))?;
        out.extend(page.accounts().iter().cloned());
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            return Ok(out);
        }
    }
}

/// How the run finds its accounts, started in preflight (its first call made before anything
/// is written, so a caller who may not list the organization stops there) and finished
/// alongside the hub step.
pub(crate) enum Discoverer {
    /// The whole organization: `ListAccounts` and the OU tree (walked alongside fan-out 1 when
    /// no OU filter needs it first).
    Whole {
        listing: AccountListing,
        walk: OuWalk,
        filter_by_ou: bool,
    },
    /// `organization.include_ous`: only those OUs' accounts, OU by OU (`ListAccountsForParent`
    /// and `ListOrganizationalUnitsForParent` below each), never the whole organization; the hub
    /// and GuardDuty's managed administrator are read with `DescribeAccount` when outside.
    Subtrees(OuSubtrees),
    /// `--accounts`: the named accounts alone ([`describe_accounts`]).
    Only(Vec<String>),
}

/// What discovery found: every account, the parent of each account and OU it knows, and the OU
/// walk still to run (it only names each account's OU) when it was not needed.
pub(crate) struct Found {
    pub(crate) raw: Vec<RawAccount>,
    pub(crate) parent_of: BTreeMap<String, String>,
    pub(crate) pending_walk: Option<OuWalk>,
}

impl Discoverer {
    /// Makes the first call of the discovery the configuration needs.
    pub(crate) async fn start(
        cfg: &Config,
        caller: &AccountClients,
        pf: &Preflight,
        only: Option<&[String]>,
    ) -> Result<Self, EngineError> {
        if let Some(ids) = only {
            return Ok(Self::Only(ids.to_vec()));
        }
        let include = &cfg.organization.include_ous;
        if !include.is_empty() && !include.iter().any(|ou| ou.starts_with("r-")) {
            let mut extra = vec![pf.hub.to_string()];
            if let Some(a) = cfg
                .guardduty
                .as_ref()
                .and_then(|g| g.admin_account_id.as_ref())
            {
                extra.push(a.to_string());
            }
            return Ok(Self::Subtrees(
                OuSubtrees::start(caller, pf, include.clone(), extra).await?,
            ));
        }
        Ok(Self::Whole {
            listing: AccountListing::start(caller, pf).await?,
            walk: OuWalk::start(caller, pf).await?,
            filter_by_ou: !include.is_empty(),
        })
    }

    /// The rest of the discovery.
    pub(crate) async fn finish(
        self,
        caller: &AccountClients,
        pf: &Preflight,
    ) -> Result<Found, WorkerError> {
        match self {
            Self::Only(ids) => {
                let (raw, parent_of) = describe_accounts(caller, pf, &ids).await?;
                Ok(Found {
                    raw,
                    parent_of,
                    pending_walk: None,
                })
            }
            Self::Subtrees(subtrees) => {
                let (raw, parent_of) = subtrees.finish(caller, pf).await?;
                Ok(Found {
                    raw,
                    parent_of,
                    pending_walk: None,
                })
            }
            Self::Whole {
                listing,
                walk,
                filter_by_ou: true,
            } => {
                let (raw, parent_of) = futures::join!(listing.finish(), walk.finish());
                Ok(Found {
                    raw: raw?,
                    parent_of: parent_of?,
                    pending_walk: None,
                })
            }
            Self::Whole {
                listing,
                walk,
                filter_by_ou: false,
            } => Ok(Found {
                raw: listing.finish().await?,
                parent_of: BTreeMap::new(),
                pending_walk: Some(walk),
            }),
        }
    }
}

/// The accounts of some OUs (and every OU below them), read OU by OU, plus a few named
/// accounts outside them (the hub, GuardDuty's administrator) with `DescribeAccount`.
pub(crate) struct OuSubtrees {
    org: aws_sdk_organizations::Client,
    /// The OUs whose accounts are still to read.
    queue: Vec<String>,
    /// The OUs whose child OUs were read.
    children_read: BTreeSet<String>,
    parent_of: BTreeMap<String, String>,
    extra: Vec<String>,
}

impl OuSubtrees {
    /// Reads the first included OU's child OUs (the preflight check that the caller may list).
    async fn start(
        caller: &AccountClients,
        pf: &Preflight,
        include: Vec<String>,
        extra: Vec<String>,
    ) -> Result<Self, EngineError> {
        let mut subtrees = Self {
            org: caller.organizations(pf.home_region.as_str()),
            queue: include.clone(),
            children_read: BTreeSet::new(),
            parent_of: BTreeMap::new(),
            extra,
        };
        if let Some(first) = include.first() {
            let below = subtrees.child_ous(first).await.map_err(listing_failed)?;
            subtrees.children_read.insert(first.clone());
            subtrees.queue.extend(below);
        }
        Ok(subtrees)
    }

    /// The OUs directly below `parent` (their parent recorded).
    async fn child_ous(&mut self, parent: &str) -> Result<Vec<String>, WorkerError> {
        let below = child_ous(&self.org, parent).await?;
        for id in &below {
            self.parent_of.insert(id.clone(), parent.to_owned());
        }
        Ok(below)
    }

    /// Every OU below the included ones, and the accounts of each.
    async fn finish(
        mut self,
        caller: &AccountClients,
        pf: &Preflight,
    ) -> Result<(Vec<RawAccount>, BTreeMap<String, String>), WorkerError> {
        let mut raw: Vec<RawAccount> = Vec::new();
        // An included OU below another included one is reached twice; its accounts read once.
        let mut accounts_read: BTreeSet<String> = BTreeSet::new();
        while let Some(ou) = self.queue.pop() {
            if !accounts_read.insert(ou.clone()) {
                continue;
            }
            if self.children_read.insert(ou.clone()) {
                let below = self.child_ous(&ou).await?;
                self.queue.extend(below);
            }
            for a in accounts_for_parent(&self.org, &ou).await? {
                if let Some(id) = a.id()
                    && !self.parent_of.contains_key(id)
                {
                    self.parent_of.insert(id.to_owned(), ou.clone());
                    raw.push(a);
                }
            }
        }
        let outside: Vec<String> = self
            .extra
            .iter()
            .filter(|a| !raw.iter().any(|r| r.id() == Some(a.as_str())))
            .cloned()
            .collect();
        if !outside.is_empty() {
            let (more, parents) = describe_accounts(caller, pf, &outside).await?;
            raw.extend(more);
            for (k, v) in parents {
                self.parent_of.entry(k).or_insert(v);
            }
        }
        Ok((raw, self.parent_of))
    }
}

/// [`discover_accounts`] of `--accounts`: the named accounts alone ([`describe_accounts`]).
pub(crate) async fn discover_only(
    cfg: &Config,
    caller: &AccountClients,
    pf: &Preflight,
    ids: &[String],
) -> Result<Discovery, EngineError> {
    let topology = choose_topology(cfg, caller, pf).await?;
    let (raw, parent_of) = describe_accounts(caller, pf, ids)
        .await
        .map_err(listing_failed)?;
    Ok(decide(cfg, pf, &raw, &parent_of, topology))
}

/// `--accounts`: the named accounts alone, each read with `DescribeAccount` and its parent
/// chain up to the root (`ListParents`), instead of the organization's listing and OU tree: a
/// number of calls that does not depend on the organization's size. Returns them (in the order
/// given) and the parent of each account and OU on their chains.
pub(crate) async fn describe_accounts(
    caller: &AccountClients,
    pf: &Preflight,
    ids: &[String],
) -> Result<(Vec<RawAccount>, BTreeMap<String, String>), WorkerError> {
    let org = caller.organizations(pf.home_region.as_str());
    let mut raw = Vec::with_capacity(ids.len());
    let mut parent_of = BTreeMap::new();
    for id in ids {
        let described = match org.describe_account().account_id(id).send().await {
            Ok(d) => d,
            // An ID that is not (or no longer) in the organization is that account's skip, not
            // the run's failure: the others named go on.
            Err(e) if e.code() == Some("AccountNotFoundException") => {
                raw.push(
                    RawAccount::builder()
                        .id(id)
                        .status(aws_sdk_organizations::types::AccountStatus::from(
                            NOT_IN_ORGANIZATION,
                        ))
                        .build(),
                );
                continue;
            }
            Err(e) => return Err(WorkerError::from_sdk("organizations:DescribeAccount", &e)),
        };
        raw.extend(described.account);
        let mut node = id.to_string();
        // INVARIANT: the OU tree has no cycles; the bound only guards against a malformed answer.
        for _ in 0..64 {
            if parent_of.contains_key(&node) {
                break;
            }
            let parents = org
                .list_parents()
                .child_id(&node)
                .send()
                .await
                .map_err(|e| WorkerError::from_sdk("organizations:ListParents", &e))?;
            let Some(parent) = parents.parents().first() else {
                break;
            };
            let Some(pid) = parent.id() else { break };
            parent_of.insert(node.clone(), pid.to_owned());
            if parent.r#type() == Some(&aws_sdk_organizations::types::ParentType::Root) {
                break;
            }
            node = pid.to_owned();
        }
    }
    Ok((raw, parent_of))
}

/// Which accounts the run covers, and why the others are left out. `parent_of` may be empty when
/// `organization.include_ous` is (the OUs are then only shown, and filled in later).
pub(crate) fn decide(
    cfg: &Config,
    pf: &Preflight,
    raw: &[RawAccount],
    parent_of: &BTreeMap<String, String>,
    topology: Topology,
) -> Discovery {
    let include: BTreeSet<&str> = cfg
        .organization
        .include_ous
        .iter()
        .map(String::as_str)
        .collect();
    let exclude: BTreeSet<&str> = cfg
        .organization
        .exclude_accounts
        .iter()
        .map(|a| a.as_str())
        .collect();
    let accounts = raw
        .iter()
        .filter_map(|a| {
            let id = a.id()?.to_owned();
            let status = a
                .status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|| "UNKNOWN".into());
            let is_hub = id == pf.hub.as_str();
            let ou = parent_of.get(&id).cloned();
            let skip_reason = skip_reason(&id, &status, is_hub, &include, &exclude, parent_of);
            Some(DiscoveredAccount {
                name: a.name().unwrap_or_default().to_owned(),
                email: a.email().unwrap_or_default().to_owned(),
                id,
                status,
                ou,
                is_hub,
                skip_reason,
                joined: a.joined_timestamp().map(aws_smithy_types::DateTime::secs),
            })
        })
        .collect();
    Discovery {
        organization_id: pf.org_id.to_string(),
        management_account_id: pf.management.to_string(),
        hub_account_id: pf.hub.to_string(),
        accounts,
        topology,
    }
}

/// Why an account is left out, if it is. The hub is always covered.
pub(crate) fn skip_reason(
    id: &str,
    status: &str,
    is_hub: bool,
    include: &BTreeSet<&str>,
    exclude: &BTreeSet<&str>,
    parent_of: &BTreeMap<String, String>,
) -> Option<String> {
    if is_hub {
        return None;
    }
    if status == NOT_IN_ORGANIZATION {
        return Some(
            "not an account of the organization (DescribeAccount: AccountNotFoundException); check the ID"
                .to_owned(),
        );
    }
    if status != "ACTIVE" {
        return Some(format!(
            "account status is {status}; only ACTIVE accounts are onboarded"
        ));
    }
    if exclude.contains(id) {
        return Some("listed in `organization.exclude_accounts`".to_owned());
    }
    if include.is_empty() {
        return None;
    }
    // INVARIANT: the OU tree has no cycles; the bound only guards against a malformed answer.
    let mut node = id;
    for _ in 0..64 {
        match parent_of.get(node) {
            Some(p) if include.contains(p.as_str()) => return None,
            Some(p) => node = p,
            None => break,
        }
    }
    Some("outside the OUs in `organization.include_ous`".to_owned())
}

pub(crate) async fn choose_topology(
    cfg: &Config,
    caller: &AccountClients,
    pf: &Preflight,
) -> Result<Topology, EngineError> {
    let Some(export) = cfg.guardduty.as_ref().map(|g| g.export) else {
        return Ok(Topology::PerAccount);
    };
    // An administrator the tool manages: checked (and designated where missing) by
    // `gd_admin.rs`; the topology is known from the configuration.
    if let Some(admin) = cfg
        .guardduty
        .as_ref()
        .and_then(|g| g.admin_account_id.as_ref())
    {
        return Ok(Topology::DelegatedAdmin {
            admin_account_id: admin.to_string(),
        });
    }
    if export == ExportMode::PerAccount {
        return Ok(Topology::PerAccount);
    }
    let gd = caller.guardduty(pf.home_region.as_str());
    let admins = gd
        .list_organization_admin_accounts()
        .send()
        .await
        .map_err(|e| WorkerError::from_sdk("guardduty:ListOrganizationAdminAccounts", &e));
    let admin = match admins {
        Ok(out) => out
            .admin_accounts()
            .iter()
            .find(|a| a.admin_status().is_some_and(|s| s.as_str() == "ENABLED"))
            .and_then(|a| a.admin_account_id().map(str::to_owned)),
        // Only the management account may list them; a delegated-admin hub falls back.
        Err(e) if export == ExportMode::Auto => {
            tracing::debug!(code = %e.code, "cannot list GuardDuty administrators; exporting per account");
            None
        }
        Err(e) => {
            return Err(pre_sdk(
                "guardduty:ListOrganizationAdminAccounts",
                "the GuardDuty administrator cannot be read",
            )(e));
        }
    };
    topology_for(export, admin)
}

/// The topology for a configured export mode and the GuardDuty administrator found, if any.
pub(crate) fn topology_for(
    mode: ExportMode,
    admin: Option<String>,
) -> Result<Topology, EngineError> {
    match (mode, admin) {
        (ExportMode::PerAccount, _) | (ExportMode::Auto, None) => Ok(Topology::PerAccount),
        (ExportMode::Auto | ExportMode::DelegatedAdmin, Some(admin_account_id)) => {
            Ok(Topology::DelegatedAdmin { admin_account_id })
        }
        (ExportMode::DelegatedAdmin, None) => Err(pre(
            "`guardduty.export = \"delegated-admin\"` but the organization has no GuardDuty delegated administrator; designate one or use `auto`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topology_follows_the_mode_and_the_administrator() {
        assert_eq!(
            topology_for(ExportMode::Auto, None).unwrap(),
            Topology::PerAccount
        );
        assert_eq!(
            topology_for(ExportMode::Auto, Some("111111111111".into())).unwrap(),
            Topology::DelegatedAdmin {
                admin_account_id: "111111111111".into()
            }
        );
        assert_eq!(
            topology_for(ExportMode::PerAccount, Some("111111111111".into())).unwrap(),
            Topology::PerAccount
        );
        assert!(matches!(
            topology_for(ExportMode::DelegatedAdmin, None),
            Err(EngineError::Preflight { .. })
        ));
    }

    #[test]
    fn accounts_are_filtered_by_status_exclusion_and_nested_ou() {
        let parents: BTreeMap<String, String> = [
            ("111111111111", "ou-b"),
            ("222222222222", "r-root"),
            ("ou-b", "ou-a"),
            ("ou-a", "r-root"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        let include: BTreeSet<&str> = ["ou-a"].into();
        let none = BTreeSet::new();
        assert_eq!(
            skip_reason("111111111111", "ACTIVE", false, &include, &none, &parents),
            None
        );
        assert!(skip_reason("222222222222", "ACTIVE", false, &include, &none, &parents).is_some());
        assert!(
            skip_reason("111111111111", "SUSPENDED", false, &none, &none, &parents)
                .unwrap()
                .contains("SUSPENDED")
        );
        let excl: BTreeSet<&str> = ["111111111111"].into();
        assert!(skip_reason("111111111111", "ACTIVE", false, &none, &excl, &parents).is_some());
        assert_eq!(
            skip_reason("222222222222", "SUSPENDED", true, &include, &excl, &parents),
            None
        );
    }
}
