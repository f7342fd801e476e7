//! Emulator harness for the workspace integration tests.
//!
//! A pool of emulator processes (moto's server with our extension, see `docs/emulator.md`), each
//! on a free port of its own. [`emulator`] takes an idle process from the pool (starting a new
//! one when none is idle) and resets its state, faults and counters; the [`EmulatorGuard`] it
//! returns puts the process back into the pool when dropped. So the tests of one binary run in
//! parallel, each on an emulator of its own, and the pool holds at most as many processes as
//! tests ran at once (`--test-threads`, by default one per CPU). The processes are started
//! lazily: a binary whose tests never call [`emulator`] starts none.
//!
//! **Architecture Invariant:** no emulator process outlives the tests. Each child is started
//! with `--exit-on-stdin-eof` and its stdin is a pipe that only this process holds (in the pool,
//! or in the guard of the test using it), so it exits when the test binary exits, even when the
//! binary is killed.
//!
//! The harness speaks to the control API (`/_radiant/...`) over plain HTTP/1.1 with the
//! standard library; product code reaches the emulator only through `AWS_ENDPOINT_URL`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Environment variable naming the Python interpreter of the emulator's virtual environment
/// (set by `cargo xtask test`).
pub const PYTHON_ENV_VAR: &str = "RADIANT_EMULATOR_PYTHON";

/// The access key the harness hands out; moto maps every unknown key to the management account.
pub const ACCESS_KEY_ID: &str = "AKIARADIANTEMULATOR1";
/// The secret that goes with [`ACCESS_KEY_ID`] (the emulator does not check signatures).
pub const SECRET_ACCESS_KEY: &str = "radiant-emulator-secret";
/// The management account of every seeded organization (moto's default account).
pub const MANAGEMENT_ACCOUNT_ID: &str = "123456789012";
/// The Region the harness's environment selects.
pub const DEFAULT_REGION: &str = "us-east-1";

const READY_PREFIX: &str = "radiant-emulator listening on ";

/// One emulator process.
struct Process {
    endpoint: String,
    // INVARIANT: kept open as long as the process is in the pool or in a guard, that is for the
    // life of the test binary; its EOF stops the emulator.
    _stdin: ChildStdin,
    child: Child,
}

impl Process {
    fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Process {
    /// Only a process that is no longer usable is dropped (the pool is a static, never dropped):
    /// stop it and reap it.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The idle emulator processes of this test binary.
static IDLE: Mutex<Vec<Process>> = Mutex::new(Vec::new());
/// Why an emulator could not be started: the tests after the first failure fail at once with
/// the same message instead of each starting (and failing) a process of its own.
static START_FAILED: OnceLock<String> = OnceLock::new();

fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// The Python of the emulator's environment (also the tests' way to measure a child process's
/// peak RSS with `resource.getrusage`).
pub fn python_path() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(PYTHON_ENV_VAR) {
        return Ok(PathBuf::from(path));
    }
    let venv = workspace_root()
        .join("target")
        .join("emulator-venv")
        .join("bin")
        .join("python");
    if venv.exists() {
        return Ok(venv);
    }
    Err(format!(
        "the emulator's Python environment is missing: run `cargo xtask test` once (it creates \
         `target/emulator-venv`), or set `{PYTHON_ENV_VAR}` to a python with the packages of \
         `xtask/emulator/requirements.txt`"
    ))
}

fn start() -> Result<Process, String> {
    let python = python_path()?;
    let mut child = Command::new(&python)
        .args([
            "-m",
            "radiant_emulator",
            "--port",
            "0",
            "--exit-on-stdin-eof",
        ])
        .env(
            "PYTHONPATH",
            workspace_root().join("xtask").join("emulator"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|err| {
            format!(
                "cannot start the emulator with `{}`: {err}",
                python.display()
            )
        })?;
    let stdin = child
        .stdin
        .take()
        .ok_or_else(|| "the emulator's stdin is not a pipe".to_owned())?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| "the emulator's stdout is not a pipe".to_owned())?;
    let mut reader = BufReader::new(stdout);
    let mut line = String::new();
    reader
        .read_line(&mut line)
        .map_err(|err| format!("cannot read the emulator's first line: {err}"))?;
    let endpoint = line
        .trim()
        .strip_prefix(READY_PREFIX)
        .ok_or_else(|| {
            format!(
                "the emulator did not start (first line `{}`): see its stderr above",
                line.trim()
            )
        })?
        .to_owned();
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = reader.read_to_end(&mut sink);
    });
    Ok(Process {
        endpoint,
        _stdin: stdin,
        child,
    })
}

/// An idle emulator process from the pool, if there is one that still runs.
fn take_idle() -> Option<Process> {
    let mut idle = IDLE.lock().unwrap_or_else(PoisonError::into_inner);
    // A process that died (dropped here) is not handed out again.
    std::iter::from_fn(|| idle.pop()).find_map(|mut p| p.is_running().then_some(p))
}

/// Starts a new emulator process, unless one failed to start before.
fn start_new() -> Result<Process, String> {
    if let Some(message) = START_FAILED.get() {
        return Err(message.clone());
    }
    start().inspect_err(|message| {
        let _ = START_FAILED.set(message.clone());
    })
}

/// An emulator for this test alone: an idle one of the pool, or a new one when none is idle,
/// with its state, faults and counters reset. Dropping the guard puts it back into the pool.
#[expect(
    clippy::panic,
    reason = "test harness: a broken emulator must fail the test loudly"
)]
pub fn emulator() -> EmulatorGuard {
    let process = match take_idle().map_or_else(start_new, Ok) {
        Ok(process) => process,
        Err(message) => panic!("{message}"),
    };
    // A process that cannot be reset is dropped (stopped), not put back into the pool.
    if let Err(message) = control(&process.endpoint, "POST", "reset", "{}") {
        drop(process);
        panic!("{message}");
    }
    EmulatorGuard {
        endpoint: process.endpoint.clone(),
        process: Some(process),
    }
}

/// One test's exclusive use of an emulator process; see [`emulator`].
pub struct EmulatorGuard {
    endpoint: String,
    /// `Some` until the guard is dropped.
    process: Option<Process>,
}

impl Drop for EmulatorGuard {
    fn drop(&mut self) {
        if let Some(process) = self.process.take() {
            IDLE.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(process);
        }
    }
}

impl EmulatorGuard {
    /// The endpoint URL, e.g. `http://127.0.0.1:41915`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The environment a product process needs to talk to the emulator as the management
    /// account: `AWS_ENDPOINT_URL`, credentials, `AWS_REGION`, no instance metadata, no
    /// profile files.
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY),
            ("AWS_REGION", DEFAULT_REGION),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("AWS_CONFIG_FILE", "/nonexistent/radiant-emulator/config"),
            (
                "AWS_SHARED_CREDENTIALS_FILE",
                "/nonexistent/radiant-emulator/credentials",
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// Seeds an organization (after the reset done by [`emulator`]).
    #[expect(
        clippy::panic,
        reason = "test harness: a broken emulator must fail the test loudly"
    )]
    pub fn seed(&self, spec: &SeedSpec) -> SeedInfo {
        let body = serde_json::to_string(spec)
            .unwrap_or_else(|err| panic!("cannot encode the seed spec: {err}"));
        let answer = self.control("POST", "seed", &body);
        serde_json::from_str(&answer)
            .unwrap_or_else(|err| panic!("cannot decode the seed answer `{answer}`: {err}"))
    }

    /// Forgets every resource, fault and counter: the emulator as it started.
    pub fn reset(&self) {
        self.control("POST", "reset", "{}");
    }

    /// Replaces the fault injection settings (all off: `FaultSpec::default()`).
    #[expect(
        clippy::panic,
        reason = "test harness: a broken emulator must fail the test loudly"
    )]
    pub fn set_faults(&self, spec: &FaultSpec) {
        let body = serde_json::to_string(spec)
            .unwrap_or_else(|err| panic!("cannot encode the fault spec: {err}"));
        self.control("POST", "faults", &body);
    }

    /// Arms the emulator's concurrent writer: right after the `nth` `operation`
    /// (`GetBucketPolicy` or `PutBucketPolicy`) on `bucket` is answered, another writer adds
    /// `statement` to the bucket policy; with `stale`, it writes the document as it was *before*
    /// that request plus `statement` (a writer that read before ours, so ours is lost).
    pub fn arm_concurrent_edit(
        &self,
        bucket: &str,
        operation: &str,
        nth: u32,
        stale: bool,
        statement: &serde_json::Value,
    ) {
        let body = serde_json::json!({
            "bucket": bucket,
            "operation": operation,
            "nth": nth,
            "stale": stale,
            "statement": statement,
        });
        self.control("POST", "concurrent-edit", &body.to_string());
    }

    /// Denies `service:operation` (e.g. `organizations`, `ListAccounts`) with AWS's
    /// access-denied answer once `after` calls of it have been answered, for every caller.
    pub fn deny(&self, service: &str, operation: &str, after: u32) {
        let body = serde_json::json!({
            "service": service,
            "operation": operation,
            "after": after,
        });
        self.control("POST", "deny", &body.to_string());
    }

    /// Turns on the emulator's eventual consistency: GuardDuty's destination check sees bucket
    /// and key policies as they were `policy_delay_s` seconds ago, and a role younger than
    /// `principal_delay_s` cannot be assumed and is an invalid principal (0 turns either off).
    pub fn set_propagation(&self, policy_delay_s: f64, principal_delay_s: f64) {
        let body = serde_json::json!({
            "policy_delay_s": policy_delay_s,
            "principal_delay_s": principal_delay_s,
        });
        self.control("POST", "propagation", &body.to_string());
    }

    /// Removes every rule of [`EmulatorGuard::deny`]; the resources stay.
    pub fn allow_all(&self) {
        self.control("POST", "deny/reset", "{}");
    }

    /// True once the armed concurrent edit was written.
    pub fn concurrent_edit_fired(&self) -> bool {
        let answer = self.control("GET", "concurrent-edit", "");
        serde_json::from_str::<serde_json::Value>(&answer)
            .ok()
            .and_then(|v| v.get("fired").and_then(serde_json::Value::as_bool))
            .unwrap_or(false)
    }

    /// The calls counted since the last reset.
    #[expect(
        clippy::panic,
        reason = "test harness: a broken emulator must fail the test loudly"
    )]
    pub fn counters(&self) -> Counters {
        let answer = self.control("GET", "counters", "");
        serde_json::from_str(&answer)
            .unwrap_or_else(|err| panic!("cannot decode the counters `{answer}`: {err}"))
    }

    /// Sets every counter back to zero.
    pub fn reset_counters(&self) {
        self.control("POST", "counters/reset", "{}");
    }

    /// Credentials that the emulator maps to an arbitrary principal, e.g. Radiant's
    /// `arn:aws:sts::649384204969:assumed-role/tenant-aws-access-role/radiant-security`, to
    /// test who may assume a role. Returns `(access key id, secret access key)`.
    #[expect(
        clippy::panic,
        reason = "test harness: a broken emulator must fail the test loudly"
    )]
    pub fn credentials_for(&self, principal_arn: &str) -> (String, String) {
        let body = serde_json::json!({ "principal_arn": principal_arn }).to_string();
        let answer = self.control("POST", "credentials", &body);
        let value: serde_json::Value = serde_json::from_str(&answer)
            .unwrap_or_else(|err| panic!("cannot decode `{answer}`: {err}"));
        let field = |name: &str| {
            value[name]
                .as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| panic!("no `{name}` in `{answer}`"))
        };
        (field("access_key_id"), field("secret_access_key"))
    }

    /// How long a StackSets operation runs (`operation_s`) and how long after an account
    /// arrives in (or leaves) a target its automatic deployment starts (`auto_deployment_delay_s`).
    pub fn set_stacksets(&self, operation_s: f64, auto_deployment_delay_s: f64) {
        let body = serde_json::json!({
            "operation_s": operation_s,
            "auto_deployment_delay_s": auto_deployment_delay_s,
        });
        self.control("POST", "stacksets", &body.to_string());
    }

    /// From now on, the deployment of `account`'s stack instances fails with `reason` as its
    /// status reason (until [`EmulatorGuard::reset`]).
    pub fn fail_stack_instances(&self, account: &str, reason: &str) {
        let body = serde_json::json!({ "account": account, "reason": reason });
        self.control("POST", "stacksets/fail", &body.to_string());
    }

    /// The next deployment of `account`'s stack instance (only that one) fails with `reason`.
    pub fn fail_stack_instance_once(&self, account: &str, reason: &str) {
        let body = serde_json::json!({ "account": account, "reason": reason, "count": 1 });
        self.control("POST", "stacksets/fail", &body.to_string());
    }

    /// Removes every rule of [`EmulatorGuard::fail_stack_instances`].
    pub fn reset_stack_instance_failures(&self) {
        self.control("POST", "stacksets/fail/reset", "{}");
    }

    /// How long after an account joins GuardDuty's organization auto-enable makes it a member.
    pub fn set_guardduty_auto_enable_delay(&self, delay_s: f64) {
        let body = serde_json::json!({ "delay_s": delay_s });
        self.control("POST", "guardduty/auto-enable", &body.to_string());
    }

    /// An account from outside the organization invited and accepting (it joins the root,
    /// `JoinedMethod` `INVITED`, with no access role: AWS creates none for invited accounts).
    pub fn invite_account(&self, account: &str, name: &str) {
        let body = serde_json::json!({
            "account": account,
            "name": name,
            "email": format!("{name}@example.com"),
        });
        self.control("POST", "organizations/invite", &body.to_string());
    }

    /// Enables or disables an opt-in `region` in `account`.
    pub fn set_region(&self, account: &str, region: &str, enabled: bool) {
        let body = serde_json::json!({ "account": account, "region": region, "enabled": enabled });
        self.control("POST", "regions", &body.to_string());
    }

    /// How many requests Control Tower's guardrails (seeded with the landing zone) denied.
    #[expect(
        clippy::panic,
        reason = "test harness: a broken emulator must fail the test loudly"
    )]
    pub fn guardrail_denials(&self) -> u64 {
        let answer = self.control("GET", "guardrails", "");
        let value: serde_json::Value = serde_json::from_str(&answer)
            .unwrap_or_else(|err| panic!("cannot decode `{answer}`: {err}"));
        value["denials"]
            .as_u64()
            .unwrap_or_else(|| panic!("no `denials` in `{answer}`"))
    }

    #[expect(
        clippy::panic,
        reason = "test harness: a broken emulator must fail the test loudly"
    )]
    fn control(&self, method: &str, path: &str, body: &str) -> String {
        control(&self.endpoint, method, path, body).unwrap_or_else(|message| panic!("{message}"))
    }
}

/// One call of the control API; the answer's body, or why the call failed.
fn control(endpoint: &str, method: &str, path: &str, body: &str) -> Result<String, String> {
    match http_request(endpoint, method, &format!("/_radiant/{path}"), body) {
        Ok((200, answer)) => Ok(answer),
        Ok((status, answer)) => Err(format!(
            "emulator control call `{method} /_radiant/{path}` failed ({status}): {answer}"
        )),
        Err(err) => Err(format!(
            "emulator control call `{method} /_radiant/{path}` failed: {err}"
        )),
    }
}

/// A minimal HTTP/1.1 client (one request per connection) for the control API and for tests
/// that need a raw request. Returns `(status, body)`.
pub fn http_request(
    endpoint: &str,
    method: &str,
    path: &str,
    body: &str,
) -> Result<(u16, String), String> {
    http_request_with_headers(endpoint, method, path, &[], body)
}

/// Like [`http_request`], with extra request headers.
pub fn http_request_with_headers(
    endpoint: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<(u16, String), String> {
    let authority = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("endpoint `{endpoint}` is not an http:// URL"))?
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(authority)
        .map_err(|err| format!("cannot connect to `{authority}`: {err}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .map_err(|err| err.to_string())?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if !headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        request.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream
        .write_all(request.as_bytes())
        .map_err(|err| format!("cannot send the request: {err}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|err| format!("cannot read the response: {err}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, payload) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("malformed response `{text}`"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| format!("malformed status line in `{head}`"))?;
    Ok((status, payload.to_owned()))
}

/// What to seed: an organization of `accounts` member accounts (the management account
/// `123456789012` comes on top) spread over `ous` OUs.
#[derive(Debug, Clone, Serialize)]
pub struct SeedSpec {
    /// Member accounts, each with `OrganizationAccountAccessRole` trusting the management account.
    pub accounts: usize,
    /// Organizational units under the root; accounts are spread round-robin (0 = all in root).
    pub ous: usize,
    /// Regions where existing detectors are created; the first is the home Region.
    pub regions: Vec<String>,
    /// The last `suspended` member accounts are SUSPENDED.
    pub suspended: usize,
    /// The first active members with a detector (ONE_HOUR frequency) in every Region.
    pub existing_detectors: usize,
    /// Active members whose detector already exports to a bucket of their own.
    pub foreign_destinations: usize,
    /// The management account (the default hub) too has a detector in every Region (as
    /// `existing_detectors`) exporting in the home Region to a bucket of its own (as
    /// `foreign_destinations`); it comes first in both lists of the answer.
    pub management_detector: bool,
    /// Buckets in the management account (home Region) whose policy already holds customer
    /// statements (`CustomerDenyInsecureTransport`, `CustomerAuditRead`).
    pub hub_customer_buckets: Vec<String>,
    /// A key in the management account with this alias, whose policy holds a customer statement.
    pub hub_customer_key_alias: Option<String>,
    /// A bucket (created if missing) that already notifies a customer topic on object removal.
    pub existing_notification_bucket: Option<String>,
    /// A Control Tower-like landing zone on top: Log Archive and Audit accounts in a Security
    /// OU, `aws-controltower-BaselineCloudTrail` owned by the management account writing to a
    /// bucket of Log Archive with a key of the management account, and the mandatory guardrails
    /// enforced as SCP denials.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub landing_zone: bool,
    /// Notification rules that exist before the tool runs, as the emulator's seed field of that
    /// name takes them (`{"bucket", "account", "id", "events", "prefix", "destination":
    /// "sns"|"sqs"}`): the bucket, the topic or queue (admitting S3) and the rule are created.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub existing_notification_rules: Vec<serde_json::Value>,
    /// Opt-in Regions disabled per account: `{"ACCOUNT" | "first:N" | "management": [REGION]}`.
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub disabled_regions: serde_json::Map<String, serde_json::Value>,
    /// Control Tower's Region deny as an SCP: `{"ou": "ou-index:N", "regions": [REGION]}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region_deny: Option<serde_json::Value>,
    /// Seed of account ids, names, emails and every other generated id.
    pub seed: u64,
}

impl Default for SeedSpec {
    fn default() -> Self {
        SeedSpec {
            accounts: 5,
            ous: 2,
            regions: vec![DEFAULT_REGION.to_owned()],
            suspended: 0,
            existing_detectors: 0,
            foreign_destinations: 0,
            management_detector: false,
            hub_customer_buckets: Vec::new(),
            hub_customer_key_alias: None,
            existing_notification_bucket: None,
            landing_zone: false,
            existing_notification_rules: Vec::new(),
            disabled_regions: serde_json::Map::new(),
            region_deny: None,
            seed: 0,
        }
    }
}

/// What the seeding created.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SeedInfo {
    /// `o-...`.
    pub organization_id: String,
    /// Always [`MANAGEMENT_ACCOUNT_ID`].
    pub management_account_id: String,
    /// `r-...`.
    pub root_id: String,
    /// The Regions of the spec.
    pub regions: Vec<String>,
    /// The OUs, in creation order.
    pub ous: Vec<SeededOu>,
    /// The member accounts (not the management account), in creation order.
    pub accounts: Vec<SeededAccount>,
    /// Detectors that already existed before the tool ran.
    pub existing_detectors: Vec<SeededDetector>,
    /// Publishing destinations to buckets other than the hub's.
    pub foreign_destinations: Vec<SeededDestination>,
    /// The customer buckets created in the management account.
    pub hub_customer_buckets: Vec<String>,
    /// The customer key, if asked for.
    pub hub_customer_key: Option<SeededKey>,
    /// The existing bucket notification, if asked for.
    pub existing_notification: Option<SeededNotification>,
    /// The landing zone, if asked for.
    #[serde(default)]
    pub landing_zone: Option<SeededLandingZone>,
}

/// What the landing-zone seed created.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SeededLandingZone {
    /// The management account.
    pub management: String,
    /// The Log Archive account (holds the trail's bucket).
    pub log_archive: String,
    /// The Audit account.
    pub audit: String,
    /// The Security OU.
    pub security_ou: String,
    /// `arn:aws:cloudtrail:HOME:MGMT:trail/aws-controltower-BaselineCloudTrail`.
    pub trail_arn: String,
    /// The trail's name.
    pub trail_name: String,
    /// `aws-controltower-logs-LOGARCHIVE-HOME`.
    pub trail_bucket: String,
    /// The trail's S3 key prefix (the organization ID).
    pub trail_prefix: String,
    /// The trail's key, in the management account.
    pub trail_key_arn: String,
    /// `aws-controltower-AllConfigNotifications`, in Audit.
    pub config_topic_arn: String,
}

impl SeedInfo {
    /// Ids of the ACTIVE member accounts.
    pub fn active_account_ids(&self) -> Vec<String> {
        self.accounts
            .iter()
            .filter(|a| a.status == "ACTIVE")
            .map(|a| a.id.clone())
            .collect()
    }
}

/// A seeded organizational unit.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SeededOu {
    /// `ou-...`.
    pub id: String,
    /// `ou-01`, `ou-02`, ...
    pub name: String,
    /// The OU's ARN.
    pub arn: String,
}

/// A seeded member account.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SeededAccount {
    /// 12-digit account id.
    pub id: String,
    /// `member-0001`, ...
    pub name: String,
    /// Unique email.
    pub email: String,
    /// Parent OU (or the root id when there are no OUs).
    pub ou_id: String,
    /// `ACTIVE` or `SUSPENDED`.
    pub status: String,
}

/// A detector that existed before the tool ran.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SeededDetector {
    /// Owner account.
    pub account: String,
    /// Region of the detector.
    pub region: String,
    /// Detector id.
    pub detector_id: String,
}

/// A publishing destination to a bucket other than the hub's.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SeededDestination {
    /// Owner account.
    pub account: String,
    /// Region of the detector.
    pub region: String,
    /// Detector id.
    pub detector_id: String,
    /// Destination id.
    pub destination_id: String,
    /// The other bucket.
    pub bucket: String,
    /// The key of that destination.
    pub kms_key_arn: String,
}

/// The customer key in the management account.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SeededKey {
    /// `alias/...`.
    pub alias: String,
    /// Key id.
    pub key_id: String,
    /// Key ARN.
    pub arn: String,
}

/// The bucket notification that existed before the tool ran.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SeededNotification {
    /// The bucket.
    pub bucket: String,
    /// The customer's topic.
    pub topic_arn: String,
    /// The configuration id.
    pub id: String,
}

/// Fault injection settings; `Default` is all off. Random choices are deterministic under `seed`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FaultSpec {
    /// Fixed latency added to every AWS call.
    pub latency_ms: u64,
    /// Uniform random extra latency, 0..=jitter_ms.
    pub jitter_ms: u64,
    /// Token-bucket rate per (account, service); beyond it the service's throttling error.
    pub throttle_rps: Option<f64>,
    /// Bucket size (0 = the rate rounded down, at least 1).
    pub throttle_burst: u32,
    /// A rate of its own per (caller, service) for the services named, across all their
    /// operations, e.g. `{"organizations": 2.0}` (AWS throttles Organizations per caller).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub service_rps: std::collections::BTreeMap<String, f64>,
    /// The bucket size of each `service_rps` rate (absent: the rate rounded down, at least 1).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub service_burst: std::collections::BTreeMap<String, u32>,
    /// Share of calls answered with a 500 internal error.
    pub error_rate: f64,
    /// Share of calls whose connection is closed without a response.
    pub drop_rate: f64,
    /// Seed of the random choices.
    pub seed: u64,
}

/// Calls counted per (account, service, operation); `write` tells mutating calls apart.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Counters {
    /// One entry per (account, service, operation, write).
    pub calls: Vec<CallCount>,
}

/// One counter.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct CallCount {
    /// Account of the caller (moto maps assumed-role keys to the role's account).
    pub account: String,
    /// SigV4 service name: `iam`, `sts`, `s3`, `guardduty`, ...
    pub service: String,
    /// Operation name, e.g. `CreatePublishingDestination`.
    pub operation: String,
    /// Whether the operation mutates state.
    pub write: bool,
    /// Number of calls.
    pub count: u64,
    /// Of those, the attempts that got an injected fault (throttling, 500, dropped connection)
    /// instead of an answer.
    #[serde(default)]
    pub faulted: u64,
}

impl Counters {
    /// All calls.
    pub fn total(&self) -> u64 {
        self.calls.iter().map(|c| c.count).sum()
    }

    /// Mutating calls.
    pub fn writes(&self) -> u64 {
        self.calls.iter().filter(|c| c.write).map(|c| c.count).sum()
    }

    /// Non-mutating calls.
    pub fn reads(&self) -> u64 {
        self.calls
            .iter()
            .filter(|c| !c.write)
            .map(|c| c.count)
            .sum()
    }

    /// Calls per `service:Operation`, over all accounts.
    pub fn by_operation(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for c in &self.calls {
            *out.entry(format!("{}:{}", c.service, c.operation))
                .or_insert(0) += c.count;
        }
        out
    }

    /// Calls of one operation (`service`, `operation`), over all accounts.
    pub fn calls(&self, service: &str, operation: &str) -> u64 {
        self.calls
            .iter()
            .filter(|c| c.service == service && c.operation == operation)
            .map(|c| c.count)
            .sum()
    }

    /// The counters of one account.
    pub fn for_account(&self, account: &str) -> Counters {
        Counters {
            calls: self
                .calls
                .iter()
                .filter(|c| c.account == account)
                .cloned()
                .collect(),
        }
    }

    /// The `service:Operation` names of the mutating calls (for assertion messages).
    pub fn write_operations(&self) -> Vec<String> {
        self.calls
            .iter()
            .filter(|c| c.write)
            .map(|c| format!("{}:{} x{} ({})", c.service, c.operation, c.count, c.account))
            .collect()
    }
}
