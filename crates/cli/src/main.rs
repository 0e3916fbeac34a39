//! The `graph-olap` binary: one command per way of running the platform.
//!
//! * `up` — everything on one machine with embedded defaults (demo warehouse, SQLite, dev identities);
//! * `serve` — the control plane for production (TOML + `GRAPH_OLAP_*` configuration, PostgreSQL);
//! * `worker` — a standalone export worker;
//! * `instance` — one instance server (started by a runtime);
//! * `demo generate` — write the deterministic demo warehouse.

mod config;
mod instance;
mod platform;
mod platform_code;
mod up;
mod worker;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Graph OLAP: turn warehouse tables into graphs and analyse them.
#[derive(Debug, Parser)]
#[command(name = "graph-olap", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the whole platform locally with the demo warehouse (development identities enabled).
    Up(up::UpArgs),
    /// Run the control plane for production.
    Serve(config::ServeArgs),
    /// Run an export worker against a control plane.
    Worker(worker::WorkerArgs),
    /// Run one instance server (normally started by the control plane's runtime).
    Instance(instance::InstanceArgs),
    /// Platform as code: validate, import, plan, apply, approve, status, refresh, force-unlock.
    Platform(platform_code::PlatformArgs),
    /// Demo warehouse commands.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
}

#[derive(Debug, Subcommand)]
enum DemoCommand {
    /// Generate the deterministic demo warehouse (DEMO.md) into a directory.
    Generate {
        /// Row-count multiplier (1 ≈ 10,000 transfers; 100 ≈ 1 M).
        #[arg(long, default_value_t = 1)]
        scale: u32,
        /// Output directory (laid out catalog/schema/table.parquet).
        #[arg(long)]
        out: PathBuf,
    },
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("GRAPH_OLAP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let json = std::env::var("GRAPH_OLAP_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if matches!(cli.command, Command::Instance(_)) {
        // May re-execute this process (same pid and arguments) and not return.
        instance::cap_malloc_arenas();
        runtime.worker_threads(instance::worker_threads());
    }
    init_logging();
    runtime.enable_all().build()?.block_on(run(cli.command))
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Up(args) => up::run(args).await,
        Command::Serve(args) => config::serve(args).await,
        Command::Worker(args) => worker::run(args).await,
        Command::Instance(args) => instance::run(args).await,
        Command::Platform(args) => platform_code::run(args).await,
        Command::Demo {
            command: DemoCommand::Generate { scale, out },
        } => {
            let summary =
                tokio::task::spawn_blocking(move || graph_olap_demo::generate(&out, scale))
                    .await??;
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(())
        }
    }
}
