//! `cargo xtask bench [--quick | --only TEXT]`: how the cost of a run grows, measured against the
//! emulator (`--only` runs the scenarios whose name contains TEXT).
//!
//! For each scenario: a fresh emulator with the scenario's latency (and throttling), an
//! organization with nothing in place, `apply` once (first run) and again (re-run). Measured:
//! wall time, accounts per second, API calls per member account (reads and writes apart, from
//! the emulator's counters; attempts answered with an injected fault are counted apart), the binary's CPU time and peak RSS (`getrusage` of the child), the
//! emulator's CPU time, and the ratio to the lower bound
//! `max(latency x calls on the longest per-account path x accounts / concurrency, emulator CPU)`.
//! A sequential baseline (the same binary at `--concurrency 1`, one account at a time) runs on
//! one scenario for the speed-up column. Results go to `target/bench/results.{json,md}`; a full
//! run also rewrites `docs/benchmarks.md`. Budgets (issue 6) fail the command when broken.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use xshell::{Shell, cmd};

use crate::server::Server;

const CONCURRENCY: u64 = 32;
const ALL_REGIONS: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-2"];

#[derive(Clone)]
struct Scenario {
    name: String,
    accounts: u64,
    regions: usize,
    latency_ms: u64,
    throttle_rps: Option<u64>,
    concurrency: u64,
    /// GuardDuty through a managed delegated administrator (a member account).
    delegated_admin: bool,
}

impl Scenario {
    fn new(accounts: u64, regions: usize, latency_ms: u64) -> Scenario {
        Scenario {
            name: format!("{accounts} accounts x {regions} Regions, {latency_ms} ms"),
            accounts,
            regions,
            latency_ms,
            throttle_rps: None,
            concurrency: CONCURRENCY,
            delegated_admin: false,
        }
    }
    fn delegated_admin(mut self) -> Scenario {
        self.name
            .push_str(", GuardDuty through the delegated administrator");
        self.delegated_admin = true;
        self
    }
    fn throttled(mut self, rps: u64) -> Scenario {
        self.name
            .push_str(&format!(", throttled at {rps}/s per account and service"));
        self.throttle_rps = Some(rps);
        self
    }
    fn sequential(mut self) -> Scenario {
        self.name = format!("sequential baseline: {}", self.name);
        self.concurrency = 1;
        self
    }
}

fn matrix(quick: bool) -> Vec<Scenario> {
    if quick {
        let s = Scenario::new(20, 2, 10);
        return vec![s.clone(), s.sequential()];
    }
    vec![
        Scenario::new(100, 2, 50),
        Scenario::new(500, 2, 50),
        Scenario::new(1000, 2, 50),
        Scenario::new(500, 1, 50),
        Scenario::new(500, 3, 50),
        Scenario::new(500, 2, 0),
        Scenario::new(500, 2, 100),
        Scenario::new(500, 2, 50).throttled(20),
        Scenario::new(500, 3, 50).delegated_admin(),
        Scenario::new(100, 2, 50).sequential(),
    ]
}

pub fn bench(sh: &Shell, args: &[String]) -> Result<()> {
    let (quick, only) = match args {
        [] => (false, None),
        [flag] if flag == "--quick" => (true, None),
        [flag, pattern] if flag == "--only" => (false, Some(pattern.as_str())),
        other => bail!(
            "unexpected arguments {other:?}: usage `cargo xtask bench [--quick | --only TEXT]`"
        ),
    };
    let scenarios: Vec<Scenario> = matrix(quick)
        .into_iter()
        .filter(|s| only.is_none_or(|p| s.name.contains(p)))
        .collect();
    if scenarios.is_empty() {
        bail!(
            "no scenario name contains {only:?}; names are like `500 accounts x 2 Regions, 50 ms`"
        );
    }
    let root = crate::project_root();
    let python = crate::emulator::ensure_venv(sh)?;
    let binary = crate::release_binary(sh)?;
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out)?;
    let clk_tck: f64 = cmd!(sh, "getconf CLK_TCK")
        .read()?
        .trim()
        .parse()
        .unwrap_or(100.0);

    let mut results = Vec::new();
    for scenario in scenarios {
        println!("bench: {}", scenario.name);
        let result = run_scenario(&root, &python, &binary, &out, &scenario, clk_tck)?;
        println!("bench:   {}", summary_line(&result));
        results.push(result);
    }
    add_speedups(&mut results);
    let violations = budget_violations(&results);

    let report = json!({ "quick": quick, "scenarios": results, "budget_violations": violations });
    std::fs::write(
        out.join("results.json"),
        serde_json::to_string_pretty(&report)?,
    )?;
    let table = markdown_table(&results);
    std::fs::write(out.join("results.md"), &table)?;
    println!("\n{table}");
    // Only a run of the whole matrix replaces the published results.
    if !quick && only.is_none() {
        write_docs(&root, &table, &violations)?;
    }
    println!("bench: results in {}", out.join("results.json").display());
    if !violations.is_empty() {
        bail!("bench budgets broken:\n  - {}", violations.join("\n  - "));
    }
    Ok(())
}

fn run_scenario(
    root: &Path,
    python: &Path,
    binary: &Path,
    out: &Path,
    s: &Scenario,
    clk_tck: f64,
) -> Result<Value> {
    let mut flags = vec!["--latency-ms".to_owned(), s.latency_ms.to_string()];
    if let Some(rps) = s.throttle_rps {
        flags.extend([
            "--throttle".to_owned(),
            rps.to_string(),
            "--throttle-burst".to_owned(),
            rps.to_string(),
        ]);
    }
    let server = Server::start(root, python, &flags)?;
    let regions: Vec<&str> = ALL_REGIONS[..s.regions].to_vec();
    let seeded = server.post(
        "seed",
        &json!({ "accounts": s.accounts, "ous": 3, "regions": regions, "suspended": 0,
                 "existing_detectors": 0, "foreign_destinations": 0,
                 "trusted_services": ["cloudtrail.amazonaws.com"], "seed": 1 }),
    )?;
    let management = seeded["management_account_id"]
        .as_str()
        .unwrap_or("123456789012")
        .to_owned();
    // The administrator is a member account; its calls are counted apart, like the hub's.
    let admin = s
        .delegated_admin
        .then(|| seeded["accounts"][0]["id"].as_str().map(str::to_owned))
        .flatten();
    let config = out.join("onboard.toml");
    std::fs::write(
        &config,
        bench_config(&regions, s.concurrency, admin.as_deref()),
    )?;

    let mut runs = Vec::new();
    for label in ["first", "rerun"] {
        server.post("counters/reset", &json!({}))?;
        let emulator_cpu_before = process_cpu_seconds(server.pid(), clk_tck)?;
        let measured = measure(python, binary, &server, &config, &regions, out, label)?;
        let emulator_cpu = process_cpu_seconds(server.pid(), clk_tck)? - emulator_cpu_before;
        let counters = server.get("counters")?;
        runs.push(json!({
            "run": label,
            "exit_code": measured["rc"],
            "wall_s": measured["wall"],
            "cpu_s": measured["user"].as_f64().unwrap_or(0.0) + measured["sys"].as_f64().unwrap_or(0.0),
            "peak_rss_mb": measured["maxrss_kb"].as_f64().unwrap_or(0.0) / 1024.0,
            "emulator_cpu_s": emulator_cpu,
            "calls": per_account_calls(&counters, &management, admin.as_deref(), s.accounts),
        }));
    }
    drop(server);

    let first = &runs[0];
    let wall = first["wall_s"].as_f64().unwrap_or(0.0);
    let longest_path = first["calls"]["max_per_member"].as_f64().unwrap_or(0.0);
    let latency_bound =
        s.latency_ms as f64 / 1000.0 * longest_path * s.accounts as f64 / s.concurrency as f64;
    let emulator_bound = first["emulator_cpu_s"].as_f64().unwrap_or(0.0);
    let bound = latency_bound.max(emulator_bound);
    Ok(json!({
        "scenario": s.name,
        "accounts": s.accounts,
        "regions": s.regions,
        "latency_ms": s.latency_ms,
        "throttle_rps": s.throttle_rps,
        "concurrency": s.concurrency,
        "delegated_admin": s.delegated_admin,
        "accounts_per_s": if wall > 0.0 { s.accounts as f64 / wall } else { 0.0 },
        "latency_bound_s": latency_bound,
        "emulator_bound_s": emulator_bound,
        "ratio_to_bound": if bound > 0.0 { wall / bound } else { 0.0 },
        "first": runs[0],
        "rerun": runs[1],
    }))
}

/// Runs `radiant-onboard apply --yes` under a Python wrapper that reports the child's
/// `getrusage` (CPU time, peak RSS) and wall time as JSON.
fn measure(
    python: &Path,
    binary: &Path,
    server: &Server,
    config: &Path,
    regions: &[&str],
    out: &Path,
    label: &str,
) -> Result<Value> {
    const WRAPPER: &str = "import json,resource,subprocess,sys,time\n\
        log=open(sys.argv[1],'w')\n\
        t=time.monotonic()\n\
        r=subprocess.run(sys.argv[2:],stdout=log,stderr=subprocess.STDOUT)\n\
        w=time.monotonic()-t\n\
        u=resource.getrusage(resource.RUSAGE_CHILDREN)\n\
        print(json.dumps({'rc':r.returncode,'wall':w,'user':u.ru_utime,'sys':u.ru_stime,'maxrss_kb':u.ru_maxrss}))\n";
    let log = out.join(format!("{label}.log"));
    let report = out.join(format!("{label}-report.json"));
    let started = Instant::now();
    let output = Command::new(python)
        .arg("-c")
        .arg(WRAPPER)
        .arg(&log)
        .arg(binary)
        .args(["apply", "--yes", "--no-progress", "--config"])
        .arg(config)
        .arg("--report")
        .arg(&report)
        .envs(server.client_env(regions[0]))
        .env("RADIANT_EXTERNAL_ID", "bench-external-id-0001")
        .output()
        .context("running the measured apply")?;
    let value: Value = serde_json::from_slice(&output.stdout).with_context(|| {
        format!(
            "the measurement wrapper printed no result after {:?}",
            started.elapsed()
        )
    })?;
    if value["rc"] != json!(0) {
        bail!(
            "`radiant-onboard apply` ({label} run) exited with {}; see {}",
            value["rc"],
            log.display()
        );
    }
    Ok(value)
}

/// Calls per member account from the emulator's counters (the management account's own calls
/// are the hub's work and are reported apart).
fn per_account_calls(
    counters: &Value,
    management: &str,
    admin: Option<&str>,
    members: u64,
) -> Value {
    let mut per_account: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    let (mut hub_reads, mut hub_writes) = (0u64, 0u64);
    let (mut admin_reads, mut admin_writes) = (0u64, 0u64);
    let mut faulted = 0u64;
    for call in counters["calls"].as_array().into_iter().flatten() {
        // Attempts that got an injected fault (throttling, 500, dropped connection) instead of
        // an answer are the emulator's doing, not the product's: counted apart.
        let fault = call["faulted"].as_u64().unwrap_or(0);
        faulted += fault;
        let count = call["count"].as_u64().unwrap_or(0).saturating_sub(fault);
        let write = call["write"].as_bool().unwrap_or(false);
        let account = call["account"].as_str().unwrap_or_default();
        if account == management {
            if write {
                hub_writes += count
            } else {
                hub_reads += count
            }
            continue;
        }
        if Some(account) == admin {
            if write {
                admin_writes += count
            } else {
                admin_reads += count
            }
            continue;
        }
        let entry = per_account.entry(account.to_owned()).or_default();
        if write {
            entry.1 += count
        } else {
            entry.0 += count
        }
    }
    let reads: u64 = per_account.values().map(|(r, _)| r).sum();
    let writes: u64 = per_account.values().map(|(_, w)| w).sum();
    let answered_writes = writes + hub_writes + admin_writes;
    let max = per_account.values().map(|(r, w)| r + w).max().unwrap_or(0);
    let n = members.max(1) as f64;
    json!({
        "reads_per_member": reads as f64 / n,
        "writes_per_member": writes as f64 / n,
        "max_per_member": max,
        "hub_reads": hub_reads,
        "hub_writes": hub_writes,
        "admin_reads": admin_reads,
        "admin_writes": admin_writes,
        "total": counters["total"],
        "writes": counters["writes"],
        "answered_writes": answered_writes,
        "faulted_attempts": faulted,
    })
}

fn process_cpu_seconds(pid: u32, clk_tck: f64) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which is in parentheses and may hold spaces).
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    Ok((ticks(11) + ticks(12)) / clk_tck)
}

fn add_speedups(results: &mut [Value]) {
    let baselines: Vec<(u64, usize, u64, f64)> = results
        .iter()
        .filter(|r| r["concurrency"] == json!(1))
        .map(|r| {
            (
                r["accounts"].as_u64().unwrap_or(0),
                r["regions"].as_u64().unwrap_or(0) as usize,
                r["latency_ms"].as_u64().unwrap_or(0),
                r["first"]["wall_s"].as_f64().unwrap_or(0.0),
            )
        })
        .collect();
    for r in results.iter_mut() {
        let key = (
            r["accounts"].as_u64().unwrap_or(0),
            r["regions"].as_u64().unwrap_or(0) as usize,
            r["latency_ms"].as_u64().unwrap_or(0),
        );
        let wall = r["first"]["wall_s"].as_f64().unwrap_or(0.0);
        if let Some((.., base)) = baselines.iter().find(|(a, g, l, _)| (*a, *g, *l) == key)
            && r["concurrency"] != json!(1)
            && wall > 0.0
            && r["throttle_rps"].is_null()
        {
            r["speedup_vs_sequential"] = json!(base / wall);
        }
    }
}

fn budget_violations(results: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for r in results {
        let name = r["scenario"].as_str().unwrap_or("?");
        let regions = r["regions"].as_f64().unwrap_or(0.0);
        let max_first = r["first"]["calls"]["max_per_member"]
            .as_f64()
            .unwrap_or(0.0);
        if r["delegated_admin"] == json!(true) {
            // Through the administrator a member costs the same whatever the Regions.
            let max_rerun = r["rerun"]["calls"]["max_per_member"]
                .as_f64()
                .unwrap_or(0.0);
            if max_first > 4.0 || max_rerun > 3.0 {
                out.push(format!(
                    "{name}: {max_first} calls for one member on the first run and {max_rerun} on the re-run (budget 4 and 3)"
                ));
            }
        } else if max_first > 4.0 + 4.0 * regions {
            out.push(format!(
                "{name}: {max_first} calls for one member account on the first run (budget {})",
                4.0 + 4.0 * regions
            ));
        }
        let rerun_writes = r["rerun"]["calls"]["answered_writes"].as_u64().unwrap_or(0);
        if rerun_writes > 0 {
            out.push(format!(
                "{name}: the re-run made {rerun_writes} write calls (budget 0)"
            ));
        }
        let key = (
            r["accounts"].as_u64(),
            r["regions"].as_u64(),
            r["latency_ms"].as_u64(),
        );
        if key == (Some(500), Some(2), Some(50))
            && r["throttle_rps"].is_null()
            && r["concurrency"] == json!(CONCURRENCY)
        {
            let ratio = r["ratio_to_bound"].as_f64().unwrap_or(0.0);
            if ratio > 1.5 {
                out.push(format!("{name}: {ratio:.2}x the lower bound (budget 1.5x)"));
            }
        }
        if r["accounts"].as_u64() == Some(1000) {
            let rss = r["first"]["peak_rss_mb"]
                .as_f64()
                .unwrap_or(0.0)
                .max(r["rerun"]["peak_rss_mb"].as_f64().unwrap_or(0.0));
            if rss > 150.0 {
                out.push(format!("{name}: peak RSS {rss:.0} MB (budget 150 MB)"));
            }
        }
    }
    out
}

fn summary_line(r: &Value) -> String {
    format!(
        "first run {:.1} s ({:.1} accounts/s, {:.2}x bound), re-run {:.1} s with {} writes",
        r["first"]["wall_s"].as_f64().unwrap_or(0.0),
        r["accounts_per_s"].as_f64().unwrap_or(0.0),
        r["ratio_to_bound"].as_f64().unwrap_or(0.0),
        r["rerun"]["wall_s"].as_f64().unwrap_or(0.0),
        r["rerun"]["calls"]["answered_writes"],
    )
}

fn markdown_table(results: &[Value]) -> String {
    let mut t = String::from(
        "| scenario | conc. | first run (s) | accounts/s | calls/member first (reads + writes) | max calls one member | re-run (s) | calls/member re-run (reads + writes) | binary CPU (s) | peak RSS (MB) | emulator CPU (s) | lower bound (s) | ratio | speed-up vs sequential |\n\
         | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in results {
        let f = |v: &Value| v.as_f64().unwrap_or(0.0);
        let bound = f(&r["latency_bound_s"]).max(f(&r["emulator_bound_s"]));
        t.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {:.2} + {:.2} | {} | {:.1} | {:.2} + {:.2} | {:.1} | {:.0} | {:.1} | {:.1} | {:.2} | {} |\n",
            r["scenario"].as_str().unwrap_or("?"),
            r["concurrency"],
            f(&r["first"]["wall_s"]),
            f(&r["accounts_per_s"]),
            f(&r["first"]["calls"]["reads_per_member"]),
            f(&r["first"]["calls"]["writes_per_member"]),
            r["first"]["calls"]["max_per_member"],
            f(&r["rerun"]["wall_s"]),
            f(&r["rerun"]["calls"]["reads_per_member"]),
            f(&r["rerun"]["calls"]["writes_per_member"]),
            f(&r["first"]["cpu_s"]),
            f(&r["first"]["peak_rss_mb"]).max(f(&r["rerun"]["peak_rss_mb"])),
            f(&r["first"]["emulator_cpu_s"]),
            bound,
            f(&r["ratio_to_bound"]),
            r.get("speedup_vs_sequential").and_then(Value::as_f64).map_or("".to_owned(), |s| format!("{s:.1}x")),
        ));
    }
    t
}

fn write_docs(root: &Path, table: &str, violations: &[String]) -> Result<()> {
    let path = root.join("docs/benchmarks.md");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let (start, end) = ("<!-- bench:start -->", "<!-- bench:end -->");
    let verdict = if violations.is_empty() {
        "All budgets held.".to_owned()
    } else {
        format!("Budgets broken:\n\n- {}", violations.join("\n- "))
    };
    let block = format!("{start}\n{table}\n{verdict}\n{end}");
    let new = match (text.find(start), text.find(end)) {
        (Some(a), Some(b)) if b > a => format!("{}{}{}", &text[..a], block, &text[b + end.len()..]),
        _ => format!("{text}\n{block}\n"),
    };
    std::fs::write(path, new)?;
    Ok(())
}

fn bench_config(regions: &[&str], concurrency: u64, admin: Option<&str>) -> String {
    let export = match admin {
        Some(a) => format!("export = \"delegated-admin\"\nadmin_account_id = \"{a}\""),
        None => "export = \"per-account\"".to_owned(),
    };
    let list = regions
        .iter()
        .map(|r| format!("\"{r}\""))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"[organization]
home_region = "{home}"
regions = [{list}]

[radiant]
role_name = "radiant-aws-access-role"
member_role_name = "radiant-aws-member-role"

[cloudtrail]
bucket = "bench-cloudtrail-logs"
sns_topic = "bench-cloudtrail-delivery"
kms_alias = "alias/bench-cloudtrail"

[guardduty]
bucket = "bench-guardduty-findings"
kms_alias = "alias/bench-guardduty"
sns_topic = "bench-guardduty-findings"
{export}

[run]
concurrency = {concurrency}
"#,
        home = regions[0],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_calls_exclude_the_hub_and_find_the_longest_path() {
        let counters = json!({"total": 10, "writes": 4, "calls": [
            {"account": "111111111111", "service": "iam", "operation": "GetRole", "write": false, "count": 1},
            {"account": "111111111111", "service": "iam", "operation": "CreateRole", "write": true, "count": 1},
            {"account": "222222222222", "service": "iam", "operation": "GetRole", "write": false, "count": 3},
            {"account": "123456789012", "service": "s3", "operation": "PutBucketPolicy", "write": true, "count": 5},
        ]});
        let calls = per_account_calls(&counters, "123456789012", None, 2);
        assert_eq!(calls["max_per_member"], 3);
        assert_eq!(calls["reads_per_member"], 2.0);
        assert_eq!(calls["writes_per_member"], 0.5);
        assert_eq!(calls["hub_writes"], 5);
        assert_eq!(calls["answered_writes"], 6);
    }

    #[test]
    fn faulted_attempts_do_not_count_against_the_product() {
        let counters = json!({"total": 9, "writes": 0, "calls": [
            {"account": "111111111111", "service": "iam", "operation": "GetRole", "write": false, "count": 7, "faulted": 5},
            {"account": "123456789012", "service": "sts", "operation": "AssumeRole", "write": false, "count": 2, "faulted": 1},
        ]});
        let calls = per_account_calls(&counters, "123456789012", None, 1);
        assert_eq!(calls["max_per_member"], 2);
        assert_eq!(calls["hub_reads"], 1);
        assert_eq!(calls["faulted_attempts"], 6);
    }

    #[test]
    fn budgets_flag_rerun_writes_and_long_paths() {
        let r = json!({"scenario": "s", "accounts": 10, "regions": 2, "latency_ms": 0, "throttle_rps": null,
            "concurrency": 32, "ratio_to_bound": 1.0,
            "first": {"calls": {"max_per_member": 13}, "peak_rss_mb": 10.0},
            "rerun": {"calls": {"answered_writes": 1}, "peak_rss_mb": 10.0}});
        let v = budget_violations(&[r]);
        assert_eq!(v.len(), 2, "{v:?}");
    }

    #[test]
    fn through_the_administrator_a_member_has_a_flat_budget() {
        let r = |first: u64, rerun: u64| {
            json!({"scenario": "s", "accounts": 10, "regions": 3, "latency_ms": 0,
                "throttle_rps": null, "concurrency": 32, "ratio_to_bound": 1.0,
                "delegated_admin": true,
                "first": {"calls": {"max_per_member": first}, "peak_rss_mb": 10.0},
                "rerun": {"calls": {"answered_writes": 0, "max_per_member": rerun},
                          "peak_rss_mb": 10.0}})
        };
        assert!(budget_violations(&[r(4, 3)]).is_empty());
        assert_eq!(budget_violations(&[r(5, 3)]).len(), 1);
        assert_eq!(budget_violations(&[r(4, 4)]).len(), 1);
    }

    #[test]
    fn the_administrator_is_counted_apart_from_the_members() {
        let counters = json!({"total": 12, "writes": 6, "calls": [
            {"account": "123456789012", "service": "s3", "operation": "CreateBucket", "write": true, "count": 2},
            {"account": "111111111111", "service": "guardduty", "operation": "CreateMembers", "write": true, "count": 4},
            {"account": "222222222222", "service": "iam", "operation": "GetRole", "write": false, "count": 3},
        ]});
        let calls = per_account_calls(&counters, "123456789012", Some("111111111111"), 1);
        assert_eq!(calls["max_per_member"], json!(3));
        assert_eq!(calls["admin_writes"], json!(4));
        assert_eq!(calls["answered_writes"], json!(6));
    }
}
