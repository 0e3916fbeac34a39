//! The Trino protocol client against a local HTTP server that plays a Trino coordinator from
//! scripted protocol documents (shapes per the Trino client REST protocol: queued document
//! without columns, `nextUri` chains, columns with `type` strings, JSON-encoded values, `error`
//! objects, `DELETE nextUri` for cancellation, 503 "busy" answers). No real Trino runs here; see
//! the crate README for what that leaves unverified.

use std::sync::{Arc, Mutex};

use arrow::array::{Array, AsArray, ListArray};
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, Time64MicrosecondType, TimeUnit, TimestampMicrosecondType,
};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures::StreamExt;
use graph_olap_warehouse::trino::TrinoConfig;
use graph_olap_warehouse::{TrinoWarehouse, Warehouse, WarehouseError};
use serde_json::{Value, json};

/// One request seen by the coordinator: method, path, selected headers, body.
type Request = (String, String, Vec<(String, String)>, String);

#[derive(Default)]
struct Coordinator {
    base: String,
    /// (method, path, selected headers, body) of every request.
    log: Vec<Request>,
    /// Pages still to be answered "busy" before the real answer.
    busy: u32,
}

type Shared = Arc<Mutex<Coordinator>>;

fn record(state: &Shared, method: &str, path: &str, headers: &HeaderMap, body: &str) {
    let keep = [
        "x-trino-user",
        "x-trino-catalog",
        "x-trino-schema",
        "x-trino-source",
        "x-trino-time-zone",
        "authorization",
        "x-trino-query-data-encoding",
        "x-segment-key",
    ];
    let selected = keep
        .iter()
        .filter_map(|k| {
            headers
                .get(*k)
                .map(|v| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        })
        .collect();
    state
        .lock()
        .unwrap()
        .log
        .push((method.into(), path.into(), selected, body.into()));
}

fn typed_columns() -> Value {
    let cols = [
        ("id", "bigint"),
        ("ok", "boolean"),
        ("small", "smallint"),
        ("tiny", "tinyint"),
        ("n", "integer"),
        ("r", "real"),
        ("d", "double"),
        ("dec", "decimal(12,2)"),
        ("name", "varchar(20)"),
        ("c", "char(3)"),
        ("day", "date"),
        ("t", "time(3)"),
        ("ts", "timestamp(3)"),
        ("tstz", "timestamp(3) with time zone"),
        ("bin", "varbinary"),
        ("u", "uuid"),
        ("j", "json"),
        ("tags", "array(varchar)"),
        ("m", "map(varchar, bigint)"),
    ];
    Value::Array(cols.iter().map(|(n, t)| json!({"name": n, "type": t, "typeSignature": {"rawType": t, "arguments": []}})).collect())
}

/// The document for page `page` of `scenario`.
fn page(base: &str, scenario: &str, page: u32) -> Value {
    let next = |n: u32| json!(format!("{base}/v1/statement/executing/{scenario}/{n}"));
    let id = format!("20240101_000000_{page:05}_{scenario}");
    let long = "x".repeat(100_000);
    match (scenario, page) {
        (_, 0) => {
            json!({"id": id, "infoUri": format!("{base}/ui"), "nextUri": next(1), "stats": {"state": "QUEUED"}})
        }
        ("typed", 1) => {
            json!({"id": id, "nextUri": next(2), "columns": typed_columns(), "stats": {"state": "RUNNING"}, "data": [
                [1, true, -5, 7, 42, 1.5, "NaN", "12345.67", "héllo ✓ 日本", "ab ", "2024-02-29", "13:45:56.123",
                 "2024-01-02 03:04:05.678", "2024-06-01 12:00:00.000 +02:00", "3q2+7w==", "123e4567-e89b-12d3-a456-426614174000",
                 "{\"k\":1}", ["a", null], {"x": 1}],
                [2, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null]
            ]})
        }
        ("typed", 2) => {
            json!({"id": id, "nextUri": next(3), "columns": typed_columns(), "stats": {"state": "RUNNING"}, "data": [
                [3, false, 0, 0, 0, -0.5, 1e300, "-0.01", long, "", "1970-01-01", "00:00:00.000", "1900-01-01 00:00:00.000",
                 "1999-12-31 23:59:59.999 UTC", "", "00000000-0000-0000-0000-000000000000", "null", [], {}]
            ]})
        }
        ("typed", _) => {
            json!({"id": id, "columns": typed_columns(), "stats": {"state": "FINISHED"}})
        }
        ("describe", _) => {
            json!({"id": id, "columns": typed_columns(), "stats": {"state": "FINISHED"}})
        }
        ("badcolumn", _) => json!({"id": id, "stats": {"state": "FAILED"}, "error": {
            "message": "line 2:8: Column 'nope' cannot be resolved", "errorCode": 47, "errorName": "COLUMN_NOT_FOUND",
            "errorType": "USER_ERROR", "errorLocation": {"lineNumber": 2, "columnNumber": 8}}}),
        ("divzero", 1) => {
            json!({"id": id, "nextUri": next(2), "columns": [{"name": "q", "type": "integer"}], "data": [[1]], "stats": {"state": "RUNNING"}})
        }
        ("divzero", _) => json!({"id": id, "stats": {"state": "FAILED"}, "error": {
            "message": "Division by zero", "errorCode": 8, "errorName": "DIVISION_BY_ZERO", "errorType": "USER_ERROR"}}),
        ("endless", n) => {
            json!({"id": id, "nextUri": next(n + 1), "columns": [{"name": "g", "type": "bigint"}],
            "data": (0..100).map(|i| json!([n as i64 * 100 + i])).collect::<Vec<_>>(), "stats": {"state": "RUNNING"}})
        }
        // The spooling protocol (`X-Trino-Query-Data-Encoding: json`), shaped like a coordinator's
        // documents: an inline segment with the first rows, then two spooled segments.
        ("spooled", 1) => {
            json!({"id": id, "nextUri": next(2), "columns": spooled_columns(), "stats": {"state": "RUNNING"},
            "data": {"encoding": "json", "segments": [
                {"type": "inline", "data": B64.encode(SEGMENT_INLINE), "metadata": {"rowOffset": 0, "rowsCount": 2, "segmentSize": SEGMENT_INLINE.len()}}]}})
        }
        ("spooled", 2) => {
            json!({"id": id, "nextUri": next(3), "columns": spooled_columns(), "stats": {"state": "RUNNING"},
            "data": {"encoding": "json", "segments": [
                {"type": "spooled", "uri": format!("{base}/v1/spooled/download/a"), "ackUri": format!("{base}/v1/spooled/ack/a"),
                 "headers": {"X-Segment-Key": ["k-a"]},
                 "metadata": {"rowOffset": 2, "rowsCount": 3, "segmentSize": SEGMENT_A.len(), "expiresAt": "2099-01-01T00:00:00Z"}},
                {"type": "spooled", "uri": format!("{base}/v1/spooled/download/b"), "ackUri": format!("{base}/v1/spooled/ack/b"),
                 "headers": {"X-Segment-Key": ["k-b"]},
                 "metadata": {"rowOffset": 5, "rowsCount": 1, "segmentSize": SEGMENT_B.len()}}]}})
        }
        ("spooled", _) => {
            json!({"id": id, "columns": spooled_columns(), "stats": {"state": "FINISHED"}})
        }
        ("zstd", _) => {
            json!({"id": id, "columns": spooled_columns(), "stats": {"state": "FINISHED"},
            "data": {"encoding": "json+zstd", "segments": [{"type": "inline", "data": "KLUv/QBYAQAA", "metadata": {"rowOffset": 0, "rowsCount": 1}}]}})
        }
        ("shortsegment", _) => {
            json!({"id": id, "columns": spooled_columns(), "stats": {"state": "FINISHED"},
            "data": {"encoding": "json", "segments": [{"type": "inline", "data": B64.encode(SEGMENT_INLINE), "metadata": {"rowOffset": 0, "rowsCount": 3}}]}})
        }
        ("one", _) => {
            json!({"id": id, "columns": [{"name": "_col0", "type": "integer"}], "data": [[1]], "stats": {"state": "FINISHED"}})
        }
        ("catalogs", _) => {
            json!({"id": id, "columns": [{"name": "catalog_name", "type": "varchar(6)"}],
            "data": [["hive"], ["system"], ["broken"]], "stats": {"state": "FINISHED"}})
        }
        ("schemata", _) => {
            json!({"id": id, "columns": [{"name": "schema_name", "type": "varchar"}],
            "data": [["sales"], ["empty"]], "stats": {"state": "FINISHED"}})
        }
        ("tables", _) => {
            json!({"id": id, "columns": [{"name": "table_schema", "type": "varchar"}, {"name": "table_name", "type": "varchar"}, {"name": "table_type", "type": "varchar"}],
            "data": [["sales", "orders", "BASE TABLE"], ["sales", "big_orders", "VIEW"]], "stats": {"state": "FINISHED"}})
        }
        ("columns", _) => json!({"id": id, "columns": [
                {"name": "table_schema", "type": "varchar"}, {"name": "table_name", "type": "varchar"}, {"name": "column_name", "type": "varchar"},
                {"name": "data_type", "type": "varchar"}, {"name": "is_nullable", "type": "varchar"}, {"name": "ordinal_position", "type": "bigint"},
                {"name": "column_default", "type": "varchar"}],
            "data": [["sales", "orders", "amount", "decimal(12,2)", "YES", 2, null], ["sales", "orders", "order_id", "bigint", "NO", 1, null],
                     ["sales", "big_orders", "order_id", "bigint", "YES", 1, null]], "stats": {"state": "FINISHED"}}),
        ("nocatalog", _) => json!({"id": id, "stats": {"state": "FAILED"}, "error": {
            "message": "Catalog 'broken' not found", "errorName": "CATALOG_NOT_FOUND", "errorType": "USER_ERROR"}}),
        _ => {
            json!({"id": id, "stats": {"state": "FAILED"}, "error": {"message": "unscripted", "errorType": "INTERNAL_ERROR"}})
        }
    }
}

use base64::Engine;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
const SEGMENT_INLINE: &str = r#"[[1,"a"],[2,"ß ✓"]]"#;
const SEGMENT_A: &str = r#"[[3,"c"],[4,null],[5,"日本"]]"#;
const SEGMENT_B: &str = r#"[[6,"f"]]"#;

fn spooled_columns() -> Value {
    json!([{"name": "id", "type": "bigint", "typeSignature": {"rawType": "bigint", "arguments": []}},
           {"name": "label", "type": "varchar", "typeSignature": {"rawType": "varchar", "arguments": []}}])
}

/// `GET` of a spooled segment: served only with the segment's own header.
async fn download(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    record(&state, "GET", &format!("download/{id}"), &headers, "");
    let expected = format!("k-{id}");
    if headers.get("x-segment-key").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return (StatusCode::FORBIDDEN, "missing segment key").into_response();
    }
    match id.as_str() {
        "a" => SEGMENT_A.into_response(),
        "b" => SEGMENT_B.into_response(),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn acknowledge(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> StatusCode {
    record(&state, "ACK", &format!("ack/{id}"), &headers, "");
    StatusCode::OK
}

fn scenario_for(sql: &str) -> &'static str {
    match sql {
        s if s.contains("spooled_table") => "spooled",
        s if s.contains("zstd_table") => "zstd",
        s if s.contains("short_segment") => "shortsegment",
        s if s.contains("graph_olap_describe") && s.contains("nope") => "badcolumn",
        s if s.contains("graph_olap_describe") => "describe",
        s if s.contains("\"broken\".") => "nocatalog",
        s if s.contains("system.metadata.catalogs") => "catalogs",
        s if s.contains("information_schema.schemata") => "schemata",
        s if s.contains("information_schema.tables") => "tables",
        s if s.contains("information_schema.columns") => "columns",
        s if s.contains("typed") => "typed",
        s if s.contains("1 / 0") => "divzero",
        s if s.contains("endless") => "endless",
        "SELECT 1" => "one",
        _ => "unknown",
    }
}

async fn submit(State(state): State<Shared>, headers: HeaderMap, body: String) -> Response {
    record(&state, "POST", "/v1/statement", &headers, &body);
    let base = state.lock().unwrap().base.clone();
    let scenario = scenario_for(&body);
    let document = if matches!(scenario, "typed" | "divzero" | "endless" | "spooled") {
        page(&base, scenario, 0)
    } else {
        page(&base, scenario, 1)
    };
    axum::Json(document).into_response()
}

async fn follow(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((scenario, n)): Path<(String, u32)>,
) -> Response {
    record(&state, "GET", &format!("{scenario}/{n}"), &headers, "");
    let base = {
        let mut s = state.lock().unwrap();
        if s.busy > 0 {
            s.busy -= 1;
            return (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response();
        }
        s.base.clone()
    };
    axum::Json(page(&base, &scenario, n)).into_response()
}

async fn cancel(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((scenario, n)): Path<(String, u32)>,
) -> StatusCode {
    record(&state, "DELETE", &format!("{scenario}/{n}"), &headers, "");
    StatusCode::NO_CONTENT
}

async fn coordinator() -> (Shared, TrinoWarehouse) {
    coordinator_with("").await
}

/// A scripted coordinator and a connector for it, with `options` appended to the URL.
async fn coordinator_with(options: &str) -> (Shared, TrinoWarehouse) {
    let state: Shared = Arc::default();
    let app = Router::new()
        .route("/v1/statement", post(submit))
        .route(
            "/v1/statement/executing/{scenario}/{n}",
            get(follow).delete(cancel),
        )
        .route("/v1/spooled/download/{id}", get(download))
        .route("/v1/spooled/ack/{id}", get(acknowledge))
        .with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    state.lock().unwrap().base = format!("http://{addr}");
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let config =
        TrinoConfig::from_url(&format!("trino://alice:secret@{addr}/hive/sales{options}")).unwrap();
    (state, TrinoWarehouse::new(config).unwrap())
}

#[tokio::test]
async fn typed_results_follow_next_uri_and_convert_every_type() {
    let (state, wh) = coordinator().await;
    state.lock().unwrap().busy = 1; // the first GET is answered 503 and retried
    let stream = wh.query("SELECT * FROM typed;").await.unwrap();
    assert_eq!(
        stream.query_id.as_deref(),
        Some("20240101_000000_00000_typed")
    );
    let schema = stream.schema.clone();
    let batches = stream.collect().await.unwrap();
    assert_eq!(batches.len(), 2, "one batch per data page");
    let all = arrow::compute::concat_batches(&schema, &batches).unwrap();
    assert_eq!(all.num_rows(), 3);
    let col = |name: &str| all.column_by_name(name).unwrap().clone();

    assert_eq!(
        schema.field_with_name("dec").unwrap().data_type(),
        &DataType::Decimal128(12, 2)
    );
    assert_eq!(
        schema.field_with_name("tstz").unwrap().data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    assert_eq!(
        schema.field_with_name("m").unwrap().data_type(),
        &DataType::Utf8
    );
    assert_eq!(
        col("id").as_primitive::<Int64Type>().values().to_vec(),
        vec![1, 2, 3]
    );
    assert!(col("ok").as_boolean().value(0));
    assert_eq!(col("small").as_primitive::<Int16Type>().value(0), -5);
    assert_eq!(col("tiny").as_primitive::<Int8Type>().value(0), 7);
    assert_eq!(col("n").as_primitive::<Int32Type>().value(0), 42);
    assert_eq!(col("r").as_primitive::<Float32Type>().value(0), 1.5);
    assert!(col("d").as_primitive::<Float64Type>().value(0).is_nan());
    assert_eq!(col("d").as_primitive::<Float64Type>().value(2), 1e300);
    assert_eq!(
        col("dec").as_primitive::<Decimal128Type>().value(0),
        1_234_567
    );
    assert_eq!(col("dec").as_primitive::<Decimal128Type>().value(2), -1);
    assert_eq!(col("name").as_string::<i32>().value(0), "héllo ✓ 日本");
    assert_eq!(col("name").as_string::<i32>().value(2).len(), 100_000);
    assert_eq!(col("c").as_string::<i32>().value(0), "ab ");
    assert_eq!(col("day").as_primitive::<Date32Type>().value(0), 19782);
    assert_eq!(
        col("t").as_primitive::<Time64MicrosecondType>().value(0),
        (13 * 3600 + 45 * 60 + 56) * 1_000_000 + 123_000
    );
    assert_eq!(
        col("ts")
            .as_primitive::<TimestampMicrosecondType>()
            .value(0),
        1_704_164_645_678_000
    );
    assert_eq!(
        col("ts")
            .as_primitive::<TimestampMicrosecondType>()
            .value(2),
        -2_208_988_800_000_000
    );
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
        946_684_799_999_000
    );
    assert_eq!(
        col("bin").as_binary::<i32>().value(0),
        [0xde, 0xad, 0xbe, 0xef]
    );
    assert_eq!(
        col("u").as_string::<i32>().value(0),
        "123e4567-e89b-12d3-a456-426614174000"
    );
    assert_eq!(col("j").as_string::<i32>().value(0), "{\"k\":1}");
    let tags = col("tags");
    let tags = tags.as_any().downcast_ref::<ListArray>().unwrap();
    assert_eq!(tags.value(0).as_string::<i32>().value(0), "a");
    assert!(tags.value(0).is_null(1));
    assert!(tags.is_null(1));
    assert_eq!(tags.value(2).len(), 0);
    assert_eq!(col("m").as_string::<i32>().value(0), "{\"x\":1}");
    for (i, field) in schema.fields().iter().enumerate().skip(1) {
        assert!(all.column(i).is_null(1), "{} should be NULL", field.name());
    }

    let log = state.lock().unwrap().log.clone();
    let (method, _, headers, body) = &log[0];
    assert_eq!(
        (method.as_str(), body.as_str()),
        ("POST", "SELECT * FROM typed"),
        "trailing ';' removed"
    );
    let header = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(header("x-trino-user").as_deref(), Some("alice"));
    assert_eq!(header("x-trino-catalog").as_deref(), Some("hive"));
    assert_eq!(header("x-trino-schema").as_deref(), Some("sales"));
    assert_eq!(header("x-trino-source").as_deref(), Some("graph-olap"));
    assert_eq!(
        header("authorization").as_deref(),
        Some("Basic YWxpY2U6c2VjcmV0")
    );
    let gets: Vec<&str> = log
        .iter()
        .filter(|l| l.0 == "GET")
        .map(|l| l.1.as_str())
        .collect();
    assert_eq!(
        gets,
        ["typed/1", "typed/1", "typed/2", "typed/3"],
        "503 retried, then nextUri followed to the end"
    );
    assert!(
        log.iter().all(|l| l.0 != "DELETE"),
        "a finished query is not cancelled"
    );
}

#[tokio::test]
async fn describe_wraps_the_statement_and_reports_user_errors_as_invalid_sql() {
    let (state, wh) = coordinator().await;
    let schema = wh
        .describe("SELECT * FROM orders -- trailing comment\n;")
        .await
        .unwrap();
    assert_eq!(schema.fields().len(), 19);
    assert_eq!(schema.field(0).name(), "id");
    let sent = state.lock().unwrap().log[0].3.clone();
    assert_eq!(
        sent,
        "SELECT * FROM (\nSELECT * FROM orders -- trailing comment\n) AS graph_olap_describe LIMIT 0"
    );

    match wh.describe("SELECT nope FROM orders").await {
        Err(WarehouseError::InvalidSql(m)) => {
            assert!(m.contains("Column 'nope' cannot be resolved"), "{m}")
        }
        other => panic!("{other:?}"),
    }
    // A failure after the columns are known is a runtime failure.
    let failed = wh
        .query("SELECT 1 / 0")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    assert!(
        matches!(&failed, WarehouseError::Execution(m) if m.contains("Division by zero")),
        "{failed:?}"
    );
    wh.ping().await.unwrap();
}

#[tokio::test]
async fn dropping_a_stream_cancels_with_delete_next_uri() {
    let (state, wh) = coordinator().await;
    let mut stream = wh.query("SELECT endless").await.unwrap();
    let first = stream.batches.next().await.unwrap().unwrap();
    assert_eq!(first.num_rows(), 100);
    drop(stream);
    let mut deleted = None;
    for _ in 0..200 {
        deleted = state
            .lock()
            .unwrap()
            .log
            .iter()
            .find(|l| l.0 == "DELETE")
            .map(|l| l.1.clone());
        if deleted.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(
        deleted.as_deref(),
        Some("endless/2"),
        "the pending nextUri is deleted"
    );
}

#[tokio::test]
async fn metadata_lists_catalogs_and_reports_failing_ones() {
    let (_state, wh) = coordinator().await;
    let meta = wh.metadata().await.unwrap();
    let names: Vec<&str> = meta.catalogs.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["hive"], "system is skipped, broken fails");
    assert_eq!(meta.failures.len(), 1);
    assert_eq!(meta.failures[0].catalog, "broken");
    let schemas: Vec<&str> = meta.catalogs[0]
        .schemas
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(schemas, ["empty", "sales"]);
    let orders = meta.table("hive", "sales", "orders").unwrap();
    assert_eq!(orders.table_type, "BASE TABLE");
    let columns: Vec<(&str, &str, bool, u32)> = orders
        .columns
        .iter()
        .map(|c| {
            (
                c.name.as_str(),
                c.data_type.as_str(),
                c.is_nullable,
                c.ordinal_position,
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            ("order_id", "bigint", false, 1),
            ("amount", "decimal(12,2)", true, 2)
        ]
    );
    assert_eq!(
        meta.table("hive", "sales", "big_orders")
            .unwrap()
            .table_type,
        "VIEW"
    );
}

#[tokio::test]
async fn unreachable_and_https_coordinators_are_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener); // nothing listens on this port any more
    let wh = TrinoWarehouse::new(
        TrinoConfig::from_url(&format!("trino://bob@127.0.0.1:{port}")).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        wh.ping().await,
        Err(WarehouseError::Unreachable(_))
    ));
    let https =
        TrinoWarehouse::new(TrinoConfig::from_url("trinos://bob@coordinator:8443/hive").unwrap());
    assert!(matches!(https, Err(WarehouseError::Config(m)) if m.contains("TLS")));
}

#[tokio::test]
async fn spooled_protocol_decodes_inline_and_downloads_spooled_segments_in_order() {
    let (state, wh) = coordinator().await;
    let stream = wh
        .query("SELECT id, label FROM spooled_table")
        .await
        .unwrap();
    let schema = stream.schema.clone();
    let batches = stream.collect().await.unwrap();
    assert_eq!(batches.len(), 3, "one batch per segment");
    let all = arrow::compute::concat_batches(&schema, &batches).unwrap();
    assert_eq!(
        all.column(0).as_primitive::<Int64Type>().values().to_vec(),
        vec![1, 2, 3, 4, 5, 6]
    );
    let labels = all.column(1).as_string::<i32>();
    assert_eq!((labels.value(1), labels.value(4)), ("ß ✓", "日本"));
    assert!(labels.is_null(3));

    // Give the background acknowledgements a moment to land.
    for _ in 0..200 {
        if state
            .lock()
            .unwrap()
            .log
            .iter()
            .filter(|l| l.0 == "ACK")
            .count()
            == 2
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let log = state.lock().unwrap().log.clone();
    let header =
        |entry: &Request, k: &str| entry.2.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(
        header(&log[0], "x-trino-query-data-encoding").as_deref(),
        Some("json"),
        "the spooling protocol is requested"
    );
    let downloads: Vec<&Request> = log
        .iter()
        .filter(|l| l.1.starts_with("download/"))
        .collect();
    assert_eq!(
        downloads.iter().map(|l| l.1.as_str()).collect::<Vec<_>>(),
        ["download/a", "download/b"]
    );
    for d in &downloads {
        assert!(
            header(d, "x-segment-key").is_some(),
            "the segment's own headers are sent"
        );
        assert_eq!(
            header(d, "authorization"),
            None,
            "no Trino credentials go to the segment URI"
        );
        assert_eq!(header(d, "x-trino-user"), None);
    }
    let acks: Vec<&str> = log
        .iter()
        .filter(|l| l.0 == "ACK")
        .map(|l| l.1.as_str())
        .collect();
    assert_eq!(acks.len(), 2, "{log:?}");
    assert!(acks.contains(&"ack/a") && acks.contains(&"ack/b"));
    let first_ack = log.iter().position(|l| l.1 == "ack/a").unwrap();
    let first_download = log.iter().position(|l| l.1 == "download/a").unwrap();
    assert!(
        first_download < first_ack,
        "a segment is acknowledged after it was read"
    );
}

#[tokio::test]
async fn spooling_can_be_turned_off_and_bad_segments_are_protocol_errors() {
    let (state, wh) = coordinator_with("?spooling=false").await;
    wh.ping().await.unwrap();
    let log = state.lock().unwrap().log.clone();
    assert!(
        log[0]
            .2
            .iter()
            .all(|(n, _)| n != "x-trino-query-data-encoding"),
        "not requested when off"
    );

    let (_state, wh) = coordinator().await;
    match wh.query("SELECT * FROM zstd_table").await {
        Err(WarehouseError::Protocol(m)) => assert!(m.contains("json+zstd"), "{m}"),
        other => panic!("{other:?}"),
    }
    let failed = wh
        .query("SELECT * FROM short_segment")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    assert!(
        matches!(&failed, WarehouseError::Protocol(m) if m.contains("announced 3 rows")),
        "{failed:?}"
    );
    assert!(TrinoConfig::from_url("trino://bob@coord/hive?compression=zstd").is_err());
}
