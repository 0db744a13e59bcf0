//! [`ObjectStoreOptions`]: one object store (a bucket, a container, an HTTP host) and the
//! options it is built with, as SQL gave them (`'aws.region' 'eu-west-1'`). It is also the
//! message that carries them to executors, so it redacts its own secrets when printed.

use std::collections::BTreeMap;
use std::fmt;

use datafusion::execution::object_store::ObjectStoreUrl;

/// What a secret option's value is shown as.
pub const REDACTED: &str = "******";

/// An object store and its options, keys in their SQL form (`aws.access_key_id`). No
/// options: the store is built from the process's environment alone.
#[derive(Clone, PartialEq, Eq, Hash, prost::Message)]
#[prost(skip_debug)]
pub struct ObjectStoreOptions {
    /// The store, as DataFusion names it: scheme and authority (`s3://bucket`).
    #[prost(string, tag = "1")]
    pub url: String,
    /// The options of the store's namespace (`aws.*` for `s3://`).
    #[prost(btree_map = "string, string", tag = "2")]
    pub options: BTreeMap<String, String>,
}

impl ObjectStoreOptions {
    /// The store `url` names, with the options of its namespace among `options` (others,
    /// such as `format.*`, are left out).
    pub fn for_store<'a>(
        url: &ObjectStoreUrl,
        options: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) -> Self {
        let url = url.as_str().trim_end_matches('/').to_string();
        let namespace = scheme_of(&url).and_then(store_namespace);
        let options = options
            .into_iter()
            .filter(|(key, _)| namespace.is_some_and(|namespace| in_namespace(key, namespace)))
            .map(|(key, value)| (key.to_ascii_lowercase(), value.clone()))
            .collect();
        Self { url, options }
    }

    /// The scheme of the store's URL (`s3`).
    pub fn scheme(&self) -> &str {
        scheme_of(&self.url).unwrap_or_default()
    }

    /// Whether the options bring credentials of their own (a key, a token, or anonymous
    /// access) rather than relying on the server's environment.
    pub fn has_own_credentials(&self) -> bool {
        self.options.iter().any(|(key, value)| {
            (is_secret_option(key) && !names_server_credentials(key))
                || (option_name(key) == "skip_signature" && value.eq_ignore_ascii_case("true"))
        })
    }

    /// The options with every secret value replaced by [`REDACTED`].
    pub fn redacted_options(&self) -> BTreeMap<&str, &str> {
        self.options
            .iter()
            .map(|(key, value)| {
                let shown = if is_secret_option(key) {
                    REDACTED
                } else {
                    value.as_str()
                };
                (key.as_str(), shown)
            })
            .collect()
    }
}

impl fmt::Debug for ObjectStoreOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectStoreOptions")
            .field("url", &self.url)
            .field("options", &self.redacted_options())
            .finish()
    }
}

/// The option namespace of a URL scheme (`aws` for `s3`), or `None` when the scheme is not
/// an object store (a local `file`, or one Trebuchet cannot reach).
pub fn store_namespace(scheme: &str) -> Option<&'static str> {
    match scheme.to_ascii_lowercase().as_str() {
        "s3" | "s3a" => Some("aws"),
        "gs" => Some("gcp"),
        "az" | "adl" | "azure" | "abfs" | "abfss" => Some("azure"),
        "http" | "https" => Some("http"),
        _ => None,
    }
}

/// Whether an option's value is a secret, never to be shown: any option whose name
/// mentions a key, secret, token, password, SAS or credential (`aws.secret_access_key`,
/// `azure.sas_token`, `gcp.service_account_key`). Errs on the side of hiding.
pub fn is_secret_option(key: &str) -> bool {
    const SECRET_WORDS: [&str; 6] = ["key", "secret", "token", "password", "sas", "credential"];
    let name = option_name(key).to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| name.contains(word))
}

/// Whether an option makes the server use credentials it holds itself: a file on its disk
/// (`aws.web_identity_token_file`, `gcp.service_account` as a path) or an endpoint that
/// hands out the machine's identity (`aws.metadata_endpoint`, `azure.msi_endpoint`).
pub fn names_server_credentials(key: &str) -> bool {
    const SERVER_WORDS: [&str; 7] = [
        "file",
        "path",
        "metadata_endpoint",
        "msi",
        "identity_endpoint",
        "credentials_full_uri",
        "credentials_relative_uri",
    ];
    let name = option_name(key).to_ascii_lowercase();
    let name = name.strip_prefix("google_").unwrap_or(&name);
    SERVER_WORDS.iter().any(|word| name.contains(word))
        || matches!(name, "service_account" | "application_credentials")
        || name.starts_with("use_azure_cli")
}

/// `key` without its namespace: `secret_access_key` for `aws.secret_access_key`.
fn option_name(key: &str) -> &str {
    key.split_once('.').map_or(key, |(_, name)| name)
}

fn in_namespace(key: &str, namespace: &str) -> bool {
    key.split_once('.')
        .is_some_and(|(prefix, _)| prefix.eq_ignore_ascii_case(namespace))
}

fn scheme_of(url: &str) -> Option<&str> {
    url.split_once("://").map(|(scheme, _)| scheme)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn keeps_only_the_options_of_the_stores_namespace() {
        let url = ObjectStoreUrl::parse("s3://bucket").unwrap();
        let given = options(&[
            ("aws.region", "eu-west-1"),
            ("format.has_header", "true"),
            ("gcp.service_account_key", "{}"),
        ]);
        let store = ObjectStoreOptions::for_store(&url, &given);
        assert_eq!(store.url, "s3://bucket");
        assert_eq!(store.scheme(), "s3");
        assert_eq!(store.options, options(&[("aws.region", "eu-west-1")]));
    }

    #[test]
    fn debug_output_hides_secrets() {
        let store = ObjectStoreOptions {
            url: "s3://bucket".into(),
            options: options(&[
                ("aws.access_key_id", "AKIDEXAMPLE"),
                ("aws.secret_access_key", "hunter2hunter2"),
                ("aws.session_token", "tok3n"),
                ("aws.region", "eu-west-1"),
            ]),
        };
        let shown = format!("{store:?}");
        for secret in ["AKIDEXAMPLE", "hunter2hunter2", "tok3n"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(
            shown.contains("eu-west-1") && shown.contains(REDACTED),
            "{shown}"
        );
    }

    #[test]
    fn own_credentials_are_keys_tokens_or_anonymous_access() {
        let with = |pairs: &[(&str, &str)]| ObjectStoreOptions {
            url: "s3://bucket".into(),
            options: options(pairs),
        };
        assert!(with(&[("aws.secret_access_key", "s")]).has_own_credentials());
        assert!(with(&[("aws.skip_signature", "true")]).has_own_credentials());
        assert!(!with(&[("aws.region", "us-east-1")]).has_own_credentials());
        assert!(!with(&[("aws.web_identity_token_file", "/x")]).has_own_credentials());
        assert!(names_server_credentials("gcp.service_account"));
        assert!(names_server_credentials("aws.metadata_endpoint"));
        assert!(!names_server_credentials("gcp.service_account_key"));
        assert!(!names_server_credentials("aws.endpoint"));
    }

    #[test]
    fn namespaces_follow_the_scheme() {
        assert_eq!(store_namespace("S3"), Some("aws"));
        assert_eq!(store_namespace("abfss"), Some("azure"));
        assert_eq!(store_namespace("gs"), Some("gcp"));
        assert_eq!(store_namespace("https"), Some("http"));
        assert_eq!(store_namespace("file"), None);
    }
}
