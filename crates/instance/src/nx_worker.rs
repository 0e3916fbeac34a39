//! The NetworkX worker process: one Python child per execution (and one, once, for the catalogue).
//!
//! Owns: the embedded script (`nx_worker.py`, written to `DATA_DIR/networkx/` before first use),
//! the interpreter and memory bound configuration, the job files a run exchanges with the child
//! (`graph.bin`, `request.json` → `result.json`), waiting for the child while honouring the
//! execution's timeout and cancellation (the child is killed), and typed errors for everything
//! that can go wrong. Does not own: which function runs (`nx_catalogue`), the projection, the
//! lock, the execution record or the write-back (`algo`).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use graph_olap_algorithms::{Cancel, Interrupted};
use serde::Deserialize;
use serde_json::{Map, Value, json};

/// The worker script, embedded in the binary.
pub const SCRIPT: &str = include_str!("nx_worker.py");
/// Interpreter that runs the worker (default `python3`).
pub const PYTHON_ENV: &str = "GRAPH_OLAP_PYTHON";
/// Address-space bound of a worker in MiB (`0` = none; default half the instance memory).
pub const MEMORY_ENV: &str = "GRAPH_OLAP_NX_MEMORY_MB";
/// Largest JSON result kept in an execution (API.md §10.12: 1 MiB, then truncated).
pub const MAX_RESULT_BYTES: usize = 1 << 20;
/// Items taken from a generator result unless the request says `max_items`.
pub const DEFAULT_MAX_ITEMS: u64 = 10_000;
/// Memory bound when neither the environment nor the instance size says otherwise.
const DEFAULT_MEMORY_MB: u64 = 4096;
/// Time the catalogue listing may take.
const CATALOGUE_TIMEOUT: Duration = Duration::from_secs(120);
const POLL: Duration = Duration::from_millis(20);

/// Where and how workers run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Interpreter command.
    pub python: String,
    /// Directory holding the script and the job directories.
    pub dir: PathBuf,
    /// `RLIMIT_AS` of the child in MiB (`0` = unbounded).
    pub memory_mb: u64,
}

impl WorkerConfig {
    /// From the environment, for an instance with `data_dir` and `memory_gb` of memory: half of
    /// it for the worker (the graph engine keeps the rest), 4 GiB when the size is unknown.
    pub fn from_env(data_dir: &Path, memory_gb: Option<u32>) -> Self {
        let python = std::env::var(PYTHON_ENV)
            .ok()
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| "python3".into());
        let memory_mb = std::env::var(MEMORY_ENV)
            .ok()
            .and_then(|m| m.trim().parse::<u64>().ok())
            .unwrap_or_else(|| memory_gb.map_or(DEFAULT_MEMORY_MB, |g| u64::from(g) * 512));
        Self {
            python,
            dir: data_dir.join("networkx"),
            memory_mb,
        }
    }

    /// Writes the script unless an identical copy is there; returns its path.
    fn script(&self) -> Result<PathBuf, WorkerError> {
        let path = self.dir.join("nx_worker.py");
        if std::fs::read_to_string(&path).ok().as_deref() != Some(SCRIPT) {
            std::fs::create_dir_all(&self.dir)?;
            let tmp = self
                .dir
                .join(format!("nx_worker.py.{}", std::process::id()));
            std::fs::write(&tmp, SCRIPT)?;
            std::fs::rename(&tmp, &path)?;
        }
        Ok(path)
    }

    fn command(&self, script: &Path) -> Command {
        let mut cmd = Command::new(&self.python);
        cmd.arg(script)
            .stdin(Stdio::null())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("OPENBLAS_NUM_THREADS", "1")
            .env("OMP_NUM_THREADS", "1")
            .env("MKL_NUM_THREADS", "1");
        cmd
    }
}

/// Why a worker produced no result.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The interpreter could not be started.
    #[error(
        "cannot start the NetworkX worker with `{python}`: {source}; set GRAPH_OLAP_PYTHON to a Python 3 that has networkx installed"
    )]
    Spawn {
        /// Interpreter command.
        python: String,
        /// Cause.
        source: std::io::Error,
    },
    /// Job files could not be written or read.
    #[error("NetworkX worker files: {0}")]
    Io(#[from] std::io::Error),
    /// The child ended without an answer (crash, killed by the memory bound, no networkx).
    #[error("the NetworkX worker ended without a result ({status}){hint}: {stderr}")]
    Crashed {
        /// Exit status.
        status: String,
        /// What may have happened.
        hint: String,
        /// The end of its standard error.
        stderr: String,
    },
    /// The answer does not follow the protocol.
    #[error("the NetworkX worker's answer is not valid: {0}")]
    Protocol(String),
    /// Timed out or cancelled; the child was killed.
    #[error("{0}")]
    Interrupted(Interrupted),
    /// NetworkX (or Python) raised an exception.
    #[error("{error_type}: {message}")]
    Python {
        /// Exception class, e.g. `NetworkXNoPath`.
        error_type: String,
        /// `invalid_argument` | `not_implemented` | `networkx` | `memory` | `dependency` | `error`.
        kind: String,
        /// Exception message.
        message: String,
    },
}

/// One column of per-node values, in projection order (`null` = no value for that node).
#[derive(Debug, Clone, Deserialize)]
pub struct Column {
    /// `DOUBLE` | `INT64` | `BOOL`.
    #[serde(rename = "type")]
    pub ty: String,
    /// One value per node.
    pub values: Vec<Value>,
}

/// What a successful run returned, by shape.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkerResult {
    /// One or more per-node columns (a dict keyed by node, or a tuple of them such as HITS).
    NodeValues {
        /// The columns.
        columns: Vec<Column>,
        /// Summary (graph treatment, generator items).
        summary: Map<String, Value>,
    },
    /// Disjoint node sets: community index `0..k-1` by smallest member `_id` per node.
    Partition {
        /// Index per node (`null` for nodes in no set).
        membership: Vec<Option<i64>>,
        /// Summary (`communities`, graph treatment).
        summary: Map<String, Value>,
    },
    /// A number, boolean, string or null.
    Scalar {
        /// The value.
        value: Value,
        /// Summary.
        summary: Map<String, Value>,
    },
    /// Anything else, as JSON of at most [`MAX_RESULT_BYTES`].
    Json {
        /// The value.
        value: Value,
        /// Whether it was cut to fit.
        truncated: bool,
        /// Summary.
        summary: Map<String, Value>,
    },
}

/// One execution's input.
#[derive(Debug)]
pub struct RunRequest<'a> {
    /// Python module defining the function.
    pub module: &'a str,
    /// Attribute name in that module.
    pub function: &'a str,
    /// Keyword arguments (JSON), including the reserved `max_items`.
    pub parameters: &'a Map<String, Value>,
    /// Node `_id` per local id, ascending.
    pub nodes: &'a [u32],
    /// Directed edges between local ids.
    pub edges: &'a [(u32, u32)],
}

/// Removes a job directory when the run ends, whatever the outcome.
struct JobDir(PathBuf);

impl Drop for JobDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs one function in a fresh child, killing it on timeout or cancellation.
pub fn run(
    config: &WorkerConfig,
    job_id: &str,
    request: &RunRequest<'_>,
    cancel: &Cancel,
) -> Result<WorkerResult, WorkerError> {
    let script = config.script()?;
    let dir = JobDir(config.dir.join("jobs").join(job_id));
    std::fs::create_dir_all(&dir.0)?;
    write_graph(&dir.0.join("graph.bin"), request.nodes, request.edges)?;
    let body = json!({
        "module": request.module,
        "function": request.function,
        "parameters": request.parameters,
        "memory_mb": config.memory_mb,
        "max_items": DEFAULT_MAX_ITEMS,
        "max_result_bytes": MAX_RESULT_BYTES,
    });
    std::fs::write(dir.0.join("request.json"), body.to_string())?;
    let stderr_path = dir.0.join("stderr.log");
    let mut cmd = config.command(&script);
    cmd.arg("run")
        .arg(&dir.0)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path)?);
    let child = cmd.spawn().map_err(|source| WorkerError::Spawn {
        python: config.python.clone(),
        source,
    })?;
    let status = wait(child, cancel)?;
    let answer = match std::fs::read(dir.0.join("result.json")) {
        Ok(bytes) => bytes,
        Err(_) => return Err(crashed(config, status, &stderr_path)),
    };
    parse_answer(&answer)
}

/// Lists the functions the worker can run (the JSON of `nx_worker.py catalogue`).
pub fn list(config: &WorkerConfig) -> Result<Vec<u8>, WorkerError> {
    let script = config.script()?;
    let out_path = config
        .dir
        .join(format!("catalogue.{}.json", uuid::Uuid::new_v4()));
    let err_path = out_path.with_extension("err");
    let mut cmd = config.command(&script);
    cmd.arg("catalogue")
        .stdout(std::fs::File::create(&out_path)?)
        .stderr(std::fs::File::create(&err_path)?);
    let child = cmd.spawn().map_err(|source| WorkerError::Spawn {
        python: config.python.clone(),
        source,
    })?;
    let outcome = wait(child, &Cancel::with_timeout(CATALOGUE_TIMEOUT));
    let result = match outcome {
        Ok(status) if status.success() => std::fs::read(&out_path).map_err(WorkerError::from),
        Ok(status) => Err(crashed(config, status, &err_path)),
        Err(e) => Err(e),
    };
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&err_path);
    result
}

/// Waits for the child; kills it (and reaps it) when `cancel` fires.
fn wait(mut child: Child, cancel: &Cancel) -> Result<std::process::ExitStatus, WorkerError> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if let Err(reason) = cancel.check() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(WorkerError::Interrupted(reason));
        }
        std::thread::sleep(POLL);
    }
}

fn crashed(config: &WorkerConfig, status: std::process::ExitStatus, stderr: &Path) -> WorkerError {
    let text = std::fs::read_to_string(stderr).unwrap_or_default();
    let tail: String = {
        let chars: Vec<char> = text.trim().chars().collect();
        chars[chars.len().saturating_sub(2000)..].iter().collect()
    };
    let hint = if status.code().is_none() && config.memory_mb > 0 {
        format!(
            "; it may have exceeded its memory bound of {} MiB ({MEMORY_ENV})",
            config.memory_mb
        )
    } else if text.contains("No module named 'networkx'") {
        format!("; networkx is not installed for `{}`", config.python)
    } else {
        String::new()
    };
    WorkerError::Crashed {
        status: status.to_string(),
        hint,
        stderr: tail,
    }
}

fn parse_answer(bytes: &[u8]) -> Result<WorkerResult, WorkerError> {
    let answer: Value =
        serde_json::from_slice(bytes).map_err(|e| WorkerError::Protocol(e.to_string()))?;
    if answer["ok"] == Value::Bool(true) {
        return serde_json::from_value(answer).map_err(|e| WorkerError::Protocol(e.to_string()));
    }
    let error = &answer["error"];
    let text = |k: &str| error[k].as_str().unwrap_or_default().to_string();
    if error.is_object() {
        Err(WorkerError::Python {
            error_type: text("type"),
            kind: text("kind"),
            message: text("message"),
        })
    } else {
        Err(WorkerError::Protocol(
            "neither a result nor an error".into(),
        ))
    }
}

/// Writes the projection in the format `nx_worker.py` reads (see its module doc).
fn write_graph(path: &Path, nodes: &[u32], edges: &[(u32, u32)]) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(b"GONX")?;
    out.write_all(&1u32.to_le_bytes())?;
    out.write_all(&(nodes.len() as u64).to_le_bytes())?;
    out.write_all(&(edges.len() as u64).to_le_bytes())?;
    for n in nodes {
        out.write_all(&n.to_le_bytes())?;
    }
    for (s, _) in edges {
        out.write_all(&s.to_le_bytes())?;
    }
    for (_, d) in edges {
        out.write_all(&d.to_le_bytes())?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_results_of_the_protocol_parse() {
        let ok = br#"{"ok": true, "kind": "scalar", "value": 0.5, "summary": {}}"#;
        assert!(matches!(parse_answer(ok), Ok(WorkerResult::Scalar { .. })));
        let err = br#"{"ok": false, "error": {"type": "NetworkXNoPath", "kind": "networkx", "message": "No path"}}"#;
        let e = parse_answer(err).unwrap_err();
        assert_eq!(e.to_string(), "NetworkXNoPath: No path");
        assert!(matches!(parse_answer(b"{}"), Err(WorkerError::Protocol(_))));
    }

    #[test]
    fn memory_bound_defaults_to_half_the_instance() {
        if std::env::var(MEMORY_ENV).is_err() {
            let c = WorkerConfig::from_env(Path::new("/tmp/x"), Some(8));
            assert_eq!(c.memory_mb, 4096);
            assert_eq!(c.dir, Path::new("/tmp/x/networkx"));
        }
    }
}
