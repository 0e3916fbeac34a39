//! Read-only gate: refusals name the clause and its position; harmless words pass.

use graph_olap_cypher::{check_read_only, parse};

fn refused(q: &str) -> Option<String> {
    let ast = parse(q).unwrap_or_else(|e| panic!("{q}: {e}"));
    check_read_only(&ast).err().map(|v| v.clause)
}

#[test]
fn harmless_words_and_read_queries_pass() {
    for q in [
        "MATCH (n) RETURN 'CREATE'",
        "MATCH (n) RETURN n.created_at, n.set, n.is_deleted",
        "MATCH (n) RETURN n.`SET`, n.x AS set",
        "MATCH (n) /* CREATE (m) ; DROP TABLE x */ RETURN n;",
        "RETURN {set: 1, delete: 2} AS m",
        "MATCH (n:Set) RETURN n",
        "MATCH (n) WITH n CALL { WITH n RETURN n.x AS y } RETURN y",
        "CALL show_tables() RETURN *",
        "CALL db.labels() YIELD label RETURN label",
        "MATCH (n) WHERE EXISTS { MATCH (n)-->(m) } RETURN n",
        "EXPLAIN MATCH (n) RETURN n",
    ] {
        assert_eq!(refused(q), None, "{q}");
    }
}

#[test]
fn updating_admin_and_transaction_statements_are_refused_by_name() {
    for (q, clause) in [
        ("CREATE (n:X)", "CREATE"),
        ("MATCH (n) SET n.x = 1", "SET"),
        ("MATCH (n) REMOVE n.x", "REMOVE"),
        ("MATCH (n) DELETE n", "DELETE"),
        ("MATCH (n) DETACH DELETE n", "DETACH DELETE"),
        ("MERGE (n:X {id: 1})", "MERGE"),
        (
            "MATCH (n) WITH collect(n) AS ns FOREACH (x IN ns | SET x.y = 1)",
            "FOREACH",
        ),
        (
            "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
            "LOAD CSV",
        ),
        ("LOAD FROM '/etc/passwd' RETURN *", "LOAD FROM"),
        ("COPY X FROM 'f.parquet'", "COPY"),
        ("CREATE INDEX FOR (n:X) ON (n.y)", "CREATE INDEX"),
        (
            "CREATE NODE TABLE X(id INT64, PRIMARY KEY (id))",
            "CREATE NODE TABLE",
        ),
        ("DROP TABLE X", "DROP TABLE"),
        ("ALTER TABLE X ADD y INT64", "ALTER TABLE"),
        ("INSTALL json", "INSTALL"),
        ("ATTACH 'x.db' AS other", "ATTACH"),
        ("BEGIN TRANSACTION", "BEGIN TRANSACTION"),
        ("COMMIT", "COMMIT"),
        ("ROLLBACK", "ROLLBACK"),
        ("CALL threads = 1", "CALL threads"),
        (
            "CALL create_fts_index('X', 'i', ['name'])",
            "CALL create_fts_index",
        ),
        (
            "CALL apoc.periodic.iterate('a', 'b', {})",
            "CALL apoc.periodic.iterate",
        ),
        ("MATCH (n) CALL { MATCH (m) SET m.x = 1 } RETURN n", "SET"),
        (
            "MATCH (n) CALL { WITH n RETURN n AS m } IN TRANSACTIONS RETURN m",
            "CALL { … } IN TRANSACTIONS",
        ),
        (
            "MATCH (n) WHERE EXISTS { MATCH (m) CREATE (k) } RETURN n",
            "CREATE",
        ),
        (
            "MATCH (n) RETURN n UNION MATCH (m) CREATE (k) RETURN m",
            "CREATE",
        ),
        ("RETURN 1; RETURN 2", "multiple statements"),
        ("SHOW USERS", "SHOW USERS"),
    ] {
        assert_eq!(refused(q).as_deref(), Some(clause), "{q}");
    }
}

#[test]
fn refusals_carry_the_position() {
    let ast = parse("MATCH (n)\n  SET n.x = 1").unwrap();
    let v = check_read_only(&ast).unwrap_err();
    assert_eq!((v.span.line, v.span.column), (2, 3));
    assert_eq!(
        v.to_string(),
        "SET is not allowed: queries are read-only (line 2, column 3)"
    );
    let ast = parse("RETURN 1;\nRETURN 2").unwrap();
    assert_eq!(check_read_only(&ast).unwrap_err().span.line, 2);
}

#[test]
fn a_variable_is_one_kind_of_thing() {
    use graph_olap_cypher::{ast::StatementBody, parse, scope::check_variable_kinds};
    let check = |q: &str| {
        let query = parse(q).unwrap();
        let StatementBody::Query(rq) = &query.statements[0].body else {
            panic!("{q}: not a query")
        };
        check_variable_kinds(rq).map_err(|c| (c.variable, c.span.column))
    };
    assert_eq!(
        check("MATCH (a)-[r]->(b) MATCH (r) RETURN r"),
        Err(("r".into(), 27))
    );
    assert_eq!(check("MATCH (a)-[a]->(b) RETURN a"), Err(("a".into(), 12)));
    assert_eq!(
        check("MATCH p = (a)-->(b) WITH p AS n MATCH (n) RETURN n"),
        Err(("n".into(), 40))
    );
    assert_eq!(
        check("MATCH (a)-[r]->(b) WITH r AS x, a MATCH (x)-[a]->() RETURN x"),
        Err(("x".into(), 42))
    );
    // Fine: the same node twice, a kind reset by WITH or UNWIND, a new scope per UNION branch.
    for ok in [
        "MATCH (a)-[r]->(b)<-[s]-(a) RETURN a",
        "MATCH (a)-[r]->(b) WITH a AS r MATCH (r)-->() RETURN r",
        "MATCH (a)-[r]->(b) WITH collect(r) AS rs UNWIND rs AS r RETURN r",
        "MATCH (r) RETURN r UNION MATCH ()-[r]->() RETURN r",
    ] {
        assert_eq!(check(ok), Ok(()), "{ok}");
    }
}
