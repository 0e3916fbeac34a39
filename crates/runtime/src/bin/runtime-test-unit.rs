//! A stand-in instance server for the runtime's own tests; not part of the product.
//!
//! Takes the flags the local runtime passes (only `--listen ADDR` is used) and serves, over
//! plain HTTP/1.0:
//! * `GET /ready` → `200 ready {GRAPH_OLAP_POD_NAME}` (so a test knows it reached its own unit);
//! * `GET /exit/{code}` → answers, then exits with `code`.
//!
//! It writes a `marker` file into `GRAPH_OLAP_INSTANCE_DATA_DIR` (as an instance server keeps
//! its snapshot and database there), prints its arguments, `GRAPH_OLAP_POD_NAME` and
//! `TEST_UNIT_ECHO` to stdout (for log
//! tests), exits 0 on SIGTERM unless `TEST_UNIT_IGNORE_SIGTERM=1`, and exits with
//! `TEST_UNIT_EXIT_AT_START` straight away when that is set.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

use tokio::signal::unix::{SignalKind, signal};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    println!("runtime-test-unit args: {args:?}");
    println!(
        "pod name: {}",
        std::env::var("GRAPH_OLAP_POD_NAME").unwrap_or_default()
    );
    if let Ok(dir) = std::env::var("GRAPH_OLAP_INSTANCE_DATA_DIR") {
        std::fs::create_dir_all(&dir).expect("create the data directory");
        std::fs::write(std::path::Path::new(&dir).join("marker"), b"unit files")
            .expect("write the marker");
        println!("data dir: {dir}");
    }
    if let Ok(echo) = std::env::var("TEST_UNIT_ECHO") {
        println!("echo: {echo}");
    }
    if let Some(code) = std::env::var("TEST_UNIT_EXIT_AT_START")
        .ok()
        .and_then(|c| c.parse().ok())
    {
        std::process::exit(code);
    }
    let ignore_term = std::env::var("TEST_UNIT_IGNORE_SIGTERM").is_ok_and(|v| v == "1");
    let listen = args
        .iter()
        .skip_while(|a| *a != "--listen")
        .nth(1)
        .expect("--listen ADDR is required");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    // Install the SIGTERM handler before serving, so no SIGTERM can arrive unhandled.
    let mut term = runtime
        .block_on(async { signal(SignalKind::terminate()) })
        .expect("SIGTERM handler");
    let listener = TcpListener::bind(listen).expect("bind --listen address");
    println!("listening on {listen}");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            handle(stream);
        }
    });
    runtime.block_on(async {
        loop {
            term.recv().await;
            if ignore_term {
                println!("ignoring SIGTERM");
                continue;
            }
            println!("SIGTERM: exiting");
            std::process::exit(0);
        }
    });
}

fn handle(mut stream: TcpStream) {
    let mut reader = BufReader::new(&stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let exit_code = path
        .strip_prefix("/exit/")
        .and_then(|c| c.parse::<i32>().ok());
    let (status, body) = match (path, exit_code) {
        ("/ready", _) => (
            "200 OK",
            format!(
                "ready {}",
                std::env::var("GRAPH_OLAP_POD_NAME").unwrap_or_default()
            ),
        ),
        (_, Some(code)) => ("200 OK", format!("exiting with {code}")),
        _ => ("404 Not Found", "not found".to_owned()),
    };
    let response = format!(
        "HTTP/1.0 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.flush();
    drop(stream);
    if let Some(code) = exit_code {
        std::process::exit(code);
    }
}
