//! The AWS SDK configuration every adapter shares, built from environment variables alone: no profile files,
//! no instance metadata, no `aws-config` crate. Lambda's own variables are enough, which keeps cold starts short
//! and packages small; `AWS_ENDPOINT_URL` points the clients at any AWS-speaking server (such as moto on
//! loopback).
//!
//! TLS trusts only the roots AWS endpoints chain to (Amazon Root CA 1–4 and Starfield Services Root G2,
//! `amazon-roots.pem`) instead of loading the system's whole trust store, which was most of a cold start's
//! init time (BENCHMARKS.md). A custom `https://` endpoint gets the system roots as usual: the roots follow the
//! endpoint the client actually uses, its service's own variable (`AWS_ENDPOINT_URL_SQS`…) first
//! ([`sdk_config_for`]). The TLS connector is built at the first request only (`ConnectOnUse`).

use aws_credential_types::Credentials;
use aws_smithy_async::rt::sleep::default_async_sleep;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::SdkConfig;
use aws_types::region::Region;
use aws_types::sdk_config::SharedCredentialsProvider;
use std::time::Duration;

/// SDK configuration from the environment (see [`sdk_config_from_lookup`]).
pub fn sdk_config_from_env(deadline: Duration) -> SdkConfig {
    sdk_config_from_lookup(crate::settings::env, deadline)
}

/// An AWS service a client of this crate talks to, for the endpoint variable of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Amazon SQS (`AWS_ENDPOINT_URL_SQS`).
    Sqs,
    /// Amazon SNS (`AWS_ENDPOINT_URL_SNS`).
    Sns,
    /// Amazon DynamoDB (`AWS_ENDPOINT_URL_DYNAMODB`).
    DynamoDb,
}

impl Service {
    /// The variable setting this service's endpoint alone, over `AWS_ENDPOINT_URL`.
    pub fn endpoint_var(self) -> &'static str {
        match self {
            Service::Sqs => "AWS_ENDPOINT_URL_SQS",
            Service::Sns => "AWS_ENDPOINT_URL_SNS",
            Service::DynamoDb => "AWS_ENDPOINT_URL_DYNAMODB",
        }
    }
}

/// SDK configuration for a client of `service` (see [`sdk_config_from_lookup`]): its endpoint is the service's
/// own variable when set, else `AWS_ENDPOINT_URL`, and the TLS roots follow that endpoint.
pub fn sdk_config_for(
    service: Service,
    lookup: impl Fn(&str) -> Option<String>,
    deadline: Duration,
) -> SdkConfig {
    let own = lookup(service.endpoint_var()).filter(|v| !v.trim().is_empty());
    sdk_config_at(lookup, own, deadline)
}

/// SDK configuration through `lookup` (a variable name to its value): region from `AWS_REGION` (or
/// `AWS_DEFAULT_REGION`, else `us-east-1`), static credentials from `AWS_ACCESS_KEY_ID` /
/// `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`, endpoint from `AWS_ENDPOINT_URL`. At most two attempts per
/// operation, all within `deadline`.
pub fn sdk_config_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
    deadline: Duration,
) -> SdkConfig {
    sdk_config_at(lookup, None, deadline)
}

/// Which roots a TLS connection to `endpoint` (`None`: AWS's own) is verified against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Roots {
    /// The roots AWS endpoints chain to (`amazon-roots.pem`).
    Amazon,
    /// The system's trust store: a custom `https://` endpoint.
    System,
}

impl Roots {
    fn for_endpoint(endpoint: Option<&str>) -> Roots {
        match endpoint {
            Some(url) if url.trim_start().starts_with("https://") => Roots::System,
            _ => Roots::Amazon,
        }
    }
}

/// [`sdk_config_from_lookup`] at `endpoint` when given (a service's own), else at `AWS_ENDPOINT_URL`.
fn sdk_config_at(
    lookup: impl Fn(&str) -> Option<String>,
    endpoint: Option<String>,
    deadline: Duration,
) -> SdkConfig {
    let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
    let region = var("AWS_REGION")
        .or_else(|| var("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".into());
    let mut config = SdkConfig::builder()
        .behavior_version(
            aws_smithy_runtime_api::client::behavior_version::BehaviorVersion::latest(),
        )
        .region(Region::new(region))
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(deadline / 2)
                .operation_attempt_timeout(deadline / 2)
                .operation_timeout(deadline)
                .build(),
        );
    if let Some(sleep) = default_async_sleep() {
        config = config.sleep_impl(sleep);
    }
    if let (Some(key), Some(secret)) = (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        let credentials =
            Credentials::new(key, secret, var("AWS_SESSION_TOKEN"), None, "environment");
        config = config.credentials_provider(SharedCredentialsProvider::new(credentials));
    }
    let endpoint = endpoint.or_else(|| var("AWS_ENDPOINT_URL"));
    let trust = match Roots::for_endpoint(endpoint.as_deref()) {
        Roots::System => TrustStore::default(),
        Roots::Amazon => TrustStore::empty().with_pem_certificate(AMAZON_ROOTS),
    };
    if let Ok(context) = TlsContext::builder().with_trust_store(trust).build() {
        let client = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(context)
            .build_https();
        config = config.http_client(SharedHttpClient::new(ConnectOnUse(client)));
    }
    if let Some(endpoint) = endpoint {
        config = config.endpoint_url(endpoint);
    }
    config.build()
}

/// The SDK's HTTPS client without its check-time connector. aws-smithy-http-client builds a whole connector
/// (TLS configuration, the roots' PEM decoded) while a client's configuration is validated, throws it away, and
/// builds the connector it uses at the first request: a quarter of a million instructions of every cold start's
/// init for nothing (BENCHMARKS.md). This forwards everything but that check.
#[derive(Debug)]
struct ConnectOnUse(SharedHttpClient);

impl HttpClient for ConnectOnUse {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        config: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_final_config(components, config)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// The root certificates of AWS service endpoints.
const AMAZON_ROOTS: &[u8] = include_bytes!("amazon-roots.pem");

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    #[test]
    fn the_bundled_amazon_roots_parse() {
        let certs: Vec<_> = CertificateDer::pem_slice_iter(AMAZON_ROOTS)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(certs.len(), 5);
    }

    /// `.cargo/config.toml` builds aws-lc without CPU jitter entropy (it says why).
    #[test]
    fn randomness_is_seeded_without_cpu_jitter() {
        // SAFETY: a pure query of aws-lc's compiled-in entropy configuration.
        assert_eq!(unsafe { aws_lc_sys::FIPS_is_entropy_cpu_jitter() }, 0);
    }

    /// An HTTP client that counts the configuration checks the SDK asks of it.
    #[derive(Debug, Clone, Default)]
    struct Counting(std::sync::Arc<std::sync::atomic::AtomicUsize>);

    impl HttpClient for Counting {
        fn http_connector(
            &self,
            _: &HttpConnectorSettings,
            _: &RuntimeComponents,
        ) -> SharedHttpConnector {
            unreachable!("no request is made")
        }

        fn validate_base_client_config(
            &self,
            _: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder,
            _: &ConfigBag,
        ) -> Result<(), BoxError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(())
        }
    }

    /// Building an SQS client makes the SDK check its HTTP client's configuration (which, for the SDK's own
    /// HTTPS client, builds a connector); behind `ConnectOnUse` nothing is built until a request.
    #[cfg(feature = "sqs")]
    #[test]
    fn clients_build_no_connector_before_their_first_request() {
        let client_with = |http: SharedHttpClient| {
            let config = SdkConfig::builder()
                .behavior_version(
                    aws_smithy_runtime_api::client::behavior_version::BehaviorVersion::latest(),
                )
                .region(Region::new("us-east-1"))
                .http_client(http)
                .build();
            aws_sdk_sqs::Client::new(&config)
        };
        let bare = Counting::default();
        client_with(SharedHttpClient::new(bare.clone()));
        assert_eq!(bare.0.load(std::sync::atomic::Ordering::Relaxed), 1);
        let wrapped = Counting::default();
        client_with(SharedHttpClient::new(ConnectOnUse(SharedHttpClient::new(
            wrapped.clone(),
        ))));
        assert_eq!(wrapped.0.load(std::sync::atomic::Ordering::Relaxed), 0);
    }

    #[test]
    fn a_config_builds_for_aws_and_for_custom_endpoints() {
        for endpoint in [
            None,
            Some("http://127.0.0.1:9"),
            Some("https://sqs.example.test"),
        ] {
            let config = sdk_config_from_lookup(
                |var| {
                    (var == "AWS_ENDPOINT_URL")
                        .then(|| endpoint.map(str::to_owned))
                        .flatten()
                },
                Duration::from_secs(1),
            );
            assert!(config.http_client().is_some());
            assert_eq!(config.endpoint_url(), endpoint);
        }
    }

    #[test]
    fn the_roots_follow_the_endpoint_each_service_uses() {
        let lookup = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(var, _)| *var == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        let https_sqs = &[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9"),
            ("AWS_ENDPOINT_URL_SQS", "https://sqs.example.test"),
            ("AWS_ENDPOINT_URL_SNS", " "),
        ];
        let endpoint = |service| {
            sdk_config_for(service, lookup(https_sqs), Duration::from_secs(1))
                .endpoint_url()
                .map(str::to_owned)
        };
        let sqs = endpoint(Service::Sqs);
        assert_eq!(sqs.as_deref(), Some("https://sqs.example.test"));
        assert_eq!(Roots::for_endpoint(sqs.as_deref()), Roots::System);
        for service in [Service::Sns, Service::DynamoDb] {
            let other = endpoint(service);
            assert_eq!(other.as_deref(), Some("http://127.0.0.1:9"), "{service:?}");
            assert_eq!(Roots::for_endpoint(other.as_deref()), Roots::Amazon);
        }
        let on_aws = sdk_config_for(Service::Sqs, lookup(&[]), Duration::from_secs(1));
        assert_eq!(on_aws.endpoint_url(), None);
        assert_eq!(Roots::for_endpoint(None), Roots::Amazon);
    }

    #[test]
    fn an_empty_endpoint_is_unset() {
        // template.yaml declares AWS_ENDPOINT_URL empty (so that `sam local invoke --env-vars` can set it): on AWS
        // the functions must then talk to the regional endpoints.
        for empty in ["", " "] {
            let config = sdk_config_from_lookup(
                |var| (var == "AWS_ENDPOINT_URL").then(|| empty.to_owned()),
                Duration::from_secs(1),
            );
            assert_eq!(config.endpoint_url(), None);
        }
    }
}
