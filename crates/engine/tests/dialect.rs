//! Analysts' Neo4j-flavoured Cypher on the real engine: every row of the compatibility table in
//! `crates/cypher/README.md` runs here through [`GraphEngine::query`] (parse → gate → translate
//! with the graph's schema → ryugraph), and the rows must be the ones Neo4j returns (written by
//! hand from openCypher semantics). Test names match the table's "test" column.

use std::sync::OnceLock;
use std::time::Duration;

use graph_olap_api::{EdgeDefinition, NodeDefinition};
use graph_olap_engine::{
    CancelToken, EdgeLoad, GraphEngine, NodeLoad, QueryErrorKind, QueryOutput, QueryRequest,
    RyuConfig, RyuEngine, WriteBack, WriteValues,
};
use serde_json::{Value, json};

fn small() -> RyuConfig {
    RyuConfig {
        readers: 2,
        buffer_pool_bytes: 256 << 20,
        max_db_bytes: 1 << 32,
        ..RyuConfig::default()
    }
}

fn node(label: &str, pk: (&str, &str), props: &[(&str, &str)]) -> NodeDefinition {
    let props: Vec<_> = props
        .iter()
        .map(|(n, t)| json!({"name": n, "type": t}))
        .collect();
    serde_json::from_value(json!({"label": label, "sql": "SELECT 1",
        "primary_key": {"name": pk.0, "type": pk.1}, "properties": props}))
    .unwrap()
}

fn edge(ty: &str, from: &str, to: &str, props: &[(&str, &str)]) -> EdgeDefinition {
    let props: Vec<_> = props
        .iter()
        .map(|(n, t)| json!({"name": n, "type": t}))
        .collect();
    serde_json::from_value(
        json!({"type": ty, "from_node": from, "to_node": to, "sql": "SELECT 1",
        "from_key": "src", "to_key": "dst", "properties": props}),
    )
    .unwrap()
}

struct Fixture {
    _dir: tempfile::TempDir,
    engine: RyuEngine,
}

/// Person(id, name, age, score; betweenness written back for two of three), City(code, name),
/// Account(id INT64, balance: no `name`); KNOWS p1→p2 (2001), p2→p3 (2002), p1→p3 (2003);
/// LIVES_IN p1→Paris, p2→Paris, p3→Oslo; OWNS p1→100, p2→101.
fn graph() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let scratch = RyuEngine::open(&dir.path().join("scratch"), small()).unwrap();
        let write = |name: &str, q: &str| {
            let p = dir.path().join(name).join("part-00000.parquet");
            scratch.write_parquet(q, &p).unwrap();
            p
        };
        let person = node("Person", ("id", "STRING"), &[("name", "STRING"), ("age", "INT64"), ("score", "DOUBLE")]);
        let city = node("City", ("code", "INT64"), &[("name", "STRING")]);
        let account = node("Account", ("id", "INT64"), &[("balance", "DOUBLE")]);
        let knows = edge("KNOWS", "Person", "Person", &[("since", "INT64")]);
        let lives = edge("LIVES_IN", "Person", "City", &[]);
        let owns = edge("OWNS", "Person", "Account", &[]);
        let engine = RyuEngine::open(&dir.path().join("db"), small()).unwrap();
        engine
            .create_schema(
                &[person.clone(), city.clone(), account.clone()],
                &[knows.clone(), lives.clone(), owns.clone()],
            )
            .unwrap();
        let nodes = [
            NodeLoad { definition: person, files: vec![write("person",
                "UNWIND [{i:'p1',n:'Alice',a:30,s:1.5},{i:'p2',n:'Bob',a:40,s:2.5},{i:'p3',n:'Carol',a:50,s:3.5}] AS r
                 RETURN r.i AS id, r.n AS name, r.a AS age, r.s AS score")] },
            NodeLoad { definition: city, files: vec![write("city",
                "UNWIND [{c:1,n:'Paris'},{c:2,n:'Oslo'}] AS r RETURN r.c AS code, r.n AS name")] },
            NodeLoad { definition: account, files: vec![write("account",
                "UNWIND [{i:100,b:10.0},{i:101,b:20.5}] AS r RETURN r.i AS id, r.b AS balance")] },
        ];
        let edges = [
            EdgeLoad { definition: knows, files: vec![write("knows",
                "UNWIND [{s:'p1',d:'p2',y:2001},{s:'p2',d:'p3',y:2002},{s:'p1',d:'p3',y:2003}] AS r
                 RETURN r.s AS src, r.d AS dst, r.y AS since")] },
            EdgeLoad { definition: lives, files: vec![write("lives",
                "UNWIND [{s:'p1',d:1},{s:'p2',d:1},{s:'p3',d:2}] AS r RETURN r.s AS src, r.d AS dst")] },
            EdgeLoad { definition: owns, files: vec![write("owns",
                "UNWIND [{s:'p1',d:100},{s:'p2',d:101}] AS r RETURN r.s AS src, r.d AS dst")] },
        ];
        engine.load(&nodes, &edges, &mut |_| {}).unwrap();
        engine
            .write_back(&WriteBack {
                property: "betweenness".into(),
                labels: vec!["Person".into()],
                node_ids: vec![0, 1],
                values: WriteValues::Double(vec![Some(0.5), Some(1.0)]),
            })
            .unwrap();
        Fixture { _dir: dir, engine }
    })
}

fn run(q: &str, params: Value) -> Result<QueryOutput, graph_olap_engine::QueryError> {
    let request = QueryRequest {
        query: q.into(),
        parameters: params.as_object().cloned().unwrap_or_default(),
        timeout: Duration::from_secs(30),
        max_rows: 1000,
    };
    graph().engine.query(&request, &CancelToken::new())
}

/// The rows of an analyst query as JSON.
fn rows_with(q: &str, params: Value) -> Value {
    let out = run(q, params).unwrap_or_else(|e| panic!("{q}: {e:?}"));
    Value::Array(
        out.rows
            .iter()
            .map(|r| Value::Array(r.iter().map(|v| v.to_json()).collect()))
            .collect(),
    )
}

fn rows(q: &str) -> Value {
    rows_with(q, json!({}))
}

/// Asserts the rows of `q` (in order).
#[track_caller]
fn check(q: &str, expected: Value) {
    assert_eq!(rows(q), expected, "{q}");
}

/// Asserts the rows of `q` as a multiset (queries without ORDER BY).
#[track_caller]
fn check_unordered(q: &str, expected: Value) {
    let sort = |v: Value| {
        let mut r: Vec<Value> = v.as_array().unwrap().clone();
        r.sort_by_key(|x| x.to_string());
        r
    };
    assert_eq!(sort(rows(q)), sort(expected), "{q}");
}

/// The `QUERY_UNSUPPORTED` feature of a refused query.
#[track_caller]
fn refused(q: &str) -> String {
    match run(q, json!({})) {
        Err(e) => match e.kind {
            QueryErrorKind::Unsupported { feature } => feature,
            other => panic!(
                "{q}: expected QUERY_UNSUPPORTED, got {other:?}: {}",
                e.message
            ),
        },
        Ok(o) => panic!("{q}: expected QUERY_UNSUPPORTED, got rows {:?}", o.rows),
    }
}

#[test]
fn native_read_clauses_pass_through() {
    check(
        "MATCH (a:Person)-[:KNOWS]->(b) RETURN a.name, count(b) AS n ORDER BY n DESC, a.name",
        json!([["Alice", 2], ["Bob", 1]]),
    );
    check(
        "MATCH (a:Person {id: 'p1'})-[:KNOWS*1..2]->(b) RETURN b.name ORDER BY b.name",
        json!([["Bob"], ["Carol"], ["Carol"]]),
    );
    check(
        "OPTIONAL MATCH (c:City {code: 9}) RETURN c.name",
        json!([[null]]),
    );
    check_unordered(
        "RETURN 1 AS x UNION RETURN 2 AS x UNION RETURN 1 AS x",
        json!([[1], [2]]),
    );
}

#[test]
fn order_by_id_sorts_by_the_dense_id() {
    check(
        "MATCH (a:Person)-[:KNOWS]->(b:Person) RETURN id(a), id(b) ORDER BY id(a), id(b) DESC",
        json!([[0, 2], [0, 1], [1, 2]]),
    );
}

#[test]
fn type_becomes_label() {
    check(
        "MATCH ()-[r]->() RETURN type(r) AS t, count(*) ORDER BY t",
        json!([["KNOWS", 3], ["LIVES_IN", 3], ["OWNS", 2]]),
    );
    let out = run("MATCH ()-[r]->() RETURN type(r), count(*)", json!({})).unwrap();
    assert_eq!(out.columns, ["type(r)", "count(*)"]);
}

#[test]
fn labels_becomes_a_one_element_list() {
    // The issue's example: one row per label (the engine's own `label()` is a string and its
    // lists are 1-based, so passing the text through gave `[['', 7]]`).
    check(
        "MATCH (n) RETURN labels(n)[0] AS label, count(*) ORDER BY label",
        json!([["Account", 2], ["City", 2], ["Person", 3]]),
    );
    check(
        "MATCH (n:City {code: 1}) RETURN labels(n)",
        json!([[["City"]]]),
    );
}

#[test]
fn head_last_tail_use_one_based_lists() {
    check(
        "RETURN head([1, 2, 3]), last([1, 2, 3]), tail([1, 2, 3]), head([]), last([]), tail([])",
        json!([[1, 3, [2, 3], null, null, []]]),
    );
    check(
        "MATCH (p:Person) OPTIONAL MATCH (p)-[:LIVES_IN]->(c) WITH p, collect(c.name) AS cities
         RETURN p.name, head(cities), last(cities) ORDER BY p.name",
        json!([
            ["Alice", "Paris", "Paris"],
            ["Bob", "Paris", "Paris"],
            ["Carol", "Oslo", "Oslo"]
        ]),
    );
}

#[test]
fn list_index_and_slice_become_one_based() {
    assert_eq!(
        rows_with(
            "WITH [1, 2, 3] AS l RETURN l[0], l[-1], l[5], l[-4], l[$i], l[$j], l[$k]",
            json!({"i": 1, "j": -2, "k": 7})
        ),
        json!([[1, 3, null, null, 2, 2, null]])
    );
    check(
        "WITH [1, 2, 3] AS l RETURN l[1..3], l[..-1], l[-2..], l[5..], l[0..0], l[-5..2], l[1..-3]",
        json!([[[2, 3], [1, 2], [2, 3], [], [], [1, 2], []]]),
    );
    assert_eq!(
        rows_with(
            "WITH [1, 2, 3] AS l RETURN l[$a..$b]",
            json!({"a": 1, "b": -1})
        ),
        json!([[[2]]])
    );
    check(
        "MATCH (c:City {code: 2}) RETURN c['name']",
        json!([["Oslo"]]),
    );
}

#[test]
fn split_becomes_string_split() {
    check(
        "RETURN split('a,b,c', ','), split('x', ',')",
        json!([[["a", "b", "c"], ["x"]]]),
    );
    // Known difference: the engine drops empty fields (Neo4j: ['a', 'b', '', 'c']).
    check("RETURN split('a,b,,c', ',')", json!([[["a", "b", "c"]]]));
}

#[test]
fn conversions_become_casts() {
    check(
        "RETURN toInteger('42'), toInteger('3.7'), toInteger('-3.7'), toInteger('abc'),
                toInteger(3.7), toInteger(-3.7), toInteger(true), toInteger(7)",
        json!([[42, 3, -3, null, 3, -3, 1, 7]]),
    );
    check(
        "RETURN toFloat('2.5'), toFloat('x'), toFloat(2), toFloat('1e3')",
        json!([[2.5, null, 2.0, 1000.0]]),
    );
    check(
        "RETURN toString(3.5), toString(1.0), toString(true), toString(42), toString('s')",
        json!([["3.5", "1.0", "true", "42", "s"]]),
    );
    check(
        "RETURN toBoolean('TRUE'), toBoolean('false'), toBoolean('yes'), toBoolean(1), toBoolean(0)",
        json!([[true, false, null, true, false]]),
    );
    // Types known from the schema.
    check(
        "MATCH (p:Person {id: 'p1'}) RETURN toString(p.score), toInteger(p.score), toFloat(p.age), toInteger(p.id)",
        json!([["1.5", 1, 30.0, null]]),
    );
    // Unknown types go through the string form.
    check(
        "UNWIND ['12', 'x', '-2.9'] AS s RETURN toInteger(s)",
        json!([[12], [null], [-2]]),
    );
}

#[test]
fn size_is_native_on_strings_and_lists_and_counts_patterns() {
    check("RETURN size('abc'), size([1, 2])", json!([[3, 2]]));
    check(
        "MATCH (a:Person) RETURN a.name, size((a)-[:KNOWS]->()) ORDER BY a.name",
        json!([["Alice", 2], ["Bob", 1], ["Carol", 0]]),
    );
}

#[test]
fn label_predicates_become_label_comparisons() {
    check("MATCH (n) WHERE n:City RETURN count(*)", json!([[2]]));
    check(
        "MATCH (n) WHERE n:City|Account RETURN count(*)",
        json!([[4]]),
    );
    check("MATCH (n) WHERE NOT n:Person RETURN count(*)", json!([[4]]));
}

#[test]
fn pattern_label_alternatives_use_kuzu_syntax() {
    check("MATCH (n:City|Account) RETURN count(*)", json!([[4]]));
    check(
        "MATCH (:Person)-[r:LIVES_IN|OWNS]->() RETURN count(r)",
        json!([[5]]),
    );
    check("MATCH (n:Person:City) RETURN count(*)", json!([[0]]));
    check("MATCH (n:!Person) RETURN count(*)", json!([[4]]));
}

#[test]
fn node_pattern_where_moves_to_the_clause() {
    check(
        "MATCH (a:Person WHERE a.age > 35)-[r:KNOWS WHERE r.since > 2001]->(b) RETURN a.name, b.name",
        json!([["Bob", "Carol"]]),
    );
}

#[test]
fn bracketless_relationships_get_brackets() {
    check(
        "MATCH (a:Person {id: 'p1'})-->(b) RETURN count(*)",
        json!([[4]]),
    );
    check(
        "MATCH (a:Person {id: 'p3'})<--(b) RETURN count(*)",
        json!([[2]]),
    );
    check(
        "MATCH (c:City {code: 1})--(p) RETURN count(*)",
        json!([[2]]),
    );
}

#[test]
fn element_id_becomes_id() {
    let ids = rows("MATCH (n:City) RETURN elementId(n) ORDER BY n.code");
    let ids: Vec<&str> = ids
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().expect("a string"))
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    assert_eq!(
        rows_with(
            "MATCH (n) WHERE elementId(n) = $e RETURN n.name",
            json!({"e": ids[1]})
        ),
        json!([["Oslo"]])
    );
}

#[test]
fn regex_match_is_native() {
    check(
        "MATCH (p:Person) WHERE p.name =~ 'A.*' RETURN p.name",
        json!([["Alice"]]),
    );
    check(
        "RETURN 'abc' =~ 'b', 'abc' =~ '.b.'",
        json!([[false, true]]),
    );
}

#[test]
fn coalesce_case_unwind_are_native() {
    check(
        "UNWIND [1, null, 3] AS x
         RETURN coalesce(x, 0), CASE x WHEN 1 THEN 'one' ELSE 'other' END, CASE WHEN x > 2 THEN 'big' END",
        json!([[1, "one", null], [0, "other", null], [3, "other", "big"]]),
    );
}

#[test]
fn order_skip_limit_take_parameters() {
    assert_eq!(
        rows_with(
            "MATCH (p:Person) RETURN p.name ORDER BY p.name SKIP $s LIMIT $l",
            json!({"s": 1, "l": 1})
        ),
        json!([["Bob"]])
    );
}

#[test]
fn with_order_by_without_limit_gets_skip_zero() {
    check(
        "MATCH (p:Person) WITH p ORDER BY p.age DESC RETURN collect(p.name) AS names",
        json!([[["Carol", "Bob", "Alice"]]]),
    );
}

#[test]
fn list_comprehensions_become_lambdas() {
    check(
        "RETURN [x IN range(1, 10) WHERE x % 2 = 0 | x * x] AS l",
        json!([[[4, 16, 36, 64, 100]]]),
    );
    check(
        "RETURN [x IN [1, 2, 3] WHERE x > 1], [x IN [1, 2] | x + 1]",
        json!([[[2, 3], [2, 3]]]),
    );
    check(
        "MATCH (p:Person) WITH collect(p.age) AS ages RETURN [a IN ages WHERE a > 35 | a / 10] AS l",
        json!([[[4, 5]]]),
    );
}

#[test]
fn quantifiers_are_native_and_reduce_is_seeded() {
    check(
        "RETURN all(x IN [1, 2] WHERE x > 0), any(x IN [1, 2] WHERE x > 1), none(x IN [1, 2] WHERE x > 5),
                single(x IN [1, 2] WHERE x > 1), reduce(s = 10, x IN [1, 2, 3] | s - x), reduce(s = 0, x IN [] | s + x)",
        json!([[true, true, true, true, 4, 0]]),
    );
}

#[test]
fn exists_and_count_subqueries_become_single_match() {
    check(
        "MATCH (p:Person) WHERE EXISTS { (p)-[:OWNS]->() } RETURN p.name ORDER BY p.name",
        json!([["Alice"], ["Bob"]]),
    );
    check(
        "MATCH (p:Person) RETURN p.name, COUNT { MATCH (p)-[:KNOWS]->(q) WHERE q.age > 40 RETURN q } AS c ORDER BY p.name",
        json!([["Alice", 1], ["Bob", 1], ["Carol", 0]]),
    );
    check(
        "MATCH (p:Person) WHERE (p)-[:KNOWS]->() RETURN count(*)",
        json!([[2]]),
    );
}

#[test]
fn shortest_paths_use_kuzu_recursive_syntax() {
    check(
        "MATCH (a:Person {id: 'p1'}), (b:Person {id: 'p3'}) MATCH p = shortestPath((a)-[:KNOWS*]->(b)) RETURN length(p)",
        json!([[1]]),
    );
    check(
        "MATCH (a:Person {id: 'p2'}), (b:Person {id: 'p1'}) MATCH p = allShortestPaths((a)-[:KNOWS*..5]-(b)) RETURN length(p)",
        json!([[1]]),
    );
}

#[test]
fn renamed_functions() {
    check(
        "RETURN toLower('AbC'), toUpper('abc'), substring('hello', 1, 3), substring('hello', 2), 2 ^ 3, log(1)",
        json!([["abc", "ABC", "ell", "llo", 8.0, 0.0]]),
    );
    check(
        "MATCH p = (:Person {id: 'p1'})-[:KNOWS]->(:Person {id: 'p2'}) RETURN size(relationships(p))",
        json!([[1]]),
    );
    check(
        "RETURN replace('a.b.c', '.', '-'), replace('aXbX', 'X', '\\\\'), replace('x(y)', '(', '[')",
        json!([["a-b-c", "a\\b\\", "x[y)"]]),
    );
    assert_eq!(
        rows_with(
            "RETURN replace('1+1+1', $s, $r)",
            json!({"s": "+", "r": "$1"})
        ),
        json!([["1$11$11"]])
    );
}

#[test]
fn strings_lists_and_numbers() {
    // `reverse` of a list is a list; `+` of a string and a number concatenates (Neo4j).
    check(
        "WITH [1, 2, 3] AS l RETURN reverse(l), reverse('abc'), reverse(collect(1)), 'n=' + 1, 2.5 + 'x', left('hello', 2), right('hello', 2), 5.5 % 2",
        json!([[[3, 2, 1], "cba", [1], "n=1", "2.5x", "he", "lo", 1.5]]),
    );
    check(
        "MATCH (p:Person {id: 'p2'}) RETURN p.name + ' is ' + p.age",
        json!([["Bob is 40"]]),
    );
    // String literal escapes reach the engine intact.
    check(
        r"RETURN 'it\'s', 'a\\b', 'x\ny', '\u00e9'",
        json!([["it's", "a\\b", "x\ny", "é"]]),
    );
}

#[test]
fn temporal_functions() {
    check(
        "RETURN date('2024-01-31'), date({year: 2024, month: 2, day: 29}), date() IS NOT NULL,
                datetime() IS NOT NULL, timestamp() > 0",
        json!([["2024-01-31", "2024-02-29", true, true, true]]),
    );
}

#[test]
fn legacy_exists_of_a_property() {
    check(
        "MATCH (p:Person) WHERE exists(p.betweenness) RETURN p.name ORDER BY p.name",
        json!([["Alice"], ["Bob"]]),
    );
}

#[test]
fn map_projection_becomes_a_map() {
    check(
        "MATCH (c:City {code: 1}) RETURN c {.name, k: 1}",
        json!([[{"name": "Paris", "k": 1}]]),
    );
}

#[test]
fn reserved_words_are_quoted_for_kuzu() {
    let out = run(
        "MATCH (c:City {code: 1}) RETURN c.name AS end, c.code AS match",
        json!({}),
    )
    .unwrap();
    assert_eq!(out.columns, ["end", "match"]);
    assert_eq!(out.rows.len(), 1);
}

#[test]
fn kuzu_procedures_get_a_return() {
    assert_eq!(rows("CALL show_tables()").as_array().unwrap().len(), 6);
    check(
        "CALL show_tables() YIELD name, type WHERE type = 'NODE' RETURN name AS label ORDER BY label",
        json!([["Account"], ["City"], ["Person"]]),
    );
    assert_eq!(refused("CALL db.labels()"), "procedure db.labels");
}

#[test]
fn call_subqueries_become_with_chains() {
    check(
        "CALL { MATCH (p:Person) RETURN count(p) AS people } RETURN people",
        json!([[3]]),
    );
    check(
        "MATCH (c:City) CALL { MATCH (p:Person) RETURN count(p) AS people } RETURN c.name, people ORDER BY c.name",
        json!([["Oslo", 3], ["Paris", 3]]),
    );
    check(
        "MATCH (c:City) WITH c.name AS city CALL { MATCH (a:Account) RETURN sum(a.balance) AS total } RETURN city, total ORDER BY city",
        json!([["Oslo", 30.5], ["Paris", 30.5]]),
    );
    check(
        "MATCH (p:Person) CALL { WITH p MATCH (p)-[:KNOWS]->(q) RETURN count(q) AS friends, sum(q.age) AS ages, count(*) AS rows }
         RETURN p.name, friends, ages, rows ORDER BY p.name",
        json!([["Alice", 2, 90, 2], ["Bob", 1, 50, 1], ["Carol", 0, 0, 0]]),
    );
    // Correlated, row by row: inlined (a join).
    check(
        "MATCH (p:Person) CALL { WITH p MATCH (p)-[:KNOWS]->(q) RETURN q.name AS n } RETURN p.name, n ORDER BY p.name, n",
        json!([["Alice", "Bob"], ["Alice", "Carol"], ["Bob", "Carol"]]),
    );
    // Correlated aggregates over two MATCH clauses: only complete matches count.
    check(
        "MATCH (p:Person) CALL { WITH p MATCH (p)-[:KNOWS]->(q) MATCH (q)-[:LIVES_IN]->(c:City) WHERE c.name = 'Oslo' RETURN count(*) AS n, sum(q.age) AS ages }
         RETURN p.name, n, ages ORDER BY p.name",
        json!([["Alice", 1, 50], ["Bob", 1, 50], ["Carol", 0, 0]]),
    );
    // UNION inside CALL at the front: distributed over the branches.
    check_unordered(
        "CALL { MATCH (p:Person) RETURN p.name AS n UNION MATCH (c:City) RETURN c.name AS n } RETURN n",
        json!([["Alice"], ["Bob"], ["Carol"], ["Oslo"], ["Paris"]]),
    );
    assert!(
        refused("CALL { MATCH (p:Person) RETURN p.name AS n UNION MATCH (c:City) RETURN c.name AS n } RETURN count(n)")
            .starts_with("CALL")
    );
}

#[test]
fn rand_is_in_the_unit_interval() {
    check(
        "UNWIND range(1, 500) AS i WITH rand() AS r RETURN min(r) >= 0.0 AND max(r) < 1.0, count(DISTINCT r) > 400",
        json!([[true, true]]),
    );
}

#[test]
fn unknown_labels_and_types_match_nothing() {
    check("MATCH (n:Nope) RETURN count(n)", json!([[0]]));
    check(
        "MATCH (p:Person)-[:NOPE|KNOWS]->(q:Person|Nope) RETURN count(*)",
        json!([[3]]),
    );
    check(
        "MATCH (p:Person)-[:NOPE]->(q) RETURN count(*)",
        json!([[0]]),
    );
}

#[test]
fn pattern_comprehensions_become_optional_match_and_collect() {
    check(
        "MATCH (p:Person) RETURN p.name, [(p)-[:LIVES_IN]->(c) | c.name] AS cities ORDER BY p.name",
        json!([
            ["Alice", ["Paris"]],
            ["Bob", ["Paris"]],
            ["Carol", ["Oslo"]]
        ]),
    );
    check(
        "MATCH (p:Person) RETURN p.name, [(p)-[:OWNS]->(a) WHERE a.balance > 15 | a.balance] AS big,
                [(p)-[:LIVES_IN]->(c) | 1] AS ones ORDER BY p.name",
        json!([["Alice", [], [1]], ["Bob", [20.5], [1]], ["Carol", [], [1]]]),
    );
    check(
        "MATCH (p:Person) RETURN p.name, size([(p)-[:KNOWS]->(q) WHERE q.age > 40 | q]) ORDER BY p.name",
        json!([["Alice", 1], ["Bob", 1], ["Carol", 0]]),
    );
}

#[test]
fn missing_properties_read_as_null() {
    check(
        "MATCH (c:City) RETURN c.name, c.betweenness ORDER BY c.name",
        json!([["Oslo", null], ["Paris", null]]),
    );
    check(
        "MATCH (a:Account) RETURN a.name, a.nosuch ORDER BY a.id",
        json!([[null, null], [null, null]]),
    );
    check(
        "MATCH (n:Person) RETURN n.betweenness ORDER BY n.name",
        json!([[0.5], [1.0], [null]]),
    );
    check(
        "MATCH (n:City|Account) RETURN count(n.betweenness), count(*)",
        json!([[0, 4]]),
    );
    check(
        "MATCH (:Person)-[r:LIVES_IN]->() RETURN r.since",
        json!([[null], [null], [null]]),
    );
    // Mixed types: compared as strings (Neo4j would keep 100 an integer).
    check(
        "MATCH (n:City|Account) RETURN coalesce(n.name, n.id) AS k ORDER BY k",
        json!([["100"], ["101"], ["Oslo"], ["Paris"]]),
    );
    check(
        "MATCH (p:Person {id: 'p1'}) RETURN coalesce(p.nickname, p.name)",
        json!([["Alice"]]),
    );
}

#[test]
fn refused_constructs_name_the_closest_form() {
    for q in [
        "MATCH (n) RETURN COLLECT { MATCH (n)-->(m) RETURN m }",
        "RETURN apoc.coll.sum([1, 2])",
        "MATCH (n:City) RETURN keys(n)",
        "MATCH ()-[r]->() RETURN startNode(r)",
        "MATCH (n:City) RETURN n {.*}",
        "MATCH (a:Person), (b:Person) MATCH p = shortestPath((a)-[*2..5]-(b)) RETURN p",
        "MATCH (n $props) RETURN n",
        "UNWIND [1, 2] AS x RETURN stDev(x)",
        "UNWIND [1, 2] AS x RETURN [(a)-[:KNOWS]->(b) | b.name]",
    ] {
        let feature = refused(q);
        assert!(!feature.is_empty(), "{q}");
    }
}

#[test]
fn updates_are_refused_by_the_gate() {
    for q in [
        "CREATE (n:Person {id: 'x'})",
        "MATCH (n) DETACH DELETE n",
        "MATCH (n) SET n.x = 1 RETURN n",
    ] {
        let e = run(q, json!({})).unwrap_err();
        assert!(
            matches!(e.kind, QueryErrorKind::ReadOnlyViolation { .. }),
            "{q}: {e:?}"
        );
    }
}

#[test]
fn explain_shows_the_translated_text_and_the_plan() {
    let out = run(
        "EXPLAIN MATCH (a:Person)-[r:KNOWS]->(b) RETURN type(r), count(*)",
        json!({}),
    )
    .unwrap();
    assert_eq!(out.columns, ["operator", "details", "estimated_rows"]);
    assert_eq!(out.rows[0][0].to_json(), json!("QUERY"));
    assert_eq!(
        out.rows[0][1].to_json(),
        json!("MATCH (a:Person)-[r:KNOWS]->(b) RETURN label(r), count(*)")
    );
    let operators: Vec<String> = out.rows[1..]
        .iter()
        .map(|r| r[0].to_json().as_str().unwrap().to_string())
        .collect();
    assert!(
        operators.iter().any(|o| o == "SCAN_NODE_TABLE"),
        "{operators:?}"
    );
    let scan = out
        .rows
        .iter()
        .find(|r| r[0].to_json() == json!("SCAN_NODE_TABLE"))
        .unwrap();
    assert!(
        scan[1]
            .to_json()
            .as_str()
            .unwrap()
            .contains("Tables: Person"),
        "{scan:?}"
    );
    assert!(out.rows.iter().all(|r| r[2].to_json().is_null()));
    // Operators side by side (a join's two inputs) are both read from the drawing.
    let out = run(
        "EXPLAIN MATCH (a:Person), (c:City) WHERE a.age > 35 RETURN a.name, c.name",
        json!({}),
    )
    .unwrap();
    let scans: Vec<String> = out
        .rows
        .iter()
        .filter(|r| r[0].to_json() == json!("SCAN_NODE_TABLE"))
        .map(|r| r[1].to_json().as_str().unwrap().to_string())
        .collect();
    assert!(
        scans.iter().any(|d| d.contains("Tables: Person")),
        "{:?}",
        out.rows
    );
    assert!(
        scans.iter().any(|d| d.contains("Tables: City")),
        "{:?}",
        out.rows
    );
}

/// A chain n0 → n1 → … → n39, longer than the engine's default 30-hop bound.
fn chain() -> &'static Fixture {
    static CHAIN: OnceLock<Fixture> = OnceLock::new();
    CHAIN.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let scratch = RyuEngine::open(&dir.path().join("scratch"), small()).unwrap();
        let nodes = dir.path().join("n/part-00000.parquet");
        scratch
            .write_parquet("UNWIND range(0, 39) AS i RETURN i AS id", &nodes)
            .unwrap();
        let edges = dir.path().join("e/part-00000.parquet");
        scratch
            .write_parquet(
                "UNWIND range(0, 38) AS i RETURN i AS src, i + 1 AS dst",
                &edges,
            )
            .unwrap();
        let n = node("N", ("id", "INT64"), &[]);
        let next = edge("NEXT", "N", "N", &[]);
        let engine = RyuEngine::open(&dir.path().join("db"), small()).unwrap();
        engine
            .create_schema(std::slice::from_ref(&n), std::slice::from_ref(&next))
            .unwrap();
        engine
            .load(
                &[NodeLoad {
                    definition: n,
                    files: vec![nodes],
                }],
                &[EdgeLoad {
                    definition: next,
                    files: vec![edges],
                }],
                &mut |_| {},
            )
            .unwrap();
        Fixture { _dir: dir, engine }
    })
}

#[test]
fn unbounded_shortest_paths_reach_past_thirty_hops() {
    let request = QueryRequest {
        query: "MATCH (a:N {id: 0}), (b:N {id: 39}) MATCH p = shortestPath((a)-[:NEXT*]->(b)) RETURN length(p)".into(),
        parameters: Default::default(),
        timeout: Duration::from_secs(30),
        max_rows: 10,
    };
    let out = chain().engine.query(&request, &CancelToken::new()).unwrap();
    assert_eq!(out.rows[0][0].to_json(), json!(39));
    let all = QueryRequest {
        query: "MATCH (a:N {id: 39}), (b:N {id: 0}) MATCH p = allShortestPaths((a)-[*]-(b)) RETURN length(p)".into(),
        ..request.clone()
    };
    assert_eq!(
        chain()
            .engine
            .query(&all, &CancelToken::new())
            .unwrap()
            .rows[0][0]
            .to_json(),
        json!(39)
    );
    // The bound is lifted for that statement only: other statements keep the engine's.
    let plain = QueryRequest {
        query: "MATCH (a:N {id: 0})-[:NEXT*]->(b) RETURN count(*)".into(),
        ..request.clone()
    };
    for _ in 0..4 {
        assert_eq!(
            chain()
                .engine
                .query(&plain, &CancelToken::new())
                .unwrap()
                .rows[0][0]
                .to_json(),
            json!(30)
        );
    }
}

/// Membership in a null list is null; the engine itself would abort the process (a crash of
/// the instance from one query, found by the openCypher TCK run).
#[test]
fn membership_in_a_null_list_is_null_and_the_engine_lives_on() {
    assert_eq!(rows("RETURN 1 IN null AS r"), json!([[null]]));
    assert_eq!(
        rows_with("RETURN $e IN $c AS r", json!({"e": null, "c": null})),
        json!([[null]])
    );
    assert_eq!(
        rows_with("RETURN 1 IN $c AS r, '$c IN $c' AS s", json!({"c": null})),
        json!([[null, "$c IN $c"]])
    );
    assert_eq!(
        rows_with("RETURN 2 IN $c AS r", json!({"c": [1, 2]})),
        json!([[true]])
    );
    // Through a variable too.
    assert_eq!(
        rows("WITH null AS l WITH l RETURN 1 IN l AS r, coalesce(l, 'x') AS c"),
        json!([[null, "x"]])
    );
}

/// The KNOWS triangle p1→p2, p2→p3, p1→p3: undirected two-hop trails are the 6 ordered pairs of
/// distinct relationships at a middle node; walks would add the 6 that go back and forth.
#[test]
fn a_match_never_uses_one_relationship_twice() {
    assert_eq!(
        rows(
            "MATCH (a:Person)-[:KNOWS]-(b)-[:KNOWS]-(c) RETURN count(*), sum(CASE WHEN a = c THEN 1 ELSE 0 END)"
        ),
        json!([[6, 0]])
    );
    assert_eq!(
        rows("MATCH (a:Person)-[:KNOWS*2..2]-(c) RETURN count(*)"),
        json!([[6]])
    );
    assert_eq!(
        rows("MATCH (a:Person)-[:KNOWS*1..2]-(c) RETURN count(*)"),
        json!([[12]])
    );
    // A fixed relationship and a variable-length one: the second never reuses the first (6
    // first steps, then one trail of each length 1 and 2); walks would give 24.
    assert_eq!(
        rows("MATCH (a:Person)-[:KNOWS]-(b)-[:KNOWS*1..2]-(c) RETURN count(*)"),
        json!([[12]])
    );
    // Two variable-length relationships in two patterns: as the fixed two-hop above.
    assert_eq!(
        rows("MATCH (a:Person)-[:KNOWS*1..1]-(b), (b)-[:KNOWS*1..1]-(c) RETURN count(*)"),
        json!([[6]])
    );
    // The check of fixed relationships runs after the MATCH (behind `WITH *`, so that the
    // engine plans the MATCH as without it): with the MATCH's own WHERE and later clauses it
    // still removes the walks that go back and forth (each person starts 2 trails, 4 walks).
    assert_eq!(
        rows(
            "MATCH (a:Person)-[r:KNOWS]-(b)-[s:KNOWS]-(c) WHERE a.name IS NOT NULL \
             WITH a, count(*) AS n RETURN count(a), min(n), max(n)"
        ),
        json!([[3, 2, 2]])
    );
    // In an OPTIONAL MATCH a path back to the start needs two relationships between the same
    // two people, which the triangle lacks: no path, one row of nulls per person (walks would
    // find 6 paths; a check after the clause would drop the rows instead of nulling them).
    assert_eq!(
        rows(
            "MATCH (a:Person) OPTIONAL MATCH (a)-[:KNOWS]-(b)-[:KNOWS]-(a) \
             RETURN count(*), count(b)"
        ),
        json!([[3, 0]])
    );
}

#[test]
fn sort_keys_naming_an_alias_that_shadows_a_variable_sort_by_the_alias() {
    let shadowed = run(
        "MATCH (p:Person) RETURN p.name AS p ORDER BY p DESC",
        json!({}),
    )
    .unwrap();
    assert_eq!(shadowed.columns, vec!["p".to_string()]);
    assert_eq!(
        rows("MATCH (p:Person) RETURN p.name AS p ORDER BY p DESC"),
        rows("MATCH (p:Person) RETURN p.name AS name ORDER BY name DESC")
    );
}
