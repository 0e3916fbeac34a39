//! The embedded DataFusion connector against real files in a temporary directory.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Date32Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Int64Type};
use arrow::record_batch::RecordBatch;
use graph_olap_api::PropertyType;
use graph_olap_warehouse::{
    ColumnProblemCode, DataFusionWarehouse, ExpectedColumn, Warehouse, WarehouseConfig,
    WarehouseError, connect, validate_query,
};
use parquet::arrow::ArrowWriter;

const CUSTOMER_SQL: &str = r#"SELECT CAST(psdo_cust_id AS VARCHAR) AS id, MIN(bk_sectr) AS bk_sectr, COUNT(DISTINCT psdo_acno) AS account_count, MIN(acct_stus) AS acct_stus FROM "default_catalog"."default_schema".bis_acct_dh WHERE image_dt >= DATE '2020-01-01' GROUP BY psdo_cust_id"#;
const SHARES_SQL: &str = r#"SELECT DISTINCT CAST(a.psdo_cust_id AS VARCHAR) AS from_id, CAST(b.psdo_cust_id AS VARCHAR) AS to_id FROM "default_catalog"."default_schema".bis_acct_dh a JOIN "default_catalog"."default_schema".bis_acct_dh b ON a.psdo_acno = b.psdo_acno AND a.psdo_cust_id < b.psdo_cust_id AND a.image_dt >= DATE '2020-01-01' AND b.image_dt >= DATE '2020-01-01'"#;

fn write_parquet(path: &Path, batch: &RecordBatch) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut writer =
        ArrowWriter::try_new(fs::File::create(path).unwrap(), batch.schema(), None).unwrap();
    writer.write(batch).unwrap();
    writer.close().unwrap();
}

/// A small account-holding table: C1 and C2 share A1, C3 holds A2, C4's only row is from 2019.
fn tutorial_table(root: &Path) {
    let days = |s: &str| (chrono_days(s)) as i32;
    let batch = RecordBatch::try_from_iter(vec![
        (
            "psdo_cust_id",
            Arc::new(StringArray::from(vec!["C1", "C2", "C1", "C3", "C4"])) as ArrayRef,
        ),
        (
            "psdo_acno",
            Arc::new(StringArray::from(vec!["A1", "A1", "A3", "A2", "A9"])) as ArrayRef,
        ),
        (
            "bk_sectr",
            Arc::new(StringArray::from(vec!["P", "C", "P", "G", "F"])) as ArrayRef,
        ),
        (
            "acct_stus",
            Arc::new(StringArray::from(vec!["A", "A", "D", "C", "A"])) as ArrayRef,
        ),
        (
            "image_dt",
            Arc::new(Date32Array::from(vec![
                days("2021-03-01"),
                days("2020-01-01"),
                days("2022-07-15"),
                days("2023-01-01"),
                days("2019-12-31"),
            ])) as ArrayRef,
        ),
    ])
    .unwrap();
    write_parquet(
        &root.join("default_catalog/default_schema/bis_acct_dh.parquet"),
        &batch,
    );
}

/// Days since 1970-01-01 of an ISO date.
fn chrono_days(iso: &str) -> i64 {
    let day = chrono::NaiveDate::parse_from_str(iso, "%Y-%m-%d").unwrap();
    (day - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days()
}

fn csv_table(root: &Path) {
    let dir = root.join("sales/public");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("orders.csv"), "order_id,customer,amount,day\n1,alice,10.5,2024-01-02\n2,bob,3.25,2024-02-03\n3,alice,7,2024-03-04\n").unwrap();
}

fn ty(s: &str) -> PropertyType {
    PropertyType::parse(s).unwrap()
}

#[tokio::test]
async fn tutorial_sql_runs_unmodified() {
    let dir = tempfile::tempdir().unwrap();
    tutorial_table(dir.path());
    let wh = DataFusionWarehouse::open(dir.path()).await.unwrap();

    let batches = wh
        .query(CUSTOMER_SQL)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut rows: Vec<(String, i64)> = batches
        .iter()
        .flat_map(|b| {
            let ids = b.column_by_name("id").unwrap().as_string::<i32>().clone();
            let counts = b
                .column_by_name("account_count")
                .unwrap()
                .as_primitive::<Int64Type>()
                .clone();
            (0..b.num_rows()).map(move |i| (ids.value(i).to_string(), counts.value(i)))
        })
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        vec![("C1".into(), 2), ("C2".into(), 1), ("C3".into(), 1)]
    );

    let edges = wh.query(SHARES_SQL).await.unwrap().collect().await.unwrap();
    let pairs: Vec<(String, String)> = edges
        .iter()
        .flat_map(|b| {
            let from = b.column(0).as_string::<i32>().clone();
            let to = b.column(1).as_string::<i32>().clone();
            (0..b.num_rows()).map(move |i| (from.value(i).to_string(), to.value(i).to_string()))
        })
        .collect();
    assert_eq!(pairs, vec![("C1".to_string(), "C2".to_string())]);

    // Unquoted and default-schema references name the same table.
    let n = wh
        .query("SELECT * FROM default_catalog.default_schema.bis_acct_dh")
        .await
        .unwrap()
        .count_rows()
        .await
        .unwrap();
    assert_eq!(n, 5);
    let n = wh
        .query("SELECT * FROM bis_acct_dh")
        .await
        .unwrap()
        .count_rows()
        .await
        .unwrap();
    assert_eq!(n, 5);
}

#[tokio::test]
async fn describe_gives_the_schema_and_validates_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    tutorial_table(dir.path());
    let wh = DataFusionWarehouse::open(dir.path()).await.unwrap();

    let schema = wh.describe(CUSTOMER_SQL).await.unwrap();
    let names: Vec<_> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, ["id", "bk_sectr", "account_count", "acct_stus"]);
    assert_eq!(schema.field(0).data_type(), &DataType::Utf8);
    assert_eq!(schema.field(2).data_type(), &DataType::Int64);

    let good = [
        ExpectedColumn::new("id", ty("STRING")),
        ExpectedColumn::new("account_count", ty("INT64")),
        ExpectedColumn::new("BK_SECTR", ty("STRING")),
    ];
    assert!(
        validate_query(&wh, CUSTOMER_SQL, &good)
            .await
            .unwrap()
            .is_empty()
    );
    let bad = [
        ExpectedColumn::new("risk", ty("DOUBLE")),
        ExpectedColumn::new("account_count", ty("DATE")),
    ];
    let problems = validate_query(&wh, CUSTOMER_SQL, &bad).await.unwrap();
    let codes: Vec<_> = problems.iter().map(|p| p.code).collect();
    assert_eq!(
        codes,
        [ColumnProblemCode::Missing, ColumnProblemCode::NotCastable]
    );
}

#[tokio::test]
async fn invalid_sql_carries_the_planner_message() {
    let dir = tempfile::tempdir().unwrap();
    tutorial_table(dir.path());
    let wh = DataFusionWarehouse::open(dir.path()).await.unwrap();
    for (sql, needle) in [
        ("SELECT nope FROM bis_acct_dh", "nope"),
        (
            "SELECT * FROM default_catalog.default_schema.missing_table",
            "missing_table",
        ),
        ("SELEC 1", "SELEC"),
    ] {
        match wh.describe(sql).await {
            Err(WarehouseError::InvalidSql(message)) => {
                assert!(message.contains(needle), "{sql}: {message}")
            }
            other => panic!("{sql}: expected InvalidSql, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn statements_that_write_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    tutorial_table(dir.path());
    let wh = DataFusionWarehouse::open(dir.path()).await.unwrap();
    for sql in [
        "CREATE TABLE t AS SELECT 1",
        "INSERT INTO bis_acct_dh SELECT * FROM bis_acct_dh",
        "DROP TABLE bis_acct_dh",
    ] {
        assert!(
            matches!(wh.describe(sql).await, Err(WarehouseError::InvalidSql(_))),
            "{sql}"
        );
        assert!(
            matches!(wh.query(sql).await, Err(WarehouseError::InvalidSql(_))),
            "{sql}"
        );
    }
    assert_eq!(
        wh.query("SELECT * FROM bis_acct_dh")
            .await
            .unwrap()
            .count_rows()
            .await
            .unwrap(),
        5
    );
}

#[tokio::test]
async fn csv_tables_have_inferred_types_and_are_listed() {
    let dir = tempfile::tempdir().unwrap();
    tutorial_table(dir.path());
    csv_table(dir.path());
    fs::write(dir.path().join("sales/public/notes.txt"), "not a table").unwrap();
    fs::create_dir_all(dir.path().join(".tmp-partial/x")).unwrap();
    fs::write(dir.path().join(".tmp-partial/x/hidden.csv"), "a\n1\n").unwrap();
    let wh = DataFusionWarehouse::open(dir.path()).await.unwrap();

    let meta = wh.metadata().await.unwrap();
    let catalogs: Vec<_> = meta.catalogs.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(catalogs, ["default_catalog", "sales"]);
    assert_eq!(meta.table_count(), 2);
    let orders = meta.table("sales", "public", "orders").unwrap();
    assert_eq!(orders.table_type, "BASE TABLE");
    let cols: Vec<_> = orders
        .columns
        .iter()
        .map(|c| (c.name.as_str(), c.data_type.as_str(), c.ordinal_position))
        .collect();
    assert_eq!(
        cols,
        [
            ("order_id", "BIGINT", 1),
            ("customer", "VARCHAR", 2),
            ("amount", "DOUBLE", 3),
            ("day", "DATE", 4)
        ]
    );
    let tutorial = meta
        .table("default_catalog", "default_schema", "bis_acct_dh")
        .unwrap();
    assert_eq!(tutorial.columns.len(), 5);
    assert_eq!(tutorial.columns[4].data_type, "DATE");

    let batches = wh
        .query("SELECT customer, SUM(amount) AS total FROM sales.public.orders GROUP BY customer ORDER BY customer")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let b = &batches[0];
    assert_eq!(b.column(0).as_string::<i32>().value(0), "alice");
    assert_eq!(
        b.column(1)
            .as_primitive::<arrow::datatypes::Float64Type>()
            .value(0),
        17.5
    );
}

#[tokio::test]
async fn files_added_later_are_found_after_refresh_or_on_first_use() {
    let dir = tempfile::tempdir().unwrap();
    tutorial_table(dir.path());
    let wh = DataFusionWarehouse::open(dir.path()).await.unwrap();
    assert_eq!(wh.metadata().await.unwrap().table_count(), 1);

    csv_table(dir.path());
    // A query naming the new table re-scans by itself …
    assert_eq!(
        wh.query("SELECT * FROM sales.public.orders")
            .await
            .unwrap()
            .count_rows()
            .await
            .unwrap(),
        3
    );
    // … and the listing sees it on its next refresh.
    let extra = RecordBatch::try_from_iter(vec![(
        "k",
        Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef,
    )])
    .unwrap();
    write_parquet(&dir.path().join("sales/public/extra.parquet"), &extra);
    wh.refresh().await.unwrap();
    assert_eq!(wh.metadata().await.unwrap().table_count(), 3);
}

#[tokio::test]
async fn results_stream_in_batches_of_the_configured_size() {
    let dir = tempfile::tempdir().unwrap();
    let ids: Vec<i64> = (0..10_000).collect();
    let batch =
        RecordBatch::try_from_iter(vec![("id", Arc::new(Int64Array::from(ids)) as ArrayRef)])
            .unwrap();
    write_parquet(&dir.path().join("c/s/big.parquet"), &batch);
    let wh = DataFusionWarehouse::open_with_batch_size(dir.path(), 1000)
        .await
        .unwrap();
    let batches = wh
        .query("SELECT id FROM c.s.big")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert!(batches.len() >= 10, "{} batches", batches.len());
    assert!(batches.iter().all(|b| b.num_rows() <= 1000));
    let total: i64 = batches
        .iter()
        .map(|b| {
            b.column(0)
                .as_primitive::<Int64Type>()
                .iter()
                .flatten()
                .sum::<i64>()
        })
        .sum();
    assert_eq!(total, (0..10_000).sum::<i64>());
    assert!(batches.iter().all(|b| b.column(0).null_count() == 0));
}

#[tokio::test]
async fn connect_opens_a_directory_and_ping_reports_a_missing_one() {
    let dir = tempfile::tempdir().unwrap();
    tutorial_table(dir.path());
    let url = format!("datafusion://{}", dir.path().display());
    let wh = connect(&url).await.unwrap();
    assert_eq!(wh.kind(), "datafusion");
    wh.ping().await.unwrap();
    let plain = connect(dir.path().to_str().unwrap()).await.unwrap();
    assert_eq!(plain.metadata().await.unwrap().table_count(), 1);

    let missing = dir.path().join("gone");
    assert!(matches!(
        WarehouseConfig::parse(missing.to_str().unwrap())
            .unwrap()
            .connect()
            .await
            .err(),
        Some(WarehouseError::Unreachable(_))
    ));
}

#[tokio::test]
async fn sql_reaches_no_file_outside_the_warehouse_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("warehouse");
    tutorial_table(&root);
    // A table-shaped file beside the warehouse, reachable only by climbing out of it.
    fs::create_dir_all(dir.path().join("secrets/hr")).unwrap();
    fs::write(
        dir.path().join("secrets/hr/salaries.csv"),
        "name,salary\nalice,123456\n",
    )
    .unwrap();
    let secret = dir.path().join("secrets/hr/salaries.csv");
    let copy_target = dir.path().join("copied.csv");
    let wh = DataFusionWarehouse::open(&root).await.unwrap();
    for sql in [
        format!("SELECT * FROM '{}'", secret.display()),
        "SELECT * FROM \"..\".\"secrets\".\"salaries\"".to_string(),
        "SELECT * FROM \"../secrets\".hr.salaries".to_string(),
        format!(
            "CREATE EXTERNAL TABLE s STORED AS CSV LOCATION '{}'",
            secret.display()
        ),
        format!(
            "COPY (SELECT * FROM bis_acct_dh) TO '{}' STORED AS CSV",
            copy_target.display()
        ),
    ] {
        for outcome in [wh.describe(&sql).await.err(), wh.query(&sql).await.err()] {
            match outcome {
                Some(WarehouseError::InvalidSql(m)) => {
                    assert!(!m.contains("123456"), "{sql}: {m}")
                }
                other => panic!("{sql}: expected InvalidSql, got {other:?}"),
            }
        }
    }
    assert!(!copy_target.exists(), "COPY wrote nothing");
    let listed = wh.metadata().await.unwrap();
    assert!(
        !format!("{listed:?}").contains("salaries"),
        "the listing stays inside the directory"
    );
}
