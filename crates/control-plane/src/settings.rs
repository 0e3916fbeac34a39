//! Control-plane settings: what `graph-olap up` and `graph-olap serve` decide before serving.
//! Loading them from TOML and `GRAPH_OLAP_*` variables is the CLI's job; this is the typed result.

use crate::auth::Role;

/// How users authenticate on public routes (API.md §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// Bearer API keys only (production default).
    ApiKey,
    /// API keys, plus `X-Username` development identities (what `graph-olap up` uses).
    Dev,
}

impl AuthMode {
    /// Wire name, as reported by `/health`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthMode::ApiKey => "api_key",
            AuthMode::Dev => "dev",
        }
    }
}

/// Everything the control plane needs to know at start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Authentication mode.
    pub auth_mode: AuthMode,
    /// The internal service key (≥ 32 characters; shorter or absent disables internal routes).
    pub internal_api_key: Option<String>,
    /// The previous internal key, accepted during rotation.
    pub internal_api_key_previous: Option<String>,
    /// Token required by `POST /api/users/bootstrap` in api_key mode (empty disables bootstrap).
    pub bootstrap_token: Option<String>,
    /// Users created at start (`username`, role) when in dev mode.
    pub dev_seed_users: Vec<(String, Role)>,
    /// Externally reachable base URL (instance URLs are built from it).
    pub public_url: String,
    /// Base URL instance servers use to reach the control plane's internal API (defaults to
    /// `public_url`).
    pub internal_url: String,
    /// Object-store root of snapshots, e.g. `file:///data/snapshots` or `s3://bucket/prefix`.
    pub storage_root: String,
    /// Validate mapping SQL against the warehouse.
    pub validate_sql: bool,
    /// Serve `/metrics` without authentication.
    pub metrics_public: bool,
    /// Catalogs cached by the schema browser (`None` = all).
    pub schema_catalogs: Option<Vec<String>>,
    /// Whether `placeholder` SQL marks a pre-staged definition (§4.11).
    pub prestaged_snapshots: bool,
    /// How long a stopping unit gets between SIGTERM (or delete) and a forced stop.
    pub stop_grace: std::time::Duration,
    /// An instance still `starting` after this long fails with `STARTUP_TIMEOUT` (§4.3).
    pub startup_timeout: std::time::Duration,
    /// Terminated instances are purged this long after `terminated_at` (§4.3).
    pub instance_retention: std::time::Duration,
    /// Default CPU cores of new instances (§6.1).
    pub default_cpu_cores: i64,
}

impl Settings {
    /// Settings for a local development platform on `public_url`.
    pub fn development(public_url: String, storage_root: String, internal_api_key: String) -> Self {
        Settings {
            auth_mode: AuthMode::Dev,
            internal_api_key: Some(internal_api_key),
            internal_api_key_previous: None,
            bootstrap_token: None,
            dev_seed_users: default_seed_users(),
            internal_url: public_url.clone(),
            public_url,
            storage_root,
            validate_sql: true,
            metrics_public: false,
            schema_catalogs: None,
            prestaged_snapshots: true,
            stop_grace: std::time::Duration::from_secs(20),
            startup_timeout: std::time::Duration::from_secs(15 * 60),
            instance_retention: std::time::Duration::from_secs(7 * 24 * 3600),
            default_cpu_cores: 1,
        }
    }

    /// The internal keys currently accepted (only keys of at least 32 characters count).
    pub fn internal_keys(&self) -> Vec<&str> {
        [&self.internal_api_key, &self.internal_api_key_previous]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(|k| k.len() >= 32)
            .collect()
    }
}

/// The personas of DEMO.md.
pub fn default_seed_users() -> Vec<(String, Role)> {
    vec![
        ("analyst_alice@e2e.local".into(), Role::Analyst),
        ("analyst_bob@e2e.local".into(), Role::Analyst),
        ("admin_carol@e2e.local".into(), Role::Admin),
        ("ops_dave@e2e.local".into(), Role::Ops),
    ]
}

/// Parses `username:role,…` (the `GRAPH_OLAP_DEV_SEED_USERS` format).
pub fn parse_seed_users(text: &str) -> Result<Vec<(String, Role)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|pair| {
            let (user, role) = pair.split_once(':').ok_or_else(|| format!("'{pair}' is not username:role"))?;
            let role = Role::parse(role).ok_or_else(|| format!("'{role}' is not a role (analyst, admin, ops)"))?;
            Ok((user.trim().to_ascii_lowercase(), role))
        })
        .collect()
}
