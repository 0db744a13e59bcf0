//! [`build_object_store`]: an `object_store` client from [`ObjectStoreOptions`], the
//! process's environment first (`AWS_*`, `GOOGLE_*`, `AZURE_*`), then the options over it,
//! as datafusion-cli does. Building does no I/O: bad credentials show on the first request.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use datafusion::error::{DataFusionError, Result};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::azure::{AzureConfigKey, MicrosoftAzureBuilder};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::http::HttpBuilder;
use object_store::{ClientConfigKey, ObjectStore, RetryConfig};

use super::store_options::{ObjectStoreOptions, store_namespace};

/// Our own option (`<namespace>.max_retries`): how often a failed request is retried.
const MAX_RETRIES: &str = "max_retries";
/// Our own option (`<namespace>.retry_timeout`, e.g. `10s`): how long a request is retried
/// before its error is final. With the store gone, a query fails after about this long.
const RETRY_TIMEOUT: &str = "retry_timeout";

/// Builds the store `options` describe. Errors name the store and the option at fault,
/// never an option's value.
pub fn build_object_store(options: &ObjectStoreOptions) -> Result<Arc<dyn ObjectStore>> {
    let invalid = |reason: String| {
        DataFusionError::Configuration(format!("object store {}: {reason}", options.url))
    };
    let namespace = store_namespace(options.scheme()).ok_or_else(|| {
        invalid(format!(
            "{}:// is not an object store Trebuchet can read (s3://, gs://, az://, abfs[s]://, \
             http[s]:// are)",
            options.scheme()
        ))
    })?;
    let mut retry = RetryConfig::default();
    let mut settings = Vec::new();
    for (key, value) in &options.options {
        let name = key
            .strip_prefix(namespace)
            .and_then(|rest| rest.strip_prefix('.'))
            .ok_or_else(|| invalid(format!("option {key} does not belong to {namespace}.*")))?;
        match name {
            MAX_RETRIES => {
                retry.max_retries = value
                    .parse()
                    .map_err(|_| invalid(format!("{key} must be a whole number")))?;
            }
            RETRY_TIMEOUT => {
                retry.retry_timeout = parse_duration(value)
                    .ok_or_else(|| invalid(format!("{key} must be a duration such as 10s")))?;
            }
            _ => settings.push((key.as_str(), name, value.as_str())),
        }
    }
    let unknown = |key: &str| invalid(format!("unknown option {key}"));
    let built: object_store::Result<Arc<dyn ObjectStore>> = match namespace {
        "aws" => {
            let mut builder = AmazonS3Builder::from_env().with_url(&options.url);
            for (key, name, value) in settings {
                let config = AmazonS3ConfigKey::from_str(name).map_err(|_| unknown(key))?;
                builder = builder.with_config(config, value);
            }
            builder
                .with_retry(retry)
                .build()
                .map(|store| Arc::new(store) as _)
        }
        "gcp" => {
            let mut builder = GoogleCloudStorageBuilder::from_env().with_url(&options.url);
            for (key, name, value) in settings {
                let config = GoogleConfigKey::from_str(name).map_err(|_| unknown(key))?;
                builder = builder.with_config(config, value);
            }
            builder
                .with_retry(retry)
                .build()
                .map(|store| Arc::new(store) as _)
        }
        "azure" => {
            let mut builder = MicrosoftAzureBuilder::from_env().with_url(&options.url);
            for (key, name, value) in settings {
                let config = AzureConfigKey::from_str(name).map_err(|_| unknown(key))?;
                builder = builder.with_config(config, value);
            }
            builder
                .with_retry(retry)
                .build()
                .map(|store| Arc::new(store) as _)
        }
        _ => {
            let mut builder = HttpBuilder::new().with_url(&options.url);
            for (key, name, value) in settings {
                let config = ClientConfigKey::from_str(name).map_err(|_| unknown(key))?;
                builder = builder.with_config(config, value);
            }
            builder
                .with_retry(retry)
                .build()
                .map(|store| Arc::new(store) as _)
        }
    };
    // A builder's error names a key or a malformed non-secret value (a URL, a boolean).
    built.map_err(|err| invalid(err.to_string()))
}

/// `500ms`, `10s`, `2m` or a bare number of seconds.
fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit.trim() {
        "ms" => number / 1000.0,
        "" | "s" => number,
        "m" | "min" => number * 60.0,
        _ => return None,
    };
    Duration::try_from_secs_f64(seconds).ok()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn store(url: &str, pairs: &[(&str, &str)]) -> ObjectStoreOptions {
        ObjectStoreOptions {
            url: url.into(),
            options: pairs
                .iter()
                .map(|(key, value)| (key.to_string(), value.to_string()))
                .collect::<BTreeMap<_, _>>(),
        }
    }

    #[test]
    fn builds_an_s3_store_from_options() {
        let options = store(
            "s3://bucket",
            &[
                ("aws.access_key_id", "id"),
                ("aws.secret_access_key", "secret"),
                ("aws.endpoint", "http://127.0.0.1:9"),
                ("aws.region", "us-east-1"),
                ("aws.allow_http", "true"),
                ("aws.retry_timeout", "3s"),
                ("aws.max_retries", "2"),
            ],
        );
        let built = build_object_store(&options).unwrap();
        assert!(built.to_string().contains("bucket"), "{built}");
    }

    #[test]
    fn errors_name_the_option_and_never_a_secret_value() {
        let err = build_object_store(&store(
            "s3://bucket",
            &[("aws.secret_access_key", "hunter2"), ("aws.no_such", "x")],
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("aws.no_such") && err.contains("s3://bucket"),
            "{err}"
        );
        assert!(!err.contains("hunter2"), "{err}");
        let err = build_object_store(&store("s3://bucket", &[("aws.retry_timeout", "soon")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("duration"), "{err}");
        let err = build_object_store(&store("ftp://host", &[]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("ftp://"), "{err}");
    }

    #[test]
    fn durations_take_a_unit() {
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("3s"), Some(Duration::from_secs(3)));
        assert_eq!(parse_duration("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Some(Duration::from_secs(60)));
        assert_eq!(parse_duration("soon"), None);
    }
}
