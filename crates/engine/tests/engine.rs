//! Engine adapter tests on small graphs built from Parquet files written here.

use std::path::{Path, PathBuf};
use std::time::Duration;

use graph_olap_api::{EdgeDefinition, NodeDefinition};
use graph_olap_engine::fixtures::{city_def, knows_def, lives_def, person_def, request};
use graph_olap_engine::{
    CancelToken, EdgeLoad, EngineError, GraphEngine, GraphValue, LoadEvent, NodeLoad,
    QueryErrorKind, QueryOutput, RyuConfig, RyuEngine, TableKind, WriteBack, WriteValues,
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

/// The same, with the database in a file (the fixture graph exercises that path).
fn on_disk() -> RyuConfig {
    RyuConfig {
        in_memory: false,
        ..small()
    }
}

/// Writes Parquet files with a scratch database (`COPY (query) TO file`).
struct ParquetWriter {
    engine: RyuEngine,
}

impl ParquetWriter {
    fn new(dir: &Path) -> Self {
        Self {
            engine: RyuEngine::open(&dir.join("scratch"), small()).unwrap(),
        }
    }
    fn write(&self, path: PathBuf, query: &str) -> PathBuf {
        self.engine
            .write_parquet(query, &path)
            .unwrap_or_else(|e| panic!("{query}: {e}"));
        path
    }
}

struct Fixture {
    _dir: tempfile::TempDir,
    engine: RyuEngine,
    events: Vec<LoadEvent>,
    report: graph_olap_engine::LoadReport,
}

fn load_fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let w = ParquetWriter::new(dir.path());
    let persons = w.write(
        dir.path().join("nodes/Person/part-00000.parquet"),
        "UNWIND [
           {id: 'p1', name: 'Alice', age: 30, score: 1.5, born: date('2024-01-31'),
            seen: timestamp('2024-01-31 10:30:00.123456'), tags: ['a', 'b'], active: true,
            photo: BLOB('hi'), uid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'},
           {id: 'p2', name: 'Bob', age: 40, score: 2.5, born: date('1970-01-01'),
            seen: timestamp('1970-01-01 00:00:00'), tags: ['e'], active: false,
            photo: BLOB(''), uid: '00000000-0000-0000-0000-000000000002'},
           {id: 'p3', name: 'Carol', age: 50, score: 3.5, born: date('1970-01-02'),
            seen: timestamp('1970-01-01 00:00:00'), tags: ['c'], active: true,
            photo: BLOB('x'), uid: '00000000-0000-0000-0000-000000000003'},
           {id: 'p4', name: 'Dan', age: 60, score: 4.5, born: date('1970-01-03'),
            seen: timestamp('1970-01-01 00:00:00'), tags: ['d'], active: false,
            photo: BLOB('y'), uid: '00000000-0000-0000-0000-000000000004'}] AS r
         RETURN r.id AS id, r.name AS name, r.age AS age, r.score AS score, r.born AS born, r.seen AS seen,
                r.tags AS tags, r.active AS active, r.photo AS photo, r.uid AS uid",
    );
    // Column order differs from the definition on purpose: columns are matched by name.
    let cities = w.write(
        dir.path().join("nodes/City/part-00000.parquet"),
        "UNWIND [{name: 'Paris', code: 1}, {name: 'Oslo', code: 2}] AS r RETURN r.name AS name, r.code AS code",
    );
    let knows = w.write(
        dir.path().join("edges/KNOWS/part-00000.parquet"),
        "UNWIND [{s: 'p1', d: 'p2', y: 2001}, {s: 'p2', d: 'p3', y: 2002}, {s: 'p3', d: 'p4', y: 2003},
                 {s: 'p1', d: 'nobody', y: 2004}, {s: 'ghost', d: 'p2', y: 2005}] AS r
         RETURN r.s AS src, r.d AS dst, r.y AS since",
    );
    let lives = w.write(
        dir.path().join("edges/LIVES_IN/part-00000.parquet"),
        "UNWIND [{person: 'p1', city: 1}, {person: 'p2', city: 1}, {person: 'p3', city: 2}] AS r
         RETURN r.person AS person, r.city AS city",
    );
    let engine = RyuEngine::open(&dir.path().join("db"), on_disk()).unwrap();
    engine
        .create_schema(
            &[person_def("INT64", false), city_def()],
            &[knows_def(), lives_def()],
        )
        .unwrap();
    let mut events = Vec::new();
    let report = engine
        .load(
            &[
                NodeLoad {
                    definition: person_def("INT64", false),
                    files: vec![persons],
                },
                NodeLoad {
                    definition: city_def(),
                    files: vec![cities],
                },
            ],
            &[
                EdgeLoad {
                    definition: knows_def(),
                    files: vec![knows],
                },
                EdgeLoad {
                    definition: lives_def(),
                    files: vec![lives],
                },
            ],
            &mut |e| events.push(e),
        )
        .unwrap();
    Fixture {
        _dir: dir,
        engine,
        events,
        report,
    }
}

/// Runs `q` on `engine`; a failure panics naming the query and the error.
fn run(engine: &RyuEngine, q: &str) -> QueryOutput {
    engine
        .query(&request(q), &CancelToken::new())
        .unwrap_or_else(|e| panic!("{q}: {e:?}"))
}

fn one(f: &Fixture, q: &str) -> GraphValue {
    run(&f.engine, q).rows[0][0].clone()
}

#[test]
fn loads_nodes_before_edges_and_counts_dangling_edges() {
    let f = load_fixture();
    assert_eq!(f.report.node_counts["Person"], 4);
    assert_eq!(f.report.node_counts["City"], 2);
    assert_eq!(f.report.edge_counts["KNOWS"], 3);
    assert_eq!(f.report.dangling_edges["KNOWS"], 2);
    assert_eq!(f.report.source_rows["KNOWS"], 5);
    assert_eq!(f.report.edge_counts["LIVES_IN"], 3);
    assert_eq!(f.report.dangling_edges["LIVES_IN"], 0);
    let kinds: Vec<TableKind> = f
        .events
        .iter()
        .filter_map(|e| match e {
            LoadEvent::TableLoaded { kind, .. } => Some(*kind),
            LoadEvent::TableStarted { .. } => None,
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            TableKind::Node,
            TableKind::Node,
            TableKind::Edge,
            TableKind::Edge
        ]
    );
    assert_eq!(f.events.len(), 8);
}

#[test]
fn every_value_type_is_typed_and_encoded() {
    let f = load_fixture();
    let q = "MATCH (n:Person {id: 'p1'}) RETURN n.age, n.score, n.born, n.seen, n.tags, n.active, n.photo, n.uid, n.name";
    let out = run(&f.engine, q);
    assert_eq!(out.columns[0], "n.age");
    assert_eq!(
        out.column_types,
        vec![
            "INT64",
            "DOUBLE",
            "DATE",
            "TIMESTAMP",
            "LIST<STRING>",
            "BOOL",
            "BLOB",
            "UUID",
            "STRING"
        ]
    );
    let json: Vec<_> = out.rows[0].iter().map(GraphValue::to_json).collect();
    assert_eq!(json[0], json!(30));
    assert_eq!(json[1], json!(1.5));
    assert_eq!(json[2], json!("2024-01-31"));
    assert_eq!(json[3], json!("2024-01-31T10:30:00.123456Z"));
    assert_eq!(json[4], json!(["a", "b"]));
    assert_eq!(json[5], json!(true));
    assert_eq!(json[6], json!("aGk="));
    assert_eq!(json[7], json!("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"));

    let interval = one(
        &f,
        "RETURN interval('1 day 2 hours 3 minutes 4 seconds 500 milliseconds')",
    );
    assert_eq!(interval.type_name(), "INTERVAL");
    assert_eq!(interval.to_json(), json!("P1DT2H3M4.5S"));
    assert_eq!(one(&f, "RETURN 1.0/0.0").to_json(), json!("Infinity"));
    assert_eq!(
        one(&f, "RETURN {a: 1, b: 'x'}").to_json(),
        json!({"a": 1, "b": "x"})
    );
    assert_eq!(one(&f, "RETURN map(['k'], [2])").to_json(), json!({"k": 2}));
    assert_eq!(one(&f, "RETURN null").to_json(), json!(null));

    let node = one(&f, "MATCH (n:Person {id: 'p2'}) RETURN n").to_json();
    let id = one(&f, "MATCH (n:Person {id: 'p2'}) RETURN id(n)").to_json();
    assert_eq!(node["_label"], json!("Person"));
    assert_eq!(node["name"], json!("Bob"));
    assert_eq!(node["_id"], id);
    assert!(node.get("_type").is_none());

    let rel = one(&f, "MATCH (:Person {id: 'p1'})-[r:KNOWS]->(b) RETURN r").to_json();
    let rid = one(&f, "MATCH (:Person {id: 'p1'})-[r:KNOWS]->(b) RETURN id(r)").to_json();
    assert_eq!(rel["_type"], json!("KNOWS"));
    assert_eq!(rel["since"], json!(2001));
    assert_eq!(rel["_id"], rid);
    assert!(rel.get("_label").is_none() && rel.get("_rid").is_none());
    let p1 = one(&f, "MATCH (n:Person {id: 'p1'}) RETURN id(n)").to_json();
    assert_eq!(rel["_src"], p1);
    assert_eq!(rel["_dst"], id);

    let path = run(
        &f.engine,
        "MATCH p = (:Person {id: 'p1'})-[:KNOWS*2..2]->(:Person) RETURN p",
    );
    assert_eq!(path.column_types, vec!["PATH"]);
    let p = path.rows[0][0].to_json();
    assert_eq!(p["_rels"].as_array().unwrap().len(), 2);
    assert_eq!(p["_nodes"].as_array().unwrap().len(), 3, "{p}");

    // Node ids are unique across labels, relationship ids across types and nodes.
    let ids = run(&f.engine, "MATCH (n) RETURN id(n)");
    let mut ids: Vec<i64> = ids
        .rows
        .iter()
        .map(|r| r[0].to_json().as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..6).collect::<Vec<i64>>());
    let rids = run(&f.engine, "MATCH ()-[r]->() RETURN DISTINCT id(r)");
    assert_eq!(rids.rows.len(), 6);
    assert!(
        rids.rows
            .iter()
            .all(|r| r[0].to_json().as_i64().unwrap() >= 6)
    );
}

/// A result that holds a relationship is read through the engine's Arrow form (the only one that
/// carries a relationship's own id); every other value in it must come out exactly as it does
/// in a result without one (the binding's row form), type name included.
#[test]
fn values_beside_a_relationship_are_converted_as_without_one() {
    let f = load_fixture();
    let expressions = [
        "true",
        "a.age",
        "a.score",
        "a.born",
        "a.seen",
        "a.tags",
        "a.photo",
        "a.uid",
        "a.name",
        "b.name",
        "CAST(-7 AS INT8)",
        "CAST(300 AS INT16)",
        "CAST(-70000 AS INT32)",
        "CAST(7 AS UINT8)",
        "CAST(60000 AS UINT16)",
        "CAST(4000000000 AS UINT32)",
        "CAST(18000000000000000000 AS UINT64)",
        "CAST(170141183460469231731687303715884105727 AS INT128)",
        "CAST(1.25 AS FLOAT)",
        "1.0 / 3.0",
        "CAST(1.5 AS DECIMAL)",
        "CAST(-0.05 AS DECIMAL)",
        "date('1969-07-20')",
        "timestamp('1960-01-02 03:04:05.123456')",
        "CAST('2024-01-02 03:04:05.123456789' AS TIMESTAMP_NS)",
        "CAST('2024-01-02 03:04:05.123' AS TIMESTAMP_MS)",
        "CAST('2024-01-02 03:04:05' AS TIMESTAMP_SEC)",
        "CAST('2024-01-02 03:04:05+02:00' AS TIMESTAMP_TZ)",
        "interval('1 year 2 months 3 days 4 hours 5.25 seconds')",
        "timestamp('2024-01-01') - timestamp('2024-01-04 00:00:01.5')",
        "UUID('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')",
        "[1, null, 3]",
        "[[1], [2, 3]]",
        "CAST([1, 2] AS INT64[2])",
        "{x: 1, y: 'two', z: [a.age]}",
        "map(['k1', 'k2'], [1.5, null])",
        "a",
        "[a, b]",
        "{who: a}",
        "id(a)",
        "[id(a), id(b)]",
        "null",
    ];
    let anchor = "MATCH (a:Person {id: 'p1'})-[r:KNOWS]->(b:Person) WITH a, r, b LIMIT 1";
    for e in expressions {
        let alone = run(&f.engine, &format!("{anchor} RETURN {e} AS v"));
        let beside = run(&f.engine, &format!("{anchor} RETURN {e} AS v, r"));
        assert_eq!(alone.rows.len(), 1, "{e}");
        assert_eq!(beside.rows[0][0], alone.rows[0][0], "{e}");
        assert_eq!(beside.column_types[0], alone.column_types[0], "{e}");
        assert!(matches!(beside.rows[0][1], GraphValue::Rel(_)), "{e}");
    }
}

/// Every relationship in a result carries the id `id(r)` returns, however it is nested: alone,
/// in a list, a map, a path, beside a null; no hidden property shows.
#[test]
fn relationship_ids_agree_with_id_wherever_they_appear() {
    let f = load_fixture();
    let rows = |q: &str| run(&f.engine, q).rows;
    let rel_id = |v: &GraphValue| match v {
        GraphValue::Rel(r) => {
            assert!(r.properties.iter().all(|(k, _)| !k.starts_with('_')));
            r.id
        }
        other => panic!("not a relationship: {other:?}"),
    };
    let int = |v: &GraphValue| match v {
        GraphValue::Int(i, _) => *i,
        other => panic!("not an integer: {other:?}"),
    };
    let all = rows("MATCH ()-[r]->() RETURN r, id(r), null");
    assert_eq!(all.len(), 6);
    let mut ids: Vec<i64> = all
        .iter()
        .map(|row| {
            assert_eq!(rel_id(&row[0]), int(&row[1]));
            rel_id(&row[0])
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 6);
    assert!(ids.iter().all(|&i| i >= 6), "{ids:?}");

    for row in rows("MATCH ()-[r]->() RETURN [r], {rel: r}, id(r)") {
        let GraphValue::List(list) = &row[0] else {
            panic!("{row:?}")
        };
        let GraphValue::Map(map) = &row[1] else {
            panic!("{row:?}")
        };
        assert_eq!(rel_id(&list[0]), int(&row[2]));
        assert_eq!(rel_id(&map[0].1), int(&row[2]));
    }
    let collected = rows("MATCH ()-[r]->() RETURN collect(r), collect(id(r))");
    let (GraphValue::List(rels), GraphValue::List(want)) = (&collected[0][0], &collected[0][1])
    else {
        panic!("{collected:?}")
    };
    let got: Vec<i64> = rels.iter().map(rel_id).collect();
    let want: Vec<i64> = want.iter().map(int).collect();
    assert_eq!(got, want);

    let paths = rows(
        "MATCH p = (:Person)-[:KNOWS*1..2]->(:Person) RETURN p, [x IN relationships(p) | id(x)], [x IN nodes(p) | id(x)]",
    );
    assert!(!paths.is_empty());
    for row in paths {
        let GraphValue::Path { nodes, rels } = &row[0] else {
            panic!("{row:?}")
        };
        let (GraphValue::List(rel_ids), GraphValue::List(node_ids)) = (&row[1], &row[2]) else {
            panic!("{row:?}")
        };
        let got: Vec<i64> = rels.iter().map(|r| r.id).collect();
        assert_eq!(got, rel_ids.iter().map(int).collect::<Vec<_>>());
        let got: Vec<i64> = nodes.iter().map(|n| n.id).collect();
        assert_eq!(got, node_ids.iter().map(int).collect::<Vec<_>>());
        for (k, r) in rels.iter().enumerate() {
            assert_eq!((r.src, r.dst), (nodes[k].id, nodes[k + 1].id));
        }
    }
}

#[test]
fn parameters_rows_limits_and_errors() {
    let f = load_fixture();
    let mut req = request(
        "MATCH (n:Person) WHERE n.age >= $min AND n.name IN $names RETURN n.id ORDER BY n.id",
    );
    req.parameters =
        serde_json::from_value(json!({"min": 35, "names": ["Bob", "Carol", "Dan"]})).unwrap();
    let out = f.engine.query(&req, &CancelToken::new()).unwrap();
    assert_eq!(out.rows.len(), 3);

    let mut limited = request("MATCH (n:Person) RETURN n.id");
    limited.max_rows = 2;
    let out = f.engine.query(&limited, &CancelToken::new()).unwrap();
    assert_eq!(out.rows.len(), 2);
    assert!(out.truncated);

    let missing = f.engine.query(
        &request("MATCH (n:Person) WHERE n.age = $age RETURN n"),
        &CancelToken::new(),
    );
    match missing.unwrap_err().kind {
        QueryErrorKind::Failed { reason, parameter } => {
            assert_eq!(reason.as_str(), "missing_parameter");
            assert_eq!(parameter.as_deref(), Some("age"));
        }
        other => panic!("{other:?}"),
    }

    let syntax = f
        .engine
        .query(&request("MATCH (n:Person\nRETURN n"), &CancelToken::new())
        .unwrap_err();
    match syntax.kind {
        QueryErrorKind::Syntax { line, column, .. } => {
            assert!(line.is_some() && column.is_some(), "{syntax:?}");
        }
        other => panic!("{other:?}"),
    }
    let multi = f
        .engine
        .query(&request("RETURN 1; RETURN 2"), &CancelToken::new())
        .unwrap_err();
    assert_eq!(
        multi.kind,
        QueryErrorKind::Unsupported {
            feature: "multiple_statements".into()
        }
    );
}

#[test]
fn read_only_enforcement() {
    let f = load_fixture();
    for allowed in [
        "RETURN 'CREATE' AS c",
        "MATCH (n:Person) RETURN n.name AS created_at",
        "MATCH (n:Person) RETURN offset(id(n))",
        "MATCH (n:Person) RETURN n.`name` AS `SET`",
        "MATCH (n:Person) // DELETE n\nRETURN count(n)",
        "CALL show_tables() RETURN name",
    ] {
        run(&f.engine, allowed);
    }
    for (refused, clause) in [
        ("CREATE (:City {code: 9, name: 'X'})", "CREATE"),
        ("MATCH (n:Person) SET n.age = 1", "SET"),
        ("MATCH (n:Person) DETACH DELETE n", "DETACH DELETE"),
        ("MERGE (c:City {code: 1})", "MERGE"),
        ("COPY City FROM '/tmp/x.parquet'", "COPY"),
        ("LOAD FROM '/etc/hostname' RETURN *", "LOAD FROM"),
        ("DROP TABLE City", "DROP TABLE"),
        ("CALL threads=1", "CALL threads"),
        ("COMMIT", "COMMIT"),
    ] {
        match f
            .engine
            .query(&request(refused), &CancelToken::new())
            .unwrap_err()
            .kind
        {
            QueryErrorKind::ReadOnlyViolation { clause: c, .. } => {
                assert_eq!(c, clause, "{refused}")
            }
            other => panic!("{refused}: {other:?}"),
        }
    }
    // Second line of defence: even without the gate the engine refuses writes.
    for write in [
        "CREATE (:City {code: 9, name: 'X'})",
        "MATCH (n:Person) SET n.age = 1",
    ] {
        assert!(f.engine.query_ungated(&request(write)).is_err(), "{write}");
    }
    assert_eq!(
        one(&f, "MATCH (c:City) RETURN count(c)").to_json(),
        json!(2)
    );
    assert_eq!(
        one(&f, "MATCH (n:Person {id: 'p1'}) RETURN n.age").to_json(),
        json!(30)
    );
}

#[test]
fn timeout_interrupts_the_engine_and_cancel_stops_a_query() {
    let f = load_fixture();
    let slow = "UNWIND range(1, 100000) AS a UNWIND range(1, 100000) AS b WITH a, b WHERE (a * b) % 7 = 3 RETURN count(*)";
    let mut req = request(slow);
    req.timeout = Duration::from_millis(1000);
    match f.engine.query(&req, &CancelToken::new()).unwrap_err().kind {
        QueryErrorKind::Timeout { timeout_ms, .. } => assert_eq!(timeout_ms, 1000),
        other => panic!("{other:?}"),
    }
    let token = CancelToken::new();
    let engine = f.engine.clone();
    let t = token.clone();
    let handle = std::thread::spawn(move || {
        let mut req = request(slow);
        req.timeout = Duration::from_secs(600);
        engine.query(&req, &t)
    });
    token.cancel();
    let err = handle.join().unwrap().unwrap_err();
    assert_eq!(err.kind, QueryErrorKind::Cancelled);
    // The connection pool is still usable afterwards.
    assert_eq!(one(&f, "RETURN 41 + 1").to_json(), json!(42));
}

#[test]
fn duplicate_primary_keys_name_the_label_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let w = ParquetWriter::new(dir.path());
    let cities = w.write(
        dir.path().join("City.parquet"),
        "UNWIND [1, 2, 2] AS c RETURN c AS code, 'n' + CAST(c AS STRING) AS name",
    );
    let engine = RyuEngine::open(&dir.path().join("db"), small()).unwrap();
    engine.create_schema(&[city_def()], &[]).unwrap();
    let err = engine
        .load(
            &[NodeLoad {
                definition: city_def(),
                files: vec![cities],
            }],
            &[],
            &mut |_| {},
        )
        .unwrap_err();
    match err {
        EngineError::DuplicateKey { label, key } => {
            assert_eq!(label, "City");
            assert_eq!(key, "2");
        }
        other => panic!("{other:?}"),
    }
}

/// A node table with full-precision `DOUBLE` values in several files: copied in runs under a
/// node group (see `NODE_GROUP_ROWS` in the load), every row and value arrives once, and a key
/// repeated in a later run is still refused.
#[test]
fn node_tables_in_many_files_load_every_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let w = ParquetWriter::new(dir.path());
    let measure: NodeDefinition = serde_json::from_value(json!({
        "label": "Measure", "sql": "SELECT 1",
        "primary_key": {"name": "k", "type": "INT64"},
        "properties": [{"name": "v", "type": "DOUBLE"}]}))
    .unwrap();
    // 300,000 rows in files of 100,000, 100,000, 60,000 and 40,000: runs of one, one and two.
    let bounds = [
        (0, 99_999),
        (100_000, 199_999),
        (200_000, 259_999),
        (260_000, 299_999),
    ];
    let files: Vec<PathBuf> = bounds
        .iter()
        .map(|(lo, hi)| {
            w.write(
                dir.path().join(format!("Measure-{lo}.parquet")),
                &format!("UNWIND range({lo}, {hi}) AS k RETURN k, CAST(k AS DOUBLE) / 7.0 AS v"),
            )
        })
        .collect();
    let engine = RyuEngine::open(&dir.path().join("db"), small()).unwrap();
    engine
        .create_schema(std::slice::from_ref(&measure), &[])
        .unwrap();
    let report = engine
        .load(
            &[NodeLoad {
                definition: measure.clone(),
                files: files.clone(),
            }],
            &[],
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(report.node_counts["Measure"], 300_000);
    let got = run(
        &engine,
        "MATCH (n:Measure) RETURN count(DISTINCT n.k), sum(n.v), min(n.k), max(n.k)",
    );
    let sum = (0..300_000u64).map(|k| k as f64 / 7.0).sum::<f64>();
    match &got.rows[0][..] {
        [
            GraphValue::Int(distinct, _),
            GraphValue::Double(s),
            GraphValue::Int(0, _),
            GraphValue::Int(299_999, _),
        ] => {
            assert_eq!(*distinct, 300_000);
            assert!((s - sum).abs() <= sum * 1e-12, "{s} vs {sum}");
        }
        other => panic!("{other:?}"),
    }
    let exact = run(
        &engine,
        "MATCH (n:Measure) WHERE n.k IN [0, 131071, 131072, 299999] RETURN n.k, n.v ORDER BY n.k",
    );
    let values: Vec<f64> = exact
        .rows
        .iter()
        .map(|r| match r[1] {
            GraphValue::Double(v) => v,
            ref other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        values,
        [0.0, 131_071.0 / 7.0, 131_072.0 / 7.0, 299_999.0 / 7.0]
    );

    // The last file repeats a key of the first: refused, naming it, though in another COPY.
    let again = w.write(
        dir.path().join("Measure-dup.parquet"),
        "UNWIND range(300000, 300009) AS k RETURN CASE WHEN k = 300005 THEN 17 ELSE k END AS k, 1.5 AS v",
    );
    let fresh = RyuEngine::open(&dir.path().join("db2"), small()).unwrap();
    fresh
        .create_schema(std::slice::from_ref(&measure), &[])
        .unwrap();
    let mut with_dup = files;
    with_dup.push(again);
    match fresh.load(
        &[NodeLoad {
            definition: measure,
            files: with_dup,
        }],
        &[],
        &mut |_| {},
    ) {
        Err(EngineError::DuplicateKey { label, key }) => {
            assert_eq!((label.as_str(), key.as_str()), ("Measure", "17"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn schema_counts_topology_and_atomic_write_back() {
    let f = load_fixture();
    let schema = f.engine.schema().unwrap();
    assert_eq!(schema.node_tables[0].label, "Person");
    assert_eq!(schema.node_tables[0].node_count, 4);
    assert_eq!(
        schema.node_tables[0].properties[0],
        ("id".to_string(), "STRING".to_string())
    );
    assert_eq!(schema.node_tables[1].node_count, 2);
    assert_eq!(schema.edge_tables[0].edge_count, 3);
    assert_eq!(schema.edge_tables[0].from_node, "Person");
    assert_eq!(schema.edge_tables[1].to_node, "City");

    let topo = f.engine.topology(&["Person".into()], &[]).unwrap();
    assert_eq!(topo.node_count(), 4);
    assert_eq!(topo.edges.len(), 1, "LIVES_IN leaves the Person scope");
    let knows = &topo.edges[0];
    let mut pairs: Vec<(u32, u32)> = knows
        .src
        .iter()
        .copied()
        .zip(knows.dst.iter().copied())
        .collect();
    pairs.sort_unstable();
    let expected = run(&f.engine, "MATCH (a)-[:KNOWS]->(b) RETURN id(a), id(b)");
    let mut expected: Vec<(u32, u32)> = expected
        .rows
        .iter()
        .map(|r| {
            (
                r[0].to_json().as_u64().unwrap() as u32,
                r[1].to_json().as_u64().unwrap() as u32,
            )
        })
        .collect();
    expected.sort_unstable();
    assert_eq!(pairs, expected);
    let all = f.engine.topology(&[], &[]).unwrap();
    assert_eq!(all.label_of(5), Some("City"));

    // Concurrent readers see either no values or all of them.
    let engine = f.engine.clone();
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..30 {
            if let Ok(out) = engine.query(
                &request("MATCH (n:Person) RETURN count(n.pr)"),
                &CancelToken::new(),
            ) {
                seen.push(out.rows[0][0].to_json().as_i64().unwrap());
            }
        }
        seen
    });
    let written = f
        .engine
        .write_back(&WriteBack {
            property: "pr".into(),
            labels: vec!["Person".into()],
            node_ids: vec![0, 1, 2, 3],
            values: WriteValues::Double(vec![Some(0.1), Some(0.2), Some(0.3), Some(0.4)]),
        })
        .unwrap();
    assert_eq!(written, 4);
    let seen = reader.join().unwrap();
    assert!(seen.iter().all(|c| *c == 0 || *c == 4), "{seen:?}");
    assert_eq!(
        one(&f, "MATCH (n:Person {id: 'p3'}) RETURN n.pr").to_json(),
        json!(0.3)
    );
    let schema = f.engine.schema().unwrap();
    assert_eq!(
        schema.node_tables[0].algorithm_properties,
        vec!["pr".to_string()]
    );
    assert_eq!(
        schema.node_tables[0].properties.last().unwrap(),
        &("pr".to_string(), "DOUBLE".to_string())
    );

    // Overwrite with the same type works; a mapping property is refused.
    f.engine
        .write_back(&WriteBack {
            property: "pr".into(),
            labels: vec!["Person".into()],
            node_ids: vec![0, 1, 2, 3],
            values: WriteValues::Double(vec![Some(1.0), Some(1.0), Some(1.0), None]),
        })
        .unwrap();
    assert_eq!(
        one(&f, "MATCH (n:Person) RETURN sum(n.pr)").to_json(),
        json!(3.0)
    );
    let mapping = f.engine.write_back(&WriteBack {
        property: "age".into(),
        labels: vec!["Person".into()],
        node_ids: vec![0],
        values: WriteValues::Int64(vec![Some(1)]),
    });
    assert!(matches!(mapping, Err(EngineError::WriteBack { .. })));
    assert_eq!(
        one(&f, "MATCH (n:Person {id: 'p1'}) RETURN n.age").to_json(),
        json!(30)
    );

    // A write-back of part of a label leaves the other nodes as they were.
    let partial = f
        .engine
        .write_back(&WriteBack {
            property: "pr".into(),
            labels: vec!["Person".into()],
            node_ids: vec![2],
            values: WriteValues::Double(vec![Some(7.0)]),
        })
        .unwrap();
    assert_eq!(partial, 1);
    let values = run(
        &f.engine,
        "MATCH (n:Person) RETURN n.pr ORDER BY offset(id(n))",
    );
    let values: Vec<Value> = values.rows.iter().map(|r| r[0].to_json()).collect();
    assert_eq!(
        values,
        vec![json!(1.0), json!(1.0), json!(7.0), Value::Null]
    );

    // A result of another type replaces the older one whole: nodes it does not list become null.
    f.engine
        .write_back(&WriteBack {
            property: "pr".into(),
            labels: vec!["Person".into()],
            node_ids: vec![0, 1],
            values: WriteValues::Int64(vec![Some(5), Some(6)]),
        })
        .unwrap();
    let values = run(
        &f.engine,
        "MATCH (n:Person) RETURN n.pr ORDER BY offset(id(n))",
    );
    let values: Vec<Value> = values.rows.iter().map(|r| r[0].to_json()).collect();
    assert_eq!(values, vec![json!(5), json!(6), Value::Null, Value::Null]);
    let schema = f.engine.schema().unwrap();
    assert_eq!(
        schema.node_tables[0].algorithm_properties,
        vec!["pr".to_string()]
    );
    assert_eq!(
        schema.node_tables[0].properties.last().unwrap(),
        &("pr".to_string(), "INT64".to_string())
    );

    // Label ranges without reading edges: Person 0..4, City 4..6.
    let ranges = f.engine.node_ranges();
    assert_eq!(
        ranges
            .iter()
            .map(|r| (r.label.as_str(), r.first_id, r.count))
            .collect::<Vec<_>>(),
        vec![("Person", 0, 4), ("City", 4, 2)]
    );
}

/// Larger graph: loading and a full write-back stay correct (prints timings with `--nocapture`).
#[test]
fn write_back_on_a_larger_graph() {
    let dir = tempfile::tempdir().unwrap();
    let w = ParquetWriter::new(dir.path());
    let nodes = w.write(
        dir.path().join("City.parquet"),
        "UNWIND range(1, 200000) AS c RETURN c AS code, 'n' + CAST(c AS STRING) AS name",
    );
    let engine = RyuEngine::open(&dir.path().join("db"), small()).unwrap();
    engine.create_schema(&[city_def()], &[]).unwrap();
    let t = std::time::Instant::now();
    engine
        .load(
            &[NodeLoad {
                definition: city_def(),
                files: vec![nodes],
            }],
            &[],
            &mut |_| {},
        )
        .unwrap();
    eprintln!("load: {:?}", t.elapsed());
    let n = 200_000u32;
    let t = std::time::Instant::now();
    let written = engine
        .write_back(&WriteBack {
            property: "score".into(),
            labels: vec!["City".into()],
            node_ids: (0..n).collect(),
            values: WriteValues::Double((0..n).map(|i| Some(f64::from(i))).collect()),
        })
        .unwrap();
    eprintln!("write-back: {:?}", t.elapsed());
    assert_eq!(written, u64::from(n));
    let out = engine
        .query(
            &request(
                "MATCH (c:City) WHERE c.score = CAST(offset(id(c)) AS DOUBLE) RETURN count(*)",
            ),
            &CancelToken::new(),
        )
        .unwrap();
    assert_eq!(out.rows[0][0].to_json(), json!(200000));

    // Values go in slices of 131,072 offsets: a second result listing only every third node of
    // the second slice sets those and leaves every other node, both slices, as it was.
    let listed: Vec<u32> = (140_000..n).step_by(3).collect();
    let written = engine
        .write_back(&WriteBack {
            property: "score".into(),
            labels: vec!["City".into()],
            node_ids: listed.clone(),
            values: WriteValues::Double(vec![Some(-1.0); listed.len()]),
        })
        .unwrap();
    assert_eq!(written, listed.len() as u64);
    let out = run(
        &engine,
        "MATCH (c:City) RETURN sum(CASE WHEN c.score = -1.0 THEN 1 ELSE 0 END), \
         sum(CASE WHEN c.score = CAST(offset(id(c)) AS DOUBLE) THEN 1 ELSE 0 END), \
         sum(CASE WHEN c.score = -1.0 AND (offset(id(c)) < 140000 OR (offset(id(c)) - 140000) % 3 <> 0) THEN 1 ELSE 0 END)",
    );
    assert_eq!(
        out.rows[0].iter().map(|v| v.to_json()).collect::<Vec<_>>(),
        vec![
            json!(listed.len()),
            json!(n as usize - listed.len()),
            json!(0)
        ]
    );
}

/// A large edge table with a DOUBLE property is copied after a one-row primer (see
/// `CopySource::primer`; here the first two rows dangle, so the primer is tried three times):
/// every row lands exactly once, the primer is gone, dangling rows are still counted, and every
/// relationship's id agrees with `id(r)`, is unique and lies in its type's range.
#[test]
fn large_edge_tables_load_every_row_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let w = ParquetWriter::new(dir.path());
    let nodes = w.write(
        dir.path().join("City.parquet"),
        "UNWIND range(1, 5000) AS c RETURN c AS code, 'c' + CAST(c AS STRING) AS name",
    );
    // 120 000 edges between existing cities plus 1 000 whose target does not exist, two of them
    // first.
    let edge_rows = "UNWIND range(0, 120999) AS i
        RETURN 1 + i % 5000 AS a, CASE WHEN i < 2 OR i >= 120002 THEN 999999 ELSE 1 + (i * 7919) % 5000 END AS b, CAST((i * 7919) % 10007 AS DOUBLE) / 3.0 AS w";
    let edges = w.write(dir.path().join("ROAD.parquet"), edge_rows);
    // The load inspects files through their footers; the engine's own files read too.
    assert_eq!(
        graph_olap_engine::parquet_footer::read(&edges).unwrap(),
        graph_olap_engine::parquet_footer::Footer {
            rows: 121_000,
            columns: vec!["a".into(), "b".into(), "w".into()],
        }
    );
    let road: EdgeDefinition = serde_json::from_value(json!({
        "type": "ROAD", "from_node": "City", "to_node": "City", "sql": "SELECT 1",
        "from_key": "a", "to_key": "b", "properties": [{"name": "w", "type": "DOUBLE"}]}))
    .unwrap();
    let engine = RyuEngine::open(&dir.path().join("db"), small()).unwrap();
    engine
        .create_schema(&[city_def()], std::slice::from_ref(&road))
        .unwrap();
    let started = std::time::Instant::now();
    let report = engine
        .load(
            &[NodeLoad {
                definition: city_def(),
                files: vec![nodes],
            }],
            &[EdgeLoad {
                definition: road,
                files: vec![edges],
            }],
            &mut |_| {},
        )
        .unwrap();
    eprintln!(
        "121 000 edges with a DOUBLE loaded in {:?}",
        started.elapsed()
    );
    assert_eq!(report.edge_counts["ROAD"], 120_000);
    assert_eq!(report.dangling_edges["ROAD"], 1_000);
    let loaded = run(
        &engine,
        "MATCH ()-[r:ROAD]->() RETURN sum(r.w), count(DISTINCT id(r))",
    );
    let expected = w
        .engine
        .query_ungated(&request(
            "UNWIND range(2, 120001) AS i RETURN sum(CAST((i * 7919) % 10007 AS DOUBLE) / 3.0)",
        ))
        .unwrap();
    let (got, want) = (
        loaded.rows[0][0].to_json().as_f64().unwrap(),
        expected.rows[0][0].to_json().as_f64().unwrap(),
    );
    assert!(
        (got - want).abs() <= 1e-9 * want.abs(),
        "sum of weights {got} vs {want}: rows lost or copied twice"
    );
    assert_eq!(loaded.rows[0][1].to_json(), json!(120_000));

    let mut all = request("MATCH ()-[r:ROAD]->() RETURN r, id(r)");
    all.max_rows = 200_000;
    let rows = engine.query(&all, &CancelToken::new()).unwrap().rows;
    assert_eq!(rows.len(), 120_000);
    let mut seen = std::collections::HashSet::new();
    for row in &rows {
        let (GraphValue::Rel(r), GraphValue::Int(id, _)) = (&row[0], &row[1]) else {
            panic!("unexpected row {row:?}");
        };
        assert_eq!(r.id, *id, "a relationship's id disagrees with id(r)");
        // Nodes take ids 0..5000; ROAD's range follows, sized by its rows and primer attempts.
        assert!(
            (5_000..5_000 + 121_000 + 3).contains(id),
            "id {id} out of range"
        );
        assert!(seen.insert(*id), "id {id} twice");
        assert!(r.properties.iter().all(|(k, _)| !k.starts_with('_')));
    }

    // The topology (read as Arrow batches of 65,536 pairs: two batches here) holds exactly the
    // generated pairs, each node as its `_id`, checked against the cities' codes.
    let topology = engine.topology(&[], &[]).unwrap();
    let mut cities = request("MATCH (c:City) RETURN id(c), c.code");
    cities.max_rows = 10_000;
    let mut code_of_id = engine
        .query(&cities, &CancelToken::new())
        .unwrap()
        .rows
        .iter()
        .map(|row| {
            (
                row[0].to_json().as_u64().unwrap(),
                row[1].to_json().as_i64().unwrap(),
            )
        })
        .collect::<Vec<_>>();
    code_of_id.sort_unstable();
    assert_eq!(code_of_id.len(), 5_000);
    let code = |id: u32| code_of_id[id as usize].1;
    assert_eq!(topology.edges.len(), 1);
    let road = &topology.edges[0];
    let mut got: Vec<(i64, i64)> = road
        .src
        .iter()
        .zip(&road.dst)
        .map(|(&a, &b)| (code(a), code(b)))
        .collect();
    let mut want: Vec<(i64, i64)> = (2..120_002i64)
        .map(|i| (1 + i % 5000, 1 + (i * 7919) % 5000))
        .collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(
        got, want,
        "the topology's pairs differ from the loaded rows"
    );
}
