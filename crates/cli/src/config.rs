//! `graph-olap serve`: the production control plane, configured from a TOML file and
//! `GRAPH_OLAP_*` environment variables (the variables win over the file).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use graph_olap_control_plane::{AuthMode, Settings, settings};
use graph_olap_store::{Store, SystemClock};
use serde::Deserialize;

/// Options of `graph-olap serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// TOML configuration file.
    #[arg(long, env = "GRAPH_OLAP_CONFIG")]
    pub config: Option<PathBuf>,
    /// Metadata database, `postgres://…` or `sqlite://PATH`.
    #[arg(long, env = "GRAPH_OLAP_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Listen address.
    #[arg(long, env = "GRAPH_OLAP_LISTEN")]
    pub listen: Option<String>,
}

/// The configuration file (every key optional; unknown keys are refused).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Metadata database URL.
    pub database_url: Option<String>,
    /// Listen address.
    pub listen: Option<String>,
    /// Warehouse URL or directory.
    pub warehouse_url: Option<String>,
    /// `api_key` or `dev`.
    pub auth_mode: Option<String>,
    /// Internal service key (≥ 32 characters).
    pub internal_api_key: Option<String>,
    /// Bootstrap token.
    pub bootstrap_token: Option<String>,
    /// Public base URL.
    pub public_url: Option<String>,
    /// Snapshot object-store root.
    pub storage_root: Option<String>,
    /// Validate mapping SQL against the warehouse.
    pub validate_sql: Option<bool>,
    /// Where instances run: `local` (child processes, the default), `kubernetes` (one pod per
    /// instance, configured by the `[kubernetes]` table) or `none` (no instances are scheduled
    /// by this replica).
    pub runtime: Option<String>,
    /// The Kubernetes runtime's settings (`[kubernetes]`; see `docs/kubernetes.md`).
    pub kubernetes: Option<graph_olap_runtime::KubernetesConfig>,
    /// Work directory of the local runtime (unit records and logs).
    pub instances_dir: Option<PathBuf>,
    /// Also run an export worker inside this process.
    pub embedded_worker: Option<bool>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(format!("GRAPH_OLAP_{name}"))
        .ok()
        .filter(|v| !v.is_empty())
}

/// Runs the control plane until SIGTERM.
pub async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let file: FileConfig = match &args.config {
        Some(path) => toml::from_str(
            &std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?,
        )
        .with_context(|| format!("invalid configuration file {}", path.display()))?,
        None => FileConfig::default(),
    };
    let database_url = args.database_url.or(file.database_url).context(
        "set --database-url (or GRAPH_OLAP_DATABASE_URL, or database_url in the config file)",
    )?;
    let listen = args
        .listen
        .or(file.listen)
        .unwrap_or_else(|| "0.0.0.0:8000".into());
    let auth_mode = AuthMode::from_setting(env("AUTH_MODE").or(file.auth_mode).as_deref())
        .map_err(anyhow::Error::msg)?;
    let warehouse_url = env("WAREHOUSE_URL")
        .or(file.warehouse_url)
        .context("set GRAPH_OLAP_WAREHOUSE_URL (a directory, postgres://… or trino://…)")?;
    let store = Store::connect(&database_url)
        .await
        .context("cannot connect to the metadata database")?;
    let warehouse = graph_olap_warehouse::connect(&warehouse_url)
        .await
        .context("cannot open the warehouse")?;
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let local = listener.local_addr()?;
    let seed_users = match env("DEV_SEED_USERS") {
        Some(text) => settings::parse_seed_users(&text)
            .map_err(|e| anyhow::anyhow!("GRAPH_OLAP_DEV_SEED_USERS: {e}"))?,
        None => settings::default_seed_users(),
    };
    let settings = Settings {
        auth_mode,
        internal_api_key: env("INTERNAL_API_KEY").or(file.internal_api_key),
        internal_api_key_previous: env("INTERNAL_API_KEY_PREVIOUS"),
        bootstrap_token: env("BOOTSTRAP_TOKEN").or(file.bootstrap_token),
        dev_seed_users: if auth_mode == AuthMode::Dev {
            seed_users
        } else {
            Vec::new()
        },
        public_url: env("PUBLIC_URL")
            .or(file.public_url.clone())
            .unwrap_or_else(|| format!("http://{local}")),
        internal_url: env("INTERNAL_URL")
            .or(env("PUBLIC_URL"))
            .or(file.public_url)
            .unwrap_or_else(|| format!("http://{local}")),
        storage_root: env("STORAGE_ROOT")
            .or(file.storage_root)
            .unwrap_or_else(|| "file:///var/lib/graph-olap/snapshots".into()),
        validate_sql: env("VALIDATE_SQL")
            .map(|v| v != "false")
            .or(file.validate_sql)
            .unwrap_or(true),
        metrics_public: env("METRICS_PUBLIC").is_some_and(|v| v == "true"),
        schema_catalogs: env("SCHEMA_CATALOGS")
            .map(|v| v.split(',').map(|s| s.trim().to_string()).collect()),
        prestaged_snapshots: env("PRESTAGED_SNAPSHOTS")
            .map(|v| v == "true")
            .unwrap_or(auth_mode == AuthMode::Dev),
        ..Settings::development(String::new(), String::new(), String::new())
    }
    .with_env()
    .map_err(anyhow::Error::msg)?;
    if settings.internal_keys().is_empty() {
        tracing::warn!(
            "GRAPH_OLAP_INTERNAL_API_KEY is not set (or shorter than 32 characters): internal routes are disabled"
        );
    }
    let mut pod_changes = None;
    let runtime = match env("RUNTIME").or(file.runtime).as_deref() {
        None | Some("local") => {
            let dir = env("INSTANCES_DIR")
                .map(PathBuf::from)
                .or(file.instances_dir)
                .unwrap_or_else(|| PathBuf::from("/var/lib/graph-olap/instances"));
            std::fs::create_dir_all(&dir).with_context(|| {
                format!(
                    "cannot create the instances directory {} (set GRAPH_OLAP_INSTANCES_DIR)",
                    dir.display()
                )
            })?;
            Some(crate::platform::local_runtime(&dir)?)
        }
        Some("kubernetes") => {
            let config = file.kubernetes.clone().context(
                "GRAPH_OLAP_RUNTIME=kubernetes needs a [kubernetes] table in the configuration file (--config)",
            )?;
            let (runtime, changes) = crate::platform::kubernetes_runtime(config).await?;
            pod_changes = Some(changes);
            Some(runtime)
        }
        Some("none") => None,
        Some(other) => {
            anyhow::bail!("GRAPH_OLAP_RUNTIME must be local, kubernetes or none, not '{other}'")
        }
    };
    if file.kubernetes.is_some() && pod_changes.is_none() {
        tracing::warn!("the [kubernetes] table is ignored: GRAPH_OLAP_RUNTIME is not kubernetes");
    }
    let embedded_worker = env("EMBEDDED_WORKER")
        .map(|v| v == "true")
        .or(file.embedded_worker)
        .unwrap_or(false);
    let state = graph_olap_control_plane::start_with_runtime(
        store,
        warehouse.clone(),
        settings,
        Arc::new(SystemClock),
        runtime,
    )
    .await
    .map_err(|e| anyhow::anyhow!("start-up failed: {}", e.message))?;
    if let Some(changes) = pod_changes {
        crate::platform::react_to_pod_changes(state.clone(), changes);
    }
    tracing::info!(%local, "control plane listening");
    crate::platform::serve(crate::platform::Serving {
        state,
        listener,
        embedded_worker: embedded_worker.then_some(warehouse),
        stop_instances_on_exit: false,
        url_file: None,
    })
    .await
}
