//! Prepares many statements at once for tools (the TCK runner's `--translate-only`): reads
//! statements separated by NUL bytes from stdin and writes, for each, one line
//! `ok\t<translated text>` or `<syntax|read_only|unsupported>\t<message>`, newlines escaped
//! as `\n`.
//!
//! `cargo run -q -p graph-olap-cypher --example prepare_batch < statements`

use std::io::{Read, Write};

use graph_olap_cypher::{CypherError, Dialect, prepare};

fn main() -> std::io::Result<()> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let mut out = std::io::stdout().lock();
    for text in input.split('\0').filter(|t| !t.trim().is_empty()) {
        let (kind, body) = match prepare(text, Dialect::Kuzu) {
            Ok(p) => ("ok", p.text),
            Err(e @ CypherError::Syntax(_)) => ("syntax", e.to_string()),
            Err(e @ CypherError::ReadOnlyViolation(_)) => ("read_only", e.to_string()),
            Err(e @ CypherError::Unsupported(_)) => ("unsupported", e.to_string()),
        };
        writeln!(out, "{kind}\t{}", body.replace('\n', "\\n"))?;
    }
    Ok(())
}
