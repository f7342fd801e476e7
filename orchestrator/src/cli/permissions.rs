//! `permissions`: the IAM policies the tool itself needs (for every command, or for one with
//! `--for`) and the permissions table of Radiant's roles, from `orchestrator::permissions`. With
//! `-c`, the configuration's partition and role names, and the caller's policy scoped to its log
//! buckets; without, the default role names and the caller's actions on any resource. It makes no
//! AWS call.

use std::path::Path;

use super::args::OutputFormat;
use super::context;
use super::error::{CliError, EXIT_OK};
use super::output::write_out;
use crate::render;

pub(super) fn run(
    config: Option<&Path>,
    output: OutputFormat,
    command: Option<orchestrator::permissions::Command>,
) -> Result<u8, CliError> {
    let (partition, access, hub, member, names) = match config {
        Some(path) => {
            let c = context::load(path)?.config;
            // The log buckets by name, unless a reused trail's bucket (known only when the trail
            // is read) is among them; topics stay any name: a customer's topic that already gets
            // the bucket's notifications may be reused.
            let mut buckets = Vec::new();
            let mut known = true;
            if let Some(ct) = &c.cloudtrail {
                match ct.new_trail() {
                    Some(nt) => {
                        buckets.push(nt.bucket.to_string());
                        buckets.extend(nt.access_logs_bucket.iter().map(ToString::to_string));
                    }
                    None => known = false,
                }
            }
            buckets.extend(c.guardduty.iter().map(|g| g.bucket.to_string()));
            let names = orchestrator::permissions::Names {
                buckets: known.then_some(buckets),
                topics: None,
            };
            (
                policy_model::Partition::of_region(&c.organization.home_region),
                c.organization.access_role_name,
                c.radiant.role_name,
                c.radiant.member_role_name,
                Some(names),
            )
        }
        None => (
            policy_model::Partition::Aws,
            "OrganizationAccountAccessRole".to_owned(),
            "radiant-aws-access-role".to_owned(),
            "radiant-aws-member-role".to_owned(),
            None,
        ),
    };
    match output {
        OutputFormat::Json => write_out(|o| {
            writeln!(
                o,
                "{}",
                serde_json::to_string_pretty(&render::permissions_json(
                    partition,
                    &access,
                    &hub,
                    &member,
                    command,
                    names.as_ref()
                ))
                .unwrap_or_default()
            )
        })?,
        OutputFormat::Human => {
            write_out(|o| {
                render::permissions_human(
                    o,
                    partition,
                    &access,
                    &hub,
                    &member,
                    command,
                    names.as_ref(),
                )
            })?;
        }
    }
    Ok(EXIT_OK)
}
