//! Parser: grammar coverage, printing round trips, syntax errors with positions.

use graph_olap_cypher::ast::{ClauseKind, StatementBody};
use graph_olap_cypher::parse;
use graph_olap_cypher::print::{CYPHER, print_query};

/// Parse → print → parse → print is stable, and the first print is as expected.
fn canon(q: &str) -> String {
    let ast = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    let printed = print_query(&ast, &CYPHER);
    let again = parse(&printed).unwrap_or_else(|e| panic!("reparse of {printed}: {e}"));
    assert_eq!(print_query(&again, &CYPHER), printed, "round trip of {q}");
    printed
}

#[test]
fn read_query_grammar_round_trips() {
    for q in [
        "MATCH (n:Person {name: 'Ann'})-[r:KNOWS*1..3]->(m) WHERE n.age > 30 RETURN n.name AS name, count(*) ORDER BY name DESC SKIP 1 LIMIT 10",
        "OPTIONAL MATCH (a)<-[:R|S]-(b) WITH a, collect(b) AS bs WHERE size(bs) > 1 RETURN a",
        "UNWIND [1, 2, 3] AS x RETURN x UNION ALL RETURN 4 AS x",
        "MATCH (a) CALL { WITH a MATCH (a)-->(b) RETURN count(b) AS c } RETURN a, c",
        "CALL db.labels() YIELD label AS l WHERE l STARTS WITH 'P' RETURN l",
        "RETURN CASE WHEN 1 < 2 THEN 'a' ELSE 'b' END, CASE 1 WHEN 1 THEN true END",
        "RETURN [x IN range(1, 10) WHERE x % 2 = 0 | x * x] AS sq, [(a)-->(b) WHERE b.x > 1 | b.name] AS names",
        "MATCH (a) WHERE EXISTS { MATCH (a)-->(b) } AND COUNT { (a)--() } > 2 RETURN a {.name, .age, k: 1}",
        "MATCH p = shortestPath((a:A)-[*..5]-(b:B)) RETURN p, length(p)",
        "MATCH (n) WHERE n:A|B AND NOT n:C AND (n)-->() RETURN n[$key], $list[1..-1], -n.x ^ 2",
        "MATCH (n:A&!B) RETURN all(x IN n.xs WHERE x > 0), reduce(s = 0, x IN [1, 2] | s + x)",
        "MATCH (n WHERE n.x = 1)-[r WHERE r.y > 2]->(m) RETURN n.x IS NOT NULL, m.y IS NULL, n.s =~ 'a.*'",
        "RETURN 'it\\'s', \"dq\", 1.5e3, 0x1F, null, true, {a: [1, {b: 2}]} AS `weird name`",
        "MATCH (n) RETURN DISTINCT n.x AS end ORDER BY end",
    ] {
        canon(q);
    }
}

#[test]
fn keywords_are_names_where_a_name_is_expected() {
    assert_eq!(
        canon("MATCH (n:Set) RETURN n.set, n.end AS `end`"),
        "MATCH (n:`Set`) RETURN n.`set`, n.`end` AS `end`"
    );
    assert_eq!(canon("RETURN {match: 1} AS m"), "RETURN {`match`: 1} AS m");
}

#[test]
fn arrows_and_minus_signs_are_told_apart() {
    assert_eq!(
        canon("MATCH (a)-->(b)<--(c)--(d) RETURN a"),
        "MATCH (a)-->(b)<--(c)--(d) RETURN a"
    );
    assert_eq!(
        canon("MATCH (a)<-->(b) RETURN a"),
        "MATCH (a)--(b) RETURN a"
    );
    assert_eq!(
        canon("RETURN 1<-1, 2--1, 3 - -1"),
        "RETURN 1 < -1, 2 - -1, 3 - -1"
    );
}

#[test]
fn precedence_is_preserved_by_printing() {
    assert_eq!(
        canon("RETURN (1 + 2) * 3, 1 + 2 * 3, NOT (a AND b), (NOT a) AND b"),
        "RETURN (1 + 2) * 3, 1 + 2 * 3, NOT (a AND b), NOT a AND b"
    );
    assert_eq!(
        canon("RETURN 1 - (2 - 3), (1 - 2) - 3"),
        "RETURN 1 - (2 - 3), 1 - 2 - 3"
    );
}

#[test]
fn commands_are_recognised_by_name() {
    for (q, name) in [
        ("CREATE INDEX idx FOR (n:P) ON (n.x)", "CREATE INDEX"),
        (
            "CREATE NODE TABLE P(id INT64, PRIMARY KEY(id))",
            "CREATE NODE TABLE",
        ),
        ("DROP TABLE P", "DROP TABLE"),
        ("BEGIN TRANSACTION", "BEGIN TRANSACTION"),
        ("COMMIT", "COMMIT"),
        ("COPY P FROM 'x.csv'", "COPY"),
        ("LOAD FROM 'f.parquet' RETURN *", "LOAD FROM"),
        ("CALL threads = 4", "CALL threads"),
        ("SHOW DATABASES", "SHOW DATABASES"),
    ] {
        let ast = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
        match &ast.statements[0].body {
            StatementBody::Command(c) => assert_eq!(c.name, name, "{q}"),
            other => panic!("{q}: {other:?}"),
        }
    }
}

#[test]
fn updating_clauses_parse() {
    let q = parse("MATCH (n) DETACH DELETE n").unwrap();
    let StatementBody::Query(rq) = &q.statements[0].body else {
        panic!()
    };
    assert!(matches!(
        rq.first.clauses[1].kind,
        ClauseKind::Delete { detach: true, .. }
    ));
    for q in [
        "CREATE (a:A {x: 1})-[:R]->(b)",
        "MERGE (a:A {id: 1}) ON CREATE SET a.x = 1 ON MATCH SET a += {y: 2}",
        "MATCH (n) SET n:L, n.x = 1 REMOVE n.y, n:M",
        "MATCH (n) WITH collect(n) AS ns FOREACH (x IN ns | SET x.y = 1)",
        "LOAD CSV WITH HEADERS FROM 'file:///x.csv' AS row FIELDTERMINATOR ';' RETURN row",
        "MATCH (n) CALL { WITH n SET n.x = 1 } IN TRANSACTIONS OF 10 ROWS",
    ] {
        canon(q);
    }
}

#[test]
fn syntax_errors_name_position_token_and_expectations() {
    let e = parse("MATCH (n:Person\nRETURN n").unwrap_err();
    assert_eq!((e.span.line, e.span.column), (2, 1));
    assert_eq!(e.found, "RETURN");
    assert!(e.expected.contains(&"')'".to_string()), "{e}");

    let e = parse("MATCH (n) RETRUN n").unwrap_err();
    assert_eq!(
        (e.span.line, e.span.column, e.found.as_str()),
        (1, 11, "RETRUN")
    );
    assert!(e.expected.iter().any(|x| x.contains("clause")), "{e}");

    let e = parse("RETURN 1 +").unwrap_err();
    assert!(e.message.contains("end of input"), "{e}");
    assert!(e.expected.contains(&"expression".to_string()), "{e}");

    let e = parse("  ;  ").unwrap_err();
    assert_eq!(e.message, "empty query");

    let e = parse("RETURN [1, 2").unwrap_err();
    assert!(e.expected.contains(&"']'".to_string()), "{e}");
    assert!(e.to_string().contains("line 1, column 13"), "{e}");
}

#[test]
fn nesting_is_bounded_instead_of_overflowing_the_stack() {
    for q in [
        format!("RETURN {}1{}", "(".repeat(5000), ")".repeat(5000)),
        format!("RETURN {}1", "NOT ".repeat(5000)),
        format!("RETURN 1{}", " + 1".repeat(5000)),
        format!("RETURN {}", "[".repeat(5000)),
        format!("RETURN x{}", ".a".repeat(5000)),
        format!(
            "MATCH (a) WHERE {}",
            "EXISTS { MATCH (a) WHERE ".repeat(2000)
        ),
    ] {
        let e = parse(&q).unwrap_err();
        assert!(e.message.contains("nested too deeply"), "{e}");
    }
    canon(&format!("RETURN {}1{}", "(".repeat(20), ")".repeat(20)));
}

#[test]
fn the_deepest_accepted_trees_print_and_translate() {
    use graph_olap_cypher::{Dialect, translate};
    let chain = format!("RETURN 1{}", " + 1".repeat(120));
    let lists = format!("RETURN {}1{}", "[".repeat(60), "]".repeat(60));
    let parens = format!("RETURN {}1{}", "(".repeat(60), ")".repeat(60));
    let maps = format!("RETURN {}1{}", "{a: ".repeat(60), "}".repeat(60));
    let calls = format!("RETURN {}1{}", "abs(".repeat(60), ")".repeat(60));
    let exists = format!(
        "MATCH (a) WHERE {}true{} RETURN a",
        "EXISTS { MATCH (a) WHERE ".repeat(20),
        " }".repeat(20)
    );
    for q in [chain, lists, parens, maps, calls, exists] {
        let ast = parse(&q).unwrap_or_else(|e| panic!("{e}"));
        canon(&q);
        translate(&ast, Dialect::Kuzu).unwrap();
    }
}

#[test]
fn return_columns_are_aliases_or_the_text_as_written() {
    let text = "MATCH (a)-[r]->(b) RETURN type(r), count(*) AS n, a.name ORDER BY n";
    let query = graph_olap_cypher::parse(text).unwrap();
    assert_eq!(
        graph_olap_cypher::return_columns(&query, text),
        Some(vec![
            "type(r)".to_string(),
            "n".to_string(),
            "a.name".to_string()
        ])
    );
    for none in [
        "MATCH (n) RETURN *",
        "MATCH (n) WITH n LIMIT 1",
        "RETURN 1; RETURN 2",
    ] {
        let query = graph_olap_cypher::parse(none).unwrap();
        assert_eq!(
            graph_olap_cypher::return_columns(&query, none),
            None,
            "{none}"
        );
    }
}
