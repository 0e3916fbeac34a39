//! Helpers shared by the runtime's integration tests: a runtime over a temporary work dir that
//! runs the `runtime-test-unit` binary, specs, and process/HTTP probes.

#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use graph_olap_runtime::{LocalProcessRuntime, LocalRuntimeConfig, UnitInfo, UnitSpec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The stand-in instance server built with this crate.
pub const TEST_UNIT: &str = env!("CARGO_BIN_EXE_runtime-test-unit");

/// A local runtime running the test unit, keeping its state in `work_dir`.
pub fn runtime(work_dir: &Path) -> LocalProcessRuntime {
    LocalProcessRuntime::new(LocalRuntimeConfig::new(TEST_UNIT, work_dir).with_args(["instance"]))
        .expect("runtime")
}

/// A spec for instance `id` with slug `slug` and extra environment.
pub fn spec(id: i64, slug: &str, env: &[(&str, &str)]) -> UnitSpec {
    UnitSpec {
        instance_id: id,
        url_slug: slug.to_owned(),
        cpu_cores: 2,
        memory_gb: Some(4),
        wrapper_type: "ryugraph".to_owned(),
        snapshot_path: None,
        snapshot_bytes: None,
        env: env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

/// `GET {base_url}{path}` over HTTP/1.0: the status code and body, `None` when unreachable.
pub async fn get(base_url: &str, path: &str) -> Option<(u16, String)> {
    let authority = base_url.strip_prefix("http://")?;
    let mut stream = tokio::net::TcpStream::connect(authority).await.ok()?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n").as_bytes())
        .await
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).await.ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// Polls `GET {unit.internal_url}/ready` until that very unit answers 200 (panics after 10 s).
pub async fn wait_ready(unit: &UnitInfo) {
    let base_url = &unit.internal_url;
    for _ in 0..500 {
        if let Some((200, body)) = get(base_url, "/ready").await {
            assert_eq!(
                body,
                format!("ready {}", unit.name),
                "another unit answered on {base_url}"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{base_url}/ready never answered");
}

/// Whether `pid` is a live (non-zombie) process.
pub fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.split_whitespace().next() != Some("Z"))
        })
        .unwrap_or(false)
}

/// Waits up to 5 s for `condition` to hold.
pub async fn eventually(mut condition: impl FnMut() -> bool) -> bool {
    for _ in 0..250 {
        if condition() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

/// Kills the listed processes when dropped, so a failing test leaves no unit behind.
pub struct KillOnDrop(pub Vec<u32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for pid in &self.0 {
            if let Ok(pid) = i32::try_from(*pid) {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(pid),
                    nix::sys::signal::Signal::SIGKILL,
                );
            }
        }
    }
}
