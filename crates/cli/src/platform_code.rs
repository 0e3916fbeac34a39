//! `graph-olap platform …`: platform as code (issue 20) — validate, import, plan, apply, approve,
//! status, refresh, force-unlock — over the declaration in `--config DIR`, against the control
//! plane at `--url` with an admin or ops key. The logic lives in `graph-olap-platform-as-code`;
//! this module parses arguments and prints (text, or JSON with `--json`).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use graph_olap_platform_as_code as pac;

/// Options shared by every platform command.
#[derive(Debug, Args)]
pub struct PlatformArgs {
    /// The declaration directory (holding platform.yaml).
    #[arg(long, short = 'c', global = true, default_value = ".")]
    config: PathBuf,
    /// Control plane base URL.
    #[arg(
        long,
        global = true,
        env = "GRAPH_OLAP_API_URL",
        default_value = "http://127.0.0.1:8000"
    )]
    url: String,
    /// API key of an admin or ops user.
    #[arg(
        long,
        global = true,
        env = "GRAPH_OLAP_API_KEY",
        hide_env_values = true
    )]
    api_key: Option<String>,
    /// A second key (e.g. admin when the main key is ops) for the changes the first cannot make.
    #[arg(
        long,
        global = true,
        env = "GRAPH_OLAP_ADMIN_API_KEY",
        hide_env_values = true
    )]
    admin_api_key: Option<String>,
    /// Print JSON (read commands and apply).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: PlatformCommand,
}

#[derive(Debug, Subcommand)]
enum PlatformCommand {
    /// Parse and check the declaration offline; with --online also check every SQL on the warehouse.
    Validate {
        /// Also check against the control plane and its warehouse.
        #[arg(long)]
        online: bool,
    },
    /// Build the ledger from what the control plane holds today.
    Import {
        /// Actor recorded in the ledger and audit log.
        #[arg(long = "as", env = "GRAPH_OLAP_ACTOR")]
        actor: Option<String>,
    },
    /// Show the ordered changes apply would make.
    Plan,
    /// Converge the platform to the declaration.
    Apply {
        /// Actor recorded in the ledger and audit log.
        #[arg(long = "as", env = "GRAPH_OLAP_ACTOR")]
        actor: Option<String>,
    },
    /// Approve a planned destructive change (e.g. `mapping/old-graph`).
    Approve {
        /// The resource whose planned delete is approved.
        resource: String,
        /// Who approves (required).
        #[arg(long = "as", env = "GRAPH_OLAP_ACTOR")]
        actor: String,
    },
    /// The ledger: resources, lock, pending intents, approvals.
    Status,
    /// Observe the live platform and mark changed resources drifted.
    Refresh {
        /// Actor recorded in the ledger and audit log.
        #[arg(long = "as", env = "GRAPH_OLAP_ACTOR")]
        actor: Option<String>,
    },
    /// Remove a crashed apply's lock, by its exact id (from `status`).
    ForceUnlock {
        /// The lock id.
        lock_id: String,
        /// Actor recorded in the audit log.
        #[arg(long = "as", env = "GRAPH_OLAP_ACTOR")]
        actor: Option<String>,
    },
}

fn print_json(v: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// Runs one platform command; errors carry the message the user needs.
pub async fn run(args: PlatformArgs) -> anyhow::Result<()> {
    let load = || -> anyhow::Result<pac::Declaration> {
        Ok(pac::load(&args.config).map_err(pac::PlatformError::Declaration)?)
    };
    let connect = || async {
        let keys: Vec<String> = args
            .api_key
            .iter()
            .chain(args.admin_api_key.iter())
            .cloned()
            .collect();
        pac::Client::connect(&args.url, &keys).await
    };
    let default_actor =
        |a: &Option<String>, c: &pac::Client| a.clone().unwrap_or_else(|| c.username().to_string());
    match &args.command {
        PlatformCommand::Validate { online } => {
            let d = load()?;
            if *online {
                pac::check_online(&connect().await?, &d).await?;
            }
            let summary = serde_json::json!({"valid": true, "online": online, "platform": d.name, "mappings": d.mappings.len(),
                "users": d.users.len(), "digest": d.digest});
            if args.json {
                print_json(&summary)?;
            } else {
                println!(
                    "{}: valid ({} mappings, {} users){}",
                    d.name,
                    d.mappings.len(),
                    d.users.len(),
                    if *online {
                        ", SQL checked on the warehouse"
                    } else {
                        ""
                    }
                );
            }
        }
        PlatformCommand::Import { actor } => {
            let d = load()?;
            let c = connect().await?;
            let n = pac::import(&c, &d, &default_actor(actor, &c)).await?;
            if args.json {
                print_json(&serde_json::json!({"imported": n}))?;
            } else {
                println!("imported {n} resources into the ledger");
            }
        }
        PlatformCommand::Plan => {
            let d = load()?;
            let p = pac::make_plan(&connect().await?, &d).await?;
            if args.json {
                print_json(&p)?;
            } else {
                print!("{}", pac::render::plan(&p));
            }
        }
        PlatformCommand::Apply { actor } => {
            let d = load()?;
            let c = connect().await?;
            let r = pac::apply(&c, &d, &default_actor(actor, &c)).await?;
            if args.json {
                print_json(&r)?;
            } else {
                print!("{}", pac::render::report(&r));
            }
        }
        PlatformCommand::Approve { resource, actor } => {
            let d = load()?;
            let a = pac::approve(&connect().await?, &d, resource, actor).await?;
            if args.json {
                print_json(&a)?;
            } else {
                println!(
                    "approved: delete {resource} by {actor} (approval {})",
                    a["id"].as_str().unwrap_or("?")
                );
            }
        }
        PlatformCommand::Status => {
            let s = pac::status(&connect().await?).await?;
            if args.json {
                print_json(&s)?;
            } else {
                print!("{}", pac::render::status(&s));
            }
        }
        PlatformCommand::Refresh { actor } => {
            let c = connect().await?;
            let drifted = pac::refresh(&c, &default_actor(actor, &c)).await?;
            if args.json {
                print_json(&serde_json::json!({"drifted": drifted}))?;
            } else if drifted.is_empty() {
                println!("refresh: every resource matches the ledger");
            } else {
                println!("refresh: drifted: {}", drifted.join(", "));
            }
        }
        PlatformCommand::ForceUnlock { lock_id, actor } => {
            let c = connect().await?;
            let r = pac::force_unlock(&c, lock_id, &default_actor(actor, &c)).await?;
            if args.json {
                print_json(&r)?;
            } else {
                println!("lock {lock_id} removed");
            }
        }
    }
    Ok(())
}
