//! Translation to Kùzu / ryugraph. Every row of the README compatibility table is one test here
//! (test names match the table's "test" column).

use graph_olap_cypher::{CypherError, Dialect, Schema, prepare, prepare_with_schema};

fn kuzu(q: &str) -> String {
    prepare(q, Dialect::Kuzu)
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .text
}

fn unsupported(q: &str) -> String {
    match prepare(q, Dialect::Kuzu) {
        Err(CypherError::Unsupported(u)) => u.construct,
        other => panic!("{q}: expected Unsupported, got {other:?}"),
    }
}

#[test]
fn native_read_clauses_pass_through() {
    assert_eq!(
        kuzu(
            "MATCH (c:Customer)-[:SHARES_ACCOUNT]->(d) RETURN c.id, count(d) AS shared ORDER BY shared DESC LIMIT 10"
        ),
        "MATCH (c:Customer)-[:SHARES_ACCOUNT]->(d) RETURN c.id, count(d) AS shared ORDER BY shared DESC LIMIT 10"
    );
    assert_eq!(
        kuzu("OPTIONAL MATCH (a)-[r:R*1..3]-(b) RETURN a UNION RETURN 1 AS a"),
        "OPTIONAL MATCH (a)-[r:R*1..3]-(b) WHERE is_trail(r) RETURN a UNION RETURN 1 AS a"
    );
}

#[test]
fn type_becomes_label() {
    assert_eq!(
        kuzu("MATCH ()-[r]->() RETURN type(r), count(*)"),
        "MATCH ()-[r]->() RETURN label(r), count(*)"
    );
}

#[test]
fn labels_becomes_a_one_element_list() {
    assert_eq!(
        kuzu("MATCH (n) RETURN labels(n) AS ls"),
        "MATCH (n) RETURN [label(n)] AS ls"
    );
    assert_eq!(
        kuzu("MATCH (n) RETURN labels(n)[0] AS label, count(*)"),
        "MATCH (n) RETURN label(n) AS label, count(*)"
    );
}

#[test]
fn head_last_tail_use_one_based_lists() {
    // Out of range is null in Neo4j and an error in Kùzu (whose CASE evaluates every branch):
    // the list itself is nulled where the index is out of range.
    assert_eq!(
        kuzu("WITH [1, 2, 3] AS l RETURN head(l), last(l), tail(l)"),
        "WITH [1, 2, 3] AS l RETURN list_extract(CASE WHEN size(l) >= 1 THEN l END, 1), \
         list_extract(CASE WHEN size(l) >= 1 THEN l END, -1), list_slice(l, 2, size(l))"
    );
}

#[test]
fn list_index_and_slice_become_one_based() {
    assert_eq!(
        kuzu("WITH [1, 2] AS l RETURN l[0], l[-2]"),
        "WITH [1, 2] AS l RETURN list_extract(CASE WHEN size(l) >= 1 THEN l END, 1), list_extract(CASE WHEN size(l) >= 2 THEN l END, -2)"
    );
    assert_eq!(
        kuzu("WITH [1, 2] AS l RETURN l[$i]"),
        "WITH [1, 2] AS l RETURN list_extract(CASE WHEN size(list_slice(l, CASE WHEN $i >= 0 THEN $i + 1 ELSE $i END, \
         CASE WHEN $i >= 0 THEN $i + 1 ELSE $i END)) = 1 THEN l END, CASE WHEN $i >= 0 THEN $i + 1 ELSE $i END)"
    );
    assert_eq!(
        kuzu("WITH [1, 2] AS l RETURN l[1..3], l[..-1]"),
        "WITH [1, 2] AS l RETURN list_slice(l, 2, 3), list_slice(l, 1, -2)"
    );
    assert_eq!(
        kuzu("MATCH (n) RETURN n['name']"),
        "MATCH (n) RETURN n.name"
    );
}

#[test]
fn split_becomes_string_split() {
    assert_eq!(
        kuzu("RETURN split('a,b', ',') AS parts"),
        "RETURN string_split('a,b', ',') AS parts"
    );
}

#[test]
fn conversions_become_casts() {
    assert_eq!(
        kuzu(
            "RETURN toInteger(1), toInteger(1.5), toFloat(2), toString(1), toString(true), toBoolean(false)"
        ),
        "RETURN 1, CAST(CASE WHEN 1.5 < 0 THEN ceil(1.5) ELSE floor(1.5) END AS INT64), CAST(2 AS DOUBLE), CAST(1 AS STRING), \
         CASE WHEN true THEN 'true' WHEN NOT true THEN 'false' END, false"
    );
    // Strings are checked before the cast (Kùzu's CAST fails on them; Neo4j returns null).
    assert_eq!(
        kuzu("RETURN toFloat('x')"),
        r"RETURN CAST(CASE WHEN regexp_full_match('x', '\\s*[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?\\s*') THEN 'x' END AS DOUBLE)"
    );
    assert!(kuzu("RETURN toInteger('1')").contains("regexp_full_match('1', "));
    assert!(kuzu("RETURN toBoolean('yes')").contains("lower(trim('yes')) = 'true'"));
}

#[test]
fn size_is_native_on_strings_and_lists_and_counts_patterns() {
    assert_eq!(
        kuzu("MATCH (n) RETURN size(n.name), size([1, 2])"),
        "MATCH (n) RETURN size(n.name), size([1, 2])"
    );
    assert_eq!(
        kuzu("MATCH (n) RETURN size((n)-->())"),
        "MATCH (n) RETURN COUNT { MATCH (n)-[]->() }"
    );
}

#[test]
fn label_predicates_become_label_comparisons() {
    assert_eq!(
        kuzu("MATCH (n) WHERE n:Person RETURN n"),
        "MATCH (n) WHERE label(n) = 'Person' RETURN n"
    );
    assert_eq!(
        kuzu("MATCH (n) WHERE n:A|B RETURN n"),
        "MATCH (n) WHERE label(n) IN ['A', 'B'] RETURN n"
    );
    assert_eq!(
        kuzu("MATCH (n) WHERE NOT n:A RETURN n"),
        "MATCH (n) WHERE NOT label(n) = 'A' RETURN n"
    );
}

#[test]
fn pattern_label_alternatives_use_kuzu_syntax() {
    assert_eq!(
        kuzu("MATCH (n:A|B)-[r:R|S]->(m) RETURN n"),
        "MATCH (n:A:B)-[r:R|:S]->(m) RETURN n"
    );
    assert_eq!(
        kuzu("MATCH (n:A:B) RETURN n"),
        "MATCH (n) WHERE label(n) = 'A' AND label(n) = 'B' RETURN n"
    );
    assert_eq!(
        kuzu("MATCH (:!A) RETURN 1"),
        "MATCH (_gq1) WHERE NOT label(_gq1) = 'A' RETURN 1"
    );
}

#[test]
fn node_pattern_where_moves_to_the_clause() {
    assert_eq!(
        kuzu(
            "MATCH (n:Person WHERE n.age > 30)-[r:KNOWS WHERE r.since < 2020]->(m) WHERE m.x = 1 RETURN n"
        ),
        "MATCH (n:Person)-[r:KNOWS]->(m) WHERE m.x = 1 AND n.age > 30 AND r.since < 2020 RETURN n"
    );
}

#[test]
fn bracketless_relationships_get_brackets() {
    assert_eq!(
        kuzu("MATCH (a)-->(b)<--(c)--(d) RETURN a"),
        "MATCH (a)-[_gq1]->(b)<-[_gq2]-(c)-[_gq3]-(d) WITH * WHERE id(_gq1) <> id(_gq2) AND id(_gq1) <> id(_gq3) AND id(_gq2) <> id(_gq3) RETURN a"
    );
}

#[test]
fn element_id_becomes_id() {
    assert_eq!(
        kuzu("MATCH (n) RETURN elementId(n)"),
        "MATCH (n) RETURN CAST(id(n) AS STRING)"
    );
}

#[test]
fn regex_match_is_native() {
    assert_eq!(
        kuzu("MATCH (n) WHERE n.name =~ 'A.*' RETURN n"),
        "MATCH (n) WHERE n.name =~ 'A.*' RETURN n"
    );
}

#[test]
fn coalesce_case_unwind_are_native() {
    assert_eq!(
        kuzu(
            "UNWIND $xs AS x RETURN coalesce(x, 0), CASE WHEN x > 1 THEN 'big' ELSE 'small' END, CASE x WHEN 1 THEN 'one' END"
        ),
        "UNWIND $xs AS x RETURN coalesce(x, 0), CASE WHEN x > 1 THEN 'big' ELSE 'small' END, CASE x WHEN 1 THEN 'one' END"
    );
}

#[test]
fn order_skip_limit_take_parameters() {
    assert_eq!(
        kuzu("MATCH (n) RETURN n ORDER BY n.x SKIP $s LIMIT $l"),
        "MATCH (n) RETURN n ORDER BY n.x SKIP $s LIMIT $l"
    );
}

#[test]
fn with_order_by_without_limit_gets_skip_zero() {
    assert_eq!(
        kuzu("MATCH (n) WITH n ORDER BY n.x RETURN n.x"),
        "MATCH (n) WITH n ORDER BY n.x SKIP 0 RETURN n.x"
    );
    // Kùzu's collect() of nothing is null, Neo4j's is [].
    assert_eq!(
        kuzu("MATCH (n) RETURN collect(n.x)"),
        "MATCH (n) RETURN coalesce(collect(n.x), [])"
    );
}

#[test]
fn list_comprehensions_become_lambdas() {
    assert_eq!(
        kuzu(
            "RETURN [x IN range(1, 10) WHERE x % 2 = 0 | x * x] AS sq, [x IN [1, 2] WHERE x > 1] AS f, [x IN [1] | x + 1] AS m"
        ),
        "RETURN list_transform(list_filter(range(1, 10), x -> x % 2 = 0), x -> x * x) AS sq, list_filter([1, 2], x -> x > 1) AS f, list_transform([1], x -> x + 1) AS m"
    );
}

#[test]
fn quantifiers_are_native_and_reduce_is_seeded() {
    assert_eq!(
        kuzu("RETURN all(x IN [1] WHERE x > 0), any(x IN [1] WHERE x > 0)"),
        "RETURN all(x IN [1] WHERE x > 0), any(x IN [1] WHERE x > 0)"
    );
    assert_eq!(
        kuzu("RETURN reduce(s = 0, x IN [1, 2] | s + x)"),
        "RETURN list_reduce(list_prepend([1, 2], 0), (s, x) -> s + x)"
    );
}

#[test]
fn exists_and_count_subqueries_become_single_match() {
    assert_eq!(
        kuzu("MATCH (a) WHERE EXISTS { (a)-->(b:B) } RETURN a"),
        "MATCH (a) WHERE EXISTS { MATCH (a)-[]->(b:B) } RETURN a"
    );
    assert_eq!(
        kuzu(
            "MATCH (a) RETURN COUNT { MATCH (a)-[:R]->(b) MATCH (b)-->(c) WHERE c.x > 1 RETURN c } AS n"
        ),
        "MATCH (a) RETURN COUNT { MATCH (a)-[:R]->(b), (b)-[]->(c) WHERE c.x > 1 } AS n"
    );
    assert_eq!(
        kuzu("MATCH (a) WHERE (a)-[:R]->() AND NOT (a)<--() RETURN a"),
        "MATCH (a) WHERE EXISTS { MATCH (a)-[:R]->() } AND NOT EXISTS { MATCH (a)<-[]-() } RETURN a"
    );
    assert_eq!(
        unsupported("MATCH (a) WHERE EXISTS { MATCH (a)-->(b) WITH b RETURN b } RETURN a"),
        "EXISTS { … } with clauses other than MATCH … WHERE …"
    );
}

#[test]
fn shortest_paths_use_kuzu_recursive_syntax() {
    assert_eq!(
        kuzu("MATCH p = shortestPath((a:A)-[*..5]-(b:B)) RETURN length(p)"),
        "MATCH p = (a:A)-[* SHORTEST 1..5]-(b:B) RETURN length(p)"
    );
    assert_eq!(
        kuzu("MATCH p = allShortestPaths((a)-[:R*]->(b)) RETURN p"),
        "MATCH p = (a)-[:R* ALL SHORTEST 1..]->(b) RETURN p"
    );
    assert_eq!(
        unsupported("MATCH p = shortestPath((a)-[*2..5]-(b)) RETURN p"),
        "shortestPath() with a lower bound other than 1"
    );
}

#[test]
fn renamed_functions() {
    assert_eq!(
        kuzu(
            "MATCH p = (a)-[*1..2]->(b) RETURN toLower(a.s), toUpper(a.s), relationships(p), log(2), 2 ^ 3"
        ),
        "MATCH p = (a)-[_gq1*1..2]->(b) WHERE is_trail(_gq1) RETURN lower(a.s), upper(a.s), rels(p), ln(2), pow(2, 3)"
    );
    assert_eq!(
        kuzu("RETURN substring('hello', 1, 3), substring('hello', 2)"),
        "RETURN substring('hello', 2, 3), substring('hello', 3, size('hello'))"
    );
}

#[test]
fn temporal_functions() {
    assert_eq!(
        kuzu(
            "RETURN date(), datetime(), date('2024-01-31'), datetime('2024-01-31T10:00:00'), date({year: 2024, month: 1, day: 31}), timestamp()"
        ),
        "RETURN current_date(), current_timestamp(), date('2024-01-31'), timestamp('2024-01-31T10:00:00'), make_date(2024, 1, 31), to_epoch_ms(current_timestamp())"
    );
}

#[test]
fn legacy_exists_of_a_property() {
    assert_eq!(
        kuzu("MATCH (n) WHERE exists(n.name) RETURN n"),
        "MATCH (n) WHERE n.name IS NOT NULL RETURN n"
    );
}

#[test]
fn map_projection_becomes_a_map() {
    assert_eq!(
        kuzu("MATCH (n) RETURN n {.name, score: 1} AS m"),
        "MATCH (n) RETURN {name: n.name, score: 1} AS m"
    );
    assert_eq!(
        unsupported("MATCH (n) RETURN n {.*}"),
        "map projection with .*"
    );
}

#[test]
fn reserved_words_are_quoted_for_kuzu() {
    assert_eq!(
        kuzu("MATCH (n) RETURN n.x AS end, n.y AS from"),
        "MATCH (n) RETURN n.x AS `end`, n.y AS `from`"
    );
}

#[test]
fn kuzu_procedures_get_a_return() {
    assert_eq!(kuzu("CALL show_tables()"), "CALL show_tables() RETURN *");
    assert_eq!(unsupported("CALL db.labels()"), "procedure db.labels");
}

#[test]
fn refused_constructs_name_the_closest_form() {
    for (q, construct) in [
        (
            "MATCH (a) CALL { WITH a MATCH (a)-->(b) RETURN b ORDER BY b.x LIMIT 1 } RETURN b",
            "CALL { … } subquery returning other than aggregates (correlated)",
        ),
        (
            "MATCH (a) CALL { WITH a MATCH (a)-->(b) WITH DISTINCT b RETURN count(b) AS n } RETURN n",
            "CALL { … } subquery with clauses other than WITH … MATCH … RETURN (correlated)",
        ),
        (
            "MATCH (a), (b) CALL { WITH a MATCH (a)-->(b) RETURN b.x AS x } RETURN x",
            "CALL { … } subquery reusing the outer name `b` for a new variable (correlated)",
        ),
        (
            "MATCH (a) CALL { RETURN 1 AS x UNION RETURN 2 AS x } RETURN x",
            "CALL { … } subquery with UNION",
        ),
        (
            "CALL { RETURN 1 AS x UNION ALL RETURN 2 AS x } RETURN x, count(*)",
            "CALL { … UNION … } followed by aggregation, DISTINCT, ORDER BY, SKIP or LIMIT (not per row)",
        ),
        (
            "CALL { MATCH (a) RETURN a UNION MATCH (a) RETURN a } MATCH (a)-->(b) RETURN b",
            "CALL { … UNION … } without ALL followed by more than filters and a RETURN of its columns",
        ),
        (
            "UNWIND [1] AS x RETURN [(a)-->(b) | b.name]",
            "pattern comprehension here",
        ),
        ("UNWIND [1, 2] AS x RETURN stDev(x)", "aggregate stDev()"),
        (
            "MATCH (a) RETURN COLLECT { MATCH (a)-->(b) RETURN b }",
            "COLLECT { … } subquery",
        ),
        (
            "MATCH (a) RETURN apoc.coll.sum([1])",
            "function apoc.coll.sum()",
        ),
        ("MATCH (a) RETURN keys(a)", "keys()"),
        ("MATCH (a)-[r]->() RETURN startNode(r)", "startNode()"),
        ("RETURN no_such_function(1)", "function no_such_function()"),
        (
            "MATCH (a)-[:R*1..2 {x: 1}]->(b) RETURN a",
            "a property map or WHERE on a variable-length relationship",
        ),
        (
            "MATCH (a $props) RETURN a",
            "a parameter as a property map in a pattern",
        ),
    ] {
        assert_eq!(unsupported(q), construct, "{q}");
    }
    let e = prepare(
        "MATCH (a)\nCALL { WITH a MATCH (a)-->(b) RETURN b LIMIT 1 } RETURN b",
        Dialect::Kuzu,
    )
    .unwrap_err();
    assert_eq!((e.span().line, e.span().column), (2, 1));
    assert!(
        e.to_string()
            .contains("OPTIONAL MATCH … WITH a, count(b) AS n"),
        "{e}"
    );
}

#[test]
fn falkordb_passes_through_but_reads_every_relationship() {
    let falkor = |q: &str| prepare(q, Dialect::FalkorDb).unwrap().text;
    assert_eq!(
        falkor("MATCH (n:A|B)-->(m) WHERE n:C RETURN type(r), labels(n)[0], [x IN l | x]"),
        "MATCH (n:A|B)-[_gf1]->(m) WHERE n:C AND id(_gf1) >= 0 RETURN type(r), labels(n)[0], [x IN l | x]"
    );
    // Named relationships get only the use; OR keeps its parentheses.
    assert_eq!(
        falkor("MATCH (a)-[r:T]->(b)<-[:U]-(c) WHERE a.x = 1 OR b.x = 2 RETURN a"),
        "MATCH (a)-[r:T]->(b)<-[_gf1:U]-(c) WHERE (a.x = 1 OR b.x = 2) AND id(r) >= 0 AND id(_gf1) >= 0 RETURN a"
    );
    // Inside CALL { } and UNION branches; OPTIONAL MATCH too.
    assert_eq!(
        falkor(
            "MATCH (a) CALL { WITH a OPTIONAL MATCH (a)-[:T]->(b) RETURN b } RETURN a, b UNION MATCH (a)-[:T]->(b) RETURN a, b"
        ),
        "MATCH (a) CALL { WITH a OPTIONAL MATCH (a)-[_gf1:T]->(b) WHERE id(_gf1) >= 0 RETURN b } RETURN a, b UNION MATCH (a)-[_gf2:T]->(b) WHERE id(_gf2) >= 0 RETURN a, b"
    );
    // A variable-length relationship: its pattern is named (FalkorDB then reads parallel
    // relationships one by one, as it does for used single hops).
    assert_eq!(
        falkor("MATCH (a)-[:T*1..2]->(b) RETURN b"),
        "MATCH _gp1 = (a)-[:T*1..2]->(b) RETURN b"
    );
    // Not touched: anonymous relationships under `*` (shortestPath in a MATCH is refused on
    // FalkorDB, see `constructs_falkordb_lacks_are_refused_…`).
    for q in [
        "MATCH (a)-[:T]->(b) RETURN *",
        "MATCH (a)-[:T*1..2]->(b) RETURN *",
    ] {
        assert_eq!(falkor(q), q);
    }
    assert_eq!(
        falkor("MATCH (a)-[r:T]->(b) RETURN *"),
        "MATCH (a)-[r:T]->(b) WHERE id(r) >= 0 RETURN *"
    );
}

fn schema() -> Schema {
    Schema::default()
        .with_node(
            "Person",
            [
                ("id", "STRING"),
                ("name", "STRING"),
                ("age", "INT64"),
                ("pr", "DOUBLE"),
            ],
        )
        .with_node("Account", [("id", "INT64"), ("balance", "DOUBLE")])
        .with_relationship("KNOWS", [("since", "INT64")])
        .with_relationship("OWNS", [])
}

fn kuzu_with_schema(q: &str) -> String {
    prepare_with_schema(q, Dialect::Kuzu, &schema())
        .unwrap_or_else(|e| panic!("{q}: {e}"))
        .text
}

#[test]
fn missing_properties_become_null_with_a_schema() {
    assert_eq!(
        kuzu_with_schema("MATCH (a:Account) RETURN a.name, a.pr, a.balance"),
        "MATCH (a:Account) RETURN CAST(null AS STRING), CAST(null AS DOUBLE), a.balance"
    );
    assert_eq!(
        kuzu_with_schema("MATCH (n) RETURN n.pr, n.nosuch"),
        "MATCH (n) RETURN n.pr, null"
    );
    assert_eq!(
        kuzu_with_schema("MATCH ()-[r:OWNS]->() RETURN r.since"),
        "MATCH ()-[r:OWNS]->() RETURN CAST(null AS INT64)"
    );
    // Shadowing: a list variable named like a node is not a node.
    assert_eq!(
        kuzu_with_schema("MATCH (a:Account) RETURN [a IN [{name: 1}] | a.name]"),
        "MATCH (a:Account) RETURN list_transform([{name: 1}], a -> a.name)"
    );
    // WITH keeps what a variable is; without a schema nothing changes.
    assert_eq!(
        kuzu_with_schema("MATCH (a:Account) WITH a AS x RETURN x.name"),
        "MATCH (a:Account) WITH a AS x RETURN CAST(null AS STRING)"
    );
    assert_eq!(
        kuzu("MATCH (a:Account) RETURN a.name"),
        "MATCH (a:Account) RETURN a.name"
    );
}

#[test]
fn unknown_pattern_properties_match_nothing_with_a_schema() {
    // Unknown labels and types match nothing, as in Neo4j (the engine's binder would fail).
    assert_eq!(
        kuzu_with_schema("MATCH (n:Nope) RETURN count(n)"),
        "MATCH (n) WHERE false RETURN count(n)"
    );
    assert_eq!(
        kuzu_with_schema("MATCH (a:Account)-[r:NOPE]->(b:Nope|Person) RETURN r"),
        "MATCH (a:Account)-[r]->(b:Person) WHERE false RETURN r"
    );
    assert_eq!(
        kuzu_with_schema("OPTIONAL MATCH (n:Person|Nope)-[:KNOWS|NOPE]->(m:Nope:Person) RETURN m"),
        "OPTIONAL MATCH (n:Person)-[:KNOWS]->(m) WHERE false RETURN m"
    );
    // Predicates are kept: they are label comparisons.
    assert_eq!(
        kuzu_with_schema("MATCH (n:Person) WHERE n:Nope RETURN n"),
        "MATCH (n:Person) WHERE label(n) = 'Nope' RETURN n"
    );
    // Without a schema nothing is known, nothing changes.
    assert_eq!(kuzu("MATCH (n:Nope) RETURN n"), "MATCH (n:Nope) RETURN n");
    assert_eq!(
        kuzu_with_schema("MATCH (a:Account {name: 'x', id: 1}) RETURN a"),
        "MATCH (a:Account {id: 1}) WHERE false RETURN a"
    );
    assert_eq!(
        kuzu_with_schema("MATCH ()-[r:OWNS {since: 1}]->() RETURN r"),
        "MATCH ()-[r:OWNS]->() WHERE false RETURN r"
    );
}

#[test]
fn coalesce_over_mixed_types_compares_strings() {
    assert_eq!(
        kuzu_with_schema("MATCH (p:Person) RETURN coalesce(p.age, p.name)"),
        "MATCH (p:Person) RETURN coalesce(CAST(p.age AS STRING), p.name)"
    );
    assert_eq!(
        kuzu_with_schema("MATCH (p:Person) RETURN coalesce(p.age, 0)"),
        "MATCH (p:Person) RETURN coalesce(p.age, 0)"
    );
}

#[test]
fn call_subqueries_become_with_chains() {
    assert_eq!(
        kuzu(
            "MATCH (c:City) CALL { MATCH (p:Person) RETURN count(p) AS people } RETURN c.name, people"
        ),
        "MATCH (p:Person) WITH count(p) AS people MATCH (c:City) RETURN c.name, people"
    );
    assert_eq!(
        kuzu(
            "MATCH (p:Person) CALL { WITH p MATCH (p)-[:KNOWS]->(q) RETURN count(*) AS n } RETURN p.name, n"
        ),
        "MATCH (p:Person) OPTIONAL MATCH (p)-[_gq1:KNOWS]->(q) WITH p, count(_gq1) AS n RETURN p.name, n"
    );
}

#[test]
fn correlated_aggregates_over_several_matches_count_complete_matches() {
    assert_eq!(
        kuzu(
            "MATCH (a:Person) CALL { WITH a MATCH (a)-[:KNOWS]->(b) MATCH (b)-[:LIVES_IN]->(c) WHERE c.name <> 'X' RETURN count(*) AS n, sum(c.size) AS s, collect(c.name) AS names } RETURN a.name, n, s, names"
        ),
        "MATCH (a:Person) OPTIONAL MATCH (a)-[_gq1:KNOWS]->(b) OPTIONAL MATCH (b)-[_gq2:LIVES_IN]->(c) WHERE c.name <> 'X' \
         WITH a, count(CASE WHEN _gq1 IS NOT NULL AND _gq2 IS NOT NULL THEN 1 END) AS n, \
         coalesce(sum(CASE WHEN _gq1 IS NOT NULL AND _gq2 IS NOT NULL THEN c.size END), 0) AS s, \
         coalesce(collect(CASE WHEN _gq1 IS NOT NULL AND _gq2 IS NOT NULL THEN c.name END), []) AS names \
         RETURN a.name, n, s, names"
    );
}

#[test]
fn correlated_row_by_row_call_subqueries_are_inlined() {
    assert_eq!(
        kuzu(
            "MATCH (a:Person) CALL { WITH a MATCH (a)-[:KNOWS]->(b) RETURN b.name AS friend } RETURN a.name, friend"
        ),
        "MATCH (a:Person) MATCH (a)-[:KNOWS]->(b) WITH a, b.name AS friend RETURN a.name, friend"
    );
    // Every WITH inside keeps the outer variables; OPTIONAL MATCH and UNWIND stay per row.
    assert_eq!(
        kuzu(
            "MATCH (a), (c) CALL { WITH a OPTIONAL MATCH (a)-->(b) WITH b WHERE b.x > 1 UNWIND [1, 2] AS i RETURN b.x + i AS y } RETURN c, y"
        ),
        "MATCH (a), (c) OPTIONAL MATCH (a)-[]->(b) WITH b, a, c WHERE b.x > 1 UNWIND [1, 2] AS i WITH a, c, b.x + i AS y RETURN c, y"
    );
    assert_eq!(
        kuzu("MATCH (a) CALL { WITH a RETURN 1 AS x } RETURN x"),
        "MATCH (a) WITH a, 1 AS x RETURN x"
    );
}

#[test]
fn call_union_at_the_front_is_distributed_over_the_branches() {
    assert_eq!(
        kuzu(
            "CALL { MATCH (p:Person) RETURN p.name AS name UNION ALL MATCH (c:City) RETURN c.name AS name } WITH name WHERE name STARTS WITH 'A' RETURN name, size(name) AS len"
        ),
        "MATCH (p:Person) WITH p.name AS name WITH name WHERE name STARTS WITH 'A' RETURN name, size(name) AS len \
         UNION ALL MATCH (c:City) WITH c.name AS name WITH name WHERE name STARTS WITH 'A' RETURN name, size(name) AS len"
    );
    assert_eq!(
        kuzu("CALL { RETURN 1 AS x UNION RETURN 1 AS x } RETURN x AS y"),
        "WITH 1 AS x RETURN x AS y UNION WITH 1 AS x RETURN x AS y"
    );
}

#[test]
fn pattern_comprehensions_become_optional_match_and_collect() {
    assert_eq!(
        kuzu("MATCH (p:Person) RETURN p.name, [(p)-[:KNOWS]->(q) | q.name] AS names"),
        "MATCH (p:Person) OPTIONAL MATCH (p)-[_gq3:KNOWS]->(q) WITH p, coalesce(collect(CASE WHEN _gq3 IS NOT NULL THEN q.name END), []) AS _gq2 \
         RETURN p.name, _gq2 AS names"
    );
    assert_eq!(
        kuzu("MATCH (p) RETURN size([(p)-->(q) WHERE q.x > 1 | q])"),
        "MATCH (p) RETURN COUNT { MATCH (p)-[]->(q) WHERE q.x > 1 }"
    );
}

#[test]
fn rand_stays_below_one() {
    assert_eq!(
        kuzu("MATCH (n) RETURN n ORDER BY rand() LIMIT 3"),
        "MATCH (n) RETURN n ORDER BY random() * 4294967295.0 / 4294967296.0 LIMIT 3"
    );
}

#[test]
fn replace_becomes_an_escaped_regexp_replace() {
    assert_eq!(
        kuzu("RETURN replace(s, '.', '$')"),
        r"RETURN regexp_replace(s, '\\.', '$', 'g')"
    );
}

#[test]
fn yield_where_becomes_with_where() {
    assert_eq!(
        kuzu("CALL show_tables() YIELD name, type WHERE type = 'NODE' RETURN name"),
        "CALL show_tables() WITH name, type WHERE type = 'NODE' RETURN name"
    );
}

#[test]
fn membership_in_a_null_list_is_null_before_the_engine() {
    // The engine aborts its process on `list_contains` over an untyped null (ryugraph 25.9.2).
    assert_eq!(kuzu("RETURN 1 IN null AS r"), "RETURN null AS r");
    assert_eq!(kuzu("RETURN null IN null AS r"), "RETURN null AS r");
    assert_eq!(
        kuzu("RETURN 1 IN [1, null] AS r"),
        "RETURN 1 IN [1, null] AS r"
    );
}

#[test]
fn sort_keys_naming_an_alias_that_shadows_a_variable_sort_by_the_alias() {
    // RETURN: the alias is renamed (columns keep the names as written, see `return_columns`).
    assert_eq!(
        kuzu("MATCH (a:Customer)-[:R]-(b) RETURN a.id AS a, count(*) AS b ORDER BY a, b DESC"),
        "MATCH (a:Customer)-[:R]-(b) RETURN a.id AS _gq1, count(*) AS _gq2 ORDER BY _gq1, _gq2 DESC"
    );
    // WITH: later clauses use the alias, so the sort key is the projected expression.
    assert_eq!(
        kuzu("MATCH (a) WITH a.id AS a ORDER BY a LIMIT 2 RETURN a"),
        "MATCH (a) WITH a.id AS a ORDER BY a.id LIMIT 2 RETURN a"
    );
    // Not shadowing: left alone.
    assert_eq!(
        kuzu("MATCH (a) RETURN a.id AS x ORDER BY x"),
        "MATCH (a) RETURN a.id AS x ORDER BY x"
    );
}

mod falkordb {
    use graph_olap_cypher::{Dialect, parse, translate};

    fn falkordb(q: &str) -> Result<String, String> {
        translate(&parse(q).unwrap(), Dialect::FalkorDb).map_err(|u| u.to_string())
    }

    #[test]
    fn node_pattern_predicates_move_into_the_match_where() {
        assert_eq!(
            falkordb("MATCH (c:Customer WHERE c.n > 1)-->(d WHERE d.x = 2) WHERE c.y RETURN c")
                .unwrap(),
            "MATCH (c:Customer)-[_gf1]->(d) WHERE c.y AND c.n > 1 AND d.x = 2 AND id(_gf1) >= 0 RETURN c"
        );
    }

    #[test]
    fn a_match_never_uses_one_relationship_twice() {
        // Fixed relationships that could be one: ids differ (not between disjoint types).
        assert_eq!(
            falkordb("MATCH (a)-[:R]-(b)-[r:R|S]-(c), (c)-[:U]->(d) RETURN a").unwrap(),
            "MATCH (a)-[_gf1:R]-(b)-[r:R|S]-(c), (c)-[_gf2:U]->(d) WHERE id(_gf1) >= 0 \
             AND id(r) >= 0 AND id(_gf2) >= 0 AND id(_gf1) <> id(r) RETURN a"
        );
        // With a variable-length relationship: every relationship of the clause's patterns
        // occurs once, over one list (named patterns keep their names).
        assert_eq!(
            falkordb("MATCH p = (a)-[:R]-(b)-[:R*1..2]-(c), (c)-->(d) RETURN p").unwrap(),
            "MATCH p = (a)-[_gf1:R]-(b)-[:R*1..2]-(c), _gp3 = (c)-[_gf2]->(d) \
             WHERE id(_gf1) >= 0 AND id(_gf2) >= 0 AND all(_gx4 IN relationships(p) + \
             relationships(_gp3) WHERE single(_gy4 IN relationships(p) + relationships(_gp3) \
             WHERE id(_gy4) = id(_gx4))) RETURN p"
        );
        // Under `*` nothing is named, so only named relationships are checked.
        assert_eq!(
            falkordb("MATCH (a)-[r:R]-(b)-[s:R]-(c) RETURN *").unwrap(),
            "MATCH (a)-[r:R]-(b)-[s:R]-(c) WHERE id(r) >= 0 AND id(s) >= 0 AND id(r) <> id(s) RETURN *"
        );
    }

    #[test]
    fn constructs_falkordb_lacks_are_refused_with_the_closest_form() {
        for (q, construct, hint) in [
            (
                "MATCH (c) WHERE c.id =~ 'C.*' RETURN c",
                "=~",
                "STARTS WITH",
            ),
            (
                "MATCH (c) WHERE exists { (c)-->() } RETURN c",
                "EXISTS",
                "WHERE (a)-[:T]->()",
            ),
            ("MATCH (c) RETURN count { (c)-->() }", "COUNT", "size("),
            (
                "MATCH p = shortestPath((a)-[*]-(b)) RETURN p",
                "shortestPath",
                "WITH shortestPath",
            ),
        ] {
            let e = falkordb(q).unwrap_err();
            assert!(e.contains(construct) && e.contains(hint), "{q}: {e}");
        }
    }

    #[test]
    fn variable_length_relationships_beyond_two_hops_are_refused() {
        for (q, column) in [
            ("MATCH (a)-[:T*1..3]->(b) RETURN b", 10),
            ("MATCH (a)-[*]-(b) RETURN b", 10),
            ("MATCH (a)-[:T*3]->(b) RETURN b", 10),
            ("MATCH (a)-[:T*2..]->(b) RETURN b", 10),
            ("MATCH (a) WHERE (a)-[:T*2..4]->() RETURN a", 20),
            ("MATCH (a) RETURN [(a)-[:T*..5]->(b) | b.id]", 22),
            ("MATCH (a) WITH a MATCH (a)<-[:T*0..9]-(b) RETURN b", 27),
        ] {
            let e = falkordb(q).unwrap_err();
            assert!(
                e.contains("more than 2 hops")
                    && e.contains(&format!("column {column})"))
                    && e.contains("`*1..2`")
                    && e.contains("ryugraph"),
                "{q}: {e}"
            );
        }
        for q in [
            "MATCH (a)-[:T*1..2]->(b) RETURN b",
            "MATCH (a)-[:T*2]-(b) RETURN b",
            "MATCH (a)-[:T*..1]->(b) RETURN b",
            "MATCH (a {id: 1}), (b {id: 2}) WITH shortestPath((a)-[*]-(b)) AS p RETURN p",
            "MATCH (a {id: 1}), (b {id: 2}) RETURN allShortestPaths((a)-[:T*..9]->(b)) AS p",
        ] {
            assert!(falkordb(q).is_ok(), "{q}: {:?}", falkordb(q));
        }
    }
}

#[test]
fn membership_in_a_null_bound_to_a_variable_is_null() {
    // The engine aborts its process on `list_contains` over an untyped null list.
    assert_eq!(
        kuzu("WITH null AS l WITH l, 2 AS k RETURN 1 IN l AS a, k IN [1, 2] AS b"),
        "WITH null AS l WITH l, 2 AS k RETURN null AS a, k IN [1, 2] AS b"
    );
    // `coalesce` with such a variable is not a mix of types.
    assert_eq!(
        kuzu("WITH null AS l RETURN coalesce(l, 'x') AS c"),
        "WITH null AS l RETURN coalesce(l, 'x') AS c"
    );
}

#[test]
fn a_match_never_uses_one_relationship_twice() {
    // Cypher matches trails; the engine matches walks unless told. The check of fixed
    // relationships follows the MATCH behind `WITH *`, so that the engine plans the MATCH as
    // without it (inside its WHERE the engine scanned every pair of relationships); the MATCH's
    // own WHERE stays where it is.
    assert_eq!(
        kuzu("MATCH (a)-[:R]-(b)-[:R]-(c), (c)-[:S]->(d) WHERE a.x = 1 RETURN a"),
        "MATCH (a)-[_gq1:R]-(b)-[_gq2:R]-(c), (c)-[:S]->(d) WHERE a.x = 1 WITH * WHERE id(_gq1) <> id(_gq2) RETURN a"
    );
    // In an OPTIONAL MATCH the check stays in its WHERE: failing it gives nulls, not no row.
    assert_eq!(
        kuzu("MATCH (a) OPTIONAL MATCH (a)-[:R]->(b)-[:R]->(c) RETURN c"),
        "MATCH (a) OPTIONAL MATCH (a)-[_gq1:R]->(b)-[_gq2:R]->(c) WHERE id(_gq1) <> id(_gq2) RETURN c"
    );
    assert_eq!(
        kuzu("MATCH (a)-[r:R*1..2]-(b) RETURN a"),
        "MATCH (a)-[r:R*1..2]-(b) WHERE is_trail(r) RETURN a"
    );
    // A variable-length relationship with another: the ids of all relationships of the
    // clause's (named) patterns are distinct.
    assert_eq!(
        kuzu("MATCH p = (a)-[:R]-(b)-[:R*1..2]-(c), (c)-[:S]->(d) RETURN p"),
        "MATCH p = (a)-[:R]-(b)-[:R*1..2]-(c), _gq2 = (c)-[:S]->(d) WHERE \
         size(list_distinct(list_concat(list_transform(rels(p), _gq1 -> id(_gq1)), \
         list_transform(rels(_gq2), _gq3 -> id(_gq3))))) = size(list_concat(list_transform(\
         rels(p), _gq1 -> id(_gq1)), list_transform(rels(_gq2), _gq3 -> id(_gq3)))) RETURN p"
    );
}
