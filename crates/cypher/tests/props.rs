//! Property and fuzz-style tests with a seeded generator (no dependency): generated read-only
//! queries are never refused, generated updating queries always are, printing round-trips,
//! and parsing / translating arbitrary or mutated text never panics.

use graph_olap_cypher::print::{CYPHER, print_query};
use graph_olap_cypher::{Dialect, check_read_only, parse, translate};

/// SplitMix64: small, seeded, good enough to drive generators.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const VARS: &[&str] = &["a", "b", "c", "n", "m", "`end`", "`set`", "end"];
const LABELS: &[&str] = &["Person", "Account", "Set", "`Create`", "X"];
const KEYS: &[&str] = &["name", "age", "set", "delete", "created_at", "x"];

fn expr(r: &mut Rng, depth: u32) -> String {
    if depth == 0 {
        return match r.below(6) {
            0 => r.below(100).to_string(),
            1 => format!("'{}'", r.pick(&["CREATE", "it\\'s", "a;b", "x"])),
            2 => format!("{}.{}", r.pick(VARS), r.pick(KEYS)),
            3 => format!("${}", r.pick(KEYS)),
            4 => r.pick(&["null", "true", "1.5"]).to_string(),
            _ => r.pick(VARS).to_string(),
        };
    }
    let d = depth - 1;
    match r.below(14) {
        0 => format!(
            "{} {} {}",
            expr(r, d),
            r.pick(&["+", "-", "*", "/", "%", "^"]),
            expr(r, d)
        ),
        1 => format!(
            "{} {} {}",
            expr(r, d),
            r.pick(&["=", "<>", "<", "<=", ">", ">=", "=~"]),
            expr(r, d)
        ),
        2 => format!(
            "{} {} {}",
            expr(r, d),
            r.pick(&["AND", "OR", "XOR"]),
            expr(r, d)
        ),
        3 => format!("NOT {}", expr(r, d)),
        4 => format!("({})", expr(r, d)),
        5 => format!("[{}, {}]", expr(r, d), expr(r, d)),
        6 => format!("{{{}: {}}}", r.pick(KEYS), expr(r, d)),
        7 => format!(
            "{}({})",
            r.pick(&[
                "toInteger",
                "size",
                "head",
                "coalesce",
                "type",
                "labels",
                "abs"
            ]),
            expr(r, d)
        ),
        8 => format!(
            "CASE WHEN {} THEN {} ELSE {} END",
            expr(r, d),
            expr(r, d),
            expr(r, d)
        ),
        9 => format!(
            "[x IN {} WHERE {} | {}]",
            expr(r, d),
            expr(r, d),
            expr(r, d)
        ),
        10 => format!(
            "{} IS {}NULL",
            expr(r, d),
            if r.chance(50) { "NOT " } else { "" }
        ),
        11 => format!("{}:{}", r.pick(VARS), r.pick(LABELS)),
        12 => format!("EXISTS {{ MATCH {} }}", pattern(r)),
        _ => format!("({})[{}]", expr(r, d), expr(r, d)),
    }
}

fn node(r: &mut Rng) -> String {
    let var = if r.chance(70) { r.pick(VARS) } else { "" };
    let label = if r.chance(50) {
        format!(":{}", r.pick(LABELS))
    } else {
        String::new()
    };
    let props = if r.chance(20) {
        format!(" {{{}: {}}}", r.pick(KEYS), expr(r, 0))
    } else {
        String::new()
    };
    format!("({var}{label}{props})")
}

fn pattern(r: &mut Rng) -> String {
    let mut out = node(r);
    for _ in 0..r.below(3) {
        let inner = match r.below(4) {
            0 => String::new(),
            1 => format!("[:{}]", r.pick(&["KNOWS", "SET", "R|S"])),
            2 => format!("[r:R*{}..{}]", r.below(2) + 1, r.below(3) + 2),
            _ => "[r]".to_string(),
        };
        let (l, rr) = *[("-", "->"), ("<-", "-"), ("-", "-")]
            .get(r.below(3))
            .unwrap_or(&("-", "-"));
        out.push_str(&format!("{l}{inner}{rr}{}", node(r)));
    }
    out
}

fn read_query(r: &mut Rng) -> String {
    let mut parts = vec![format!(
        "{}MATCH {}",
        if r.chance(20) { "OPTIONAL " } else { "" },
        pattern(r)
    )];
    if r.chance(60) {
        parts.push(format!("WHERE {}", expr(r, 2)));
    }
    for _ in 0..r.below(3) {
        parts.push(match r.below(4) {
            0 => format!("WITH {} AS {}", expr(r, 1), r.pick(VARS)),
            1 => format!("UNWIND {} AS {}", expr(r, 1), r.pick(VARS)),
            2 => format!("CALL {{ MATCH {} RETURN {} AS y }}", pattern(r), expr(r, 1)),
            _ => format!("MATCH {}", pattern(r)),
        });
    }
    let mut ret = format!(
        "RETURN {}{} AS out",
        if r.chance(20) { "DISTINCT " } else { "" },
        expr(r, 2)
    );
    if r.chance(40) {
        ret.push_str(&format!(
            " ORDER BY out{}",
            if r.chance(50) { " DESC" } else { "" }
        ));
    }
    if r.chance(30) {
        ret.push_str(" SKIP $s LIMIT 10");
    }
    parts.push(ret);
    parts.join(if r.chance(50) { " " } else { "\n" })
}

fn updating_clause(r: &mut Rng) -> String {
    match r.below(9) {
        0 => format!("CREATE {}", pattern(r)),
        1 => format!("MERGE {}", node(r)),
        2 => format!("SET {}.{} = {}", r.pick(VARS), r.pick(KEYS), expr(r, 1)),
        3 => format!("DELETE {}", r.pick(VARS)),
        4 => format!("DETACH DELETE {}", r.pick(VARS)),
        5 => format!("REMOVE {}.{}", r.pick(VARS), r.pick(KEYS)),
        6 => format!("FOREACH (x IN [1] | SET {}.x = 1)", r.pick(VARS)),
        7 => "LOAD CSV FROM 'file:///x' AS row".to_string(),
        _ => format!(
            "CALL {}()",
            r.pick(&["db.createLabel", "apoc.refactor.rename", "create_fts_index"])
        ),
    }
}

fn updating_query(r: &mut Rng) -> String {
    let read = read_query(r);
    let clause = updating_clause(r);
    match r.below(3) {
        // Before the final RETURN.
        0 => match read.rfind("RETURN") {
            Some(i) => format!("{}{} {}", &read[..i], clause, &read[i..]),
            None => format!("{read} {clause}"),
        },
        // Inside a CALL subquery.
        1 => format!("MATCH (a) CALL {{ WITH a {clause} }} {}", &read),
        // Inside an EXISTS subquery.
        _ => format!("MATCH (a) WHERE EXISTS {{ MATCH (a) {clause} }} RETURN a"),
    }
}

#[test]
fn generated_read_queries_are_never_refused_and_round_trip() {
    let mut r = Rng(0x5EED_0001);
    for _ in 0..3000 {
        let q = read_query(&mut r);
        let ast = parse(&q).unwrap_or_else(|e| panic!("{q}\n{e}"));
        if let Err(v) = check_read_only(&ast) {
            panic!("refused read query: {q}\n{v}");
        }
        let printed = print_query(&ast, &CYPHER);
        let again = parse(&printed).unwrap_or_else(|e| panic!("{q}\nprinted {printed}\n{e}"));
        assert_eq!(print_query(&again, &CYPHER), printed, "{q}");
        // Translation either succeeds with text that parses again, or refuses cleanly.
        if let Ok(text) = translate(&ast, Dialect::Kuzu) {
            parse(&text).unwrap_or_else(|e| panic!("{q}\ntranslated {text}\n{e}"));
        }
    }
}

#[test]
fn generated_updating_queries_are_always_refused() {
    let mut r = Rng(0x5EED_0002);
    for _ in 0..3000 {
        let q = updating_query(&mut r);
        let ast = parse(&q).unwrap_or_else(|e| panic!("{q}\n{e}"));
        assert!(check_read_only(&ast).is_err(), "not refused: {q}");
    }
}

const CORPUS: &[&str] = &[
    "MATCH (n:Person {name: 'Ann'})-[r:KNOWS*1..3]->(m) WHERE n.age > 30 RETURN n.name, count(*) ORDER BY n.name SKIP 1 LIMIT 2",
    "MATCH (a) WHERE EXISTS { MATCH (a)-->(b) } RETURN [x IN range(1, 10) WHERE x % 2 = 0 | x * x], a {.name}",
    "MATCH p = shortestPath((a)-[*..5]-(b)) RETURN CASE WHEN length(p) > 1 THEN 'far' END",
    "CALL db.labels() YIELD label RETURN label UNION ALL RETURN 'x' AS label",
    "MATCH (n) WITH n, `weird`.x AS y WHERE y =~ 'a\\'b' CALL { WITH n RETURN 1 AS z } RETURN $p[0..-1], reduce(s = 0, x IN [1] | s + x)",
];

fn assert_no_panic(text: &str) {
    if let Ok(ast) = parse(text) {
        let _ = check_read_only(&ast);
        let _ = translate(&ast, Dialect::Kuzu);
        let _ = translate(&ast, Dialect::FalkorDb);
        let _ = print_query(&ast, &CYPHER);
    }
}

#[test]
fn parsing_random_bytes_never_panics() {
    let mut r = Rng(0x5EED_0003);
    let alphabet: Vec<char> = "()[]{}<>-=:;,.|*+/%^$`'\"\\ \nMATCHRETURNWHEREab01_é"
        .chars()
        .collect();
    for _ in 0..20_000 {
        let len = r.below(40);
        let text: String = (0..len)
            .map(|_| {
                if r.chance(10) {
                    char::from_u32(r.below(0x3000) as u32).unwrap_or('?')
                } else {
                    alphabet[r.below(alphabet.len())]
                }
            })
            .collect();
        assert_no_panic(&text);
    }
}

#[test]
fn parsing_mutated_queries_never_panics() {
    let mut r = Rng(0x5EED_0004);
    let tokens = [
        "(", ")", "[", "]", "{", "}", "-", "->", "<-", "..", ":", "|", "'", "`", "MATCH", "RETURN",
        "WHERE", "CALL", "EXISTS", "CASE", "END", ",", "$", "*",
    ];
    for _ in 0..20_000 {
        let mut chars: Vec<char> = CORPUS[r.below(CORPUS.len())].chars().collect();
        for _ in 0..=r.below(4) {
            let at = r.below(chars.len() + 1);
            match r.below(3) {
                0 if at < chars.len() => {
                    chars.remove(at);
                }
                1 => {
                    let t: Vec<char> = r.pick(&tokens).chars().collect();
                    chars.splice(at..at, t);
                }
                _ if at < chars.len() => {
                    let other = r.below(chars.len());
                    chars.swap(at, other);
                }
                _ => {}
            }
        }
        assert_no_panic(&chars.into_iter().collect::<String>());
    }
}
