//! Generates the demo warehouse: `cargo run -p graph-olap-demo --example generate -- OUT_DIR [SCALE]`
//! (the `graph-olap demo generate` command does the same from the CLI).

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next() else {
        eprintln!("usage: generate OUT_DIR [SCALE]");
        std::process::exit(2);
    };
    let scale: u32 = args
        .next()
        .map(|s| s.parse().expect("SCALE is a positive integer"))
        .unwrap_or(1);
    let started = std::time::Instant::now();
    match graph_olap_demo::generate(std::path::Path::new(&out), scale) {
        Ok(summary) => {
            for t in &summary.tables {
                println!("{}.{}.{}: {} rows", t.catalog, t.schema, t.table, t.rows);
            }
            println!("scale {scale} in {:.1?}", started.elapsed());
        }
        Err(e) => {
            eprintln!("demo generation failed: {e}");
            std::process::exit(1);
        }
    }
}
