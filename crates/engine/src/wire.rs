//! How a server answers a failed query: [`QueryError`] as a `QUERY_*` / `READ_ONLY_VIOLATION`
//! error body with the position, feature or parameter the engine reported (API.md §1.13).
//!
//! Owns: that one mapping, next to the error type (the orphan rule puts it here, and this crate
//! knows no HTTP: `graph_olap_api::WireError` is plain data). Does not own: the envelope or the
//! HTTP status (`graph_olap_server_kit::ApiError` renders any `WireError` with `?`).

use graph_olap_api::{ErrorBody, ErrorCode, WireError};
use serde_json::{Map, Value, json};

use crate::model::{QueryError, QueryErrorKind};

impl WireError for QueryError {
    fn error_body(&self) -> Option<ErrorBody> {
        let mut details = Map::new();
        let mut put = |key: &str, value: Value| {
            details.insert(key.to_string(), value);
        };
        let code = match &self.kind {
            QueryErrorKind::Syntax {
                line,
                column,
                snippet,
            } => {
                put("line", line.map_or(Value::Null, |l| json!(l)));
                put("column", column.map_or(Value::Null, |c| json!(c)));
                put(
                    "snippet",
                    snippet.clone().map_or(Value::Null, Value::String),
                );
                ErrorCode::QuerySyntaxError
            }
            QueryErrorKind::Unsupported { feature } => {
                put("feature", json!(feature));
                ErrorCode::QueryUnsupported
            }
            QueryErrorKind::ReadOnlyViolation {
                clause,
                line,
                column,
            } => {
                put("clause", json!(clause));
                put("line", json!(line));
                put("column", json!(column));
                ErrorCode::ReadOnlyViolation
            }
            QueryErrorKind::Failed { reason, parameter } => {
                put("reason", json!(reason.as_str()));
                if let Some(p) = parameter {
                    put("parameter", json!(p));
                }
                ErrorCode::QueryFailed
            }
            QueryErrorKind::Timeout {
                timeout_ms,
                elapsed_ms,
            } => {
                put("timeout_ms", json!(timeout_ms));
                put("elapsed_ms", json!(elapsed_ms));
                ErrorCode::QueryTimeout
            }
            QueryErrorKind::Cancelled => {
                put("reason", json!("other"));
                ErrorCode::QueryFailed
            }
        };
        Some(ErrorBody {
            code,
            message: self.message.clone(),
            details,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FailureReason;

    fn body(kind: QueryErrorKind) -> ErrorBody {
        QueryError {
            kind,
            message: "m".into(),
        }
        .error_body()
        .expect("every query failure has an answer")
    }

    #[test]
    fn each_kind_has_its_code_and_details() {
        let b = body(QueryErrorKind::Syntax {
            line: Some(2),
            column: None,
            snippet: Some("MATCH (".into()),
        });
        assert_eq!(b.code, ErrorCode::QuerySyntaxError);
        assert_eq!(
            Value::Object(b.details),
            json!({"line": 2, "column": null, "snippet": "MATCH ("})
        );
        let b = body(QueryErrorKind::ReadOnlyViolation {
            clause: "CREATE".into(),
            line: 1,
            column: 7,
        });
        assert_eq!(b.code, ErrorCode::ReadOnlyViolation);
        assert_eq!(
            Value::Object(b.details),
            json!({"clause": "CREATE", "line": 1, "column": 7})
        );
        let b = body(QueryErrorKind::Failed {
            reason: FailureReason::MissingParameter,
            parameter: Some("p".into()),
        });
        assert_eq!(b.code, ErrorCode::QueryFailed);
        assert_eq!(
            Value::Object(b.details),
            json!({"reason": "missing_parameter", "parameter": "p"})
        );
        let b = body(QueryErrorKind::Timeout {
            timeout_ms: 10,
            elapsed_ms: 12,
        });
        assert_eq!(
            (b.code, Value::Object(b.details)),
            (
                ErrorCode::QueryTimeout,
                json!({"timeout_ms": 10, "elapsed_ms": 12})
            )
        );
        let b = body(QueryErrorKind::Cancelled);
        assert_eq!((b.code, b.message.as_str()), (ErrorCode::QueryFailed, "m"));
        let b = body(QueryErrorKind::Unsupported {
            feature: "profile".into(),
        });
        assert_eq!(
            (b.code, Value::Object(b.details)),
            (ErrorCode::QueryUnsupported, json!({"feature": "profile"}))
        );
    }
}
