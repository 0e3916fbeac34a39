//! `graph-olap up`: the whole platform on one machine, no set-up.
//!
//! Creates the data directory, generates the demo warehouse if absent, opens SQLite metadata,
//! seeds personas and the demo mappings, serves on 127.0.0.1:8000 (or `--listen`), prints the URL
//! and one API key per persona, writes the URL to `DATA_DIR/url`, and stops cleanly on Ctrl-C or
//! SIGTERM. Restarting on the same data directory keeps everything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use graph_olap_control_plane::{AppState, Settings};
use graph_olap_store::{Store, SystemClock, mappings};

/// Options of `graph-olap up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Where everything is kept (metadata, warehouse, snapshots).
    #[arg(long, env = "GRAPH_OLAP_DATA_DIR", default_value = ".graph-olap")]
    pub data_dir: PathBuf,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "GRAPH_OLAP_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: String,
    /// Directory of the embedded warehouse (default DATA_DIR/warehouse).
    #[arg(long, env = "GRAPH_OLAP_WAREHOUSE_DIR")]
    pub warehouse_dir: Option<PathBuf>,
}

/// Runs the local platform until Ctrl-C or SIGTERM.
pub async fn run(args: UpArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.data_dir)
        .with_context(|| format!("cannot create data directory {}", args.data_dir.display()))?;
    let data_dir = args.data_dir.canonicalize()?;
    let _ = std::fs::remove_file(data_dir.join("url"));
    let warehouse_dir = args
        .warehouse_dir
        .clone()
        .unwrap_or_else(|| data_dir.join("warehouse"));
    ensure_demo_warehouse(&warehouse_dir).await?;

    let store = Store::connect(&format!(
        "sqlite://{}",
        data_dir.join("metadata.db").display()
    ))
    .await
    .context(
        "cannot open the metadata database; is another `graph-olap up` using this data directory?",
    )?;
    let warehouse = graph_olap_warehouse::connect(&warehouse_dir.display().to_string())
        .await
        .with_context(|| {
            format!(
                "cannot open the warehouse directory {}",
                warehouse_dir.display()
            )
        })?;

    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {}; pass --listen 127.0.0.1:0 to pick a free port",
                args.listen
            )
        })?;
    let addr = listener.local_addr()?;
    let url = format!("http://{addr}");
    let internal_key = persistent_secret(&data_dir.join("internal.key"))?;
    let storage_root = format!("file://{}", data_dir.join("snapshots").display());
    let settings = Settings::development(url.clone(), storage_root, internal_key)
        .with_env()
        .map_err(anyhow::Error::msg)?;
    let runtime = crate::platform::local_runtime(&data_dir.join("instances"))?;
    let state = graph_olap_control_plane::start_with_runtime(
        store,
        warehouse.clone(),
        settings,
        Arc::new(SystemClock),
        Some(runtime),
    )
    .await
    .map_err(|e| anyhow::anyhow!("start-up failed: {}", e.message))?;
    // This process owns the data directory alone: jobs its embedded worker held when a previous
    // run was killed go back to the queue now instead of when their leases expire.
    let released = graph_olap_control_plane::services::export_queue::release_claims_of(
        &state,
        crate::platform::EMBEDDED_WORKER_PREFIX,
    )
    .await
    .map_err(|e| {
        anyhow::anyhow!(
            "cannot release the previous run's export jobs: {}",
            e.message
        )
    })?;
    if released > 0 {
        eprintln!("re-queued {released} export job(s) the previous run left claimed");
    }
    seed_demo_mappings(&state).await?;
    let keys = persona_keys(&state, &data_dir).await?;

    println!("graph-olap is running at {url}");
    println!("  data directory: {}", data_dir.display());
    println!("  warehouse:      {}", warehouse_dir.display());
    println!("  API keys (Authorization: Bearer …):");
    for (user, key) in &keys {
        println!("    {user:<28} {key}");
    }
    println!("  development identities are on: send X-Username: analyst_alice@e2e.local");
    println!("Press Ctrl-C to stop.");

    crate::platform::serve(crate::platform::Serving {
        state,
        listener,
        embedded_worker: Some(warehouse),
        stop_instances_on_exit: true,
        url_file: Some(data_dir.join("url")),
    })
    .await
}

async fn ensure_demo_warehouse(dir: &Path) -> anyhow::Result<()> {
    let d = dir.to_path_buf();
    let existing = tokio::task::spawn_blocking(move || graph_olap_demo::existing(&d)).await??;
    if existing.is_none() && !dir.join("default_catalog").exists() {
        eprintln!("generating the demo warehouse in {} …", dir.display());
        let d = dir.to_path_buf();
        tokio::task::spawn_blocking(move || graph_olap_demo::generate(&d, 1)).await??;
    }
    Ok(())
}

/// Reads a secret kept in `path`, creating it (owner-only) on first use.
fn persistent_secret(path: &Path) -> anyhow::Result<String> {
    if let Ok(text) = std::fs::read_to_string(path)
        && text.trim().len() >= 32
    {
        return Ok(text.trim().to_string());
    }
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let secret = hex::encode(bytes);
    write_private(path, &secret)?;
    Ok(secret)
}

fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// One API key per persona, issued once and kept in `DATA_DIR/persona-keys.json`.
async fn persona_keys(
    state: &AppState,
    data_dir: &Path,
) -> anyhow::Result<BTreeMap<String, String>> {
    let path = data_dir.join("persona-keys.json");
    let mut keys: BTreeMap<String, String> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let mut changed = false;
    for (user, _) in &state.settings.dev_seed_users {
        if !keys.contains_key(user) {
            let key = graph_olap_control_plane::services::users::issue_user_key(
                state,
                user,
                "graph-olap up",
                "system",
            )
            .await
            .map_err(|e| anyhow::anyhow!("cannot issue a key for {user}: {}", e.message))?;
            keys.insert(user.clone(), key);
            changed = true;
        }
    }
    if changed {
        write_private(&path, &serde_json::to_string_pretty(&keys)?)?;
    }
    Ok(keys)
}

/// Creates the DEMO.md mappings (owner analyst_alice) unless a mapping of that name exists.
async fn seed_demo_mappings(state: &AppState) -> anyhow::Result<()> {
    for (name, description, nodes, edges) in [
        graph_olap_demo::tutorial_mapping(),
        graph_olap_demo::bank_mapping(),
    ] {
        if !mappings::find_by_name(&mut *state.store.read().await?, &name)
            .await?
            .is_empty()
        {
            continue;
        }
        let now = state.now();
        let mut tx = state.store.write().await?;
        mappings::insert(
            &mut tx,
            &mappings::NewMapping {
                owner_username: "analyst_alice@e2e.local".into(),
                name,
                description: Some(description),
                ttl: None,
                inactivity_timeout: None,
                expires_at: None,
                node_definitions: nodes,
                edge_definitions: edges,
                change_description: None,
            },
            now,
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}
