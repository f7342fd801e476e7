//! What the member role's StackSet changes: trusted access, the StackSet and its template, the
//! stack instances of covered accounts without one (and of excluded ones that automatic
//! deployment reached anyway), each operation waited for with a progress bar over its
//! instances and bounded in time, and the removal of the instances and the StackSet (offboard,
//! or the switch back to direct roles).

use policy_model::PolicyDocument;

use super::*;

impl MemberStackSet<'_> {
    /// Trusted access, the StackSet and its template. Returns the StackSet as it is now (for a
    /// plan, as it would be: `None` when it would be created) and what the update of its
    /// instances left (each account whose instance was not updated, with the reason).
    pub(crate) async fn ensure_stack_set(
        &self,
        log: &mut HubLog,
        wants: &StackSetWants,
        access: bool,
        timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<(Option<StackSetState>, OperationOutcome), EngineError> {
        let resource = self.resource();
        let apply = self.place.apply();
        if !access {
            let what = format!("{resource}#trusted-access");
            log.journal.changes.push(Change::new(
                &what,
                ChangeAction::Create,
                None,
                Some(serde_json::json!({ "ServicePrincipal": STACKSETS_PRINCIPAL })),
                "StackSets' trusted access with Organizations is off: a service-managed StackSet needs it (ActivateOrganizationsAccess)",
            ));
            if apply {
                self.cf()
                    .activate_organizations_access()
                    .send()
                    .await
                    .map_err(hub_sdk("cloudformation:ActivateOrganizationsAccess", &what))?;
            }
            log.record(
                &what,
                "stacksets-trusted-access",
                changed_status(self.place.mode, true),
                None,
            );
        }
        // Read even with trusted access off: turning it off leaves the StackSet in place.
        let current = self.read().await?;
        if current.as_ref().is_some_and(|s| !s.ours) {
            return Err(EngineError::Hub {
                operation: "cloudformation:DescribeStackSet".to_owned(),
                resource,
                kind: account_worker::ErrorKind::InvalidState,
                message: StackSetState::foreign(self.name),
            });
        }
        let body = wants.template.to_string();
        match &current {
            None => {
                log.journal.changes.push(Change::new(
                    &resource,
                    ChangeAction::Create,
                    None,
                    Some(serde_json::json!({
                        "PermissionModel": "SERVICE_MANAGED",
                        "AutoDeployment": { "Enabled": true, "RetainStacksOnAccountRemoval": false },
                        "ManagedExecution": { "Active": true },
                        "Capabilities": ["CAPABILITY_NAMED_IAM"],
                        "TemplateBody": wants.template,
                    })),
                    "the member role's StackSet does not exist",
                ));
                log.journal
                    .changes
                    .extend(template_documents(&resource, None, &wants.template));
                if apply {
                    self.cf()
                        .create_stack_set()
                        .stack_set_name(self.name)
                        .description(STACKSET_DESCRIPTION)
                        .template_body(&body)
                        .capabilities(Capability::CapabilityNamedIam)
                        .permission_model(PermissionModels::ServiceManaged)
                        .auto_deployment(
                            AutoDeployment::builder()
                                .enabled(true)
                                .retain_stacks_on_account_removal(false)
                                .build(),
                        )
                        .managed_execution(ManagedExecution::builder().active(true).build())
                        .call_as(self.admin.call_as())
                        .send()
                        .await
                        .map_err(hub_sdk("cloudformation:CreateStackSet", &resource))?;
                }
                log.record(
                    &resource,
                    "cloudformation-stackset",
                    changed_status(self.place.mode, true),
                    None,
                );
                if apply {
                    return Ok((self.read().await?, OperationOutcome::default()));
                }
                Ok((None, OperationOutcome::default()))
            }
            Some(state) => {
                let template_ok = same_template(&state.template_body, &wants.template);
                let auto_ok = state.auto_deployment == (true, false);
                if template_ok && auto_ok {
                    log.record(
                        &resource,
                        "cloudformation-stackset",
                        ResourceStatus::Unchanged,
                        None,
                    );
                    return Ok((current, OperationOutcome::default()));
                }
                if !template_ok {
                    let before = serde_json::from_str(&state.template_body)
                        .unwrap_or(serde_json::Value::String(state.template_body.clone()));
                    log.journal.changes.push(Change::new(
                        format!("{resource}#template"),
                        ChangeAction::Update,
                        Some(before),
                        Some(wants.template.clone()),
                        "the member role's template differs from the documents the configuration describes: every instance is updated",
                    ));
                    let current = serde_json::from_str(&state.template_body).ok();
                    log.journal.changes.extend(template_documents(
                        &resource,
                        current.as_ref(),
                        &wants.template,
                    ));
                }
                if !auto_ok {
                    log.journal.changes.push(Change::new(
                        format!("{resource}#auto-deployment"),
                        ChangeAction::Update,
                        Some(serde_json::json!({
                            "Enabled": state.auto_deployment.0,
                            "RetainStacksOnAccountRemoval": state.auto_deployment.1,
                        })),
                        Some(serde_json::json!({
                            "Enabled": true,
                            "RetainStacksOnAccountRemoval": false,
                        })),
                        "accounts that join the covered OUs get their role only with automatic deployment",
                    ));
                }
                let mut updated = OperationOutcome::default();
                if apply {
                    let mut update = self
                        .cf()
                        .update_stack_set()
                        .stack_set_name(self.name)
                        .description(STACKSET_DESCRIPTION)
                        .template_body(&body)
                        .capabilities(Capability::CapabilityNamedIam)
                        .operation_preferences(preferences())
                        .call_as(self.admin.call_as());
                    if !auto_ok {
                        update = update.auto_deployment(
                            AutoDeployment::builder()
                                .enabled(true)
                                .retain_stacks_on_account_removal(false)
                                .build(),
                        );
                    }
                    let op = update
                        .send()
                        .await
                        .map_err(hub_sdk("cloudformation:UpdateStackSet", &resource))?;
                    let op = op.operation_id().unwrap_or_default().to_owned();
                    updated = self
                        .wait(&op, state.instances.len() as u64, timeout, progress)
                        .await?;
                }
                log.record(
                    &resource,
                    "cloudformation-stackset",
                    changed_status(self.place.mode, false),
                    None,
                );
                if apply {
                    Ok((self.read().await?, updated))
                } else {
                    Ok((current, updated))
                }
            }
        }
    }

    /// Stack instances for `missing` (covered accounts without a current instance), targeting
    /// the OUs: all of them with `DIFFERENCE` when every covered account is missing (the first
    /// deployment), else exactly these accounts (`INTERSECTION`). Waits for the operation and
    /// returns each failed account with its status reason.
    pub(crate) async fn ensure_instances(
        &self,
        log: &mut HubLog,
        wants: &StackSetWants,
        missing: &[String],
        first_deployment: bool,
        timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<OperationOutcome, EngineError> {
        if missing.is_empty() {
            return Ok(OperationOutcome::default());
        }
        let resource = format!("{}#instances", self.resource());
        let (accounts, filter) = if first_deployment {
            (wants.excluded.clone(), AccountFilterType::Difference)
        } else {
            (missing.to_vec(), AccountFilterType::Intersection)
        };
        let filter = if accounts.is_empty() {
            AccountFilterType::None
        } else {
            filter
        };
        log.journal.changes.push(Change::new(
            &resource,
            ChangeAction::Create,
            None,
            Some(serde_json::json!({
                "OrganizationalUnitIds": wants.targets,
                "Accounts": accounts,
                "AccountFilterType": filter.as_str(),
                "Regions": [self.place.region.as_str()],
                "NewInstances": missing,
            })),
            format!(
                "{} covered accounts have no current stack instance: CloudFormation deploys the member role there",
                missing.len()
            ),
        ));
        if !self.place.apply() {
            log.record(
                &resource,
                "cloudformation-stack-instances",
                ResourceStatus::Planned,
                None,
            );
            return Ok(OperationOutcome::default());
        }
        let mut targets = DeploymentTargets::builder()
            .set_organizational_unit_ids(Some(wants.targets.clone()))
            .account_filter_type(filter.clone());
        if filter != AccountFilterType::None {
            targets = targets.set_accounts(Some(accounts));
        }
        let op = self
            .cf()
            .create_stack_instances()
            .stack_set_name(self.name)
            .deployment_targets(targets.build())
            .regions(self.place.region.as_str())
            .operation_preferences(preferences())
            .call_as(self.admin.call_as())
            .send()
            .await
            .map_err(hub_sdk("cloudformation:CreateStackInstances", &resource))?;
        let op = op.operation_id().unwrap_or_default().to_owned();
        let outcome = self
            .wait(&op, missing.len() as u64, timeout, progress)
            .await?;
        log.record(
            &resource,
            "cloudformation-stack-instances",
            if outcome.ok() {
                ResourceStatus::Created
            } else {
                ResourceStatus::Failed
            },
            (!outcome.ok()).then(|| {
                format!(
                    "{} instances failed{}",
                    outcome.failed.len(),
                    outcome
                        .operation_failed
                        .as_deref()
                        .map(|r| format!("; {r}"))
                        .unwrap_or_default()
                )
            }),
        );
        Ok(outcome)
    }

    /// Removes the stack instances of `accounts` (excluded by the configuration: automatic
    /// deployment ignores the StackSet's account filter, AWS documents, so an excluded account
    /// that joins a covered OU gets an instance, which would widen Radiant's access).
    pub(crate) async fn remove_instances(
        &self,
        log: &mut HubLog,
        wants: &StackSetWants,
        accounts: &[String],
        timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<OperationOutcome, EngineError> {
        if accounts.is_empty() {
            return Ok(OperationOutcome::default());
        }
        let resource = format!("{}#instances", self.resource());
        log.journal.changes.push(Change::new(
            &resource,
            ChangeAction::Delete,
            Some(serde_json::json!({
                "OrganizationalUnitIds": wants.targets,
                "Accounts": accounts,
                "AccountFilterType": "INTERSECTION",
            })),
            None,
            "accounts the configuration excludes got a stack instance from automatic deployment (which ignores account filters): their instance and role are removed",
        ));
        log.record(
            &resource,
            "cloudformation-stack-instances",
            self.place.status(ResourceStatus::Deleted),
            None,
        );
        if !self.place.apply() {
            return Ok(OperationOutcome::default());
        }
        let op = self
            .cf()
            .delete_stack_instances()
            .stack_set_name(self.name)
            .deployment_targets(
                DeploymentTargets::builder()
                    .set_organizational_unit_ids(Some(wants.targets.clone()))
                    .set_accounts(Some(accounts.to_vec()))
                    .account_filter_type(AccountFilterType::Intersection)
                    .build(),
            )
            .regions(self.place.region.as_str())
            .retain_stacks(false)
            .operation_preferences(preferences())
            .call_as(self.admin.call_as())
            .send()
            .await
            .map_err(hub_sdk("cloudformation:DeleteStackInstances", &resource))?;
        let op = op.operation_id().unwrap_or_default().to_owned();
        self.wait(&op, accounts.len() as u64, timeout, progress)
            .await
    }

    /// Waits for the operation `op` (over `total` accounts) to end, at most `timeout`, with a
    /// progress bar over its stack instances (their results, read while it runs). The accounts
    /// whose instance did not succeed are returned with their reason; an operation still
    /// running at the deadline is a failure under the empty account ID.
    pub(super) async fn wait(
        &self,
        op: &str,
        total: u64,
        timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<OperationOutcome, EngineError> {
        let resource = self.resource();
        let cf = self.cf();
        let started = Instant::now();
        let mut pause = Duration::from_millis(500);
        let mut shown = 0;
        progress.phase("stack instances", total);
        let outcome = loop {
            let out = cf
                .describe_stack_set_operation()
                .stack_set_name(self.name)
                .operation_id(op)
                .call_as(self.admin.call_as())
                .send()
                .await
                .map_err(hub_sdk(
                    "cloudformation:DescribeStackSetOperation",
                    &resource,
                ))?;
            let status = out
                .stack_set_operation()
                .and_then(|o| o.status())
                .cloned()
                .unwrap_or(StackSetOperationStatus::Running);
            let done = matches!(
                status,
                StackSetOperationStatus::Succeeded
                    | StackSetOperationStatus::Failed
                    | StackSetOperationStatus::Stopped
            );
            let results = self.results(op).await?;
            let finished = results.len() as u64;
            progress.advance(finished.saturating_sub(shown));
            shown = shown.max(finished);
            let timed_out = !done && started.elapsed() >= timeout;
            if done || timed_out {
                let mut outcome = OperationOutcome::default();
                for (account, (ok, reason)) in results {
                    if ok {
                        outcome.succeeded.insert(account);
                    } else {
                        outcome.failed.insert(account, reason);
                    }
                }
                if timed_out {
                    outcome.operation_failed = Some(format!(
                        "the StackSet operation `{op}` did not end within {} s (`[members] operation_timeout_s`); it goes on in CloudFormation: run apply again once it has ended",
                        timeout.as_secs()
                    ));
                } else if status != StackSetOperationStatus::Succeeded {
                    // A FAILED or STOPPED operation may name no account (e.g. it failed before
                    // reaching any): every account it did not finish fails with its reason.
                    let reason = out
                        .stack_set_operation()
                        .and_then(|o| o.status_reason())
                        .filter(|r| !r.is_empty())
                        .map_or_else(|| "no reason given".to_owned(), str::to_owned);
                    outcome.operation_failed = Some(format!(
                        "the StackSet operation `{op}` ended {}: {reason}",
                        status.as_str()
                    ));
                }
                break outcome;
            }
            // Polling an external operation, bounded by `timeout` (not a consistency wait).
            tokio::time::sleep(pause.min(timeout.saturating_sub(started.elapsed()))).await;
            pause = (pause * 2).min(Duration::from_secs(10));
        };
        progress.finish();
        Ok(outcome)
    }

    /// The operation's result per account: succeeded, or not with the reason.
    async fn results(&self, op: &str) -> Result<BTreeMap<String, (bool, String)>, EngineError> {
        let resource = self.resource();
        let cf = self.cf();
        let mut out = BTreeMap::new();
        let mut token = None;
        loop {
            let page = cf
                .list_stack_set_operation_results()
                .stack_set_name(self.name)
                .operation_id(op)
                .call_as(self.admin.call_as())
                .max_results(PAGE)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(hub_sdk(
                    "cloudformation:ListStackSetOperationResults",
                    &resource,
                ))?;
            for r in page.summaries() {
                let Some(account) = r.account() else { continue };
                let ok = matches!(r.status(), Some(StackSetOperationResultStatus::Succeeded));
                let reason = r.status_reason().unwrap_or_default().to_owned();
                let reason = if reason.is_empty() {
                    format!(
                        "the stack instance is {}",
                        r.status().map_or("unknown", |s| s.as_str())
                    )
                } else {
                    reason
                };
                out.insert(account.to_owned(), (ok, reason));
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// Offboard: every stack instance (its role with it), then the StackSet.
    pub(crate) async fn remove(
        &self,
        log: &mut HubLog,
        timeout: Duration,
        progress: &dyn Progress,
    ) -> Result<OperationOutcome, EngineError> {
        let resource = self.resource();
        let Some(state) = self.read().await? else {
            return Ok(OperationOutcome::default());
        };
        if !state.ours {
            log.record(
                &resource,
                "cloudformation-stackset",
                ResourceStatus::Unchanged,
                Some(StackSetState::foreign(self.name)),
            );
            return Ok(OperationOutcome::default());
        }
        let apply = self.place.apply();
        let mut outcome = OperationOutcome::default();
        if !state.instances.is_empty() {
            let what = format!("{resource}#instances");
            log.journal.changes.push(Change::new(
                &what,
                ChangeAction::Delete,
                Some(serde_json::json!({
                    "OrganizationalUnitIds": state.ou_ids,
                    "Accounts": state.instances.keys().collect::<Vec<_>>(),
                })),
                None,
                "the StackSet's instances (and the member role each deployed)",
            ));
            log.record(
                &what,
                "cloudformation-stack-instances",
                self.place.status(ResourceStatus::Deleted),
                None,
            );
            if apply {
                let op = self
                    .cf()
                    .delete_stack_instances()
                    .stack_set_name(self.name)
                    .deployment_targets(
                        DeploymentTargets::builder()
                            .set_organizational_unit_ids(Some(state.ou_ids.clone()))
                            .build(),
                    )
                    .regions(self.place.region.as_str())
                    .retain_stacks(false)
                    .operation_preferences(preferences())
                    .call_as(self.admin.call_as())
                    .send()
                    .await
                    .map_err(hub_sdk("cloudformation:DeleteStackInstances", &what))?;
                let op = op.operation_id().unwrap_or_default().to_owned();
                outcome = self
                    .wait(&op, state.instances.len() as u64, timeout, progress)
                    .await?;
                if !outcome.ok() {
                    return Ok(outcome);
                }
            }
        }
        log.journal.changes.push(Change::new(
            &resource,
            ChangeAction::Delete,
            None,
            None,
            "the member role's StackSet",
        ));
        log.record(
            &resource,
            "cloudformation-stackset",
            self.place.status(ResourceStatus::Deleted),
            None,
        );
        if apply {
            self.cf()
                .delete_stack_set()
                .stack_set_name(self.name)
                .call_as(self.admin.call_as())
                .send()
                .await
                .map_err(hub_sdk("cloudformation:DeleteStackSet", &resource))?;
        }
        Ok(outcome)
    }
}

/// The role's documents in the template (its trust policy and each inline policy), as policy
/// changes of their own: the plan shows them as statement diffs, and `policies` writes them. Only
/// the documents that differ from `current`'s (the template CloudFormation has).
fn template_documents(
    resource: &str,
    current: Option<&serde_json::Value>,
    desired: &serde_json::Value,
) -> Vec<Change> {
    let role = |t: &serde_json::Value| {
        t["Resources"][policy_model::template::MEMBER_ROLE_LOGICAL_ID]["Properties"].clone()
    };
    let doc = |v: &serde_json::Value| PolicyDocument::parse(&v.to_string()).ok();
    let (want, have) = (role(desired), current.map(role));
    let mut pairs = vec![(
        "trust".to_owned(),
        doc(&want["AssumeRolePolicyDocument"]),
        have.as_ref()
            .and_then(|h| doc(&h["AssumeRolePolicyDocument"])),
    )];
    for p in want["Policies"].as_array().into_iter().flatten() {
        let name = p["PolicyName"].as_str().unwrap_or_default().to_owned();
        let before = have.as_ref().and_then(|h| {
            h["Policies"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|q| q["PolicyName"] == p["PolicyName"])
                .and_then(|q| doc(&q["PolicyDocument"]))
        });
        pairs.push((format!("policy-{name}"), doc(&p["PolicyDocument"]), before));
    }
    pairs
        .into_iter()
        .filter_map(|(part, after, before)| {
            let after = after?;
            if before
                .as_ref()
                .is_some_and(|b| b.semantically_equal(&after))
            {
                return None;
            }
            Some(Change::policy(
                format!("{resource}#template-{part}"),
                before.as_ref(),
                &after,
                "the member role's document in the StackSet's template",
            ))
        })
        .collect()
}
