//! The Regions each account can be worked on in (`aws-facts.md`, "Opt-in Regions and
//! partitions"). When the configuration names an opt-in Region, each covered account's enabled
//! Regions are read once, from the management account (Account Management `ListRegions` with the
//! member's `AccountId`; without it for the caller's own account). A configured Region the account
//! has not enabled is skipped with the reason `region-disabled` (not a failure), and picked up by
//! the next run once enabled. When the Region status cannot be read (the caller is not the
//! management account, trusted access for `account.amazonaws.com` is off), the answers of the
//! Region itself decide: a token it refuses (`InvalidClientTokenId`, `UnrecognizedClientException`,
//! `AuthFailure`) is `region-disabled`, a service control policy's denial is `scp-denied`.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};

use account_worker::{ErrorKind, WorkerError};

use super::run::Run;

/// `ListRegions` answers at most 50 Regions a page.
const PAGE: i32 = 50;

/// Whether the Region status can be read at all (one refusal is enough to stop asking).
#[derive(Debug, Default)]
pub(crate) struct RegionStatus {
    unavailable: AtomicBool,
}

/// True when the configuration names an opt-in Region (otherwise nothing is read).
pub(crate) fn any_opt_in(run: &Run<'_>) -> bool {
    run.cfg
        .organization
        .regions
        .iter()
        .any(|r| policy_model::regions::is_opt_in(r.as_str()))
}

/// The Regions `account` has enabled, or `None` when that cannot be read.
pub(crate) async fn enabled(run: &Run<'_>, account: &str) -> Option<BTreeSet<String>> {
    if !any_opt_in(run) || run.region_status.unavailable.load(Ordering::Relaxed) {
        return None;
    }
    let client = run.caller.account(run.home());
    let mut out = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let mut req = client
            .list_regions()
            .region_opt_status_contains(aws_sdk_account::types::RegionOptStatus::Enabled)
            .region_opt_status_contains(aws_sdk_account::types::RegionOptStatus::EnabledByDefault)
            .max_results(PAGE)
            .set_next_token(token.take());
        if account != run.pf.caller.as_str() {
            req = req.account_id(account);
        }
        match req.send().await {
            Ok(page) => {
                out.extend(
                    page.regions()
                        .iter()
                        .filter_map(|r| r.region_name().map(str::to_owned)),
                );
                token = page.next_token().map(str::to_owned);
                if token.is_none() {
                    return Some(out);
                }
            }
            Err(e) => {
                let e = WorkerError::from_sdk("account:ListRegions", &e);
                if matches!(e.kind, ErrorKind::AccessDenied | ErrorKind::ScpDenied)
                    || e.code == "AccessDeniedException"
                {
                    run.region_status.unavailable.store(true, Ordering::Relaxed);
                }
                tracing::debug!(account, code = %e.code, "the Region status cannot be read; the Regions' own answers decide");
                return None;
            }
        }
    }
}

/// Why `region` is skipped in an account whose enabled Regions are `enabled`, if it is.
pub(crate) fn skip_before(region: &str, enabled: Option<&BTreeSet<String>>) -> Option<String> {
    let enabled = enabled?;
    (policy_model::regions::is_opt_in(region) && !enabled.contains(region)).then(|| {
        format!(
            "region-disabled: {region} is an opt-in Region the account has not enabled; enable it (`aws account enable-region --account-id ACCOUNT --region-name {region}`) and run again"
        )
    })
}

/// Why a Region whose call failed with `e` is skipped rather than failed, if it is.
pub(crate) fn skip_after(region: &str, e: &WorkerError) -> Option<String> {
    match e.kind {
        ErrorKind::RegionDisabled => Some(format!(
            "region-disabled: {region} refuses the account's token ({}): the Region is not enabled in the account",
            e.code
        )),
        ErrorKind::ScpDenied => Some(format!(
            "scp-denied: a service control policy denies {} in {region}",
            e.operation
        )),
        _ => None,
    }
}
