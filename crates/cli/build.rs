//! Links the `graph-olap` binary as a position-dependent executable (`-no-pie`).
//!
//! Why: every instance server is a process of this binary. In a position-independent
//! executable the loader patches every pointer of the binary's read-only data at start
//! (`.data.rel.ro`, `.got`), which turns those pages into private memory of each process: 8.7 MB
//! per instance server in the dev build, over a quarter of an idle tutorial instance. Linked at a
//! fixed address, those pages need no patching and stay shared with every other `graph-olap`
//! process. Only the link changes; every crate and the C++ engine are compiled as before. The
//! cost is that the binary's own code is not placed at a random address (shared libraries, heap
//! and stacks still are): build with `GRAPH_OLAP_PIE=1` to keep a position-independent binary.
//! `docs/decisions.md` ("Instance density") records the choice.
fn main() {
    let target = |key: &str| std::env::var(key).unwrap_or_default();
    let pie = std::env::var_os("GRAPH_OLAP_PIE").is_some_and(|v| v == "1");
    if !pie && target("CARGO_CFG_TARGET_OS") == "linux" && target("CARGO_CFG_TARGET_ENV") == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=GRAPH_OLAP_PIE");
}
