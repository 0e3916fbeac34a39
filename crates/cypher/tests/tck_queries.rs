//! The openCypher TCK's queries (vendored under `tests/tck/features`, see `tests/tck/README.md`)
//! as parser tests that need no engine: every query whose scenario expects rows parses (our
//! parser accepts all valid Cypher the TCK uses), nothing panics, and mutations of those real
//! queries — a seed corpus of thousands — never panic the parser, gate, printer or translators
//! (the bounded fuzz run of `scripts/test`). The full conformance run is `scripts/tck`.

use std::path::{Path, PathBuf};

use graph_olap_cypher::print::{CYPHER, print_query};
use graph_olap_cypher::{Dialect, check_read_only, parse, translate};

/// A query of a scenario and whether that scenario expects rows (not an error).
struct TckQuery {
    place: String,
    text: String,
    expects_rows: bool,
}

fn features() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/tck/features")
}

fn feature_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            feature_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "feature") {
            out.push(p);
        }
    }
}

fn cells(line: &str) -> Vec<String> {
    let t = line.trim();
    t[1..t.len() - 1]
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

/// The scenarios' queries, outlines expanded with their examples (a small Gherkin reader: the
/// doc string after `When executing query:`, the `Then` step after it, `Examples:` tables).
fn tck_queries() -> Vec<TckQuery> {
    let mut files = Vec::new();
    feature_files(&features(), &mut files);
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        // (query, expects rows, line) of the current scenario, and its examples
        let mut pending: Option<(String, bool, usize)> = None;
        let mut examples: Vec<Vec<String>> = Vec::new();
        let mut flush = |pending: &mut Option<(String, bool, usize)>,
                         examples: &mut Vec<Vec<String>>| {
            if let Some((q, rows, line)) = pending.take() {
                let place = format!("{}:{line}", file.display());
                if examples.len() < 2 {
                    out.push(TckQuery {
                        place,
                        text: q,
                        expects_rows: rows,
                    });
                } else {
                    let header = &examples[0];
                    for (n, row) in examples[1..].iter().enumerate() {
                        let mut t = q.clone();
                        for (k, v) in header.iter().zip(row) {
                            t = t.replace(&format!("<{k}>"), &v.replace("\\|", "|"));
                        }
                        out.push(TckQuery {
                            place: format!("{place} example {}", n + 1),
                            text: t,
                            expects_rows: rows,
                        });
                    }
                }
            }
            examples.clear();
        };
        while i < lines.len() {
            let t = lines[i].trim();
            if t.starts_with("Scenario") {
                flush(&mut pending, &mut examples);
            } else if t.starts_with("When executing query:") {
                let mut q = Vec::new();
                if let Some(inline) = t.strip_prefix("When executing query:")
                    && !inline.trim().is_empty()
                {
                    q.push(inline.trim().to_string());
                } else {
                    i += 1;
                    while !lines[i].trim().starts_with("\"\"\"") {
                        i += 1;
                    }
                    i += 1;
                    while !lines[i].trim().starts_with("\"\"\"") {
                        q.push(lines[i].trim_end().to_string());
                        i += 1;
                    }
                }
                pending = Some((q.join("\n"), false, i + 1));
            } else if t.starts_with("Then the result should be")
                && let Some(p) = pending.as_mut()
            {
                p.1 = true;
            } else if t.starts_with("Examples:") {
                i += 1;
                while i < lines.len()
                    && (lines[i].trim().starts_with('|') || lines[i].trim().is_empty())
                {
                    if lines[i].trim().starts_with('|') {
                        examples.push(cells(lines[i]));
                    }
                    i += 1;
                }
                flush(&mut pending, &mut examples);
                continue;
            }
            i += 1;
        }
        flush(&mut pending, &mut examples);
    }
    out
}

#[test]
fn every_tck_query_that_expects_rows_parses() {
    let queries = tck_queries();
    assert!(queries.len() > 3000, "{} queries", queries.len());
    let mut failures = Vec::new();
    for q in queries.iter().filter(|q| q.expects_rows) {
        if let Err(e) = parse(&q.text) {
            failures.push(format!(
                "{}: {e}\n    {}",
                q.place,
                q.text.replace('\n', " ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn exercise(text: &str) {
    if let Ok(ast) = parse(text) {
        let _ = check_read_only(&ast);
        let _ = translate(&ast, Dialect::Kuzu);
        let _ = translate(&ast, Dialect::FalkorDb);
        let _ = print_query(&ast, &CYPHER);
    }
}

#[test]
fn no_tck_query_panics_and_printed_queries_parse_again() {
    for q in tck_queries() {
        exercise(&q.text);
        if let Ok(ast) = parse(&q.text) {
            let printed = print_query(&ast, &CYPHER);
            assert!(
                parse(&printed).is_ok(),
                "{}: printed form does not parse: {printed}",
                q.place
            );
        }
    }
}

/// Bounded mutation fuzzing seeded with the TCK's queries: deletions, insertions of syntax
/// tokens, swaps and splices between queries.
#[test]
fn mutated_tck_queries_never_panic() {
    let corpus: Vec<Vec<char>> = tck_queries()
        .into_iter()
        .map(|q| q.text.chars().collect())
        .collect();
    let tokens: Vec<Vec<char>> = [
        "(", ")", "[", "]", "{", "}", "-", "->", "<-", "..", ":", "|", "'", "\"", "`", "MATCH",
        "RETURN", "WITH", "WHERE", "CALL {", "EXISTS {", "COUNT {", "CASE", "END", ",", "$", "*",
        "UNION", "OPTIONAL", "ORDER BY", "\\", "/*", "0x", "1e", ".",
    ]
    .iter()
    .map(|t| t.chars().collect())
    .collect();
    let mut state: u64 = 0x7C4_5EED;
    let mut next = |n: usize| {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % n.max(1) as u64) as usize
    };
    for _ in 0..30_000 {
        let mut chars = corpus[next(corpus.len())].clone();
        for _ in 0..=next(4) {
            let at = next(chars.len() + 1);
            match next(4) {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                1 => {
                    let t = tokens[next(tokens.len())].clone();
                    chars.splice(at..at, t);
                }
                2 => {
                    let other = &corpus[next(corpus.len())];
                    let from = next(other.len());
                    let len = next(20).min(other.len() - from);
                    chars.splice(at..at, other[from..from + len].iter().copied());
                }
                _ if at < chars.len() => {
                    let j = next(chars.len());
                    chars.swap(at, j);
                }
                _ => {}
            }
        }
        exercise(&chars.into_iter().collect::<String>());
    }
}
