//! Control-plane settings: what `graph-olap up` and `graph-olap serve` decide before serving.
//! Loading them from TOML and `GRAPH_OLAP_*` variables is the CLI's job; this is the typed result.

use graph_olap_api::export::{CheckPolicy, QualityPolicy};

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
    /// The mode a `GRAPH_OLAP_AUTH_MODE` value asks for: unset, empty or `api_key` → API keys;
    /// `dev` → development identities. Anything else is refused, so a typo never turns
    /// development identities on (nor silently off).
    pub fn from_setting(value: Option<&str>) -> Result<AuthMode, String> {
        match value.map(str::trim) {
            None | Some("") | Some("api_key") => Ok(AuthMode::ApiKey),
            Some("dev") => Ok(AuthMode::Dev),
            Some(other) => Err(format!(
                "GRAPH_OLAP_AUTH_MODE must be api_key or dev, not '{other}'"
            )),
        }
    }

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
    /// How long an instance of a pre-staged snapshot waits for every node label's files before
    /// failing with `DATA_LOAD_ERROR` (§4.11, `GRAPH_OLAP_PRESTAGED_WAIT_SECONDS`, default 300).
    pub prestaged_wait: std::time::Duration,
    /// How long a stopping unit gets between SIGTERM (or delete) and a forced stop.
    pub stop_grace: std::time::Duration,
    /// An instance still `starting` after this long fails with `STARTUP_TIMEOUT` (§4.3).
    pub startup_timeout: std::time::Duration,
    /// Terminated instances are purged this long after `terminated_at` (§4.3).
    pub instance_retention: std::time::Duration,
    /// Default CPU cores of new instances (§6.1).
    pub default_cpu_cores: i64,
    /// Whether creating an instance from a mapping version reuses a `ready`, unexpired snapshot
    /// of that version instead of exporting again (`GRAPH_OLAP_SNAPSHOT_REUSE`, default on).
    pub snapshot_reuse: bool,
    /// The export-time data-quality checks of new snapshots (`GRAPH_OLAP_QUALITY_NULL_KEYS`,
    /// `…_DUPLICATE_KEYS`, `…_DANGLING_EDGES`: `fail`, `report` or `off`).
    pub quality: QualityPolicy,
    /// Failed authentications from one peer address within [`Settings::auth_failure_window`]
    /// after which that address is refused with `429 RATE_LIMITED` until the window ends
    /// (`GRAPH_OLAP_AUTH_FAILURE_LIMIT`, default 20; 0 turns the throttle off).
    pub auth_failure_limit: u32,
    /// The window of [`Settings::auth_failure_limit`] (`GRAPH_OLAP_AUTH_FAILURE_WINDOW_SECONDS`,
    /// default 60).
    pub auth_failure_window: std::time::Duration,
    /// Proxies (an ingress, a load balancer) whose `X-Forwarded-For` names the client address
    /// the throttle counts (`GRAPH_OLAP_TRUSTED_PROXIES`, comma-separated addresses or
    /// address/prefix blocks; default none: the connection's peer is the client).
    pub trusted_proxies: Vec<crate::auth::throttle::Cidr>,
    /// Background-job intervals that differ from the defaults of API.md §4.12, by job name
    /// (`GRAPH_OLAP_<JOB>_INTERVAL_SECONDS`, e.g. `GRAPH_OLAP_LIFECYCLE_INTERVAL_SECONDS`).
    pub job_intervals: std::collections::BTreeMap<String, std::time::Duration>,
}

/// The job names whose interval can be configured.
pub const JOB_NAMES: [&str; 5] = [
    "reconciliation",
    "lifecycle",
    "export_reconciliation",
    "schema_cache",
    "instance_orchestration",
];

/// Timing settings read through `lookup` (given the full variable name):
/// `GRAPH_OLAP_<JOB>_INTERVAL_SECONDS` (1–604 800) for every job of [`JOB_NAMES`], and
/// `GRAPH_OLAP_INSTANCE_STARTUP_TIMEOUT`, `GRAPH_OLAP_STOP_TIMEOUT`,
/// `GRAPH_OLAP_INSTANCE_RETENTION` as ISO 8601 durations (API.md §4.3). Applied to `settings`;
/// a bad value is an error naming the variable.
pub fn apply_timing(
    settings: &mut Settings,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<(), String> {
    for job in JOB_NAMES {
        let name = format!("GRAPH_OLAP_{}_INTERVAL_SECONDS", job.to_ascii_uppercase());
        if let Some(value) = lookup(&name).filter(|v| !v.trim().is_empty()) {
            let seconds: u64 = value
                .trim()
                .parse()
                .ok()
                .filter(|s| (1..=604_800).contains(s))
                .ok_or_else(|| {
                    format!(
                        "{name} must be a whole number of seconds from 1 to 604800, not '{value}'"
                    )
                })?;
            settings
                .job_intervals
                .insert(job.to_string(), std::time::Duration::from_secs(seconds));
        }
    }
    if let Some(value) =
        lookup("GRAPH_OLAP_PRESTAGED_WAIT_SECONDS").filter(|v| !v.trim().is_empty())
    {
        let seconds: u64 = value.trim().parse().ok().filter(|s| *s <= 86_400).ok_or_else(|| format!("GRAPH_OLAP_PRESTAGED_WAIT_SECONDS must be a whole number of seconds from 0 to 86400, not '{value}'"))?;
        settings.prestaged_wait = std::time::Duration::from_secs(seconds);
    }
    for (name, slot) in [
        (
            "GRAPH_OLAP_INSTANCE_STARTUP_TIMEOUT",
            &mut settings.startup_timeout,
        ),
        ("GRAPH_OLAP_STOP_TIMEOUT", &mut settings.stop_grace),
        (
            "GRAPH_OLAP_INSTANCE_RETENTION",
            &mut settings.instance_retention,
        ),
    ] {
        if let Some(value) = lookup(name).filter(|v| !v.trim().is_empty()) {
            let duration = graph_olap_api::IsoDuration::parse(value.trim())
                .map_err(|e| format!("{name}: {e}"))?;
            *slot = duration
                .to_chrono()
                .to_std()
                .map_err(|_| format!("{name} must be positive"))?;
        }
    }
    Ok(())
}

/// The failed-authentication throttle read through `lookup` (given the full variable name):
/// `GRAPH_OLAP_AUTH_FAILURE_LIMIT` (0–1 000 000, 0 = off),
/// `GRAPH_OLAP_AUTH_FAILURE_WINDOW_SECONDS` (1–86 400) and `GRAPH_OLAP_TRUSTED_PROXIES`
/// (comma-separated addresses or blocks). A bad value is an error naming the variable, and
/// changes nothing.
pub fn apply_auth_throttle(
    settings: &mut Settings,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<(), String> {
    let read = |name: &str, range: std::ops::RangeInclusive<u64>| -> Result<Option<u64>, String> {
        match lookup(name).filter(|v| !v.trim().is_empty()) {
            None => Ok(None),
            Some(value) => value
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|n| range.contains(n))
                .map(Some)
                .ok_or_else(|| {
                    format!(
                        "{name} must be a whole number from {} to {}, not '{value}'",
                        range.start(),
                        range.end()
                    )
                }),
        }
    };
    let limit = read("GRAPH_OLAP_AUTH_FAILURE_LIMIT", 0..=1_000_000)?;
    let window = read("GRAPH_OLAP_AUTH_FAILURE_WINDOW_SECONDS", 1..=86_400)?;
    let proxies = match lookup("GRAPH_OLAP_TRUSTED_PROXIES").filter(|v| !v.trim().is_empty()) {
        None => None,
        Some(text) => Some(
            text.split(',')
                .filter(|p| !p.trim().is_empty())
                .map(crate::auth::throttle::Cidr::parse)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("GRAPH_OLAP_TRUSTED_PROXIES: {e}"))?,
        ),
    };
    if let Some(proxies) = proxies {
        settings.trusted_proxies = proxies;
    }
    if let Some(limit) = limit {
        settings.auth_failure_limit = limit as u32;
    }
    if let Some(seconds) = window {
        settings.auth_failure_window = std::time::Duration::from_secs(seconds);
    }
    Ok(())
}

/// The snapshot settings read from `GRAPH_OLAP_SNAPSHOT_REUSE` and
/// `GRAPH_OLAP_QUALITY_{NULL_KEYS,DUPLICATE_KEYS,DANGLING_EDGES}` through `lookup` (which is given
/// the full variable name). Unset variables keep their defaults; a bad value is an error naming
/// the variable.
pub fn snapshot_settings(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<(bool, QualityPolicy), String> {
    let reuse = match lookup("GRAPH_OLAP_SNAPSHOT_REUSE").map(|v| v.trim().to_ascii_lowercase()) {
        None => true,
        Some(v) if v.is_empty() => true,
        Some(v) if ["true", "1", "on", "yes"].contains(&v.as_str()) => true,
        Some(v) if ["false", "0", "off", "no"].contains(&v.as_str()) => false,
        Some(v) => {
            return Err(format!(
                "GRAPH_OLAP_SNAPSHOT_REUSE must be true or false, not '{v}'"
            ));
        }
    };
    let mut quality = QualityPolicy::default();
    for (name, slot) in [
        ("GRAPH_OLAP_QUALITY_NULL_KEYS", &mut quality.null_keys),
        (
            "GRAPH_OLAP_QUALITY_DUPLICATE_KEYS",
            &mut quality.duplicate_keys,
        ),
        (
            "GRAPH_OLAP_QUALITY_DANGLING_EDGES",
            &mut quality.dangling_edges,
        ),
    ] {
        if let Some(value) = lookup(name).filter(|v| !v.trim().is_empty()) {
            *slot = CheckPolicy::parse(&value)
                .ok_or_else(|| format!("{name} must be fail, report or off, not '{value}'"))?;
        }
    }
    if quality.null_keys == CheckPolicy::Off {
        return Err("GRAPH_OLAP_QUALITY_NULL_KEYS must be fail or report: rows with NULL keys can never be loaded".into());
    }
    Ok((reuse, quality))
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
            prestaged_wait: std::time::Duration::from_secs(300),
            stop_grace: std::time::Duration::from_secs(20),
            startup_timeout: std::time::Duration::from_secs(15 * 60),
            instance_retention: std::time::Duration::from_secs(7 * 24 * 3600),
            default_cpu_cores: 1,
            snapshot_reuse: true,
            quality: QualityPolicy::default(),
            job_intervals: std::collections::BTreeMap::new(),
            auth_failure_limit: 20,
            auth_failure_window: std::time::Duration::from_secs(60),
            trusted_proxies: Vec::new(),
        }
    }

    /// Applies every setting the process environment can override beyond the basics:
    /// [`snapshot_settings`] and [`apply_timing`].
    pub fn with_env(self) -> Result<Self, String> {
        let mut settings = self.with_snapshot_env()?;
        apply_timing(&mut settings, |name| std::env::var(name).ok())?;
        apply_auth_throttle(&mut settings, |name| std::env::var(name).ok())?;
        Ok(settings)
    }

    /// Applies [`snapshot_settings`] read from the process environment.
    pub fn with_snapshot_env(mut self) -> Result<Self, String> {
        let (reuse, quality) = snapshot_settings(|name| std::env::var(name).ok())?;
        self.snapshot_reuse = reuse;
        self.quality = quality;
        Ok(self)
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
            let (user, role) = pair
                .split_once(':')
                .ok_or_else(|| format!("'{pair}' is not username:role"))?;
            let role = Role::parse(role)
                .ok_or_else(|| format!("'{role}' is not a role (analyst, admin, ops)"))?;
            Ok((user.trim().to_ascii_lowercase(), role))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_settings_defaults_overrides_and_errors() {
        let none = |_: &str| None;
        assert_eq!(
            snapshot_settings(none).unwrap(),
            (true, QualityPolicy::default())
        );
        let set = |name: &str| match name {
            "GRAPH_OLAP_SNAPSHOT_REUSE" => Some("false".to_string()),
            "GRAPH_OLAP_QUALITY_DUPLICATE_KEYS" => Some("FAIL".to_string()),
            "GRAPH_OLAP_QUALITY_DANGLING_EDGES" => Some("off".to_string()),
            _ => None,
        };
        let (reuse, quality) = snapshot_settings(set).unwrap();
        assert!(!reuse);
        assert_eq!(
            (
                quality.null_keys,
                quality.duplicate_keys,
                quality.dangling_edges
            ),
            (CheckPolicy::Fail, CheckPolicy::Fail, CheckPolicy::Off)
        );
        let bad =
            |name: &str| (name == "GRAPH_OLAP_QUALITY_NULL_KEYS").then(|| "maybe".to_string());
        assert!(
            snapshot_settings(bad)
                .unwrap_err()
                .contains("GRAPH_OLAP_QUALITY_NULL_KEYS")
        );
        let off = |name: &str| (name == "GRAPH_OLAP_QUALITY_NULL_KEYS").then(|| "off".to_string());
        assert!(snapshot_settings(off).is_err());
        let reuse =
            |name: &str| (name == "GRAPH_OLAP_SNAPSHOT_REUSE").then(|| "sometimes".to_string());
        assert!(snapshot_settings(reuse).is_err());
    }

    #[test]
    fn development_identities_only_when_asked_for_by_name() {
        for (value, mode) in [
            (None, Ok(AuthMode::ApiKey)),
            (Some(""), Ok(AuthMode::ApiKey)),
            (Some("api_key"), Ok(AuthMode::ApiKey)),
            (Some("dev"), Ok(AuthMode::Dev)),
        ] {
            assert_eq!(AuthMode::from_setting(value), mode, "{value:?}");
        }
        for typo in ["Dev", "development", "true", "apikey", "none"] {
            let err = AuthMode::from_setting(Some(typo)).unwrap_err();
            assert!(err.contains("GRAPH_OLAP_AUTH_MODE"), "{err}");
        }
    }

    #[test]
    fn auth_throttle_defaults_overrides_and_errors() {
        let mut settings =
            Settings::development("http://x".into(), "file:///x".into(), "k".repeat(32));
        assert_eq!(settings.auth_failure_limit, 20);
        apply_auth_throttle(&mut settings, |n| match n {
            "GRAPH_OLAP_AUTH_FAILURE_LIMIT" => Some("0".into()),
            "GRAPH_OLAP_AUTH_FAILURE_WINDOW_SECONDS" => Some("5".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(settings.auth_failure_limit, 0);
        assert_eq!(
            settings.auth_failure_window,
            std::time::Duration::from_secs(5)
        );
        apply_auth_throttle(&mut settings, |n| {
            (n == "GRAPH_OLAP_TRUSTED_PROXIES").then(|| "10.0.0.0/8, 192.0.2.1".into())
        })
        .unwrap();
        assert_eq!(settings.trusted_proxies.len(), 2);
        for (name, value) in [
            ("GRAPH_OLAP_AUTH_FAILURE_LIMIT", "-1"),
            ("GRAPH_OLAP_AUTH_FAILURE_LIMIT", "many"),
            ("GRAPH_OLAP_AUTH_FAILURE_WINDOW_SECONDS", "0"),
            ("GRAPH_OLAP_TRUSTED_PROXIES", "10.0.0.0/8,ingress"),
        ] {
            let err = apply_auth_throttle(&mut settings, |n| (n == name).then(|| value.into()))
                .unwrap_err();
            assert!(err.contains(name), "{err}");
        }
        assert_eq!(
            settings.auth_failure_limit, 0,
            "a refused value changes nothing"
        );
        assert_eq!(settings.trusted_proxies.len(), 2);
    }

    #[test]
    fn timing_overrides_and_errors() {
        let mut settings =
            Settings::development("http://x".into(), "file:///x".into(), "k".repeat(32));
        let set = |name: &str| match name {
            "GRAPH_OLAP_RECONCILIATION_INTERVAL_SECONDS" => Some("2".to_string()),
            "GRAPH_OLAP_STOP_TIMEOUT" => Some("PT5S".to_string()),
            "GRAPH_OLAP_PRESTAGED_WAIT_SECONDS" => Some("7".to_string()),
            _ => None,
        };
        apply_timing(&mut settings, set).unwrap();
        assert_eq!(settings.prestaged_wait, std::time::Duration::from_secs(7));
        assert_eq!(
            settings.job_intervals.get("reconciliation"),
            Some(&std::time::Duration::from_secs(2))
        );
        assert_eq!(settings.job_intervals.get("lifecycle"), None);
        assert_eq!(settings.stop_grace, std::time::Duration::from_secs(5));
        for (name, value) in [
            ("GRAPH_OLAP_LIFECYCLE_INTERVAL_SECONDS", "0"),
            ("GRAPH_OLAP_LIFECYCLE_INTERVAL_SECONDS", "soon"),
            ("GRAPH_OLAP_INSTANCE_RETENTION", "7 days"),
            ("GRAPH_OLAP_PRESTAGED_WAIT_SECONDS", "-1"),
        ] {
            let err = apply_timing(&mut settings, |n| (n == name).then(|| value.to_string()))
                .unwrap_err();
            assert!(err.contains(name), "{err}");
        }
    }
}
