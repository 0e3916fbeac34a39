//! What the engine backends' test suites share (feature `test-fixtures`, no C++): the mapping
//! definitions of their common small graph — `Person`, `City`, `KNOWS`, `LIVES_IN` — and the
//! plain query request they send. Each suite writes the Parquet files its own way.

use std::time::Duration;

use graph_olap_api::{EdgeDefinition, NodeDefinition};
use serde_json::json;

use crate::model::QueryRequest;

/// `Person` keyed by a STRING `id`, with a property of every kind; `age_type` is the declared
/// type of `age` (`INT64`, `INT32`, …) and `with_ratio` adds a FLOAT `ratio`.
pub fn person_def(age_type: &str, with_ratio: bool) -> NodeDefinition {
    let mut properties = vec![
        json!({"name": "name", "type": "STRING"}),
        json!({"name": "age", "type": age_type}),
        json!({"name": "score", "type": "DOUBLE"}),
    ];
    if with_ratio {
        properties.push(json!({"name": "ratio", "type": "FLOAT"}));
    }
    properties.extend([
        json!({"name": "born", "type": "DATE"}),
        json!({"name": "seen", "type": "TIMESTAMP"}),
        json!({"name": "tags", "type": "LIST<STRING>"}),
        json!({"name": "active", "type": "BOOL"}),
        json!({"name": "photo", "type": "BLOB"}),
        json!({"name": "uid", "type": "UUID"}),
    ]);
    serde_json::from_value(json!({
        "label": "Person", "sql": "SELECT 1",
        "primary_key": {"name": "id", "type": "STRING"},
        "properties": properties}))
    .expect("a valid node definition")
}

/// `City` keyed by an INT64 `code`, with a `name`.
pub fn city_def() -> NodeDefinition {
    serde_json::from_value(json!({
        "label": "City", "sql": "SELECT 1",
        "primary_key": {"name": "code", "type": "INT64"},
        "properties": [{"name": "name", "type": "STRING"}]}))
    .expect("a valid node definition")
}

/// `KNOWS` between people (`src` → `dst`), with an INT64 `since`.
pub fn knows_def() -> EdgeDefinition {
    serde_json::from_value(json!({
        "type": "KNOWS", "from_node": "Person", "to_node": "Person", "sql": "SELECT 1",
        "from_key": "src", "to_key": "dst", "properties": [{"name": "since", "type": "INT64"}]}))
    .expect("a valid edge definition")
}

/// `LIVES_IN` from a person to a city (`person` → `city`), without properties.
pub fn lives_def() -> EdgeDefinition {
    serde_json::from_value(json!({
        "type": "LIVES_IN", "from_node": "Person", "to_node": "City", "sql": "SELECT 1",
        "from_key": "person", "to_key": "city", "properties": []}))
    .expect("a valid edge definition")
}

/// `query` without parameters, 30 s timeout, at most 1 000 rows.
pub fn request(query: &str) -> QueryRequest {
    QueryRequest {
        query: query.into(),
        parameters: serde_json::Map::new(),
        timeout: Duration::from_secs(30),
        max_rows: 1000,
    }
}
