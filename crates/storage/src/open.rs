//! Opening an object store from a storage URL.
//!
//! Owns the URL syntax of storage locations:
//!
//! | URL | store |
//! |---|---|
//! | `file:///abs/dir` or a plain path (relative to the working directory) | local file system |
//! | `s3://bucket/prefix` (also `s3a://`) | S3 or an S3-compatible server (`AWS_*` environment) |
//! | `gs://bucket/prefix` | Google Cloud Storage (`GOOGLE_*` environment) |
//! | `az://container/prefix`, `azure://…`, `abfs[s]://container@account.dfs.core.windows.net/prefix` | Azure Blob Storage (`AZURE_*` environment) |
//!
//! Cloud credentials and endpoints come from the environment the way `object_store` reads it
//! (`AWS_ACCESS_KEY_ID`, `AWS_ENDPOINT_URL`, `AWS_REGION`, …), overridable by
//! [`StorageOptions`]. An `http://` S3 or Azure endpoint allows plain HTTP. Does not own where
//! the URL comes from (configuration) nor what is written (the Parquet writer).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::azure::MicrosoftAzureBuilder;
use object_store::gcp::GoogleCloudStorageBuilder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;

use crate::StorageError;

/// Extra `object_store` configuration keys (e.g. `aws_endpoint_url`, `aws_allow_http`,
/// `google_service_account`, `azure_storage_account_name`), applied over the environment to the
/// store whose key prefix they carry (`aws_`, `google_`, `azure_`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StorageOptions {
    /// Key → value.
    pub options: BTreeMap<String, String>,
}

impl StorageOptions {
    /// Adds one option.
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.insert(key.into(), value.into());
        self
    }

    fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.options
            .iter()
            .filter(move |(k, _)| k.to_ascii_lowercase().starts_with(prefix))
            .map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// A parsed storage URL: which store, and the prefix inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The store: `file`, `s3`, `gs` or `az`.
    pub scheme: &'static str,
    /// Bucket or container (empty for `file`).
    pub bucket: String,
    /// Azure account when the URL names it (`abfs://container@account…`).
    pub account: Option<String>,
    /// Prefix inside the store, without leading or trailing `/`.
    pub prefix: Path,
}

impl Location {
    /// Parses a storage URL or plain path (see the module docs).
    pub fn parse(url: &str) -> Result<Location, StorageError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(StorageError::Config("empty storage location".into()));
        }
        let Some((scheme, rest)) = url.split_once("://") else {
            return local_location(url);
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "file" => return local_location(rest),
            "s3" | "s3a" => "s3",
            "gs" => "gs",
            "az" | "azure" | "abfs" | "abfss" => "az",
            other => {
                return Err(StorageError::Config(format!(
                    "unsupported storage scheme '{other}': use file://, s3://, gs://, az:// or abfs://"
                )));
            }
        };
        let (bucket, account) = match authority.split_once('@') {
            Some((container, host)) if scheme == "az" => (
                container.to_string(),
                host.split('.').next().map(str::to_string),
            ),
            _ => (authority.to_string(), None),
        };
        if bucket.is_empty() {
            return Err(StorageError::Config(format!(
                "'{url}' names no bucket or container"
            )));
        }
        Ok(Location {
            scheme,
            bucket,
            account,
            prefix: parse_prefix(path)?,
        })
    }

    /// The cache key of the store: one store per scheme, bucket and account.
    fn store_key(&self) -> String {
        format!(
            "{}://{}@{}",
            self.scheme,
            self.bucket,
            self.account.as_deref().unwrap_or("")
        )
    }
}

fn local_location(path: &str) -> Result<Location, StorageError> {
    let path = std::path::Path::new(path);
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| StorageError::Config(format!("cannot resolve '{}': {e}", path.display())))?
            .join(path)
    };
    let prefix = Path::from_absolute_path(&absolute)
        .map_err(|e| StorageError::Config(format!("'{}': {e}", absolute.display())))?;
    Ok(Location {
        scheme: "file",
        bucket: String::new(),
        account: None,
        prefix,
    })
}

fn parse_prefix(path: &str) -> Result<Path, StorageError> {
    Path::parse(path)
        .map_err(|e| StorageError::Config(format!("invalid storage prefix '{path}': {e}")))
}

/// Opens the store a URL points into and returns it with the prefix inside it.
pub fn open_store(
    url: &str,
    options: &StorageOptions,
) -> Result<(Arc<dyn ObjectStore>, Path), StorageError> {
    let location = Location::parse(url)?;
    let store = build_store(&location, options)?;
    Ok((store, location.prefix))
}

fn build_store(
    location: &Location,
    options: &StorageOptions,
) -> Result<Arc<dyn ObjectStore>, StorageError> {
    let config_error = |e: object_store::Error| StorageError::Config(e.to_string());
    Ok(match location.scheme {
        // Empty directories are left behind on delete: cleaning them up could walk above the root.
        "file" => Arc::new(LocalFileSystem::new()),
        "s3" => {
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(&location.bucket);
            for (key, value) in options.with_prefix("aws_") {
                builder = builder.with_config(key.parse().map_err(config_error)?, value);
            }
            let endpoint =
                builder.get_config_value(&object_store::aws::AmazonS3ConfigKey::Endpoint);
            if endpoint
                .as_deref()
                .is_some_and(|e| e.starts_with("http://"))
            {
                builder = builder.with_allow_http(true);
            }
            if builder
                .get_config_value(&object_store::aws::AmazonS3ConfigKey::Region)
                .is_none()
            {
                builder = builder.with_region("us-east-1");
            }
            Arc::new(builder.build().map_err(config_error)?)
        }
        "gs" => {
            let mut builder =
                GoogleCloudStorageBuilder::from_env().with_bucket_name(&location.bucket);
            for (key, value) in options.with_prefix("google_") {
                builder = builder.with_config(key.parse().map_err(config_error)?, value);
            }
            Arc::new(builder.build().map_err(config_error)?)
        }
        _ => {
            let mut builder =
                MicrosoftAzureBuilder::from_env().with_container_name(&location.bucket);
            if let Some(account) = &location.account {
                builder = builder.with_account(account);
            }
            for (key, value) in options.with_prefix("azure_") {
                builder = builder.with_config(key.parse().map_err(config_error)?, value);
            }
            let endpoint = builder.get_config_value(&object_store::azure::AzureConfigKey::Endpoint);
            if endpoint
                .as_deref()
                .is_some_and(|e| e.starts_with("http://"))
            {
                builder = builder.with_allow_http(true);
            }
            Arc::new(builder.build().map_err(config_error)?)
        }
    })
}

/// Opens stores for job output URIs, one per bucket, reused across jobs.
#[derive(Debug, Default)]
pub struct StoreResolver {
    options: StorageOptions,
    stores: Mutex<HashMap<String, Arc<dyn ObjectStore>>>,
}

impl StoreResolver {
    /// A resolver applying `options` to every cloud store it opens.
    pub fn new(options: StorageOptions) -> Self {
        StoreResolver {
            options,
            stores: Mutex::new(HashMap::new()),
        }
    }

    /// The store and prefix of `url`, opening the store on first use.
    pub fn resolve(&self, url: &str) -> Result<(Arc<dyn ObjectStore>, Path), StorageError> {
        let location = Location::parse(url)?;
        let key = location.store_key();
        let mut stores = self
            .stores
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let store = match stores.get(&key) {
            Some(store) => Arc::clone(store),
            None => {
                let store = build_store(&location, &self.options)?;
                stores.insert(key, Arc::clone(&store));
                store
            }
        };
        Ok((store, location.prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_scheme() {
        let s3 = Location::parse("s3://bucket/alice/1/v2/7/nodes/Customer/").unwrap();
        assert_eq!(
            (s3.scheme, s3.bucket.as_str(), s3.prefix.as_ref()),
            ("s3", "bucket", "alice/1/v2/7/nodes/Customer")
        );
        let gs = Location::parse("gs://exports").unwrap();
        assert_eq!((gs.scheme, gs.prefix.as_ref()), ("gs", ""));
        let abfs = Location::parse("abfss://snap@acct.dfs.core.windows.net/a/b").unwrap();
        assert_eq!(
            (abfs.scheme, abfs.bucket.as_str(), abfs.account.as_deref()),
            ("az", "snap", Some("acct"))
        );
        assert_eq!(abfs.prefix.as_ref(), "a/b");
        let file = Location::parse("file:///tmp/snapshots/x/").unwrap();
        assert_eq!(
            (file.scheme, file.prefix.as_ref()),
            ("file", "tmp/snapshots/x")
        );
        let plain = Location::parse("/data/snapshots").unwrap();
        assert_eq!(plain.prefix.as_ref(), "data/snapshots");
        assert!(Location::parse("ftp://x/y").is_err());
        assert!(Location::parse("s3:///nobucket").is_err());
    }

    #[test]
    fn relative_paths_resolve_against_the_working_directory() {
        let loc = Location::parse("snapshots/a").unwrap();
        let cwd = std::env::current_dir().unwrap();
        assert!(loc.prefix.as_ref().ends_with("snapshots/a"));
        assert!(
            loc.prefix
                .as_ref()
                .starts_with(cwd.to_str().unwrap().trim_start_matches('/'))
        );
    }
}
