//! The skeleton every command shares: start (progress, call counters, preflight), the clients
//! of each account (the caller's own for the hub, the access role assumed for a member: paced,
//! asked again while the hub's STS throttles), a bounded, ordered `for_each_account`, and the
//! totals at the end (API calls per service, SDK retries, throttling answers). Apply, plan,
//! verify and offboard (and its plan) all run on it, so they are paced, retried and counted alike.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use account_worker::{Consistency, WorkerError};
use futures::StreamExt;

use super::discovery::{self, Preflight};
use super::resources::Place;
use super::{DiscoveredAccount, EngineError, RunContext};
use crate::aws::{AccountClients, AssumedRole, SESSION_NAME, credentials_from_sts};
use crate::config::Config;

/// API calls, retries and throttles of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    /// Calls per service (`iam`, `s3`, ...), only services that were called.
    pub(crate) api_calls: BTreeMap<String, u64>,
    /// Attempts the SDK retried.
    pub(crate) retries: u64,
    /// Throttling answers.
    pub(crate) throttles: u64,
}

/// One run of a command, after preflight.
pub(crate) struct Run<'a> {
    pub(crate) cfg: &'a Config,
    pub(crate) ctx: &'a RunContext,
    /// What preflight established (caller, organization, home Region).
    pub(crate) pf: Preflight,
    /// The caller's clients: organization-level calls (listing, the trail, GuardDuty's
    /// administrator) and, when the caller is covered, its own account's steps.
    pub(crate) caller: AccountClients,
    /// The hub's clients: the caller's when the hub is the caller's account, else the access role
    /// assumed in the hub (checked in preflight, before anything is written).
    pub(crate) hub: AccountClients,
    /// How long steps wait for eventual consistency.
    pub(crate) consistency: Consistency,
    /// The caller's STS client in the home Region, built once: every member's credential
    /// provider keeps a clone (cheap) instead of a client of its own (which, at 1,000 accounts,
    /// was the largest part of the peak memory).
    hub_sts: crate::aws::sdk::sts::Client,
    start: Totals,
    /// Whether each account's Region status can be read (`regions.rs`).
    pub(crate) region_status: super::regions::RegionStatus,
    /// The Region of the GuardDuty findings bucket: an adopted bucket's own (`GetBucketLocation`),
    /// else the home Region. Its topic and key live there too (S3 notifies only a topic of the
    /// bucket's Region; GuardDuty needs the key in the bucket's Region).
    pub(crate) findings_region: policy_model::Region,
    /// Whether the findings bucket existed when the run started (the same `GetBucketLocation`
    /// answer: no second read is needed to know).
    pub(crate) findings_bucket_found: bool,
    /// `--accounts`: the accounts the run works on, GuardDuty's managed administrator added
    /// (it adds them as members); `None`: the whole organization.
    pub(crate) only: Option<Vec<String>>,
}

fn totals_now(ctx: &RunContext) -> Totals {
    let stats = ctx.aws.stats();
    Totals {
        api_calls: stats.calls(),
        retries: stats.retries(),
        throttles: stats.throttles(),
    }
}

impl<'a> Run<'a> {
    /// Attaches the progress display, takes the counters' starting values and runs preflight
    /// (nothing is written before it passed).
    pub(crate) async fn start(cfg: &'a Config, ctx: &'a RunContext) -> Result<Self, EngineError> {
        ctx.aws.attach_progress(Arc::clone(&ctx.progress));
        let start = totals_now(ctx);
        let pf = discovery::preflight(cfg, &ctx.aws.caller("hub")).await?;
        let caller = ctx.aws.caller(pf.caller.as_str());
        let hub_sts = caller.sts(pf.home_region.as_str());
        let mut run = Self {
            cfg,
            ctx,
            pf,
            hub: caller.clone(),
            caller,
            consistency: ctx.consistency(cfg),
            hub_sts,
            start,
            region_status: super::regions::RegionStatus::default(),
            findings_region: cfg.organization.home_region.clone(),
            findings_bucket_found: false,
            only: ctx.only.as_ref().map(|ids| {
                let mut ids: Vec<String> = ids.iter().map(|a| a.as_str().to_owned()).collect();
                if let Some(a) = cfg
                    .guardduty
                    .as_ref()
                    .and_then(|g| g.admin_account_id.as_ref())
                    && !ids.iter().any(|i| i == a.as_str())
                {
                    ids.push(a.as_str().to_owned());
                }
                ids
            }),
        };
        if run.pf.hub != run.pf.caller {
            let hub = run.pf.hub.clone();
            run.hub = run.assume(hub.as_str()).await.map_err(|e| {
                EngineError::Preflight {
                    message: format!(
                        "the hub `{hub}` cannot be reached through `{}`: {} failed ({}): {}; `organization.access_role_name` must name a role of the hub that the management account may assume (Control Tower: `AWSControlTowerExecution`)",
                        run.access_role_arn(hub.as_str()),
                        e.operation,
                        e.code,
                        e.message
                    ),
                }
            })?;
        }
        if let Some(gd) = &cfg.guardduty {
            let bucket = super::resources::bucket::Bucket {
                place: run.hub_place(account_worker::Mode::Plan),
                name: &gd.bucket,
            };
            if let Some(region) = bucket.region().await? {
                run.findings_region = region;
                run.findings_bucket_found = true;
            }
        }
        Ok(run)
    }

    /// Where the GuardDuty findings store lives: the hub's account, the findings bucket's Region.
    pub(crate) fn findings_place(&self, mode: account_worker::Mode) -> Place<'_> {
        Place {
            clients: &self.hub,
            account: &self.pf.hub,
            region: &self.findings_region,
            mode,
            consistency: &self.consistency,
        }
    }

    /// Where a hub resource lives: the hub's account and clients, the home Region.
    pub(crate) fn hub_place(&self, mode: account_worker::Mode) -> Place<'_> {
        Place {
            clients: &self.hub,
            account: &self.pf.hub,
            region: &self.pf.home_region,
            mode,
            consistency: &self.consistency,
        }
    }

    /// Where an organization-level resource (the organization trail) lives: the caller's
    /// account and clients, the home Region.
    pub(crate) fn caller_place(&self, mode: account_worker::Mode) -> Place<'_> {
        Place {
            clients: &self.caller,
            account: &self.pf.caller,
            region: &self.pf.home_region,
            mode,
            consistency: &self.consistency,
        }
    }

    /// Where a resource of `account` lives when it is the hub's or the caller's (an existing
    /// trail's bucket or key): that account's clients, the home Region.
    pub(crate) fn place_of(&self, account: &str, mode: account_worker::Mode) -> Place<'_> {
        if account == self.pf.hub.as_str() {
            self.hub_place(mode)
        } else {
            self.caller_place(mode)
        }
    }

    /// Where a resource of `account` (the hub's or the caller's) lives in `region`: an existing
    /// trail's bucket, topic or key, which may be in another Region than the home Region.
    pub(crate) fn place_in<'p>(
        &'p self,
        account: &str,
        region: &'p policy_model::Region,
        mode: account_worker::Mode,
    ) -> Place<'p> {
        Place {
            region,
            ..self.place_of(account, mode)
        }
    }

    fn access_role_arn(&self, account: &str) -> String {
        let partition = self.pf.home_region.partition();
        format!(
            "arn:{partition}:iam::{account}:role/{}",
            self.cfg.organization.access_role_name
        )
    }

    /// The home Region.
    pub(crate) fn home(&self) -> &str {
        self.pf.home_region.as_str()
    }

    /// The clients of `account`: the caller's own for the caller's account, the hub's for the
    /// hub; for a member, the access role assumed through the caller's STS (once per run; the
    /// provider refreshes the credentials before they expire).
    pub(crate) async fn clients_of(
        &self,
        account: &DiscoveredAccount,
    ) -> Result<AccountClients, WorkerError> {
        if account.id == self.pf.caller.as_str() {
            return Ok(self.caller.clone());
        }
        if account.id == self.pf.hub.as_str() {
            return Ok(self.hub.clone());
        }
        self.assume(&account.id).await
    }

    /// The access role of `account`, assumed through the caller's STS. When that STS keeps
    /// throttling beyond the SDK's own attempts, the account waits (capped backoff, within
    /// `run.consistency_timeout_s`) and asks again rather than failing.
    async fn assume(&self, account: &str) -> Result<AccountClients, WorkerError> {
        let role_arn = self.access_role_arn(account);
        let sts = self.hub_sts.clone();
        let out = account_worker::with_propagation_retries(
            &self.consistency,
            "the hub's STS to stop throttling",
            std::time::Instant::now(),
            || async {
                sts.assume_role()
                    .role_arn(&role_arn)
                    .role_session_name(SESSION_NAME)
                    .send()
                    .await
                    .map_err(|e| WorkerError::from_sdk("sts:AssumeRole", &e))
            },
            |e| e.kind == account_worker::ErrorKind::Throttled,
        )
        .await?;
        let creds = out.credentials.ok_or_else(|| {
            WorkerError::new(
                account_worker::ErrorKind::Other,
                "sts:AssumeRole",
                "NoCredentials",
                "STS returned no credentials",
            )
        })?;
        let provider = AssumedRole::new(
            sts,
            role_arn,
            SESSION_NAME.to_owned(),
            credentials_from_sts(&creds),
        );
        Ok(self.ctx.aws.for_account(account, provider))
    }

    /// Runs `work` on each item, `concurrency` at a time, as the progress phase `phase`; the
    /// results keep the items' order. One item's failure is its own result: it never stops the
    /// others.
    pub(crate) async fn for_each_account<I, T, F, Fut>(
        &self,
        phase: &str,
        items: Vec<I>,
        work: F,
    ) -> Vec<T>
    where
        F: Fn(I) -> Fut,
        Fut: Future<Output = T>,
    {
        let progress = self.ctx.progress.as_ref();
        progress.phase(phase, items.len() as u64);
        let work = &work;
        let mut done: Vec<(usize, T)> = futures::stream::iter(items.into_iter().enumerate())
            .map(|(i, item)| async move {
                let out = work(item).await;
                progress.advance(1);
                (i, out)
            })
            .buffer_unordered(self.ctx.concurrency.max(1))
            .collect()
            .await;
        progress.finish();
        done.sort_by_key(|(i, _)| *i);
        done.into_iter().map(|(_, t)| t).collect()
    }

    /// The API calls, retries and throttles since [`Run::start`].
    pub(crate) fn totals(&self) -> Totals {
        let now = totals_now(self.ctx);
        Totals {
            api_calls: now
                .api_calls
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v - self.start.api_calls.get(k).copied().unwrap_or(0),
                    )
                })
                .filter(|(_, v)| *v > 0)
                .collect(),
            retries: now.retries - self.start.retries,
            throttles: now.throttles - self.start.throttles,
        }
    }
}
