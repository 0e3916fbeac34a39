//! Bad input at export, through the embedded DataFusion connector (real files in a temporary
//! directory) and the PostgreSQL connector (a real server at `GRAPH_OLAP_TEST_POSTGRES_URL`,
//! default `postgres://postgres@127.0.0.1:5432/test`, set up with `psql` in a scratch schema that
//! is dropped afterwards; no server fails the tests). Each export runs the worker's path: query,
//! result-schema check, `write_table_checked` into a local directory, files read back.

use std::path::Path as FsPath;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, Int64Array, StringArray};
use arrow::datatypes::{Float64Type, Int64Type, TimestampMicrosecondType};
use arrow::record_batch::RecordBatch;
use bytes::Bytes;
use graph_olap_api::PropertyType;
use graph_olap_api::export::{CheckPolicy, ColumnRole, JobColumn, QualityPolicy, WorkerErrorCode};
use graph_olap_export::{
    Checks, ExportError, Progress, TableOutput, WriterOptions, check_result_schema, open_store,
    write_table_checked,
};
use graph_olap_warehouse::{
    DataFusionWarehouse, ExpectedColumn, PostgresWarehouse, Warehouse, WarehouseError,
    check_columns,
};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn pg_url() -> String {
    std::env::var("GRAPH_OLAP_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn ty(name: &str) -> PropertyType {
    PropertyType::parse(name).unwrap()
}

fn key(name: &str, t: &str) -> JobColumn {
    JobColumn {
        name: name.into(),
        ty: ty(t),
        role: ColumnRole::PrimaryKey,
    }
}

fn prop(name: &str, t: &str) -> JobColumn {
    JobColumn {
        name: name.into(),
        ty: ty(t),
        role: ColumnRole::Property,
    }
}

/// Runs SQL on the PostgreSQL test server with `psql`, failing the test on any error.
fn psql(sql: &str) {
    let out = std::process::Command::new("psql")
        .args([pg_url().as_str(), "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .output()
        .expect("psql must be installed (PostgreSQL client) for these tests");
    assert!(
        out.status.success(),
        "psql failed ({}): {}",
        pg_url(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A scratch schema on the PostgreSQL test server, dropped on drop.
struct Scratch {
    schema: String,
}

impl Scratch {
    fn new(setup: &str) -> Scratch {
        let schema = format!("go_export_bad_{}", uuid::Uuid::new_v4().simple());
        psql(&format!(
            "CREATE SCHEMA {schema}; SET search_path = {schema}; {setup}"
        ));
        Scratch { schema }
    }

    fn sql(&self, sql: &str) {
        psql(&format!("SET search_path = {}; {sql}", self.schema));
    }

    fn warehouse(&self) -> PostgresWarehouse {
        PostgresWarehouse::new(&pg_url(), 100).unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        psql(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.schema));
    }
}

/// The worker's path into a fresh directory; returns the result and the directory.
async fn export(
    warehouse: &dyn Warehouse,
    sql: &str,
    columns: &[JobColumn],
    policy: QualityPolicy,
) -> (Result<TableOutput, ExportError>, tempfile::TempDir) {
    let out = tempfile::tempdir().unwrap();
    let (store, prefix) = open_store(
        &format!("file://{}/", out.path().display()),
        &Default::default(),
    )
    .unwrap();
    let result = async {
        let stream = warehouse.query(sql).await?;
        check_result_schema(&stream.schema, columns)?;
        let options = WriterOptions {
            max_file_rows: 300,
            ..WriterOptions::default()
        };
        write_table_checked(
            store,
            &prefix,
            columns,
            stream.batches,
            &options,
            &Checks {
                policy,
                endpoints: None,
            },
            &Progress::default(),
        )
        .await
    }
    .await;
    (result, out)
}

/// Every row of the part files under `dir`, in file order.
fn read_back(dir: &FsPath) -> Vec<RecordBatch> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut batches = Vec::new();
    for name in names {
        assert!(
            name.starts_with("part-") && name.ends_with(".parquet"),
            "unexpected file {name}"
        );
        let bytes = Bytes::from(std::fs::read(dir.join(&name)).unwrap());
        for batch in ParquetRecordBatchReaderBuilder::try_new(bytes)
            .unwrap()
            .build()
            .unwrap()
        {
            batches.push(batch.unwrap());
        }
    }
    batches
}

fn files(dir: &FsPath) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|r| {
            r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn write_parquet(path: &FsPath, batch: &RecordBatch) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut writer =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

/// A DataFusion warehouse over `lake.shop.people` (id, name, age) with `rows` people.
async fn people_lake(rows: i64) -> (tempfile::TempDir, DataFusionWarehouse) {
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<i64> = (1..=rows).collect();
    let batch = RecordBatch::try_from_iter(vec![
        ("id", Arc::new(Int64Array::from(ids.clone())) as ArrayRef),
        (
            "name",
            Arc::new(StringArray::from(
                ids.iter().map(|i| format!("p{i}")).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
        (
            "age",
            Arc::new(Int64Array::from(
                ids.iter().map(|i| 20 + i % 50).collect::<Vec<_>>(),
            )) as ArrayRef,
        ),
    ])
    .unwrap();
    write_parquet(&dir.path().join("lake/shop/people.parquet"), &batch);
    let wh = DataFusionWarehouse::open_with_batch_size(dir.path(), 100)
        .await
        .unwrap();
    (dir, wh)
}

fn people_columns() -> Vec<JobColumn> {
    vec![
        key("id", "INT64"),
        prop("name", "STRING"),
        prop("age", "INT64"),
    ]
}

fn expected(columns: &[JobColumn]) -> Vec<ExpectedColumn> {
    columns
        .iter()
        .map(|c| ExpectedColumn::new(&c.name, c.ty))
        .collect()
}

#[tokio::test]
async fn sql_that_errors_at_run_time_fails_as_a_warehouse_error_and_leaves_no_files() {
    // DataFusion: a cast that fails on the data, not at planning.
    let (_dir, wh) = people_lake(1000).await;
    let sql = "SELECT id, name, CAST(CASE WHEN id = 700 THEN 'seven hundred' ELSE CAST(age AS VARCHAR) END AS BIGINT) AS age FROM lake.shop.people";
    assert!(
        check_columns(
            &wh.describe(sql).await.unwrap(),
            &expected(&people_columns())
        )
        .is_empty(),
        "the SQL validates"
    );
    let (result, out) = export(&wh, sql, &people_columns(), QualityPolicy::default()).await;
    let err = result.unwrap_err();
    assert!(
        matches!(err, ExportError::Warehouse(WarehouseError::Execution(_))),
        "{err:?}"
    );
    assert_eq!(
        (err.code(), err.retryable()),
        (WorkerErrorCode::WarehouseError, false)
    );
    assert!(err.message().contains("seven hundred"), "{}", err.message());
    assert_eq!(
        files(out.path()),
        Vec::<String>::new(),
        "the files written before the error are removed"
    );

    // PostgreSQL: division by zero at row 500 of 1000, after several batches streamed.
    let pg = Scratch::new(
        "CREATE TABLE t AS SELECT g::int8 AS id, 'n' || g AS name, g::int8 AS age FROM generate_series(1, 1000) g;",
    );
    let sql = format!(
        "SELECT id, name, 1000 / (id - 500) AS age FROM {}.t ORDER BY id",
        pg.schema
    );
    let (result, out) = export(
        &pg.warehouse(),
        &sql,
        &people_columns(),
        QualityPolicy::default(),
    )
    .await;
    let err = result.unwrap_err();
    assert!(
        matches!(err, ExportError::Warehouse(WarehouseError::Execution(_))),
        "{err:?}"
    );
    assert!(!err.retryable());
    assert!(
        err.message().contains("division by zero"),
        "{}",
        err.message()
    );
    assert_eq!(files(out.path()), Vec::<String>::new());
}

#[tokio::test]
async fn a_column_that_changed_type_since_validation_is_rejected_naming_the_column() {
    let (dir, wh) = people_lake(50).await;
    let sql = "SELECT id, name, age FROM lake.shop.people";
    assert!(
        check_columns(
            &wh.describe(sql).await.unwrap(),
            &expected(&people_columns())
        )
        .is_empty(),
        "validated as INT64"
    );

    // The file is replaced: `age` is now bytes, which can never become an INT64.
    let replaced = RecordBatch::try_from_iter(vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        (
            "name",
            Arc::new(StringArray::from(vec!["a", "b"])) as ArrayRef,
        ),
        (
            "age",
            Arc::new(BinaryArray::from(vec![&b"\x01"[..], &b"\x02"[..]])) as ArrayRef,
        ),
    ])
    .unwrap();
    write_parquet(&dir.path().join("lake/shop/people.parquet"), &replaced);
    wh.refresh().await.unwrap();
    let (result, out) = export(&wh, sql, &people_columns(), QualityPolicy::default()).await;
    let err = result.unwrap_err();
    assert!(matches!(err, ExportError::Schema { .. }), "{err:?}");
    assert_eq!(
        (err.code(), err.retryable()),
        (WorkerErrorCode::InvalidData, false)
    );
    let message = err.message();
    assert!(
        message.contains("'age'") && message.contains("Binary") && message.contains("INT64"),
        "{message}"
    );
    assert_eq!(files(out.path()), Vec::<String>::new());

    // Now text: castable in principle, but a value that is not a number fails naming the column.
    let texts = RecordBatch::try_from_iter(vec![
        ("id", Arc::new(Int64Array::from(vec![1, 2, 3])) as ArrayRef),
        (
            "name",
            Arc::new(StringArray::from(vec!["a", "b", "c"])) as ArrayRef,
        ),
        (
            "age",
            Arc::new(StringArray::from(vec!["31", "unknown", "40"])) as ArrayRef,
        ),
    ])
    .unwrap();
    write_parquet(&dir.path().join("lake/shop/people.parquet"), &texts);
    wh.refresh().await.unwrap();
    let (result, _out) = export(&wh, sql, &people_columns(), QualityPolicy::default()).await;
    let err = result.unwrap_err();
    assert!(matches!(err, ExportError::Contract(_)), "{err:?}");
    assert_eq!(err.code(), WorkerErrorCode::InvalidData);
    assert!(err.message().contains("column 'age'"), "{}", err.message());

    // PostgreSQL: the column's type changes to bytea after validation.
    let pg = Scratch::new(
        "CREATE TABLE people (id int8, name text, age int8); INSERT INTO people SELECT g, 'p' || g, g FROM generate_series(1, 10) g;",
    );
    let sql = format!("SELECT id, name, age FROM {}.people", pg.schema);
    let wh = pg.warehouse();
    assert!(
        check_columns(
            &wh.describe(&sql).await.unwrap(),
            &expected(&people_columns())
        )
        .is_empty()
    );
    pg.sql("ALTER TABLE people ALTER COLUMN age TYPE bytea USING convert_to(age::text, 'UTF8');");
    let (result, _out) = export(&wh, &sql, &people_columns(), QualityPolicy::default()).await;
    let err = result.unwrap_err();
    assert!(matches!(err, ExportError::Schema { .. }), "{err:?}");
    assert!(err.message().contains("'age'"), "{}", err.message());
}

#[tokio::test]
async fn an_empty_result_completes_with_no_rows_and_no_files() {
    let (_dir, wh) = people_lake(10).await;
    let (result, out) = export(
        &wh,
        "SELECT id, name, age FROM lake.shop.people WHERE id < 0",
        &people_columns(),
        QualityPolicy::default(),
    )
    .await;
    let output = result.unwrap();
    assert_eq!(
        (
            output.row_count,
            output.files.len(),
            output.quality.rows_read
        ),
        (0, 0, 0)
    );
    assert_eq!(files(out.path()), Vec::<String>::new());

    let pg = Scratch::new("CREATE TABLE people (id int8, name text, age int8);");
    let sql = format!("SELECT id, name, age FROM {}.people", pg.schema);
    let (result, _out) = export(
        &pg.warehouse(),
        &sql,
        &people_columns(),
        QualityPolicy::default(),
    )
    .await;
    let output = result.unwrap();
    assert_eq!(
        (output.row_count, output.size_bytes, output.files.len()),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn null_keys_are_counted_to_the_end_and_fail_by_default_or_are_left_out_under_report() {
    let pg = Scratch::new(
        "CREATE TABLE people AS SELECT CASE WHEN g % 7 = 0 THEN NULL ELSE g END::int8 AS id, 'p' || g AS name, g::int8 AS age FROM generate_series(1, 1000) g;",
    );
    let sql = format!(
        "SELECT id, name, age FROM {}.people ORDER BY age",
        pg.schema
    );
    let nulls = 1000 / 7;
    let (result, out) = export(
        &pg.warehouse(),
        &sql,
        &people_columns(),
        QualityPolicy::default(),
    )
    .await;
    let err = result.unwrap_err();
    assert_eq!(
        (err.code(), err.retryable()),
        (WorkerErrorCode::InvalidData, false)
    );
    let quality = err.quality().expect("the counts travel with the failure");
    assert_eq!(
        (quality.rows_read, quality.null_keys, quality.rows_written),
        (1000, nulls, 0),
        "every row counted, none kept"
    );
    assert!(
        err.message().contains(&format!(
            "{nulls} row(s) with a NULL key (primary key 'id')"
        )),
        "{}",
        err.message()
    );
    assert_eq!(files(out.path()), Vec::<String>::new());

    let report = QualityPolicy {
        null_keys: CheckPolicy::Report,
        ..QualityPolicy::default()
    };
    let (result, out) = export(&pg.warehouse(), &sql, &people_columns(), report).await;
    let output = result.unwrap();
    assert_eq!(output.row_count, 1000 - nulls);
    assert_eq!(
        (output.quality.null_keys, output.quality.rows_written),
        (nulls, 1000 - nulls)
    );
    let rows: usize = read_back(out.path())
        .iter()
        .map(|b| {
            assert_eq!(b.column(0).null_count(), 0);
            b.num_rows()
        })
        .sum();
    assert_eq!(rows as u64, 1000 - nulls);
}

#[tokio::test]
async fn unicode_and_very_long_strings_round_trip_exactly() {
    let long: String = "ü✓日本🎉".repeat(250_000); // 1 M characters, 3.25 MB of UTF-8
    let samples = vec![
        "héllo wörld".to_string(),
        "Ελληνικά · עברית · العربية".to_string(),
        "🧑‍🤝‍🧑 zwj".to_string(),
        String::new(),
        long.clone(),
    ];

    let dir = tempfile::tempdir().unwrap();
    let batch = RecordBatch::try_from_iter(vec![
        (
            "id",
            Arc::new(StringArray::from(vec![
                "ключ-1",
                "鍵-2",
                "🔑-3",
                "k4",
                "k5",
            ])) as ArrayRef,
        ),
        (
            "name",
            Arc::new(StringArray::from(samples.clone())) as ArrayRef,
        ),
    ])
    .unwrap();
    write_parquet(&dir.path().join("lake/shop/texts.parquet"), &batch);
    let wh = DataFusionWarehouse::open(dir.path()).await.unwrap();
    let columns = [key("id", "STRING"), prop("name", "STRING")];
    let (result, out) = export(
        &wh,
        "SELECT id, name FROM lake.shop.texts ORDER BY id",
        &columns,
        QualityPolicy::default(),
    )
    .await;
    result.unwrap();
    let batches = read_back(out.path());
    let back = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    let names: Vec<String> = back
        .column(1)
        .as_string::<i32>()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect();
    let mut expected_names = samples.clone();
    let ids: Vec<String> = back
        .column(0)
        .as_string::<i32>()
        .iter()
        .map(|v| v.unwrap().to_string())
        .collect();
    assert!(ids.contains(&"🔑-3".to_string()));
    expected_names.sort();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, expected_names);

    let pg = Scratch::new(
        "CREATE TABLE texts (id text, name text); INSERT INTO texts VALUES ('ключ-1', 'héllo wörld'), ('鍵-2', 'Ελληνικά · עברית · العربية'), ('🔑-3', repeat('ü✓日本🎉', 250000)), ('k4', '');",
    );
    let sql = format!("SELECT id, name FROM {}.texts", pg.schema);
    let (result, out) = export(&pg.warehouse(), &sql, &columns, QualityPolicy::default()).await;
    assert_eq!(result.unwrap().row_count, 4);
    let batches = read_back(out.path());
    let back = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    let by_id = |id: &str| {
        let ids = back.column(0).as_string::<i32>();
        let row = (0..back.num_rows()).find(|&r| ids.value(r) == id).unwrap();
        back.column(1).as_string::<i32>().value(row).to_string()
    };
    assert_eq!(by_id("🔑-3"), long);
    assert_eq!(by_id("鍵-2"), "Ελληνικά · עברית · العربية");
    assert_eq!(by_id("k4"), "");
}

#[tokio::test]
async fn timestamps_with_time_zones_become_utc_instants() {
    // 2024-06-01T10:00:00Z in microseconds.
    const TEN_UTC: i64 = 1_717_236_000_000_000;
    let columns = [key("id", "INT64"), prop("at", "TIMESTAMP")];

    let pg = Scratch::new(
        "CREATE TABLE events (id int8, at timestamptz); \
         INSERT INTO events VALUES (1, '2024-06-01 12:00:00+02'), (2, '2024-06-01 05:00:00-05'), (3, '2024-06-01 10:00:00.123456Z'), (4, NULL);",
    );
    let sql = format!("SELECT id, at FROM {}.events ORDER BY id", pg.schema);
    let (result, out) = export(&pg.warehouse(), &sql, &columns, QualityPolicy::default()).await;
    assert_eq!(result.unwrap().row_count, 4);
    let batches = read_back(out.path());
    let back = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    let at = back.column(1).as_primitive::<TimestampMicrosecondType>();
    assert_eq!(at.timezone(), Some("UTC"));
    assert_eq!(
        (at.value(0), at.value(1), at.value(2)),
        (TEN_UTC, TEN_UTC, TEN_UTC + 123_456)
    );
    assert!(at.is_null(3));

    // DataFusion: offsets in text are converted to the same instant.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("lake/shop")).unwrap();
    std::fs::write(
        dir.path().join("lake/shop/events.csv"),
        "id,at\n1,2024-06-01T12:00:00+02:00\n2,2024-06-01T05:00:00-05:00\n3,2024-06-01T10:00:00Z\n",
    )
    .unwrap();
    let wh = DataFusionWarehouse::open(dir.path()).await.unwrap();
    let (result, out) = export(
        &wh,
        "SELECT id, CAST(at AS VARCHAR) AS at FROM lake.shop.events ORDER BY id",
        &columns,
        QualityPolicy::default(),
    )
    .await;
    assert_eq!(result.unwrap().row_count, 3);
    let batches = read_back(out.path());
    let at = batches[0]
        .column(1)
        .as_primitive::<TimestampMicrosecondType>()
        .clone();
    assert_eq!(at.values().to_vec(), vec![TEN_UTC, TEN_UTC, TEN_UTC]);
}

#[tokio::test]
async fn decimals_become_the_declared_numbers() {
    let columns = [
        key("id", "INT64"),
        prop("amount", "DOUBLE"),
        prop("units", "INT64"),
    ];
    let pg = Scratch::new(
        "CREATE TABLE money (id numeric(20, 0), amount numeric(12, 2), units numeric); \
         INSERT INTO money VALUES (12345678901234567, 1234567890.12, 42), (2, -0.01, 0), (3, NULL, NULL);",
    );
    let sql = format!(
        "SELECT id, amount, units FROM {}.money ORDER BY id",
        pg.schema
    );
    let (result, out) = export(&pg.warehouse(), &sql, &columns, QualityPolicy::default()).await;
    assert_eq!(result.unwrap().row_count, 3);
    let batches = read_back(out.path());
    let back = arrow::compute::concat_batches(&batches[0].schema(), &batches).unwrap();
    assert_eq!(
        back.column(0).as_primitive::<Int64Type>().values().to_vec(),
        vec![2, 3, 12_345_678_901_234_567]
    );
    let amount = back.column(1).as_primitive::<Float64Type>();
    assert_eq!(
        (amount.value(0), amount.value(2)),
        (-0.01, 1_234_567_890.12)
    );
    assert!(amount.is_null(1));
    assert_eq!(back.column(2).as_primitive::<Int64Type>().value(2), 42);

    let (_dir, wh) = people_lake(3).await;
    let sql = "SELECT CAST(id AS DECIMAL(20, 0)) AS id, CAST(age AS DECIMAL(10, 2)) / 4 AS amount, CAST(age AS DECIMAL(10, 0)) AS units FROM lake.shop.people ORDER BY id";
    let (result, out) = export(&wh, sql, &columns, QualityPolicy::default()).await;
    assert_eq!(result.unwrap().row_count, 3);
    let batches = read_back(out.path());
    let amount = batches[0].column(1).as_primitive::<Float64Type>();
    assert_eq!(amount.value(0), 21.0 / 4.0);
}

#[tokio::test]
async fn types_the_engine_cannot_load_are_rejected_with_the_column_named() {
    let (_dir, wh) = people_lake(3).await;
    // A nested list where a list of scalars is declared, an interval where text is declared.
    let cases = [
        (
            "SELECT id, make_array(make_array(age)) AS tags FROM lake.shop.people",
            prop("tags", "LIST<INT64>"),
            "'tags'",
        ),
        (
            "SELECT id, named_struct('a', age) AS info FROM lake.shop.people",
            prop("info", "STRING"),
            "'info'",
        ),
    ];
    for (sql, column, name) in cases {
        let columns = [key("id", "INT64"), column];
        let (result, _out) = export(&wh, sql, &columns, QualityPolicy::default()).await;
        let err = result.unwrap_err();
        assert!(matches!(err, ExportError::Schema { .. }), "{sql}: {err:?}");
        assert_eq!(err.code(), WorkerErrorCode::InvalidData);
        assert!(err.message().contains(name), "{}", err.message());
    }
}
