//! Parsing needs no large stack from its caller: texts nested up to `SHALLOW_DEPTH` parse on the
//! caller's thread (here a 512 KiB one, in the unoptimised test build), deeper ones up to
//! `MAX_DEPTH` on the parser's own large-stack thread, and beyond that are refused.

use graph_olap_cypher::parser::{MAX_DEPTH, SHALLOW_DEPTH};
use graph_olap_cypher::{Dialect, parse, prepare};

/// A query whose nesting mixes every recursive construct, `levels` deep.
fn nested(levels: u32) -> String {
    let mut inner = String::from("x");
    for i in 0..levels {
        inner = match i % 6 {
            0 => format!("({inner})"),
            1 => format!("[y IN [{inner}] WHERE y IS NOT NULL | y]"),
            2 => format!("CASE WHEN true THEN {inner} END"),
            3 => format!("{{k: {inner}}}.k"),
            4 => format!("-({inner})"),
            _ => format!("[{inner}][0]"),
        };
    }
    format!("UNWIND [1] AS x RETURN {inner} AS v")
}

fn on_small_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(512 << 10)
            .spawn_scoped(s, f)
            .unwrap()
            .join()
            .unwrap()
    })
}

#[test]
fn shallow_queries_parse_on_a_small_stack() {
    for levels in [1, SHALLOW_DEPTH / 2, SHALLOW_DEPTH - 1] {
        let q = nested(levels);
        on_small_stack(|| parse(&q).unwrap_or_else(|e| panic!("{levels}: {e}")));
    }
    let q = "MATCH (a:P) WHERE EXISTS { MATCH (a)-->(b) WHERE COUNT { MATCH (b)-->(c) WHERE c.x IN [[1], [2]] } > 0 } RETURN a";
    on_small_stack(|| parse(q).unwrap());
}

#[test]
fn deep_queries_parse_on_the_parsers_own_stack() {
    for levels in [SHALLOW_DEPTH + 1, MAX_DEPTH / 2] {
        let q = nested(levels);
        let p = on_small_stack(|| parse(&q).map(|_| ()));
        assert!(p.is_ok(), "{levels}: {p:?}");
        prepare(&q, Dialect::Kuzu).unwrap_or_else(|e| panic!("{levels}: {e}"));
    }
    let e = parse(&nested(MAX_DEPTH + 4)).unwrap_err();
    assert!(e.message.contains("nested too deeply"), "{e}");
}
