//! The one place that loads AWS configuration and builds SDK clients.
//!
//! **Architecture Invariant:** nothing else in the workspace calls `aws_config::defaults`. Every
//! client comes from [`SdkFactory`], which applies the endpoint override (path-style S3 when one
//! is set), standard retries, operation and attempt timeouts, a retry partition of its own for
//! every (service, account) (throttling in one account never drains the retry tokens of another),
//! an interceptor that counts API calls per service for the report, and a paced HTTP connector
//! (see [`pace`]) that waits for the client's rate limiter before every request it sends.
//!
//! Each partition has an unlimited retry quota: retries stay bounded by the attempts per call
//! and the run's concurrency. The SDK's default quota (500 tokens, 5 per throttled retry) is
//! sized for one client; the hub's `sts:AssumeRole` partition, which every member account goes
//! through, ran dry under throttling and then failed accounts without retrying them (measured by
//! `cargo xtask bench`, throttled scenario). Adaptive mode was tried and rejected: its client
//! rate limiter charges 5 tokens per retry and slowed that run down to under 2 calls a second.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use aws_config::{BehaviorVersion, Region};
use aws_credential_types::Credentials;
use aws_credential_types::provider::{
    ProvideCredentials, SharedCredentialsProvider, future::ProvideCredentials as CredsFuture,
};
use aws_sdk_iam::config::retry::{RetryPartition, TokenBucket};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::retries::RequestAttempts;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::SdkConfig;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;

use crate::progress::Progress;

mod pace;

use pace::{Limit, Pacer};

/// Where and as whom to call AWS; the CLI fills it from flags and the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AwsOptions {
    /// Endpoint override (`--endpoint-url` / `AWS_ENDPOINT_URL`); when set S3 uses path-style.
    pub endpoint_url: Option<String>,
    /// Named profile; `None` uses the default chain.
    pub profile: Option<String>,
    /// Region of the caller's clients; `None` uses the default chain (the engine passes the
    /// configured Regions explicitly to regional clients).
    pub region: Option<String>,
}

/// Why the SDK configuration could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The default chain (or the profile) gave no credentials.
    #[error(
        "no AWS credentials found: set a profile with `--profile` or the AWS_* environment variables"
    )]
    NoCredentials,
}

/// Session name of every `sts:AssumeRole` the product makes (visible in CloudTrail).
pub const SESSION_NAME: &str = "radiant-onboard";

/// The SDK crates behind the clients of [`AccountClients`], for callers that need their types.
pub mod sdk {
    pub use aws_sdk_account as account;
    pub use aws_sdk_cloudformation as cloudformation;
    pub use aws_sdk_cloudtrail as cloudtrail;
    pub use aws_sdk_guardduty as guardduty;
    pub use aws_sdk_iam as iam;
    pub use aws_sdk_kms as kms;
    pub use aws_sdk_organizations as organizations;
    pub use aws_sdk_s3 as s3;
    pub use aws_sdk_sns as sns;
    pub use aws_sdk_sts as sts;
}

/// Attempts per call (standard retry mode, exponential backoff with jitter).
const MAX_ATTEMPTS: u32 = 6;
/// Time limit of one attempt.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
/// Time limit of one call, retries included.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(90);
/// Assumed-role credentials are refreshed when they expire within this margin.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Counts API calls per service, SDK retries and throttling responses.
#[derive(Debug, Default)]
pub struct ApiStats {
    calls: Mutex<BTreeMap<String, u64>>,
    retries: AtomicU64,
    throttles: AtomicU64,
    progress: OnceLock<Arc<dyn Progress>>,
}

impl std::fmt::Debug for dyn Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

impl ApiStats {
    fn record_call(&self, service: &str) {
        if let Ok(mut calls) = self.calls.lock() {
            *calls.entry(service.to_owned()).or_default() += 1;
        }
    }

    /// API calls made so far, per service (`iam`, `s3`, ...). Retries are not counted twice.
    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    /// Attempts the SDK retried so far.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Responses that said "slow down" so far.
    pub fn throttles(&self) -> u64 {
        self.throttles.load(Ordering::Relaxed)
    }
}

/// The interceptor behind [`ApiStats`]; one instance per client, labelled with its service.
#[derive(Debug, Clone)]
struct CountingInterceptor {
    service: &'static str,
    /// The account whose credentials the client uses (`hub` before the caller is known).
    account: String,
    stats: Arc<ApiStats>,
}

/// When a call started, kept in the call's config bag for the `debug` log line.
#[derive(Debug, Clone)]
struct CallStarted(Instant);

impl Storable for CallStarted {
    type Storer = StoreReplace<Self>;
}

impl Intercept for CountingInterceptor {
    fn name(&self) -> &'static str {
        "radiant-onboard-api-counter"
    }

    fn read_before_execution(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.stats.record_call(self.service);
        if tracing::enabled!(tracing::Level::DEBUG) {
            cfg.interceptor_state()
                .store_put(CallStarted(Instant::now()));
        }
        Ok(())
    }

    /// `--log-level debug`: one line per call (never a header, a body or a credential).
    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if tracing::enabled!(tracing::Level::DEBUG) {
            let operation = cfg.load::<Metadata>().map_or("", Metadata::name);
            let elapsed_ms = cfg.load::<CallStarted>().map_or(0, |s| {
                u64::try_from(s.0.elapsed().as_millis()).unwrap_or(u64::MAX)
            });
            let attempts = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
            let status = context.response().map_or(0, |r| r.status().as_u16());
            tracing::debug!(
                service = self.service,
                operation,
                account = %self.account,
                status,
                attempts,
                elapsed_ms,
                "aws call"
            );
        }
        Ok(())
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let attempt = cfg.load::<RequestAttempts>().map_or(1, |a| a.attempts());
        if attempt > 1 {
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            if let Some(p) = self.stats.progress.get() {
                p.retried();
            }
        }
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let throttled = context
            .response()
            .is_some_and(|r| is_throttling_answer(r.status().as_u16(), r.body().bytes()));
        if throttled {
            self.stats.throttles.fetch_add(1, Ordering::Relaxed);
            if let Some(p) = self.stats.progress.get() {
                p.throttled();
            }
        }
        Ok(())
    }
}

/// Error codes of throttling answers that come with HTTP 400 (IAM, STS, SNS, KMS, CloudTrail,
/// Organizations); S3 and GuardDuty throttle with 503 and 429.
const THROTTLING_CODES: [&[u8]; 5] = [
    b"<Code>Throttling</Code>",
    b"ThrottlingException",
    b"TooManyRequestsException",
    b"RequestLimitExceeded",
    b"<Code>SlowDown</Code>",
];

/// True for an answer that asks the caller to slow down.
fn is_throttling_answer(status: u16, body: Option<&[u8]>) -> bool {
    match status {
        429 | 503 => true,
        400 => body.is_some_and(|b| {
            THROTTLING_CODES
                .iter()
                .any(|code| b.windows(code.len()).any(|w| w == *code))
        }),
        _ => false,
    }
}

/// Clients of one account, all sharing that account's credentials and retry partitions.
#[derive(Debug, Clone)]
pub struct AccountClients {
    /// The account.
    pub account_id: String,
    config: SdkConfig,
    factory: SdkFactory,
    /// True for the caller's own clients (their STS and Organizations calls share global limits).
    is_caller: bool,
}

/// Builds every SDK client of the run.
#[derive(Debug, Clone)]
pub struct SdkFactory {
    base: SdkConfig,
    path_style: bool,
    stats: Arc<ApiStats>,
    /// One retry partition per (service, account), shared by every client of that pair (custom
    /// partitions are only shared by cloning them).
    partitions: Arc<Mutex<HashMap<String, RetryPartition>>>,
    /// The run's rate limiters, applied by every client's HTTP connector.
    pacer: Arc<Pacer>,
    /// The HTTPS client (connection pool) every SDK client sends through, behind its pacing.
    http: SharedHttpClient,
}

impl SdkFactory {
    /// Loads the caller's configuration (profile, Region, endpoint override) once.
    pub async fn load(opts: &AwsOptions) -> Result<SdkFactory, LoadError> {
        Self::load_inner(opts, None).await
    }

    async fn load_inner(
        opts: &AwsOptions,
        credentials: Option<SharedCredentialsProvider>,
    ) -> Result<SdkFactory, LoadError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS))
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(OPERATION_TIMEOUT)
                    .operation_attempt_timeout(ATTEMPT_TIMEOUT)
                    .connect_timeout(Duration::from_secs(10))
                    .build(),
            );
        if let Some(profile) = &opts.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(region) = &opts.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(url) = &opts.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some(provider) = credentials {
            loader = loader.credentials_provider(provider);
        }
        let base = loader.load().await;
        if base.credentials_provider().is_none() {
            return Err(LoadError::NoCredentials);
        }
        let path_style = opts.endpoint_url.is_some() || base.endpoint_url().is_some();
        Ok(SdkFactory {
            base,
            path_style,
            stats: Arc::new(ApiStats::default()),
            partitions: Arc::default(),
            pacer: Arc::new(Pacer::default()),
            http: default_https_client(),
        })
    }

    /// Like [`SdkFactory::load`] but with static credentials instead of the default chain (for
    /// tests and for checking what another principal may do).
    pub async fn load_with_static_credentials(
        opts: &AwsOptions,
        access_key_id: &str,
        secret_access_key: &str,
    ) -> Result<SdkFactory, LoadError> {
        let creds = Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "radiant-onboard-static",
        );
        Self::load_inner(opts, Some(SharedCredentialsProvider::new(creds))).await
    }

    /// Assumes `role_arn` (with `external_id` when given) using `via`'s credentials and returns
    /// clients of `account_id` whose credentials are refreshed before they expire.
    pub async fn assume_role(
        &self,
        via: &AccountClients,
        region: &str,
        account_id: &str,
        role_arn: &str,
        external_id: Option<&str>,
    ) -> Result<AccountClients, account_worker::WorkerError> {
        let sts = via.sts(region);
        let out = sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(SESSION_NAME)
            .set_external_id(external_id.map(str::to_owned))
            .send()
            .await
            .map_err(|e| account_worker::WorkerError::from_sdk("sts:AssumeRole", &e))?;
        let creds = out.credentials.ok_or_else(|| {
            account_worker::WorkerError::new(
                account_worker::ErrorKind::Other,
                "sts:AssumeRole",
                "NoCredentials",
                "STS returned no credentials",
            )
        })?;
        let provider = AssumedRole {
            sts,
            role_arn: role_arn.to_owned(),
            session_name: SESSION_NAME.to_owned(),
            external_id: external_id.map(str::to_owned),
            cached: Arc::new(tokio::sync::Mutex::new(credentials_from_sts(&creds))),
        };
        Ok(self.for_account(account_id, provider))
    }

    /// The call counters shared by every client of this factory.
    pub fn stats(&self) -> &ApiStats {
        &self.stats
    }

    /// Sends retry and throttling events to `progress` (first call wins).
    pub fn attach_progress(&self, progress: Arc<dyn Progress>) {
        let _ = self.stats.progress.set(progress);
    }

    /// The caller's (hub account's) clients.
    pub fn caller(&self, account_id: &str) -> AccountClients {
        AccountClients {
            account_id: account_id.to_owned(),
            config: self.base.clone(),
            factory: self.clone(),
            is_caller: true,
        }
    }

    /// Clients of `account_id` that use `provider` (normally an [`AssumedRole`]).
    pub fn for_account(
        &self,
        account_id: &str,
        provider: impl ProvideCredentials + 'static,
    ) -> AccountClients {
        let config = self
            .base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(provider))
            .build();
        AccountClients {
            account_id: account_id.to_owned(),
            config,
            factory: self.clone(),
            is_caller: false,
        }
    }

    fn counter(&self, service: &'static str, account: &str) -> CountingInterceptor {
        CountingInterceptor {
            service,
            account: account.to_owned(),
            stats: Arc::clone(&self.stats),
        }
    }
}

macro_rules! client_fn {
    ($(#[$doc:meta])* $name:ident, $krate:ident, $service:literal) => {
        $(#[$doc])*
        pub fn $name(&self, region: &str) -> $krate::Client {
            let conf = $krate::config::Builder::from(&self.config)
                .region(Region::new(region.to_owned()))
                .retry_partition(self.partition($service))
                .interceptor(self.factory.counter($service, &self.account_id))
                .http_client(self.paced($service))
                .build();
            $krate::Client::from_conf(conf)
        }
    };
}

impl AccountClients {
    /// The HTTP client of this account's `service` clients: the factory's connection pool behind
    /// the limiter of (service, account).
    fn paced(&self, service: &str) -> PacedHttpClient {
        PacedHttpClient {
            inner: self.factory.http.clone(),
            pacer: Arc::clone(&self.factory.pacer),
            limit: Limit::of(service, &self.account_id, self.is_caller),
        }
    }

    fn partition(&self, service: &str) -> RetryPartition {
        let name = format!("radiant-{service}-{}", self.account_id);
        let mut partitions = self
            .factory
            .partitions
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        partitions
            .entry(name)
            .or_insert_with_key(|name| {
                RetryPartition::custom(name.clone())
                    .token_bucket(TokenBucket::unlimited())
                    .build()
            })
            .clone()
    }

    client_fn!(
        /// STS client in `region`.
        sts, aws_sdk_sts, "sts");
    client_fn!(
        /// IAM client (IAM is global; `region` only picks the endpoint's signing Region).
        iam, aws_sdk_iam, "iam");
    client_fn!(
        /// Organizations client.
        organizations, aws_sdk_organizations, "organizations");
    client_fn!(
        /// GuardDuty client in `region`.
        guardduty, aws_sdk_guardduty, "guardduty");
    client_fn!(
        /// KMS client in `region`.
        kms, aws_sdk_kms, "kms");
    client_fn!(
        /// CloudTrail client in `region`.
        cloudtrail, aws_sdk_cloudtrail, "cloudtrail");
    client_fn!(
        /// SNS client in `region`.
        sns, aws_sdk_sns, "sns");
    client_fn!(
        /// Account Management client (the Regions an account has enabled).
        account, aws_sdk_account, "account");
    client_fn!(
        /// CloudFormation client in `region` (the member role's StackSet).
        cloudformation, aws_sdk_cloudformation, "cloudformation");

    /// S3 client in `region` (path-style when an endpoint override is set).
    pub fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.config)
            .region(Region::new(region.to_owned()))
            .force_path_style(self.factory.path_style)
            .retry_partition(self.partition("s3"))
            .interceptor(self.factory.counter("s3", &self.account_id))
            .http_client(self.paced("s3"))
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }
}

/// The SDK's default HTTPS client (hyper 1 with rustls on aws-lc, proxy settings from the
/// environment), built once so that every client shares its connection pool.
fn default_https_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// An HTTP client whose connectors wait for a rate limiter before each request (each attempt
/// of a call, so SDK retries are paced too).
#[derive(Debug, Clone)]
struct PacedHttpClient {
    inner: SharedHttpClient,
    pacer: Arc<Pacer>,
    limit: Limit,
}

impl HttpClient for PacedHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            pacer: Arc::clone(&self.pacer),
            limit: self.limit.clone(),
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    pacer: Arc<Pacer>,
    limit: Limit,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let inner = self.inner.clone();
        let pacer = Arc::clone(&self.pacer);
        let limit = self.limit.clone();
        HttpConnectorFuture::new(async move {
            pacer.wait_for(&limit).await;
            inner.call(request).await
        })
    }
}

/// Credentials of an assumed role, cached for the run and refreshed before they expire.
#[derive(Debug, Clone)]
pub struct AssumedRole {
    sts: aws_sdk_sts::Client,
    role_arn: String,
    session_name: String,
    external_id: Option<String>,
    cached: Arc<tokio::sync::Mutex<Credentials>>,
}

impl AssumedRole {
    /// Wraps credentials already obtained with `sts:AssumeRole` on `role_arn`.
    pub fn new(
        sts: aws_sdk_sts::Client,
        role_arn: String,
        session_name: String,
        first: Credentials,
    ) -> Self {
        Self {
            sts,
            role_arn,
            session_name,
            external_id: None,
            cached: Arc::new(tokio::sync::Mutex::new(first)),
        }
    }

    async fn current(&self) -> aws_credential_types::provider::Result {
        let mut cached = self.cached.lock().await;
        let fresh = cached
            .expiry()
            .is_none_or(|exp| exp > SystemTime::now() + REFRESH_MARGIN);
        if fresh {
            return Ok(cached.clone());
        }
        let out = self
            .sts
            .assume_role()
            .role_arn(&self.role_arn)
            .role_session_name(&self.session_name)
            .set_external_id(self.external_id.clone())
            .send()
            .await
            .map_err(aws_credential_types::provider::error::CredentialsError::provider_error)?;
        let creds = out.credentials.ok_or_else(|| {
            aws_credential_types::provider::error::CredentialsError::unhandled(
                "sts:AssumeRole returned no credentials",
            )
        })?;
        let next = credentials_from_sts(&creds);
        *cached = next.clone();
        Ok(next)
    }
}

/// Converts STS credentials into SDK credentials (never logged).
pub fn credentials_from_sts(c: &aws_sdk_sts::types::Credentials) -> Credentials {
    let expiry = SystemTime::try_from(c.expiration).ok();
    Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.clone(),
        Some(c.session_token.clone()),
        expiry,
        "radiant-onboard-assume-role",
    )
}

impl ProvideCredentials for AssumedRole {
    fn provide_credentials<'a>(&'a self) -> CredsFuture<'a>
    where
        Self: 'a,
    {
        CredsFuture::new(self.current())
    }
}

#[cfg(test)]
mod tests {
    use super::is_throttling_answer;

    #[test]
    fn throttling_answers_are_recognised_by_status_or_code() {
        assert!(is_throttling_answer(429, None));
        assert!(is_throttling_answer(503, Some(b"<Code>SlowDown</Code>")));
        let sts = b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>";
        assert!(is_throttling_answer(400, Some(sts)));
        let kms = br#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
        assert!(is_throttling_answer(400, Some(kms)));
        let denied = b"<Error><Code>AccessDenied</Code><Message>Throttling is not the issue</Message></Error>";
        assert!(!is_throttling_answer(400, Some(denied)));
        assert!(!is_throttling_answer(400, None));
        assert!(!is_throttling_answer(500, Some(b"ThrottlingException")));
    }
}
