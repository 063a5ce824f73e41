//! S3-compatible object storage (AWS S3, SeaweedFS, MinIO, Garage, R2…), for sites that run on
//! several nodes: `storage_url = "s3://BUCKET?endpoint=…&region=…"`.
//!
//! Requests use path-style addresses (`https://endpoint/BUCKET/key`), which every S3
//! implementation answers, where virtual-hosted names (`BUCKET.endpoint`) need DNS set up for
//! each bucket. Objects are written without any ACL, so they are as private as the bucket: the
//! nodes serve what readers may see, and nothing else in the bucket is reachable without keys.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::{ClientOptions, RetryConfig};

use crate::{MediaError, MediaStore};

/// The region signatures name when none is given: what AWS calls its default, and what most
/// other S3 implementations accept whatever their own name.
const DEFAULT_REGION: &str = "us-east-1";

/// Query parameters whose values are secrets: never logged, never printed.
const SECRET_PARAMETERS: &[&str] = &["secret_access_key", "session_token"];

/// An S3 bucket and how to reach it, from `s3://BUCKET?endpoint=…&region=…&access_key_id=…&
/// secret_access_key=…`; parameters left out come from the standard AWS environment variables.
/// `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Bucket {
    pub bucket: String,
    /// `https://s3.example.net` or, on a private network, `http://10.0.0.5:8333`; `None` means
    /// AWS itself.
    pub endpoint: Option<String>,
    pub region: String,
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl std::fmt::Debug for S3Bucket {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("S3Bucket")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"[hidden]")
            .finish_non_exhaustive()
    }
}

impl S3Bucket {
    /// Reads a storage URL, taking what it leaves out from `env` (the process environment in the
    /// binary): `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`
    /// (or `AWS_DEFAULT_REGION`) and `AWS_ENDPOINT_URL`. The URL wins over the environment.
    ///
    /// Keys are required: without them object_store would ask the cloud's instance metadata
    /// service, which on a newsroom's own servers is a request to nowhere and a long wait.
    pub fn from_url(url: &str, env: impl Fn(&str) -> Option<String>) -> Result<Self, MediaError> {
        let invalid = |why: &str| {
            MediaError::InvalidStorageUrl(format!("{}: {why}", redact_storage_url(url)))
        };
        let parsed = url::Url::parse(url).map_err(|error| invalid(&error.to_string()))?;
        if parsed.scheme() != "s3" {
            return Err(invalid(
                "only s3://BUCKET?endpoint=…&region=… is understood",
            ));
        }
        let bucket = parsed.host_str().unwrap_or_default().to_owned();
        if !is_bucket_name(&bucket) {
            return Err(invalid(
                "the bucket name must be 3 to 63 lower-case letters, digits, dots or hyphens, \
                 starting and ending with a letter or digit",
            ));
        }
        if !matches!(parsed.path(), "" | "/") || parsed.fragment().is_some() {
            return Err(invalid(
                "nothing may follow the bucket name but ?parameters",
            ));
        }
        if !parsed.username().is_empty() || parsed.password().is_some() || parsed.port().is_some() {
            return Err(invalid(
                "keys go in access_key_id= and secret_access_key=, the server in endpoint=",
            ));
        }
        let mut endpoint = None;
        let mut region = None;
        let mut access_key_id = None;
        let mut secret_access_key = None;
        let mut session_token = None;
        for (name, value) in parsed.query_pairs() {
            let slot = match name.as_ref() {
                "endpoint" => &mut endpoint,
                "region" => &mut region,
                "access_key_id" => &mut access_key_id,
                "secret_access_key" => &mut secret_access_key,
                "session_token" => &mut session_token,
                other => {
                    return Err(invalid(&format!(
                        "unknown parameter “{other}” (endpoint, region, access_key_id, \
                         secret_access_key, session_token)"
                    )));
                }
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(invalid(&format!("“{name}” is given twice")));
            }
        }
        let endpoint = endpoint
            .or_else(|| env("AWS_ENDPOINT_URL"))
            .map(|endpoint| endpoint.trim_end_matches('/').to_owned());
        if let Some(endpoint) = &endpoint {
            let scheme_ok = url::Url::parse(endpoint)
                .is_ok_and(|parsed| matches!(parsed.scheme(), "http" | "https"));
            if !scheme_ok {
                return Err(invalid("endpoint= must be an http:// or https:// address"));
            }
        }
        let region = region
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| DEFAULT_REGION.to_owned());
        let (Some(access_key_id), Some(secret_access_key)) = (
            access_key_id.or_else(|| env("AWS_ACCESS_KEY_ID")),
            secret_access_key.or_else(|| env("AWS_SECRET_ACCESS_KEY")),
        ) else {
            return Err(invalid(
                "no keys: give access_key_id= and secret_access_key=, or set \
                 AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            ));
        };
        Ok(S3Bucket {
            bucket,
            endpoint,
            region,
            access_key_id,
            secret_access_key,
            session_token: session_token.or_else(|| env("AWS_SESSION_TOKEN")),
        })
    }

    /// The bucket as a URL to show people and logs: secrets left out.
    pub fn display_url(&self) -> String {
        let mut url = format!("s3://{}?region={}", self.bucket, self.region);
        if let Some(endpoint) = &self.endpoint {
            url.push_str("&endpoint=");
            url.push_str(endpoint);
        }
        url
    }
}

/// `url` fit for a log line or an error message: the values of `secret_access_key=` and
/// `session_token=`, and any password before an `@`, become `***`. Works on text that does not
/// parse too, since that is when it ends up in an error message.
pub fn redact_storage_url(url: &str) -> String {
    let (address, query) = match url.split_once('?') {
        Some((address, query)) => (address, Some(query)),
        None => (url, None),
    };
    let address = match (address.find("://"), address.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let user = &address[scheme_end + 3..at];
            let user = user.split_once(':').map_or(user, |(name, _)| name);
            format!("{}{user}:***{}", &address[..scheme_end + 3], &address[at..])
        }
        _ => address.to_owned(),
    };
    let Some(query) = query else {
        return address;
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET_PARAMETERS.contains(&name) => format!("{name}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{address}?{}", query.join("&"))
}

/// S3's bucket naming rules, the part every implementation shares: 3–63 characters of lower-case
/// letters, digits, dots and hyphens, beginning and ending with a letter or digit.
fn is_bucket_name(name: &str) -> bool {
    let edges_ok = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && edges_ok(name.as_bytes().first())
        && edges_ok(name.as_bytes().last())
        && !name.contains("..")
}

impl MediaStore {
    /// Storage in an S3 bucket. Nothing is sent yet: a wrong key or an unreachable endpoint
    /// shows at the first read or write, as a [`MediaError::Storage`] naming the cause.
    pub fn s3(bucket: &S3Bucket) -> Result<Self, MediaError> {
        // reqwest is built without a crypto provider of its own (see the root Cargo.toml) and
        // takes the process's default: ring, already linked for email. An error means one is
        // installed already, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let plain_http = bucket
            .endpoint
            .as_deref()
            .is_some_and(|endpoint| endpoint.starts_with("http://"));
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&bucket.bucket)
            .with_region(&bucket.region)
            .with_access_key_id(&bucket.access_key_id)
            .with_secret_access_key(&bucket.secret_access_key)
            .with_virtual_hosted_style_request(false)
            .with_retry(retry_config())
            .with_client_options(client_options(plain_http));
        if let Some(endpoint) = &bucket.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(token) = &bucket.session_token {
            builder = builder.with_token(token);
        }
        let objects = builder.build()?;
        Ok(MediaStore {
            objects: Arc::new(objects),
            keeps_metadata: true,
        })
    }

    /// Asks for the first key: proves that the endpoint answers, the keys sign and the bucket
    /// exists, before a node starts serving or a migration starts copying.
    pub async fn check_reachable(&self) -> Result<(), MediaError> {
        match self.objects.list(None).next().await {
            Some(Err(error)) => Err(error.into()),
            Some(Ok(_)) | None => Ok(()),
        }
    }
}

/// Retries for the transient failures S3 is known for (503 SlowDown, a reset connection), but
/// short: with the store down, an upload is refused with a message in seconds rather than after
/// object_store's default of ten tries over three minutes, while the person waits.
fn retry_config() -> RetryConfig {
    RetryConfig {
        max_retries: 3,
        retry_timeout: Duration::from_secs(10),
        ..RetryConfig::default()
    }
}

/// Timeouts. No limit on a whole request: a reader on a slow phone may take minutes to pull an
/// episode the node streams from the bucket. Instead a connection must open in 5 s and no read
/// may wait more than 30 s, which is how a stalled server shows.
fn client_options(plain_http: bool) -> ClientOptions {
    ClientOptions::new()
        .with_allow_http(plain_http)
        .with_connect_timeout(Duration::from_secs(5))
        .with_timeout_disabled()
        .with_read_timeout(Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn a_storage_url_names_bucket_endpoint_region_and_keys() {
        let bucket = S3Bucket::from_url(
            "s3://news-media?endpoint=http://127.0.0.1:8333/&region=eu-west-3\
             &access_key_id=AKID&secret_access_key=s%2Fcret",
            no_env,
        )
        .expect("parses");
        assert_eq!(bucket.bucket, "news-media");
        assert_eq!(bucket.endpoint.as_deref(), Some("http://127.0.0.1:8333"));
        assert_eq!(bucket.region, "eu-west-3");
        assert_eq!(bucket.access_key_id, "AKID");
        assert_eq!(bucket.secret_access_key, "s/cret");
        assert_eq!(bucket.session_token, None);
        assert!(!format!("{bucket:?}").contains("s/cret"), "{bucket:?}");
        assert_eq!(
            bucket.display_url(),
            "s3://news-media?region=eu-west-3&endpoint=http://127.0.0.1:8333"
        );
    }

    #[test]
    fn what_the_url_leaves_out_comes_from_the_aws_variables_and_the_url_wins() {
        let env = |key: &str| {
            let value = match key {
                "AWS_ACCESS_KEY_ID" => "from-env",
                "AWS_SECRET_ACCESS_KEY" => "env-secret",
                "AWS_SESSION_TOKEN" => "env-token",
                "AWS_REGION" => "ap-south-1",
                "AWS_ENDPOINT_URL" => "https://s3.example.net",
                _ => return None,
            };
            Some(value.to_owned())
        };
        let bucket = S3Bucket::from_url("s3://media", env).expect("parses");
        assert_eq!(bucket.access_key_id, "from-env");
        assert_eq!(bucket.secret_access_key, "env-secret");
        assert_eq!(bucket.session_token.as_deref(), Some("env-token"));
        assert_eq!(bucket.region, "ap-south-1");
        assert_eq!(bucket.endpoint.as_deref(), Some("https://s3.example.net"));

        let bucket = S3Bucket::from_url("s3://media?region=eu-north-1&access_key_id=mine", env)
            .expect("parses");
        assert_eq!(bucket.region, "eu-north-1");
        assert_eq!(bucket.access_key_id, "mine");
        assert_eq!(bucket.secret_access_key, "env-secret");

        let bucket = S3Bucket::from_url("s3://media?access_key_id=a&secret_access_key=b", no_env)
            .expect("parses");
        assert_eq!(bucket.region, DEFAULT_REGION);
        assert_eq!(bucket.endpoint, None);
    }

    #[test]
    fn bad_storage_urls_are_refused_with_the_reason_and_without_the_secret() {
        let keys = "access_key_id=a&secret_access_key=TOPSECRET";
        for (url, reason) in [
            (format!("file:///srv/media?{keys}"), "only s3://"),
            (format!("s3://ab?{keys}"), "3 to 63"),
            (format!("s3://News?{keys}"), "lower-case"),
            (format!("s3://-news?{keys}"), "starting and ending"),
            (format!("s3://a..b?{keys}"), "3 to 63"),
            (format!("s3://media/prefix?{keys}"), "nothing may follow"),
            (format!("s3://key:TOPSECRET@media?{keys}"), "access_key_id="),
            (
                format!("s3://media?endpont=http://x&{keys}"),
                "unknown parameter “endpont”",
            ),
            (
                format!("s3://media?region=a&region=b&{keys}"),
                "given twice",
            ),
            (
                format!("s3://media?endpoint=ftp://x&{keys}"),
                "http:// or https://",
            ),
            ("s3://media?access_key_id=a".to_owned(), "no keys"),
        ] {
            let error = S3Bucket::from_url(&url, no_env)
                .expect_err(&url)
                .to_string();
            assert!(error.contains(reason), "{url}: {error}");
            assert!(!error.contains("TOPSECRET"), "{error}");
        }
    }

    #[test]
    fn redaction_hides_secrets_and_keeps_the_rest() {
        assert_eq!(
            redact_storage_url(
                "s3://media?endpoint=http://h:1&access_key_id=AK&secret_access_key=SK&session_token=T"
            ),
            "s3://media?endpoint=http://h:1&access_key_id=AK&secret_access_key=***&session_token=***"
        );
        assert_eq!(
            redact_storage_url("s3://user:pass@media?region=x"),
            "s3://user:***@media?region=x"
        );
        assert_eq!(redact_storage_url("s3://media"), "s3://media");
        assert_eq!(
            redact_storage_url("not a url?secret_access_key=x y"),
            "not a url?secret_access_key=***"
        );
    }

    #[test]
    fn bucket_names_follow_the_s3_rules() {
        for good in ["abc", "news-media", "media.2026", &"a".repeat(63)] {
            assert!(is_bucket_name(good), "{good}");
        }
        for bad in [
            "ab",
            "Media",
            "media_x",
            "-abc",
            "abc-",
            ".abc",
            "a..b",
            &"a".repeat(64),
        ] {
            assert!(!is_bucket_name(bad), "{bad}");
        }
    }
}

/// The reads the public `/media` and `/audio` routes stream with (a HEAD for the size, then a
/// ranged GET), against a real S3 server.
#[cfg(all(test, feature = "testing"))]
mod ranges {
    use bytes::Bytes;
    use futures_util::TryStreamExt;
    use object_store::{GetOptions, GetRange, ObjectStoreExt};

    use crate::object_path;
    use crate::testing::SeaweedFs;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn byte_ranges_read_exactly_the_bytes_asked_for() {
        let server = SeaweedFs::start().await;
        let store = server.store();
        let episode: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
        store
            .put("audio/e.mp3", Bytes::from(episode.clone()))
            .await
            .expect("put");
        let path = object_path("audio/e.mp3").expect("key");
        let head = store.objects.head(&path).await.expect("head");
        assert_eq!(head.size, 3_000_000);
        for (range, expected) in [
            (GetRange::Bounded(0..1), 0..1),
            (
                GetRange::Bounded(1_000_000..1_000_100),
                1_000_000..1_000_100,
            ),
            (
                GetRange::Bounded(2_999_000..3_000_000),
                2_999_000..3_000_000,
            ),
            (GetRange::Offset(2_500_000), 2_500_000..3_000_000),
            (GetRange::Suffix(10), 2_999_990..3_000_000),
        ] {
            let options = GetOptions {
                range: Some(range.clone()),
                ..GetOptions::default()
            };
            let got = store.objects.get_opts(&path, options).await.expect("get");
            assert_eq!(got.meta.size, 3_000_000, "{range:?}");
            assert_eq!(got.range, expected.start as u64..expected.end as u64);
            let chunks: Vec<Bytes> = got.into_stream().try_collect().await.expect("body");
            let body: Vec<u8> = chunks.concat();
            assert_eq!(body, episode[expected.clone()], "{range:?}");
        }
    }
}
