//! The PostgreSQL connector against a real server: `GRAPH_OLAP_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`). Each test works in its own scratch schema
//! with a random name and drops it afterwards; a server that cannot be reached fails the tests.

use std::future::Future;
use std::sync::Arc;

use arrow::array::{Array, AsArray, ListArray};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type,
    Int64Type, Time64MicrosecondType, TimeUnit, TimestampMicrosecondType,
};
use arrow::record_batch::RecordBatch;
use futures::FutureExt;
use graph_olap_api::PropertyType;
use graph_olap_warehouse::{
    ExpectedColumn, PostgresWarehouse, Warehouse, WarehouseError, conform_batch, connect,
};
use tokio_postgres::NoTls;

fn url() -> String {
    std::env::var("GRAPH_OLAP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Runs `body` with a fresh scratch schema, always dropping the schema afterwards.
async fn with_schema<F, Fut>(setup: &str, body: F)
where
    F: FnOnce(Arc<PostgresWarehouse>, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let schema = format!("go_wh_test_{:016x}", rand::random::<u64>());
    let (admin, connection) = tokio_postgres::connect(&url(), NoTls)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {} is required for these tests: {e}", url()));
    tokio::spawn(connection);
    admin
        .batch_execute(&format!(
            "CREATE SCHEMA {schema}; SET search_path = {schema}; {setup}"
        ))
        .await
        .unwrap();
    let wh = Arc::new(PostgresWarehouse::new(&url(), 1000).unwrap());
    let outcome = std::panic::AssertUnwindSafe(body(wh, schema.clone()))
        .catch_unwind()
        .await;
    admin
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await
        .unwrap();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

const ALL_TYPES: &str = r#"
CREATE TABLE everything (
    id int8 PRIMARY KEY,
    b bool, i2 int2, i4 int4, f4 float4, f8 float8,
    n numeric(20, 4), n_free numeric,
    t text, v varchar(10), c char(3), nm name,
    d date, tm time, ts timestamp, tstz timestamptz,
    by bytea, u uuid, j jsonb,
    ai int8[], at text[], an numeric(6,2)[]
);
COMMENT ON TABLE everything IS 'all supported types';
COMMENT ON COLUMN everything.t IS 'free text';
INSERT INTO everything VALUES
 (1, true, -32768, 2147483647, 1.5, 2.25,
  1234567890123456.7891, 12345678901234567890.123456789012,
  'héllo wörld ✓ 日本語 🎉', 'short', 'ab', 'nm',
  '2024-02-29', '13:45:56.123456', '2024-01-02 03:04:05.678901', '2024-06-01 12:00:00+02',
  '\xdeadbeef', '123e4567-e89b-12d3-a456-426614174000', '{"k": [1, 2]}',
  ARRAY[1, NULL, 3], ARRAY['a', NULL, 'ç'], ARRAY[1.25, -2.50]),
 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
 (3, false, 7, -1, -0.0, -1e300, -0.0001, -0.00000000005, repeat('x', 200000), '', '', '', '1970-01-01', '00:00:00',
  '1900-01-01 00:00:00', '1999-12-31 23:59:59.999999-08', '\x', '00000000-0000-0000-0000-000000000000', 'null',
  ARRAY[]::int8[], ARRAY[]::text[], NULL);
CREATE VIEW everything_ids AS SELECT id FROM everything;
"#;

fn rows(batches: &[RecordBatch]) -> RecordBatch {
    arrow::compute::concat_batches(&batches[0].schema(), batches).unwrap()
}

#[tokio::test]
async fn every_supported_type_round_trips_with_nulls() {
    with_schema(ALL_TYPES, |wh, schema| async move {
        let sql = format!("SELECT * FROM {schema}.everything ORDER BY id");
        let described = wh.describe(&sql).await.unwrap();
        let types: Vec<(String, DataType)> = described
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect();
        let list = |t: DataType| {
            DataType::List(Arc::new(arrow::datatypes::Field::new_list_field(t, true)))
        };
        let expected = vec![
            ("id", DataType::Int64),
            ("b", DataType::Boolean),
            ("i2", DataType::Int16),
            ("i4", DataType::Int32),
            ("f4", DataType::Float32),
            ("f8", DataType::Float64),
            ("n", DataType::Decimal128(20, 4)),
            ("n_free", DataType::Decimal128(38, 10)),
            ("t", DataType::Utf8),
            ("v", DataType::Utf8),
            ("c", DataType::Utf8),
            ("nm", DataType::Utf8),
            ("d", DataType::Date32),
            ("tm", DataType::Time64(TimeUnit::Microsecond)),
            ("ts", DataType::Timestamp(TimeUnit::Microsecond, None)),
            (
                "tstz",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ),
            ("by", DataType::Binary),
            ("u", DataType::Utf8),
            ("j", DataType::Utf8),
            ("ai", list(DataType::Int64)),
            ("at", list(DataType::Utf8)),
            ("an", list(DataType::Decimal128(6, 2))),
        ];
        let expected: Vec<(String, DataType)> = expected
            .into_iter()
            .map(|(n, t)| (n.to_string(), t))
            .collect();
        assert_eq!(types, expected);

        let batches = wh.query(&sql).await.unwrap().collect().await.unwrap();
        let all = rows(&batches);
        assert_eq!(all.schema(), described, "query and describe agree");
        assert_eq!(all.num_rows(), 3);
        let col = |name: &str| all.column_by_name(name).unwrap().clone();

        assert!(col("b").as_boolean().value(0));
        assert_eq!(col("i2").as_primitive::<Int16Type>().value(0), -32768);
        assert_eq!(col("i4").as_primitive::<Int32Type>().value(0), 2147483647);
        assert_eq!(col("f4").as_primitive::<Float32Type>().value(0), 1.5);
        assert_eq!(col("f8").as_primitive::<Float64Type>().value(2), -1e300);
        assert_eq!(
            col("n").as_primitive::<Decimal128Type>().value(0),
            12345678901234567891
        );
        assert_eq!(col("n").as_primitive::<Decimal128Type>().value(2), -1);
        assert_eq!(
            col("n_free").as_primitive::<Decimal128Type>().value(0),
            123456789012345678901234567890
        );
        assert_eq!(
            col("n_free").as_primitive::<Decimal128Type>().value(2),
            -1,
            "-5e-11 rounds away from zero"
        );
        assert_eq!(
            col("t").as_string::<i32>().value(0),
            "héllo wörld ✓ 日本語 🎉"
        );
        assert_eq!(col("t").as_string::<i32>().value(2).len(), 200_000);
        assert_eq!(
            col("c").as_string::<i32>().value(0),
            "ab ",
            "char(n) keeps its padding"
        );
        assert_eq!(col("v").as_string::<i32>().value(2), "");
        assert_eq!(col("d").as_primitive::<Date32Type>().value(0), 19782); // 2024-02-29
        assert_eq!(
            col("tm").as_primitive::<Time64MicrosecondType>().value(0),
            (13 * 3600 + 45 * 60 + 56) * 1_000_000 + 123_456
        );
        assert_eq!(
            col("ts")
                .as_primitive::<TimestampMicrosecondType>()
                .value(0),
            1_704_164_645_678_901
        );
        assert_eq!(
            col("ts")
                .as_primitive::<TimestampMicrosecondType>()
                .value(2),
            -2_208_988_800_000_000
        );
        // 12:00+02 is 10:00 UTC; 23:59:59.999999-08 is 07:59:59.999999 UTC the next day.
        assert_eq!(
            col("tstz")
                .as_primitive::<TimestampMicrosecondType>()
                .value(0),
            1_717_236_000_000_000
        );
        assert_eq!(
            col("tstz")
                .as_primitive::<TimestampMicrosecondType>()
                .value(2),
            946_713_599_999_999
        );
        assert_eq!(
            col("by").as_binary::<i32>().value(0),
            [0xde, 0xad, 0xbe, 0xef]
        );
        assert_eq!(col("by").as_binary::<i32>().value(2), [0u8; 0]);
        assert_eq!(
            col("u").as_string::<i32>().value(0),
            "123e4567-e89b-12d3-a456-426614174000"
        );
        assert_eq!(col("j").as_string::<i32>().value(0), r#"{"k":[1,2]}"#);
        assert_eq!(
            col("j").as_string::<i32>().value(2),
            "null",
            "JSON null is a value, not SQL NULL"
        );

        let ai = col("ai");
        let ai = ai.as_any().downcast_ref::<ListArray>().unwrap();
        let first = ai.value(0);
        let first = first.as_primitive::<Int64Type>();
        assert_eq!(
            (
                first.len(),
                first.value(0),
                first.is_null(1),
                first.value(2)
            ),
            (3, 1, true, 3)
        );
        assert_eq!(
            ai.value(2).len(),
            0,
            "empty array is an empty list, not NULL"
        );
        let at = col("at");
        let at = at.as_any().downcast_ref::<ListArray>().unwrap().value(0);
        assert_eq!(at.as_string::<i32>().value(2), "ç");
        let an = col("an");
        let an = an.as_any().downcast_ref::<ListArray>().unwrap();
        assert_eq!(an.value(0).as_primitive::<Decimal128Type>().value(1), -250);
        assert!(an.is_null(2));

        // Row 2 is NULL in every column but the key.
        for (i, field) in all.schema().fields().iter().enumerate().skip(1) {
            assert!(all.column(i).is_null(1), "{} should be NULL", field.name());
        }
    })
    .await;
}

#[tokio::test]
async fn results_conform_to_declared_types() {
    with_schema(ALL_TYPES, |wh, schema| async move {
        let sql = format!("SELECT id, n_free, SUM(i4) OVER () AS total, tstz, u, ai FROM {schema}.everything ORDER BY id");
        let ty = |s: &str| PropertyType::parse(s).unwrap();
        let expected = [
            ExpectedColumn::new("id", ty("STRING")),
            ExpectedColumn::new("n_free", ty("DOUBLE")),
            ExpectedColumn::new("total", ty("INT64")),
            ExpectedColumn::new("tstz", ty("TIMESTAMP")),
            ExpectedColumn::new("u", ty("UUID")),
            ExpectedColumn::new("ai", ty("LIST<INT64>")),
        ];
        assert!(graph_olap_warehouse::validate_query(wh.as_ref(), &sql, &expected).await.unwrap().is_empty());
        let batches = wh.query(&sql).await.unwrap().collect().await.unwrap();
        let conformed = conform_batch(&rows(&batches), &expected).unwrap();
        assert_eq!(conformed.column(0).as_string::<i32>().value(2), "3");
        assert_eq!(conformed.column(2).as_primitive::<Int64Type>().value(0), 2147483646);
        let free = conformed.column(1).as_primitive::<Float64Type>().value(0);
        assert!((free - 1.2345678901234568e19).abs() < 1e5, "{free}");
    })
    .await;
}

#[tokio::test]
async fn metadata_lists_tables_views_columns_and_comments() {
    with_schema(ALL_TYPES, |wh, schema| async move {
        let meta = wh.metadata().await.unwrap();
        assert_eq!(meta.catalogs.len(), 1);
        assert_eq!(meta.catalogs[0].name, "test");
        let table = meta
            .table("test", &schema, "everything")
            .expect("scratch table listed");
        assert_eq!(table.table_type, "BASE TABLE");
        assert_eq!(table.comment.as_deref(), Some("all supported types"));
        assert_eq!(table.columns.len(), 22);
        let positions: Vec<u32> = table.columns.iter().map(|c| c.ordinal_position).collect();
        assert_eq!(positions, (1..=22).collect::<Vec<u32>>());
        let id = &table.columns[0];
        assert_eq!(
            (id.name.as_str(), id.data_type.as_str(), id.is_nullable),
            ("id", "bigint", false)
        );
        let n = table.columns.iter().find(|c| c.name == "n").unwrap();
        assert_eq!(n.data_type, "numeric(20,4)");
        assert!(n.is_nullable);
        let t = table.columns.iter().find(|c| c.name == "t").unwrap();
        assert_eq!(t.comment.as_deref(), Some("free text"));
        let view = meta
            .table("test", &schema, "everything_ids")
            .expect("view listed");
        assert_eq!(view.table_type, "VIEW");
        assert!(
            meta.catalogs[0]
                .schemas
                .iter()
                .all(|s| s.name != "pg_catalog" && s.name != "information_schema")
        );
    })
    .await;
}

#[tokio::test]
async fn results_stream_in_configured_batches() {
    with_schema("", |wh, _schema| async move {
        let mut stream = wh
            .query("SELECT g AS n, md5(g::text) AS h FROM generate_series(1, 25000) g")
            .await
            .unwrap();
        use futures::StreamExt;
        let mut sizes = Vec::new();
        let mut sum = 0i64;
        while let Some(batch) = stream.batches.next().await {
            let batch = batch.unwrap();
            sizes.push(batch.num_rows());
            sum += batch
                .column(0)
                .as_primitive::<Int32Type>()
                .iter()
                .flatten()
                .map(i64::from)
                .sum::<i64>();
        }
        assert_eq!(sizes.iter().sum::<usize>(), 25_000);
        assert!(
            sizes.iter().all(|&s| s <= 1000) && sizes.len() == 25,
            "{sizes:?}"
        );
        assert_eq!(sum, 25_000 * 25_001 / 2);
        // An empty result is a stream with a schema and no batches.
        let empty = wh.query("SELECT 1 AS one WHERE false").await.unwrap();
        assert_eq!(empty.schema.field(0).name(), "one");
        assert_eq!(empty.collect().await.unwrap().len(), 0);
    })
    .await;
}

#[tokio::test]
async fn errors_are_classified() {
    with_schema("CREATE TABLE t (x int); CREATE TABLE odd (r int4range);", |wh, schema| async move {
        wh.ping().await.unwrap();
        match wh.describe(&format!("SELECT nope FROM {schema}.t")).await {
            Err(WarehouseError::InvalidSql(m)) => assert!(m.contains("nope"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(wh.describe("SELEC 1").await, Err(WarehouseError::InvalidSql(_))));
        match wh.describe(&format!("SELECT r FROM {schema}.odd")).await {
            Err(WarehouseError::InvalidSql(m)) => assert!(m.contains("int4range") && m.contains("cast"), "{m}"),
            other => panic!("{other:?}"),
        }
        // Runtime failures of valid SQL surface while streaming.
        let stream = wh.query("SELECT 1 / (g - 3) FROM generate_series(1, 5) g").await;
        let failed = match stream {
            Ok(s) => s.collect().await.err(),
            Err(e) => Some(e),
        };
        assert!(matches!(failed, Some(WarehouseError::Execution(ref m)) if m.contains("division by zero")), "{failed:?}");
        // Sessions are read-only.
        let write = wh.query(&format!("INSERT INTO {schema}.t VALUES (1)")).await;
        let write_failed = match write {
            Ok(s) => s.collect().await.err(),
            Err(e) => Some(e),
        };
        assert!(write_failed.is_some_and(|e| e.to_string().contains("read-only")));

        let down = connect("postgres://postgres@127.0.0.1:1/test").await.unwrap();
        assert!(matches!(down.ping().await, Err(WarehouseError::Unreachable(_))));
        assert!(matches!(down.describe("SELECT 1").await, Err(WarehouseError::Unreachable(_))));
    })
    .await;
}

#[tokio::test]
async fn dropping_a_stream_early_ends_the_query_on_the_server() {
    with_schema("", |wh, _schema| async move {
        use futures::StreamExt;
        // 100 million rows, produced lazily by the nested loop: far more than will be read.
        let marker = format!("drop_marker_{}", rand::random::<u32>());
        let sql = format!("SELECT a.g * 10000 + b.g AS {marker} FROM generate_series(1, 10000) a(g), generate_series(1, 10000) b(g)");
        let mut stream = wh.query(&sql).await.unwrap();
        let first = stream.batches.next().await.unwrap().unwrap();
        assert_eq!(first.num_rows(), 1000);
        drop(stream);

        // The backend running it goes away (cancelled, connection closed); poll a bounded number of times.
        let (observer, connection) = tokio_postgres::connect(&url(), NoTls).await.unwrap();
        tokio::spawn(connection);
        let probe = format!("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%{marker}%' AND pid <> pg_backend_pid()");
        let mut still_running = i64::MAX;
        for _ in 0..200 {
            still_running = observer.query_one(&probe, &[]).await.unwrap().get(0);
            if still_running == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(still_running, 0, "the abandoned query is still on the server");
        let n = wh.query("SELECT 42 AS answer").await.unwrap().collect().await.unwrap();
        assert_eq!(n[0].column(0).as_primitive::<Int32Type>().value(0), 42);
    })
    .await;
}

/// The rows of `{schema}.t`, read on a connection of its own.
async fn rows_of_t(schema: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(&url(), NoTls).await.unwrap();
    tokio::spawn(connection);
    client
        .query_one(&format!("SELECT count(*) FROM {schema}.t"), &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn writes_hidden_in_read_statements_are_refused_and_change_nothing() {
    with_schema(
        "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2); CREATE SEQUENCE s;",
        |wh, schema| async move {
            for sql in [
                format!("WITH d AS (DELETE FROM {schema}.t RETURNING x) SELECT x FROM d"),
                format!("SELECT x INTO {schema}.copy FROM {schema}.t"),
                format!("SELECT x FROM {schema}.t FOR UPDATE"),
                format!("SELECT nextval('{schema}.s')"),
                // Turning the session default off inside the statement does not lift the
                // transaction's own read-only mode.
                format!(
                    "WITH off AS (SELECT set_config('default_transaction_read_only', 'off', false)) \
                     , d AS (DELETE FROM {schema}.t RETURNING x) SELECT x FROM d, off"
                ),
                "SELECT set_config('transaction_read_only', 'off', false)".to_string(),
            ] {
                let outcome = match wh.query(&sql).await {
                    Ok(stream) => stream.collect().await.err(),
                    Err(e) => Some(e),
                };
                let message = outcome
                    .unwrap_or_else(|| panic!("{sql} ran"))
                    .to_string();
                assert!(
                    message.contains("read-only") || message.contains("read-write"),
                    "{sql}: {message}"
                );
            }
            assert_eq!(rows_of_t(&schema).await, 2);
            let created: i64 = {
                let (client, connection) = tokio_postgres::connect(&url(), NoTls).await.unwrap();
                tokio::spawn(connection);
                client
                    .query_one(
                        "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1",
                        &[&schema],
                    )
                    .await
                    .unwrap()
                    .get(0)
            };
            assert_eq!(created, 1, "SELECT INTO created no table");
        },
    )
    .await;
}
